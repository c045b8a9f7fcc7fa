//! The Troubleshoot screen's shapes: the symptoms, one symptom's finding (each probe with what it saw, the cause,
//! the fix and the action that performs it), and a saved diagnostics bundle. Evidence never shows a secret (the
//! core redacts webhook URLs), and the bundle's path is the profile's own folder.

use handoff::bundle::Written;
use handoff::doctor::{Action, Finding, Symptom};

use serde::Serialize;

use super::FixView;

/// A documented symptom: its stable id and how an admin describes it.
#[derive(Debug, Serialize)]
pub struct SymptomView {
    id: &'static str,
    title: &'static str,
}

impl From<Symptom> for SymptomView {
    fn from(symptom: Symptom) -> Self {
        SymptomView {
            id: symptom.as_str(),
            title: symptom.title(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProbeView {
    name: &'static str,
    /// `ok`, `problem` or `unknown` (it could not look).
    outcome: &'static str,
    evidence: String,
}

/// What performs the fix: `repair` (with the setup fix), `open-in-zendesk` (with the Admin Center page, which
/// `open_admin_page` checks again), `verify`, `reconnect`, or `none` (a step outside the product).
#[derive(Debug, Serialize)]
pub struct ActionView {
    kind: &'static str,
    fix: Option<FixView>,
    url: Option<String>,
    command: Option<&'static str>,
}

impl From<&Action> for ActionView {
    fn from(action: &Action) -> Self {
        ActionView {
            kind: action.as_str(),
            fix: match action {
                Action::Repair(fix) => Some(FixView::from(*fix)),
                _ => None,
            },
            url: action.url().map(|url| url.to_string()),
            command: action.command(),
        }
    }
}

/// One symptom looked into: every probe, then the first problem's cause, fix and action (`null` when none).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingView {
    symptom: SymptomView,
    found: bool,
    probes: Vec<ProbeView>,
    cause: Option<String>,
    fix: Option<String>,
    action: Option<ActionView>,
    /// RFC 3339: when the account was read.
    looked_at: String,
}

impl FindingView {
    pub fn new(finding: &Finding, looked_at: jiff::Timestamp) -> Self {
        let diagnosis = finding.diagnosis.as_ref();
        FindingView {
            symptom: SymptomView::from(finding.symptom),
            found: finding.found(),
            probes: finding
                .probes
                .iter()
                .map(|probe| ProbeView {
                    name: probe.name,
                    outcome: probe.outcome.as_str(),
                    evidence: probe.evidence.clone(),
                })
                .collect(),
            cause: diagnosis.map(|d| d.cause.clone()),
            fix: diagnosis.map(|d| d.fix.clone()),
            action: diagnosis.map(|d| ActionView::from(&d.action)),
            looked_at: looked_at.to_string(),
        }
    }
}

/// A diagnostics bundle written into the profile's diagnostics folder.
#[derive(Debug, Serialize)]
pub struct BundleView {
    path: String,
    files: Vec<String>,
    bytes: u64,
}

impl From<&Written> for BundleView {
    fn from(written: &Written) -> Self {
        BundleView {
            path: written.path.display().to_string(),
            files: written.files.clone(),
            bytes: written.bytes,
        }
    }
}
