//! Remote actors: a cache of the people and services that talk to our groups.

use crate::error::Result;
use crate::store::{on_pool, Store};

/// A remote actor as parsed from its JSON document.
#[derive(Debug, Clone)]
pub struct NewActor {
    /// The actor's id.
    pub ap_id: String,
    /// `Person`, `Service`, `Application`, `Group`, `Organization`.
    pub kind: String,
    /// Host (with port when not default) of the actor id.
    pub host: String,
    /// `preferredUsername`.
    pub preferred_username: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Personal inbox.
    pub inbox: String,
    /// `endpoints.sharedInbox`, when offered.
    pub shared_inbox: Option<String>,
    /// Profile page.
    pub url: Option<String>,
    /// Avatar.
    pub icon_url: Option<String>,
    /// `publicKey.id`.
    pub public_key_id: String,
    /// `publicKey.publicKeyPem`.
    pub public_key_pem: String,
    /// `published` (ms), when given: the account's age.
    pub published: Option<i64>,
    /// The document as fetched.
    pub raw: String,
}

/// A cached remote actor.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Actor {
    /// Row id.
    pub id: i64,
    /// The actor's id.
    pub ap_id: String,
    /// Actor type.
    pub kind: String,
    /// Host of the actor id.
    pub host: String,
    /// `preferredUsername`.
    pub preferred_username: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Personal inbox.
    pub inbox: String,
    /// Shared inbox, when offered.
    pub shared_inbox: Option<String>,
    /// Profile page.
    pub url: Option<String>,
    /// Avatar.
    pub icon_url: Option<String>,
    /// `publicKey.id`.
    pub public_key_id: String,
    /// `publicKey.publicKeyPem`.
    pub public_key_pem: String,
    /// Account creation time (ms), when given.
    pub published: Option<i64>,
    /// The document as fetched.
    pub raw: String,
    /// When we last fetched it (ms).
    pub fetched_at: i64,
}

impl Actor {
    /// Where deliveries for this actor go: the shared inbox when there is one.
    pub fn delivery_inbox(&self) -> &str {
        self.shared_inbox.as_deref().unwrap_or(&self.inbox)
    }

    /// `@user@host` when the username is known, else the id.
    pub fn handle(&self) -> String {
        match &self.preferred_username {
            Some(user) => format!("@{user}@{}", self.host),
            None => self.ap_id.clone(),
        }
    }
}

const ACTOR_COLUMNS: &str =
    "id, ap_id, kind, host, preferred_username, name, inbox, shared_inbox, \
    url, icon_url, public_key_id, public_key_pem, published, raw, fetched_at";

impl Store {
    /// Inserts or refreshes a remote actor (keyed by its id) and makes sure its instance is known.
    pub async fn upsert_actor(&self, new: &NewActor) -> Result<Actor> {
        let now = crate::now_ms();
        let sql = format!(
            "INSERT INTO actors (ap_id, kind, host, preferred_username, name, inbox, shared_inbox, url, \
             icon_url, public_key_id, public_key_pem, published, raw, fetched_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (ap_id) DO UPDATE SET kind = excluded.kind, preferred_username = excluded.preferred_username, \
             name = excluded.name, inbox = excluded.inbox, shared_inbox = excluded.shared_inbox, url = excluded.url, \
             icon_url = excluded.icon_url, public_key_id = excluded.public_key_id, \
             public_key_pem = excluded.public_key_pem, published = excluded.published, raw = excluded.raw, \
             fetched_at = excluded.fetched_at \
             RETURNING {ACTOR_COLUMNS}"
        );
        let instance_sql = "INSERT INTO instances (host, first_seen_at) VALUES ($1, $2) ON CONFLICT (host) DO NOTHING";
        on_pool!(self, pool => {
            sqlx::query(instance_sql).bind(&new.host).bind(now).execute(pool).await?;
            Ok(sqlx::query_as(&sql)
                .bind(&new.ap_id)
                .bind(&new.kind)
                .bind(&new.host)
                .bind(&new.preferred_username)
                .bind(&new.name)
                .bind(&new.inbox)
                .bind(&new.shared_inbox)
                .bind(&new.url)
                .bind(&new.icon_url)
                .bind(&new.public_key_id)
                .bind(&new.public_key_pem)
                .bind(new.published)
                .bind(&new.raw)
                .bind(now)
                .fetch_one(pool)
                .await?)
        })
    }

    /// The cached actor with this id.
    pub async fn actor_by_ap_id(&self, ap_id: &str) -> Result<Option<Actor>> {
        let sql = format!("SELECT {ACTOR_COLUMNS} FROM actors WHERE ap_id = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(ap_id).fetch_optional(pool).await?))
    }

    /// The cached actor with row id `id`.
    pub async fn actor_by_id(&self, id: i64) -> Result<Option<Actor>> {
        let sql = format!("SELECT {ACTOR_COLUMNS} FROM actors WHERE id = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?))
    }

    /// The cached actor whose public key has this id.
    pub async fn actor_by_key_id(&self, key_id: &str) -> Result<Option<Actor>> {
        let sql = format!("SELECT {ACTOR_COLUMNS} FROM actors WHERE public_key_id = $1 LIMIT 1");
        on_pool!(self, pool => Ok(sqlx::query_as(&sql).bind(key_id).fetch_optional(pool).await?))
    }

    /// Ids of actors not fetched since `older_than` (ms), oldest first.
    pub async fn stale_actors(&self, older_than: i64, limit: i64) -> Result<Vec<String>> {
        let sql = "SELECT ap_id FROM actors WHERE fetched_at < $1 ORDER BY fetched_at LIMIT $2";
        on_pool!(self, pool => Ok(sqlx::query_scalar(sql).bind(older_than).bind(limit).fetch_all(pool).await?))
    }
}
