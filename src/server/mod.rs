//! The HTTP service: routes, shared state, limits, and the connection loop.
//!
//! Only this module knows HTTP. Handlers parse the request, call the store through
//! `spawn_blocking` (the store is synchronous), and turn the answer or the error into a response;
//! errors become statuses in exactly one place, [`error`].

mod api;
pub mod error;
mod gsp;
mod linked_data;
mod negotiate;
mod result_cache;
mod service_description;
mod sparql;
mod stream;
pub mod web;

use crate::rdf::ParseLimits;
use crate::store::Backend;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{any, get};
use error::ApiError;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use sparql::Accepts;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

/// Everything the HTTP layer needs to know, built from the command line.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Bearer token that writes must present; `None` makes the service read-only.
    pub write_token: Option<String>,
    /// Deadline of every query and update.
    pub query_timeout: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Largest number of result rows or triples a query may return.
    pub max_result_rows: u64,
    /// Queries evaluated at once; more wait, up to their deadline.
    pub max_concurrent_queries: usize,
    /// Open connections at once; more are refused at accept.
    pub max_connections: usize,
    /// Time a client has to send its request headers, and then its body.
    pub request_read_timeout: Duration,
    /// Origins allowed to send writes from a browser (reads are open to every origin).
    pub write_origins: Vec<String>,
    /// Whether SERVICE may reach any host (the allow-list is not empty).
    pub federation: bool,
    pub parse_limits: ParseLimits,
    /// The example-query library offered at `/queries`.
    pub examples: Vec<crate::examples::Example>,
    /// The built web UI (`web/dist`), served at `/`; `None` where it has not been built.
    pub web_dir: Option<std::path::PathBuf>,
    /// Bytes of SPARQL answers kept until the next write (0: none); see `result_cache`.
    pub result_cache_bytes: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            write_token: None,
            query_timeout: Duration::from_secs(30),
            max_body_bytes: 32 * 1024 * 1024,
            max_result_rows: 1_000_000,
            max_concurrent_queries: 8,
            max_connections: 1024,
            request_read_timeout: Duration::from_secs(30),
            write_origins: Vec::new(),
            federation: false,
            parse_limits: ParseLimits::default(),
            examples: Vec::new(),
            web_dir: None,
            result_cache_bytes: 64 * 1024 * 1024,
        }
    }
}

/// The state every handler shares.
#[derive(Clone, Debug)]
pub struct AppState {
    pub store: Arc<dyn Backend>,
    pub config: Arc<ServerConfig>,
    query_slots: Arc<Semaphore>,
    /// `/api/stats` until the next write.
    stats_cache: Arc<crate::views::stats::StatsCache>,
    /// The vocabulary's names, for every view, until the next write.
    name_cache: Arc<crate::views::NameCache>,
    /// `/api/rankings` until the next write.
    rankings_cache: Arc<crate::views::rankings::RankingsCache>,
    /// SPARQL answers until the next write.
    result_cache: Arc<result_cache::ResultCache>,
}

impl AppState {
    pub fn new(store: Arc<dyn Backend>, config: ServerConfig) -> Self {
        Self {
            query_slots: Arc::new(Semaphore::new(config.max_concurrent_queries.max(1))),
            stats_cache: Arc::default(),
            rankings_cache: Arc::default(),
            name_cache: Arc::default(),
            result_cache: Arc::new(result_cache::ResultCache::new(config.result_cache_bytes)),
            store,
            config: Arc::new(config),
        }
    }
}

/// The whole HTTP application; tests drive it directly or over a socket.
pub fn app(state: AppState) -> Router {
    let sparql_route = |accepts: Accepts| {
        any(
            move |state: State<AppState>,
                  method: Method,
                  query: axum::extract::RawQuery,
                  headers: HeaderMap,
                  body: Body| {
                sparql::handle(state, accepts, method, query, headers, body)
            },
        )
    };
    let (api, openapi) = api::router().split_for_parts();
    let api = api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        api::kept_views,
    ));
    let openapi = Arc::new(openapi);
    let router = Router::new()
        .merge(api)
        .route(
            "/api/openapi.json",
            get(move || {
                let openapi = Arc::clone(&openapi);
                async move { axum::Json(openapi.as_ref().clone()) }
            }),
        )
        .route("/", get(|state| web::page(state, None)))
        .route("/about", get(home))
        .route("/entity/{id}", get(web::entity_page))
        .route("/network", get(|state| web::page(state, None)))
        .route("/paths", get(|state| web::page(state, None)))
        .route("/workbench", get(|state| web::page(state, None)))
        .route("/sparql", sparql_route(Accepts::QueryAndUpdate))
        .route("/query", sparql_route(Accepts::QueryOnly))
        .route("/update", sparql_route(Accepts::UpdateOnly))
        .route("/store", any(gsp::handle))
        .route("/ontology", get(ontology))
        .route("/queries", get(list_examples))
        .route("/queries/{name}", get(example))
        .route("/health", get(|| async { "ok" }))
        .route(
            "/.well-known/void",
            get(|State(state): State<AppState>, headers: HeaderMap| {
                linked_data::void(state, headers)
            }),
        )
        .route("/id/{local}", linked_data_route("id"))
        .route("/certainty/{local}", linked_data_route("certainty"))
        .route("/status/{local}", linked_data_route("status"))
        .route("/ready", get(ready))
        .fallback(|| async {
            ApiError::NotFound("nothing here; see /about for the routes".into())
        });
    let router = match &state.config.web_dir {
        Some(dir) => router.nest_service("/assets", web::assets(dir)),
        None => router,
    };
    router
        .layer(cors(&state.config.write_origins))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_request(())
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(tower_http::LatencyUnit::Micros),
                ),
        )
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            state.config.request_read_timeout,
        ))
        .with_state(state)
}

/// The route that dereferences the IRIs `NAMESPACE{kind}/...`.
fn linked_data_route(kind: &'static str) -> axum::routing::MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              axum::extract::Path(local): axum::extract::Path<String>,
              headers: HeaderMap| linked_data::describe(state, kind, local, headers),
    )
}

/// Reads from every origin; writes only from the configured ones (the token is still required).
fn cors(write_origins: &[String]) -> CorsLayer {
    let write_origins: Vec<HeaderValue> = write_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PUT,
            Method::DELETE,
        ])
        .allow_headers([header::CONTENT_TYPE, header::ACCEPT, header::AUTHORIZATION])
        // An export's file name and whether it was cut, for a page that saves it.
        .expose_headers([
            header::CONTENT_TYPE,
            header::LOCATION,
            header::CONTENT_DISPOSITION,
            axum::http::HeaderName::from_static(api::TRUNCATED_HEADER),
        ])
        .allow_origin(AllowOrigin::predicate(move |origin, parts| {
            is_read(parts) || write_origins.contains(origin)
        }))
}

/// Whether a request (or the request a preflight announces) only reads.
fn is_read(parts: &axum::http::request::Parts) -> bool {
    let method = if parts.method == Method::OPTIONS {
        parts
            .headers
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok())
            .unwrap_or(Method::OPTIONS)
    } else {
        parts.method.clone()
    };
    match method {
        Method::GET | Method::HEAD | Method::OPTIONS => true,
        // A POST to the query routes reads; an update there still needs the token.
        Method::POST => matches!(parts.uri.path(), "/sparql" | "/query"),
        _ => false,
    }
}

/// Fails unless the request may write: 403 when no token is configured, 401 when the token is
/// missing or wrong.
pub(crate) fn require_write(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(expected) = state.config.write_token.as_deref() else {
        return Err(ApiError::ReadOnly);
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match given {
        Some(token) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => Ok(()),
        _ => Err(ApiError::Unauthorized),
    }
}

/// Compares without an early exit, so response time does not reveal how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads a whole body up to the configured limit: 413 past it, before reading when the
/// declared length already says so.
pub(crate) async fn read_body(
    state: &AppState,
    body: Body,
    headers: &HeaderMap,
) -> Result<Bytes, ApiError> {
    let limit = state.config.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::BodyTooLarge { limit });
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = source {
            if err.is::<http_body_util::LengthLimitError>() {
                return ApiError::BodyTooLarge { limit };
            }
            source = err.source();
        }
        ApiError::BadRequest(format!("could not read the request body: {e}"))
    })
}

/// The ontology's IRI, `https://w3id.org/dealgraph/ontology`, dereferences here: every
/// `ontology-*` graph as one RDF document, in the format the client accepts.
async fn ontology(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let query = format!(
        "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ ?s ?p ?o }} \
         FILTER(STRSTARTS(STR(?g), \"{}graph/ontology-\")) }}",
        crate::store::NAMESPACE
    );
    sparql::run_query(&state, query, crate::store::Dataset::default(), &headers).await
}

async fn list_examples(State(state): State<AppState>) -> axum::Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = state
        .config
        .examples
        .iter()
        .map(|e| {
            serde_json::json!({
                "name": e.name,
                "question": e.question,
                "query": e.query,
                "url": format!("/queries/{}", e.name),
            })
        })
        .collect();
    axum::Json(serde_json::json!({ "queries": list }))
}

async fn example(
    State(state): State<AppState>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let name = name.strip_suffix(".rq").unwrap_or(&name);
    let example = state
        .config
        .examples
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| {
            ApiError::NotFound(format!("no example query named {name:?}; see /queries"))
        })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/sparql-query; charset=utf-8",
        )],
        example.query.clone(),
    )
        .into_response())
}

/// 200 once the store answers, with whether the search index has been read against it yet
/// (`checking` for the first moments after start-up: the server answers meanwhile); a cheap
/// probe, unlike `/api/stats`, which says the same.
async fn ready(State(state): State<AppState>) -> Response {
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || store.is_empty()).await {
        Ok(Ok(_)) => axum::Json(serde_json::json!({
            "status": "ready",
            "search_index": state.store.index_state(),
        }))
        .into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer").into_response(),
    }
}

async fn home(State(state): State<AppState>) -> Result<Html<String>, ApiError> {
    let store = state.store.clone();
    let graphs = tokio::task::spawn_blocking(move || store.stats(10))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let mut rows = String::new();
    for (graph, n) in &graphs.graphs {
        let name = graph
            .as_ref()
            .map_or("(default graph)".to_owned(), |g| g.as_str().to_owned());
        rows.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{n}</td></tr>",
            html_escape(&name)
        ));
    }
    Ok(Html(format!(
        include_str!("home.html"),
        triples = graphs.triples,
        rows = rows,
        mode = if state.config.write_token.is_some() {
            "writes accepted with the configured bearer token"
        } else {
            "read-only (no write token configured)"
        },
    )))
}

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains open requests.
///
/// The connection loop is ours rather than `axum::serve` so that slow clients are bounded: a
/// client must send its headers within the read timeout, and connections beyond the limit are
/// closed at once instead of queueing without bound.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let config = Arc::clone(&state.config);
    let router = app(state);
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(config.request_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Running out of file descriptors is temporary: wait and go on.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            tracing::warn!(%peer, "connection refused: {} connections already open", config.max_connections);
            drop(stream);
            continue;
        };
        // A response goes out as several writes (headers, then streamed chunks of results):
        // with Nagle's algorithm on, a small write waits for the client's delayed ACK, about
        // 40 ms on Linux, which measured as a 44 ms floor under every keep-alive request.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, "TCP_NODELAY not set: {e}");
        }
        let service = hyper::service::service_fn({
            let router = router.clone();
            move |request: Request<hyper::body::Incoming>| {
                router.clone().oneshot(request.map(Body::new))
            }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
            drop(permit);
        });
    }
    tracing::info!("shutting down: finishing open requests");
    if tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections were still open after 10 s; closing them");
    }
    Ok(())
}
