//! Panics reach the log. The desktop app has no terminal anyone reads, and a panic in a command's task does not
//! end the process: without this hook its message would be lost. The binaries call [`route_to_log`] once the
//! subscriber is installed (the core never installs either itself).
//!
//! The message is logged as the panic wrote it. It cannot hold a secret as long as secrets are
//! [`SecretString`](zendesk::SecretString)s, whose `Debug` and `Display` print `<redacted>`: the canary tests
//! panic on purpose with a token response in the message (`HANDOFF_FAULT=panic:token_response`) and grep the
//! log and the terminal for the tokens and the client secret.

use std::panic::PanicHookInfo;

/// The `tracing` target panics are logged under.
pub const TARGET: &str = "handoff::panic";

/// Logs every panic as an error event (thread, location, message), then runs the hook that was installed before
/// (Rust's default prints the same message to standard error, where the CLI's log goes).
pub fn route_to_log() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        log(info);
        previous(info);
    }));
}

fn log(info: &PanicHookInfo<'_>) {
    let location = info
        .location()
        .map(|at| format!("{}:{}", at.file(), at.line()))
        .unwrap_or_default();
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    tracing::error!(target: TARGET, thread, %location, "panicked: {}", message(info));
}

/// A panic's payload is a `&str` or a `String` for every `panic!`/`expect`; anything else has no text to show.
fn message<'a>(info: &'a PanicHookInfo<'_>) -> &'a str {
    let payload = info.payload();
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)")
}
