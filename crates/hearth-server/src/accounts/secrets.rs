//! The secrets of accounts: argon2id password hashes, random tokens stored as SHA-256 hashes,
//! and TOTP codes. Hashing runs on the blocking pool so it never stalls request handling.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use super::{AuthError, TotpSetup};

/// A hash made once per process, so that checks for unknown users cost as much as real ones.
fn dummy_hash() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"no such account", &salt)
            .map(|hash| hash.to_string())
            .unwrap_or_default()
    })
    .clone()
}

/// An argon2id hash of `password` (PHC string).
pub(super) async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| AuthError::Invalid(format!("cannot hash the password: {e}")))
    })
    .await
    .map_err(|e| AuthError::Invalid(format!("cannot hash the password: {e}")))?
}

/// Whether `password` matches the stored `hash`.
pub(super) async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Checks `password` against a dummy hash, for the time it takes.
pub(super) async fn burn_password_check(password: String) {
    let hash = tokio::task::spawn_blocking(dummy_hash)
        .await
        .unwrap_or_default();
    verify_password(password, hash).await;
}

/// A random secret with a recognisable prefix, e.g. `hth_…` for API tokens.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// How a token is stored: hex SHA-256 (tokens are random, so no salt or stretching is needed).
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn totp(secret: &str, username: &str, issuer: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(issuer.to_owned()),
        username.to_owned(),
    )
    .ok()
}

/// A new TOTP secret and its `otpauth://` URL.
pub(super) fn new_totp(username: &str, issuer: &str) -> Result<TotpSetup, AuthError> {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let secret = Secret::Raw(bytes.to_vec()).to_encoded().to_string();
    // An issuer may not contain ':' (it separates issuer and account in the URL's label).
    let totp = totp(&secret, username, &issuer.replace(':', " "))
        .ok_or_else(|| AuthError::Invalid("cannot set up the authenticator".into()))?;
    Ok(TotpSetup {
        secret,
        url: totp.get_url(),
    })
}

/// Whether `code` is the current TOTP code of `secret` (one step of clock skew allowed).
pub(super) fn totp_matches(secret: &str, username: &str, code: &str) -> bool {
    totp(secret, username, "Hearth")
        .and_then(|t| t.check_current(code).ok())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse battery".into(), hash).await);
        assert!(!verify_password("anything".into(), dummy_hash()).await);
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token("hth");
        assert!(a.starts_with("hth_") && a.len() > 40);
        assert_ne!(a, new_token("hth"));
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_eq!(hash_token(&a).len(), 64);
    }

    #[test]
    fn totp_codes_match_their_secret() {
        let setup = new_totp("alice", "Hearth").unwrap();
        assert!(setup.url.starts_with("otpauth://totp/Hearth:alice?"));
        let code = totp(&setup.secret, "alice", "Hearth")
            .unwrap()
            .generate_current()
            .unwrap();
        assert!(totp_matches(&setup.secret, "alice", &code));
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(!totp_matches(&setup.secret, "alice", wrong));
    }
}
