//! The simulated fediverse around Hearth: test peers, their Person actors, signed requests,
//! follows, posts, and waiting until Hearth has caught up.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use bytes::Bytes;
use futures::{stream, StreamExt, TryStreamExt};
use hearth_storage::Store;
use hearth_test_peer::{Peer, PeerConfig};
use indicatif::ProgressBar;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};
use url::Url;

use crate::hearth_process::HearthProcess;

/// NodeInfo software of every peer: Lemmy gets exactly one `Announce` per post.
pub const SOFTWARE: &str = "lemmy";

/// Follows sent at once while setting up.
const SETUP_CONCURRENCY: usize = 16;

/// A Person on a peer.
#[derive(Clone, Debug)]
pub struct Person {
    /// The peer (instance) it lives on.
    pub peer: Peer,
    /// Its actor id.
    pub id: Url,
}

/// A POST ready to send: signed headers and body.
#[derive(Clone, Debug)]
pub struct SignedPost {
    /// `host`, `date`, `digest`, `content-type`, `signature`.
    pub headers: HeaderMap,
    /// The activity.
    pub body: Bytes,
    /// The activity's id.
    pub id: String,
}

/// Starts a peer on 127.0.0.1 with its own port, presenting itself as [`SOFTWARE`].
pub async fn start_peer() -> anyhow::Result<Peer> {
    Peer::start(PeerConfig {
        software: SOFTWARE.to_owned(),
        ..PeerConfig::default()
    })
    .await
}

/// An HTTP client for sending to Hearth with up to `connections` connections at once.
pub fn client(connections: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .http1_only()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(60))
        .build()?)
}

/// Signs `activity` as `author` for `inbox` (off the async runtime: RSA is CPU-bound).
pub async fn sign(author: &Person, inbox: &Url, activity: &Value) -> anyhow::Result<SignedPost> {
    let (author, inbox, activity) = (author.clone(), inbox.clone(), activity.clone());
    tokio::task::spawn_blocking(move || sign_now(&author, &inbox, &activity)).await?
}

/// Signs `activity` as `author` for `inbox` on this thread.
pub fn sign_now(author: &Person, inbox: &Url, activity: &Value) -> anyhow::Result<SignedPost> {
    let body = serde_json::to_vec(activity)?;
    let mut headers = HeaderMap::new();
    for (name, value) in author.peer.sign_request(&author.id, inbox, &body)? {
        headers.insert(
            HeaderName::from_bytes(name.as_bytes())?,
            HeaderValue::from_str(&value)?,
        );
    }
    Ok(SignedPost {
        headers,
        body: Bytes::from(body),
        id: activity["id"].as_str().unwrap_or_default().to_owned(),
    })
}

/// What Hearth answered to one POST.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// `status` of the JSON body (`accepted`, `duplicate`, `ignored`), or the body of a refusal.
    pub outcome: String,
}

impl Answer {
    /// Whether Hearth processed the activity (202 and `"status": "accepted"`).
    pub fn processed(&self) -> bool {
        self.status == 202 && self.outcome == "accepted"
    }
}

/// POSTs a signed activity to `inbox`.
pub async fn send(
    client: &reqwest::Client,
    inbox: &Url,
    post: &SignedPost,
) -> anyhow::Result<Answer> {
    let response = client
        .post(inbox.clone())
        .headers(post.headers.clone())
        .body(post.body.clone())
        .send()
        .await?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let outcome = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_owned))
        .unwrap_or_else(|| text.chars().take(200).collect());
    Ok(Answer { status, outcome })
}

/// Makes every person follow `group` (on `hearth`), then waits until Hearth counts them all
/// as followers, has delivered its `Accept`s and knows every instance's software.
pub async fn follow_all(
    hearth: &HearthProcess,
    store: &Store,
    group: &str,
    persons: &[Person],
    progress: &ProgressBar,
) -> anyhow::Result<()> {
    let client = client(SETUP_CONCURRENCY)?;
    let (group_id, inbox) = (hearth.group(group), hearth.group_inbox(group));
    progress.set_length(persons.len() as u64);
    progress.set_position(0);
    stream::iter(persons)
        .map(|person| {
            let (client, group_id, inbox) = (&client, &group_id, &inbox);
            async move {
                let follow = json!({
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": person.peer.new_id("follow"),
                    "type": "Follow",
                    "actor": person.id,
                    "object": group_id,
                });
                let post = sign(person, inbox, &follow).await?;
                let answer = send(client, inbox, &post).await?;
                if !answer.processed() {
                    bail!(
                        "{} could not follow: {} {}",
                        person.id,
                        answer.status,
                        answer.outcome
                    );
                }
                progress.inc(1);
                Ok(())
            }
        })
        .buffer_unordered(SETUP_CONCURRENCY)
        .try_collect::<()>()
        .await?;

    let expected = persons.len() as i64;
    wait_until(
        "every follow to be accepted",
        Duration::from_secs(120),
        || async { Ok(hearth.follower_count(group).await? >= expected) },
    )
    .await?;
    let mut hosts: Vec<String> = persons.iter().map(|p| p.peer.host()).collect();
    hosts.sort();
    hosts.dedup();
    wait_until(
        "Hearth to learn every instance's software",
        Duration::from_secs(60),
        || async {
            for host in &hosts {
                match store.instance(host).await? {
                    Some(instance) if instance.software.is_some() => {}
                    _ => return Ok(false),
                }
            }
            Ok(true)
        },
    )
    .await?;
    wait_queue_empty(store, Duration::from_secs(120)).await?;
    Ok(())
}

/// Waits until Hearth's delivery queue holds no waiting job; fails on given-up (dead) jobs.
pub async fn wait_queue_empty(store: &Store, timeout: Duration) -> anyhow::Result<()> {
    wait_until("the delivery queue to drain", timeout, || async {
        let stats = store.queue_stats().await?;
        if stats.dead > 0 {
            bail!("{} deliveries were given up", stats.dead);
        }
        Ok(stats.queued == 0)
    })
    .await
}

/// Polls `check` every 20 ms until it holds.
pub async fn wait_until<F, Fut>(what: &str, timeout: Duration, mut check: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check()
            .await
            .with_context(|| format!("waiting for {what}"))?
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Filler text, so that a post's body is about 2 KiB like a real one.
const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod \
    tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud \
    exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor \
    in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur \
    sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est \
    laborum.";

/// A public Mastodon-style thread by `author` mentioning `group`, wrapped in a `Create`.
pub fn new_thread(author: &Person, group: &Url, group_handle: &str, n: usize) -> Value {
    let note_id = author.peer.new_id("note").to_string();
    let actor = author.id.as_str();
    let published = rfc3339_ms(hearth_storage::now_ms());
    let note = json!({
        "id": note_id,
        "type": "Note",
        "attributedTo": actor,
        "content": format!(
            "<p><span class=\"h-card\"><a href=\"{group}\" class=\"u-url mention\">@<span>{group_handle}</span></a></span> \
             Benchmark thread number {n}</p><p>{LOREM}</p><p>{LOREM}</p><p>{LOREM}</p>"
        ),
        "published": published,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers"), group.as_str()],
        "tag": [{"type": "Mention", "href": group.as_str(), "name": format!("@{group_handle}")}],
    });
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "actor": actor,
        "published": published,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{actor}/followers"), group.as_str()],
        "object": note,
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a time in ms since the epoch.
fn rfc3339_ms(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The group's `@name@host` handle.
pub fn handle(hearth: &HearthProcess, group: &str) -> String {
    let base = hearth.url("/");
    format!(
        "{group}@{}:{}",
        base.host_str().unwrap_or("127.0.0.1"),
        base.port().unwrap_or(80)
    )
}
