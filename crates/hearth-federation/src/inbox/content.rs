//! Posts into a group: `Create` of a thread or reply, and its author's `Update` and `Delete`.

use hearth_moderation::{may_post, Decision, PostKind, Poster};
use hearth_storage::{
    Actor, Change, FollowerFlavor, Group, NewHeldPost, NewOutbound, NewPost, Post, Recipients,
    UnitOfWork,
};
use serde_json::Value;
use url::Url;

use super::{Handled, Inbound, Rejection};
use crate::announce::{self, announce_to_threaded};
use crate::html::to_text;
use crate::urls::authority;
use crate::vocab::inbound::{first_url, id_of, ids_of, is_public, kind_of, parse_time, str_of};
use crate::Federation;

/// Object types Hearth stores and relays.
pub const POST_TYPES: [&str; 5] = ["Note", "Page", "Article", "Question", "Event"];

/// Longest derived title, in characters.
const TITLE_CHARS: usize = 120;

/// The object of a `Create`/`Update`: embedded, or fetched from its origin when only an id is given.
async fn object_of(fed: &Federation, inbound: &Inbound<'_>) -> Result<Value, Rejection> {
    let object = inbound
        .activity
        .get("object")
        .ok_or_else(|| Rejection::bad_request("the activity has no object"))?;
    let object = match object {
        Value::String(id) => {
            let url =
                Url::parse(id).map_err(|_| Rejection::bad_request("the object id is not a URL"))?;
            fed.fetch_document(&url)
                .await
                .map_err(|e| Rejection::unprocessable(format!("cannot fetch the object: {e}")))?
        }
        Value::Object(_) => object.clone(),
        _ => {
            return Err(Rejection::bad_request(
                "the object is neither an id nor an object",
            ))
        }
    };
    let object_id =
        str_of(&object, "id").ok_or_else(|| Rejection::bad_request("the object has no id"))?;
    let object_url =
        Url::parse(object_id).map_err(|_| Rejection::bad_request("the object id is not a URL"))?;
    if authority(&object_url) != inbound.actor.host {
        return Err(Rejection::forbidden(format!(
            "the object {object_id} is on another host than its actor"
        )));
    }
    Ok(object)
}

/// The text of an object's content: `content`, else the first `contentMap` entry.
fn content_of(object: &Value) -> String {
    str_of(object, "content")
        .map(str::to_owned)
        .or_else(|| {
            object
                .get("contentMap")
                .and_then(Value::as_object)
                .and_then(|m| m.values().find_map(Value::as_str))
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// A thread title: `name`, else the first line of the text without leading mentions.
fn title_of(object: &Value, content: &str) -> Option<String> {
    if let Some(name) = str_of(object, "name")
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        return Some(name.to_owned());
    }
    let text = to_text(content);
    let line = text.lines().find_map(|line| {
        let rest: Vec<&str> = line
            .split_whitespace()
            .skip_while(|w| w.starts_with('@') || w.starts_with('!'))
            .collect();
        (!rest.is_empty()).then(|| rest.join(" "))
    })?;
    Some(if line.chars().count() > TITLE_CHARS {
        let cut: String = line.chars().take(TITLE_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    } else {
        line
    })
}

/// Stores a new thread or reply and queues its announces.
pub(super) async fn create(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let object = object_of(fed, inbound).await?;
    let kind = kind_of(&object).unwrap_or("");
    if !POST_TYPES.contains(&kind) {
        return Err(Rejection::unprocessable(format!(
            "Hearth relays Note, Page, Article, Question and Event objects, not {kind:?}"
        )));
    }
    let object_id = str_of(&object, "id").unwrap_or_default().to_owned();
    let authors = ids_of(object.get("attributedTo"));
    if !authors.is_empty() && !authors.contains(&inbound.actor.ap_id.as_str()) {
        let local_group = authors
            .iter()
            .any(|a| Url::parse(a).is_ok_and(|u| fed.urls().group_name_of(&u).is_some()));
        if !local_group {
            return Err(Rejection::forbidden(
                "the object is attributed to someone other than the sender",
            ));
        }
    }
    if fed.store().post_by_ap_id(&object_id).await?.is_some() {
        return Ok(None);
    }

    // Replies to the group's own polls and events are votes and RSVPs.
    if let Some(parent_id) = object.get("inReplyTo").and_then(id_of) {
        if let Some(vote) = super::polls::reply(fed, inbound, &object, parent_id).await? {
            return Ok(Some(vote));
        }
        if let Some(rsvp) = super::events::reply(fed, inbound, &object, parent_id).await? {
            return Ok(Some(rsvp));
        }
    }
    let parent: Option<Post> = match object.get("inReplyTo").and_then(id_of) {
        Some(parent_id) => fed.store().post_by_ap_id(parent_id).await?,
        None => None,
    };
    let addressed = fed.addressed_groups(&[inbound.activity, &object]).await?;
    let group: Group = match (&parent, addressed.into_iter().next(), &inbound.inbox_group) {
        (Some(parent), _, _) => fed
            .store()
            .group_by_id(parent.group_id)
            .await?
            .ok_or_else(|| Rejection::not_found("the thread's group no longer exists"))?,
        (None, Some(group), _) => group,
        (None, None, Some(group)) => {
            return Err(Rejection::unprocessable(format!(
                "the post neither addresses nor mentions {}, nor replies to one of its threads",
                group.name
            )))
        }
        (None, None, None) => {
            return Err(Rejection::unprocessable(
                "the post is not addressed to any group on this server",
            ))
        }
    };
    if !is_public(&[inbound.activity, &object]) {
        return Err(Rejection::unprocessable(
            "only public posts are relayed by a group; this one is private or followers-only",
        ));
    }

    let post_kind = if parent.is_some() {
        PostKind::Reply
    } else {
        PostKind::Thread
    };
    if group.is_archived() {
        return Err(Rejection::forbidden(format!(
            "{} is archived and takes no new posts",
            group.name
        )));
    }
    let context = fed
        .store()
        .posting_context(
            group.id,
            inbound.actor.id,
            parent.as_ref().map(|p| p.thread_id.unwrap_or(p.id)),
            hearth_storage::now_ms(),
        )
        .await?;
    if context.banned {
        let ban = fed.store().group_ban(group.id, inbound.actor.id).await?;
        return Err(Rejection::forbidden(banned_message(&group, ban.as_ref())));
    }
    if context.thread_locked {
        return Err(Rejection::forbidden(
            "this thread is locked by the group's moderators and takes no new replies",
        ));
    }
    let poster = Poster {
        follow: context.follow,
        is_moderator: context.is_moderator,
    };
    if let Decision::Refuse(reason) = may_post(group.posting_policy(), post_kind, poster) {
        return Err(Rejection::forbidden(reason));
    }

    if let hearth_moderation::Verdict::Federate { silenced: true, .. } =
        fed.judge_host(&inbound.actor.host)
    {
        let held = NewHeldPost {
            group_id: group.id,
            author_id: inbound.actor.id,
            object_ap_id: object_id.clone(),
            activity: inbound.raw.to_owned(),
            object: object.to_string(),
            reason: format!("{} is limited by this server's admins", inbound.actor.host),
        };
        let work = UnitOfWork {
            received: Some(inbound.dedupe_key.clone()),
            changes: vec![Change::HoldPost(held)],
            outbound: Vec::new(),
        };
        return Ok(Some(Handled::new(
            work,
            format!("{object_id} held for review in {}", group.name),
        )));
    }

    let screening = crate::automod::screen(fed, &group, &inbound.actor, &object, &context).await?;
    let mut changes = screening.log;
    match screening.outcome {
        crate::automod::Outcome::Reject(reason) => {
            if !changes.is_empty() {
                fed.store()
                    .commit(&UnitOfWork {
                        received: None,
                        changes,
                        outbound: Vec::new(),
                    })
                    .await?;
            }
            return Err(Rejection::forbidden(reason));
        }
        crate::automod::Outcome::Hold(reason) => {
            changes.push(Change::HoldPost(NewHeldPost {
                group_id: group.id,
                author_id: inbound.actor.id,
                object_ap_id: object_id.clone(),
                activity: inbound.raw.to_owned(),
                object: object.to_string(),
                reason,
            }));
            let work = UnitOfWork {
                received: Some(inbound.dedupe_key.clone()),
                changes,
                outbound: Vec::new(),
            };
            return Ok(Some(Handled::new(
                work,
                format!("{object_id} held for review in {}", group.name),
            )));
        }
        crate::automod::Outcome::Accept => {}
    }

    let accepted = accepted_post(
        fed,
        &group,
        &object,
        parent.as_ref(),
        inbound.raw,
        &inbound.actor,
    );
    changes.insert(0, Change::CreatePost(accepted.post));
    changes.extend(screening.after_create);
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes,
        outbound: accepted.outbound,
    };
    let what = if post_kind == PostKind::Thread {
        "new thread"
    } else {
        "reply"
    };
    Ok(Some(Handled::new(
        work,
        format!("{what} {object_id} in {}", group.name),
    )))
}

/// What a banned actor is told when they post (`ban`: the ban, unless it was lifted meanwhile).
fn banned_message(group: &Group, ban: Option<&hearth_storage::Ban>) -> String {
    let until = match ban.and_then(|b| b.expires_at) {
        Some(at) => format!(" until {}", crate::vocab::documents::format_time(at)),
        None => String::new(),
    };
    let why = match ban.map(|b| b.reason.as_str()) {
        Some(reason) if !reason.is_empty() => format!(": {reason}"),
        _ => String::new(),
    };
    format!("you are banned from {}{until}{why}", group.name)
}

/// A post a group takes in: the row to store and the announces to queue.
pub(crate) struct AcceptedPost {
    /// The post.
    pub post: NewPost,
    /// `Announce` of the `Create` for threaded followers, and a boost of a new thread for
    /// microblog followers.
    pub outbound: Vec<NewOutbound>,
}

/// What accepting `object` (sent in the `Create` `raw_activity` by `author`) into `group`
/// stores and sends. `parent` is the stored post it replies to, if any.
pub(crate) fn accepted_post(
    fed: &Federation,
    group: &Group,
    object: &Value,
    parent: Option<&Post>,
    raw_activity: &str,
    author: &Actor,
) -> AcceptedPost {
    let object_id = str_of(object, "id").unwrap_or_default().to_owned();
    let content = content_of(object);
    let title = match parent {
        None => title_of(object, &content),
        Some(_) => str_of(object, "name").map(str::to_owned),
    };
    let post = NewPost {
        ap_id: object_id.clone(),
        group_id: group.id,
        author_id: author.id,
        kind: kind_of(object).unwrap_or("Note").to_owned(),
        in_reply_to: parent.map(|p| p.ap_id.clone()),
        thread_id: parent.and_then(|p| p.thread_id),
        title,
        content,
        url: first_url(object.get("url")).map(str::to_owned),
        raw: object.to_string(),
        published: parse_time(object.get("published")).unwrap_or_else(hearth_storage::now_ms),
    };
    let mut outbound = vec![announce_to_threaded(
        group,
        announce::announce_activity(fed.urls(), group, raw_activity),
        "Create",
    )];
    if parent.is_none() {
        let boost = announce::boost(fed.urls(), group, &object_id, &author.ap_id);
        outbound.push(NewOutbound {
            ap_id: boost.id,
            group_id: Some(group.id),
            kind: "Announce".into(),
            public: true,
            body: boost.body,
            recipients: vec![Recipients::Followers {
                group_id: group.id,
                flavor: FollowerFlavor::Microblog,
            }],
        });
    }
    AcceptedPost { post, outbound }
}

/// The stored post an `Update`/`Delete` targets, checked to be the sender's own.
async fn own_post(
    fed: &Federation,
    inbound: &Inbound<'_>,
    object_id: &str,
) -> Result<Option<(Post, Group)>, Rejection> {
    let Some(post) = fed.store().post_by_ap_id(object_id).await? else {
        return Ok(None);
    };
    if post.author_ap_id != inbound.actor.ap_id {
        return Err(Rejection::forbidden(
            "only the author may change or delete a post",
        ));
    }
    let Some(group) = fed.store().group_by_id(post.group_id).await? else {
        return Ok(None);
    };
    Ok(Some((post, group)))
}

/// Applies an author's edit and announces it.
pub(super) async fn update(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let object_ref = inbound
        .activity
        .get("object")
        .and_then(id_of)
        .ok_or_else(|| Rejection::bad_request("the Update has no object"))?;
    if object_ref == inbound.actor.ap_id {
        // A profile edit: refresh our copy of the actor.
        let url = Url::parse(object_ref).map_err(|_| Rejection::bad_request("bad actor id"))?;
        fed.resolve_actor(&url, crate::actors::Refresh::Force)
            .await
            .map_err(|e| Rejection::unprocessable(e.to_string()))?;
        return Ok(None);
    }
    let Some((post, group)) = own_post(fed, inbound, object_ref).await? else {
        return Ok(None);
    };
    let object = object_of(fed, inbound).await?;
    let content = content_of(&object);
    let title = if post.in_reply_to.is_none() {
        title_of(&object, &content)
    } else {
        None
    };
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::UpdatePost {
            post_id: post.id,
            title,
            content,
            raw: object.to_string(),
            updated: parse_time(object.get("updated")).unwrap_or_else(hearth_storage::now_ms),
        }],
        outbound: vec![announce_to_threaded(
            &group,
            announce::announce_activity(fed.urls(), &group, inbound.raw),
            "Update",
        )],
    };
    Ok(Some(Handled::new(
        work,
        format!("edit of {object_ref} in {}", group.name),
    )))
}

/// Applies an author's deletion (or an account deletion) and announces it; a moderator's
/// `Delete` of someone else's post is a removal (see [`super::moderation::remove`]).
pub(super) async fn delete(
    fed: &Federation,
    inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    let object_ref = inbound
        .activity
        .get("object")
        .and_then(id_of)
        .ok_or_else(|| Rejection::bad_request("the Delete has no object"))?;
    if object_ref == inbound.actor.ap_id {
        let work = UnitOfWork {
            received: Some(inbound.dedupe_key.clone()),
            changes: vec![Change::RemoveFollows {
                actor_id: inbound.actor.id,
            }],
            outbound: Vec::new(),
        };
        return Ok(Some(Handled::new(
            work,
            format!("account {object_ref} deleted"),
        )));
    }
    let Some(post) = fed.store().post_by_ap_id(object_ref).await? else {
        return Ok(None);
    };
    let Some(group) = fed.store().group_by_id(post.group_id).await? else {
        return Ok(None);
    };
    if post.author_ap_id != inbound.actor.ap_id {
        return super::moderation::remove(fed, inbound, post, group).await;
    }
    if post.deleted_at.is_some() {
        return Ok(None);
    }
    let mut outbound = vec![announce_to_threaded(
        &group,
        announce::announce_activity(fed.urls(), &group, inbound.raw),
        "Delete",
    )];
    if post.in_reply_to.is_none() {
        outbound.push(announce::unboost(fed.urls(), &group, &post.ap_id));
    }
    let work = UnitOfWork {
        received: Some(inbound.dedupe_key.clone()),
        changes: vec![Change::DeletePost { post_id: post.id }],
        outbound,
    };
    Ok(Some(Handled::new(
        work,
        format!("deletion of {object_ref} in {}", group.name),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn titles_come_from_name_or_first_line() {
        assert_eq!(
            title_of(&json!({"name": " Crag report "}), "").as_deref(),
            Some("Crag report")
        );
        let html = r#"<p><span class="h-card"><a href="x">@climbing</a></span> Best crags near Leeds?</p><p>More</p>"#;
        assert_eq!(
            title_of(&json!({}), html).as_deref(),
            Some("Best crags near Leeds?")
        );
        let long = format!("<p>{}</p>", "word ".repeat(60));
        assert!(title_of(&json!({}), &long).unwrap().chars().count() <= TITLE_CHARS);
        assert_eq!(title_of(&json!({}), "<p>@climbing</p>"), None);
    }
}
