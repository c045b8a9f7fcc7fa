//! `handoff session new|say|handoff|show|list`: sessions from a terminal, on the same store and rules as the
//! sessions API (`handoff serve`).
//!
//! `session handoff` queues the handoff durably, then waits for its ticket: when no `handoff serve` works the
//! queue, this command works it itself for as long as it waits (the queue's lease keeps it to one worker).

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};
use handoff::api::{session_line, session_view};
use handoff::handoff::{SessionLinks, Worker, WorkerError};
use handoff::session::{
    Channel, HandoffRequest, HandoffState, Mode, NewContact, NewSession, NewTurn, Role, Sentiment,
    Session, SessionError, SessionId, Sessions,
};
use serde_json::json;

use super::{fail, print_json, Context, Exit};

#[derive(Args)]
pub struct SessionArgs {
    #[command(subcommand)]
    command: SessionCommand,
}

#[derive(Subcommand)]
enum SessionCommand {
    /// Start a session with a contact; prints its id.
    New {
        #[arg(long, allow_hyphen_values = true)]
        name: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        email: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        phone: Option<String>,
        #[arg(long, allow_hyphen_values = true)]
        external_id: Option<String>,
        /// email, whatsapp, sms, web or phone.
        #[arg(long, allow_hyphen_values = true)]
        channel: String,
        /// autopilot, assist or handoff (default).
        #[arg(long, default_value = "handoff", allow_hyphen_values = true)]
        mode: String,
    },
    /// Add a turn. `--as ai` is refused once a rep owns the conversation (exit 10).
    Say {
        id: String,
        /// customer or ai.
        #[arg(long = "as", value_name = "ROLE", allow_hyphen_values = true)]
        role: String,
        #[arg(allow_hyphen_values = true)]
        text: String,
    },
    /// Hand the session off to Zendesk and wait for its ticket.
    Handoff {
        id: String,
        /// Overrides the summary derived from the conversation.
        #[arg(long, allow_hyphen_values = true)]
        summary: Option<String>,
        /// happy, neutral or negative; derived when absent.
        #[arg(long, allow_hyphen_values = true)]
        sentiment: Option<String>,
        /// BCP 47 (en, pt-BR, ...); detected when absent.
        #[arg(long, allow_hyphen_values = true)]
        language: Option<String>,
        /// Makes a retried command the same handoff (default: a new one each time).
        #[arg(long, allow_hyphen_values = true)]
        request_id: Option<String>,
        /// How long to wait for the ticket: 30s (default), 2m, 500ms, or seconds.
        #[arg(long, default_value = "30s", value_parser = parse_wait)]
        wait: Duration,
    },
    /// The session: contact, turns (with the reps' replies), ticket and handoff state.
    Show { id: String },
    /// The newest sessions.
    List {
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

pub async fn run(context: &Context, args: SessionArgs) -> ExitCode {
    let json = context.json;
    let sessions = Sessions::new(context.profile.store().clone(), context.clock.clone());
    let base_url = context
        .profile
        .connection()
        .ok()
        .flatten()
        .map(|c| c.base_url);
    let agent_url = |id: u64| {
        base_url
            .as_ref()
            .map(|base| handoff::handoff::agent_page(base, id))
    };
    match args.command {
        SessionCommand::New {
            name,
            email,
            phone,
            external_id,
            channel,
            mode,
        } => {
            let made = Channel::parse(&channel).and_then(|channel| {
                let mode = Mode::parse(&mode)?;
                sessions.create(NewSession {
                    contact: NewContact {
                        name,
                        email,
                        phone,
                        external_id,
                    },
                    channel,
                    mode,
                    turns: Vec::new(),
                    summary: None,
                    sentiment: None,
                    language: None,
                })
            });
            match made {
                Ok(session) if json => {
                    print_json(&json!(session_view(&session, agent_url)));
                    ExitCode::SUCCESS
                }
                Ok(session) => {
                    println!("{}", session.id);
                    ExitCode::SUCCESS
                }
                Err(error) => session_failure(error, json),
            }
        }
        SessionCommand::Say { id, role, text } => {
            let said = SessionId::parse(&id).and_then(|id| {
                let role = match Role::parse(&role)? {
                    Role::Agent => {
                        return Err(SessionError::Invalid {
                            field: "--as".into(),
                            why: "reps reply in Zendesk; use customer or ai".into(),
                        })
                    }
                    role => role,
                };
                sessions.add_turn(
                    id,
                    NewTurn {
                        role,
                        text,
                        at: None,
                    },
                )
            });
            match said {
                Ok(turn) => {
                    if json {
                        print_json(
                            &json!({ "seq": turn.seq, "role": turn.role.as_str(), "text": turn.text, "at": turn.at.to_string() }),
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => session_failure(error, json),
            }
        }
        SessionCommand::Handoff {
            id,
            summary,
            sentiment,
            language,
            request_id,
            wait,
        } => {
            let id = match SessionId::parse(&id) {
                Ok(id) => id,
                Err(error) => return session_failure(error, json),
            };
            let sentiment = match sentiment.as_deref().map(Sentiment::parse).transpose() {
                Ok(sentiment) => sentiment,
                Err(error) => return session_failure(error, json),
            };
            handoff(
                context,
                &sessions,
                id,
                HandoffRequest {
                    request_id: request_id
                        .unwrap_or_else(|| ulid::Ulid::new().to_string().to_ascii_lowercase()),
                    summary,
                    sentiment,
                    language,
                },
                wait,
            )
            .await
        }
        SessionCommand::Show { id } => {
            match SessionId::parse(&id).and_then(|id| sessions.get(id)) {
                Ok(session) if json => {
                    print_json(&json!(session_view(&session, agent_url)));
                    ExitCode::SUCCESS
                }
                Ok(session) => {
                    print_session(&session, agent_url);
                    ExitCode::SUCCESS
                }
                Err(error) => session_failure(error, json),
            }
        }
        SessionCommand::List { limit } => match sessions.list(limit.clamp(1, 500)) {
            Ok(lines) if json => {
                let lines: Vec<_> = lines.iter().map(session_line).collect();
                print_json(&json!({ "sessions": lines }));
                ExitCode::SUCCESS
            }
            Ok(lines) => {
                if lines.is_empty() {
                    println!("No sessions yet.");
                }
                for line in lines {
                    let who = line
                        .contact
                        .name
                        .or(line.contact.email)
                        .or(line.contact.phone)
                        .or(line.contact.external_id)
                        .unwrap_or_default();
                    let ticket = line
                        .ticket_id
                        .map(|t| format!("#{t}"))
                        .unwrap_or_else(|| "-".into());
                    let human = if line.human_active {
                        "  rep active"
                    } else {
                        ""
                    };
                    println!(
                        "{}  {:<8} {:<28} {:<8} ticket {ticket}{human}",
                        line.id,
                        line.channel.as_str(),
                        who,
                        line.handoff.as_str()
                    );
                }
                ExitCode::SUCCESS
            }
            Err(error) => session_failure(error, json),
        },
    }
}

async fn handoff(
    context: &Context,
    sessions: &Sessions,
    id: SessionId,
    request: HandoffRequest,
    wait: Duration,
) -> ExitCode {
    let json = context.json;
    let account = match handoff::account::open(&context.profile, &context.clock).await {
        Ok(Some(account)) => account,
        Ok(None) => {
            return fail(
                Exit::NotConnected,
                "not connected to Zendesk: run `handoff connect` (or `handoff demo`) first",
                json,
            )
        }
        Err(handoff::ConnectError::Keychain(error)) => {
            return fail(Exit::Keychain, &error.to_string(), json)
        }
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    let links = match context
        .profile
        .keychain()
        .map_err(|error| error.to_string())
    {
        Ok(keychain) => SessionLinks::open(&keychain)
            .await
            .map_err(|error| error.to_string()),
        Err(error) => Err(error),
    };
    let links = match links {
        Ok(links) => links,
        Err(error) => return fail(Exit::Keychain, &error, json),
    };
    // Work the queue here unless another process (a running `handoff serve`) already does.
    let worker = match Worker::new(
        context.profile.store().clone(),
        context.clock.clone(),
        account.client,
        links,
    ) {
        Ok(worker) => match handoff::fields::values_for(&context.profile) {
            // Mapped AI fields are filled on the tickets this command writes, as `handoff serve` fills them.
            Ok(fields) => Some(worker.with_fields(fields)),
            Err(error) => return fail(Exit::Internal, &error.to_string(), json),
        },
        Err(WorkerError::Busy { .. }) => None,
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    let sessions = match &worker {
        Some(worker) => sessions.clone().with_wake(worker.wake()),
        None => sessions.clone(),
    };
    if let Err(error) = sessions.request_handoff(id, request) {
        return session_failure(error, json);
    }
    let waited = match &worker {
        Some(worker) => {
            let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
            let working = worker.run(async {
                let _ = done_rx.await;
            });
            let waiting = async {
                let status = sessions.wait_for_ticket(id, wait).await;
                let _ = done_tx.send(());
                status
            };
            let (worked, status) = tokio::join!(working, waiting);
            if let Err(error) = worked {
                tracing::warn!(%error, "the handoff worker stopped");
            }
            status
        }
        None => sessions.wait_for_ticket(id, wait).await,
    };
    let status = match waited {
        Ok(status) => status,
        Err(error) => return session_failure(error, json),
    };
    let ticket_url = status.ticket_id.and_then(|ticket| {
        context
            .profile
            .connection()
            .ok()
            .flatten()
            .map(|c| handoff::handoff::agent_page(&c.base_url, ticket))
    });
    if json {
        print_json(&json!({
            "session_id": id.to_string(),
            "ticket_id": status.ticket_id,
            "created": status.created,
            "state": status.state.as_str(),
            "reason": status.state.reason(),
            "ticket_url": ticket_url,
        }));
    }
    match &status.state {
        HandoffState::Done => {
            if !json {
                let how = if status.created == Some(true) {
                    "created"
                } else {
                    "updated"
                };
                println!(
                    "Ticket #{} {how}{}",
                    status.ticket_id.unwrap_or_default(),
                    ticket_url.map(|u| format!(": {u}")).unwrap_or_default()
                );
            }
            ExitCode::SUCCESS
        }
        HandoffState::Failed { reason } => {
            if !json {
                eprintln!("handoff: the handoff failed: {reason}");
            }
            Exit::HandoffFailed.into()
        }
        state => {
            if !json {
                let reason = state.reason().unwrap_or("no worker has taken it yet");
                eprintln!(
                    "handoff: still pending after {} s: {reason}. It stays queued and completes later (`handoff serve` works the queue).",
                    wait.as_secs()
                );
            }
            Exit::HandoffPending.into()
        }
    }
}

fn print_session(session: &Session, agent_url: impl Fn(u64) -> Option<String>) {
    let contact = &session.contact;
    let who = [
        &contact.name,
        &contact.email,
        &contact.phone,
        &contact.external_id,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect::<Vec<_>>()
    .join(", ");
    println!("Session {} with {who}", session.id);
    println!("  Channel: {}   Mode: {}", session.channel, session.mode);
    let state = match session.handoff.reason() {
        Some(reason) => format!("{} ({reason})", session.handoff.as_str()),
        None => session.handoff.as_str().to_owned(),
    };
    println!("  Handoff: {state}");
    if let Some(ticket) = &session.ticket {
        println!(
            "  Ticket:  #{}{}",
            ticket.id,
            agent_url(ticket.id)
                .map(|u| format!("  {u}"))
                .unwrap_or_default()
        );
    }
    if session.human_active {
        println!("  A rep owns the conversation: the AI stays quiet.");
    }
    for turn in &session.turns {
        println!("  [{}] {}: {}", turn.at, turn.role, turn.text);
    }
}

fn session_failure(error: SessionError, json: bool) -> ExitCode {
    let code = match &error {
        SessionError::NotFound(_) | SessionError::Invalid { .. } => Exit::Usage,
        SessionError::HumanActive(_) => Exit::HumanActive,
        SessionError::Store(_) => Exit::Internal,
    };
    fail(code, &error.to_string(), json)
}

/// `30s`, `2m`, `500ms`, or a number of seconds.
fn parse_wait(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let (number, unit) = raw.split_at(raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len()));
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{raw:?} is not a wait such as 30s, 2m or 500ms"))?;
    let wait = match unit {
        "" | "s" => Duration::from_secs(number),
        "ms" => Duration::from_millis(number),
        "m" => Duration::from_secs(number.saturating_mul(60)),
        _ => return Err(format!("{raw:?} is not a wait such as 30s, 2m or 500ms")),
    };
    if wait > Duration::from_secs(3600) {
        return Err("wait at most 1 hour (60m)".to_owned());
    }
    Ok(wait)
}
