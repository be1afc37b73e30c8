//! Public HTML pages: the list of groups, a group's page and its threads. Peer HTML is
//! sanitised before it is marked safe for the templates.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use hearth_federation::html::sanitize;
use hearth_storage::{Post, PostingPolicy};
use minijinja::{context, Environment, Value};
use serde::Serialize;

use super::AppState;

/// The compiled templates.
pub struct Pages {
    env: Environment<'static>,
}

impl Pages {
    /// Loads the templates embedded in the binary.
    pub fn new() -> Self {
        let mut env = Environment::new();
        for (name, source) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("home.html", include_str!("../../templates/home.html")),
            ("group.html", include_str!("../../templates/group.html")),
            ("thread.html", include_str!("../../templates/thread.html")),
            ("error.html", include_str!("../../templates/error.html")),
        ] {
            env.add_template(name, source).expect("templates compile");
        }
        Pages { env }
    }

    fn render(&self, state: &AppState, name: &str, ctx: Value) -> Response {
        let base = context! { node_name => state.node_name.as_ref(), version => env!("CARGO_PKG_VERSION") };
        let rendered = self
            .env
            .get_template(name)
            .and_then(|t| t.render(context! { ..base, ..ctx }));
        match rendered {
            Ok(html) => Html(html).into_response(),
            Err(err) => {
                tracing::error!(template = name, error = %err, "page failed to render");
                (StatusCode::INTERNAL_SERVER_ERROR, "page failed to render").into_response()
            }
        }
    }

    fn error(
        &self,
        state: &AppState,
        status: StatusCode,
        heading: &str,
        message: &str,
    ) -> Response {
        let mut response = self.render(
            state,
            "error.html",
            context! { status => status.as_u16(), heading, message },
        );
        *response.status_mut() = status;
        response
    }
}

impl Default for Pages {
    fn default() -> Self {
        Self::new()
    }
}

fn safe(html: &str) -> Value {
    Value::from_safe_string(sanitize(html))
}

fn when(ms: i64) -> (String, String) {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    (t.format("%-d %b %Y, %H:%M UTC").to_string(), t.to_rfc3339())
}

fn handle(username: Option<&str>, host: &str, fallback: &str) -> String {
    match username {
        Some(user) => format!("@{user}@{host}"),
        None => fallback.to_owned(),
    }
}

fn unavailable(state: &AppState, err: hearth_storage::StoreError) -> Response {
    tracing::error!(error = %err, "page could not read the store");
    state.pages.error(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "Please try again in a moment.",
    )
}

/// `GET /`: the discoverable groups.
pub async fn home(State(state): State<AppState>) -> Response {
    let groups = match state.fed.store().list_groups().await {
        Ok(groups) => groups,
        Err(err) => return unavailable(&state, err),
    };
    let urls = state.fed.urls();
    let groups: Vec<Value> = groups
        .into_iter()
        .filter(|g| g.discoverable)
        .map(|g| {
            Value::from_serialize(context! {
                url => urls.group(&g.name).to_string(),
                handle => format!("@{}@{}", g.name, urls.authority()),
                title => g.title,
                summary => safe(&g.summary),
                followers => g.followers,
                threads => g.threads,
            })
        })
        .collect();
    state.pages.render(&state, "home.html", context! { groups })
}

/// The HTML page of a group (served at the group actor's URL to browsers).
pub async fn group_page(state: &AppState, name: &str) -> Response {
    let store = state.fed.store();
    let group = match store.group_by_name(name).await {
        Ok(Some(group)) => group,
        Ok(None) => {
            return state.pages.error(
                state,
                StatusCode::NOT_FOUND,
                "No such group",
                &format!("There is no group named {name} here."),
            )
        }
        Err(err) => return unavailable(state, err),
    };
    let (followers, threads) = match (
        store.count_followers(group.id).await,
        store.recent_threads(group.id, 50).await,
    ) {
        (Ok(f), Ok(t)) => (f, t),
        (Err(err), _) | (_, Err(err)) => return unavailable(state, err),
    };
    let urls = state.fed.urls();
    let thread_count = threads.len();
    let threads: Vec<Value> = threads
        .into_iter()
        .map(|t| {
            let (when, iso) = when(t.last_activity_at);
            Value::from_serialize(context! {
                url => urls.thread_page(&group.name, t.id).to_string(),
                title => t.title.unwrap_or_else(|| "(untitled)".into()),
                author => handle(t.author_username.as_deref(), &t.author_host, &t.author_ap_id),
                replies => t.reply_count,
                when, iso,
            })
        })
        .collect();
    let posting = match group.posting_policy() {
        PostingPolicy::Anyone => "anyone may post",
        PostingPolicy::Followers => "followers may post",
        PostingPolicy::Moderators => "moderators post, members reply",
    };
    let ctx = context! {
        group => context! {
            title => group.title.clone(),
            url => urls.group(&group.name).to_string(),
            handle => format!("@{}@{}", group.name, urls.authority()),
            summary => safe(&group.summary),
            icon => group.icon_url.clone(),
            followers,
            threads => thread_count,
            posting,
        },
        threads,
    };
    state.pages.render(state, "group.html", ctx)
}

#[derive(Serialize)]
struct PostView {
    title: String,
    author: String,
    author_url: String,
    when: String,
    iso: String,
    content: Value,
    deleted: bool,
    original: Option<String>,
    depth: usize,
    likes: i64,
    dislikes: i64,
}

fn post_view(post: &Post, depth: usize) -> PostView {
    let (when, iso) = when(post.published);
    PostView {
        title: post.title.clone().unwrap_or_else(|| "(untitled)".into()),
        author: handle(
            post.author_username.as_deref(),
            &post.author_host,
            &post.author_ap_id,
        ),
        author_url: post.author_ap_id.clone(),
        when,
        iso,
        content: safe(&post.content),
        deleted: post.deleted_at.is_some(),
        original: post.url.clone().filter(|u| u.starts_with("http")),
        depth,
        likes: 0,
        dislikes: 0,
    }
}

/// Replies in reading order (each followed by its own replies), with their depth.
fn reply_tree(posts: &[Post]) -> Vec<(usize, &Post)> {
    let Some((root, replies)) = posts.split_first() else {
        return Vec::new();
    };
    let mut children: HashMap<&str, Vec<&Post>> = HashMap::new();
    for reply in replies {
        children
            .entry(reply.in_reply_to.as_deref().unwrap_or(&root.ap_id))
            .or_default()
            .push(reply);
    }
    let mut ordered = Vec::with_capacity(replies.len());
    let mut stack: Vec<(usize, &Post)> = children
        .get(root.ap_id.as_str())
        .into_iter()
        .flatten()
        .rev()
        .map(|p| (1, *p))
        .collect();
    while let Some((depth, post)) = stack.pop() {
        ordered.push((depth, post));
        if let Some(kids) = children.get(post.ap_id.as_str()) {
            stack.extend(kids.iter().rev().map(|p| (depth + 1, *p)));
        }
    }
    ordered
}

/// `GET /groups/{name}/threads/{id}`: a thread with its replies.
pub async fn thread(
    State(state): State<AppState>,
    Path((name, id)): Path<(String, i64)>,
) -> Response {
    let store = state.fed.store();
    let not_found = |state: &AppState| {
        state.pages.error(
            state,
            StatusCode::NOT_FOUND,
            "No such thread",
            "This thread does not exist, or is not in this group.",
        )
    };
    let group = match store.group_by_name(&name).await {
        Ok(Some(group)) => group,
        Ok(None) => return not_found(&state),
        Err(err) => return unavailable(&state, err),
    };
    let posts = match store.thread_posts(id).await {
        Ok(posts) => posts,
        Err(err) => return unavailable(&state, err),
    };
    let Some(root) = posts
        .first()
        .filter(|p| p.group_id == group.id && p.id == id)
    else {
        return not_found(&state);
    };
    let mut root_view = post_view(root, 0);
    match store.reaction_counts(root.id).await {
        Ok((likes, dislikes)) => {
            root_view.likes = likes;
            root_view.dislikes = dislikes;
        }
        Err(err) => return unavailable(&state, err),
    }
    let replies: Vec<PostView> = reply_tree(&posts)
        .into_iter()
        .map(|(depth, p)| post_view(p, depth))
        .collect();
    let urls = state.fed.urls();
    let ctx = context! {
        group => context! { title => group.title.clone(), url => urls.group(&group.name).to_string() },
        root => root_view,
        replies,
    };
    state.pages.render(&state, "thread.html", ctx)
}

/// `GET /static/hearth.css`.
pub async fn stylesheet() -> Response {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/hearth.css"),
    )
        .into_response()
}

/// Anything else: a 404 page.
pub async fn not_found(State(state): State<AppState>) -> Response {
    state.pages.error(
        &state,
        StatusCode::NOT_FOUND,
        "Page not found",
        "There is nothing at this address.",
    )
}
