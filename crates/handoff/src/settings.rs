//! The non-secret settings the handoff engine reads, with typed accessors (the CLI's `handoff config get|set`
//! and the Settings screen sit on top of [`Settings::get`] and [`Settings::set`]).
//!
//! Invariant: a value is validated before it is stored, so what is read back is always usable; a value edited
//! by hand into something unusable reads as [`StoreError::Corrupt`], never as a silent default.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::Url;

use crate::session::Channel;
use crate::store::{Store, StoreError};

/// Tags start with this unless the admin picks another prefix (the seed's `opencx`).
pub const DEFAULT_TAG_PREFIX: &str = "opencx";
/// The "View session" links' base until the relay's public address is set (a tunnel or production URL): the
/// relay's own address at the default listen address.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8750";
/// Where the relay the console hosts listens unless the admin picks another address.
pub const DEFAULT_LISTEN_ADDRESS: &str = "127.0.0.1:8750";
/// The loopback port the browser sign-in receives Zendesk's answer on, unless the admin picks another. Fixed,
/// because Zendesk sends the browser back only to a redirect URL registered in the OAuth client; not 8750,
/// where the relay listens by default.
pub const DEFAULT_OAUTH_REDIRECT_PORT: u16 = 8751;
/// Longest tag prefix: Zendesk tags stay short enough to read in views.
pub const MAX_TAG_PREFIX_CHARS: usize = 40;

/// A setting's name, as the CLI spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKey {
    /// `tag-prefix`: the prefix of every tag the product writes.
    TagPrefix,
    /// `ticket-every-conversation`: `true` makes the ticket when a session starts, updated at handoff.
    TicketEveryConversation,
    /// `public-url`: where the "View session" links point (`{public-url}/sessions/{id}?t=...`), and the base of
    /// the webhook URL Zendesk posts to. Set to empty, it goes back to the relay's own address.
    PublicUrl,
    /// `outbound-url`: the AI platform's endpoint the relay sends each rep reply to (empty: replies are only
    /// recorded on the session).
    OutboundUrl,
    /// `llm-url`: the OpenAI-compatible endpoint the AI Fields LLM filler asks (empty: the offline filler).
    LlmUrl,
    /// `llm-model`: the model the LLM filler names (empty: the offline filler).
    LlmModel,
    /// `zendesk-delivers`: the channels whose rep replies reach the customer through Zendesk's own email
    /// notifications rather than the platform (comma-separated, e.g. `email`; empty: the platform delivers
    /// every channel). The setup checklist holds Zendesk's requester-notifying triggers to it.
    ZendeskDelivers,
    /// `listen-address`: where the relay the console hosts listens (`IP:port`, default `127.0.0.1:8750`).
    /// Unless `public-url` is set, the public URL is this address.
    ListenAddress,
    /// `relay-autostart`: whether the console starts the relay it hosts whenever it is connected (at launch and
    /// after each connection change). On by default; Stop on the Relay screen turns it off and Start turns it
    /// back on, so the console remembers the admin's choice across launches.
    RelayAutostart,
    /// `oauth-redirect-port`: the loopback port of the browser sign-in's redirect URL
    /// (`http://127.0.0.1:<port>/oauth/callback`, registered in the OAuth client); 0 lets the system pick a free
    /// port each time, for OAuth clients that accept any loopback port.
    OAuthRedirectPort,
}

impl SettingKey {
    pub const ALL: &'static [SettingKey] = &[
        SettingKey::TagPrefix,
        SettingKey::TicketEveryConversation,
        SettingKey::PublicUrl,
        SettingKey::OutboundUrl,
        SettingKey::LlmUrl,
        SettingKey::LlmModel,
        SettingKey::ZendeskDelivers,
        SettingKey::ListenAddress,
        SettingKey::RelayAutostart,
        SettingKey::OAuthRedirectPort,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::TagPrefix => "tag-prefix",
            SettingKey::TicketEveryConversation => "ticket-every-conversation",
            SettingKey::PublicUrl => "public-url",
            SettingKey::OutboundUrl => "outbound-url",
            SettingKey::LlmUrl => "llm-url",
            SettingKey::LlmModel => "llm-model",
            SettingKey::ZendeskDelivers => "zendesk-delivers",
            SettingKey::ListenAddress => "listen-address",
            SettingKey::RelayAutostart => "relay-autostart",
            SettingKey::OAuthRedirectPort => "oauth-redirect-port",
        }
    }

    pub fn parse(text: &str) -> Result<SettingKey, SettingsError> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        SettingKey::ALL
            .iter()
            .copied()
            .find(|key| key.as_str() == wanted)
            .ok_or_else(|| SettingsError::UnknownKey(text.to_owned()))
    }
}

/// Why a setting could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("unknown setting {0:?}: use tag-prefix, ticket-every-conversation, public-url, outbound-url, zendesk-delivers, llm-url, llm-model, listen-address, relay-autostart or oauth-redirect-port")]
    UnknownKey(String),
    #[error("{key}: {why}")]
    Invalid { key: &'static str, why: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Typed access to the settings table.
#[derive(Debug, Clone)]
pub struct Settings {
    store: Store,
}

impl Settings {
    pub fn new(store: Store) -> Settings {
        Settings { store }
    }

    /// The tag prefix (default `opencx`).
    pub fn tag_prefix(&self) -> Result<String, StoreError> {
        match self.store.setting(SettingKey::TagPrefix.as_str())? {
            None => Ok(DEFAULT_TAG_PREFIX.to_owned()),
            Some(value) => validate_prefix(&value).map_err(|why| {
                StoreError::Corrupt(format!("setting tag-prefix = {value:?}: {why}"))
            }),
        }
    }

    /// Whether every conversation gets its ticket when it starts (default off: only at handoff).
    pub fn ticket_every_conversation(&self) -> Result<bool, StoreError> {
        match self
            .store
            .setting(SettingKey::TicketEveryConversation.as_str())?
        {
            None => Ok(false),
            Some(value) => parse_bool(&value).map_err(|why| {
                StoreError::Corrupt(format!(
                    "setting ticket-every-conversation = {value:?}: {why}"
                ))
            }),
        }
    }

    /// The base of "View session" links and of the webhook URL: the setting, else the relay's own address.
    pub fn public_url(&self) -> Result<Url, StoreError> {
        let value = match self.store.setting(SettingKey::PublicUrl.as_str())? {
            Some(value) => value,
            None => local_url(self.listen_address()?),
        };
        validate_url(&value)
            .map_err(|why| StoreError::Corrupt(format!("setting public-url = {value:?}: {why}")))
    }

    /// Whether the public URL is the relay's own address (no `public-url` set).
    pub fn public_url_is_local_default(&self) -> Result<bool, StoreError> {
        Ok(self
            .store
            .setting(SettingKey::PublicUrl.as_str())?
            .is_none())
    }

    /// Where the relay the console hosts listens (default `127.0.0.1:8750`).
    pub fn listen_address(&self) -> Result<SocketAddr, StoreError> {
        match self.store.setting(SettingKey::ListenAddress.as_str())? {
            None => validate_listen(DEFAULT_LISTEN_ADDRESS),
            Some(value) => validate_listen(&value),
        }
        .map_err(|why| StoreError::Corrupt(format!("setting listen-address: {why}")))
    }

    /// Whether the console starts its relay whenever it is connected (default on; off once the admin stopped it).
    pub fn relay_autostart(&self) -> Result<bool, StoreError> {
        match self.store.setting(SettingKey::RelayAutostart.as_str())? {
            None => Ok(true),
            Some(value) => parse_bool(&value).map_err(|why| {
                StoreError::Corrupt(format!("setting relay-autostart = {value:?}: {why}"))
            }),
        }
    }

    /// Records the admin's Start (`true`) or Stop (`false`) of the relay the console hosts.
    pub fn set_relay_autostart(&self, on: bool) -> Result<(), StoreError> {
        self.store
            .set_setting(SettingKey::RelayAutostart.as_str(), &on.to_string())
    }

    /// The AI platform's outbound endpoint, when one is set.
    pub fn outbound_url(&self) -> Result<Option<Url>, StoreError> {
        match self.store.setting(SettingKey::OutboundUrl.as_str())? {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => validate_url(&value).map(Some).map_err(|why| {
                StoreError::Corrupt(format!("setting outbound-url = {value:?}: {why}"))
            }),
        }
    }

    /// The LLM filler's endpoint base, `None` when not set (the offline filler answers).
    pub fn llm_url(&self) -> Result<Option<Url>, StoreError> {
        match self.store.setting(SettingKey::LlmUrl.as_str())? {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => validate_llm_url(&value)
                .map(Some)
                .map_err(|why| StoreError::Corrupt(format!("setting llm-url = {value:?}: {why}"))),
        }
    }

    /// The LLM filler's model, `None` when not set.
    pub fn llm_model(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .store
            .setting(SettingKey::LlmModel.as_str())?
            .filter(|model| !model.is_empty()))
    }

    /// The channels whose replies Zendesk's own email delivers (none by default: the platform delivers all).
    pub fn zendesk_delivers(&self) -> Result<Vec<Channel>, StoreError> {
        match self.store.setting(SettingKey::ZendeskDelivers.as_str())? {
            None => Ok(Vec::new()),
            Some(value) => parse_channels(&value).map_err(|why| {
                StoreError::Corrupt(format!("setting zendesk-delivers = {value:?}: {why}"))
            }),
        }
    }

    /// The browser sign-in's loopback port ([`DEFAULT_OAUTH_REDIRECT_PORT`] unless set; 0: any free port).
    pub fn oauth_redirect_port(&self) -> Result<u16, StoreError> {
        match self.store.setting(SettingKey::OAuthRedirectPort.as_str())? {
            None => Ok(DEFAULT_OAUTH_REDIRECT_PORT),
            Some(value) => parse_port(&value).map_err(|why| {
                StoreError::Corrupt(format!("setting oauth-redirect-port = {value:?}: {why}"))
            }),
        }
    }

    /// Who delivers a rep's reply on `channel` to the customer.
    pub fn reply_deliverer(&self, channel: Channel) -> Result<ReplyDeliverer, StoreError> {
        Ok(if self.zendesk_delivers()?.contains(&channel) {
            ReplyDeliverer::Zendesk
        } else {
            ReplyDeliverer::Platform
        })
    }

    /// A setting's value as text (the default when never set).
    pub fn get(&self, key: SettingKey) -> Result<String, SettingsError> {
        Ok(match key {
            SettingKey::TagPrefix => self.tag_prefix()?,
            SettingKey::TicketEveryConversation => self.ticket_every_conversation()?.to_string(),
            SettingKey::PublicUrl => self.public_url()?.to_string(),
            SettingKey::OutboundUrl => self
                .outbound_url()?
                .map(|url| url.to_string())
                .unwrap_or_default(),
            SettingKey::LlmUrl => self.llm_url()?.map(String::from).unwrap_or_default(),
            SettingKey::LlmModel => self.llm_model()?.unwrap_or_default(),
            SettingKey::ZendeskDelivers => channels_text(&self.zendesk_delivers()?),
            SettingKey::ListenAddress => self.listen_address()?.to_string(),
            SettingKey::RelayAutostart => self.relay_autostart()?.to_string(),
            SettingKey::OAuthRedirectPort => self.oauth_redirect_port()?.to_string(),
        })
    }

    /// Validates, normalizes and stores a value; returns it as stored.
    pub fn set(&self, key: SettingKey, value: &str) -> Result<String, SettingsError> {
        let invalid = |why: String| SettingsError::Invalid {
            key: key.as_str(),
            why,
        };
        let stored = match key {
            SettingKey::TagPrefix => validate_prefix(value).map_err(invalid)?,
            SettingKey::TicketEveryConversation => parse_bool(value).map_err(invalid)?.to_string(),
            // Empty goes back to the default: the relay's own address.
            SettingKey::PublicUrl if value.trim().is_empty() => {
                self.store.unset_setting(key.as_str())?;
                return Ok(self.public_url()?.to_string());
            }
            SettingKey::PublicUrl => validate_url(value).map_err(invalid)?.to_string(),
            // Empty turns outbound delivery off.
            SettingKey::OutboundUrl if value.trim().is_empty() => String::new(),
            SettingKey::OutboundUrl => validate_url(value).map_err(invalid)?.to_string(),
            // Empty switches the LLM filler off.
            SettingKey::LlmUrl if value.trim().is_empty() => String::new(),
            SettingKey::LlmUrl => validate_llm_url(value).map_err(invalid)?.to_string(),
            SettingKey::LlmModel => validate_model(value).map_err(invalid)?,
            SettingKey::ZendeskDelivers => channels_text(&parse_channels(value).map_err(invalid)?),
            SettingKey::ListenAddress => validate_listen(value).map_err(invalid)?.to_string(),
            SettingKey::RelayAutostart => parse_bool(value).map_err(invalid)?.to_string(),
            SettingKey::OAuthRedirectPort => parse_port(value).map_err(invalid)?.to_string(),
        };
        self.store.set_setting(key.as_str(), &stored)?;
        Ok(stored)
    }
}

/// A port a desktop user's process may listen on (1024 and up), or 0 for any free port.
fn parse_port(value: &str) -> Result<u16, String> {
    match value.trim().parse::<u16>() {
        Ok(port) if port == 0 || port >= 1024 => Ok(port),
        Ok(port) => Err(format!(
            "{port} is below 1024, which only administrators may listen on: pick a port from 1024 to 65535 \
             (default {DEFAULT_OAUTH_REDIRECT_PORT}), or 0 for any free port"
        )),
        Err(_) => Err(format!(
            "{value:?} is not a port: give a number from 1024 to 65535 (default {DEFAULT_OAUTH_REDIRECT_PORT}), \
             or 0 for any free port"
        )),
    }
}

/// A prefix is already a valid Zendesk tag: lowercase letters, digits, `_` and `-`, starting with a letter or
/// digit. Refused rather than rewritten, so the admin sees the tag they will filter on.
fn validate_prefix(value: &str) -> Result<String, String> {
    let value = value.trim();
    let valid = !value.is_empty()
        && value.chars().count() <= MAX_TAG_PREFIX_CHARS
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && value
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if valid {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{value:?} is not a tag prefix: use 1 to {MAX_TAG_PREFIX_CHARS} lowercase letters, digits, `_` or `-`, like opencx"
        ))
    }
}

/// `IP:port`, port 1 to 65535: the relay's address must stay the same from one start to the next, because the
/// webhook URL Zendesk calls is built on it (port 0 would pick a new one each time).
fn validate_listen(value: &str) -> Result<SocketAddr, String> {
    let value = value.trim();
    let address: SocketAddr = value.parse().map_err(|_| {
        format!("{value:?} is not an address to listen on: use IP:port, such as 127.0.0.1:8750")
    })?;
    if address.port() == 0 {
        return Err(format!(
            "{value:?} has port 0: pick a fixed port, such as 127.0.0.1:8750, since the webhook URL is built on it"
        ));
    }
    Ok(address)
}

/// The relay's own address as a URL; an address that listens on every interface is reached on loopback here.
fn local_url(address: SocketAddr) -> String {
    let ip = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, address.port()))
}

/// Everything the Settings screen shows, read at once: each setting as the engine reads it, the default agent
/// (kept with the connection), the profile's folders, and whether setup made a webhook (whose signing secret can
/// then be reset).
#[derive(Debug, Clone)]
pub struct Overview {
    pub tag_prefix: String,
    pub ticket_every_conversation: bool,
    pub public_url: Url,
    /// No `public-url` is set: it is the relay's own address, which only this machine can reach.
    pub public_url_is_local_default: bool,
    pub outbound_url: Option<Url>,
    pub llm_url: Option<Url>,
    pub llm_model: Option<String>,
    /// The channels whose replies Zendesk's own email delivers; the platform delivers every other one.
    pub zendesk_delivers: Vec<Channel>,
    pub listen_address: SocketAddr,
    pub default_agent: Option<crate::connect::UserSummary>,
    pub data_folder: std::path::PathBuf,
    pub logs_folder: std::path::PathBuf,
    pub webhook_set_up: bool,
    /// How long the previous URL key still opens the webhook URL after a rotation.
    pub url_key_grace: jiff::SignedDuration,
}

/// Reads the Settings screen's [`Overview`] (SQLite only: the keychain and Zendesk are not asked).
pub fn overview(profile: &crate::profile::Profile) -> Result<Overview, StoreError> {
    let settings = Settings::new(profile.store().clone());
    Ok(Overview {
        tag_prefix: settings.tag_prefix()?,
        ticket_every_conversation: settings.ticket_every_conversation()?,
        public_url: settings.public_url()?,
        public_url_is_local_default: settings.public_url_is_local_default()?,
        outbound_url: settings.outbound_url()?,
        llm_url: settings.llm_url()?,
        llm_model: settings.llm_model()?,
        zendesk_delivers: settings.zendesk_delivers()?,
        listen_address: settings.listen_address()?,
        default_agent: profile.connection()?.and_then(|c| c.default_agent),
        data_folder: crate::profile::Folder::Data.path(profile),
        logs_folder: crate::profile::Folder::Logs.path(profile),
        webhook_set_up: profile
            .store()
            .setup_object(crate::setup::WEBHOOK)?
            .is_some(),
        url_key_grace: crate::relay::keys::GRACE,
    })
}

/// Who sends a rep's reply to the customer on a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyDeliverer {
    /// The AI platform, from the relay (the default for every channel).
    Platform,
    /// Zendesk's own "notify requester" email.
    Zendesk,
}

/// `email, sms` -> the channels, each once, in the product's order; empty text is none.
fn parse_channels(value: &str) -> Result<Vec<Channel>, String> {
    let mut channels = Vec::new();
    for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let channel = Channel::parse(part).map_err(|error| error.to_string())?;
        if !channels.contains(&channel) {
            channels.push(channel);
        }
    }
    channels.sort_by_key(|c| Channel::ALL.iter().position(|a| a == c));
    Ok(channels)
}

fn channels_text(channels: &[Channel]) -> String {
    channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok(true),
        "false" | "off" | "no" | "0" => Ok(false),
        _ => Err(format!("{value:?} is not true or false")),
    }
}

fn validate_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value.trim()).map_err(|e| format!("{value:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{value:?} is not an http(s) address such as https://relay.example.com"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{value:?} has a query or fragment; give the base address only"
        ));
    }
    Ok(url)
}

/// An LLM endpoint gets the key in a header: https, or http only to this machine.
fn validate_llm_url(value: &str) -> Result<Url, String> {
    let url = validate_url(value)?;
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if url.scheme() == "http" && !loopback {
        return Err(format!(
            "{value:?} is plain http to another machine, which would send the key unencrypted: use https"
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{value:?} carries credentials; the key goes in the keychain (`handoff llm-key set --stdin`)"
        ));
    }
    Ok(url)
}

/// A model name as endpoints spell them (`gpt-4o-mini`, `llama3.1:8b`, `org/model`); empty switches it off.
fn validate_model(value: &str) -> Result<String, String> {
    let value = value.trim();
    let valid = value.chars().count() <= 200
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@+".contains(c));
    if valid {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "{value:?} is not a model name: use letters, digits and - _ . : / @ +, such as gpt-4o-mini"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_before_they_are_stored() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let settings = Settings::new(Store::open(dir.path()).unwrap_or_else(|e| panic!("{e}")));
        assert_eq!(settings.tag_prefix().ok().as_deref(), Some("opencx"));
        assert_eq!(settings.ticket_every_conversation().ok(), Some(false));
        assert_eq!(settings.relay_autostart().ok(), Some(true));
        assert_eq!(
            settings.oauth_redirect_port().ok(),
            Some(DEFAULT_OAUTH_REDIRECT_PORT),
            "a fixed port by default, so the redirect URL can be registered once"
        );
        // (key, value, stored or refused)
        let table = [
            ("tag-prefix", "acme_ai", Some("acme_ai")),
            ("tag-prefix", "Acme AI", None),
            ("tag-prefix", "", None),
            ("tag_prefix", "_x", None),
            ("ticket-every-conversation", "on", Some("true")),
            ("ticket-every-conversation", "maybe", None),
            (
                "public-url",
                "https://relay.example.com/base",
                Some("https://relay.example.com/base"),
            ),
            ("public-url", "ftp://example.com", None),
            ("public-url", "https://x.example/?a=1", None),
            (
                "llm-url",
                "https://api.openai.com/v1",
                Some("https://api.openai.com/v1"),
            ),
            (
                "llm-url",
                "http://127.0.0.1:11434",
                Some("http://127.0.0.1:11434/"),
            ),
            ("llm-url", "http://llm.example.com", None),
            ("llm-url", "https://user:pw@llm.example.com", None),
            ("llm-url", "", Some("")),
            ("llm-model", "gpt-4o-mini", Some("gpt-4o-mini")),
            ("llm-model", "llama3.1:8b", Some("llama3.1:8b")),
            ("llm-model", "two words", None),
            ("zendesk-delivers", "SMS, email,sms", Some("email,sms")),
            ("zendesk-delivers", "", Some("")),
            ("zendesk-delivers", "fax", None),
            ("listen-address", " 127.0.0.1:8751 ", Some("127.0.0.1:8751")),
            ("listen-address", "0.0.0.0:8752", Some("0.0.0.0:8752")),
            ("listen-address", "127.0.0.1:0", None),
            ("listen-address", "localhost:8750", None),
            ("listen-address", "8750", None),
            ("relay-autostart", "off", Some("false")),
            ("relay-autostart", "sometimes", None),
            ("oauth-redirect-port", "9123", Some("9123")),
            ("oauth-redirect-port", " 0 ", Some("0")),
            ("oauth-redirect-port", "80", None),
            ("oauth-redirect-port", "65536", None),
            ("oauth-redirect-port", "next", None),
        ];
        for (key, value, expected) in table {
            let key = SettingKey::parse(key).unwrap_or_else(|e| panic!("{e}"));
            let outcome = settings.set(key, value);
            assert_eq!(
                outcome.as_ref().ok().map(String::as_str),
                expected,
                "{key:?} {value:?}: {outcome:?}"
            );
        }
        assert_eq!(
            settings.tag_prefix().ok().as_deref(),
            Some("acme_ai"),
            "refusals changed nothing"
        );
        assert_eq!(settings.ticket_every_conversation().ok(), Some(true));
        assert_eq!(settings.oauth_redirect_port().ok(), Some(0));
        assert!(matches!(
            SettingKey::parse("colour"),
            Err(SettingsError::UnknownKey(_))
        ));
    }

    #[test]
    fn the_public_url_is_the_relays_own_address_until_one_is_set() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let settings = Settings::new(Store::open(dir.path()).unwrap_or_else(|e| panic!("{e}")));
        let public = |settings: &Settings| settings.public_url().map(String::from).ok();
        assert_eq!(public(&settings).as_deref(), Some("http://127.0.0.1:8750/"));
        assert_eq!(
            public(&settings).as_deref(),
            Some(&*format!("{DEFAULT_PUBLIC_URL}/"))
        );
        for (listen, shown) in [
            ("127.0.0.1:9123", "http://127.0.0.1:9123/"),
            ("0.0.0.0:9124", "http://127.0.0.1:9124/"),
            ("[::]:9125", "http://[::1]:9125/"),
        ] {
            settings
                .set(SettingKey::ListenAddress, listen)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(public(&settings).as_deref(), Some(shown), "{listen}");
            assert_eq!(settings.public_url_is_local_default().ok(), Some(true));
        }
        settings
            .set(SettingKey::PublicUrl, "https://relay.example.com")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            public(&settings).as_deref(),
            Some("https://relay.example.com/")
        );
        assert_eq!(settings.public_url_is_local_default().ok(), Some(false));
        assert_eq!(
            settings.set(SettingKey::PublicUrl, " ").ok().as_deref(),
            Some("http://[::1]:9125/"),
            "empty goes back to the relay's own address"
        );
        assert_eq!(settings.public_url_is_local_default().ok(), Some(true));
    }
}
