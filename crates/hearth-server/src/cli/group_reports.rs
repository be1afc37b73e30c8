//! `hearth group reports` and `hearth group case resolve|dismiss`: reports (`Flag`s) from
//! other instances, gathered into one case per reported post (or actor) in a group.

use anyhow::bail;
use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_storage::Store;

use super::group::{date, find};

/// `hearth group case …`.
#[derive(Subcommand, Debug)]
pub enum CaseCommand {
    /// Close a case as handled (the post was removed, the member talked to…).
    Resolve {
        /// The group's name.
        name: String,
        /// The case's id (from `hearth group reports`).
        id: i64,
        /// What was done, for the record.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Close a case without action.
    Dismiss {
        /// The group's name.
        name: String,
        /// The case's id (from `hearth group reports`).
        id: i64,
        /// Why, for the record.
        #[arg(long, default_value = "")]
        reason: String,
    },
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
        "Close a case with: hearth group case resolve|dismiss {} CASE [--reason TEXT]",
        group.name
    );
    Ok(())
}

/// Runs `hearth group case …`.
pub async fn case(store: &Store, command: CaseCommand) -> anyhow::Result<()> {
    let (name, id, reason, state) = match command {
        CaseCommand::Resolve { name, id, reason } => (name, id, reason, "resolved"),
        CaseCommand::Dismiss { name, id, reason } => (name, id, reason, "dismissed"),
    };
    let group = find(store, &name).await?;
    if !store
        .decide_case(group.id, id, state, "cli", &reason)
        .await?
    {
        bail!(
            "{} has no open case {id} (see: hearth group reports {})",
            group.name,
            group.name
        );
    }
    println!("Case {id} {state}.");
    Ok(())
}
