//! AI Fields (SPEC §9): Zendesk custom fields filled by the AI at handoff.
//!
//! - [`catalog`]: every ticket field, loaded with cursor pagination, cached with its fetch time, classified
//!   (dropdowns and text are mappable; every other type says why not).
//! - [`mapping`]: which fields are mapped, with the admin's description; drift (mapped fields that disappeared,
//!   went inactive or lost options) and the values Zendesk dropped.
//! - [`conversation`]: what a filler reads, from a session or a pasted transcript.
//! - [`filler`]: the [`Filler`] interface and the validation every answer passes before it reaches a ticket.
//! - [`offline`]: the default filler, offline and deterministic; [`llm`]: any OpenAI-compatible endpoint, falling
//!   back to the offline answer on any failure.
//! - [`readback`]: after a ticket is written, what Zendesk dropped.
//!
//! The functions here are what the CLI and the console call; [`values_for`] is what the handoff worker fills
//! tickets with (`Worker::with_fields`).
//!
//! Invariants: a dropdown only ever gets an existing option `value`, text a short single line; a value Zendesk
//! drops is recorded, never silently lost; the LLM key lives only in the keychain.

pub mod catalog;
pub mod conversation;
pub mod filler;
pub mod llm;
pub mod mapping;
pub mod offline;
pub mod readback;

use std::sync::Arc;

use futures::future::BoxFuture;
use jiff::Timestamp;
use serde_json::json;
use url::Url;
use zendesk::{CustomFieldValue, SecretString};

pub use catalog::{Catalog, Field, FieldOption, Fillable, STALE_AFTER};
pub use conversation::Conversation;
pub use filler::{Fill, Filler, Target, CONFIDENCE_THRESHOLD, MAX_TEXT_CHARS};
pub use llm::{LlmConfig, LlmFiller, LlmKey};
pub use mapping::{
    dropped_values, field_drift, DriftKind, DroppedValue, FieldDrift, Mapping,
    DESCRIPTION_PLACEHOLDER,
};
pub use offline::OfflineFiller;

use crate::clock::Clock;
use crate::handoff::FieldValues;
use crate::keychain::{Keychain, KeychainError, SecretName};
use crate::profile::Profile;
use crate::session::Session;
use crate::settings::Settings;
use crate::store::{Store, StoreError};
use crate::ConnectError;

/// Why an AI Fields operation failed. Callers branch on the variant; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum FieldsError {
    #[error(
        "not connected to Zendesk: connect first (Connect in the console, or `handoff connect`)"
    )]
    NotConnected,
    #[error(
        "field {0} is not among the account's ticket fields; refresh the list and check the id"
    )]
    UnknownField(u64),
    #[error("\"{title}\" ({id}) cannot be mapped: {reason}")]
    NotMappable {
        id: u64,
        title: String,
        reason: &'static str,
    },
    #[error("field {0} is not mapped")]
    NotMapped(u64),
    #[error("{0}")]
    Invalid(String),
    #[error("Zendesk did not list the ticket fields: {0}")]
    Zendesk(zendesk::Error),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keychain(#[from] KeychainError),
}

/// When [`catalog`] asks Zendesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// When nothing is cached or the cache is older than [`STALE_AFTER`].
    IfStale,
    /// Always (the Refresh button, `--refresh`).
    Now,
}

/// The account's fields: the cache, fetched again when `refresh` says so.
pub async fn catalog(
    profile: &Profile,
    clock: &Clock,
    refresh: Refresh,
) -> Result<Catalog, FieldsError> {
    let store = profile.store().clone();
    let cached = store.call(catalog::cached).await?;
    let now = clock.now();
    if let Some(cached) = &cached {
        if refresh == Refresh::IfStale && !cached.stale(now) {
            return Ok(cached.clone());
        }
    }
    let fetched = async {
        let account = crate::account::open(profile, clock)
            .await?
            .ok_or(FieldsError::NotConnected)?;
        Ok::<_, FieldsError>(catalog::fetch(&account.client, &store, now).await?.catalog)
    }
    .await;
    match (fetched, cached) {
        (Ok(catalog), _) => Ok(catalog),
        // Zendesk could not be asked: a stale catalog (its fetch time shown) beats none; asked to refresh, the
        // error is the answer.
        (
            Err(error @ (FieldsError::Zendesk(_) | FieldsError::Connect(ConnectError::Zendesk(_)))),
            Some(cached),
        ) if refresh == Refresh::IfStale => {
            tracing::warn!(%error, "the ticket fields could not be fetched; showing the cached ones");
            Ok(cached)
        }
        (Err(error), _) => Err(error),
    }
}

/// A mapped field with the field as Zendesk lists it now, and its drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedField {
    pub mapping: Mapping,
    /// `None` when the field is gone.
    pub field: Option<Field>,
    pub drift: Option<FieldDrift>,
}

/// What the AI Fields screen shows: the catalog, the mappings with their drift, and recent dropped values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    pub catalog: Catalog,
    pub mapped: Vec<MappedField>,
    pub dropped: Vec<DroppedValue>,
}

/// The screen's data, fetching the catalog when `refresh` says so.
pub async fn overview(
    profile: &Profile,
    clock: &Clock,
    refresh: Refresh,
) -> Result<Overview, FieldsError> {
    let catalog = catalog(profile, clock, refresh).await?;
    let store = profile.store().clone();
    let (mappings, dropped) = store
        .call(|store| Ok((mapping::mappings(store)?, dropped_values(store, None)?)))
        .await?;
    Ok(Overview {
        mapped: mapped(&mappings, &catalog),
        catalog,
        dropped,
    })
}

fn mapped(mappings: &[Mapping], catalog: &Catalog) -> Vec<MappedField> {
    let drift = field_drift(mappings, catalog);
    mappings
        .iter()
        .map(|mapping| MappedField {
            field: catalog.field(mapping.field_id).cloned(),
            drift: drift
                .iter()
                .find(|d| d.field_id == mapping.field_id)
                .cloned(),
            mapping: mapping.clone(),
        })
        .collect()
}

/// Maps a field (it must be in the catalog and mappable), fetching the catalog first when it is stale.
pub async fn map_field(
    profile: &Profile,
    clock: &Clock,
    field_id: u64,
    description: &str,
) -> Result<Mapping, FieldsError> {
    let catalog = catalog(profile, clock, Refresh::IfStale).await?;
    let description = description.to_owned();
    let now = clock.now();
    let store = profile.store().clone();
    store
        .call(move |store| Ok(mapping::map(store, &catalog, field_id, &description, now)))
        .await?
}

/// Removes a mapping; [`FieldsError::NotMapped`] when the field was not mapped.
pub async fn unmap_field(profile: &Profile, field_id: u64) -> Result<(), FieldsError> {
    let removed = profile
        .store()
        .call(move |store| store.delete_mapping(field_id))
        .await?;
    if removed {
        Ok(())
    } else {
        Err(FieldsError::NotMapped(field_id))
    }
}

/// The mapped fields the AI can fill now (from the cached catalog): a mapping whose field is gone or can no
/// longer be filled is left out (drift reports it).
pub fn targets(store: &Store) -> Result<Vec<Target>, StoreError> {
    let Some(catalog) = catalog::cached(store)? else {
        return Ok(Vec::new());
    };
    Ok(mapping::mappings(store)?
        .into_iter()
        .filter_map(|mapping| {
            let field = catalog.field(mapping.field_id)?;
            let kind = field.fillable().ok()?;
            Some(Target {
                field_id: field.id,
                title: field.title.clone(),
                kind,
                options: field.options.clone(),
                description: mapping.description,
            })
        })
        .collect())
}

/// A preview's answer for one mapped field.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewFill {
    pub title: String,
    pub fill: Fill,
    /// The chosen option's display name, for a dropdown.
    pub option_name: Option<String>,
}

/// Runs the mapping on a pasted conversation, with the filler the handoff would use.
pub async fn preview(profile: &Profile, text: &str) -> Result<Vec<PreviewFill>, FieldsError> {
    let conversation = Conversation::parse(text);
    if conversation.is_empty() {
        return Err(FieldsError::Invalid(
            "the conversation is empty: paste one turn per line, such as `Customer: I was charged twice`"
                .to_owned(),
        ));
    }
    let targets = profile.store().call(targets).await?;
    let fills = fill(&filler_for(profile)?, &conversation, &targets).await;
    Ok(targets
        .iter()
        .zip(fills)
        .map(|(target, fill)| PreviewFill {
            title: target.title.clone(),
            option_name: fill
                .value
                .as_deref()
                .and_then(|v| target.options.iter().find(|o| o.value == v))
                .map(|o| o.name.clone()),
            fill,
        })
        .collect())
}

/// Every target's validated fill, in order.
pub async fn fill(
    filler: &dyn Filler,
    conversation: &Conversation,
    targets: &[Target],
) -> Vec<Fill> {
    if targets.is_empty() {
        return Vec::new();
    }
    filler::complete(targets, filler.fill(conversation, targets).await)
}

/// What the checklist reports: mapped fields' drift against the cached catalog, and dropped values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub fields: Vec<FieldDrift>,
    pub dropped: Vec<DroppedValue>,
    /// When the catalog drift was checked against was fetched (`None`: never; refresh first).
    pub catalog_fetched_at: Option<Timestamp>,
}

impl Drift {
    pub fn is_clean(&self) -> bool {
        self.fields.is_empty() && self.dropped.is_empty()
    }
}

/// Drift and dropped values, from the store alone (the checklist refreshes the catalog with [`catalog`]).
pub fn drift(store: &Store) -> Result<Drift, StoreError> {
    let mappings = mapping::mappings(store)?;
    let dropped = dropped_values(store, None)?;
    Ok(match catalog::cached(store)? {
        Some(catalog) => Drift {
            fields: field_drift(&mappings, &catalog),
            dropped,
            catalog_fetched_at: Some(catalog.fetched_at),
        },
        None => Drift {
            fields: Vec::new(),
            dropped,
            catalog_fetched_at: None,
        },
    })
}

/// The filler the profile's settings choose, decided at each fill: the LLM when `llm-url` and `llm-model`
/// are set (its key from the keychain), else the offline filler.
#[derive(Debug, Clone)]
pub struct ProfileFiller {
    store: Store,
    keychain: Keychain,
}

/// The profile's filler.
pub fn filler_for(profile: &Profile) -> Result<ProfileFiller, StoreError> {
    Ok(ProfileFiller {
        store: profile.store().clone(),
        keychain: profile.keychain()?,
    })
}

impl ProfileFiller {
    fn llm(&self) -> Option<LlmFiller> {
        let settings = Settings::new(self.store.clone());
        match (settings.llm_url(), settings.llm_model()) {
            (Ok(Some(base_url)), Ok(Some(model))) => Some(LlmFiller::new(
                LlmConfig {
                    base_url,
                    model,
                    timeout: llm::DEFAULT_TIMEOUT,
                },
                LlmKey::Keychain(self.keychain.clone()),
            )),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "the LLM settings cannot be read; the offline filler answers");
                None
            }
            _ => None,
        }
    }
}

impl Filler for ProfileFiller {
    fn fill<'a>(
        &'a self,
        conversation: &'a Conversation,
        targets: &'a [Target],
    ) -> BoxFuture<'a, Vec<Fill>> {
        Box::pin(async move {
            match self.llm() {
                Some(llm) => llm.fill(conversation, targets).await,
                None => OfflineFiller.fill(conversation, targets).await,
            }
        })
    }
}

/// Fills a handoff's mapped fields: the mappings and the cached catalog from the store, the answers from the
/// filler, validated.
pub struct MappedFields {
    store: Store,
    filler: Arc<dyn Filler>,
}

impl MappedFields {
    pub fn new(store: Store, filler: Arc<dyn Filler>) -> MappedFields {
        MappedFields { store, filler }
    }
}

impl FieldValues for MappedFields {
    fn values<'a>(&'a self, session: &'a Session) -> BoxFuture<'a, Vec<CustomFieldValue>> {
        Box::pin(async move {
            let targets = match self.store.call(targets).await {
                Ok(targets) => targets,
                Err(error) => {
                    // The ticket still goes out, without fields; the error is in the log.
                    tracing::warn!(%error, session = %session.id, "cannot read the field mappings; no field is filled");
                    return Vec::new();
                }
            };
            let conversation = Conversation::of_session(session);
            fill(self.filler.as_ref(), &conversation, &targets)
                .await
                .into_iter()
                .filter_map(|fill| {
                    fill.value.map(|value| CustomFieldValue {
                        id: fill.field_id,
                        value: json!(value),
                    })
                })
                .collect()
        })
    }
}

/// What the handoff worker fills tickets with for `profile`: `worker.with_fields(fields::values_for(&profile)?)`.
pub fn values_for(profile: &Profile) -> Result<Arc<dyn FieldValues>, StoreError> {
    Ok(Arc::new(MappedFields::new(
        profile.store().clone(),
        Arc::new(filler_for(profile)?),
    )))
}

/// Longest LLM key accepted, in bytes.
pub const MAX_LLM_KEY_BYTES: usize = 4096;

/// Stores the LLM endpoint's key in the keychain (refused when empty, too long or holding control characters).
pub async fn set_llm_key(profile: &Profile, key: &SecretString) -> Result<(), FieldsError> {
    let text = key.expose_secret().trim();
    if text.is_empty() {
        return Err(FieldsError::Invalid(
            "the LLM key is empty: pass the key on standard input".to_owned(),
        ));
    }
    if text.len() > MAX_LLM_KEY_BYTES || text.chars().any(char::is_control) {
        return Err(FieldsError::Invalid(format!(
            "that is not an API key: it is longer than {MAX_LLM_KEY_BYTES} bytes or holds control characters"
        )));
    }
    profile
        .keychain()?
        .put(SecretName::LlmApiKey, &SecretString::from(text.to_owned()))
        .await?;
    Ok(())
}

/// The LLM filler's settings, and whether its key is in the keychain (the key itself is never returned).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LlmStatus {
    pub url: Option<Url>,
    pub model: Option<String>,
    pub key_set: bool,
}

pub async fn llm_status(profile: &Profile) -> Result<LlmStatus, FieldsError> {
    let settings = Settings::new(profile.store().clone());
    let key_set = profile
        .keychain()?
        .get(SecretName::LlmApiKey)
        .await?
        .is_some();
    Ok(LlmStatus {
        url: settings.llm_url()?,
        model: settings.llm_model()?,
        key_set,
    })
}
