//! The welcome message a group sends each new member: the group's own text (Markdown), or a
//! default that names the group and points to its rules; none when staff turned it off.

use hearth_storage::{Actor, Group, NewOutbound, StoreError};

use crate::notices::direct_message;
use crate::Federation;

/// The welcome message's HTML for `group` (what follows the mention of the new member).
pub fn welcome_html(fed: &Federation, group: &Group) -> String {
    let page = fed.urls().group(&group.name);
    let html = if group.welcome_text.trim().is_empty() {
        let rules = escape(&format!("{page}#rules"));
        format!(
            "Welcome to {}! Please read the group's rules before you post: <a href=\"{rules}\">{rules}</a>",
            escape(&group.title),
        )
    } else {
        crate::html::markdown(&group.welcome_text)
    };
    // The message is one paragraph that starts with the mention: open Markdown's first
    // paragraph into it.
    let trimmed = html.trim();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|rest| rest.strip_suffix("</p>"))
    {
        Some(inner) => inner.to_owned(),
        None => trimmed.to_owned(),
    }
}

/// `text` safe inside HTML text and quoted attributes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The direct message welcoming `member` to `group`, unless the group sends none.
pub(crate) fn welcome(fed: &Federation, group: &Group, member: &Actor) -> Option<NewOutbound> {
    group
        .welcome_enabled
        .then(|| direct_message(fed, group, member, &welcome_html(fed, group)))
}

/// [`welcome`] for the actor with row id `actor_id` (nothing if it is unknown).
pub(crate) async fn welcome_by_id(
    fed: &Federation,
    group: &Group,
    actor_id: i64,
) -> Result<Option<NewOutbound>, StoreError> {
    if !group.welcome_enabled {
        return Ok(None);
    }
    let member = fed.store().actor_by_id(actor_id).await?;
    Ok(member.and_then(|member| welcome(fed, group, &member)))
}
