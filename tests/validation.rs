//! SHACL on every write, over HTTP and on the command line: a write that would leave data
//! violating the shapes is refused whole, with a report naming the focus node, the path and
//! the rule, and nothing is stored.

mod common;

use common::{TOKEN, TestServer, ask, client, count_triples};

const DEAL_WITHOUT_QUOTE: &str = "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX dgr: <https://w3id.org/dealgraph/id/>
INSERT DATA { GRAPH <http://example.org/g> {
  <http://example.org/deal> a dg:Investment ; dg:investor dgr:nvidia ; dg:investee dgr:openai ;
    <http://www.w3.org/ns/prov#wasDerivedFrom> dgr:article-openai-oracle-expand ;
    dg:certainty <https://w3id.org/dealgraph/certainty/stated> .
  <http://example.org/other> <http://www.w3.org/2000/01/rdf-schema#label> \"kept only if all is valid\" } }";

#[test]
fn an_update_that_violates_the_shapes_is_refused_with_its_report_and_writes_nothing() {
    let server = TestServer::start();
    let before = count_triples(&server);
    let response = client()
        .post(server.url("/sparql"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body(DEAL_WITHOUT_QUOTE)
        .send()
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().unwrap();
    assert_eq!(body["error"]["code"], "shacl_violation");
    let violations = body["error"]["violations"].as_array().unwrap();
    assert_eq!(violations.len(), 1, "{violations:?}");
    assert_eq!(violations[0]["focusNode"], "<http://example.org/deal>");
    assert_eq!(
        violations[0]["path"],
        "<https://w3id.org/dealgraph/ontology#quote>"
    );
    assert_eq!(
        violations[0]["constraint"],
        "http://www.w3.org/ns/shacl#MinCountConstraintComponent"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("<http://example.org/deal>"), "{message}");
    assert_eq!(count_triples(&server), before);
    assert!(!ask(&server, "ASK { <http://example.org/other> ?p ?o }"));
}

#[test]
fn a_graph_store_write_is_validated_too() {
    let server = TestServer::start();
    let bad = "@prefix dg: <https://w3id.org/dealgraph/ontology#> .
<http://example.org/amount> a dg:MonetaryAmount ; dg:value 5 ; dg:currency \"usd\" .";
    let response = client()
        .put(server.url("/store?graph=http://example.org/amounts"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "text/turtle")
        .body(bad)
        .send()
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: serde_json::Value = response.json().unwrap();
    let constraints: Vec<&str> = body["error"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["constraint"].as_str().unwrap())
        .collect();
    assert!(
        constraints.contains(&"http://www.w3.org/ns/shacl#DatatypeConstraintComponent"),
        "{constraints:?}"
    );
    assert!(
        constraints.contains(&"http://www.w3.org/ns/shacl#PatternConstraintComponent"),
        "{constraints:?}"
    );
    assert_eq!(
        client()
            .get(server.url("/store?graph=http://example.org/amounts"))
            .send()
            .unwrap()
            .status(),
        404
    );
}

#[test]
fn dealgraph_validate_reports_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.ttl");
    std::fs::write(
        &bad,
        "@prefix dg: <https://w3id.org/dealgraph/ontology#> .
@prefix dgr: <https://w3id.org/dealgraph/id/> .
<http://example.org/deal> a dg:Investment ; dg:investor dgr:nvidia ; dg:investee dgr:openai ;
  <http://www.w3.org/ns/prov#wasDerivedFrom> dgr:article-openai-oracle-expand ;
  dg:certainty <https://w3id.org/dealgraph/certainty/stated> .
",
    )
    .unwrap();
    let output = common::dealgraph()
        .args(["validate", "--memory"])
        .arg(&bad)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stdout.contains("<http://example.org/deal>") && stdout.contains("MinCount"),
        "{stdout}"
    );
    assert!(stderr.contains("bad.ttl: 1 SHACL violation(s)"), "{stderr}");

    let good = dir.path().join("good.ttl");
    std::fs::write(
        &good,
        "<http://example.org/x> <http://example.org/p> \"fine\" .\n",
    )
    .unwrap();
    let output = common::dealgraph()
        .args(["validate", "--memory"])
        .arg(&good)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("conforms"));
}
