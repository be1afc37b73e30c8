// Staff and public pages in a real browser (Chromium driven by playwright-core), in steps
// because a member's Follow has to arrive between them:
//
//   node flows.mjs setup     log in (a wrong password first), create the group "hikers"
//                            (approval required, Markdown description), upload its images,
//                            write two rules, look at the public pages
//   node flows.mjs approve   log in, approve the pending join request under Members, check
//                            the public page counts 1 member and shows the rules
//   node flows.mjs events    log in, create an event (a refused one first), edit it (an
//                            unknown time zone refused first), find it on the public events
//                            page and its own page, fetch its .ics file, and cancel it
//
// Environment: BASE_URL (the Hearth server), ADMIN_USER and ADMIN_PASSWORD (an instance
// admin), SCREENSHOTS (a directory for the screenshots), CHROMIUM (the browser binary,
// default /usr/bin/chromium); for `approve`, optionally MEMBER_HANDLE (@user@host of the
// person asking to join) and JOIN_ANSWER (what their request says), both checked on the
// Members page. Elements are found by their accessible names, as the staff UI contract
// names them.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const BASE_URL = required('BASE_URL').replace(/\/+$/, '');
const ADMIN_USER = required('ADMIN_USER');
const ADMIN_PASSWORD = required('ADMIN_PASSWORD');
const SCREENSHOTS = required('SCREENSHOTS');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const MEMBER_HANDLE = process.env.MEMBER_HANDLE || '';
const JOIN_ANSWER = process.env.JOIN_ANSWER || '';
const REPORT_REASON = process.env.REPORT_REASON || '';
const REPORTED_TITLE = process.env.REPORTED_TITLE || '';

const GROUP = 'hikers';
const TITLE = 'Hikers of the North';
const DESCRIPTION = [
  '**Walks and hikes** in the north of England, from gentle valley strolls to multi-day fell rounds.',
  '',
  '- Share routes and photos',
  '- Ask about gear and weather',
].join('\n');
const QUESTION = 'Which fells have you walked?';
const RULES = [
  { name: 'Be kind', text: 'No insults, *no pile-ons*.' },
  { name: 'Stay on topic', text: 'Hiking, walking and the gear for it.' },
];
const PHONE = { width: 390, height: 844 };
const EVENT = {
  title: 'Striding Edge walk',
  start: '2030-06-08 09:00',
  end: '2030-06-08 17:00',
  timezone: 'Europe/London',
  location: 'Glenridding car park',
  places: '12',
  description: 'Meet at the **car park**; bring water and a map.',
};
const MOVED = { title: 'Striding Edge walk (moved to Sunday)', start: '2030-06-09 09:30', end: '2030-06-09 17:30' };
const EVENT_LABELS = {
  title: 'Title',
  start: 'Starts',
  end: 'Ends',
  timezone: 'Time zone',
  location: 'Address',
  places: 'Places',
  description: 'Description (Markdown)',
};

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`flows.mjs needs the environment variable ${name}`);
    process.exit(2);
  }
  return value;
}

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

async function expectVisible(locator, what) {
  try {
    await locator.first().waitFor({ state: 'visible', timeout: 10_000 });
  } catch {
    throw new CheckFailed(`expected ${what} to be visible`);
  }
}

async function expectText(locator, text, what) {
  await expectVisible(locator, what);
  const actual = (await locator.first().innerText()).replace(/\s+/g, ' ').trim();
  check(actual.includes(text), `expected ${what} to say "${text}", it says "${actual}"`);
}

let currentStep = '';
let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  const file = join(SCREENSHOTS, `${currentStep}-${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`  screenshot ${file}`);
}

function step(text) {
  console.log(`- ${text}`);
}

/** Submits a form by clicking `button`; returns the response to the POST. */
async function submit(page, button) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    button.click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

/** A small PNG (a gradient), built here so the tests need no image files. */
function png(width, height, pixel) {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = table[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      raw.set(pixel(x, y), y * (width * 3 + 1) + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

async function logIn(page) {
  await page.goto(`${BASE_URL}/admin/login`);
  await page.getByLabel('Username').fill(ADMIN_USER);
  await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
  const response = await submit(page, page.getByRole('button', { name: 'Log in' }));
  check(response.status() < 400, `logging in answered ${response.status()}`);
  await expectVisible(page.getByRole('heading', { level: 1, name: 'Dashboard' }), 'the Dashboard heading');
}

async function openGroupAdmin(page) {
  await page.goto(`${BASE_URL}/admin/groups/${GROUP}`);
  await expectVisible(page.getByRole('link', { name: 'Members', exact: true }), 'the group\'s Members link');
}

async function setup(page) {
  step('a wrong password is refused');
  await page.goto(`${BASE_URL}/admin/login`);
  await expectVisible(page.getByLabel('Authenticator code'), 'the Authenticator code field');
  await screenshot(page, 'login');
  await page.getByLabel('Username').fill(ADMIN_USER);
  await page.getByLabel('Password', { exact: true }).fill(`${ADMIN_PASSWORD}-wrong`);
  const refused = await submit(page, page.getByRole('button', { name: 'Log in' }));
  check(refused.status() === 401, `a wrong password answered ${refused.status()}, not 401`);
  await expectText(page.getByRole('alert'), 'Wrong username or password.', 'the login error');
  await screenshot(page, 'login-wrong-password');

  step('logging in shows the dashboard');
  await logIn(page);
  await expectVisible(page.getByRole('link', { name: 'Accounts' }), 'the Accounts link');
  await expectVisible(page.getByRole('link', { name: 'Your account' }), 'the Your account link');
  await screenshot(page, 'dashboard');

  step(`creating the group ${GROUP}`);
  await page.getByRole('link', { name: 'New group' }).click();
  await page.getByLabel('Name', { exact: true }).fill(GROUP);
  await page.getByLabel('Title').fill(TITLE);
  await page.getByLabel('Description').fill(DESCRIPTION);
  await page.getByLabel('Join mode').selectOption({ label: 'Approval required' });
  await page.getByLabel('Listed in the directory').check();
  await screenshot(page, 'new-group');
  const created = await submit(page, page.getByRole('button', { name: 'Create group' }));
  check(created.status() === 303 || created.status() === 200, `creating the group answered ${created.status()}`);
  check(
    new URL(page.url()).pathname === `/admin/groups/${GROUP}`,
    `after creating the group the browser is at ${page.url()}`,
  );
  await expectVisible(page.getByText(TITLE), 'the new group\'s title');

  step('a join question');
  await page.getByLabel('Join questions').fill(QUESTION);
  await submit(page, page.getByRole('button', { name: 'Save changes' }));
  await expectVisible(page.getByRole('status'), 'a confirmation of the saved changes');
  check(
    (await page.getByLabel('Join questions').inputValue()).includes(QUESTION),
    'the join question was not kept',
  );

  step('an icon and a banner');
  const icon = png(96, 96, (x, y) => [194, 65 + x, 12 + y * 2]);
  const banner = png(600, 200, (x, y) => [30 + (x >> 3), 90 + (y >> 2), 60 + ((x + y) % 48)]);
  await page.getByLabel('Icon').setInputFiles({ name: 'icon.png', mimeType: 'image/png', buffer: icon });
  await page.getByLabel('Banner').setInputFiles({ name: 'banner.png', mimeType: 'image/png', buffer: banner });
  const uploaded = await submit(page, page.getByRole('button', { name: 'Upload images' }));
  check(uploaded.status() < 400, `uploading the images answered ${uploaded.status()}`);
  await expectVisible(page.getByRole('status'), 'a confirmation of the upload');
  await screenshot(page, 'group-admin');

  step('two rules');
  await page.getByRole('link', { name: 'Rules', exact: true }).click();
  for (const [i, rule] of RULES.entries()) {
    await page.getByLabel(`Rule ${i + 1} name`).fill(rule.name);
    await page.getByLabel(`Rule ${i + 1} text`).fill(rule.text);
  }
  const saved = await submit(page, page.getByRole('button', { name: 'Save rules' }));
  check(saved.status() < 400, `saving the rules answered ${saved.status()}`);
  await expectVisible(page.getByRole('status'), 'a confirmation of the saved rules');
  for (const [i, rule] of RULES.entries()) {
    const kept = await page.getByLabel(`Rule ${i + 1} name`).inputValue();
    check(kept === rule.name, `rule ${i + 1} reads "${kept}" after saving, not "${rule.name}"`);
  }
  await expectVisible(page.getByLabel('Remove rule 2'), 'the Remove rule 2 checkbox');
  await screenshot(page, 'rules');

  step(`${ADMIN_USER} becomes the group's owner`);
  await page.getByRole('link', { name: 'Staff', exact: true }).click();
  await page.getByLabel('Username').fill(ADMIN_USER);
  await page.getByLabel('Role').selectOption('owner');
  const appointed = await submit(page, page.getByRole('button', { name: 'Appoint' }));
  check(appointed.status() < 400, `appointing answered ${appointed.status()}`);
  await expectVisible(page.getByRole('status'), 'a confirmation of the appointment');
  await expectVisible(page.getByRole('cell', { name: ADMIN_USER, exact: true }), `${ADMIN_USER} in the staff table`);
  await screenshot(page, 'staff');

  step('the public group page');
  const publicPage = await page.goto(`${BASE_URL}/groups/${GROUP}`);
  check(publicPage.status() === 200, `the public group page answered ${publicPage.status()}`);
  await expectVisible(page.getByRole('heading', { level: 1, name: TITLE }), 'the group title');
  await expectText(page.locator('.members'), '0 members', 'the member count');
  await expectVisible(page.getByRole('heading', { name: 'Membership needs approval' }), 'the join mode');
  await expectVisible(page.getByText(QUESTION), 'the join question');
  await expectText(page.locator('.summary strong'), 'Walks and hikes', 'the Markdown description');
  await checkImages(page);
  const moderators = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Moderators' }) });
  await expectText(moderators.getByRole('listitem'), `${ADMIN_USER} Owner`, 'the group owner');
  await screenshot(page, 'public-group');

  step('the public home page and its search');
  await page.goto(`${BASE_URL}/`);
  await page.getByLabel('Search groups').fill('HIKES');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForLoadState('load');
  check(new URL(page.url()).searchParams.get('q') === 'HIKES', `the search went to ${page.url()}`);
  await expectVisible(page.getByRole('link', { name: TITLE }), 'the group in the search results');
  await expectVisible(page.getByText('0 members'), 'the member count on the home page');
  await screenshot(page, 'public-home');
  await page.getByLabel('Search groups').fill('no such group anywhere');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForLoadState('load');
  check((await page.getByRole('link', { name: TITLE }).count()) === 0, 'a search for nothing still lists the group');
}

/** Both images on the public page load and are served as images for a year. */
async function checkImages(page) {
  for (const selector of ['img.avatar', 'img.banner']) {
    const img = page.locator(selector);
    await expectVisible(img, `the ${selector} image`);
    const loaded = await img.evaluate((el) => el.complete && el.naturalWidth > 0);
    check(loaded, `the ${selector} image did not load`);
    const response = await page.request.get(await img.getAttribute('src'));
    check(response.status() === 200, `the ${selector} image answered ${response.status()}`);
    const headers = response.headers();
    check(headers['content-type'] === 'image/png', `the ${selector} image is ${headers['content-type']}`);
    check(headers['x-content-type-options'] === 'nosniff', `the ${selector} image lacks nosniff`);
    check(/immutable/.test(headers['cache-control'] ?? ''), `the ${selector} image is not cached for good`);
  }
}

async function approve(page, browser) {
  step('logging in');
  await logIn(page);

  step('the join request under Members');
  await openGroupAdmin(page);
  await page.getByRole('link', { name: 'Members', exact: true }).click();
  const requests = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Join requests' }) });
  await expectVisible(requests, 'the Join requests section');
  const approveButtons = requests.getByRole('button', { name: 'Approve' });
  await expectVisible(approveButtons, 'an Approve button');
  const count = await approveButtons.count();
  check(count === 1, `expected 1 join request, found ${count}`);
  if (MEMBER_HANDLE) await expectVisible(requests.getByText(MEMBER_HANDLE), `${MEMBER_HANDLE} in the request`);
  if (JOIN_ANSWER) await expectVisible(requests.getByText(JOIN_ANSWER), 'the answer in the request');
  await screenshot(page, 'members-request');

  step('approving it');
  const approved = await submit(page, approveButtons.first());
  check(approved.status() < 400, `approving answered ${approved.status()}`);
  await expectVisible(page.getByRole('status'), 'a confirmation of the approval');
  check((await requests.getByRole('button', { name: 'Approve' }).count()) === 0, 'the request is still listed');
  const members = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Members', exact: true }) });
  const table = members.getByRole('table');
  await expectVisible(table, 'the members table');
  for (const column of ['Member', 'Instance', 'Software', 'Joined']) {
    await expectVisible(table.getByRole('columnheader', { name: column }), `the ${column} column`);
  }
  if (MEMBER_HANDLE) await expectVisible(table.getByText(MEMBER_HANDLE), `${MEMBER_HANDLE} among the members`);
  const rows = await table.getByRole('row').count();
  check(rows === 2, `the members table has ${rows - 1} members, not 1`);
  await expectVisible(members.getByLabel('Search members'), 'the Search members field');
  await screenshot(page, 'members');

  step('the public group page counts the member and shows the rules');
  await page.goto(`${BASE_URL}/groups/${GROUP}`);
  await expectText(page.locator('.members'), '1 member', 'the member count');
  check(!(await page.locator('.members').innerText()).includes('members'), 'the member count is not singular');
  const rules = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Rules' }) }).locator('ol > li');
  const ruleCount = await rules.count();
  check(ruleCount === RULES.length, `the public page lists ${ruleCount} rules, not ${RULES.length}`);
  for (const [i, rule] of RULES.entries()) {
    await expectText(rules.nth(i).locator('strong'), rule.name, `rule ${i + 1}`);
  }
  await expectVisible(rules.nth(0).locator('em', { hasText: 'no pile-ons' }), 'the rule text as Markdown');
  const moderators = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Moderators' }) });
  await expectVisible(moderators, 'the Moderators section');
  await screenshot(page, 'public-group');

  step('the public home page');
  await page.goto(`${BASE_URL}/`);
  await expectVisible(page.getByRole('link', { name: TITLE }), 'the group on the home page');
  await expectVisible(page.getByText('1 member', { exact: true }), 'the member count on the home page');
  await screenshot(page, 'public-home');

  step('the public group page at phone width');
  const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const small = await phone.newPage();
  await small.goto(`${BASE_URL}/groups/${GROUP}`);
  await expectVisible(small.getByRole('heading', { level: 1, name: TITLE }), 'the group title on a phone');
  const overflow = await small.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  check(overflow <= 0, `the group page is ${overflow}px wider than a phone screen`);
  await screenshot(small, 'public-group-phone');
  await phone.close();

  step('logging out');
  await page.goto(`${BASE_URL}/admin`);
  await submit(page, page.getByRole('button', { name: 'Log out' }));
  await expectVisible(page.getByRole('button', { name: 'Log in' }), 'the login form after logging out');
}

async function moderate(page) {
  step('logging in');
  await logIn(page);

  step('the report under Reports');
  await openGroupAdmin(page);
  await page.getByRole('link', { name: /^Reports/ }).click();
  await expectVisible(page.getByRole('heading', { name: 'Reports' }), 'the Reports heading');
  const cases = page.getByRole('link', { name: /^Case \d+/ });
  const count = await cases.count();
  check(count === 1, `expected 1 open case, found ${count}`);
  await screenshot(page, 'reports');

  step('the case shows the post and the report');
  await cases.first().click();
  await expectVisible(page.getByRole('heading', { name: 'What was reported' }), 'the reported post section');
  if (REPORTED_TITLE) await expectVisible(page.getByText(REPORTED_TITLE).first(), 'the reported post');
  if (REPORT_REASON) await expectVisible(page.getByText(REPORT_REASON), 'the reporter\'s reason');
  await screenshot(page, 'case');

  step('resolving it: remove the post, ban the author for a week, citing a rule');
  await page.getByLabel('Resolved: handled').check();
  await page.getByLabel('Remove the post').check();
  await page.getByLabel('Ban the author from the group').check();
  await page.getByLabel('Ban for how many days').fill('7');
  await page.getByLabel('Rule broken').selectOption({ label: RULES[1].name });
  await page.getByLabel('Reason', { exact: true }).fill('Selling, not hiking');
  const closed = await submit(page, page.getByRole('button', { name: 'Close the case' }));
  check(closed.status() < 400, `closing the case answered ${closed.status()}`);
  await expectVisible(page.getByRole('status'), 'a confirmation of the decision');
  await screenshot(page, 'case-resolved');

  step('the public moderation log tells what was done and why');
  await page.goto(`${BASE_URL}/groups/${GROUP}/modlog`);
  const log = page.getByRole('table');
  await expectVisible(log, 'the modlog table');
  await expectVisible(log.getByText('Selling, not hiking').first(), 'the reason in the modlog');
  await expectVisible(log.getByText(RULES[1].name).first(), 'the rule in the modlog');
  await screenshot(page, 'public-modlog');

  step('the group\'s insights: numbers, charts and their tables');
  await page.goto(`${BASE_URL}/admin/groups/${GROUP}/insights`);
  await expectVisible(page.getByRole('heading', { name: /^Insights from/ }), 'the Insights heading');
  await expectVisible(page.locator('svg.chart').first(), 'a chart');
  check((await page.locator('section.insight').count()) >= 5, 'fewer than 5 insight sections');
  await screenshot(page, 'insights');
  await page.screenshot({ path: join(SCREENSHOTS, 'insights-top.png') });
}

/** Fills the event form's fields named in `fields` (keys of EVENT_LABELS). */
async function fillEvent(page, fields) {
  for (const [key, value] of Object.entries(fields)) {
    await page.getByLabel(EVENT_LABELS[key], { exact: true }).fill(value);
  }
}

/** The event's .ics file, unfolded (RFC 5545 folds long lines). */
async function eventCalendar(page, link) {
  const response = await page.request.get(new URL(await link.getAttribute('href'), page.url()).href);
  check(response.status() === 200, `the .ics link answered ${response.status()}`);
  const type = response.headers()['content-type'] ?? '';
  check(type.startsWith('text/calendar'), `the .ics link is ${type}, not text/calendar`);
  return (await response.text()).replace(/\r?\n[ \t]/g, '');
}

async function events(page) {
  step('logging in');
  await logIn(page);

  step('an event that ends before it starts is refused');
  await openGroupAdmin(page);
  await page.getByRole('link', { name: 'Events', exact: true }).click();
  await expectVisible(page.getByRole('heading', { name: 'Create an event' }), 'the Create an event heading');
  await fillEvent(page, { ...EVENT, end: '2030-06-08 08:00' });
  const create = page.getByRole('button', { name: 'Create and send to followers' });
  const refused = await submit(page, create);
  check(refused.status() === 422, `an event ending before it starts answered ${refused.status()}, not 422`);
  await expectText(page.getByRole('alert'), 'before it starts', 'the error notice');
  const kept = await page.getByLabel('Title', { exact: true }).inputValue();
  check(kept === EVENT.title, `the refused form reads "${kept}", not "${EVENT.title}"`);
  await screenshot(page, 'event-refused');

  step('creating it');
  await page.getByLabel('Ends', { exact: true }).fill(EVENT.end);
  const created = await submit(page, create);
  check(created.status() < 400, `creating the event answered ${created.status()}`);
  await expectText(page.getByRole('status'), 'Created', 'the confirmation');
  const panel = page.locator('section.panel').filter({ has: page.getByRole('heading', { name: EVENT.title }) });
  await expectText(panel, `0 going of ${EVENT.places}`, 'the new event on the events page');
  await screenshot(page, 'events');

  step('editing it: an unknown time zone is refused, then the new time is saved');
  await panel.getByRole('link', { name: /^Edit or cancel/ }).click();
  await expectVisible(page.getByRole('heading', { name: 'Edit', exact: true }), 'the Edit heading');
  const shown = await page.getByLabel('Starts', { exact: true }).inputValue();
  check(shown === EVENT.start, `the edit form starts at "${shown}", not at "${EVENT.start}"`);
  await fillEvent(page, { ...MOVED, timezone: 'Europe/Lakeland' });
  const save = page.getByRole('button', { name: 'Save and send to followers' });
  const badZone = await submit(page, save);
  check(badZone.status() === 422, `an unknown time zone answered ${badZone.status()}, not 422`);
  await expectText(page.getByRole('alert'), 'time zone "Europe/Lakeland"', 'the error notice');
  await screenshot(page, 'event-edit-refused');
  await page.getByLabel('Time zone', { exact: true }).fill(EVENT.timezone);
  const saved = await submit(page, save);
  check(saved.status() < 400, `saving the event answered ${saved.status()}`);
  await expectText(page.getByRole('status'), 'Saved', 'the confirmation');
  const title = await page.getByLabel('Title', { exact: true }).inputValue();
  check(title === MOVED.title, `the saved event is called "${title}", not "${MOVED.title}"`);
  await screenshot(page, 'event-edited');

  step('the public events page and the event page');
  await page.goto(`${BASE_URL}/groups/${GROUP}/events`);
  const listed = page.getByRole('link', { name: MOVED.title });
  await expectVisible(listed, 'the edited event on the public events page');
  await screenshot(page, 'public-events');
  await listed.click();
  await page.waitForLoadState('load');
  const publicUrl = page.url();
  await expectVisible(page.getByRole('heading', { level: 1, name: MOVED.title }), 'the event page heading');
  await expectText(page.locator('article.event'), '9 Jun 2030, 09:30', 'the new start time');
  await expectText(page.locator('.description strong'), 'car park', 'the Markdown description');
  await screenshot(page, 'public-event');

  step('its calendar file');
  const ics = page.getByRole('link', { name: 'Add to calendar (.ics)' });
  const calendar = await eventCalendar(page, ics);
  check(calendar.includes(`SUMMARY:${MOVED.title}`), `the .ics file lacks the new title:\n${calendar}`);
  check(calendar.includes('DTSTART;TZID=Europe/London:20300609T093000'), `the .ics file lacks the new start:\n${calendar}`);
  check(calendar.includes('SEQUENCE:1') && calendar.includes('STATUS:CONFIRMED'), `the .ics file is not revision 1:\n${calendar}`);

  step('cancelling it, once confirmed');
  await page.goto(`${BASE_URL}/admin/groups/${GROUP}/events`);
  const moved = page.locator('section.panel').filter({ has: page.getByRole('heading', { name: MOVED.title }) });
  await moved.getByRole('link', { name: /^Edit or cancel/ }).click();
  const confirm = page.getByLabel('Yes, cancel this event');
  await expectVisible(confirm, 'the confirmation box');
  check(await confirm.evaluate((box) => box.validity.valueMissing), 'cancelling does not need the box ticked');
  await confirm.check();
  await screenshot(page, 'event-cancel');
  const cancelled = await submit(page, page.getByRole('button', { name: 'Cancel event' }));
  check(cancelled.status() < 400, `cancelling the event answered ${cancelled.status()}`);
  await expectText(page.getByRole('status'), 'Cancelled', 'the confirmation');
  await expectText(moved.locator('.badge'), 'Cancelled', 'the Cancelled badge');
  await screenshot(page, 'event-cancelled');

  step('the public event page and its calendar file say it is cancelled');
  await page.goto(publicUrl);
  await expectText(page.getByRole('note'), 'This event was cancelled.', 'the cancellation notice');
  const after = await eventCalendar(page, page.getByRole('link', { name: 'Add to calendar (.ics)' }));
  check(after.includes('STATUS:CANCELLED') && after.includes('SEQUENCE:2'), `the .ics file is not cancelled:\n${after}`);
  await screenshot(page, 'public-event-cancelled');
}

const steps = { setup, approve, events, moderate };

async function main() {
  const wanted = process.argv.slice(2);
  if (wanted.length === 0 || wanted.some((s) => !(s in steps))) {
    console.error(`usage: node flows.mjs STEP…   (steps: ${Object.keys(steps).join(', ')})`);
    process.exit(2);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  let failed = false;
  try {
    for (const name of wanted) {
      currentStep = name;
      shot = 0;
      console.log(`Step ${name} on ${BASE_URL}`);
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      context.setDefaultTimeout(15_000);
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (err) => problems.push(`script error: ${err.message}`));
      page.on('response', (r) => {
        if (r.status() >= 500) problems.push(`${r.request().method()} ${r.url()} answered ${r.status()}`);
      });
      try {
        await steps[name](page, browser);
        check(problems.length === 0, `the pages had problems:\n  ${problems.join('\n  ')}`);
        console.log(`Step ${name} passed`);
      } catch (err) {
        failed = true;
        console.error(`Step ${name} FAILED at ${page.url()}:\n  ${err instanceof CheckFailed ? err.message : err.stack}`);
        await page
          .screenshot({ path: join(SCREENSHOTS, `${name}-failure.png`), fullPage: true })
          .then(() => console.error(`  screenshot of the failure: ${join(SCREENSHOTS, `${name}-failure.png`)}`))
          .catch(() => {});
        break;
      } finally {
        await context.close();
      }
    }
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
}

await main();
