//! Staff accounts, their login sessions and their API tokens. Secrets are stored only as
//! hashes: the caller hashes passwords (argon2) and tokens (SHA-256) before they reach here.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A staff account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Account {
    /// Row id.
    pub id: i64,
    /// Login name, lowercase.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Whether the account administers the whole instance.
    pub is_admin: bool,
    /// Base32 TOTP secret, when the second factor is on.
    pub totp_secret: Option<String>,
    /// Failed logins since the last success.
    pub failed_logins: i64,
    /// Logins are refused until then (ms).
    pub locked_until: Option<i64>,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last password change (ms).
    pub password_changed_at: i64,
}

/// A login session, looked up by the hash of its cookie.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    /// SHA-256 of the cookie value.
    pub token_hash: String,
    /// Whose session.
    pub account_id: i64,
    /// The token forms must carry.
    pub csrf_token: String,
    /// Start (ms).
    pub created_at: i64,
    /// End (ms): the session is refused after this.
    pub expires_at: i64,
}

/// An API token, without its secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiToken {
    /// Row id.
    pub id: i64,
    /// Owner.
    pub account_id: i64,
    /// What it is for, as its owner named it.
    pub name: String,
    /// Creation time (ms).
    pub created_at: i64,
    /// Last use (ms).
    pub last_used_at: Option<i64>,
    /// Revocation time (ms); a revoked token is refused.
    pub revoked_at: Option<i64>,
}

const ACCOUNT_COLUMNS: &str = "id, username, password_hash, is_admin, totp_secret, failed_logins, \
    locked_until, created_at, password_changed_at";

impl Store {
    /// Creates an account. A taken username is a [`crate::StoreError::Conflict`].
    pub async fn create_account(
        &self,
        username: &str,
        password_hash: &str,
        is_admin: bool,
    ) -> Result<Account> {
        let sql = format!(
            "INSERT INTO accounts (username, password_hash, is_admin, created_at, password_changed_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING {ACCOUNT_COLUMNS}"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(&sql)
            .bind(username)
            .bind(password_hash)
            .bind(is_admin)
            .bind(crate::now_ms())
            .fetch_one(pool)
            .await?))
    }

    /// The account called `username`.
    pub async fn account_by_username(&self, username: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?))
    }

    /// The account with row id `id`.
    pub async fn account_by_id(&self, id: i64) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// Every account, by username.
    pub async fn list_accounts(&self) -> Result<Vec<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY username");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// How many accounts exist.
    pub async fn count_accounts(&self) -> Result<i64> {
        on_pool!(self, pool => Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
            .fetch_one(pool)
            .await?))
    }

    /// Records a failed login; from `max_failures` on, the account is locked until `lock_until`.
    /// Returns the failures counted so far.
    pub async fn record_failed_login(
        &self,
        account_id: i64,
        max_failures: i64,
        lock_until: i64,
    ) -> Result<i64> {
        let sql = "UPDATE accounts SET failed_logins = failed_logins + 1, \
                   locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END \
                   WHERE id = $1 RETURNING failed_logins";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql)
            .bind(account_id)
            .bind(max_failures)
            .bind(lock_until)
            .fetch_one(pool)
            .await?))
    }

    /// Clears the failure count and any lock after a successful login.
    pub async fn record_successful_login(&self, account_id: i64) -> Result<()> {
        let sql = "UPDATE accounts SET failed_logins = 0, locked_until = NULL WHERE id = $1";
        on_pool!(self, pool => sqlx::query(sql).bind(account_id).execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Replaces the password and ends every session of the account except `keep_session`.
    pub async fn set_password(
        &self,
        account_id: i64,
        password_hash: &str,
        keep_session: Option<&str>,
    ) -> Result<()> {
        let now = crate::now_ms();
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE accounts SET password_hash = $2, password_changed_at = $3, \
                         failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(account_id)
                .bind(password_hash)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
                .bind(account_id)
                .bind(keep_session.unwrap_or(""))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Turns the TOTP second factor on (with a secret) or off (`None`).
    pub async fn set_totp_secret(&self, account_id: i64, secret: Option<&str>) -> Result<()> {
        let sql = "UPDATE accounts SET totp_secret = $2 WHERE id = $1";
        on_pool!(self, pool => sqlx::query(sql).bind(account_id).bind(secret).execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Grants or withdraws instance administration.
    pub async fn set_admin(&self, account_id: i64, is_admin: bool) -> Result<()> {
        let sql = "UPDATE accounts SET is_admin = $2 WHERE id = $1";
        on_pool!(self, pool => sqlx::query(sql).bind(account_id).bind(is_admin).execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Starts a session.
    pub async fn create_session(
        &self,
        token_hash: &str,
        account_id: i64,
        csrf_token: &str,
        expires_at: i64,
    ) -> Result<()> {
        let sql = "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, expires_at, last_seen_at) \
                   VALUES ($1, $2, $3, $4, $5, $4)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(token_hash)
            .bind(account_id)
            .bind(csrf_token)
            .bind(crate::now_ms())
            .bind(expires_at)
            .execute(pool).await.map(drop))?;
        Ok(())
    }

    /// The session whose cookie hashes to `token_hash`, expired or not.
    pub async fn session(&self, token_hash: &str) -> Result<Option<Session>> {
        let sql =
            "SELECT token_hash, account_id, csrf_token, created_at, expires_at FROM sessions \
                   WHERE token_hash = $1";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(token_hash).fetch_optional(pool).await?))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(pool).await.map(drop))?;
        Ok(())
    }

    /// Deletes sessions that ended before `now`; returns how many.
    pub async fn prune_sessions(&self, now: i64) -> Result<u64> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(pool)
            .await?.rows_affected());
        Ok(done)
    }

    /// Stores a new API token (by the hash of its secret).
    pub async fn create_api_token(
        &self,
        account_id: i64,
        name: &str,
        token_hash: &str,
    ) -> Result<ApiToken> {
        let sql = "INSERT INTO api_tokens (account_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) \
                   RETURNING id, account_id, name, created_at, last_used_at, revoked_at";
        on_pool!(self, pool => Ok(sqlx::query_as(sql)
            .bind(account_id)
            .bind(name)
            .bind(token_hash)
            .bind(crate::now_ms())
            .fetch_one(pool)
            .await?))
    }

    /// The live (not revoked) token whose secret hashes to `token_hash`; marks it used.
    pub async fn use_api_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
        let sql =
            "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL \
                   RETURNING id, account_id, name, created_at, last_used_at, revoked_at";
        on_pool!(self, pool => Ok(sqlx::query_as(sql)
            .bind(token_hash)
            .bind(crate::now_ms())
            .fetch_optional(pool)
            .await?))
    }

    /// The tokens of an account, newest first, revoked ones included.
    pub async fn api_tokens(&self, account_id: i64) -> Result<Vec<ApiToken>> {
        let sql =
            "SELECT id, account_id, name, created_at, last_used_at, revoked_at FROM api_tokens \
                   WHERE account_id = $1 ORDER BY id DESC";
        on_pool!(self, pool => Ok(sqlx::query_as(sql).bind(account_id).fetch_all(pool).await?))
    }

    /// Revokes token `id` of `account_id`; false when there is no such live token.
    pub async fn revoke_api_token(&self, account_id: i64, id: i64) -> Result<bool> {
        let sql = "UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL";
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(id)
            .bind(account_id)
            .bind(crate::now_ms())
            .execute(pool)
            .await?.rows_affected());
        Ok(done == 1)
    }
}
