//! `GET /groups/{name}/posts/{id}`: a group's own announcement (`Note`) or poll (`Question`,
//! with its current results), as ActivityPub JSON, so that peers can fetch it by its id; and
//! the same posts as the group's public page shows them.

use axum::extract::{Path, State};
use axum::response::Response;
use hearth_federation::group_posts::{document, tally};
use hearth_storage::{Group, GroupPostKind, PollTally, StoreError};
use serde::Serialize;

use super::error::ApiError;
use super::negotiate::activity_json;
use super::{pages, AppState};

/// The post's JSON; scheduled posts are not found until published.
pub async fn post(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let store = state.fed.store();
    let missing = || ApiError::not_found(format!("{name} has no post {id}"));
    let group = store.group_by_name(&name).await?.ok_or_else(missing)?;
    let post = store
        .group_post(group.id, id)
        .await?
        .filter(|p| p.published_at.is_some())
        .ok_or_else(missing)?;
    let tally = tally(&state.fed, &post).await?;
    let doc = document::object(state.fed.urls(), &group, &post, &tally);
    Ok(activity_json(&doc))
}

/// Most group posts shown on the group's public page.
const ON_PAGE: usize = 5;

/// One option of a poll on the group's page.
#[derive(Serialize)]
pub struct OptionOnPage {
    name: String,
    votes: i64,
    percent: i64,
}

/// A group post on the group's public page.
#[derive(Serialize)]
pub struct PostOnPage {
    html: String,
    poll: bool,
    pinned: bool,
    when: String,
    iso: String,
    options: Vec<OptionOnPage>,
    voters: i64,
    closed: bool,
    ends: Option<String>,
}

/// The group's latest announcements and polls (pinned first), with poll results.
pub async fn on_page(state: &AppState, group: &Group) -> Result<Vec<PostOnPage>, StoreError> {
    let posts = state.fed.store().group_posts(group.id, None, false).await?;
    let now = hearth_storage::now_ms();
    let mut shown = Vec::new();
    for post in posts.into_iter().take(ON_PAGE) {
        let poll = post.kind() == GroupPostKind::Question;
        let tally = if poll {
            tally(&state.fed, &post).await?
        } else {
            PollTally::default()
        };
        let total: i64 = tally.counts.iter().sum();
        let options = post
            .options()
            .into_iter()
            .zip(tally.counts.iter().copied())
            .map(|(name, votes)| OptionOnPage {
                name,
                votes,
                percent: if total > 0 { votes * 100 / total } else { 0 },
            })
            .collect();
        let (when, iso) = pages::when(post.published_at.unwrap_or(post.publish_at));
        shown.push(PostOnPage {
            html: post.content.clone(),
            poll,
            pinned: post.pinned_at.is_some(),
            when,
            iso,
            options,
            voters: tally.voters,
            closed: post.poll_ended(now),
            ends: post.ends_at.map(|end| pages::when(end).0),
        });
    }
    Ok(shown)
}
