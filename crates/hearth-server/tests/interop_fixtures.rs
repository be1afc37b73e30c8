//! Replays the interop corpus in `tests/fixtures/` (what Mastodon, Lemmy, Misskey, GoToSocial,
//! Mbin, PieFed, Friendica, Mobilizon and Pleroma really send) against a real Hearth, each
//! software from its own peer, and checks every answer and announce against the manifest.

mod common;

use std::collections::HashMap;
use std::path::PathBuf;

use common::*;
use serde::Deserialize;
use serde_json::Value;
use url::Url;

#[derive(Debug, Deserialize)]
struct Manifest {
    fixture: Vec<Fixture>,
}

#[derive(Debug, Deserialize)]
struct Fixture {
    file: String,
    actor: String,
    software: String,
    expect: String,
    effect: String,
    announced: bool,
    status: u16,
}

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(fixtures_dir().join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Points the fixture's Hearth placeholders at the running server.
fn to_hearth(value: &Value, hearth: &Hearth) -> Value {
    let base = hearth.url("/").to_string();
    let text = value
        .to_string()
        .replace("https://hearth.example/", &base)
        .replace("https://hearth.example", base.trim_end_matches('/'))
        .replace("hearth.example", &hearth.authority());
    serde_json::from_str(&text).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_is_answered_as_the_manifest_says() {
    let manifest: Manifest =
        toml::from_str(&std::fs::read_to_string(fixtures_dir().join("manifest.toml")).unwrap())
            .unwrap();
    let hearth = Hearth::start().await;
    hearth.create_group("climbing", &["--title", "Climbing"]);
    let group = hearth.group("climbing");
    let inbox = hearth.group_inbox("climbing");

    // A threaded follower that sees every Announce the group sends.
    let watcher_peer = peer("lemmy").await;
    let watcher = watcher_peer.add_person("watcher").await.unwrap();
    deliver_expect(
        &watcher_peer,
        &watcher,
        &inbox,
        &follow(&watcher_peer, &watcher, &group),
        202,
    )
    .await;

    let mut peers: HashMap<String, hearth_test_peer::Peer> = HashMap::new();
    let mut actors: HashMap<(String, String), Url> = HashMap::new();
    let mut announced: Vec<(String, String)> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    let mut followers = hearth.follower_count("climbing").await;

    for fixture in &manifest.fixture {
        let peer = match peers.get(&fixture.software) {
            Some(peer) => peer.clone(),
            None => {
                let software = if fixture.software == "misc" {
                    "mastodon"
                } else {
                    fixture.software.as_str()
                };
                let peer = common::peer(software).await;
                peers.insert(fixture.software.clone(), peer.clone());
                peer
            }
        };
        let key = (fixture.software.clone(), fixture.actor.clone());
        let actor = match actors.get(&key) {
            Some(actor) => actor.clone(),
            None => {
                let doc = to_hearth(&load(&fixture.actor), &hearth);
                let actor = peer.add_actor_document(doc).await.unwrap();
                actors.insert(key, actor.clone());
                actor
            }
        };
        let activity = to_hearth(&peer.substitute_origin(&load(&fixture.file)), &hearth);
        let delivery = peer.deliver(&actor, &inbox, &activity).await.unwrap();
        if delivery.status != fixture.status {
            failures.push(format!(
                "{} ({}): expected {} but Hearth answered {} {}",
                fixture.file, fixture.expect, fixture.status, delivery.status, delivery.body
            ));
            continue;
        }
        match fixture.effect.as_str() {
            "follow" => followers += 1,
            "unfollow" => followers -= 1,
            _ => {}
        }
        if matches!(fixture.effect.as_str(), "follow" | "unfollow") {
            let now = hearth.follower_count("climbing").await;
            if now != followers {
                failures.push(format!(
                    "{}: follower count is {now}, expected {followers}",
                    fixture.file
                ));
                followers = now;
            }
        }
        if fixture.announced {
            announced.push((
                fixture.file.clone(),
                activity["id"].as_str().unwrap().to_owned(),
            ));
        }
    }

    let expected: Vec<String> = announced.iter().map(|(_, id)| id.clone()).collect();
    let received = watcher_peer
        .wait_for(std::time::Duration::from_secs(20), |r| {
            expected
                .iter()
                .all(|id| r.iter().any(|x| announces(&x.activity, id)))
        })
        .await;
    if received.is_err() {
        let got = watcher_peer.received();
        for (file, id) in &announced {
            if !got.iter().any(|x| announces(&x.activity, id)) {
                failures.push(format!(
                    "{file}: no Announce of {id} reached the group's followers"
                ));
            }
        }
    }
    // Nothing that was not meant to be announced was announced.
    let got = watcher_peer.received();
    for fixture in manifest.fixture.iter().filter(|f| !f.announced) {
        let id = load(&fixture.file)["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let leaked = got.iter().any(|x| {
            x.activity["type"] == "Announce"
                && x.activity["object"]["id"].as_str().is_some_and(|inner| {
                    !id.is_empty()
                        && inner.ends_with(id.trim_start_matches("https://remote.example"))
                })
                && fixture.effect == "none"
                && fixture.expect == "refused"
        });
        if leaked {
            failures.push(format!("{}: refused, yet announced", fixture.file));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}\n\nHearth log:\n{}",
        failures.len(),
        manifest.fixture.len(),
        failures.join("\n"),
        hearth.log()
    );
}
