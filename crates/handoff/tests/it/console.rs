//! What the console's Verify and Settings screens call beyond the operations tested elsewhere, against the
//! simulator with the real keychain and SQLite: agents named by ID (the rep picker and the default agent), the
//! Settings screen's overview, the folders and Admin Center pages the console opens (named, never a caller's
//! address), and the last verification read back as it was kept.

use std::sync::Mutex;

use handoff::agent::{self, AgentError};
use handoff::oauth::browser::{Browser, BrowserError};
use handoff::profile::{self, FolderError};
use handoff::settings;
use handoff::setup::checklist::FixAction;
use handoff::setup::manual::{self, OpenPageError};
use handoff::store::VerificationRow;
use handoff::verify::{self, StepId, StepState};
use zendesk::User;
use zendesk_sim::Seed;

use crate::setup::{setup_rig, SetupRig};

/// Stands in for the system opener: notes each URL it is asked to open.
#[derive(Default)]
struct Opened(Mutex<Vec<String>>);

impl Browser for Opened {
    fn open(&self, url: &url::Url) -> Result<(), BrowserError> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(url.to_string());
        Ok(())
    }
}

impl Opened {
    fn urls(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

async fn staff(rig: &SetupRig, email: &str) -> User {
    rig.admin
        .staff_users()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .find(|user| user.email.as_deref() == Some(email))
        .unwrap_or_else(|| panic!("the seed has {email}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_are_looked_up_by_id_and_only_an_assignable_one_becomes_the_default() {
    let rig = setup_rig(Seed::Minimal).await;
    let (profile, clock) = (&rig.profile, &rig.clock);
    let agent = staff(&rig, "agent@example.com").await;
    let light = staff(&rig, "light.agent@example.com").await;
    let admin = staff(&rig, "admin@example.com").await;

    let found = agent::lookup(profile, clock, &agent.id.to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.user.name, "Aaron Agent");
    assert_eq!((found.not_assignable, found.cannot_reply), (None, None));

    let found = agent::lookup(profile, clock, &light.id.to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let why = found.not_assignable.unwrap_or_default();
    assert!(
        why.contains("Lena Light") && why.contains("light agent"),
        "{why}"
    );
    assert!(
        found
            .cannot_reply
            .is_some_and(|why| why.contains("internal notes")),
        "a light agent cannot reply publicly"
    );

    // The user the console signs in as may be assigned tickets, but its own reply proves nothing.
    let found = agent::lookup(profile, clock, &admin.id.to_string())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(found.not_assignable, None);
    assert!(
        found
            .cannot_reply
            .is_some_and(|why| why.contains("signs in as")),
        "the integration's own user"
    );

    for (typed, says) in [
        ("12ab", "is not a number"),
        ("0", "start at 1"),
        ("99999999", "no user has ID 99999999"),
    ] {
        let refused = agent::lookup(profile, clock, typed).await.err();
        assert!(
            matches!(&refused, Some(AgentError::Invalid(message)) if message.contains(says)),
            "{typed}: {refused:?}"
        );
    }

    // The default agent: a light agent is refused and nothing changes; an agent is stored; empty clears it.
    let refused = agent::set_default(profile, clock, &light.id.to_string())
        .await
        .err();
    assert!(
        matches!(&refused, Some(AgentError::NotAssignable(why)) if why.contains("light agent")),
        "{refused:?}"
    );
    let connection = |profile: &handoff::profile::Profile| {
        profile
            .connection()
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("connected"))
    };
    assert_eq!(connection(profile).default_agent, None);
    let set = agent::set_default(profile, clock, &format!(" {} ", agent.id))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.map(|a| a.id), Some(agent.id));
    let stored = connection(profile).default_agent;
    assert_eq!(
        stored
            .as_ref()
            .map(|a| (a.id, a.name.as_str(), a.role.as_str())),
        Some((agent.id, "Aaron Agent", "agent"))
    );
    assert_eq!(
        settings::overview(profile)
            .unwrap_or_else(|e| panic!("{e}"))
            .default_agent,
        stored
    );
    assert_eq!(
        agent::set_default(profile, clock, "")
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        None
    );
    assert_eq!(connection(profile).default_agent, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_opens_only_the_profiles_folders_and_the_accounts_own_admin_pages() {
    let rig = setup_rig(Seed::Minimal).await;
    let profile = &rig.profile;
    let opened = Opened::default();

    let data = profile::open_folder(profile, "data", &opened).unwrap_or_else(|e| panic!("{e}"));
    let logs = profile::open_folder(profile, "logs", &opened).unwrap_or_else(|e| panic!("{e}"));
    assert!(logs.is_dir(), "a logs folder not written yet is made");
    let canonical = |path: &std::path::Path| {
        std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    assert_eq!(data, canonical(profile.data_dir()));
    assert_eq!(logs, canonical(&profile.logs_dir()));
    // The console's diagnostics bundle goes into the data folder's own `diagnostics` folder, which opens by name.
    let bundle = handoff::bundle::save(profile, &rig.clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        bundle
            .path
            .starts_with(profile.data_dir().join("diagnostics"))
            && bundle.path.is_file(),
        "{}",
        bundle.path.display()
    );
    assert!(
        bundle.files.iter().any(|f| f == "doctor.json"),
        "{:?}",
        bundle.files
    );
    let diagnostics =
        profile::open_folder(profile, "diagnostics", &opened).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        diagnostics,
        canonical(&profile.data_dir().join("diagnostics"))
    );
    assert_eq!(
        opened.urls(),
        [
            format!("file://{}/", data.display()),
            format!("file://{}/", logs.display()),
            format!("file://{}/", diagnostics.display())
        ]
    );
    let refused = profile::open_folder(profile, "/etc", &opened).err();
    assert!(
        matches!(refused, Some(FolderError::Unknown(_))),
        "{refused:?}"
    );

    let host = profile
        .connection()
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"))
        .subdomain
        .host();
    let page = manual::open_fix_page(profile, FixAction::RepairTrigger.as_str(), &opened)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        page.as_str(),
        format!("https://{host}{}", manual::TRIGGERS_PAGE)
    );
    let page = manual::open_fix_page(profile, "setup:signing-secret", &opened)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        page.as_str(),
        format!("https://{host}{}", manual::WEBHOOKS_PAGE)
    );
    for fix in ["serve", "https://evil.example/admin/", "setup:everything"] {
        let refused = manual::open_fix_page(profile, fix, &opened).err();
        assert!(
            matches!(refused, Some(OpenPageError::NoPage(_))),
            "{fix}: {refused:?}"
        );
    }
    assert_eq!(opened.urls().len(), 5, "nothing else was opened");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_settings_overview_and_the_last_verification_read_what_was_kept() {
    let rig = setup_rig(Seed::Minimal).await;
    let profile = &rig.profile;
    let overview = settings::overview(profile).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(overview.tag_prefix, "opencx");
    assert!(!overview.ticket_every_conversation);
    assert!(!overview.webhook_set_up, "setup has not run");
    assert_eq!(overview.url_key_grace.as_hours(), 24);
    assert_eq!(overview.data_folder, profile.data_dir());

    assert_eq!(
        verify::last(profile)
            .await
            .unwrap_or_else(|e| panic!("{e}")),
        None
    );
    let steps = serde_json::json!([
        {"id": "credentials", "label": "Re-verify the credentials", "state": "passed", "detail": "Zendesk accepts",
         "duration_ms": 40, "cause": null, "fix": null, "action": null},
        {"id": "setup", "label": "Check setup", "state": "failed", "detail": "Trigger is active is failing",
         "duration_ms": 230, "cause": "deactivated in Zendesk", "fix": "Run `handoff setup --fix trigger`",
         "action": "setup:trigger"},
    ]);
    profile
        .store()
        .record_verification_steps(
            &VerificationRow {
                started_at: "2026-12-01T10:00:00Z".into(),
                finished_at: "2026-12-01T10:00:01Z".into(),
                passed: false,
                failed_step: Some("setup".into()),
                detail: Some("deactivated in Zendesk".into()),
            },
            &steps.to_string(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let last = verify::last(profile)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("kept"));
    assert!(!last.passed);
    assert_eq!(last.started_at, "2026-12-01T10:00:00Z");
    let seen: Vec<(StepId, StepState, Option<FixAction>, Option<u128>)> = last
        .steps
        .iter()
        .map(|s| (s.id, s.state, s.action, s.duration.map(|d| d.as_millis())))
        .collect();
    assert_eq!(
        seen,
        [
            (StepId::Credentials, StepState::Passed, None, Some(40)),
            (
                StepId::Setup,
                StepState::Failed,
                Some(FixAction::RepairTrigger),
                Some(230)
            ),
        ]
    );
}
