//! HTTP Signatures (draft-cavage, as Mastodon and the rest of the fediverse use them) and the
//! `Digest` header.
//!
//! Outbound requests are signed in Mastodon-compatible form: `(request-target) content-type date
//! digest host` for POST and `(request-target) accept date host` for GET, RSA-SHA256. Inbound
//! requests must sign `(request-target)`, `host`, `date` (or `(created)`) and, for POST, `digest`,
//! and must be no older than the signature window.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use http_signature_normalization::Config;
use reqwest::header::HeaderMap;
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::keys::{SigningKey, VerifyingKey};
use crate::urls::authority;

/// Why an inbound signature or digest was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SignatureError {
    /// No `Signature` (or `Authorization: Signature`) header.
    #[error("the request is not signed (no Signature header)")]
    Missing,
    /// The header could not be read, or lacks required parts.
    #[error("malformed signature: {0}")]
    Malformed(String),
    /// The signature is older than the window, or dated in the future.
    #[error("the signature has expired or is dated in the future ({0}); replays are refused")]
    Expired(String),
    /// `Digest` missing.
    #[error("the request has no Digest header")]
    DigestMissing,
    /// `Digest` does not match the body.
    #[error("the Digest header does not match the body")]
    DigestMismatch,
    /// The key does not verify the signature.
    #[error("the signature does not verify with the key of {0}")]
    Invalid(String),
}

/// The `Digest` header value for `body`.
pub fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", BASE64.encode(Sha256::digest(body)))
}

/// Checks a `Digest` header against `body`. Only SHA-256 is accepted.
pub fn verify_digest(header: Option<&str>, body: &[u8]) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::DigestMissing)?;
    let expected = BASE64.encode(Sha256::digest(body));
    let sha256 = header.split(',').find_map(|part| {
        let (alg, value) = part.trim().split_once('=')?;
        alg.eq_ignore_ascii_case("sha-256").then(|| value.trim())
    });
    match sha256 {
        Some(value) if value == expected => Ok(()),
        Some(_) => Err(SignatureError::DigestMismatch),
        None => Err(SignatureError::Malformed(
            "the Digest header has no SHA-256 value".into(),
        )),
    }
}

/// The headers that make a request signed.
#[derive(Debug, Clone)]
pub struct SignedHeaders {
    /// `Host`.
    pub host: String,
    /// `Date`.
    pub date: String,
    /// `Digest`, for POST.
    pub digest: Option<String>,
    /// `Signature`.
    pub signature: String,
}

fn request_target(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

fn sign(
    key: &SigningKey,
    method: &str,
    url: &Url,
    mut headers: BTreeMap<String, String>,
) -> SignedHeaders {
    let host = authority(url);
    let date = httpdate::fmt_http_date(SystemTime::now());
    headers.insert("host".into(), host.clone());
    headers.insert("date".into(), date.clone());
    let digest = headers.get("digest").cloned();
    let signed = Config::new()
        .mastodon_compat()
        .begin_sign(method, &request_target(url), headers)
        .expect("every required header is present")
        .sign(key.key_id().to_owned(), |signing_string| {
            Ok::<_, std::convert::Infallible>(BASE64.encode(key.sign(signing_string.as_bytes())))
        })
        .expect("signing does not fail");
    SignedHeaders {
        host,
        date,
        digest,
        signature: signed.signature_header(),
    }
}

/// Signs a POST of a body with digest `digest` (see [`digest_header`]). CPU-bound.
pub fn sign_post(key: &SigningKey, url: &Url, digest: &str, content_type: &str) -> SignedHeaders {
    let headers = BTreeMap::from([
        ("digest".to_owned(), digest.to_owned()),
        ("content-type".to_owned(), content_type.to_owned()),
    ]);
    sign(key, "POST", url, headers)
}

/// Signs a GET. CPU-bound.
pub fn sign_get(key: &SigningKey, url: &Url, accept: &str) -> SignedHeaders {
    sign(
        key,
        "GET",
        url,
        BTreeMap::from([("accept".to_owned(), accept.to_owned())]),
    )
}

/// A parsed inbound signature, waiting for its key.
#[derive(Debug, Clone)]
pub struct PendingSignature {
    /// The `keyId` named by the signer.
    pub key_id: String,
    signing_string: String,
    signature: Vec<u8>,
}

impl PendingSignature {
    /// Whether `key` verifies the signature.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        key.verify(self.signing_string.as_bytes(), &self.signature)
    }
}

/// Parses and validates (but does not verify) the signature of an inbound request.
/// `host_fallback` stands in for a missing `Host` header (HTTP/2, proxies that drop it).
pub fn parse_signature(
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    host_fallback: &str,
    window: Duration,
) -> Result<PendingSignature, SignatureError> {
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        map.entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(value);
            })
            .or_insert_with(|| value.to_owned());
    }
    map.entry("host".into())
        .or_insert_with(|| host_fallback.to_owned());
    let raw = map
        .get("signature")
        .cloned()
        .or_else(|| {
            map.get("authorization")
                .filter(|a| a.starts_with("Signature "))
                .cloned()
        })
        .ok_or(SignatureError::Missing)?;
    if !map.contains_key("signature") {
        map.remove("authorization");
        map.insert("signature".into(), raw.clone());
    }

    let listed = signed_header_list(&raw);
    let mut required = vec!["(request-target)", "host"];
    if method.eq_ignore_ascii_case("POST") {
        required.push("digest");
    }
    if let Some(missing) = required.iter().find(|h| !listed.iter().any(|l| l == *h)) {
        return Err(SignatureError::Malformed(format!(
            "{missing} is not among the signed headers"
        )));
    }
    if !listed.iter().any(|h| h == "date" || h == "(created)") {
        return Err(SignatureError::Malformed(
            "neither date nor (created) is signed".into(),
        ));
    }
    if let Some(date) = map.get("date") {
        let date = httpdate::parse_http_date(date)
            .map_err(|_| SignatureError::Malformed(format!("unreadable Date header {date:?}")))?;
        let now = SystemTime::now();
        if date > now + window {
            return Err(SignatureError::Expired("Date is in the future".into()));
        }
    }

    let unverified = Config::new()
        .set_expiration(window)
        .begin_verify(method, path_and_query, map)
        .map_err(|e| match e {
            http_signature_normalization::PrepareVerifyError::Validate(v) => {
                SignatureError::Expired(v.to_string())
            }
            other => SignatureError::Malformed(other.to_string()),
        })?;
    let signature = BASE64
        .decode(unverified.signature())
        .map_err(|_| SignatureError::Malformed("the signature is not base64".into()))?;
    Ok(PendingSignature {
        key_id: unverified.key_id().to_owned(),
        signing_string: unverified.signing_string().to_owned(),
        signature,
    })
}

fn signed_header_list(signature_header: &str) -> Vec<String> {
    signature_header
        .trim_start_matches("Signature ")
        .split(',')
        .find_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            (k == "headers").then(|| v.trim_matches('"').to_owned())
        })
        .map(|h| h.split_whitespace().map(str::to_ascii_lowercase).collect())
        .unwrap_or_else(|| vec!["(created)".to_owned()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::generate_keys;
    use reqwest::header::{HeaderName, HeaderValue};

    fn signed_request(key: &SigningKey, body: &[u8]) -> HeaderMap {
        let url = Url::parse("https://h.example/inbox").unwrap();
        let signed = sign_post(key, &url, &digest_header(body), "application/activity+json");
        let mut headers = HeaderMap::new();
        let mut put = |k: &'static str, v: &str| {
            headers.insert(
                HeaderName::from_static(k),
                HeaderValue::from_str(v).unwrap(),
            );
        };
        put("host", &signed.host);
        put("date", &signed.date);
        put("digest", signed.digest.as_deref().unwrap());
        put("content-type", "application/activity+json");
        put("signature", &signed.signature);
        headers
    }

    #[test]
    fn a_signed_post_verifies_and_a_tampered_one_does_not() {
        let keys = generate_keys().unwrap();
        let key =
            SigningKey::from_pem("https://p.example/u#main-key", &keys.private_key_pem).unwrap();
        let verifier = VerifyingKey::from_pem(&keys.public_key_pem).unwrap();
        let headers = signed_request(&key, b"{}");
        let window = Duration::from_secs(3600);
        let pending = parse_signature("POST", "/inbox", &headers, "h.example", window).unwrap();
        assert_eq!(pending.key_id, "https://p.example/u#main-key");
        assert!(pending.verify(&verifier));
        let moved = parse_signature("POST", "/other", &headers, "h.example", window).unwrap();
        assert!(!moved.verify(&verifier));
        assert_eq!(
            verify_digest(headers.get("digest").and_then(|v| v.to_str().ok()), b"{}"),
            Ok(())
        );
        assert_eq!(
            verify_digest(headers.get("digest").and_then(|v| v.to_str().ok()), b"{ }"),
            Err(SignatureError::DigestMismatch)
        );
    }

    #[test]
    fn old_dates_are_refused() {
        let keys = generate_keys().unwrap();
        let key = SigningKey::from_pem("k", &keys.private_key_pem).unwrap();
        let mut headers = signed_request(&key, b"{}");
        let old = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(7200));
        headers.insert("date", HeaderValue::from_str(&old).unwrap());
        let err = parse_signature(
            "POST",
            "/inbox",
            &headers,
            "h.example",
            Duration::from_secs(3600),
        );
        assert!(matches!(err, Err(SignatureError::Expired(_))), "{err:?}");
    }

    #[test]
    fn unsigned_requests_are_refused() {
        let err = parse_signature(
            "POST",
            "/inbox",
            &HeaderMap::new(),
            "h",
            Duration::from_secs(60),
        );
        assert_eq!(err.unwrap_err(), SignatureError::Missing);
    }
}
