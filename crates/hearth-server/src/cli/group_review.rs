//! `hearth group review list|approve|reject`: posts held for a moderator's review (posts from
//! silenced instances).

use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::review::decide_held_post;
use hearth_federation::Federation;

use super::group::{date, find};

/// `hearth group review …`.
#[derive(Subcommand, Debug)]
pub enum ReviewCommand {
    /// List the posts waiting for review.
    List {
        /// The group's name.
        name: String,
    },
    /// Publish a held post: the group announces it to its followers.
    Approve {
        /// The group's name.
        name: String,
        /// The held post's id (from `review list`).
        id: i64,
    },
    /// Reject a held post: its author gets a direct message from the group with the reason.
    Reject {
        /// The group's name.
        name: String,
        /// The held post's id (from `review list`).
        id: i64,
        /// Why, for the author.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// Runs `hearth group review …`.
pub async fn run(fed: &Federation, command: ReviewCommand) -> anyhow::Result<()> {
    match command {
        ReviewCommand::List { name } => {
            let group = find(fed.store(), &name).await?;
            let held = fed.store().open_held_posts(group.id).await?;
            if held.is_empty() {
                println!("No posts are waiting for review in {}.", group.name);
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(vec!["id", "author", "post", "why", "received"]);
            for h in held {
                let author = match &h.author_username {
                    Some(user) => format!("@{user}@{}", h.author_host),
                    None => h.author_ap_id.clone(),
                };
                table.add_row(vec![
                    h.id.to_string(),
                    author,
                    h.object_ap_id,
                    h.reason,
                    date(h.created_at),
                ]);
            }
            println!("{table}");
            println!(
                "Decide with: hearth group review approve|reject {} ID",
                group.name
            );
        }
        ReviewCommand::Approve { name, id } => {
            let group = find(fed.store(), &name).await?;
            decide_held_post(fed, &group, id, true, "cli", "").await?;
            println!("Published post {id}; the running server's workers deliver the announces.");
        }
        ReviewCommand::Reject { name, id, reason } => {
            let group = find(fed.store(), &name).await?;
            decide_held_post(fed, &group, id, false, "cli", &reason).await?;
            println!("Rejected post {id}; its author will be told.");
        }
    }
    Ok(())
}
