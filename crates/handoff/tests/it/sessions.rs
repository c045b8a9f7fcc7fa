//! Sessions as the sessions API and the CLI will drive them (SPEC §7, §8): validation with typed errors that
//! name the field, the AI kept quiet once a rep owns the conversation, idempotent handoff requests, and
//! property tests that no input panics.

use handoff::clock::Clock;
use handoff::session::{
    Channel, HandoffRequest, HandoffState, Mode, NewContact, NewSession, NewTurn, Role,
    SessionError, SessionId, Sessions,
};
use handoff::store::Store;
use jiff::Timestamp;
use proptest::prelude::*;

fn sessions(dir: &tempfile::TempDir) -> Sessions {
    let store = Store::open(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let start: Timestamp = "2026-11-24T10:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    Sessions::new(store, Clock::from_fn(move || start))
}

fn turn(role: Role, text: &str) -> NewTurn {
    NewTurn {
        role,
        text: text.to_owned(),
        at: None,
    }
}

fn valid() -> NewSession {
    NewSession {
        contact: NewContact {
            name: Some("Ana".into()),
            email: Some("ana@example.com".into()),
            ..NewContact::default()
        },
        channel: Channel::Email,
        mode: Mode::Autopilot,
        turns: vec![turn(Role::Customer, "Hello")],
        summary: None,
        sentiment: None,
        language: None,
    }
}

/// How a case spoils the valid input.
type Edit = fn(&mut NewSession);

#[test]
fn bad_input_is_refused_with_the_field_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sessions = sessions(&dir);
    let future: Timestamp = "2026-11-24T11:00:00Z"
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    // (what is wrong, how, the field named)
    let table: Vec<(&str, Edit, &str)> = vec![
        (
            "no way to reach the contact",
            |s| {
                s.contact = NewContact {
                    name: Some("Ana".into()),
                    ..NewContact::default()
                }
            },
            "contact",
        ),
        (
            "a malformed email",
            |s| s.contact.email = Some("ana at example".into()),
            "contact.email",
        ),
        (
            "a local phone number",
            |s| s.contact.phone = Some("0612345678".into()),
            "contact.phone",
        ),
        (
            "a name with control characters",
            |s| s.contact.name = Some("A\u{7}na".into()),
            "contact.name",
        ),
        (
            "an external id past 255 characters",
            |s| s.contact.external_id = Some("x".repeat(256)),
            "contact.external_id",
        ),
        (
            "an empty turn",
            |s| s.turns.push(turn(Role::Customer, "   ")),
            "turns[1].text",
        ),
        (
            "a huge turn",
            |s| s.turns.push(turn(Role::Ai, &"y".repeat(32_001))),
            "turns[1].text",
        ),
        (
            "a language that is not BCP 47",
            |s| s.language = Some("english".into()),
            "language",
        ),
        (
            "a summary past 10,000 characters",
            |s| s.summary = Some("z".repeat(10_001)),
            "summary",
        ),
        (
            "an AI turn after an agent's",
            |s| {
                s.turns.extend([
                    turn(Role::Agent, "Hi, Sam here"),
                    turn(Role::Ai, "Anything else?"),
                ])
            },
            "turns[2]",
        ),
    ];
    for (what, edit, field) in table {
        let mut input = valid();
        edit(&mut input);
        match sessions.create(input) {
            Err(SessionError::Invalid { field: named, why }) => {
                assert_eq!(named, field, "{what}: {why}");
                assert!(!why.is_empty());
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    let mut late = valid();
    late.turns[0].at = Some(future);
    assert!(
        matches!(sessions.create(late), Err(SessionError::Invalid { field, .. }) if field == "turns[0].at")
    );
    assert_eq!(
        sessions.list(100).map(|l| l.len()).ok(),
        Some(0),
        "nothing was stored"
    );
}

#[test]
fn an_ai_turn_on_a_human_active_session_is_refused() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sessions = sessions(&dir);
    let session = sessions.create(valid()).unwrap_or_else(|e| panic!("{e}"));
    assert!(!session.human_active);
    sessions
        .add_turn(session.id, turn(Role::Ai, "How can I help?"))
        .unwrap_or_else(|e| panic!("{e}"));
    sessions
        .add_turn(
            session.id,
            turn(Role::Agent, "Hi, this is Sam from support."),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        sessions
            .get(session.id)
            .map(|s| s.human_active)
            .unwrap_or(false),
        "a rep spoke: the session is theirs"
    );

    let refused = sessions.add_turn(session.id, turn(Role::Ai, "I can also help!"));
    match refused {
        Err(SessionError::HumanActive(id)) => assert_eq!(id, session.id),
        other => panic!("{other:?}"),
    }
    let message = sessions
        .add_turn(session.id, turn(Role::Ai, "x"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("a rep owns the conversation"), "{message}");
    sessions
        .add_turn(session.id, turn(Role::Customer, "Thanks Sam"))
        .unwrap_or_else(|e| panic!("{e}"));
    let stored = sessions.get(session.id).unwrap_or_else(|e| panic!("{e}"));
    let roles: Vec<Role> = stored.turns.iter().map(|t| t.role).collect();
    assert_eq!(
        roles,
        [Role::Customer, Role::Ai, Role::Agent, Role::Customer],
        "the refused turns were not kept"
    );
    assert_eq!(
        stored.turns.iter().map(|t| t.seq).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );

    let unknown = SessionId::new();
    assert!(
        matches!(sessions.add_turn(unknown, turn(Role::Customer, "hi")), Err(SessionError::NotFound(id)) if id == unknown)
    );
    assert!(matches!(
        sessions.get(unknown),
        Err(SessionError::NotFound(_))
    ));
}

#[test]
fn handoff_requests_are_idempotent_per_request_id_and_derive_what_is_missing() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let sessions = sessions(&dir);
    let mut input = valid();
    input.turns = vec![turn(
        Role::Customer,
        "Bonjour, ma commande est arrivée cassée, c'est inadmissible.",
    )];
    let session = sessions.create(input).unwrap_or_else(|e| panic!("{e}"));
    let request = |id: &str| HandoffRequest {
        request_id: id.to_owned(),
        ..HandoffRequest::default()
    };

    let first = sessions
        .request_handoff(session.id, request("a"))
        .unwrap_or_else(|e| panic!("{e}"));
    let again = sessions
        .request_handoff(session.id, request(" a "))
        .unwrap_or_else(|e| panic!("{e}"));
    let other = sessions
        .request_handoff(session.id, request("b"))
        .unwrap_or_else(|e| panic!("{e}"));

    assert!(!first.repeated && again.repeated && !other.repeated);
    assert_eq!(first.job_id, again.job_id);
    assert_ne!(first.job_id, other.job_id);
    let stored = sessions.get(session.id).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        stored.handoff,
        HandoffState::Pending {
            reason: "queued".into()
        }
    );
    assert_eq!(stored.language.as_ref().map(|l| l.as_str()), Some("fr"));
    assert_eq!(stored.sentiment.map(|s| s.as_str()), Some("negative"));
    assert!(stored
        .summary
        .as_deref()
        .is_some_and(|s| s.contains("commande est arrivée cassée")));
    for bad in ["", "  ", "x\u{0}y"] {
        assert!(
            matches!(sessions.request_handoff(session.id, request(bad)), Err(SessionError::Invalid { field, .. }) if field == "request_id")
        );
    }
    assert!(matches!(
        sessions.request_handoff(SessionId::new(), request("c")),
        Err(SessionError::NotFound(_))
    ));
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Customer), Just(Role::Ai), Just(Role::Agent)]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() })]

    /// Any contact, turns, summary and language: a session or a typed refusal, never a panic; a refusal
    /// stores nothing.
    #[test]
    fn any_session_input_is_stored_or_refused_never_a_panic(
        name in proptest::option::of(any::<String>()),
        email in proptest::option::of(any::<String>()),
        phone in proptest::option::of("[+0-9 ()-]{0,20}"),
        external_id in proptest::option::of(any::<String>()),
        turns in proptest::collection::vec((role(), any::<String>()), 0..6),
        summary in proptest::option::of(any::<String>()),
        language in proptest::option::of("[a-zA-Z_-]{0,12}"),
        channel in any::<String>(),
        extra in (role(), any::<String>()),
    ) {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let sessions = sessions(&dir);
        let channel = Channel::parse(&channel).unwrap_or(Channel::Web);
        let input = NewSession {
            contact: NewContact { name, email, phone, external_id },
            channel,
            mode: Mode::Assist,
            turns: turns.iter().map(|(role, text)| turn(*role, text)).collect(),
            summary,
            sentiment: None,
            language,
        };
        match sessions.create(input) {
            Ok(session) => {
                let stored = sessions.get(session.id).unwrap_or_else(|e| panic!("{e}"));
                prop_assert_eq!(&stored, &session);
                match sessions.add_turn(session.id, turn(extra.0, &extra.1)) {
                    Ok(_) | Err(SessionError::Invalid { .. }) => {}
                    Err(SessionError::HumanActive(_)) => prop_assert!(session.human_active && extra.0 == Role::Ai),
                    Err(other) => prop_assert!(false, "{other:?}"),
                }
                let accepted = sessions.request_handoff(session.id, HandoffRequest { request_id: "p".into(), ..HandoffRequest::default() });
                prop_assert!(accepted.is_ok(), "{accepted:?}");
            }
            Err(SessionError::Invalid { field, why }) => {
                prop_assert!(!field.is_empty() && !why.is_empty());
                prop_assert_eq!(sessions.list(10).map(|l| l.len()).ok(), Some(0));
            }
            Err(other) => prop_assert!(false, "{other:?}"),
        }
    }
}
