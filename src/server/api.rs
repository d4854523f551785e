//! The JSON API under `/api/`: views of the graph for exploration tools and the web UI.
//! Errors keep the one JSON shape of [`super::error`].

use super::AppState;
use super::error::ApiError;
use crate::search::{DEFAULT_LIMIT, MAX_LIMIT, SearchRequest};
use axum::Json;
use axum::extract::{RawQuery, State};

/// Longest search text accepted, in characters.
const MAX_QUERY_CHARS: usize = 500;

/// `GET /api/search?q=TEXT&type=CLASS&limit=N`: entities by name, alias, description or the
/// quotes of the facts about them, best first (see [`crate::search`]).
pub(crate) async fn search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let mut text: Option<String> = None;
    let mut types = Vec::new();
    let mut limit: Option<String> = None;
    for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let repeated = match key.as_ref() {
            "q" => text.replace(value.into_owned()).is_some(),
            "limit" => limit.replace(value.into_owned()).is_some(),
            "type" => {
                types.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned),
                );
                false
            }
            _ => false,
        };
        if repeated {
            return Err(ApiError::BadRequest(format!(
                "the parameter `{key}` is given more than once"
            )));
        }
    }
    let text = text
        .map(|t| t.trim().to_owned())
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
    let limit = match limit {
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
    let request = SearchRequest {
        text: text.clone(),
        types: types.clone(),
        limit,
    };
    let store = state.store.clone();
    let results = tokio::task::spawn_blocking(move || store.search(&request))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(serde_json::json!({
        "query": text,
        "types": types,
        "limit": limit,
        "total": results.total,
        "hits": results.hits,
    })))
}
