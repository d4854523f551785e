//! SHACL Core validation: reads the shapes of a shapes graph and checks data against them by
//! running SPARQL SELECT queries on whatever the caller can query (the store, or a write
//! transaction before it commits), so that no copy of the data is ever made.
//!
//! This module owns the subset of [SHACL Core](https://www.w3.org/TR/shacl/) that dealgraph's
//! shapes (`ontology/shapes.ttl`) need: the four explicit targets and implicit class targets,
//! predicate paths and `sh:inversePath`, and the components `sh:minCount`, `sh:maxCount`,
//! `sh:datatype`, `sh:class`, `sh:nodeKind`, `sh:in`, `sh:hasValue`, `sh:pattern`, `sh:or`,
//! `sh:node` and `sh:property`, with `sh:message` and `sh:deactivated`.
//! Anything else in a shapes graph is refused as [`StoreError::BadRequest`] when the shapes are
//! read, so that no constraint is ever silently ignored.
//! It knows nothing of HTTP, never writes, and names oxigraph's `Store` only to implement
//! [`SelectSource`] for it.
//!
//! Every constraint of a shape becomes one SELECT that returns only the violations, so the cost
//! grows with the data, not with one query per focus node. `sh:node` and `sh:or` are compiled
//! into a SPARQL boolean expression ("does this term conform to that shape?") evaluated inside
//! the same query.

use crate::store::StoreError;
use oxigraph::model::vocab::{rdf, rdfs, xsd};
use oxigraph::model::{
    BlankNode, Graph, Literal, NamedNode, NamedNodeRef, NamedOrBlankNode, NamedOrBlankNodeRef,
    Term, TermRef, TripleRef,
};
use oxigraph::sparql::{QueryEvaluationError, QueryResults, QuerySolution, SparqlEvaluator};
use oxigraph::store::Store;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Runs SPARQL SELECT queries over the data being validated. The caller decides what the default
/// graph is (dealgraph passes the union of all graphs, ontology included, so that sh:targetClass
/// reaches instances of subclasses through rdfs:subClassOf triples).
pub trait SelectSource {
    fn select(&self, query: &str) -> Result<Vec<QuerySolution>, StoreError>;
}

/// The store's data with the union of all its graphs as the default graph.
impl SelectSource for Store {
    fn select(&self, query: &str) -> Result<Vec<QuerySolution>, StoreError> {
        // The queries are ours: one that does not parse is our bug, not the caller's input.
        let mut prepared = SparqlEvaluator::new()
            .parse_query(query)
            .map_err(|e| StoreError::Storage(format!("a validation query does not parse: {e}")))?;
        prepared.dataset_mut().set_default_graph_as_union();
        match prepared.on_store(self).execute().map_err(failure)? {
            QueryResults::Solutions(solutions) => {
                solutions.collect::<Result<Vec<_>, _>>().map_err(failure)
            }
            _ => Err(StoreError::Storage(
                "a validation query is not a SELECT".to_owned(),
            )),
        }
    }
}

/// An evaluation error of one of our queries: the input was the shapes and the data, both
/// already accepted, so what oxigraph calls a bad request is a failure of ours here.
fn failure(e: QueryEvaluationError) -> StoreError {
    match StoreError::from(e) {
        StoreError::BadRequest(message) => {
            StoreError::Storage(format!("a validation query failed: {message}"))
        }
        other => other,
    }
}

/// The SHACL namespace and the terms of it that this module reads or writes.
const SH: &str = "http://www.w3.org/ns/shacl#";

mod sh {
    use oxigraph::model::NamedNodeRef;

    const fn term(iri: &'static str) -> NamedNodeRef<'static> {
        NamedNodeRef::new_unchecked(iri)
    }

    pub const NODE_SHAPE: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#NodeShape");
    pub const PROPERTY_SHAPE: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#PropertyShape");
    pub const TARGET_CLASS: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#targetClass");
    pub const TARGET_NODE: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#targetNode");
    pub const TARGET_SUBJECTS_OF: NamedNodeRef<'_> =
        term("http://www.w3.org/ns/shacl#targetSubjectsOf");
    pub const TARGET_OBJECTS_OF: NamedNodeRef<'_> =
        term("http://www.w3.org/ns/shacl#targetObjectsOf");
    pub const INVERSE_PATH: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#inversePath");
    pub const VALIDATION_REPORT: NamedNodeRef<'_> =
        term("http://www.w3.org/ns/shacl#ValidationReport");
    pub const VALIDATION_RESULT: NamedNodeRef<'_> =
        term("http://www.w3.org/ns/shacl#ValidationResult");
    pub const CONFORMS: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#conforms");
    pub const RESULT: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#result");
    pub const FOCUS_NODE: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#focusNode");
    pub const RESULT_PATH: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#resultPath");
    pub const VALUE: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#value");
    pub const SOURCE_CONSTRAINT_COMPONENT: NamedNodeRef<'_> =
        term("http://www.w3.org/ns/shacl#sourceConstraintComponent");
    pub const SOURCE_SHAPE: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#sourceShape");
    pub const RESULT_MESSAGE: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#resultMessage");
    pub const RESULT_SEVERITY: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#resultSeverity");
    pub const VIOLATION: NamedNodeRef<'_> = term("http://www.w3.org/ns/shacl#Violation");
}

const OWL_CLASS: NamedNodeRef<'_> =
    NamedNodeRef::new_unchecked("http://www.w3.org/2002/07/owl#Class");
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

/// "Is a SHACL instance of", as a SPARQL property path: typed with the class or a subclass of it.
const INSTANCE_OF: &str = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>*";

/// How deep shapes may nest through sh:property, sh:node and sh:or. Our shapes nest three deep;
/// the limit keeps generated queries small and turns a runaway shapes graph into a clear error.
const MAX_NESTING: usize = 16;

/// The largest sh:minCount or sh:maxCount accepted inside sh:node or sh:or, where counting is
/// written as a join of that many distinct values (SPARQL has no correlated COUNT in FILTER).
const MAX_NESTED_COUNT: u64 = 7;

type ShapeId = usize;

/// A property path: a predicate IRI, or `[ sh:inversePath IRI ]`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Path {
    Predicate(NamedNode),
    Inverse(NamedNode),
}

impl Path {
    /// The triple pattern linking `subject` to `object` through this path.
    fn triple(&self, subject: &str, object: &str) -> String {
        match self {
            Self::Predicate(p) => format!("{subject} {p} {object} ."),
            Self::Inverse(p) => format!("{object} {p} {subject} ."),
        }
    }

    fn predicate(&self) -> &NamedNode {
        match self {
            Self::Predicate(p) | Self::Inverse(p) => p,
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Predicate(p) => write!(f, "{p}"),
            Self::Inverse(p) => write!(f, "^{p}"),
        }
    }
}

/// One declaration of which nodes a shape validates.
#[derive(Debug, Clone)]
enum Target {
    /// sh:targetClass, and the implicit class target of a shape that is also a class.
    Class(NamedNode),
    Node(Term),
    SubjectsOf(NamedNode),
    ObjectsOf(NamedNode),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Iri,
    BlankNode,
    Literal,
    BlankNodeOrIri,
    BlankNodeOrLiteral,
    IriOrLiteral,
}

impl NodeKind {
    fn from_local_name(name: &str) -> Option<Self> {
        Some(match name {
            "IRI" => Self::Iri,
            "BlankNode" => Self::BlankNode,
            "Literal" => Self::Literal,
            "BlankNodeOrIRI" => Self::BlankNodeOrIri,
            "BlankNodeOrLiteral" => Self::BlankNodeOrLiteral,
            "IRIOrLiteral" => Self::IriOrLiteral,
            _ => return None,
        })
    }

    fn local_name(self) -> &'static str {
        match self {
            Self::Iri => "IRI",
            Self::BlankNode => "BlankNode",
            Self::Literal => "Literal",
            Self::BlankNodeOrIri => "BlankNodeOrIRI",
            Self::BlankNodeOrLiteral => "BlankNodeOrLiteral",
            Self::IriOrLiteral => "IRIOrLiteral",
        }
    }

    fn expression(self, v: &str) -> String {
        match self {
            Self::Iri => format!("isIRI({v})"),
            Self::BlankNode => format!("isBlank({v})"),
            Self::Literal => format!("isLiteral({v})"),
            Self::BlankNodeOrIri => format!("(isBlank({v}) || isIRI({v}))"),
            Self::BlankNodeOrLiteral => format!("(isBlank({v}) || isLiteral({v}))"),
            Self::IriOrLiteral => format!("(isIRI({v}) || isLiteral({v}))"),
        }
    }
}

/// A constraint that each value node passes or fails on its own.
#[derive(Debug, Clone)]
enum ValueConstraint {
    Datatype(NamedNode),
    Class(NamedNode),
    NodeKind(NodeKind),
    In(Vec<Term>),
    Pattern { pattern: String, flags: String },
    Node(ShapeId),
    Or(Vec<ShapeId>),
}

#[derive(Debug, Clone)]
enum Constraint {
    MinCount(u64),
    MaxCount(u64),
    HasValue(Term),
    Value(ValueConstraint),
}

impl Constraint {
    fn component_local_name(&self) -> &'static str {
        match self {
            Self::MinCount(_) => "MinCountConstraintComponent",
            Self::MaxCount(_) => "MaxCountConstraintComponent",
            Self::HasValue(_) => "HasValueConstraintComponent",
            Self::Value(ValueConstraint::Datatype(_)) => "DatatypeConstraintComponent",
            Self::Value(ValueConstraint::Class(_)) => "ClassConstraintComponent",
            Self::Value(ValueConstraint::NodeKind(_)) => "NodeKindConstraintComponent",
            Self::Value(ValueConstraint::In(_)) => "InConstraintComponent",
            Self::Value(ValueConstraint::Pattern { .. }) => "PatternConstraintComponent",
            Self::Value(ValueConstraint::Node(_)) => "NodeConstraintComponent",
            Self::Value(ValueConstraint::Or(_)) => "OrConstraintComponent",
        }
    }

    fn component(&self) -> NamedNode {
        NamedNode::new_unchecked(format!("{SH}{}", self.component_local_name()))
    }
}

/// A node shape (no path) or a property shape (with one).
#[derive(Debug, Clone)]
struct Shape {
    id: NamedOrBlankNode,
    targets: Vec<Target>,
    path: Option<Path>,
    constraints: Vec<Constraint>,
    /// The shapes of sh:property: validated against this shape's value nodes.
    properties: Vec<ShapeId>,
    message: Option<String>,
    deactivated: bool,
}

impl Shape {
    fn new(id: NamedOrBlankNode) -> Self {
        Self {
            id,
            targets: Vec::new(),
            path: None,
            constraints: Vec::new(),
            properties: Vec::new(),
            message: None,
            deactivated: false,
        }
    }

    /// The shapes this one refers to, whose nesting is bounded.
    fn children(&self) -> impl Iterator<Item = ShapeId> + '_ {
        self.properties
            .iter()
            .copied()
            .chain(self.constraints.iter().flat_map(|c| match c {
                Constraint::Value(ValueConstraint::Node(id)) => vec![*id],
                Constraint::Value(ValueConstraint::Or(ids)) => ids.clone(),
                _ => Vec::new(),
            }))
    }
}

/// The shapes of a shapes graph, ready to validate data.
#[derive(Debug, Clone)]
pub struct Shapes {
    shapes: Vec<Shape>,
    /// The shapes with targets, where validation starts.
    roots: Vec<ShapeId>,
}

impl Shapes {
    /// Reads every shape of a shapes graph. An unsupported constraint component or a malformed
    /// shape is StoreError::BadRequest naming the shape and the component.
    ///
    /// The shapes read are the nodes typed sh:NodeShape or sh:PropertyShape, the subjects of a
    /// target, and every shape these reach through sh:property, sh:node and sh:or.
    pub fn from_graph(graph: &Graph) -> Result<Self, StoreError> {
        let mut reader = Reader {
            graph,
            shapes: Vec::new(),
            index: HashMap::new(),
            pending: Vec::new(),
        };
        let mut declared: Vec<NamedOrBlankNode> = Vec::new();
        for class in [sh::NODE_SHAPE, sh::PROPERTY_SHAPE] {
            declared.extend(
                graph
                    .subjects_for_predicate_object(rdf::TYPE, class)
                    .map(NamedOrBlankNodeRef::into_owned),
            );
        }
        for target in [
            sh::TARGET_CLASS,
            sh::TARGET_NODE,
            sh::TARGET_SUBJECTS_OF,
            sh::TARGET_OBJECTS_OF,
        ] {
            declared.extend(
                graph
                    .triples_for_predicate(target)
                    .map(|t| t.subject.into_owned()),
            );
        }
        // Sorted so that shapes, and so queries and results, come in the same order every time.
        declared.sort_by_cached_key(ToString::to_string);
        declared.dedup();
        for node in declared {
            reader.intern(node);
        }
        while let Some(id) = reader.pending.pop() {
            reader.read(id)?;
        }
        let shapes = reader.shapes;
        for shape in &shapes {
            for &property in &shape.properties {
                if shapes[property].path.is_none() {
                    return Err(malformed(
                        &shape.id,
                        format!("its sh:property {} has no sh:path", shapes[property].id),
                    ));
                }
            }
        }
        check_nesting(&shapes)?;
        // Compile every sh:node and sh:or once, so that what cannot be expressed is reported
        // now rather than at the first validation.
        for shape in &shapes {
            for constraint in &shape.constraints {
                if let Constraint::Value(
                    nested @ (ValueConstraint::Node(_) | ValueConstraint::Or(_)),
                ) = constraint
                {
                    Builder::new(&shapes).value_ok(nested, "?x")?;
                }
            }
        }
        check_patterns(&shapes)?;
        let mut roots: Vec<ShapeId> = (0..shapes.len())
            .filter(|&id| !shapes[id].targets.is_empty())
            .collect();
        roots.sort_by_cached_key(|&id| shapes[id].id.to_string());
        Ok(Self { shapes, roots })
    }

    /// Number of shapes read (node shapes with targets plus the shapes they reference).
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }

    /// Validates the data; every violation is returned, none is dropped.
    pub fn validate(&self, data: &dyn SelectSource) -> Result<ValidationReport, StoreError> {
        self.validate_within(data, None)
    }

    /// Validates the data as [`Self::validate`] does, several shapes at a time, one per core:
    /// the source must be readable from several threads at once (a store, not a transaction).
    /// A bulk load's check of a million triples ran 366 queries one after the other.
    pub fn validate_in_parallel(
        &self,
        data: &(dyn SelectSource + Sync),
    ) -> Result<ValidationReport, StoreError> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(self.roots.len())
            .max(1);
        let mut results = Vec::new();
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut results = Vec::new();
                        // Each worker takes the next shape not yet taken: the shapes' costs vary
                        // a hundredfold.
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(&root) = self.roots.get(i) else {
                                return Ok(results);
                            };
                            let targets = &self.shapes[root].targets;
                            self.validate_shape(root, Focus::Targets(targets), data, &mut results)?;
                        }
                    })
                })
                .collect();
            for worker in workers {
                results.extend(worker.join().unwrap_or_else(|_| {
                    Err(StoreError::Storage("a shape check panicked".to_owned()))
                })?);
            }
            Ok::<_, StoreError>(())
        })?;
        results.sort_by_cached_key(ValidationResult::sort_key);
        Ok(ValidationReport { results })
    }

    /// Validates the focus nodes among `nodes` (IRIs), or all of them for `None`.
    pub fn validate_within(
        &self,
        data: &dyn SelectSource,
        nodes: Option<&[Term]>,
    ) -> Result<ValidationReport, StoreError> {
        let mut results = Vec::new();
        if nodes.is_some_and(<[Term]>::is_empty) {
            return Ok(ValidationReport { results });
        }
        for &root in &self.roots {
            let targets = &self.shapes[root].targets;
            let Some(nodes) = nodes else {
                self.validate_shape(root, Focus::Targets(targets), data, &mut results)?;
                continue;
            };
            // The listed nodes this shape targets, found once: most shapes target none of a
            // write's few nodes, and then run no query at all.
            let mut builder = Builder::new(&self.shapes);
            let query = format!(
                "SELECT ?focus WHERE {{ {} }}",
                builder.enumerate(Focus::Within(nodes, targets), "?focus")
            );
            let focus_nodes: Vec<Term> = data
                .select(&query)?
                .iter()
                .filter_map(|row| row.get("focus").cloned())
                .collect();
            if !focus_nodes.is_empty() {
                self.validate_shape(
                    root,
                    Focus::Within(&focus_nodes, targets),
                    data,
                    &mut results,
                )?;
            }
        }
        results.sort_by_cached_key(ValidationResult::sort_key);
        Ok(ValidationReport { results })
    }

    /// The predicates whose triples, when they change on a node, can change whether the nodes
    /// next to it conform: those the shapes read on value nodes, one step from a focus node
    /// (rdf:type for sh:class, the paths of shapes nested on values). `None` when the shapes read
    /// further than one step, where a write's neighbourhood would not be enough.
    pub fn value_predicates(&self) -> Option<HashSet<NamedNode>> {
        let mut found: HashSet<(NamedNode, usize)> = HashSet::new();
        for &root in &self.roots {
            self.reads(root, 0, &mut found);
        }
        if found.iter().any(|(_, distance)| *distance > 1) {
            return None;
        }
        Some(
            found
                .into_iter()
                .filter(|(_, distance)| *distance == 1)
                .map(|(p, _)| p)
                .collect(),
        )
    }

    /// Records what `id` reads on the nodes at `distance` from the focus node it applies to.
    fn reads(&self, id: ShapeId, distance: usize, found: &mut HashSet<(NamedNode, usize)>) {
        let shape = &self.shapes[id];
        let values = match &shape.path {
            Some(path) => {
                found.insert((path.predicate().clone(), distance));
                distance + 1
            }
            None => distance,
        };
        for constraint in &shape.constraints {
            match constraint {
                Constraint::Value(ValueConstraint::Class(_)) => {
                    found.insert((rdf::TYPE.into_owned(), values));
                }
                Constraint::Value(ValueConstraint::Node(child)) => {
                    self.reads(*child, values, found);
                }
                Constraint::Value(ValueConstraint::Or(children)) => {
                    for child in children {
                        self.reads(*child, values, found);
                    }
                }
                _ => {}
            }
        }
        for &property in &shape.properties {
            self.reads(property, values, found);
        }
    }

    /// Runs one query per constraint of the shape over its focus nodes, then validates the
    /// shapes of its sh:property against its value nodes.
    fn validate_shape(
        &self,
        id: ShapeId,
        focus: Focus<'_>,
        data: &dyn SelectSource,
        results: &mut Vec<ValidationResult>,
    ) -> Result<(), StoreError> {
        let shape = &self.shapes[id];
        if shape.deactivated {
            return Ok(());
        }
        for constraint in &shape.constraints {
            let Some(query) = Builder::new(&self.shapes).violations(shape, constraint, focus)?
            else {
                continue;
            };
            for row in data.select(&query)? {
                results.push(self.result(shape, constraint, &row)?);
            }
        }
        match &shape.path {
            None => {
                for &property in &shape.properties {
                    self.validate_shape(property, focus, data, results)?;
                }
            }
            Some(path) => {
                let values = Focus::Values(&focus, path);
                for &property in &shape.properties {
                    self.validate_shape(property, values, data, results)?;
                }
            }
        }
        Ok(())
    }

    fn result(
        &self,
        shape: &Shape,
        constraint: &Constraint,
        row: &QuerySolution,
    ) -> Result<ValidationResult, StoreError> {
        let focus = row.get("focus").cloned().ok_or_else(|| {
            StoreError::Storage("a validation query returned a row without ?focus".to_owned())
        })?;
        // A node shape's value node is its focus node; a property shape's comes from the query,
        // except for the counting components and sh:hasValue, which have none to report.
        let value = match shape.path {
            None => Some(focus.clone()),
            Some(_) => row.get("value").cloned(),
        };
        let message = match &shape.message {
            Some(message) => message.clone(),
            None => self.describe(shape, constraint, value.as_ref(), row.get("count")),
        };
        Ok(ValidationResult {
            path: shape.path.as_ref().map(|p| p.predicate().clone()),
            inverse: matches!(shape.path, Some(Path::Inverse(_))),
            focus,
            value,
            component: constraint.component(),
            shape: shape.id.clone(),
            message,
        })
    }

    /// A message for a shape without sh:message, saying what is wrong.
    fn describe(
        &self,
        shape: &Shape,
        constraint: &Constraint,
        value: Option<&Term>,
        count: Option<&Term>,
    ) -> String {
        let value = value.map_or_else(String::new, ToString::to_string);
        let count = match count {
            Some(Term::Literal(count)) => count.value().to_owned(),
            _ => "0".to_owned(),
        };
        match constraint {
            Constraint::MinCount(n) => format!("expected at least {n} value(s), found {count}"),
            Constraint::MaxCount(n) => format!("expected at most {n} value(s), found {count}"),
            Constraint::HasValue(t) if shape.path.is_some() => {
                format!("the value {t} is missing")
            }
            Constraint::HasValue(t) => format!("{value} is not {t}"),
            Constraint::Value(ValueConstraint::Datatype(d)) => {
                format!("{value} is not a well-formed literal of datatype {d}")
            }
            Constraint::Value(ValueConstraint::Class(c)) => {
                format!("{value} is not an instance of {c}")
            }
            Constraint::Value(ValueConstraint::NodeKind(k)) => {
                format!("{value} is not of node kind sh:{}", k.local_name())
            }
            Constraint::Value(ValueConstraint::In(terms)) => {
                let terms: Vec<String> = terms.iter().map(ToString::to_string).collect();
                format!("{value} is not one of ({})", terms.join(" "))
            }
            Constraint::Value(ValueConstraint::Pattern { pattern, flags }) => {
                let pattern = Literal::new_simple_literal(pattern.as_str());
                if flags.is_empty() {
                    format!("{value} does not match the pattern {pattern}")
                } else {
                    format!("{value} does not match the pattern {pattern} with flags \"{flags}\"")
                }
            }
            Constraint::Value(ValueConstraint::Node(id)) => {
                format!("{value} does not conform to shape {}", self.shapes[*id].id)
            }
            Constraint::Value(ValueConstraint::Or(ids)) => {
                format!(
                    "{value} conforms to none of the {} shapes of sh:or",
                    ids.len()
                )
            }
        }
    }
}

/// The nodes a shape is validated against: the targets of a root shape, or the value nodes of an
/// enclosing property shape (whose own focus nodes are again a `Focus`).
#[derive(Debug, Clone, Copy)]
enum Focus<'a> {
    Targets(&'a [Target]),
    /// The targets of a root shape that are among the listed nodes (a write's neighbourhood).
    Within(&'a [Term], &'a [Target]),
    Values(&'a Focus<'a>, &'a Path),
}

impl Focus<'_> {
    /// Few enough nodes to list them first, rather than to scan a predicate and test membership.
    fn is_small(&self) -> bool {
        match self {
            Self::Targets(targets) => targets.iter().all(|t| matches!(t, Target::Node(_))),
            Self::Within(..) => true,
            Self::Values(parent, _) => parent.is_small(),
        }
    }
}

/// Writes the SPARQL of one query, with fresh variable names wherever a pattern is nested.
struct Builder<'s> {
    shapes: &'s [Shape],
    next_variable: usize,
    /// Shapes being compiled into a conformance expression, innermost last.
    stack: Vec<ShapeId>,
}

impl<'s> Builder<'s> {
    fn new(shapes: &'s [Shape]) -> Self {
        Self {
            shapes,
            next_variable: 0,
            stack: Vec::new(),
        }
    }

    fn fresh(&mut self) -> String {
        self.next_variable += 1;
        format!("?x{}", self.next_variable)
    }

    /// A group pattern binding `var` to each focus node exactly once.
    fn enumerate(&mut self, focus: Focus<'_>, var: &str) -> String {
        match focus {
            Focus::Within(nodes, targets) => {
                // Each listed node is tested for being a target, rather than every target
                // enumerated and then matched against the list.
                let member = self.member(Focus::Targets(targets), var);
                let listed: Vec<String> = nodes.iter().map(Term::to_string).collect();
                format!(
                    "{{ SELECT DISTINCT {var} WHERE {{ VALUES {var} {{ {} }} FILTER({member}) }} }}",
                    listed.join(" ")
                )
            }
            Focus::Targets(targets) => {
                let mut branches = Vec::new();
                let nodes: Vec<String> = targets
                    .iter()
                    .filter_map(|t| match t {
                        Target::Node(node) => Some(node.to_string()),
                        _ => None,
                    })
                    .collect();
                if !nodes.is_empty() {
                    branches.push(format!("VALUES {var} {{ {} }}", nodes.join(" ")));
                }
                for target in targets {
                    match target {
                        Target::Class(class) => {
                            branches.push(format!("{var} {INSTANCE_OF} {class} ."));
                        }
                        Target::SubjectsOf(p) => {
                            let o = self.fresh();
                            branches.push(format!("{var} {p} {o} ."));
                        }
                        Target::ObjectsOf(p) => {
                            let s = self.fresh();
                            branches.push(format!("{s} {p} {var} ."));
                        }
                        Target::Node(_) => {}
                    }
                }
                if branches.is_empty() {
                    branches.push("FILTER(false)".to_owned());
                }
                let union: Vec<String> = branches.iter().map(|b| format!("{{ {b} }}")).collect();
                format!(
                    "{{ SELECT DISTINCT {var} WHERE {{ {} }} }}",
                    union.join(" UNION ")
                )
            }
            Focus::Values(parent, path) => {
                let p = self.fresh();
                let parent = self.enumerate(*parent, &p);
                format!(
                    "{{ SELECT DISTINCT {var} WHERE {{ {parent} {} }} }}",
                    path.triple(&p, var)
                )
            }
        }
    }

    /// A boolean expression, true when the term bound to `var` is a focus node.
    fn member(&mut self, focus: Focus<'_>, var: &str) -> String {
        match focus {
            Focus::Within(nodes, targets) => {
                let listed: Vec<String> = nodes.iter().map(Term::to_string).collect();
                let targets = self.member(Focus::Targets(targets), var);
                format!("({var} IN ({}) && {targets})", listed.join(", "))
            }
            Focus::Targets(targets) => {
                let mut tests = Vec::new();
                for target in targets {
                    tests.push(match target {
                        Target::Class(class) => {
                            format!("EXISTS {{ {var} {INSTANCE_OF} {class} . }}")
                        }
                        Target::Node(node) => format!("sameTerm({var}, {node})"),
                        Target::SubjectsOf(p) => {
                            let o = self.fresh();
                            format!("EXISTS {{ {var} {p} {o} . }}")
                        }
                        Target::ObjectsOf(p) => {
                            let s = self.fresh();
                            format!("EXISTS {{ {s} {p} {var} . }}")
                        }
                    });
                }
                any(tests)
            }
            Focus::Values(parent, path) => {
                let p = self.fresh();
                let parent = self.member(*parent, &p);
                format!("EXISTS {{ {} FILTER({parent}) }}", path.triple(&p, var))
            }
        }
    }

    /// The SELECT returning the violations of one constraint of `shape` over `focus`: `?focus`,
    /// plus `?value` for value constraints of property shapes and `?count` for counts.
    /// `None` when the constraint cannot fail (sh:minCount 0).
    fn violations(
        &mut self,
        shape: &Shape,
        constraint: &Constraint,
        focus: Focus<'_>,
    ) -> Result<Option<String>, StoreError> {
        let Some(path) = &shape.path else {
            // A node shape: its one value node is the focus node.
            let enumerate = self.enumerate(focus, "?focus");
            let fails = match constraint {
                Constraint::HasValue(term) => format!("FILTER(!sameTerm(?focus, {term}))"),
                Constraint::Value(vc) if focus.is_small() => {
                    format!("FILTER(!({}))", self.value_ok(vc, "?focus")?)
                }
                Constraint::Value(vc) => self.fails(vc, "?focus")?,
                // Refused when the shapes are read.
                Constraint::MinCount(_) | Constraint::MaxCount(_) => return Ok(None),
            };
            return Ok(Some(format!(
                "SELECT ?focus WHERE {{ {enumerate} {fails} }}"
            )));
        };
        let triple = path.triple("?focus", "?value");
        Ok(Some(match constraint {
            Constraint::MinCount(0) => return Ok(None),
            Constraint::MinCount(1) => {
                let enumerate = self.enumerate(focus, "?focus");
                format!("SELECT ?focus WHERE {{ {enumerate} FILTER NOT EXISTS {{ {triple} }} }}")
            }
            Constraint::MinCount(n) => {
                let enumerate = self.enumerate(focus, "?focus");
                format!(
                    "SELECT ?focus (COUNT(DISTINCT ?value) AS ?count) WHERE {{ {enumerate} \
                     OPTIONAL {{ {triple} }} }} GROUP BY ?focus \
                     HAVING (COUNT(DISTINCT ?value) < {n})"
                )
            }
            Constraint::MaxCount(n) if focus.is_small() => {
                let enumerate = self.enumerate(focus, "?focus");
                format!(
                    "SELECT ?focus (COUNT(DISTINCT ?value) AS ?count) WHERE {{ {enumerate} \
                     {triple} }} GROUP BY ?focus HAVING (COUNT(DISTINCT ?value) > {n})"
                )
            }
            Constraint::MaxCount(n) => {
                // Count per subject of the predicate first: only the few over the limit are
                // then tested for being focus nodes.
                let member = self.member(focus, "?focus");
                format!(
                    "SELECT ?focus ?count WHERE {{ {{ SELECT ?focus \
                     (COUNT(DISTINCT ?value) AS ?count) WHERE {{ {triple} }} GROUP BY ?focus \
                     HAVING (COUNT(DISTINCT ?value) > {n}) }} FILTER({member}) }}"
                )
            }
            Constraint::HasValue(term) => {
                let enumerate = self.enumerate(focus, "?focus");
                let wanted = path.triple("?focus", &term.to_string());
                format!("SELECT ?focus WHERE {{ {enumerate} FILTER NOT EXISTS {{ {wanted} }} }}")
            }
            Constraint::Value(vc) => {
                if focus.is_small() {
                    // Few values: each is tested, rather than every instance of a class listed.
                    let fails = format!("FILTER(!({}))", self.value_ok(vc, "?value")?);
                    let enumerate = self.enumerate(focus, "?focus");
                    format!(
                        "SELECT DISTINCT ?focus ?value WHERE {{ {enumerate} {triple} {fails} }}"
                    )
                } else {
                    let fails = self.fails(vc, "?value")?;
                    // Scan the predicate and test the values first, in a subquery: focus
                    // membership is then tested only for the values that fail. In one FILTER,
                    // oxigraph would evaluate the membership EXISTS for every triple.
                    let member = self.member(focus, "?focus");
                    format!(
                        "SELECT DISTINCT ?focus ?value WHERE {{ {{ SELECT ?focus ?value WHERE \
                         {{ {triple} {fails} }} }} FILTER({member}) }}"
                    )
                }
            }
        }))
    }

    /// The pattern keeping the solutions whose `v` fails `vc`. For sh:class it is a MINUS of
    /// all the instances of the class, computed once, rather than a path walked per value.
    fn fails(&mut self, vc: &ValueConstraint, v: &str) -> Result<String, StoreError> {
        Ok(match vc {
            ValueConstraint::Class(class) => format!("MINUS {{ {v} {INSTANCE_OF} {class} . }}"),
            other => format!("FILTER(!({}))", self.value_ok(other, v)?),
        })
    }

    /// A boolean expression, never an error, true when the term bound to `v` passes `vc`.
    fn value_ok(&mut self, vc: &ValueConstraint, v: &str) -> Result<String, StoreError> {
        Ok(match vc {
            ValueConstraint::Datatype(datatype) => {
                let lexical = lexical_check(datatype, v);
                format!("COALESCE(isLiteral({v}) && DATATYPE({v}) = {datatype}{lexical}, false)")
            }
            ValueConstraint::Class(class) => format!("EXISTS {{ {v} {INSTANCE_OF} {class} . }}"),
            ValueConstraint::NodeKind(kind) => kind.expression(v),
            ValueConstraint::In(terms) => any(terms
                .iter()
                .map(|t| format!("sameTerm({v}, {t})"))
                .collect()),
            ValueConstraint::Pattern { pattern, flags } => format!(
                "COALESCE(!isBlank({v}) && REGEX(STR({v}), {}, {}), false)",
                Literal::new_simple_literal(pattern.as_str()),
                Literal::new_simple_literal(flags.as_str()),
            ),
            ValueConstraint::Node(id) => self.conforms(*id, v)?,
            ValueConstraint::Or(ids) => {
                let mut alternatives = Vec::new();
                for &id in ids {
                    alternatives.push(self.conforms(id, v)?);
                }
                any(alternatives)
            }
        })
    }

    /// A boolean expression, true when the term bound to `v` conforms to the shape: the shape's
    /// constraints and its sh:property shapes, each written as a pattern over `v`.
    fn conforms(&mut self, id: ShapeId, v: &str) -> Result<String, StoreError> {
        let shape = &self.shapes[id];
        if shape.deactivated {
            return Ok("true".to_owned());
        }
        if self.stack.contains(&id) || self.stack.len() >= MAX_NESTING {
            // check_nesting refuses such shapes when they are read; stay safe regardless.
            return Err(malformed(
                &shape.id,
                "it refers back to itself through sh:node or sh:or".to_owned(),
            ));
        }
        self.stack.push(id);
        let mut tests = Vec::new();
        for constraint in &shape.constraints {
            match (&shape.path, constraint) {
                (None, Constraint::HasValue(term)) => tests.push(format!("sameTerm({v}, {term})")),
                (None, Constraint::Value(vc)) => tests.push(self.value_ok(vc, v)?),
                (None, Constraint::MinCount(_) | Constraint::MaxCount(_)) => {}
                (Some(_), Constraint::MinCount(0)) => {}
                (Some(path), Constraint::MinCount(n)) => {
                    nested_count(shape, "minCount", *n)?;
                    let values = self.distinct_values(path, v, *n);
                    tests.push(format!("EXISTS {{ {values} }}"));
                }
                (Some(path), Constraint::MaxCount(n)) => {
                    nested_count(shape, "maxCount", *n)?;
                    let values = self.distinct_values(path, v, n + 1);
                    tests.push(format!("NOT EXISTS {{ {values} }}"));
                }
                (Some(path), Constraint::HasValue(term)) => {
                    tests.push(format!(
                        "EXISTS {{ {} }}",
                        path.triple(v, &term.to_string())
                    ));
                }
                (Some(path), Constraint::Value(vc)) => {
                    let value = self.fresh();
                    let ok = self.value_ok(vc, &value)?;
                    tests.push(format!(
                        "NOT EXISTS {{ {} FILTER(!({ok})) }}",
                        path.triple(v, &value)
                    ));
                }
            }
        }
        for &property in &shape.properties {
            match &shape.path {
                None => tests.push(self.conforms(property, v)?),
                Some(path) => {
                    let value = self.fresh();
                    let ok = self.conforms(property, &value)?;
                    tests.push(format!(
                        "NOT EXISTS {{ {} FILTER(!({ok})) }}",
                        path.triple(v, &value)
                    ));
                }
            }
        }
        self.stack.pop();
        Ok(all(tests))
    }

    /// A pattern matching when `v` has at least `n` distinct values through `path`.
    fn distinct_values(&mut self, path: &Path, v: &str, n: u64) -> String {
        let values: Vec<String> = (0..n).map(|_| self.fresh()).collect();
        let mut pattern: Vec<String> = values.iter().map(|x| path.triple(v, x)).collect();
        for (i, a) in values.iter().enumerate() {
            for b in &values[i + 1..] {
                pattern.push(format!("FILTER(!sameTerm({a}, {b}))"));
            }
        }
        pattern.join(" ")
    }
}

/// Refuses a count too large to write as a join of distinct values inside sh:node or sh:or.
fn nested_count(shape: &Shape, param: &str, n: u64) -> Result<(), StoreError> {
    if n > MAX_NESTED_COUNT {
        return Err(malformed(
            &shape.id,
            format!(
                "it is used inside sh:node or sh:or with sh:{param} {n}; at most \
                 {MAX_NESTED_COUNT} is supported there"
            ),
        ));
    }
    Ok(())
}

fn any(tests: Vec<String>) -> String {
    match tests.len() {
        0 => "false".to_owned(),
        1 => tests.into_iter().next().unwrap_or_default(),
        _ => format!("({})", tests.join(" || ")),
    }
}

fn all(tests: Vec<String>) -> String {
    match tests.len() {
        0 => "true".to_owned(),
        1 => tests.into_iter().next().unwrap_or_default(),
        _ => format!("({})", tests.join(" && ")),
    }
}

/// The test, appended with `&&`, that a literal already known to carry `datatype` has a lexical
/// form valid for it. An ill-typed literal such as `"aldi"^^xsd:integer` keeps its datatype in
/// oxigraph, so the datatype alone is not enough: the cast from its string fails instead.
/// Datatypes without a SPARQL cast (xsd:string, rdf:langString, rdf:HTML...) are only compared.
fn lexical_check(datatype: &NamedNode, v: &str) -> String {
    match datatype.as_str().strip_prefix(XSD) {
        Some(
            local @ ("boolean" | "decimal" | "integer" | "float" | "double" | "dateTime" | "date"
            | "time" | "duration" | "yearMonthDuration" | "dayTimeDuration" | "gYear"
            | "gYearMonth" | "gMonth" | "gDay" | "gMonthDay"),
        ) => format!(" && isLiteral(<{XSD}{local}>(STR({v})))"),
        _ => String::new(),
    }
}

/// The datatypes that oxigraph stores as another one: a well-formed `"12"^^xsd:byte` is read back
/// as `"12"^^xsd:integer`, and `xsd:dateTimeStamp` as `xsd:dateTime`. No value in the store
/// could ever conform to sh:datatype with one of these, so such a shape is refused.
fn stored_as(datatype: &NamedNode) -> Option<&'static str> {
    match datatype.as_str().strip_prefix(XSD)? {
        "byte" | "short" | "int" | "long" | "unsignedByte" | "unsignedShort" | "unsignedInt"
        | "unsignedLong" | "positiveInteger" | "negativeInteger" | "nonPositiveInteger"
        | "nonNegativeInteger" => Some("xsd:integer"),
        "dateTimeStamp" => Some("xsd:dateTime"),
        _ => None,
    }
}

/// Refuses recursive shapes and shapes nested deeper than [`MAX_NESTING`].
fn check_nesting(shapes: &[Shape]) -> Result<(), StoreError> {
    #[derive(Clone, Copy)]
    enum State {
        New,
        Open,
        Done,
    }
    fn visit(
        shapes: &[Shape],
        id: ShapeId,
        states: &mut [State],
        stack: &mut Vec<ShapeId>,
    ) -> Result<(), StoreError> {
        match states[id] {
            State::Done => return Ok(()),
            State::Open => {
                let start = stack.iter().position(|&s| s == id).unwrap_or_default();
                let cycle: Vec<String> = stack[start..]
                    .iter()
                    .chain([&id])
                    .map(|&s| shapes[s].id.to_string())
                    .collect();
                return Err(malformed(
                    &shapes[id].id,
                    format!(
                        "it refers back to itself through sh:property, sh:node or sh:or ({}), \
                         and recursive shapes are not supported",
                        cycle.join(" -> ")
                    ),
                ));
            }
            State::New => {}
        }
        if stack.len() >= MAX_NESTING {
            return Err(malformed(
                &shapes[stack[0]].id,
                format!(
                    "shapes nest more than {MAX_NESTING} levels deep through sh:property, \
                     sh:node or sh:or"
                ),
            ));
        }
        states[id] = State::Open;
        stack.push(id);
        for child in shapes[id].children() {
            visit(shapes, child, states, stack)?;
        }
        stack.pop();
        states[id] = State::Done;
        Ok(())
    }
    let mut states = vec![State::New; shapes.len()];
    for id in 0..shapes.len() {
        visit(shapes, id, &mut states, &mut Vec::new())?;
    }
    Ok(())
}

/// Refuses an sh:pattern that is not a valid regular expression, which REGEX would otherwise
/// turn into an error on every value, and so into a violation of every value.
fn check_patterns(shapes: &[Shape]) -> Result<(), StoreError> {
    let mut checked = HashSet::new();
    let mut store = None;
    for shape in shapes {
        for constraint in &shape.constraints {
            let Constraint::Value(ValueConstraint::Pattern { pattern, flags }) = constraint else {
                continue;
            };
            if !checked.insert((pattern, flags)) {
                continue;
            }
            let store = match &mut store {
                Some(store) => store,
                None => store.insert(Store::new()?),
            };
            let query = format!(
                "SELECT ?ok WHERE {{ BIND(COALESCE(REGEX(\"\", {}, {}), \"invalid\") AS ?ok) }}",
                Literal::new_simple_literal(pattern.as_str()),
                Literal::new_simple_literal(flags.as_str()),
            );
            let rows = store.select(&query)?;
            let valid = rows
                .first()
                .and_then(|row| row.get("ok"))
                .is_some_and(|ok| matches!(ok, Term::Literal(l) if l.datatype() == xsd::BOOLEAN));
            if !valid {
                return Err(malformed(
                    &shape.id,
                    format!(
                        "its sh:pattern {} (flags \"{flags}\") is not a regular expression \
                         that SPARQL REGEX accepts",
                        Literal::new_simple_literal(pattern.as_str())
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Reads shapes from the shapes graph, one node at a time, queueing the shapes it references.
struct Reader<'g> {
    graph: &'g Graph,
    shapes: Vec<Shape>,
    index: HashMap<NamedOrBlankNode, ShapeId>,
    pending: Vec<ShapeId>,
}

impl<'g> Reader<'g> {
    fn intern(&mut self, node: NamedOrBlankNode) -> ShapeId {
        if let Some(&id) = self.index.get(&node) {
            return id;
        }
        let id = self.shapes.len();
        self.shapes.push(Shape::new(node.clone()));
        self.index.insert(node, id);
        self.pending.push(id);
        id
    }

    /// A shape named as the value of `param` (sh:property, sh:node, a member of sh:or).
    fn reference(
        &mut self,
        owner: &NamedOrBlankNode,
        param: &str,
        term: TermRef<'g>,
    ) -> Result<ShapeId, StoreError> {
        match term {
            TermRef::NamedNode(node) => Ok(self.intern(node.into_owned().into())),
            TermRef::BlankNode(node) => Ok(self.intern(node.into_owned().into())),
            other => Err(malformed(
                owner,
                format!("sh:{param} must name a shape (an IRI or a blank node), not {other}"),
            )),
        }
    }

    fn read(&mut self, id: ShapeId) -> Result<(), StoreError> {
        let node = self.shapes[id].id.clone();
        let mut shape = Shape::new(node.clone());
        let mut paths = Vec::new();
        let mut min_counts = Vec::new();
        let mut max_counts = Vec::new();
        let mut patterns = Vec::new();
        let mut flags = Vec::new();
        let mut messages = Vec::new();
        let triples: Vec<TripleRef<'g>> = self.graph.triples_for_subject(&node).collect();
        for triple in triples {
            let Some(param) = triple.predicate.as_str().strip_prefix(SH) else {
                continue;
            };
            let object = triple.object;
            match param {
                "targetClass" => shape
                    .targets
                    .push(Target::Class(iri(&node, param, object)?)),
                "targetNode" => shape
                    .targets
                    .push(Target::Node(iri_or_literal(&node, param, object)?)),
                "targetSubjectsOf" => shape
                    .targets
                    .push(Target::SubjectsOf(iri(&node, param, object)?)),
                "targetObjectsOf" => shape
                    .targets
                    .push(Target::ObjectsOf(iri(&node, param, object)?)),
                "path" => paths.push(object),
                "property" => {
                    let property = self.reference(&node, param, object)?;
                    shape.properties.push(property);
                }
                "minCount" => min_counts.push(count(&node, param, object)?),
                "maxCount" => max_counts.push(count(&node, param, object)?),
                "datatype" => {
                    let datatype = iri(&node, param, object)?;
                    if let Some(stored) = stored_as(&datatype) {
                        return Err(malformed(
                            &node,
                            format!(
                                "sh:datatype {datatype} cannot be checked: the store keeps such \
                                 literals as {stored}, so no value could conform; use {stored}"
                            ),
                        ));
                    }
                    shape
                        .constraints
                        .push(Constraint::Value(ValueConstraint::Datatype(datatype)));
                }
                "class" => shape
                    .constraints
                    .push(Constraint::Value(ValueConstraint::Class(iri(
                        &node, param, object,
                    )?))),
                "nodeKind" => {
                    let kind = match object {
                        TermRef::NamedNode(kind) => kind
                            .as_str()
                            .strip_prefix(SH)
                            .and_then(NodeKind::from_local_name),
                        _ => None,
                    }
                    .ok_or_else(|| {
                        malformed(
                            &node,
                            format!(
                                "sh:nodeKind {object} is not one of sh:IRI, sh:BlankNode, \
                                 sh:Literal, sh:BlankNodeOrIRI, sh:BlankNodeOrLiteral, \
                                 sh:IRIOrLiteral"
                            ),
                        )
                    })?;
                    shape
                        .constraints
                        .push(Constraint::Value(ValueConstraint::NodeKind(kind)));
                }
                "in" => {
                    let members = self.list(&node, param, object)?;
                    let terms = members
                        .into_iter()
                        .map(|m| iri_or_literal(&node, param, m))
                        .collect::<Result<Vec<_>, _>>()?;
                    shape
                        .constraints
                        .push(Constraint::Value(ValueConstraint::In(terms)));
                }
                "hasValue" => shape
                    .constraints
                    .push(Constraint::HasValue(iri_or_literal(&node, param, object)?)),
                "pattern" => patterns.push(string(&node, param, object)?),
                "flags" => flags.push(string(&node, param, object)?),
                "or" => {
                    let mut alternatives = Vec::new();
                    for member in self.list(&node, param, object)? {
                        alternatives.push(self.reference(&node, param, member)?);
                    }
                    shape
                        .constraints
                        .push(Constraint::Value(ValueConstraint::Or(alternatives)));
                }
                "node" => {
                    let other = self.reference(&node, param, object)?;
                    shape
                        .constraints
                        .push(Constraint::Value(ValueConstraint::Node(other)));
                }
                "message" => match object {
                    TermRef::Literal(message) => messages.push(message),
                    other => {
                        return Err(malformed(
                            &node,
                            format!("sh:message must be a literal, not {other}"),
                        ));
                    }
                },
                "deactivated" => {
                    shape.deactivated = match object {
                        TermRef::Literal(l) if l.datatype() == xsd::BOOLEAN => {
                            matches!(l.value(), "true" | "1")
                        }
                        other => {
                            return Err(malformed(
                                &node,
                                format!("sh:deactivated must be an xsd:boolean, not {other}"),
                            ));
                        }
                    };
                }
                // Non-validating properties (SHACL 2.3): read by people and forms, not by us.
                // Every result is reported as sh:Violation whatever sh:severity says.
                "severity" | "name" | "description" | "order" | "group" | "defaultValue" => {}
                other => return Err(unsupported(&node, other)),
            }
        }
        shape.path = match paths.as_slice() {
            [] => None,
            [path] => Some(self.path(&node, *path)?),
            _ => return Err(malformed(&node, "it has more than one sh:path".to_owned())),
        };
        for (param, counts, make) in [
            (
                "minCount",
                min_counts,
                Constraint::MinCount as fn(u64) -> Constraint,
            ),
            ("maxCount", max_counts, Constraint::MaxCount),
        ] {
            match counts.as_slice() {
                [] => {}
                [_] if shape.path.is_none() => {
                    return Err(malformed(
                        &node,
                        format!("sh:{param} applies to property shapes, and it has no sh:path"),
                    ));
                }
                [n] => shape.constraints.push(make(*n)),
                _ => {
                    return Err(malformed(&node, format!("it has more than one sh:{param}")));
                }
            }
        }
        let flags = match flags.as_slice() {
            [] => String::new(),
            [_] if patterns.is_empty() => {
                return Err(malformed(
                    &node,
                    "it has sh:flags but no sh:pattern".to_owned(),
                ));
            }
            [flags] => flags.clone(),
            _ => return Err(malformed(&node, "it has more than one sh:flags".to_owned())),
        };
        if let Some(flag) = flags.chars().find(|c| !"smixq".contains(*c)) {
            return Err(malformed(
                &node,
                format!(
                    "sh:flags \"{flags}\" has the flag '{flag}'; SPARQL REGEX knows s, m, i, x and q"
                ),
            ));
        }
        for pattern in patterns {
            shape
                .constraints
                .push(Constraint::Value(ValueConstraint::Pattern {
                    pattern,
                    flags: flags.clone(),
                }));
        }
        shape.message = preferred_message(messages);
        // SHACL 2.1.3.3: a shape that is also a class targets its instances.
        if let NamedOrBlankNode::NamedNode(class) = &node {
            if self
                .graph
                .contains(TripleRef::new(class, rdf::TYPE, rdfs::CLASS))
                || self
                    .graph
                    .contains(TripleRef::new(class, rdf::TYPE, OWL_CLASS))
            {
                shape.targets.push(Target::Class(class.clone()));
            }
        }
        self.shapes[id] = shape;
        Ok(())
    }

    /// A predicate path or `[ sh:inversePath predicate ]`; every other path is refused.
    fn path(&self, owner: &NamedOrBlankNode, term: TermRef<'g>) -> Result<Path, StoreError> {
        let node = match term {
            TermRef::NamedNode(p) => return Ok(Path::Predicate(p.into_owned())),
            TermRef::BlankNode(node) => node,
            other => {
                return Err(malformed(
                    owner,
                    format!("sh:path must be an IRI or a blank node, not {other}"),
                ));
            }
        };
        if self
            .graph
            .object_for_subject_predicate(node, rdf::FIRST)
            .is_some()
        {
            return Err(unsupported_path(owner, "a sequence path (an RDF list)"));
        }
        let triples: Vec<TripleRef<'g>> = self.graph.triples_for_subject(node).collect();
        match triples.as_slice() {
            [triple] if triple.predicate == sh::INVERSE_PATH => match triple.object {
                TermRef::NamedNode(p) => Ok(Path::Inverse(p.into_owned())),
                _ => Err(unsupported_path(owner, "sh:inversePath of a complex path")),
            },
            [triple] if triple.predicate.as_str().starts_with(SH) => Err(unsupported_path(
                owner,
                &format!("sh:{}", &triple.predicate.as_str()[SH.len()..]),
            )),
            _ => Err(malformed(
                owner,
                format!("its sh:path {term} is not a property path"),
            )),
        }
    }

    /// The members of a well-formed RDF list.
    fn list(
        &self,
        owner: &NamedOrBlankNode,
        param: &str,
        head: TermRef<'g>,
    ) -> Result<Vec<TermRef<'g>>, StoreError> {
        let not_a_list = || malformed(owner, format!("the value of sh:{param} is not an RDF list"));
        let mut members = Vec::new();
        let mut seen = HashSet::new();
        let mut cell = head;
        loop {
            let node: NamedOrBlankNodeRef<'g> = match cell {
                TermRef::NamedNode(n) if n == rdf::NIL => return Ok(members),
                TermRef::NamedNode(n) => n.into(),
                TermRef::BlankNode(b) => b.into(),
                _ => return Err(not_a_list()),
            };
            if !seen.insert(node) {
                return Err(not_a_list());
            }
            let firsts: Vec<_> = self
                .graph
                .objects_for_subject_predicate(node, rdf::FIRST)
                .collect();
            let rests: Vec<_> = self
                .graph
                .objects_for_subject_predicate(node, rdf::REST)
                .collect();
            match (firsts.as_slice(), rests.as_slice()) {
                ([first], [rest]) => {
                    members.push(*first);
                    cell = *rest;
                }
                _ => return Err(not_a_list()),
            }
        }
    }
}

/// Of several sh:message values, one without a language tag, else in English, else the first.
fn preferred_message(mut messages: Vec<oxigraph::model::LiteralRef<'_>>) -> Option<String> {
    messages.sort_by_key(|m| {
        (
            m.language().is_some(),
            m.language() != Some("en"),
            m.value().to_owned(),
        )
    });
    messages.first().map(|m| m.value().to_owned())
}

fn iri(owner: &NamedOrBlankNode, param: &str, term: TermRef<'_>) -> Result<NamedNode, StoreError> {
    match term {
        TermRef::NamedNode(n) => Ok(n.into_owned()),
        other => Err(malformed(
            owner,
            format!("sh:{param} must be an IRI, not {other}"),
        )),
    }
}

/// An IRI or a literal: blank nodes of the shapes graph cannot be named in a query on the data.
fn iri_or_literal(
    owner: &NamedOrBlankNode,
    param: &str,
    term: TermRef<'_>,
) -> Result<Term, StoreError> {
    match term {
        TermRef::NamedNode(_) | TermRef::Literal(_) => Ok(term.into_owned()),
        other => Err(malformed(
            owner,
            format!(
                "sh:{param} must be an IRI or a literal; a blank node such as {other} cannot be \
                 matched against the data"
            ),
        )),
    }
}

fn count(owner: &NamedOrBlankNode, param: &str, term: TermRef<'_>) -> Result<u64, StoreError> {
    match term {
        TermRef::Literal(l) if l.datatype() == xsd::INTEGER => l.value().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        malformed(
            owner,
            format!("sh:{param} must be a non-negative xsd:integer, not {term}"),
        )
    })
}

fn string(owner: &NamedOrBlankNode, param: &str, term: TermRef<'_>) -> Result<String, StoreError> {
    match term {
        TermRef::Literal(l) if l.datatype() == xsd::STRING => Ok(l.value().to_owned()),
        other => Err(malformed(
            owner,
            format!("sh:{param} must be an xsd:string, not {other}"),
        )),
    }
}

fn malformed(shape: &NamedOrBlankNode, problem: String) -> StoreError {
    StoreError::BadRequest(format!("shape {shape} is malformed: {problem}"))
}

fn unsupported(shape: &NamedOrBlankNode, param: &str) -> StoreError {
    let component = match param {
        "and" => "AndConstraintComponent",
        "not" => "NotConstraintComponent",
        "xone" => "XoneConstraintComponent",
        "closed" | "ignoredProperties" => "ClosedConstraintComponent",
        "qualifiedValueShape" | "qualifiedMinCount" | "qualifiedValueShapesDisjoint" => {
            "QualifiedMinCountConstraintComponent"
        }
        "qualifiedMaxCount" => "QualifiedMaxCountConstraintComponent",
        "minExclusive" => "MinExclusiveConstraintComponent",
        "minInclusive" => "MinInclusiveConstraintComponent",
        "maxExclusive" => "MaxExclusiveConstraintComponent",
        "maxInclusive" => "MaxInclusiveConstraintComponent",
        "minLength" => "MinLengthConstraintComponent",
        "maxLength" => "MaxLengthConstraintComponent",
        "languageIn" => "LanguageInConstraintComponent",
        "uniqueLang" => "UniqueLangConstraintComponent",
        "equals" => "EqualsConstraintComponent",
        "disjoint" => "DisjointConstraintComponent",
        "lessThan" => "LessThanConstraintComponent",
        "lessThanOrEquals" => "LessThanOrEqualsConstraintComponent",
        "sparql" => "SPARQLConstraintComponent",
        _ => {
            return StoreError::BadRequest(format!(
                "shape {shape} uses sh:{param}, which dealgraph's SHACL Core subset does not \
                 support"
            ));
        }
    };
    StoreError::BadRequest(format!(
        "shape {shape} uses sh:{component} (sh:{param}), which dealgraph's SHACL Core subset \
         does not support"
    ))
}

fn unsupported_path(shape: &NamedOrBlankNode, what: &str) -> StoreError {
    StoreError::BadRequest(format!(
        "shape {shape} uses {what} as sh:path, which dealgraph's SHACL Core subset does not \
         support (only a predicate or sh:inversePath of a predicate)"
    ))
}

/// One violation of one constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationResult {
    pub focus: Term,
    /// The predicate of the property path; with `inverse`, the path is `sh:inversePath` of it.
    pub path: Option<NamedNode>,
    pub inverse: bool,
    pub value: Option<Term>,
    /// For example `http://www.w3.org/ns/shacl#MinCountConstraintComponent`.
    pub component: NamedNode,
    /// The (property or node) shape whose constraint failed.
    pub shape: NamedOrBlankNode,
    /// sh:message of the shape if any, else a generated one saying what is wrong.
    pub message: String,
}

impl ValidationResult {
    fn sort_key(&self) -> (String, String, String, String, String) {
        (
            self.focus.to_string(),
            self.path_text(),
            self.component.as_str().to_owned(),
            self.shape.to_string(),
            self.value
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        )
    }

    fn path_text(&self) -> String {
        match &self.path {
            Some(p) if self.inverse => format!("^{p}"),
            Some(p) => p.to_string(),
            None => String::new(),
        }
    }
}

/// `<focus>: path <p>: <component local name> (shape <s>): message`, without the path part for
/// a node shape; an inverse path is written `^<p>`.
impl fmt::Display for ValidationResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.focus)?;
        if self.path.is_some() {
            write!(f, "path {}: ", self.path_text())?;
        }
        let component = self.component.as_str();
        let component = component.strip_prefix(SH).unwrap_or(component);
        write!(f, "{component} (shape {}): {}", self.shape, self.message)
    }
}

/// The outcome of a validation: conforming when there is no result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationReport {
    pub results: Vec<ValidationResult>,
}

impl ValidationReport {
    pub fn conforms(&self) -> bool {
        self.results.is_empty()
    }

    /// The report as SHACL RDF: a sh:ValidationReport with sh:conforms and one sh:result per
    /// violation (sh:focusNode, sh:resultPath, sh:value, sh:sourceConstraintComponent,
    /// sh:sourceShape, sh:resultMessage, sh:resultSeverity sh:Violation).
    pub fn to_graph(&self) -> Graph {
        let mut graph = Graph::new();
        let report = BlankNode::default();
        graph.insert(TripleRef::new(&report, rdf::TYPE, sh::VALIDATION_REPORT));
        let conforms = Literal::from(self.conforms());
        graph.insert(TripleRef::new(&report, sh::CONFORMS, &conforms));
        for result in &self.results {
            let node = BlankNode::default();
            graph.insert(TripleRef::new(&report, sh::RESULT, &node));
            graph.insert(TripleRef::new(&node, rdf::TYPE, sh::VALIDATION_RESULT));
            graph.insert(TripleRef::new(&node, sh::FOCUS_NODE, &result.focus));
            match (&result.path, result.inverse) {
                (Some(path), false) => {
                    graph.insert(TripleRef::new(&node, sh::RESULT_PATH, path));
                }
                (Some(path), true) => {
                    let inverse = BlankNode::default();
                    graph.insert(TripleRef::new(&node, sh::RESULT_PATH, &inverse));
                    graph.insert(TripleRef::new(&inverse, sh::INVERSE_PATH, path));
                }
                (None, _) => {}
            }
            if let Some(value) = &result.value {
                graph.insert(TripleRef::new(&node, sh::VALUE, value));
            }
            graph.insert(TripleRef::new(
                &node,
                sh::SOURCE_CONSTRAINT_COMPONENT,
                &result.component,
            ));
            graph.insert(TripleRef::new(&node, sh::SOURCE_SHAPE, &result.shape));
            let message = Literal::new_simple_literal(result.message.as_str());
            graph.insert(TripleRef::new(&node, sh::RESULT_MESSAGE, &message));
            graph.insert(TripleRef::new(&node, sh::RESULT_SEVERITY, sh::VIOLATION));
        }
        graph
    }
}

/// One line per result, sorted, so that the same violations always print the same way.
impl fmt::Display for ValidationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<String> = self.results.iter().map(ToString::to_string).collect();
        lines.sort();
        for line in lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxigraph::io::{RdfFormat, RdfParser};

    const PREFIXES: &str = "@prefix sh: <http://www.w3.org/ns/shacl#> .\n\
        @prefix ex: <http://example.com/> .\n\
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n\
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n";

    fn graph(turtle: &str) -> Graph {
        let text = format!("{PREFIXES}{turtle}");
        let mut graph = Graph::new();
        for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(text.as_bytes()) {
            let quad = quad.expect("test Turtle parses");
            graph.insert(quad.as_ref());
        }
        graph
    }

    fn bad_request(turtle: &str) -> String {
        match Shapes::from_graph(&graph(turtle)) {
            Err(StoreError::BadRequest(message)) => message,
            other => panic!("expected BadRequest, got {other:?}"),
        }
    }

    fn parses(query: &str) {
        if let Err(e) = spargebra::SparqlParser::new().parse_query(query) {
            panic!("{e}\n{query}");
        }
    }

    #[test]
    fn refusals_name_the_shape_and_what_is_not_supported() {
        // Each case: a shape, and words the error must contain.
        let cases = [
            (
                "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:closed true .",
                vec![
                    "<http://example.com/S>",
                    "sh:ClosedConstraintComponent",
                    "sh:closed",
                ],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:property [ sh:path ex:p ; sh:qualifiedValueShape [ sh:class ex:C ] ; sh:qualifiedMinCount 1 ] .",
                vec!["sh:QualifiedMinCountConstraintComponent"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:sparql [ sh:select \"SELECT $this {}\" ] .",
                vec!["<http://example.com/S>", "sh:SPARQLConstraintComponent"],
            ),
            ("ex:S sh:targetNode ex:a ; sh:rule [ ] .", vec!["sh:rule"]),
            (
                "ex:S sh:targetNode ex:a ; sh:path [ sh:alternativePath ( ex:p ex:q ) ] ; sh:minCount 1 .",
                vec!["<http://example.com/S>", "sh:alternativePath"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:path [ sh:zeroOrMorePath ex:p ] .",
                vec!["sh:zeroOrMorePath"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:path ( ex:p ex:q ) .",
                vec!["sequence path"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:path [ sh:inversePath [ sh:inversePath ex:p ] ] .",
                vec!["sh:inversePath of a complex path"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:minCount 1 .",
                vec!["sh:minCount", "no sh:path"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:property [ sh:datatype xsd:string ] .",
                vec!["has no sh:path"],
            ),
            (
                "ex:S sh:targetNode [ ] ; sh:class ex:C .",
                vec!["blank node"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:path ex:p ; sh:minCount \"one\" .",
                vec!["sh:minCount", "xsd:integer"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:path ex:p ; sh:datatype xsd:byte .",
                vec!["sh:datatype", "XMLSchema#byte", "use xsd:integer"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:nodeKind sh:Thing .",
                vec!["sh:nodeKind"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:in ex:notAList .",
                vec!["sh:in", "RDF list"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:pattern \"[\" .",
                vec!["sh:pattern", "regular expression"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:pattern \"a\" ; sh:flags \"g\" .",
                vec!["sh:flags", "'g'"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:node ex:T . ex:T sh:node ex:S .",
                vec!["refers back to itself", "<http://example.com/T>"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:property ex:P . ex:P sh:path ex:p ; sh:node ex:S .",
                vec!["refers back to itself"],
            ),
            (
                "ex:S sh:targetNode ex:a ; sh:node [ sh:property [ sh:path ex:p ; sh:minCount 9 ] ] .",
                vec!["sh:minCount 9", "at most 7"],
            ),
        ];
        let mut failures = Vec::new();
        for (turtle, words) in cases {
            let message = bad_request(turtle);
            if !words.iter().all(|w| message.contains(w)) {
                failures.push(format!(
                    "{turtle}\n  -> {message}\n  missing one of {words:?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut turtle = String::from("ex:S0 sh:targetNode ex:a ; sh:node ex:S1 .\n");
        for i in 1..=MAX_NESTING + 1 {
            turtle.push_str(&format!("ex:S{i} sh:node ex:S{} .\n", i + 1));
        }
        assert!(bad_request(&turtle).contains("levels deep"));
    }

    #[test]
    fn non_validating_properties_and_foreign_predicates_are_accepted() {
        let shapes = Shapes::from_graph(&graph(
            "ex:S a sh:NodeShape ; rdfs:label \"S\" ; sh:name \"S\" ; sh:description \"d\" ; \
             sh:severity sh:Warning ; sh:targetClass ex:C ; sh:property [ sh:path ex:p ; \
             sh:order 1 ; sh:group ex:G ; sh:defaultValue 3 ; ex:datatype xsd:string ] .",
        ))
        .expect("shapes read");
        assert_eq!(shapes.len(), 2);
    }

    #[test]
    fn every_generated_query_parses() {
        // Shapes touching every constraint, target and focus kind; each query must be SPARQL.
        let shapes = Shapes::from_graph(&graph(
            "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:targetSubjectsOf ex:p ; \
               sh:targetObjectsOf ex:q ; sh:nodeKind sh:BlankNodeOrIRI ; \
               sh:or ( [ sh:class ex:D ] [ sh:path ex:r ; sh:minCount 2 ; sh:maxCount 3 ] ) ; \
               sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:minCount 1 ; sh:maxCount 2 ; \
                 sh:property [ sh:path ex:q ; sh:datatype xsd:decimal ; sh:in ( ex:a \"b\" 3 ) ; \
                   sh:hasValue \"b\" ; sh:pattern \"^a\\\"b\" ; sh:flags \"i\" ; \
                   sh:node [ sh:property [ sh:path ex:s ; sh:hasValue ex:v ; sh:minCount 3 ] ] ] ] .\n\
             ex:T sh:targetNode ex:a , \"x\"@en ; sh:path ex:p ; sh:maxCount 1 ; sh:minCount 5 ; \
               sh:datatype xsd:gYear ; sh:hasValue 1 .",
        ))
        .expect("shapes read");
        let mut count = 0;
        for &root in &shapes.roots {
            walk(
                &shapes,
                root,
                Focus::Targets(&shapes.shapes[root].targets),
                &mut count,
            );
        }
        // S: nodeKind, or; its inverse property: 2 counts; the nested one: 5; T: 4.
        assert_eq!(count, 13);
    }

    /// Builds the queries of a shape and of its sh:property tree, checking that each parses.
    fn walk(shapes: &Shapes, id: ShapeId, focus: Focus<'_>, count: &mut usize) {
        let shape = &shapes.shapes[id];
        for constraint in &shape.constraints {
            if let Some(query) = Builder::new(&shapes.shapes)
                .violations(shape, constraint, focus)
                .expect("query built")
            {
                parses(&query);
                *count += 1;
            }
        }
        let values;
        let focus = match &shape.path {
            None => focus,
            Some(path) => {
                values = focus;
                Focus::Values(&values, path)
            }
        };
        for &property in &shape.properties {
            walk(shapes, property, focus, count);
        }
    }

    #[test]
    fn lexical_checks_cast_from_the_string() {
        let v = "?v";
        let cases = [
            (
                xsd::INTEGER,
                " && isLiteral(<http://www.w3.org/2001/XMLSchema#integer>(STR(?v)))",
            ),
            (
                xsd::G_YEAR,
                " && isLiteral(<http://www.w3.org/2001/XMLSchema#gYear>(STR(?v)))",
            ),
            (xsd::STRING, ""),
            (rdf::LANG_STRING, ""),
            (xsd::BYTE, ""),
        ];
        for (datatype, expected) in cases {
            let normalize = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(
                normalize(&lexical_check(&datatype.into_owned(), v)),
                normalize(expected),
                "{datatype}"
            );
        }
    }

    #[test]
    fn paths_write_their_triple_pattern() {
        let p = NamedNode::new_unchecked("http://example.com/p");
        assert_eq!(
            Path::Predicate(p.clone()).triple("?a", "?b"),
            "?a <http://example.com/p> ?b ."
        );
        assert_eq!(
            Path::Inverse(p).triple("?a", "?b"),
            "?b <http://example.com/p> ?a ."
        );
    }

    /// The shapes checked side by side report exactly what they report one after the other.
    #[test]
    fn validating_in_parallel_reports_what_validating_in_turn_does() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let shapes_text = std::fs::read_to_string(root.join("ontology/shapes.ttl")).unwrap();
        let mut shapes_graph = Graph::new();
        for quad in RdfParser::from_format(RdfFormat::Turtle).for_slice(shapes_text.as_bytes()) {
            shapes_graph.insert(quad.unwrap().as_ref());
        }
        let shapes = Shapes::from_graph(&shapes_graph).unwrap();
        let store = Store::new().unwrap();
        for file in ["ontology/dealgraph.ttl", "ontology/certainty.ttl"] {
            store
                .load_from_slice(
                    RdfFormat::Turtle,
                    std::fs::read(root.join(file)).unwrap().as_slice(),
                )
                .unwrap();
        }
        store
            .load_from_slice(
                RdfFormat::Turtle,
                "@prefix dg: <https://w3id.org/dealgraph/ontology#> .
                 <http://example.com/deal> a dg:Investment ; dg:investor <http://example.com/a> ;
                   dg:certainty <http://example.com/rumoured> .
                 <http://example.com/tie> a dg:Partnership ; dg:quote 42 ."
                    .as_bytes(),
            )
            .unwrap();
        let in_turn = shapes.validate(&store).unwrap();
        let in_parallel = shapes.validate_in_parallel(&store).unwrap();
        assert_eq!(in_turn, in_parallel);
        let shapes_reporting: HashSet<String> = in_turn
            .results
            .iter()
            .map(|r| r.shape.to_string())
            .collect();
        assert!(shapes_reporting.len() >= 3, "{in_turn}");
    }

    #[test]
    fn report_prints_sorted_lines_and_converts_to_shacl_rdf() {
        let ex = |s: &str| NamedNode::new_unchecked(format!("http://example.com/{s}"));
        let report = ValidationReport {
            results: vec![
                ValidationResult {
                    focus: ex("b").into(),
                    path: Some(ex("p")),
                    inverse: true,
                    value: None,
                    component: NamedNode::new_unchecked(format!("{SH}MinCountConstraintComponent")),
                    shape: BlankNode::new_unchecked("s1").into(),
                    message: "expected at least 1 value(s), found 0".to_owned(),
                },
                ValidationResult {
                    focus: ex("a").into(),
                    path: None,
                    inverse: false,
                    value: Some(ex("a").into()),
                    component: NamedNode::new_unchecked(format!("{SH}ClassConstraintComponent")),
                    shape: ex("S").into(),
                    message: "no".to_owned(),
                },
            ],
        };
        assert_eq!(
            report.to_string(),
            "<http://example.com/a>: ClassConstraintComponent (shape <http://example.com/S>): no\n\
             <http://example.com/b>: path ^<http://example.com/p>: MinCountConstraintComponent \
             (shape _:s1): expected at least 1 value(s), found 0\n"
        );
        let graph = report.to_graph();
        assert!(!report.conforms());
        assert_eq!(graph.triples_for_predicate(sh::RESULT).count(), 2);
        assert_eq!(graph.triples_for_predicate(sh::INVERSE_PATH).count(), 1);
        assert_eq!(graph.triples_for_predicate(sh::VALUE).count(), 1);
        assert!(
            graph.contains(TripleRef::new(
                graph
                    .subject_for_predicate_object(rdf::TYPE, sh::VALIDATION_REPORT)
                    .expect("report"),
                sh::CONFORMS,
                &Literal::from(false),
            ))
        );
    }
}
