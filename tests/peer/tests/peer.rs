//! Two peers talking to each other over loopback.

use std::time::{Duration, SystemTime};

use hearth_test_peer::{DigestMode, Peer, PeerConfig, Received, SignOptions};
use serde_json::{json, Value};
use url::Url;

const WAIT: Duration = Duration::from_secs(10);

fn second_peer_config() -> PeerConfig {
    PeerConfig {
        ip: "127.0.0.2".parse().unwrap(),
        software: "lemmy".into(),
        version: "0.19.5".into(),
        ..PeerConfig::default()
    }
}

async fn two_peers() -> (Peer, Url, Peer, Url) {
    let a = Peer::start(PeerConfig::default()).await.unwrap();
    let b = Peer::start(second_peer_config()).await.unwrap();
    let alice = a.add_person("alice").await.unwrap();
    let bob = b.add_person("bob").await.unwrap();
    (a, alice, b, bob)
}

fn follow(from: &Peer, actor: &Url, object: &Url) -> Value {
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": from.new_id("Follow").as_str(),
        "type": "Follow",
        "actor": actor.as_str(),
        "object": object.as_str(),
    })
}

async fn one(peer: &Peer) -> Received {
    let got = peer.wait_for(WAIT, |r| !r.is_empty()).await.unwrap();
    assert_eq!(got.len(), 1, "{got:#?}");
    got.into_iter().next().unwrap()
}

#[tokio::test]
async fn signed_delivery_verifies() {
    let (a, alice, b, bob) = two_peers().await;
    let activity = follow(&a, &alice, &bob);
    let inbox = b.inbox(&bob).unwrap();
    assert_eq!(inbox.path(), "/users/bob/inbox");
    let delivery = a.deliver(&alice, &inbox, &activity).await.unwrap();
    assert_eq!(delivery.status, 202);

    let r = one(&b).await;
    assert!(r.signature_ok, "{:?}", r.signature_error);
    assert!(r.digest_ok);
    assert_eq!(r.signature_error, None);
    assert_eq!(
        r.key_id.as_deref(),
        Some(format!("{alice}#main-key").as_str())
    );
    assert_eq!(r.activity, activity);
    assert_eq!(r.inbox_path, "/users/bob/inbox");
    assert_eq!(r.header("content-type"), Some("application/activity+json"));
    assert_eq!(r.header("host"), Some(b.host().as_str()));

    // B fetched A's key, signing the fetch with its instance actor.
    let fetch = a
        .requests()
        .into_iter()
        .find(|q| q.path == "/users/alice")
        .expect("B fetched alice's key");
    assert!(fetch.is_signed());
    assert!(fetch
        .header("signature")
        .unwrap()
        .contains(&format!("keyId=\"{}#main-key\"", b.instance_actor())));
    assert_eq!(fetch.header("accept"), Some("application/activity+json"));

    // A second delivery uses the cached key.
    let inbox = b.shared_inbox();
    a.deliver(&alice, &inbox, &follow(&a, &alice, &bob))
        .await
        .unwrap();
    let got = b.wait_for(WAIT, |r| r.len() == 2).await.unwrap();
    assert!(got[1].signature_ok);
    assert_eq!(got[1].inbox_path, "/inbox");
    let key_fetches = a
        .requests()
        .iter()
        .filter(|q| q.path == "/users/alice")
        .count();
    assert_eq!(key_fetches, 1);
}

#[tokio::test]
async fn wrong_digest_is_flagged() {
    let (a, alice, b, bob) = two_peers().await;
    let body = serde_json::to_vec(&follow(&a, &alice, &bob)).unwrap();
    let opts = SignOptions {
        digest: DigestMode::Wrong,
        ..SignOptions::default()
    };
    a.deliver_with(&alice, &b.shared_inbox(), body.clone(), opts)
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(!r.digest_ok);
    // The (wrong) digest header itself was signed correctly.
    assert!(r.signature_ok, "{:?}", r.signature_error);

    b.clear_received();
    let opts = SignOptions {
        digest: DigestMode::Missing,
        ..SignOptions::default()
    };
    a.deliver_with(&alice, &b.shared_inbox(), body, opts)
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(!r.digest_ok);
    assert!(!r.signature_ok);
    assert!(r.signature_error.unwrap().contains("digest"));
}

#[tokio::test]
async fn another_actors_key_does_not_verify() {
    let (a, alice, b, bob) = two_peers().await;
    let mallory = a.add_person("mallory").await.unwrap();
    let body = serde_json::to_vec(&follow(&a, &alice, &bob)).unwrap();
    let opts = SignOptions {
        key_of: Some(mallory),
        ..SignOptions::default()
    };
    a.deliver_with(&alice, &b.shared_inbox(), body, opts)
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(!r.signature_ok);
    assert!(r.digest_ok);
    assert_eq!(
        r.key_id.as_deref(),
        Some(format!("{alice}#main-key").as_str())
    );
    assert!(r.signature_error.unwrap().contains("does not verify"));
}

#[tokio::test]
async fn unsigned_and_tampered_are_flagged() {
    let (a, alice, b, bob) = two_peers().await;
    let body = serde_json::to_vec(&follow(&a, &alice, &bob)).unwrap();
    let opts = SignOptions {
        sign: false,
        ..SignOptions::default()
    };
    a.deliver_with(&alice, &b.shared_inbox(), body.clone(), opts)
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(!r.signature_ok);
    assert!(r.key_id.is_none());
    assert!(r.digest_ok);

    // Signing only some headers is not enough.
    b.clear_received();
    let opts = SignOptions {
        signed_headers: Some(vec!["date".into()]),
        ..SignOptions::default()
    };
    a.deliver_with(&alice, &b.shared_inbox(), body, opts)
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(!r.signature_ok);
    assert!(r.signature_error.unwrap().contains("(request-target)"));
}

#[tokio::test]
async fn old_date_is_flagged() {
    let (a, alice, b, bob) = two_peers().await;
    let body = serde_json::to_vec(&follow(&a, &alice, &bob)).unwrap();
    let opts = SignOptions {
        date: Some(SystemTime::now() - Duration::from_secs(2 * 3600)),
        ..SignOptions::default()
    };
    a.deliver_with(&alice, &b.shared_inbox(), body, opts)
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(!r.signature_ok);
    assert!(r.digest_ok);
    let err = r.signature_error.unwrap();
    assert!(err.contains("Date"), "{err}");
}

#[tokio::test]
async fn inbox_response_can_be_injected() {
    let (a, alice, b, bob) = two_peers().await;
    b.set_inbox_response(503, Duration::from_millis(200));
    let started = std::time::Instant::now();
    let d = a
        .deliver(&alice, &b.shared_inbox(), &follow(&a, &alice, &bob))
        .await
        .unwrap();
    assert_eq!(d.status, 503);
    assert!(started.elapsed() >= Duration::from_millis(200));
    assert_eq!(b.received().len(), 1);

    let err = b
        .wait_for(Duration::from_millis(100), |r| r.len() == 2)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Follow"), "{err}");
}

const GOTOSOCIAL_ACTOR: &str = r#"{
  "@context": [
    "https://w3id.org/security/v1",
    "https://www.w3.org/ns/activitystreams",
    {
      "discoverable": "toot:discoverable",
      "featured": {"@id": "toot:featured", "@type": "@id"},
      "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
      "toot": "http://joinmastodon.org/ns#"
    }
  ],
  "discoverable": false,
  "featured": "https://remote.example/users/carol/collections/featured",
  "followers": "https://remote.example/users/carol/followers",
  "following": "https://remote.example/users/carol/following",
  "id": "https://remote.example/users/carol",
  "inbox": "https://remote.example/users/carol/inbox",
  "manuallyApprovesFollowers": true,
  "name": "Carol",
  "outbox": "https://remote.example/users/carol/outbox",
  "preferredUsername": "carol",
  "publicKey": {
    "id": "https://remote.example/users/carol/main-key",
    "owner": "https://remote.example/users/carol",
    "publicKeyPem": "PEER_PUBLIC_KEY_PEM"
  },
  "published": "2023-05-01T10:00:00Z",
  "summary": "<p>hi from @carol@remote.example</p>",
  "type": "Person",
  "url": "https://remote.example/@carol"
}"#;

#[tokio::test]
async fn gotosocial_style_fixture_end_to_end() {
    let a = Peer::start(PeerConfig {
        software: "gotosocial".into(),
        version: "0.17.0".into(),
        ..PeerConfig::default()
    })
    .await
    .unwrap();
    let b = Peer::start(second_peer_config()).await.unwrap();
    let bob = b.add_person("bob").await.unwrap();

    let carol = a
        .add_actor_document(serde_json::from_str(GOTOSOCIAL_ACTOR).unwrap())
        .await
        .unwrap();
    assert_eq!(carol.as_str(), format!("{}/users/carol", a.origin()));
    let key_id = format!("{carol}/main-key");
    assert_eq!(a.key_id(&carol), Some(key_id.clone()));

    // Served at its id and at its key id, with substitutions made.
    let doc = b.signed_get_json(&bob, &carol).await.unwrap();
    assert_eq!(doc["id"], carol.as_str());
    assert_eq!(doc["publicKey"]["id"], key_id.as_str());
    assert!(doc["publicKey"]["publicKeyPem"]
        .as_str()
        .unwrap()
        .starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_eq!(
        doc["summary"],
        format!("<p>hi from @carol@{}</p>", a.host()).as_str()
    );
    let (status, headers, _) = b.get(&Url::parse(&key_id).unwrap()).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        headers["content-type"],
        "application/activity+json; charset=utf-8"
    );

    // WebFinger and NodeInfo.
    let wf = a
        .base_url()
        .join(&format!(
            "/.well-known/webfinger?resource=acct:carol@{}",
            a.host()
        ))
        .unwrap();
    let (status, _, body) = b.get(&wf).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let jrd: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(jrd["subject"], format!("acct:carol@{}", a.host()).as_str());
    assert!(jrd["links"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["rel"] == "self" && l["href"] == carol.as_str()));
    let (_, _, body) = b
        .get(&a.base_url().join("/.well-known/nodeinfo").unwrap())
        .await
        .unwrap();
    let links: Value = serde_json::from_str(&body).unwrap();
    let ni = Url::parse(links["links"][0]["href"].as_str().unwrap()).unwrap();
    let (_, _, body) = b.get(&ni).await.unwrap();
    let ni: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ni["software"]["name"], "gotosocial");
    assert_eq!(ni["software"]["version"], "0.17.0");
    let (status, _, _) = b.get(&a.base_url().join("/nope").unwrap()).await.unwrap();
    assert_eq!(status, 404);

    // Deliveries signed by carol verify with the GoToSocial-style key id.
    let activity = a.substitute_origin(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": "https://remote.example/users/carol/follow/01H",
        "type": "Follow",
        "actor": "https://remote.example/users/carol",
        "object": bob.as_str(),
    }));
    assert_eq!(activity["actor"], carol.as_str());
    a.deliver(&carol, &b.inbox(&bob).unwrap(), &activity)
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(r.signature_ok, "{:?}", r.signature_error);
    assert_eq!(r.key_id, Some(key_id));
    assert!(a
        .requests()
        .iter()
        .any(|q| q.path == "/users/carol/main-key" && q.status == Some(200)));
}

#[tokio::test]
async fn require_signed_fetch() {
    let a = Peer::start(PeerConfig {
        require_signed_fetch: true,
        ..PeerConfig::default()
    })
    .await
    .unwrap();
    let b = Peer::start(second_peer_config()).await.unwrap();
    let alice = a.add_person("alice").await.unwrap();
    let bob = b.add_person("bob").await.unwrap();
    let note = a.substitute_origin(&json!({
        "id": "https://remote.example/users/alice/statuses/1",
        "type": "Note",
        "attributedTo": "https://remote.example/users/alice",
        "content": "hello",
    }));
    a.host_object(note.clone());
    let note_id = Url::parse(note["id"].as_str().unwrap()).unwrap();

    for url in [&alice, &note_id] {
        let (status, _, _) = b.get(url).await.unwrap();
        assert_eq!(status, 401, "unsigned GET {url}");
        let (status, headers, body) = b.signed_get(&bob, url).await.unwrap();
        assert_eq!(status, 200, "signed GET {url}: {body}");
        assert_eq!(
            headers["content-type"],
            "application/activity+json; charset=utf-8"
        );
    }
    assert_eq!(b.signed_get_json(&bob, &note_id).await.unwrap(), note);

    // A signature by a key that does not match is refused too.
    let c = Peer::start(second_peer_config()).await.unwrap();
    let forged = c
        .add_actor_document(json!({
            "id": "https://remote.example/users/eve",
            "type": "Person",
            "preferredUsername": "eve",
            "inbox": "https://remote.example/users/eve/inbox",
            // Claims bob's key.
            "publicKey": {
                "id": format!("{bob}#main-key"),
                "owner": "https://remote.example/users/eve",
                "publicKeyPem": "PEER_PUBLIC_KEY_PEM",
            },
        }))
        .await
        .unwrap();
    let (status, _, _) = c.signed_get(&forged, &alice).await.unwrap();
    assert_eq!(status, 401);

    // WebFinger, NodeInfo and the instance actor stay open.
    let wf = a
        .base_url()
        .join(&format!(
            "/.well-known/webfinger?resource=acct%3Aalice%40{}",
            a.host()
        ))
        .unwrap();
    assert_eq!(b.get(&wf).await.unwrap().0, 200);
    let ni = a.base_url().join("/nodeinfo/2.0").unwrap();
    assert_eq!(b.get(&ni).await.unwrap().0, 200);
    assert_eq!(b.get(&a.instance_actor()).await.unwrap().0, 200);

    // Gone objects.
    a.remove_object(&note_id);
    assert_eq!(b.signed_get(&bob, &note_id).await.unwrap().0, 410);
}

#[tokio::test]
async fn ten_keys_are_quick() {
    let started = std::time::Instant::now();
    let peer = Peer::start(PeerConfig::default()).await.unwrap();
    for i in 0..10 {
        peer.add_person(&format!("user{i}")).await.unwrap();
    }
    let keys: std::collections::HashSet<String> = (0..10)
        .map(|i| {
            let id = peer.base_url().join(&format!("/users/user{i}")).unwrap();
            peer.public_key_pem(&id).unwrap()
        })
        .collect();
    assert_eq!(keys.len(), 10);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn lemmy_style_fixture_inboxes_are_served() {
    let (a, alice, b, _bob) = two_peers().await;
    let dave = b
        .add_actor_document(json!({
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "type": "Person",
            "id": "https://remote.example/u/dave",
            "preferredUsername": "dave",
            "inbox": "https://remote.example/u/dave/inbox",
            "outbox": "https://remote.example/u/dave/outbox",
            "publicKey": {
                "id": "https://remote.example/u/dave#main-key",
                "owner": "https://remote.example/u/dave",
                "publicKeyPem": "PEER_PUBLIC_KEY_PEM",
            },
            "endpoints": { "sharedInbox": "https://remote.example/inbox" },
            "published": "2024-01-01T00:00:00.000000+00:00",
        }))
        .await
        .unwrap();
    let inbox = b.inbox(&dave).unwrap();
    assert_eq!(inbox.path(), "/u/dave/inbox");
    a.deliver(&alice, &inbox, &follow(&a, &alice, &dave))
        .await
        .unwrap();
    let r = one(&b).await;
    assert!(r.signature_ok, "{:?}", r.signature_error);
    assert_eq!(r.inbox_path, "/u/dave/inbox");
    assert_eq!(r.activity["object"], dave.as_str());

    // Posting to an inbox nobody has is a 404 and is not recorded.
    let nobody = b.base_url().join("/users/nobody/inbox").unwrap();
    let d = a
        .deliver(&alice, &nobody, &follow(&a, &alice, &dave))
        .await
        .unwrap();
    assert_eq!(d.status, 404);
    assert_eq!(b.received().len(), 1);

    // A template without the key placeholder is refused.
    let err = b
        .add_actor_document(json!({
            "id": "https://remote.example/u/erin",
            "type": "Person",
            "publicKey": { "id": "https://remote.example/u/erin#main-key", "publicKeyPem": "x" },
        }))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("PEER_PUBLIC_KEY_PEM"), "{err}");
}

#[test]
fn peer_is_send_sync_and_clone() {
    fn check<T: Send + Sync + Clone + 'static>() {}
    check::<Peer>();
}
