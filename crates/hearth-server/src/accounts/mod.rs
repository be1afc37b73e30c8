//! Staff accounts: creating them, logging in (with lockout and an optional TOTP second factor),
//! sessions, API tokens, and what each role may do. Pages, the JSON API and the CLI all go
//! through [`Accounts`]; none of them touches passwords or tokens directly.

mod permissions;
mod secrets;

use hearth_storage::{Account, ApiToken, Session, Store, StoreError};

pub use permissions::{Permission, Staff};
pub use secrets::{hash_token, new_token};

/// Login policy and session lifetime.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// How long a session lasts, in ms.
    pub session_ms: i64,
    /// Failed logins before the account is locked.
    pub max_failures: i64,
    /// How long a lock lasts, in ms.
    pub lock_ms: i64,
    /// Whether cookies carry `Secure` (the public URL is https).
    pub secure_cookies: bool,
}

/// Why an account operation was refused. Every variant has a message fit for the person
/// who tried.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user or wrong password (deliberately the same message).
    #[error("wrong username or password")]
    WrongCredentials,
    /// Too many failures.
    #[error("too many failed logins: this account is locked for {minutes} more minute(s)")]
    Locked {
        /// Minutes left, rounded up.
        minutes: i64,
    },
    /// The account has a second factor and no code was given.
    #[error("enter the 6-digit code from your authenticator app")]
    CodeRequired,
    /// The second-factor code is wrong.
    #[error("that authenticator code is wrong or has expired")]
    WrongCode,
    /// No session or token came with the request.
    #[error("log in first")]
    NotLoggedIn,
    /// The session has ended.
    #[error("your session has expired; log in again")]
    Expired,
    /// The token is unknown or revoked.
    #[error("the API token is unknown or has been revoked")]
    BadToken,
    /// The form lacked the anti-forgery token or carried a wrong one.
    #[error("the form has expired or did not come from this site; reload the page and try again")]
    Csrf,
    /// The role does not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// A field is unusable.
    #[error("{0}")]
    Invalid(String),
    /// The username is taken.
    #[error("an account named {0} already exists")]
    Taken(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password accepted (argon2 hashes anything, but a bound keeps requests cheap).
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// The account service.
#[derive(Clone)]
pub struct Accounts {
    store: Store,
    settings: AuthSettings,
}

/// A started session: the cookie value to hand out (never stored) and the stored row.
pub struct NewSession {
    /// Goes into the session cookie.
    pub cookie: String,
    /// What was stored.
    pub session: Session,
}

/// An account's second factor being set up: the secret and the `otpauth://` URL to show.
pub struct TotpSetup {
    /// Base32 secret.
    pub secret: String,
    /// For authenticator apps.
    pub url: String,
}

impl Accounts {
    /// The service over `store`.
    pub fn new(store: Store, settings: AuthSettings) -> Self {
        Accounts { store, settings }
    }

    /// Login policy and cookie settings.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// Checks that a username is 1–32 of `a-z 0-9 _ . -`, starting with a letter or digit.
    pub fn validate_username(username: &str) -> Result<(), AuthError> {
        let ok = !username.is_empty()
            && username.len() <= 32
            && username.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            && username
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c));
        if ok {
            Ok(())
        } else {
            Err(AuthError::Invalid(format!(
                "{username:?} is not a usable username: use 1 to 32 lowercase letters, digits, _ . or -"
            )))
        }
    }

    /// Checks a new password's length.
    pub fn validate_password(password: &str) -> Result<(), AuthError> {
        let n = password.chars().count();
        if n < MIN_PASSWORD_CHARS {
            return Err(AuthError::Invalid(format!(
                "a password needs at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if n > MAX_PASSWORD_CHARS {
            return Err(AuthError::Invalid(format!(
                "a password has at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        Ok(())
    }

    /// Creates an account.
    pub async fn create(
        &self,
        username: &str,
        password: &str,
        is_admin: bool,
    ) -> Result<Account, AuthError> {
        let username = username.trim().to_lowercase();
        Self::validate_username(&username)?;
        Self::validate_password(password)?;
        let hash = secrets::hash_password(password.to_owned()).await?;
        self.store
            .create_account(&username, &hash, is_admin)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AuthError::Taken(username.clone()),
                other => AuthError::Store(other),
            })
    }

    /// Checks a login. Failures count towards a lock of the account; a locked account is
    /// refused before its password is checked.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<Account, AuthError> {
        let username = username.trim().to_lowercase();
        let Some(account) = self.store.account_by_username(&username).await? else {
            // Spend the same time as a real check, so names cannot be probed by timing.
            secrets::burn_password_check(password.to_owned()).await;
            return Err(AuthError::WrongCredentials);
        };
        let now = hearth_storage::now_ms();
        if let Some(until) = account.locked_until.filter(|until| *until > now) {
            return Err(AuthError::Locked {
                minutes: (until - now + 59_999) / 60_000,
            });
        }
        let password_ok =
            secrets::verify_password(password.to_owned(), account.password_hash.clone()).await;
        if !password_ok {
            return Err(self.failed(&account).await?);
        }
        if let Some(secret) = &account.totp_secret {
            let code = code.map(str::trim).filter(|c| !c.is_empty());
            let Some(code) = code else {
                return Err(AuthError::CodeRequired);
            };
            if !secrets::totp_matches(secret, &account.username, code) {
                return Err(match self.failed(&account).await? {
                    AuthError::WrongCredentials => AuthError::WrongCode,
                    locked => locked,
                });
            }
        }
        self.store.record_successful_login(account.id).await?;
        Ok(account)
    }

    async fn failed(&self, account: &Account) -> Result<AuthError, AuthError> {
        let lock_until = hearth_storage::now_ms() + self.settings.lock_ms;
        let failures = self
            .store
            .record_failed_login(account.id, self.settings.max_failures, lock_until)
            .await?;
        if failures >= self.settings.max_failures {
            tracing::warn!(account = %account.username, failures, "account locked after failed logins");
            Ok(AuthError::Locked {
                minutes: (self.settings.lock_ms + 59_999) / 60_000,
            })
        } else {
            Ok(AuthError::WrongCredentials)
        }
    }

    /// Starts a session for `account`.
    pub async fn start_session(&self, account: &Account) -> Result<NewSession, AuthError> {
        let cookie = new_token("hs");
        let csrf = new_token("cs");
        let expires_at = hearth_storage::now_ms() + self.settings.session_ms;
        let hash = hash_token(&cookie);
        self.store
            .create_session(&hash, account.id, &csrf, expires_at)
            .await?;
        let session = self
            .store
            .session(&hash)
            .await?
            .ok_or(AuthError::Store(StoreError::NotFound))?;
        Ok(NewSession { cookie, session })
    }

    /// The staff member a session cookie belongs to.
    pub async fn staff_for_session(&self, cookie: &str) -> Result<(Staff, Session), AuthError> {
        let hash = hash_token(cookie);
        let session = self.store.session(&hash).await?.ok_or(AuthError::Expired)?;
        if session.expires_at <= hearth_storage::now_ms() {
            self.store.delete_session(&hash).await?;
            return Err(AuthError::Expired);
        }
        let staff = self.staff(session.account_id).await?;
        Ok((staff, session))
    }

    /// The staff member an API token belongs to.
    pub async fn staff_for_token(&self, token: &str) -> Result<Staff, AuthError> {
        let token = self
            .store
            .use_api_token(&hash_token(token))
            .await?
            .ok_or(AuthError::BadToken)?;
        self.staff(token.account_id).await
    }

    /// An account with its roles.
    pub async fn staff(&self, account_id: i64) -> Result<Staff, AuthError> {
        let account = self
            .store
            .account_by_id(account_id)
            .await?
            .ok_or(AuthError::NotLoggedIn)?;
        let roles = self.store.roles_of_account(account_id).await?;
        Ok(Staff::new(account, roles))
    }

    /// Ends a session.
    pub async fn logout(&self, cookie: &str) -> Result<(), AuthError> {
        Ok(self.store.delete_session(&hash_token(cookie)).await?)
    }

    /// Changes a password after checking the current one; other sessions end.
    pub async fn change_password(
        &self,
        account: &Account,
        current: &str,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), AuthError> {
        if !secrets::verify_password(current.to_owned(), account.password_hash.clone()).await {
            return Err(AuthError::Invalid("the current password is wrong".into()));
        }
        self.set_password(account, new, keep_session).await
    }

    /// Sets a password without the current one (the CLI, run by the server's operator).
    pub async fn set_password(
        &self,
        account: &Account,
        new: &str,
        keep_session: Option<&str>,
    ) -> Result<(), AuthError> {
        Self::validate_password(new)?;
        let hash = secrets::hash_password(new.to_owned()).await?;
        let keep = keep_session.map(hash_token);
        self.store
            .set_password(account.id, &hash, keep.as_deref())
            .await?;
        Ok(())
    }

    /// Creates an API token; the secret is returned once and never stored.
    pub async fn create_token(
        &self,
        account: &Account,
        name: &str,
    ) -> Result<(String, ApiToken), AuthError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(AuthError::Invalid(
                "a token needs a name of 1 to 100 characters".into(),
            ));
        }
        let secret = new_token("hth");
        let token = self
            .store
            .create_api_token(account.id, name, &hash_token(&secret))
            .await?;
        Ok((secret, token))
    }

    /// A fresh TOTP secret for `account`, not yet active: [`Accounts::enable_totp`] turns it on
    /// once the person shows a code made from it.
    pub fn begin_totp(&self, account: &Account, issuer: &str) -> Result<TotpSetup, AuthError> {
        secrets::new_totp(&account.username, issuer)
    }

    /// Turns the second factor on, if `code` was made from `secret`.
    pub async fn enable_totp(
        &self,
        account: &Account,
        secret: &str,
        code: &str,
    ) -> Result<(), AuthError> {
        if !secrets::totp_matches(secret, &account.username, code.trim()) {
            return Err(AuthError::WrongCode);
        }
        self.store.set_totp_secret(account.id, Some(secret)).await?;
        Ok(())
    }

    /// Turns the second factor off.
    pub async fn disable_totp(&self, account: &Account) -> Result<(), AuthError> {
        self.store.set_totp_secret(account.id, None).await?;
        Ok(())
    }
}
