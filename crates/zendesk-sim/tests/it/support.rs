//! Drives the simulator's router in-process with `tower::ServiceExt::oneshot`.

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use tower::ServiceExt;
use zendesk_sim::{basic_token_header, Credential, Seed, SimConfig, Simulator};

/// A simulator with the minimal seed (fast to build) and its router.
pub struct Harness {
    pub sim: Simulator,
    pub app: Router,
}

impl Harness {
    pub fn minimal() -> Harness {
        Harness::with_config(SimConfig {
            seed: Seed::Minimal,
            ..SimConfig::default()
        })
    }

    pub fn with_config(config: SimConfig) -> Harness {
        let sim = Simulator::new(config);
        let app = zendesk_sim::app(sim.clone());
        Harness { sim, app }
    }

    pub fn admin(&self) -> Credential {
        self.sim.admin()
    }

    pub fn agent(&self, email: &str) -> Credential {
        self.sim
            .credential_of(email)
            .unwrap_or_else(|| panic!("seeded user {email} has a token"))
    }

    pub fn request(&self, method: Method, path: &str) -> Exchange {
        Exchange {
            app: self.app.clone(),
            method,
            path: path.to_owned(),
            headers: vec![("host".to_owned(), "127.0.0.1:3000".to_owned())],
            body: None,
        }
    }

    pub fn get(&self, path: &str) -> Exchange {
        self.request(Method::GET, path)
    }
}

/// One request being built.
pub struct Exchange {
    app: Router,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
}

impl Exchange {
    pub fn header(mut self, name: &str, value: &str) -> Exchange {
        self.headers
            .retain(|(known, _)| !known.eq_ignore_ascii_case(name));
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn token(self, credential: &Credential) -> Exchange {
        let value = basic_token_header(&credential.email, &credential.token);
        self.header("authorization", &value)
    }

    /// A raw body (e.g. a form); the caller sets the content type.
    pub fn body(mut self, body: Vec<u8>) -> Exchange {
        self.body = Some(body);
        self
    }

    pub fn json(mut self, body: Value) -> Exchange {
        self.body = Some(body.to_string().into_bytes());
        self.header("content-type", "application/json")
    }

    pub async fn send(self) -> Answer {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(self.body.map_or_else(Body::empty, Body::from))
            .expect("request builds");
        let response = self.app.oneshot(request).await.expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body reads");
        Answer {
            status,
            headers,
            body,
        }
    }
}

/// A response.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "body is JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request a [`Receiver`] captured, with the raw body bytes as sent.
#[derive(Clone, Debug)]
pub struct Captured {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Captured {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// How a receiver answers: status, headers, body.
pub type Answerer = dyn Fn(&Captured) -> (u16, Vec<(String, String)>, String) + Send + Sync;

/// A webhook receiver on 127.0.0.1:0 that records every request it gets.
pub struct Receiver {
    pub url: String,
    captured: std::sync::Arc<std::sync::Mutex<Vec<Captured>>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl Receiver {
    /// A receiver answering 200 `ok` to everything.
    pub async fn ok() -> Receiver {
        Receiver::start(std::sync::Arc::new(|_: &Captured| {
            (200, Vec::new(), "ok".to_owned())
        }))
        .await
    }

    pub async fn start(answer: std::sync::Arc<Answerer>) -> Receiver {
        use axum::extract::State;
        use axum::response::IntoResponse;
        type Shared = (
            std::sync::Arc<std::sync::Mutex<Vec<Captured>>>,
            std::sync::Arc<Answerer>,
        );
        async fn capture(
            State((captured, answer)): State<Shared>,
            request: Request<Body>,
        ) -> axum::response::Response {
            let (parts, body) = request.into_parts();
            let body = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let request = Captured {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().unwrap_or("").to_owned(),
                headers: parts.headers,
                body,
            };
            let (status, headers, text) = answer(&request);
            captured.lock().unwrap().push(request);
            let mut response = (StatusCode::from_u16(status).unwrap(), text).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(
                    axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    axum::http::HeaderValue::from_str(&value).unwrap(),
                );
            }
            response
        }
        let captured = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = Router::new()
            .fallback(capture)
            .with_state((captured.clone(), answer));
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Receiver {
            url: format!("http://{address}"),
            captured,
            _shutdown: shutdown,
        }
    }

    pub fn captured(&self) -> Vec<Captured> {
        self.captured.lock().unwrap().clone()
    }
}

/// The shared Zendesk material (recordings, fixtures) beside the checkout.
pub const SHARED_ZENDESK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/zendesk");

impl Harness {
    /// A request authenticated as the seeded admin.
    pub fn admin_request(&self, method: Method, path: &str) -> Exchange {
        self.request(method, path).token(&self.admin())
    }

    /// Creates a ticket as the admin; returns its id.
    pub async fn create_ticket(&self, ticket: serde_json::Value) -> u64 {
        let answer = self
            .admin_request(Method::POST, "/api/v2/tickets.json")
            .json(serde_json::json!({ "ticket": ticket }))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()["ticket"]["id"].as_u64().expect("ticket id")
    }

    /// The ticket as the API shows it.
    pub async fn ticket(&self, id: u64) -> serde_json::Value {
        self.admin_request(Method::GET, &format!("/api/v2/tickets/{id}.json"))
            .send()
            .await
            .json()["ticket"]
            .clone()
    }

    /// Creates a trigger as the admin; returns its id.
    pub async fn create_trigger(&self, trigger: serde_json::Value) -> u64 {
        let answer = self
            .admin_request(Method::POST, "/api/v2/triggers.json")
            .json(serde_json::json!({ "trigger": trigger }))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()["trigger"]["id"].as_u64().expect("trigger id")
    }

    /// Creates a trigger-connected JSON webhook to `endpoint`; returns (id, signing secret).
    pub async fn create_webhook(&self, endpoint: &str) -> (String, String) {
        let answer = self
            .admin_request(Method::POST, "/api/v2/webhooks")
            .json(serde_json::json!({"webhook": {"name": "Handoff", "endpoint": endpoint, "http_method": "POST", "request_format": "json", "status": "active", "subscriptions": ["conditional_ticket_events"]}}))
            .send()
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        let id = answer.json()["webhook"]["id"]
            .as_str()
            .expect("webhook id")
            .to_owned();
        let secret = self
            .admin_request(
                Method::GET,
                &format!("/api/v2/webhooks/{id}/signing_secret"),
            )
            .send()
            .await
            .json()["signing_secret"]["secret"]
            .as_str()
            .expect("secret")
            .to_owned();
        (id, secret)
    }

    /// A simulated agent comments in the UI (`via` "web") or through the API (`via` "api").
    pub async fn agent_comment(
        &self,
        ticket: u64,
        author: &str,
        body: &str,
        public: bool,
        via: &str,
    ) -> Answer {
        self.request(Method::POST, &format!("/_sim/tickets/{ticket}/comments"))
            .json(serde_json::json!({"author": author, "body": body, "public": public, "via": via}))
            .send()
            .await
    }
}
