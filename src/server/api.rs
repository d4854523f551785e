//! The JSON API under `/api/`: search and the exploration views of [`crate::views`], and the
//! OpenAPI document that describes them.
//!
//! Each handler is registered through utoipa-axum's `routes!`, which adds the route and its
//! documentation from the same `#[utoipa::path]`, so `/api/openapi.json` lists exactly the
//! routes served. Query strings are read into typed parameter structs that refuse unknown and
//! repeated parameters; errors keep the one JSON shape of [`super::error`].

use super::AppState;
use super::error::ApiError;
use crate::search::{DEFAULT_LIMIT, MAX_LIMIT, SearchRequest, SearchResults};
use crate::store::StoreError;
use crate::views::{self, ExportFormat, Reader, ViewError};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oxigraph::sparql::CancellationToken;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Longest search text accepted, in characters.
const MAX_QUERY_CHARS: usize = 500;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "dealgraph exploration API",
        description = "Search and views of the AI-infrastructure knowledge graph: who funds whom, who buys compute from whom, on what terms, since when, and according to whom. Every fact carries its source, quote and certainty. The SPARQL 1.1 endpoint is at /sparql; entity IRIs dereference at /id/{id}.",
        license(name = "MIT OR Apache-2.0")
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    tags(
        (name = "search", description = "Find entities by name, alias, description or quote"),
        (name = "views", description = "An entity, its neighbourhood, paths, timeline and conflicts"),
        (name = "dataset", description = "What the graph holds"),
        (name = "exports", description = "The graph or a neighbourhood as a file for Gephi, Cytoscape, yEd or a spreadsheet")
    )
)]
struct ApiDoc;

/// Every error answer of the API.
#[derive(ToSchema)]
#[allow(dead_code)] // Documentation of the shape `ApiError` writes with serde_json.
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(ToSchema)]
#[allow(dead_code)]
struct ErrorDetail {
    /// The HTTP status.
    status: u16,
    /// A stable code: `bad_request`, `not_found`, `query_timeout`...
    code: String,
    /// What is wrong and where.
    message: String,
}

/// The API's routes with their OpenAPI document.
pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(search))
        .routes(routes!(entity))
        .routes(routes!(graph))
        .routes(routes!(paths))
        .routes(routes!(timeline))
        .routes(routes!(conflicts))
        .routes(routes!(stats))
        .routes(routes!(rankings))
        .routes(routes!(export))
        .routes(routes!(reindex))
}

/// Answers a GET of a view with the answer kept from an earlier identical request, while no
/// write came since (the same [`ResultCache`](super::result_cache::ResultCache) and rules as
/// SPARQL answers: complete answers only, at most 1 MB, stamped with the generation read
/// before the view ran). A view is a function of its parameters and the store's contents, so
/// the kept answer is the answer. Exports are left out: their headers are part of the answer.
pub(crate) async fn kept_views(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    use super::result_cache::{Key, MAX_ENTRY_BYTES};
    let generation = state.store.generation();
    let keep = request.method() == axum::http::Method::GET
        && state.result_cache.enabled()
        && !request.uri().path().starts_with("/api/export");
    let (Some(generation), true) = (generation, keep) else {
        return next.run(request).await;
    };
    let key = Key {
        query: request.uri().to_string(),
        dataset: "api".into(),
        accept: String::new(),
    };
    if let Some((content_type, body)) = state.result_cache.get(&key, generation) {
        return super::result_cache::kept_response(&content_type, body);
    }
    let response = next.run(request).await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/json");
    let size = http_body::Body::size_hint(response.body()).exact();
    if response.status() != axum::http::StatusCode::OK
        || !json
        || size.is_none_or(|n| n > MAX_ENTRY_BYTES as u64)
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_ENTRY_BYTES).await {
        Ok(bytes) => {
            state
                .result_cache
                .put(key, generation, "application/json".into(), bytes.clone());
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Err(e) => ApiError::Internal(format!("reading a view's answer: {e}")).into_response(),
    }
}

/// Parameters that take several values, repeated (`type=A&type=B`) or comma-separated.
const LIST_PARAMETERS: &[&str] = &["type", "relations", "certainty"];

/// Reads a query string into `T`, refusing unknown, repeated and malformed parameters with a
/// message naming them. The values of a list parameter given several times are joined.
fn params<T: DeserializeOwned>(raw: Option<String>) -> Result<T, ApiError> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        match pairs.iter_mut().find(|(k, _)| *k == key) {
            Some((_, joined)) if LIST_PARAMETERS.contains(&key.as_ref()) => {
                joined.push(',');
                joined.push_str(&value);
            }
            Some(_) => {
                return Err(ApiError::BadRequest(format!(
                    "the parameter `{key}` is given more than once"
                )));
            }
            None => pairs.push((key.into_owned(), value.into_owned())),
        }
    }
    let joined = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    serde_urlencoded::from_str(&joined)
        .map_err(|e| ApiError::BadRequest(format!("bad query parameter: {e}")))
}

/// A whole-number parameter from 1 to `max`, or the default. Numbers are read here rather than
/// by serde so that the message names the parameter.
fn bounded<T>(name: &str, given: Option<&str>, default: T, max: T) -> Result<T, ApiError>
where
    T: std::str::FromStr + PartialOrd + From<u8> + std::fmt::Display + Copy,
{
    let Some(given) = given else {
        return Ok(default);
    };
    given
        .trim()
        .parse::<T>()
        .ok()
        .filter(|n| *n >= T::from(1) && *n <= max)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "`{name}` must be a whole number from 1 to {max}, not {given:?}"
            ))
        })
}

/// A comma-separated list parameter.
fn list(given: Option<&str>) -> Vec<String> {
    given
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn date(name: &str, given: Option<&str>) -> Result<Option<String>, ApiError> {
    given
        .map(|d| views::parse_date(name, d))
        .transpose()
        .map_err(ApiError::from)
}

/// Runs a view on a blocking thread, within a query slot and the query deadline, like a SPARQL
/// query: at the deadline the view's queries are cancelled and the answer is a 503.
async fn run_view<T, F>(state: &AppState, view: F) -> Result<Json<T>, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Reader<'_>) -> Result<T, ViewError> + Send + 'static,
{
    run_blocking(state, view).await.map(Json)
}

/// [`run_view`] without the JSON: the exports build their files on the blocking thread too.
async fn run_blocking<T, F>(state: &AppState, view: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&Reader<'_>) -> Result<T, ViewError> + Send + 'static,
{
    let deadline = state.config.query_timeout;
    let _permit = tokio::time::timeout(deadline, Arc::clone(&state.query_slots).acquire_owned())
        .await
        .ok()
        .and_then(Result::ok)
        .ok_or_else(|| {
            ApiError::Busy("every query slot stayed busy for the whole deadline".into())
        })?;
    let cancel = CancellationToken::new();
    let watchdog = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(deadline).await;
            cancel.cancel();
        })
    };
    let (store, names) = (state.store.clone(), Arc::clone(&state.name_cache));
    let result = tokio::task::spawn_blocking(move || {
        view(&Reader::new(store.as_ref(), cancel).sharing(&names))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    watchdog.abort();
    match result {
        Ok(value) => Ok(value),
        Err(ViewError::Store(StoreError::Cancelled)) => {
            Err(StoreError::Deadline(deadline.as_secs().max(1)).into())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct SearchParams {
    /// The text: words, prefixes (`corew`), misspellings (`corewave`), aliases (`AWS`).
    q: Option<String>,
    /// Only entities of these classes, comma-separated local names (`AILab,CloudProvider`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    types: Option<String>,
    /// Most hits (1 to 100, default 10).
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// What a rebuild of the search index did.
#[derive(serde::Serialize, ToSchema)]
struct Reindexed {
    /// Entities in the index now.
    documents: usize,
    /// How long the rebuild took.
    milliseconds: u64,
}

/// Rebuilds the search index from what the store holds now (needs the write token). Writes
/// through dealgraph keep the index in step by themselves; this catches up with writes that
/// reached a remote engine another way: another replica's, or the engine's own tools.
#[utoipa::path(post, path = "/api/reindex", tag = "search",
    responses((status = 200, body = Reindexed), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 502, body = ErrorBody)))]
async fn reindex(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> Result<Json<Reindexed>, ApiError> {
    super::require_write(&state, &headers)?;
    let store = state.store.clone();
    let started = std::time::Instant::now();
    let documents = tokio::task::spawn_blocking(move || store.reindex())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(Reindexed {
        documents,
        milliseconds: started.elapsed().as_millis() as u64,
    }))
}

/// The search answer: the request as understood, and the hits, best first.
#[derive(serde::Serialize, ToSchema)]
struct SearchAnswer {
    query: String,
    types: Vec<String>,
    limit: usize,
    /// How many entities matched in all.
    total: usize,
    hits: Vec<crate::search::SearchHit>,
    /// Present only in the first moments after the server started, while the search index is
    /// being read against the store (`checking`, `rebuilding`; `unchecked` if that failed):
    /// the hits may miss what a write that bypassed dealgraph put in the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    index: Option<crate::search::IndexState>,
}

/// Entities by name, alias, description or the quotes of the facts about them, best first:
/// relevance, weighted by how connected each entity is.
#[utoipa::path(get, path = "/api/search", tag = "search", params(SearchParams),
    responses((status = 200, body = SearchAnswer), (status = 400, body = ErrorBody)))]
async fn search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<SearchAnswer>, ApiError> {
    let p: SearchParams = params(query)?;
    let text =
        p.q.map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::BadRequest(
                    "give the text to search for as `q`, e.g. /api/search?q=coreweave".into(),
                )
            })?;
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "`q` is longer than {MAX_QUERY_CHARS} characters"
        )));
    }
    // More than the most hits is not an error: the answer says how many it holds.
    let limit = match p.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(given) => given
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "`limit` must be a whole number from 1 (at most {MAX_LIMIT} hits are returned), not {given:?}"
                ))
            })?
            .min(MAX_LIMIT),
    };
    let types = list(p.types.as_deref());
    let request = SearchRequest {
        text: text.clone(),
        types: types.clone(),
        limit,
    };
    let store = state.store.clone();
    let SearchResults { hits, total, index } =
        tokio::task::spawn_blocking(move || store.search(&request))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(SearchAnswer {
        query: text,
        types,
        limit,
        total,
        hits,
        index,
    }))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct EntityParams {
    /// The entity as known at this date (YYYY, YYYY-MM or YYYY-MM-DD): later facts are left
    /// out and the figures are the latest at that date.
    as_of: Option<String>,
    /// Most facts, newest first (1 to 2000, default 200); `facts_total` gives the count.
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// One entity: names, types, attributes, derived relations, latest figures, and every fact
/// naming it with role, counterparties, amount, date, certainty, source and quote.
#[utoipa::path(get, path = "/api/entity/{id}", tag = "views",
    params(("id" = String, Path, description = "The entity's id, the last part of its IRI (`coreweave`)"), EntityParams),
    responses((status = 200, body = views::EntityView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn entity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<views::EntityView>, ApiError> {
    let p: EntityParams = params(query)?;
    let request = views::EntityRequest {
        iri: views::entity_iri(&id)?,
        as_of: date("as_of", p.as_of.as_deref())?,
        limit: bounded(
            "limit",
            p.limit.as_deref(),
            views::entity::DEFAULT_FACTS,
            views::entity::MAX_FACTS,
        )?,
    };
    run_view(&state, move |reader| views::entity(reader, &request)).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct GraphParams {
    /// The entity at the centre: its id (`coreweave`) or IRI.
    focus: Option<String>,
    /// Hops from the focus, 1 to 3 (default 1).
    #[param(value_type = Option<u8>)]
    depth: Option<String>,
    /// Only these kinds of fact (and their subclasses), comma-separated: `Investment,ComputeAgreement`.
    relations: Option<String>,
    /// Only facts dated in or after this (YYYY, YYYY-MM or YYYY-MM-DD); undated facts are then left out.
    since: Option<String>,
    /// Only facts dated in or before this.
    until: Option<String>,
    /// Only facts of these certainties, comma-separated: `stated,announced`.
    certainty: Option<String>,
    /// Most nodes, the focus included (1 to 2000, default 150); `truncated` says when more were left out.
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// The neighbourhood of an entity as nodes and edges, ready for a graph view.
#[utoipa::path(get, path = "/api/graph", tag = "views", params(GraphParams),
    responses((status = 200, body = views::GraphView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn graph(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<views::GraphView>, ApiError> {
    let p: GraphParams = params(query)?;
    let focus = views::entity_iri(p.focus.as_deref().ok_or_else(|| {
        ApiError::BadRequest(
            "give the entity at the centre as `focus`, e.g. /api/graph?focus=coreweave".into(),
        )
    })?)?;
    let depth = bounded("depth", p.depth.as_deref(), 1, views::graph::MAX_DEPTH)?;
    let limit = bounded(
        "limit",
        p.limit.as_deref(),
        views::graph::DEFAULT_NODES,
        views::graph::MAX_NODES,
    )?;
    let (since, until) = (
        date("since", p.since.as_deref())?,
        date("until", p.until.as_deref())?,
    );
    let (relations, certainty) = (list(p.relations.as_deref()), list(p.certainty.as_deref()));
    run_view(&state, move |reader| {
        let filter = views::graph::resolve_filter(reader, &relations, &certainty, since, until)?;
        views::graph(
            reader,
            &views::GraphRequest {
                focus,
                depth,
                filter,
                limit,
            },
        )
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct PathsParams {
    /// Where the paths start: an entity id or IRI.
    from: Option<String>,
    /// Where they end.
    to: Option<String>,
    /// Longest path looked for, in steps (1 to 4, default 3).
    #[param(value_type = Option<u8>)]
    max_length: Option<String>,
    /// Most paths returned (1 to 50, default 5), strongest first.
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
    /// Follow only these kinds of fact, comma-separated.
    relations: Option<String>,
    /// Follow only facts of these certainties, comma-separated.
    certainty: Option<String>,
}

/// The shortest connections between two entities, each step in words with the facts behind it.
#[utoipa::path(get, path = "/api/paths", tag = "views", params(PathsParams),
    responses((status = 200, body = views::PathsView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn paths(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<views::PathsView>, ApiError> {
    let p: PathsParams = params(query)?;
    let end = |name: &str, given: Option<&str>| {
        views::entity_iri(given.ok_or_else(|| {
            ApiError::BadRequest(format!(
                "give `{name}`, e.g. /api/paths?from=microsoft&to=coreweave"
            ))
        })?)
        .map_err(ApiError::from)
    };
    let (from, to) = (end("from", p.from.as_deref())?, end("to", p.to.as_deref())?);
    let max_length = bounded(
        "max_length",
        p.max_length.as_deref(),
        views::paths::DEFAULT_MAX_LENGTH,
        views::paths::MAX_LENGTH,
    )?;
    let limit = bounded(
        "limit",
        p.limit.as_deref(),
        views::paths::DEFAULT_PATHS,
        views::paths::MAX_PATHS,
    )?;
    let (relations, certainty) = (list(p.relations.as_deref()), list(p.certainty.as_deref()));
    run_view(&state, move |reader| {
        let filter = views::graph::resolve_filter(reader, &relations, &certainty, None, None)?;
        views::paths(
            reader,
            &views::PathsRequest {
                from,
                to,
                max_length,
                limit,
                filter,
            },
        )
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct TimelineParams {
    /// The entity: its id or IRI.
    entity: Option<String>,
    /// Only events in or after this date.
    since: Option<String>,
    /// Only events in or before this date.
    until: Option<String>,
    /// Most events, oldest first (1 to 5000, default 500).
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// The dated deals and observations naming an entity, in time order.
#[utoipa::path(get, path = "/api/timeline", tag = "views", params(TimelineParams),
    responses((status = 200, body = views::TimelineView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn timeline(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<views::TimelineView>, ApiError> {
    let p: TimelineParams = params(query)?;
    let entity = required_entity(p.entity.as_deref(), "timeline")?;
    let (since, until) = (
        date("since", p.since.as_deref())?,
        date("until", p.until.as_deref())?,
    );
    let limit = bounded(
        "limit",
        p.limit.as_deref(),
        views::timeline::DEFAULT_EVENTS,
        views::timeline::MAX_EVENTS,
    )?;
    run_view(&state, move |reader| {
        views::timeline(reader, &entity, since.as_deref(), until.as_deref(), limit)
    })
    .await
}

fn required_entity(
    given: Option<&str>,
    route: &str,
) -> Result<oxigraph::model::NamedNode, ApiError> {
    let given = given.ok_or_else(|| {
        ApiError::BadRequest(format!(
            "give the entity as `entity`, e.g. /api/{route}?entity=openai"
        ))
    })?;
    Ok(views::entity_iri(given)?)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ConflictsParams {
    /// The entity: its id or IRI.
    entity: Option<String>,
}

/// Where sources disagree about an entity's deals or figures, side by side.
#[utoipa::path(get, path = "/api/conflicts", tag = "views", params(ConflictsParams),
    responses((status = 200, body = views::ConflictsView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn conflicts(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<views::ConflictsView>, ApiError> {
    let p: ConflictsParams = params(query)?;
    let entity = required_entity(p.entity.as_deref(), "conflicts")?;
    run_view(&state, move |reader| views::conflicts(reader, &entity)).await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct StatsParams {}

/// Counts by named graph, class, kind of fact, certainty, source and property, and the time of
/// the last write.
#[utoipa::path(get, path = "/api/stats", tag = "dataset", params(StatsParams),
    responses((status = 200, body = views::StatsView), (status = 400, body = ErrorBody)))]
async fn stats(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<views::StatsView>, ApiError> {
    let _: StatsParams = params(query)?;
    let (store, cache) = (state.store.clone(), Arc::clone(&state.stats_cache));
    run_view(&state, move |reader| {
        views::stats(store.as_ref(), reader, &cache)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct RankingsParams {
    /// The role ranked by (default `investor`): investor, investee, acquirer, acquired, customer, provider, holder, grantor or partner.
    role: Option<String>,
    /// The currency of the amounts summed (default `USD`); amounts in other currencies are left out.
    currency: Option<String>,
    /// Most organisations listed (1 to 1000, default 10).
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// Organisations ranked by the total amount of the deals in which they take a role ("top
/// investors by total amount"), with the number of those deals.
#[utoipa::path(get, path = "/api/rankings", tag = "dataset", params(RankingsParams),
    responses((status = 200, body = views::RankingsView), (status = 400, body = ErrorBody)))]
async fn rankings(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<views::RankingsView>, ApiError> {
    let p: RankingsParams = params(query)?;
    let role = views::rankings::ranked_role(p.role.as_deref().unwrap_or("investor"))?;
    let currency = p.currency.unwrap_or_else(|| "USD".to_owned());
    let limit = bounded(
        "limit",
        p.limit.as_deref(),
        views::rankings::DEFAULT_RANKED,
        views::rankings::MAX_RANKED,
    )?;
    let (store, cache) = (state.store.clone(), Arc::clone(&state.rankings_cache));
    run_view(&state, move |reader| {
        views::rankings(store.as_ref(), reader, &cache, role, &currency, limit)
    })
    .await
}

/// The header of an export that says whether the view was cut at its `limit`.
pub(crate) const TRUNCATED_HEADER: &str = "x-dealgraph-truncated";

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ExportParams {
    /// The file format: `gexf` (Gephi), `graphml`, `cytoscape` (Cytoscape.js JSON), `csv` (the edges) or `csv-nodes` (the nodes).
    // Read as optional so that a missing format is our 400 listing the formats, not serde's.
    #[param(required = true)]
    format: Option<String>,
    /// The entity at the centre of a neighbourhood, as for /api/graph: its id or IRI. Without it, the whole graph.
    focus: Option<String>,
    /// Hops from the focus, 1 to 3 (default 1); only with `focus`.
    #[param(value_type = Option<u8>)]
    depth: Option<String>,
    /// Only these kinds of fact (and their subclasses), comma-separated: `Investment,ComputeAgreement`.
    relations: Option<String>,
    /// Only facts dated in or after this (YYYY, YYYY-MM or YYYY-MM-DD); undated facts are then left out.
    since: Option<String>,
    /// Only facts dated in or before this.
    until: Option<String>,
    /// Only facts of these certainties, comma-separated: `stated,announced`.
    certainty: Option<String>,
    /// With `focus`, most nodes, the focus included (1 to 2000, default 150), as for /api/graph; without, most edges (1 to 100000, default 10000). A cut export says so in `X-Dealgraph-Truncated: true` and, except in CSV, inside the file.
    #[param(value_type = Option<usize>)]
    limit: Option<String>,
}

/// The whole graph or one neighbourhood as a file: GEXF for Gephi (each relationship starting at
/// its date, for the timeline), GraphML, Cytoscape.js JSON, or CSV tables of edges and nodes.
/// Nodes are identified by their IRIs; edges carry their fact's class, amount, currency, date,
/// certainty, status, source document and fact IRI.
#[utoipa::path(get, path = "/api/export", tag = "exports", params(ExportParams),
    responses(
        (status = 200, description = "The file, as an attachment named `dealgraph-<focus or all>.<extension>`",
            content(
                (String = "application/gexf+xml"),
                (String = "application/graphml+xml"),
                (String = "application/json"),
                (String = "text/csv")
            ),
            headers(
                ("Content-Disposition" = String, description = "`attachment; filename=\"dealgraph-coreweave.gexf\"`"),
                ("X-Dealgraph-Truncated" = String, description = "`true` when the view was cut at `limit` and more was left out, else `false`")
            )
        ),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
async fn export(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let p: ExportParams = params(query)?;
    let format: ExportFormat = p
        .format
        .as_deref()
        .ok_or_else(|| {
            let names: Vec<&str> = ExportFormat::ALL.iter().map(|f| f.name()).collect();
            ApiError::BadRequest(format!(
                "give the file format as `format`, one of: {}; e.g. /api/export?format=gexf&focus=coreweave",
                names.join(", ")
            ))
        })?
        .parse()?;
    // With a focus, the neighbourhood /api/graph shows and its node limit; without, every
    // relationship up to an edge limit.
    let (neighbourhood, limit) = match p.focus.as_deref() {
        Some(focus) => (
            Some((
                views::entity_iri(focus)?,
                bounded("depth", p.depth.as_deref(), 1, views::graph::MAX_DEPTH)?,
            )),
            bounded(
                "limit",
                p.limit.as_deref(),
                views::graph::DEFAULT_NODES,
                views::graph::MAX_NODES,
            )?,
        ),
        None if p.depth.is_some() => {
            return Err(ApiError::BadRequest(
                "`depth` counts hops from `focus`: give `focus` too, or leave `depth` out to export the whole graph".into(),
            ));
        }
        None => (
            None,
            bounded(
                "limit",
                p.limit.as_deref(),
                views::export::DEFAULT_EDGES,
                views::export::MAX_EDGES,
            )?,
        ),
    };
    let stem = neighbourhood.as_ref().map_or_else(
        || "all".to_owned(),
        |(iri, _)| {
            views::entity_id(iri.as_str())
                .unwrap_or(iri.as_str())
                .to_owned()
        },
    );
    let (since, until) = (
        date("since", p.since.as_deref())?,
        date("until", p.until.as_deref())?,
    );
    let (relations, certainty) = (list(p.relations.as_deref()), list(p.certainty.as_deref()));
    let (body, truncated) = run_blocking(&state, move |reader| {
        let filter = views::graph::resolve_filter(reader, &relations, &certainty, since, until)?;
        let view = match neighbourhood {
            Some((focus, depth)) => views::graph(
                reader,
                &views::GraphRequest {
                    focus,
                    depth,
                    filter,
                    limit,
                },
            )?,
            None => views::whole_graph(reader, &filter, limit)?,
        };
        // Written here, on the blocking thread: a large graph takes a while to serialise.
        let mut body = Vec::new();
        views::write_export(&view, format, &mut body).map_err(|e| {
            ViewError::Store(StoreError::Storage(format!("writing the export: {e}")))
        })?;
        Ok((body, view.truncated))
    })
    .await?;
    let disposition = format!("attachment; filename=\"{}\"", format.file_name(&stem));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    // The file name holds only ASCII letters, digits and `-_.` (`ExportFormat::file_name`).
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    headers.insert(
        HeaderName::from_static(TRUNCATED_HEADER),
        HeaderValue::from_static(if truncated { "true" } else { "false" }),
    );
    Ok(response)
}
