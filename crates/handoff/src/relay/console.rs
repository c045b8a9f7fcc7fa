//! What the relay console shows (the Relay screen; `handoff relay url|deliveries` print the same): the signed
//! webhook URL, whole only for copying or an explicit reveal and redacted everywhere else, and the deliveries,
//! newest first.

use super::keys::{RelayKeyError, RelaySecrets};
use super::url::{redacted, webhook_url};
use crate::clock::Clock;
use crate::profile::Profile;
use crate::settings::Settings;
use crate::store::{DeliveryRow, StoreError};

/// The webhook URL Zendesk posts to, whole. Its tag is a credential: callers hand it only to the admin who
/// asked (copy, reveal), never to a log. The first URL key is made when there is none.
pub async fn webhook_url_of(profile: &Profile, clock: &Clock) -> Result<String, RelayKeyError> {
    let public_url = Settings::new(profile.store().clone()).public_url()?;
    let secrets = RelaySecrets::new(profile.keychain()?, profile.store().clone(), clock.clone());
    let key = secrets.current_url_key().await?;
    Ok(webhook_url(&public_url, profile.install_id(), &key))
}

/// The same URL as the console shows it until revealed: the tag's last characters only.
pub async fn redacted_webhook_url(
    profile: &Profile,
    clock: &Clock,
) -> Result<String, RelayKeyError> {
    Ok(redacted(&webhook_url_of(profile, clock).await?))
}

/// The newest `limit` deliveries, newest first (refused ones with their reason; bodies are not for display).
pub fn recent_deliveries(profile: &Profile, limit: usize) -> Result<Vec<DeliveryRow>, StoreError> {
    let mut rows = profile.store().recent_deliveries(0, limit.clamp(1, 1000))?;
    rows.reverse();
    Ok(rows)
}
