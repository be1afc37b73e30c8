//! `hearth group automod list|add|remove`: automod rules of one group, or with `--instance`
//! of every group. Rules take effect on the next post, in every running process.

use anyhow::bail;
use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_storage::{NewAutomodRule, Store};

use super::group::{date, find};

/// Which rules a command is about: one group's, or the instance-wide ones.
#[derive(clap::Args, Debug)]
pub struct Scope {
    /// The group's name.
    #[arg(required_unless_present = "instance", conflicts_with = "instance")]
    group: Option<String>,
    /// The instance-wide rules, which apply to every group, instead of one group's.
    #[arg(long)]
    instance: bool,
}

impl Scope {
    /// The group's row id, or `None` for the instance-wide rules.
    async fn group_id(&self, store: &Store) -> anyhow::Result<Option<i64>> {
        match &self.group {
            Some(name) => Ok(Some(find(store, name).await?.id)),
            None => Ok(None),
        }
    }

    /// How messages name the scope.
    fn name(&self) -> &str {
        self.group.as_deref().unwrap_or("the instance")
    }
}

/// `hearth group automod …`.
#[derive(Subcommand, Debug)]
pub enum AutomodCommand {
    /// List a group's rules and the instance-wide ones (or only those, with --instance).
    List(Scope),
    /// Add a rule: posts that match it are rejected, held for review, or taken in and reported.
    Add {
        #[command(flatten)]
        scope: Scope,
        /// What the rule checks: keyword, regex, link_domain (words, a regular expression or
        /// domains in --pattern), or max_mentions, max_links, min_account_age_days, actor_rate,
        /// instance_rate (a number in --threshold; rates are posts in the last hour).
        #[arg(long)]
        kind: String,
        /// Words or phrases (comma-separated, whole words, any case), a regular expression
        /// (add (?i) to ignore case), or domains (subdomains included).
        #[arg(long, default_value = "")]
        pattern: String,
        /// The count or number of days, for the kinds that take one.
        #[arg(long, default_value_t = 0)]
        threshold: i64,
        /// What happens to a matching post: reject, hold or report.
        #[arg(long)]
        outcome: String,
        /// Why the rule exists; shown to moderators, and to senders of rejected posts.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Remove a rule.
    #[command(allow_missing_positional = true)]
    Remove {
        #[command(flatten)]
        scope: Scope,
        /// The rule's id (from `automod list`).
        id: i64,
    },
}

/// Runs `hearth group automod …`.
pub async fn run(store: &Store, command: AutomodCommand) -> anyhow::Result<()> {
    match command {
        AutomodCommand::List(scope) => list(store, &scope).await,
        AutomodCommand::Add {
            scope,
            kind,
            pattern,
            threshold,
            outcome,
            note,
        } => {
            let rule = hearth_moderation::automod::validate(NewAutomodRule {
                group_id: scope.group_id(store).await?,
                kind,
                pattern,
                threshold,
                outcome,
                note,
                created_by: "cli".into(),
            })?;
            let added = store.add_automod_rule(&rule).await?;
            println!(
                "Added automod rule {} to {}: {} posts go to {}.",
                added.id,
                scope.name(),
                added.kind,
                added.outcome
            );
            Ok(())
        }
        AutomodCommand::Remove { scope, id } => {
            let group_id = scope.group_id(store).await?;
            if store
                .remove_automod_rule(group_id, id, "cli")
                .await?
                .is_none()
            {
                bail!(
                    "{} has no automod rule {id} (see: hearth group automod list {})",
                    scope.name(),
                    scope.group.as_deref().unwrap_or("--instance")
                );
            }
            println!("Removed automod rule {id} from {}.", scope.name());
            Ok(())
        }
    }
}

async fn list(store: &Store, scope: &Scope) -> anyhow::Result<()> {
    let rules = match scope.group_id(store).await? {
        Some(group_id) => store.automod_rules_for(group_id).await?,
        None => store.automod_rules(None).await?,
    };
    if rules.is_empty() {
        println!("No automod rules apply to {}.", scope.name());
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "id",
        "applies to",
        "kind",
        "pattern / threshold",
        "outcome",
        "note",
        "added by",
        "added",
    ]);
    for rule in rules {
        let what = if rule.pattern.is_empty() {
            rule.threshold.to_string()
        } else {
            rule.pattern
        };
        table.add_row(vec![
            rule.id.to_string(),
            if rule.group_id.is_some() {
                scope.name().to_owned()
            } else {
                "every group".to_owned()
            },
            rule.kind,
            what,
            rule.outcome,
            rule.note,
            rule.created_by,
            date(rule.created_at),
        ]);
    }
    println!("{table}");
    Ok(())
}
