//! `hearth group …`: create, list and inspect groups. Works while the server runs.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::groups::{create_group, GroupRequest};
use hearth_federation::Urls;
use hearth_storage::{JoinMode, PostingPolicy};

use super::{
    group_automod, group_edit, group_events, group_members, group_moderation, group_moderators,
    group_posts, group_reports, group_review,
};
use crate::config::Config;
use crate::uploads::ImagePurpose;

/// Group management.
#[derive(Subcommand, Debug)]
pub enum GroupCommand {
    /// Create a group that the fediverse can find as @NAME@your.host.
    Create {
        /// WebFinger name: lowercase letters, digits and _.
        name: String,
        /// Display name (default: the name).
        #[arg(long)]
        title: Option<String>,
        /// Short description.
        #[arg(long)]
        summary: Option<String>,
        /// Who may start threads: anyone, followers or moderators.
        #[arg(long, default_value = "followers", value_parser = parse_policy)]
        posting: PostingPolicy,
        /// How people join: open, approval (a moderator decides) or invite (invited actors only).
        #[arg(long, default_value = "open", value_parser = parse_join_mode)]
        join_mode: JoinMode,
        /// Same as --join-mode approval.
        #[arg(long, conflicts_with = "join_mode")]
        approve_followers: bool,
        /// The group's language (a BCP 47 tag such as en, de or pt-BR).
        #[arg(long, default_value = "en")]
        language: String,
        /// Keep the group out of directories.
        #[arg(long)]
        unlisted: bool,
    },
    /// List every group with its followers and threads.
    List,
    /// Show one group in detail.
    Show {
        /// The group's name.
        name: String,
    },
    /// List follow requests waiting for approval (groups created with --approve-followers).
    Pending {
        /// The group's name.
        name: String,
    },
    /// Approve a follow request: the follower becomes a member and is sent an Accept.
    Approve {
        /// The group's name.
        name: String,
        /// The follower's actor id (as shown by `hearth group pending`).
        actor: String,
    },
    /// Refuse a follow request: the follower is sent a Reject.
    Reject {
        /// The group's name.
        name: String,
        /// The follower's actor id (as shown by `hearth group pending`).
        actor: String,
    },
    /// Change a group's title, description, join mode, questions, posting, language or review
    /// settings (pre-moderation, holding new members' first posts).
    Edit(super::group_edit::EditArgs),
    /// Show a group's rules, or replace them from a file (one `Short name | text` per line).
    Rules {
        /// The group's name.
        name: String,
        /// The new rules.
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
        /// Remove every rule.
        #[arg(long, conflicts_with = "file")]
        clear: bool,
    },
    /// Archive a group (threads stay readable; no new members or posts), or --restore it.
    Archive {
        /// The group's name.
        name: String,
        /// Bring an archived group back.
        #[arg(long)]
        restore: bool,
    },
    /// Set a group's icon from a PNG, JPEG, GIF or WebP file.
    Icon {
        /// The group's name.
        name: String,
        /// The image.
        file: PathBuf,
    },
    /// Set a group's banner from a PNG, JPEG, GIF or WebP file.
    Banner {
        /// The group's name.
        name: String,
        /// The image.
        file: PathBuf,
    },
    /// List members with their instance and software.
    Members {
        /// The group's name.
        name: String,
        /// Only members whose username, name or instance contains this.
        #[arg(long, default_value = "")]
        search: String,
        /// Most members shown.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Owners, moderators and community managers of a group.
    #[command(subcommand)]
    Staff(super::group_members::StaffCommand),
    /// Invite an actor (by URL) to an invite-only group.
    Invite {
        /// The group's name.
        name: String,
        /// The actor's id, e.g. https://mastodon.example/users/alice
        actor: String,
    },
    /// Moderators from other instances: add, remove, list.
    #[command(subcommand)]
    Moderator(super::group_moderators::ModeratorCommand),
    /// Open reports from other instances, one case per reported post or actor.
    Reports {
        /// The group's name.
        name: String,
    },
    /// Report cases: show, resolve, dismiss, escalate, forward, note, assign.
    #[command(subcommand)]
    Case(super::group_reports::CaseCommand),
    /// Moderate posts and people: remove, restore, lock, unlock, pin, unpin, ban, unban,
    /// warn; private notes on members; the bans in force.
    #[command(subcommand)]
    Mod(super::group_moderation::ModCommand),
    /// The group's moderation log, newest first (as a table, or CSV).
    Modlog(super::group_moderation::ModlogArgs),
    /// Posts held for review (silenced instances, automod, new members, pre-moderation): list, approve, reject.
    #[command(subcommand)]
    Review(super::group_review::ReviewCommand),
    /// Automod rules of a group, or of every group: list, add, remove.
    #[command(subcommand)]
    Automod(super::group_automod::AutomodCommand),
    /// The group's events: create, list, show, edit, cancel, participants.
    #[command(subcommand)]
    Event(super::group_events::EventCommand),
    /// Post an announcement as the group (to every follower), optionally pinned or scheduled.
    Announce(super::group_posts::AnnounceArgs),
    /// Post a poll as the group.
    Poll(super::group_posts::PollArgs),
    /// A poll's results.
    PollResults(super::group_posts::PollResultsArgs),
    /// Show or change the message new members are sent.
    Welcome(super::group_posts::WelcomeArgs),
    /// Withdraw an invitation.
    Uninvite {
        /// The group's name.
        name: String,
        /// The actor's id.
        actor: String,
    },
}

fn parse_policy(text: &str) -> Result<PostingPolicy, String> {
    text.parse()
}

fn parse_join_mode(text: &str) -> Result<JoinMode, String> {
    text.parse()
}

/// Runs a group subcommand.
pub async fn run(config: Config, command: GroupCommand) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let urls = Urls::new(&config.public_url()?);
    let result = match command {
        GroupCommand::Create {
            name,
            title,
            summary,
            posting,
            join_mode,
            approve_followers,
            language,
            unlisted,
        } => {
            let group = create_group(
                &store,
                GroupRequest {
                    name,
                    title,
                    summary,
                    posting_policy: posting,
                    join_mode: if approve_followers {
                        JoinMode::Approval
                    } else {
                        join_mode
                    },
                    discoverable: !unlisted,
                    language: Some(language),
                },
            )
            .await?;
            println!("Created group {}.", group.title);
            println!("  handle   @{}@{}", group.name, urls.authority());
            println!("  actor    {}", urls.group(&group.name));
            Ok(())
        }
        GroupCommand::List => list(&store, &urls).await,
        GroupCommand::Show { name } => show(&store, &urls, &name).await,
        GroupCommand::Pending { name } => pending(&store, &name).await,
        GroupCommand::Approve { name, actor } => decide(&config, &store, &name, &actor, true).await,
        GroupCommand::Reject { name, actor } => decide(&config, &store, &name, &actor, false).await,
        GroupCommand::Edit(args) => {
            group_edit::edit(&federation(&config, &store).await?, args).await
        }
        GroupCommand::Rules { name, file, clear } => {
            let fed = federation(&config, &store).await?;
            group_edit::rules(&fed, &name, file.as_deref(), clear).await
        }
        GroupCommand::Archive { name, restore } => {
            group_edit::archive(&federation(&config, &store).await?, &name, restore).await
        }
        GroupCommand::Icon { name, file } => {
            let fed = federation(&config, &store).await?;
            group_edit::image(
                &fed,
                &name,
                ImagePurpose::Icon,
                &file,
                config.upload_max_bytes,
            )
            .await
        }
        GroupCommand::Banner { name, file } => {
            let fed = federation(&config, &store).await?;
            group_edit::image(
                &fed,
                &name,
                ImagePurpose::Banner,
                &file,
                config.upload_max_bytes,
            )
            .await
        }
        GroupCommand::Members {
            name,
            search,
            limit,
        } => group_members::members(&store, &name, &search, limit).await,
        GroupCommand::Staff(command) => group_members::staff(&store, command).await,
        GroupCommand::Moderator(command) => {
            group_moderators::run(&federation(&config, &store).await?, command).await
        }
        GroupCommand::Reports { name } => group_reports::reports(&store, &name).await,
        GroupCommand::Case(command) => {
            group_reports::case(&federation(&config, &store).await?, command).await
        }
        GroupCommand::Mod(command) => {
            group_moderation::run(&federation(&config, &store).await?, command).await
        }
        GroupCommand::Modlog(args) => group_moderation::modlog(&store, args).await,
        GroupCommand::Review(command) => {
            group_review::run(&federation(&config, &store).await?, command).await
        }
        GroupCommand::Automod(command) => group_automod::run(&store, command).await,
        GroupCommand::Event(command) => {
            group_events::run(&federation(&config, &store).await?, command).await
        }
        GroupCommand::Invite { name, actor } => {
            group_members::invite(&store, &name, &actor, true).await
        }
        GroupCommand::Announce(args) => {
            group_posts::announce(&federation(&config, &store).await?, args).await
        }
        GroupCommand::Poll(args) => {
            group_posts::poll(&federation(&config, &store).await?, args).await
        }
        GroupCommand::PollResults(args) => {
            group_posts::poll_results(&federation(&config, &store).await?, args).await
        }
        GroupCommand::Welcome(args) => {
            group_posts::welcome(&federation(&config, &store).await?, args).await
        }
        GroupCommand::Uninvite { name, actor } => {
            group_members::invite(&store, &name, &actor, false).await
        }
    };
    store.close().await;
    result
}

async fn list(store: &hearth_storage::Store, urls: &Urls) -> anyhow::Result<()> {
    let groups = store.list_groups().await?;
    if groups.is_empty() {
        println!("No groups yet. Create one with: hearth group create NAME --title \"Title\"");
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "name",
        "handle",
        "title",
        "followers",
        "threads",
        "posts",
        "created",
    ]);
    for g in groups {
        table.add_row(vec![
            g.name.clone(),
            format!("@{}@{}", g.name, urls.authority()),
            g.title,
            g.followers.to_string(),
            g.threads.to_string(),
            g.posts.to_string(),
            date(g.created_at),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn show(store: &hearth_storage::Store, urls: &Urls, name: &str) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let followers = store.count_followers(group.id).await?;
    let inboxes = store.count_follower_inboxes(group.id).await?;
    let threads = store
        .recent_threads(group.id, 10)
        .await
        .context("cannot read threads")?;
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    for (k, v) in [
        ("name", group.name.clone()),
        ("title", group.title.clone()),
        ("handle", format!("@{}@{}", group.name, urls.authority())),
        ("actor", urls.group(&group.name).to_string()),
        ("posting", group.posting_policy().to_string()),
        ("join mode", group.join_mode().to_string()),
        ("language", group.language.clone()),
        (
            "archived",
            group.archived_at.map(date).unwrap_or_else(|| "no".into()),
        ),
        ("listed", yes_no(group.discoverable)),
        (
            "followers",
            format!(
                "{followers} on {inboxes} inbox{}",
                if inboxes == 1 { "" } else { "es" }
            ),
        ),
        ("created", date(group.created_at)),
    ] {
        table.add_row(vec![k.to_owned(), v]);
    }
    println!("{table}");
    if !group.summary.is_empty() {
        println!("{}", group.summary);
    }
    if !threads.is_empty() {
        let mut recent = Table::new();
        recent.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
            "recent thread",
            "author",
            "replies",
            "last activity",
        ]);
        for t in threads {
            recent.add_row(vec![
                t.title.unwrap_or_else(|| "(untitled)".into()),
                format!(
                    "@{}@{}",
                    t.author_username.unwrap_or_default(),
                    t.author_host
                ),
                t.reply_count.to_string(),
                date(t.last_activity_at),
            ]);
        }
        println!("{recent}");
    }
    Ok(())
}

/// A federation context for commands whose changes federate; the running server's workers
/// deliver what they queue.
async fn federation(
    config: &Config,
    store: &hearth_storage::Store,
) -> anyhow::Result<hearth_federation::Federation> {
    Ok(hearth_federation::Federation::new(store.clone(), config.federation()?).await?)
}

/// The group called `name`, or an error that says how to list groups.
pub async fn find(
    store: &hearth_storage::Store,
    name: &str,
) -> anyhow::Result<hearth_storage::Group> {
    match store.group_by_name(name).await? {
        Some(group) => Ok(group),
        None => bail!("there is no group named {name:?} (see: hearth group list)"),
    }
}

async fn pending(store: &hearth_storage::Store, name: &str) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let requests = store.join_requests(group.id).await?;
    if requests.is_empty() {
        println!("No follow requests are waiting for {}.", group.name);
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["actor", "handle", "software", "asked", "answers"]);
    for r in requests {
        let handle = format!("@{}@{}", r.preferred_username.unwrap_or_default(), r.host);
        table.add_row(vec![
            r.ap_id,
            handle,
            r.software.unwrap_or_else(|| "unknown".into()),
            date(r.created_at),
            r.answers,
        ]);
    }
    println!("{table}");
    println!(
        "Approve with: hearth group approve {} ACTOR   (or reject)",
        group.name
    );
    Ok(())
}

async fn decide(
    config: &Config,
    store: &hearth_storage::Store,
    name: &str,
    actor: &str,
    approve: bool,
) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let fed = federation(config, store).await?;
    hearth_federation::groups::decide_follow(&fed, &group, actor, approve).await?;
    let verb = if approve { "Approved" } else { "Refused" };
    println!("{verb} {actor}; the answer will be delivered by the running server's workers.");
    Ok(())
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_owned()
}

/// A time (ms) as `YYYY-MM-DD HH:MM UTC`.
pub fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}
