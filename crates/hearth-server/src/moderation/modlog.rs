//! The modlog as its readers see it. Staff read every line as it was recorded. The public
//! reads the same lines with local staff shown as "a moderator" or "an admin" (their names
//! are private), remote moderators by handle, other servers only as far as the admins publish
//! their list, and no reasons for group moderation when the instance keeps them hidden (the
//! `modlog_reasons` setting).

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use hearth_moderation::blocklists::obfuscate;
use hearth_moderation::transparency::{Visibility, VISIBILITY_SETTING};
use hearth_storage::{ModlogEntry, ModlogFilter, Store, StoreError};

/// The instance setting that holds [`Reasons`].
pub const REASONS_SETTING: &str = "modlog_reasons";

/// Lines read at a time when a whole log is exported.
const EXPORT_BATCH: i64 = 500;

/// Whether the public modlog says why moderators acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reasons {
    /// Reasons are shown to everyone.
    #[default]
    Public,
    /// Reasons are shown to the group's staff only.
    Hidden,
}

impl Reasons {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Reasons::Public => "public",
            Reasons::Hidden => "hidden",
        }
    }

    /// The instance's current setting.
    pub async fn of(store: &Store) -> Result<Reasons, StoreError> {
        Ok(store
            .setting(REASONS_SETTING)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or_default())
    }
}

impl fmt::Display for Reasons {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Reasons {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "public" => Ok(Reasons::Public),
            "hidden" => Ok(Reasons::Hidden),
            other => Err(format!("{other:?}: expected public or hidden")),
        }
    }
}

/// Who reads the modlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The group's staff, the instance admins, the command line: everything as recorded.
    Staff,
    /// Anyone.
    Public,
}

/// One modlog line as its reader may see it.
#[derive(Debug, Clone)]
pub struct LogLine {
    /// Row id.
    pub id: i64,
    /// When (ms).
    pub at: i64,
    /// The group's name, for group moderation.
    pub group: Option<String>,
    /// Who acted.
    pub actor: String,
    /// What, e.g. `post.remove`.
    pub action: String,
    /// On what: a post's or person's id, a server.
    pub target: String,
    /// The group rule cited, by id.
    pub rule_id: Option<i64>,
    /// The rule's short name, while the group still has it.
    pub rule: Option<String>,
    /// Why (blank where the reader may not know).
    pub reason: String,
    /// What else was recorded (staff only).
    pub details: String,
}

/// The lines of `entries` as `audience` may see them.
pub async fn present(
    store: &Store,
    entries: Vec<ModlogEntry>,
    audience: Audience,
) -> Result<Vec<LogLine>, StoreError> {
    let mut groups: HashMap<i64, (String, HashMap<i64, String>)> = HashMap::new();
    for id in entries.iter().filter_map(|e| e.group_id) {
        if groups.contains_key(&id) {
            continue;
        }
        let name = store.group_by_id(id).await?.map(|g| g.name);
        let rules = store.group_rules(id).await?;
        groups.insert(
            id,
            (
                name.unwrap_or_default(),
                rules.into_iter().map(|r| (r.id, r.short_name)).collect(),
            ),
        );
    }
    let public = match audience {
        Audience::Staff => None,
        Audience::Public => Some(PublicView::load(store, &entries).await?),
    };
    Ok(entries
        .into_iter()
        .map(|e| {
            let group = e.group_id.and_then(|id| groups.get(&id));
            let rule = group
                .zip(e.rule_id)
                .and_then(|((_, rules), id)| rules.get(&id));
            let mut line = LogLine {
                id: e.id,
                at: e.at,
                group: group.map(|(name, _)| name.clone()),
                rule_id: e.rule_id,
                rule: rule.cloned(),
                actor: e.actor.clone(),
                action: e.action.clone(),
                target: e.target.clone(),
                reason: e.reason.clone(),
                details: e.details.clone(),
            };
            if let Some(view) = &public {
                line.actor = view.actor(&e);
                line.target = view.target(&e);
                line.reason = view.reason(&e);
                line.details = String::new();
            }
            line
        })
        .collect())
}

/// Every line matching `filter`, newest first (for exports).
pub async fn every_entry(
    store: &Store,
    filter: &ModlogFilter,
) -> Result<Vec<ModlogEntry>, StoreError> {
    let mut all = Vec::new();
    loop {
        let (batch, total) = store
            .modlog_page(filter, all.len() as i64, EXPORT_BATCH)
            .await?;
        let last = batch.len() < EXPORT_BATCH as usize;
        all.extend(batch);
        if last || all.len() as i64 >= total {
            return Ok(all);
        }
    }
}

/// `lines` as CSV with a header row: id, time (RFC 3339), group, actor, action, target, rule
/// id, rule, reason, details.
pub fn to_csv(lines: &[LogLine]) -> String {
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "id", "time", "group", "actor", "action", "target", "rule_id", "rule", "reason", "details",
    ];
    let rows = std::iter::once(header.map(str::to_owned)).chain(lines.iter().map(|l| {
        [
            l.id.to_string(),
            hearth_federation::vocab::documents::format_time(l.at),
            l.group.clone().unwrap_or_default(),
            l.actor.clone(),
            l.action.clone(),
            l.target.clone(),
            l.rule_id.map(|id| id.to_string()).unwrap_or_default(),
            l.rule.clone().unwrap_or_default(),
            l.reason.clone(),
            l.details.clone(),
        ]
    }));
    for row in rows {
        out.write_record(&row)
            .expect("writing CSV to memory cannot fail");
    }
    let bytes = out.into_inner().expect("writing CSV to memory cannot fail");
    String::from_utf8(bytes).expect("CSV of strings is UTF-8")
}

/// What the public may learn from each line.
struct PublicView {
    reasons: Reasons,
    servers: Visibility,
    /// `@user@host` of the remote actors in the lines.
    handles: HashMap<String, String>,
}

impl PublicView {
    async fn load(store: &Store, entries: &[ModlogEntry]) -> Result<PublicView, StoreError> {
        let servers = store
            .setting(VISIBILITY_SETTING)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        let mut handles = HashMap::new();
        for e in entries.iter().filter(|e| is_remote(&e.actor)) {
            if handles.contains_key(&e.actor) {
                continue;
            }
            if let Some(actor) = store.actor_by_ap_id(&e.actor).await? {
                if let Some(user) = &actor.preferred_username {
                    handles.insert(e.actor.clone(), format!("@{user}@{}", actor.host));
                }
            }
        }
        Ok(PublicView {
            reasons: Reasons::of(store).await?,
            servers,
            handles,
        })
    }

    fn actor(&self, e: &ModlogEntry) -> String {
        if is_remote(&e.actor) {
            return self
                .handles
                .get(&e.actor)
                .cloned()
                .unwrap_or_else(|| e.actor.clone());
        }
        match e.actor.as_str() {
            "hearth" => "Hearth (automatic)".into(),
            "automod" => "automod".into(),
            actor if actor.starts_with("subscription:") => "a shared blocklist".into(),
            _ if e.group_id.is_some() => "a moderator".into(),
            _ => "an admin".into(),
        }
    }

    fn target(&self, e: &ModlogEntry) -> String {
        if e.action.starts_with("reporter.") {
            return "a reporter".into();
        }
        if !is_server_decision(e) {
            return e.target.clone();
        }
        match self.servers {
            Visibility::Hidden => "a server".into(),
            Visibility::Obfuscated => obfuscate(&e.target),
            Visibility::Public => e.target.clone(),
        }
    }

    fn reason(&self, e: &ModlogEntry) -> String {
        let shown = if is_private(e) {
            false
        } else if is_server_decision(e) {
            self.servers != Visibility::Hidden
        } else {
            self.reasons == Reasons::Public
        };
        if shown {
            e.reason.clone()
        } else {
            String::new()
        }
    }
}

/// An actor of another server, by id.
fn is_remote(actor: &str) -> bool {
    actor.starts_with("https://") || actor.starts_with("http://")
}

/// A line whose reason stays with staff: a warning is a private message, and why a reporter
/// is ignored concerns only them.
fn is_private(e: &ModlogEntry) -> bool {
    e.action == "member.warn" || e.action.starts_with("reporter.")
}

/// A decision about another server, published only as far as the instance's list is.
fn is_server_decision(e: &ModlogEntry) -> bool {
    e.action.starts_with("domain.")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(actor: &str, action: &str, target: &str, group_id: Option<i64>) -> ModlogEntry {
        ModlogEntry {
            id: 1,
            at: 0,
            actor: actor.into(),
            action: action.into(),
            target: target.into(),
            reason: "spam".into(),
            details: "until later".into(),
            group_id,
            rule_id: None,
        }
    }

    fn view(reasons: Reasons, servers: Visibility) -> PublicView {
        let handles = [(
            "https://lemmy.example/u/mod".to_owned(),
            "@mod@lemmy.example".to_owned(),
        )];
        PublicView {
            reasons,
            servers,
            handles: handles.into_iter().collect(),
        }
    }

    #[test]
    fn warnings_and_ignored_reporters_keep_their_reasons_private() {
        let v = view(Reasons::Public, Visibility::Public);
        let warn = entry("staff:ada", "member.warn", "https://a.example/u/x", Some(1));
        assert_eq!(v.reason(&warn), "");
        assert_eq!(v.target(&warn), "https://a.example/u/x");
        let ignore = entry("cli:root", "reporter.ignore", "https://a.example/u/x", None);
        assert_eq!(v.reason(&ignore), "");
        assert_eq!(v.target(&ignore), "a reporter");
        let ban = entry("staff:ada", "member.ban", "https://a.example/u/x", Some(1));
        assert_eq!(v.reason(&ban), "spam");
    }

    #[test]
    fn local_staff_are_not_named_and_remote_moderators_are() {
        let v = view(Reasons::Public, Visibility::Public);
        let group = Some(1);
        assert_eq!(
            v.actor(&entry("staff:ada", "post.remove", "x", group)),
            "a moderator"
        );
        assert_eq!(
            v.actor(&entry("cli:root", "member.ban", "x", group)),
            "a moderator"
        );
        assert_eq!(
            v.actor(&entry("cli:root", "domain.suspend", "x", None)),
            "an admin"
        );
        let remote = entry("https://lemmy.example/u/mod", "post.remove", "x", group);
        assert_eq!(v.actor(&remote), "@mod@lemmy.example");
        let unknown = entry("https://other.example/u/b", "post.remove", "x", group);
        assert_eq!(v.actor(&unknown), "https://other.example/u/b");
        let list = entry(
            "subscription:https://lists.example/x",
            "domain.suspend",
            "x",
            None,
        );
        assert_eq!(v.actor(&list), "a shared blocklist");
    }

    #[test]
    fn reasons_and_servers_are_shown_as_far_as_published() {
        let remove = entry("staff:ada", "post.remove", "https://m.example/1", Some(1));
        let block = entry("staff:ada", "domain.suspend", "spam.example", None);
        let open = view(Reasons::Public, Visibility::Public);
        assert_eq!(open.reason(&remove), "spam");
        assert_eq!(open.target(&block), "spam.example");
        let closed = view(Reasons::Hidden, Visibility::Hidden);
        assert_eq!(closed.reason(&remove), "");
        assert_eq!(closed.target(&remove), "https://m.example/1");
        assert_eq!(closed.target(&block), "a server");
        assert_eq!(closed.reason(&block), "");
        let masked = view(Reasons::Hidden, Visibility::Obfuscated);
        assert!(masked.target(&block).contains('*'));
        assert_eq!(masked.reason(&block), "spam");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let line = LogLine {
            id: 7,
            at: 0,
            group: Some("climbing".into()),
            actor: "a moderator".into(),
            action: "post.remove".into(),
            target: "https://m.example/1".into(),
            rule_id: Some(3),
            rule: Some("Be kind".into()),
            reason: "rude, \"very\"".into(),
            details: String::new(),
        };
        let csv = to_csv(&[line]);
        let mut rows = csv.lines();
        assert_eq!(
            rows.next(),
            Some("id,time,group,actor,action,target,rule_id,rule,reason,details")
        );
        assert_eq!(
            rows.next(),
            Some("7,1970-01-01T00:00:00Z,climbing,a moderator,post.remove,https://m.example/1,3,Be kind,\"rude, \"\"very\"\"\",")
        );
    }
}
