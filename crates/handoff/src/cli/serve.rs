//! `handoff serve`: the sessions API (and, on the same listener, the webhook relay) and the handoff worker,
//! until Ctrl-C or SIGTERM. The first line on stdout is `listening on http://<addr>`, for scripts that start
//! it on port 0.

use std::io::Write;
use std::process::ExitCode;

use clap::Args;
use handoff::service::{Service, ServiceError, WorkerSeat};

use super::{fail, Context, Exit};

#[derive(Args)]
pub struct ServeArgs {
    /// Where to listen; port 0 picks a free one. Behind a proxy or a tunnel, set `public-url` too
    /// (`handoff config set public-url https://...`).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8750",
        allow_hyphen_values = true
    )]
    listen: String,
}

pub async fn run(context: &Context, args: ServeArgs) -> ExitCode {
    let json = context.json;
    let service =
        match Service::open(&context.profile, &context.clock, WorkerSeat::Required, None).await {
            Ok(service) => service,
            Err(ServiceError::NotConnected) => {
                return fail(
                    Exit::NotConnected,
                    &ServiceError::NotConnected.to_string(),
                    json,
                )
            }
            Err(ServiceError::Connect(handoff::ConnectError::Keychain(error))) => {
                return fail(Exit::Keychain, &error.to_string(), json)
            }
            Err(error) => return fail(Exit::Internal, &error.to_string(), json),
        };
    let listener = match tokio::net::TcpListener::bind(args.listen.trim()).await {
        Ok(listener) => listener,
        Err(error) => {
            return fail(
                Exit::Usage,
                &format!(
                    "cannot listen on {}: {error}; pick another address with --listen (port 0 picks a free one)",
                    handoff::message::quote(&args.listen)
                ),
                json,
            )
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => return fail(Exit::Internal, &error.to_string(), json),
    };
    println!("listening on http://{address}");
    let _ = std::io::stdout().flush();
    match service.run(listener, stop_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(Exit::Internal, &error.to_string(), json),
    }
}

/// Ctrl-C or SIGTERM (what a service manager sends).
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
