//! Direct messages from a group to one person: why their post was not published, a
//! moderator's warning.

use hearth_storage::{Actor, Group, NewOutbound, Recipients};
use serde_json::json;

use crate::urls::authority;
use crate::vocab::documents::format_time;
use crate::Federation;

/// The handle shown in a mention of `actor`: `@user@host`, else its id.
pub(crate) fn handle(actor: &Actor) -> String {
    match &actor.preferred_username {
        Some(user) => format!("@{user}@{}", actor.host),
        None => actor.ap_id.clone(),
    }
}

/// A `Create` of a direct `Note` from the group to `to`, mentioning them; `text_html` is
/// the (already escaped) message that follows the mention.
pub(crate) fn direct_message(
    fed: &Federation,
    group: &Group,
    to: &Actor,
    text_html: &str,
) -> NewOutbound {
    let urls = fed.urls();
    let group_id = urls.group(&group.name).to_string();
    let activity_id = urls.new_activity().to_string();
    let note_id = format!("{activity_id}/note");
    let handle = handle(to);
    let content = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">{}</a></span> {text_html}</p>",
        ammonia::clean_text(&to.ap_id),
        ammonia::clean_text(&handle),
    );
    let now = format_time(hearth_storage::now_ms());
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": activity_id,
        "type": "Create",
        "actor": group_id,
        "to": [to.ap_id],
        "cc": [],
        "published": now,
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": group_id,
            "to": [to.ap_id],
            "cc": [],
            "content": content,
            "published": now,
            "tag": [{"type": "Mention", "href": to.ap_id, "name": handle}],
        },
    });
    NewOutbound {
        ap_id: activity_id,
        group_id: Some(group.id),
        kind: "Create".into(),
        public: false,
        body: body.to_string(),
        recipients: vec![inbox_of(to)],
    }
}

/// One actor's own inbox as a delivery target.
pub(crate) fn inbox_of(actor: &Actor) -> Recipients {
    let host = url::Url::parse(&actor.inbox)
        .map(|u| authority(&u))
        .unwrap_or_else(|_| actor.host.clone());
    Recipients::Inbox {
        inbox: actor.inbox.clone(),
        host,
    }
}

/// The shared inbox of an actor's instance (its own inbox when it has none).
pub(crate) fn shared_inbox_of(actor: &Actor) -> Recipients {
    let inbox = actor.delivery_inbox().to_owned();
    let host = url::Url::parse(&inbox)
        .map(|u| authority(&u))
        .unwrap_or_else(|_| actor.host.clone());
    Recipients::Inbox { inbox, host }
}
