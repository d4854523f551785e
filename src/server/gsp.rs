//! The SPARQL 1.1 Graph Store HTTP Protocol at `/store`, with indirect graph identification:
//! `?default` for the default graph, `?graph=IRI` for a named graph, and neither for the whole
//! dataset (TriG or N-Quads). See <https://www.w3.org/TR/sparql11-http-rdf-update/>.

use super::error::ApiError;
use super::negotiate::{self, DATASET_OFFERS, Format, GRAPH_OFFERS};
use super::stream;
use super::{AppState, read_body, require_write};
use crate::rdf::{self, Target};
use crate::store::{GraphTarget, NAMESPACE, StoreError, WriteOp};
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::{GraphName, NamedNode};
use std::sync::atomic::{AtomicU64, Ordering};

/// What a request addresses.
enum Addressed {
    Graph(GraphTarget),
    Dataset,
}

fn addressed(raw_query: Option<&str>) -> Result<Addressed, ApiError> {
    let mut default = false;
    let mut graph = None;
    for (key, value) in url::form_urlencoded::parse(raw_query.unwrap_or_default().as_bytes()) {
        match key.as_ref() {
            "default" => default = true,
            "graph" => {
                if graph.is_some() {
                    return Err(ApiError::BadRequest(
                        "`graph` is given more than once".into(),
                    ));
                }
                graph = Some(NamedNode::new(value.as_ref()).map_err(|e| {
                    ApiError::BadRequest(format!(
                        "`graph` must be an absolute IRI, got {value:?}: {e}"
                    ))
                })?);
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown parameter `{other}`; use `default` or `graph=IRI`"
                )));
            }
        }
    }
    match (default, graph) {
        (true, Some(_)) => Err(ApiError::BadRequest(
            "give either `default` or `graph`, not both".into(),
        )),
        (true, None) => Ok(Addressed::Graph(GraphTarget::Default)),
        (false, Some(g)) => Ok(Addressed::Graph(GraphTarget::Named(g))),
        (false, None) => Ok(Addressed::Dataset),
    }
}

pub async fn handle(
    State(state): State<AppState>,
    method: Method,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let target = addressed(raw_query.as_deref())?;
    match method {
        Method::GET | Method::HEAD => read(&state, target, &headers).await,
        Method::PUT | Method::POST | Method::DELETE => {
            require_write(&state, &headers)?;
            write(&state, method, target, &headers, body).await
        }
        _ => Err(ApiError::MethodNotAllowed("GET, HEAD, PUT, POST, DELETE")),
    }
}

async fn read(
    state: &AppState,
    target: Addressed,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let graph = match target {
        Addressed::Graph(graph) => {
            let store = state.store.clone();
            let probe = graph.clone();
            let exists = tokio::task::spawn_blocking(move || store.graph_exists(&probe))
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))??;
            if !exists {
                if let GraphTarget::Named(name) = &graph {
                    return Err(StoreError::GraphNotFound(name.as_str().to_owned()).into());
                }
            }
            Some(graph)
        }
        Addressed::Dataset => None,
    };
    let offers = if graph.is_some() {
        GRAPH_OFFERS
    } else {
        DATASET_OFFERS
    };
    let Format::Rdf(format) = negotiate::choose(headers, offers)? else {
        return Err(ApiError::Internal(
            "graph offers hold only RDF formats".into(),
        ));
    };
    let store = state.store.clone();
    stream::respond(state, format.media_type().to_owned(), move |producer| {
        // A dump is bounded by the store's size, not by the query deadline: it only reads.
        store.dump(graph.as_ref(), format, &mut producer.writer)
    })
    .await
}

async fn write(
    state: &AppState,
    method: Method,
    target: Addressed,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let limits = state.config.parse_limits;
    // What the request writes to, once the body's format is known: a POST of a graph format to
    // the store itself creates a new graph (GSP §5.5); a dataset format keeps its own graphs.
    let mut created = None;
    let op = if method == Method::DELETE {
        match target {
            Addressed::Graph(graph) => WriteOp::DropGraph { graph },
            Addressed::Dataset => WriteOp::ReplaceAll { quads: Vec::new() },
        }
    } else {
        let format = negotiate::body_format(headers, GRAPH_OFFERS)?;
        let target = match target {
            Addressed::Dataset if method == Method::POST && !format.supports_datasets() => {
                let graph = new_graph_name();
                created = Some(graph.clone());
                Addressed::Graph(GraphTarget::Named(graph))
            }
            other => other,
        };
        let parse_target = match &target {
            Addressed::Graph(graph) => Target::Graph(graph.graph_name()),
            Addressed::Dataset => Target::Dataset(GraphName::DefaultGraph),
        };
        let bytes = read_body(state, body, headers).await?;
        let quads = tokio::task::spawn_blocking(move || {
            rdf::parse(&bytes, format, &parse_target, None, limits)
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
        match (method, target) {
            (Method::PUT, Addressed::Graph(graph)) => WriteOp::ReplaceGraph { graph, quads },
            (Method::PUT, Addressed::Dataset) => WriteOp::ReplaceAll { quads },
            (_, Addressed::Graph(graph)) => WriteOp::AddToGraph { graph, quads },
            (_, Addressed::Dataset) => WriteOp::Insert { quads },
        }
    };
    let is_graph_op = !matches!(op, WriteOp::ReplaceAll { .. } | WriteOp::Insert { .. });
    let store = state.store.clone();
    let outcome = tokio::task::spawn_blocking(move || store.write(op))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| match e {
            StoreError::GraphNotFound(g) => {
                ApiError::NotFound(format!("graph <{g}> does not exist"))
            }
            other => other.into(),
        })?;
    if let Some(graph) = created {
        let location = format!(
            "/store?graph={}",
            url::form_urlencoded::byte_serialize(graph.as_str().as_bytes()).collect::<String>()
        );
        let mut response = StatusCode::CREATED.into_response();
        response.headers_mut().insert(
            header::LOCATION,
            HeaderValue::from_str(&location).map_err(|e| ApiError::Internal(e.to_string()))?,
        );
        return Ok(response);
    }
    // GSP §5.3 and §5.5: creating a graph answers 201, changing an existing one 204.
    Ok(if outcome.graph_existed || !is_graph_op {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::CREATED
    }
    .into_response())
}

/// A fresh graph name for a POST to the store itself, unique within this process and across
/// restarts (time-based, with a counter for the same instant).
fn new_graph_name() -> NamedNode {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    NamedNode::new_unchecked(format!("{NAMESPACE}graph/posted-{nanos:x}-{n}"))
}
