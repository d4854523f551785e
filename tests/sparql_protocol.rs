//! The SPARQL 1.1 Protocol over real HTTP, case by case as the W3C protocol tests check it:
//! query by GET and both POST forms, dataset parameters, content negotiation, the service
//! description, and every error answer.

mod common;

use common::{TestServer, client, column, error_of, select};

const PEOPLE: &str = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE { <https://w3id.org/dealgraph/id/coreweave> rdfs:label ?label }";

#[test]
fn query_by_get_by_form_post_and_by_direct_post_agree() {
    let server = TestServer::start();
    let by_get: serde_json::Value = client()
        .get(server.url("/sparql"))
        .query(&[("query", PEOPLE)])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let by_form: serde_json::Value = client()
        .post(server.url("/sparql"))
        .form(&[("query", PEOPLE)])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let direct = select(&server, PEOPLE);
    assert_eq!(column(&by_get, "label"), vec!["CoreWeave".to_owned()]);
    assert_eq!(by_get, by_form);
    assert_eq!(by_get, direct);
}

#[test]
fn the_query_route_alias_answers_queries_and_refuses_updates() {
    let server = TestServer::start();
    let response = client()
        .get(server.url("/query"))
        .query(&[("query", "ASK {}")])
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let response = client()
        .post(server.url("/query"))
        .bearer_auth(common::TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body("INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }")
        .send()
        .unwrap();
    assert_eq!(response.status(), 415);
}

/// Each SELECT/ASK format: its media type and a fragment of the body that only it would have.
#[test]
fn select_and_ask_answers_follow_the_accept_header() {
    let server = TestServer::start();
    let cases = [
        (
            "application/sparql-results+json",
            "application/sparql-results+json",
            "\"bindings\"",
        ),
        (
            "application/json",
            "application/sparql-results+json",
            "\"bindings\"",
        ),
        (
            "application/sparql-results+xml",
            "application/sparql-results+xml",
            "<sparql",
        ),
        ("text/csv", "text/csv; charset=utf-8", "label\r\nCoreWeave"),
        (
            "text/tab-separated-values",
            "text/tab-separated-values; charset=utf-8",
            "?label\n\"CoreWeave\"",
        ),
        ("*/*", "application/sparql-results+json", "\"bindings\""),
        (
            "text/csv;q=0.2, application/sparql-results+xml;q=0.9",
            "application/sparql-results+xml",
            "<sparql",
        ),
    ];
    for (accept, media_type, fragment) in cases {
        let response = client()
            .get(server.url("/sparql"))
            .query(&[("query", PEOPLE)])
            .header("Accept", accept)
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "Accept: {accept}");
        assert_eq!(
            response.headers()["content-type"],
            media_type,
            "Accept: {accept}"
        );
        let body = response.text().unwrap();
        assert!(body.contains(fragment), "Accept: {accept}: {body}");
    }
    let no_accept = client()
        .get(server.url("/sparql"))
        .query(&[("query", "ASK { ?s ?p ?o }")])
        .send()
        .unwrap();
    assert_eq!(
        no_accept.headers()["content-type"],
        "application/sparql-results+json"
    );
    assert_eq!(
        no_accept.json::<serde_json::Value>().unwrap()["boolean"],
        true
    );
    let ask_xml = client()
        .get(server.url("/sparql"))
        .query(&[("query", "ASK { ?s ?p ?o }")])
        .header("Accept", "application/sparql-results+xml")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(ask_xml.contains("<boolean>true</boolean>"), "{ask_xml}");
}

#[test]
fn construct_and_describe_answers_follow_the_accept_header() {
    let server = TestServer::start();
    let construct = "CONSTRUCT { <https://w3id.org/dealgraph/id/coreweave> ?p ?o } \
                     WHERE { <https://w3id.org/dealgraph/id/coreweave> ?p ?o }";
    let cases = [
        ("text/turtle", "text/turtle", "dgr:coreweave"),
        (
            "application/n-triples",
            "application/n-triples",
            "<https://w3id.org/dealgraph/id/coreweave> <",
        ),
        (
            "application/rdf+xml",
            "application/rdf+xml",
            "rdf:Description",
        ),
        ("application/ld+json", "application/ld+json", "\"@id\""),
        ("*/*", "text/turtle", "dgr:coreweave"),
    ];
    for (accept, media_type, fragment) in cases {
        for query in [
            construct,
            "DESCRIBE <https://w3id.org/dealgraph/id/coreweave>",
        ] {
            let response = client()
                .get(server.url("/sparql"))
                .query(&[("query", query)])
                .header("Accept", accept)
                .send()
                .unwrap();
            assert_eq!(response.status(), 200, "Accept: {accept}");
            assert_eq!(response.headers()["content-type"], media_type);
            let body = response.text().unwrap();
            assert!(
                body.contains(fragment),
                "Accept {accept} for {query}: {body}"
            );
        }
    }
}

#[test]
fn nothing_acceptable_is_406_and_names_what_is_available() {
    let server = TestServer::start();
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", PEOPLE)])
        .header("Accept", "image/png")
        .send()
        .unwrap();
    let (status, code, message) = error_of(response);
    assert_eq!((status, code.as_str()), (406, "not_acceptable"));
    assert!(message.contains("text/csv"), "{message}");
    // A graph format is no answer to a SELECT.
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", PEOPLE)])
        .header("Accept", "text/turtle")
        .send()
        .unwrap();
    assert_eq!(response.status(), 406);
}

#[test]
fn a_bare_get_returns_the_service_description() {
    let server = TestServer::start();
    let response = client().get(server.url("/sparql")).send().unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/turtle");
    let body = response.text().unwrap();
    for needle in [
        "sd:Service",
        "sd:SPARQL11Query",
        "sd:SPARQL11Update",
        "sd:UnionDefaultGraph",
        &format!("<{}/sparql>", server.base),
        "<https://w3id.org/dealgraph/graph/article>",
    ] {
        assert!(body.contains(needle), "missing {needle} in {body}");
    }
    // Federation is off by default, and the description does not claim it.
    assert!(!body.contains("BasicFederatedQuery"));
    let xml = client()
        .get(server.url("/sparql"))
        .header("Accept", "application/rdf+xml")
        .send()
        .unwrap();
    assert_eq!(xml.headers()["content-type"], "application/rdf+xml");
    let xml = xml.text().unwrap();
    assert!(
        xml.contains("xmlns:sd=\"http://www.w3.org/ns/sparql-service-description#\""),
        "{xml}"
    );
    assert!(xml.contains("sd:Service"), "{xml}");
}

#[test]
fn dataset_parameters_choose_the_graphs_a_query_sees() {
    let server = TestServer::start();
    let count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }";
    let union = select(&server, count);
    let article = client()
        .get(server.url("/sparql"))
        .query(&[
            ("query", count),
            (
                "default-graph-uri",
                "https://w3id.org/dealgraph/graph/article",
            ),
        ])
        .send()
        .unwrap()
        .json::<serde_json::Value>()
        .unwrap();
    let union_n: u64 = column(&union, "n")[0].parse().unwrap();
    let article_n: u64 = column(&article, "n")[0].parse().unwrap();
    assert!(
        article_n > 100 && article_n < union_n,
        "{article_n} of {union_n}"
    );

    // named-graph-uri limits the graphs GRAPH ?g can see; the default graph is then empty.
    let graphs = client()
        .post(server.url("/sparql"))
        .form(&[
            (
                "query",
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
            ),
            (
                "named-graph-uri",
                "https://w3id.org/dealgraph/graph/article",
            ),
        ])
        .send()
        .unwrap()
        .json::<serde_json::Value>()
        .unwrap();
    assert_eq!(
        column(&graphs, "g"),
        vec!["https://w3id.org/dealgraph/graph/article".to_owned()]
    );

    // FROM in the query text works when the request gives no dataset.
    let from = select(
        &server,
        "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/dealgraph/graph/article> WHERE { ?s ?p ?o }",
    );
    assert_eq!(column(&from, "n")[0].parse::<u64>().unwrap(), article_n);
}

#[test]
fn a_malformed_query_is_400_with_the_parsers_position() {
    let server = TestServer::start();
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", "SELECT ?x WHERE { ?x ?y }")])
        .send()
        .unwrap();
    assert_eq!(response.headers()["content-type"], "application/json");
    let (status, code, message) = error_of(response);
    assert_eq!((status, code.as_str()), (400, "sparql_syntax"));
    assert!(message.contains("1:"), "no position in {message}");
}

#[test]
fn protocol_errors_are_400_415_405_and_say_why() {
    let server = TestServer::start();
    let cases: Vec<(reqwest::blocking::RequestBuilder, u16, &str)> = vec![
        (
            client()
                .get(server.url("/sparql"))
                .query(&[("query", "ASK {}"), ("query", "ASK {}")]),
            400,
            "more than once",
        ),
        (
            client()
                .post(server.url("/sparql"))
                .form(&[("query", "ASK {}"), ("update", "CLEAR ALL")]),
            400,
            "not both",
        ),
        (
            client().post(server.url("/sparql")).form(&[("other", "x")]),
            400,
            "neither",
        ),
        (
            client()
                .get(server.url("/sparql"))
                .query(&[("update", "CLEAR ALL")]),
            400,
            "POST",
        ),
        (
            client()
                .post(server.url("/sparql"))
                .header("Content-Type", "text/plain")
                .body("ASK {}"),
            415,
            "application/sparql-query",
        ),
        (
            client().post(server.url("/sparql")).body("ASK {}"),
            415,
            "(none)",
        ),
        (
            client()
                .get(server.url("/sparql"))
                .query(&[("query", "ASK {}"), ("default-graph-uri", "not an iri")]),
            400,
            "absolute IRI",
        ),
        (
            client().put(server.url("/sparql")).body("ASK {}"),
            405,
            "GET, HEAD, POST",
        ),
        (
            client().get(server.url("/no-such-route")),
            404,
            "nothing here",
        ),
    ];
    for (request, status, needle) in cases {
        let (got, _, message) = error_of(request.send().unwrap());
        assert_eq!(got, status, "{message}");
        assert!(
            message.contains(needle),
            "{message} should mention {needle}"
        );
    }
}

#[test]
fn a_body_over_the_limit_is_413() {
    let server = TestServer::with(|s| s.config.max_body_bytes = 1024);
    let big = format!("ASK {{}} # {}", "x".repeat(4096));
    let (status, code, message) = error_of(
        client()
            .post(server.url("/sparql"))
            .header("Content-Type", "application/sparql-query")
            .body(big)
            .send()
            .unwrap(),
    );
    assert_eq!((status, code.as_str()), (413, "body_too_large"));
    assert!(message.contains("1024"));
}

#[test]
fn cors_lets_every_origin_read_and_only_listed_origins_write() {
    let server =
        TestServer::with(|s| s.config.write_origins = vec!["http://allowed.example".into()]);
    let preflight = |origin: &str, method: &str, path: &str| {
        client()
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
            .header("Access-Control-Request-Headers", "content-type")
            .send()
            .unwrap()
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        preflight("http://any.example", "GET", "/sparql").as_deref(),
        Some("http://any.example")
    );
    assert_eq!(
        preflight("http://any.example", "POST", "/sparql").as_deref(),
        Some("http://any.example")
    );
    assert_eq!(preflight("http://any.example", "PUT", "/store"), None);
    assert_eq!(
        preflight("http://allowed.example", "PUT", "/store").as_deref(),
        Some("http://allowed.example")
    );
    let read = client()
        .get(server.url("/sparql"))
        .query(&[("query", "ASK {}")])
        .header("Origin", "http://any.example")
        .send()
        .unwrap();
    assert_eq!(
        read.headers()["access-control-allow-origin"],
        "http://any.example"
    );
}

#[test]
fn health_and_ready_answer() {
    let server = TestServer::start();
    assert_eq!(
        client()
            .get(server.url("/health"))
            .send()
            .unwrap()
            .text()
            .unwrap(),
        "ok"
    );
    assert_eq!(
        client().get(server.url("/ready")).send().unwrap().status(),
        200
    );
    // The service page (the web UI, when built, has `/`).
    let about = client()
        .get(server.url("/about"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(about.contains("https://w3id.org/dealgraph/graph/article"));
}

#[test]
fn an_answer_sent_again_is_the_kept_one_until_a_write_changes_the_graph() {
    let server = TestServer::start();
    let ask = |query: &str| {
        let response = client()
            .get(server.url("/sparql"))
            .query(&[("query", query)])
            .header("Accept", "application/sparql-results+json")
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        let hit = response.headers().get("x-dealgraph-cache").is_some();
        let body: serde_json::Value = response.json().unwrap();
        (hit, column(&body, "label"))
    };
    let query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE { <http://example.org/kept> rdfs:label ?label }";
    // Over an engine that others may write, nothing is kept: every answer is computed.
    let kept = !common::over_engine(&server);
    assert_eq!(ask(query), (false, Vec::<String>::new()));
    assert_eq!(ask(query), (kept, Vec::<String>::new()), "sent again: kept");
    let response = client()
        .post(server.url("/update"))
        .bearer_auth(common::TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body("INSERT DATA { GRAPH <https://w3id.org/dealgraph/graph/test> { <http://example.org/kept> <http://www.w3.org/2000/01/rdf-schema#label> \"Kept\" } }")
        .send()
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        ask(query),
        (false, vec!["Kept".to_owned()]),
        "the write is seen"
    );
    assert_eq!(ask(query), (kept, vec!["Kept".to_owned()]));
    // Another Accept is another answer; a query that may change by itself is never kept.
    let csv = client()
        .get(server.url("/sparql"))
        .query(&[("query", query)])
        .header("Accept", "text/csv")
        .send()
        .unwrap();
    assert!(csv.headers().get("x-dealgraph-cache").is_none());
    assert_eq!(csv.text().unwrap().trim_end(), "label\r\nKept");
    let now = "SELECT (NOW() AS ?t) WHERE {}";
    assert!(!ask(now).0);
    assert!(!ask(now).0);
}

#[test]
fn a_server_started_with_no_result_cache_keeps_nothing() {
    let server = TestServer::with(|setup| setup.config.result_cache_bytes = 0);
    for _ in 0..2 {
        let response = client()
            .get(server.url("/sparql"))
            .query(&[("query", PEOPLE)])
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers().get("x-dealgraph-cache").is_none());
    }
}

/// An answer complete within its first 64 KB goes out whole, with its Content-Length; a longer
/// one streams in chunks, and arrives whole all the same.
#[test]
fn a_short_answer_carries_its_length_and_a_long_one_streams() {
    let server = TestServer::start();
    let short = client()
        .get(server.url("/sparql"))
        .query(&[("query", PEOPLE)])
        .header("Accept", "application/sparql-results+json")
        .send()
        .unwrap();
    assert_eq!(short.status(), 200);
    assert!(short.headers().get("transfer-encoding").is_none());
    let length: usize = short.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body = short.text().unwrap();
    assert_eq!(body.len(), length);
    assert!(body.contains("CoreWeave"), "{body}");

    let total = common::count_triples(&server);
    let long = client()
        .get(server.url("/sparql"))
        .query(&[("query", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")])
        .header("Accept", "application/n-triples")
        .send()
        .unwrap();
    assert_eq!(long.status(), 200);
    assert_eq!(long.headers()["transfer-encoding"], "chunked");
    let body = long.text().unwrap();
    assert!(body.len() > 64 * 1024, "{}", body.len());
    assert_eq!(body.lines().count() as u64, total);
}
