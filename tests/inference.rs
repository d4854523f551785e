//! The derived layer over HTTP: company-to-company edges and superclass types appear with the
//! facts that support them, vanish with them, can be left out of a query, and cannot be
//! written by hand.

mod common;

use common::{TOKEN, TestServer, ask, client, error_of};

const PREFIXES: &str = "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX dgr: <https://w3id.org/dealgraph/id/>
PREFIX schema: <http://schema.org/>
";
const DERIVED: &str = "https://w3id.org/dealgraph/graph/derived";

fn q(body: &str) -> String {
    format!("{PREFIXES}{body}")
}

fn update(server: &TestServer, text: &str) -> u16 {
    client()
        .post(server.url("/sparql"))
        .bearer_auth(TOKEN)
        .header("Content-Type", "application/sparql-update")
        .body(q(text))
        .send()
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn deal_nodes_yield_direct_edges_inverses_and_superclass_types() {
    let server = TestServer::start();
    for (what, body) in [
        ("edge from the compute agreement", format!("ASK {{ GRAPH <{DERIVED}> {{ dgr:openai dg:buysComputeFrom dgr:coreweave }} }}")),
        ("its inverse", format!("ASK {{ GRAPH <{DERIVED}> {{ dgr:coreweave dg:providesComputeTo dgr:openai }} }}")),
        ("investment edge", "ASK { dgr:microsoft dg:investedIn dgr:openai . dgr:openai dg:hasInvestor dgr:microsoft }".to_owned()),
        ("symmetric competition", "ASK { dgr:coreweave dg:competitorOf dgr:google-cloud . dgr:google-cloud dg:competitorOf dgr:coreweave }".to_owned()),
        ("schema.org superclass type", "ASK { dgr:coreweave a schema:Organization }".to_owned()),
    ] {
        assert!(ask(&server, &q(&body)), "{what}");
    }
    // Asserted triples are not repeated in the derived graph.
    assert!(!ask(
        &server,
        &q(&format!(
            "ASK {{ GRAPH <{DERIVED}> {{ dgr:coreweave a dg:CloudProvider }} }}"
        ))
    ));
}

#[test]
fn a_query_can_leave_the_derived_graph_out() {
    let server = TestServer::start();
    let edge = q("ASK { dgr:openai dg:buysComputeFrom dgr:coreweave }");
    assert!(ask(&server, &edge));
    let without: serde_json::Value = client()
        .get(server.url("/sparql"))
        .query(&[("query", edge.as_str()), ("derived", "false")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(without["boolean"], false);
    let bad = client()
        .get(server.url("/sparql"))
        .query(&[("query", "ASK {}"), ("derived", "maybe")])
        .send()
        .unwrap();
    assert_eq!(error_of(bad).0, 400);
}

#[test]
fn deleting_a_fact_removes_what_was_derived_from_it_and_adding_one_derives_again() {
    let server = TestServer::start();
    let edge = q("ASK { dgr:openai dg:buysComputeFrom dgr:coreweave }");
    assert!(ask(&server, &edge));
    assert_eq!(
        update(
            &server,
            "DELETE WHERE { GRAPH ?g { dgr:openai-coreweave-compute-agreement ?p ?o } }"
        ),
        204
    );
    assert!(!ask(&server, &edge), "the derived edge goes with its deal");
    assert!(!ask(
        &server,
        &q("ASK { dgr:coreweave dg:providesComputeTo dgr:openai }")
    ));
    let insert = "INSERT DATA { GRAPH <http://example.org/g> {
        <http://example.org/deal> a dg:ComputeAgreement ; dg:customer dgr:openai ; dg:provider dgr:oracle ;
            <http://www.w3.org/ns/prov#wasDerivedFrom> <http://example.org/source> ;
            dg:quote \"OpenAI buys compute from Oracle\" ; dg:certainty <https://w3id.org/dealgraph/certainty/stated> .
        <http://example.org/source> a dg:SourceDocument ;
            <http://www.w3.org/2000/01/rdf-schema#label> \"A test source\" } }";
    assert_eq!(update(&server, insert), 204);
    assert!(ask(
        &server,
        &q(
            "ASK { dgr:openai dg:buysComputeFrom dgr:oracle . dgr:oracle dg:providesComputeTo dgr:openai }"
        )
    ));
}

#[test]
fn the_derived_graph_holds_only_what_its_rules_produce() {
    let server = TestServer::start();
    let forged =
        format!("INSERT DATA {{ GRAPH <{DERIVED}> {{ dgr:ibm dg:investedIn dgr:nvidia }} }}");
    assert_eq!(update(&server, &forged), 204);
    assert!(
        !ask(&server, &q("ASK { dgr:ibm dg:investedIn dgr:nvidia }")),
        "a hand-written derived triple does not survive"
    );
    let put = client()
        .put(format!("{}?graph={DERIVED}", server.url("/store")))
        .bearer_auth(TOKEN)
        .header("Content-Type", "text/turtle")
        .body("<http://e/a> <http://e/b> <http://e/c> .")
        .send()
        .unwrap();
    let (status, code, message) = error_of(put);
    assert_eq!((status, code.as_str()), (403, "refused"), "{message}");
}

/// Each built-in rule on its own, on a store holding only its premises.
#[test]
fn each_rdfs_and_owl_rl_rule_on_its_own() {
    let cases = [
        (
            "rdfs9 subclass",
            "ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:C . ex:x a ex:A .",
            "ex:x a ex:C",
        ),
        (
            "rdfs7 subproperty",
            "ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:subPropertyOf ex:r . ex:x ex:p ex:y .",
            "ex:x ex:r ex:y",
        ),
        (
            "rdfs2 domain",
            "ex:p rdfs:domain ex:D . ex:x ex:p ex:y .",
            "ex:x a ex:D",
        ),
        (
            "rdfs3 range",
            "ex:p rdfs:range ex:R . ex:x ex:p ex:y .",
            "ex:y a ex:R",
        ),
        (
            "prp-inv1 inverse",
            "ex:p owl:inverseOf ex:q . ex:x ex:p ex:y .",
            "ex:y ex:q ex:x",
        ),
        (
            "prp-inv2 inverse",
            "ex:p owl:inverseOf ex:q . ex:x ex:q ex:y .",
            "ex:y ex:p ex:x",
        ),
        (
            "prp-symp symmetric",
            "ex:p a owl:SymmetricProperty . ex:x ex:p ex:y .",
            "ex:y ex:p ex:x",
        ),
        (
            "prp-trp transitive",
            "ex:p a owl:TransitiveProperty . ex:x ex:p ex:y . ex:y ex:p ex:z . ex:z ex:p ex:w .",
            "ex:x ex:p ex:w",
        ),
        (
            "rules chain: a subproperty of a symmetric property",
            "ex:p rdfs:subPropertyOf ex:q . ex:q a owl:SymmetricProperty . ex:x ex:p ex:y .",
            "ex:y ex:q ex:x",
        ),
    ];
    let prefixes = "@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
";
    for (rule, premises, conclusion) in cases {
        let server = TestServer::with(|s| s.seed = false);
        let put = client()
            .put(server.url("/store?graph=http://example.org/premises"))
            .bearer_auth(TOKEN)
            .header("Content-Type", "text/turtle")
            .body(format!("{prefixes}{premises}"))
            .send()
            .unwrap();
        assert_eq!(put.status(), 201, "{rule}");
        let query = format!(
            "PREFIX ex: <http://example.org/> PREFIX owl: <http://www.w3.org/2002/07/owl#> \
             ASK {{ GRAPH <{DERIVED}> {{ {conclusion} }} }}"
        );
        assert!(ask(&server, &query), "{rule}: {conclusion} not derived");
        // Without its premises the conclusion goes.
        let drop = client()
            .delete(server.url("/store?graph=http://example.org/premises"))
            .bearer_auth(TOKEN)
            .send()
            .unwrap();
        assert_eq!(drop.status(), 204);
        assert!(
            !ask(&server, &query),
            "{rule}: {conclusion} outlived its premises"
        );
    }
}

/// The built-in rules run in Rust, as a worklist (`infer::recompute`); their definition is the
/// SPARQL of `infer::BUILT_IN_RULES`. On the article, a generated graph and a graph of corner
/// cases (a subclass cycle, blank nodes, literals, a transitive chain, a schema triple that is
/// itself derived), the derived graph must be exactly what those CONSTRUCTs and the ontology's
/// `dg:derivationRule`s give when run naively to a fixpoint.
#[test]
fn the_derived_graph_is_what_the_rules_give_as_sparql() {
    use dealgraph::infer::{BUILT_IN_RULES, RULE_PREFIXES};
    use dealgraph::rdf::ParseLimits;
    use dealgraph::store::{
        Backend, Dataset, EmbeddedStore, GraphTarget, QueryRequest, StoreLocation, StoreOptions,
        WriteOp,
    };
    use oxigraph::io::{RdfFormat, RdfParser};
    use oxigraph::model::{GraphName, NamedNode, Quad, Triple};
    use oxigraph::sparql::{CancellationToken, QueryResults, SparqlEvaluator};
    use std::collections::BTreeSet;

    let store = EmbeddedStore::open(
        &StoreLocation::Memory,
        StoreOptions::default(),
        ParseLimits::default(),
    )
    .unwrap();
    dealgraph::seed::seed_if_empty(&store, &common::seed_dirs(), ParseLimits::default()).unwrap();
    let mut generated = Vec::new();
    dealgraph::generate::generate(
        &dealgraph::generate::GeneratorConfig::new(3_000, 7),
        &mut generated,
    )
    .unwrap();
    let corners = "@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:A , _:anon . _:anon rdfs:subClassOf ex:C .
ex:x a ex:A . _:thing a ex:B .
ex:p rdfs:subPropertyOf ex:q . ex:q a owl:SymmetricProperty ; owl:inverseOf ex:r .
ex:x ex:p ex:y , \"a literal\" , _:thing .
ex:p rdfs:range ex:R , rdfs:Literal . ex:q rdfs:domain ex:D . ex:r rdfs:range _:anon .
ex:t a owl:TransitiveProperty . ex:a ex:t ex:b . ex:b ex:t ex:c . ex:c ex:t ex:d .
ex:sub rdfs:subPropertyOf rdfs:subClassOf . ex:E ex:sub ex:F . ex:z a ex:E .";
    let graph = |name: &str| NamedNode::new(format!("http://example.org/{name}")).unwrap();
    // Where `dealgraph generate` writes.
    let generated_graph = NamedNode::new("https://w3id.org/dealgraph/graph/generated").unwrap();
    let parse = |format: RdfFormat, text: &[u8], name: &NamedNode| -> Vec<Quad> {
        RdfParser::from_format(format)
            .with_default_graph(GraphName::NamedNode(name.clone()))
            .for_slice(text)
            .map(|q| q.unwrap())
            .collect()
    };
    store
        .write(WriteOp::ReplaceGraphs {
            graphs: vec![
                (
                    GraphTarget::Named(generated_graph.clone()),
                    parse(RdfFormat::NQuads, &generated, &generated_graph),
                ),
                (
                    GraphTarget::Named(graph("corners")),
                    parse(RdfFormat::Turtle, corners.as_bytes(), &graph("corners")),
                ),
            ],
        })
        .expect("the graphs conform");

    let select = |query: &str| -> Vec<Quad> {
        let QueryResults::Solutions(rows) = store
            .query(&QueryRequest {
                query: query.into(),
                dataset: Dataset::default(),
                cancel: CancellationToken::new(),
            })
            .unwrap()
        else {
            panic!("a SELECT")
        };
        rows.map(|row| {
            let row = row.unwrap();
            let subject: oxigraph::model::NamedOrBlankNode = match &row["s"] {
                oxigraph::model::Term::NamedNode(n) => n.clone().into(),
                oxigraph::model::Term::BlankNode(b) => b.clone().into(),
                other => panic!("a subject: {other}"),
            };
            let oxigraph::model::Term::NamedNode(p) = &row["p"] else {
                panic!("a predicate")
            };
            let oxigraph::model::Term::NamedNode(g) = &row["g"] else {
                panic!("a graph")
            };
            Quad::new(subject, p.clone(), row["o"].clone(), g.clone())
        })
        .collect()
    };
    let asserted = select(&format!(
        "SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != <{DERIVED}>) }}"
    ));
    let derived: BTreeSet<String> = select(&format!(
        "SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER(?g = <{DERIVED}>) }}"
    ))
    .into_iter()
    .map(|q| Triple::from(q).to_string())
    .collect();

    // The reference: every rule as a CONSTRUCT over the union, again and again until nothing
    // new comes, new triples kept in a graph of their own.
    let reference = oxigraph::store::Store::new().unwrap();
    reference.extend(asserted.iter().cloned()).unwrap();
    let into = NamedNode::new(DERIVED).unwrap();
    let mut rules: Vec<String> = BUILT_IN_RULES
        .iter()
        .map(|(_, rule)| format!("{RULE_PREFIXES}{rule}"))
        .collect();
    for quad in &asserted {
        if quad.predicate.as_str() == "https://w3id.org/dealgraph/ontology#derivationRule"
            && let oxigraph::model::Term::Literal(rule) = &quad.object
            && !rules.contains(&rule.value().to_owned())
        {
            rules.push(rule.value().to_owned());
        }
    }
    let mut expected: BTreeSet<String> = BTreeSet::new();
    for round in 0.. {
        assert!(round < 16, "the reference reaches no fixpoint");
        let mut new = Vec::new();
        for rule in &rules {
            let mut prepared = SparqlEvaluator::new().parse_query(rule).unwrap();
            prepared.dataset_mut().set_default_graph_as_union();
            let QueryResults::Graph(triples) = prepared.on_store(&reference).execute().unwrap()
            else {
                panic!("a CONSTRUCT")
            };
            for triple in triples {
                let triple = triple.unwrap();
                let present = reference
                    .quads_for_pattern(
                        Some(triple.subject.as_ref()),
                        Some(triple.predicate.as_ref()),
                        Some(triple.object.as_ref()),
                        None,
                    )
                    .next()
                    .is_some();
                if !present {
                    new.push(triple);
                }
            }
        }
        if new.is_empty() {
            break;
        }
        for triple in new {
            expected.insert(triple.to_string());
            reference.insert(&triple.in_graph(into.as_ref())).unwrap();
        }
    }
    assert!(
        expected.contains("<http://example.org/z> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://example.org/F>"),
        "the corner graph derives a type through a derived subclass"
    );
    assert!(expected.len() > 1_000, "{}", expected.len());
    let missing: Vec<_> = expected.difference(&derived).collect();
    let extra: Vec<_> = derived.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
}
