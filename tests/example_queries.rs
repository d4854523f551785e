//! Data-driven: every example query in `queries/` runs over HTTP against the seeded graph and
//! must return exactly the answer written beside it (`.srj`, checked by hand against the
//! article). Rows are compared in order when the query orders them, as a multiset otherwise.
//! A query with the line `# Seed: with the Epoch AI import` runs against a store seeded with
//! the Epoch AI import as well (checked by hand against the CSV files); the others against the
//! article alone, as their answers were written for it.

mod common;

use common::{TestServer, client};
use serde_json::Value;

fn rows(answer: &Value) -> Vec<Value> {
    answer["results"]["bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn every_example_query_returns_its_expected_answer() {
    let server = TestServer::start();
    let epoch_server = TestServer::with(|setup| setup.epoch = true);
    let mut paths: Vec<_> = std::fs::read_dir(common::repo().join("queries"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rq"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 15,
        "at least 15 example queries, found {}",
        paths.len()
    );
    let mut failures = Vec::new();
    for path in &paths {
        let query = std::fs::read_to_string(path).unwrap();
        assert!(
            query.starts_with("# Question:"),
            "{} must open with its question",
            path.display()
        );
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(path.with_extension("srj")).unwrap())
                .unwrap();
        let target = if query.contains("\n# Seed: with the Epoch AI import\n") {
            &epoch_server
        } else {
            &server
        };
        let response = client()
            .post(target.url("/sparql"))
            .header("Content-Type", "application/sparql-query")
            .header("Accept", "application/sparql-results+json")
            .body(query.clone())
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{}", path.display());
        let got: Value = response.json().unwrap();
        let same = if expected.get("boolean").is_some() {
            got["boolean"] == expected["boolean"]
        } else if got["head"]["vars"] != expected["head"]["vars"] {
            false
        } else if query.to_uppercase().contains("ORDER BY") {
            rows(&got) == rows(&expected)
        } else {
            let mut a: Vec<String> = rows(&got).iter().map(Value::to_string).collect();
            let mut b: Vec<String> = rows(&expected).iter().map(Value::to_string).collect();
            a.sort();
            b.sort();
            a == b
        };
        if !same {
            failures.push(format!(
                "{}\n got: {got}\n expected: {expected}",
                path.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
