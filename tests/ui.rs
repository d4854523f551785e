//! The web UI end to end in a real browser: Debian's Chromium, headless, driven by
//! `web/e2e/run.mjs` (playwright-core) against a real server on 127.0.0.1 serving the built UI
//! over the seeded store. The journeys (search to an entity page, expanding the network,
//! finding a path, running an example query, deep links and the back button) and their
//! assertions are in the script; this test starts the server, runs it, and fails on any
//! non-zero exit, a missing browser or an unbuilt UI included.
//!
//! `scripts/test` builds the UI (`scripts/build-web`) and `scripts/setup --test` installs
//! Chromium before `cargo test` runs. The screenshots land in `target/ui-screenshots/`.

mod common;

use common::{TestServer, repo};
use std::process::Command;

#[test]
fn the_web_ui_works_end_to_end_in_headless_chromium() {
    let dist = repo().join("web/dist");
    assert!(
        dist.join("index.html").is_file(),
        "the web UI is not built: run scripts/build-web (scripts/test does) before cargo test"
    );
    assert!(
        repo().join("web/node_modules/playwright-core").is_dir(),
        "web/node_modules is missing: run scripts/build-web (it runs npm ci)"
    );
    let server = TestServer::with(move |setup| setup.config.web_dir = Some(dist));
    let screenshots = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| repo().join("target"), std::path::PathBuf::from)
        .join("ui-screenshots");
    let output = Command::new("node")
        .arg(repo().join("web/e2e/run.mjs"))
        .arg(&server.base)
        .arg(&screenshots)
        // A debug build answers more slowly than the release build the script was tuned on.
        .env("E2E_STEP_TIMEOUT_MS", "60000")
        .env("E2E_DEADLINE_MS", "480000")
        .output()
        .expect("node runs (Node.js 20 or later is needed for the web UI)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "the end-to-end journeys failed ({}); screenshots in {}:\n{report}",
        output.status,
        screenshots.display()
    );
    for screen in ["home", "entity", "network", "paths", "workbench"] {
        assert!(
            screenshots.join(format!("{screen}.png")).is_file(),
            "no screenshot of {screen}"
        );
    }
}
