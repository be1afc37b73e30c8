//! `/api/v1/groups/{name}/actions`, `…/bans` and `…/members/notes`: moderators' actions on a
//! group's posts and people (each federated as the group and written to the modlog), the bans
//! in force, and private notes on members.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use hearth_federation::actions::{apply_action, Action, ActionError, ActionRequest};
use hearth_storage::{Actor, Ban, Note};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::{group_for, Body};
use super::schema::ErrorBody;
use crate::accounts::Permission;
use crate::http::auth::ApiStaff;
use crate::http::error::ApiError;
use crate::http::AppState;
use crate::moderation::parse_time;

/// Longest note, in characters.
const MAX_NOTE_CHARS: usize = 5000;

fn time(ms: i64) -> String {
    hearth_federation::vocab::documents::format_time(ms)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
}

impl From<ActionError> for ApiError {
    fn from(err: ActionError) -> Self {
        let message = err.to_string();
        match err {
            ActionError::NoSuchPost(_) | ActionError::NoSuchPerson(_) => {
                ApiError::not_found(message)
            }
            ActionError::Invalid(_) => invalid(message),
            ActionError::Store(store) => ApiError::from(store),
        }
    }
}

/// A moderation action, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActionName {
    /// Remove a post or reply (a `Delete` is announced).
    Remove,
    /// Restore a removed post.
    Restore,
    /// Lock the post's thread against new replies.
    Lock,
    /// Unlock the post's thread.
    Unlock,
    /// Pin a thread to the group (its featured collection).
    Pin,
    /// Unpin a thread.
    Unpin,
    /// Ban a person from the group.
    Ban,
    /// Lift a ban.
    Unban,
    /// Send a person a warning from the group (needs a reason).
    Warn,
}

impl ActionName {
    /// The name as the API spells it (the variant's name in lower case).
    fn spelled(self) -> String {
        format!("{self:?}").to_lowercase()
    }
}

/// An action to take in a group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// What to do.
    pub action: ActionName,
    /// For remove, restore, lock, unlock, pin and unpin: the post's id, web address or number
    /// here.
    pub post: Option<String>,
    /// For ban, unban and warn: the person's actor id.
    pub person: Option<String>,
    /// Why: logged, and sent along where the activity has room for it (required to warn).
    #[serde(default)]
    pub reason: String,
    /// The group rule cited, by id.
    pub rule_id: Option<i64>,
    /// For ban: when it lifts by itself (RFC 3339, in the future); absent: until unbanned.
    pub expires_at: Option<String>,
    /// For ban: also remove everything the person posted in the group.
    #[serde(default)]
    pub remove_data: bool,
}

impl ActionBody {
    /// The request this body asks for, or why it asks for nothing that can be done.
    fn request(self) -> Result<ActionRequest, ApiError> {
        use ActionName::*;
        let name = self.action;
        let on_person = matches!(name, Ban | Unban | Warn);
        let (wanted, stray) = if on_person {
            (self.person, self.post.as_ref().map(|_| "post"))
        } else {
            (self.post, self.person.as_ref().map(|_| "person"))
        };
        if let Some(field) = stray {
            return Err(invalid(format!(
                "`{field}` does not go with {}",
                name.spelled()
            )));
        }
        if name != Ban && (self.expires_at.is_some() || self.remove_data) {
            return Err(invalid("`expires_at` and `remove_data` go with ban only"));
        }
        let target = wanted
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                let field = if on_person { "person" } else { "post" };
                invalid(format!("{} needs `{field}`", name.spelled()))
            })?;
        let action = match name {
            Remove => Action::Remove { post: target },
            Restore => Action::Restore { post: target },
            Lock => Action::Lock { post: target },
            Unlock => Action::Unlock { post: target },
            Pin => Action::Pin { post: target },
            Unpin => Action::Unpin { post: target },
            Ban => Action::Ban {
                person: target,
                expires_at: self
                    .expires_at
                    .as_deref()
                    .map(parse_time)
                    .transpose()
                    .map_err(invalid)?,
                remove_data: self.remove_data,
            },
            Unban => Action::Unban { person: target },
            Warn => Action::Warn { person: target },
        };
        Ok(ActionRequest {
            action,
            reason: self.reason,
            rule_id: self.rule_id,
        })
    }
}

/// What an action did.
#[derive(Serialize, ToSchema)]
pub struct ActionDoneView {
    /// The modlog's wording, e.g. `post.remove https://…`.
    pub done: String,
}

/// A ban in force.
#[derive(Serialize, ToSchema)]
pub struct BanView {
    /// The banned person's actor id.
    pub person: String,
    /// Why.
    pub reason: String,
    /// The group rule cited, by id.
    pub rule_id: Option<i64>,
    /// When it lifts by itself; `null`: when lifted.
    pub expires_at: Option<String>,
    /// Who banned (`staff:NAME`, `cli:USER`, a remote moderator's id).
    pub banned_by: String,
    /// When.
    pub created_at: String,
}

impl From<Ban> for BanView {
    fn from(b: Ban) -> Self {
        BanView {
            person: b.actor_ap_id,
            reason: b.reason,
            rule_id: b.rule_id,
            expires_at: b.expires_at.map(time),
            banned_by: b.banned_by,
            created_at: time(b.created_at),
        }
    }
}

/// A private note, on a member or on a case.
#[derive(Serialize, ToSchema)]
pub struct NoteView {
    /// Id.
    pub id: i64,
    /// Who wrote it (`staff:NAME`, `cli:USER`).
    pub author: String,
    /// The note.
    pub text: String,
    /// When.
    pub created_at: String,
}

impl From<Note> for NoteView {
    fn from(n: Note) -> Self {
        NoteView {
            id: n.id,
            author: n.author,
            text: n.text,
            created_at: time(n.created_at),
        }
    }
}

/// A note to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The note (at most 5000 characters).
    pub text: String,
}

/// The note's text, trimmed, if it is neither empty nor too long.
pub fn checked_note(text: &str) -> Result<&str, ApiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(invalid("the note is empty"));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(invalid(format!(
            "a note may be at most {MAX_NOTE_CHARS} characters"
        )));
    }
    Ok(text)
}

/// The member a notes call is about.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberQuery {
    /// The member's actor id.
    pub actor: String,
}

/// The person `actor` of a notes call, or a 404.
async fn known_actor(state: &AppState, actor: &str) -> Result<Actor, ApiError> {
    state
        .fed
        .store()
        .actor_by_ap_id(actor.trim())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{actor} is not known on this server")))
}

/// Take a moderation action: remove, restore, lock, unlock, pin, unpin, ban, unban or warn.
/// It is federated as the group and written to the modlog.
#[utoipa::path(post, path = "/api/v1/groups/{name}/actions", tag = "moderation",
    request_body = ActionBody,
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = ActionDoneView),
        (status = 404, body = ErrorBody, description = "No such post or person"),
        (status = 422, body = ErrorBody, description = "Not possible now (already removed, a past expiry…)"),
        (status = 403, body = ErrorBody)))]
pub async fn take_action(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Body(body): Body<ActionBody>,
) -> Result<Json<ActionDoneView>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let request = body.request()?;
    let by = format!("staff:{}", staff.account.username);
    let done = apply_action(&state.fed, &group, &by, &request).await?;
    tracing::info!(group = %group.name, %done, by = %staff.account.username, "moderation action");
    Ok(Json(ActionDoneView { done }))
}

/// The bans in force, newest first.
#[utoipa::path(get, path = "/api/v1/groups/{name}/bans", tag = "moderation",
    params(("name" = String, Path, description = "The group's name")),
    responses((status = 200, body = Vec<BanView>), (status = 403, body = ErrorBody)))]
pub async fn list_bans(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
) -> Result<Json<Vec<BanView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let bans = state
        .fed
        .store()
        .group_bans(group.id, hearth_storage::now_ms())
        .await?;
    Ok(Json(bans.into_iter().map(BanView::from).collect()))
}

/// The private notes about a member, oldest first.
#[utoipa::path(get, path = "/api/v1/groups/{name}/members/notes", tag = "moderation",
    params(("name" = String, Path, description = "The group's name"), MemberQuery),
    responses((status = 200, body = Vec<NoteView>), (status = 404, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn member_notes(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Query(query): Query<MemberQuery>,
) -> Result<Json<Vec<NoteView>>, ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let actor = known_actor(&state, &query.actor).await?;
    let notes = state.fed.store().member_notes(group.id, actor.id).await?;
    Ok(Json(notes.into_iter().map(NoteView::from).collect()))
}

/// Add a private note about a member (only the group's staff read notes).
#[utoipa::path(post, path = "/api/v1/groups/{name}/members/notes", tag = "moderation",
    request_body = NoteBody,
    params(("name" = String, Path, description = "The group's name"), MemberQuery),
    responses((status = 201, body = NoteView), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_member_note(
    State(state): State<AppState>,
    ApiStaff(staff): ApiStaff,
    Path(name): Path<String>,
    Query(query): Query<MemberQuery>,
    Body(body): Body<NoteBody>,
) -> Result<(StatusCode, Json<NoteView>), ApiError> {
    let group = group_for(&state, &staff, &name, Permission::ReviewPosts).await?;
    let actor = known_actor(&state, &query.actor).await?;
    let text = checked_note(&body.text)?;
    let store = state.fed.store();
    let author = format!("staff:{}", staff.account.username);
    let id = store
        .add_member_note(group.id, actor.id, &author, text)
        .await?;
    let note = store
        .member_notes(group.id, actor.id)
        .await?
        .into_iter()
        .find(|n| n.id == id)
        .ok_or_else(|| ApiError::not_found("the note vanished"))?;
    Ok((StatusCode::CREATED, Json(note.into())))
}
