//! The derived graph and the shape check are kept up to date around what each write touches
//! (`infer::update`, `Shapes::validate_within`). This runs a sequence of writes of every kind on
//! two stores seeded alike, one maintaining locally and one recomputing everything on every
//! write, and checks after each write that both accepted or refused it alike (with the same
//! violations) and hold the same derived graph.

mod common;

use dealgraph::rdf::ParseLimits;
use dealgraph::store::{
    Backend, Dataset, EmbeddedStore, GraphTarget, QueryRequest, StoreError, StoreLocation,
    StoreOptions, WriteOp,
};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, NamedNode, Quad};
use oxigraph::sparql::{CancellationToken, QueryResults};

const PREFIXES: &str = "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX dgr: <https://w3id.org/dealgraph/id/>
PREFIX dgc: <https://w3id.org/dealgraph/certainty/>
PREFIX dgs: <https://w3id.org/dealgraph/status/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
";

/// A write, made anew for each store.
type MakeWrite = Box<dyn Fn() -> WriteOp>;

fn store(full_recompute: bool) -> EmbeddedStore {
    let store = EmbeddedStore::open(
        &StoreLocation::Memory,
        StoreOptions {
            full_recompute,
            ..StoreOptions::default()
        },
        ParseLimits::default(),
    )
    .expect("open");
    // The article, and the small Epoch fixture rather than the real files: the store that
    // recomputes everything on every write would make the real ones (80,000 triples) slow.
    dealgraph::seed::seed_if_empty(&store, &common::seed_dirs(), ParseLimits::default())
        .expect("seed");
    let epoch = dealgraph::import::epoch::build(
        &common::repo().join("tests/fixtures/epoch-bad"),
        &common::repo().join("data/aliases.tsv"),
    )
    .expect("the fixture imports");
    store
        .write(WriteOp::ReplaceGraphs {
            graphs: epoch.graphs,
        })
        .expect("the fixture conforms");
    store
}

fn update(text: &str) -> WriteOp {
    WriteOp::Update {
        update: format!("{PREFIXES}{text}"),
        using: Dataset::default(),
        cancel: CancellationToken::new(),
    }
}

fn graph(name: &str) -> NamedNode {
    NamedNode::new(format!("https://w3id.org/dealgraph/graph/{name}")).unwrap()
}

fn turtle(graph_name: &NamedNode, text: &str) -> Vec<Quad> {
    RdfParser::from_format(RdfFormat::Turtle)
        .with_default_graph(GraphName::NamedNode(graph_name.clone()))
        .for_slice(format!("{PREFIXES}{text}").as_bytes())
        .map(|q| q.expect("test Turtle parses"))
        .collect()
}

/// The outcome of a write as both stores must agree on it.
fn outcome(result: &Result<dealgraph::store::WriteOutcome, StoreError>) -> String {
    match result {
        Ok(_) => "accepted".to_owned(),
        Err(StoreError::Invalid(report)) => {
            let mut lines: Vec<String> = report
                .results
                .iter()
                .map(|r| format!("{} {:?} {}", r.focus, r.path, r.component))
                .collect();
            lines.sort();
            format!("refused:\n{}", lines.join("\n"))
        }
        Err(other) => format!("error: {other}"),
    }
}

fn derived(store: &EmbeddedStore) -> Vec<String> {
    let QueryResults::Solutions(rows) = store
        .query(&QueryRequest {
            query: "SELECT ?s ?p ?o WHERE { GRAPH <https://w3id.org/dealgraph/graph/derived> { ?s ?p ?o } }".into(),
            dataset: Dataset::default(),
            cancel: CancellationToken::new(),
        })
        .expect("query")
    else {
        panic!("a SELECT")
    };
    let mut triples: Vec<String> = rows
        .map(|row| {
            let row = row.unwrap();
            // Each store names the blank node it was given anew: compare them by kind.
            let show = |term: &oxigraph::model::Term| match term {
                oxigraph::model::Term::BlankNode(_) => "_:blank".to_owned(),
                other => other.to_string(),
            };
            format!(
                "{} {} {}",
                show(&row["s"]),
                show(&row["p"]),
                show(&row["o"])
            )
        })
        .collect();
    triples.sort();
    triples
}

#[test]
fn local_maintenance_matches_recomputing_everything_after_every_kind_of_write() {
    let local = store(false);
    let full = store(true);
    assert_eq!(derived(&local), derived(&full), "after seeding");
    let g1 = graph("test-one");
    let g2 = graph("test-two");
    let writes: Vec<(&str, MakeWrite)> = vec![
        (
            "a new fact between two organisations",
            Box::new(|| {
                update(&format!(
                    "INSERT DATA {{ {} }}",
                    common::investment("t-inv-1", "nvidia", "xai")
                ))
            }),
        ),
        (
            "one role of that fact removed",
            Box::new(|| update("DELETE DATA { dgr:t-inv-1 dg:investor dgr:nvidia }")),
        ),
        (
            "a fact of the article deleted whole",
            Box::new(|| update("DELETE WHERE { dgr:openai-coreweave-compute-agreement ?p ?o }")),
        ),
        (
            "a new organisation",
            Box::new(|| update("INSERT DATA { dgr:t-org a dg:Company ; rdfs:label \"Test Org\" }")),
        ),
        (
            "a fact about the new organisation",
            Box::new(|| {
                update(&format!(
                    "INSERT DATA {{ {} }}",
                    common::investment("t-inv-2", "t-org", "openai")
                ))
            }),
        ),
        (
            "the organisation's asserted type removed (its roles still make it one)",
            Box::new(|| update("DELETE DATA { dgr:t-org a dg:Company }")),
        ),
        (
            "the type of a source removed, which the facts citing it need: refused",
            Box::new(|| update("DELETE DATA { dgr:test-source a dg:SourceDocument }")),
        ),
        (
            "every reported fact restated as stated, through a WHERE clause",
            Box::new(|| {
                update(
                    "DELETE { GRAPH ?g { ?f dg:certainty dgc:reported } }
                     INSERT { GRAPH ?g { ?f dg:certainty dgc:stated } }
                     WHERE { GRAPH ?g { ?f dg:certainty dgc:reported } }",
                )
            }),
        ),
        (
            "a partnership, whose derived edge is symmetric",
            Box::new(|| {
                update(
                    "INSERT DATA { dgr:t-partnership a dg:Partnership ;
                       dg:partner dgr:oracle , dgr:t-org ; prov:wasDerivedFrom dgr:test-source ;
                       dg:quote \"Oracle and Test Org partner\" ; dg:certainty dgc:reported . }",
                )
            }),
        ),
        (
            "a fact without a quote: refused",
            Box::new(|| {
                update(
                    "INSERT DATA { dgr:t-bad a dg:Investment ; dg:investor dgr:oracle ;
                       dg:investee dgr:t-org ; prov:wasDerivedFrom dgr:test-source ;
                       dg:certainty dgc:stated }",
                )
            }),
        ),
        (
            "a blank node inserted (everything recomputed)",
            Box::new(|| update("INSERT DATA { _:b a dg:Company ; rdfs:label \"Blank Co\" }")),
        ),
        (
            "a new class in the ontology (everything recomputed)",
            Box::new(|| {
                update(
                    "INSERT DATA { GRAPH <https://w3id.org/dealgraph/graph/ontology-dealgraph> {
                       dg:TestLab rdfs:subClassOf dg:AILab ; rdfs:label \"Test lab\" } }",
                )
            }),
        ),
        (
            "an instance of the new class",
            Box::new(|| update("INSERT DATA { dgr:t-lab a dg:TestLab ; rdfs:label \"Test Lab\" }")),
        ),
        (
            "a graph put through the Graph Store Protocol",
            Box::new(move || WriteOp::ReplaceGraph {
                graph: GraphTarget::Named(g1.clone()),
                quads: turtle(&g1, &common::investment("t-inv-3", "t-lab", "anthropic")),
            }),
        ),
        (
            "the same graph replaced with other content",
            Box::new(move || WriteOp::ReplaceGraph {
                graph: GraphTarget::Named(graph("test-one")),
                quads: turtle(
                    &graph("test-one"),
                    &common::investment("t-inv-4", "t-lab", "meta"),
                ),
            }),
        ),
        (
            "a graph copied with COPY",
            Box::new(|| {
                update(
                    "COPY <https://w3id.org/dealgraph/graph/test-one> TO <https://w3id.org/dealgraph/graph/test-two>",
                )
            }),
        ),
        (
            "a graph cleared with CLEAR",
            Box::new(|| update("CLEAR GRAPH <https://w3id.org/dealgraph/graph/test-one>")),
        ),
        (
            "a graph dropped through the Graph Store Protocol",
            Box::new(move || WriteOp::DropGraph {
                graph: GraphTarget::Named(g2.clone()),
            }),
        ),
        (
            "a comment on the most connected organisation (a triple no rule reads)",
            Box::new(|| update("INSERT DATA { dgr:microsoft rdfs:comment \"A test comment\" }")),
        ),
        (
            "a fact's quote rewritten",
            Box::new(|| {
                update(
                    "DELETE { GRAPH ?g { ?f dg:quote ?q } } INSERT { GRAPH ?g { ?f dg:quote \"Rewritten\" } }
                     WHERE { GRAPH ?g { ?f dg:quote ?q } FILTER(?f = dgr:t-partnership) }",
                )
            }),
        ),
        (
            "an edge the derivation rules draw, asserted (its derived copy goes)",
            Box::new(|| update("INSERT DATA { dgr:microsoft dg:investedIn dgr:openai }")),
        ),
        (
            "that asserted edge removed (derived again)",
            Box::new(|| update("DELETE DATA { dgr:microsoft dg:investedIn dgr:openai }")),
        ),
        (
            "an organisation's label changed",
            Box::new(|| {
                update(
                    "DELETE { dgr:t-org rdfs:label ?l } INSERT { dgr:t-org rdfs:label \"Renamed\" }
                     WHERE { dgr:t-org rdfs:label ?l }",
                )
            }),
        ),
        (
            "a data centre's owner removed from an Epoch fact",
            Box::new(|| {
                update(
                    "DELETE WHERE { ?own a dg:DataCenterOwnership ; dg:owner dgr:coreweave ; dg:owner ?o }",
                )
            }),
        ),
        (
            "the new organisation and everything that names it removed",
            Box::new(|| {
                update(
                    "DELETE { ?f ?p ?o } WHERE { ?f ?r dgr:t-org ; ?p ?o } ;
                     DELETE WHERE { dgr:t-org ?p ?o }",
                )
            }),
        ),
    ];
    let mut seen = Vec::new();
    let mut kept_locally = Vec::new();
    for (what, write) in &writes {
        let local_result = local.write(write());
        let a = outcome(&local_result);
        let b = outcome(&full.write(write()));
        if let Ok(o) = &local_result
            && o.maintained_locally
        {
            kept_locally.push(*what);
        }
        assert_eq!(a, b, "{what}: the two stores disagree on the write");
        let (l, f) = (derived(&local), derived(&full));
        let only_local: Vec<&String> = l.iter().filter(|t| !f.contains(t)).collect();
        let only_full: Vec<&String> = f.iter().filter(|t| !l.contains(t)).collect();
        assert!(
            only_local.is_empty() && only_full.is_empty(),
            "{what}: the derived graphs differ\nonly kept locally: {only_local:#?}\nonly recomputed: {only_full:#?}"
        );
        assert_eq!(local.len().unwrap(), full.len().unwrap(), "{what}");
        seen.push(a);
    }
    // The sequence exercised both outcomes, and both ways of keeping the derived graph.
    assert!(seen.iter().any(|o| o == "accepted"));
    assert_eq!(
        seen.iter().filter(|o| o.starts_with("refused")).count(),
        2,
        "{seen:#?}"
    );
    for what in [
        "a new fact between two organisations",
        "a fact of the article deleted whole",
        "every reported fact restated as stated, through a WHERE clause",
        "a graph put through the Graph Store Protocol",
        "a graph copied with COPY",
        "the new organisation and everything that names it removed",
    ] {
        assert!(kept_locally.contains(&what), "{what} was recomputed whole");
    }
    for what in [
        "a blank node inserted (everything recomputed)",
        "a new class in the ontology (everything recomputed)",
    ] {
        assert!(!kept_locally.contains(&what), "{what} was kept locally");
    }
}
