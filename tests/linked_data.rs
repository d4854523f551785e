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
        // curl's Accept gets the default, Turtle.
        ("*/*", "text/turtle", RdfFormat::Turtle),
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

#[test]
fn the_dataset_has_a_void_description_linked_from_the_service_description() {
    let server = TestServer::start();
    let response = get(&server, "/.well-known/void", "application/n-triples");
    assert_eq!(response.status(), 200);
    let graph = graph(&response.bytes().unwrap(), RdfFormat::NTriples);
    let void = |local: &str| iri(&format!("http://rdfs.org/ns/void#{local}"));
    let dataset = iri("https://w3id.org/dealgraph/void/dataset");
    let number = |s: &NamedNode, p: &NamedNode| -> u64 {
        match graph.object_for_subject_predicate(s, p) {
            Some(oxigraph::model::TermRef::Literal(l)) => l.value().parse().unwrap(),
            other => panic!("no number for {s} {p}: {other:?}"),
        }
    };
    // The total is the store's count of quads.
    assert_eq!(
        number(&dataset, &void("triples")),
        common::count_triples(&server)
    );
    // One subset per named graph, with its own count: the article's graph among them.
    let article = iri("https://w3id.org/dealgraph/graph/article");
    assert!(graph.contains(TripleRef::new(&dataset, &void("subset"), &article)));
    let article_triples = common::select(
        &server,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/dealgraph/graph/article> { ?s ?p ?o } }",
    );
    assert_eq!(
        number(&article, &void("triples")).to_string(),
        common::column(&article_triples, "n")[0]
    );
    // A class partition counts the instances of a class (derived types included).
    let companies = graph
        .subjects_for_predicate_object(&void("class"), &iri(&format!("{DG}Company")))
        .next()
        .expect("a partition for dg:Company");
    let oxigraph::model::NamedOrBlankNodeRef::NamedNode(companies) = companies else {
        panic!("a partition is an IRI")
    };
    let instances = common::select(
        &server,
        "SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE { ?x a <https://w3id.org/dealgraph/ontology#Company> }",
    );
    assert_eq!(
        number(&companies.into_owned(), &void("entities")).to_string(),
        common::column(&instances, "n")[0]
    );
    // The article is a source of the dataset; the endpoint is given.
    assert!(graph.contains(TripleRef::new(
        &dataset,
        &iri("http://purl.org/dc/terms/source"),
        &iri("https://w3id.org/dealgraph/id/article-openai-oracle-expand")
    )));
    assert!(
        graph
            .objects_for_subject_predicate(&dataset, &void("sparqlEndpoint"))
            .any(|e| e.to_string().ends_with("/sparql>"))
    );
    // The service description points to it.
    let description = get(&server, "/sparql", "text/turtle").text().unwrap();
    assert!(description.contains("/.well-known/void"), "{description}");
}

#[test]
fn a_browser_is_sent_to_the_entity_page_of_the_web_ui() {
    let server = TestServer::start();
    let no_redirects = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .get(server.url("/id/coreweave"))
        .header(
            "Accept",
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        )
        .send()
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/entity/coreweave");
    assert!(
        response.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("Accept")
    );
    // An RDF client that also takes HTML, but RDF first, still gets RDF.
    let response = get(&server, "/id/coreweave", "text/turtle, text/html;q=0.5");
    assert_eq!(response.headers()["content-type"], "text/turtle");
    // Unknown entities stay a 404, whoever asks.
    let (status, _, _) = error_of(
        no_redirects
            .get(server.url("/id/no-such-thing"))
            .header("Accept", "text/html")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 404);
}
