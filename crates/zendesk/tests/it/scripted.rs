//! A tiny in-test HTTP server on 127.0.0.1:0 that answers from a script and records every request,
//! for the behaviours the simulator does not (or cannot) produce: anonymous users/me, HTML 404s, 429s.

use std::sync::{Arc, Mutex};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use zendesk::{Auth, Client, ClientConfig};

/// One scripted answer: for requests whose `METHOD path?query` starts with `prefix`, used at most `times` times.
#[derive(Clone)]
pub struct Reply {
    pub prefix: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub times: Option<usize>,
}

impl Reply {
    /// A JSON answer.
    pub fn json(prefix: &str, status: u16, body: &str) -> Reply {
        Reply {
            prefix: prefix.to_owned(),
            status,
            headers: vec![(
                "content-type".to_owned(),
                "application/json; charset=utf-8".to_owned(),
            )],
            body: body.to_owned(),
            times: None,
        }
    }

    /// An answer with an arbitrary content type.
    pub fn typed(prefix: &str, status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            headers: vec![("content-type".to_owned(), content_type.to_owned())],
            ..Reply::json(prefix, status, body)
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Limits how often this reply is used; later requests fall through to the next matching reply.
    pub fn times(mut self, times: usize) -> Reply {
        self.times = Some(times);
        self
    }
}

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

#[derive(Default)]
struct Script {
    replies: Vec<Reply>,
    seen: Vec<Seen>,
}

/// A running scripted server.
pub struct Scripted {
    pub base_url: url::Url,
    script: Arc<Mutex<Script>>,
}

impl Scripted {
    pub async fn start(replies: Vec<Reply>) -> Scripted {
        let script = Arc::new(Mutex::new(Script {
            replies,
            seen: Vec::new(),
        }));
        let app = Router::new().fallback(answer).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Scripted {
            base_url: url::Url::parse(&format!("http://{address}")).unwrap(),
            script,
        }
    }

    pub fn client(&self, auth: Auth) -> Client {
        Client::new(ClientConfig::new(self.base_url.clone(), auth)).unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.script.lock().unwrap().seen.clone()
    }
}

async fn answer(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap();
    let key = match parts.uri.query() {
        Some(query) => format!("{} {}?{query}", parts.method, parts.uri.path()),
        None => format!("{} {}", parts.method, parts.uri.path()),
    };
    let mut script = script.lock().unwrap();
    script.seen.push(Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts.headers.clone(),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    let found = script
        .replies
        .iter_mut()
        .find(|reply| key.starts_with(&reply.prefix) && reply.times != Some(0));
    let Some(reply) = found else {
        return (
            StatusCode::IM_A_TEAPOT,
            format!("no scripted reply for {key}"),
        )
            .into_response();
    };
    if let Some(times) = reply.times.as_mut() {
        *times -= 1;
    }
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    response.body(Body::from(reply.body.clone())).unwrap()
}
