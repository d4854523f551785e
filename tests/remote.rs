//! dealgraph over a remote SPARQL engine (`serve --backend sparql`): real engines started on
//! 127.0.0.1 with the data of a seeded embedded store: Oxigraph server (the `oxigraph` package
//! from PyPI) and Virtuoso (Debian's `virtuoso-opensource`, started through
//! `bench/serve_peer.py` as the benchmark starts it), as `scripts/setup --test` installs them.
//! The same requests, sent to a server over the embedded store and to one over each engine,
//! must get the same answers, and the same writes must leave the same quads; nothing is mocked.

mod common;

use common::engine::{Engine, Kind, remote_config, start_engine};
use common::{TestServer, client};
use dealgraph::store::RemoteConfig;
use std::process::Child;
use std::time::{Duration, Instant};

/// A server over the seeded embedded store, the engine holding the same data, and a server
/// over the engine (writing to it when `writable`, with the same token).
fn both(kind: Kind, writable: bool) -> (TestServer, Engine, TestServer) {
    let embedded = TestServer::with(|setup| setup.suite_engine = false);
    let mut nquads = Vec::new();
    embedded
        .raw_store
        .dump(None, oxigraph::io::RdfFormat::NQuads, &mut nquads)
        .unwrap();
    let engine = start_engine(kind, &nquads, writable);
    let config = remote_config(&engine);
    let remote = TestServer::with(|setup| {
        setup.seed = false;
        if !writable {
            setup.config.write_token = None;
        }
        setup.remote = Some(config);
    });
    (embedded, engine, remote)
}

fn get(server: &TestServer, path: &str, accept: &str) -> (u16, String) {
    let response = client()
        .get(server.url(path))
        .header("Accept", accept)
        .send()
        .unwrap();
    (response.status().as_u16(), response.text().unwrap())
}

/// The lines of two texts that the other lacks, for a failure message.
fn differences(here: &str, there: &str) -> String {
    let only = |a: &str, b: &str| -> Vec<String> {
        let b: std::collections::HashSet<&str> = b.lines().collect();
        a.lines()
            .filter(|l| !b.contains(l))
            .map(String::from)
            .collect()
    };
    format!(
        "only over the embedded store:\n{}\nonly over the engine:\n{}",
        only(here, there).join("\n"),
        only(there, here).join("\n")
    )
}

/// JSON with its object keys sorted, so that two equal answers print alike. Over Virtuoso, the
/// durations are left out: Virtuoso 7.2 keeps an xsd:duration as a number of months ("P5Y"
/// comes back as "60") and refuses day-time durations, a loss in the engine that no client can
/// undo (the README says so).
fn normal(kind: Kind, text: &str) -> String {
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.remove("duration");
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut value: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    if kind == Kind::Virtuoso {
        strip(&mut value);
    }
    serde_json::to_string_pretty(&value).unwrap()
}

#[test]
fn the_views_and_the_endpoint_answer_over_the_engines_as_over_the_embedded_store() {
    for kind in [Kind::Oxigraph, Kind::Virtuoso] {
        let (embedded, _engine, remote) = both(kind, false);
        answers_agree(kind, &embedded, &remote);
    }
}

fn answers_agree(kind: Kind, embedded: &TestServer, remote: &TestServer) {
    let sparql = |query: &str| {
        format!(
            "/sparql?{}",
            serde_urlencoded::to_string([("query", query)]).unwrap()
        )
    };
    let json = "application/json";
    let results = "application/sparql-results+json";
    let cases: Vec<(String, &str)> = vec![
        ("/api/search?q=corew&limit=3".into(), json),
        ("/api/search?q=AWS".into(), json),
        ("/api/entity/coreweave".into(), json),
        ("/api/entity/openai?as_of=2024-06-30".into(), json),
        (
            "/api/graph?focus=coreweave&depth=2&relations=Investment,ComputeAgreement&limit=100"
                .into(),
            json,
        ),
        (
            "/api/paths?from=microsoft&to=coreweave&relations=Investment,EquityStake".into(),
            json,
        ),
        (
            "/api/timeline?entity=openai&since=2019&until=2023".into(),
            json,
        ),
        ("/api/conflicts?entity=openai".into(), json),
        ("/api/rankings?role=investor&limit=5".into(), json),
        (
            sparql(
                "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> \
                 SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label LIMIT 50",
            ),
            results,
        ),
        (
            sparql(
                "PREFIX dg: <https://w3id.org/dealgraph/ontology#> \
                 ASK { ?deal dg:investee <https://w3id.org/dealgraph/id/openai> }",
            ),
            results,
        ),
        // The query's own dataset: an engine whose default graph is the union may ignore FROM
        // unless it comes as a protocol parameter as well.
        (
            sparql(
                "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/dealgraph/graph/article> \
                 WHERE { ?s ?p ?o }",
            ),
            results,
        ),
        // The protocol's own dataset parameters, which some engines do not take: the dataset
        // goes into the query's text as well.
        (
            format!(
                "{}&default-graph-uri=https%3A%2F%2Fw3id.org%2Fdealgraph%2Fgraph%2Farticle",
                sparql("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
            ),
            results,
        ),
        (
            sparql(
                "PREFIX dg: <https://w3id.org/dealgraph/ontology#> \
                 SELECT ?who (COUNT(?deal) AS ?n) WHERE { ?deal dg:investor ?who } \
                 GROUP BY ?who ORDER BY DESC(?n) ?who",
            ),
            results,
        ),
    ];
    for (path, accept) in &cases {
        let (status, here) = get(embedded, path, accept);
        assert_eq!(status, 200, "{path} over the embedded store: {here}");
        let (status, there) = get(remote, path, accept);
        assert_eq!(status, 200, "{kind:?}, {path}: {there}");
        let (here, there) = (normal(kind, &here), normal(kind, &there));
        assert!(
            here == there,
            "{kind:?}, {path}:\n{}",
            differences(&here, &there)
        );
    }
    // A CONSTRUCT streamed from the engine arrives as the same set of triples; DESCRIBE, which
    // engines answer each their own way, answers as the embedded store does.
    for query in [
        "CONSTRUCT { <https://w3id.org/dealgraph/id/coreweave> ?p ?o } \
         WHERE { <https://w3id.org/dealgraph/id/coreweave> ?p ?o }",
        "DESCRIBE <https://w3id.org/dealgraph/id/coreweave>",
        "DESCRIBE ?deal WHERE { ?deal <https://w3id.org/dealgraph/ontology#investee> \
         <https://w3id.org/dealgraph/id/coreweave> }",
    ] {
        let here = triples(embedded, query);
        assert!(here.len() > 5, "{query}: {here:?}");
        assert_eq!(here, triples(remote, query), "{kind:?}, {query}");
    }
}

/// The distinct triples of a graph answer, each blank node's label the same everywhere: two
/// stores name them differently.
fn triples(server: &TestServer, query: &str) -> Vec<String> {
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", query)])
        .header("Accept", "application/n-triples")
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{query}");
    let mut lines: Vec<String> = response
        .text()
        .unwrap()
        .lines()
        .map(|line| {
            line.split(' ')
                .map(|part| if part.starts_with("_:") { "_:b" } else { part })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

#[test]
fn errors_say_where_they_come_from_and_nothing_is_kept() {
    let (_embedded, engine, remote) = both(Kind::Oxigraph, false);
    // A syntax error is the user's, with its position, before the engine is asked.
    let response = client()
        .get(remote.url("/sparql"))
        .query(&[("query", "SELECT ?x WHERE { ?x ")])
        .send()
        .unwrap();
    let (status, code, message) = common::error_of(response);
    assert_eq!((status, code.as_str()), (400, "sparql_syntax"), "{message}");

    // A read-only server writes nothing.
    let response = client()
        .post(remote.url("/sparql"))
        .bearer_auth(common::TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body("INSERT DATA { <http://e/a> <http://e/b> <http://e/c> }")
        .send()
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    let store = &remote.raw_store;
    assert!(!store.is_exclusive() && store.generation().is_none());
    assert!(
        remote.store.generation().is_none(),
        "nothing is kept over the engine"
    );

    // The engine gone, a request fails as the engine's failure (502), not as the user's.
    drop(engine);
    let response = client()
        .get(remote.url("/api/entity/coreweave"))
        .send()
        .unwrap();
    let (status, code, message) = common::error_of(response);
    assert_eq!((status, code.as_str()), (502, "remote_failed"), "{message}");
    assert!(message.contains("127.0.0.1"), "{message}");
}

#[test]
fn serve_refuses_contradictory_remote_flags_with_a_message() {
    for (args, says) in [
        (vec!["--backend", "sparql"], "needs --query-url"),
        (
            vec!["--query-url", "http://127.0.0.1:9/query"],
            "need --backend sparql",
        ),
        (
            vec!["--store-url", "http://127.0.0.1:9/store"],
            "need --backend sparql",
        ),
        (
            vec![
                "--backend",
                "sparql",
                "--query-url",
                "https://example.org/sparql",
            ],
            "only http URLs",
        ),
        (
            vec![
                "--backend",
                "sparql",
                "--query-url",
                "http://127.0.0.1:9/query",
                "--remote-timeout-param",
                "timeout:minutes",
            ],
            "the unit is ms or s",
        ),
        (
            vec![
                "--backend",
                "sparql",
                "--query-url",
                "http://127.0.0.1:9/query",
                "--write-token",
                "t",
            ],
            "no --update-url",
        ),
    ] {
        let output = common::dealgraph()
            .arg("serve")
            .args(&args)
            .arg("--bind")
            .arg("127.0.0.1:0")
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

const PREFIXES: &str = "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX dgr: <https://w3id.org/dealgraph/id/>
PREFIX dgc: <https://w3id.org/dealgraph/certainty/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
";

/// A write as sent over HTTP, to both servers alike.
enum Write {
    Update(String),
    Put(&'static str, String),
    Delete(&'static str),
}

fn send(server: &TestServer, write: &Write) -> u16 {
    let request = match write {
        Write::Update(text) => client()
            .post(server.url("/sparql"))
            .header("Content-Type", "application/sparql-update")
            .body(format!("{PREFIXES}{text}")),
        Write::Put(graph, turtle) => client()
            .put(server.url(&format!("/store?graph={graph}")))
            .header("Content-Type", "text/turtle")
            .body(format!(
                "{}{turtle}",
                PREFIXES
                    .replace("PREFIX ", "@prefix ")
                    .replace(">\n", "> .\n")
            )),
        Write::Delete(graph) => client().delete(server.url(&format!("/store?graph={graph}"))),
    };
    request
        .bearer_auth(common::TOKEN)
        .send()
        .unwrap()
        .status()
        .as_u16()
}

/// A term of a SPARQL JSON result.
fn term(binding: &serde_json::Value) -> oxigraph::model::Term {
    use oxigraph::model::{BlankNode, Literal, NamedNode};
    let value = binding["value"].as_str().unwrap();
    match binding["type"].as_str().unwrap() {
        "uri" => NamedNode::new(value).unwrap().into(),
        "bnode" => BlankNode::new(value).unwrap().into(),
        _ => match (binding["xml:lang"].as_str(), binding["datatype"].as_str()) {
            (Some(lang), _) => Literal::new_language_tagged_literal(value, lang)
                .unwrap()
                .into(),
            (None, Some(datatype)) => {
                Literal::new_typed_literal(value, NamedNode::new(datatype).unwrap()).into()
            }
            (None, None) => Literal::new_simple_literal(value).into(),
        },
    }
}

/// The quads with a blank node in the test graphs and the derived graph, their blank nodes
/// given canonical labels: the same graph on two stores gives the same lines.
fn blank_quads(server: &TestServer) -> Vec<String> {
    use oxigraph::model::dataset::CanonicalizationAlgorithm;
    use oxigraph::model::{Dataset, NamedNode, Quad};
    let results = common::select(
        server,
        "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER((isBlank(?s) || isBlank(?o)) \
         && (STRSTARTS(STR(?g), \"https://w3id.org/dealgraph/graph/test-\") \
         || ?g = <https://w3id.org/dealgraph/graph/derived>)) }",
    );
    let mut dataset: Dataset = results["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            let subject: oxigraph::model::NamedOrBlankNode = match term(&b["s"]) {
                oxigraph::model::Term::NamedNode(n) => n.into(),
                oxigraph::model::Term::BlankNode(n) => n.into(),
                other => panic!("a literal subject {other}"),
            };
            Quad::new(
                subject,
                NamedNode::new(b["p"]["value"].as_str().unwrap()).unwrap(),
                term(&b["o"]),
                NamedNode::new(b["g"]["value"].as_str().unwrap()).unwrap(),
            )
        })
        .collect();
    dataset.canonicalize(CanonicalizationAlgorithm::Unstable);
    dataset.iter().map(|q| q.to_string()).collect()
}

/// Every quad of the store, derived graph included, sorted; over Virtuoso, but its durations
/// (see `normal`). Quads with blank nodes are those of `blank_quads`.
fn everything(kind: Kind, server: &TestServer) -> Vec<String> {
    let results = common::select(
        server,
        // dealgraph's graphs, not the engine's own (Virtuoso keeps its configuration in some).
        "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!isBlank(?s) && !isBlank(?o) \
         && STRSTARTS(STR(?g), \"https://w3id.org/dealgraph/\")) }",
    );
    let mut quads: Vec<String> = results["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            ["s", "p", "o", "g"]
                .iter()
                .map(|v| b[v].to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if kind == Kind::Virtuoso {
        quads.retain(|q| !q.contains("http://www.w3.org/2001/XMLSchema#duration"));
    }
    quads.extend(blank_quads(server));
    quads.sort();
    quads
}

/// Writes of every kind, sent to a server over the embedded store and to one over the engine:
/// each must be accepted or refused alike, and afterwards both must hold the same quads, the
/// derived graph's included.
#[test]
fn writes_through_the_door_leave_the_engines_as_they_leave_the_embedded_store() {
    for kind in [Kind::Oxigraph, Kind::Virtuoso] {
        let (embedded, engine, remote) = both(kind, true);
        writes_agree(kind, &embedded, &engine, &remote);
    }
}

fn writes_agree(kind: Kind, embedded: &TestServer, engine: &Engine, remote: &TestServer) {
    let one = "https://w3id.org/dealgraph/graph/test-one";
    let two = "https://w3id.org/dealgraph/graph/test-two";
    let three = "https://w3id.org/dealgraph/graph/test-three";
    let four = "https://w3id.org/dealgraph/graph/test-four";
    let derived = "https://w3id.org/dealgraph/graph/derived";
    let writes = [
        (
            "a new fact derives its company-to-company edges",
            Write::Update(format!(
                "INSERT DATA {{ GRAPH <{one}> {{ {} }} }}",
                common::investment("test-deal", "nvidia", "coreweave")
            )),
        ),
        (
            "a fact without its source violates the shapes",
            Write::Update(format!(
                "INSERT DATA {{ GRAPH <{one}> {{ dgr:bad-deal a dg:Investment ; \
                 dg:investor dgr:ibm ; dg:investee dgr:openai }} }}"
            )),
        ),
        (
            "DELETE/INSERT WHERE moves the fact to another investee",
            Write::Update(format!(
                "DELETE {{ GRAPH <{one}> {{ ?d dg:investee dgr:coreweave }} }} \
                 INSERT {{ GRAPH <{one}> {{ ?d dg:investee dgr:openai }} }} \
                 WHERE {{ GRAPH <{one}> {{ ?d a dg:Investment ; dg:investee dgr:coreweave }} }}"
            )),
        ),
        (
            "a Graph Store PUT of a new graph",
            Write::Put(
                two,
                common::investment("test-deal-two", "microsoft", "nvidia"),
            ),
        ),
        (
            "a Graph Store PUT replacing it",
            Write::Put(two, common::investment("test-deal-two", "oracle", "nvidia")),
        ),
        (
            "a write to the derived graph is refused",
            Write::Update(format!(
                "INSERT DATA {{ GRAPH <{derived}> {{ dgr:ibm dg:investedIn dgr:nvidia }} }}"
            )),
        ),
        (
            "deleting a party of an article fact removes what was derived from it",
            Write::Update(
                "DELETE WHERE { GRAPH ?g { ?deal dg:investor dgr:microsoft ; \
                 dg:investee dgr:openai } }"
                    .into(),
            ),
        ),
        (
            "a fact as a blank node, with its derived edges",
            Write::Update(format!(
                "INSERT DATA {{ GRAPH <{three}> {{ {} }} }}",
                common::investment("blank-deal", "ibm", "openai").replacen(
                    "dgr:blank-deal",
                    "_:deal",
                    1
                )
            )),
        ),
        (
            "a blank fact node without its source violates the shapes",
            Write::Update(format!(
                "INSERT DATA {{ GRAPH <{three}> {{ _:bad a dg:Investment ; \
                 dg:investor dgr:ibm ; dg:investee dgr:openai }} }}"
            )),
        ),
        (
            "a Graph Store PUT of a new graph of blank fact nodes",
            Write::Put(
                four,
                [("one", "oracle"), ("two", "microsoft")]
                    .map(|(id, investor)| {
                        common::investment(id, investor, "nvidia").replacen(
                            &format!("dgr:{id}"),
                            &format!("_:{id}"),
                            1,
                        )
                    })
                    .join("\n"),
            ),
        ),
        (
            "a schema triple re-derives everywhere: tried on a copy of the engine",
            Write::Update(
                "INSERT DATA { GRAPH <https://w3id.org/dealgraph/graph/test-schema> { \
                 dg:TestLab rdfs:subClassOf dg:AILab . \
                 dgr:test-lab a dg:TestLab ; rdfs:label \"Test Lab\" } }"
                    .into(),
            ),
        ),
        (
            "a DELETE/INSERT WHERE after another operation: tried on a copy of the engine",
            Write::Update(format!(
                "INSERT DATA {{ GRAPH <{one}> {{ {} }} }} ; \
                 DELETE {{ GRAPH <{one}> {{ ?d dg:investee dgr:nvidia }} }} \
                 INSERT {{ GRAPH <{one}> {{ ?d dg:investee dgr:openai }} }} \
                 WHERE {{ GRAPH <{one}> {{ ?d a dg:Investment ; dg:investee dgr:nvidia }} }}",
                common::investment("copy-deal", "oracle", "nvidia")
            )),
        ),
        (
            "deleting an article fact with a duration (Virtuoso cannot DELETE DATA one)",
            Write::Update(
                "DELETE WHERE { GRAPH ?g { dgr:openai-coreweave-compute-agreement ?p ?o } }".into(),
            ),
        ),
        ("a Graph Store DELETE", Write::Delete(one)),
        (
            "a Graph Store DELETE of a graph that is gone",
            Write::Delete(one),
        ),
    ];
    let (here, there) = (everything(kind, embedded), everything(kind, remote));
    assert!(
        here == there,
        "{kind:?}, before any write:\n{}",
        differences(&here.join("\n"), &there.join("\n"))
    );
    assert!(everything(kind, embedded).len() > 1_000);
    for (what, write) in &writes {
        let here = send(embedded, write);
        let there = send(remote, write);
        assert_eq!(
            here, there,
            "{kind:?}, {what}: the embedded store said {here}, the engine's {there}"
        );
        let (here, there) = (everything(kind, embedded), everything(kind, remote));
        let only_here: Vec<_> = here.iter().filter(|q| !there.contains(q)).collect();
        let only_there: Vec<_> = there.iter().filter(|q| !here.contains(q)).collect();
        assert!(
            only_here.is_empty() && only_there.is_empty(),
            "{kind:?}, {what}: only in the embedded store {only_here:#?}\nonly on the engine {only_there:#?}"
        );
    }
    // The engine's blank nodes cannot be named in an update: removing them is refused over the
    // engine, with the reason, and leaves everything as it was.
    let before = everything(kind, remote);
    let response = client()
        .delete(remote.url(&format!("/store?graph={four}")))
        .bearer_auth(common::TOKEN)
        .send()
        .unwrap();
    let (status, code, message) = common::error_of(response);
    assert_eq!(
        (status, code.as_str()),
        (403, "refused"),
        "{kind:?}: {message}"
    );
    assert!(message.contains("blank nodes"), "{message}");
    assert!(
        everything(kind, remote) == before,
        "{kind:?}: a refused write changed the engine"
    );
    // The writes did reach the engine itself, not only dealgraph's view of it.
    let on_engine = client()
        .get(engine.query_url.clone())
        .query(&[(
            "query",
            format!(
                "ASK {{ GRAPH <{derived}> {{ <https://w3id.org/dealgraph/id/oracle> \
                 <https://w3id.org/dealgraph/ontology#investedIn> \
                 <https://w3id.org/dealgraph/id/nvidia> }} }}"
            ),
        )])
        .header("Accept", "application/sparql-results+json")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(on_engine.contains("true"), "{kind:?}: {on_engine}");
    // Its duration too, which Virtuoso keeps as months and cannot DELETE DATA.
    let left = client()
        .get(engine.query_url.clone())
        .query(&[(
            "query",
            "ASK { GRAPH ?g { <https://w3id.org/dealgraph/id/openai-coreweave-compute-agreement> \
             <https://w3id.org/dealgraph/ontology#duration> ?o } }",
        )])
        .header("Accept", "application/sparql-results+json")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(left.contains("false"), "{kind:?}: {left}");
}

/// The ids of the search hits for `q`.
fn found(server: &str, q: &str) -> Vec<String> {
    let answer: serde_json::Value = client()
        .get(format!("{server}/api/search"))
        .query(&[("q", q)])
        .send()
        .unwrap()
        .json()
        .unwrap();
    answer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Writes an organisation straight to the engine, as another replica or the engine's own tools
/// would: dealgraph's search does not see it until the index is rebuilt.
fn write_behind_dealgraph(engine: &Engine, id: &str, label: &str) {
    let response = client()
        .post(engine.update_url.clone().unwrap())
        .header("Content-Type", "application/sparql-update")
        .body(format!(
            "{PREFIXES}INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/elsewhere> {{ \
             dgr:{id} a dg:Organization ; rdfs:label \"{label}\" }} }}"
        ))
        .send()
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// A `dealgraph serve` process; killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `dealgraph serve` with `args` on a free port and returns it with its address.
fn serve_process(args: &[&str]) -> (Process, String) {
    let (child, base) = common::spawn_serve(
        common::dealgraph(),
        &[args, &["--bind", "127.0.0.1:0"]].concat(),
    );
    (Process(child), base)
}

/// Writes that reach the engine without dealgraph are found by search once the index is
/// rebuilt: on `POST /api/reindex` (with the write token), by `dealgraph reindex` into the
/// --search-dir a server then starts with, and every --reindex-every seconds.
#[test]
fn writes_behind_dealgraph_reach_search_when_the_index_is_rebuilt() {
    let (_embedded, engine, remote) = both(Kind::Oxigraph, true);
    write_behind_dealgraph(&engine, "bypass-labs", "Bypass Labs");
    assert!(!found(&remote.url(""), "Bypass Labs").contains(&"bypass-labs".to_owned()));

    let reindex = |token: Option<&str>| {
        let request = client().post(remote.url("/api/reindex"));
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        request.send().unwrap()
    };
    assert_eq!(reindex(None).status().as_u16(), 401);
    assert_eq!(reindex(Some("wrong")).status().as_u16(), 401);
    let before = remote.search_index.len();
    let response = reindex(Some(common::TOKEN));
    assert_eq!(response.status().as_u16(), 200);
    let answer: serde_json::Value = response.json().unwrap();
    assert_eq!(answer["documents"].as_u64(), Some(before + 1), "{answer}");
    assert_eq!(found(&remote.url(""), "Bypass Labs"), ["bypass-labs"]);

    // `dealgraph reindex` builds the directory a server over the engine then starts from.
    let dir = tempfile::tempdir().unwrap();
    let search_dir = dir.path().join("search");
    let search_dir = search_dir.to_str().unwrap();
    let query_url = engine.query_url.as_str();
    let remote_args = ["--backend", "sparql", "--query-url", query_url];
    let output = common::dealgraph()
        .arg("reindex")
        .args(remote_args)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--search-dir"), "{stderr}");
    let output = common::dealgraph()
        .arg("reindex")
        .args(remote_args)
        .args(["--search-dir", search_dir])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.starts_with(&format!("indexed {} entities", before + 1)),
        "{stdout}"
    );

    // A replica rebuilding every second finds another's write within a few seconds.
    let (_server, base) = serve_process(
        &[
            &remote_args[..],
            &["--search-dir", search_dir, "--reindex-every", "1"],
        ]
        .concat(),
    );
    assert_eq!(found(&base, "Bypass Labs"), ["bypass-labs"]);
    write_behind_dealgraph(&engine, "later-labs", "Later Labs");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !found(&base, "Later Labs").contains(&"later-labs".to_owned()) {
        assert!(
            Instant::now() < deadline,
            "the scheduled rebuild did not find the write in 30 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Without a token the replica reads only: the rebuild on request is refused.
    let response = client().post(format!("{base}/api/reindex")).send().unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

/// A proxy on 127.0.0.1 in front of an engine that passes everything through, except that
/// after a request whose text holds `cutat` and a number N it forwards only N more bytes of
/// the engine's answer and then closes the connection (an engine failing mid-answer), and that
/// it makes the replacements it was given in what it forwards to the engine. It stops
/// accepting after two minutes or when dropped.
struct CuttingProxy {
    url: url::Url,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// How many replacements it made.
    replaced: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// `haystack` with every `from` replaced by `to`, and how many there were.
fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> (Vec<u8>, usize) {
    let (mut out, mut count, mut at) = (Vec::new(), 0, 0);
    while at < haystack.len() {
        if haystack[at..].starts_with(from) {
            out.extend_from_slice(to);
            at += from.len();
            count += 1;
        } else {
            out.push(haystack[at]);
            at += 1;
        }
    }
    (out, count)
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl CuttingProxy {
    fn start(target: &url::Url) -> Self {
        Self::rewriting(target, &[])
    }

    fn rewriting(target: &url::Url, replacements: &[(&str, &str)]) -> Self {
        let replacements: Vec<(Vec<u8>, Vec<u8>)> = replacements
            .iter()
            .map(|(from, to)| (from.as_bytes().to_vec(), to.as_bytes().to_vec()))
            .collect();
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let mut url = target.clone();
        url.set_port(Some(listener.local_addr().unwrap().port()))
            .unwrap();
        let engine = format!("{}:{}", target.host_str().unwrap(), target.port().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let replaced = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&replaced);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stopped.load(Ordering::SeqCst) && Instant::now() < deadline {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                let upstream = std::net::TcpStream::connect(&engine).unwrap();
                // usize::MAX: pass everything; otherwise the bytes still to forward.
                let budget = Arc::new(AtomicUsize::new(usize::MAX));
                let (mut from_client, mut to_engine) =
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap());
                let armed = Arc::clone(&budget);
                let (replacements, counted) = (replacements.clone(), Arc::clone(&counted));
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = std::io::Read::read(&mut from_client, &mut buffer) {
                        let mut bytes = buffer[..n].to_vec();
                        for (from, to) in &replacements {
                            let (out, count) = replace_all(&bytes, from, to);
                            bytes = out;
                            counted.fetch_add(count, Ordering::SeqCst);
                        }
                        let text = String::from_utf8_lossy(&buffer[..n]);
                        if let Some(at) = text.find("cutat") {
                            let digits: String = text[at + 5..]
                                .chars()
                                .take_while(char::is_ascii_digit)
                                .collect();
                            armed.store(digits.parse().unwrap(), Ordering::SeqCst);
                        }
                        if std::io::Write::write_all(&mut to_engine, &bytes).is_err() {
                            break;
                        }
                    }
                });
                let (mut from_engine, mut to_client) = (upstream, client);
                std::thread::spawn(move || {
                    let mut buffer = [0u8; 16 * 1024];
                    while let Ok(n @ 1..) = std::io::Read::read(&mut from_engine, &mut buffer) {
                        let left = budget.load(Ordering::SeqCst);
                        let n = n.min(left);
                        if std::io::Write::write_all(&mut to_client, &buffer[..n]).is_err() {
                            break;
                        }
                        if left != usize::MAX {
                            budget.store(left - n, Ordering::SeqCst);
                            if left == n {
                                break;
                            }
                        }
                    }
                    let _ = to_client.shutdown(std::net::Shutdown::Both);
                    let _ = from_engine.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Self {
            url,
            stop,
            replaced,
        }
    }
}

/// An engine that does not answer in the format asked for (it ignores `Accept`, or wants its
/// own `output=` parameter) is read in the standard format it does answer in: the proxy strikes
/// the first choice from dealgraph's `Accept`, so the engine answers SPARQL results as XML and
/// graphs as Turtle, and every answer, to the SPARQL client and through the views, is the same.
#[test]
fn an_engine_answering_in_another_format_is_read_all_the_same() {
    let (_embedded, engine, remote) = both(Kind::Oxigraph, false);
    let proxy = CuttingProxy::rewriting(
        &engine.query_url,
        &[
            ("application/sparql-results+json", "application/x-not-this"),
            ("application/n-triples", "application/x-not-this"),
        ],
    );
    let other = TestServer::with(|setup| {
        setup.seed = false;
        setup.config.write_token = None;
        setup.remote = Some(RemoteConfig {
            query_url: proxy.url.clone(),
            ..remote_config(&engine)
        });
    });
    let sparql = |query: &str| {
        let encoded: String = url::form_urlencoded::byte_serialize(query.as_bytes()).collect();
        format!("/sparql?query={encoded}")
    };
    for (path, accept) in [
        (
            sparql(
                "SELECT ?s ?o WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?o } \
                 ORDER BY ?s ?o",
            ),
            "application/sparql-results+json",
        ),
        (
            sparql("ASK { ?s ?p ?o }"),
            "application/sparql-results+json",
        ),
        (
            sparql("CONSTRUCT { ?s a ?o } WHERE { ?s a ?o FILTER(isIRI(?s)) }"),
            "application/n-triples",
        ),
        ("/api/entity/coreweave".to_owned(), "application/json"),
        (
            "/api/graph?focus=openai&depth=1".to_owned(),
            "application/json",
        ),
    ] {
        let path = path.as_str();
        let (status, here) = get(&remote, path, accept);
        let (status_there, there) = get(&other, path, accept);
        assert_eq!((status, status_there), (200, 200), "{path}");
        let (mut here_lines, mut there_lines): (Vec<&str>, Vec<&str>) =
            (here.lines().collect(), there.lines().collect());
        here_lines.sort_unstable();
        there_lines.sort_unstable();
        assert!(
            here_lines == there_lines,
            "{path}:\n{}",
            differences(&here, &there)
        );
    }
    assert!(
        proxy.replaced.load(std::sync::atomic::Ordering::SeqCst) >= 5,
        "the proxy changed what dealgraph asks for"
    );
}

/// An engine that fails in the middle of an answer: before dealgraph's first 64 KB went out,
/// the client gets a 502 naming the engine; after, the response is cut off without its last
/// chunk, so that no client takes it for complete. Either way the next query is answered whole.
#[test]
fn an_answer_the_engine_cuts_short_is_never_passed_off_as_complete() {
    let (_embedded, engine, _remote) = both(Kind::Oxigraph, false);
    let proxy = CuttingProxy::start(&engine.query_url);
    let server = TestServer::with(|setup| {
        setup.seed = false;
        setup.config.write_token = None;
        setup.remote = Some(RemoteConfig {
            query_url: proxy.url.clone(),
            ..remote_config(&engine)
        });
    });
    let every_triple = |cut: usize| {
        client()
            .get(server.url("/sparql"))
            .query(&[(
                "query",
                format!("SELECT ?s ?p ?cutat{cut} WHERE {{ GRAPH ?g {{ ?s ?p ?cutat{cut} }} }}"),
            )])
            .header("Accept", "application/sparql-results+json")
            .send()
            .unwrap()
    };
    // A budget no answer reaches: the whole answer, for its size.
    let whole = every_triple(usize::MAX / 2).text().unwrap();
    assert!(whole.len() > 400_000, "{} bytes", whole.len());
    serde_json::from_str::<serde_json::Value>(&whole).expect("the whole answer is JSON");

    let (status, code, message) = common::error_of(every_triple(20_000));
    assert_eq!((status, code.as_str()), (502, "remote_failed"), "{message}");
    assert!(message.contains("127.0.0.1"), "{message}");

    // A graph answer too, parsed as it streams in.
    let response = client()
        .get(server.url("/sparql"))
        .query(&[(
            "query",
            "CONSTRUCT { ?s ?p ?cutat20000 } WHERE { GRAPH ?g { ?s ?p ?cutat20000 } }",
        )])
        .header("Accept", "application/n-triples")
        .send()
        .unwrap();
    let (status, code, message) = common::error_of(response);
    assert_eq!((status, code.as_str()), (502, "remote_failed"), "{message}");

    let response = every_triple(200_000);
    assert_eq!(response.status().as_u16(), 200);
    let read = response.bytes();
    assert!(
        read.is_err(),
        "a cut answer was read as complete: {} bytes",
        read.map_or(0, |b| b.len())
    );

    let again = every_triple(usize::MAX / 2).text().unwrap();
    assert_eq!(again.len(), whole.len());
}

/// With a Graph Store endpoint and no update endpoint, writes that only add go to the engine as
/// one POST of N-Quads, derived triples and new blank nodes included; a write that removes is
/// refused with what to configure, and changes nothing.
#[test]
fn a_graph_store_endpoint_alone_takes_the_writes_that_only_add() {
    let (embedded, engine, _remote) = both(Kind::Oxigraph, true);
    let server = TestServer::with(|setup| {
        setup.seed = false;
        setup.remote = Some(RemoteConfig {
            update_url: None,
            ..remote_config(&engine)
        });
    });
    let graph = "https://w3id.org/dealgraph/graph/test-store";
    let insert = Write::Update(format!(
        "INSERT DATA {{ GRAPH <{graph}> {{ {} }} GRAPH <{graph}-blank> {{ {} }} }}",
        common::investment("store-deal", "ibm", "nvidia"),
        common::investment("store-blank", "oracle", "nvidia").replacen("dgr:store-blank", "_:f", 1)
    ));
    assert_eq!(send(&embedded, &insert), 204);
    assert_eq!(send(&server, &insert), 204);
    let (here, there) = (
        everything(Kind::Oxigraph, &embedded),
        everything(Kind::Oxigraph, &server),
    );
    assert!(
        here == there,
        "{}",
        differences(&here.join("\n"), &there.join("\n"))
    );
    let derived = common::ask(
        &server,
        "ASK { GRAPH <https://w3id.org/dealgraph/graph/derived> { \
         <https://w3id.org/dealgraph/id/oracle> <https://w3id.org/dealgraph/ontology#investedIn> \
         <https://w3id.org/dealgraph/id/nvidia> } }",
    );
    assert!(
        derived,
        "the derived edge of the blank fact node reached the engine"
    );

    let response = client()
        .delete(server.url(&format!("/store?graph={graph}")))
        .bearer_auth(common::TOKEN)
        .send()
        .unwrap();
    let (status, code, message) = common::error_of(response);
    assert_eq!((status, code.as_str()), (403, "refused"), "{message}");
    assert!(message.contains("--update-url"), "{message}");
    assert!(everything(Kind::Oxigraph, &server) == there);
}

/// Every command of the CLI works over an engine as over the embedded store: queries, updates
/// and loads go through the same door (derived graph, shapes), and a refused write exits
/// non-zero with the reason and leaves the engine as it was.
#[test]
fn the_cli_commands_work_over_an_engine() {
    let (embedded, engine, _remote) = both(Kind::Oxigraph, true);
    let query_url = engine.query_url.to_string();
    let update_url = engine.update_url.clone().unwrap().to_string();
    let run = |args: &[&str]| {
        let output = common::dealgraph()
            .arg(args[0])
            .args(["--backend", "sparql", "--query-url", &query_url])
            .args(["--update-url", &update_url])
            .args(&args[1..])
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }";
    let (ok, out, err) = run(&["query", "--format", "csv", count]);
    assert!(ok, "{err}");
    let on_engine: u64 = out.lines().nth(1).unwrap().trim().parse().unwrap();
    assert_eq!(on_engine, common::count_triples(&embedded), "{out}");

    let (ok, out, err) = run(&["stats"]);
    assert!(ok, "{err}");
    assert!(out.contains(&on_engine.to_string()), "{out}");

    let graph = "https://w3id.org/dealgraph/graph/test-cli";
    let (ok, _, err) = run(&[
        "update",
        &format!(
            "{PREFIXES}INSERT DATA {{ GRAPH <{graph}> {{ {} }} }}",
            common::investment("cli-deal", "ibm", "nvidia")
        ),
    ]);
    assert!(ok, "{err}");
    let derived = "ASK { GRAPH <https://w3id.org/dealgraph/graph/derived> { \
        <https://w3id.org/dealgraph/id/ibm> <https://w3id.org/dealgraph/ontology#investedIn> \
        <https://w3id.org/dealgraph/id/nvidia> } }";
    let (_, out, _) = run(&["query", "--format", "csv", derived]);
    assert!(
        out.contains("true"),
        "the update derived its edge on the engine: {out}"
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("more.ttl");
    std::fs::write(
        &file,
        format!(
            "{}{}",
            PREFIXES
                .replace("PREFIX ", "@prefix ")
                .replace(">\n", "> .\n"),
            common::investment("cli-load", "oracle", "nvidia")
        ),
    )
    .unwrap();
    let (ok, _, err) = run(&[
        "load",
        "--graph",
        "https://w3id.org/dealgraph/graph/test-cli-load",
        file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&[
        "dump",
        "--format",
        "nt",
        "--graph",
        "https://w3id.org/dealgraph/graph/test-cli-load",
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("<https://w3id.org/dealgraph/id/cli-load>"),
        "{out}"
    );

    // A fact without its source: refused with the violation, and nothing reaches the engine.
    let before = run(&["query", "--format", "csv", count]).1;
    let (ok, _, err) = run(&[
        "update",
        &format!(
            "{PREFIXES}INSERT DATA {{ GRAPH <{graph}> {{ dgr:cli-bad a dg:Investment ; \
             dg:investor dgr:ibm ; dg:investee dgr:openai }} }}"
        ),
    ]);
    assert!(!ok);
    assert!(err.contains("wasDerivedFrom"), "{err}");
    assert_eq!(run(&["query", "--format", "csv", count]).1, before);
}
