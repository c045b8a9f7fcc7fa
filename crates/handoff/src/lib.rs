//! The handoff core: everything the desktop console and the `handoff` CLI do, with no GUI dependency.
//!
//! Layout:
//! - [`subdomain`]: the admin's subdomain input, normalized.
//! - [`message`]: how messages quote what an admin typed and end their sentences.
//! - [`clock`]: where "now" comes from (injected everywhere time matters).
//! - [`keychain`]: secrets, only in the OS keychain.
//! - [`store`]: the SQLite file for everything that is not a secret.
//! - [`profile`]: a data folder plus its keychain namespace; the saved connection.
//! - [`oauth`]: OAuth sign-in (PKCE, loopback redirect, browser seam) and the refreshing token source.
//! - [`relay`]: reply sync: the signed webhook URL, Zendesk's signature, the delivery payload.
//! - [`api`]: the sessions HTTP API for the AI platform, its bearer keys, the View session page.
//! - [`service`]: what `handoff serve` runs and the console hosts: the server and the handoff worker.
//! - [`server`]: serving HTTP on a caller-bound listener with header, time and connection limits.
//! - [`connect`]: Verify & Save, check by check, with an API token or OAuth.
//! - [`account`]: the saved connection signed in, its live check, and start-up recovery.
//! - [`agent`]: agents named by ID once connected: the default agent, the rep a verification replies as.
//! - [`fault`]: test-only fault points, honoured by debug builds.
//! - [`demo`]: the embedded simulator, connected, for trying the product without a Zendesk account.
//! - [`settings`]: the non-secret settings the engine reads (tag prefix, ticket for every conversation, public URL).
//! - [`session`]: sessions, their turns and validation; what a handoff derives (language, sentiment, summary).
//! - [`handoff`]: the handoff engine: ticket content and tags, "View session" links, the durable queue's worker,
//!   assist notes.
//! - [`fields`]: AI Fields: the ticket-field catalog, mappings and drift, the offline and LLM fillers, read-back.
//! - [`panics`]: the panic hook the binaries install, so a panic reaches the log.
//! - [`setup`]: the Zendesk webhook and trigger made, adopted and repaired; the live checklist; the manual guide.
//! - [`verify`]: the one-click end-to-end verification, step by step.
//! - [`doctor`]: troubleshooting: each documented symptom's probes, cause, fix and action.
//! - [`bundle`]: the redacted diagnostics bundle (a zip).
//! - [`rotate`], [`disconnect`]: new credentials, URL key or signing secret; removing what the product made.
//!
//! Architecture invariants: this crate never depends on tauri; it talks to Zendesk only through
//! `crates/zendesk`; secrets live only in the keychain; clock-dependent functions take `now` or a [`clock::Clock`].

pub mod account;
pub mod agent;
pub mod api;
pub mod bench;
pub mod bundle;
pub mod clock;
pub mod connect;
pub mod demo;
pub mod disconnect;
pub mod doctor;
pub mod fault;
pub mod fields;
pub mod handoff;
pub mod keychain;
pub mod message;
pub mod oauth;
pub mod panics;
pub mod profile;
pub mod relay;
pub mod rotate;
pub mod server;
pub mod service;
pub mod session;
pub mod settings;
pub mod setup;
pub mod store;
pub mod subdomain;
pub mod verify;

pub use zendesk::SecretString;

/// Errors of connect-time operations that are not a check's verdict (those are reported as checks).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Zendesk(zendesk::Error),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Keychain(#[from] keychain::KeychainError),
}
