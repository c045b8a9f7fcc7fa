//! `handoff doctor [SYMPTOM] [--json]`: the troubleshooting panel from a terminal. Each symptom's probes run
//! against one reading of the account and the data folder; one block per symptom with what each probe saw,
//! then the cause, the fix and the action.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use handoff::bundle::{self, Looked, Written};
use handoff::doctor::{self, DoctorError, Finding, Outcome, Symptom};

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Symptoms: credentials-failing, no-ticket, replies-not-reaching, internal-notes-reaching, \
                  webhook-4xx, trigger-not-firing, duplicates, rate-limited, token-expiring (all of them when \
                  none is named).\n\nExit codes: 0 nothing wrong found; 15 a cause was found (its fix is \
                  printed); 2 unknown symptom; 4 keychain unavailable; 5 not connected; 1 the data folder could \
                  not be read, or the bundle not written. With --bundle the zip is written even when the doctor \
                  cannot look (not connected): it then holds the local data only."
)]
pub struct DoctorArgs {
    /// The symptom to look into (default: every symptom).
    #[arg(value_name = "SYMPTOM")]
    symptom: Option<String>,
    /// Also write the redacted diagnostics bundle (a zip) to PATH: a .zip file, or a folder to put
    /// handoff-diagnostics-<time>.zip in.
    #[arg(long, value_name = "PATH")]
    bundle: Option<PathBuf>,
}

pub async fn run(context: &Context, args: DoctorArgs) -> ExitCode {
    let json = context.json;
    let symptoms = match args.symptom.as_deref() {
        None => Vec::new(),
        Some(text) => match Symptom::parse(text) {
            Some(symptom) => vec![symptom],
            None => {
                let known: Vec<&str> = Symptom::ALL.iter().map(|s| s.as_str()).collect();
                return fail(
                    Exit::Usage,
                    &format!(
                        "unknown symptom {text:?}: use one of {} (or none for all)",
                        known.join(", ")
                    ),
                    json,
                );
            }
        },
    };
    let outcome = doctor::run(&context.profile, &context.clock, &symptoms).await;
    let written = match &args.bundle {
        None => None,
        Some(path) => {
            let looked = match &outcome {
                Ok(report) => Looked::Doctor(report),
                Err(error) => Looked::NotLooked(error.to_string()),
            };
            match bundle::write(&context.profile, looked, path, context.clock.now()).await {
                Ok(written) => Some(written),
                Err(error) => return fail(Exit::Internal, &error.to_string(), json),
            }
        }
    };
    let report = match outcome {
        Ok(report) => report,
        Err(error) => {
            if let (Some(written), false) = (&written, json) {
                print_written(written);
            }
            return failed(&error, json);
        }
    };
    if json {
        let mut value = doctor::report_json(&report);
        if let (Some(written), Some(object)) = (&written, value.as_object_mut()) {
            object.insert("bundle".to_owned(), bundle_json(written));
        }
        print_json(&value);
    } else {
        let detailed = symptoms.len() == 1;
        for finding in &report.findings {
            print_finding(finding, detailed);
        }
        let found = report.findings.iter().filter(|f| f.found()).count();
        if found == 0 {
            println!(
                "\nNothing wrong found ({} Zendesk requests).",
                report.zendesk_requests
            );
        } else {
            println!(
                "\n{found} symptom(s) with a cause found: fix the first one above, then run `handoff doctor` again."
            );
        }
        if let Some(written) = &written {
            print_written(written);
        }
    }
    if report.found() {
        Exit::ProblemFound.into()
    } else {
        ExitCode::SUCCESS
    }
}

fn print_written(written: &Written) {
    println!(
        "Diagnostics bundle written to {} ({} files, {} KB, every secret redacted).",
        written.path.display(),
        written.files.len(),
        written.bytes.div_ceil(1024)
    );
}

fn bundle_json(written: &Written) -> serde_json::Value {
    serde_json::json!({
        "path": written.path.display().to_string(),
        "files": written.files,
        "bytes": written.bytes,
    })
}

/// Maps the reasons the doctor could not look at all to the exit codes.
pub fn failed(error: &DoctorError, json: bool) -> ExitCode {
    let code = match error {
        DoctorError::NotConnected => Exit::NotConnected,
        DoctorError::Setup(setup) if super::setup::is_keychain(setup).is_some() => Exit::Keychain,
        DoctorError::Connect(handoff::ConnectError::Keychain(_)) => Exit::Keychain,
        _ => Exit::Internal,
    };
    fail(code, &error.to_string(), json)
}

/// One block per symptom: its verdict, each probe (always for a single symptom or a cause found), then the
/// cause, fix and action.
fn print_finding(finding: &Finding, detailed: bool) {
    let symptom = finding.symptom;
    let mark = if finding.found() { "FOUND" } else { "ok   " };
    println!("[{mark}] {} ({})", symptom.title(), symptom.as_str());
    if detailed || finding.found() {
        for probe in &finding.probes {
            let outcome = match probe.outcome {
                Outcome::Ok => "ok     ",
                Outcome::Problem => "PROBLEM",
                Outcome::Unknown => "??     ",
            };
            println!("        {outcome} {}: {}", probe.name, probe.evidence);
        }
    }
    if let Some(diagnosis) = &finding.diagnosis {
        println!("        cause:  {}", diagnosis.cause);
        println!("        fix:    {}", diagnosis.fix);
        let how = diagnosis
            .action
            .command()
            .map(|c| format!(" (`{c}`)"))
            .or_else(|| diagnosis.action.url().map(|u| format!(" ({u})")))
            .unwrap_or_default();
        println!("        action: {}{how}", diagnosis.action.as_str());
    }
}
