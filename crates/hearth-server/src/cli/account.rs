//! `hearth admin create` and `hearth account …`: staff accounts from the command line. These
//! run as the server's operator, so they need no login; passwords are read from a prompt
//! (without echo) or, when stdin is not a terminal, from its first line.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use clap::Subcommand;
use comfy_table::{presets::UTF8_FULL_CONDENSED, Table};
use hearth_storage::{Account, Store};

use super::group::date;
use crate::accounts::Accounts;
use crate::config::Config;

/// `hearth admin …`.
#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an instance admin account (the first account of a new instance). The password
    /// is asked for, or read from stdin: `echo "$PASSWORD" | hearth admin create alice`.
    Create {
        /// Login name: lowercase letters, digits, _ . -
        name: String,
    },
}

/// `hearth account …`.
#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Create a staff account; appoint it to groups with `hearth group staff add`.
    Create {
        /// Login name: lowercase letters, digits, _ . -
        name: String,
        /// Make it an instance admin.
        #[arg(long)]
        admin: bool,
    },
    /// List accounts with their roles.
    List,
    /// Set a new password (asked for, or read from stdin); every session of the account ends.
    Password {
        /// The account.
        name: String,
    },
    /// Lift a lock left by failed logins.
    Unlock {
        /// The account.
        name: String,
    },
    /// Turn off two-factor authentication (when the person lost their device).
    DisableTwoFactor {
        /// The account.
        name: String,
    },
    /// Create an API token for scripts; it is printed once.
    Token {
        /// The account.
        name: String,
        /// What the token is for.
        #[arg(long, default_value = "command line")]
        label: String,
    },
}

fn read_password(prompt: &str, confirm: bool) -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(prompt).context("cannot read the password")?;
        if confirm {
            let again = rpassword::prompt_password("Repeat it: ")?;
            if again != first {
                bail!("the two passwords differ; nothing was changed");
            }
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn find(store: &Store, name: &str) -> anyhow::Result<Account> {
    match store.account_by_username(&name.to_lowercase()).await? {
        Some(account) => Ok(account),
        None => bail!("there is no account named {name:?} (see: hearth account list)"),
    }
}

async fn create(accounts: &Accounts, name: &str, admin: bool) -> anyhow::Result<()> {
    Accounts::validate_username(&name.to_lowercase())?;
    let password = read_password(&format!("Password for {name}: "), true)?;
    let account = accounts.create(name, &password, admin).await?;
    let kind = if admin { "instance admin" } else { "staff" };
    println!("Created {kind} account {}.", account.username);
    println!("Log in at /admin/login on this server.");
    Ok(())
}

/// Runs `hearth admin …`.
pub async fn run_admin(config: Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let accounts = Accounts::new(store.clone(), config.auth()?);
    let result = match command {
        AdminCommand::Create { name } => create(&accounts, &name, true).await,
    };
    store.close().await;
    result
}

/// Runs `hearth account …`.
pub async fn run(config: Config, command: AccountCommand) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let accounts = Accounts::new(store.clone(), config.auth()?);
    let result = match command {
        AccountCommand::Create { name, admin } => create(&accounts, &name, admin).await,
        AccountCommand::List => list(&store).await,
        AccountCommand::Password { name } => {
            let account = find(&store, &name).await?;
            let password = read_password(&format!("New password for {name}: "), true)?;
            accounts.set_password(&account, &password, None).await?;
            println!(
                "Password of {} changed; its sessions have ended.",
                account.username
            );
            Ok(())
        }
        AccountCommand::Unlock { name } => {
            let account = find(&store, &name).await?;
            store.record_successful_login(account.id).await?;
            println!("{} can log in again.", account.username);
            Ok(())
        }
        AccountCommand::DisableTwoFactor { name } => {
            let account = find(&store, &name).await?;
            accounts.disable_totp(&account).await?;
            println!("Two-factor authentication is off for {}.", account.username);
            Ok(())
        }
        AccountCommand::Token { name, label } => {
            let account = find(&store, &name).await?;
            let (secret, _) = accounts.create_token(&account, &label).await?;
            println!("{secret}");
            eprintln!("This token is shown once. Send it as: Authorization: Bearer <token>");
            Ok(())
        }
    };
    store.close().await;
    result
}

async fn list(store: &Store) -> anyhow::Result<()> {
    let list = store.list_accounts().await?;
    if list.is_empty() {
        println!("No accounts yet. Create the first admin with: hearth admin create NAME");
        return Ok(());
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED).set_header(vec![
        "username", "admin", "roles", "2FA", "locked", "created",
    ]);
    let now = hearth_storage::now_ms();
    for account in list {
        let roles = store
            .roles_of_account(account.id)
            .await?
            .into_iter()
            .map(|r| format!("{} of {}", r.role, r.group_name))
            .collect::<Vec<_>>()
            .join(", ");
        table.add_row(vec![
            account.username.clone(),
            if account.is_admin { "yes" } else { "no" }.into(),
            roles,
            if account.totp_secret.is_some() {
                "on"
            } else {
                "off"
            }
            .into(),
            match account.locked_until {
                Some(until) if until > now => format!("until {}", date(until)),
                _ => String::new(),
            },
            date(account.created_at),
        ]);
    }
    println!("{table}");
    Ok(())
}
