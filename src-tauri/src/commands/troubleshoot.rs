//! The Troubleshoot screen: the documented symptoms, one symptom's probes run against the account and the data
//! folder (cause, fix and action), and the redacted diagnostics bundle saved into the profile's own folder.

use handoff::bundle;
use handoff::doctor::{self, Symptom};
use tauri::State;
use tracing::instrument;

use crate::dto::{BundleView, FindingView, SymptomView};
use crate::error::{Code, CommandError};
use crate::state::AppState;

/// The symptoms, in the order the screen shows them as cards.
#[tauri::command]
#[instrument]
pub fn troubleshoot_symptoms() -> Vec<SymptomView> {
    Symptom::ALL.into_iter().map(SymptomView::from).collect()
}

/// Opens one symptom: one reading of the account (the checklist's requests) and the data folder, judged for that
/// symptom. Nothing is written to Zendesk. The checklist it read is kept for the status bar.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn diagnose_symptom(
    state: State<'_, AppState>,
    symptom: String,
) -> Result<FindingView, CommandError> {
    let symptom = Symptom::parse(&symptom).ok_or_else(|| {
        CommandError::new(
            Code::InvalidInput,
            format!("{symptom:?} is not a symptom the console knows"),
        )
    })?;
    let report = doctor::run(&state.profile, &state.clock, &[symptom]).await?;
    state.remember_checklist(report.checklist.summary(), report.checklist.refreshed_at);
    let finding = report
        .findings
        .first()
        .ok_or_else(|| CommandError::new(Code::Internal, "the doctor answered nothing"))?;
    Ok(FindingView::new(finding, report.at))
}

/// "Save diagnostics bundle": the redacted zip, written into the data folder's `diagnostics` folder.
#[tauri::command(async)]
#[instrument(skip(state), err(Debug))]
pub async fn save_diagnostics_bundle(
    state: State<'_, AppState>,
) -> Result<BundleView, CommandError> {
    let written = bundle::save(&state.profile, &state.clock).await?;
    Ok(BundleView::from(&written))
}
