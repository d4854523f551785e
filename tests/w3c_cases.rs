//! The cases of the W3C SPARQL 1.1 Protocol and Graph Store HTTP Protocol test suites, written
//! from the specifications and named as the suites name them, run over real HTTP.
//! <https://www.w3.org/2009/sparql/docs/tests/data-sparql11/protocol/> and
//! <https://www.w3.org/2009/sparql/docs/tests/data-sparql11/http-rdf-update/>.

mod common;

use common::{TOKEN, TestServer, client, column};
use reqwest::blocking::RequestBuilder;

const ARTICLE: &str = "https://w3id.org/dealgraph/graph/article";
const ONTOLOGY: &str = "https://w3id.org/dealgraph/graph/ontology-dealgraph";
const COUNT: &str = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";

fn count_of(request: RequestBuilder) -> u64 {
    let response = request.send().unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().unwrap();
    column(&body, "n")[0].parse().unwrap()
}

#[test]
fn protocol_query_cases() {
    let server = TestServer::start();
    let sparql = server.url("/sparql");
    let article = count_of(
        client()
            .get(&sparql)
            .query(&[("query", COUNT), ("default-graph-uri", ARTICLE)]),
    );
    let ontology = count_of(
        client()
            .get(&sparql)
            .query(&[("query", COUNT), ("default-graph-uri", ONTOLOGY)]),
    );

    // query_dataset_default_graphs_get / _post: several default-graph-uri merge their graphs.
    let both = [
        ("query", COUNT),
        ("default-graph-uri", ARTICLE),
        ("default-graph-uri", ONTOLOGY),
    ];
    assert_eq!(
        count_of(client().get(&sparql).query(&both)),
        article + ontology
    );
    assert_eq!(
        count_of(client().post(&sparql).form(&both)),
        article + ontology
    );

    // query_dataset_named_graphs_get / _post, query_dataset_full: GRAPH sees only the named ones.
    let per_graph = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }";
    let named = [("query", per_graph), ("named-graph-uri", ARTICLE)];
    assert_eq!(count_of(client().get(&sparql).query(&named)), article);
    assert_eq!(count_of(client().post(&sparql).form(&named)), article);
    let full = [
        ("query", COUNT),
        ("default-graph-uri", ONTOLOGY),
        ("named-graph-uri", ARTICLE),
    ];
    assert_eq!(count_of(client().get(&sparql).query(&full)), ontology);

    // query_multiple_dataset: protocol parameters override FROM in the query.
    let from_query = format!("SELECT (COUNT(*) AS ?n) FROM <{ONTOLOGY}> WHERE {{ ?s ?p ?o }}");
    assert_eq!(
        count_of(client().get(&sparql).query(&[
            ("query", from_query.as_str()),
            ("default-graph-uri", ARTICLE)
        ])),
        article
    );

    // bad_query_method, bad_multiple_queries, bad_query_wrong_media_type,
    // bad_query_missing_form_type, bad_query_missing_direct_type, bad_query_non_utf8,
    // bad_query_syntax.
    let bad: Vec<(&str, RequestBuilder, u16)> = vec![
        (
            "bad_query_method",
            client().put(&sparql).body("ASK {}"),
            405,
        ),
        (
            "bad_multiple_queries",
            client()
                .get(&sparql)
                .query(&[("query", "ASK {}"), ("query", "ASK {}")]),
            400,
        ),
        (
            "bad_query_wrong_media_type",
            client()
                .post(&sparql)
                .header("Content-Type", "text/plain")
                .body("ASK {}"),
            415,
        ),
        (
            "bad_query_missing_form_type",
            client().post(&sparql).body("query=ASK%20%7B%7D"),
            415,
        ),
        (
            "bad_query_missing_direct_type",
            client().post(&sparql).body("ASK {}"),
            415,
        ),
        (
            "bad_query_non_utf8",
            client()
                .post(&sparql)
                .header("Content-Type", "application/sparql-query")
                .body(b"ASK { FILTER(\"\xff\xfe\") }".to_vec()),
            400,
        ),
        (
            "bad_query_syntax",
            client().get(&sparql).query(&[("query", "ASK {")]),
            400,
        ),
    ];
    for (name, request, status) in bad {
        assert_eq!(request.send().unwrap().status().as_u16(), status, "{name}");
    }
}

#[test]
fn protocol_update_cases() {
    let server = TestServer::start();
    let sparql = server.url("/sparql");
    let update = |body: &str, params: &[(&str, &str)]| {
        client()
            .post(&sparql)
            .query(params)
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/sparql-update")
            .body(body.to_owned())
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let ask = |q: &str| common::ask(&server, q);

    // update_post_form and update_post_direct.
    let form = client()
        .post(&sparql)
        .bearer_auth(TOKEN)
        .form(&[(
            "update",
            "INSERT DATA { GRAPH <http://e/g1> { <http://e/a> <http://e/p> 1 } }",
        )])
        .send()
        .unwrap();
    assert_eq!(form.status(), 204);
    assert_eq!(
        update(
            "INSERT DATA { GRAPH <http://e/g2> { <http://e/b> <http://e/p> 2 } }",
            &[]
        ),
        204
    );
    assert!(ask(
        "ASK { GRAPH <http://e/g1> { <http://e/a> ?p ?o } GRAPH <http://e/g2> { <http://e/b> ?q ?r } }"
    ));

    // update_dataset_default_graph(s): using-graph-uri chooses what WHERE reads.
    assert_eq!(
        update(
            "INSERT { GRAPH <http://e/out1> { ?s <http://e/seen> true } } WHERE { ?s ?p ?o }",
            &[
                ("using-graph-uri", "http://e/g1"),
                ("using-graph-uri", "http://e/g2")
            ],
        ),
        204
    );
    assert!(ask(
        "ASK { GRAPH <http://e/out1> { <http://e/a> ?p ?o . <http://e/b> ?q ?r } }"
    ));
    // update_dataset_named_graphs and update_dataset_full: using-named-graph-uri for GRAPH ?g.
    assert_eq!(
        update(
            "INSERT { GRAPH <http://e/out2> { ?g <http://e/has> ?s } } WHERE { GRAPH ?g { ?s ?p ?o } }",
            &[
                ("using-graph-uri", "http://e/g1"),
                ("using-named-graph-uri", "http://e/g2")
            ],
        ),
        204
    );
    assert!(ask(
        "ASK { GRAPH <http://e/out2> { <http://e/g2> <http://e/has> <http://e/b> } }"
    ));
    assert!(!ask(
        "ASK { GRAPH <http://e/out2> { <http://e/g1> ?p ?o } }"
    ));

    // bad_update_get, bad_multiple_updates, bad_update_wrong_media_type,
    // bad_update_missing_form_type, bad_update_non_utf8, bad_update_syntax,
    // bad_update_dataset_conflict.
    let bad: Vec<(&str, RequestBuilder, u16)> = vec![
        (
            "bad_update_get",
            client().get(&sparql).query(&[("update", "CLEAR ALL")]),
            400,
        ),
        (
            "bad_multiple_updates",
            client()
                .post(&sparql)
                .bearer_auth(TOKEN)
                .form(&[("update", "CLEAR ALL"), ("update", "CLEAR ALL")]),
            400,
        ),
        (
            "bad_update_wrong_media_type",
            client()
                .post(&sparql)
                .bearer_auth(TOKEN)
                .header("Content-Type", "text/plain")
                .body("CLEAR ALL"),
            415,
        ),
        (
            "bad_update_missing_form_type",
            client()
                .post(&sparql)
                .bearer_auth(TOKEN)
                .body("update=CLEAR%20ALL"),
            415,
        ),
        (
            "bad_update_non_utf8",
            client()
                .post(&sparql)
                .bearer_auth(TOKEN)
                .header("Content-Type", "application/sparql-update")
                .body(b"INSERT DATA { <http://e/x> <http://e/p> \"\xff\" }".to_vec()),
            400,
        ),
        (
            "bad_update_syntax",
            client()
                .post(&sparql)
                .bearer_auth(TOKEN)
                .header("Content-Type", "application/sparql-update")
                .body("INSERT DATA {"),
            400,
        ),
        (
            "bad_update_dataset_conflict",
            client()
                .post(format!("{sparql}?using-graph-uri=http://e/g1"))
                .bearer_auth(TOKEN)
                .header("Content-Type", "application/sparql-update")
                .body("DELETE { ?s ?p ?o } USING <http://e/g2> WHERE { ?s ?p ?o }"),
            400,
        ),
    ];
    for (name, request, status) in bad {
        assert_eq!(request.send().unwrap().status().as_u16(), status, "{name}");
    }
    assert!(
        ask("ASK { GRAPH <http://e/g1> { ?s ?p ?o } }"),
        "no bad update wrote anything"
    );
}

/// The Graph Store HTTP Protocol suite, in its order: each step depends on the ones before.
#[test]
fn graph_store_protocol_cases() {
    let server = TestServer::start();
    let graph = |iri: &str| format!("{}?graph={iri}", server.url("/store"));
    let person = "http://example.org/person";
    let turtle = "<http://example.org/p/jdoe> <http://xmlns.com/foaf/0.1/name> \"John Doe\" .";
    let send = |request: RequestBuilder| request.bearer_auth(TOKEN).send().unwrap();
    let get_nt = |url: &str| {
        let response = client()
            .get(url)
            .header("Accept", "application/n-triples")
            .send()
            .unwrap();
        (response.status().as_u16(), response.text().unwrap())
    };

    // PUT - Initial state; GET of PUT - Initial state.
    let r = send(
        client()
            .put(graph(person))
            .header("Content-Type", "text/turtle")
            .body(turtle),
    );
    assert_eq!(r.status(), 201);
    let (status, body) = get_nt(&graph(person));
    assert_eq!((status, body.trim()), (200, turtle));
    // HEAD on an existing graph.
    assert_eq!(client().head(graph(person)).send().unwrap().status(), 200);
    // HEAD on a non-existing graph.
    assert_eq!(
        client()
            .head(graph("http://example.org/none"))
            .send()
            .unwrap()
            .status(),
        404
    );
    // PUT - graph already in store; GET of PUT - graph already in store.
    let updated = "<http://example.org/p/jdoe> <http://xmlns.com/foaf/0.1/name> \"Jane Doe\" .";
    let r = send(
        client()
            .put(graph(person))
            .header("Content-Type", "text/turtle")
            .body(updated),
    );
    assert_eq!(r.status(), 204);
    assert_eq!(get_nt(&graph(person)).1.trim(), updated);
    // PUT - default graph; GET of PUT - default graph. Over an engine whose default graph is
    // the union of its graphs, dealgraph refuses to write the default graph (403, saying why).
    let r = send(
        client()
            .put(server.url("/store?default"))
            .header("Content-Type", "text/turtle")
            .body(turtle),
    );
    if common::over_engine(&server) {
        assert_eq!(r.status(), 403);
    } else {
        assert_eq!(r.status(), 204);
        assert_eq!(get_nt(&server.url("/store?default")).1.trim(), turtle);
    }
    // PUT - mismatched payload: the body is not what its Content-Type says.
    let r = send(
        client()
            .put(graph(person))
            .header("Content-Type", "text/turtle")
            .body("<rdf:RDF xmlns:rdf=\"x\"/>"),
    );
    assert_eq!(r.status(), 400);
    assert_eq!(
        get_nt(&graph(person)).1.trim(),
        updated,
        "a bad PUT changes nothing"
    );
    // PUT - empty graph; GET of PUT - empty graph.
    let r = send(
        client()
            .put(graph("http://example.org/empty"))
            .header("Content-Type", "text/turtle")
            .body(""),
    );
    assert_eq!(r.status(), 201);
    if common::over_engine(&server) {
        // SPARQL sees a graph in what it holds: over an engine an empty graph is no graph.
        assert_eq!(get_nt(&graph("http://example.org/empty")).0, 404);
    } else {
        assert_eq!(
            get_nt(&graph("http://example.org/empty")),
            (200, String::new())
        );
        // DELETE - existing graph; GET of DELETE - existing graph.
        assert_eq!(
            send(client().delete(graph("http://example.org/empty"))).status(),
            204
        );
    }
    assert_eq!(get_nt(&graph("http://example.org/empty")).0, 404);
    // DELETE - non-existent graph.
    assert_eq!(
        send(client().delete(graph("http://example.org/empty"))).status(),
        404
    );
    // POST - existing graph; GET of POST - existing graph.
    let more =
        "<http://example.org/p/jdoe> <http://xmlns.com/foaf/0.1/mbox> <mailto:jd@example.org> .";
    let r = send(
        client()
            .post(graph(person))
            .header("Content-Type", "text/turtle")
            .body(more),
    );
    assert_eq!(r.status(), 204);
    let (_, body) = get_nt(&graph(person));
    assert!(
        body.contains("Jane Doe") && body.contains("mailto:jd@example.org"),
        "{body}"
    );
    // POST - create new graph; GET of POST - create new graph: the store names it, 201 + Location.
    let r = send(
        client()
            .post(server.url("/store"))
            .header("Content-Type", "text/turtle")
            .body(turtle),
    );
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/store?graph="), "{location}");
    let (status, body) = get_nt(&server.url(&location));
    assert_eq!((status, body.trim()), (200, turtle));
}
