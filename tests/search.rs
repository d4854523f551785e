//! Full-text search: `/api/search` and the SPARQL SERVICE over real HTTP on the seeded store
//! (with the Epoch AI import, as the CLI seeds it), the index following every kind of write,
//! the error answers, and the rebuild at start-up of an index left behind by its store.

mod common;

use common::{TOKEN, TestServer, client, column, error_of, select};
use dealgraph::search::SearchLocation;
use dealgraph::store::WriteOp;
use oxigraph::sparql::CancellationToken;

const DGR: &str = "https://w3id.org/dealgraph/id/";
const DG: &str = "https://w3id.org/dealgraph/ontology#";
const PREFIXES: &str = "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX dgr: <https://w3id.org/dealgraph/id/>
PREFIX dgc: <https://w3id.org/dealgraph/certainty/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
";

fn seeded() -> TestServer {
    TestServer::with(|s| s.epoch = true)
}

fn search(server: &TestServer, params: &[(&str, &str)]) -> serde_json::Value {
    let response = client()
        .get(server.url("/api/search"))
        .query(params)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "{params:?}");
    response.json().unwrap()
}

fn hit_ids(results: &serde_json::Value) -> Vec<String> {
    results["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Why `id` matched `q`, if it did.
fn reason(server: &TestServer, q: &str, id: &str) -> Option<String> {
    search(server, &[("q", q), ("limit", "100")])["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == id)
        .map(|h| h["matched"].as_str().unwrap().to_owned())
}

fn update(server: &TestServer, text: &str) {
    let response = client()
        .post(server.url("/sparql"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body(format!("{PREFIXES}{text}"))
        .send()
        .unwrap();
    let status = response.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        response.text().unwrap()
    );
}

/// The first hit of each query on the seeded graph, and why it matched.
#[test]
fn fixed_queries_have_their_expected_first_hit() {
    let server = seeded();
    // (query, type filter, first hit's id, start of its `matched`)
    let table: &[(&str, Option<&str>, &str, &str)] = &[
        ("CoreWeave", None, "coreweave", "label: CoreWeave"),
        ("coreweave", None, "coreweave", "label: CoreWeave"),
        ("corew", None, "coreweave", "label prefix: CoreWeave"),
        (
            "corewave",
            None,
            "coreweave",
            "label, with a typo: CoreWeave",
        ),
        (
            "Corweave",
            None,
            "coreweave",
            "label, with a typo: CoreWeave",
        ),
        ("AWS", None, "amazon-web-services", "alias: AWS"),
        ("aws", None, "amazon-web-services", "alias: AWS"),
        (
            "Amazon Web Services",
            None,
            "amazon-web-services",
            "label: Amazon Web Services",
        ),
        ("nvdia", None, "nvidia", "label, with a typo: Nvidia"),
        ("Microsoft", None, "microsoft", "label: Microsoft"),
        ("copilot", None, "microsoft-365-copilot", "alias: Copilot"),
        ("open", Some("AILab"), "openai", "label prefix: OpenAI"),
        (
            "google",
            Some("CloudProvider"),
            "google-cloud",
            "label: Google Cloud",
        ),
        (
            "google",
            Some("https://w3id.org/dealgraph/ontology#CloudProvider"),
            "google-cloud",
            "label: Google Cloud",
        ),
        (
            "google",
            Some("dg:CloudProvider"),
            "google-cloud",
            "label: Google Cloud",
        ),
        // Only a quote says this: the fact node that quotes it comes first.
        (
            "private placement",
            None,
            "openai-coreweave-equity-stake",
            "quote: This equity will be issued through a private placement",
        ),
        (
            "diversify",
            None,
            "openai-coreweave-compute-agreement",
            "quote: also helping it diversify away from Microsoft",
        ),
    ];
    let mut failures = Vec::new();
    for (q, class, id, matched) in table {
        let mut params = vec![("q", *q)];
        if let Some(class) = class {
            params.push(("type", *class));
        }
        let results = search(&server, &params);
        let first = &results["hits"][0];
        if first["id"] != *id || !first["matched"].as_str().unwrap_or("").starts_with(matched) {
            failures.push(format!(
                "{q:?} (type {class:?}): expected {id} ({matched}...), got {} ({}); hits {:?}",
                first["id"],
                first["matched"],
                hit_ids(&results)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_hit_has_its_iri_label_types_score_and_reason() {
    let server = seeded();
    let results = search(&server, &[("q", "corew"), ("limit", "3")]);
    assert_eq!(results["query"], "corew");
    assert_eq!(results["limit"], 3);
    assert!(results["total"].as_u64().unwrap() >= 3, "{results}");
    let hits = results["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    let first = &hits[0];
    assert_eq!(first["iri"], format!("{DGR}coreweave"));
    assert_eq!(first["id"], "coreweave");
    assert_eq!(first["label"], "CoreWeave");
    let types: Vec<&str> = first["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        types.contains(&format!("{DG}CloudProvider").as_str()),
        "{types:?}"
    );
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn entities_rank_above_the_facts_that_name_them() {
    let server = seeded();
    let results = search(&server, &[("q", "OpenAI CoreWeave")]);
    let ids = hit_ids(&results);
    let entity = |id: &str| ids.iter().position(|i| i == id).unwrap_or(usize::MAX);
    let fact = entity("openai-coreweave-compute-agreement");
    assert!(
        entity("openai") < fact && entity("coreweave") < fact,
        "{ids:?}"
    );
}

#[test]
fn the_type_filter_sees_derived_types_and_only_matching_hits() {
    let server = seeded();
    // dg:Organization is derived (OpenAI is asserted a dg:Company, a subclass).
    let results = search(&server, &[("q", "openai"), ("type", "Organization")]);
    assert_eq!(results["hits"][0]["id"], "openai", "{results}");
    for hit in results["hits"].as_array().unwrap() {
        assert!(
            hit["types"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t.as_str().unwrap().ends_with("#Organization")),
            "{hit}"
        );
    }
    let none = search(&server, &[("q", "openai"), ("type", "NoSuchClass")]);
    assert_eq!(none["total"], 0);
    assert!(none["hits"].as_array().unwrap().is_empty());
}

#[test]
fn bad_requests_are_400_in_the_json_error_shape() {
    let server = seeded();
    for params in [
        vec![],
        vec![("q", "")],
        vec![("q", "   ")],
        vec![("q", "corew"), ("limit", "0")],
        vec![("q", "corew"), ("limit", "ten")],
        vec![("q", "corew"), ("limit", "-1")],
        vec![("q", "corew"), ("q", "aws")],
    ] {
        let response = client()
            .get(server.url("/api/search"))
            .query(&params)
            .send()
            .unwrap();
        let (status, code, message) = error_of(response);
        assert_eq!(
            (status, code.as_str()),
            (400, "bad_request"),
            "{params:?}: {message}"
        );
        assert!(!message.is_empty());
    }
    let long = "a".repeat(501);
    let (status, _, _) = error_of(
        client()
            .get(server.url("/api/search"))
            .query(&[("q", long.as_str())])
            .send()
            .unwrap(),
    );
    assert_eq!(status, 400);
    // A limit over the cap is capped, not refused.
    let capped = search(&server, &[("q", "a"), ("limit", "100000")]);
    assert_eq!(capped["limit"], 100);
    assert!(capped["hits"].as_array().unwrap().len() <= 100);
}

/// INSERT DATA and DELETE DATA follow their quads; a DELETE/INSERT WHERE rebuilds the index.
#[test]
fn search_follows_sparql_updates() {
    let server = TestServer::start();
    let found = |q: &str| hit_ids(&search(&server, &[("q", q)]));
    assert!(!found("quokkabyte").contains(&"quokkabyte".to_owned()));

    let rebuilds = server.search_index.rebuilds();
    update(
        &server,
        "INSERT DATA { GRAPH <https://w3id.org/dealgraph/graph/test-notes> {
            dgr:quokkabyte a dg:Company ; rdfs:label \"Quokkabyte Systems\" ;
              skos:altLabel \"QBS\" } }",
    );
    assert_eq!(found("quokkabyte")[0], "quokkabyte");
    assert_eq!(found("quokabyte")[0], "quokkabyte", "a typo finds it too");
    assert_eq!(found("QBS")[0], "quokkabyte");
    let typed = search(&server, &[("q", "quokka"), ("type", "Company")]);
    assert_eq!(typed["hits"][0]["id"], "quokkabyte");

    // A new fact mentioning it: its quote reaches the entity, and its connectivity grows.
    update(
        &server,
        "INSERT DATA { GRAPH <https://w3id.org/dealgraph/graph/test-notes> {
            dgr:quokkabyte-coreweave a dg:Partnership ; rdfs:label \"Quokkabyte and CoreWeave\" ;
              dg:partner dgr:quokkabyte , dgr:coreweave ; dg:certainty dgc:stated ;
              dg:quote \"Quokkabyte signed a glimmerwood accord with CoreWeave\" ;
              prov:wasDerivedFrom dgr:article-openai-oracle-expand } }",
    );
    let glimmer = search(&server, &[("q", "glimmerwood")]);
    let ids = hit_ids(&glimmer);
    assert_eq!(ids[0], "quokkabyte-coreweave", "{glimmer}");
    assert!(ids.contains(&"quokkabyte".to_owned()) && ids.contains(&"coreweave".to_owned()));
    let coreweave = glimmer["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "coreweave")
        .unwrap();
    assert!(
        coreweave["matched"]
            .as_str()
            .unwrap()
            .starts_with("quote of a fact about it: Quokkabyte signed"),
        "{coreweave}"
    );

    assert_eq!(
        server.search_index.rebuilds(),
        rebuilds,
        "INSERT DATA rebuilds nothing"
    );

    // Relabelled through a WHERE clause: the store lists the quads the clause matched, so
    // only the entity's documents are replaced.
    update(
        &server,
        "DELETE { GRAPH ?g { dgr:quokkabyte rdfs:label ?l } }
         INSERT { GRAPH ?g { dgr:quokkabyte rdfs:label \"Wombatware\" } }
         WHERE { GRAPH ?g { dgr:quokkabyte rdfs:label ?l } }",
    );
    // Still found by the fact's quote, no longer by its label.
    assert_eq!(
        reason(&server, "quokkabyte", "quokkabyte").as_deref(),
        Some("quote of a fact about it: Quokkabyte signed a glimmerwood accord with CoreWeave")
    );
    assert_eq!(found("wombatware")[0], "quokkabyte");
    assert_eq!(
        server.search_index.rebuilds(),
        rebuilds,
        "a WHERE clause rebuilds nothing"
    );

    // Relabelled with DELETE DATA and INSERT DATA (only its documents are replaced).
    update(
        &server,
        "DELETE DATA { GRAPH <https://w3id.org/dealgraph/graph/test-notes> {
            dgr:quokkabyte rdfs:label \"Wombatware\" } } ;
         INSERT DATA { GRAPH <https://w3id.org/dealgraph/graph/test-notes> {
            dgr:quokkabyte rdfs:label \"Numbatnet\" } }",
    );
    assert_eq!(reason(&server, "wombatware", "quokkabyte"), None);
    assert_eq!(
        reason(&server, "numbatnet", "quokkabyte").as_deref(),
        Some("label: Numbatnet")
    );
    assert_eq!(
        server.search_index.rebuilds(),
        rebuilds,
        "DATA only: no rebuild"
    );

    // Its quote rewritten, nothing else of it: the entities it names get the new one (and
    // nothing else is read again).
    update(
        &server,
        "DELETE { GRAPH ?g { ?f dg:quote ?q } }
         INSERT { GRAPH ?g { ?f dg:quote \"Quokkabyte signed a moonquartz accord with CoreWeave\" } }
         WHERE { GRAPH ?g { ?f dg:quote ?q } FILTER(?f = dgr:quokkabyte-coreweave) }",
    );
    assert_eq!(
        reason(&server, "moonquartz", "coreweave").as_deref(),
        Some("quote of a fact about it: Quokkabyte signed a moonquartz accord with CoreWeave")
    );
    assert_eq!(reason(&server, "glimmerwood", "coreweave"), None);
    assert_eq!(server.search_index.rebuilds(), rebuilds, "no rebuild");

    // Deleting the fact takes its quote off the entities it mentioned.
    update(
        &server,
        "DELETE WHERE { GRAPH ?g { dgr:quokkabyte-coreweave ?p ?o } }",
    );
    assert!(hit_ids(&search(&server, &[("q", "moonquartz")])).is_empty());
    assert_eq!(reason(&server, "quokkabyte", "quokkabyte"), None);

    // Deleting the entity takes it out.
    update(
        &server,
        "DELETE DATA { GRAPH <https://w3id.org/dealgraph/graph/test-notes> {
            dgr:quokkabyte a dg:Company ; rdfs:label \"Numbatnet\" ; skos:altLabel \"QBS\" } }",
    );
    assert!(!found("numbatnet").contains(&"quokkabyte".to_owned()));
    assert!(!found("QBS").contains(&"quokkabyte".to_owned()));
}

#[test]
fn search_follows_the_graph_store_protocol() {
    let server = TestServer::start();
    let graph = "https://w3id.org/dealgraph/graph/test-gsp";
    let found = |q: &str| hit_ids(&search(&server, &[("q", q)]));
    let put = |body: &str| {
        common::put_turtle(
            &server,
            graph,
            format!(
                "@prefix dg: <{DG}> . @prefix dgr: <{DGR}> .
                 @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . {body}"
            ),
        );
    };
    let rebuilds = server.search_index.rebuilds();
    put("dgr:axolotl-ai a dg:AILab ; rdfs:label \"Axolotl AI\" .");
    assert_eq!(found("axolotl")[0], "axolotl-ai");
    // PUT replaces the graph: the old entity goes, the new one comes.
    put("dgr:capybara-cloud a dg:CloudProvider ; rdfs:label \"Capybara Cloud\" .");
    assert!(!found("axolotl").contains(&"axolotl-ai".to_owned()));
    assert_eq!(found("capybara")[0], "capybara-cloud");
    assert_eq!(
        server.search_index.rebuilds(),
        rebuilds,
        "a named graph's PUT rebuilds nothing"
    );
    let response = client()
        .delete(server.url("/store"))
        .query(&[("graph", graph)])
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert!(response.status().is_success());
    assert!(!found("capybara").contains(&"capybara-cloud".to_owned()));
}

/// A schema triple changes derived types far from its own subject: replacing a graph that
/// held one rebuilds the index.
#[test]
fn replacing_a_graph_with_schema_triples_updates_derived_types() {
    let server = TestServer::start();
    let put = |body: &str| {
        common::put_turtle(
            &server,
            "https://w3id.org/dealgraph/graph/test-schema",
            format!(
                "@prefix dg: <{DG}> . @prefix dgr: <{DGR}> .
                 @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . {body}"
            ),
        )
    };
    let ai_labs = |q: &str| hit_ids(&search(&server, &[("q", q), ("type", "AILab")]));
    // The entity in one graph, the class hierarchy in another.
    update(
        &server,
        "INSERT DATA { GRAPH <https://w3id.org/dealgraph/graph/test-entities> {
            dgr:ocelot a dg:FrontierLab ; rdfs:label \"Ocelot\" } }",
    );
    assert!(ai_labs("ocelot").is_empty());
    put("dg:FrontierLab rdfs:subClassOf dg:AILab .");
    assert_eq!(ai_labs("ocelot"), ["ocelot"], "a derived type");
    put("dg:FrontierLab rdfs:label \"Frontier lab\" .");
    assert!(
        ai_labs("ocelot").is_empty(),
        "the subclass triple went with the old graph"
    );
}

#[test]
fn a_refused_write_leaves_the_index_as_it_was() {
    let server = TestServer::start();
    // A deal without its source, quote or certainty violates the shapes: nothing is written.
    let response = client()
        .post(server.url("/sparql"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body(format!(
            "{PREFIXES} INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/x> {{
                dgr:pangolin-deal a dg:Investment ; rdfs:label \"Pangolin deal\" ;
                  dg:investor dgr:nvidia ; dg:investee dgr:openai }} }}"
        ))
        .send()
        .unwrap();
    assert_eq!(response.status(), 422);
    assert!(hit_ids(&search(&server, &[("q", "pangolin")])).is_empty());
}

#[test]
fn search_is_a_sparql_service() {
    let server = seeded();
    let results = select(
        &server,
        "PREFIX search: <https://w3id.org/dealgraph/search#>
         PREFIX dg: <https://w3id.org/dealgraph/ontology#>
         SELECT ?e ?label ?score ?why WHERE {
           SERVICE <https://w3id.org/dealgraph/search> {
             ?e search:matches \"corew\" ; search:label ?label ; search:score ?score ;
                search:matched ?why ; search:limit 5 .
           }
           ?e a dg:CloudProvider .
         } ORDER BY DESC(?score)",
    );
    assert_eq!(column(&results, "e")[0], format!("{DGR}coreweave"));
    assert_eq!(column(&results, "label")[0], "CoreWeave");
    assert!(column(&results, "why")[0].starts_with("label prefix"));
    let typed = select(
        &server,
        "PREFIX search: <https://w3id.org/dealgraph/search#>
         SELECT ?e WHERE { SERVICE <https://w3id.org/dealgraph/search> {
           ?e search:matches \"open\" ; search:type \"AILab\" } }",
    );
    assert_eq!(column(&typed, "e")[0], format!("{DGR}openai"));
    // A pattern the service does not understand is the client's error, said plainly.
    let response = client()
        .post(server.url("/sparql"))
        .header("Content-Type", "application/sparql-query")
        .body("SELECT ?e WHERE { SERVICE <https://w3id.org/dealgraph/search> { ?e ?p \"corew\" } }")
        .send()
        .unwrap();
    let (status, code, message) = error_of(response);
    assert_eq!((status, code.as_str()), (400, "bad_request"), "{message}");
    assert!(message.contains("search:matches"), "{message}");
}

/// Writes to the store beneath the search index (`raw_store`), as something bypassing
/// dealgraph would.
fn write_behind_the_index(server: &TestServer, update: String) {
    server
        .raw_store
        .write(WriteOp::Update {
            update,
            using: Default::default(),
            cancel: CancellationToken::new(),
        })
        .unwrap();
}

/// `POST /api/reindex` catches up with a write that bypassed the index, and what was kept
/// from before it (the answers of the same search) is not answered again.
#[test]
fn a_reindex_is_seen_by_the_next_search_though_the_answer_was_kept() {
    let server = seeded();
    let tapir = || hit_ids(&search(&server, &[("q", "tapir")]));
    assert!(tapir().is_empty());
    write_behind_the_index(
        &server,
        format!(
            "{PREFIXES} INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/t> {{
               dgr:tapir-tensor a dg:AILab ; rdfs:label \"Tapir Tensor\" }} }}"
        ),
    );
    assert!(tapir().is_empty(), "bypassed");
    let response = client()
        .post(server.url("/api/reindex"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(tapir(), ["tapir-tensor"]);
}

/// CoreWeave's entity card with its newest fact only.
fn coreweave_card(server: &TestServer) -> serde_json::Value {
    let response = client()
        .get(server.url("/api/entity/coreweave?limit=1"))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().unwrap()
}

/// Stops `server` and starts another over the same store, not seeded again, with its search
/// index at `location`, and waits until its index has been read against the store.
fn restarted_over(server: TestServer, location: &SearchLocation) -> TestServer {
    let restarted = restarted_unchecked(server, location, true);
    wait_until_checked(&restarted);
    restarted
}

/// Stops `server` and starts another over the same store with its search index at `location`;
/// its index is checked in the background if `check` says, as `serve` does, else left
/// unchecked.
fn restarted_unchecked(server: TestServer, location: &SearchLocation, check: bool) -> TestServer {
    let store = server.reusable();
    drop(server);
    TestServer::with(|s| {
        s.search = location.clone();
        s.reuse_store = Some(store);
        s.seed = false;
        s.check_index = check;
    })
}

/// What `/api/stats` says of the search index.
fn index_state(server: &TestServer) -> String {
    let response = client().get(server.url("/api/stats")).send().unwrap();
    assert_eq!(response.status(), 200);
    let stats: serde_json::Value = response.json().unwrap();
    stats["search_index"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Polls `/ready`, as a client would, until the search index is `ready` (for at most a
/// minute: the seeded graph takes well under a second).
fn wait_until_checked(server: &TestServer) {
    for _ in 0..600 {
        let response = client().get(server.url("/ready")).send().unwrap();
        assert_eq!(response.status(), 200);
        let ready: serde_json::Value = response.json().unwrap();
        match ready["search_index"].as_str().unwrap_or_default() {
            "ready" => return,
            "checking" | "rebuilding" => std::thread::sleep(std::time::Duration::from_millis(100)),
            other => panic!("the search index's check ended as {other:?}"),
        }
    }
    panic!("the search index was not checked within a minute");
}

/// A crash between the store's commit and the index's leaves the marker: the next start
/// rebuilds the index, and finds what the store got.
#[test]
fn an_index_left_behind_by_a_crash_is_rebuilt_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let location = SearchLocation::Dir(dir.path().join("db.search"));
    let first = TestServer::with(|s| s.search = location.clone());
    assert!(hit_ids(&search(&first, &[("q", "coreweave")])).contains(&"coreweave".to_owned()));
    assert!(
        !dir.path().join("db.search/WRITING").exists(),
        "no write is under way"
    );

    // What a crash would leave: the store changed (a label, so the entity count is the same)
    // and the index did not, with the marker written before the store's commit still there.
    std::fs::write(dir.path().join("db.search/WRITING"), "").unwrap();
    write_behind_the_index(
        &first,
        format!(
            "{PREFIXES} DELETE {{ GRAPH ?g {{ dgr:coreweave rdfs:label ?l }} }}
             INSERT {{ GRAPH ?g {{ dgr:coreweave rdfs:label \"Quetzalcompute\" }} }}
             WHERE {{ GRAPH ?g {{ dgr:coreweave rdfs:label ?l }} }}"
        ),
    );
    assert!(
        hit_ids(&search(&first, &[("q", "quetzalcompute")])).is_empty(),
        "bypassed"
    );

    let restarted = restarted_over(first, &location);
    assert_eq!(
        hit_ids(&search(&restarted, &[("q", "quetzalcompute")]))[0],
        "coreweave"
    );
    assert_eq!(restarted.search_index.rebuilds(), 1);
    assert!(!dir.path().join("db.search/WRITING").exists());
}

/// Without the marker, an index that does not hold as many entities as the store (the store
/// was written by something that bypassed it) is rebuilt too; so is one of another version.
#[test]
fn an_index_that_disagrees_with_the_store_or_this_version_is_rebuilt_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let location = SearchLocation::Dir(dir.path().join("db.search"));
    let first = TestServer::with(|s| s.search = location.clone());
    write_behind_the_index(
        &first,
        format!(
            "{PREFIXES} INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/t> {{
               dgr:tapir-tensor a dg:AILab ; rdfs:label \"Tapir Tensor\" }} }}"
        ),
    );
    assert!(
        hit_ids(&search(&first, &[("q", "tapir")])).is_empty(),
        "bypassed"
    );
    let second = restarted_over(first, &location);
    assert_eq!(
        hit_ids(&search(&second, &[("q", "tapir")]))[0],
        "tapir-tensor"
    );

    // A label changed behind the index's back, and an index written by another version.
    write_behind_the_index(
        &second,
        format!(
            "{PREFIXES} DELETE DATA {{ GRAPH <https://w3id.org/dealgraph/graph/t> {{
               dgr:tapir-tensor rdfs:label \"Tapir Tensor\" }} }} ;
             INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/t> {{
               dgr:tapir-tensor rdfs:label \"Okapi Optics\" }} }}"
        ),
    );
    std::fs::write(dir.path().join("db.search/VERSION"), "dealgraph-search 0\n").unwrap();
    let third = restarted_over(second, &location);
    assert_eq!(
        hit_ids(&search(&third, &[("q", "okapi")]))[0],
        "tapir-tensor"
    );
    assert!(hit_ids(&search(&third, &[("q", "tapir")])).is_empty());
}

/// The index holds the facts too (the entity card's newest facts come from it): a fact written
/// behind its back, with no label, so that the entities still agree, is found by the facts'
/// count at the next start, and the card lists it.
#[test]
fn an_index_missing_a_fact_of_the_store_is_rebuilt_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let location = SearchLocation::Dir(dir.path().join("db.search"));
    let first = TestServer::with(|s| s.search = location.clone());
    let before = coreweave_card(&first)["facts_total"].as_u64().unwrap();
    write_behind_the_index(
        &first,
        format!(
            "{PREFIXES} PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
             INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/t> {{
               dgr:bypassing-deal a dg:Investment ; dg:investor dgr:ibm ;
                 dg:investee dgr:coreweave ; dg:date \"2033-01-01\"^^xsd:date ;
                 dg:certainty dgc:reported ; dg:quote \"IBM invests in CoreWeave\" ;
                 prov:wasDerivedFrom dgr:article-openai-oracle-expand }} }}"
        ),
    );
    if !common::over_engine(&first) {
        // Over the embedded store the card's facts come from the index, which was bypassed.
        assert_eq!(
            coreweave_card(&first)["facts_total"].as_u64().unwrap(),
            before
        );
    }
    let restarted = restarted_over(first, &location);
    let after = coreweave_card(&restarted);
    assert_eq!(after["facts_total"].as_u64().unwrap(), before + 1);
    assert_eq!(
        after["facts"][0]["iri"],
        "https://w3id.org/dealgraph/id/bypassing-deal"
    );
}

/// The check at start-up runs once the server listens. Until it has run, the server says so
/// (in `/api/stats` and in every search), searches answer from the index as it was left, and
/// the entity card reads the store, so it already lists a fact written behind the index's
/// back; once the check has rebuilt the index, the search finds what was bypassed too.
#[test]
fn until_the_index_is_checked_the_server_says_so_and_the_cards_read_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let location = SearchLocation::Dir(dir.path().join("db.search"));
    let first = TestServer::with(|s| s.search = location.clone());
    assert_eq!(
        index_state(&first),
        "ready",
        "a new index is built before serving"
    );
    let before = coreweave_card(&first)["facts_total"].as_u64().unwrap();
    write_behind_the_index(
        &first,
        format!(
            "{PREFIXES} PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
             INSERT DATA {{ GRAPH <https://w3id.org/dealgraph/graph/t> {{
               dgr:tapir-tensor a dg:AILab ; rdfs:label \"Tapir Tensor\" .
               dgr:tapir-deal a dg:Investment ; dg:investor dgr:tapir-tensor ;
                 dg:investee dgr:coreweave ; dg:date \"2034-01-01\"^^xsd:date ;
                 dg:certainty dgc:reported ; dg:quote \"Tapir Tensor invests in CoreWeave\" ;
                 prov:wasDerivedFrom dgr:article-openai-oracle-expand }} }}"
        ),
    );

    let unchecked = restarted_unchecked(first, &location, false);
    assert_eq!(index_state(&unchecked), "checking");
    let ready: serde_json::Value = client()
        .get(unchecked.url("/ready"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ready["search_index"], "checking", "{ready}");
    let tapir = |server: &TestServer| search(server, &[("q", "tapir")]);
    let early = tapir(&unchecked);
    assert_eq!(early["index"], "checking", "{early}");
    assert!(hit_ids(&early).is_empty(), "the index is still behind");
    let early_card = coreweave_card(&unchecked);
    assert_eq!(early_card["facts_total"].as_u64().unwrap(), before + 1);
    assert_eq!(
        early_card["facts"][0]["iri"],
        "https://w3id.org/dealgraph/id/tapir-deal"
    );

    // What `serve` starts once it listens.
    dealgraph::cli::check_in_background(std::sync::Arc::clone(&unchecked.indexed));
    wait_until_checked(&unchecked);
    let checked = tapir(&unchecked);
    assert_eq!(hit_ids(&checked)[0], "tapir-tensor", "{checked}");
    assert!(checked.get("index").is_none(), "{checked}");
    assert_eq!(unchecked.search_index.rebuilds(), 1);
    let card_now = coreweave_card(&unchecked);
    assert_eq!(card_now["facts_total"], early_card["facts_total"]);
    assert_eq!(card_now["facts"][0]["iri"], early_card["facts"][0]["iri"]);
}
