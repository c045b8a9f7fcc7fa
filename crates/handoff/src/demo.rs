//! Demo mode: the Zendesk simulator runs in this process, seeded from a real account dump, and the profile is
//! connected to it through the very same Verify & Save path a real account takes — with OAuth, the way in a new
//! account has: the sandbox's confidential client and its secret (client credentials, so no browser).

use jiff::Timestamp;
use zendesk::SecretString;
use zendesk_sim::{OAuthClientKind, RunningSimulator, SimConfig};

use crate::clock::Clock;
use crate::connect::{
    verify_and_save_oauth, Check, ConnectOptions, OAuthConnectInput, SignIn, VerifyReport,
};
use crate::oauth::browser::{Browser, BrowserError};
use crate::oauth::{Cancel, GrantKind};
use crate::profile::Profile;
use crate::session::{
    Channel, HandoffAccepted, HandoffRequest, Mode, NewContact, NewSession, NewTurn, Role,
    SessionError, Sessions,
};
use crate::store::StoreError;
use crate::ConnectError;

/// A running demo: keep it alive as long as the demo account should answer.
pub struct Demo {
    pub simulator: RunningSimulator,
    pub report: VerifyReport,
}

/// Why demo mode did not start.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the sandbox account could not start: {0}")]
    Start(std::io::Error),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("the sandbox account did not pass Verify & Save: {0}")]
    Checks(String),
    #[error("the sandbox account has no confidential OAuth client to connect with")]
    NoClient,
    #[error(
        "this profile is connected to the Zendesk account {host}; the sandbox would replace that connection. \
         Try the sandbox in another data folder (`--data-dir` or HANDOFF_DATA_DIR), or disconnect from {host} first"
    )]
    RealConnection { host: String },
    #[error(
        "a test conversation is only for the sandbox account: it would hand a made-up customer's conversation to \
         your real Zendesk. Try it with the sandbox in another data folder (`--data-dir` or HANDOFF_DATA_DIR)"
    )]
    NotSandbox,
    #[error("the test conversation could not be saved: {0}")]
    Session(#[from] SessionError),
}

/// Client credentials need no browser; the sandbox never opens one.
struct NoBrowser;

impl Browser for NoBrowser {
    fn open(&self, _url: &url::Url) -> Result<(), BrowserError> {
        Err(BrowserError {
            command: "none".to_owned(),
            reason: "the sandbox signs in without a browser".to_owned(),
        })
    }
}

/// Starts the simulator on a free loopback port and connects `profile` to it as the seeded admin.
///
/// Refused while the profile is connected to a real account: the sandbox never replaces a real connection,
/// whoever asks (the window's welcome card, `handoff demo`, a restart).
pub async fn start(
    profile: &Profile,
    now: Timestamp,
    on_check: impl FnMut(&Check) + Send,
) -> Result<Demo, DemoError> {
    if let Some(connection) = profile.connection().map_err(ConnectError::from)? {
        if !connection.demo {
            return Err(DemoError::RealConnection {
                host: connection.subdomain.host(),
            });
        }
    }
    let simulator = zendesk_sim::spawn(SimConfig::default())
        .await
        .map_err(DemoError::Start)?;
    let client = simulator
        .sim
        .oauth_clients()
        .into_iter()
        .find(|client| client.kind == OAuthClientKind::Confidential && client.secret.is_some())
        .ok_or(DemoError::NoClient)?;
    let input = OAuthConnectInput {
        subdomain: simulator.sim.subdomain().to_owned(),
        client_id: client.identifier.clone(),
        client_secret: client.secret.as_deref().map(SecretString::from),
        grant: GrantKind::ClientCredentials,
        default_agent_id: None,
        base_url: Some(simulator.base_url.clone()),
    };
    let sign_in = SignIn {
        browser: &NoBrowser,
        cancel: Cancel::new(),
        wait: crate::connect::DEFAULT_SIGN_IN_WAIT,
    };
    let report = verify_and_save_oauth(
        profile,
        input,
        sign_in,
        ConnectOptions { demo: true },
        &Clock::starting_at(now),
        on_check,
    )
    .await?;
    if !report.saved() {
        return Err(DemoError::Checks(report.failures()));
    }
    Ok(Demo { simulator, report })
}

/// What to do about the sandbox when the console starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autostart {
    /// Restart the sandbox only when the saved connection is one.
    ResumeOnly,
    /// Also start it when nothing is configured yet (the README's run command on a fresh machine).
    WhenUnconfigured,
}

/// When the saved connection is a sandbox, its simulator ended with the process that ran it: start a new one
/// and reconnect, so a restarted console shows a working demo instead of a dead address.
pub async fn resume(
    profile: &Profile,
    now: Timestamp,
    autostart: Autostart,
) -> Result<Option<Demo>, DemoError> {
    match profile.connection().map_err(ConnectError::from)? {
        Some(connection) if connection.demo => Ok(Some(start(profile, now, |_| {}).await?)),
        None if autostart == Autostart::WhenUnconfigured => {
            Ok(Some(start(profile, now, |_| {}).await?))
        }
        _ => Ok(None),
    }
}

/// The sample conversation [`start_test_conversation`] hands off: a customer on email whose order did not
/// arrive, two answers from the AI, then the handoff it promised. (role, text, minutes before now)
const TEST_CONVERSATION: &[(Role, &str, i64)] = &[
    (
        Role::Customer,
        "Hi, I ordered a pair of trail running shoes (order #48213) on March 3rd. The tracking page has said \
         \"in transit\" for nine days now and they were supposed to arrive last Tuesday. Where is my parcel?",
        9,
    ),
    (
        Role::Ai,
        "I'm sorry your order hasn't arrived, Maya. I looked up order #48213: the carrier last scanned the parcel \
         at its regional depot on March 5th and has not updated it since, which usually means it is delayed or lost.",
        8,
    ),
    (
        Role::Customer,
        "I need them for a race on Saturday. Can you send a replacement today or refund me?",
        5,
    ),
    (
        Role::Ai,
        "I understand, the race makes this urgent. A replacement shipped by express or a refund needs a team \
         member's approval, so I'm passing your conversation to a colleague now. They will reply to you by email.",
        4,
    ),
];

/// In the sandbox only: creates a session from [`TEST_CONVERSATION`] (Maya, on email) and asks for its handoff,
/// so a ticket appears in the sandbox account as soon as the queue's worker takes it. Returns at once with the
/// handoff queued; [`Sessions::wait_for_ticket`] or the sessions list shows it done. A second test conversation
/// is the same customer coming back: it updates her ticket, as a returning contact does.
///
/// Refused ([`DemoError::NotSandbox`]) unless the saved connection is the sandbox: a made-up customer must never
/// reach a real account. The store is written on the blocking pool.
pub async fn start_test_conversation(
    profile: &Profile,
    sessions: &Sessions,
    now: Timestamp,
) -> Result<HandoffAccepted, DemoError> {
    let profile = profile.clone();
    let sessions = sessions.clone();
    tokio::task::spawn_blocking(move || {
        let sandbox = profile
            .connection()
            .map_err(ConnectError::from)?
            .is_some_and(|connection| connection.demo);
        if !sandbox {
            return Err(DemoError::NotSandbox);
        }
        let turns = TEST_CONVERSATION
            .iter()
            .map(|(role, text, minutes_ago)| NewTurn {
                role: *role,
                text: (*text).to_owned(),
                at: now
                    .checked_sub(jiff::SignedDuration::from_mins(*minutes_ago))
                    .ok(),
            })
            .collect();
        let session = sessions.create(NewSession {
            contact: NewContact {
                name: Some("Maya Lindqvist".to_owned()),
                email: Some("maya.lindqvist@example.com".to_owned()),
                ..NewContact::default()
            },
            channel: Channel::Email,
            mode: Mode::Handoff,
            turns,
            summary: None,
            sentiment: None,
            language: None,
        })?;
        let request = HandoffRequest {
            request_id: format!("test-conversation-{}", session.id),
            ..HandoffRequest::default()
        };
        Ok(sessions.request_handoff(session.id, request)?)
    })
    .await
    .map_err(|error| DemoError::Session(SessionError::Store(StoreError::Task(error.to_string()))))?
}
