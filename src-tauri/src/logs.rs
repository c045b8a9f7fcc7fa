//! Logs: a daily file in the profile's logs folder (14 kept) and the terminal.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{RollingFileAppender, Rotation};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer as _;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the subscriber. Keep the guard alive for the whole run, or buffered lines are lost. Logging is
/// best effort: when the folder is not writable the app still runs, logging to the terminal only.
pub fn init(dir: &Path) -> Option<WorkerGuard> {
    // The appender prunes old files at start-up and complains when the folder does not exist yet.
    let _ = std::fs::create_dir_all(dir);
    let filter =
        || EnvFilter::try_from_env("HANDOFF_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let file = RollingFileAppender::builder()
        .rotation(Rotation::DAILY)
        .filename_prefix("console")
        .filename_suffix("log")
        .max_log_files(14)
        .build(dir);
    let terminal = fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(filter());
    match file {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let file_layer = fmt::layer()
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter());
            let _ = tracing_subscriber::registry()
                .with(terminal)
                .with(file_layer)
                .try_init();
            Some(guard)
        }
        Err(error) => {
            let _ = tracing_subscriber::registry().with(terminal).try_init();
            tracing::warn!(%error, dir = %dir.display(), "cannot write log files; logging to the terminal only");
            None
        }
    }
}
