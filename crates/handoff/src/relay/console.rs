//! What the relay console shows (the Relay screen; `handoff relay url|deliveries` print the same): the signed
//! webhook URL, whole only for copying or an explicit reveal and redacted everywhere else, and the deliveries,
//! newest first.

use std::net::SocketAddr;

use url::Url;

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

/// What the Relay screen's top half shows besides the server's state.
#[derive(Debug)]
pub struct Overview {
    /// Where the relay listens when started (the `listen-address` setting).
    pub listen_address: SocketAddr,
    pub public_url: Url,
    /// No `public-url` is set: the public URL is the listen address, which only this machine can reach.
    pub public_url_is_local_default: bool,
    /// The console starts the relay whenever it is connected (`relay-autostart`: off once the admin stopped it).
    pub autostart: bool,
    /// Newest first.
    pub deliveries: Vec<DeliveryRow>,
}

/// Reads the settings and the newest `limit` deliveries (on the blocking pool). The keychain is not asked, so the
/// screen can read this every second or two; [`redacted_webhook_url`] is asked when the URL may have changed.
pub async fn overview(profile: &Profile, limit: usize) -> Result<Overview, StoreError> {
    let reading = profile.clone();
    let (listen_address, public_url, public_url_is_local_default, autostart, deliveries) = profile
        .store()
        .call(move |store| {
            let settings = Settings::new(store.clone());
            Ok((
                settings.listen_address()?,
                settings.public_url()?,
                settings.public_url_is_local_default()?,
                settings.relay_autostart()?,
                recent_deliveries(&reading, limit)?,
            ))
        })
        .await?;
    Ok(Overview {
        listen_address,
        public_url,
        public_url_is_local_default,
        autostart,
        deliveries,
    })
}
