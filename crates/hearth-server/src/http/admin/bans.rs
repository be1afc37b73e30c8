//! A group's bans and its staff's private notes on members: the bans in force (lift one),
//! banning someone, and reading and adding the notes about one person.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::actions::{apply_action, Action, ActionError, ActionRequest};
use hearth_storage::{Group, StoreError};
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};

use super::forms::{
    actor_text, done, group_path, non_blank, staff_actor, when, Cx, Flash, Notice, Reply,
};
use super::moderation_fields::{ban_days, limited_text, note_text, rule_id};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;
use crate::moderation::days_from_now;

/// The page's query: whose notes to show.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct BansQuery {
    actor: String,
}

/// The ban form, as submitted (and shown again when refused).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct BanForm {
    #[serde(skip_serializing)]
    csrf: Option<String>,
    actor: String,
    days: String,
    remove_data: Option<String>,
    rule: String,
    reason: String,
}

/// `/admin/groups/{name}/bans`, showing the notes about `actor` when given.
fn bans_path(group: &str, actor: &str) -> String {
    if actor.is_empty() {
        return group_path(group, "/bans");
    }
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("actor", actor)
        .finish();
    group_path(group, &format!("/bans?{query}#notes"))
}

async fn page(cx: &Cx<'_>, group: &Group, actor: &str, notice: Notice, form: &BanForm) -> Response {
    let store = cx.state.fed.store();
    let actor = actor.trim();
    let loaded = async {
        let bans = store.group_bans(group.id, hearth_storage::now_ms()).await?;
        let rules = store.group_rules(group.id).await?;
        let notes = match store.actor_by_ap_id(actor).await? {
            Some(person) if !actor.is_empty() => {
                Some(store.member_notes(group.id, person.id).await?)
            }
            _ => None,
        };
        Ok::<_, StoreError>((bans, rules, notes))
    }
    .await;
    let (bans, rules, notes) = match loaded {
        Ok(loaded) => loaded,
        Err(err) => return cx.unavailable(err),
    };
    let rule_name = |id: Option<i64>| {
        id.and_then(|id| rules.iter().find(|r| r.id == id))
            .map(|r| r.short_name.clone())
    };
    let ctx = context! {
        group => cx.group_view(group),
        section => "bans",
        bans => bans.iter().map(|b| context! {
            person => b.actor_ap_id.clone(),
            notes => bans_path(&group.name, &b.actor_ap_id),
            reason => b.reason.clone(),
            rule => rule_name(b.rule_id),
            ends => b.expires_at.map(when),
            by => actor_text(&b.banned_by),
            since => when(b.created_at),
        }).collect::<Vec<_>>(),
        rules => rules.iter().map(|r| context! { id => r.id.to_string(), name => r.short_name.clone() }).collect::<Vec<_>>(),
        form => Value::from_serialize(form),
        actor,
        known => notes.is_some(),
        notes => notes.unwrap_or_default().iter().map(|n| context! {
            author => actor_text(&n.author),
            text => n.text.clone(),
            when => when(n.created_at),
        }).collect::<Vec<_>>(),
        url => group_path(&group.name, "/bans"),
    };
    cx.page("admin/bans.html", notice, ctx)
}

/// `GET /admin/groups/{name}/bans?actor=`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
    Query(query): Query<BansQuery>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    Ok(page(
        &cx,
        &group,
        &query.actor,
        flash.notice(),
        &BanForm::default(),
    )
    .await)
}

/// The request a ban form asks for, or what is wrong with it.
fn ban_request(form: &BanForm) -> Result<ActionRequest, String> {
    let person = non_blank(&form.actor).ok_or("Give the person's actor id (a URL).")?;
    let reason = limited_text(&form.reason, "The reason")?;
    if reason.is_empty() {
        return Err("Say why: the person is sent the reason with the ban.".into());
    }
    Ok(ActionRequest {
        action: Action::Ban {
            person,
            expires_at: ban_days(&form.days)?.map(days_from_now),
            remove_data: form.remove_data.is_some(),
        },
        reason,
        rule_id: rule_id(&form.rule)?,
    })
}

/// `POST /admin/groups/{name}/bans`: bans a person from the group.
pub(super) async fn ban(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<BanForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    let refused = match ban_request(&form) {
        Ok(request) => match apply_action(&state.fed, &group, &staff_actor(&who), &request).await {
            Ok(_) => {
                let message = format!("Banned {} from the group.", form.actor.trim());
                return Ok(done(&group_path(&group.name, "/bans"), &message));
            }
            Err(ActionError::Store(err)) => return Err(cx.unavailable(err)),
            Err(err) => err.to_string(),
        },
        Err(message) => message,
    };
    let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, refused);
    Err(page(&cx, &group, "", notice, &form).await)
}

/// The lift form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct LiftForm {
    csrf: Option<String>,
    actor: String,
}

/// `POST /admin/groups/{name}/bans/lift`: lifts a ban.
pub(super) async fn lift(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<LiftForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    let request = ActionRequest {
        action: Action::Unban {
            person: form.actor.trim().to_owned(),
        },
        reason: String::new(),
        rule_id: None,
    };
    match apply_action(&state.fed, &group, &staff_actor(&who), &request).await {
        Ok(_) => Ok(done(
            &group_path(&group.name, "/bans"),
            &format!("Lifted the ban of {}.", form.actor.trim()),
        )),
        Err(ActionError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => {
            let notice = Notice::alert(StatusCode::CONFLICT, err);
            Err(page(&cx, &group, "", notice, &BanForm::default()).await)
        }
    }
}

/// The add-a-note form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NoteForm {
    csrf: Option<String>,
    actor: String,
    text: String,
}

/// `POST /admin/groups/{name}/notes`: adds a note about a member.
pub(super) async fn note(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<NoteForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    let store = state.fed.store();
    let actor = form.actor.trim();
    let person = match store.actor_by_ap_id(actor).await {
        Ok(person) => person,
        Err(err) => return Err(cx.unavailable(err)),
    };
    let refused = match (&person, note_text(&form.text)) {
        (None, _) => format!("{actor} is not known on this server."),
        (Some(_), Err(message)) => message,
        (Some(person), Ok(text)) => {
            return match store
                .add_member_note(group.id, person.id, &staff_actor(&who), &text)
                .await
            {
                Ok(_) => Ok(done(&bans_path(&group.name, actor), "Note added.")),
                Err(err) => Err(cx.unavailable(err)),
            }
        }
    };
    let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, refused);
    Err(page(&cx, &group, actor, notice, &BanForm::default()).await)
}
