//! SHACL Core validation (`dealgraph::validate`) checked two ways: against test cases of the
//! W3C SHACL test suite, copied unchanged into `tests/shacl/core/`, and a few of our own in the
//! same format in `tests/shacl/dealgraph/` (see `tests/shacl/README.md`); and against the project's own ontology, shapes and article, before and after mutations that
//! each break exactly one rule of `ontology/shapes.ttl`.
//!
//! A W3C case is one Turtle file holding the data, the shapes and the expected report. It is
//! loaded into one in-memory store, which is both the data (queried through
//! [`dealgraph::validate::SelectSource`]) and, read back as a graph, the shapes graph and the
//! expected report. Data, shapes and expectations therefore share their blank nodes, so blank
//! focus nodes, values and shapes are compared by identity, with no graph matching needed.
//! Each result is compared as the tuple (focus, path, value, component, shape), as a set: the
//! suite lists a violation once per way it is reached, which a set does not count. The message
//! is compared only where the expected result has one; severity is not compared (dealgraph
//! reports everything as sh:Violation, and the cases included expect nothing else).

use dealgraph::store::StoreError;
use dealgraph::validate::{Shapes, ValidationReport, ValidationResult};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::vocab::rdf;
use oxigraph::model::{
    Graph, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef, Term, TermRef, TripleRef,
};
use oxigraph::sparql::SparqlEvaluator;
use oxigraph::store::Store;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// SHACL Core cases that dealgraph must pass, by path under `tests/shacl/`.
const CASES: &[&str] = &[
    "core/node/class-001.ttl",
    "core/node/class-002.ttl",
    "core/node/class-003.ttl",
    "core/node/datatype-001.ttl",
    "core/node/datatype-002.ttl",
    "core/node/hasValue-001.ttl",
    "core/node/in-001.ttl",
    "core/node/node-001.ttl",
    "core/node/or-001.ttl",
    "core/node/pattern-001.ttl",
    "core/node/pattern-002.ttl",
    "core/property/class-001.ttl",
    "core/property/datatype-001.ttl",
    "core/property/datatype-002.ttl",
    "core/property/datatype-003.ttl",
    "core/property/hasValue-001.ttl",
    "core/property/in-001.ttl",
    "core/property/maxCount-001.ttl",
    "core/property/maxCount-002.ttl",
    "core/property/minCount-001.ttl",
    "core/property/minCount-002.ttl",
    "core/property/node-001.ttl",
    "core/property/node-002.ttl",
    "core/property/nodeKind-001.ttl",
    "core/property/or-001.ttl",
    "core/property/or-datatypes-001.ttl",
    "core/property/pattern-001.ttl",
    "core/property/pattern-002.ttl",
    "core/property/property-001.ttl",
    "core/path/path-inverse-001.ttl",
    "core/path/path-predicate-hasValue-001.ttl",
    "core/targets/multipleTargets-001.ttl",
    "core/targets/targetClass-001.ttl",
    "core/targets/targetClassImplicit-001.ttl",
    "core/targets/targetNode-001.ttl",
    "core/targets/targetObjectsOf-001.ttl",
    "core/targets/targetSubjectsOf-001.ttl",
    "core/targets/targetSubjectsOf-002.ttl",
    "core/misc/deactivated-001.ttl",
    "core/misc/deactivated-002.ttl",
    "core/misc/message-001.ttl",
    // dealgraph's own cases, in the suite's format, for what the W3C cases above leave out.
    "dealgraph/node-nodeKind-001.ttl",
    "dealgraph/datatype-ill-formed-001.ttl",
    "dealgraph/or-nested-001.ttl",
];

/// W3C cases using what dealgraph refuses, with words the refusal must contain.
const REFUSED: &[(&str, &[&str])] = &[
    (
        "core/path/path-alternative-001.ttl",
        &["path-alternative-001.test#TestShape", "sh:alternativePath"],
    ),
    (
        "core/node/closed-001.ttl",
        &["closed-001.test#MyShape", "sh:ClosedConstraintComponent"],
    ),
    // A blank sh:targetNode names a node of the shapes graph, which a query on the data
    // cannot name; dealgraph/node-nodeKind-001.ttl covers sh:nodeKind on node shapes instead.
    (
        "core/node/nodeKind-001.ttl",
        &[
            "nodeKind-001.test#IRITestShape",
            "sh:targetNode",
            "blank node",
        ],
    ),
];

const SH: &str = "http://www.w3.org/ns/shacl#";
const MF_RESULT: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#result");

fn sh(local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{SH}{local}"))
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Loads a Turtle file into a named graph of the store.
fn load(store: &Store, file: &Path, base: &str, graph: &str) {
    let text = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let parser = RdfParser::from_format(RdfFormat::Turtle)
        .with_base_iri(base)
        .expect("valid base IRI")
        .with_default_graph(NamedNode::new(graph).expect("valid graph IRI"));
    store
        .load_from_reader(parser, text.as_slice())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
}

/// Every triple of every graph of the store.
fn graph_of(store: &Store) -> Graph {
    let mut graph = Graph::new();
    for quad in store.iter() {
        graph.insert(quad.expect("store reads").as_ref());
    }
    graph
}

/// A result as compared with the suite's: focus | path | value | component | shape.
fn key(
    focus: &Term,
    path: Option<(&NamedNode, bool)>,
    value: Option<&Term>,
    component: &NamedNode,
    shape: &NamedOrBlankNode,
) -> String {
    let path = match path {
        Some((p, true)) => format!("^{p}"),
        Some((p, false)) => p.to_string(),
        None => "-".to_owned(),
    };
    let value = value.map_or_else(|| "-".to_owned(), ToString::to_string);
    format!("{focus} | {path} | {value} | {component} | {shape}")
}

fn actual_key(result: &ValidationResult) -> String {
    key(
        &result.focus,
        result.path.as_ref().map(|p| (p, result.inverse)),
        result.value.as_ref(),
        &result.component,
        &result.shape,
    )
}

/// What the case's mf:result says: whether the data conforms, the result keys, and the
/// messages expected for some of them.
struct Expected {
    conforms: bool,
    results: BTreeSet<String>,
    messages: Vec<(String, String)>,
}

fn expected(graph: &Graph) -> Result<Expected, String> {
    let report = graph
        .triples_for_predicate(MF_RESULT)
        .next()
        .ok_or("no mf:result")?
        .object;
    let report: NamedOrBlankNodeRef<'_> = match report {
        TermRef::BlankNode(b) => b.into(),
        TermRef::NamedNode(n) => n.into(),
        other => return Err(format!("mf:result is {other}")),
    };
    let one = |node: NamedOrBlankNodeRef<'_>, local: &str| {
        graph.object_for_subject_predicate(node, &sh(local))
    };
    let conforms = match one(report, "conforms") {
        Some(TermRef::Literal(l)) => l.value() == "true",
        other => return Err(format!("sh:conforms is {other:?}")),
    };
    let mut results = BTreeSet::new();
    let mut messages = Vec::new();
    for result in graph.objects_for_subject_predicate(report, &sh("result")) {
        let TermRef::BlankNode(result) = result else {
            return Err(format!("sh:result {result} is not a blank node"));
        };
        let focus = one(result.into(), "focusNode").ok_or("no sh:focusNode")?;
        let path = match one(result.into(), "resultPath") {
            None => None,
            Some(TermRef::NamedNode(p)) => Some((p.into_owned(), false)),
            Some(TermRef::BlankNode(b)) => match one(b.into(), "inversePath") {
                Some(TermRef::NamedNode(p)) => Some((p.into_owned(), true)),
                other => return Err(format!("unexpected sh:resultPath [ {other:?} ]")),
            },
            Some(other) => return Err(format!("unexpected sh:resultPath {other}")),
        };
        let value = one(result.into(), "value").map(TermRef::into_owned);
        let component = match one(result.into(), "sourceConstraintComponent") {
            Some(TermRef::NamedNode(c)) => c.into_owned(),
            other => return Err(format!("sh:sourceConstraintComponent is {other:?}")),
        };
        let shape = match one(result.into(), "sourceShape") {
            Some(TermRef::NamedNode(s)) => NamedOrBlankNode::from(s.into_owned()),
            Some(TermRef::BlankNode(s)) => NamedOrBlankNode::from(s.into_owned()),
            other => return Err(format!("sh:sourceShape is {other:?}")),
        };
        let key = key(
            &focus.into_owned(),
            path.as_ref().map(|(p, inverse)| (p, *inverse)),
            value.as_ref(),
            &component,
            &shape,
        );
        if let Some(TermRef::Literal(message)) = one(result.into(), "resultMessage") {
            messages.push((key.clone(), message.value().to_owned()));
        }
        results.insert(key);
    }
    Ok(Expected {
        conforms,
        results,
        messages,
    })
}

/// Loads a case: the store (data) and its graph (shapes and expected report).
fn load_case(case: &str) -> (Store, Graph) {
    let store = Store::new().expect("in-memory store");
    let base = format!("http://datashapes.org/sh/tests/{case}");
    load(&store, &repo().join("tests/shacl").join(case), &base, &base);
    let graph = graph_of(&store);
    (store, graph)
}

/// Runs one case; `Err` says how the report differs from the expected one.
fn run_case(case: &str) -> Result<(), String> {
    let (store, graph) = load_case(case);
    let expected = expected(&graph)?;
    let shapes = Shapes::from_graph(&graph).map_err(|e| format!("shapes refused: {e}"))?;
    let report = shapes
        .validate(&store)
        .map_err(|e| format!("validation failed: {e}"))?;
    let actual: BTreeSet<String> = report.results.iter().map(actual_key).collect();
    let mut problems = Vec::new();
    if report.conforms() != expected.conforms {
        problems.push(format!(
            "conforms is {}, expected {}",
            report.conforms(),
            expected.conforms
        ));
    }
    for missing in expected.results.difference(&actual) {
        problems.push(format!("missing:    {missing}"));
    }
    for extra in actual.difference(&expected.results) {
        problems.push(format!("unexpected: {extra}"));
    }
    for (key, message) in &expected.messages {
        if !report
            .results
            .iter()
            .any(|r| actual_key(r) == *key && r.message == *message)
        {
            problems.push(format!("no result {key} with message {message:?}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{}\n  report:\n{report}", problems.join("\n  ")))
    }
}

#[test]
fn w3c_shacl_core_cases_pass() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| run_case(case).err().map(|e| format!("{case}:\n  {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} W3C cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn w3c_cases_beyond_the_subset_are_refused_by_name() {
    for (case, words) in REFUSED {
        let (_, graph) = load_case(case);
        match Shapes::from_graph(&graph) {
            Err(StoreError::BadRequest(message)) => {
                for word in *words {
                    assert!(message.contains(word), "{case}: {message:?} lacks {word:?}");
                }
            }
            other => panic!("{case}: expected BadRequest, got {other:?}"),
        }
    }
}

/// The graph the server loads each file into (see ontology/README.md and data/article.ttl).
fn project_store() -> Store {
    let store = Store::new().expect("in-memory store");
    let mut ontology: Vec<PathBuf> = std::fs::read_dir(repo().join("ontology"))
        .expect("ontology/ lists")
        .map(|entry| entry.expect("ontology/ lists").path())
        .filter(|path| path.extension().is_some_and(|e| e == "ttl"))
        .collect();
    ontology.sort();
    assert!(ontology.len() >= 3, "ontology/ has {ontology:?}");
    for file in ontology {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file stem");
        let graph = format!("https://w3id.org/dealgraph/graph/ontology-{stem}");
        load(&store, &file, &graph, &graph);
    }
    let article = "https://w3id.org/dealgraph/graph/article";
    load(&store, &repo().join("data/article.ttl"), article, article);
    store
}

fn project_shapes() -> (Graph, Shapes) {
    let file = repo().join("ontology/shapes.ttl");
    let text = std::fs::read(&file).expect("shapes.ttl reads");
    let mut graph = Graph::new();
    for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(&text) {
        graph.insert(quad.expect("shapes.ttl parses").as_ref());
    }
    let shapes = Shapes::from_graph(&graph).expect("shapes.ttl is within the supported subset");
    (graph, shapes)
}

fn validate_timed(shapes: &Shapes, store: &Store, what: &str) -> ValidationReport {
    let start = Instant::now();
    let report = shapes.validate(store).expect("validation runs");
    eprintln!(
        "validated {what} against {} shapes in {:.1} ms",
        shapes.len(),
        start.elapsed().as_secs_f64() * 1000.0
    );
    report
}

#[test]
fn the_project_data_conforms_to_its_shapes() {
    let store = project_store();
    let (_, shapes) = project_shapes();
    let report = validate_timed(&shapes, &store, "ontology + article");
    assert!(report.conforms(), "violations:\n{report}");
}

const PREFIXES: &str = "\
    PREFIX dg: <https://w3id.org/dealgraph/ontology#>\n\
    PREFIX dgr: <https://w3id.org/dealgraph/id/>\n\
    PREFIX dgs: <https://w3id.org/dealgraph/status/>\n\
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n\
    PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n";

const DG: &str = "https://w3id.org/dealgraph/ontology#";
const DGR: &str = "https://w3id.org/dealgraph/id/";
const DGSH: &str = "https://w3id.org/dealgraph/shapes#";

/// The shape a mutation must violate: a named shape, or the blank property shape with the
/// given path among the sh:property of a named node shape.
enum ShapeRef {
    Named(&'static str),
    PropertyOf {
        node_shape: &'static str,
        path: &'static str,
    },
}

/// One edit of the article that breaks one rule, and the one violation it must cause.
struct Mutation {
    name: &'static str,
    /// A SPARQL update on the store (PREFIXES are prepended).
    update: &'static str,
    focus: &'static str,
    path: &'static str,
    component: &'static str,
    /// The value in N-Triples syntax, if the result has one.
    value: Option<&'static str>,
    shape: ShapeRef,
}

const MUTATIONS: &[Mutation] = &[
    Mutation {
        name: "a deal without dg:quote",
        update: "DELETE WHERE { GRAPH ?g { dgr:nvidia-coreweave-investment dg:quote ?quote } }",
        focus: "nvidia-coreweave-investment",
        path: "quote",
        component: "MinCountConstraintComponent",
        value: None,
        shape: ShapeRef::Named("quote"),
    },
    Mutation {
        name: "a deal whose certainty is a concept of the status scheme",
        update: "DELETE { GRAPH ?g { dgr:nvidia-coreweave-investment dg:certainty ?c } } \
                 INSERT { GRAPH ?g { dgr:nvidia-coreweave-investment dg:certainty dgs:agreed } } \
                 WHERE { GRAPH ?g { dgr:nvidia-coreweave-investment dg:certainty ?c } }",
        focus: "nvidia-coreweave-investment",
        path: "certainty",
        component: "NodeConstraintComponent",
        value: Some("<https://w3id.org/dealgraph/status/agreed>"),
        shape: ShapeRef::Named("certainty"),
    },
    Mutation {
        name: "a quote with a language tag",
        update: "DELETE { GRAPH ?g { dgr:nvidia-coreweave-investment dg:quote ?q } } \
                 INSERT { GRAPH ?g { dgr:nvidia-coreweave-investment dg:quote \"Nvidia-backed CoreWeave\"@en } } \
                 WHERE { GRAPH ?g { dgr:nvidia-coreweave-investment dg:quote ?q } }",
        focus: "nvidia-coreweave-investment",
        path: "quote",
        component: "DatatypeConstraintComponent",
        value: Some("\"Nvidia-backed CoreWeave\"@en"),
        shape: ShapeRef::Named("quote"),
    },
    Mutation {
        name: "an amount whose currency is lower case",
        update: "DELETE { GRAPH ?g { dgr:openai-coreweave-compute-agreement-amount dg:currency ?c } } \
                 INSERT { GRAPH ?g { dgr:openai-coreweave-compute-agreement-amount dg:currency \"usd\" } } \
                 WHERE { GRAPH ?g { dgr:openai-coreweave-compute-agreement-amount dg:currency ?c } }",
        focus: "openai-coreweave-compute-agreement-amount",
        path: "currency",
        component: "PatternConstraintComponent",
        value: Some("\"usd\""),
        shape: ShapeRef::PropertyOf {
            node_shape: "MonetaryAmountShape",
            path: "currency",
        },
    },
    Mutation {
        name: "an amount whose value is an integer literal, not a decimal",
        update: "DELETE { GRAPH ?g { dgr:openai-coreweave-compute-agreement-amount dg:value ?v } } \
                 INSERT { GRAPH ?g { dgr:openai-coreweave-compute-agreement-amount dg:value 11900000000 } } \
                 WHERE { GRAPH ?g { dgr:openai-coreweave-compute-agreement-amount dg:value ?v } }",
        focus: "openai-coreweave-compute-agreement-amount",
        path: "value",
        component: "DatatypeConstraintComponent",
        value: Some("\"11900000000\"^^<http://www.w3.org/2001/XMLSchema#integer>"),
        shape: ShapeRef::PropertyOf {
            node_shape: "MonetaryAmountShape",
            path: "value",
        },
    },
    Mutation {
        name: "an organisation without a label",
        update: "DELETE WHERE { GRAPH ?g { dgr:nvidia rdfs:label ?label } }",
        focus: "nvidia",
        path: "http://www.w3.org/2000/01/rdf-schema#label",
        component: "MinCountConstraintComponent",
        value: None,
        shape: ShapeRef::PropertyOf {
            node_shape: "LabelShape",
            path: "http://www.w3.org/2000/01/rdf-schema#label",
        },
    },
    Mutation {
        name: "an untyped date",
        update: "DELETE { GRAPH ?g { dgr:coreweave-planned-data-centers-2025 dg:date ?d } } \
                 INSERT { GRAPH ?g { dgr:coreweave-planned-data-centers-2025 dg:date \"2025\" } } \
                 WHERE { GRAPH ?g { dgr:coreweave-planned-data-centers-2025 dg:date ?d } }",
        focus: "coreweave-planned-data-centers-2025",
        path: "date",
        component: "OrConstraintComponent",
        value: Some("\"2025\""),
        shape: ShapeRef::PropertyOf {
            node_shape: "FactValuesShape",
            path: "date",
        },
    },
    Mutation {
        name: "a date typed xsd:gYearMonth with a thirteenth month",
        update: "DELETE { GRAPH ?g { dgr:coreweave-planned-data-centers-2025 dg:date ?d } } \
                 INSERT { GRAPH ?g { dgr:coreweave-planned-data-centers-2025 dg:date \"2025-13\"^^xsd:gYearMonth } } \
                 WHERE { GRAPH ?g { dgr:coreweave-planned-data-centers-2025 dg:date ?d } }",
        focus: "coreweave-planned-data-centers-2025",
        path: "date",
        component: "OrConstraintComponent",
        value: Some("\"2025-13\"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>"),
        shape: ShapeRef::PropertyOf {
            node_shape: "FactValuesShape",
            path: "date",
        },
    },
];

/// A dg: local name or a full IRI.
fn dg(name: &str) -> NamedNode {
    if name.contains("://") {
        NamedNode::new_unchecked(name)
    } else {
        NamedNode::new_unchecked(format!("{DG}{name}"))
    }
}

/// The blank property shape with sh:path `path` among the sh:property of `node_shape`.
fn property_shape(shapes: &Graph, node_shape: &str, path: &str) -> NamedOrBlankNode {
    let node_shape = NamedNode::new_unchecked(format!("{DGSH}{node_shape}"));
    let path = dg(path);
    shapes
        .objects_for_subject_predicate(&node_shape, &sh("property"))
        .filter_map(|p| match p {
            TermRef::BlankNode(b) => Some(NamedOrBlankNode::from(b.into_owned())),
            TermRef::NamedNode(n) => Some(NamedOrBlankNode::from(n.into_owned())),
            _ => None,
        })
        .find(|p| shapes.contains(TripleRef::new(p, &sh("path"), &path)))
        .unwrap_or_else(|| panic!("{node_shape} has no sh:property with sh:path {path}"))
}

#[test]
fn each_mutation_of_the_article_yields_exactly_its_violation() {
    let (shapes_graph, shapes) = project_shapes();
    let mut failures = Vec::new();
    for mutation in MUTATIONS {
        let store = project_store();
        SparqlEvaluator::new()
            .parse_update(&format!("{PREFIXES}{}", mutation.update))
            .unwrap_or_else(|e| panic!("{}: {e}", mutation.name))
            .on_store(&store)
            .execute()
            .unwrap_or_else(|e| panic!("{}: {e}", mutation.name));
        let report = validate_timed(&shapes, &store, mutation.name);
        let shape = match mutation.shape {
            ShapeRef::Named(name) => NamedNode::new_unchecked(format!("{DGSH}{name}")).into(),
            ShapeRef::PropertyOf { node_shape, path } => {
                property_shape(&shapes_graph, node_shape, path)
            }
        };
        let value: Option<Term> = mutation.value.map(|v| {
            v.parse()
                .unwrap_or_else(|e| panic!("{}: {e}", mutation.name))
        });
        let want = key(
            &NamedNode::new_unchecked(format!("{DGR}{}", mutation.focus)).into(),
            Some((&dg(mutation.path), false)),
            value.as_ref(),
            &sh(mutation.component),
            &shape,
        );
        let got: Vec<String> = report.results.iter().map(actual_key).collect();
        if got != [want.clone()] {
            failures.push(format!(
                "{}: expected exactly\n    {want}\n  got\n{report}",
                mutation.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_report_as_rdf_has_one_sh_result_per_violation() {
    let store = project_store();
    SparqlEvaluator::new()
        .parse_update(&format!("{PREFIXES}{}", MUTATIONS[0].update))
        .expect("update parses")
        .on_store(&store)
        .execute()
        .expect("update runs");
    let (_, shapes) = project_shapes();
    let report = shapes.validate(&store).expect("validation runs");
    let graph = report.to_graph();
    assert_eq!(
        graph.triples_for_predicate(&sh("result")).count(),
        report.results.len()
    );
    let focus = NamedNode::new_unchecked(format!("{DGR}nvidia-coreweave-investment"));
    assert!(
        graph
            .subject_for_predicate_object(&sh("focusNode"), &focus)
            .is_some()
    );
    assert!(
        graph
            .subject_for_predicate_object(rdf::TYPE, &sh("ValidationReport"))
            .is_some()
    );
    assert_eq!(
        report.to_string(),
        "<https://w3id.org/dealgraph/id/nvidia-coreweave-investment>: path \
         <https://w3id.org/dealgraph/ontology#quote>: MinCountConstraintComponent (shape \
         <https://w3id.org/dealgraph/shapes#quote>): A fact node needs at least one dg:quote, \
         a plain xsd:string copied from the source.\n"
    );
}
