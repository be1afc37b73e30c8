//! What software a peer instance runs (from its NodeInfo), and so which form of group
//! announces its users can see.

use serde_json::Value;
use url::Url;

use crate::vocab::inbound::str_of;
use crate::Federation;

/// Software that shows group `Announce`s of activities as threads (FEP-1b12).
const THREADED: [&str; 10] = [
    "hearth",
    "lemmy",
    "mbin",
    "kbin",
    "piefed",
    "lotide",
    "friendica",
    "nodebb",
    "discourse",
    "mobilizon",
];

/// Microblog software: it ignores `Announce` of an activity and shows a boost of the bare object.
const MICROBLOG: [&str; 17] = [
    "mastodon",
    "hometown",
    "glitch-soc",
    "misskey",
    "sharkey",
    "firefish",
    "iceshrimp",
    "calckey",
    "foundkey",
    "cherrypick",
    "catodon",
    "gotosocial",
    "pleroma",
    "akkoma",
    "takahe",
    "snac",
    "pixelfed",
];

/// `threaded`, `microblog` or unknown, for a NodeInfo `software.name`.
pub fn flavor_of(software: &str) -> Option<&'static str> {
    let name = software.to_ascii_lowercase();
    if THREADED.contains(&name.as_str()) {
        Some("threaded")
    } else if MICROBLOG.contains(&name.as_str()) {
        Some("microblog")
    } else {
        None
    }
}

impl Federation {
    /// Learns the software of `host` in the background if it is not known yet.
    pub fn learn_instance_soon(&self, host: &str, example_url: &str) {
        let (fed, host) = (self.clone(), host.to_owned());
        let Ok(base) = Url::parse(example_url) else {
            return;
        };
        tokio::spawn(async move {
            match fed.store().instance(&host).await {
                Ok(Some(instance)) if instance.software.is_some() => {}
                _ => fed.refresh_instance(&host, &base).await,
            }
        });
    }

    /// Fetches `host`'s NodeInfo and stores its software and flavor. Failures are logged.
    pub async fn refresh_instance(&self, host: &str, any_url_on_host: &Url) {
        let result = self.fetch_nodeinfo(any_url_on_host).await;
        let (software, version) = match &result {
            Ok(doc) => {
                let software = doc.get("software");
                (
                    software.and_then(|s| str_of(s, "name")).map(str::to_owned),
                    software
                        .and_then(|s| str_of(s, "version"))
                        .map(str::to_owned),
                )
            }
            Err(err) => {
                tracing::info!(host, error = %err, "no NodeInfo");
                (None, None)
            }
        };
        let flavor = software.as_deref().and_then(flavor_of);
        if let Err(err) = self
            .store()
            .set_instance_software(host, software.as_deref(), version.as_deref(), flavor)
            .await
        {
            tracing::warn!(host, error = %err, "cannot store instance software");
        }
    }

    async fn fetch_nodeinfo(&self, on_host: &Url) -> Result<Value, String> {
        let mut well_known = on_host.clone();
        well_known.set_path("/.well-known/nodeinfo");
        well_known.set_query(None);
        well_known.set_fragment(None);
        let links: Value = self.get_json(&well_known).await?;
        let href = links
            .get("links")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|l| {
                str_of(l, "rel")
                    .is_some_and(|r| r.contains("nodeinfo.diaspora.software/ns/schema/2"))
            })
            .filter_map(|l| str_of(l, "href"))
            .max()
            .ok_or("no NodeInfo 2.x link")?;
        let url = Url::parse(href).map_err(|e| e.to_string())?;
        if crate::urls::authority(&url) != crate::urls::authority(on_host) {
            return Err(format!("NodeInfo link {href} points at another host"));
        }
        self.get_json(&url).await
    }

    async fn get_json(&self, url: &Url) -> Result<Value, String> {
        let response = self
            .signed_get(url, "application/json")
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("{url} answered {}", response.status()));
        }
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        if bytes.len() > self.settings().max_body_bytes {
            return Err(format!("{url} is too large"));
        }
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    }
}
