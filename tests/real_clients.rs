//! The endpoint as real third-party clients see it: SPARQLWrapper and rdflib (Python), run
//! against a live server. `scripts/setup` installs them.

mod common;

use common::{TOKEN, TestServer};

#[test]
fn sparqlwrapper_and_rdflib_query_and_update_the_endpoint() {
    let server = TestServer::start();
    let script = common::repo().join("tests/clients/sparqlwrapper_check.py");
    let output = std::process::Command::new("python3")
        .arg(&script)
        .arg(&server.base)
        .arg(TOKEN)
        .output()
        .expect("python3 must be installed (scripts/setup installs the clients)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the client checks failed (run scripts/setup to install SPARQLWrapper and rdflib):\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("all client checks passed"), "{stdout}");
}
