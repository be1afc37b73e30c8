//! The activities a group sends: `Announce` of what members post (FEP-1b12), boosts for
//! microblog followers, and `Accept` of follows.

use hearth_storage::{FollowerFlavor, Group, NewOutbound, Recipients};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::urls::Urls;
use crate::vocab::documents::format_time;
use crate::vocab::PUBLIC;

const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

#[derive(Serialize)]
struct Wrapper<'a, O: Serialize + ?Sized> {
    #[serde(rename = "@context")]
    context: &'static str,
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    actor: &'a str,
    to: Vec<&'a str>,
    cc: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<&'a str>,
    object: &'a O,
    published: String,
}

/// An outbound activity ready to queue: its id and exact body.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub id: String,
    pub body: String,
}

fn wrap<O: Serialize + ?Sized>(
    id: String,
    kind: &'static str,
    group: &Group,
    urls: &Urls,
    to: Vec<&str>,
    cc: Vec<&str>,
    object: &O,
) -> Outgoing {
    let actor = urls.group(&group.name).to_string();
    let body = serde_json::to_string(&Wrapper {
        context: AS_CONTEXT,
        id: &id,
        kind,
        actor: &actor,
        to,
        cc,
        audience: Some(&actor),
        object,
        published: format_time(hearth_storage::now_ms()),
    })
    .expect("activities serialise");
    Outgoing { id, body }
}

/// `Announce` of a received activity, embedded byte for byte as it arrived (FEP-1b12).
pub(crate) fn announce_activity(urls: &Urls, group: &Group, raw_activity: &str) -> Outgoing {
    let raw = RawValue::from_string(raw_activity.to_owned()).expect("the inbox parsed this JSON");
    let followers = urls.group_followers(&group.name).to_string();
    wrap(
        urls.new_activity().to_string(),
        "Announce",
        group,
        urls,
        vec![PUBLIC],
        vec![&followers],
        raw.as_ref(),
    )
}

/// The stable id of the group's boost of `object_id`, so that it can be undone later.
pub(crate) fn boost_id(urls: &Urls, group: &Group, object_id: &str) -> String {
    let hash = Sha256::digest(object_id.as_bytes());
    let short: String = hash[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}/boosts/{short}", urls.group(&group.name))
}

/// A boost: `Announce` of the bare object id, which microblog software shows in timelines.
pub(crate) fn boost(urls: &Urls, group: &Group, object_id: &str, author: &str) -> Outgoing {
    let followers = urls.group_followers(&group.name).to_string();
    wrap(
        boost_id(urls, group, object_id),
        "Announce",
        group,
        urls,
        vec![PUBLIC],
        vec![&followers, author],
        object_id,
    )
}

/// `Undo` of the group's boost of a thread, for microblog followers (and those on unknown
/// software), when the thread is deleted or removed.
pub(crate) fn unboost(urls: &Urls, group: &Group, object_id: &str) -> NewOutbound {
    let followers = urls.group_followers(&group.name).to_string();
    let group_id = urls.group(&group.name).to_string();
    let inner = serde_json::json!({
        "id": boost_id(urls, group, object_id),
        "type": "Announce",
        "actor": group_id,
        "object": object_id,
    });
    let undo = wrap(
        urls.new_activity().to_string(),
        "Undo",
        group,
        urls,
        vec![PUBLIC],
        vec![&followers],
        &inner,
    );
    NewOutbound {
        ap_id: undo.id,
        group_id: Some(group.id),
        kind: "Undo(Announce)".into(),
        public: true,
        body: undo.body,
        recipients: vec![Recipients::Followers {
            group_id: group.id,
            flavor: FollowerFlavor::Microblog,
        }],
    }
}

/// The group's `Announce` of `activity` (received as `raw`, embedded byte for byte) to
/// followers that understand it, labelled `Delete`, `Undo(Lock)`… in the outbound queue.
pub(crate) fn announce_received(
    urls: &Urls,
    group: &Group,
    activity: &Value,
    raw: &str,
) -> NewOutbound {
    let kind = activity
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Activity");
    let label = match activity.pointer("/object/type").and_then(Value::as_str) {
        Some(undone) if kind == "Undo" => format!("Undo({undone})"),
        _ => kind.to_owned(),
    };
    announce_to_threaded(group, announce_activity(urls, group, raw), &label)
}

/// `Accept` or `Reject` of a follow request.
pub(crate) fn answer(
    kind: &'static str,
    urls: &Urls,
    group: &Group,
    request: &Value,
    follower: &str,
) -> Outgoing {
    wrap(
        urls.new_activity().to_string(),
        kind,
        group,
        urls,
        vec![follower],
        vec![],
        request,
    )
}

/// `Update` of the group's own actor document, to its followers, after staff edit it.
pub(crate) fn update_group(urls: &Urls, group: &Group, document: &Value) -> Outgoing {
    let followers = urls.group_followers(&group.name).to_string();
    wrap(
        urls.new_activity().to_string(),
        "Update",
        group,
        urls,
        vec![PUBLIC],
        vec![&followers],
        document,
    )
}

/// An `Announce` of a received activity, for followers that understand group announces.
pub(crate) fn announce_to_threaded(
    group: &Group,
    announce: Outgoing,
    inner_kind: &str,
) -> NewOutbound {
    NewOutbound {
        ap_id: announce.id,
        group_id: Some(group.id),
        kind: format!("Announce({inner_kind})"),
        public: true,
        body: announce.body,
        recipients: vec![Recipients::Followers {
            group_id: group.id,
            flavor: FollowerFlavor::Threaded,
        }],
    }
}
