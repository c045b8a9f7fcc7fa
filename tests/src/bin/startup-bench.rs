//! Cold start and idle memory of the console window: `cargo run -p e2e --bin startup-bench [runs]` under Xvfb
//! and a keyring session (as `scripts/test` sets them up). A benchmark, not a test: it prints figures.
//!
//! Start = from asking tauri-driver for a session (which starts the app) to the status bar showing the
//! connection, i.e. the window rendered and its first IPC answered. Idle memory = resident set of the app and its
//! WebKit processes (PSS) after 5 s with nothing to do.

use std::time::{Duration, Instant};

use e2e::App;

/// Proportional set size: shared pages (WebKit's libraries) counted once across the processes, not per process.
fn pss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|rollup| {
            rollup
                .lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// The app's process and every descendant (WebKit's web and network processes).
fn process_tree(root: u32) -> Vec<(u32, String)> {
    let mut tree = vec![];
    let mut pending = vec![root];
    while let Some(pid) = pending.pop() {
        let name = std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        tree.push((pid, name));
        let children =
            std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        pending.extend(
            children
                .split_whitespace()
                .filter_map(|c| c.parse::<u32>().ok()),
        );
    }
    tree
}

fn app_pid() -> Option<u32> {
    let output = std::process::Command::new("pgrep")
        .args(["-n", "-x", "handoff-console"])
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5);
    let mut starts = Vec::new();
    let mut memory = Vec::new();
    for run in 0..runs {
        let data_dir = std::env::temp_dir().join(format!(
            "handoff-startup-bench-{}-{run}",
            std::process::id()
        ));
        let dir = data_dir.to_string_lossy().into_owned();
        let began = Instant::now();
        let app = App::launch("startup-bench", &[("HANDOFF_DATA_DIR", &dir)]).await;
        app.wait_for_text("status-bar", &["Not connected"]).await;
        starts.push(began.elapsed());
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Some(pid) = app_pid() {
            let tree = process_tree(pid);
            let total: u64 = tree.iter().map(|(pid, _)| pss_kib(*pid)).sum();
            let names: Vec<&str> = tree.iter().map(|(_, n)| n.as_str()).collect();
            memory.push((total, names.join("+")));
        }
        app.quit().await;
        let _ = std::fs::remove_dir_all(&data_dir);
    }
    starts.sort();
    let median = starts[starts.len() / 2];
    println!(
        "cold start to first render, {runs} runs: median {:.0} ms, min {:.0} ms, max {:.0} ms",
        median.as_secs_f64() * 1e3,
        starts[0].as_secs_f64() * 1e3,
        starts[starts.len() - 1].as_secs_f64() * 1e3
    );
    if let Some((kib, names)) = memory.iter().max_by_key(|(kib, _)| *kib) {
        println!(
            "idle memory, proportional set size (max of runs): {:.1} MiB across {names}",
            *kib as f64 / 1024.0
        );
    }
}
