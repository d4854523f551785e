//! Every IRI of dealgraph's namespace dereferences on the server, in the RDF format the client
//! asks for, with the facts that point at it: what a Linked Data client (or `curl -H Accept`)
//! meets.

mod common;

use common::{TestServer, client, error_of};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{Graph, Literal, NamedNode, TripleRef};

const CW: &str = "https://w3id.org/dealgraph/id/coreweave";
const DG: &str = "https://w3id.org/dealgraph/ontology#";

fn get(server: &TestServer, path: &str, accept: &str) -> reqwest::blocking::Response {
    client()
        .get(server.url(path))
        .header("Accept", accept)
        .send()
        .unwrap()
}

fn graph(body: &[u8], format: RdfFormat) -> Graph {
    let mut graph = Graph::new();
    for triple in RdfParser::from_format(format).for_slice(body) {
        graph.insert(&oxigraph::model::Triple::from(
            triple.expect("the description parses"),
        ));
    }
    graph
}

fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap()
}

#[test]
fn an_entity_iri_dereferences_in_each_rdf_format_with_vary_accept() {
    let server = TestServer::start();
    for (accept, media_type, format) in [
        ("text/turtle", "text/turtle", RdfFormat::Turtle),
        (
            "application/n-triples",
            "application/n-triples",
            RdfFormat::NTriples,
        ),
        (
            "application/rdf+xml",
            "application/rdf+xml",
            RdfFormat::RdfXml,
        ),
        (
            "application/ld+json",
            "application/ld+json",
            RdfFormat::JsonLd {
                profile: Default::default(),
            },
        ),
        // A browser's Accept without RDF types gets the default, Turtle.
        (
            "text/html,application/xhtml+xml,*/*;q=0.8",
            "text/turtle",
            RdfFormat::Turtle,
        ),
    ] {
        let response = get(&server, "/id/coreweave", accept);
        assert_eq!(response.status(), 200, "{accept}");
        assert_eq!(response.headers()["content-type"], media_type, "{accept}");
        assert!(
            response
                .headers()
                .get_all("vary")
                .iter()
                .any(|v| v.to_str().unwrap().contains("Accept")),
            "{accept}: no Vary: Accept"
        );
        let graph = graph(&response.bytes().unwrap(), format);
        let label = Literal::new_simple_literal("CoreWeave");
        assert!(
            graph.contains(TripleRef::new(
                &iri(CW),
                &iri("http://www.w3.org/2000/01/rdf-schema#label"),
                &label
            )),
            "{accept}: no label"
        );
    }
}

#[test]
fn the_description_holds_the_facts_that_point_at_the_entity_with_their_sources() {
    let server = TestServer::start();
    let response = get(&server, "/id/coreweave", "application/n-triples");
    let graph = graph(&response.bytes().unwrap(), RdfFormat::NTriples);
    // The article's compute agreement: OpenAI buys compute from CoreWeave for $11.9 billion.
    let fact = iri("https://w3id.org/dealgraph/id/openai-coreweave-compute-agreement");
    let amount_value = graph
        .objects_for_subject_predicate(&fact, &iri(&format!("{DG}amount")))
        .flat_map(|amount| match amount {
            oxigraph::model::TermRef::NamedNode(n) => graph
                .objects_for_subject_predicate(n, &iri(&format!("{DG}value")))
                .map(|v| v.to_string())
                .collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect::<Vec<_>>();
    assert_eq!(
        amount_value,
        vec!["\"11900000000\"^^<http://www.w3.org/2001/XMLSchema#decimal>"]
    );
    assert!(
        graph
            .objects_for_subject_predicate(&fact, &iri(&format!("{DG}quote")))
            .next()
            .is_some(),
        "the fact's quote"
    );
    assert!(
        graph
            .objects_for_subject_predicate(&fact, &iri(&format!("{DG}certainty")))
            .any(|c| c.to_string() == "<https://w3id.org/dealgraph/certainty/stated>"),
        "the fact's certainty"
    );
    let source = graph
        .object_for_subject_predicate(&fact, &iri("http://www.w3.org/ns/prov#wasDerivedFrom"))
        .expect("the fact's source");
    let oxigraph::model::TermRef::NamedNode(source) = source else {
        panic!("the source is an IRI")
    };
    assert!(
        graph
            .object_for_subject_predicate(
                source,
                &iri("http://www.w3.org/2000/01/rdf-schema#label")
            )
            .is_some(),
        "the source's label"
    );
    // The counterparty is named too.
    assert!(graph.contains(TripleRef::new(
        &iri("https://w3id.org/dealgraph/id/openai"),
        &iri("http://www.w3.org/2000/01/rdf-schema#label"),
        &Literal::new_simple_literal("OpenAI")
    )));
}

#[test]
fn a_certainty_dereferences_to_the_concept_not_to_every_fact_that_has_it() {
    let server = TestServer::start();
    let response = get(&server, "/certainty/reported", "application/n-triples");
    assert_eq!(response.status(), 200);
    let graph = graph(&response.bytes().unwrap(), RdfFormat::NTriples);
    let concept = iri("https://w3id.org/dealgraph/certainty/reported");
    assert!(graph.contains(TripleRef::new(
        &concept,
        &iri("http://www.w3.org/2004/02/skos/core#prefLabel"),
        &Literal::new_simple_literal("reported")
    )));
    assert!(
        !graph
            .iter()
            .any(|t| t.predicate.as_str() == format!("{DG}quote")),
        "no fact is expanded into a certainty's description"
    );
    assert_eq!(
        get(&server, "/status/completed", "text/turtle").status(),
        200
    );
}

#[test]
fn an_unknown_iri_is_404_and_an_unoffered_format_406() {
    let server = TestServer::start();
    let (status, code, message) = error_of(get(&server, "/id/no-such-entity", "text/turtle"));
    assert_eq!((status, code.as_str()), (404, "not_found"));
    assert!(
        message.contains("https://w3id.org/dealgraph/id/no-such-entity"),
        "{message}"
    );
    let (status, _, _) = error_of(get(&server, "/id/coreweave", "image/png"));
    assert_eq!(status, 406);
}
