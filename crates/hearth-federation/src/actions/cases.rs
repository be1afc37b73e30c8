//! Closing a case of reports, with the actions it calls for in the same step; telling the
//! reporters' instances (Lemmy's `Resolve`); forwarding reports to remote moderators (as the
//! group) and to the reported person's instance (as the instance actor, so the reporter stays
//! anonymous).

use hearth_storage::{
    Change, Group, NewModlogEntry, NewOutbound, Post, Recipients, ReportCase, UnitOfWork,
};
use serde_json::{json, Value};

use super::{plan, Action, ActionError, ActionRequest};
use crate::notices::{inbox_of, shared_inbox_of};
use crate::vocab::documents::format_time;
use crate::Federation;

/// How a case ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseState {
    /// Handled.
    Resolved,
    /// No action needed.
    Dismissed,
    /// Handed to the instance's admins.
    Escalated,
}

impl CaseState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Resolved => "resolved",
            CaseState::Dismissed => "dismissed",
            CaseState::Escalated => "escalated",
        }
    }
}

/// A ban given while closing a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BanSpec {
    /// When it lifts (ms); `None` until lifted.
    pub expires_at: Option<i64>,
    /// Also remove everything the person posted in the group.
    pub remove_data: bool,
}

/// A decision on a case, with the actions to take alongside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseDecision {
    /// How the case ends.
    pub state: CaseState,
    /// Why, for the record (and the reporter).
    pub reason: String,
    /// The group rule cited.
    pub rule_id: Option<i64>,
    /// Remove the reported post.
    pub remove_post: bool,
    /// Ban the reported person.
    pub ban: Option<BanSpec>,
}

/// Closes open case `case_id` of `group` as `by`, taking the decision's actions in the same
/// transaction; an escalated case can still be resolved or dismissed (by the instance's
/// admins, typically). Nothing changes if any action cannot be taken.
pub async fn decide_case(
    fed: &Federation,
    group: &Group,
    case_id: i64,
    by: &str,
    decision: &CaseDecision,
) -> Result<ReportCase, ActionError> {
    let store = fed.store();
    let case = store
        .report_case(group.id, case_id)
        .await?
        .filter(|c| matches!(c.state.as_str(), "open" | "escalated"))
        .ok_or_else(|| {
            ActionError::Invalid(format!("{} has no open case {case_id}", group.name))
        })?;
    if case.state == "escalated" && decision.state == CaseState::Escalated {
        return Err(ActionError::Invalid(format!(
            "case {case_id} is already escalated"
        )));
    }
    let reports = store.case_reports(case.id).await?;
    let post = match case.post_id {
        Some(id) => store.post_by_id(id).await?,
        None => None,
    };
    let person = post
        .as_ref()
        .map(|p| p.author_ap_id.clone())
        .or_else(|| reports.iter().find_map(|r| r.reported_ap_id.clone()));

    let mut work = UnitOfWork::default();
    let mut actions = Vec::new();
    if decision.remove_post {
        let post = post.as_ref().ok_or_else(|| {
            ActionError::Invalid(
                "this case is about a person, not a post: nothing to remove".into(),
            )
        })?;
        if post.removed_at.is_none() {
            actions.push(Action::Remove {
                post: post.ap_id.clone(),
            });
        }
    }
    if let Some(ban) = decision.ban {
        let person = person.clone().ok_or_else(|| {
            ActionError::Invalid("the reports do not name a person to ban".into())
        })?;
        actions.push(Action::Ban {
            person,
            expires_at: ban.expires_at,
            remove_data: ban.remove_data,
        });
    }
    for action in actions {
        let request = ActionRequest {
            action,
            reason: decision.reason.clone(),
            rule_id: decision.rule_id,
        };
        let planned = plan(fed, group, by, &request).await?;
        work.changes.extend(planned.changes);
        work.outbound.extend(planned.outbound);
    }
    if decision.state == CaseState::Resolved {
        work.outbound
            .extend(resolutions(fed, group, &reports).await?);
    }
    work.changes.push(Change::CloseCase {
        group_id: group.id,
        case_id: case.id,
        state: decision.state.as_str().to_owned(),
        by: by.to_owned(),
        reason: decision.reason.clone(),
        rule_id: decision.rule_id,
    });
    work.changes.push(Change::Log(NewModlogEntry {
        group_id: Some(group.id),
        actor: by.to_owned(),
        action: format!("case.{}", decision.state.as_str()),
        target: case.subject_ap_id.clone(),
        reason: decision.reason.clone(),
        rule_id: decision.rule_id,
        details: format!("case {} ({} reports)", case.id, reports.len()),
    }));
    store.commit(&work).await?;
    fed.notify_work_queued();
    Ok(store.report_case(group.id, case.id).await?.unwrap_or(case))
}

/// `Resolve` of each report, to reporters on software that understands it (Lemmy).
async fn resolutions(
    fed: &Federation,
    group: &Group,
    reports: &[hearth_storage::Report],
) -> Result<Vec<NewOutbound>, ActionError> {
    let store = fed.store();
    let urls = fed.urls();
    let mut out = Vec::new();
    for report in reports.iter().filter(|r| r.withdrawn_at.is_none()) {
        let Some(reporter) = store.actor_by_ap_id(&report.reporter_ap_id).await? else {
            continue;
        };
        let software = store
            .instance(&reporter.host)
            .await?
            .and_then(|i| i.software);
        if software.as_deref() != Some("lemmy") {
            continue;
        }
        let Some(flag) = store
            .report_raw(report.id)
            .await?
            .and_then(|raw| serde_json::from_str::<Value>(&raw).ok())
        else {
            continue;
        };
        let id = urls.new_activity().to_string();
        let body = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": "Resolve",
            "actor": urls.group(&group.name).to_string(),
            "to": [reporter.ap_id],
            "object": flag,
            "published": format_time(hearth_storage::now_ms()),
        });
        out.push(NewOutbound {
            ap_id: id,
            group_id: Some(group.id),
            kind: "Resolve".into(),
            public: false,
            body: body.to_string(),
            recipients: vec![inbox_of(&reporter)],
        });
    }
    Ok(out)
}

/// A `Flag` about `objects` with `reason`, from `actor`, to `to`.
fn flag(
    fed: &Federation,
    actor: &str,
    to: &str,
    objects: &[&str],
    reason: &str,
) -> (String, String) {
    let id = fed.urls().new_activity().to_string();
    let body = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Flag",
        "actor": actor,
        "to": [to],
        "object": objects,
        "content": reason,
        "published": format_time(hearth_storage::now_ms()),
    });
    (id, body.to_string())
}

/// Copies of a report for the group's remote moderators: a `Flag` from the group to each.
pub(crate) async fn moderator_copies(
    fed: &Federation,
    group: &Group,
    subject: &str,
    reported: Option<&str>,
    reason: &str,
) -> Result<Vec<NewOutbound>, hearth_storage::StoreError> {
    let mut objects = vec![subject];
    if let Some(person) = reported.filter(|p| *p != subject) {
        objects.insert(0, person);
    }
    let group_actor = fed.urls().group(&group.name).to_string();
    let mut out = Vec::new();
    for moderator in fed.store().group_moderators(group.id).await? {
        let Some(actor) = fed.store().actor_by_id(moderator.actor_id).await? else {
            continue;
        };
        let (ap_id, body) = flag(fed, &group_actor, &actor.ap_id, &objects, reason);
        out.push(NewOutbound {
            ap_id,
            group_id: Some(group.id),
            kind: "Flag".into(),
            public: false,
            body,
            recipients: vec![inbox_of(&actor)],
        });
    }
    Ok(out)
}

/// Forwards case `case_id` to the reported person's instance, as a `Flag` from the instance
/// actor naming the person and the post, with the reporters' reasons but not their names.
pub async fn forward_case(
    fed: &Federation,
    group: &Group,
    case_id: i64,
    by: &str,
) -> Result<String, ActionError> {
    let store = fed.store();
    let case = store
        .report_case(group.id, case_id)
        .await?
        .ok_or_else(|| ActionError::Invalid(format!("{} has no case {case_id}", group.name)))?;
    let reports = store.case_reports(case.id).await?;
    let post: Option<Post> = match case.post_id {
        Some(id) => store.post_by_id(id).await?,
        None => None,
    };
    let person = post
        .as_ref()
        .map(|p| p.author_ap_id.clone())
        .or_else(|| reports.iter().find_map(|r| r.reported_ap_id.clone()))
        .ok_or_else(|| ActionError::Invalid("the reports do not name a person".into()))?;
    let author = store
        .actor_by_ap_id(&person)
        .await?
        .ok_or_else(|| ActionError::NoSuchPerson(format!("{person} is not known here")))?;
    let reasons: Vec<&str> = reports
        .iter()
        .filter(|r| r.withdrawn_at.is_none() && !r.content.trim().is_empty())
        .map(|r| r.content.trim())
        .collect();
    let mut objects = vec![author.ap_id.as_str()];
    if let Some(post) = &post {
        objects.push(&post.ap_id);
    }
    let instance = fed.urls().instance_actor().to_string();
    let (ap_id, body) = flag(
        fed,
        &instance,
        &author.ap_id,
        &objects,
        &reasons.join("\n\n"),
    );
    let recipients: Vec<Recipients> = vec![shared_inbox_of(&author)];
    let work = UnitOfWork {
        received: None,
        changes: vec![Change::Log(NewModlogEntry {
            group_id: Some(group.id),
            actor: by.to_owned(),
            action: "case.forward".into(),
            target: case.subject_ap_id.clone(),
            details: format!("case {} forwarded to {}", case.id, author.host),
            ..NewModlogEntry::default()
        })],
        outbound: vec![NewOutbound {
            ap_id,
            group_id: None,
            kind: "Flag".into(),
            public: false,
            body,
            recipients,
        }],
    };
    store.commit(&work).await?;
    fed.notify_work_queued();
    Ok(author.host)
}

/// Files a report made here by `by` (a staff member) about `subject` in `group`: a post (by
/// object id, URL or row id) or a person (by actor id). It opens the case about it, or joins
/// the open one, and reaches the group's remote moderators like any report. Returns the case.
pub async fn file_report(
    fed: &Federation,
    group: &Group,
    by: &str,
    subject: &str,
    reason: &str,
) -> Result<ReportCase, ActionError> {
    let store = fed.store();
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ActionError::Invalid(
            "a report needs a reason: say what is wrong".into(),
        ));
    }
    let (subject_ap_id, reported) = match super::group_post(fed, group, subject).await {
        Ok(post) => (post.ap_id.clone(), Some(post.author_ap_id.clone())),
        Err(ActionError::NoSuchPost(_)) => {
            let person = store.actor_by_ap_id(subject.trim()).await?.ok_or_else(|| {
                ActionError::NoSuchPerson(format!(
                    "{subject} is neither a post in {} nor a person known here",
                    group.name
                ))
            })?;
            (person.ap_id, None)
        }
        Err(other) => return Err(other),
    };
    let outbound =
        moderator_copies(fed, group, &subject_ap_id, reported.as_deref(), reason).await?;
    let work = UnitOfWork {
        received: None,
        changes: vec![Change::LocalReport {
            group_id: group.id,
            subject_ap_id: subject_ap_id.clone(),
            author: by.to_owned(),
            note: format!("Reported: {reason}"),
        }],
        outbound,
    };
    store.commit(&work).await?;
    fed.notify_work_queued();
    store
        .open_cases(group.id)
        .await?
        .into_iter()
        .find(|c| c.subject_ap_id == subject_ap_id)
        .ok_or_else(|| ActionError::Invalid("the case could not be opened".into()))
}
