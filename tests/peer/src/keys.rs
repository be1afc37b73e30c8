//! A process-wide supply of RSA-2048 private keys.
//!
//! Generating an RSA key takes a few hundred milliseconds even with the
//! optimised `rsa` build, and the federation tests want many of them. Two
//! things keep that cheap:
//!
//! * keys are kept on disk (by default in `$TMPDIR/hearth-test-peer-keys`,
//!   or in `$HEARTH_TEST_PEER_KEY_DIR`) and reused by later test processes;
//!   within one process every key is handed out at most once, so two actors
//!   of the same process never share a key;
//! * once a key has been asked for, a background thread prepares the next few
//!   so that they are usually ready by the time they are needed.
//!
//! Set `HEARTH_TEST_PEER_KEY_DIR` to an empty string to disable the disk cache.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, OnceLock};

use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;

/// How many keys the background thread keeps ready ahead of demand.
const PREFILL: usize = 4;

struct Pool {
    state: Mutex<PoolState>,
    ready_cv: Condvar,
}

#[derive(Default)]
struct PoolState {
    /// Index of the next key to hand out.
    next: usize,
    /// Keys prepared ahead of time, by index.
    ready: HashMap<usize, RsaPrivateKey>,
    /// Indexes some thread is loading or generating right now.
    in_progress: HashSet<usize>,
    /// Whether the background thread is running.
    filler_running: bool,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(PoolState::default()),
        ready_cv: Condvar::new(),
    })
}

fn cache_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("HEARTH_TEST_PEER_KEY_DIR") {
        Some(d) if d.is_empty() => return None,
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join("hearth-test-peer-keys"),
    };
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

fn load_or_generate(index: usize) -> RsaPrivateKey {
    let dir = cache_dir();
    let path = dir
        .as_ref()
        .map(|d| d.join(format!("rsa2048-{index:04}.pem")));
    if let Some(path) = &path {
        if let Ok(pem) = std::fs::read_to_string(path) {
            if let Ok(key) = RsaPrivateKey::from_pkcs8_pem(&pem) {
                return key;
            }
        }
    }
    let key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
        .expect("RSA-2048 key generation failed");
    if let Some(path) = &path {
        if let Ok(pem) = key.to_pkcs8_pem(LineEnding::LF) {
            // Write then rename so that concurrent processes never read a
            // half-written file.
            let tmp = path.with_extension(format!("tmp-{}-{}", std::process::id(), index));
            if std::fs::write(&tmp, pem.as_bytes()).is_ok() && std::fs::rename(&tmp, path).is_err()
            {
                let _ = std::fs::remove_file(&tmp);
            }
        }
    }
    key
}

/// Hands out a private key no other caller in this process has received.
pub(crate) fn take_key() -> RsaPrivateKey {
    let pool = pool();
    let mut state = pool.state.lock().unwrap();
    let index = state.next;
    state.next += 1;
    start_filler(&mut state);
    loop {
        if let Some(key) = state.ready.remove(&index) {
            return key;
        }
        if !state.in_progress.contains(&index) {
            break;
        }
        state = pool.ready_cv.wait(state).unwrap();
    }
    state.in_progress.insert(index);
    drop(state);
    let key = load_or_generate(index);
    pool.state.lock().unwrap().in_progress.remove(&index);
    key
}

fn start_filler(state: &mut PoolState) {
    if state.filler_running {
        return;
    }
    state.filler_running = true;
    let spawned = std::thread::Builder::new()
        .name("hearth-test-peer-keygen".into())
        .spawn(fill);
    if spawned.is_err() {
        state.filler_running = false;
    }
}

fn fill() {
    let pool = pool();
    loop {
        let index = {
            let mut state = pool.state.lock().unwrap();
            let candidate = (state.next..state.next + PREFILL)
                .find(|i| !state.ready.contains_key(i) && !state.in_progress.contains(i));
            match candidate {
                Some(i) => {
                    state.in_progress.insert(i);
                    i
                }
                None => {
                    state.filler_running = false;
                    return;
                }
            }
        };
        let key = load_or_generate(index);
        let mut state = pool.state.lock().unwrap();
        state.in_progress.remove(&index);
        // Also when `index` was handed out meanwhile: its taker waits for it.
        state.ready.insert(index, key);
        pool.ready_cv.notify_all();
    }
}
