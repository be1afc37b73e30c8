//! A group's rules: one fieldset per rule, two empty ones for new rules, a "Remove" box on
//! each existing one; saved all at once, in order.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use hearth_federation::groups::set_rules;
use hearth_federation::html::markdown;
use hearth_storage::{Group, RuleInput};
use minijinja::{context, Value};
use serde::Deserialize;

use super::forms::{done, group_path, Cx, Flash, Notice, Reply};
use super::groups::group_error;
use crate::accounts::Permission;
use crate::http::auth::PageStaff;
use crate::http::AppState;

/// Empty rows offered for new rules.
const NEW_ROWS: usize = 2;

/// One row of the form, as shown.
struct Row {
    id: Option<i64>,
    name: String,
    text: String,
    remove: bool,
}

/// The rules form: the repeated fields line up by position; `remove` holds row indexes.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct RulesForm {
    csrf: Option<String>,
    rule_id: Vec<String>,
    rule_name: Vec<String>,
    rule_text: Vec<String>,
    remove: Vec<String>,
}

fn page(cx: &Cx<'_>, group: &Group, rows: Vec<Row>, rules: Value, notice: Notice) -> Response {
    let existing = rows.iter().filter(|r| r.id.is_some()).count();
    let rows: Vec<Value> = rows
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            context! {
                index,
                number => index + 1,
                id => row.id,
                name => row.name,
                text => row.text,
                remove => row.remove,
            }
        })
        .collect();
    cx.page(
        "admin/rules.html",
        notice,
        context! {
            group => cx.group_view(group),
            section => "rules",
            rows,
            existing,
            rules,
        },
    )
}

/// The group's rules, rendered for reading.
async fn current(cx: &Cx<'_>, group: &Group) -> Result<(Vec<Row>, Value), Response> {
    let rules = cx
        .state
        .fed
        .store()
        .group_rules(group.id)
        .await
        .map_err(|e| cx.unavailable(e))?;
    let shown: Vec<Value> = rules
        .iter()
        .map(|r| {
            context! {
                name => r.short_name.clone(),
                text => Value::from_safe_string(markdown(&r.text)),
            }
        })
        .collect();
    let mut rows: Vec<Row> = rules
        .into_iter()
        .map(|r| Row {
            id: Some(r.id),
            name: r.short_name,
            text: r.text,
            remove: false,
        })
        .collect();
    rows.extend((0..NEW_ROWS).map(|_| Row {
        id: None,
        name: String::new(),
        text: String::new(),
        remove: false,
    }));
    Ok((rows, Value::from_serialize(shown)))
}

/// `GET /admin/groups/{name}/rules`.
pub(super) async fn show(
    State(state): State<AppState>,
    who: PageStaff,
    flash: Flash,
    Path(name): Path<String>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    let group = cx.group(&name).await?;
    cx.require(Permission::ViewGroup, Some(&group))?;
    let (rows, rules) = current(&cx, &group).await?;
    Ok(page(&cx, &group, rows, rules, flash.notice()))
}

/// The rows of a submitted form, or why they do not line up.
fn rows_of(form: &RulesForm) -> Result<Vec<Row>, String> {
    let n = form.rule_id.len();
    if form.rule_name.len() != n || form.rule_text.len() != n {
        return Err("the form is incomplete; reload the page and try again".into());
    }
    let mut removed = Vec::new();
    for index in &form.remove {
        let index: usize = index
            .trim()
            .parse()
            .ok()
            .filter(|i| *i < n)
            .ok_or_else(|| format!("{index:?} is not a rule on this form"))?;
        removed.push(index);
    }
    let mut rows = Vec::with_capacity(n);
    for (index, id) in form.rule_id.iter().enumerate() {
        let id = match id.trim() {
            "" => None,
            id => Some(
                id.parse::<i64>()
                    .map_err(|_| format!("{id:?} is not a rule id"))?,
            ),
        };
        rows.push(Row {
            id,
            name: form.rule_name[index].clone(),
            text: form.rule_text[index].clone(),
            remove: removed.contains(&index),
        });
    }
    Ok(rows)
}

/// `POST /admin/groups/{name}/rules`: replaces the rules with the form's, in order.
pub(super) async fn save(
    State(state): State<AppState>,
    who: PageStaff,
    Path(name): Path<String>,
    Form(form): Form<RulesForm>,
) -> Reply {
    let cx = Cx::new(&state, &who);
    cx.csrf(form.csrf.as_deref())?;
    let group = cx.group(&name).await?;
    cx.require(Permission::EditGroup, Some(&group))?;
    let rows = match rows_of(&form) {
        Ok(rows) => rows,
        Err(message) => {
            let (rows, rules) = current(&cx, &group).await?;
            let notice = Notice::alert(StatusCode::UNPROCESSABLE_ENTITY, message);
            return Err(page(&cx, &group, rows, rules, notice));
        }
    };
    let inputs: Vec<RuleInput> = rows
        .iter()
        .filter(|r| !r.remove)
        .map(|r| RuleInput {
            id: r.id,
            short_name: r.name.clone(),
            text: r.text.clone(),
        })
        .collect();
    match set_rules(state.fed.store(), &group, inputs).await {
        Ok(rules) => {
            tracing::info!(group = %group.name, rules = rules.len(), by = %who.staff.account.username, "group rules saved");
            Ok(done(&group_path(&group.name, "/rules"), "Rules saved."))
        }
        Err(err) => {
            let (status, message) = group_error(err);
            let (_, rules) = current(&cx, &group).await?;
            Err(page(
                &cx,
                &group,
                rows,
                rules,
                Notice::alert(status, message),
            ))
        }
    }
}
