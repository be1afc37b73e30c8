//! The machine limit: how many RSA-2048 signatures one core can make and check per second,
//! with aws-lc-rs (what Hearth signs and verifies with) and with the pure-Rust `rsa` 0.9 crate
//! (what much of the Rust fediverse uses), on a typical signing string.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::Context;
use hearth_federation::keys::{generate_keys, SigningKey, VerifyingKey};
use indicatif::ProgressBar;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};

/// RSA-2048 PKCS#1 v1.5 SHA-256 operations per second of one core's CPU time.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Limits {
    /// aws-lc-rs signatures made per second.
    pub aws_lc_signs_per_s: f64,
    /// aws-lc-rs signatures verified per second.
    pub aws_lc_verifies_per_s: f64,
    /// `rsa` 0.9 signatures made per second (`Signer::sign`, as Mastodon-compatible Rust code does).
    pub rsa_signs_per_s: f64,
    /// `rsa` 0.9 signatures verified per second.
    pub rsa_verifies_per_s: f64,
    /// Seconds of CPU time each figure was measured over.
    pub seconds_each: f64,
}

/// What a Mastodon-style POST signature covers: the signing string of a delivery.
const SIGNING_STRING: &str = "(request-target): post /groups/bench/inbox\n\
    host: groups.example.org\n\
    date: Tue, 01 Dec 2026 10:00:00 GMT\n\
    digest: SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\n\
    content-type: application/activity+json";

/// CPU time this thread has used so far.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes the current time of this clock into `ts`, which we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID is available on Linux");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// How often `op` runs per second of this thread's CPU time, over `seconds` of CPU time.
///
/// CPU time rather than wall time, so that other work sharing the core (the machine may be
/// busy) does not lower the figure: it is what one core can do.
fn rate(seconds: f64, mut op: impl FnMut()) -> f64 {
    // Warm up caches and lazily built tables.
    for _ in 0..5 {
        op();
    }
    let budget = Duration::from_secs_f64(seconds);
    let (start, wall) = (thread_cpu_time(), Instant::now());
    let mut count = 0u64;
    // The wall-time bound only guards against a thread that is never scheduled.
    while thread_cpu_time() - start < budget && wall.elapsed() < budget * 20 {
        for _ in 0..10 {
            op();
        }
        count += 10;
    }
    count as f64 / (thread_cpu_time() - start).as_secs_f64()
}

/// Measures the four rates, `seconds` each, on the calling thread.
pub fn measure(seconds: f64, progress: &ProgressBar) -> anyhow::Result<Limits> {
    let keys = generate_keys().context("generating an RSA-2048 key")?;
    let message = SIGNING_STRING.as_bytes();

    let signer = SigningKey::from_pem(
        "https://groups.example.org/groups/bench#main-key",
        &keys.private_key_pem,
    )?;
    let verifier = VerifyingKey::from_pem(&keys.public_key_pem)?;
    let signature = signer.sign(message);
    anyhow::ensure!(
        verifier.verify(message, &signature),
        "aws-lc-rs does not verify its own signature"
    );

    let private = rsa::RsaPrivateKey::from_pkcs8_pem(&keys.private_key_pem)
        .context("reading the key with the rsa crate")?;
    let public = rsa::RsaPublicKey::from_public_key_pem(&keys.public_key_pem)
        .context("reading the public key with the rsa crate")?;
    let rsa_signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(private);
    let rsa_verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(public);
    let rsa_signature = rsa_signer.sign(message);
    anyhow::ensure!(
        rsa_signature.to_vec() == signature,
        "the rsa crate and aws-lc-rs disagree on a PKCS#1 v1.5 signature"
    );

    progress.set_message("aws-lc-rs sign");
    let aws_lc_signs_per_s = rate(seconds, || {
        black_box(signer.sign(black_box(message)));
    });
    progress.inc(1);
    progress.set_message("aws-lc-rs verify");
    let aws_lc_verifies_per_s = rate(seconds, || {
        assert!(verifier.verify(black_box(message), black_box(&signature)));
    });
    progress.inc(1);
    progress.set_message("rsa 0.9 sign");
    let rsa_signs_per_s = rate(seconds, || {
        black_box(rsa_signer.sign(black_box(message)));
    });
    progress.inc(1);
    progress.set_message("rsa 0.9 verify");
    let rsa_verifies_per_s = rate(seconds, || {
        assert!(rsa_verifier
            .verify(black_box(message), black_box(&rsa_signature))
            .is_ok());
    });
    progress.inc(1);
    Ok(Limits {
        aws_lc_signs_per_s,
        aws_lc_verifies_per_s,
        rsa_signs_per_s,
        rsa_verifies_per_s,
        seconds_each: seconds,
    })
}
