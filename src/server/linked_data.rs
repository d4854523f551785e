//! Linked Data: every IRI of dealgraph's namespace (`https://w3id.org/dealgraph/id/...`,
//! `.../certainty/...`, `.../status/...`) dereferences here, at the same path, to a description
//! in the RDF format `Accept` asks for (`Vary: Accept`).
//!
//! A description is what an RDF client needs to read the entity without a second request: its
//! own triples, and every fact node that points at it in full (roles, amounts, dates, certainty,
//! quote) with the label of the fact's source, plus any other triple pointing at it.

use super::error::ApiError;
use super::{AppState, sparql};
use crate::store::{Dataset, NAMESPACE, QueryRequest};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oxigraph::model::NamedNode;
use oxigraph::sparql::{CancellationToken, QueryResults};

/// `GET /{kind}/{local}`: the description of `NAMESPACE{kind}/{local}`.
pub async fn describe(
    state: AppState,
    kind: &'static str,
    local: String,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let iri = NamedNode::new(format!("{NAMESPACE}{kind}/{local}")).map_err(|e| {
        ApiError::BadRequest(format!("/{kind}/{local} is not the path of an IRI: {e}"))
    })?;
    if !is_known(&state, &iri).await? {
        return Err(ApiError::NotFound(format!(
            "nothing is known about <{}>",
            iri.as_str()
        )));
    }
    let mut response = sparql::run_query(
        &state,
        description_query(&iri),
        Dataset::default(),
        &headers,
    )
    .await?;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response.into_response())
}

/// Whether any triple has the IRI as its subject or object.
async fn is_known(state: &AppState, iri: &NamedNode) -> Result<bool, ApiError> {
    let store = state.store.clone();
    let query = format!("ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }}");
    let known = tokio::task::spawn_blocking(move || {
        store
            .query(&QueryRequest {
                query,
                dataset: Dataset::default(),
                cancel: CancellationToken::new(),
            })
            .map(|answer| matches!(answer, QueryResults::Boolean(true)))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(known)
}

/// The CONSTRUCT that describes one IRI. A fact node "points at" the IRI when the IRI fills one
/// of its roles; every fact points at a certainty and a status, which are not roles, so the
/// description of a certainty is the concept, not every fact that has it.
fn description_query(iri: &NamedNode) -> String {
    let fact = format!(
        "?fact ?role {iri} ; dg:quote ?quote . FILTER(?role NOT IN (dg:certainty, dg:status, rdf:type)) ?fact"
    );
    format!(
        "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
CONSTRUCT {{
  {iri} ?p ?o .
  ?s ?in {iri} .
  ?fact ?fp ?fo .
  ?amount ?ap ?ao .
  ?source rdfs:label ?sourceLabel .
  ?party rdfs:label ?partyLabel .
}}
WHERE {{
  {{ {iri} ?p ?o }}
  UNION {{ ?s ?in {iri} FILTER(?in NOT IN (dg:certainty, dg:status)) }}
  UNION {{ {fact} ?fp ?fo }}
  UNION {{ {fact} ?amountProperty ?amount . ?amount a dg:MonetaryAmount ; ?ap ?ao }}
  UNION {{ {fact} prov:wasDerivedFrom ?source . ?source rdfs:label ?sourceLabel }}
  UNION {{ {fact} ?partyRole ?party . FILTER(isIRI(?party)) ?party rdfs:label ?partyLabel }}
}}"
    )
}
