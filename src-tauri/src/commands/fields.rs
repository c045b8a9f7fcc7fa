//! The AI Fields screen: the field catalog and mappings, the picker's save and remove, and the preview.

use handoff::fields::{self, Refresh};
use tauri::State;
use tracing::instrument;

use crate::dto::{FieldsOverviewView, PreviewFillView};
use crate::error::CommandError;
use crate::state::AppState;

/// The screen's data; `refresh` fetches the fields from Zendesk now (else only when the cache is stale).
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn fields_overview(
    state: State<'_, AppState>,
    refresh: bool,
) -> Result<FieldsOverviewView, CommandError> {
    let refresh = if refresh {
        Refresh::Now
    } else {
        Refresh::IfStale
    };
    let overview = fields::overview(&state.profile, &state.clock, refresh).await?;
    Ok(FieldsOverviewView::from(&overview))
}

/// "Save" in the picker: the field is filled at handoff with what `description` says.
#[tauri::command(async)]
#[instrument(skip(state, description), err(Debug))]
pub async fn map_field(
    state: State<'_, AppState>,
    field_id: u64,
    description: String,
) -> Result<(), CommandError> {
    fields::map_field(&state.profile, &state.clock, field_id, &description).await?;
    Ok(())
}

/// "Remove" on a mapped field's row.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn unmap_field(state: State<'_, AppState>, field_id: u64) -> Result<(), CommandError> {
    Ok(fields::unmap_field(&state.profile, field_id).await?)
}

/// The preview pane: what each mapped field would get for the pasted conversation.
#[tauri::command(async)]
#[instrument(skip(state, conversation), err(Debug))]
pub async fn preview_fields(
    state: State<'_, AppState>,
    conversation: String,
) -> Result<Vec<PreviewFillView>, CommandError> {
    let fills = fields::preview(&state.profile, &conversation).await?;
    Ok(fills.iter().map(PreviewFillView::from).collect())
}
