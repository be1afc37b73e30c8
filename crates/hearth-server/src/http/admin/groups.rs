//! Creating a group, its overview and settings, its images, and archiving it.

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::groups::{create_group, edit_group, set_archived, GroupError, GroupRequest};
use hearth_federation::html::markdown;
use hearth_storage::{Group, GroupEdit, JoinMode, PostingPolicy};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, non_blank, Cx, Flash, Notice, Reply};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;
use crate::uploads::{inspect, set_group_image, ImagePurpose, UploadError};

/// The choices of the "Join mode" select: value and label.
const JOIN_MODES: &[(&str, &str)] = &[
    ("open", "Open"),
    ("approval", "Approval required"),
    ("invite", "Invite only"),
];

/// The choices of the "Posting" select: value and label.
const POSTING: &[(&str, &str)] = &[
    ("followers", "Members"),
    ("moderators", "Moderators only"),
    ("anyone", "Anyone"),
];

/// Room in an upload's body for the form around the two files.
const MULTIPART_OVERHEAD: usize = 64 * 1024;

/// The status and message for a group operation that failed.
pub(super) fn group_error(err: GroupError) -> (StatusCode, String) {
    match err {
        GroupError::Taken(_) => (StatusCode::CONFLICT, err.to_string()),
        GroupError::NoRequest(_) => (StatusCode::CONFLICT, err.to_string()),
        GroupError::InvalidName(_) | GroupError::Invalid(_) => {
            (StatusCode::UNPROCESSABLE_ENTITY, err.to_string())
        }
        GroupError::Keys(_) | GroupError::Store(_) => {
            tracing::error!(error = %err, "a group change failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The change could not be saved right now. Please try again in a moment.".into(),
            )
        }
    }
}

fn choices(options: &[(&str, &str)]) -> Value {
    Value::from_serialize(
        options
            .iter()
            .map(|(value, label)| context! { value, label })
            .collect::<Vec<_>>(),
    )
}

fn label_of(options: &[(&str, &'static str)], value: &str) -> &'static str {
    options
        .iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// The fields of the "new group" form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NewGroupForm {
    csrf: Option<String>,
    name: String,
    title: String,
    description: String,
    join_mode: String,
    posting: String,
    language: String,
    listed: Option<String>,
}

impl NewGroupForm {
    fn values(&self) -> Value {
        context! {
            name => self.name.clone(),
            title => self.title.clone(),
            description => self.description.clone(),
            join_mode => self.join_mode.clone(),
            posting => self.posting.clone(),
            language => self.language.clone(),
            listed => self.listed.is_some(),
        }
    }
}

fn new_page(cx: &Cx<'_>, values: Value, notice: Notice) -> Response {
    cx.page(
        "admin/group_new.html",
        notice,
        context! { values, join_modes => choices(JOIN_MODES), postings => choices(POSTING) },
    )
}

/// `GET /admin/groups/new`.
pub(super) async fn new_form(State(state): State<AppState>, who: PageStaff) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.require(Permission::AdministerInstance, None)?;
    let values = context! {
        join_mode => "approval", posting => "followers", language => "en", listed => true,
    };
    Ok(new_page(&cx, values, Notice::None))
}

/// `POST /admin/groups/new`.
pub(super) async fn create(
    State(state): State<AppState>,
    who: PageStaff,
    Form(form): Form<NewGroupForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    cx.require(Permission::AdministerInstance, None)?;
    let invalid = |message: String| {
        new_page(
            &cx,
            form.values(),
            Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message),
        )
    };
    let join_mode = form.join_mode.parse::<JoinMode>().map_err(invalid)?;
    let posting_policy = form.posting.parse::<PostingPolicy>().map_err(invalid)?;
    let request = GroupRequest {
        name: form.name.trim().to_owned(),
        title: non_blank(&form.title),
        summary: Some(form.description.trim().to_owned()),
        posting_policy,
        join_mode,
        discoverable: form.listed.is_some(),
        language: non_blank(&form.language),
    };
    match create_group(state.fed.store(), request).await {
        Ok(group) => {
            tracing::info!(group = %group.name, by = %who.staff.account.username, "group created");
            Ok(done(
                &group_path(&group.name, ""),
                &format!("Group {} created.", group.name),
            ))
        }
        Err(err) => {
            let (status, message) = group_error(err);
            Err(new_page(&cx, form.values(), Notice::alert(status, message)))
        }
    }
}

/// The fields of a group's settings form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct EditForm {
    csrf: Option<String>,
    title: String,
    description: String,
    join_mode: String,
    join_questions: String,
    posting: String,
    language: String,
    listed: Option<String>,
}

impl EditForm {
    fn values(&self) -> Value {
        context! {
            title => self.title.clone(),
            description => self.description.clone(),
            join_mode => self.join_mode.clone(),
            join_questions => self.join_questions.clone(),
            posting => self.posting.clone(),
            language => self.language.clone(),
            listed => self.listed.is_some(),
        }
    }
}

fn values_of(group: &Group) -> Value {
    context! {
        title => group.title.clone(),
        description => group.summary.clone(),
        join_mode => group.join_mode().as_str(),
        join_questions => group.join_questions().join("\n"),
        posting => group.posting_policy().as_str(),
        language => group.language.clone(),
        listed => group.discoverable,
    }
}

/// The overview of `group` with its settings form (filled with `values`, or the group's own).
async fn overview(cx: &Cx<'_>, group: &Group, values: Option<Value>, notice: Notice) -> Response {
    let store = cx.state.fed.store();
    let (followers, pending) = match (
        store.count_followers(group.id).await,
        store.pending_follows(group.id).await,
    ) {
        (Ok(followers), Ok(pending)) => (followers, pending.len()),
        (Err(err), _) | (_, Err(err)) => return cx.unavailable(err),
    };
    let join_mode = group.join_mode().as_str();
    let posting = group.posting_policy().as_str();
    let ctx = context! {
        group => cx.group_view(group),
        section => "overview",
        values => values.unwrap_or_else(|| values_of(group)),
        join_modes => choices(JOIN_MODES),
        postings => choices(POSTING),
        about => Value::from_safe_string(markdown(&group.summary)),
        settings => context! {
            join_mode => label_of(JOIN_MODES, join_mode),
            posting => label_of(POSTING, posting),
            language => group.language.clone(),
            listed => group.discoverable,
            questions => group.join_questions(),
        },
        icon => group.icon_url.clone(),
        banner => group.banner_url.clone(),
        followers,
        pending,
        upload_max => cx.state.upload_max_bytes,
        upload_max_text => format_bytes(cx.state.upload_max_bytes),
    };
    cx.page("admin/group.html", notice, ctx)
}

fn format_bytes(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes / MIB * MIB == bytes {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes / KIB * KIB == bytes {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// `GET /admin/groups/{name}`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ViewGroup, Some(&group))?;
    Ok(overview(&cx, &group, None, flash.notice()).await)
}

/// `POST /admin/groups/{name}`: saves the settings.
pub(super) async fn save(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<EditForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::EditGroup, Some(&group))?;
    let join_mode = form.join_mode.parse::<JoinMode>();
    let posting = form.posting.parse::<PostingPolicy>();
    let (join_mode, posting) = match (join_mode, posting) {
        (Ok(j), Ok(p)) => (j, p),
        (Err(message), _) | (_, Err(message)) => {
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
            return Err(overview(&cx, &group, Some(form.values()), notice).await);
        }
    };
    let edit = GroupEdit {
        title: Some(form.title.clone()),
        summary: Some(form.description.trim().to_owned()),
        posting_policy: Some(posting),
        join_mode: Some(join_mode),
        join_questions: Some(form.join_questions.lines().map(str::to_owned).collect()),
        discoverable: Some(form.listed.is_some()),
        language: Some(form.language.trim().to_owned()),
        ..GroupEdit::default()
    };
    match edit_group(&state.fed, &group, edit).await {
        Ok(group) => {
            tracing::info!(group = %group.name, by = %who.staff.account.username, "group edited");
            Ok(done(&group_path(&group.name, ""), "Changes saved."))
        }
        Err(err) => {
            let (status, message) = group_error(err);
            let notice = Notice::alert(status, message);
            Err(overview(&cx, &group, Some(form.values()), notice).await)
        }
    }
}

/// The files and token of the images form.
#[derive(Default)]
struct Images {
    csrf: Option<String>,
    icon: Option<Vec<u8>>,
    banner: Option<Vec<u8>>,
}

/// Reads the images form; the error is a status and message for the person.
async fn read_images(
    state: &AppState,
    request: Request,
    limit: usize,
) -> Result<Images, (StatusCode, String)> {
    let (parts, body) = request.into_parts();
    let too_large = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "the upload is too large: each image may be at most {} bytes",
                state.upload_max_bytes
            ),
        )
    };
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| too_large())?;
    let request = Request::from_parts(parts, Body::from(bytes));
    let mut multipart = Multipart::from_request(request, state).await.map_err(|_| {
        (
            StatusCode::BAD_REQUEST,
            "send the images with the upload form".to_owned(),
        )
    })?;
    let unreadable = |err: axum::extract::multipart::MultipartError| {
        (
            StatusCode::BAD_REQUEST,
            format!("the upload could not be read: {}", err.body_text()),
        )
    };
    let mut images = Images::default();
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "csrf" => images.csrf = Some(field.text().await.map_err(unreadable)?),
            "icon" | "banner" => {
                let chosen = field.file_name().is_some_and(|f| !f.is_empty());
                let bytes = field.bytes().await.map_err(unreadable)?;
                if !chosen && bytes.is_empty() {
                    continue;
                }
                if name == "icon" {
                    images.icon = Some(bytes.to_vec());
                } else {
                    images.banner = Some(bytes.to_vec());
                }
            }
            _ => {}
        }
    }
    Ok(images)
}

/// `POST /admin/groups/{name}/images`: a new icon, banner or both. Both are checked before
/// either is stored, so a bad file changes nothing.
pub(super) async fn upload(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    request: Request,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let max = state.upload_max_bytes;
    let limit = max.saturating_mul(2).saturating_add(MULTIPART_OVERHEAD);
    let images = match read_images(&state, request, limit).await {
        Ok(images) => images,
        Err((status, message)) => {
            // Nothing of the form could be trusted; show the group's page with the reason.
            let group = cx.group(&name).await?;
            cx.require(Permission::ViewGroup, Some(&group))?;
            return Err(overview(&cx, &group, None, Notice::alert(status, message)).await);
        }
    };
    cx.csrf(images.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::EditGroup, Some(&group))?;
    let refuse = |what: &str, err: UploadError| {
        let status = match err {
            UploadError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UploadError::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        Notice::alert(status, format!("{what}: {err}"))
    };
    let chosen = [
        ("Icon", ImagePurpose::Icon, images.icon),
        ("Banner", ImagePurpose::Banner, images.banner),
    ];
    if chosen.iter().all(|(_, _, bytes)| bytes.is_none()) {
        let notice = Notice::alert(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Choose an icon or a banner image to upload.",
        );
        return Err(overview(&cx, &group, None, notice).await);
    }
    for (what, _, bytes) in &chosen {
        if let Some(bytes) = bytes {
            if let Err(err) = inspect(bytes, max) {
                return Err(overview(&cx, &group, None, refuse(what, err)).await);
            }
        }
    }
    let mut changed = Vec::new();
    let mut current = group.clone();
    for (what, purpose, bytes) in chosen {
        let Some(bytes) = bytes else { continue };
        match set_group_image(&state.fed, &current, purpose, bytes, max).await {
            Ok(updated) => {
                current = updated;
                changed.push(what);
            }
            Err(err) => {
                let notice = match err {
                    UploadError::Group(err) => {
                        let (status, message) = group_error(err);
                        Notice::alert(status, message)
                    }
                    other => refuse(what, other),
                };
                return Err(overview(&cx, &current, None, notice).await);
            }
        }
    }
    tracing::info!(group = %group.name, by = %who.staff.account.username, images = ?changed, "group images changed");
    let message = match changed.as_slice() {
        [one] => format!("{one} updated."),
        _ => "Icon and banner updated.".to_owned(),
    };
    Ok(done(&group_path(&group.name, ""), &message))
}

/// The archive form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct ArchiveForm {
    csrf: Option<String>,
    archived: String,
}

/// `POST /admin/groups/{name}/archive`: archives or restores the group.
pub(super) async fn archive(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<ArchiveForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::EditGroup, Some(&group))?;
    let archived = match form.archived.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            let notice = Notice::alert(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose whether to archive or restore the group.",
            );
            return Err(overview(&cx, &group, None, notice).await);
        }
    };
    match set_archived(&state.fed, &group, archived).await {
        Ok(group) => {
            tracing::info!(group = %group.name, archived, by = %who.staff.account.username, "group archive state changed");
            let message = if archived {
                "Group archived: its content stays readable, but it takes no new members or posts."
            } else {
                "Group restored."
            };
            Ok(done(&group_path(&group.name, ""), message))
        }
        Err(err) => {
            let (status, message) = group_error(err);
            Err(overview(&cx, &group, None, Notice::alert(status, message)).await)
        }
    }
}
