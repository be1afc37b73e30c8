//! Public HTML pages: the list of groups, a group's page and its threads, and uploaded
//! images. Peer HTML and staff Markdown are sanitised before they are marked safe for the
//! templates.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, VARY, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hearth_federation::html::{markdown, sanitize, sanitize_without_media, to_text};
use hearth_moderation::Verdict;
use hearth_storage::{Group, GroupRole, GroupSummary, JoinMode, Post, PostingPolicy};
use minijinja::{context, Environment, Value};
use serde::{Deserialize, Serialize};

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
            ("about.html", include_str!("../../templates/about.html")),
            ("modlog.html", include_str!("../../templates/modlog.html")),
            ("events.html", include_str!("../../templates/events.html")),
            ("event.html", include_str!("../../templates/event.html")),
        ]
        .into_iter()
        .chain(super::admin::TEMPLATES.iter().copied())
        {
            env.add_template(name, source).expect("templates compile");
        }
        Pages { env }
    }

    pub(super) fn render(&self, state: &AppState, name: &str, ctx: Value) -> Response {
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

    /// The public error page with `status`.
    pub(super) fn error(
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

/// Staff-written Markdown as safe HTML (empty when there is nothing to show).
fn rendered_markdown(source: &str) -> Value {
    if source.trim().is_empty() {
        return Value::from("");
    }
    Value::from_safe_string(markdown(source))
}

/// A time (ms) as shown on pages, and as RFC 3339 for `<time datetime>`.
pub(super) fn when(ms: i64) -> (String, String) {
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    (t.format("%-d %b %Y, %H:%M UTC").to_string(), t.to_rfc3339())
}

fn handle(username: Option<&str>, host: &str, fallback: &str) -> String {
    match username {
        Some(user) => format!("@{user}@{host}"),
        None => fallback.to_owned(),
    }
}

/// The page for a store that failed.
pub(super) fn unavailable(state: &AppState, err: hearth_storage::StoreError) -> Response {
    tracing::error!(error = %err, "page could not read the store");
    state.pages.error(
        state,
        StatusCode::SERVICE_UNAVAILABLE,
        "Temporarily unavailable",
        "Please try again in a moment.",
    )
}

/// Query of the home page.
#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    /// Words to look for in group names, titles and descriptions.
    #[serde(default)]
    q: String,
}

/// Whether a group matches a search (case-insensitive, on name, title and description).
fn matches(needle: &str, group: &GroupSummary) -> bool {
    needle.is_empty()
        || [&group.name, &group.title, &group.summary]
            .iter()
            .any(|field| field.to_lowercase().contains(needle))
}

/// The first `max` characters of a Markdown text, as plain text on one line, cut at a word.
fn excerpt(source: &str, max: usize) -> String {
    let mut text = String::new();
    for line in to_text(&markdown(source)).lines() {
        if !text.is_empty() {
            text.push_str(if text.ends_with(['.', '!', '?', ':', ';']) {
                " "
            } else {
                " · "
            });
        }
        text.push_str(line);
    }
    if text.chars().count() <= max {
        return text;
    }
    let cut: String = text.chars().take(max).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > max / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':', ' ']))
}

/// `GET /?q=`: the discoverable groups that are not archived, optionally searched.
pub async fn home(State(state): State<AppState>, Query(query): Query<HomeQuery>) -> Response {
    let groups = match state.fed.store().list_groups().await {
        Ok(groups) => groups,
        Err(err) => return unavailable(&state, err),
    };
    let q = query.q.trim();
    let needle = q.to_lowercase();
    let listed: Vec<&GroupSummary> = groups
        .iter()
        .filter(|g| g.discoverable && g.archived_at.is_none())
        .collect();
    let urls = state.fed.urls();
    let found: Vec<Value> = listed
        .iter()
        .filter(|g| matches(&needle, g))
        .map(|g| {
            Value::from_serialize(context! {
                url => urls.group(&g.name).to_string(),
                handle => format!("@{}@{}", g.name, urls.authority()),
                title => &g.title,
                summary => excerpt(&g.summary, 200),
                icon => &g.icon_url,
                members => g.followers,
                threads => g.threads,
            })
        })
        .collect();
    let ctx = context! { groups => found, q, listed => listed.len() };
    state.pages.render(&state, "home.html", ctx)
}

/// `GET /about`: the instance, how it federates, and (when the admins publish it) the
/// servers it limits, with public reasons only.
pub async fn about(State(state): State<AppState>) -> Response {
    let store = state.fed.store();
    let loaded = async {
        let groups = store.list_groups().await?;
        let (visibility, rules) = super::transparency::published_rules(store).await?;
        let mode = store
            .setting(hearth_federation::policy::MODE_SETTING)
            .await?
            .unwrap_or_else(|| "open".into());
        Ok::<_, hearth_storage::StoreError>((groups, visibility, rules, mode))
    }
    .await;
    let (groups, visibility, rules, mode) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => return unavailable(&state, err),
    };
    let listed = groups
        .iter()
        .filter(|g| g.discoverable && g.archived_at.is_none())
        .count();
    let ctx = context! {
        groups => listed,
        visibility => visibility.as_str(),
        rules,
        mode,
    };
    state.pages.render(&state, "about.html", ctx)
}

/// `GET /media/{id}`: an uploaded image, cacheable for ever (a new upload gets a new id).
pub async fn media(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let found = if id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        state.fed.store().media(&id).await
    } else {
        Ok(None)
    };
    match found {
        Ok(Some(media)) if media.content_type.starts_with("image/") => {
            let content_type = HeaderValue::from_str(&media.content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            (
                [
                    (CONTENT_TYPE, content_type),
                    (
                        CACHE_CONTROL,
                        HeaderValue::from_static("public, max-age=31536000, immutable"),
                    ),
                    (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
                    (
                        CONTENT_SECURITY_POLICY,
                        HeaderValue::from_static("default-src 'none'; sandbox"),
                    ),
                ],
                media.bytes,
            )
                .into_response()
        }
        Ok(_) => (
            StatusCode::NOT_FOUND,
            [(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))],
            "no such image",
        )
            .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "image could not be read from the store");
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily unavailable").into_response()
        }
    }
}

/// Threads listed on a group's page.
const RECENT_THREADS: i64 = 50;

/// What the group page says about joining.
fn join_view(group: &Group) -> Value {
    let (mode, heading, text) = match group.join_mode() {
        JoinMode::Open => (
            "open",
            "Anyone can join",
            "Follow the group from your fediverse account and you are a member at once.",
        ),
        JoinMode::Approval => (
            "approval",
            "Membership needs approval",
            "Follow the group from your fediverse account: a moderator reviews your request, and you become a member once it is approved.",
        ),
        JoinMode::Invite => (
            "invite",
            "Invite only",
            "Only people the moderators invite can join. Others can still read the group's public threads.",
        ),
    };
    let questions = if group.join_mode() == JoinMode::Approval {
        group.join_questions()
    } else {
        Vec::new()
    };
    Value::from_serialize(context! { mode, heading, text, questions })
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
    let (members, threads, rules, staff, group_posts) = match tokio::try_join!(
        store.count_followers(group.id),
        store.recent_threads(group.id, RECENT_THREADS),
        store.group_rules(group.id),
        store.group_staff(group.id),
        super::group_posts::on_page(state, &group),
    ) {
        Ok(found) => found,
        Err(err) => return unavailable(state, err),
    };
    let urls = state.fed.urls();
    let thread_count = if threads.len() as i64 >= RECENT_THREADS {
        format!("{RECENT_THREADS}+ threads")
    } else {
        format!("{} thread{}", threads.len(), plural(threads.len() as i64))
    };
    // Pinned threads come first, then the others by their latest activity.
    let threads: Vec<Value> = threads
        .into_iter()
        .filter(|t| state.fed.judge_host(&t.author_host).federates())
        .map(|t| {
            let (when, iso) = when(t.last_activity_at);
            Value::from_serialize(context! {
                url => urls.thread_page(&group.name, t.id).to_string(),
                title => t.title.unwrap_or_else(|| "(untitled)".into()),
                author => handle(t.author_username.as_deref(), &t.author_host, &t.author_ap_id),
                replies => t.reply_count,
                pinned => t.pinned_at.is_some(),
                locked => t.locked_at.is_some(),
                when, iso,
            })
        })
        .collect();
    let rules: Vec<Value> = rules
        .into_iter()
        .map(|r| {
            Value::from_serialize(context! {
                name => r.short_name,
                text => rendered_markdown(&r.text),
            })
        })
        .collect();
    let staff: Vec<Value> = staff
        .into_iter()
        .map(|s| {
            let role = match s.role {
                GroupRole::Owner => "Owner",
                GroupRole::Moderator => "Moderator",
                GroupRole::Manager => "Community manager",
            };
            Value::from_serialize(context! { username => s.username, role })
        })
        .collect();
    let posting = match group.posting_policy() {
        PostingPolicy::Anyone => "Anyone on the fediverse can start a thread.",
        PostingPolicy::Followers => "Members can start threads.",
        PostingPolicy::Moderators => "Moderators start threads; members reply.",
    };
    let archived = group.archived_at.map(|ms| when(ms).0);
    let ctx = context! {
        group => context! {
            title => group.title.clone(),
            url => urls.group(&group.name).to_string(),
            handle => format!("@{}@{}", group.name, urls.authority()),
            summary => rendered_markdown(&group.summary),
            icon => group.icon_url.clone(),
            banner => group.banner_url.clone(),
            language => group.language.clone(),
            members,
            members_text => format!("{members} member{}", plural(members)),
            threads => thread_count,
            posting,
            archived,
            modlog => format!("/groups/{}/modlog", group.name),
        },
        join => join_view(&group),
        rules,
        staff,
        threads,
        group_posts,
    };
    let mut response = state.pages.render(state, "group.html", ctx);
    // The same URL is the group's ActivityPub actor for other clients.
    response
        .headers_mut()
        .insert(VARY, HeaderValue::from_static("Accept"));
    response
}

fn plural(n: i64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[derive(Serialize)]
struct PostView {
    /// From a suspended instance: shown as a notice only.
    hidden: bool,
    title: String,
    author: String,
    author_url: String,
    when: String,
    iso: String,
    content: Value,
    deleted: bool,
    /// Removed by the group's moderators: its content is not sent at all.
    removed: bool,
    /// A thread closed to new replies (roots only).
    locked: bool,
    /// A thread pinned to the group (roots only).
    pinned: bool,
    original: Option<String>,
    depth: usize,
    likes: i64,
    dislikes: i64,
}

/// A post as a page shows it: content removed by moderators or from a suspended instance is
/// kept out (a notice stands in its place), and images from an instance whose media is
/// rejected are dropped.
fn post_view(state: &AppState, post: &Post, depth: usize) -> PostView {
    let (when, iso) = when(post.published);
    let content = match state.fed.judge_host(&post.author_host) {
        Verdict::Refuse(_) => None,
        Verdict::Federate {
            reject_media: true, ..
        } => Some(Value::from_safe_string(sanitize_without_media(
            &post.content,
        ))),
        Verdict::Federate { .. } => Some(safe(&post.content)),
    };
    let hidden = content.is_none();
    let removed = post.removed_at.is_some();
    PostView {
        hidden,
        title: if hidden {
            "(hidden)".into()
        } else if removed {
            "(removed)".into()
        } else {
            post.title.clone().unwrap_or_else(|| "(untitled)".into())
        },
        author: handle(
            post.author_username.as_deref(),
            &post.author_host,
            &post.author_ap_id,
        ),
        author_url: post.author_ap_id.clone(),
        when,
        iso,
        content: content.filter(|_| !removed).unwrap_or_default(),
        deleted: post.deleted_at.is_some(),
        removed,
        locked: post.locked_at.is_some(),
        pinned: post.pinned_at.is_some(),
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
    let mut root_view = post_view(&state, root, 0);
    match store.reaction_counts(root.id).await {
        Ok((likes, dislikes)) => {
            root_view.likes = likes;
            root_view.dislikes = dislikes;
        }
        Err(err) => return unavailable(&state, err),
    }
    let replies: Vec<PostView> = reply_tree(&posts)
        .into_iter()
        .map(|(depth, p)| post_view(&state, p, depth))
        .collect();
    let urls = state.fed.urls();
    let ctx = context! {
        group => context! {
            title => group.title.clone(),
            url => urls.group(&group.name).to_string(),
            modlog => format!("/groups/{}/modlog", group.name),
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str, title: &str, text: &str) -> GroupSummary {
        GroupSummary {
            id: 1,
            name: name.into(),
            title: title.into(),
            summary: text.into(),
            discoverable: true,
            archived_at: None,
            icon_url: None,
            followers: 0,
            threads: 0,
            posts: 0,
            created_at: 0,
        }
    }

    #[test]
    fn search_looks_at_name_title_and_description_in_any_case() {
        let group = summary("hikers", "Fell Walkers", "Routes in the **Lake District**");
        for needle in ["", "hik", "fell walk", "lake district"] {
            assert!(matches(needle, &group), "{needle}");
        }
        assert!(!matches("chess", &group));
    }

    #[test]
    fn excerpts_are_plain_text_cut_at_a_word() {
        assert_eq!(
            excerpt("**Hi** there.\n\n- one\n- two", 100),
            "Hi there. one · two"
        );
        let long = "word ".repeat(30);
        let cut = excerpt(&long, 32);
        assert!(cut.ends_with("word…") && cut.chars().count() <= 33, "{cut}");
        assert_eq!(excerpt("<script>x</script>", 10), "");
    }
}
