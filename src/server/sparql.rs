//! The SPARQL 1.1 Protocol at `/sparql` (and its aliases `/query`, `/update`): queries by GET
//! and POST, updates by POST, and the Service Description on a bare GET.
//! See <https://www.w3.org/TR/sparql11-protocol/>.

use super::error::ApiError;
use super::negotiate::{self, Format, GRAPH_OFFERS, RESULT_OFFERS};
use super::result_cache::{Key, MAX_ENTRY_BYTES, ResultCache, kept_response};
use super::stream::{self, write_error};
use super::{AppState, read_body, require_write};
use crate::store::{Dataset, QueryRequest, StoreError, WriteOp};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use oxigraph::model::NamedNode;
use oxigraph::sparql::results::QueryResultsSerializer;
use oxigraph::sparql::{CancellationToken, QueryResults};
use std::sync::Arc;

/// Which operations a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    QueryAndUpdate,
    QueryOnly,
    UpdateOnly,
}

/// Protocol parameters, from the URL or a form body. Repeated keys are kept.
#[derive(Debug, Default)]
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(raw).into_owned().collect())
    }

    fn all(&self, key: &str) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The single value of `key`; a repeated one is a protocol error.
    fn one(&self, key: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self.all(key);
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::BadRequest(format!(
                "the parameter `{key}` is given more than once"
            )));
        }
        Ok(first)
    }

    fn iris(&self, key: &str) -> Result<Vec<NamedNode>, ApiError> {
        self.all(key)
            .map(|v| {
                NamedNode::new(v).map_err(|e| {
                    ApiError::BadRequest(format!("`{key}` must be an absolute IRI, got {v:?}: {e}"))
                })
            })
            .collect()
    }

    fn dataset(&self, default_key: &str, named_key: &str) -> Result<Dataset, ApiError> {
        let exclude_derived = match self.one("derived")? {
            None | Some("true") => false,
            Some("false") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "`derived` is `true` or `false`, got {other:?}"
                )));
            }
        };
        Ok(Dataset {
            default_graphs: self.iris(default_key)?,
            named_graphs: self.iris(named_key)?,
            exclude_derived,
        })
    }
}

pub async fn handle(
    State(state): State<AppState>,
    accepts: Accepts,
    method: Method,
    RawQuery(raw_query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let url_params = Params::parse(raw_query.unwrap_or_default().as_bytes());
    match method {
        Method::GET | Method::HEAD => {
            if url_params.one("update")?.is_some() {
                return Err(ApiError::BadRequest(
                    "a SPARQL update must be sent with POST, never GET".into(),
                ));
            }
            match url_params.one("query")? {
                Some(query) if accepts != Accepts::UpdateOnly => {
                    let dataset = url_params.dataset("default-graph-uri", "named-graph-uri")?;
                    run_query(&state, query.to_owned(), dataset, &headers).await
                }
                Some(_) => Err(ApiError::MethodNotAllowed("POST")),
                None if accepts == Accepts::UpdateOnly => Err(ApiError::MethodNotAllowed("POST")),
                None => super::service_description::respond(&state, &headers).await,
            }
        }
        Method::POST => {
            let media_type = negotiate::content_type(&headers).unwrap_or_default();
            match media_type.as_str() {
                "application/sparql-query" if accepts != Accepts::UpdateOnly => {
                    let query = body_text(&state, body, &headers).await?;
                    let dataset = url_params.dataset("default-graph-uri", "named-graph-uri")?;
                    run_query(&state, query, dataset, &headers).await
                }
                "application/sparql-update" if accepts != Accepts::QueryOnly => {
                    require_write(&state, &headers)?;
                    let update = body_text(&state, body, &headers).await?;
                    let using = url_params.dataset("using-graph-uri", "using-named-graph-uri")?;
                    run_update(&state, update, using).await
                }
                "application/x-www-form-urlencoded" => {
                    let form = Params::parse(&read_body(&state, body, &headers).await?);
                    match (form.one("query")?, form.one("update")?) {
                        (Some(_), Some(_)) => Err(ApiError::BadRequest(
                            "give either `query` or `update`, not both".into(),
                        )),
                        (Some(query), None) if accepts != Accepts::UpdateOnly => {
                            let dataset = form.dataset("default-graph-uri", "named-graph-uri")?;
                            run_query(&state, query.to_owned(), dataset, &headers).await
                        }
                        (None, Some(update)) if accepts != Accepts::QueryOnly => {
                            require_write(&state, &headers)?;
                            let using = form.dataset("using-graph-uri", "using-named-graph-uri")?;
                            run_update(&state, update.to_owned(), using).await
                        }
                        (None, None) => Err(ApiError::BadRequest(
                            "the form has neither a `query` nor an `update` parameter".into(),
                        )),
                        _ => Err(ApiError::BadRequest(format!(
                            "this route does not take {}",
                            if accepts == Accepts::QueryOnly { "updates" } else { "queries" }
                        ))),
                    }
                }
                _ => Err(ApiError::UnsupportedMediaType {
                    got: if media_type.is_empty() { "(none)".into() } else { media_type },
                    expected: match accepts {
                        Accepts::QueryAndUpdate => "application/sparql-query, application/sparql-update, application/x-www-form-urlencoded",
                        Accepts::QueryOnly => "application/sparql-query, application/x-www-form-urlencoded",
                        Accepts::UpdateOnly => "application/sparql-update, application/x-www-form-urlencoded",
                    }
                    .into(),
                }),
            }
        }
        _ => Err(ApiError::MethodNotAllowed("GET, HEAD, POST")),
    }
}

async fn body_text(state: &AppState, body: Body, headers: &HeaderMap) -> Result<String, ApiError> {
    let bytes = read_body(state, body, headers).await?;
    String::from_utf8(bytes.to_vec())
        .map_err(|e| ApiError::BadRequest(format!("the body is not valid UTF-8: {e}")))
}

/// Runs a query and streams its answer in the negotiated format.
/// Queries up to this long are parsed on the async worker that received them.
const INLINE_PARSE_BYTES: usize = 16 * 1024;

pub async fn run_query(
    state: &AppState,
    query: String,
    dataset: Dataset,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let cached = match lookup(state, &query, &dataset, headers) {
        Err(hit) => return Ok(*hit),
        Ok(cached) => cached,
    };
    // Parsing a short query takes microseconds, less than handing it to a blocking thread and
    // back (that handoff was most of the 0.15 ms dealgraph added to `ASK {}` over Oxigraph
    // server); a long one is parsed off the async workers.
    let form = if query.len() <= INLINE_PARSE_BYTES {
        state.store.query_form(&query)?
    } else {
        let store = state.store.clone();
        let query = query.clone();
        tokio::task::spawn_blocking(move || store.query_form(&query))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??
    };
    let format = negotiate::choose(
        headers,
        if form.returns_graph() {
            GRAPH_OFFERS
        } else {
            RESULT_OFFERS
        },
    )?;
    let store = state.store.clone();
    let max_rows = state.config.max_result_rows;
    let content_type = format.content_type();
    let cache = Arc::clone(&state.result_cache);
    let kept = cached.map(|(key, generation)| (key, generation, content_type.clone()));
    stream::respond(state, content_type, move |producer| {
        if kept.is_some() {
            producer.writer.keep_copy(MAX_ENTRY_BYTES);
        }
        let results = store.query(&QueryRequest {
            query,
            dataset,
            cancel: producer.cancel.clone(),
        })?;
        serialize(results, format, &mut producer.writer, max_rows)?;
        // Only a complete answer reaches here: an error or a cut above returned early.
        if let (Some((key, generation, content_type)), Some(body)) =
            (kept, producer.writer.take_copy())
        {
            cache.put(key, generation, content_type, Bytes::from(body));
        }
        Ok(())
    })
    .await
}

/// The kept answer to this query, if there is one for the store as it is now; else the key and
/// generation to keep the answer under, if it may be kept.
fn lookup(
    state: &AppState,
    query: &str,
    dataset: &Dataset,
    headers: &HeaderMap,
) -> Result<Option<(Key, u64)>, Box<Response>> {
    let Some(generation) = state.store.generation() else {
        return Ok(None);
    };
    if !state.result_cache.enabled() || !ResultCache::may_keep(query) {
        return Ok(None);
    }
    let key = Key {
        query: query.to_owned(),
        dataset: format!("{dataset:?}"),
        accept: headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    };
    match state.result_cache.get(&key, generation) {
        Some((content_type, body)) => {
            let mut response = kept_response(&content_type, body);
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept"));
            Err(Box::new(response))
        }
        None => Ok(Some((key, generation))),
    }
}

/// Prefixes graph answers are written with, so Turtle and RDF/XML read well.
const PREFIXES: &[(&str, &str)] = &[
    ("dg", "https://w3id.org/dealgraph/ontology#"),
    ("dgr", "https://w3id.org/dealgraph/id/"),
    ("dgc", "https://w3id.org/dealgraph/certainty/"),
    ("dgs", "https://w3id.org/dealgraph/status/"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("owl", "http://www.w3.org/2002/07/owl#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("skos", "http://www.w3.org/2004/02/skos/core#"),
    ("schema", "http://schema.org/"),
    ("prov", "http://www.w3.org/ns/prov#"),
    ("org", "http://www.w3.org/ns/org#"),
    ("sh", "http://www.w3.org/ns/shacl#"),
    ("void", "http://rdfs.org/ns/void#"),
    ("dcterms", "http://purl.org/dc/terms/"),
];

/// Writes query results, refusing to pass `max_rows` rows or triples.
fn serialize(
    results: QueryResults<'static>,
    format: Format,
    out: &mut impl std::io::Write,
    max_rows: u64,
) -> Result<(), StoreError> {
    let mut rows = 0u64;
    let mut count = || {
        rows += 1;
        if rows > max_rows {
            Err(StoreError::ResultTooLarge(max_rows))
        } else {
            Ok(())
        }
    };
    match (results, format) {
        (QueryResults::Solutions(solutions), Format::Results(f)) => {
            let mut serializer = QueryResultsSerializer::from_format(f)
                .serialize_solutions_to_writer(out, solutions.variables().to_vec())
                .map_err(write_error)?;
            for solution in solutions {
                let solution = solution?;
                count()?;
                serializer.serialize(&solution).map_err(write_error)?;
            }
            serializer.finish().map_err(write_error)?;
        }
        (QueryResults::Boolean(value), Format::Results(f)) => {
            QueryResultsSerializer::from_format(f)
                .serialize_boolean_to_writer(out, value)
                .map_err(write_error)?;
        }
        (QueryResults::Graph(triples), Format::Rdf(f)) => {
            let mut serializer = RdfSerializer::from_format(f);
            for (prefix, iri) in PREFIXES {
                serializer = serializer
                    .with_prefix(*prefix, *iri)
                    .map_err(|e| StoreError::Storage(e.to_string()))?;
            }
            let mut serializer = serializer.for_writer(out);
            for triple in triples {
                let triple = triple?;
                count()?;
                serializer.serialize_triple(&triple).map_err(write_error)?;
            }
            serializer.finish().map_err(write_error)?;
        }
        _ => {
            return Err(StoreError::Storage(
                "the negotiated format does not fit the query form".into(),
            ));
        }
    }
    Ok(())
}

/// Applies an update through the store's one door, under the same deadline as queries.
async fn run_update(
    state: &AppState,
    update: String,
    using: Dataset,
) -> Result<Response, ApiError> {
    let store = state.store.clone();
    let cancel = CancellationToken::new();
    let deadline = state.config.query_timeout;
    let watchdog = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(deadline).await;
            cancel.cancel();
        })
    };
    let result = tokio::task::spawn_blocking(move || {
        store.write(WriteOp::Update {
            update,
            using,
            cancel,
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    watchdog.abort();
    match result {
        Ok(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::Cancelled) => Err(StoreError::Deadline(deadline.as_secs().max(1)).into()),
        Err(e) => Err(e.into()),
    }
}
