//! The JSON documents of Hearth's own actors.

use hearth_storage::{Group, PostingPolicy};
use serde_json::{json, Value};

use crate::html::markdown;
use crate::urls::Urls;

/// The JSON-LD context of Hearth's documents, with the extension terms they use.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "lemmy": "https://join-lemmy.org/ns#",
            "toot": "http://joinmastodon.org/ns#",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
            "moderators": {"@id": "lemmy:moderators", "@type": "@id"},
            "discoverable": "toot:discoverable",
            "featured": {"@id": "toot:featured", "@type": "@id"}
        }
    ])
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A time in ms as an RFC 3339 string (UTC, seconds).
pub fn format_time(ms: i64) -> String {
    rfc3339(ms)
}

/// The `Group` actor document.
pub fn group_actor(group: &Group, urls: &Urls) -> Value {
    let id = urls.group(&group.name);
    let mut doc = json!({
        "@context": context(),
        "id": id,
        "type": "Group",
        "preferredUsername": group.name,
        "name": group.title,
        "summary": markdown(&group.summary),
        "source": {"content": group.summary, "mediaType": "text/markdown"},
        "url": id,
        "inbox": urls.group_inbox(&group.name),
        "outbox": urls.group_outbox(&group.name),
        "followers": urls.group_followers(&group.name),
        "featured": urls.group_featured(&group.name),
        "attributedTo": urls.group_moderators(&group.name),
        "moderators": urls.group_moderators(&group.name),
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "publicKey": {
            "id": urls.group_key(&group.name),
            "owner": id,
            "publicKeyPem": group.public_key_pem,
        },
        "manuallyApprovesFollowers": group.manually_approves_followers,
        "postingRestrictedToMods": group.posting_policy() == PostingPolicy::Moderators,
        "discoverable": group.discoverable,
        "published": rfc3339(group.created_at),
        "updated": rfc3339(group.updated_at),
    });
    if let Some(icon) = &group.icon_url {
        doc["icon"] = json!({"type": "Image", "url": icon});
    }
    if let Some(banner) = &group.banner_url {
        doc["image"] = json!({"type": "Image", "url": banner});
    }
    doc
}

/// The instance actor (an `Application`), which signs Hearth's fetches.
pub fn instance_actor(urls: &Urls, public_key_pem: &str) -> Value {
    let id = urls.instance_actor();
    json!({
        "@context": context(),
        "id": id,
        "type": "Application",
        "preferredUsername": urls.authority(),
        "name": "Hearth",
        "summary": "The instance actor of this Hearth server. It signs requests; it does not post.",
        "url": urls.base(),
        "inbox": urls.shared_inbox(),
        "outbox": format!("{id}/outbox"),
        "endpoints": {"sharedInbox": urls.shared_inbox()},
        "manuallyApprovesFollowers": true,
        "publicKey": {
            "id": urls.instance_key(),
            "owner": id,
            "publicKeyPem": public_key_pem,
        },
    })
}
