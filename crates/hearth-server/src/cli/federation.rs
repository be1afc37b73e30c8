//! `hearth federation …`: which instances Hearth federates with. Every change is logged in
//! the modlog and reaches every running Hearth process within a second or two.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::policy::ManualRule;
use hearth_federation::subscriptions::{self, SubscriptionError, SubscriptionReport};
use hearth_federation::Federation;
use hearth_moderation::blocklists::{detect_format, parse_list, write_list, ListEntry, ListFormat};
use hearth_moderation::instances::normalize_domain;
use hearth_moderation::subscriptions::describe;
use hearth_moderation::transparency::{Visibility, VISIBILITY_SETTING};
use hearth_moderation::{FederationMode, Severity};
use hearth_storage::{DomainChange, DomainPolicy};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Config;
use crate::moderation::modlog::{Reasons, REASONS_SETTING};

/// Federation policy commands.
#[derive(Subcommand, Debug)]
pub enum FederationCommand {
    /// Limit or cut off an instance (and, unless it is `*.`-prefixed, its subdomains).
    Block {
        /// Host name or IP, e.g. spam.example or *.spam.example.
        domain: String,
        /// suspend: refuse everything and drop its follows; silence: refuse its posts; noop: only the flags.
        #[arg(long, default_value = "suspend", value_parser = parse_severity)]
        severity: Severity,
        /// Public reason.
        #[arg(long, default_value = "")]
        reason: String,
        /// Reason for staff only.
        #[arg(long, default_value = "")]
        private_reason: String,
        /// Drop media attachments from it.
        #[arg(long)]
        reject_media: bool,
        /// Ignore reports from it.
        #[arg(long)]
        reject_reports: bool,
        /// Lift the block automatically after this long, e.g. 30d, 12h.
        #[arg(long, value_parser = parse_duration)]
        expires: Option<i64>,
    },
    /// Remove the rule for a domain. Removed follows are not restored: people can follow again.
    Unblock {
        /// Host name or IP.
        domain: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Allow a domain: needed in allowlist mode, and overrides blocks from subscribed lists.
    Allow {
        /// Host name or IP.
        domain: String,
        /// Why.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// List every domain rule.
    List,
    /// Import a shared blocklist (Mastodon CSV, Mastodon/GoToSocial JSON, or one domain per line).
    Import {
        /// The list file.
        file: PathBuf,
        /// csv, json or plain (default: guessed from the content).
        #[arg(long, value_parser = parse_format)]
        format: Option<ListFormat>,
        /// Print what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Why (logged).
        #[arg(long, default_value = "imported list")]
        reason: String,
    },
    /// Write the rules as a list others can import.
    Export {
        /// csv (Mastodon), json or plain.
        #[arg(long, default_value = "csv", value_parser = parse_format)]
        format: ListFormat,
    },
    /// Subscribe to a shared blocklist at a URL (Mastodon CSV, Mastodon/GoToSocial JSON, or one
    /// domain per line): it is fetched now and then, and its entries are kept as rules.
    Subscribe {
        /// Where the list is published (https://…).
        url: String,
        /// Between lists listing the same domain, the higher priority wins (ties: the older list).
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        priority: i64,
        /// Fetch and store the list, but apply nothing until `hearth federation activate ID`.
        #[arg(long)]
        draft: bool,
        /// Never apply this domain (nor its subdomains) from the list; may be repeated.
        #[arg(long = "exclude", value_name = "DOMAIN")]
        excludes: Vec<String>,
        /// How often to fetch it, e.g. 6h, 1d (at least 10m).
        #[arg(long, default_value = "6h", value_parser = parse_duration)]
        every: i64,
    },
    /// List the blocklist subscriptions: state, priority, entries, last success and last error.
    Subscriptions,
    /// Fetch subscribed lists now and print the changes applied.
    Refresh {
        /// The subscription (see: hearth federation subscriptions).
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<i64>,
        /// Every subscription.
        #[arg(long)]
        all: bool,
    },
    /// Let a draft subscription take effect, and print what it applies.
    Activate {
        /// The subscription.
        id: i64,
    },
    /// Unsubscribe: lift every rule only this list held (rules another list holds stay).
    Unsubscribe {
        /// The subscription.
        id: i64,
    },
    /// Show or set the federation mode: open (everyone but the blocked) or allowlist.
    Mode {
        /// open or allowlist; omit to show the current mode.
        #[arg(value_parser = parse_mode)]
        mode: Option<FederationMode>,
    },
    /// Show or set what visitors see of the domain rules on /about and in NodeInfo: hidden,
    /// obfuscated (domains partly masked) or public. Only public reasons are ever shown.
    Publish {
        /// hidden, obfuscated or public; omit to show the current setting.
        #[arg(value_parser = |s: &str| s.parse::<Visibility>())]
        visibility: Option<Visibility>,
    },
    /// Show or set whether the public modlog (group pages, /modlog, the API) says why
    /// moderators acted: public, or hidden (only the group's staff read reasons).
    ModlogReasons {
        /// public or hidden; omit to show the current setting.
        #[arg(value_parser = |s: &str| s.parse::<Reasons>())]
        reasons: Option<Reasons>,
    },
    /// Ignore every report from an actor who abuses reports (or, with --heed, take them
    /// again); without ACTOR, list the ignored reporters.
    IgnoreReporter {
        /// The reporter's actor id (Mastodon and GoToSocial report as the instance actor).
        actor: Option<String>,
        /// Why, for the modlog.
        #[arg(long, default_value = "")]
        reason: String,
        /// Take this reporter's reports again.
        #[arg(long)]
        heed: bool,
    },
    /// Delivery health of every known instance: software, last success, failures, queue.
    Health,
    /// Show the latest modlog lines.
    Log {
        /// How many lines.
        #[arg(long, default_value_t = 30)]
        limit: i64,
    },
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}
fn parse_format(s: &str) -> Result<ListFormat, String> {
    s.parse()
}
fn parse_mode(s: &str) -> Result<FederationMode, String> {
    s.parse()
}

/// `30d`, `12h`, `45m` as milliseconds.
fn parse_duration(s: &str) -> Result<i64, String> {
    let (number, unit) = s.split_at(s.trim_end_matches(|c: char| c.is_ascii_alphabetic()).len());
    let n: i64 = number
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30d or 12h"))?;
    let unit_ms = match unit {
        "d" => 86_400_000,
        "h" => 3_600_000,
        "m" => 60_000,
        _ => return Err(format!("{s:?}: use d, h or m")),
    };
    if n <= 0 {
        return Err("a duration must be positive".into());
    }
    Ok(n * unit_ms)
}

/// Who the command line acts as, for the modlog: `cli:$USER`.
pub(super) fn operator() -> String {
    format!(
        "cli:{}",
        std::env::var("USER").unwrap_or_else(|_| "admin".into())
    )
}

/// `hearth federation ignore-reporter`.
async fn ignore_reporter(
    fed: &Federation,
    actor: Option<String>,
    reason: &str,
    heed: bool,
) -> anyhow::Result<()> {
    let store = fed.store();
    let Some(actor) = actor else {
        let ignored = store.ignored_reporters().await?;
        if ignored.is_empty() {
            println!("Reports from everyone are taken.");
            return Ok(());
        }
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(vec!["reporter", "since", "by", "reason"]);
        for r in ignored {
            table.add_row(vec![
                r.ap_id,
                super::group::date(r.created_at),
                r.created_by,
                r.reason,
            ]);
        }
        println!("{table}");
        return Ok(());
    };
    let url = url::Url::parse(actor.trim()).context("the reporter must be an actor URL")?;
    let known = fed
        .resolve_actor(&url, hearth_federation::actors::Refresh::IfStale)
        .await
        .with_context(|| format!("cannot fetch {actor}"))?;
    let changed = store
        .set_ignored_reporter(known.id, &known.ap_id, !heed, &operator(), reason)
        .await?;
    match (heed, changed) {
        (false, true) => println!("Reports from {} are now ignored.", known.ap_id),
        (false, false) => println!("Reports from {} were already ignored.", known.ap_id),
        (true, true) => println!("Reports from {} are taken again.", known.ap_id),
        (true, false) => println!("Reports from {} were not ignored.", known.ap_id),
    }
    Ok(())
}

fn rule(
    domain: String,
    severity: Severity,
    public: String,
    private: String,
    media: bool,
    reports: bool,
    expires: Option<i64>,
) -> DomainPolicy {
    ManualRule {
        domain,
        severity,
        public_comment: public,
        private_comment: private,
        reject_media: media,
        reject_reports: reports,
        expires_in_ms: expires,
    }
    .into_policy(&operator())
}

fn checked_domain(fed: &Federation, input: &str) -> anyhow::Result<String> {
    fed.rule_domain(input).map_err(anyhow::Error::msg)
}

/// Runs a federation subcommand.
pub async fn run(config: Config, command: FederationCommand) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let fed = Federation::new(store.clone(), config.federation()?).await?;
    let result = match command {
        FederationCommand::Block {
            domain,
            severity,
            reason,
            private_reason,
            reject_media,
            reject_reports,
            expires,
        } => {
            let domain = checked_domain(&fed, &domain)?;
            if severity == Severity::Allow {
                bail!("use `hearth federation allow {domain}` to allow a domain");
            }
            let change = DomainChange::Set(rule(
                domain.clone(),
                severity,
                reason.clone(),
                private_reason,
                reject_media,
                reject_reports,
                expires,
            ));
            let (_, follows, jobs) = fed
                .change_domain_rules(&[change], &operator(), &reason)
                .await?;
            println!("{domain}: {severity}. Removed {follows} follow(s), cancelled {jobs} queued deliver(y/ies).");
            Ok(())
        }
        FederationCommand::Unblock { domain, reason } => {
            let domain = normalize_domain(&domain).map_err(anyhow::Error::msg)?;
            let (changed, _, _) = fed
                .change_domain_rules(
                    &[DomainChange::Remove(domain.clone())],
                    &operator(),
                    &reason,
                )
                .await?;
            if changed == 0 {
                bail!("there is no rule for {domain} (see: hearth federation list)");
            }
            println!("{domain}: rule removed. Its members can follow again; removed follows are not restored.");
            // A subscribed list may still list the domain: its entry now applies.
            let report = fed.reconcile_subscriptions(&operator()).await?;
            if !report.applied.is_empty() {
                println!("A subscribed list still lists it (use `hearth federation allow {domain}` to override):");
                print_report(&report);
            }
            Ok(())
        }
        FederationCommand::Allow { domain, reason } => {
            let domain = checked_domain(&fed, &domain)?;
            let change = DomainChange::Set(rule(
                domain.clone(),
                Severity::Allow,
                reason.clone(),
                String::new(),
                false,
                false,
                None,
            ));
            fed.change_domain_rules(&[change], &operator(), &reason)
                .await?;
            println!("{domain}: allowed.");
            Ok(())
        }
        FederationCommand::List => list(&fed).await,
        FederationCommand::Import {
            file,
            format,
            dry_run,
            reason,
        } => import(&fed, &file, format, dry_run, &reason).await,
        FederationCommand::Export { format } => {
            let entries: Vec<ListEntry> = store
                .domain_policies()
                .await?
                .into_iter()
                .filter_map(|p| {
                    Some(ListEntry {
                        severity: p.severity.parse().ok()?,
                        domain: p.domain,
                        reject_media: p.reject_media,
                        reject_reports: p.reject_reports,
                        public_comment: p.public_comment,
                        obfuscate: false,
                    })
                })
                .collect();
            print!("{}", write_list(&entries, format));
            Ok(())
        }
        FederationCommand::Subscribe {
            url,
            priority,
            draft,
            excludes,
            every,
        } => subscribe(&fed, url, priority, draft, excludes, every).await,
        FederationCommand::Subscriptions => subscriptions(&fed).await,
        FederationCommand::Refresh { id, all } => refresh(&fed, id, all).await,
        FederationCommand::Activate { id } => {
            let report = fed.activate_subscription(id).await?;
            println!("Subscription {id} is active.");
            print_report(&report);
            Ok(())
        }
        FederationCommand::Unsubscribe { id } => {
            let report = fed.unsubscribe(id).await?;
            println!("Unsubscribed from subscription {id}.");
            print_report(&report);
            Ok(())
        }
        FederationCommand::Mode { mode } => match mode {
            None => {
                println!("{}", fed.policy().mode().as_str());
                Ok(())
            }
            Some(mode) => {
                store
                    .set_setting(
                        hearth_federation::policy::MODE_SETTING,
                        mode.as_str(),
                        &operator(),
                        "",
                    )
                    .await?;
                let (follows, jobs) = fed.enforce_policy().await?;
                println!("Federation mode: {}. Removed {follows} follow(s), cancelled {jobs} queued deliver(y/ies).", mode.as_str());
                Ok(())
            }
        },
        FederationCommand::Publish { visibility } => match visibility {
            None => {
                let current: Visibility = store
                    .setting(VISIBILITY_SETTING)
                    .await?
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_default();
                println!("{current}");
                Ok(())
            }
            Some(visibility) => {
                store
                    .set_setting(VISIBILITY_SETTING, visibility.as_str(), &operator(), "")
                    .await?;
                println!("The list of moderated servers is now {visibility} (see /about).");
                Ok(())
            }
        },
        FederationCommand::ModlogReasons { reasons } => match reasons {
            None => {
                println!("{}", Reasons::of(&store).await?);
                Ok(())
            }
            Some(reasons) => {
                store
                    .set_setting(REASONS_SETTING, reasons.as_str(), &operator(), "")
                    .await?;
                println!("Reasons in the public modlog are now {reasons}.");
                Ok(())
            }
        },
        FederationCommand::IgnoreReporter {
            actor,
            reason,
            heed,
        } => ignore_reporter(&fed, actor, &reason, heed).await,
        FederationCommand::Health => health(&fed).await,
        FederationCommand::Log { limit } => {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(vec!["when", "who", "action", "target", "reason"]);
            for e in store.modlog(limit).await? {
                table.add_row(vec![
                    super::group::date(e.at),
                    e.actor,
                    e.action,
                    e.target,
                    e.reason,
                ]);
            }
            println!("{table}");
            Ok(())
        }
    };
    store.close().await;
    result
}

async fn health(fed: &Federation) -> anyhow::Result<()> {
    let now = hearth_storage::now_ms();
    let rows = fed.store().instance_health().await?;
    if rows.is_empty() {
        println!("No instances known yet.");
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "instance",
        "software",
        "policy",
        "last delivery",
        "failures",
        "queued",
        "oldest queued",
        "delivered",
    ]);
    for r in rows {
        let policy = match fed.judge_host(&r.host) {
            hearth_moderation::Verdict::Refuse(_) => "refused",
            hearth_moderation::Verdict::Federate { silenced: true, .. } => "silenced",
            hearth_moderation::Verdict::Federate { .. } => "ok",
        };
        let status = match r.unreachable_since {
            Some(_) => format!("{} (unreachable)", r.consecutive_failures),
            None => r.consecutive_failures.to_string(),
        };
        table.add_row(vec![
            r.host,
            r.software.unwrap_or_else(|| "?".into()),
            policy.to_owned(),
            r.last_success_at
                .map(super::group::date)
                .unwrap_or_else(|| "never".into()),
            status,
            r.queued.to_string(),
            r.oldest_queued_at
                .map(|t| format!("{} s ago", (now - t) / 1000))
                .unwrap_or_default(),
            r.delivered_count.to_string(),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn list(fed: &Federation) -> anyhow::Result<()> {
    let rules = fed.store().domain_policies().await?;
    println!("Federation mode: {}", fed.policy().mode().as_str());
    if rules.is_empty() {
        println!("No domain rules.");
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "domain",
        "severity",
        "flags",
        "public reason",
        "source",
        "expires",
    ]);
    for r in rules {
        let mut flags = Vec::new();
        if r.reject_media {
            flags.push("reject media");
        }
        if r.reject_reports {
            flags.push("reject reports");
        }
        table.add_row(vec![
            r.domain,
            r.severity,
            flags.join(", "),
            r.public_comment,
            r.source,
            r.expires_at.map(super::group::date).unwrap_or_default(),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn import(
    fed: &Federation,
    file: &PathBuf,
    format: Option<ListFormat>,
    dry_run: bool,
    reason: &str,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let format = format.unwrap_or_else(|| detect_format(&text));
    let entries = parse_list(&text, format)
        .with_context(|| format!("{} was not imported", file.display()))?;
    let own = hearth_moderation::instances::hostname_of(&fed.urls().authority());
    if entries.iter().any(|e| e.domain == own) {
        bail!(
            "{} lists this server's own domain {own}; nothing was imported",
            file.display()
        );
    }
    let existing: std::collections::HashMap<String, DomainPolicy> = fed
        .store()
        .domain_policies()
        .await?
        .into_iter()
        .map(|p| (p.domain.clone(), p))
        .collect();
    let mut changes = Vec::new();
    let (mut added, mut changed, mut same) = (0, 0, 0);
    for e in &entries {
        let new = rule(
            e.domain.clone(),
            e.severity,
            e.public_comment.clone(),
            String::new(),
            e.reject_media,
            e.reject_reports,
            None,
        );
        match existing.get(&e.domain) {
            None => {
                added += 1;
                println!("+ {} {}", e.domain, e.severity);
            }
            Some(old)
                if old.severity == new.severity
                    && old.reject_media == new.reject_media
                    && old.reject_reports == new.reject_reports
                    && old.public_comment == new.public_comment =>
            {
                same += 1;
                continue;
            }
            Some(old) => {
                changed += 1;
                println!("~ {} {} -> {}", e.domain, old.severity, e.severity);
            }
        }
        changes.push(DomainChange::Set(new));
    }
    println!(
        "{added} to add, {changed} to change, {same} unchanged ({} entries read as {format:?}).",
        entries.len()
    );
    if dry_run {
        println!("Dry run: nothing was changed.");
        return Ok(());
    }
    let bar = ProgressBar::new(changes.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rules")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(0);
    let (count, follows, jobs) = fed
        .change_domain_rules(&changes, &super::federation::operator(), reason)
        .await?;
    bar.set_position(changes.len() as u64);
    bar.finish_and_clear();
    println!("Imported {count} rule(s) in one transaction. Removed {follows} follow(s), cancelled {jobs} queued deliver(y/ies).");
    Ok(())
}

/// Prints the rule changes a subscription command applied, and their side effects.
fn print_report(report: &SubscriptionReport) {
    for (domain, why) in &report.skipped {
        println!("  not applied: {domain}: {why}");
    }
    for change in &report.applied {
        println!("{}", describe(change));
    }
    if report.applied.is_empty() {
        println!("No rule changed.");
    } else {
        println!(
            "{} rule(s) changed in one transaction. Removed {} follow(s), cancelled {} queued deliver(y/ies).",
            report.applied.len(),
            report.follows_removed,
            report.deliveries_cancelled
        );
    }
}

async fn subscribe(
    fed: &Federation,
    url: String,
    priority: i64,
    draft: bool,
    excludes: Vec<String>,
    every: i64,
) -> anyhow::Result<()> {
    let new = subscriptions::checked_subscription(
        &url,
        priority,
        draft,
        &excludes,
        every / 1000,
        &operator(),
    )?;
    let report = fed
        .subscribe_blocklist(new)
        .await
        .with_context(|| format!("not subscribed to {url}"))?;
    let sub = fed
        .store()
        .blocklist_subscription(report.id)
        .await?
        .context("the subscription vanished")?;
    println!(
        "Subscribed to {} as subscription {} ({} entries read as {}).",
        sub.url,
        sub.id,
        report.entries,
        sub.format.as_deref().unwrap_or("?")
    );
    print_report(&report);
    if sub.draft {
        let mut sources = fed.store().policy_sources().await?;
        for s in &mut sources.subscriptions {
            if s.id == sub.id {
                s.draft = false;
            }
        }
        let own = hearth_moderation::instances::hostname_of(&fed.urls().authority());
        let preview =
            hearth_moderation::subscriptions::plan(&sources, &own, hearth_storage::now_ms());
        println!(
            "Draft: nothing applied. `hearth federation activate {}` would apply {} change(s):",
            sub.id,
            preview.len()
        );
        for change in &preview {
            println!("{}", describe(change));
        }
    }
    Ok(())
}

async fn subscriptions(fed: &Federation) -> anyhow::Result<()> {
    let subs = fed.store().blocklist_subscriptions().await?;
    if subs.is_empty() {
        println!("No blocklist subscriptions.");
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "id",
        "url",
        "state",
        "priority",
        "entries",
        "every",
        "excludes",
        "last success",
        "last error",
    ]);
    for s in subs {
        let every = match s.refresh_secs {
            secs if secs % 86_400 == 0 => format!("{}d", secs / 86_400),
            secs if secs % 3_600 == 0 => format!("{}h", secs / 3_600),
            secs => format!("{}m", secs / 60),
        };
        let last_error = match (&s.last_error, s.last_fetch_at) {
            (Some(error), Some(at)) => format!("{}: {error}", super::group::date(at)),
            (Some(error), None) => error.clone(),
            (None, _) => String::new(),
        };
        table.add_row(vec![
            s.id.to_string(),
            s.url.clone(),
            if s.draft { "draft" } else { "active" }.to_owned(),
            s.priority.to_string(),
            s.entries.to_string(),
            every,
            s.exclude_list().join(", "),
            s.last_success_at
                .map(super::group::date)
                .unwrap_or_else(|| "never".into()),
            last_error,
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn refresh(fed: &Federation, id: Option<i64>, all: bool) -> anyhow::Result<()> {
    let ids: Vec<i64> = if all {
        fed.store()
            .blocklist_subscriptions()
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect()
    } else {
        id.into_iter().collect()
    };
    if ids.is_empty() {
        println!("No blocklist subscriptions.");
        return Ok(());
    }
    let mut failed = Vec::new();
    for id in ids {
        match fed.refresh_subscription(id).await {
            Ok(report) => {
                let copy = if report.not_modified {
                    "not modified since the last fetch".to_owned()
                } else {
                    format!("{} entries", report.entries)
                };
                println!("Subscription {id}: refreshed ({copy}).");
                print_report(&report);
            }
            Err(SubscriptionError::List(error)) => {
                println!(
                    "Subscription {id}: refresh failed, the last good copy stays in force: {error}"
                );
                failed.push(id);
            }
            Err(other) => return Err(other.into()),
        }
    }
    if !failed.is_empty() {
        bail!(
            "{} subscription(s) could not be refreshed: {}",
            failed.len(),
            failed
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
