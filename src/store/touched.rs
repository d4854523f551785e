//! What a write may change, found before it is applied: the quads it may add or remove (a
//! superset of those it does change), so that the derived graph and the shape check can be
//! brought up to date around them rather than over the whole store.
//!
//! For a SPARQL Update, each `DELETE`/`INSERT ... WHERE` template is instantiated with the
//! solutions of its WHERE clause, evaluated just before the operation runs; data operations
//! give their quads; clearing a graph gives the graph's quads. Whatever cannot be listed (a
//! blank node in an insert template, `CLEAR ALL`, more than [`MAX_TOUCHED`] quads) is
//! [`Touched::Unknown`], and the caller recomputes everything.

use super::StoreError;
use oxigraph::model::vocab::rdf;
use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term, Triple};
use oxigraph::sparql::QuerySolution;
use spargebra::GraphUpdateOperation;
use spargebra::term::{
    GraphName as UpdateGraphName, GraphNamePattern, GroundQuadPattern, GroundTerm,
    GroundTermPattern, NamedNodePattern, QuadPattern, TermPattern,
};
use std::collections::HashSet;

/// The most quads listed before giving up and recomputing everything.
pub const MAX_TOUCHED: usize = crate::infer::MAX_LOCAL_TRIPLES;

/// What a write may change.
#[derive(Debug, Clone)]
pub enum Touched {
    /// Every quad the write added or removed is among these.
    Quads(Vec<Quad>),
    /// Anything may have changed.
    Unknown,
}

impl Touched {
    pub fn none() -> Self {
        Self::Quads(Vec::new())
    }

    /// Adds what another step of the same write touched.
    pub fn extend(&mut self, other: Self) {
        match (&mut *self, other) {
            (Self::Quads(mine), Self::Quads(theirs))
                if mine.len() + theirs.len() <= MAX_TOUCHED =>
            {
                mine.extend(theirs)
            }
            _ => *self = Self::Unknown,
        }
    }

    /// The quads, when they are known and few enough.
    pub fn from_quads(quads: Vec<Quad>) -> Self {
        if quads.len() > MAX_TOUCHED {
            Self::Unknown
        } else {
            Self::Quads(quads)
        }
    }
}

/// Whether an operation inserts blank nodes: they are fresh on every execution, so the quads it
/// adds cannot be named in advance.
pub fn inserts_blank_nodes(operation: &GraphUpdateOperation) -> bool {
    match operation {
        GraphUpdateOperation::InsertData { data } => data.iter().any(|q| {
            matches!(q.subject, NamedOrBlankNode::BlankNode(_))
                || matches!(q.object, Term::BlankNode(_))
        }),
        GraphUpdateOperation::DeleteInsert { insert, .. } => insert.iter().any(|q| {
            matches!(q.subject, TermPattern::BlankNode(_))
                || matches!(q.object, TermPattern::BlankNode(_))
        }),
        _ => false,
    }
}

/// The quads of a data operation (`INSERT DATA`, `DELETE DATA`); `None` for other operations.
pub fn data_quads(operation: &GraphUpdateOperation) -> Option<Touched> {
    Some(match operation {
        GraphUpdateOperation::InsertData { data } => Touched::from_quads(
            data.iter()
                .map(|q| {
                    Quad::new(
                        q.subject.clone(),
                        q.predicate.clone(),
                        q.object.clone(),
                        graph_name(&q.graph_name),
                    )
                })
                .collect(),
        ),
        GraphUpdateOperation::DeleteData { data } => {
            let mut quads = Vec::new();
            for q in data {
                let Some(object) = ground_term(&q.object) else {
                    return Some(Touched::Unknown);
                };
                quads.push(Quad::new(
                    q.subject.clone(),
                    q.predicate.clone(),
                    object,
                    graph_name(&q.graph_name),
                ));
            }
            Touched::from_quads(quads)
        }
        GraphUpdateOperation::Create { .. } => Touched::none(),
        _ => return None,
    })
}

/// The quads a `DELETE`/`INSERT` template gives for the WHERE clause's `solutions`: those it
/// would delete (if present) and insert. Template rows left unbound or ill-formed by a solution
/// are skipped, as the update itself skips them.
pub fn instantiate(
    delete: &[GroundQuadPattern],
    insert: &[QuadPattern],
    solutions: &[QuerySolution],
) -> Touched {
    let mut quads = Vec::new();
    for solution in solutions {
        for pattern in delete {
            let subject = ground_pattern(&pattern.subject, solution);
            let object = ground_pattern(&pattern.object, solution);
            if let Some(quad) = quad(
                subject,
                &pattern.predicate,
                object,
                &pattern.graph_name,
                solution,
            ) {
                quads.push(quad);
            }
        }
        for pattern in insert {
            let subject = term_pattern(&pattern.subject, solution);
            let object = term_pattern(&pattern.object, solution);
            if let Some(quad) = quad(
                subject,
                &pattern.predicate,
                object,
                &pattern.graph_name,
                solution,
            ) {
                quads.push(quad);
            }
        }
        if quads.len() > MAX_TOUCHED {
            return Touched::Unknown;
        }
    }
    Touched::Quads(quads)
}

fn quad(
    subject: Option<Term>,
    predicate: &NamedNodePattern,
    object: Option<Term>,
    graph: &GraphNamePattern,
    solution: &QuerySolution,
) -> Option<Quad> {
    let subject = match subject? {
        Term::NamedNode(n) => NamedOrBlankNode::NamedNode(n),
        Term::BlankNode(b) => NamedOrBlankNode::BlankNode(b),
        _ => return None,
    };
    let predicate = match predicate {
        NamedNodePattern::NamedNode(n) => n.clone(),
        NamedNodePattern::Variable(v) => match solution.get(v)? {
            Term::NamedNode(n) => n.clone(),
            _ => return None,
        },
    };
    let graph = match graph {
        GraphNamePattern::NamedNode(n) => GraphName::NamedNode(n.clone()),
        GraphNamePattern::DefaultGraph => GraphName::DefaultGraph,
        GraphNamePattern::Variable(v) => match solution.get(v)? {
            Term::NamedNode(n) => GraphName::NamedNode(n.clone()),
            _ => return None,
        },
    };
    Some(Quad::new(subject, predicate, object?, graph))
}

fn term_pattern(pattern: &TermPattern, solution: &QuerySolution) -> Option<Term> {
    match pattern {
        TermPattern::NamedNode(n) => Some(n.clone().into()),
        TermPattern::Literal(l) => Some(l.clone().into()),
        TermPattern::Variable(v) => solution.get(v).cloned(),
        // Blank nodes are refused before (see `inserts_blank_nodes`); quoted triples are not
        // listed.
        _ => None,
    }
}

fn ground_pattern(pattern: &GroundTermPattern, solution: &QuerySolution) -> Option<Term> {
    match pattern {
        GroundTermPattern::NamedNode(n) => Some(n.clone().into()),
        GroundTermPattern::Literal(l) => Some(l.clone().into()),
        GroundTermPattern::Variable(v) => solution.get(v).cloned(),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

fn ground_term(term: &GroundTerm) -> Option<Term> {
    match term {
        GroundTerm::NamedNode(n) => Some(n.clone().into()),
        GroundTerm::Literal(l) => Some(Term::from(Literal::clone(l))),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

fn graph_name(graph: &UpdateGraphName) -> GraphName {
    match graph {
        UpdateGraphName::NamedNode(n) => GraphName::NamedNode(NamedNode::clone(n)),
        UpdateGraphName::DefaultGraph => GraphName::DefaultGraph,
    }
}

/// The nodes whose conformance to the shapes a write can have changed: the endpoints of the
/// triples it touched and of the derived triples that changed (`changed`), and, for a triple
/// whose predicate the shapes read one step away from a focus node (`value_predicates`, see
/// `Shapes::value_predicates`), every node next to its endpoints (`touching` lists a node's
/// quads, either way). The class of an rdf:type triple is a candidate itself (a shape could
/// target the objects of rdf:type) but is not expanded to its instances: a type changes whether
/// its subject conforms, and the nodes next to the subject.
pub fn focus_nodes<'a>(
    value_predicates: &HashSet<NamedNode>,
    changed: impl Iterator<Item = &'a Triple>,
    touching: &mut dyn FnMut(&Term) -> Result<Vec<Quad>, StoreError>,
) -> Result<HashSet<Term>, StoreError> {
    let mut nodes: HashSet<Term> = HashSet::new();
    for triple in changed {
        let mut ends = vec![Term::from(triple.subject.clone())];
        if triple.predicate.as_ref() != rdf::TYPE {
            ends.push(triple.object.clone());
        }
        if value_predicates.contains(&triple.predicate) {
            for end in &ends {
                if !matches!(end, Term::Literal(_)) {
                    for quad in touching(end)? {
                        nodes.insert(Term::from(quad.subject));
                        if !matches!(quad.object, Term::Literal(_)) {
                            nodes.insert(quad.object);
                        }
                    }
                }
            }
        }
        for end in ends {
            if !matches!(end, Term::Literal(_)) {
                nodes.insert(end);
            }
        }
        if triple.predicate.as_ref() == rdf::TYPE {
            nodes.insert(triple.object.clone());
        }
    }
    Ok(nodes)
}
