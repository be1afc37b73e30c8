//! `hearth group announce|poll|poll-results|welcome`: posts by the group itself, sent to every
//! follower, and the message new members get.

use anyhow::bail;
use clap::Args;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::group_posts::{self, document, when, Announcement, Poll, WelcomeChange};
use hearth_federation::Federation;
use hearth_storage::GroupPostKind;

use super::group::{date, find};

/// `hearth group announce`.
#[derive(Args, Debug)]
pub struct AnnounceArgs {
    /// The group's name.
    pub name: String,
    /// The announcement (Markdown).
    #[arg(long)]
    pub text: String,
    /// Pin it to the group's featured collection.
    #[arg(long)]
    pub pin: bool,
    /// Publish it later: "2026-12-01 09:00" (UTC) or "2026-12-01 09:00 +02:00".
    #[arg(long)]
    pub at: Option<String>,
}

/// `hearth group poll`.
#[derive(Args, Debug)]
pub struct PollArgs {
    /// The group's name.
    pub name: String,
    /// The question (Markdown).
    #[arg(long)]
    pub question: String,
    /// An option; give at least two.
    #[arg(long = "option")]
    pub options: Vec<String>,
    /// Let voters pick several options.
    #[arg(long)]
    pub multiple: bool,
    /// When voting ends: a duration (3d, 12h, 30m) or a time ("2026-12-01 09:00").
    #[arg(long)]
    pub ends: String,
}

/// `hearth group poll-results`.
#[derive(Args, Debug)]
pub struct PollResultsArgs {
    /// The group's name.
    pub name: String,
    /// The poll's id (as `hearth group poll` printed it).
    pub id: i64,
}

/// `hearth group welcome`.
#[derive(Args, Debug)]
pub struct WelcomeArgs {
    /// The group's name.
    pub name: String,
    /// The message (Markdown); "" restores the default, which links the group's rules.
    #[arg(long, conflicts_with_all = ["off", "on"])]
    pub text: Option<String>,
    /// Send no welcome message.
    #[arg(long, conflicts_with = "on")]
    pub off: bool,
    /// Send the welcome message again.
    #[arg(long)]
    pub on: bool,
}

/// Posts (or schedules) an announcement.
pub async fn announce(fed: &Federation, args: AnnounceArgs) -> anyhow::Result<()> {
    let group = find(fed.store(), &args.name).await?;
    let publish_at = args
        .at
        .as_deref()
        .map(when::parse_time)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let request = Announcement {
        text: args.text,
        pin: args.pin,
        publish_at,
    };
    let post = group_posts::announce(fed, &group, request, "cli").await?;
    let id = document::object_id(fed.urls(), &group, post.id);
    match post.published_at {
        Some(_) => println!(
            "Announcement {} posted in {}{}: {id}\nThe running server's workers deliver it to every follower.",
            post.id,
            group.name,
            if args.pin { " and pinned" } else { "" }
        ),
        None => println!(
            "Announcement {} scheduled for {}: {id}",
            post.id,
            date(post.publish_at)
        ),
    }
    Ok(())
}

/// Posts a poll.
pub async fn poll(fed: &Federation, args: PollArgs) -> anyhow::Result<()> {
    let group = find(fed.store(), &args.name).await?;
    let ends_at =
        when::parse_end(&args.ends, hearth_storage::now_ms()).map_err(anyhow::Error::msg)?;
    let request = Poll {
        question: args.question,
        options: args.options,
        multiple: args.multiple,
        ends_at,
    };
    let post = group_posts::create_poll(fed, &group, request, "cli").await?;
    println!(
        "Poll {} posted in {} until {}: {}\nSee the votes with: hearth group poll-results {} {}",
        post.id,
        group.name,
        date(ends_at),
        document::object_id(fed.urls(), &group, post.id),
        group.name,
        post.id
    );
    Ok(())
}

/// Prints a poll's results as a table with bars.
pub async fn poll_results(fed: &Federation, args: PollResultsArgs) -> anyhow::Result<()> {
    let group = find(fed.store(), &args.name).await?;
    let (post, tally) = group_posts::results(fed, &group, args.id).await?;
    if post.kind() != GroupPostKind::Question {
        bail!(
            "{} is an announcement of {}, not a poll",
            args.id,
            group.name
        );
    }
    let state = if post.poll_ended(hearth_storage::now_ms()) {
        "closed"
    } else {
        "open"
    };
    println!("{}", hearth_federation::html::to_text(&post.content));
    println!(
        "{} voter{}, {state}{}",
        tally.voters,
        if tally.voters == 1 { "" } else { "s" },
        post.ends_at
            .map(|end| format!(", ends {}", date(end)))
            .unwrap_or_default()
    );
    let total: i64 = tally.counts.iter().sum();
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["option", "votes", ""]);
    for (name, votes) in post.options().into_iter().zip(tally.counts) {
        let width = if total > 0 {
            (votes * 20 / total) as usize
        } else {
            0
        };
        table.add_row(vec![name, votes.to_string(), "█".repeat(width)]);
    }
    println!("{table}");
    Ok(())
}

/// Shows or changes the welcome message.
pub async fn welcome(fed: &Federation, args: WelcomeArgs) -> anyhow::Result<()> {
    let mut group = find(fed.store(), &args.name).await?;
    let change = match (args.text, args.off, args.on) {
        (Some(text), _, _) => Some(WelcomeChange::Text(text)),
        (None, true, _) => Some(WelcomeChange::Off),
        (None, false, true) => Some(WelcomeChange::On),
        (None, false, false) => None,
    };
    if let Some(change) = change {
        group = group_posts::set_welcome(fed, &group, change).await?;
        println!("Saved the welcome message of {}.", group.name);
    }
    if !group.welcome_enabled {
        println!(
            "{} sends new members no welcome message (turn it on with: hearth group welcome {} --on).",
            group.name, group.name
        );
        return Ok(());
    }
    let source = if group.welcome_text.is_empty() {
        "the default message"
    } else {
        "the group's own message"
    };
    println!(
        "New members of {} are sent {source}:\n{}",
        group.name,
        hearth_federation::html::to_text(&group_posts::welcome_html(fed, &group))
    );
    Ok(())
}
