//! Creating and editing groups: a name WebFinger can carry, a key pair of their own, edits
//! that federate as `Update` of the Group, and answers to join requests.

use hearth_storage::{
    Change, FollowState, FollowerFlavor, Group, GroupEdit, JoinMode, NewGroup, NewOutbound,
    PostingPolicy, Recipients, Rule, RuleInput, Store, StoreError, UnitOfWork,
};

use crate::keys::generate_keys;
use crate::urls::authority;
use crate::{announce, Federation};

/// What a new group needs.
#[derive(Debug, Clone)]
pub struct GroupRequest {
    /// WebFinger name.
    pub name: String,
    /// Display name; the name when empty.
    pub title: Option<String>,
    /// Description.
    pub summary: Option<String>,
    /// Who may post.
    pub posting_policy: PostingPolicy,
    /// How people join.
    pub join_mode: JoinMode,
    /// Whether the group is listed.
    pub discoverable: bool,
    /// Language (BCP 47 tag); `en` when empty.
    pub language: Option<String>,
}

/// Why a group could not be created.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The name cannot be used.
    #[error("{0}")]
    InvalidName(String),
    /// The name is taken.
    #[error("a group named {0} already exists")]
    Taken(String),
    /// A field of an edit is out of bounds.
    #[error("{0}")]
    Invalid(String),
    /// Key generation failed.
    #[error("cannot generate the group's keys: {0}")]
    Keys(String),
    /// No pending follow request from that actor.
    #[error("{0} has no pending follow request for this group")]
    NoRequest(String),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

/// Checks that `name` is a lowercase WebFinger-safe name: 1 to 64 of `a-z 0-9 _`, starting
/// with a letter or digit.
pub fn validate_name(name: &str) -> Result<(), GroupError> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if name.is_empty() || name.len() > 64 {
        return Err(GroupError::InvalidName(
            "a group name has 1 to 64 characters".into(),
        ));
    }
    if !ok_chars || name.starts_with('_') {
        return Err(GroupError::InvalidName(format!(
            "{name:?} is not a usable group name: use lowercase letters, digits and _ (not first), as in @{}@host",
            name.to_ascii_lowercase()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        )));
    }
    Ok(())
}

/// Creates a group with a fresh RSA key pair.
pub async fn create_group(store: &Store, request: GroupRequest) -> Result<Group, GroupError> {
    validate_name(&request.name)?;
    let language = request.language.unwrap_or_else(|| "en".into());
    validate_edit(&GroupEdit {
        title: request.title.clone(),
        summary: request.summary.clone(),
        language: Some(language.clone()),
        ..GroupEdit::default()
    })?;
    if store
        .group_by_name(&request.name)
        .await
        .map_err(GroupError::Store)?
        .is_some()
    {
        return Err(GroupError::Taken(request.name));
    }
    let keys = generate_keys().map_err(|e| GroupError::Keys(e.to_string()))?;
    let new = NewGroup {
        title: request
            .title
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| request.name.clone()),
        name: request.name,
        summary: request.summary.unwrap_or_default(),
        posting_policy: request.posting_policy,
        join_mode: request.join_mode,
        discoverable: request.discoverable,
        language,
        public_key_pem: keys.public_key_pem,
        private_key_pem: keys.private_key_pem,
    };
    store.create_group(&new).await.map_err(|e| match e {
        StoreError::Conflict(_) => GroupError::Taken(new.name.clone()),
        other => GroupError::Store(other),
    })
}

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest description, in characters.
pub const MAX_SUMMARY_CHARS: usize = 10_000;
/// Most join questions.
pub const MAX_QUESTIONS: usize = 10;
/// Most rules.
pub const MAX_RULES: usize = 50;
/// Longest question, rule name or rule text, in characters.
pub const MAX_SHORT_TEXT_CHARS: usize = 1_000;

fn too_long(what: &str, text: &str, max: usize) -> Result<(), GroupError> {
    if text.chars().count() > max {
        return Err(GroupError::Invalid(format!(
            "{what} is longer than {max} characters"
        )));
    }
    Ok(())
}

/// Checks the fields of an edit without applying it.
pub fn validate_edit(edit: &GroupEdit) -> Result<(), GroupError> {
    if let Some(title) = &edit.title {
        if title.trim().is_empty() {
            return Err(GroupError::Invalid("the title cannot be empty".into()));
        }
        too_long("the title", title, MAX_TITLE_CHARS)?;
    }
    if let Some(summary) = &edit.summary {
        too_long("the description", summary, MAX_SUMMARY_CHARS)?;
    }
    if let Some(language) = &edit.language {
        let ok = !language.is_empty()
            && language.len() <= 35
            && language
                .split('-')
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric()));
        if !ok {
            return Err(GroupError::Invalid(format!(
                "{language:?} is not a language tag (use one like en, de or pt-BR)"
            )));
        }
    }
    if let Some(questions) = &edit.join_questions {
        if questions.len() > MAX_QUESTIONS {
            return Err(GroupError::Invalid(format!(
                "a group has at most {MAX_QUESTIONS} join questions"
            )));
        }
        for question in questions {
            too_long("a join question", question, MAX_SHORT_TEXT_CHARS)?;
        }
    }
    Ok(())
}

/// Longest actor URL an invitation may name.
pub const MAX_ACTOR_URL_CHARS: usize = 2048;

/// `input` as the actor an invitation names: an http(s) URL with a host, kept as typed
/// (follows are matched to invitations by the exact actor id).
pub fn invitation_actor(input: &str) -> Result<String, GroupError> {
    let input = input.trim();
    if input.is_empty() {
        return Err(GroupError::Invalid(
            "enter the URL of the account to invite, as https://example.social/users/alice".into(),
        ));
    }
    url::Url::parse(input)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http") && u.host_str().is_some())
        .filter(|_| input.chars().count() <= MAX_ACTOR_URL_CHARS)
        .ok_or_else(|| {
            GroupError::Invalid(format!(
                "{input:?} is not an account URL: use one like https://example.social/users/alice"
            ))
        })?;
    Ok(input.to_owned())
}

/// Applies staff's edit to a group and sends `Update` of the Group to its followers.
pub async fn edit_group(
    fed: &Federation,
    group: &Group,
    edit: GroupEdit,
) -> Result<Group, GroupError> {
    let mut edit = edit;
    if let Some(questions) = edit.join_questions.take() {
        edit.join_questions = Some(
            questions
                .into_iter()
                .map(|q| q.trim().to_owned())
                .filter(|q| !q.is_empty())
                .collect(),
        );
    }
    if let Some(title) = edit.title.take() {
        edit.title = Some(title.trim().to_owned());
    }
    validate_edit(&edit)?;
    let updated = fed
        .store()
        .update_group(group.id, &edit)
        .await
        .map_err(GroupError::Store)?;
    publish_update(fed, &updated).await?;
    Ok(updated)
}

/// Archives a group (no new members or posts; its content stays readable) or restores it,
/// and tells followers.
pub async fn set_archived(
    fed: &Federation,
    group: &Group,
    archived: bool,
) -> Result<Group, GroupError> {
    let updated = fed
        .store()
        .set_group_archived(group.id, archived)
        .await
        .map_err(GroupError::Store)?;
    publish_update(fed, &updated).await?;
    Ok(updated)
}

/// Replaces a group's rules (in order; entries with an id keep that rule's id).
pub async fn set_rules(
    store: &Store,
    group: &Group,
    rules: Vec<RuleInput>,
) -> Result<Vec<Rule>, GroupError> {
    if rules.len() > MAX_RULES {
        return Err(GroupError::Invalid(format!(
            "a group has at most {MAX_RULES} rules"
        )));
    }
    let mut cleaned = Vec::with_capacity(rules.len());
    for rule in rules {
        let short_name = rule.short_name.trim().to_owned();
        let text = rule.text.trim().to_owned();
        if short_name.is_empty() {
            if text.is_empty() {
                continue;
            }
            return Err(GroupError::Invalid("every rule needs a short name".into()));
        }
        too_long("a rule's name", &short_name, MAX_SHORT_TEXT_CHARS)?;
        too_long("a rule's text", &text, MAX_SUMMARY_CHARS)?;
        cleaned.push(RuleInput {
            id: rule.id,
            short_name,
            text,
        });
    }
    store
        .replace_group_rules(group.id, &cleaned)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                GroupError::Invalid("a rule id does not belong to this group".into())
            }
            other => GroupError::Store(other),
        })
}

/// Queues `Update` of the group's actor document to every follower.
async fn publish_update(fed: &Federation, group: &Group) -> Result<(), GroupError> {
    let document = crate::vocab::documents::group_actor(group, fed.urls());
    let update = announce::update_group(fed.urls(), group, &document);
    let work = UnitOfWork {
        received: None,
        changes: Vec::new(),
        outbound: vec![NewOutbound {
            ap_id: update.id,
            group_id: Some(group.id),
            kind: "Update".into(),
            public: true,
            body: update.body,
            recipients: vec![Recipients::Followers {
                group_id: group.id,
                flavor: FollowerFlavor::All,
            }],
        }],
    };
    fed.store().commit(&work).await.map_err(GroupError::Store)?;
    fed.notify_work_queued();
    Ok(())
}

/// Approves (`Accept`) or refuses (`Reject`) a pending follow of `group` by `actor_ap_id`,
/// and queues the answer to the follower.
pub async fn decide_follow(
    fed: &Federation,
    group: &Group,
    actor_ap_id: &str,
    approve: bool,
) -> Result<(), GroupError> {
    let pending = fed
        .store()
        .pending_follows(group.id)
        .await
        .map_err(GroupError::Store)?;
    let request = pending
        .into_iter()
        .find(|p| p.ap_id == actor_ap_id)
        .ok_or_else(|| GroupError::NoRequest(actor_ap_id.to_owned()))?;
    let follow = serde_json::json!({
        "id": request.follow_activity_id,
        "type": "Follow",
        "actor": request.ap_id,
        "object": fed.urls().group(&group.name),
    });
    let (kind, change) = if approve {
        let change = Change::Follow {
            group_id: group.id,
            actor_id: request.actor_id,
            activity_id: request.follow_activity_id.clone(),
            state: FollowState::Accepted,
        };
        ("Accept", change)
    } else {
        let change = Change::Unfollow {
            group_id: group.id,
            actor_id: request.actor_id,
        };
        ("Reject", change)
    };
    let answer = announce::answer(kind, fed.urls(), group, &follow, &request.ap_id);
    let host = url::Url::parse(&request.inbox)
        .map(|u| authority(&u))
        .unwrap_or(request.host);
    let mut work = UnitOfWork {
        received: None,
        changes: vec![change],
        outbound: vec![NewOutbound {
            ap_id: answer.id,
            group_id: Some(group.id),
            kind: kind.into(),
            public: false,
            body: answer.body,
            recipients: vec![Recipients::Inbox {
                inbox: request.inbox,
                host,
            }],
        }],
    };
    if approve {
        let welcome = crate::group_posts::welcome_by_id(fed, group, request.actor_id).await;
        work.outbound.extend(welcome.map_err(GroupError::Store)?);
    }
    fed.store().commit(&work).await.map_err(GroupError::Store)?;
    fed.notify_work_queued();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_must_fit_webfinger() {
        assert!(validate_name("climbing").is_ok());
        assert!(validate_name("rust_2024").is_ok());
        for bad in ["", "Climbing", "a b", "café", "_x", "a@b", &"x".repeat(65)] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }
}
