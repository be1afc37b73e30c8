//! WebFinger, host-meta and NodeInfo documents.

use hearth_moderation::transparency::PublishedRule;
use hearth_storage::InstanceStats;
use serde_json::{json, Value};
use url::Url;

use super::ACTIVITY_JSON;
use crate::urls::Urls;

/// The WebFinger answer for a group: a self link typed as a Group, and its profile page.
pub fn webfinger_group(urls: &Urls, name: &str) -> Value {
    let id = urls.group(name);
    json!({
        "subject": format!("acct:{name}@{}", urls.authority()),
        "aliases": [id],
        "links": [
            {
                "rel": "self",
                "type": ACTIVITY_JSON,
                "href": id,
                "properties": {"https://www.w3.org/ns/activitystreams#type": "Group"}
            },
            {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": id}
        ]
    })
}

/// The WebFinger answer for the instance actor.
pub fn webfinger_instance(urls: &Urls) -> Value {
    let id = urls.instance_actor();
    json!({
        "subject": format!("acct:{0}@{0}", urls.authority()),
        "aliases": [id],
        "links": [
            {
                "rel": "self",
                "type": ACTIVITY_JSON,
                "href": id,
                "properties": {"https://www.w3.org/ns/activitystreams#type": "Application"}
            }
        ]
    })
}

/// host-meta (XRD), pointing at WebFinger.
pub fn host_meta_xml(urls: &Urls) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}.well-known/webfinger?resource={{uri}}\"/>\n</XRD>\n",
        urls.base()
    )
}

/// host-meta as JSON (JRD).
pub fn host_meta_json(urls: &Urls) -> Value {
    json!({"links": [{"rel": "lrdd", "template": format!("{}.well-known/webfinger?resource={{uri}}", urls.base())}]})
}

/// `/.well-known/nodeinfo`: links to the 2.0 and 2.1 documents.
pub fn nodeinfo_links(urls: &Urls) -> Value {
    let link = |version: &str| {
        let mut href: Url = urls.base().clone();
        href.set_path(&format!("/nodeinfo/{version}"));
        json!({"rel": format!("http://nodeinfo.diaspora.software/ns/schema/{version}"), "href": href})
    };
    json!({"links": [link("2.0"), link("2.1")]})
}

/// A NodeInfo document (`version` is "2.0" or "2.1") with real usage numbers. When the admins
/// publish their domain rules, `metadata.federation` lists them in the shape Pleroma and Akkoma
/// use (`mrf_simple` and `mrf_simple_info`), which fediverse observatories read.
pub fn nodeinfo(
    version: &str,
    node_name: &str,
    stats: &InstanceStats,
    federation: Option<(&str, &[PublishedRule])>,
) -> Value {
    let mut software = json!({"name": "hearth", "version": env!("CARGO_PKG_VERSION")});
    if version == "2.1" {
        software["repository"] = json!(env!("CARGO_PKG_REPOSITORY"));
        software["homepage"] = json!(env!("CARGO_PKG_REPOSITORY"));
    }
    let mut doc = json!({
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": false,
        "usage": {
            "users": {
                "total": stats.groups,
                "activeMonth": stats.active_month,
                "activeHalfyear": stats.active_halfyear
            },
            "localPosts": stats.threads,
            "localComments": stats.replies
        },
        "metadata": {
            "nodeName": node_name,
            "groups": stats.groups,
            "members": stats.members,
            "usersAre": "local group actors; members are remote accounts"
        }
    });
    if let Some((mode, rules)) = federation {
        doc["metadata"]["federation"] = federation_metadata(mode, rules);
    }
    doc
}

fn federation_metadata(mode: &str, rules: &[PublishedRule]) -> Value {
    let domains = |pick: &dyn Fn(&PublishedRule) -> bool| -> Vec<&str> {
        rules
            .iter()
            .filter(|r| pick(r))
            .map(|r| r.domain.as_str())
            .collect()
    };
    let reasons = |pick: &dyn Fn(&PublishedRule) -> bool| -> Value {
        let map: serde_json::Map<String, Value> = rules
            .iter()
            .filter(|r| pick(r) && !r.reason.is_empty())
            .map(|r| (r.domain.clone(), json!({"reason": r.reason})))
            .collect();
        Value::Object(map)
    };
    let suspended = |r: &PublishedRule| r.severity == "suspend";
    let silenced = |r: &PublishedRule| r.severity == "silence";
    let media = |r: &PublishedRule| r.reject_media;
    let reports = |r: &PublishedRule| r.reject_reports;
    json!({
        "mode": mode,
        "mrf_policies": ["SimplePolicy"],
        "mrf_simple": {
            "reject": domains(&suspended),
            "federated_timeline_removal": domains(&silenced),
            "media_removal": domains(&media),
            "report_removal": domains(&reports),
        },
        "mrf_simple_info": {
            "reject": reasons(&suspended),
            "federated_timeline_removal": reasons(&silenced),
            "media_removal": reasons(&media),
            "report_removal": reasons(&reports),
        },
    })
}
