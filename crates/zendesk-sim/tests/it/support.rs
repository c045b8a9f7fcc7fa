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
