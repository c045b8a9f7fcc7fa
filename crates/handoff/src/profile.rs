//! A profile: one data folder (SQLite, logs) and its keychain namespace. The CLI and the desktop app open the
//! same default profile, so what one saves the other sees.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use url::Url;

use crate::connect::{AuthMethod, Connection, OAuthDetails, UserSummary};
use crate::keychain::{Keychain, SecretStoreKind};
use crate::oauth::GrantKind;
use crate::store::{ConnectionRow, OAuthRow, Store, StoreError};
use crate::subdomain::Subdomain;

/// The app's identifier; also the name of its data folder.
pub const APP_IDENTIFIER: &str = "cx.handoff.console";

/// Overrides the data folder for the CLI and the app (tests point it at a temporary folder).
pub const DATA_DIR_VAR: &str = "HANDOFF_DATA_DIR";
/// Picks the secret store (`keychain` or `keyutils`) for the CLI and the app.
pub const SECRET_STORE_VAR: &str = "HANDOFF_SECRET_STORE";

/// `$HANDOFF_DATA_DIR`, else `$XDG_DATA_HOME/cx.handoff.console`, else `~/.local/share/cx.handoff.console`
/// (the folder Tauri's `app_data_dir` resolves to on Linux).
pub fn default_data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(DATA_DIR_VAR).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
        })?;
    Some(data_home.join(APP_IDENTIFIER))
}

/// An open profile.
#[derive(Debug, Clone)]
pub struct Profile {
    data_dir: PathBuf,
    store: Store,
    install_id: String,
    secret_store: SecretStoreKind,
}

impl Profile {
    /// Opens the profile in `data_dir`. The keychain is not touched until a secret is needed, so a status
    /// query works even where the keychain is unreachable.
    pub fn open(data_dir: &Path, secret_store: SecretStoreKind) -> Result<Profile, StoreError> {
        let store = Store::open(data_dir)?;
        let install_id = store.install_id()?;
        Ok(Profile {
            data_dir: data_dir.to_owned(),
            store,
            install_id,
            secret_store,
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// The installation's id: it namespaces keychain entries and is the webhook URL's organization id.
    pub fn install_id(&self) -> &str {
        &self.install_id
    }

    /// Which secret store the profile's secrets live in.
    pub fn secret_store(&self) -> SecretStoreKind {
        self.secret_store
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The keychain, with the saved connection's credentials (its secret generation). Opening it does not
    /// touch the keychain: the first call does.
    pub fn keychain(&self) -> Result<Keychain, StoreError> {
        Ok(Keychain::open(
            self.secret_store,
            &self.install_id,
            self.store.secret_generation()?,
        ))
    }

    /// The saved connection, if any.
    pub fn connection(&self) -> Result<Option<Connection>, StoreError> {
        self.store
            .connection()?
            .map(connection_from_row)
            .transpose()
    }
}

/// A folder of the profile the console offers to open in the system's file manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    /// The data folder: the SQLite file (settings, sessions, deliveries).
    Data,
    /// The daily log files.
    Logs,
    /// The diagnostics bundles the console saves (`bundle::save`).
    Diagnostics,
}

impl Folder {
    pub fn as_str(self) -> &'static str {
        match self {
            Folder::Data => "data",
            Folder::Logs => "logs",
            Folder::Diagnostics => "diagnostics",
        }
    }

    pub fn parse(text: &str) -> Option<Folder> {
        [Folder::Data, Folder::Logs, Folder::Diagnostics]
            .into_iter()
            .find(|folder| folder.as_str() == text)
    }

    /// Where it is for `profile`.
    pub fn path(self, profile: &Profile) -> PathBuf {
        match self {
            Folder::Data => profile.data_dir().to_owned(),
            Folder::Logs => profile.logs_dir(),
            Folder::Diagnostics => profile.data_dir().join("diagnostics"),
        }
    }
}

/// Why a folder was not opened. Each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    #[error("{0:?} is not a folder the console opens: use data, logs or diagnostics")]
    Unknown(String),
    #[error("{path} could not be made ready to open: {error}")]
    Create { path: String, error: std::io::Error },
    #[error("the file manager did not open {path}: {error}; open the folder by hand")]
    Browser {
        path: String,
        error: crate::oauth::browser::BrowserError,
    },
}

/// Opens one of the profile's own folders (named, never a path from the caller) in the system's file manager,
/// through the same opener as the browser (a `file://` URL). A folder not written yet is made first.
/// Returns the folder opened.
pub fn open_folder(
    profile: &Profile,
    folder: &str,
    opener: &dyn crate::oauth::browser::Browser,
) -> Result<PathBuf, FolderError> {
    let folder = Folder::parse(folder).ok_or_else(|| FolderError::Unknown(folder.to_owned()))?;
    let path = folder.path(profile);
    let shown = path.display().to_string();
    std::fs::create_dir_all(&path).map_err(|error| FolderError::Create {
        path: shown.clone(),
        error,
    })?;
    let absolute = std::fs::canonicalize(&path).map_err(|error| FolderError::Create {
        path: shown.clone(),
        error,
    })?;
    let url = Url::from_directory_path(&absolute).map_err(|()| FolderError::Create {
        path: shown.clone(),
        error: std::io::Error::other("not an absolute path"),
    })?;
    opener
        .open(&url)
        .map_err(|error| FolderError::Browser { path: shown, error })?;
    Ok(absolute)
}

/// What `handoff status` and the status bar show.
#[derive(Debug, Clone)]
pub struct Status {
    pub connection: Option<Connection>,
    pub api_token_deadline: Option<crate::connect::ApiTokenDeadline>,
}

pub fn status(profile: &Profile, now: Timestamp) -> Result<Status, StoreError> {
    let connection = profile.connection()?;
    let api_token_deadline = connection.as_ref().and_then(|c| c.api_token_deadline(now));
    Ok(Status {
        connection,
        api_token_deadline,
    })
}

/// The row for `connection`, whose credentials are in the keychain generation `secret_generation`.
pub(crate) fn connection_row(
    connection: &Connection,
    secret_generation: Option<String>,
) -> ConnectionRow {
    ConnectionRow {
        subdomain: connection.subdomain.to_string(),
        base_url: connection.base_url.to_string(),
        auth_method: connection.auth_method.as_str().to_owned(),
        email: connection.email.clone(),
        user_id: connection.user.id,
        user_name: connection.user.name.clone(),
        user_email: connection.user.email.clone(),
        user_role: connection.user.role.clone(),
        default_agent: connection
            .default_agent
            .as_ref()
            .map(|a| (a.id, a.name.clone(), a.email.clone(), a.role.clone())),
        demo: connection.demo,
        connected_at: connection.connected_at.to_string(),
        oauth: connection.oauth.as_ref().map(|oauth| OAuthRow {
            client_id: oauth.client_id.clone(),
            grant: oauth.grant.as_str().to_owned(),
            scopes: oauth.scopes.join(" "),
            token_expires_at: oauth.token_expires_at.map(|t| t.to_string()),
            refresh_expires_at: oauth.refresh_expires_at.map(|t| t.to_string()),
        }),
        reconnect_reason: connection.reconnect_required.clone(),
        refresh_started_at: None,
        secret_generation,
    }
}

fn connection_from_row(row: ConnectionRow) -> Result<Connection, StoreError> {
    let corrupt =
        |what: &str, value: &str| StoreError::Corrupt(format!("connection.{what} = {value:?}"));
    let subdomain =
        Subdomain::parse(&row.subdomain).map_err(|_| corrupt("subdomain", &row.subdomain))?;
    let base_url = Url::parse(&row.base_url).map_err(|_| corrupt("base_url", &row.base_url))?;
    let auth_method = match row.auth_method.as_str() {
        "api_token" => AuthMethod::ApiToken,
        "oauth" => AuthMethod::OAuth,
        other => return Err(corrupt("auth_method", other)),
    };
    let connected_at = row
        .connected_at
        .parse()
        .map_err(|_| corrupt("connected_at", &row.connected_at))?;
    let instant = |what: &str, value: Option<&String>| -> Result<Option<Timestamp>, StoreError> {
        value
            .map(|raw| raw.parse().map_err(|_| corrupt(what, raw)))
            .transpose()
    };
    let oauth = match &row.oauth {
        None => None,
        Some(oauth) => Some(OAuthDetails {
            client_id: oauth.client_id.clone(),
            grant: GrantKind::parse(&oauth.grant)
                .ok_or_else(|| corrupt("oauth_grant", &oauth.grant))?,
            scopes: oauth.scopes.split_whitespace().map(str::to_owned).collect(),
            token_expires_at: instant("token_expires_at", oauth.token_expires_at.as_ref())?,
            refresh_expires_at: instant("refresh_expires_at", oauth.refresh_expires_at.as_ref())?,
        }),
    };
    Ok(Connection {
        subdomain,
        base_url,
        auth_method,
        email: row.email,
        user: UserSummary {
            id: row.user_id,
            name: row.user_name,
            email: row.user_email,
            role: row.user_role,
        },
        default_agent: row
            .default_agent
            .map(|(id, name, email, role)| UserSummary {
                id,
                name,
                email,
                role,
            }),
        demo: row.demo,
        connected_at,
        oauth,
        reconnect_required: row.reconnect_reason,
        refresh_interrupted: row.refresh_started_at.is_some(),
    })
}
