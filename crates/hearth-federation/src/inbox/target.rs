//! Which local group an activity is meant for: addressed in `to`/`cc`/`audience`, mentioned
//! the Mastodon way, or (for replies) the group of the thread it answers.

use hearth_storage::Group;
use serde_json::Value;
use url::Url;

use super::Rejection;
use crate::vocab::inbound::{addressees, mention_hrefs};
use crate::Federation;

impl Federation {
    /// The local groups named in the addressing or mentions of `documents`, in order, without
    /// repeats. A local group URL whose group does not exist is a 404.
    pub(crate) async fn addressed_groups(
        &self,
        documents: &[&Value],
    ) -> Result<Vec<Group>, Rejection> {
        let mut names: Vec<String> = Vec::new();
        for doc in documents {
            for address in addressees(doc).into_iter().chain(mention_hrefs(doc)) {
                let Ok(url) = Url::parse(address) else {
                    continue;
                };
                if let Some(name) = self.urls().group_name_of(&url) {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
            }
        }
        let mut groups = Vec::with_capacity(names.len());
        for name in names {
            match self.store().group_by_name(&name).await? {
                Some(group) => groups.push(group),
                None => {
                    return Err(Rejection::not_found(format!(
                        "there is no group named {name} here"
                    )))
                }
            }
        }
        Ok(groups)
    }
}
