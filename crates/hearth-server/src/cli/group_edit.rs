//! `hearth group edit|rules|archive|icon|banner`: a group's profile, rules and pictures from
//! the command line. Edits federate (`Update` of the Group) like edits made on the pages.

use std::path::Path;

use anyhow::{bail, Context};
use hearth_federation::groups::{edit_group, set_archived, set_rules};
use hearth_federation::Federation;
use hearth_storage::{GroupEdit, JoinMode, PostingPolicy, RuleInput};

use super::group::find;
use crate::uploads::{set_group_image, ImagePurpose};

/// Fields `hearth group edit` can change.
#[derive(clap::Args, Debug)]
pub struct EditArgs {
    /// The group's name.
    pub name: String,
    /// Display name.
    #[arg(long)]
    pub title: Option<String>,
    /// Description (Markdown).
    #[arg(long)]
    pub summary: Option<String>,
    /// Who may start threads: anyone, followers or moderators.
    #[arg(long, value_parser = |s: &str| s.parse::<PostingPolicy>())]
    pub posting: Option<PostingPolicy>,
    /// How people join: open, approval or invite.
    #[arg(long, value_parser = |s: &str| s.parse::<JoinMode>())]
    pub join_mode: Option<JoinMode>,
    /// A question for people asking to join (repeat for several; replaces the old ones).
    #[arg(long = "question")]
    pub questions: Vec<String>,
    /// Remove every join question.
    #[arg(long, conflicts_with = "questions")]
    pub no_questions: bool,
    /// Language (a BCP 47 tag such as en, de or pt-BR).
    #[arg(long)]
    pub language: Option<String>,
    /// List the group in directories.
    #[arg(long, conflicts_with = "unlisted")]
    pub listed: bool,
    /// Keep the group out of directories.
    #[arg(long)]
    pub unlisted: bool,
    /// Hold every post for a moderator's review: on or off.
    #[arg(long, value_name = "on|off", value_parser = parse_on_off)]
    pub premoderation: Option<bool>,
    /// Hold each member's first N posts for a moderator's review (0: none).
    #[arg(long, value_name = "N")]
    pub hold_first_posts: Option<u32>,
}

fn parse_on_off(text: &str) -> Result<bool, String> {
    match text {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("{text:?}: use on or off")),
    }
}

/// Applies `hearth group edit`.
pub async fn edit(fed: &Federation, args: EditArgs) -> anyhow::Result<()> {
    let group = find(fed.store(), &args.name).await?;
    let join_questions = if args.no_questions {
        Some(Vec::new())
    } else if args.questions.is_empty() {
        None
    } else {
        Some(args.questions)
    };
    let edit = GroupEdit {
        title: args.title,
        summary: args.summary,
        posting_policy: args.posting,
        join_mode: args.join_mode,
        join_questions,
        discoverable: match (args.listed, args.unlisted) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        language: args.language,
        premoderation: args.premoderation,
        hold_first_posts: args.hold_first_posts.map(i64::from),
        ..GroupEdit::default()
    };
    let group = edit_group(fed, &group, edit).await?;
    println!("Saved {}; followers will receive the update.", group.name);
    Ok(())
}

/// Reads rules from a file: one rule per line, `Short name | full text` (the text is
/// optional); blank lines and lines starting with `#` are skipped.
fn read_rules(path: &Path) -> anyhow::Result<Vec<RuleInput>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rules = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, body) = line.split_once('|').unwrap_or((line, ""));
        if name.trim().is_empty() {
            bail!(
                "{}:{}: a rule needs a short name before |",
                path.display(),
                number + 1
            );
        }
        rules.push(RuleInput {
            id: None,
            short_name: name.trim().to_owned(),
            text: body.trim().to_owned(),
        });
    }
    Ok(rules)
}

/// `hearth group rules NAME [--file F | --clear]`: shows or replaces the rules.
pub async fn rules(
    fed: &Federation,
    name: &str,
    file: Option<&Path>,
    clear: bool,
) -> anyhow::Result<()> {
    let group = find(fed.store(), name).await?;
    let current = fed.store().group_rules(group.id).await?;
    let rules = match (file, clear) {
        (Some(path), _) => {
            // Keep the ids of rules whose short name is unchanged, so citations stay valid.
            let mut new = read_rules(path)?;
            for rule in &mut new {
                rule.id = current
                    .iter()
                    .find(|old| old.short_name == rule.short_name)
                    .map(|old| old.id);
            }
            set_rules(fed.store(), &group, new).await?
        }
        (None, true) => set_rules(fed.store(), &group, Vec::new()).await?,
        (None, false) => current,
    };
    if rules.is_empty() {
        println!("{} has no rules.", group.name);
    }
    for rule in rules {
        if rule.text.is_empty() {
            println!("{}. {}", rule.position, rule.short_name);
        } else {
            println!("{}. {} — {}", rule.position, rule.short_name, rule.text);
        }
    }
    Ok(())
}

/// `hearth group archive NAME [--restore]`.
pub async fn archive(fed: &Federation, name: &str, restore: bool) -> anyhow::Result<()> {
    let group = find(fed.store(), name).await?;
    let group = set_archived(fed, &group, !restore).await?;
    if group.is_archived() {
        println!(
            "{} is archived: its threads stay readable; it takes no new members or posts.",
            group.name
        );
    } else {
        println!("{} is open again.", group.name);
    }
    Ok(())
}

/// `hearth group icon|banner NAME FILE`.
pub async fn image(
    fed: &Federation,
    name: &str,
    purpose: ImagePurpose,
    file: &Path,
    max_bytes: usize,
) -> anyhow::Result<()> {
    let group = find(fed.store(), name).await?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let group = set_group_image(fed, &group, purpose, bytes, max_bytes).await?;
    let url = match purpose {
        ImagePurpose::Icon => group.icon_url,
        ImagePurpose::Banner => group.banner_url,
    };
    println!(
        "Saved the {} of {}: {}",
        purpose.as_str(),
        group.name,
        url.unwrap_or_default()
    );
    Ok(())
}
