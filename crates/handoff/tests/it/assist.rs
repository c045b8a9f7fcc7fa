//! Assist mode (seed: "The AI posted an internal note on an agent-owned ticket"): an internal note tagged
//! `opencx_assist_mode`, the same note at most once in 48 hours, never on solved or closed tickets.

use std::time::Duration;

use handoff::account;
use handoff::handoff::{post_assist_note, AssistError, AssistNote, AssistOutcome};
use serde_json::json;
use zendesk::{NewComment, NewTicket};

use crate::handoffs::rig;

/// What an outcome must be.
type Expect = fn(&AssistOutcome) -> bool;

#[tokio::test(flavor = "multi_thread")]
async fn assist_notes_are_internal_deduplicated_for_48_hours_and_never_on_solved_or_closed_tickets()
{
    let rig = rig().await;
    let client = account::open(&rig.profile, &rig.clock)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("connected"))
        .client;
    let agent_owned = |subject: &'static str| {
        let admin = rig.admin();
        async move {
            let ticket = NewTicket {
                subject: Some(subject.to_owned()),
                comment: NewComment {
                    body: Some("Customer question".into()),
                    ..NewComment::default()
                },
                tags: vec!["billing".into()],
                ..NewTicket::default()
            };
            admin
                .create_ticket(&ticket, None)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .ticket
                .id
        }
    };
    let ticket = agent_owned("Refund question").await;
    let store = rig.profile.store();
    let note = |text: &str| AssistNote {
        ticket_id: ticket,
        text: text.to_owned(),
    };
    rig.sim.sim.clear_requests();

    let posted = post_assist_note(
        store,
        &rig.clock,
        &client,
        &note("Suggest: refund within 5 days."),
    )
    .await;
    assert_eq!(
        posted.ok(),
        Some(AssistOutcome::Posted { ticket_id: ticket })
    );
    assert_eq!(
        rig.calls(),
        [
            format!("GET /api/v2/tickets/{ticket}"),
            format!("PUT /api/v2/tickets/{ticket}")
        ]
    );
    let sent: serde_json::Value =
        serde_json::from_str(&rig.requests()[1].body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sent["ticket"]["comment"]["public"], json!(false));
    assert_eq!(
        sent["ticket"]["additional_tags"],
        json!(["opencx", "opencx_assist_mode"])
    );
    let tags = rig.ticket(ticket).await.tags;
    assert!(
        tags.contains(&"billing".to_owned()) && tags.contains(&"opencx_assist_mode".to_owned()),
        "{tags:?}"
    );

    // (hours later, note, expected outcome, calls made)
    let table: [(u64, &str, Expect, usize); 3] = [
        (
            1,
            "Suggest:  refund within 5 days. ",
            |o| matches!(o, AssistOutcome::AlreadyPosted { .. }),
            0,
        ),
        (
            47,
            "Suggest: refund within 5 days.",
            |o| matches!(o, AssistOutcome::AlreadyPosted { .. }),
            0,
        ),
        (
            2,
            "Suggest: refund within 5 days.",
            |o| matches!(o, AssistOutcome::Posted { .. }),
            2,
        ),
    ];
    for (hours, text, expected, calls) in table {
        rig.sim
            .sim
            .clock()
            .advance(Duration::from_secs(hours * 3600));
        rig.sim.sim.clear_requests();
        let outcome = post_assist_note(store, &rig.clock, &client, &note(text))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(expected(&outcome), "after {hours} more hours: {outcome:?}");
        assert_eq!(
            rig.calls().len(),
            calls,
            "after {hours} more hours: {:?}",
            rig.calls()
        );
    }
    let notes = rig
        .admin()
        .ticket_comments(ticket)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        notes
            .iter()
            .filter(|c| !c.public && c.body.contains("refund within 5 days"))
            .count(),
        2,
        "once, then again after 48 h"
    );

    // (status the rep set, the answer)
    for status in ["solved", "closed"] {
        let other = agent_owned("Done already").await;
        rig.agent_update(other, json!({"body": "Resolved", "status": status}))
            .await;
        rig.sim.sim.clear_requests();
        let refused = post_assist_note(
            store,
            &rig.clock,
            &client,
            &AssistNote {
                ticket_id: other,
                text: "Try this".into(),
            },
        )
        .await;
        match refused {
            Err(AssistError::TicketNotOpen {
                ticket_id,
                status: said,
            }) => {
                assert_eq!((ticket_id, said.as_str()), (other, status));
            }
            other => panic!("{status}: {other:?}"),
        }
        assert!(
            rig.calls().iter().all(|c| !c.starts_with("PUT")),
            "{status}: nothing written"
        );
    }
    let invalid = post_assist_note(
        store,
        &rig.clock,
        &client,
        &AssistNote {
            ticket_id: ticket,
            text: "  ".into(),
        },
    )
    .await;
    assert!(matches!(
        invalid,
        Err(AssistError::Invalid { field: "text", .. })
    ));
}
