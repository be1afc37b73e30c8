//! `hearth group event create|list|show|edit|cancel|participants|approve|refuse`: the group's
//! events, sent to its followers as `Create`/`Update` of an `Event`, and who answered them.

use anyhow::bail;
use chrono::TimeZone;
use clap::{Args, Subcommand};
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::events::{
    cancel_event, create_event, decide_participant, edit_event, EventRequest,
};
use hearth_federation::Federation;
use hearth_storage::{Group, GroupEvent};

use super::group::{date, find};

/// `hearth group event …`.
#[derive(Subcommand, Debug)]
pub enum EventCommand {
    /// Create an event; the group's followers are sent a Create(Event).
    Create {
        /// The group's name.
        name: String,
        /// Title.
        #[arg(long)]
        title: String,
        /// Start, e.g. "2026-12-12 18:00", in the --tz time zone.
        #[arg(long)]
        start: String,
        /// End, e.g. "2026-12-12 21:00", in the --tz time zone.
        #[arg(long)]
        end: String,
        /// IANA time zone, e.g. Europe/Berlin.
        #[arg(long)]
        tz: String,
        #[command(flatten)]
        details: Details,
    },
    /// Upcoming and recent events of the group.
    List {
        /// The group's name.
        name: String,
    },
    /// One event in detail, with its answer counts.
    Show {
        /// The group's name.
        name: String,
        /// The event's id (see `event list`).
        id: i64,
    },
    /// Change an event (only what is given); followers are sent an Update(Event).
    Edit {
        /// The group's name.
        name: String,
        /// The event's id.
        id: i64,
        /// New title.
        #[arg(long)]
        title: Option<String>,
        /// New start, in the event's (or --tz) time zone.
        #[arg(long)]
        start: Option<String>,
        /// New end, in the event's (or --tz) time zone.
        #[arg(long)]
        end: Option<String>,
        /// New IANA time zone.
        #[arg(long)]
        tz: Option<String>,
        #[command(flatten)]
        details: Details,
        /// Answers are accepted without approval from now on.
        #[arg(long, conflicts_with = "approval")]
        open: bool,
        /// Remove the capacity limit.
        #[arg(long, conflicts_with = "capacity")]
        no_capacity: bool,
    },
    /// Cancel an event; followers are sent an Update(Event) with status CANCELLED.
    Cancel {
        /// The group's name.
        name: String,
        /// The event's id.
        id: i64,
    },
    /// Everyone who answered an event.
    Participants {
        /// The group's name.
        name: String,
        /// The event's id.
        id: i64,
    },
    /// Approve a pending answer (events created with --approval): the person takes a seat
    /// and is sent an Accept, or goes on the waiting list when the event is full.
    Approve {
        /// The group's name.
        name: String,
        /// The event's id.
        id: i64,
        /// The person's actor id (as shown by `event participants`).
        actor: String,
    },
    /// Refuse a pending answer: the person is sent a Reject.
    Refuse {
        /// The group's name.
        name: String,
        /// The event's id.
        id: i64,
        /// The person's actor id.
        actor: String,
    },
}

/// Where, how many and how people join.
#[derive(Args, Debug, Default)]
pub struct Details {
    /// Address of the place.
    #[arg(long)]
    location: Option<String>,
    /// Link, for an online event.
    #[arg(long)]
    online: Option<String>,
    /// Most people going (more go on the waiting list).
    #[arg(long)]
    capacity: Option<i64>,
    /// Answers wait for staff approval.
    #[arg(long)]
    approval: bool,
    /// Description, in Markdown.
    #[arg(long)]
    description: Option<String>,
}

/// Runs `hearth group event …`.
pub async fn run(fed: &Federation, command: EventCommand) -> anyhow::Result<()> {
    match command {
        EventCommand::Create {
            name,
            title,
            start,
            end,
            tz,
            details,
        } => {
            let group = find(fed.store(), &name).await?;
            let request = EventRequest {
                title,
                description: details.description.unwrap_or_default(),
                start,
                end,
                timezone: tz,
                location: details.location,
                online_url: details.online,
                capacity: details.capacity,
                approval: details.approval,
            };
            let event = create_event(fed, &group, &request, "cli").await?;
            println!("Created event {} in {}.", event.id, group.name);
            println!("  page      {}", event.ap_id);
            println!("  calendar  {}.ics", event.ap_id);
            println!("The running server's workers deliver the Create to the group's followers.");
        }
        EventCommand::List { name } => list(fed, &name).await?,
        EventCommand::Show { name, id } => {
            let (group, event) = find_event(fed, &name, id).await?;
            show(fed, &group, &event).await?;
        }
        EventCommand::Edit {
            name,
            id,
            title,
            start,
            end,
            tz,
            details,
            open,
            no_capacity,
        } => {
            let (group, event) = find_event(fed, &name, id).await?;
            let timezone = tz.unwrap_or_else(|| event.timezone.clone());
            let request = EventRequest {
                title: title.unwrap_or_else(|| event.title.clone()),
                description: details
                    .description
                    .unwrap_or_else(|| event.description.clone()),
                start: start.unwrap_or_else(|| local(event.starts_at, &timezone)),
                end: end.unwrap_or_else(|| local(event.ends_at, &timezone)),
                location: details.location.or_else(|| event.location.clone()),
                online_url: details.online.or_else(|| event.online_url.clone()),
                capacity: if no_capacity {
                    None
                } else {
                    details.capacity.or(event.capacity)
                },
                approval: details.approval || (event.needs_approval() && !open),
                timezone,
            };
            let edited = edit_event(fed, &group, &event, &request).await?;
            println!(
                "Event {} updated (revision {}); the running server's workers deliver the Update.",
                edited.id, edited.sequence
            );
        }
        EventCommand::Cancel { name, id } => {
            let (group, event) = find_event(fed, &name, id).await?;
            cancel_event(fed, &group, &event).await?;
            println!(
                "Event {id} cancelled; the running server's workers deliver the Update to followers."
            );
        }
        EventCommand::Approve { name, id, actor } => decide(fed, &name, id, &actor, true).await?,
        EventCommand::Refuse { name, id, actor } => decide(fed, &name, id, &actor, false).await?,
        EventCommand::Participants { name, id } => {
            let (_, event) = find_event(fed, &name, id).await?;
            let participants = fed.store().event_participants(event.id).await?;
            if participants.is_empty() {
                println!("Nobody has answered event {id} yet.");
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(vec!["who", "answer", "since", "actor"]);
            for p in participants {
                table.add_row(vec![
                    p.handle(),
                    p.status.clone(),
                    date(p.updated_at),
                    p.ap_id.clone(),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(())
}

async fn decide(
    fed: &Federation,
    name: &str,
    id: i64,
    actor: &str,
    approve: bool,
) -> anyhow::Result<()> {
    let (group, event) = find_event(fed, name, id).await?;
    let status = decide_participant(fed, &group, &event, actor, approve).await?;
    println!(
        "{actor} is now {} for event {id}; the running server's workers deliver the answer.",
        status.as_str()
    );
    Ok(())
}

/// A time (ms) as `YYYY-MM-DD HH:MM` in the time zone `timezone`.
fn local(ms: i64, timezone: &str) -> String {
    let tz: chrono_tz::Tz = timezone.parse().unwrap_or(chrono_tz::UTC);
    tz.timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

async fn find_event(fed: &Federation, name: &str, id: i64) -> anyhow::Result<(Group, GroupEvent)> {
    let group = find(fed.store(), name).await?;
    match fed.store().event_by_id(id).await? {
        Some(event) if event.group_id == group.id => Ok((group, event)),
        _ => bail!(
            "{} has no event {id} (see: hearth group event list {})",
            group.name,
            group.name
        ),
    }
}

async fn list(fed: &Federation, name: &str) -> anyhow::Result<()> {
    let group = find(fed.store(), name).await?;
    let since = hearth_storage::now_ms() - hearth_federation::events::LISTED_AFTER_END_MS;
    let events = fed.store().group_events(group.id, since).await?;
    if events.is_empty() {
        println!(
            "{} has no upcoming events (create one with: hearth group event create {} --title …).",
            group.name, group.name
        );
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["id", "title", "starts", "where", "going", "state"]);
    for event in events {
        let counts = fed.store().rsvp_counts(event.id).await?;
        let going = match event.capacity {
            Some(capacity) => format!("{}/{capacity}", counts.going),
            None => counts.going.to_string(),
        };
        table.add_row(vec![
            event.id.to_string(),
            event.title.clone(),
            format!(
                "{} {}",
                local(event.starts_at, &event.timezone),
                event.timezone
            ),
            event
                .location
                .clone()
                .or(event.online_url.clone())
                .unwrap_or_default(),
            going,
            event.state.clone(),
        ]);
    }
    println!("{table}");
    Ok(())
}

async fn show(fed: &Federation, group: &Group, event: &GroupEvent) -> anyhow::Result<()> {
    let counts = fed.store().rsvp_counts(event.id).await?;
    println!("{} ({})", event.title, event.state);
    println!("  group      {}", group.name);
    println!(
        "  when       {} – {} {}",
        local(event.starts_at, &event.timezone),
        local(event.ends_at, &event.timezone),
        event.timezone
    );
    if let Some(location) = &event.location {
        println!("  where      {location}");
    }
    if let Some(link) = &event.online_url {
        println!("  online     {link}");
    }
    let capacity = event
        .capacity
        .map_or("no limit".to_owned(), |c| c.to_string());
    println!("  capacity   {capacity}");
    println!("  joining    {}", event.join_mode);
    println!(
        "  answers    {} going, {} maybe, {} declined, {} waiting list, {} pending",
        counts.going, counts.maybe, counts.declined, counts.waitlist, counts.pending
    );
    println!("  page       {}", event.ap_id);
    println!("  calendar   {}.ics", event.ap_id);
    println!(
        "  created    {} by {} (revision {})",
        date(event.created_at),
        event.created_by,
        event.sequence
    );
    if !event.description.is_empty() {
        println!("\n{}", event.description);
    }
    Ok(())
}
