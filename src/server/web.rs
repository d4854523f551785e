//! The web UI: the single-page application built from `web/` into `web/dist/`, served from the
//! directory configured as `ServerConfig::web_dir`.
//!
//! The UI's own routes (`/`, `/entity/{id}`, `/network`, `/paths`, `/workbench`) all answer
//! with its `index.html`, which routes in the browser; its scripts and styles are under
//! `/assets/`. Where the UI has not been built, the same routes answer with a plain page that
//! says how to build it and links to what works without it (the SPARQL endpoint, the JSON API).

use super::{AppState, html_escape};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use std::path::PathBuf;
use tower::Layer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Whether `dir` holds a built UI.
pub fn is_built(dir: &std::path::Path) -> bool {
    dir.join("index.html").is_file()
}

/// The UI's `index.html`, read on each request so a rebuild is served without a restart.
async fn index(dir: &Option<PathBuf>) -> Option<String> {
    let dir = dir.as_ref()?;
    tokio::fs::read_to_string(dir.join("index.html")).await.ok()
}

/// A UI route: the application's page, or the page saying how to build it.
pub async fn page(State(state): State<AppState>, what: Option<String>) -> Response {
    match index(&state.config.web_dir).await {
        Some(html) => (
            [(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))],
            Html(html),
        )
            .into_response(),
        None => (StatusCode::OK, Html(not_built(what.as_deref()))).into_response(),
    }
}

/// `GET /entity/{id}` without a built UI still points at the entity's data.
pub async fn entity_page(state: State<AppState>, Path(id): Path<String>) -> Response {
    page(state, Some(id)).await
}

fn not_built(entity: Option<&str>) -> String {
    let links = match entity {
        Some(id) => {
            let id = html_escape(id);
            format!(
                "<p>This entity's data: <a href=\"/api/entity/{id}\">as JSON</a>, or its IRI \
                 <code>https://w3id.org/dealgraph/id/{id}</code> in Turtle with \
                 <code>curl -H 'Accept: text/turtle' http://127.0.0.1:7878/id/{id}</code>.</p>"
            )
        }
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>dealgraph</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"></head>\
         <body style=\"font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem\">\
         <h1>dealgraph</h1>\
         <p>The web UI has not been built on this machine. Build it with Node.js and npm: \
         <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (<code>scripts/serve</code> does this), \
         then reload this page.</p>{links}\
         <p>Everything else works without it: the <a href=\"/about\">service page</a> with the SPARQL endpoint, \
         the <a href=\"/api/openapi.json\">JSON API</a>, and the <a href=\"/queries\">example queries</a>.</p>\
         </body></html>"
    )
}

/// `/assets/...`: the UI's scripts, styles and images. Their names carry a content hash, so
/// browsers may keep them for a year.
pub fn assets(
    dir: &std::path::Path,
) -> tower_http::set_header::SetResponseHeader<ServeDir, HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    )
    .layer(ServeDir::new(dir.join("assets")))
}
