//! Every URL Hearth mints for its own actors, collections, activities and pages.

use url::Url;

/// Builds local URLs from the public base.
#[derive(Debug, Clone)]
pub struct Urls {
    base: Url,
}

impl Urls {
    /// URLs under `base` (its path is ignored).
    pub fn new(base: &Url) -> Self {
        let mut base = base.clone();
        base.set_path("");
        base.set_query(None);
        base.set_fragment(None);
        Urls { base }
    }

    fn join(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        url.set_path(path);
        url
    }

    /// `host` or `host:port`, as used in WebFinger handles and ids.
    pub fn authority(&self) -> String {
        authority(&self.base)
    }

    /// The base URL.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// Whether `url` points at this instance.
    pub fn is_local(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme() && authority(url) == self.authority()
    }

    /// The group actor id.
    pub fn group(&self, name: &str) -> Url {
        self.join(&format!("/groups/{name}"))
    }

    /// The group's inbox.
    pub fn group_inbox(&self, name: &str) -> Url {
        self.join(&format!("/groups/{name}/inbox"))
    }

    /// The group's outbox.
    pub fn group_outbox(&self, name: &str) -> Url {
        self.join(&format!("/groups/{name}/outbox"))
    }

    /// The group's followers collection.
    pub fn group_followers(&self, name: &str) -> Url {
        self.join(&format!("/groups/{name}/followers"))
    }

    /// The group's featured (pinned) collection.
    pub fn group_featured(&self, name: &str) -> Url {
        self.join(&format!("/groups/{name}/featured"))
    }

    /// The group's moderators collection (its `attributedTo`).
    pub fn group_moderators(&self, name: &str) -> Url {
        self.join(&format!("/groups/{name}/moderators"))
    }

    /// The group's key id.
    pub fn group_key(&self, name: &str) -> String {
        format!("{}#main-key", self.group(name))
    }

    /// A thread's HTML page.
    pub fn thread_page(&self, name: &str, post_id: i64) -> Url {
        self.join(&format!("/groups/{name}/threads/{post_id}"))
    }

    /// The shared inbox.
    pub fn shared_inbox(&self) -> Url {
        self.join("/inbox")
    }

    /// The instance actor (signs fetches).
    pub fn instance_actor(&self) -> Url {
        self.join("/actor")
    }

    /// The instance actor's key id.
    pub fn instance_key(&self) -> String {
        format!("{}#main-key", self.instance_actor())
    }

    /// A fresh id for an outbound activity.
    pub fn new_activity(&self) -> Url {
        self.join(&format!("/activities/{}", uuid::Uuid::new_v4()))
    }

    /// The group name in a local group actor id, if `url` is one.
    pub fn group_name_of(&self, url: &Url) -> Option<String> {
        if !self.is_local(url) {
            return None;
        }
        let mut segments = url.path_segments()?;
        match (segments.next(), segments.next(), segments.next()) {
            (Some("groups"), Some(name), None) if !name.is_empty() => Some(name.to_owned()),
            _ => None,
        }
    }
}

/// `host` or `host:port` of a URL, the port only when it is not the scheme's default.
pub fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_names_round_trip() {
        let urls = Urls::new(&Url::parse("http://127.0.0.1:8080/").unwrap());
        let id = urls.group("climbing");
        assert_eq!(id.as_str(), "http://127.0.0.1:8080/groups/climbing");
        assert_eq!(urls.group_name_of(&id).as_deref(), Some("climbing"));
        assert_eq!(urls.group_name_of(&urls.group_inbox("climbing")), None);
        let foreign = Url::parse("http://127.0.0.1:9090/groups/climbing").unwrap();
        assert_eq!(urls.group_name_of(&foreign), None);
        assert_eq!(urls.authority(), "127.0.0.1:8080");
    }
}
