//! draft-cavage HTTP Signatures (as Mastodon, Lemmy, GoToSocial … use them),
//! written from the specification without any of Hearth's code.

use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use url::Url;

/// How far a signed `Date` may be from the verifier's clock.
pub(crate) const MAX_CLOCK_SKEW: Duration = Duration::from_secs(3600);

/// The value of the `Host` header for a request to `url`: host, plus the port
/// when it is not the scheme's default.
pub(crate) fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// `(request-target)` for a request: lower-case method, space, path and query.
pub(crate) fn request_target(method: &str, url: &Url) -> String {
    let mut target = format!("{} {}", method.to_ascii_lowercase(), url.path());
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    target
}

/// `SHA-256=<base64>` of `body`.
pub(crate) fn digest_header(body: &[u8]) -> String {
    format!("SHA-256={}", B64.encode(Sha256::digest(body)))
}

/// Base64 RSASSA-PKCS1-v1_5 SHA-256 signature of `data`.
pub(crate) fn sign(key: &RsaPrivateKey, data: &str) -> String {
    let signing_key = SigningKey::<Sha256>::new(key.clone());
    B64.encode(signing_key.sign(data.as_bytes()).to_vec())
}

/// SPKI PEM (`-----BEGIN PUBLIC KEY-----`) of the public half of `key`.
pub(crate) fn public_pem(key: &RsaPrivateKey) -> String {
    RsaPublicKey::from(key)
        .to_public_key_pem(LineEnding::LF)
        .expect("encoding an RSA public key cannot fail")
}

/// Parses an RSA public key in SPKI PEM or PKCS#1 PEM form.
pub(crate) fn parse_public_key_pem(pem: &str) -> Result<RsaPublicKey, String> {
    let pem = pem.trim().replace("\r\n", "\n");
    if pem.contains("BEGIN RSA PUBLIC KEY") {
        RsaPublicKey::from_pkcs1_pem(&pem).map_err(|e| format!("bad PKCS#1 public key PEM: {e}"))
    } else {
        RsaPublicKey::from_public_key_pem(&pem).map_err(|e| format!("bad SPKI public key PEM: {e}"))
    }
}

/// Checks a base64 RSASSA-PKCS1-v1_5 SHA-256 signature.
pub(crate) fn verify(key: &RsaPublicKey, data: &str, signature_b64: &str) -> Result<(), String> {
    let raw = B64
        .decode(signature_b64.trim())
        .map_err(|e| format!("signature is not valid base64: {e}"))?;
    let signature =
        Signature::try_from(raw.as_slice()).map_err(|e| format!("malformed signature: {e}"))?;
    VerifyingKey::<Sha256>::new(key.clone())
        .verify(data.as_bytes(), &signature)
        .map_err(|_| "RSA-SHA256 signature does not verify against the fetched key".to_string())
}

/// The parameters of a `Signature` header.
#[derive(Debug, Clone)]
pub(crate) struct SignatureParams {
    pub key_id: String,
    pub algorithm: Option<String>,
    /// Lower-cased names of the signed headers, in order.
    pub headers: Vec<String>,
    pub signature: String,
    pub created: Option<String>,
    pub expires: Option<String>,
}

/// Parses `keyId="…",algorithm="…",headers="…",signature="…"`.
pub(crate) fn parse_signature_header(value: &str) -> Result<SignatureParams, String> {
    let mut key_id = None;
    let mut algorithm = None;
    let mut headers = None;
    let mut signature = None;
    let mut created = None;
    let mut expires = None;

    let mut rest = value.trim();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| format!("malformed Signature header near {rest:?}"))?;
        let name = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let val;
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped
                .find('"')
                .ok_or_else(|| "unterminated quoted value in Signature header".to_string())?;
            val = stripped[..end].to_string();
            rest = stripped[end + 1..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            val = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
        match name.as_str() {
            "keyid" => key_id = Some(val),
            "algorithm" => algorithm = Some(val),
            "headers" => headers = Some(val),
            "signature" => signature = Some(val),
            "created" => created = Some(val),
            "expires" => expires = Some(val),
            _ => {}
        }
    }
    Ok(SignatureParams {
        key_id: key_id.ok_or("Signature header has no keyId")?,
        algorithm,
        headers: headers
            .unwrap_or_else(|| "date".to_string())
            .split_whitespace()
            .map(|h| h.to_ascii_lowercase())
            .collect(),
        signature: signature.ok_or("Signature header has no signature")?,
        created,
        expires,
    })
}

/// Builds the string to sign from the listed header names.
///
/// `header` returns the value of a (lower-case) header name, if present.
/// Missing headers are an error when `strict`, otherwise they count as empty.
pub(crate) fn signing_string(
    names: &[String],
    request_target: &str,
    created: Option<&str>,
    expires: Option<&str>,
    header: impl Fn(&str) -> Option<String>,
    strict: bool,
) -> Result<String, String> {
    let mut lines = Vec::with_capacity(names.len());
    for name in names {
        let name = name.to_ascii_lowercase();
        let value = match name.as_str() {
            "(request-target)" => Some(request_target.to_string()),
            "(created)" => created.map(str::to_string),
            "(expires)" => expires.map(str::to_string),
            other => header(other),
        };
        let value = match value {
            Some(v) => v,
            None if strict => return Err(format!("signed header {name:?} is missing")),
            None => String::new(),
        };
        lines.push(format!("{name}: {value}"));
    }
    Ok(lines.join("\n"))
}

/// Whether `date` is within [`MAX_CLOCK_SKEW`] of now.
pub(crate) fn check_date(date: &str) -> Result<(), String> {
    let when = httpdate::parse_http_date(date.trim())
        .map_err(|_| format!("Date header {date:?} is not an HTTP-date"))?;
    check_time(when, "Date")
}

/// Whether a unix-seconds `(created)` value is within [`MAX_CLOCK_SKEW`] of now.
pub(crate) fn check_created(created: &str) -> Result<(), String> {
    let secs: u64 = created
        .trim()
        .parse()
        .map_err(|_| format!("created={created:?} is not a unix timestamp"))?;
    check_time(
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs),
        "created",
    )
}

fn check_time(when: SystemTime, what: &str) -> Result<(), String> {
    let now = SystemTime::now();
    let skew = match now.duration_since(when) {
        Ok(past) => past,
        Err(e) => e.duration(),
    };
    if skew > MAX_CLOCK_SKEW {
        Err(format!(
            "{what} is {}s away from now (more than {}s)",
            skew.as_secs(),
            MAX_CLOCK_SKEW.as_secs()
        ))
    } else {
        Ok(())
    }
}

/// Checks a `Digest` (or RFC 9530 `Content-Digest`) header value against the body.
pub(crate) fn check_digest(
    digest: Option<&str>,
    content_digest: Option<&str>,
    body: &[u8],
) -> bool {
    let sha = Sha256::digest(body);
    if let Some(d) = digest {
        for part in d.split(',') {
            if let Some((alg, val)) = part.trim().split_once('=') {
                if alg.trim().eq_ignore_ascii_case("sha-256") {
                    return B64
                        .decode(val.trim())
                        .is_ok_and(|v| v.as_slice() == sha.as_slice());
                }
            }
        }
    }
    if let Some(d) = content_digest {
        for part in d.split(',') {
            if let Some((alg, val)) = part.trim().split_once('=') {
                if alg.trim().eq_ignore_ascii_case("sha-256") {
                    let val = val.trim().trim_matches(':');
                    return B64
                        .decode(val)
                        .is_ok_and(|v| v.as_slice() == sha.as_slice());
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mastodon_style_header() {
        let p = parse_signature_header(
            r#"keyId="https://a.example/users/x#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="YWJj+/=""#,
        )
        .unwrap();
        assert_eq!(p.key_id, "https://a.example/users/x#main-key");
        assert_eq!(p.algorithm.as_deref(), Some("rsa-sha256"));
        assert_eq!(
            p.headers,
            ["(request-target)", "host", "date", "digest", "content-type"]
        );
        assert_eq!(p.signature, "YWJj+/=");
    }

    #[test]
    fn defaults_headers_to_date() {
        let p = parse_signature_header(r#"keyId="k", signature="c2ln""#).unwrap();
        assert_eq!(p.headers, ["date"]);
    }

    #[test]
    fn digest_check() {
        let body = b"{}";
        assert!(check_digest(Some(&digest_header(body)), None, body));
        assert!(!check_digest(Some(&digest_header(b"x")), None, body));
        assert!(!check_digest(None, None, body));
        let cd = format!("sha-256=:{}:", B64.encode(Sha256::digest(body)));
        assert!(check_digest(None, Some(&cd), body));
    }

    #[test]
    fn date_window() {
        assert!(check_date(&httpdate::fmt_http_date(SystemTime::now())).is_ok());
        let old = SystemTime::now() - Duration::from_secs(7200);
        assert!(check_date(&httpdate::fmt_http_date(old)).is_err());
        assert!(check_date("yesterday").is_err());
    }
}
