//! The ontology dereferences on the server, and the example-query library is offered to clients.

mod common;

use common::{TestServer, client};

#[test]
fn the_ontology_iri_dereferences_in_each_rdf_format() {
    let server = TestServer::start();
    for (accept, media_type, needles) in [
        (
            "text/turtle",
            "text/turtle",
            vec!["owl:Ontology", "owl:versionInfo", "dg:ComputeAgreement"],
        ),
        (
            "application/rdf+xml",
            "application/rdf+xml",
            vec!["http://www.w3.org/2002/07/owl#Ontology", "versionInfo"],
        ),
        (
            "application/ld+json",
            "application/ld+json",
            vec!["http://www.w3.org/2002/07/owl#Ontology"],
        ),
    ] {
        let response = client()
            .get(server.url("/ontology"))
            .header("Accept", accept)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], media_type);
        assert_eq!(response.headers()["vary"], "Accept");
        let body = response.text().unwrap();
        for needle in needles {
            assert!(body.contains(needle), "{accept}: no {needle}");
        }
        assert!(
            !body.contains("https://w3id.org/dealgraph/id/coreweave"),
            "{accept}: data leaked into the ontology"
        );
    }
}

#[test]
fn example_queries_are_listed_served_and_runnable() {
    let server = TestServer::start();
    let list: serde_json::Value = client()
        .get(server.url("/queries"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let queries = list["queries"].as_array().unwrap();
    assert!(queries.len() >= 15);
    let first = &queries[0];
    assert_eq!(first["name"], "01-who-invested-in-openai");
    assert_eq!(first["question"], "Who invested in OpenAI, and how much?");
    let text = client()
        .get(server.url("/queries/01-who-invested-in-openai"))
        .send()
        .unwrap();
    assert_eq!(
        text.headers()["content-type"],
        "application/sparql-query; charset=utf-8"
    );
    let text = text.text().unwrap();
    assert_eq!(text, first["query"].as_str().unwrap());
    let answer = common::select(&server, &text);
    assert!(common::column(&answer, "investorLabel").contains(&"Microsoft".to_owned()));
    assert_eq!(
        client()
            .get(server.url("/queries/nope"))
            .send()
            .unwrap()
            .status(),
        404
    );
    let description = client()
        .get(server.url("/sparql"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        description.contains(&format!("<{}/queries>", server.base)),
        "{description}"
    );
}
