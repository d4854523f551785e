//! Linked Data: every IRI of dealgraph's namespace (`https://w3id.org/dealgraph/id/...`,
//! `.../certainty/...`, `.../status/...`) dereferences here, at the same path, to a description
//! in the RDF format `Accept` asks for (`Vary: Accept`).
//!
//! A description is what an RDF client needs to read the entity without a second request: its
//! own triples, and every fact node that points at it in full (roles, amounts, dates, certainty,
//! quote) with the label of the fact's source, plus any other triple pointing at it.
//!
//! `/.well-known/void` describes the dataset as a whole in VoID: its named graphs with their
//! triples, classes and properties with their counts, the sources it rests on, and licences.

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
    // A browser gets the web UI's page for the entity; RDF clients and curl get RDF.
    if kind == "id" && super::negotiate::prefers_html(&headers, super::negotiate::GRAPH_OFFERS) {
        let mut response =
            axum::response::Redirect::to(&format!("/entity/{local}")).into_response();
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(response);
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

/// `GET /.well-known/void`: the dataset's VoID description, computed from the store as it is.
pub async fn void(state: AppState, headers: HeaderMap) -> Result<Response, ApiError> {
    let endpoint = super::service_description::endpoint_iri(&headers, "/sparql");
    let mut response =
        sparql::run_query(&state, void_query(&endpoint), Dataset::default(), &headers).await?;
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response.into_response())
}

/// The CONSTRUCT that describes the dataset: a `void:Dataset` with its endpoint, URI space and
/// size, one subset per named graph (an Epoch AI graph with the dataset it comes from and its
/// licence), a class partition per class and a property partition per property, and the
/// sources that are not part of another source (the article, Epoch AI's datasets).
fn void_query(endpoint: &str) -> String {
    let dataset = format!("{NAMESPACE}void/dataset");
    format!(
        "PREFIX void: <http://rdfs.org/ns/void#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{
  <{dataset}> a void:Dataset ;
    dcterms:title \"dealgraph\" ;
    dcterms:description \"Who funds whom, who buys compute from whom, on what terms, since when, and according to whom, in the AI-infrastructure market: every fact with its source, quote and certainty.\" ;
    void:sparqlEndpoint <{endpoint}> ;
    void:uriSpace \"{NAMESPACE}id/\" ;
    void:vocabulary <https://w3id.org/dealgraph/ontology> ;
    void:triples ?total ;
    void:subset ?graph ;
    void:classPartition ?classPartition ;
    void:propertyPartition ?propertyPartition ;
    dcterms:source ?source .
  ?graph a void:Dataset ; void:triples ?graphTriples ; dcterms:source ?graphSource ;
    dcterms:license ?license .
  ?classPartition void:class ?class ; void:entities ?entities .
  ?propertyPartition void:property ?property ; void:triples ?propertyTriples .
  ?source rdfs:label ?sourceLabel ; dcterms:license ?sourceLicense .
}}
WHERE {{
  {{ SELECT (COUNT(*) AS ?total) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} }}
  UNION
  {{
    {{ SELECT ?graph (COUNT(*) AS ?graphTriples) WHERE {{ GRAPH ?graph {{ ?s ?p ?o }} }} GROUP BY ?graph }}
    OPTIONAL {{
      GRAPH ?graph {{ ?graphSource a dg:SourceDocument ; dcterms:license ?license }}
      FILTER NOT EXISTS {{ ?graphSource dcterms:isPartOf ?whole }}
    }}
  }}
  UNION
  {{
    SELECT ?class (COUNT(DISTINCT ?instance) AS ?entities)
      (IRI(CONCAT(\"{NAMESPACE}void/class/\", ENCODE_FOR_URI(STR(?class)))) AS ?classPartition)
    WHERE {{ ?instance a ?class FILTER(isIRI(?class)) }}
    GROUP BY ?class
  }}
  UNION
  {{
    SELECT ?property (COUNT(*) AS ?propertyTriples)
      (IRI(CONCAT(\"{NAMESPACE}void/property/\", ENCODE_FOR_URI(STR(?property)))) AS ?propertyPartition)
    WHERE {{ GRAPH ?g {{ ?s ?property ?o }} }}
    GROUP BY ?property
  }}
  UNION
  {{
    ?source a dg:SourceDocument ; rdfs:label ?sourceLabel .
    FILTER NOT EXISTS {{ ?source dcterms:isPartOf ?whole }}
    FILTER(STRSTARTS(STR(?source), \"{NAMESPACE}id/\"))
    OPTIONAL {{ ?source dcterms:license ?sourceLicense }}
  }}
}}"
    )
}
