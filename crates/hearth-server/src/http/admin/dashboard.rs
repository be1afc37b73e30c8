//! `GET /admin`: the groups a staff member looks after, with what waits for them (join
//! requests, held posts), and for admins the report cases escalated to them.

use axum::extract::State;
use axum::response::Response;
use hearth_storage::GroupRole;
use minijinja::{context, Value};

use super::forms::{group_path, role_label, Cx, Flash};
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// The dashboard.
pub(super) async fn show(State(state): State<AppState>, who: PageStaff, flash: Flash) -> Response {
    let cx = Cx::new(&state, &who);
    let store = state.fed.store();
    let all = match store.list_groups().await {
        Ok(groups) => groups,
        Err(err) => return cx.unavailable(err),
    };
    let staff = &who.staff;
    let mut groups: Vec<Value> = Vec::new();
    for group in all {
        let role = staff
            .roles
            .iter()
            .find(|r| r.group_id == group.id)
            .map(|r| r.role);
        // Who may review held posts (as `Permission::ReviewPosts`): moderators, owners, admins.
        let may_review = staff.is_admin() || role.is_some_and(|r| r >= GroupRole::Moderator);
        let role = match role {
            Some(role) => role_label(role),
            None if staff.is_admin() => "Instance admin",
            None => continue,
        };
        let pending = match store.pending_follows(group.id).await {
            Ok(pending) => pending.len(),
            Err(err) => return cx.unavailable(err),
        };
        let held = if may_review {
            match store.count_open_held_posts(group.id).await {
                Ok(count) => Some(count),
                Err(err) => return cx.unavailable(err),
            }
        } else {
            None
        };
        groups.push(Value::from_serialize(context! {
            name => group.name.clone(),
            title => group.title,
            url => group_path(&group.name, ""),
            members_url => group_path(&group.name, "/members"),
            role,
            followers => group.followers,
            threads => group.threads,
            pending,
            held,
            held_url => group_path(&group.name, "/held"),
            archived => group.archived_at.is_some(),
        }));
    }
    // Cases the groups' moderators handed to the instance's admins.
    let escalated: Vec<Value> = if staff.is_admin() {
        match store.escalated_cases().await {
            Ok(cases) => cases
                .into_iter()
                .map(|c| {
                    Value::from_serialize(context! {
                        url => group_path(&c.group_name, &format!("/cases/{}", c.id)),
                        id => c.id,
                        group => c.group_title,
                        subject => c.subject_ap_id,
                        by => c.closed_by,
                        reason => c.decision_reason,
                    })
                })
                .collect(),
            Err(err) => return cx.unavailable(err),
        }
    } else {
        Vec::new()
    };
    cx.page(
        "admin/dashboard.html",
        flash.notice(),
        context! { groups, escalated },
    )
}
