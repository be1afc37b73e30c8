//! Progress bars on stderr (hidden when stderr is not a terminal), so that the report on
//! stdout stays clean.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps, labelled `message`.
pub fn bar(len: u64, message: &str) -> ProgressBar {
    let bar = ProgressBar::new(len).with_message(message.to_owned());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg:<48} [{bar:30}] {pos:>6}/{len:<6} {per_sec:>10} eta {eta}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A spinner for a wait of unknown length.
pub fn spinner(message: &str) -> ProgressBar {
    let spinner = ProgressBar::new_spinner().with_message(message.to_owned());
    spinner.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("a valid template"),
    );
    spinner.enable_steady_tick(Duration::from_millis(100));
    spinner
}

/// Notes a finished step on stderr.
pub fn note(text: impl AsRef<str>) {
    eprintln!("  {}", text.as_ref());
}
