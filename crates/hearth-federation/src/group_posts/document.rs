//! The JSON of a group's own posts and the activities that carry them: a `Note` for an
//! announcement, a `Question` for a poll (`oneOf`/`anyOf` options with their vote counts,
//! as Mastodon and Misskey read them), `Create`, `Update` and `Add` to the featured collection.

use hearth_storage::{Group, GroupPost, GroupPostKind, PollTally};
use serde_json::{json, Value};
use url::Url;

use crate::urls::Urls;
use crate::vocab::documents::format_time;
use crate::vocab::PUBLIC;

const AS_CONTEXT: &str = "https://www.w3.org/ns/activitystreams";

/// The object id of group post `id`: `/groups/{name}/posts/{id}`.
pub fn object_id(urls: &Urls, group: &Group, id: i64) -> String {
    format!("{}/posts/{id}", urls.group(&group.name))
}

/// The group name and post id in a local group post's object id.
pub fn parse_object_id(urls: &Urls, url: &Url) -> Option<(String, i64)> {
    if !urls.is_local(url) {
        return None;
    }
    let mut segments = url.path_segments()?;
    match (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    ) {
        (Some("groups"), Some(name), Some("posts"), Some(id), None) if !name.is_empty() => {
            Some((name.to_owned(), id.parse().ok()?))
        }
        _ => None,
    }
}

/// The post as an ActivityStreams object; `tally` gives a poll's vote counts.
pub fn object(urls: &Urls, group: &Group, post: &GroupPost, tally: &PollTally) -> Value {
    let group_id = urls.group(&group.name).to_string();
    let id = object_id(urls, group, post.id);
    let published = format_time(post.published_at.unwrap_or(post.publish_at));
    let mut object = json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": "Note",
        "attributedTo": group_id,
        "to": [PUBLIC],
        "cc": [urls.group_followers(&group.name).to_string()],
        "audience": group_id,
        "content": post.content,
        "mediaType": "text/html",
        "source": {"content": post.source, "mediaType": "text/markdown"},
        "url": id,
        "published": published,
    });
    if post.kind() == GroupPostKind::Question {
        let options: Vec<Value> = post
            .options()
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let votes = tally.counts.get(i).copied().unwrap_or(0);
                json!({
                    "type": "Note",
                    "name": name,
                    "replies": {"type": "Collection", "totalItems": votes},
                })
            })
            .collect();
        object["type"] = json!("Question");
        object[if post.multiple { "anyOf" } else { "oneOf" }] = json!(options);
        object["votersCount"] = json!(tally.voters);
        if let Some(end) = post.ends_at {
            object["endTime"] = json!(format_time(end));
        }
        if let Some(closed) = post.closed_at {
            object["closed"] = json!(format_time(closed));
        }
    }
    object
}

/// An activity of the group about `object`, to the public and its followers.
fn activity(urls: &Urls, group: &Group, id: String, kind: &str, object: Value) -> Value {
    let group_id = urls.group(&group.name).to_string();
    let mut object = object;
    if let Some(fields) = object.as_object_mut() {
        fields.remove("@context");
    }
    json!({
        "@context": AS_CONTEXT,
        "id": id,
        "type": kind,
        "actor": group_id,
        "to": [PUBLIC],
        "cc": [urls.group_followers(&group.name).to_string()],
        "audience": group_id,
        "published": format_time(hearth_storage::now_ms()),
        "object": object,
    })
}

/// `Create` of the post. Its id is stable, so publishing twice cannot send two.
pub fn create(urls: &Urls, group: &Group, post: &GroupPost, tally: &PollTally) -> Value {
    let id = format!("{}/create", object_id(urls, group, post.id));
    activity(urls, group, id, "Create", object(urls, group, post, tally))
}

/// `Update` of a poll with its current results.
pub fn update(urls: &Urls, group: &Group, post: &GroupPost, tally: &PollTally) -> Value {
    let id = urls.new_activity().to_string();
    activity(urls, group, id, "Update", object(urls, group, post, tally))
}

/// `Add` of the post to the group's featured collection (a pin). Its id is stable.
pub fn pin(urls: &Urls, group: &Group, post: &GroupPost) -> Value {
    let object = object_id(urls, group, post.id);
    let mut add = activity(
        urls,
        group,
        format!("{object}/pin"),
        "Add",
        Value::String(object),
    );
    add["target"] = json!(urls.group_featured(&group.name).to_string());
    add
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_round_trip() {
        let urls = Urls::new(&Url::parse("https://hearth.example/").unwrap());
        let url = Url::parse("https://hearth.example/groups/climbing/posts/42").unwrap();
        assert_eq!(
            parse_object_id(&urls, &url),
            Some(("climbing".to_owned(), 42))
        );
        for other in [
            "https://hearth.example/groups/climbing",
            "https://hearth.example/groups/climbing/posts/x",
            "https://elsewhere.example/groups/climbing/posts/42",
        ] {
            assert_eq!(parse_object_id(&urls, &Url::parse(other).unwrap()), None);
        }
    }
}
