//! A stand-in "other fediverse server" for Hearth's black-box federation tests.
//!
//! A [`Peer`] is a small ActivityPub server listening on a loopback address.
//! It hosts Person actors (and any actor documents the test supplies, shaped
//! like Mastodon's, Lemmy's, GoToSocial's …), each with its own RSA key. It
//! signs what it sends with draft-cavage HTTP Signatures, the way Mastodon
//! does, and it checks the signatures and digests of everything POSTed to its
//! inboxes, recording the outcome for the test to assert on.
//!
//! The signature code here is written independently of Hearth's, so that
//! Hearth's implementation is checked against a second one rather than
//! against itself.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use hearth_test_peer::{Peer, PeerConfig};
//! use std::time::Duration;
//!
//! let peer = Peer::start(PeerConfig::default()).await?;
//! let alice = peer.add_person("alice").await?;
//! let follow = serde_json::json!({
//!     "@context": "https://www.w3.org/ns/activitystreams",
//!     "id": peer.new_id("follow").as_str(),
//!     "type": "Follow",
//!     "actor": alice.as_str(),
//!     "object": "http://127.0.0.1:8080/groups/cooking",
//! });
//! let inbox = url::Url::parse("http://127.0.0.1:8080/groups/cooking/inbox")?;
//! let delivery = peer.deliver(&alice, &inbox, &follow).await?;
//! assert!(delivery.status < 300);
//! peer.wait_for(Duration::from_secs(10), |got| {
//!     got.iter().any(|r| r.activity["type"] == "Accept")
//! })
//! .await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod keys;
mod server;
mod sig;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context as _};
use reqwest::header::HeaderMap;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use tokio::sync::oneshot;
use url::Url;

/// The placeholder origin that fixture documents are written with.
pub const FIXTURE_ORIGIN: &str = "https://remote.example";

/// The placeholder host (the authority of [`FIXTURE_ORIGIN`]).
pub const FIXTURE_HOST: &str = "remote.example";

/// The placeholder for the public key PEM in fixture actor documents.
pub const FIXTURE_PUBLIC_KEY: &str = "PEER_PUBLIC_KEY_PEM";

/// The media type of ActivityPub documents the peer serves and sends.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// How a [`Peer`] presents itself.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// The loopback address to listen on (port 0: the system picks one).
    /// Tests use 127.0.0.2, 127.0.0.3 … to get peers with distinct hosts.
    pub ip: IpAddr,
    /// `software.name` in the peer's NodeInfo.
    pub software: String,
    /// `software.version` in the peer's NodeInfo.
    pub version: String,
    /// Like Mastodon's secure mode: unsigned (or badly signed) GETs of actors
    /// and objects are answered 401. WebFinger, NodeInfo, the instance actor
    /// and stand-alone key documents stay open.
    pub require_signed_fetch: bool,
}

impl Default for PeerConfig {
    fn default() -> Self {
        PeerConfig {
            ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            software: "mastodon".to_string(),
            version: "4.3.0".to_string(),
            require_signed_fetch: false,
        }
    }
}

/// The outcome of one POST the peer made.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The HTTP status of the answer.
    pub status: u16,
    /// The body of the answer, as text.
    pub body: String,
}

/// One POST that arrived at one of the peer's inboxes, with the result of
/// checking it. Nothing is rejected for a bad signature: it is recorded here.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path it was POSTed to, e.g. `/inbox` or `/users/alice/inbox`.
    pub inbox_path: String,
    /// The body parsed as JSON (`Value::Null` when it was not JSON).
    pub activity: Value,
    /// The raw body, as text.
    pub body: String,
    /// Whether the HTTP signature verified: the key was fetched by `keyId`,
    /// the signature matches, the signed headers include `(request-target)`,
    /// `host`, `date` and `digest`, and the `Date` is within an hour of now.
    pub signature_ok: bool,
    /// Why the signature was not accepted, when it was not.
    pub signature_error: Option<String>,
    /// The `keyId` of the signature, when there was one.
    pub key_id: Option<String>,
    /// Whether a `Digest: SHA-256=…` (or `Content-Digest: sha-256=:…:`)
    /// header was present and matched the body.
    pub digest_ok: bool,
    /// All request headers (lower-case names), in arrival order.
    pub headers: Vec<(String, String)>,
    /// When it arrived.
    pub at: SystemTime,
}

impl Received {
    /// The value of the first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// The activity's `type`, or `""`.
    pub fn activity_type(&self) -> &str {
        self.activity["type"].as_str().unwrap_or("")
    }
}

/// One request the peer's server answered (or is answering).
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The HTTP method, e.g. `GET`.
    pub method: String,
    /// Path and query, e.g. `/.well-known/webfinger?resource=acct:alice@127.0.0.1:4000`.
    pub path: String,
    /// All request headers (lower-case names), in arrival order.
    pub headers: Vec<(String, String)>,
    /// When it arrived.
    pub at: SystemTime,
    /// The status the peer answered with; `None` while still in progress.
    pub status: Option<u16>,
}

impl RequestRecord {
    /// The value of the first header with this (case-insensitive) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// Whether the request carried an HTTP signature.
    pub fn is_signed(&self) -> bool {
        self.header("signature").is_some()
            || self
                .header("authorization")
                .is_some_and(|a| a.starts_with("Signature "))
    }
}

fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// What to do with the `Digest` header of a POST.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DigestMode {
    /// `Digest: SHA-256=` of the body.
    #[default]
    Correct,
    /// A well-formed `Digest` of different bytes (still signed).
    Wrong,
    /// No `Digest` header (and `digest` left out of the signed headers).
    Missing,
}

/// How [`Peer::deliver_with`] signs a POST; the default is what Mastodon does.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// Whether to add a `Signature` header at all.
    pub sign: bool,
    /// The `Digest` header.
    pub digest: DigestMode,
    /// Send (and sign) this `Date` instead of now, e.g. two hours ago.
    pub date: Option<SystemTime>,
    /// Sign with this other actor's private key while still naming the
    /// sending actor's `keyId`: a forged signature that must not verify.
    /// (To be signed validly by an actor other than the activity's `actor`,
    /// just pass that actor to `deliver`.)
    pub key_of: Option<Url>,
    /// Put this `keyId` in the signature instead of the actor's own.
    pub key_id: Option<String>,
    /// `Content-Type` instead of `application/activity+json`.
    pub content_type: Option<String>,
    /// Sign exactly these headers (lower-case, pseudo-headers like
    /// `(request-target)` included) instead of
    /// `(request-target) host date digest content-type`. A listed header that
    /// is not sent is signed as an empty value.
    pub signed_headers: Option<Vec<String>>,
    /// Extra headers to send (and sign, if listed in `signed_headers`).
    pub extra_headers: Vec<(String, String)>,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            sign: true,
            digest: DigestMode::Correct,
            date: None,
            key_of: None,
            key_id: None,
            content_type: None,
            signed_headers: None,
            extra_headers: Vec::new(),
        }
    }
}

/// An actor the peer can sign for.
#[derive(Clone)]
pub(crate) struct SigningActor {
    pub key_id: String,
    pub key: Arc<RsaPrivateKey>,
    pub public_pem: String,
}

/// What the peer answers at a path.
#[derive(Clone)]
pub(crate) enum Served {
    /// A JSON document; `open` ones are served even when signed fetch is
    /// required.
    Doc { value: Value, open: bool },
    /// 410 Gone.
    Gone,
}

pub(crate) struct State {
    /// Actor id → signing key.
    pub signers: HashMap<String, SigningActor>,
    /// Path → document.
    pub docs: HashMap<String, Served>,
    /// Paths that accept POSTed activities.
    pub inbox_paths: HashSet<String>,
    /// Lower-cased username → actor id, for WebFinger.
    pub webfinger: HashMap<String, String>,
    pub received: Vec<Received>,
    pub requests: Vec<RequestRecord>,
    pub inbox_status: u16,
    pub inbox_delay: Duration,
    /// keyId → public key fetched from the other side.
    pub key_cache: HashMap<String, RsaPublicKey>,
    /// Number of Person-like actors, for NodeInfo.
    pub users: usize,
}

pub(crate) struct Shared {
    pub config: PeerConfig,
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub origin: String,
    pub base: Url,
    pub host: String,
    pub client: reqwest::Client,
    pub instance_actor: String,
    pub state: Mutex<State>,
}

impl Shared {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn signer(&self, actor: &Url) -> anyhow::Result<SigningActor> {
        self.lock()
            .signers
            .get(actor.as_str())
            .cloned()
            .ok_or_else(|| anyhow!("{actor} is not an actor of the peer at {}", self.origin))
    }

    /// A signed GET with `Accept: application/activity+json`.
    pub(crate) async fn signed_get(
        &self,
        signer: &SigningActor,
        url: &Url,
    ) -> anyhow::Result<(u16, HeaderMap, String)> {
        let date = httpdate::fmt_http_date(SystemTime::now());
        let host = sig::host_header(url);
        let headers = vec![
            ("host".to_string(), host),
            ("date".to_string(), date),
            ("accept".to_string(), ACTIVITY_JSON.to_string()),
        ];
        let names: Vec<String> = ["(request-target)", "host", "date", "accept"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let target = sig::request_target("get", url);
        let signing_string = sig::signing_string(
            &names,
            &target,
            None,
            None,
            |n| header_in(&headers, n).map(str::to_string),
            false,
        )
        .map_err(|e| anyhow!(e))?;
        let signature = sig::sign(&signer.key, &signing_string);
        let mut request = self.client.get(url.clone());
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        request = request.header(
            "signature",
            signature_header(&signer.key_id, &names, &signature),
        );
        let response = request.send().await.with_context(|| format!("GET {url}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        Ok((status, headers, body))
    }

    fn register_doc(&self, state: &mut State, path: String, value: Value, open: bool) {
        state.docs.insert(path, Served::Doc { value, open });
    }

    /// Registers an actor document: serves it, its inboxes, WebFinger.
    fn register_actor(
        &self,
        state: &mut State,
        id: &Url,
        doc: Value,
        signer: SigningActor,
        open: bool,
    ) {
        for inbox in [&doc["inbox"], &doc["endpoints"]["sharedInbox"]] {
            if let Some(url) = inbox.as_str().and_then(|s| Url::parse(s).ok()) {
                if url.origin() == self.base.origin() {
                    state.inbox_paths.insert(url.path().to_string());
                }
            }
        }
        if let Some(name) = doc["preferredUsername"].as_str() {
            state
                .webfinger
                .entry(name.to_lowercase())
                .or_insert_with(|| id.to_string());
        }
        if matches!(doc["type"].as_str(), Some("Person")) {
            state.users += 1;
        }
        self.register_doc(state, id.path().to_string(), doc, open);
        state.signers.insert(id.to_string(), signer);
    }
}

fn signature_header(key_id: &str, names: &[String], signature: &str) -> String {
    format!(
        "keyId=\"{key_id}\",algorithm=\"rsa-sha256\",headers=\"{}\",signature=\"{signature}\"",
        names.join(" ")
    )
}

struct Inner {
    shared: Arc<Shared>,
    shutdown: Mutex<Option<oneshot::Sender<()>>>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(tx) = self
            .shutdown
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            let _ = tx.send(());
        }
    }
}

/// A running fake fediverse server. Clones share the same server; it stops
/// when the last clone is dropped or [`Peer::stop`] is called.
#[derive(Clone)]
pub struct Peer {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer")
            .field("origin", &self.inner.shared.origin)
            .field("software", &self.inner.shared.config.software)
            .finish()
    }
}

impl Peer {
    /// Binds `config.ip` on a free port and starts serving on a tokio task.
    /// Also creates the instance actor `/actor` (type `Application`), whose
    /// key signs the peer's own key fetches.
    pub async fn start(config: PeerConfig) -> anyhow::Result<Peer> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(config.ip, 0))
            .await
            .with_context(|| format!("binding {}:0", config.ip))?;
        let addr = listener.local_addr()?;
        let origin = format!("http://{addr}");
        let base = Url::parse(&origin)?;
        let host = sig::host_header(&base);
        let client = reqwest::Client::builder()
            .no_proxy()
            .user_agent(format!(
                "hearth-test-peer/{} ({}; +{origin}/)",
                env!("CARGO_PKG_VERSION"),
                config.software
            ))
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?;
        let instance_actor = format!("{origin}/actor");
        let shared = Arc::new(Shared {
            config,
            origin: origin.clone(),
            base,
            host,
            client,
            instance_actor: instance_actor.clone(),
            state: Mutex::new(State {
                signers: HashMap::new(),
                docs: HashMap::new(),
                inbox_paths: HashSet::from(["/inbox".to_string()]),
                webfinger: HashMap::new(),
                received: Vec::new(),
                requests: Vec::new(),
                inbox_status: 202,
                inbox_delay: Duration::ZERO,
                key_cache: HashMap::new(),
                users: 0,
            }),
        });

        let key = tokio::task::spawn_blocking(keys::take_key).await?;
        let public_pem = sig::public_pem(&key);
        let doc = json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": instance_actor,
            "type": "Application",
            "preferredUsername": "peer.internal",
            "inbox": format!("{instance_actor}/inbox"),
            "outbox": format!("{instance_actor}/outbox"),
            "url": format!("{origin}/about/more?instance_actor=true"),
            "manuallyApprovesFollowers": true,
            "publicKey": {
                "id": format!("{instance_actor}#main-key"),
                "owner": instance_actor,
                "publicKeyPem": public_pem,
            },
            "endpoints": { "sharedInbox": format!("{origin}/inbox") },
        });
        {
            let id = Url::parse(&instance_actor)?;
            let signer = SigningActor {
                key_id: format!("{instance_actor}#main-key"),
                key: Arc::new(key),
                public_pem,
            };
            let mut state = shared.lock();
            shared.register_actor(&mut state, &id, doc, signer, true);
        }

        let (tx, rx) = oneshot::channel::<()>();
        let app = axum::Router::new()
            .fallback(server::handle)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Peer {
            inner: Arc::new(Inner {
                shared,
                shutdown: Mutex::new(Some(tx)),
                task: Mutex::new(Some(task)),
            }),
        })
    }

    fn shared(&self) -> &Shared {
        &self.inner.shared
    }

    /// Stops accepting connections and waits (up to 5 s) for open ones to
    /// finish. Affects all clones.
    pub async fn stop(&self) {
        if let Some(tx) = self.inner.shutdown.lock().unwrap().take() {
            let _ = tx.send(());
        }
        let task = self.inner.task.lock().unwrap().take();
        if let Some(mut task) = task {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }

    /// `http://IP:PORT/`.
    pub fn base_url(&self) -> Url {
        self.shared().base.clone()
    }

    /// `http://IP:PORT`, without the trailing slash: what replaces
    /// [`FIXTURE_ORIGIN`] in fixtures.
    pub fn origin(&self) -> &str {
        &self.shared().origin
    }

    /// `IP:PORT`, the host part of the peer's actors' `acct:` addresses.
    pub fn host(&self) -> String {
        self.shared().host.clone()
    }

    /// `user@IP:PORT`.
    pub fn acct(&self, username: &str) -> String {
        format!("{username}@{}", self.shared().host)
    }

    /// The configuration the peer was started with.
    pub fn config(&self) -> &PeerConfig {
        &self.shared().config
    }

    /// The instance actor, `http://IP:PORT/actor`.
    pub fn instance_actor(&self) -> Url {
        Url::parse(&self.shared().instance_actor).expect("instance actor id is a URL")
    }

    /// Creates a Mastodon-shaped Person `/users/{username}` with a fresh key
    /// (`keyId` `{id}#main-key`), inbox `/users/{username}/inbox`, shared
    /// inbox `/inbox`, and empty followers, following and outbox collections.
    /// Returns its id.
    pub async fn add_person(&self, username: &str) -> anyhow::Result<Url> {
        self.add_person_keyed(username, None).await
    }

    /// Like [`Peer::add_person`], but the new person signs with the private
    /// key of `key_of`, an existing actor of this peer (its instance actor,
    /// say), instead of a fresh one. Still with its own `keyId`
    /// (`{id}#main-key`). For load tests that need thousands of actors, where
    /// making an RSA key each would take minutes.
    pub async fn add_person_sharing_key(
        &self,
        username: &str,
        key_of: &Url,
    ) -> anyhow::Result<Url> {
        let signer = self.shared().signer(key_of)?;
        self.add_person_keyed(username, Some((signer.key, signer.public_pem)))
            .await
    }

    /// [`Peer::add_person`] with this key (and its public PEM), or a fresh one.
    async fn add_person_keyed(
        &self,
        username: &str,
        key: Option<(Arc<RsaPrivateKey>, String)>,
    ) -> anyhow::Result<Url> {
        let shared = self.shared();
        let origin = &shared.origin;
        let id = Url::parse(&format!("{origin}/users/{username}"))
            .with_context(|| format!("bad username {username:?}"))?;
        if shared.lock().signers.contains_key(id.as_str()) {
            bail!("{id} already exists");
        }
        let (key, public_pem) = match key {
            Some(given) => given,
            None => {
                let key = tokio::task::spawn_blocking(keys::take_key).await?;
                let public_pem = sig::public_pem(&key);
                (Arc::new(key), public_pem)
            }
        };
        let key_id = format!("{id}#main-key");
        let doc = json!({
            "@context": [
                "https://www.w3.org/ns/activitystreams",
                "https://w3id.org/security/v1",
                {
                    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
                    "toot": "http://joinmastodon.org/ns#",
                    "featured": { "@id": "toot:featured", "@type": "@id" },
                    "discoverable": "toot:discoverable",
                    "indexable": "toot:indexable",
                    "Hashtag": "as:Hashtag",
                    "sensitive": "as:sensitive",
                }
            ],
            "id": id.as_str(),
            "type": "Person",
            "following": format!("{id}/following"),
            "followers": format!("{id}/followers"),
            "inbox": format!("{id}/inbox"),
            "outbox": format!("{id}/outbox"),
            "preferredUsername": username,
            "name": username,
            "summary": "",
            "url": format!("{origin}/@{username}"),
            "manuallyApprovesFollowers": false,
            "discoverable": true,
            "indexable": false,
            "published": rfc3339(SystemTime::now()),
            "publicKey": {
                "id": key_id,
                "owner": id.as_str(),
                "publicKeyPem": public_pem,
            },
            "tag": [],
            "attachment": [],
            "endpoints": { "sharedInbox": format!("{origin}/inbox") },
        });
        let signer = SigningActor {
            key_id,
            key,
            public_pem,
        };
        let mut state = shared.lock();
        if state.signers.contains_key(id.as_str()) {
            bail!("{id} already exists");
        }
        for (suffix, kind) in [
            ("followers", "OrderedCollection"),
            ("following", "OrderedCollection"),
            ("outbox", "OrderedCollection"),
        ] {
            let coll = format!("{id}/{suffix}");
            let value = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": coll,
                "type": kind,
                "totalItems": 0,
                "orderedItems": [],
            });
            shared.register_doc(&mut state, format!("{}/{suffix}", id.path()), value, false);
        }
        shared.register_actor(&mut state, &id, doc, signer, false);
        Ok(id)
    }

    /// Serves an actor document written as a real server serves it, with the
    /// placeholders [`FIXTURE_ORIGIN`] (`https://remote.example`) and
    /// [`FIXTURE_PUBLIC_KEY`] (`PEER_PUBLIC_KEY_PEM`).
    ///
    /// A fresh key is made; the origin placeholder (and the bare
    /// [`FIXTURE_HOST`], as in `@bob@remote.example`) is replaced everywhere
    /// with the peer's, the key placeholder with the public key PEM. The
    /// result is served at the path of its `id`, and also at the path of
    /// `publicKey.id` when that has no `#fragment` (GoToSocial's
    /// `…/main-key`, served even when signed fetch is required). The peer
    /// then signs for the actor with `keyId` = `publicKey.id`. Returns the id.
    pub async fn add_actor_document(&self, template: Value) -> anyhow::Result<Url> {
        let shared = self.shared();
        let mut doc = self.substitute_origin(&template);
        let id_str = doc["id"]
            .as_str()
            .ok_or_else(|| anyhow!("actor template has no string \"id\""))?;
        let id = Url::parse(id_str).with_context(|| format!("actor id {id_str:?}"))?;
        if id.origin() != shared.base.origin() {
            bail!("actor id {id} is not under {FIXTURE_ORIGIN}");
        }
        let public_key = match &doc["publicKey"] {
            Value::Object(_) => &doc["publicKey"],
            Value::Array(keys) if !keys.is_empty() => &keys[0],
            _ => bail!("actor template {id} has no publicKey object"),
        };
        let key_id = public_key["id"]
            .as_str()
            .ok_or_else(|| anyhow!("publicKey of {id} has no id"))?
            .to_string();
        if public_key["publicKeyPem"].as_str() != Some(FIXTURE_PUBLIC_KEY) {
            bail!("publicKey.publicKeyPem of {id} must be the placeholder {FIXTURE_PUBLIC_KEY:?}");
        }
        let key_url = Url::parse(&key_id).with_context(|| format!("publicKey.id {key_id:?}"))?;
        // A fixture of a server's instance actor (Mastodon's `/actor`) replaces the peer's own.
        let replaces_instance = id.as_str() == shared.instance_actor;
        if !replaces_instance && shared.lock().signers.contains_key(id.as_str()) {
            bail!("{id} already exists");
        }

        let key = tokio::task::spawn_blocking(keys::take_key).await?;
        let public_pem = sig::public_pem(&key);
        replace_in_strings(&mut doc, FIXTURE_PUBLIC_KEY, &public_pem);
        let signer = SigningActor {
            key_id,
            key: Arc::new(key),
            public_pem,
        };
        let mut state = shared.lock();
        if !replaces_instance && state.signers.contains_key(id.as_str()) {
            bail!("{id} already exists");
        }
        if key_url.fragment().is_none()
            && key_url.origin() == shared.base.origin()
            && key_url.path() != id.path()
        {
            shared.register_doc(&mut state, key_url.path().to_string(), doc.clone(), true);
        }
        shared.register_actor(&mut state, &id, doc, signer, replaces_instance);
        Ok(id)
    }

    /// Gives `actor` a fresh key pair, as a server rotating keys would: the actor document
    /// now publishes the new public key and everything the actor sends is signed with it.
    pub async fn rotate_key(&self, actor: &Url) -> anyhow::Result<()> {
        let key = tokio::task::spawn_blocking(keys::take_key).await?;
        let public_pem = sig::public_pem(&key);
        let shared = self.shared();
        let mut state = shared.lock();
        let signer = state
            .signers
            .get_mut(actor.as_str())
            .ok_or_else(|| anyhow!("{actor} is not an actor of this peer"))?;
        signer.key = Arc::new(key);
        signer.public_pem = public_pem.clone();
        for served in state.docs.values_mut() {
            if let Served::Doc { value, .. } = served {
                if value["id"] == actor.as_str() {
                    match &mut value["publicKey"] {
                        Value::Array(keys) => {
                            for k in keys {
                                k["publicKeyPem"] = Value::String(public_pem.clone());
                            }
                        }
                        key => key["publicKeyPem"] = Value::String(public_pem.clone()),
                    }
                }
            }
        }
        Ok(())
    }

    /// Replaces [`FIXTURE_ORIGIN`] with this peer's origin (and the bare
    /// [`FIXTURE_HOST`] with its host) in every string and object key of
    /// `value`, for activity and object fixtures.
    pub fn substitute_origin(&self, value: &Value) -> Value {
        let mut out = value.clone();
        replace_in_strings(&mut out, FIXTURE_ORIGIN, &self.shared().origin);
        replace_in_strings(&mut out, FIXTURE_HOST, &self.shared().host);
        out
    }

    /// `http://IP:PORT/inbox`.
    pub fn shared_inbox(&self) -> Url {
        Url::parse(&format!("{}/inbox", self.shared().origin)).expect("valid URL")
    }

    /// The `inbox` of one of the peer's actors.
    pub fn inbox(&self, actor: &Url) -> Option<Url> {
        self.actor_document(actor)?["inbox"]
            .as_str()
            .and_then(|s| Url::parse(s).ok())
    }

    /// The document served for one of the peer's actors.
    pub fn actor_document(&self, actor: &Url) -> Option<Value> {
        match self.shared().lock().docs.get(actor.path()) {
            Some(Served::Doc { value, .. }) if value["id"] == actor.as_str() => Some(value.clone()),
            _ => None,
        }
    }

    /// The `keyId` the peer signs with for this actor.
    pub fn key_id(&self, actor: &Url) -> Option<String> {
        self.shared()
            .lock()
            .signers
            .get(actor.as_str())
            .map(|s| s.key_id.clone())
    }

    /// The SPKI PEM public key of this actor.
    pub fn public_key_pem(&self, actor: &Url) -> Option<String> {
        self.shared()
            .lock()
            .signers
            .get(actor.as_str())
            .map(|s| s.public_pem.clone())
    }

    /// A new unique id under this origin: `/activities/{kind}/{uuid}`
    /// (`kind` lower-cased).
    pub fn new_id(&self, kind: &str) -> Url {
        Url::parse(&format!(
            "{}/activities/{}/{}",
            self.shared().origin,
            kind.to_lowercase(),
            uuid::Uuid::new_v4()
        ))
        .expect("valid URL")
    }

    /// Serves `object` at the path of its `id` (replacing whatever was
    /// there), so that Hearth can fetch it.
    ///
    /// # Panics
    /// When `object` has no `id` under this peer's origin (use
    /// [`Peer::substitute_origin`] on fixtures first).
    pub fn host_object(&self, object: Value) {
        let shared = self.shared();
        let id = object["id"]
            .as_str()
            .and_then(|s| Url::parse(s).ok())
            .unwrap_or_else(|| panic!("host_object: object has no URL id: {object}"));
        assert!(
            id.origin() == shared.base.origin(),
            "host_object: {id} is not under {} (substitute_origin first?)",
            shared.origin
        );
        let mut state = shared.lock();
        shared.register_doc(&mut state, id.path().to_string(), object, false);
    }

    /// From now on answer 410 Gone for this id (as for a deleted object or
    /// account).
    pub fn remove_object(&self, id: &Url) {
        self.shared()
            .lock()
            .docs
            .insert(id.path().to_string(), Served::Gone);
    }

    /// Signs `activity` as `actor` (Mastodon-style) and POSTs it to `inbox`.
    pub async fn deliver(
        &self,
        actor: &Url,
        inbox: &Url,
        activity: &Value,
    ) -> anyhow::Result<Delivery> {
        let body = serde_json::to_vec(activity)?;
        self.deliver_with(actor, inbox, body, SignOptions::default())
            .await
    }

    /// The headers [`Peer::deliver`] sends with `body` to `inbox` as `actor`,
    /// signed now: `host`, `date`, `digest`, `content-type` and `signature`
    /// (lower-case names). For load tests that sign many requests ahead of
    /// time and send them with their own client; each body has its own digest,
    /// so each needs its own signature. CPU-bound (one RSA signature): call it
    /// off the async runtime.
    pub fn sign_request(
        &self,
        actor: &Url,
        inbox: &Url,
        body: &[u8],
    ) -> anyhow::Result<Vec<(String, String)>> {
        let signer = self.shared().signer(actor)?;
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), sig::host_header(inbox)),
            ("date".into(), httpdate::fmt_http_date(SystemTime::now())),
            ("digest".into(), sig::digest_header(body)),
            ("content-type".into(), ACTIVITY_JSON.to_string()),
        ];
        let names: Vec<String> = ["(request-target)", "host", "date", "digest", "content-type"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let signing_string = sig::signing_string(
            &names,
            &sig::request_target("post", inbox),
            None,
            None,
            |n| header_in(&headers, n).map(str::to_string),
            false,
        )
        .map_err(|e| anyhow!(e))?;
        let signature = sig::sign(&signer.key, &signing_string);
        headers.push((
            "signature".into(),
            signature_header(&signer.key_id, &names, &signature),
        ));
        Ok(headers)
    }

    /// POSTs `body` to `inbox` as `actor`, signed (or not) as `opts` says.
    pub async fn deliver_with(
        &self,
        actor: &Url,
        inbox: &Url,
        body: Vec<u8>,
        opts: SignOptions,
    ) -> anyhow::Result<Delivery> {
        let shared = self.shared();
        let signer = shared.signer(actor)?;
        let key = match &opts.key_of {
            Some(other) => shared.signer(other)?.key,
            None => signer.key.clone(),
        };
        let key_id = opts.key_id.clone().unwrap_or(signer.key_id);

        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), sig::host_header(inbox)),
            (
                "date".into(),
                httpdate::fmt_http_date(opts.date.unwrap_or_else(SystemTime::now)),
            ),
        ];
        match opts.digest {
            DigestMode::Correct => headers.push(("digest".into(), sig::digest_header(&body))),
            DigestMode::Wrong => {
                let mut other = body.clone();
                other.extend_from_slice(b" (not the body)");
                headers.push(("digest".into(), sig::digest_header(&other)));
            }
            DigestMode::Missing => {}
        }
        headers.push((
            "content-type".into(),
            opts.content_type
                .clone()
                .unwrap_or_else(|| ACTIVITY_JSON.to_string()),
        ));
        for (name, value) in &opts.extra_headers {
            headers.push((name.to_ascii_lowercase(), value.clone()));
        }

        let mut request = shared.client.post(inbox.clone());
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        if opts.sign {
            let names = opts.signed_headers.clone().unwrap_or_else(|| {
                let mut names = vec!["(request-target)", "host", "date"];
                if opts.digest != DigestMode::Missing {
                    names.push("digest");
                }
                names.push("content-type");
                names.into_iter().map(String::from).collect()
            });
            let target = sig::request_target("post", inbox);
            let signing_string = sig::signing_string(
                &names,
                &target,
                None,
                None,
                |n| header_in(&headers, n).map(str::to_string),
                false,
            )
            .map_err(|e| anyhow!(e))?;
            let signature = sig::sign(&key, &signing_string);
            request = request.header("signature", signature_header(&key_id, &names, &signature));
        }
        let response = request
            .body(body)
            .send()
            .await
            .with_context(|| format!("POST {inbox}"))?;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        Ok(Delivery { status, body })
    }

    /// GETs `url` with `Accept: application/activity+json`, signed as `actor`
    /// over `(request-target) host date accept`. Returns status, headers and
    /// body.
    pub async fn signed_get(
        &self,
        actor: &Url,
        url: &Url,
    ) -> anyhow::Result<(u16, HeaderMap, String)> {
        let signer = self.shared().signer(actor)?;
        self.shared().signed_get(&signer, url).await
    }

    /// Like [`Peer::signed_get`], parsing the body as JSON and failing on a
    /// non-2xx status.
    pub async fn signed_get_json(&self, actor: &Url, url: &Url) -> anyhow::Result<Value> {
        let (status, _, body) = self.signed_get(actor, url).await?;
        if !(200..300).contains(&status) {
            bail!("GET {url} answered {status}: {body}");
        }
        serde_json::from_str(&body)
            .with_context(|| format!("GET {url} did not return JSON: {body}"))
    }

    /// An unsigned GET with `Accept: application/activity+json`.
    pub async fn get(&self, url: &Url) -> anyhow::Result<(u16, HeaderMap, String)> {
        let response = self
            .shared()
            .client
            .get(url.clone())
            .header("accept", ACTIVITY_JSON)
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Ok((status, headers, response.text().await.unwrap_or_default()))
    }

    /// Everything POSTed to any of the peer's inboxes, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.shared().lock().received.clone()
    }

    /// Forgets what [`Peer::received`] returned so far.
    pub fn clear_received(&self) {
        self.shared().lock().received.clear();
    }

    /// Polls (every 20 ms) until `pred(all received so far)` holds and
    /// returns everything received; after `timeout`, fails with a list of
    /// what did arrive.
    pub async fn wait_for(
        &self,
        timeout: Duration,
        pred: impl Fn(&[Received]) -> bool,
    ) -> anyhow::Result<Vec<Received>> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if pred(&received) {
                return Ok(received);
            }
            if start.elapsed() >= timeout {
                bail!(
                    "peer {}: condition not met within {timeout:?}; {}",
                    self.shared().origin,
                    describe_received(&received)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Every request the peer's server received, in arrival order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared().lock().requests.clone()
    }

    /// Makes every inbox POST wait `delay`, then answer `status` (default
    /// 202, no delay). The POST is still checked and recorded first.
    pub fn set_inbox_response(&self, status: u16, delay: Duration) {
        let mut state = self.shared().lock();
        state.inbox_status = status;
        state.inbox_delay = delay;
    }

    /// Forgets fetched public keys, so the next signature check re-fetches.
    pub fn clear_key_cache(&self) {
        self.shared().lock().key_cache.clear();
    }
}

/// A human-readable list of received activities, for failure messages.
pub fn describe_received(received: &[Received]) -> String {
    if received.is_empty() {
        return "nothing arrived at its inboxes".to_string();
    }
    let mut out = format!("{} POST(s) arrived:", received.len());
    for (i, r) in received.iter().enumerate() {
        let a = &r.activity;
        let object = match &a["object"] {
            Value::String(s) => s.clone(),
            Value::Object(o) => format!(
                "{} {}",
                o.get("type").and_then(Value::as_str).unwrap_or("?"),
                o.get("id").and_then(Value::as_str).unwrap_or("")
            ),
            Value::Null => "-".to_string(),
            other => other.to_string(),
        };
        out.push_str(&format!(
            "\n  #{i} {} {} id={} actor={} object={} signature_ok={}{} digest_ok={}",
            r.inbox_path,
            a["type"].as_str().unwrap_or("?"),
            a["id"].as_str().unwrap_or("-"),
            a["actor"].as_str().unwrap_or("-"),
            object,
            r.signature_ok,
            r.signature_error
                .as_ref()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default(),
            r.digest_ok,
        ));
        if a.is_null() {
            let body: String = r.body.chars().take(200).collect();
            out.push_str(&format!(" body={body:?}"));
        }
    }
    out
}

fn replace_in_strings(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| replace_in_strings(v, from, to)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut v) in old {
                replace_in_strings(&mut v, from, to);
                map.insert(k.replace(from, to), v);
            }
        }
        _ => {}
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400 + 3661)),
            "2000-02-29T01:01:01Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_735_689_599)),
            "2024-12-31T23:59:59Z"
        );
    }

    #[test]
    fn replaces_in_keys_and_values() {
        let mut v = json!({"https://remote.example/x": ["a https://remote.example/y", 1]});
        replace_in_strings(&mut v, FIXTURE_ORIGIN, "http://h:1");
        assert_eq!(v, json!({"http://h:1/x": ["a http://h:1/y", 1]}));
    }
}
