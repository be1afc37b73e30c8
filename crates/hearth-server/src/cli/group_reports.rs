//! `hearth group reports` and `hearth group case …`: reports (`Flag`s) from other instances,
//! gathered into one case per reported post (or actor) in a group, and how moderators read,
//! discuss, hand over and close them.

use anyhow::{bail, Context};
use clap::{ArgGroup, Args, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::actions::cases::{
    decide_case, file_report, forward_case, BanSpec, CaseDecision, CaseState,
};
use hearth_federation::html::to_text;
use hearth_federation::Federation;
use hearth_storage::{Group, Post, ReportCase, Store};

use super::federation::operator;
use super::group::{date, find};
use super::group_moderation::rule_by_number;
use crate::accounts::{Permission, Staff};
use crate::moderation::case_file::CaseFile;
use crate::moderation::days_from_now;

/// Longest excerpt of a post shown in lists.
const EXCERPT_CHARS: usize = 80;

/// `hearth group case …`.
#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// File a report here about a post or person of the group: it opens the case about it
    /// (or joins the open one), and the group's moderators on other servers receive it.
    Open {
        /// The group's name.
        name: String,
        /// The post (object id, URL or row id) or the person (actor id).
        subject: String,
        /// What is wrong.
        #[arg(long)]
        reason: String,
    },
    /// Show a case: the reported post, its author's recent posts in the group, every report
    /// and the staff's notes.
    Show(CaseArgs),
    /// Close a case as handled, taking its actions in the same step (remove the post, ban its
    /// author). Reporters on Lemmy are told it was resolved.
    Resolve(ResolveArgs),
    /// Close a case without action.
    Dismiss(CloseArgs),
    /// Hand a case to the instance's admins.
    Escalate(CloseArgs),
    /// Send the reports to the reported person's own server (as this instance, without the
    /// reporters' names), so its moderators can act too.
    Forward(CaseArgs),
    /// Add a note to a case (only staff read notes).
    Note {
        /// The group's name.
        name: String,
        /// The case's id (from `hearth group reports`).
        id: i64,
        /// The note.
        text: String,
    },
    /// Give a case to a staff account who may moderate the group, or to nobody with --none.
    Assign {
        /// The group's name.
        name: String,
        /// The case's id (from `hearth group reports`).
        id: i64,
        /// The account's username.
        #[arg(required_unless_present = "none")]
        username: Option<String>,
        /// Take the case from whoever has it.
        #[arg(long, conflicts_with = "username")]
        none: bool,
    },
}

/// A case of a group.
#[derive(Args, Debug)]
pub struct CaseArgs {
    /// The group's name.
    name: String,
    /// The case's id (from `hearth group reports`).
    id: i64,
}

/// How a case is closed.
#[derive(Args, Debug)]
pub struct CloseArgs {
    #[command(flatten)]
    case: CaseArgs,
    /// Why, for the record (and for the person, when they are banned).
    #[arg(long, default_value = "")]
    reason: String,
    /// The group rule broken: its number in `hearth group rules NAME`.
    #[arg(long, value_name = "N")]
    rule: Option<i64>,
}

/// How a case is resolved, with the actions taken.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("banning").args(["ban", "ban_days"])))]
pub struct ResolveArgs {
    #[command(flatten)]
    close: CloseArgs,
    /// Remove the reported post.
    #[arg(long)]
    remove_post: bool,
    /// Ban the reported person until the ban is lifted.
    #[arg(long)]
    ban: bool,
    /// Ban the reported person for this many days.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    ban_days: Option<i64>,
    /// With a ban: also remove everything they posted in the group.
    #[arg(long, requires = "banning")]
    remove_data: bool,
}

/// `hearth group reports GROUP`: the open cases with their reports.
pub async fn reports(store: &Store, name: &str) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let cases = store.open_cases(group.id).await?;
    if cases.is_empty() {
        println!("No open reports in {}.", group.name);
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "case", "about", "report", "from", "reason", "received",
    ]);
    for case in cases {
        for report in store.case_reports(case.id).await? {
            let reason = if report.withdrawn_at.is_some() {
                format!("(withdrawn) {}", report.content)
            } else {
                report.content.clone()
            };
            table.add_row(vec![
                case.id.to_string(),
                case.subject_ap_id.clone(),
                report.ap_id.clone(),
                report.reporter_ap_id.clone(),
                reason,
                date(report.created_at),
            ]);
        }
    }
    println!("{table}");
    println!(
        "Read a case with: hearth group case show {} CASE; close it with: hearth group case resolve|dismiss|escalate {} CASE",
        group.name, group.name
    );
    Ok(())
}

/// Runs `hearth group case …`.
pub async fn case(fed: &Federation, command: CaseCommand) -> anyhow::Result<()> {
    let store = fed.store();
    match command {
        CaseCommand::Open {
            name,
            subject,
            reason,
        } => {
            let group = find(store, &name).await?;
            let case = file_report(fed, &group, &operator(), &subject, &reason).await?;
            println!(
                "Reported in case {} (see: hearth group case show {} {}).",
                case.id, group.name, case.id
            );
        }
        CaseCommand::Show(args) => {
            let group = find(store, &args.name).await?;
            let file = CaseFile::load(store, &group, args.id).await?;
            show(&file.with_context(|| no_case(&group, args.id))?);
        }
        CaseCommand::Resolve(args) => {
            let ban = (args.ban || args.ban_days.is_some()).then(|| BanSpec {
                expires_at: args.ban_days.map(days_from_now),
                remove_data: args.remove_data,
            });
            close(fed, args.close, CaseState::Resolved, args.remove_post, ban).await?;
        }
        CaseCommand::Dismiss(args) => close(fed, args, CaseState::Dismissed, false, None).await?,
        CaseCommand::Escalate(args) => close(fed, args, CaseState::Escalated, false, None).await?,
        CaseCommand::Forward(args) => {
            let group = find(store, &args.name).await?;
            let host = forward_case(fed, &group, args.id, &operator()).await?;
            println!(
                "Case {} forwarded to {host}; the running server's workers deliver it.",
                args.id
            );
        }
        CaseCommand::Note { name, id, text } => {
            let group = find(store, &name).await?;
            let case = find_case(store, &group, id).await?;
            if text.trim().is_empty() {
                bail!("the note is empty");
            }
            store
                .add_case_note(case.id, &operator(), text.trim())
                .await?;
            println!("Noted on case {id}.");
        }
        CaseCommand::Assign {
            name, id, username, ..
        } => assign(store, &name, id, username.as_deref()).await?,
    }
    Ok(())
}

/// Case `id` of `group`, or an error that says how to list cases.
async fn find_case(store: &Store, group: &Group, id: i64) -> anyhow::Result<ReportCase> {
    let case = store.report_case(group.id, id).await?;
    case.with_context(|| no_case(group, id))
}

fn no_case(group: &Group, id: i64) -> String {
    format!(
        "{} has no case {id} (see: hearth group reports {})",
        group.name, group.name
    )
}

async fn close(
    fed: &Federation,
    args: CloseArgs,
    state: CaseState,
    remove_post: bool,
    ban: Option<BanSpec>,
) -> anyhow::Result<()> {
    let group = find(fed.store(), &args.case.name).await?;
    let case = find_case(fed.store(), &group, args.case.id).await?;
    if !matches!(case.state.as_str(), "open" | "escalated") {
        bail!(
            "{} has no open case {}: it was {} already",
            group.name,
            case.id,
            case.state
        );
    }
    let decision = CaseDecision {
        state,
        reason: args.reason,
        rule_id: rule_by_number(fed.store(), &group, args.rule).await?,
        remove_post,
        ban,
    };
    decide_case(fed, &group, case.id, &operator(), &decision).await?;
    println!("Case {} {}.", case.id, state.as_str());
    Ok(())
}

async fn assign(store: &Store, name: &str, id: i64, username: Option<&str>) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let case = find_case(store, &group, id).await?;
    let account = match username {
        None => None,
        Some(username) => {
            let account = store
                .account_by_username(username)
                .await?
                .with_context(|| {
                    format!("there is no account {username:?} (see: hearth account list)")
                })?;
            let roles = store.roles_of_account(account.id).await?;
            let staff = Staff::new(account, roles);
            if !staff.can(Permission::ReviewPosts, Some(&group)) {
                bail!(
                    "{username} may not moderate {}: appoint them first (hearth group staff add)",
                    group.name
                );
            }
            Some(staff.account)
        }
    };
    store
        .assign_case(group.id, case.id, account.as_ref().map(|a| a.id))
        .await?;
    match account {
        Some(account) => println!("Case {id} is {}'s.", account.username),
        None => println!("Case {id} is nobody's now."),
    }
    Ok(())
}

/// Prints a case file.
fn show(file: &CaseFile) {
    let case = &file.case;
    println!(
        "Case {} ({}) about {}",
        case.id, case.state, case.subject_ap_id
    );
    println!(
        "Opened {}; {} active report(s); handled by {}.",
        date(case.created_at),
        case.active_reports,
        file.assignee.as_deref().unwrap_or("nobody")
    );
    if let Some(closed_at) = case.closed_at {
        println!(
            "Closed {} by {}: {}",
            date(closed_at),
            case.closed_by.as_deref().unwrap_or("?"),
            case.decision_reason
        );
    }
    match &file.post {
        Some(post) => {
            println!(
                "\nThe post, by {} on {} ({}):",
                author(post),
                date(post.published),
                state(post)
            );
            if let Some(title) = &post.title {
                println!("  {title}");
            }
            for line in to_text(&post.content).lines() {
                println!("  {line}");
            }
        }
        None => println!(
            "\nThe reports are about {}.",
            file.person.as_deref().unwrap_or("a person not known here")
        ),
    }

    let mut reports = Table::new();
    reports
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["report", "from", "reason", "received"]);
    for r in &file.reports {
        let reason = match r.withdrawn_at {
            Some(_) => format!("(withdrawn) {}", r.content),
            None => r.content.clone(),
        };
        reports.add_row(vec![
            r.ap_id.clone(),
            r.reporter_ap_id.clone(),
            reason,
            date(r.created_at),
        ]);
    }
    println!("\nReports:\n{reports}");

    if !file.history.is_empty() {
        let mut history = Table::new();
        history
            .load_preset(UTF8_FULL_CONDENSED)
            .set_header(vec!["when", "post", "state", "text"]);
        for p in &file.history {
            history.add_row(vec![
                date(p.published),
                p.ap_id.clone(),
                state(p).to_owned(),
                excerpt(p),
            ]);
        }
        println!("\nTheir latest posts in the group:\n{history}");
    }

    if file.notes.is_empty() {
        println!("\nNo notes.");
    } else {
        println!("\nNotes:");
        for n in &file.notes {
            println!("  {} {}: {}", date(n.created_at), n.author, n.text);
        }
    }
}

fn author(post: &Post) -> String {
    match &post.author_username {
        Some(user) => format!("@{user}@{}", post.author_host),
        None => post.author_ap_id.clone(),
    }
}

fn state(post: &Post) -> &'static str {
    if post.removed_at.is_some() {
        "removed"
    } else if post.deleted_at.is_some() {
        "deleted by its author"
    } else {
        "visible"
    }
}

fn excerpt(post: &Post) -> String {
    let text = to_text(&post.content)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    format!("{}…", text.chars().take(EXCERPT_CHARS).collect::<String>())
}
