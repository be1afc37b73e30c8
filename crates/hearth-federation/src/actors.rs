//! Remote actors: read from the cache, fetched when unknown or stale, refetched on demand
//! (a failed signature may mean the key was rotated).

use hearth_storage::{Actor, NewActor};
use serde_json::Value;
use url::Url;

use crate::fetch::FetchError;
use crate::urls::authority;
use crate::vocab::inbound::{first_url, kind_of, parse_time, str_of};
use crate::Federation;

/// A cached actor is refetched after this long.
const STALE_AFTER_MS: i64 = 24 * 3600 * 1000;

/// Actor types Hearth accepts as senders.
const ACTOR_TYPES: [&str; 5] = ["Person", "Service", "Application", "Group", "Organization"];

/// When to go to the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// Use the cache unless the actor is unknown or stale; a failed refetch falls back to it.
    IfStale,
    /// Always fetch (key rotation).
    Force,
}

/// Why an actor could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ActorError {
    /// Fetching failed.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The document is not a usable actor.
    #[error("{id} is not a usable actor: {reason}")]
    Invalid {
        /// The actor id.
        id: String,
        /// Why.
        reason: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] hearth_storage::StoreError),
}

impl Federation {
    /// The actor with id `id`, from cache or network.
    pub async fn resolve_actor(&self, id: &Url, refresh: Refresh) -> Result<Actor, ActorError> {
        let cached = self.store().actor_by_ap_id(id.as_str()).await?;
        if let (Some(actor), Refresh::IfStale) = (&cached, refresh) {
            if actor.fetched_at > hearth_storage::now_ms() - STALE_AFTER_MS {
                return Ok(actor.clone());
            }
        }
        match self.fetch_document(id).await {
            Ok(doc) => {
                let new = actor_from_document(&doc, id)?;
                Ok(self.store().upsert_actor(&new).await?)
            }
            Err(err) => match (cached, refresh) {
                (Some(actor), Refresh::IfStale) => {
                    tracing::warn!(actor = %id, error = %err, "refetch failed; using the cached actor");
                    Ok(actor)
                }
                _ => Err(err.into()),
            },
        }
    }
}

/// Reads an actor document as the fediverse serves it.
pub fn actor_from_document(doc: &Value, expected_id: &Url) -> Result<NewActor, ActorError> {
    let invalid = |reason: &str| ActorError::Invalid {
        id: expected_id.to_string(),
        reason: reason.to_owned(),
    };
    let id = str_of(doc, "id").ok_or_else(|| invalid("no id"))?;
    if id != expected_id.as_str() {
        return Err(invalid(&format!("the document's id is {id}")));
    }
    let kind = kind_of(doc).ok_or_else(|| invalid("no type"))?;
    if !ACTOR_TYPES.contains(&kind) {
        return Err(invalid(&format!("type {kind} is not an actor type")));
    }
    let inbox = str_of(doc, "inbox")
        .filter(|i| Url::parse(i).is_ok())
        .ok_or_else(|| invalid("no usable inbox"))?;
    let key = match doc.get("publicKey") {
        Some(Value::Array(keys)) => keys
            .iter()
            .find(|k| str_of(k, "owner") == Some(id))
            .or_else(|| keys.first()),
        other => other,
    }
    .ok_or_else(|| invalid("no publicKey"))?;
    let key_id = str_of(key, "id").ok_or_else(|| invalid("the publicKey has no id"))?;
    let pem =
        str_of(key, "publicKeyPem").ok_or_else(|| invalid("the publicKey has no publicKeyPem"))?;
    let shared_inbox = doc
        .get("endpoints")
        .and_then(|e| str_of(e, "sharedInbox"))
        .filter(|s| Url::parse(s).is_ok())
        .map(str::to_owned);
    Ok(NewActor {
        ap_id: id.to_owned(),
        kind: kind.to_owned(),
        host: authority(expected_id),
        preferred_username: str_of(doc, "preferredUsername").map(str::to_owned),
        name: str_of(doc, "name").map(str::to_owned),
        inbox: inbox.to_owned(),
        shared_inbox,
        url: first_url(doc.get("url")).map(str::to_owned),
        icon_url: first_url(doc.get("icon")).map(str::to_owned),
        public_key_id: key_id.to_owned(),
        public_key_pem: pem.to_owned(),
        published: parse_time(doc.get("published")),
        raw: doc.to_string(),
    })
}

/// Whether `key_id` names the key of `actor`: its published key id, or (for servers that
/// point at the actor itself) the actor id with or without a fragment.
pub fn key_belongs_to(key_id: &str, actor: &Actor) -> bool {
    key_id == actor.public_key_id || key_id.split('#').next() == Some(actor.ap_id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mastodon_and_gotosocial_actors_parse() {
        let id = Url::parse("https://m.example/users/alice").unwrap();
        let doc = json!({
            "id": "https://m.example/users/alice", "type": "Person", "preferredUsername": "alice",
            "inbox": "https://m.example/users/alice/inbox", "endpoints": {"sharedInbox": "https://m.example/inbox"},
            "publicKey": {"id": "https://m.example/users/alice/main-key", "owner": "https://m.example/users/alice",
                          "publicKeyPem": "PEM"},
            "icon": {"type": "Image", "url": "https://m.example/a.png"}, "published": "2020-01-01T00:00:00Z"
        });
        let actor = actor_from_document(&doc, &id).unwrap();
        assert_eq!(
            actor.shared_inbox.as_deref(),
            Some("https://m.example/inbox")
        );
        assert_eq!(
            actor.public_key_id,
            "https://m.example/users/alice/main-key"
        );
        assert_eq!(actor.icon_url.as_deref(), Some("https://m.example/a.png"));
        assert_eq!(actor.host, "m.example");
        let other = Url::parse("https://m.example/users/bob").unwrap();
        assert!(actor_from_document(&doc, &other).is_err());
    }
}
