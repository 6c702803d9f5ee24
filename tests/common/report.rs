//! Figures for docs/reliability.md. Each reliability test group records what it tried and
//! what it found as one JSON file in `$INFRA_REPORT_DIR` (default `target/reliability/`);
//! `scripts/reliability` gathers them into the report's figures table.

use std::path::PathBuf;

pub fn dir() -> PathBuf {
    std::env::var_os("INFRA_REPORT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::root().join("target").join("reliability"))
}

/// Write `<dir>/<group>.json` (overwriting the previous run's figures for that group) and
/// print the figures, so they also show in the test output.
pub fn record(group: &str, figures: serde_json::Value) {
    let dir = dir();
    let _ = std::fs::create_dir_all(&dir);
    let mut figures = figures;
    if let Some(map) = figures.as_object_mut() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        map.insert("recorded_at_unix".into(), now.into());
    }
    let text = serde_json::to_string_pretty(&figures).unwrap_or_default();
    eprintln!("reliability figures [{group}]:\n{text}");
    let _ = std::fs::write(dir.join(format!("{group}.json")), text);
}
