//! The inbox: a signed POST from a peer in, a stored decision and queued deliveries out.
//!
//! Order of work, cheapest refusal first: parse → shape and origin checks (no network) →
//! network guard on the actor → duplicate check → `Digest` → signature parse and age →
//! actor (cache, else signed fetch) → signature verify, refetching the actor once if the key
//! does not match (rotation) → dispatch by type → one transaction (see
//! [`hearth_storage::UnitOfWork`]).

pub(crate) mod content;
mod events;
mod follow;
mod moderation;
mod polls;
mod reactions;
mod report;
mod target;
mod undo;

use hearth_storage::{Actor, Group, UnitOfWork};
use reqwest::header::HeaderMap;
use serde_json::Value;
use url::Url;

use crate::actors::{key_belongs_to, ActorError, Refresh};
use crate::net::check_peer_url;
use crate::signatures::{parse_signature, verify_digest, SignatureError};
use crate::urls::authority;
use crate::vocab::inbound::{id_of, kind_of, str_of};
use crate::Federation;

/// A POST to an inbox, as the HTTP layer received it.
#[derive(Debug, Clone, Copy)]
pub struct InboxRequest<'a> {
    /// HTTP method (POST).
    pub method: &'a str,
    /// Path and query, for `(request-target)`.
    pub path_and_query: &'a str,
    /// Request headers.
    pub headers: &'a HeaderMap,
    /// The body, exactly as received.
    pub body: &'a [u8],
    /// The group whose inbox was posted to; `None` for the shared inbox.
    pub group: Option<&'a str>,
}

/// How an accepted request was handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Stored and acted on.
    Processed(String),
    /// Already processed earlier (same activity id); nothing was done again.
    Duplicate,
    /// Valid, but there is nothing for Hearth to do with it.
    Ignored(String),
}

/// A refusal, with the HTTP status and a reason for the sender.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {reason}")]
pub struct Rejection {
    /// HTTP status.
    pub status: u16,
    /// Why, in words.
    pub reason: String,
}

impl Rejection {
    pub(crate) fn new(status: u16, reason: impl Into<String>) -> Self {
        Rejection {
            status,
            reason: reason.into(),
        }
    }
    pub(crate) fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(400, reason)
    }
    pub(crate) fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(401, reason)
    }
    pub(crate) fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(403, reason)
    }
    pub(crate) fn not_found(reason: impl Into<String>) -> Self {
        Self::new(404, reason)
    }
    pub(crate) fn unprocessable(reason: impl Into<String>) -> Self {
        Self::new(422, reason)
    }
    pub(crate) fn unavailable(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "inbox failure");
        Self::new(
            503,
            "temporarily unable to process this activity; retry later",
        )
    }
}

impl From<hearth_storage::StoreError> for Rejection {
    fn from(err: hearth_storage::StoreError) -> Self {
        Rejection::unavailable(err)
    }
}

/// A verified inbound activity, handed to the handler of its type.
pub(crate) struct Inbound<'a> {
    /// The activity as parsed.
    pub activity: &'a Value,
    /// The activity exactly as received.
    pub raw: &'a str,
    /// Its id.
    pub id: &'a str,
    /// What marks it as processed (see [`dedupe_key`]).
    pub dedupe_key: String,
    /// The verified sender.
    pub actor: Actor,
    /// The group whose inbox was used, if any.
    pub inbox_group: Option<Group>,
}

/// What a handler decided: the changes to commit, and what to report.
pub(crate) struct Handled {
    pub work: UnitOfWork,
    pub summary: String,
}

impl Handled {
    pub(crate) fn new(work: UnitOfWork, summary: impl Into<String>) -> Self {
        Handled {
            work,
            summary: summary.into(),
        }
    }
}

/// The key under which an activity is remembered as processed: its id, except for `Update`,
/// whose id some servers reuse for every edit (Mobilizon gives an event's updates the id of
/// its `Create`): there the body's hash is added, so each distinct edit is applied once.
fn dedupe_key(kind: &str, id: &str, body: &[u8]) -> String {
    use sha2::Digest;
    if kind == "Update" {
        let hash = sha2::Sha256::digest(body);
        let short: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
        format!("{id} #update-{short}")
    } else {
        id.to_owned()
    }
}

/// Types Hearth acknowledges but has nothing to do with.
const IGNORED_TYPES: [&str; 2] = ["Accept", "Reject"];

impl Federation {
    /// Handles one inbox POST. See the module docs for the order of checks.
    pub async fn receive(&self, req: InboxRequest<'_>) -> Result<Accepted, Rejection> {
        let raw = std::str::from_utf8(req.body)
            .map_err(|_| Rejection::bad_request("the body is not UTF-8"))?;
        let activity: Value = serde_json::from_str(raw)
            .map_err(|e| Rejection::bad_request(format!("malformed JSON: {e}")))?;
        if !activity.is_object() {
            return Err(Rejection::bad_request("the body is not a JSON object"));
        }
        let id = str_of(&activity, "id")
            .ok_or_else(|| Rejection::bad_request("the activity has no id"))?;
        let id_url =
            Url::parse(id).map_err(|_| Rejection::bad_request("the activity id is not a URL"))?;
        let kind =
            kind_of(&activity).ok_or_else(|| Rejection::bad_request("the activity has no type"))?;
        let actor_id = activity
            .get("actor")
            .and_then(id_of)
            .ok_or_else(|| Rejection::bad_request("the activity has no actor"))?;
        let actor_url =
            Url::parse(actor_id).map_err(|_| Rejection::bad_request("the actor is not a URL"))?;

        if self.urls().is_local(&actor_url) {
            return Err(Rejection::forbidden(format!(
                "activities in the name of a local actor ({actor_id}) are only made here"
            )));
        }
        if authority(&id_url) != authority(&actor_url) {
            return Err(Rejection::forbidden(format!(
                "the activity id {id} is on another host than its actor {actor_id}"
            )));
        }
        if let hearth_moderation::Verdict::Refuse(reason) = self.judge_host(&authority(&actor_url))
        {
            return Err(Rejection::forbidden(reason));
        }
        check_peer_url(&actor_url, self.settings().allow_private_networks).map_err(|reason| {
            Rejection::forbidden(format!("refused to contact {actor_id}: {reason}"))
        })?;

        let inbox_group = match req.group {
            Some(name) => Some(self.store().group_by_name(name).await?.ok_or_else(|| {
                Rejection::not_found(format!("there is no group named {name} here"))
            })?),
            None => None,
        };
        let dedupe_key = dedupe_key(kind, id, req.body);
        if self.store().was_received(&dedupe_key).await? {
            return Ok(Accepted::Duplicate);
        }

        let digest = req.headers.get("digest").and_then(|v| v.to_str().ok());
        verify_digest(digest, req.body).map_err(|e| match e {
            SignatureError::DigestMismatch => Rejection::bad_request(e.to_string()),
            other => Rejection::unauthorized(other.to_string()),
        })?;
        let signature = parse_signature(
            req.method,
            req.path_and_query,
            req.headers,
            &self.urls().authority(),
            self.settings().signature_window,
        )
        .map_err(|e| Rejection::unauthorized(e.to_string()))?;

        let actor = match self.signer(kind, &activity, &actor_url).await? {
            Some(actor) => actor,
            None => return Ok(Accepted::Ignored("a deleted account we never knew".into())),
        };
        let actor = self.verify_signer(actor, &signature).await?;

        let inbound = Inbound {
            activity: &activity,
            raw,
            id,
            dedupe_key,
            actor,
            inbox_group,
        };
        let handled = match kind {
            "Join" | "Leave" | "Accept" | "TentativeAccept" | "Reject"
                if events::concerns_event(self, &activity) =>
            {
                events::rsvp(self, &inbound).await?
            }
            "Follow" | "Join" => follow::follow(self, &inbound).await?,
            "Leave" => follow::leave(self, &inbound).await?,
            "Undo" => undo::undo(self, &inbound).await?,
            "Create" => content::create(self, &inbound).await?,
            "Update" => content::update(self, &inbound).await?,
            "Delete" => content::delete(self, &inbound).await?,
            "Like" | "Dislike" => reactions::react(self, &inbound).await?,
            "Flag" => report::flag(self, &inbound).await?,
            "Lock" => moderation::lock(self, &inbound, inbound.activity, false).await?,
            "Block" => moderation::block(self, &inbound, inbound.activity, false).await?,
            "Add" => moderation::collection(self, &inbound, true).await?,
            "Remove" => moderation::collection(self, &inbound, false).await?,
            "Announce" => {
                moderation::refuse_announced(&inbound)?;
                return Ok(Accepted::Ignored(
                    "Announce activities need no action here".into(),
                ));
            }
            other if IGNORED_TYPES.contains(&other) => {
                return Ok(Accepted::Ignored(format!(
                    "{other} activities need no action here"
                )))
            }
            other => {
                return Err(Rejection::unprocessable(format!(
                    "Hearth does not handle {other} activities"
                )))
            }
        };
        let Some(handled) = handled else {
            return Ok(Accepted::Ignored("nothing here to apply it to".into()));
        };
        let outcome = self.store().commit(&handled.work).await?;
        if outcome.duplicate {
            return Ok(Accepted::Duplicate);
        }
        if outcome.deliveries > 0 {
            self.notify_work_queued();
        }
        Ok(Accepted::Processed(handled.summary))
    }

    /// The sending actor. A `Delete` of an account we never cached is not worth a fetch
    /// (the account is gone): `None`.
    async fn signer(
        &self,
        kind: &str,
        activity: &Value,
        actor_url: &Url,
    ) -> Result<Option<Actor>, Rejection> {
        let self_delete =
            kind == "Delete" && activity.get("object").and_then(id_of) == Some(actor_url.as_str());
        if self_delete {
            return Ok(self.store().actor_by_ap_id(actor_url.as_str()).await?);
        }
        self.resolve_actor(actor_url, Refresh::IfStale)
            .await
            .map(Some)
            .map_err(|e| match e {
                ActorError::Store(err) => Rejection::unavailable(err),
                other => Rejection::unauthorized(format!("cannot verify the sender: {other}")),
            })
    }

    /// Verifies `signature` against `actor`'s key, refetching the actor once if the key
    /// does not match or does not verify (the key may have been rotated).
    async fn verify_signer(
        &self,
        actor: Actor,
        signature: &crate::signatures::PendingSignature,
    ) -> Result<Actor, Rejection> {
        if self.signature_matches(&actor, signature)? {
            return Ok(actor);
        }
        let url = Url::parse(&actor.ap_id).map_err(|_| Rejection::unauthorized("bad actor id"))?;
        let fresh = match self.resolve_actor(&url, Refresh::Force).await {
            Ok(fresh) => fresh,
            Err(err) => {
                tracing::info!(actor = %actor.ap_id, error = %err, "key refetch failed");
                actor
            }
        };
        if self.signature_matches(&fresh, signature)? {
            return Ok(fresh);
        }
        if !key_belongs_to(&signature.key_id, &fresh) {
            return Err(Rejection::unauthorized(format!(
                "signed with key {}, which is not the key of the actor {}",
                signature.key_id, fresh.ap_id
            )));
        }
        Err(Rejection::unauthorized(
            SignatureError::Invalid(fresh.ap_id.clone()).to_string(),
        ))
    }

    fn signature_matches(
        &self,
        actor: &Actor,
        signature: &crate::signatures::PendingSignature,
    ) -> Result<bool, Rejection> {
        if !key_belongs_to(&signature.key_id, actor) {
            return Ok(false);
        }
        let key = match self.keys().verifying(&actor.public_key_pem) {
            Ok(key) => key,
            Err(err) => {
                tracing::info!(actor = %actor.ap_id, error = %err, "unusable public key");
                return Ok(false);
            }
        };
        Ok(signature.verify(&key))
    }
}
