//! The loopback redirect (RFC 8252 §7.3): a listener on `127.0.0.1:<port>` that receives exactly one valid
//! authorization answer, tells the browser it can close the tab, and closes. The port is fixed
//! (`oauth-redirect-port`, default [`DEFAULT_OAUTH_REDIRECT_PORT`]) because Zendesk redirects the browser only
//! to a URL registered in the OAuth client; [`redirect_url`] is that URL, for the admin to register.
//!
//! Invariants: only `/oauth/callback` with the expected `state` (compared in constant time) is accepted, so a
//! favicon request, a stale tab or another site's redirect cannot end or hijack the sign-in; the listener
//! never outlives [`Loopback::wait`] (deadline, cancel or answer), so no port stays open behind the console; it
//! listens only on a loopback address, and serves under [`Limits::LOOPBACK`] (small headers, a header read
//! timeout that also cuts silent connections, a short connection lifetime).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use zendesk::SecretString;

use super::Cancel;
use crate::server::Limits;
pub use crate::settings::DEFAULT_OAUTH_REDIRECT_PORT;

/// The path Zendesk redirects the browser to.
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// The redirect URL to register in the OAuth client for `port`: `http://127.0.0.1:<port>/oauth/callback`.
/// `None` for port 0, where the system picks a port at each sign-in.
pub fn redirect_url(port: u16) -> Option<String> {
    (port != 0).then(|| format!("http://127.0.0.1:{port}{CALLBACK_PATH}"))
}

/// Why the sign-in could not listen for Zendesk's answer.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// What to do about it depends on where the admin stands (the CLI's `handoff config set
    /// oauth-redirect-port N`, the Connect screen's port field), so the message says only what happened.
    #[error(
        "another program already listens on 127.0.0.1:{port}, the port of the redirect URL \
         (http://127.0.0.1:{port}{CALLBACK_PATH}), so the sign-in cannot receive Zendesk's answer there"
    )]
    PortTaken { port: u16 },
    #[error("listening on 127.0.0.1:{port} failed: {error}")]
    Io { port: u16, error: std::io::Error },
}

/// A bound, not yet serving, loopback listener. Binding first gives the redirect URI for the authorize URL.
#[derive(Debug)]
pub struct Loopback {
    listener: TcpListener,
    address: SocketAddr,
}

/// What the browser brought back.
#[derive(Debug)]
pub enum Answer {
    /// The admin approved: the code to exchange (valid 120 s).
    Code(SecretString),
    /// Zendesk redirected with an error (`access_denied` when the admin chose Deny).
    Error {
        /// The OAuth error code, e.g. `access_denied`.
        error: String,
        /// Zendesk's description, when it sent one.
        description: Option<String>,
    },
}

/// Why no answer came.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("no answer from the browser within {} minutes", .0.as_secs().div_ceil(60))]
    TimedOut(Duration),
    #[error("the sign-in was cancelled")]
    Cancelled,
    #[error("the loopback listener failed: {0}")]
    Server(std::io::Error),
}

impl Loopback {
    /// Binds `127.0.0.1:<port>` (0: a port the OS picks), reachable only from this machine.
    pub async fn bind(port: u16) -> Result<Loopback, BindError> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|error| match error.kind() {
                std::io::ErrorKind::AddrInUse => BindError::PortTaken { port },
                _ => BindError::Io { port, error },
            })?;
        Loopback::on(listener).map_err(|error| BindError::Io { port, error })
    }

    /// Serves on a listener the caller bound. It must be on a loopback address: the redirect carries a code
    /// that, with the verifier, is worth a token, so it must never be receivable from another machine.
    pub fn on(listener: TcpListener) -> std::io::Result<Loopback> {
        let address = listener.local_addr()?;
        if !address.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "the sign-in listener must be on a loopback address such as 127.0.0.1, not {}",
                    address.ip()
                ),
            ));
        }
        Ok(Loopback { listener, address })
    }

    /// `http://127.0.0.1:<port>/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://{}{CALLBACK_PATH}", self.address)
    }

    /// Serves until the first callback that carries `expected_state`, the deadline, or `cancel`; then closes.
    pub async fn wait(
        self,
        expected_state: &str,
        deadline: Duration,
        cancel: &Cancel,
    ) -> Result<Answer, WaitError> {
        let (answer_tx, answer_rx) = oneshot::channel();
        let shared = Arc::new(Callback {
            expected_state: expected_state.to_owned(),
            answer: Mutex::new(Some(answer_tx)),
        });
        let router = Router::new()
            .route(CALLBACK_PATH, get(callback))
            .with_state(shared);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let limits = Limits::LOOPBACK;
        let server = tokio::spawn(crate::server::serve(self.listener, router, limits, async {
            let _ = stop_rx.await;
        }));
        let outcome = tokio::select! {
            answer = answer_rx => answer.map_err(|_| WaitError::Server(std::io::Error::other("the listener stopped"))),
            () = tokio::time::sleep(deadline) => Err(WaitError::TimedOut(deadline)),
            () = cancel.cancelled() => Err(WaitError::Cancelled),
        };
        let _ = stop_tx.send(());
        // The answered request finishes within the drain; a browser holding an idle connection open does not
        // keep the port, since the server drops what is left after it.
        let abort = server.abort_handle();
        match tokio::time::timeout(limits.drain * 2, server).await {
            Ok(Ok(Err(error))) if outcome.is_ok() => {
                tracing::debug!(%error, "loopback listener ended with an error after the answer")
            }
            Ok(_) => {}
            Err(_) => abort.abort(),
        }
        outcome
    }
}

struct Callback {
    expected_state: String,
    /// Taken by the first accepted callback: later ones are told the sign-in is over.
    answer: Mutex<Option<oneshot::Sender<Answer>>>,
}

async fn callback(
    State(shared): State<Arc<Callback>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let state_matches = query
        .get("state")
        .is_some_and(|state| bool::from(state.as_bytes().ct_eq(shared.expected_state.as_bytes())));
    if !state_matches {
        return page(
            StatusCode::BAD_REQUEST,
            "This sign-in answer does not match",
            "This answer belongs to another sign-in attempt, so the console ignored it. Go back to the console and \
             choose Sign in with Zendesk again if it is still waiting.",
        );
    }
    let answer = match (query.get("code"), query.get("error")) {
        (_, Some(error)) => Answer::Error {
            error: error.clone(),
            description: query.get("error_description").cloned(),
        },
        (Some(code), None) if !code.is_empty() => Answer::Code(SecretString::from(code.as_str())),
        _ => {
            return page(
                StatusCode::BAD_REQUEST,
                "This sign-in answer is incomplete",
                "Zendesk's answer carried neither a code nor an error. Go back to the console and try again.",
            )
        }
    };
    let sender = match shared.answer.lock() {
        Ok(mut slot) => slot.take(),
        Err(_) => None,
    };
    let Some(sender) = sender else {
        return page(
            StatusCode::CONFLICT,
            "This sign-in is already finished",
            "The console already received an answer for this sign-in. You can close this tab.",
        );
    };
    let approved = matches!(answer, Answer::Code(_));
    let _ = sender.send(answer);
    if approved {
        page(
            StatusCode::OK,
            "Signed in to Zendesk",
            "You can close this tab and return to the Zendesk Handoff Console.",
        )
    } else {
        page(
            StatusCode::OK,
            "Sign-in not completed",
            "Zendesk did not grant access. You can close this tab; the console says what happened.",
        )
    }
}

/// A small self-contained page; nothing from the request is echoed into it.
fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto\">\
         <h1>{title}</h1><p>{message}</p></body></html>"
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONNECTION, "close"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str) -> (u16, String) {
        let response = reqwest::get(url)
            .await
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// The browser's visits, in order, and what each gets: only the matching `state` ends the wait.
    #[tokio::test]
    async fn only_the_callback_with_the_expected_state_is_accepted() {
        let loopback = Loopback::bind(0).await.unwrap_or_else(|e| panic!("{e}"));
        let redirect = loopback.redirect_uri();
        assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with(CALLBACK_PATH));
        let origin = redirect.trim_end_matches(CALLBACK_PATH).to_owned();
        let cancel = Cancel::new();
        let waiting = tokio::spawn(async move {
            loopback
                .wait("expected-state", Duration::from_secs(30), &cancel)
                .await
        });
        let visits = [
            (format!("{origin}/favicon.ico"), 404, ""),
            (
                format!("{redirect}?code=stolen&state=other-state"),
                400,
                "does not match",
            ),
            (format!("{redirect}?code=stolen"), 400, "does not match"),
            (
                format!("{redirect}?state=expected-state"),
                400,
                "incomplete",
            ),
            (
                format!("{redirect}?code=c0de&state=expected-state"),
                200,
                "You can close this tab",
            ),
        ];
        for (url, status, says) in visits {
            let (got, body) = get(&url).await;
            assert_eq!(got, status, "{url}: {body}");
            assert!(body.contains(says), "{url}: {body}");
            assert!(
                !body.contains("stolen") && !body.contains("c0de"),
                "nothing is echoed: {body}"
            );
        }
        let answer = waiting.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(&answer, Ok(Answer::Code(code)) if code.expose_secret() == "c0de"),
            "{answer:?}"
        );
        assert!(
            reqwest::get(&redirect).await.is_err(),
            "the listener is closed once the answer is in"
        );
    }

    #[tokio::test]
    async fn only_a_loopback_listener_is_accepted() {
        let loopback = TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(Loopback::on(loopback).is_ok());
        // Every address of every interface: reachable from other machines, so refused.
        if let Ok(any) = TcpListener::bind(("0.0.0.0", 0)).await {
            let refused = Loopback::on(any).map(|_| ()).map_err(|e| e.to_string());
            assert!(
                matches!(&refused, Err(message) if message.contains("loopback") && message.contains("0.0.0.0")),
                "{refused:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_silent_or_oversized_visit_does_not_hold_the_listener() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let loopback = Loopback::bind(0).await.unwrap_or_else(|e| panic!("{e}"));
        let redirect = loopback.redirect_uri();
        let address = loopback.address;
        let waiting = tokio::spawn(async move {
            loopback
                .wait("s", Duration::from_secs(60), &Cancel::new())
                .await
        });
        let mut big = tokio::net::TcpStream::connect(address)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let request = format!(
            "GET /oauth/callback?state=s HTTP/1.1\r\nHost: x\r\nCookie: {}\r\n\r\n",
            "c".repeat(64 * 1024)
        );
        let _ = big.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(5), big.read_to_end(&mut answer)).await;
        assert!(
            String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 431"),
            "oversized headers are refused"
        );
        // A connection that never sends a byte does not stop the real answer from arriving.
        let _silent = tokio::net::TcpStream::connect(address)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (status, _) = get(&format!("{redirect}?code=c&state=s")).await;
        assert_eq!(status, 200);
        let answer = waiting.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(answer, Ok(Answer::Code(_))), "{answer:?}");
    }

    #[tokio::test]
    async fn a_denial_the_deadline_and_cancel_each_end_the_wait_and_close_the_port() {
        let loopback = Loopback::bind(0).await.unwrap_or_else(|e| panic!("{e}"));
        let redirect = loopback.redirect_uri();
        let waiting = tokio::spawn(async move {
            loopback
                .wait("s", Duration::from_secs(30), &Cancel::new())
                .await
        });
        let (status, body) = get(&format!(
            "{redirect}?error=access_denied&error_description=No&state=s"
        ))
        .await;
        assert_eq!(status, 200, "{body}");
        let answer = waiting.await.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            matches!(&answer, Ok(Answer::Error { error, description }) if error == "access_denied" && description.as_deref() == Some("No")),
            "{answer:?}"
        );

        let loopback = Loopback::bind(0).await.unwrap_or_else(|e| panic!("{e}"));
        let redirect = loopback.redirect_uri();
        let timed_out = loopback
            .wait("s", Duration::from_millis(50), &Cancel::new())
            .await;
        assert!(
            matches!(timed_out, Err(WaitError::TimedOut(_))),
            "{timed_out:?}"
        );
        assert!(
            reqwest::get(&redirect).await.is_err(),
            "closed after the deadline"
        );

        let loopback = Loopback::bind(0).await.unwrap_or_else(|e| panic!("{e}"));
        let redirect = loopback.redirect_uri();
        let cancel = Cancel::new();
        let canceller = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            canceller.cancel();
        });
        let cancelled = loopback.wait("s", Duration::from_secs(30), &cancel).await;
        assert!(
            matches!(cancelled, Err(WaitError::Cancelled)),
            "{cancelled:?}"
        );
        assert!(
            reqwest::get(&redirect).await.is_err(),
            "closed after cancel"
        );
    }
}
