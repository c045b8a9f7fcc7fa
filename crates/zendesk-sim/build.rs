//! Embeds the real account dump (ticket fields, triggers) into the simulator.
//!
//! Reads `$CARGO_MANIFEST_DIR/../../../shared/zendesk/fixtures/account-dump` and copies the
//! files into OUT_DIR. `HANDOFF_SHARED_DIR` overrides where the shared material is: either
//! the `shared` directory itself or the account-dump directory.
//! When the shared material is absent, a small built-in seed is written instead and a cargo
//! warning says so, so a checkout without `../shared` still builds.

use std::path::PathBuf;

const FILES: [&str; 2] = ["ticket_fields.json", "triggers.json"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let shared = match std::env::var_os("HANDOFF_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => manifest_dir.join("../../../shared"),
    };
    let nested = shared.join("zendesk/fixtures/account-dump");
    let dump = if nested.is_dir() || !shared.join("ticket_fields.json").is_file() {
        nested
    } else {
        shared
    };
    println!("cargo:rerun-if-env-changed=HANDOFF_SHARED_DIR");
    println!("cargo:rerun-if-changed={}", dump.display());
    let out = PathBuf::from(std::env::var("OUT_DIR")?).join("seed");
    std::fs::create_dir_all(&out)?;
    let complete = FILES.iter().all(|name| dump.join(name).is_file());
    for name in FILES {
        let target = out.join(name);
        if complete {
            let source = dump.join(name);
            println!("cargo:rerun-if-changed={}", source.display());
            std::fs::copy(&source, &target)?;
        } else {
            let fallback = match name {
                "ticket_fields.json" => FALLBACK_TICKET_FIELDS,
                _ => FALLBACK_TRIGGERS,
            };
            std::fs::write(&target, fallback)?;
        }
    }
    if !complete {
        println!(
            "cargo:warning=zendesk-sim: account dump not found at {}; embedding the small built-in seed",
            dump.display()
        );
    }
    Ok(())
}

/// A minimal stand-in: one custom dropdown and one date field (system fields are always
/// created by the simulator itself).
const FALLBACK_TICKET_FIELDS: &str = r#"{"ticket_fields":[
{"id":360000000001,"type":"tagger","title":"Channel","raw_title":"Channel","description":"","raw_description":"","position":1,"active":true,"required":false,"collapsed_for_agents":false,"regexp_for_validation":null,"title_in_portal":"Channel","raw_title_in_portal":"Channel","visible_in_portal":false,"editable_in_portal":false,"required_in_portal":false,"tag":null,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","removable":true,"key":null,"agent_description":null,
 "custom_field_options":[{"id":360000000101,"name":"Chat","raw_name":"Chat","value":"channel_chat","default":false},{"id":360000000102,"name":"Voice","raw_name":"Voice","value":"channel_voice","default":false}]},
{"id":360000000002,"type":"date","title":"Follow-up date","raw_title":"Follow-up date","description":"","raw_description":"","position":2,"active":true,"required":false,"collapsed_for_agents":false,"regexp_for_validation":null,"title_in_portal":"Follow-up date","raw_title_in_portal":"Follow-up date","visible_in_portal":false,"editable_in_portal":false,"required_in_portal":false,"tag":null,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","removable":true,"key":null,"agent_description":null}
]}"#;

const FALLBACK_TRIGGERS: &str = r#"{"triggers":[]}"#;
