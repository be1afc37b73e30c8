//! `hearth group members|staff|invite|uninvite`: who is in a group and who runs it.

use anyhow::bail;
use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_federation::groups::invitation_actor;
use hearth_storage::{GroupRole, Store};

use super::group::{date, find};

/// `hearth group staff …`.
#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// List a group's owners, moderators and community managers.
    List {
        /// The group's name.
        name: String,
    },
    /// Give a staff account a role in a group (replacing any role it had there).
    Add {
        /// The group's name.
        name: String,
        /// The account's username.
        username: String,
        /// owner, moderator or manager.
        #[arg(long, default_value = "moderator", value_parser = |s: &str| s.parse::<GroupRole>())]
        role: GroupRole,
    },
    /// Take an account's role in a group away.
    Remove {
        /// The group's name.
        name: String,
        /// The account's username.
        username: String,
    },
}

/// Runs `hearth group staff …`.
pub async fn staff(store: &Store, command: StaffCommand) -> anyhow::Result<()> {
    match command {
        StaffCommand::List { name } => {
            let group = find(store, &name).await?;
            let staff = store.group_staff(group.id).await?;
            if staff.is_empty() {
                println!(
                    "{} has no staff yet: hearth group staff add {} USERNAME --role owner",
                    group.name, group.name
                );
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_header(vec!["username", "role", "since"]);
            for s in staff {
                table.add_row(vec![s.username, s.role.to_string(), date(s.created_at)]);
            }
            println!("{table}");
        }
        StaffCommand::Add {
            name,
            username,
            role,
        } => {
            let group = find(store, &name).await?;
            let Some(account) = store.account_by_username(&username.to_lowercase()).await? else {
                bail!("there is no account named {username:?} (create it with: hearth account create {username})");
            };
            store.set_group_role(group.id, account.id, role).await?;
            println!("{} is now {role} of {}.", account.username, group.name);
        }
        StaffCommand::Remove { name, username } => {
            let group = find(store, &name).await?;
            let Some(account) = store.account_by_username(&username.to_lowercase()).await? else {
                bail!("there is no account named {username:?}");
            };
            if !store.remove_group_role(group.id, account.id).await? {
                bail!("{} has no role in {}", account.username, group.name);
            }
            println!(
                "{} no longer has a role in {}.",
                account.username, group.name
            );
        }
    }
    Ok(())
}

/// `hearth group members NAME [--search Q] [--limit N]`.
pub async fn members(store: &Store, name: &str, search: &str, limit: i64) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let (members, total) = store
        .members_page(group.id, search, 0, limit.max(1))
        .await?;
    if members.is_empty() {
        println!("No members match.");
        return Ok(());
    }
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_header(vec!["member", "instance", "software", "joined"]);
    for m in &members {
        table.add_row(vec![
            m.preferred_username
                .as_ref()
                .map(|u| format!("@{u}@{}", m.host))
                .unwrap_or_else(|| m.ap_id.clone()),
            m.host.clone(),
            m.software.clone().unwrap_or_else(|| "unknown".into()),
            date(m.created_at),
        ]);
    }
    println!("{table}");
    println!("{} of {total} member(s).", members.len());
    Ok(())
}

/// `hearth group invite NAME ACTOR` and `uninvite`.
pub async fn invite(store: &Store, name: &str, actor: &str, add: bool) -> anyhow::Result<()> {
    let group = find(store, name).await?;
    let url = invitation_actor(actor)?;
    if add {
        store.add_invite(group.id, &url, None).await?;
        println!(
            "Invited {url}: their follow of {} will be accepted.",
            group.name
        );
    } else if store.remove_invite(group.id, &url).await? {
        println!("Withdrew the invitation of {url}.");
    } else {
        bail!("{url} is not invited to {}", group.name);
    }
    Ok(())
}
