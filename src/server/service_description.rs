//! The SPARQL 1.1 Service Description answered on a bare `GET /sparql`.
//! See <https://www.w3.org/TR/sparql11-service-description/>.

use super::AppState;
use super::error::ApiError;
use super::negotiate::{self, Format, GRAPH_OFFERS};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use oxigraph::io::RdfSerializer;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{BlankNode, NamedNode, Triple};

const SD: &str = "http://www.w3.org/ns/sparql-service-description#";
const FORMATS: &str = "http://www.w3.org/ns/formats/";

fn sd(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SD}{local}"))
}

/// The endpoint's own IRI, from the `Host` the client used.
pub fn endpoint_iri(headers: &HeaderMap, path: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1:7878");
    format!("http://{host}{path}")
}

pub async fn respond(state: &AppState, headers: &HeaderMap) -> Result<Response, ApiError> {
    let Format::Rdf(format) = negotiate::choose(headers, GRAPH_OFFERS)? else {
        return Err(ApiError::Internal(
            "graph offers hold only RDF formats".into(),
        ));
    };
    let store = state.store.clone();
    let graphs = tokio::task::spawn_blocking(move || store.named_graphs())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;

    let service = BlankNode::default();
    let dataset = BlankNode::default();
    let default_graph = BlankNode::default();
    let endpoint = NamedNode::new_unchecked(endpoint_iri(headers, "/sparql"));
    let mut triples = vec![
        Triple::new(service.clone(), rdf::TYPE, sd("Service")),
        Triple::new(service.clone(), sd("endpoint"), endpoint),
        Triple::new(
            service.clone(),
            sd("supportedLanguage"),
            sd("SPARQL11Query"),
        ),
        Triple::new(
            service.clone(),
            sd("supportedLanguage"),
            sd("SPARQL11Update"),
        ),
        Triple::new(service.clone(), sd("feature"), sd("UnionDefaultGraph")),
        Triple::new(
            service.clone(),
            sd("defaultEntailmentRegime"),
            NamedNode::new_unchecked("http://www.w3.org/ns/entailment/Simple"),
        ),
        Triple::new(service.clone(), sd("defaultDataset"), dataset.clone()),
        Triple::new(dataset.clone(), rdf::TYPE, sd("Dataset")),
        Triple::new(dataset.clone(), sd("defaultGraph"), default_graph.clone()),
        Triple::new(default_graph, rdf::TYPE, sd("Graph")),
    ];
    // Where clients find the example-query library and the dataset's VoID description.
    triples.push(Triple::new(
        service.clone(),
        NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
        NamedNode::new_unchecked(endpoint_iri(headers, "/queries")),
    ));
    triples.push(Triple::new(
        dataset.clone(),
        NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#seeAlso"),
        NamedNode::new_unchecked(endpoint_iri(headers, "/.well-known/void")),
    ));
    if state.config.federation {
        triples.push(Triple::new(
            service.clone(),
            sd("feature"),
            sd("BasicFederatedQuery"),
        ));
    }
    for name in [
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "RDF_XML",
        "JSON-LD",
        "TriG",
        "N-Quads",
    ] {
        triples.push(Triple::new(
            service.clone(),
            sd("resultFormat"),
            NamedNode::new_unchecked(format!("{FORMATS}{name}")),
        ));
    }
    for graph in graphs {
        let named = BlankNode::default();
        triples.push(Triple::new(
            dataset.clone(),
            sd("namedGraph"),
            named.clone(),
        ));
        triples.push(Triple::new(named.clone(), rdf::TYPE, sd("NamedGraph")));
        triples.push(Triple::new(named, sd("name"), graph));
    }

    let mut serializer = RdfSerializer::from_format(format)
        .with_prefix("sd", SD)
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .for_writer(Vec::new());
    for triple in &triples {
        serializer
            .serialize_triple(triple)
            .map_err(|e| ApiError::Internal(e.to_string()))?;
    }
    let body = serializer
        .finish()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.media_type()),
            ),
            (header::VARY, HeaderValue::from_static("Accept")),
        ],
        body,
    )
        .into_response())
}
