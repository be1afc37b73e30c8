//! The moderation activities a group sends in its own name, in the shapes Lemmy and Mbin use
//! (FEP-1b12): `Delete` with a `summary` for a removal, `Lock`, `Add`/`Remove` on the
//! `featured` collection, `Block` with `target`, `endTime` and `removeData` for a ban, and
//! `Undo` of each. Each is announced to the group's followers; some also go to one person.

use hearth_storage::{FollowerFlavor, Group, NewOutbound, Recipients};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::announce::announce_received;
use crate::urls::Urls;
use crate::vocab::documents::format_time;
use crate::vocab::PUBLIC;

const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// A short, stable name for `subject` at time `at`, so that an `Undo` can name the exact
/// activity it reverses without storing it.
fn stable_id(urls: &Urls, group: &Group, what: &str, subject: &str, at: i64) -> String {
    let hash = Sha256::digest(subject.as_bytes());
    let short: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}/{what}/{short}-{at}", urls.group(&group.name))
}

/// The envelope shared by every activity of the group: actor, audience and addressing.
fn activity(urls: &Urls, group: &Group, id: String, kind: &str, extra: Value) -> Value {
    let group_id = urls.group(&group.name).to_string();
    let mut body = json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": kind,
        "actor": group_id,
        "to": [PUBLIC],
        "cc": [urls.group_followers(&group.name).to_string()],
        "audience": group_id,
        "published": format_time(hearth_storage::now_ms()),
    });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    body
}

/// `Undo` of `inner`, by the group.
fn undo(urls: &Urls, group: &Group, inner: Value) -> Value {
    let mut inner = inner;
    if let Some(obj) = inner.as_object_mut() {
        obj.remove("@context");
    }
    activity(
        urls,
        group,
        urls.new_activity().to_string(),
        "Undo",
        json!({ "object": inner }),
    )
}

/// The removal of post `object` at `at`, with the moderator's `reason`.
pub(super) fn removal(urls: &Urls, group: &Group, object: &str, at: i64, reason: &str) -> Value {
    let mut extra = json!({ "object": object });
    if !reason.is_empty() {
        extra["summary"] = json!(reason);
    }
    let id = stable_id(urls, group, "removals", object, at);
    activity(urls, group, id, "Delete", extra)
}

/// `Undo` of the removal of `object` made at `at`.
pub(super) fn restoral(urls: &Urls, group: &Group, object: &str, at: i64) -> Value {
    undo(urls, group, removal(urls, group, object, at, ""))
}

/// `Lock` of the thread `object` at `at`, or its `Undo` when `unlock`.
pub(super) fn lock(urls: &Urls, group: &Group, object: &str, at: i64, unlock: bool) -> Value {
    let id = stable_id(urls, group, "locks", object, at);
    let lock = activity(urls, group, id, "Lock", json!({ "object": object }));
    if unlock {
        undo(urls, group, lock)
    } else {
        lock
    }
}

/// `Add` (pin) or `Remove` (unpin) of `object` on the group's featured collection.
pub(super) fn feature(urls: &Urls, group: &Group, object: &str, pin: bool) -> Value {
    activity(
        urls,
        group,
        urls.new_activity().to_string(),
        if pin { "Add" } else { "Remove" },
        json!({ "object": object, "target": urls.group_featured(&group.name).to_string() }),
    )
}

/// What a ban says: who, why, until when, and whether their content goes too.
pub(super) struct BanTerms<'a> {
    pub person: &'a str,
    pub reason: &'a str,
    pub expires_at: Option<i64>,
    pub remove_data: bool,
    pub at: i64,
}

/// `Block` of a person from the group (Lemmy's community ban), or its `Undo` when `lift`.
pub(super) fn block(urls: &Urls, group: &Group, terms: &BanTerms<'_>, lift: bool) -> Value {
    let mut extra = json!({
        "object": terms.person,
        "target": urls.group(&group.name).to_string(),
        "removeData": terms.remove_data,
    });
    if !terms.reason.is_empty() {
        extra["summary"] = json!(terms.reason);
    }
    if let Some(end) = terms.expires_at {
        extra["endTime"] = json!(format_time(end));
    }
    let id = stable_id(urls, group, "bans", terms.person, terms.at);
    let mut block = activity(urls, group, id, "Block", extra);
    if let Some(cc) = block.get_mut("cc").and_then(Value::as_array_mut) {
        cc.push(json!(terms.person));
    }
    if lift {
        undo(urls, group, block)
    } else {
        block
    }
}

/// `body` to store and send: its id and text.
fn parts(body: &Value) -> (String, String) {
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    (id, body.to_string())
}

/// The group's `Announce` of `inner` to followers that understand it (FEP-1b12).
pub(super) fn announced(urls: &Urls, group: &Group, inner: &Value) -> NewOutbound {
    announce_received(urls, group, inner, &inner.to_string())
}

/// `inner` itself, sent as is to `recipients` (microblog followers, one person's instance).
pub(super) fn direct(group: &Group, inner: &Value, recipients: Vec<Recipients>) -> NewOutbound {
    let (ap_id, body) = parts(inner);
    let kind = inner
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Activity")
        .to_owned();
    NewOutbound {
        ap_id,
        group_id: Some(group.id),
        kind,
        public: true,
        body,
        recipients,
    }
}

/// The group's followers on microblog software (and unknown software).
pub(super) fn microblog_followers(group: &Group) -> Recipients {
    Recipients::Followers {
        group_id: group.id,
        flavor: FollowerFlavor::Microblog,
    }
}
