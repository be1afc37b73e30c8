//! The forms of a case page: close the case (with the post's removal and a ban in the same
//! step), forward it to the reported person's server, add a note, take it or give it up.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::actions::cases::{
    decide_case, forward_case, BanSpec, CaseDecision, CaseState,
};
use hearth_federation::actions::ActionError;
use hearth_storage::Group;
use serde::Deserialize;

use super::cases::{case_path, page, DecideForm};
use super::forms::{done, group_path, staff_actor, CsrfOnly, Cx, Notice, Reply};
use super::moderation_fields::{ban_days, limited_text, note_text, rule_id};
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;
use crate::moderation::days_from_now;

/// The group of a case form, once the form's token and the staff member's role are checked.
async fn checked_group(cx: &Cx<'_>, name: &str, csrf: Option<&str>) -> Result<Group, Response> {
    cx.csrf(csrf)?;
    let group = cx.group(name).await?;
    cx.require(Permission::ReviewPosts, Some(&group))?;
    Ok(group)
}

/// The decision a close form asks for, or what is wrong with it.
fn decision(form: &DecideForm) -> Result<CaseDecision, String> {
    let state = match form.state.as_str() {
        "resolved" => CaseState::Resolved,
        "dismissed" => CaseState::Dismissed,
        "escalated" => CaseState::Escalated,
        _ => return Err("Choose how the case ends: resolved, dismissed or escalated.".into()),
    };
    let ban = form.ban.is_some();
    let days = ban_days(&form.ban_days)?;
    if !ban && (days.is_some() || form.remove_data.is_some()) {
        return Err(
            "Tick “Ban the author” to ban them for some days or remove their posts.".into(),
        );
    }
    Ok(CaseDecision {
        state,
        reason: limited_text(&form.reason, "The reason")?,
        rule_id: rule_id(&form.rule)?,
        remove_post: form.remove_post.is_some(),
        ban: ban.then(|| BanSpec {
            expires_at: days.map(days_from_now),
            remove_data: form.remove_data.is_some(),
        }),
    })
}

/// `POST /admin/groups/{name}/cases/{id}/decide`: closes the case, taking its actions.
pub(super) async fn decide(
    State(state): State<AppState>,
    who: PageStaff,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<DecideForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = checked_group(&cx, &name, form.csrf.as_deref()).await?;
    let refuse = |status: StatusCode, message: String| {
        let (cx, group, form) = (&cx, &group, &form);
        async move { page(cx, group, id, Notice::alert(status, message), form).await }
    };
    let decision = match decision(&form) {
        Ok(decision) => decision,
        Err(message) => return Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, message).await),
    };
    match decide_case(&state.fed, &group, id, &staff_actor(&who), &decision).await {
        Ok(case) => {
            tracing::info!(group = %group.name, case = id, state = %case.state, by = %who.staff.account.username, "case decided");
            let mut message = format!("Case {id} {}.", case.state);
            if decision.remove_post {
                message.push_str(" The post is removed.");
            }
            if decision.ban.is_some() {
                message.push_str(" Its author is banned.");
            }
            Ok(done(&group_path(&group.name, "/cases"), &message))
        }
        Err(ActionError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => Err(refuse(StatusCode::UNPROCESSABLE_ENTITY, err.to_string()).await),
    }
}

/// `POST /admin/groups/{name}/cases/{id}/forward`: sends the reports to the reported person's
/// server.
pub(super) async fn forward(
    State(state): State<AppState>,
    who: PageStaff,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<CsrfOnly>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = checked_group(&cx, &name, form.csrf.as_deref()).await?;
    match forward_case(&state.fed, &group, id, &staff_actor(&who)).await {
        Ok(host) => Ok(done(
            &case_path(&group.name, id),
            &format!("Forwarded the reports to {host}, without the reporters' names."),
        )),
        Err(ActionError::Store(err)) => Err(cx.unavailable(err)),
        Err(err) => {
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, err);
            Err(page(&cx, &group, id, notice, &DecideForm::default()).await)
        }
    }
}

/// The add-a-note form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct NoteForm {
    csrf: Option<String>,
    text: String,
}

/// `POST /admin/groups/{name}/cases/{id}/note`: adds a note for the staff.
pub(super) async fn note(
    State(state): State<AppState>,
    who: PageStaff,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<NoteForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = checked_group(&cx, &name, form.csrf.as_deref()).await?;
    let store = state.fed.store();
    let case = match store.report_case(group.id, id).await {
        Ok(Some(case)) => case,
        Ok(None) => {
            return Err(cx.failure(
                StatusCode::NOT_FOUND,
                "No such case",
                "This group has no case with that number.",
            ))
        }
        Err(err) => return Err(cx.unavailable(err)),
    };
    let text = match note_text(&form.text) {
        Ok(text) => text,
        Err(message) => {
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
            return Err(page(&cx, &group, id, notice, &DecideForm::default()).await);
        }
    };
    match store
        .add_case_note(case.id, &staff_actor(&who), &text)
        .await
    {
        Ok(_) => Ok(done(&case_path(&group.name, id), "Note added.")),
        Err(err) => Err(cx.unavailable(err)),
    }
}

/// The take-or-give-up form.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct AssignForm {
    csrf: Option<String>,
    /// `me` to take the case; anything else gives it up.
    to: String,
}

/// `POST /admin/groups/{name}/cases/{id}/assign`: the case becomes the staff member's, or
/// nobody's.
pub(super) async fn assign(
    State(state): State<AppState>,
    who: PageStaff,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<AssignForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = checked_group(&cx, &name, form.csrf.as_deref()).await?;
    let to_me = form.to == "me";
    let account = to_me.then_some(who.staff.account.id);
    match state.fed.store().assign_case(group.id, id, account).await {
        Ok(true) => {
            let message = if to_me {
                "The case is yours."
            } else {
                "Nobody handles this case now."
            };
            Ok(done(&case_path(&group.name, id), message))
        }
        Ok(false) => Err(cx.failure(
            StatusCode::NOT_FOUND,
            "No such case",
            "This group has no case with that number.",
        )),
        Err(err) => Err(cx.unavailable(err)),
    }
}
