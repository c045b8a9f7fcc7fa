//! The one save path of Verify & Save, for both auth methods.
//!
//! Invariant (lose nothing): a save that fails at any step leaves the previous connection exactly as it was,
//! secrets included. The new credentials are written to the keychain under a NEW generation while the previous
//! connection keeps its own entries; the SQLite commit switches the connection row to the new generation and,
//! in the same transaction, lists the previous generation as stale; only after that commit are the previous
//! entries deleted. A crash between the commit and the deletion leaves stale entries that the next save or
//! [`purge_stale_secrets`] removes; a failed write removes the new entries it made.

use zendesk::SecretString;

use super::Connection;
use crate::keychain::{Keychain, KeychainError, SecretName};
use crate::profile::{connection_row, Profile};
use crate::store::StoreError;

/// Why a save did not happen. Either way the previous connection is untouched.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Keychain(#[from] KeychainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Saves `connection` (which passed every check) with its credentials `secrets`, replacing the saved one.
pub(crate) async fn save(
    profile: &Profile,
    connection: &Connection,
    secrets: &[(SecretName, SecretString)],
) -> Result<(), SaveError> {
    debug_assert!(secrets.iter().all(|(name, _)| name.is_credential()));
    let generation = ulid::Ulid::new().to_string().to_ascii_lowercase();
    let keychain = profile
        .keychain()?
        .with_generation(Some(generation.clone()));

    if let Err(error) = write_all(&keychain, secrets).await {
        forget(&keychain, "after a failed keychain write").await;
        return Err(error.into());
    }
    crate::fault::abort_at("save:after_new_secrets");

    let row = connection_row(connection, Some(generation));
    let store = profile.store().clone();
    if let Err(error) = store.call(move |store| store.save_connection(&row)).await {
        forget(&keychain, "after a failed database write").await;
        return Err(error.into());
    }
    crate::fault::abort_at("save:after_commit");
    purge_stale_secrets(profile).await;
    Ok(())
}

async fn write_all(
    keychain: &Keychain,
    secrets: &[(SecretName, SecretString)],
) -> Result<(), KeychainError> {
    crate::fault::fail_at("save:keychain_write").map_err(KeychainError::Platform)?;
    for (name, secret) in secrets {
        keychain.put(*name, secret).await?;
    }
    Ok(())
}

/// Removes every credential of `keychain`'s generation; a failure is logged, never raised (the save's own
/// error is what the admin needs, and an orphaned entry is namespaced and harmless).
async fn forget(keychain: &Keychain, when: &str) {
    for name in SecretName::CREDENTIALS {
        if let Err(error) = keychain.delete(name).await {
            tracing::warn!(%error, when, "could not remove a secret the failed save wrote");
        }
    }
}

/// Deletes the keychain entries of generations a save replaced, and forgets each once it is gone. Runs after
/// every save and whenever the saved account is opened, so an interrupted clean-up finishes later.
pub async fn purge_stale_secrets(profile: &Profile) {
    let stale = match profile.store().stale_secret_generations() {
        Ok(stale) => stale,
        Err(error) => {
            tracing::warn!(%error, "could not list the secrets a save replaced");
            return;
        }
    };
    let Ok(keychain) = profile.keychain() else {
        return;
    };
    for generation in stale {
        let old = keychain.with_generation((!generation.is_empty()).then(|| generation.clone()));
        let mut deleted = true;
        for name in SecretName::CREDENTIALS {
            if let Err(error) = old.delete(name).await {
                tracing::warn!(%error, "could not remove a secret the connection no longer uses");
                deleted = false;
            }
        }
        if deleted {
            let store = profile.store().clone();
            if let Err(error) = store
                .call(move |store| store.forget_stale_secrets(&generation))
                .await
            {
                tracing::warn!(%error, "could not record that replaced secrets were removed");
            }
        }
    }
}
