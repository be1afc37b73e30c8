//! `hearth group mod …` and `hearth group modlog`: moderators' actions on a group's posts and
//! people (each federated as the group and written to the modlog), bans, private notes on
//! members, and the group's modlog.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::actions::{apply_action, Action, ActionRequest};
use hearth_federation::Federation;
use hearth_storage::{Group, ModlogFilter, Store};

use super::federation::operator;
use super::group::{date, find};
use crate::moderation::modlog::{present, to_csv, Audience};
use crate::moderation::{days_from_now, parse_time};

/// `hearth group mod …`.
#[derive(Subcommand, Debug)]
pub enum ModCommand {
    /// Remove a post or reply: readers here no longer see it, and the group's followers are
    /// sent a Delete.
    Remove(PostArgs),
    /// Bring back a removed post (the followers are sent an Undo of the removal).
    Restore(PostArgs),
    /// Lock a thread: it takes no new replies. Name any post of the thread.
    Lock(PostArgs),
    /// Unlock a locked thread.
    Unlock(PostArgs),
    /// Pin a thread to the top of the group (its featured collection).
    Pin(PostArgs),
    /// Unpin a pinned thread.
    Unpin(PostArgs),
    /// Ban a person from the group: what they send to it is refused until the ban lifts.
    Ban(BanArgs),
    /// Lift a ban.
    Unban(PersonArgs),
    /// Warn a person: the group sends them a direct message with the reason.
    Warn(WarnArgs),
    /// Add a private note about a member (only the group's staff read notes).
    Note {
        /// The group's name.
        name: String,
        /// The member's actor id, e.g. https://mastodon.example/users/alice
        actor: String,
        /// The note.
        text: String,
    },
    /// Show the private notes about a member.
    Notes {
        /// The group's name.
        name: String,
        /// The member's actor id.
        actor: String,
    },
    /// List the bans in force, newest first.
    Bans {
        /// The group's name.
        name: String,
    },
}

/// The arguments of the actions on a post.
#[derive(Args, Debug)]
pub struct PostArgs {
    /// The group's name.
    name: String,
    /// The post: its id, its web address, or its number on this server.
    post: String,
    /// Why: logged, and sent along where the activity has room for it.
    #[arg(long, default_value = "")]
    reason: String,
    /// The group rule broken: its number in `hearth group rules NAME`.
    #[arg(long, value_name = "N")]
    rule: Option<i64>,
}

/// The arguments of `mod ban`.
#[derive(Args, Debug)]
pub struct BanArgs {
    /// The group's name.
    name: String,
    /// The person's actor id, e.g. https://mastodon.example/users/alice
    actor: String,
    /// Lift the ban by itself after this many days (default: until `mod unban`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    days: Option<i64>,
    /// Lift the ban by itself at this time (RFC 3339, e.g. 2027-01-31T12:00:00Z).
    #[arg(long, value_name = "TIME", conflicts_with = "days", value_parser = parse_time)]
    until: Option<i64>,
    /// Also remove everything they posted in the group.
    #[arg(long)]
    remove_data: bool,
    /// Why: logged, and sent to the person with the ban.
    #[arg(long)]
    reason: String,
    /// The group rule broken: its number in `hearth group rules NAME`.
    #[arg(long, value_name = "N")]
    rule: Option<i64>,
}

/// The arguments of `mod unban`.
#[derive(Args, Debug)]
pub struct PersonArgs {
    /// The group's name.
    name: String,
    /// The person's actor id.
    actor: String,
    /// Why, for the modlog.
    #[arg(long, default_value = "")]
    reason: String,
}

/// The arguments of `mod warn`.
#[derive(Args, Debug)]
pub struct WarnArgs {
    /// The group's name.
    name: String,
    /// The person's actor id.
    actor: String,
    /// What they should change: the text of the message they receive.
    #[arg(long)]
    reason: String,
    /// The group rule broken: its number in `hearth group rules NAME`.
    #[arg(long, value_name = "N")]
    rule: Option<i64>,
}

/// The arguments of `hearth group modlog`.
#[derive(Args, Debug)]
pub struct ModlogArgs {
    /// The group's name.
    name: String,
    /// Only actions starting with this, e.g. `member.` or `post.remove`.
    #[arg(long, value_name = "PREFIX")]
    action: Option<String>,
    /// Most lines shown, newest first.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..))]
    limit: i64,
    /// Write CSV (with a header row) instead of a table.
    #[arg(long)]
    csv: bool,
}

/// The id of the rule numbered `number` in `hearth group rules`, if one is given.
pub(super) async fn rule_by_number(
    store: &Store,
    group: &Group,
    number: Option<i64>,
) -> anyhow::Result<Option<i64>> {
    let Some(number) = number else {
        return Ok(None);
    };
    let rules = store.group_rules(group.id).await?;
    match rules.iter().find(|r| r.position == number) {
        Some(rule) => Ok(Some(rule.id)),
        None => bail!(
            "{} has no rule {number} (see: hearth group rules {})",
            group.name,
            group.name
        ),
    }
}

/// Runs `hearth group mod …`.
pub async fn run(fed: &Federation, command: ModCommand) -> anyhow::Result<()> {
    let store = fed.store();
    let (name, action, reason, rule) = match command {
        ModCommand::Note { name, actor, text } => return note(store, &name, &actor, &text).await,
        ModCommand::Notes { name, actor } => return notes(store, &name, &actor).await,
        ModCommand::Bans { name } => return bans(store, &name).await,
        ModCommand::Remove(a) => (a.name, Action::Remove { post: a.post }, a.reason, a.rule),
        ModCommand::Restore(a) => (a.name, Action::Restore { post: a.post }, a.reason, a.rule),
        ModCommand::Lock(a) => (a.name, Action::Lock { post: a.post }, a.reason, a.rule),
        ModCommand::Unlock(a) => (a.name, Action::Unlock { post: a.post }, a.reason, a.rule),
        ModCommand::Pin(a) => (a.name, Action::Pin { post: a.post }, a.reason, a.rule),
        ModCommand::Unpin(a) => (a.name, Action::Unpin { post: a.post }, a.reason, a.rule),
        ModCommand::Ban(a) => {
            let action = Action::Ban {
                person: a.actor,
                expires_at: a.until.or(a.days.map(days_from_now)),
                remove_data: a.remove_data,
            };
            (a.name, action, a.reason, a.rule)
        }
        ModCommand::Unban(a) => (a.name, Action::Unban { person: a.actor }, a.reason, None),
        ModCommand::Warn(a) => (a.name, Action::Warn { person: a.actor }, a.reason, a.rule),
    };
    let group = find(store, &name).await?;
    let request = ActionRequest {
        action,
        reason,
        rule_id: rule_by_number(store, &group, rule).await?,
    };
    let done = apply_action(fed, &group, &operator(), &request).await?;
    println!("Done: {done}. The running server's workers deliver it.");
    Ok(())
}

async fn note(store: &Store, name: &str, actor: &str, text: &str) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let person = store
        .actor_by_ap_id(actor.trim())
        .await?
        .with_context(|| format!("{actor} is not known here"))?;
    if text.trim().is_empty() {
        bail!("the note is empty");
    }
    store
        .add_member_note(group.id, person.id, &operator(), text.trim())
        .await?;
    println!("Noted about {} in {}.", person.ap_id, group.name);
    Ok(())
}

async fn notes(store: &Store, name: &str, actor: &str) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let person = store
        .actor_by_ap_id(actor.trim())
        .await?
        .with_context(|| format!("{actor} is not known here"))?;
    let notes = store.member_notes(group.id, person.id).await?;
    if notes.is_empty() {
        println!("No notes about {} in {}.", person.ap_id, group.name);
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["when", "by", "note"]);
    for n in notes {
        table.add_row(vec![date(n.created_at), n.author, n.text]);
    }
    println!("{table}");
    Ok(())
}

async fn bans(store: &Store, name: &str) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let bans = store.group_bans(group.id, hearth_storage::now_ms()).await?;
    if bans.is_empty() {
        println!("Nobody is banned from {}.", group.name);
        return Ok(());
    }
    let rules = store.group_rules(group.id).await?;
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["person", "reason", "rule", "ends", "by", "since"]);
    for b in bans {
        let rule = b
            .rule_id
            .and_then(|id| rules.iter().find(|r| r.id == id))
            .map(|r| r.short_name.clone())
            .unwrap_or_default();
        table.add_row(vec![
            b.actor_ap_id,
            b.reason,
            rule,
            b.expires_at
                .map(date)
                .unwrap_or_else(|| "when lifted".into()),
            b.banned_by,
            date(b.created_at),
        ]);
    }
    println!("{table}");
    Ok(())
}

/// Runs `hearth group modlog`.
pub async fn modlog(store: &Store, args: ModlogArgs) -> anyhow::Result<()> {
    let group = find(store, &args.name).await?;
    let filter = ModlogFilter {
        group_id: Some(group.id),
        action: args.action,
        ..ModlogFilter::default()
    };
    let (entries, _) = store.modlog_page(&filter, 0, args.limit).await?;
    let lines = present(store, entries, Audience::Staff).await?;
    if args.csv {
        print!("{}", to_csv(&lines));
        return Ok(());
    }
    if lines.is_empty() {
        println!("Nothing in the modlog of {} yet.", group.name);
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "when", "who", "action", "target", "rule", "reason", "details",
    ]);
    for l in lines {
        table.add_row(vec![
            date(l.at),
            l.actor,
            l.action,
            l.target,
            l.rule.unwrap_or_default(),
            l.reason,
            l.details,
        ]);
    }
    println!("{table}");
    Ok(())
}
