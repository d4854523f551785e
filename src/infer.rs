//! The derived layer: triples computed from the asserted ones and kept in one named graph of
//! their own (`<https://w3id.org/dealgraph/graph/derived>`), recomputed inside every write's
//! transaction so that it never holds anything its rules do not produce from the data as it is.
//!
//! The rules are data: the RDFS and OWL RL pieces the ontology uses (subclass, subproperty,
//! domain, range, inverse, symmetric, transitive) are defined by fixed SPARQL CONSTRUCTs below
//! ([`BUILT_IN_RULES`]; all but the transitive one run in Rust, read off the schema), and the
//! company-to-company edges read off deal nodes are the `dg:derivationRule` CONSTRUCTs the
//! ontology attaches to each derived property. They run to a fixpoint.
//! This module knows nothing of oxigraph's store or of HTTP: it works through [`RuleTarget`]
//! (and [`LocalTarget`] for [`update`]). A bulk load runs [`recompute`] on the store itself,
//! outside any transaction; every other write runs it inside its transaction.
//!
//! A write that changes a few triples need not recompute everything: [`update`] recomputes only
//! the derived triples that touch the nodes the write touched (see its invariant), and falls
//! back to [`recompute`] whenever it cannot be sure that is exact.

use crate::store::{NAMESPACE, StoreError};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term, Triple};
use spargebra::algebra::{GraphPattern, PropertyPathExpression};
use spargebra::term::{NamedNodePattern, TermPattern, Variable};
use std::collections::{HashMap, HashSet};

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
    /// Every triple with this predicate, in any graph (a triple in two graphs may come twice).
    fn with_predicate(&self, predicate: &NamedNode) -> Result<Vec<Triple>, StoreError>;
    /// Empties the derived graph.
    fn clear_derived(&mut self) -> Result<(), StoreError>;
    /// Adds triples to the derived graph.
    fn insert_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError>;
    /// Every triple of a schema predicate ([`SCHEMA_PREDICATES`]), wherever it is, and every
    /// typing of a property as symmetric or transitive: what the rules read besides the data.
    fn schema(&self) -> Result<Vec<Triple>, StoreError>;
    /// Every triple of the derived graph.
    fn derived_triples(&self) -> Result<Vec<Triple>, StoreError>;
}

/// What [`update`] reads and writes to keep the derived graph up to date around a write: only
/// the neighbourhood of what the write touched, never the whole store, so that it can be read
/// from a remote engine as well as from a transaction.
pub trait LocalTarget {
    /// Whether the triple is in any graph.
    fn contains(&self, triple: &Triple) -> Result<bool, StoreError>;
    /// As [`RuleTarget::schema`].
    fn schema(&self) -> Result<Vec<Triple>, StoreError>;
    /// Adds triples to the derived graph.
    fn insert_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError>;
    /// Removes triples from the derived graph.
    fn remove_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError>;
    /// The asserted triples (every graph but the derived one) with `node` as subject or object.
    fn asserted_touching(&self, node: &Term) -> Result<Vec<Triple>, StoreError>;
    /// The derived triples with `node` as subject or object.
    fn derived_touching(&self, node: &Term) -> Result<Vec<Triple>, StoreError>;
    /// Whether the triple is asserted in a graph other than the derived one.
    fn is_asserted(&self, triple: &Triple) -> Result<bool, StoreError>;
    /// The vocabulary: every subject and IRI object of the ontology's graphs (classes,
    /// properties, concepts, and the external terms they are aligned to).
    fn vocabulary(&self) -> Result<HashSet<Term>, StoreError>;
    /// Whether some derived triple has one of `nodes` as its subject (asked of the whole
    /// vocabulary at once: over a remote engine, one request instead of one per term).
    fn derived_about_any(&self, nodes: &HashSet<Term>) -> Result<bool, StoreError>;
    /// Runs `work` on a throwaway target holding `triples` and an empty derived graph.
    fn with_scratch(
        &self,
        triples: &[Triple],
        work: &mut ScratchWork<'_>,
    ) -> Result<Vec<Triple>, StoreError>;
}

/// What [`LocalTarget::with_scratch`] runs: rules on the scratch target, returning triples.
pub type ScratchWork<'a> = dyn FnMut(&mut dyn RuleTarget) -> Result<Vec<Triple>, StoreError> + 'a;

/// The predicates whose triples are schema. A write touching one recomputes the derived graph
/// from scratch, since it can change what is derived anywhere.
pub const SCHEMA_PREDICATES: &[&str] = &[
    "http://www.w3.org/2000/01/rdf-schema#subClassOf",
    "http://www.w3.org/2000/01/rdf-schema#subPropertyOf",
    "http://www.w3.org/2000/01/rdf-schema#domain",
    "http://www.w3.org/2000/01/rdf-schema#range",
    "http://www.w3.org/2002/07/owl#inverseOf",
    DERIVATION_RULE,
];

const DERIVATION_RULE: &str = "https://w3id.org/dealgraph/ontology#derivationRule";

/// Classes whose instances are schema too (`?p a owl:SymmetricProperty`).
pub const SCHEMA_CLASSES: &[&str] = &[
    "http://www.w3.org/2002/07/owl#SymmetricProperty",
    "http://www.w3.org/2002/07/owl#TransitiveProperty",
];

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// Whether a triple is schema (see [`SCHEMA_PREDICATES`] and [`SCHEMA_CLASSES`]).
pub fn is_schema(triple: &Triple) -> bool {
    let p = triple.predicate.as_str();
    SCHEMA_PREDICATES.contains(&p)
        || (p == RDF_TYPE
            && matches!(&triple.object, Term::NamedNode(o) if SCHEMA_CLASSES.contains(&o.as_str())))
}

/// What [`update`] changed in the derived graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DerivedChange {
    pub added: Vec<Triple>,
    pub removed: Vec<Triple>,
}

/// The most triples a write may touch for [`update`] to stay local. A large write's
/// neighbourhood covers most of a small store, and gathering it costs more than recomputing:
/// the Epoch import (8,600 triples) kept locally made its tests take 141 s instead of 30 s.
pub const MAX_LOCAL_TRIPLES: usize = 1_000;

/// Brings the derived graph up to date after a write that may have added or removed `touched`
/// (a superset of the asserted triples it changed), recomputing only what touches them.
/// `Ok(Err(reason))` when that cannot be done exactly; the caller then calls [`recompute`].
///
/// Why it is exact: every built-in rule derives a triple whose subject and object are the
/// subject and object of the one data triple it reads (or one of them), and every
/// `dg:derivationRule` that [`is_star`] accepts derives a triple between objects of one node.
/// So a derived triple that depends on a touched triple has an endpoint among the touched
/// triples' endpoints or the objects of those endpoints: the affected set `A`. The derived
/// triples touching `A` are dropped and derived again from the triples touching `A`, the nodes
/// pointing at `A` with all their triples, and the schema. Vocabulary nodes (the ontology's
/// subjects) stay out of `A`, which is exact as long as nothing derived has one as its subject;
/// this function checks that, before and after.
pub fn update(target: &mut dyn LocalTarget, touched: &[Triple]) -> Result<Local, StoreError> {
    if touched.len() > MAX_LOCAL_TRIPLES {
        return fallback("the write touched too many triples");
    }
    if touched.iter().any(is_schema) {
        return fallback("the write touched the schema");
    }
    let schema = target.schema()?;
    let transitive = "http://www.w3.org/2002/07/owl#TransitiveProperty";
    if schema
        .iter()
        .any(|t| matches!(&t.object, Term::NamedNode(o) if o.as_str() == transitive))
    {
        return fallback("a transitive chain reaches past the touched nodes' neighbours");
    }
    for triple in &schema {
        if triple.predicate.as_str() == DERIVATION_RULE
            && let Term::Literal(rule) = &triple.object
            && !is_star(rule.value())
        {
            return fallback("a dg:derivationRule reads more than one node's triples");
        }
    }
    if touched.iter().all(|t| is_inert(t, &schema)) {
        // Nothing derived can depend on these triples, nor be hidden or revealed by them: at a
        // hub, gathering the neighbourhood to find that out took seconds for a comment.
        return Ok(Ok(DerivedChange::default()));
    }
    let vocabulary = target.vocabulary()?;
    if target.derived_about_any(&vocabulary)? {
        // A leaves the vocabulary out, so it would not keep that up to date.
        return fallback("something derived is about the vocabulary");
    }
    let node =
        |term: &Term| -> bool { !matches!(term, Term::Literal(_)) && !vocabulary.contains(term) };
    if let Some(change) = derive_forwards(target, touched, &schema, &node)? {
        return Ok(Ok(change));
    }

    // A: the touched endpoints and what they point at. The class of an rdf:type triple is
    // never in A: what is derived about an instance (its types) has the instance as subject.
    let mut affected: HashSet<Term> = HashSet::new();
    for triple in touched {
        for term in ends(triple) {
            if node(&term) {
                affected.insert(term);
            }
        }
    }
    let seeds: Vec<Term> = affected.iter().cloned().collect();
    let mut local: HashSet<Triple> = HashSet::new();
    let mut centres: HashSet<Term> = HashSet::new();
    for seed in &seeds {
        for triple in target.asserted_touching(seed)? {
            let subject = Term::from(triple.subject.clone());
            if subject == *seed {
                if node(&triple.object) && triple.predicate.as_str() != RDF_TYPE {
                    affected.insert(triple.object.clone());
                }
            } else if node(&subject) {
                centres.insert(subject);
            }
            local.insert(triple);
        }
    }
    // The objects added to A bring their own triples, and the nodes pointing at them.
    for term in affected.iter().filter(|t| !seeds.contains(t)) {
        for triple in target.asserted_touching(term)? {
            let subject = Term::from(triple.subject.clone());
            if subject != *term && node(&subject) {
                centres.insert(subject);
            }
            local.insert(triple);
        }
    }
    // Each node pointing at A, with all its triples: the centre of a rule's star.
    for centre in centres.iter().filter(|c| !affected.contains(*c)) {
        local.extend(target.asserted_touching(centre)?);
        for triple in target.derived_touching(centre)? {
            if !touches(&triple, &affected) {
                local.insert(triple);
            }
        }
    }

    let mut old: HashSet<Triple> = HashSet::new();
    for term in &affected {
        for triple in target.derived_touching(term)? {
            if touches(&triple, &affected) {
                old.insert(triple);
            }
        }
    }

    let mut input: Vec<Triple> = schema;
    input.extend(local);
    let derived_here = target.with_scratch(&input, &mut |scratch| {
        recompute(scratch)?;
        scratch.derived_triples()
    })?;
    let mut new: HashSet<Triple> = HashSet::new();
    for triple in derived_here {
        let subject = Term::from(triple.subject.clone());
        if vocabulary.contains(&subject) && !target.contains(&triple)? {
            return fallback("something new would be derived about the vocabulary");
        }
        if touches(&triple, &affected) && !target.is_asserted(&triple)? {
            new.insert(triple);
        }
    }
    let mut change = DerivedChange {
        added: new.difference(&old).cloned().collect(),
        removed: old.difference(&new).cloned().collect(),
    };
    change.added.sort_by_key(ToString::to_string);
    change.removed.sort_by_key(ToString::to_string);
    target.remove_derived(&change.removed)?;
    target.insert_derived(&change.added)?;
    Ok(Ok(change))
}

/// Whether no rule reads or writes triples like this one: its predicate is not `rdf:type` nor
/// `owl:sameAs`, no schema triple names it (so no built-in rule applies to it: each is
/// conditioned on a schema triple about the predicate, see [`BUILT_IN_RULES`]), and no
/// `dg:derivationRule` names it in its pattern or its template. Adding or removing such a
/// triple changes nothing derived, and no derived triple can be one (asserting it would hide
/// it). Called once the rules are known to be star rules, whose predicates are all named.
fn is_inert(triple: &Triple, schema: &[Triple]) -> bool {
    let p = triple.predicate.as_str();
    if p == RDF_TYPE || p == "http://www.w3.org/2002/07/owl#sameAs" {
        return false;
    }
    let named = |term: &Term| matches!(term, Term::NamedNode(n) if n.as_str() == p);
    schema.iter().all(|t| {
        let subject_named = matches!(&t.subject, NamedOrBlankNode::NamedNode(n) if n.as_str() == p);
        let rule_names = t.predicate.as_str() == DERIVATION_RULE
            && match &t.object {
                Term::Literal(rule) => {
                    rule_predicates(rule.value()).is_none_or(|ps| ps.contains(p))
                }
                _ => true,
            };
        !subject_named && !named(&t.object) && !rule_names
    })
}

/// The predicates a CONSTRUCT names, in its template and its pattern ([`predicates_read`]);
/// `None` when it reads or writes a predicate it does not name.
fn rule_predicates(rule: &str) -> Option<HashSet<String>> {
    let Ok(spargebra::Query::Construct { template, .. }) =
        spargebra::SparqlParser::new().parse_query(rule)
    else {
        return None;
    };
    let mut names: HashSet<String> = predicates_read(rule)?
        .into_iter()
        .map(NamedNode::into_string)
        .collect();
    for triple in &template {
        match &triple.predicate {
            NamedNodePattern::NamedNode(n) => names.insert(n.as_str().to_owned()),
            NamedNodePattern::Variable(_) => return None,
        };
    }
    Some(names)
}

/// Most rounds of new centres [`derive_forwards`] follows before leaving the write to the
/// neighbourhood's recompute.
const MAX_FORWARD_ROUNDS: usize = 8;

/// For a write that only added triples (every touched triple is asserted now), what they
/// derive, found forwards: `None` when something was removed, or the rounds ran out.
///
/// Why it is exact: the rules are monotone, so adding triples only adds derived ones, each
/// with a derivation that uses a new triple. A built-in rule reads one data triple and the
/// schema; a star rule reads the triples of one centre, its subject. So every such derivation
/// happens on a scratch store holding the schema, the new triples and every triple whose
/// subject is a subject of a new triple (asserted or derived), a set that grows by rounds.
/// Unlike the neighbourhood's recompute it never reads the nodes pointing at what was
/// touched: a fact naming a hub reads the hub's own triples, not its thousands of facts.
/// A newly asserted triple that was derived leaves the derived graph.
fn derive_forwards(
    target: &mut dyn LocalTarget,
    touched: &[Triple],
    schema: &[Triple],
    node: &dyn Fn(&Term) -> bool,
) -> Result<Option<DerivedChange>, StoreError> {
    for triple in touched {
        if !target.is_asserted(triple)? {
            return Ok(None);
        }
    }
    let subject = |t: &Triple| Term::from(t.subject.clone());
    let mut input: HashSet<Triple> = touched.iter().cloned().collect();
    let mut centres: HashSet<Term> = HashSet::new();
    let mut pending: Vec<Term> = touched.iter().map(subject).filter(|s| node(s)).collect();
    for _ in 0..MAX_FORWARD_ROUNDS {
        for centre in std::mem::take(&mut pending) {
            if !centres.insert(centre.clone()) {
                continue;
            }
            let own = |t: &Triple| subject(t) == centre;
            input.extend(target.asserted_touching(&centre)?.into_iter().filter(own));
            input.extend(target.derived_touching(&centre)?.into_iter().filter(own));
        }
        let mut all: Vec<Triple> = schema.to_vec();
        all.extend(input.iter().cloned());
        let derived_here = target.with_scratch(&all, &mut |scratch| {
            recompute(scratch)?;
            scratch.derived_triples()
        })?;
        let mut added = Vec::new();
        for triple in derived_here {
            if input.contains(&triple) || target.contains(&triple)? {
                continue;
            }
            let about = subject(&triple);
            if !node(&about) {
                if matches!(about, Term::Literal(_)) {
                    continue;
                }
                // Something new about the vocabulary: the neighbourhood's recompute says why.
                return Ok(None);
            }
            if !centres.contains(&about) && !pending.contains(&about) {
                pending.push(about);
            }
            added.push(triple);
        }
        if pending.is_empty() {
            // Each subject's derived triples read once, however many new triples it has.
            let mut by_subject: HashMap<Term, Vec<&Triple>> = HashMap::new();
            for triple in touched {
                by_subject.entry(subject(triple)).or_default().push(triple);
            }
            let mut removed = Vec::new();
            for (about, triples) in by_subject {
                let derived: HashSet<Triple> =
                    target.derived_touching(&about)?.into_iter().collect();
                removed.extend(
                    triples
                        .into_iter()
                        .filter(|t| derived.contains(*t))
                        .cloned(),
                );
            }
            let mut change = DerivedChange { added, removed };
            change.added.sort_by_key(ToString::to_string);
            change.added.dedup();
            change.removed.sort_by_key(ToString::to_string);
            change.removed.dedup();
            target.remove_derived(&change.removed)?;
            target.insert_derived(&change.added)?;
            return Ok(Some(change));
        }
    }
    Ok(None)
}

/// What [`update`] did: the change it made, or why it could not keep the derived graph up to
/// date around the write (the caller then recomputes it, or refuses the write).
pub type Local = Result<DerivedChange, &'static str>;

/// Gives up on local maintenance, saying why in the log and to the caller.
fn fallback(reason: &'static str) -> Result<Local, StoreError> {
    tracing::debug!(
        reason,
        "the derived graph cannot be kept up to date locally"
    );
    Ok(Err(reason))
}

/// Whether a triple has an endpoint in `nodes`, the class of an rdf:type triple not counting.
fn touches(triple: &Triple, nodes: &HashSet<Term>) -> bool {
    ends(triple).iter().any(|end| nodes.contains(end))
}

/// A triple's endpoints: its subject, and its object unless it is the class of an rdf:type.
fn ends(triple: &Triple) -> Vec<Term> {
    let mut ends = vec![Term::from(triple.subject.clone())];
    if triple.predicate.as_str() != RDF_TYPE {
        ends.push(triple.object.clone());
    }
    ends
}

/// Whether a `dg:derivationRule` reads only the triples of one node: a CONSTRUCT whose WHERE
/// clause is made of triple and path patterns that all start from the same variable (or read
/// schema only), joined, united, filtered or extended, and nothing else (no GRAPH, EXISTS,
/// SERVICE, MINUS, VALUES, OPTIONAL, subquery). Such a rule derives triples between that node's
/// objects.
pub fn is_star(rule: &str) -> bool {
    let Ok(spargebra::Query::Construct { pattern, .. }) =
        spargebra::SparqlParser::new().parse_query(rule)
    else {
        return false;
    };
    let mut centre: Option<Variable> = None;
    star_pattern(&pattern, &mut centre)
}

fn star_pattern(pattern: &GraphPattern, centre: &mut Option<Variable>) -> bool {
    let mut same = |subject: &TermPattern| -> bool {
        let TermPattern::Variable(v) = subject else {
            return false;
        };
        match centre {
            Some(c) => c == v,
            None => {
                *centre = Some(v.clone());
                true
            }
        }
    };
    match pattern {
        // A pattern reading schema only (what spargebra makes of `a/rdfs:subClassOf*`: a
        // triple to a fresh variable, then a path over rdfs:subClassOf) costs nothing local.
        GraphPattern::Bgp { patterns } => patterns.iter().all(|p| match &p.predicate {
            NamedNodePattern::NamedNode(n) if SCHEMA_PREDICATES.contains(&n.as_str()) => true,
            NamedNodePattern::NamedNode(_) => same(&p.subject),
            NamedNodePattern::Variable(_) => false,
        }),
        GraphPattern::Path { subject, path, .. } => {
            schema_path(path) || (same(subject) && forward(path))
        }
        GraphPattern::Join { left, right } | GraphPattern::Union { left, right } => {
            star_pattern(left, centre) && star_pattern(right, centre)
        }
        // EXISTS in a filter or a BIND reads other triples: the debug form of spargebra's
        // expression tree names it, and no other part of an expression can.
        GraphPattern::Filter { expr, inner }
        | GraphPattern::Extend {
            expression: expr,
            inner,
            ..
        } => !format!("{expr:?}").contains("Exists(") && star_pattern(inner, centre),
        GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Project { inner, .. } => star_pattern(inner, centre),
        _ => false,
    }
}

/// Whether a path's first step leaves its subject forwards (so it reads the subject's own
/// triples first, and then only schema: `a/rdfs:subClassOf*`).
fn forward(path: &PropertyPathExpression) -> bool {
    match path {
        PropertyPathExpression::NamedNode(_) => true,
        PropertyPathExpression::Sequence(first, rest) => {
            matches!(**first, PropertyPathExpression::NamedNode(_)) && schema_path(rest)
        }
        _ => false,
    }
}

/// A path over schema predicates only, from a class onwards.
fn schema_path(path: &PropertyPathExpression) -> bool {
    match path {
        PropertyPathExpression::NamedNode(n) => SCHEMA_PREDICATES.contains(&n.as_str()),
        PropertyPathExpression::ZeroOrMore(p)
        | PropertyPathExpression::OneOrMore(p)
        | PropertyPathExpression::ZeroOrOne(p) => schema_path(p),
        PropertyPathExpression::Sequence(a, b) | PropertyPathExpression::Alternative(a, b) => {
            schema_path(a) && schema_path(b)
        }
        _ => false,
    }
}

const PREFIXES: &str = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> \
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> \
    PREFIX owl: <http://www.w3.org/2002/07/owl#> ";

/// The RDFS and OWL RL rules, by their names in the specifications, as SPARQL. This is their
/// definition: [`recompute`] applies all but prp-trp in Rust (see [`Schema`]), and
/// `tests/inference.rs` checks that it derives exactly what these CONSTRUCTs do.
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

/// The SPARQL prefixes [`BUILT_IN_RULES`] use.
pub const RULE_PREFIXES: &str = PREFIXES;

/// The most rounds a fixpoint may take. A round closes the data under the built-in rules,
/// then applies the SPARQL rules once. Our rules close in two rounds (the deal edges, then a
/// round that finds nothing new).
const MAX_ROUNDS: usize = 16;

/// What a recomputation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Derivation {
    pub triples: usize,
    pub rounds: usize,
}

const SUB_CLASS_OF: &str = "http://www.w3.org/2000/01/rdf-schema#subClassOf";
const SUB_PROPERTY_OF: &str = "http://www.w3.org/2000/01/rdf-schema#subPropertyOf";
const DOMAIN: &str = "http://www.w3.org/2000/01/rdf-schema#domain";
const RANGE: &str = "http://www.w3.org/2000/01/rdf-schema#range";
const RDFS_LITERAL: &str = "http://www.w3.org/2000/01/rdf-schema#Literal";
const INVERSE_OF: &str = "http://www.w3.org/2002/07/owl#inverseOf";
const SYMMETRIC: &str = "http://www.w3.org/2002/07/owl#SymmetricProperty";
const TRANSITIVE: &str = "http://www.w3.org/2002/07/owl#TransitiveProperty";

/// The schema as the built-in rules (all but prp-trp) read it, with the subclass and
/// subproperty chains followed once, so that each rule costs a map lookup per data triple.
/// Evaluating them as SPARQL CONSTRUCTs over the whole store again each round took 132 of the
/// 214 s of a million-triple load.
#[derive(Debug, Default)]
struct Schema {
    /// rdfs9: a class (any term an rdf:type points at) to every IRI its subClassOf+ reaches.
    superclasses: HashMap<Term, Vec<NamedNode>>,
    /// rdfs7: a property to every IRI its subPropertyOf+ reaches.
    superproperties: HashMap<NamedNode, Vec<NamedNode>>,
    /// rdfs2 and rdfs3 (rdfs:Literal left out).
    domains: HashMap<NamedNode, Vec<NamedNode>>,
    ranges: HashMap<NamedNode, Vec<NamedNode>>,
    /// prp-inv1 and prp-inv2: `p owl:inverseOf q` makes `x p y` give `y q x` and `x q y`
    /// give `y p x`; both directions are kept here.
    inverses: HashMap<NamedNode, Vec<NamedNode>>,
    symmetric: HashSet<NamedNode>,
    /// Whether some property is transitive: prp-trp joins two data triples, so it stays SPARQL.
    transitive: bool,
}

impl Schema {
    /// The asserted schema, and whatever schema triples the rules have derived so far.
    fn read(target: &dyn RuleTarget, found: &Found) -> Result<Schema, StoreError> {
        let mut triples = target.schema()?;
        triples.extend(found.derived.iter().filter(|t| is_schema(t)).cloned());
        let mut schema = Schema::default();
        let mut class_edges: HashMap<Term, Vec<Term>> = HashMap::new();
        let mut property_edges: HashMap<Term, Vec<Term>> = HashMap::new();
        for triple in &triples {
            let subject = Term::from(triple.subject.clone());
            let named = |term: &Term| match term {
                Term::NamedNode(n) => Some(n.clone()),
                _ => None,
            };
            match triple.predicate.as_str() {
                SUB_CLASS_OF => class_edges
                    .entry(subject)
                    .or_default()
                    .push(triple.object.clone()),
                SUB_PROPERTY_OF => property_edges
                    .entry(subject)
                    .or_default()
                    .push(triple.object.clone()),
                DOMAIN | RANGE => {
                    if let (NamedOrBlankNode::NamedNode(p), Some(c)) =
                        (&triple.subject, named(&triple.object))
                    {
                        if triple.predicate.as_str() == DOMAIN {
                            schema.domains.entry(p.clone()).or_default().push(c);
                        } else if c.as_str() != RDFS_LITERAL {
                            schema.ranges.entry(p.clone()).or_default().push(c);
                        }
                    }
                }
                INVERSE_OF => {
                    if let (NamedOrBlankNode::NamedNode(p), Some(q)) =
                        (&triple.subject, named(&triple.object))
                    {
                        schema
                            .inverses
                            .entry(p.clone())
                            .or_default()
                            .push(q.clone());
                        schema.inverses.entry(q).or_default().push(p.clone());
                    }
                }
                RDF_TYPE => match (&triple.subject, triple.object.as_ref()) {
                    (NamedOrBlankNode::NamedNode(p), oxigraph::model::TermRef::NamedNode(c))
                        if c.as_str() == SYMMETRIC =>
                    {
                        schema.symmetric.insert(p.clone());
                    }
                    (_, oxigraph::model::TermRef::NamedNode(c)) if c.as_str() == TRANSITIVE => {
                        schema.transitive = true;
                    }
                    _ => {}
                },
                _ => {}
            }
        }
        for start in class_edges.keys() {
            let reached = reachable(start, &class_edges);
            if !reached.is_empty() {
                schema.superclasses.insert(start.clone(), reached);
            }
        }
        for start in property_edges.keys() {
            if let Term::NamedNode(p) = start {
                let reached = reachable(start, &property_edges);
                if !reached.is_empty() {
                    schema.superproperties.insert(p.clone(), reached);
                }
            }
        }
        Ok(schema)
    }

    /// The predicates whose triples some built-in rule reads, and those it writes: reading
    /// them all once tells which consequences are asserted already without a lookup each.
    fn predicates(&self) -> Vec<NamedNode> {
        let mut predicates: HashSet<NamedNode> = HashSet::new();
        if !self.superclasses.is_empty() || !self.domains.is_empty() || !self.ranges.is_empty() {
            predicates.insert(NamedNode::new_unchecked(RDF_TYPE));
        }
        for (p, qs) in self.superproperties.iter().chain(&self.inverses) {
            predicates.insert(p.clone());
            predicates.extend(qs.iter().cloned());
        }
        predicates.extend(self.domains.keys().cloned());
        predicates.extend(self.ranges.keys().cloned());
        predicates.extend(self.symmetric.iter().cloned());
        let mut predicates: Vec<NamedNode> = predicates.into_iter().collect();
        predicates.sort();
        predicates
    }

    /// What the built-in rules (but prp-trp) derive from one triple and the schema alone.
    fn consequences(&self, triple: &Triple, out: &mut Vec<Triple>) {
        let rdf_type = || NamedNode::new_unchecked(RDF_TYPE);
        let p = &triple.predicate;
        let x = &triple.subject;
        let y = &triple.object;
        let y_subject: Option<NamedOrBlankNode> = match y {
            Term::NamedNode(n) => Some(n.clone().into()),
            Term::BlankNode(b) => Some(b.clone().into()),
            _ => None,
        };
        if p.as_str() == RDF_TYPE
            && let Some(classes) = self.superclasses.get(y)
        {
            for d in classes {
                out.push(Triple::new(x.clone(), rdf_type(), d.clone()));
            }
        }
        for q in self.superproperties.get(p).into_iter().flatten() {
            out.push(Triple::new(x.clone(), q.clone(), y.clone()));
        }
        for c in self.domains.get(p).into_iter().flatten() {
            out.push(Triple::new(x.clone(), rdf_type(), c.clone()));
        }
        if let Some(y) = &y_subject {
            for c in self.ranges.get(p).into_iter().flatten() {
                out.push(Triple::new(y.clone(), rdf_type(), c.clone()));
            }
            for q in self.inverses.get(p).into_iter().flatten() {
                out.push(Triple::new(y.clone(), q.clone(), Term::from(x.clone())));
            }
            if self.symmetric.contains(p) {
                out.push(Triple::new(y.clone(), p.clone(), Term::from(x.clone())));
            }
        }
    }
}

/// The IRIs reachable from `start` in one or more steps (`+`: `start` itself only on a cycle).
fn reachable(start: &Term, edges: &HashMap<Term, Vec<Term>>) -> Vec<NamedNode> {
    let mut seen: HashSet<&Term> = HashSet::new();
    let mut stack: Vec<&Term> = edges.get(start).into_iter().flatten().collect();
    while let Some(node) = stack.pop() {
        if seen.insert(node) {
            stack.extend(edges.get(node).into_iter().flatten());
        }
    }
    let mut reached: Vec<NamedNode> = seen
        .into_iter()
        .filter_map(|t| match t {
            Term::NamedNode(n) => Some(n.clone()),
            _ => None,
        })
        .collect();
    reached.sort();
    reached
}

/// The derived triples found so far, and what is known to be asserted: every triple of the
/// `read` predicates, and the candidates of other predicates found in the store, so that no
/// candidate is looked up twice and most are not looked up at all.
#[derive(Default)]
struct Found {
    derived: HashSet<Triple>,
    asserted: HashSet<Triple>,
    read: HashSet<NamedNode>,
}

impl Found {
    /// Whether `triple` is new: neither derived already nor in the store.
    fn is_new(&mut self, target: &dyn RuleTarget, triple: &Triple) -> Result<bool, StoreError> {
        if self.derived.contains(triple) || self.asserted.contains(triple) {
            return Ok(false);
        }
        if !self.read.contains(&triple.predicate) && target.contains(triple)? {
            self.asserted.insert(triple.clone());
            return Ok(false);
        }
        self.derived.insert(triple.clone());
        Ok(true)
    }
}

/// Closes `start` under the built-in rules (but prp-trp): every new consequence, and theirs.
/// Returns the new triples; each is added to `found`.
fn close(
    schema: &Schema,
    start: Vec<Triple>,
    target: &dyn RuleTarget,
    found: &mut Found,
) -> Result<Vec<Triple>, StoreError> {
    let mut new = Vec::new();
    let mut queue = start;
    let mut consequences = Vec::new();
    // Bounded: a triple enters the queue only when it is new to `found`, and the rules make
    // triples only out of the terms already there.
    while let Some(triple) = queue.pop() {
        consequences.clear();
        schema.consequences(&triple, &mut consequences);
        for consequence in consequences.drain(..) {
            if found.is_new(target, &consequence)? {
                new.push(consequence.clone());
                queue.push(consequence);
            }
        }
    }
    Ok(new)
}

/// Rebuilds the derived graph from scratch: empties it, then applies every rule until nothing
/// new appears. Triples already asserted in another graph are not repeated in it.
///
/// Semi-naive: the built-in rules read one data triple each, so they run in Rust over every
/// triple once, as a worklist. The SPARQL rules (each `dg:derivationRule`, and prp-trp when
/// some property is transitive) run over the whole store each round, and only what they find
/// new goes through the worklist again. A derived schema triple changes what the built-in
/// rules do: the schema is then read again and every triple goes through it again.
pub fn recompute(target: &mut dyn RuleTarget) -> Result<Derivation, StoreError> {
    target.clear_derived()?;
    let mut rules: Vec<String> = Vec::new();
    for rule in target.select_column(
        "SELECT DISTINCT ?rule WHERE { ?p <https://w3id.org/dealgraph/ontology#derivationRule> ?rule }",
        "rule",
    )? {
        if let Term::Literal(rule) = rule {
            rules.push(rule.value().to_owned());
        }
    }
    let mut found = Found::default();
    let mut schema = Schema::read(target, &found)?;
    let transitive_rule = BUILT_IN_RULES
        .iter()
        .find(|(name, _)| *name == "prp-trp")
        .map(|(_, rule)| format!("{PREFIXES}{rule}"));
    let mut derivation = Derivation::default();
    let started = std::time::Instant::now();
    let mut start = every_triple_read(&schema, target, &mut found)?;
    tracing::debug!(
        triples = start.len(),
        ms = started.elapsed().as_millis() as u64,
        "read what the built-in rules read"
    );
    // The predicates the SPARQL rules read, when each names all of its own.
    let rules_read: Option<HashSet<NamedNode>> = rules
        .iter()
        .map(|rule| predicates_read(rule))
        .try_fold(HashSet::new(), |mut all, read| {
            all.extend(read?);
            Some(all)
        });
    // Whether the SPARQL rules have seen everything derived so far.
    let mut rules_current = false;
    for round in 1..=MAX_ROUNDS {
        derivation.rounds = round;
        let started = std::time::Instant::now();
        // What the SPARQL rules found last round, unless schema: they need not run again for
        // it unless they read one of its predicates.
        let unseen_by_rules = |triples: &[Triple]| match &rules_read {
            Some(read) => triples.iter().any(|t| read.contains(&t.predicate)),
            None => !triples.is_empty(),
        };
        rules_current = rules_current && !unseen_by_rules(&start);
        let closed = close(&schema, std::mem::take(&mut start), target, &mut found)?;
        rules_current = rules_current && !unseen_by_rules(&closed);
        let schema_grew = closed.iter().any(is_schema);
        let closed_count = closed.len();
        insert(target, closed, &mut derivation)?;
        tracing::debug!(
            round,
            closed_count,
            ms = started.elapsed().as_millis() as u64,
            "built-in rules applied"
        );
        let started = std::time::Instant::now();
        if schema_grew {
            schema = Schema::read(target, &found)?;
            start = every_triple_read(&schema, target, &mut found)?;
            continue;
        }
        if rules_current && !schema.transitive {
            tracing::debug!(round, "nothing new reaches the SPARQL rules");
            return Ok(derivation);
        }
        let mut new: Vec<Triple> = Vec::new();
        let transitive = transitive_rule.as_ref().filter(|_| schema.transitive);
        for rule in rules.iter().chain(transitive) {
            for triple in target.construct(rule).map_err(|e| match e {
                StoreError::SparqlSyntax(m) => {
                    StoreError::BadRequest(format!("a dg:derivationRule does not parse: {m}"))
                }
                other => other,
            })? {
                if found.is_new(target, &triple)? {
                    new.push(triple);
                }
            }
        }
        tracing::debug!(
            round,
            found = new.len(),
            ms = started.elapsed().as_millis() as u64,
            "SPARQL rules applied"
        );
        if new.is_empty() {
            return Ok(derivation);
        }
        let schema_grew = new.iter().any(is_schema);
        insert(target, new.clone(), &mut derivation)?;
        if schema_grew {
            schema = Schema::read(target, &found)?;
            start = every_triple_read(&schema, target, &mut found)?;
            rules_current = false;
        } else {
            start = new;
            rules_current = true;
        }
    }
    Err(StoreError::Storage(format!(
        "the derivation rules did not reach a fixpoint in {MAX_ROUNDS} rounds"
    )))
}

/// The predicates a SPARQL rule's WHERE clause reads, or `None` when that cannot be told (a
/// variable predicate, a negated property set, EXISTS, or a form this does not follow).
fn predicates_read(rule: &str) -> Option<HashSet<NamedNode>> {
    let Ok(spargebra::Query::Construct { pattern, .. }) =
        spargebra::SparqlParser::new().parse_query(rule)
    else {
        return None;
    };
    let mut read = HashSet::new();
    pattern_reads(&pattern, &mut read).then_some(read)
}

fn pattern_reads(pattern: &GraphPattern, read: &mut HashSet<NamedNode>) -> bool {
    match pattern {
        GraphPattern::Bgp { patterns } => patterns.iter().all(|p| match &p.predicate {
            NamedNodePattern::NamedNode(n) => {
                read.insert(n.clone());
                true
            }
            NamedNodePattern::Variable(_) => false,
        }),
        GraphPattern::Path { path, .. } => path_reads(path, read),
        GraphPattern::Join { left, right } | GraphPattern::Union { left, right } => {
            pattern_reads(left, read) && pattern_reads(right, read)
        }
        GraphPattern::Filter { expr, inner }
        | GraphPattern::Extend {
            expression: expr,
            inner,
            ..
        } => !format!("{expr:?}").contains("Exists(") && pattern_reads(inner, read),
        GraphPattern::Distinct { inner }
        | GraphPattern::Reduced { inner }
        | GraphPattern::Project { inner, .. } => pattern_reads(inner, read),
        _ => false,
    }
}

fn path_reads(path: &PropertyPathExpression, read: &mut HashSet<NamedNode>) -> bool {
    match path {
        PropertyPathExpression::NamedNode(n) => {
            read.insert(n.clone());
            true
        }
        PropertyPathExpression::Reverse(p)
        | PropertyPathExpression::ZeroOrMore(p)
        | PropertyPathExpression::OneOrMore(p)
        | PropertyPathExpression::ZeroOrOne(p) => path_reads(p, read),
        PropertyPathExpression::Sequence(a, b) | PropertyPathExpression::Alternative(a, b) => {
            path_reads(a, read) && path_reads(b, read)
        }
        PropertyPathExpression::NegatedPropertySet(_) => false,
    }
}

/// Every triple (asserted or derived so far) of a predicate the built-in rules read or write;
/// the asserted ones are noted in `found`.
fn every_triple_read(
    schema: &Schema,
    target: &dyn RuleTarget,
    found: &mut Found,
) -> Result<Vec<Triple>, StoreError> {
    let mut triples = Vec::new();
    for predicate in schema.predicates() {
        let read = target.with_predicate(&predicate)?;
        // The derived graph holds exactly `found.derived`: the rest is asserted.
        for triple in &read {
            if !found.derived.contains(triple) {
                found.asserted.insert(triple.clone());
            }
        }
        found.read.insert(predicate);
        triples.extend(read);
    }
    Ok(triples)
}

/// Writes a batch of new derived triples.
fn insert(
    target: &mut dyn RuleTarget,
    batch: Vec<Triple>,
    derivation: &mut Derivation,
) -> Result<(), StoreError> {
    if batch.is_empty() {
        return Ok(());
    }
    derivation.triples += batch.len();
    target.insert_derived(&batch)
}

#[cfg(test)]
mod star_tests {
    use super::is_star;

    #[test]
    fn the_ontology_rules_are_stars_and_others_are_not() {
        let ontology = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ontology/dealgraph.ttl"),
        )
        .unwrap();
        let rules: Vec<&str> = ontology
            .split("dg:derivationRule \"\"\"")
            .skip(1)
            .map(|r| r.split("\"\"\"").next().unwrap())
            .collect();
        assert!(rules.len() >= 10, "{}", rules.len());
        for rule in rules {
            assert!(is_star(rule), "not a star: {rule}");
        }
        for rule in [
            // Two nodes joined: ?a's triples and ?b's.
            "CONSTRUCT { ?a <http://e/p> ?c } WHERE { ?a <http://e/q> ?b . ?b <http://e/q> ?c }",
            // Reads the node's incoming triples.
            "CONSTRUCT { ?a <http://e/p> ?b } WHERE { ?d <http://e/q> ?a ; <http://e/r> ?b . ?x <http://e/s> ?d }",
            "CONSTRUCT { ?a <http://e/p> ?b } WHERE { ?d <http://e/q> ?a FILTER EXISTS { ?a <http://e/r> ?b } }",
            "CONSTRUCT { ?a <http://e/p> ?b } WHERE { GRAPH ?g { ?d <http://e/q> ?a ; <http://e/r> ?b } }",
            "CONSTRUCT { ?a <http://e/p> ?b } WHERE { ?d ?anything ?a ; <http://e/r> ?b }",
            "CONSTRUCT { ?a <http://e/p> ?b } WHERE { ?d <http://e/q> ?a OPTIONAL { ?a <http://e/r> ?b } }",
        ] {
            assert!(!is_star(rule), "a star: {rule}");
        }
        // A star, to show the negatives above fail for their reason and not for their syntax.
        assert!(is_star(
            "CONSTRUCT { ?a <http://e/p> ?b } WHERE { ?d <http://e/q> ?a ; <http://e/r> ?b FILTER(?a != ?b) }"
        ));
    }
}

#[cfg(test)]
mod inert_tests {
    use super::{DERIVATION_RULE, is_inert};
    use oxigraph::model::{Literal, NamedNode, Triple};

    fn iri(s: &str) -> NamedNode {
        NamedNode::new_unchecked(format!("https://example.org/{s}"))
    }

    #[test]
    fn a_triple_is_inert_only_when_no_schema_triple_nor_rule_names_its_predicate() {
        let comment = Triple::new(iri("x"), iri("comment"), Literal::from("hello"));
        assert!(is_inert(&comment, &[]));
        let domain = Triple::new(
            iri("comment"),
            NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#domain"),
            iri("Thing"),
        );
        assert!(!is_inert(&comment, &[domain]));
        let superproperty = Triple::new(
            iri("note"),
            NamedNode::new_unchecked("http://www.w3.org/2000/01/rdf-schema#subPropertyOf"),
            iri("comment"),
        );
        assert!(!is_inert(&comment, &[superproperty]));
        let rule = |text: &str| {
            Triple::new(
                iri("rule"),
                NamedNode::new_unchecked(DERIVATION_RULE),
                Literal::from(text),
            )
        };
        let reads = rule(
            "CONSTRUCT { ?x <https://example.org/said> ?c } WHERE { ?x <https://example.org/comment> ?c }",
        );
        assert!(!is_inert(&comment, &[reads]));
        let writes = rule(
            "CONSTRUCT { ?x <https://example.org/comment> ?c } WHERE { ?x <https://example.org/said> ?c }",
        );
        assert!(!is_inert(&comment, &[writes]));
        let elsewhere = rule(
            "CONSTRUCT { ?x <https://example.org/a> ?c } WHERE { ?x <https://example.org/b> ?c }",
        );
        assert!(is_inert(&comment, &[elsewhere]));
        let any = rule("CONSTRUCT { ?x <https://example.org/a> ?c } WHERE { ?x ?p ?c }");
        assert!(!is_inert(&comment, &[any]));
        let typed = Triple::new(
            iri("x"),
            NamedNode::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            iri("Thing"),
        );
        assert!(!is_inert(&typed, &[]));
    }
}
