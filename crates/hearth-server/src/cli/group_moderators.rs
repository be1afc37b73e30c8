//! `hearth group moderator add|remove|list`: moderators from other instances, listed in the
//! group's moderators collection and announced to its followers with `Add` and `Remove`.

use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::moderators::{add_moderator, remove_moderator};
use hearth_federation::Federation;

use super::group::{date, find};

/// `hearth group moderator …`.
#[derive(Subcommand, Debug)]
pub enum ModeratorCommand {
    /// Make an actor of another instance a moderator; the group's followers are sent an Add.
    Add {
        /// The group's name.
        name: String,
        /// The actor's id, e.g. https://lemmy.example/u/alice
        actor: String,
    },
    /// Remove a moderator; the group's followers are sent a Remove.
    Remove {
        /// The group's name.
        name: String,
        /// The actor's id (as shown by `moderator list`).
        actor: String,
    },
    /// List the group's moderators from other instances.
    List {
        /// The group's name.
        name: String,
    },
}

/// Runs `hearth group moderator …`.
pub async fn run(fed: &Federation, command: ModeratorCommand) -> anyhow::Result<()> {
    match command {
        ModeratorCommand::Add { name, actor } => {
            let group = find(fed.store(), &name).await?;
            let added = add_moderator(fed, &group, &actor, "cli").await?;
            println!(
                "{} moderates {}; the running server's workers deliver the Add.",
                added.handle(),
                group.name
            );
        }
        ModeratorCommand::Remove { name, actor } => {
            let group = find(fed.store(), &name).await?;
            remove_moderator(fed, &group, &actor).await?;
            println!(
                "{actor} no longer moderates {}; the running server's workers deliver the Remove.",
                group.name
            );
        }
        ModeratorCommand::List { name } => {
            let group = find(fed.store(), &name).await?;
            let moderators = fed.store().group_moderators(group.id).await?;
            if moderators.is_empty() {
                println!(
                    "{} has no moderators from other instances (add one with: hearth group moderator add {} ACTOR_URL).",
                    group.name, group.name
                );
                return Ok(());
            }
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
                "moderator",
                "actor",
                "added by",
                "since",
            ]);
            for m in moderators {
                table.add_row(vec![
                    m.handle(),
                    m.ap_id.clone(),
                    m.added_by.clone(),
                    date(m.created_at),
                ]);
            }
            println!("{table}");
        }
    }
    Ok(())
}
