//! The derived layer: triples computed from the asserted ones and kept in one named graph of
//! their own (`<https://w3id.org/dealgraph/graph/derived>`), recomputed inside every write's
//! transaction so that it never holds anything its rules do not produce from the data as it is.
//!
//! The rules are data: the RDFS and OWL RL pieces the ontology uses (subclass, subproperty,
//! domain, range, inverse, symmetric, transitive) are fixed SPARQL CONSTRUCTs below, and the
//! company-to-company edges read off deal nodes are the `dg:derivationRule` CONSTRUCTs the
//! ontology attaches to each derived property. They run to a fixpoint.
//! This module knows nothing of oxigraph's store or of HTTP: it works through [`RuleTarget`].

use crate::store::{NAMESPACE, StoreError};
use oxigraph::model::{NamedNode, Term, Triple};
use std::collections::HashSet;

/// The named graph that holds every derived triple and nothing else.
pub fn derived_graph() -> NamedNode {
    NamedNode::new_unchecked(format!("{NAMESPACE}graph/derived"))
}

/// Where rules run: the data being written, seen as the union of all its graphs.
pub trait RuleTarget {
    /// Runs a CONSTRUCT over the union of all graphs (the derived graph included).
    fn construct(&self, query: &str) -> Result<Vec<Triple>, StoreError>;
    /// Runs a SELECT over the union of all graphs and returns the values of `variable`.
    fn select_column(&self, query: &str, variable: &str) -> Result<Vec<Term>, StoreError>;
    /// Whether the triple is in any graph.
    fn contains(&self, triple: &Triple) -> Result<bool, StoreError>;
    /// Empties the derived graph.
    fn clear_derived(&mut self) -> Result<(), StoreError>;
    /// Adds triples to the derived graph.
    fn insert_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError>;
}

const PREFIXES: &str = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> \
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> \
    PREFIX owl: <http://www.w3.org/2002/07/owl#> ";

/// The RDFS and OWL RL rules, by their names in the specifications.
pub const BUILT_IN_RULES: &[(&str, &str)] = &[
    // rdfs9 with rdfs11 folded in: instances of a class are instances of its superclasses.
    (
        "rdfs9",
        "CONSTRUCT { ?x a ?d } WHERE { ?x a ?c . ?c rdfs:subClassOf+ ?d FILTER(isIRI(?d)) }",
    ),
    // rdfs7 with rdfs5 folded in: a subproperty's statements hold for its superproperties.
    (
        "rdfs7",
        "CONSTRUCT { ?x ?q ?y } WHERE { ?p rdfs:subPropertyOf+ ?q . ?x ?p ?y FILTER(isIRI(?q)) }",
    ),
    (
        "rdfs2",
        "CONSTRUCT { ?x a ?c } WHERE { ?p rdfs:domain ?c . ?x ?p ?y FILTER(isIRI(?c)) }",
    ),
    (
        "rdfs3",
        "CONSTRUCT { ?y a ?c } WHERE { ?p rdfs:range ?c . ?x ?p ?y FILTER(isIRI(?c) && !isLiteral(?y) && ?c != rdfs:Literal) }",
    ),
    (
        "prp-inv1",
        "CONSTRUCT { ?y ?q ?x } WHERE { ?p owl:inverseOf ?q . ?x ?p ?y FILTER(!isLiteral(?y)) }",
    ),
    (
        "prp-inv2",
        "CONSTRUCT { ?y ?p ?x } WHERE { ?p owl:inverseOf ?q . ?x ?q ?y FILTER(!isLiteral(?y)) }",
    ),
    (
        "prp-symp",
        "CONSTRUCT { ?y ?p ?x } WHERE { ?p a owl:SymmetricProperty . ?x ?p ?y FILTER(!isLiteral(?y)) }",
    ),
    (
        "prp-trp",
        "CONSTRUCT { ?x ?p ?z } WHERE { ?p a owl:TransitiveProperty . ?x ?p ?y . ?y ?p ?z }",
    ),
];

/// The most rounds a fixpoint may take; each round applies every rule once. Our rules close
/// in two or three rounds (a derived edge, then its inverse and superproperty).
const MAX_ROUNDS: usize = 16;

/// What a recomputation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Derivation {
    pub triples: usize,
    pub rounds: usize,
}

/// Rebuilds the derived graph from scratch: empties it, then applies every rule until nothing
/// new appears. Triples already asserted in another graph are not repeated in it.
pub fn recompute(target: &mut dyn RuleTarget) -> Result<Derivation, StoreError> {
    target.clear_derived()?;
    let mut rules: Vec<String> = BUILT_IN_RULES
        .iter()
        .map(|(_, rule)| format!("{PREFIXES}{rule}"))
        .collect();
    for rule in target.select_column(
        "SELECT DISTINCT ?rule WHERE { ?p <https://w3id.org/dealgraph/ontology#derivationRule> ?rule }",
        "rule",
    )? {
        if let Term::Literal(rule) = rule {
            rules.push(rule.value().to_owned());
        }
    }
    let mut derivation = Derivation::default();
    for round in 1..=MAX_ROUNDS {
        let mut new: HashSet<Triple> = HashSet::new();
        for rule in &rules {
            for triple in target.construct(rule).map_err(|e| match e {
                StoreError::SparqlSyntax(m) => {
                    StoreError::BadRequest(format!("a dg:derivationRule does not parse: {m}"))
                }
                other => other,
            })? {
                if !new.contains(&triple) && !target.contains(&triple)? {
                    new.insert(triple);
                }
            }
        }
        derivation.rounds = round;
        if new.is_empty() {
            return Ok(derivation);
        }
        derivation.triples += new.len();
        let mut batch: Vec<Triple> = new.into_iter().collect();
        batch.sort_by_key(ToString::to_string);
        target.insert_derived(&batch)?;
    }
    Err(StoreError::Storage(format!(
        "the derivation rules did not reach a fixpoint in {MAX_ROUNDS} rounds"
    )))
}
