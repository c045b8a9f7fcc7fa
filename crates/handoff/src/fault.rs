//! Test-only fault injection: `HANDOFF_FAULT=<point>` makes a debug build fail or crash at a named point, so
//! tests can prove that every point of a multi-step write leaves a working state. Release builds ignore the
//! variable: only the debug builds the tests run can be told to misbehave.
//!
//! Points that crash ([`abort_at`]) end the process as `kill -9` would (no destructor runs, nothing is
//! flushed); points that fail ([`fail_at`]) return an error as a full disk or a refused keychain write would.

/// The variable naming the point; one point per process.
pub const FAULT_VAR: &str = "HANDOFF_FAULT";

/// The points of a save where a fault can be injected, in the order a save passes them. `save:keychain_write`
/// and `save:store_commit` fail; the others crash.
pub const SAVE_FAULT_POINTS: &[&str] = &[
    "save:keychain_write",
    "save:after_new_secrets",
    "save:store_commit",
    "save:after_commit",
];

fn wanted(point: &str) -> bool {
    cfg!(debug_assertions) && std::env::var(FAULT_VAR).is_ok_and(|wanted| wanted == point)
}

/// Aborts the process when `HANDOFF_FAULT` names `point` (debug builds only).
pub fn abort_at(point: &str) {
    if wanted(point) {
        eprintln!("handoff: {FAULT_VAR} aborts the process at {point}");
        std::process::abort();
    }
}

/// An error naming the injected fault when `HANDOFF_FAULT` names `point` (debug builds only).
pub fn fail_at(point: &str) -> Result<(), String> {
    if wanted(point) {
        return Err(format!("injected by {FAULT_VAR} at {point}"));
    }
    Ok(())
}
