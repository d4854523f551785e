//! The web UI's routes as the server answers them: the built application's page on every UI
//! route, its assets with long-lived caching, and, where the UI has not been built, a page that
//! says how to build it while the endpoint and the API keep working.

mod common;

use common::{TestServer, client};

#[test]
fn without_a_built_ui_every_ui_route_says_how_to_build_it() {
    let server = TestServer::start();
    for path in [
        "/",
        "/entity/coreweave",
        "/network?focus=coreweave",
        "/paths",
        "/workbench",
    ] {
        let response = client().get(server.url(path)).send().unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let body = response.text().unwrap();
        assert!(
            body.contains("npm ci &amp;&amp; npm run build"),
            "{path}: {body}"
        );
    }
    let body = client()
        .get(server.url("/entity/coreweave"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(body.contains("/api/entity/coreweave"));
    // The service page and the API do not need the UI.
    assert_eq!(
        client().get(server.url("/about")).send().unwrap().status(),
        200
    );
    assert_eq!(
        client()
            .get(server.url("/api/entity/coreweave"))
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .get(server.url("/assets/app.js"))
            .send()
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn a_built_ui_is_served_on_its_routes_with_its_assets() {
    let dist = tempfile::tempdir().unwrap();
    std::fs::create_dir(dist.path().join("assets")).unwrap();
    std::fs::write(
        dist.path().join("index.html"),
        "<!doctype html><title>dealgraph UI</title><script src=\"/assets/app-1234.js\"></script>",
    )
    .unwrap();
    std::fs::write(dist.path().join("assets/app-1234.js"), "console.log('ui')").unwrap();
    let dir = dist.path().to_path_buf();
    let server = TestServer::with(move |setup| setup.config.web_dir = Some(dir));
    for path in [
        "/",
        "/entity/coreweave",
        "/network?focus=openai",
        "/paths?from=a&to=b",
        "/workbench",
    ] {
        let response = client().get(server.url(path)).send().unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert!(
            response
                .text()
                .unwrap()
                .contains("<title>dealgraph UI</title>"),
            "{path}"
        );
    }
    let script = client()
        .get(server.url("/assets/app-1234.js"))
        .send()
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(
        script.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    // Nothing outside the assets directory is reachable through it.
    assert_eq!(
        client()
            .get(server.url("/assets/..%2Findex.html"))
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .get(server.url("/assets/missing.js"))
            .send()
            .unwrap()
            .status(),
        404
    );
}
