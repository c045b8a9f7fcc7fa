//! Debug builds only (the module is compiled out of release builds): a record of everything the app sends to the
//! window, for the end-to-end tests' secrets canary. When `HANDOFF_IPC_LOG` names a file, every command's
//! answer (its name and the serialized value or error, exactly as the window receives it) and every `Channel`
//! message (the streamed checks) is appended to it, one JSON object a line.
//!
//! It records on the Rust side of the boundary, where no script in the window can bypass it: the window's
//! `__TAURI_INTERNALS__.invoke` cannot be wrapped (Tauri defines it non-writable), and a recorder that starts
//! after the first render misses the start-up calls. Every app command passes the invoke handler, so the
//! recorder takes each one there and dispatches it again through [`Webview::on_message`] with a responder of
//! its own, which records the answer and hands it to the original resolver unchanged. Channel messages pass
//! [`tauri::Builder::channel_interceptor`], which sees each one before Tauri delivers it. What it does not see:
//! Tauri's own plugin commands (the window is granted none) and events (the app emits none).
//!
//! What the window *sends* (the forms, with the token being typed) is not recorded: only what leaves Rust.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::{json, Value};
use tauri::http::HeaderValue;
use tauri::ipc::{CallbackFn, Invoke, InvokeResponse, InvokeResponseBody};
use tauri::webview::InvokeRequest;
use tauri::{Builder, Manager, Wry};

/// Names the file the record is appended to. Unset: nothing is recorded and commands are dispatched directly.
pub const IPC_LOG_VAR: &str = "HANDOFF_IPC_LOG";

/// Marks a command the recorder has dispatched again, so the second pass runs the command instead of recording
/// it a second time.
const RECORDED_HEADER: &str = "x-handoff-ipc-recorded";

/// The open record file, shared by the invoke handler and the channel interceptor.
#[derive(Clone)]
pub struct IpcLog {
    file: Arc<Mutex<File>>,
}

impl IpcLog {
    /// The record [`IPC_LOG_VAR`] names, created or appended to. An unwritable file is an error: a test that asked
    /// for a record must not pass with none.
    pub fn from_env() -> Result<Option<IpcLog>, String> {
        let Some(path) = std::env::var_os(IPC_LOG_VAR).map(PathBuf::from) else {
            return Ok(None);
        };
        let file = File::options()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|error| format!("cannot write the IPC record {}: {error}", path.display()))?;
        Ok(Some(IpcLog {
            file: Arc::new(Mutex::new(file)),
        }))
    }

    /// Installs `commands` behind the recorder, and the recorder in front of every channel.
    pub fn attach<F>(self, builder: Builder<Wry>, commands: F) -> Builder<Wry>
    where
        F: Fn(Invoke<Wry>) -> bool + Send + Sync + 'static,
    {
        let channels = self.clone();
        builder
            .channel_interceptor(move |_webview, channel, index, body| {
                channels.write(
                    json!({ "channel": channel.0, "index": index, "message": body_json(body) }),
                );
                // Not consumed: Tauri delivers the message as it would without the recorder.
                false
            })
            .invoke_handler(move |invoke| self.dispatch(invoke, &commands))
    }

    fn dispatch<F>(&self, invoke: Invoke<Wry>, commands: &F) -> bool
    where
        F: Fn(Invoke<Wry>) -> bool,
    {
        let message = &invoke.message;
        if message.headers().contains_key(RECORDED_HEADER) {
            return commands(invoke);
        }
        let webview = message.webview();
        let Ok(url) = webview.url() else {
            self.write(
                json!({ "command": message.command(), "unrecorded": "the window has no URL" }),
            );
            return commands(invoke);
        };
        let mut headers = message.headers().clone();
        headers.insert(RECORDED_HEADER, HeaderValue::from_static("1"));
        let request = InvokeRequest {
            cmd: message.command().to_owned(),
            // The responder below answers through the original resolver, which holds the real callbacks.
            callback: CallbackFn(0),
            error: CallbackFn(0),
            url,
            body: message.payload().clone(),
            headers,
            invoke_key: webview.app_handle().invoke_key().to_owned(),
        };
        let (resolver, log) = (invoke.resolver, self.clone());
        webview.on_message(
            request,
            Box::new(move |_webview, command, response, _callback, _error| {
                let answer = match response {
                    InvokeResponse::Ok(body) => {
                        log.write(json!({ "command": command, "ok": body_json(&body) }));
                        Ok(tauri::ipc::Response::new(body))
                    }
                    InvokeResponse::Err(error) => {
                        log.write(json!({ "command": command, "error": error.0 }));
                        Err(error)
                    }
                };
                resolver.respond(answer);
            }),
        );
        true
    }

    /// Appends one line. A failed write is printed, not hidden: the test then finds the line missing.
    fn write(&self, entry: Value) {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        if let Err(error) = writeln!(file, "{entry}") {
            eprintln!("cannot append to the IPC record: {error}");
        }
    }
}

/// The JSON the window receives; raw bytes (which the app never sends) as text.
fn body_json(body: &InvokeResponseBody) -> Value {
    match body {
        InvokeResponseBody::Json(text) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.clone()))
        }
        InvokeResponseBody::Raw(bytes) => {
            Value::String(String::from_utf8_lossy(bytes).into_owned())
        }
    }
}
