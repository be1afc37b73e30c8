//! The shapes the API reads and writes, with their OpenAPI schemas.

use hearth_federation::Urls;
use hearth_storage::{
    Account, ApiToken, Group, GroupRole, Invite, JoinMode, Member, PostingPolicy, Rule, StaffMember,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A time as RFC 3339.
fn time(ms: i64) -> String {
    hearth_federation::vocab::documents::format_time(ms)
}

/// The error body of every failed call.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error's machine-readable code and human-readable message.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable code, e.g. `not_found`, `forbidden`, `invalid`, `taken`, `csrf`.
    pub code: String,
    /// What to tell a person.
    pub message: String,
}

/// How people join a group.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum JoinModeDto {
    /// Follows are accepted at once.
    Open,
    /// A moderator decides.
    Approval,
    /// Only invited actors.
    Invite,
}

impl From<JoinMode> for JoinModeDto {
    fn from(mode: JoinMode) -> Self {
        match mode {
            JoinMode::Open => JoinModeDto::Open,
            JoinMode::Approval => JoinModeDto::Approval,
            JoinMode::Invite => JoinModeDto::Invite,
        }
    }
}

impl From<JoinModeDto> for JoinMode {
    fn from(mode: JoinModeDto) -> Self {
        match mode {
            JoinModeDto::Open => JoinMode::Open,
            JoinModeDto::Approval => JoinMode::Approval,
            JoinModeDto::Invite => JoinMode::Invite,
        }
    }
}

/// Who may start threads in a group.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PostingDto {
    /// Members.
    Followers,
    /// Moderators only.
    Moderators,
    /// Anyone whose instance federates with this one.
    Anyone,
}

impl From<PostingPolicy> for PostingDto {
    fn from(policy: PostingPolicy) -> Self {
        match policy {
            PostingPolicy::Followers => PostingDto::Followers,
            PostingPolicy::Moderators => PostingDto::Moderators,
            PostingPolicy::Anyone => PostingDto::Anyone,
        }
    }
}

impl From<PostingDto> for PostingPolicy {
    fn from(policy: PostingDto) -> Self {
        match policy {
            PostingDto::Followers => PostingPolicy::Followers,
            PostingDto::Moderators => PostingPolicy::Moderators,
            PostingDto::Anyone => PostingPolicy::Anyone,
        }
    }
}

/// A staff role in a group.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    /// Edits the group and appoints its staff.
    Owner,
    /// Handles members, join requests and content.
    Moderator,
    /// Reads insights, writes announcements and events.
    Manager,
}

impl From<GroupRole> for RoleDto {
    fn from(role: GroupRole) -> Self {
        match role {
            GroupRole::Owner => RoleDto::Owner,
            GroupRole::Moderator => RoleDto::Moderator,
            GroupRole::Manager => RoleDto::Manager,
        }
    }
}

impl From<RoleDto> for GroupRole {
    fn from(role: RoleDto) -> Self {
        match role {
            RoleDto::Owner => GroupRole::Owner,
            RoleDto::Moderator => GroupRole::Moderator,
            RoleDto::Manager => GroupRole::Manager,
        }
    }
}

/// A group as staff see it.
#[derive(Serialize, ToSchema)]
pub struct GroupView {
    /// WebFinger name.
    pub name: String,
    /// `@name@host`.
    pub handle: String,
    /// The Group actor's id.
    pub actor: String,
    /// Display name.
    pub title: String,
    /// Description (Markdown source).
    pub summary: String,
    /// Who may start threads.
    pub posting: PostingDto,
    /// How people join.
    pub join_mode: JoinModeDto,
    /// Questions for people asking to join.
    pub join_questions: Vec<String>,
    /// Listed in directories.
    pub discoverable: bool,
    /// Language (BCP 47).
    pub language: String,
    /// Avatar URL.
    pub icon_url: Option<String>,
    /// Banner URL.
    pub banner_url: Option<String>,
    /// When archived, if archived.
    pub archived_at: Option<String>,
    /// Every post waits for a moderator's review.
    pub premoderation: bool,
    /// How many of each member's first posts wait for review (0: none).
    pub hold_first_posts: i64,
    /// Creation time.
    pub created_at: String,
    /// Last edit.
    pub updated_at: String,
}

impl GroupView {
    /// The view of `group`.
    pub fn new(group: &Group, urls: &Urls) -> Self {
        GroupView {
            name: group.name.clone(),
            handle: format!("@{}@{}", group.name, urls.authority()),
            actor: urls.group(&group.name).to_string(),
            title: group.title.clone(),
            summary: group.summary.clone(),
            posting: group.posting_policy().into(),
            join_mode: group.join_mode().into(),
            join_questions: group.join_questions(),
            discoverable: group.discoverable,
            language: group.language.clone(),
            icon_url: group.icon_url.clone(),
            banner_url: group.banner_url.clone(),
            archived_at: group.archived_at.map(time),
            premoderation: group.premoderation,
            hold_first_posts: group.hold_first_posts,
            created_at: time(group.created_at),
            updated_at: time(group.updated_at),
        }
    }
}

/// A new group.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGroupBody {
    /// WebFinger name: 1 to 64 of a-z, 0-9 and _ (not first).
    pub name: String,
    /// Display name (default: the name).
    pub title: Option<String>,
    /// Description (Markdown).
    pub summary: Option<String>,
    /// Who may start threads (default: followers).
    pub posting: Option<PostingDto>,
    /// How people join (default: open).
    pub join_mode: Option<JoinModeDto>,
    /// Listed in directories (default: true).
    pub discoverable: Option<bool>,
    /// Language (default: en).
    pub language: Option<String>,
}

/// An edit of a group; absent fields stay as they are.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct GroupPatch {
    /// Display name.
    pub title: Option<String>,
    /// Description (Markdown).
    pub summary: Option<String>,
    /// Who may start threads.
    pub posting: Option<PostingDto>,
    /// How people join.
    pub join_mode: Option<JoinModeDto>,
    /// Questions for people asking to join.
    pub join_questions: Option<Vec<String>>,
    /// Listed in directories.
    pub discoverable: Option<bool>,
    /// Language (BCP 47).
    pub language: Option<String>,
    /// Hold every post for a moderator's review.
    pub premoderation: Option<bool>,
    /// Hold each member's first N posts for review (0: none).
    pub hold_first_posts: Option<u32>,
}

/// A page of groups.
#[derive(Serialize, ToSchema)]
pub struct GroupPage {
    /// This page.
    pub items: Vec<GroupView>,
    /// Matching groups in all.
    pub total: i64,
    /// Offset of the next page, if there is one.
    pub next_offset: Option<i64>,
}

/// A rule of a group.
#[derive(Serialize, ToSchema)]
pub struct RuleView {
    /// Stable id, for citing.
    pub id: i64,
    /// Place in the list, from 1.
    pub position: i64,
    /// Short name.
    pub short_name: String,
    /// Full text (Markdown).
    pub text: String,
}

impl From<Rule> for RuleView {
    fn from(rule: Rule) -> Self {
        RuleView {
            id: rule.id,
            position: rule.position,
            short_name: rule.short_name,
            text: rule.text,
        }
    }
}

/// A rule as submitted: give `id` to keep (and edit) an existing rule.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    /// An existing rule's id.
    pub id: Option<i64>,
    /// Short name.
    pub short_name: String,
    /// Full text (Markdown).
    #[serde(default)]
    pub text: String,
}

/// A member, or someone asking to be one.
#[derive(Serialize, ToSchema)]
pub struct MemberView {
    /// Their actor id.
    pub actor: String,
    /// `@user@host`, when the username is known.
    pub handle: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Their instance.
    pub instance: String,
    /// Their instance's software, when known.
    pub software: Option<String>,
    /// Their profile page.
    pub url: Option<String>,
    /// Answers to the join questions (requests only).
    pub answers: String,
    /// Since when.
    pub since: String,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        MemberView {
            handle: m
                .preferred_username
                .as_ref()
                .map(|u| format!("@{u}@{}", m.host)),
            actor: m.ap_id,
            name: m.name,
            instance: m.host,
            software: m.software,
            url: m.url,
            answers: m.answers,
            since: time(m.created_at),
        }
    }
}

/// A page of members.
#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    /// This page.
    pub items: Vec<MemberView>,
    /// Matching members in all.
    pub total: i64,
    /// Offset of the next page, if there is one.
    pub next_offset: Option<i64>,
}

/// Paging and search of a list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Text to search for.
    pub q: Option<String>,
    /// Items per page (1–200, default 50).
    pub limit: Option<i64>,
    /// Items to skip.
    pub offset: Option<i64>,
}

impl ListQuery {
    /// The bounded limit and offset.
    pub fn window(&self) -> (i64, i64) {
        (
            self.limit.unwrap_or(50).clamp(1, 200),
            self.offset.unwrap_or(0).max(0),
        )
    }
}

/// The offset of the page after `offset`, if any is left.
pub fn next_offset(offset: i64, shown: usize, total: i64) -> Option<i64> {
    let next = offset + shown as i64;
    (shown > 0 && next < total).then_some(next)
}

/// A decision on a join request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// The requester's actor id.
    pub actor: String,
    /// `true` accepts (an `Accept` is sent), `false` rejects (a `Reject` is sent).
    pub approve: bool,
}

/// An actor, by id.
#[derive(Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ActorBody {
    /// The actor's id (URL).
    pub actor: String,
}

/// An invitation.
#[derive(Serialize, ToSchema)]
pub struct InviteView {
    /// Who is invited.
    pub actor: String,
    /// Which account invited them.
    pub invited_by: Option<String>,
    /// When.
    pub created_at: String,
}

impl From<Invite> for InviteView {
    fn from(i: Invite) -> Self {
        InviteView {
            actor: i.actor_ap_id,
            invited_by: i.invited_by,
            created_at: time(i.created_at),
        }
    }
}

/// One staff appointment.
#[derive(Serialize, ToSchema)]
pub struct StaffView {
    /// The account.
    pub username: String,
    /// The group.
    pub group: String,
    /// The role.
    pub role: RoleDto,
    /// Since when.
    pub since: String,
}

impl From<StaffMember> for StaffView {
    fn from(s: StaffMember) -> Self {
        StaffView {
            username: s.username,
            group: s.group_name,
            role: s.role.into(),
            since: time(s.created_at),
        }
    }
}

/// A role to give.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleBody {
    /// The role.
    pub role: RoleDto,
}

/// A staff account.
#[derive(Serialize, ToSchema)]
pub struct AccountView {
    /// Login name.
    pub username: String,
    /// Instance admin.
    pub is_admin: bool,
    /// Two-factor authentication on.
    pub two_factor: bool,
    /// Roles in groups.
    pub roles: Vec<StaffView>,
    /// Creation time.
    pub created_at: String,
}

impl AccountView {
    /// The view of `account` with `roles`.
    pub fn new(account: &Account, roles: Vec<StaffMember>) -> Self {
        AccountView {
            username: account.username.clone(),
            is_admin: account.is_admin,
            two_factor: account.totp_secret.is_some(),
            roles: roles.into_iter().map(StaffView::from).collect(),
            created_at: time(account.created_at),
        }
    }
}

/// A new account.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccountBody {
    /// Login name.
    pub username: String,
    /// At least 10 characters.
    pub password: String,
    /// Make it an instance admin.
    #[serde(default)]
    pub is_admin: bool,
}

/// Credentials, exchanged for an API token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Authenticator code, for accounts with two-factor authentication.
    pub code: Option<String>,
    /// What the token is for (default: "API").
    pub name: Option<String>,
}

/// A new token: the secret is shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewTokenView {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    /// The token's record.
    pub info: TokenView,
}

/// An API token (without its secret).
#[derive(Serialize, ToSchema)]
pub struct TokenView {
    /// Id, for revoking.
    pub id: i64,
    /// What it is for.
    pub name: String,
    /// Creation time.
    pub created_at: String,
    /// Last use.
    pub last_used_at: Option<String>,
    /// Revocation time.
    pub revoked_at: Option<String>,
}

impl From<ApiToken> for TokenView {
    fn from(t: ApiToken) -> Self {
        TokenView {
            id: t.id,
            name: t.name,
            created_at: time(t.created_at),
            last_used_at: t.last_used_at.map(time),
            revoked_at: t.revoked_at.map(time),
        }
    }
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// The current password.
    pub current_password: String,
    /// The new one (at least 10 characters).
    pub new_password: String,
}

/// A second factor being set up: add the secret to an authenticator app, then confirm.
#[derive(Serialize, ToSchema)]
pub struct TwoFactorSetup {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://` URL for authenticator apps.
    pub url: String,
}

/// Turning the second factor on: the secret from the setup and a code made from it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorConfirm {
    /// The secret from `POST /api/v1/me/two-factor`.
    pub secret: String,
    /// The current 6-digit code.
    pub code: String,
}

/// A post held for review.
#[derive(Serialize, ToSchema)]
pub struct HeldPostView {
    /// Id, for deciding.
    pub id: i64,
    /// The author's actor id.
    pub author: String,
    /// `@user@host`, when the username is known.
    pub author_handle: Option<String>,
    /// The post's id.
    pub object: String,
    /// The post's content (HTML, sanitised).
    pub content: String,
    /// Why it was held.
    pub reason: String,
    /// When it arrived.
    pub received_at: String,
    /// `approved` or `rejected`, once decided.
    pub decision: Option<String>,
}

impl From<hearth_storage::HeldPost> for HeldPostView {
    fn from(h: hearth_storage::HeldPost) -> Self {
        let content = serde_json::from_str::<serde_json::Value>(&h.object)
            .ok()
            .and_then(|o| o.get("content").and_then(|c| c.as_str()).map(str::to_owned))
            .map(|c| hearth_federation::html::sanitize(&c))
            .unwrap_or_default();
        HeldPostView {
            id: h.id,
            author_handle: h
                .author_username
                .as_ref()
                .map(|u| format!("@{u}@{}", h.author_host)),
            author: h.author_ap_id,
            object: h.object_ap_id,
            content,
            reason: h.reason,
            received_at: time(h.created_at),
            decision: h.decision,
        }
    }
}

/// A decision on a held post.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewBody {
    /// `true` publishes it (the group announces it); `false` rejects it.
    pub approve: bool,
    /// Why; sent to the author when the post is rejected.
    #[serde(default)]
    pub reason: String,
}

/// A rule about another domain.
#[derive(Serialize, ToSchema)]
pub struct DomainRuleView {
    /// The domain (`example.com` covers its subdomains; `*.example.com` only them).
    pub domain: String,
    /// `suspend`, `silence`, `noop` or `allow`.
    pub severity: String,
    /// Its media is not shown.
    pub reject_media: bool,
    /// Its reports are ignored.
    pub reject_reports: bool,
    /// The reason shown publicly (when the list is published).
    pub public_comment: String,
    /// The reason only staff see.
    pub private_comment: String,
    /// `manual`, or the subscription it came from.
    pub source: String,
    /// When it lapses, if it does.
    pub expires_at: Option<String>,
    /// Who made it.
    pub created_by: String,
    /// Last change.
    pub updated_at: String,
}

impl From<hearth_storage::DomainPolicy> for DomainRuleView {
    fn from(p: hearth_storage::DomainPolicy) -> Self {
        DomainRuleView {
            domain: p.domain,
            severity: p.severity,
            reject_media: p.reject_media,
            reject_reports: p.reject_reports,
            public_comment: p.public_comment,
            private_comment: p.private_comment,
            source: p.source,
            expires_at: p.expires_at.map(time),
            created_by: p.created_by,
            updated_at: time(p.updated_at),
        }
    }
}

/// A rule to set on a domain.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainRuleBody {
    /// `suspend`, `silence`, `noop` or `allow`.
    pub severity: String,
    /// The reason shown publicly; also recorded in the modlog.
    #[serde(default)]
    pub public_comment: String,
    /// The reason only staff see.
    #[serde(default)]
    pub private_comment: String,
    /// Hide its media.
    #[serde(default)]
    pub reject_media: bool,
    /// Ignore its reports.
    #[serde(default)]
    pub reject_reports: bool,
    /// Lift the rule by itself after this many seconds.
    pub expires_in_secs: Option<i64>,
}

/// What a policy change did beyond the rule itself.
#[derive(Serialize, ToSchema)]
pub struct EnforcementView {
    /// Follows removed from refused instances.
    pub follows_removed: u64,
    /// Queued deliveries to refused instances cancelled.
    pub deliveries_cancelled: u64,
}

/// A federation setting's value.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingBody {
    /// For the mode: `open` or `allowlist`. For the published list: `hidden`, `obfuscated` or
    /// `public`.
    pub value: String,
}

/// Delivery health of one instance.
#[derive(Serialize, ToSchema)]
pub struct InstanceHealthView {
    /// The instance.
    pub host: String,
    /// Its software, from NodeInfo.
    pub software: Option<String>,
    /// `ok`, `silenced` or `refused` under the current policy.
    pub policy: String,
    /// Last successful delivery.
    pub last_success_at: Option<String>,
    /// Failed deliveries since.
    pub consecutive_failures: i64,
    /// Since when it is held as unreachable.
    pub unreachable_since: Option<String>,
    /// Deliveries waiting.
    pub queued: i64,
    /// Age of the oldest waiting delivery, in seconds.
    pub oldest_queued_secs: Option<i64>,
    /// Deliveries that succeeded, all time.
    pub delivered: i64,
}

/// One modlog entry.
#[derive(Serialize, ToSchema)]
pub struct ModlogView {
    /// When.
    pub at: String,
    /// Who.
    pub actor: String,
    /// What, e.g. `domain.suspend`.
    pub action: String,
    /// On what.
    pub target: String,
    /// Why.
    pub reason: String,
}

impl From<hearth_storage::ModlogEntry> for ModlogView {
    fn from(e: hearth_storage::ModlogEntry) -> Self {
        ModlogView {
            at: time(e.at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            reason: e.reason,
        }
    }
}

/// A subscription to a shared blocklist.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    /// Id.
    pub id: i64,
    /// Where the list is fetched from.
    pub url: String,
    /// Between lists naming the same domain, the higher priority wins.
    pub priority: i64,
    /// A draft is fetched and stored but applies nothing.
    pub draft: bool,
    /// Domains never applied from this list (nor their subdomains).
    pub excludes: Vec<String>,
    /// How often it is fetched, in seconds.
    pub refresh_secs: i64,
    /// Entries in the last good copy (which stays in force when a fetch fails).
    pub entries: i64,
    /// Last fetch, good or not.
    pub last_fetch_at: Option<String>,
    /// Last good fetch.
    pub last_success_at: Option<String>,
    /// Why the last fetch failed, if it did.
    pub last_error: Option<String>,
    /// Who subscribed.
    pub created_by: String,
}

impl From<hearth_storage::BlocklistSubscription> for SubscriptionView {
    fn from(s: hearth_storage::BlocklistSubscription) -> Self {
        SubscriptionView {
            excludes: s.exclude_list(),
            id: s.id,
            url: s.url,
            priority: s.priority,
            draft: s.draft,
            refresh_secs: s.refresh_secs,
            entries: s.entries,
            last_fetch_at: s.last_fetch_at.map(time),
            last_success_at: s.last_success_at.map(time),
            last_error: s.last_error,
            created_by: s.created_by,
        }
    }
}

/// A new subscription.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriptionBody {
    /// The list's URL (Mastodon CSV, Mastodon/GoToSocial JSON, or one domain per line).
    pub url: String,
    /// Priority between lists (default 0).
    #[serde(default)]
    pub priority: i64,
    /// Store without applying until activated.
    #[serde(default)]
    pub draft: bool,
    /// Domains never to apply from it.
    #[serde(default)]
    pub excludes: Vec<String>,
    /// Refresh interval in seconds (default 6 hours, at least 10 minutes).
    pub refresh_secs: Option<i64>,
}

/// One rule change a subscription command made.
#[derive(Serialize, ToSchema)]
pub struct AppliedChangeView {
    /// The domain.
    pub domain: String,
    /// The severity now in force, or `null` when the rule was lifted.
    pub severity: Option<String>,
    /// The modlog reason.
    pub reason: String,
}

/// What a subscription command did.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionReportView {
    /// The subscription.
    pub id: i64,
    /// Rule changes applied.
    pub applied: Vec<AppliedChangeView>,
    /// Follows removed from newly refused instances.
    pub follows_removed: u64,
    /// Queued deliveries to them cancelled.
    pub deliveries_cancelled: u64,
    /// The server said the list had not changed.
    pub not_modified: bool,
    /// Entries in the stored copy.
    pub entries: usize,
    /// Entries not applied from the list, with why.
    pub skipped: Vec<SkippedView>,
}

/// An entry of a list that was not applied.
#[derive(Serialize, ToSchema)]
pub struct SkippedView {
    /// The domain.
    pub domain: String,
    /// Why (excluded, this server's own host).
    pub why: String,
}

impl From<hearth_federation::subscriptions::SubscriptionReport> for SubscriptionReportView {
    fn from(r: hearth_federation::subscriptions::SubscriptionReport) -> Self {
        SubscriptionReportView {
            id: r.id,
            applied: r
                .applied
                .into_iter()
                .map(|c| match c.change {
                    hearth_storage::DomainChange::Set(p) => AppliedChangeView {
                        domain: p.domain,
                        severity: Some(p.severity),
                        reason: c.reason,
                    },
                    hearth_storage::DomainChange::Remove(domain) => AppliedChangeView {
                        domain,
                        severity: None,
                        reason: c.reason,
                    },
                })
                .collect(),
            follows_removed: r.follows_removed,
            deliveries_cancelled: r.deliveries_cancelled,
            not_modified: r.not_modified,
            entries: r.entries,
            skipped: r
                .skipped
                .into_iter()
                .map(|(domain, why)| SkippedView { domain, why })
                .collect(),
        }
    }
}
