//! `handoff doctor [SYMPTOM] [--json]`: the troubleshooting panel from a terminal. Each symptom's probes run
//! against one reading of the account and the data folder; one block per symptom with what each probe saw,
//! then the cause, the fix and the action.

use std::process::ExitCode;

use clap::Args;
use handoff::doctor::{self, DoctorError, Finding, Outcome, Symptom};

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
#[command(
    after_help = "Symptoms: credentials-failing, no-ticket, replies-not-reaching, internal-notes-reaching, \
                  webhook-4xx, trigger-not-firing, duplicates, rate-limited, token-expiring (all of them when \
                  none is named).\n\nExit codes: 0 nothing wrong found; 15 a cause was found (its fix is \
                  printed); 2 unknown symptom; 4 keychain unavailable; 5 not connected; 1 the data folder could \
                  not be read."
)]
pub struct DoctorArgs {
    /// The symptom to look into (default: every symptom).
    #[arg(value_name = "SYMPTOM")]
    symptom: Option<String>,
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
    let report = match doctor::run(&context.profile, &context.clock, &symptoms).await {
        Ok(report) => report,
        Err(error) => return failed(&error, json),
    };
    if json {
        print_json(&doctor::report_json(&report));
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
    }
    if report.found() {
        Exit::ProblemFound.into()
    } else {
        ExitCode::SUCCESS
    }
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
