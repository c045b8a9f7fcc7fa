//! Access to the shared Zendesk material (`../shared/zendesk` beside the repository): read in place, never copied.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

/// A path under the shared Zendesk folder.
pub fn path(relative: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/zendesk"
    ))
    .join(relative)
}

/// Reads a JSON file under the shared folder.
pub fn json(relative: &str) -> Value {
    let file = path(relative);
    let text =
        std::fs::read_to_string(&file).unwrap_or_else(|err| panic!("{}: {err}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", file.display()))
}

/// Every recorded exchange, with the file it came from, in file order.
pub fn recordings() -> &'static [(String, Value)] {
    static RECORDINGS: OnceLock<Vec<(String, Value)>> = OnceLock::new();
    RECORDINGS.get_or_init(|| {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path("recordings"))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|file| file.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        let mut exchanges = Vec::new();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let recorded: Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            for exchange in recorded.as_array().unwrap() {
                exchanges.push((name.clone(), exchange.clone()));
            }
        }
        exchanges
    })
}
