//! No request can crash, stall or misuse the service: deadlines, result limits, nesting,
//! remote calls, stalled connections and bursts.

mod common;

use common::{TOKEN, TestServer, ask, client, error_of};
use std::io::{Read, Write};
use std::time::Duration;

/// A query whose evaluation never ends on the seeded graph (a four-way cross product) and that
/// produces nothing until it ends.
const ENDLESS_COUNT: &str =
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }";

#[test]
fn a_runaway_query_is_stopped_at_its_deadline_and_others_are_served_meanwhile() {
    let server = TestServer::with(|s| s.config.query_timeout = Duration::from_secs(2));
    let slow = {
        let url = server.url("/sparql");
        std::thread::spawn(move || {
            client()
                .get(url)
                .query(&[("query", ENDLESS_COUNT)])
                .send()
                .unwrap()
        })
    };
    // While it runs, another client is answered.
    assert!(ask(&server, "ASK { ?s ?p ?o }"));
    let response = slow.join().unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    let (status, code, message) = error_of(response);
    assert_eq!((status, code.as_str()), (503, "query_timeout"));
    assert!(message.contains("deadline of 2 seconds"), "{message}");
}

#[test]
fn a_result_cut_at_its_deadline_after_it_started_does_not_end_cleanly() {
    let server = TestServer::with(|s| s.config.query_timeout = Duration::from_secs(2));
    // Rows flow at once (so the status is already sent) and would go on for days.
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")])
        .header("Accept", "text/tab-separated-values")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = Vec::new();
    let read = response.take(2_000_000_000).read_to_end(&mut body);
    assert!(
        read.is_err(),
        "a truncated stream must end in an error, read {} bytes",
        body.len()
    );
    assert!(body.len() > 64 * 1024, "rows were streamed before the cut");
}

#[test]
fn a_result_over_the_row_limit_is_refused_not_truncated() {
    let server = TestServer::with(|s| s.config.max_result_rows = 5);
    let (status, code, message) = error_of(
        client()
            .get(server.url("/sparql"))
            .query(&[("query", "SELECT * WHERE { ?s ?p ?o }")])
            .send()
            .unwrap(),
    );
    assert_eq!((status, code.as_str()), (422, "result_too_large"));
    assert!(message.contains("more than 5"), "{message}");
    assert!(ask(&server, "ASK { ?s ?p ?o }"), "small answers still pass");
}

#[test]
fn an_update_past_its_deadline_is_cancelled_and_writes_nothing() {
    let server = TestServer::with(|s| s.config.query_timeout = Duration::from_secs(2));
    let before = common::count_triples(&server);
    let response = client()
        .post(server.url("/sparql"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body("INSERT { GRAPH <http://e/g> { ?a <http://e/p> ?d } } WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }")
        .send()
        .unwrap();
    let (status, code, _) = error_of(response);
    assert_eq!((status, code.as_str()), (503, "query_timeout"));
    assert_eq!(common::count_triples(&server), before);
}

#[test]
fn deeply_nested_input_is_400_and_the_server_lives_on() {
    let server = TestServer::start();
    let depth = 50_000;
    let query = format!(
        "SELECT * WHERE {{ {} }}",
        "{".repeat(depth) + &"}".repeat(depth)
    );
    let nested_filter = format!(
        "ASK {{ FILTER({}1{}) }}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let turtle = format!(
        "<http://e/s> <http://e/p> {} .",
        "[ <http://e/p> ".repeat(depth) + &"]".repeat(depth)
    );
    let collection = format!(
        "<http://e/s> <http://e/p> {} .",
        "(".repeat(depth) + &")".repeat(depth)
    );
    let json_ld = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let xml = format!(
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">{}{}</rdf:RDF>",
        "<rdf:Description><rdf:value>".repeat(depth / 2),
        "</rdf:value></rdf:Description>".repeat(depth / 2)
    );
    let update = format!(
        "INSERT {{ ?s ?p ?o }} WHERE {{ {} }}",
        "{".repeat(depth) + &"}".repeat(depth)
    );
    let requests = vec![
        client()
            .post(server.url("/sparql"))
            .header("Content-Type", "application/sparql-query")
            .body(query),
        client()
            .post(server.url("/sparql"))
            .header("Content-Type", "application/sparql-query")
            .body(nested_filter),
        client()
            .post(server.url("/sparql"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/sparql-update")
            .body(update),
        client()
            .put(server.url("/store?graph=http://e/g"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "text/turtle")
            .body(turtle),
        client()
            .put(server.url("/store?graph=http://e/g"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "text/turtle")
            .body(collection),
        client()
            .put(server.url("/store?graph=http://e/g"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/ld+json")
            .body(json_ld),
        client()
            .put(server.url("/store?graph=http://e/g"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/rdf+xml")
            .body(xml),
    ];
    for request in requests {
        let (status, code, message) = error_of(request.send().unwrap());
        assert_eq!((status, code.as_str()), (400, "too_deep"), "{message}");
        assert!(message.contains("at most 128 levels"), "{message}");
    }
    assert!(ask(&server, "ASK { ?s ?p ?o }"));
    // Nesting up to the limit is still accepted.
    let fine = format!("ASK {{ FILTER({}1{}) }}", "(".repeat(100), ")".repeat(100));
    assert!(ask(&server, &fine));
}

#[test]
fn load_and_service_are_refused_without_an_allow_list_and_file_iris_always() {
    let server = TestServer::start();
    for (text, needle) in [
        (
            "LOAD <http://127.0.0.1:9/data.ttl>",
            "calls no remote address",
        ),
        (
            "LOAD SILENT <http://127.0.0.1:9/data.ttl>",
            "calls no remote address",
        ),
        ("LOAD <file:///etc/passwd>", "only http:"),
    ] {
        let (status, code, message) = error_of(
            client()
                .post(server.url("/sparql"))
                .bearer_auth(TOKEN)
                .header("Content-Type", "application/sparql-update")
                .body(text)
                .send()
                .unwrap(),
        );
        assert_eq!(
            (status, code.as_str()),
            (403, "refused"),
            "{text}: {message}"
        );
        assert!(message.contains(needle), "{message}");
    }
    let (status, code, message) = error_of(
        client()
            .get(server.url("/sparql"))
            .query(&[(
                "query",
                "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
            )])
            .send()
            .unwrap(),
    );
    assert_eq!((status, code.as_str()), (403, "refused"), "{message}");
}

#[test]
fn load_and_service_reach_allow_listed_hosts_only() {
    // The server may call itself, and nothing else.
    let server = TestServer::with(|s| s.allow_hosts = vec!["127.0.0.1:{port}".into()]);
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let source =
        format!("http://127.0.0.1:{port}/store?graph=https://w3id.org/dealgraph/graph/article");
    let load = client()
        .post(server.url("/sparql"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body(format!(
            "LOAD <{source}> INTO GRAPH <http://example.org/copy>"
        ))
        .send()
        .unwrap();
    assert_eq!(load.status(), 204);
    assert!(ask(
        &server,
        "ASK { GRAPH <http://example.org/copy> { <https://w3id.org/dealgraph/id/coreweave> ?p ?o } }"
    ));
    let service = common::select(
        &server,
        &format!(
            "SELECT DISTINCT ?label WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ \
             <https://w3id.org/dealgraph/id/coreweave> <http://www.w3.org/2000/01/rdf-schema#label> ?label }} }}"
        ),
    );
    assert_eq!(
        common::column(&service, "label"),
        vec!["CoreWeave".to_owned()]
    );
    let (status, _, message) = error_of(
        client()
            .post(server.url("/sparql"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "application/sparql-update")
            .body("LOAD <http://localhost:9/elsewhere.ttl>")
            .send()
            .unwrap(),
    );
    assert_eq!(status, 403);
    assert!(message.contains("not in the allow-list"), "{message}");
}

#[test]
fn a_stalled_half_open_connection_is_closed_and_does_not_block_others() {
    let server = TestServer::with(|s| s.config.request_read_timeout = Duration::from_secs(1));
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stalled = std::net::TcpStream::connect(&address).unwrap();
    stalled
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    assert!(
        ask(&server, "ASK {}"),
        "others are served while one connection stalls"
    );
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = Vec::new();
    // The server gives up on the headers and closes the connection (EOF), with or without a 408.
    let _ = stalled.read_to_end(&mut answer);
    let text = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

#[test]
fn a_burst_of_concurrent_requests_is_answered_and_an_oversized_url_refused() {
    let server = TestServer::with(|s| s.config.max_concurrent_queries = 2);
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let url = server.url("/sparql");
            std::thread::spawn(move || {
                client()
                    .get(url)
                    .query(&[(
                        "query",
                        format!("SELECT (COUNT(*) + {i} AS ?n) WHERE {{ ?s ?p ?o }}"),
                    )])
                    .send()
                    .map(|r| r.status().as_u16())
            })
        })
        .collect();
    let statuses: Vec<u16> = handles
        .into_iter()
        .map(|h| h.join().unwrap().unwrap())
        .collect();
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let huge = format!("{}?query={}", server.url("/sparql"), "x".repeat(1_000_000));
    let status = client().get(huge).send().map(|r| r.status().as_u16());
    assert!(matches!(status, Ok(400..=499) | Err(_)), "{status:?}");
    assert!(ask(&server, "ASK {}"));
}
