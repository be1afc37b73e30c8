//! The peer's HTTP server: documents, WebFinger, NodeInfo and inboxes.

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rsa::RsaPublicKey;
use serde_json::{json, Value};
use url::Url;

use crate::{sig, Received, RequestRecord, Served, Shared, SigningActor, ACTIVITY_JSON};

/// Largest inbox body accepted.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// Handles every request: logs it, then routes it.
pub(crate) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path_and_query = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let index = {
        let mut state = shared.lock();
        state.requests.push(RequestRecord {
            method: parts.method.to_string(),
            path: path_and_query.clone(),
            headers: header_list(&parts.headers),
            at: SystemTime::now(),
            status: None,
        });
        state.requests.len() - 1
    };

    let path = parts.uri.path().to_string();
    let response = if parts.method == Method::GET || parts.method == Method::HEAD {
        get(
            &shared,
            &path,
            &path_and_query,
            parts.uri.query(),
            &parts.headers,
        )
        .await
    } else if parts.method == Method::POST {
        if shared.lock().inbox_paths.contains(&path) {
            inbox(&shared, &path, &path_and_query, &parts.headers, body).await
        } else {
            text(StatusCode::NOT_FOUND, "no inbox here")
        }
    } else {
        text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
    };

    if let Some(record) = shared.lock().requests.get_mut(index) {
        record.status = Some(response.status().as_u16());
    }
    response
}

fn header_list(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn text(status: StatusCode, body: &str) -> Response {
    (status, body.to_string()).into_response()
}

fn json_response(value: &Value, content_type: &'static str) -> Response {
    let mut response = Response::new(Body::from(value.to_string()));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

async fn get(
    shared: &Shared,
    path: &str,
    path_and_query: &str,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Response {
    match path {
        "/.well-known/webfinger" => return webfinger(shared, query),
        "/.well-known/nodeinfo" => {
            let links = json!({
                "links": [{
                    "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                    "href": format!("{}/nodeinfo/2.0", shared.origin),
                }]
            });
            return json_response(&links, "application/json; charset=utf-8");
        }
        "/nodeinfo/2.0" => return nodeinfo(shared),
        _ => {}
    }

    let served = shared.lock().docs.get(path).cloned();
    match served {
        None => text(StatusCode::NOT_FOUND, "not found"),
        Some(Served::Gone) => text(StatusCode::GONE, "gone"),
        Some(Served::Doc { value, open }) => {
            if shared.config.require_signed_fetch && !open {
                let (_, verdict) = verify_request(shared, "get", path_and_query, headers).await;
                if let Err(e) = verdict {
                    return text(
                        StatusCode::UNAUTHORIZED,
                        &format!("signed fetch required: {e}"),
                    );
                }
            }
            json_response(&value, "application/activity+json; charset=utf-8")
        }
    }
}

fn webfinger(shared: &Shared, query: Option<&str>) -> Response {
    let resource = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "resource")
        .map(|(_, v)| v.into_owned());
    let Some(resource) = resource else {
        return text(StatusCode::BAD_REQUEST, "resource parameter missing");
    };
    let state = shared.lock();
    let actor_id = if let Some(acct) = resource.strip_prefix("acct:") {
        let acct = acct.strip_prefix('@').unwrap_or(acct);
        match acct.rsplit_once('@') {
            Some((user, domain)) if domain.eq_ignore_ascii_case(&shared.host) => {
                state.webfinger.get(&user.to_lowercase()).cloned()
            }
            _ => None,
        }
    } else {
        state
            .signers
            .contains_key(resource.as_str())
            .then(|| resource.clone())
    };
    let Some(actor_id) = actor_id else {
        return text(StatusCode::NOT_FOUND, "no such account");
    };
    let doc = Url::parse(&actor_id)
        .ok()
        .and_then(|u| match state.docs.get(u.path()) {
            Some(Served::Doc { value, .. }) => Some(value.clone()),
            _ => None,
        })
        .unwrap_or(Value::Null);
    drop(state);
    let username = doc["preferredUsername"].as_str().unwrap_or_default();
    let mut links = Vec::new();
    if let Some(profile) = doc["url"].as_str() {
        links.push(json!({
            "rel": "http://webfinger.net/rel/profile-page",
            "type": "text/html",
            "href": profile,
        }));
    }
    links.push(json!({ "rel": "self", "type": ACTIVITY_JSON, "href": actor_id }));
    let jrd = json!({
        "subject": format!("acct:{username}@{}", shared.host),
        "aliases": [actor_id],
        "links": links,
    });
    json_response(&jrd, "application/jrd+json; charset=utf-8")
}

fn nodeinfo(shared: &Shared) -> Response {
    let users = shared.lock().users;
    let doc = json!({
        "version": "2.0",
        "software": {
            "name": shared.config.software,
            "version": shared.config.version,
        },
        "protocols": ["activitypub"],
        "services": { "outbound": [], "inbound": [] },
        "usage": {
            "users": { "total": users, "activeMonth": users, "activeHalfyear": users },
            "localPosts": 0,
        },
        "openRegistrations": false,
        "metadata": {},
    });
    json_response(
        &doc,
        "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.0#\"; charset=utf-8",
    )
}

async fn inbox(
    shared: &Shared,
    path: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: Body,
) -> Response {
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return text(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string()),
    };
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let digest_ok = sig::check_digest(value("digest"), value("content-digest"), &body);
    let (key_id, verdict) = verify_request(shared, "post", path_and_query, headers).await;
    let activity = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let received = Received {
        inbox_path: path.to_string(),
        activity,
        body: String::from_utf8_lossy(&body).into_owned(),
        signature_ok: verdict.is_ok(),
        signature_error: verdict.err(),
        key_id,
        digest_ok,
        headers: header_list(headers),
        at: SystemTime::now(),
    };
    let (status, delay) = {
        let mut state = shared.lock();
        state.received.push(received);
        (state.inbox_status, state.inbox_delay)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    StatusCode::from_u16(status)
        .unwrap_or(StatusCode::ACCEPTED)
        .into_response()
}

/// Checks the HTTP signature of a request the way Mastodon does. Returns the
/// `keyId` (when there was a signature) and the verdict.
pub(crate) async fn verify_request(
    shared: &Shared,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
) -> (Option<String>, Result<(), String>) {
    let header_value = |name: &str| -> Option<String> {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
            .collect();
        (!values.is_empty()).then(|| values.join(", "))
    };
    let raw = match header_value("signature") {
        Some(s) => s,
        None => match header_value("authorization")
            .and_then(|a| a.strip_prefix("Signature ").map(str::to_string))
        {
            Some(s) => s,
            None => return (None, Err("no Signature header".to_string())),
        },
    };
    let params = match sig::parse_signature_header(&raw) {
        Ok(p) => p,
        Err(e) => return (None, Err(e)),
    };
    let key_id = params.key_id.clone();
    let verdict = async {
        if let Some(alg) = &params.algorithm {
            let alg = alg.to_ascii_lowercase();
            if alg != "rsa-sha256" && alg != "hs2019" {
                return Err(format!("unsupported algorithm {alg:?}"));
            }
        }
        let signed = |h: &str| params.headers.iter().any(|n| n == h);
        let mut required = vec!["(request-target)", "host"];
        if method == "post" {
            required.push("digest");
        }
        for h in required {
            if !signed(h) {
                return Err(format!(
                    "signed headers {:?} do not include {h}",
                    params.headers.join(" ")
                ));
            }
        }
        if signed("date") {
            let date = header_value("date").ok_or("signed header \"date\" is missing")?;
            sig::check_date(&date)?;
        } else if signed("(created)") {
            sig::check_created(params.created.as_deref().ok_or("no created parameter")?)?;
        } else {
            return Err(format!(
                "signed headers {:?} include neither date nor (created)",
                params.headers.join(" ")
            ));
        }
        if let Some(expires) = &params.expires {
            let expires: u64 = expires
                .parse()
                .map_err(|_| format!("expires={expires:?} is not a unix timestamp"))?;
            let now = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            if now > expires {
                return Err("signature has expired".to_string());
            }
        }
        let target = format!("{method} {path_and_query}");
        let signing_string = sig::signing_string(
            &params.headers,
            &target,
            params.created.as_deref(),
            params.expires.as_deref(),
            header_value,
            true,
        )?;
        let (key, cached) = fetch_key(shared, &params.key_id, false).await?;
        match sig::verify(&key, &signing_string, &params.signature) {
            Ok(()) => Ok(()),
            // The other side may have rotated its key: fetch it again once.
            Err(_) if cached => {
                let (key, _) = fetch_key(shared, &params.key_id, true).await?;
                sig::verify(&key, &signing_string, &params.signature)
            }
            Err(e) => Err(e),
        }
    }
    .await;
    (Some(key_id), verdict)
}

/// The public key for `key_id`, from the cache unless `refresh`; the flag
/// says whether it came from the cache.
async fn fetch_key(
    shared: &Shared,
    key_id: &str,
    refresh: bool,
) -> Result<(RsaPublicKey, bool), String> {
    if !refresh {
        if let Some(key) = shared.lock().key_cache.get(key_id) {
            return Ok((key.clone(), true));
        }
    }
    let mut url = Url::parse(key_id).map_err(|e| format!("keyId {key_id:?} is not a URL: {e}"))?;
    url.set_fragment(None);
    let signer: SigningActor = shared
        .lock()
        .signers
        .get(&shared.instance_actor)
        .cloned()
        .ok_or("the peer has no instance actor")?;
    let (status, _, body) = shared
        .signed_get(&signer, &url)
        .await
        .map_err(|e| format!("fetching key {url}: {e:#}"))?;
    if !(200..300).contains(&status) {
        let body: String = body.chars().take(300).collect();
        return Err(format!("fetching key {url} answered {status}: {body}"));
    }
    let doc: Value = serde_json::from_str(&body)
        .map_err(|e| format!("key document at {url} is not JSON: {e}"))?;
    let pem = find_key_pem(&doc, key_id)
        .ok_or_else(|| format!("document at {url} has no publicKey with id {key_id}"))?;
    let key = sig::parse_public_key_pem(pem)?;
    shared
        .lock()
        .key_cache
        .insert(key_id.to_string(), key.clone());
    Ok((key, false))
}

/// The PEM of the key with this id: the document itself when it is a key
/// object, or an entry of its `publicKey` (object or array).
fn find_key_pem<'a>(doc: &'a Value, key_id: &str) -> Option<&'a str> {
    if doc["id"] == key_id {
        if let Some(pem) = doc["publicKeyPem"].as_str() {
            return Some(pem);
        }
    }
    let candidates: Vec<&Value> = match &doc["publicKey"] {
        Value::Array(items) => items.iter().collect(),
        other @ Value::Object(_) => vec![other],
        _ => Vec::new(),
    };
    candidates
        .into_iter()
        .find(|k| k["id"] == key_id)
        .and_then(|k| k["publicKeyPem"].as_str())
}
