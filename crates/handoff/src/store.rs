//! The SQLite file that holds everything that is not a secret.
//!
//! Architecture invariant: no secret is ever written here (see `keychain`). A test reads the whole file after
//! a connect and looks for the token.
//!
//! The schema is versioned with `PRAGMA user_version`; each migration runs once, in a transaction.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::{params, Connection as Sqlite, OptionalExtension};

mod admin;
mod api_keys;
mod assist;
mod fields;
mod jobs;
mod relay;
mod sessions;
mod settings;
mod setup;

pub use admin::{Forgotten, JobSummary, OutboundSummary, QueueSummary};
pub use api_keys::ApiKeyRow;
pub use assist::Reservation;
pub use fields::{DroppedValueRow, FieldRow, MappingRow};
pub use jobs::{JobOutcome, JobRow, LeaseHolder, JOB_HANDOFF, JOB_OPEN_TICKET};
pub use relay::{
    DeliveryInsert, DeliveryRow, DeliveryWriter, NewDelivery, OutboundRow, Reply, UrlKeyRow,
};
pub use setup::{SetupObjectRow, VerificationRow};

/// The file name inside the data folder.
pub const DATABASE_FILE: &str = "handoff.sqlite3";

/// Why the store failed. Messages name the file so the admin can look at it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data folder {path}: {source}")]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {path}: {source}; check that the folder is writable and the disk not full")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "the database failed: {0}; check that the data folder is writable and the disk not full"
    )]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database holds a value it cannot read back ({0}); it may have been edited by hand"
    )]
    Corrupt(String),
    #[error("the database lock was poisoned by an earlier failure; restart the app")]
    Poisoned,
    #[error("the database task stopped before it finished ({0}); restart the app")]
    Task(String),
    /// A debug build was told to fail here (`HANDOFF_FAULT`); release builds never produce it.
    #[error("the database write failed ({0})")]
    Injected(String),
}

/// The answer to [`Store::take_refresh_lease`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// The caller holds the lease and the refresh marker is set.
    Taken,
    /// Another live process is refreshing until `until_ms`.
    HeldBy { holder: String, until_ms: i64 },
}

/// Migrations in order; `user_version` is the number applied so far.
const MIGRATIONS: &[&str] = &[
    // 1: install identity and the Zendesk connection (one row: an installation talks to one account).
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE connection (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         subdomain TEXT NOT NULL,
         base_url TEXT NOT NULL,
         auth_method TEXT NOT NULL,
         email TEXT NOT NULL,
         user_id INTEGER NOT NULL,
         user_name TEXT NOT NULL,
         user_email TEXT,
         user_role TEXT NOT NULL,
         default_agent_id INTEGER,
         default_agent_name TEXT,
         default_agent_email TEXT,
         default_agent_role TEXT,
         demo INTEGER NOT NULL DEFAULT 0,
         connected_at TEXT NOT NULL
     );",
    // 2: OAuth. Only what is not secret: the client id, the grant, the scopes and the tokens' expiry (the tokens
    // and the client secret are in the keychain). `refresh_started_at` is the marker a refresh writes before it
    // calls the token endpoint and clears once the new pair is stored: found at start-up, it means a refresh
    // was interrupted. `reconnect_reason` set means the grant is gone and the admin must sign in again.
    "ALTER TABLE connection ADD COLUMN oauth_client_id TEXT;
     ALTER TABLE connection ADD COLUMN oauth_grant TEXT;
     ALTER TABLE connection ADD COLUMN oauth_scopes TEXT;
     ALTER TABLE connection ADD COLUMN token_expires_at TEXT;
     ALTER TABLE connection ADD COLUMN refresh_expires_at TEXT;
     ALTER TABLE connection ADD COLUMN refresh_started_at TEXT;
     ALTER TABLE connection ADD COLUMN reconnect_reason TEXT;",
    // 3: lose-nothing saves and cross-process refresh.
    // `secret_generation` names the keychain entries that hold the connection's credentials: a save writes new
    // entries under a new generation and switches to them in the same transaction as the rest of the row, so a
    // failed save leaves the previous connection with its own secrets. NULL means the entries of versions that
    // had no generations (the bare names). `stale_secrets` lists generations a save replaced whose entries are
    // still to be deleted ('' = the bare names): written in the switching transaction, removed once deleted.
    // `refresh_lease` is the one token refresh under way across every process sharing this file; `until` is
    // milliseconds since the Unix epoch, `holder` is `<pid>:<random>`, so a dead holder can be told apart.
    "ALTER TABLE connection ADD COLUMN secret_generation TEXT;
     CREATE TABLE stale_secrets (generation TEXT PRIMARY KEY, since TEXT NOT NULL);
     CREATE TABLE refresh_lease (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         holder TEXT NOT NULL,
         until_ms INTEGER NOT NULL
     );",
    // 4: sessions and the handoff engine. `handoff_jobs` is the durable queue: a row is written before a
    // handoff is acknowledged and is never deleted, so a restart finds every unfinished one. `in_flight_owner`
    // is written before a Zendesk call and cleared after; found set by another worker, it means that call's
    // outcome is unknown. `tickets` holds what the engine knows of the tickets it wrote (requester, closed);
    // `handoff_worker` is the lease that keeps one worker per data folder. Times that are compared are
    // milliseconds since the epoch; times that are shown are RFC 3339 text.
    "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE sessions (
         id TEXT PRIMARY KEY,
         contact_name TEXT,
         contact_email TEXT,
         contact_phone TEXT,
         contact_external_id TEXT,
         channel TEXT NOT NULL,
         mode TEXT NOT NULL,
         summary TEXT,
         sentiment TEXT,
         language TEXT,
         human_active INTEGER NOT NULL DEFAULT 0,
         ticket_id INTEGER,
         synced_turns INTEGER NOT NULL DEFAULT 0,
         handoff_state TEXT NOT NULL DEFAULT 'none',
         handoff_reason TEXT,
         created_at TEXT NOT NULL,
         updated_at TEXT NOT NULL,
         updated_ms INTEGER NOT NULL
     );
     CREATE INDEX sessions_by_email ON sessions (contact_email);
     CREATE INDEX sessions_by_phone ON sessions (contact_phone);
     CREATE INDEX sessions_by_external_id ON sessions (contact_external_id);
     CREATE INDEX sessions_by_ticket ON sessions (ticket_id);
     CREATE INDEX sessions_by_update ON sessions (updated_ms);
     CREATE TABLE turns (
         session_id TEXT NOT NULL REFERENCES sessions (id),
         seq INTEGER NOT NULL,
         role TEXT NOT NULL,
         text TEXT NOT NULL,
         at TEXT NOT NULL,
         PRIMARY KEY (session_id, seq)
     );
     CREATE TABLE tickets (
         id INTEGER PRIMARY KEY,
         requester_id INTEGER,
         closed INTEGER NOT NULL DEFAULT 0
     );
     CREATE TABLE handoff_jobs (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         session_id TEXT NOT NULL REFERENCES sessions (id),
         kind TEXT NOT NULL,
         request_id TEXT NOT NULL,
         state TEXT NOT NULL DEFAULT 'pending',
         turns_upto INTEGER NOT NULL,
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_ms INTEGER NOT NULL,
         in_flight_owner TEXT,
         uncertain INTEGER NOT NULL DEFAULT 0,
         reason TEXT,
         draft TEXT,
         requester_id INTEGER,
         ticket_id INTEGER,
         created INTEGER,
         requested_at TEXT NOT NULL,
         finished_at TEXT,
         UNIQUE (session_id, kind, request_id)
     );
     CREATE INDEX handoff_jobs_due ON handoff_jobs (state, next_attempt_ms);
     CREATE TABLE assist_notes (
         ticket_id INTEGER NOT NULL,
         note_hash TEXT NOT NULL,
         reserved_ms INTEGER NOT NULL,
         posted_ms INTEGER,
         PRIMARY KEY (ticket_id, note_hash)
     );
     CREATE TABLE handoff_worker (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         owner TEXT NOT NULL,
         heartbeat_ms INTEGER NOT NULL
     );",
    // 5: the sessions API's bearer keys. Only a SHA-256 hash of each key is kept: the key is shown once, when
    // it is made, and a copy of this file opens nothing.
    "CREATE TABLE api_keys (
         id TEXT PRIMARY KEY,
         label TEXT NOT NULL,
         hash TEXT NOT NULL UNIQUE,
         created_at TEXT NOT NULL,
         revoked_at TEXT
     );",
    // 6: reply sync. `url_keys` names the webhook URL's keys (their secrets are in the keychain); a retired key
    // opens the URL until its grace period ends. `deliveries` is every delivery Zendesk made, written before it
    // is acknowledged: accepted ones with their raw body and what became of them, rejected ones (bodies never
    // kept, the newest 1000 only) with why. An invocation id is stored once: a repeat only counts. Comments
    // delivered are `delivered_comments` (one row each: never delivered twice), `ticket_cursors` the newest
    // delivered per ticket, and `outbound` the durable queue to the AI platform's endpoint.
    "CREATE TABLE url_keys (id TEXT PRIMARY KEY, created_at TEXT NOT NULL, retired_at TEXT);
     CREATE TABLE deliveries (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         invocation_id TEXT,
         webhook_id TEXT,
         received_at TEXT NOT NULL,
         received_ms INTEGER NOT NULL,
         verdict TEXT NOT NULL,
         reason TEXT,
         key_id TEXT,
         signed INTEGER NOT NULL DEFAULT 0,
         body BLOB,
         ticket_id INTEGER,
         external_id TEXT,
         state TEXT NOT NULL,
         outcome TEXT,
         duplicates INTEGER NOT NULL DEFAULT 0,
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_ms INTEGER NOT NULL DEFAULT 0,
         finished_ms INTEGER
     );
     CREATE UNIQUE INDEX deliveries_by_invocation ON deliveries (invocation_id) WHERE invocation_id IS NOT NULL;
     CREATE INDEX deliveries_queued ON deliveries (state, next_attempt_ms);
     CREATE TABLE ticket_cursors (ticket_id INTEGER PRIMARY KEY, last_comment_id INTEGER NOT NULL);
     CREATE TABLE delivered_comments (
         comment_id INTEGER PRIMARY KEY,
         ticket_id INTEGER NOT NULL,
         session_id TEXT NOT NULL,
         at TEXT NOT NULL
     );
     CREATE TABLE outbound (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         comment_id INTEGER NOT NULL UNIQUE,
         session_id TEXT NOT NULL,
         payload TEXT NOT NULL,
         state TEXT NOT NULL DEFAULT 'pending',
         attempts INTEGER NOT NULL DEFAULT 0,
         next_attempt_ms INTEGER NOT NULL,
         last_error TEXT,
         created_at TEXT NOT NULL,
         delivered_at TEXT
     );
     CREATE INDEX outbound_due ON outbound (state, next_attempt_ms);",
    // 7: AI Fields. `ticket_fields` is the cached catalog (every field Zendesk listed, options as JSON
    // `[{"name","value"}]`), replaced whole by each fetch, and `ticket_fields_fetch` when that was.
    // `field_mappings` keeps, beside the admin's description, the field as it was when mapped (title, type,
    // option values), so drift can name what disappeared. `dropped_field_values` are values a ticket write
    // sent and Zendesk's answer did not carry (it drops invalid dropdown values silently).
    "CREATE TABLE ticket_fields (
         id INTEGER PRIMARY KEY,
         title TEXT NOT NULL,
         type TEXT NOT NULL,
         active INTEGER NOT NULL,
         system INTEGER NOT NULL,
         position INTEGER NOT NULL,
         options TEXT NOT NULL
     );
     CREATE TABLE ticket_fields_fetch (
         id INTEGER PRIMARY KEY CHECK (id = 1),
         fetched_at TEXT NOT NULL
     );
     CREATE TABLE field_mappings (
         field_id INTEGER PRIMARY KEY,
         description TEXT NOT NULL,
         title TEXT NOT NULL,
         type TEXT NOT NULL,
         option_values TEXT NOT NULL,
         mapped_at TEXT NOT NULL
     );
     CREATE TABLE dropped_field_values (
         session_id TEXT NOT NULL,
         ticket_id INTEGER NOT NULL,
         field_id INTEGER NOT NULL,
         sent TEXT NOT NULL,
         returned TEXT,
         at TEXT NOT NULL,
         PRIMARY KEY (session_id, ticket_id, field_id)
     );
     CREATE INDEX dropped_field_values_by_time ON dropped_field_values (at);",
    // 8: setup. `setup_objects` names the Zendesk objects setup made or adopted, one row per kind ('webhook',
    // 'trigger'): only these are ever changed or deleted. `verifications` keeps each end-to-end verification's
    // result, the checklist shows the newest.
    "CREATE TABLE setup_objects (
         kind TEXT PRIMARY KEY,
         zendesk_id TEXT NOT NULL,
         origin TEXT NOT NULL,
         at TEXT NOT NULL
     );
     CREATE TABLE verifications (
         id INTEGER PRIMARY KEY AUTOINCREMENT,
         started_at TEXT NOT NULL,
         finished_at TEXT NOT NULL,
         passed INTEGER NOT NULL,
         failed_step TEXT,
         detail TEXT
     );",
    // 9: verification steps. Each verification keeps its steps (id, state, duration, evidence, cause and fix) as
    // JSON, so the Verify screen shows the last run as it ran.
    "ALTER TABLE verifications ADD COLUMN steps TEXT;",
];

/// Milliseconds since the epoch: how the store keeps instants it compares.
pub(crate) fn millis(at: jiff::Timestamp) -> i64 {
    at.as_millisecond()
}

/// A handle on the database; clones share one SQLite connection.
#[derive(Clone)]
pub struct Store {
    sqlite: Arc<Mutex<Sqlite>>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// The connection row as stored. `connection` turns it into the domain type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionRow {
    pub subdomain: String,
    pub base_url: String,
    pub auth_method: String,
    pub email: String,
    pub user_id: u64,
    pub user_name: String,
    pub user_email: Option<String>,
    pub user_role: String,
    pub default_agent: Option<(u64, String, Option<String>, String)>,
    pub demo: bool,
    pub connected_at: String,
    /// Set for OAuth connections.
    pub oauth: Option<OAuthRow>,
    /// Set once the grant is gone: the admin must sign in again.
    pub reconnect_reason: Option<String>,
    /// Set while a token refresh is under way (and left behind by one that was interrupted).
    pub refresh_started_at: Option<String>,
    /// The keychain generation holding this connection's credentials (`None`: the bare entry names).
    pub secret_generation: Option<String>,
}

/// The OAuth columns of the connection row. No secret: the tokens are in the keychain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthRow {
    pub client_id: String,
    /// `authorization_code` or `client_credentials`.
    pub grant: String,
    /// Granted scopes, space-separated.
    pub scopes: String,
    pub token_expires_at: Option<String>,
    pub refresh_expires_at: Option<String>,
}

impl Store {
    /// Opens (creating when needed) the database in `data_dir` and brings its schema up to date.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateFolder {
            path: data_dir.to_owned(),
            source,
        })?;
        let path = data_dir.join(DATABASE_FILE);
        let mut sqlite = Sqlite::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        // WAL lets the CLI read while the app writes; a busy timeout rides out the other's short transactions.
        sqlite.pragma_update(None, "journal_mode", "WAL")?;
        sqlite.pragma_update(None, "synchronous", "FULL")?;
        sqlite.busy_timeout(std::time::Duration::from_secs(5))?;
        migrate(&mut sqlite)?;
        Ok(Store {
            sqlite: Arc::new(Mutex::new(sqlite)),
            path,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the blocking pool, so a write waiting for another process's transaction (up to the busy
    /// timeout) never stalls the async runtime. Async code writes through this; WAL reads never wait for a
    /// writer, so short reads may run inline.
    pub async fn call<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || work(&store))
            .await
            .map_err(|error| StoreError::Task(error.to_string()))?
    }

    fn lock(&self) -> Result<MutexGuard<'_, Sqlite>, StoreError> {
        self.sqlite.lock().map_err(|_| StoreError::Poisoned)
    }

    /// The installation's stable id, created on first use. It namespaces keychain entries.
    pub fn install_id(&self) -> Result<String, StoreError> {
        let sqlite = self.lock()?;
        let existing: Option<String> = sqlite
            .query_row(
                "SELECT value FROM meta WHERE key = 'install_id'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(id);
        }
        let id = ulid::Ulid::new().to_string().to_ascii_lowercase();
        sqlite.execute(
            "INSERT INTO meta (key, value) VALUES ('install_id', ?1)",
            params![id],
        )?;
        Ok(id)
    }

    pub fn connection(&self) -> Result<Option<ConnectionRow>, StoreError> {
        let sqlite = self.lock()?;
        let row = sqlite
            .query_row(
                "SELECT subdomain, base_url, auth_method, email, user_id, user_name, user_email, user_role,
                        default_agent_id, default_agent_name, default_agent_email, default_agent_role,
                        demo, connected_at, oauth_client_id, oauth_grant, oauth_scopes, token_expires_at,
                        refresh_expires_at, reconnect_reason, refresh_started_at, secret_generation
                 FROM connection WHERE id = 1",
                [],
                |row| {
                    let agent_id: Option<i64> = row.get(8)?;
                    let agent_name: Option<String> = row.get(9)?;
                    let agent_role: Option<String> = row.get(11)?;
                    let default_agent = match (agent_id, agent_name, agent_role) {
                        (Some(id), Some(name), Some(role)) => Some((id as u64, name, row.get(10)?, role)),
                        _ => None,
                    };
                    let client_id: Option<String> = row.get(14)?;
                    let grant: Option<String> = row.get(15)?;
                    let oauth = match (client_id, grant) {
                        (Some(client_id), Some(grant)) => Some(OAuthRow {
                            client_id,
                            grant,
                            scopes: row.get::<_, Option<String>>(16)?.unwrap_or_default(),
                            token_expires_at: row.get(17)?,
                            refresh_expires_at: row.get(18)?,
                        }),
                        _ => None,
                    };
                    Ok(ConnectionRow {
                        subdomain: row.get(0)?,
                        base_url: row.get(1)?,
                        auth_method: row.get(2)?,
                        email: row.get(3)?,
                        user_id: row.get::<_, i64>(4)? as u64,
                        user_name: row.get(5)?,
                        user_email: row.get(6)?,
                        user_role: row.get(7)?,
                        default_agent,
                        demo: row.get(12)?,
                        connected_at: row.get(13)?,
                        oauth,
                        reconnect_reason: row.get(19)?,
                        refresh_started_at: row.get(20)?,
                        secret_generation: row.get(21)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// Replaces the connection row in one transaction: durable before the caller reports success.
    ///
    /// When the row switches to another secret generation, the replaced generation is listed in `stale_secrets`
    /// in the same transaction, and returned: its keychain entries are to be deleted once this has committed
    /// (see [`Store::forget_stale_secrets`]). Until then they are harmless and findable.
    pub fn save_connection(&self, row: &ConnectionRow) -> Result<Option<String>, StoreError> {
        crate::fault::fail_at("save:store_commit").map_err(StoreError::Injected)?;
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        let previous: Option<Option<String>> = tx
            .query_row(
                "SELECT secret_generation FROM connection WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let stale = match previous {
            Some(old) if old != row.secret_generation => {
                let old = old.unwrap_or_default();
                tx.execute(
                    "INSERT OR REPLACE INTO stale_secrets (generation, since) VALUES (?1, ?2)",
                    params![old, row.connected_at],
                )?;
                Some(old)
            }
            _ => None,
        };
        let agent = row.default_agent.as_ref();
        let oauth = row.oauth.as_ref();
        tx.execute(
            "INSERT OR REPLACE INTO connection (id, subdomain, base_url, auth_method, email, user_id, user_name,
                 user_email, user_role, default_agent_id, default_agent_name, default_agent_email,
                 default_agent_role, demo, connected_at, oauth_client_id, oauth_grant, oauth_scopes,
                 token_expires_at, refresh_expires_at, reconnect_reason, refresh_started_at, secret_generation)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                     ?20, ?21, ?22)",
            params![
                row.subdomain,
                row.base_url,
                row.auth_method,
                row.email,
                row.user_id as i64,
                row.user_name,
                row.user_email,
                row.user_role,
                agent.map(|a| a.0 as i64),
                agent.map(|a| a.1.clone()),
                agent.and_then(|a| a.2.clone()),
                agent.map(|a| a.3.clone()),
                row.demo,
                row.connected_at,
                oauth.map(|o| o.client_id.clone()),
                oauth.map(|o| o.grant.clone()),
                oauth.map(|o| o.scopes.clone()),
                oauth.and_then(|o| o.token_expires_at.clone()),
                oauth.and_then(|o| o.refresh_expires_at.clone()),
                row.reconnect_reason,
                row.refresh_started_at,
                row.secret_generation,
            ],
        )?;
        // A new connection starts with no refresh under way, whoever held the old one's lease.
        tx.execute("DELETE FROM refresh_lease", [])?;
        tx.commit()?;
        Ok(stale)
    }

    /// Replaces the saved connection's default agent (`None`: tickets stay unassigned): (id, name, email, role).
    /// Returns false when no connection is saved.
    pub fn set_default_agent(
        &self,
        agent: Option<(u64, &str, Option<&str>, &str)>,
    ) -> Result<bool, StoreError> {
        let changed = self.lock()?.execute(
            "UPDATE connection SET default_agent_id = ?1, default_agent_name = ?2, default_agent_email = ?3,
                    default_agent_role = ?4
             WHERE id = 1",
            params![
                agent.map(|a| a.0 as i64),
                agent.map(|a| a.1),
                agent.and_then(|a| a.2),
                agent.map(|a| a.3),
            ],
        )?;
        Ok(changed == 1)
    }

    /// The secret generation the saved connection uses (`None` for the bare entry names, or no connection).
    pub fn secret_generation(&self) -> Result<Option<String>, StoreError> {
        let generation: Option<Option<String>> = self
            .lock()?
            .query_row(
                "SELECT secret_generation FROM connection WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(generation.flatten())
    }

    /// Generations whose keychain entries a save replaced and that are not deleted yet ('' = the bare names).
    pub fn stale_secret_generations(&self) -> Result<Vec<String>, StoreError> {
        let sqlite = self.lock()?;
        let mut statement =
            sqlite.prepare("SELECT generation FROM stale_secrets ORDER BY since")?;
        let rows = statement.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The entries of `generation` are deleted from the keychain.
    pub fn forget_stale_secrets(&self, generation: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "DELETE FROM stale_secrets WHERE generation = ?1",
            params![generation],
        )?;
        Ok(())
    }

    /// Takes the cross-process refresh lease for `holder` until `until_ms` when it is free, expired, already
    /// ours, or held by `holder_is_dead`; on success the refresh marker is set in the same transaction, so the
    /// marker is durable before the token endpoint is called. Returns the current holder when it is not ours.
    pub fn take_refresh_lease(
        &self,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
        started_at: &str,
        holder_is_dead: impl Fn(&str) -> bool,
    ) -> Result<Lease, StoreError> {
        let mut sqlite = self.lock()?;
        // IMMEDIATE: the read and the write are one step for every process (no two takers both see it free).
        let tx = sqlite.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: Option<(String, i64)> = tx
            .query_row(
                "SELECT holder, until_ms FROM refresh_lease WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((other, other_until)) = &current {
            if other != holder && *other_until > now_ms && !holder_is_dead(other) {
                return Ok(Lease::HeldBy {
                    holder: other.clone(),
                    until_ms: *other_until,
                });
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO refresh_lease (id, holder, until_ms) VALUES (1, ?1, ?2)",
            params![holder, until_ms],
        )?;
        tx.execute(
            "UPDATE connection SET refresh_started_at = ?1 WHERE id = 1",
            params![started_at],
        )?;
        tx.commit()?;
        Ok(Lease::Taken)
    }

    /// Gives the lease back without touching the marker (a refresh whose answer is unknown keeps it).
    pub fn release_refresh_lease(&self, holder: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "DELETE FROM refresh_lease WHERE holder = ?1",
            params![holder],
        )?;
        Ok(())
    }

    /// Whether anyone holds the refresh lease now (an expired lease counts as free).
    pub fn refresh_lease(&self) -> Result<Option<(String, i64)>, StoreError> {
        let lease = self
            .lock()?
            .query_row(
                "SELECT holder, until_ms FROM refresh_lease WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(lease)
    }

    /// Records the stored pair's expiry, clears the refresh marker and the reconnect state (Zendesk just
    /// issued or accepted this pair), and gives back `holder`'s lease, in one transaction: the marker is gone
    /// only once the expiry describes the pair in the keychain.
    pub fn finish_refresh(
        &self,
        holder: Option<&str>,
        token_expires_at: Option<&str>,
        refresh_expires_at: Option<&str>,
    ) -> Result<(), StoreError> {
        let mut sqlite = self.lock()?;
        let tx = sqlite.transaction()?;
        tx.execute(
            "UPDATE connection SET token_expires_at = ?1, refresh_expires_at = ?2, refresh_started_at = NULL,
                 reconnect_reason = NULL
             WHERE id = 1",
            params![token_expires_at, refresh_expires_at],
        )?;
        if let Some(holder) = holder {
            tx.execute(
                "DELETE FROM refresh_lease WHERE holder = ?1",
                params![holder],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Zendesk accepted the saved credentials: whatever marked the connection as needing a new sign-in or an
    /// interrupted refresh no longer holds.
    pub fn clear_reconnect(&self) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE connection SET reconnect_reason = NULL, refresh_started_at = NULL WHERE id = 1",
            [],
        )?;
        Ok(())
    }

    /// Marks the connection as needing a new sign-in (the grant is gone), clearing any refresh marker.
    pub fn require_reconnect(&self, reason: &str) -> Result<(), StoreError> {
        self.lock()?.execute(
            "UPDATE connection SET reconnect_reason = ?1, refresh_started_at = NULL WHERE id = 1",
            params![reason],
        )?;
        Ok(())
    }

    pub fn delete_connection(&self) -> Result<(), StoreError> {
        self.lock()?.execute("DELETE FROM connection", [])?;
        Ok(())
    }
}

fn migrate(sqlite: &mut Sqlite) -> Result<(), StoreError> {
    let applied: i64 = sqlite.pragma_query_value(None, "user_version", |row| row.get(0))?;
    let applied = usize::try_from(applied)
        .map_err(|_| StoreError::Corrupt(format!("user_version {applied}")))?;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Corrupt(format!(
            "schema version {applied} is newer than this build knows ({}); update the app",
            MIGRATIONS.len()
        )));
    }
    for (index, migration) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = sqlite.transaction()?;
        tx.execute_batch(migration)?;
        tx.pragma_update(None, "user_version", (index + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
