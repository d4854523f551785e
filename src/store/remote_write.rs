//! The one door for writes over a remote engine (`serve --backend sparql --update-url`).
//!
//! A write is turned into the quads it removes and adds, read against the engine as it is now
//! (a graph's old content, a WHERE clause's solutions). The derived graph is brought up to date
//! around those quads by [`infer::update`], which reads only their neighbourhood, here through
//! an [`Overlay`]: the engine's answers with the write's own changes laid over them. The shapes
//! are checked on the focus nodes the write can have changed, on a scratch copy of their
//! neighbourhood as it would be after the write. Only then is the whole change (asserted and
//! derived) sent as one SPARQL Update, `DELETE DATA` then `INSERT DATA`, which the engines apply
//! atomically.
//!
//! What cannot be done exactly this way is refused with the reason, never applied half-checked:
//! a write to the ontology or the schema (it can change what is derived anywhere), more than
//! `infer::MAX_LOCAL_TRIPLES` triples, blank nodes already in the engine (they cannot be named
//! across the protocol), a `DELETE`/`INSERT ... WHERE` after another operation of the same
//! update, shapes that read further than one step from a focus node, and replacing the whole
//! dataset.
//!
//! Blank nodes a write adds are new ones: nothing in the engine touches them, so what is known
//! about them is what the write says, and they reach the engine in the one insert that carries
//! both the data and what is derived from it, where one label is one node. The engine's own
//! blank nodes next to a write are read through an [`Anchor`], the triple that joined them to
//! an IRI in an earlier answer; they can be read, never written.

use super::remote::RemoteStore;
use super::touched::{self, Touched};
use super::{GraphTarget, StoreError, WriteOp, WriteOutcome};
use crate::infer::{self, LocalTarget};
use crate::validate::{Shapes, ValidationReport};
use oxigraph::model::{
    BlankNode, Graph, GraphName, NamedNode, NamedOrBlankNode, Quad, Term, Triple, vocab::rdf,
};
use oxigraph::sparql::CancellationToken;
use spargebra::GraphUpdateOperation;
use std::collections::HashMap;
use std::collections::HashSet;

/// What a write removes and adds, as sets: a quad both removed and then added is only added.
#[derive(Debug, Default)]
pub(super) struct Delta {
    pub removed: HashSet<Quad>,
    pub added: HashSet<Quad>,
    pub graph_existed: bool,
}

impl Delta {
    fn remove(&mut self, quad: Quad) {
        self.added.remove(&quad);
        self.removed.insert(quad);
    }

    fn add(&mut self, quad: Quad) {
        self.removed.remove(&quad);
        self.added.insert(quad);
    }

    fn quads(&self) -> impl Iterator<Item = &Quad> {
        self.removed.iter().chain(&self.added)
    }

    /// Gives the blank nodes of the added quads labels of their own, random ones: the engine's
    /// answers read during the checks carry its labels, which a label from the request could
    /// equal. Returns the new nodes.
    fn renew_blank_nodes(&mut self) -> HashSet<BlankNode> {
        let mut renamed: HashMap<BlankNode, BlankNode> = HashMap::new();
        let mut renew = |node: &BlankNode| renamed.entry(node.clone()).or_default().clone();
        self.added = std::mem::take(&mut self.added)
            .into_iter()
            .map(|mut quad| {
                if let NamedOrBlankNode::BlankNode(b) = &quad.subject {
                    quad.subject = renew(b).into();
                }
                if let Term::BlankNode(b) = &quad.object {
                    quad.object = renew(b).into();
                }
                quad
            })
            .collect();
        renamed.into_values().collect()
    }
}

/// Which graphs a lookup reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Graphs {
    Asserted,
    Derived,
}

/// The most terms one request to the engine names in a VALUES block.
const VALUES_PER_REQUEST: usize = 256;

const REFUSED: &str = "over a remote engine, dealgraph refuses this write: ";
/// What [`declined`] starts its message with.
const DECLINED: &str =
    "over a remote engine, dealgraph cannot check this write around what it changes: ";

/// A write that cannot be done over the engine at all.
fn refused(why: &str) -> StoreError {
    StoreError::Refused(format!("{REFUSED}{why}"))
}

/// A write that cannot be checked around what it changes, reading only that neighbourhood:
/// it is then tried on a copy of the whole engine ([`RemoteStore::write_on_copy`]).
fn declined(why: &str) -> StoreError {
    StoreError::Refused(format!("{DECLINED}{why}"))
}

/// The most quads a write may copy from the engine to be tried on the copy.
pub const MAX_COPY_QUADS: usize = 2_000_000;

impl RemoteStore {
    /// Applies `op` through the door; with `commit` false, checks it and sends nothing.
    pub(super) fn write_through(
        &self,
        op: WriteOp,
        commit: bool,
    ) -> Result<(WriteOutcome, ValidationReport), StoreError> {
        match self.write_around(op.clone(), commit) {
            Err(StoreError::Refused(why)) if why.starts_with(DECLINED) => {
                tracing::info!("{why}; trying it on a copy of the engine");
                self.write_on_copy(op, commit, &why[DECLINED.len()..])
            }
            done => done,
        }
    }

    /// The write checked around what it changes: the derived graph maintained and the shapes
    /// checked in the neighbourhood of its quads, read from the engine with the write laid over.
    fn write_around(
        &self,
        op: WriteOp,
        commit: bool,
    ) -> Result<(WriteOutcome, ValidationReport), StoreError> {
        super::refuse_derived_target(&op)?;
        let mut delta = self.plan(op)?;
        // An update naming the derived graph changes nothing there: the embedded store keeps
        // that graph to what the rules derive, whatever an update writes into it.
        let derived = infer::derived_graph();
        let in_derived = |q: &Quad| q.graph_name == GraphName::NamedNode(derived.clone());
        delta.removed.retain(|q| !in_derived(q));
        delta.added.retain(|q| !in_derived(q));
        if delta.quads().any(|q| q.graph_name.is_default_graph()) {
            return Err(refused(
                "it writes the default graph, which not every engine keeps apart from the \
                 union of its graphs; name a graph",
            ));
        }
        if delta.removed.iter().any(has_blank_node) {
            return Err(refused(
                "it removes triples with blank nodes, which cannot be named across the SPARQL \
                 protocol; give those nodes IRIs",
            ));
        }
        let fresh = delta.renew_blank_nodes();
        let ontology = format!("{}graph/ontology-", super::NAMESPACE);
        if delta.quads().any(|q| match &q.graph_name {
            GraphName::NamedNode(g) => g.as_str().starts_with(&ontology),
            _ => false,
        }) {
            return Err(declined(
                "it writes the ontology or the shapes, which can change what is derived and \
                 checked anywhere",
            ));
        }
        let triples: Vec<Triple> = delta.quads().cloned().map(Triple::from).collect();
        let mut overlay = Overlay {
            store: self,
            delta: &delta,
            derived_removed: HashSet::new(),
            derived_added: HashSet::new(),
            ontology: std::cell::OnceCell::new(),
            fresh,
            anchors: std::cell::RefCell::default(),
        };
        let change = infer::update(&mut overlay, &triples)?.map_err(|reason| {
            declined(&format!(
                "the derived graph could not be kept up to date around it ({reason})"
            ))
        })?;
        let report = self.check_around(&overlay, &triples, &change)?;
        if !report.conforms() {
            return Err(StoreError::Invalid(Box::new(report)));
        }
        let mut removed: Vec<Quad> = delta.removed.iter().cloned().collect();
        removed.extend(
            overlay
                .derived_removed
                .iter()
                .map(|t| t.clone().in_graph(derived.clone())),
        );
        let mut added: Vec<Quad> = delta.added.iter().cloned().collect();
        added.extend(
            overlay
                .derived_added
                .iter()
                .map(|t| t.clone().in_graph(derived.clone())),
        );
        // What is derived about the engine's own blank nodes cannot be sent: a label in an
        // update is a new node, and DELETE DATA takes none.
        let old_blank = |q: &Quad| {
            [Term::from(q.subject.clone()), q.object.clone()]
                .iter()
                .any(|t| overlay.is_old_blank(t))
        };
        if removed.iter().any(has_blank_node) || added.iter().any(old_blank) {
            return Err(refused(
                "what it derives names blank nodes of the engine, which cannot be named across \
                 the SPARQL protocol",
            ));
        }
        if commit {
            self.send_change(&removed, &added)?;
        }
        let mut touched = removed;
        touched.extend(added);
        Ok((
            WriteOutcome {
                graph_existed: delta.graph_existed,
                maintained_locally: true,
                touched: Some(touched),
            },
            report,
        ))
    }

    /// The write tried on a copy of the whole engine (every named graph, the derived one
    /// included) through the embedded store's own door, which derives and checks it there as it
    /// would at home; what the copy holds afterwards that the engine does not, and the reverse,
    /// is then sent as one change. Refused when the engine holds more than [`MAX_COPY_QUADS`].
    fn write_on_copy(
        &self,
        op: WriteOp,
        commit: bool,
        why: &str,
    ) -> Result<(WriteOutcome, ValidationReport), StoreError> {
        let held = self.quads_held()?;
        if held > MAX_COPY_QUADS {
            return Err(refused(&format!(
                "{why}; trying it on a copy of the engine would copy {held} quads, more than \
                 the {MAX_COPY_QUADS} a write may"
            )));
        }
        let started = std::time::Instant::now();
        let copy = super::embedded::EmbeddedStore::copy_of(
            super::select_quads(self, "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")?,
            self.options.clone(),
            self.limits,
        )?;
        // The copy as the store gives it back (it keeps some literals by value, a duration
        // "P60M" as "P5Y"), so that only what the write changes differs afterwards.
        let mut before: HashSet<Quad> = HashSet::new();
        copy.for_each_quad(|quad| {
            before.insert(quad);
        })?;
        let engine_blanks: HashSet<BlankNode> = before
            .iter()
            .flat_map(|q| {
                let subject = match &q.subject {
                    NamedOrBlankNode::BlankNode(b) => Some(b.clone()),
                    NamedOrBlankNode::NamedNode(_) => None,
                };
                let object = match &q.object {
                    Term::BlankNode(b) => Some(b.clone()),
                    _ => None,
                };
                subject.into_iter().chain(object)
            })
            .collect();
        if !commit {
            return Ok((WriteOutcome::default(), super::Backend::check(&copy, op)?));
        }
        let mut outcome = super::Backend::write(&copy, op)?;
        let mut added = Vec::new();
        copy.for_each_quad(|quad| {
            if !before.remove(&quad) {
                added.push(quad);
            }
        })?;
        let removed: Vec<Quad> = before.into_iter().collect();
        let old_blank = |q: &Quad| {
            matches!(&q.subject, NamedOrBlankNode::BlankNode(b) if engine_blanks.contains(b))
                || matches!(&q.object, Term::BlankNode(b) if engine_blanks.contains(b))
        };
        if removed.iter().any(has_blank_node) || added.iter().any(old_blank) {
            return Err(refused(&format!(
                "{why}, and on a copy of the engine it changes triples about the engine's \
                 blank nodes, which cannot be named across the SPARQL protocol"
            )));
        }
        tracing::info!(
            copied = held,
            removed = removed.len(),
            added = added.len(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "write tried on a copy of the engine"
        );
        self.send_change(&removed, &added)?;
        let mut touched = removed;
        touched.extend(added);
        outcome.touched = Some(touched);
        outcome.maintained_locally = false;
        // The copy checked every shape; its report is the write's.
        Ok((outcome, ValidationReport::default()))
    }

    /// How many quads the engine holds in its named graphs.
    fn quads_held(&self) -> Result<usize, StoreError> {
        let rows = self.solutions(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
            &CancellationToken::new(),
        )?;
        Ok(rows
            .first()
            .and_then(|row| row.get("n"))
            .and_then(|n| match n {
                Term::Literal(l) => l.value().parse().ok(),
                _ => None,
            })
            .unwrap_or(0))
    }

    /// The quads a write removes and adds, read against the engine as it is.
    fn plan(&self, op: WriteOp) -> Result<Delta, StoreError> {
        let mut delta = Delta::default();
        match op {
            WriteOp::Insert { quads } => quads.into_iter().for_each(|q| delta.add(q)),
            WriteOp::AddToGraph { graph, quads } => {
                delta.graph_existed = self.graph_exists_here(&graph)?;
                quads.into_iter().for_each(|q| delta.add(q));
            }
            WriteOp::ReplaceGraph { graph, quads } => {
                delta.graph_existed = self.graph_exists_here(&graph)?;
                for quad in self.graph_content(&graph)? {
                    delta.remove(quad);
                }
                quads.into_iter().for_each(|q| delta.add(q));
            }
            WriteOp::ReplaceGraphs { graphs } => {
                for (graph, quads) in graphs {
                    for quad in self.graph_content(&graph)? {
                        delta.remove(quad);
                    }
                    quads.into_iter().for_each(|q| delta.add(q));
                }
            }
            WriteOp::DropGraph { graph } => {
                delta.graph_existed = self.graph_exists_here(&graph)?;
                if let GraphTarget::Named(name) = &graph
                    && !delta.graph_existed
                {
                    return Err(StoreError::GraphNotFound(name.as_str().to_owned()));
                }
                for quad in self.graph_content(&graph)? {
                    delta.remove(quad);
                }
            }
            WriteOp::ReplaceAll { .. } => {
                return Err(declined(
                    "it replaces the whole dataset; load the dataset into the engine with its \
                     own tools",
                ));
            }
            WriteOp::Update {
                update,
                using,
                cancel,
            } => {
                let update =
                    super::prepare_update(&update, &using, &self.options.fetcher, self.limits)?;
                self.plan_update(update, &cancel, &mut delta)?;
            }
        }
        Ok(delta)
    }

    fn plan_update(
        &self,
        update: spargebra::Update,
        cancel: &CancellationToken,
        delta: &mut Delta,
    ) -> Result<(), StoreError> {
        if update.operations.iter().any(|o| {
            matches!(o, GraphUpdateOperation::DeleteInsert { .. })
                && touched::inserts_blank_nodes(o)
        }) {
            return Err(declined(
                "its INSERT template makes blank nodes for each solution of its WHERE clause; \
                 insert them with INSERT DATA, or give them IRIs",
            ));
        }
        for (i, operation) in update.operations.iter().enumerate() {
            match operation {
                GraphUpdateOperation::InsertData { .. } => {
                    for quad in listed(touched::data_quads(operation))? {
                        delta.add(quad);
                    }
                }
                GraphUpdateOperation::DeleteData { .. } => {
                    for quad in listed(touched::data_quads(operation))? {
                        delta.remove(quad);
                    }
                }
                GraphUpdateOperation::Create { graph, silent } => {
                    // As the embedded store does: CREATE of a graph that exists fails the whole
                    // update, unless SILENT.
                    let named = GraphName::NamedNode(graph.clone());
                    let exists = delta.added.iter().any(|q| q.graph_name == named)
                        || self.graph_exists_here(&GraphTarget::Named(graph.clone()))?;
                    if exists && !*silent {
                        return Err(StoreError::UpdateFailed(format!(
                            "The graph {graph} already exists"
                        )));
                    }
                }
                GraphUpdateOperation::DeleteInsert {
                    delete,
                    insert,
                    using,
                    pattern,
                } => {
                    // Its WHERE clause is read on the engine, which has not seen the operations
                    // before it: only the first may have one.
                    if i > 0 {
                        return Err(declined(
                            "a DELETE/INSERT ... WHERE follows another operation of the same \
                             update; send it as an update of its own",
                        ));
                    }
                    let query = spargebra::Query::Select {
                        dataset: using.clone(),
                        pattern: (**pattern).clone(),
                        base_iri: update.base_iri.clone(),
                    };
                    let rows = self.solutions(&query.to_string(), cancel)?;
                    if rows
                        .iter()
                        .any(|row| row.iter().any(|(_, t)| matches!(t, Term::BlankNode(_))))
                    {
                        return Err(declined(
                            "its WHERE clause matches blank nodes in the engine, which cannot \
                             be named across the SPARQL protocol",
                        ));
                    }
                    if rows.len() > touched::MAX_TOUCHED {
                        return Err(declined(&format!(
                            "its WHERE clause has more than {} solutions",
                            touched::MAX_TOUCHED
                        )));
                    }
                    for quad in listed(Some(touched::instantiate(delete, &[], &rows)))? {
                        delta.remove(quad);
                    }
                    for quad in listed(Some(touched::instantiate(&[], insert, &rows)))? {
                        delta.add(quad);
                    }
                }
                GraphUpdateOperation::Clear { graph, silent }
                | GraphUpdateOperation::Drop { graph, silent } => {
                    let spargebra::algebra::GraphTarget::NamedNode(name) = graph else {
                        return Err(declined(
                            "it clears or drops more than one named graph; name the graph",
                        ));
                    };
                    let target = GraphTarget::Named(name.clone());
                    if !*silent && !self.graph_exists_here(&target)? {
                        return Err(StoreError::GraphNotFound(name.as_str().to_owned()));
                    }
                    for quad in self.graph_content(&target)? {
                        delta.remove(quad);
                    }
                }
                GraphUpdateOperation::Load { .. } => {
                    // prepare_update has turned every LOAD into INSERT DATA already.
                    return Err(StoreError::Storage("a LOAD was left unresolved".into()));
                }
            }
        }
        Ok(())
    }

    fn graph_exists_here(&self, graph: &GraphTarget) -> Result<bool, StoreError> {
        super::Backend::graph_exists(self, graph)
    }

    /// A named graph's quads on the engine, at most `MAX_TOUCHED` of them.
    fn graph_content(&self, graph: &GraphTarget) -> Result<Vec<Quad>, StoreError> {
        let GraphTarget::Named(name) = graph else {
            return Err(refused("it addresses the default graph; name a graph"));
        };
        let quads = self.quads_matching(
            None,
            None,
            None,
            Some(name),
            Graphs::Asserted,
            touched::MAX_TOUCHED + 1,
        )?;
        if quads.len() > touched::MAX_TOUCHED {
            return Err(declined(&format!(
                "graph <{}> holds more than {} triples; replace or drop it with the engine's \
                 own tools",
                name.as_str(),
                touched::MAX_TOUCHED
            )));
        }
        Ok(quads)
    }

    /// Validates the focus nodes the write can have changed, on a scratch copy of their
    /// neighbourhood (each focus node's quads either way, and those of the nodes one step
    /// away), as it will be after the write, with the ontology and the shapes.
    fn check_around(
        &self,
        overlay: &Overlay<'_>,
        touched: &[Triple],
        change: &infer::DerivedChange,
    ) -> Result<ValidationReport, StoreError> {
        let mut schema = overlay.ontology()?.to_vec();
        let shapes_graph = super::shapes_graph();
        let mut graph = Graph::new();
        for quad in &schema {
            if quad.graph_name == GraphName::NamedNode(shapes_graph.clone()) {
                graph.insert(quad.as_ref());
            }
        }
        if graph.is_empty() {
            return Ok(ValidationReport::default());
        }
        let shapes = Shapes::from_graph(&graph)?;
        let Some(value_predicates) = shapes.value_predicates() else {
            return Err(declined(
                "the shapes read further than one step from a focus node, so the whole \
                 engine would have to be validated",
            ));
        };
        let changed = touched.iter().chain(&change.added).chain(&change.removed);
        let focus = touched::focus_nodes(&value_predicates, changed, &mut |node| {
            overlay.touching(node, None)
        })?;

        // A term of the ontology (the class of a new fact's rdf:type) is a focus node with its
        // own triples only: the triples naming it are every instance of the class.
        let vocabulary: HashSet<Term> = schema
            .iter()
            .flat_map(|q| [Term::from(q.subject.clone()), q.object.clone()])
            .collect();
        let mut neighbourhood: HashSet<Quad> = HashSet::new();
        let mut values: HashSet<Term> = HashSet::new();
        for node in &focus {
            let quads = match subject_of(node) {
                Some(subject) if vocabulary.contains(node) => overlay.with_subjects(&[subject])?,
                _ => overlay.touching(node, None)?,
            };
            for quad in quads {
                for end in [Term::from(quad.subject.clone()), quad.object.clone()] {
                    if end != *node && !matches!(end, Term::Literal(_)) {
                        values.insert(end);
                    }
                }
                neighbourhood.insert(quad);
            }
        }
        let values: Vec<&Term> = values.difference(&focus).collect();
        for value in &values {
            if matches!(value, Term::BlankNode(_)) {
                neighbourhood.extend(overlay.touching(value, None)?);
            }
        }
        let values: Vec<NamedNode> = values.into_iter().filter_map(subject_of).collect();
        for chunk in values.chunks(VALUES_PER_REQUEST) {
            neighbourhood.extend(overlay.with_subjects(chunk)?);
        }
        let mut focus: Vec<Term> = focus.into_iter().collect();
        focus.sort_by_key(ToString::to_string);
        schema.extend(neighbourhood);
        super::embedded::validate_scratch(&shapes, schema, &focus)
    }

    /// Every quad of the ontology's graphs (the shapes graph is one of them).
    fn ontology_quads(&self) -> Result<Vec<Quad>, StoreError> {
        let prefix = format!("{}graph/ontology-", super::NAMESPACE);
        super::select_quads(
            self,
            &format!(
                "SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} \
             FILTER(STRSTARTS(STR(?g), \"{prefix}\")) }}"
            ),
        )
    }
}

/// The quads a step of the update lists; what it cannot list is refused.
fn listed(touched: Option<Touched>) -> Result<Vec<Quad>, StoreError> {
    match touched {
        Some(Touched::Quads(quads)) => Ok(quads),
        _ => Err(declined(&format!(
            "it changes more than {} triples, or triples that cannot be listed",
            touched::MAX_TOUCHED
        ))),
    }
}

fn has_blank_node(quad: &Quad) -> bool {
    matches!(quad.subject, NamedOrBlankNode::BlankNode(_))
        || matches!(quad.object, Term::BlankNode(_))
}

/// Whether `node` is this subject.
fn is_subject(subject: &NamedOrBlankNode, node: &Term) -> bool {
    match (subject, node) {
        (NamedOrBlankNode::NamedNode(s), Term::NamedNode(n)) => s == n,
        (NamedOrBlankNode::BlankNode(s), Term::BlankNode(n)) => s == n,
        _ => false,
    }
}

fn subject_of(term: &Term) -> Option<NamedNode> {
    match term {
        Term::NamedNode(n) => Some(n.clone()),
        _ => None,
    }
}

/// The engine as it will be after the write: its answers, minus what the write removes, plus
/// what it adds, in the asserted graphs and in the derived one.
pub(super) struct Overlay<'a> {
    store: &'a RemoteStore,
    delta: &'a Delta,
    derived_removed: HashSet<Triple>,
    derived_added: HashSet<Triple>,
    /// The ontology's graphs, read once per write: the vocabulary and the shapes both need them
    /// (a write cannot change them: it is refused first).
    ontology: std::cell::OnceCell<Vec<Quad>>,
    /// The blank nodes the write adds: the engine has nothing about them.
    fresh: HashSet<BlankNode>,
    /// For each blank node of the engine met in an answer, a triple that joins it to an IRI:
    /// the only way a later request can reach it.
    anchors: std::cell::RefCell<HashMap<BlankNode, Anchor>>,
}

/// A triple of the engine between an IRI and a blank node, in either direction.
#[derive(Debug, Clone)]
struct Anchor {
    node: NamedNode,
    predicate: NamedNode,
    /// Whether the blank node is the triple's object (`<node> <predicate> _:b`).
    blank_is_object: bool,
}

impl Overlay<'_> {
    fn is_fresh(&self, term: &Term) -> bool {
        matches!(term, Term::BlankNode(b) if self.fresh.contains(b))
    }

    /// A blank node that is not the write's own: one of the engine's, which no request names.
    fn is_old_blank(&self, term: &Term) -> bool {
        matches!(term, Term::BlankNode(_)) && !self.is_fresh(term)
    }

    /// Notes, for each blank node of the engine in `quads`, the triple joining it to an IRI.
    fn note_anchors(&self, quads: &[Quad]) {
        let mut anchors = self.anchors.borrow_mut();
        for quad in quads {
            let anchor = match (&quad.subject, &quad.object) {
                (NamedOrBlankNode::NamedNode(node), Term::BlankNode(blank)) => (blank, node, true),
                (NamedOrBlankNode::BlankNode(blank), Term::NamedNode(node)) => (blank, node, false),
                _ => continue,
            };
            anchors.entry(anchor.0.clone()).or_insert_with(|| Anchor {
                node: anchor.1.clone(),
                predicate: quad.predicate.clone(),
                blank_is_object: anchor.2,
            });
        }
    }

    /// The engine's quads with one of its blank nodes as subject or object, in the asserted
    /// graphs or the derived one, reached through the triple that led to it. The engine's
    /// labels must stay the same from one answer to the next (Oxigraph server's and Virtuoso's
    /// do); where they do not, the node is not found again and the write is refused.
    fn engine_blank(&self, blank: &BlankNode, graphs: Graphs) -> Result<Vec<Quad>, StoreError> {
        let Some(anchor) = self.anchors.borrow().get(blank).cloned() else {
            return Err(declined(
                "a blank node of the engine is next to what it changes, reached from no IRI, \
                 and it cannot be named across the SPARQL protocol",
            ));
        };
        let reach = if anchor.blank_is_object {
            format!("{} {} ?b", anchor.node, anchor.predicate)
        } else {
            format!("?b {} {}", anchor.predicate, anchor.node)
        };
        // The triple that led here comes back with the node in this answer, in whichever
        // graph it is, unless the engine's label for it changed.
        let query = format!(
            "SELECT ?b ?s ?p ?o ?g WHERE {{ GRAPH ?a {{ {reach} }} FILTER(isBlank(?b)) \
             {{ GRAPH ?g {{ ?b ?p ?o }} BIND(?b AS ?s) }} UNION {{ GRAPH ?g {{ ?s ?p ?b }} \
             BIND(?b AS ?o) }} }}"
        );
        let rows = self.store.solutions(&query, &CancellationToken::new())?;
        let wanted = Term::BlankNode(blank.clone());
        let mut quads = Vec::new();
        for row in rows.iter().filter(|row| row.get("b") == Some(&wanted)) {
            let (Some(s), Some(Term::NamedNode(p)), Some(o), Some(Term::NamedNode(g))) =
                (row.get("s"), row.get("p"), row.get("o"), row.get("g"))
            else {
                continue;
            };
            let subject = match s {
                Term::NamedNode(n) => NamedOrBlankNode::from(n.clone()),
                Term::BlankNode(b) => NamedOrBlankNode::from(b.clone()),
                Term::Literal(_) => continue,
            };
            quads.push(Quad::new(subject, p.clone(), o.clone(), g.clone()));
        }
        if quads.is_empty() {
            return Err(declined(
                "the engine names its blank nodes differently from one answer to the next, so \
                 one next to what it changes cannot be read again",
            ));
        }
        self.note_anchors(&quads);
        let derived = GraphName::NamedNode(infer::derived_graph());
        quads.retain(|q| match graphs {
            Graphs::Asserted => q.graph_name != derived && !self.delta.removed.contains(q),
            Graphs::Derived => {
                q.graph_name == derived && !self.derived_removed.contains(&Triple::from(q.clone()))
            }
        });
        Ok(quads)
    }

    /// The quads the write itself adds, in the asserted graphs or the derived one, with `node`
    /// as subject or object: all there is about its new blank nodes.
    fn added_touching(&self, node: &Term, graphs: Graphs) -> Vec<Quad> {
        let touches = |s: &NamedOrBlankNode, o: &Term| is_subject(s, node) || o == node;
        match graphs {
            Graphs::Asserted => self
                .delta
                .added
                .iter()
                .filter(|q| touches(&q.subject, &q.object))
                .cloned()
                .collect(),
            Graphs::Derived => {
                let derived = infer::derived_graph();
                self.derived_added
                    .iter()
                    .filter(|t| touches(&t.subject, &t.object))
                    .map(|t| t.clone().in_graph(derived.clone()))
                    .collect()
            }
        }
    }

    /// Whether the write itself adds `triple`, in the asserted graphs or the derived one.
    fn adds(&self, triple: &Triple, graphs: Graphs) -> bool {
        match graphs {
            Graphs::Asserted => self.delta.added.iter().any(|q| {
                q.subject == triple.subject
                    && q.predicate == triple.predicate
                    && q.object == triple.object
            }),
            Graphs::Derived => self.derived_added.contains(triple),
        }
    }

    fn ontology(&self) -> Result<&[Quad], StoreError> {
        if let Some(quads) = self.ontology.get() {
            return Ok(quads);
        }
        let quads = self.store.ontology_quads()?;
        Ok(self.ontology.get_or_init(|| quads))
    }

    /// The quads after the write with `node` as subject or object, in the asserted graphs, the
    /// derived one, or (`None`) both.
    fn touching(&self, node: &Term, graphs: Option<Graphs>) -> Result<Vec<Quad>, StoreError> {
        let mut quads = Vec::new();
        for which in [Graphs::Asserted, Graphs::Derived] {
            if graphs.is_some_and(|g| g != which) {
                continue;
            }
            if self.is_fresh(node) {
                quads.extend(self.added_touching(node, which));
                continue;
            }
            if let Term::BlankNode(blank) = node {
                quads.extend(self.engine_blank(blank, which)?);
                if which == Graphs::Derived {
                    quads.extend(self.added_touching(node, which));
                }
                continue;
            }
            if let Some(subject) = subject_of(node) {
                quads.extend(self.matching(Some(&subject), None, None, which)?);
            }
            for quad in self.matching(None, None, Some(node), which)? {
                // A triple from a node to itself is listed once.
                if Term::from(quad.subject.clone()) != *node {
                    quads.push(quad);
                }
            }
        }
        Ok(quads)
    }

    /// Every quad after the write with one of these subjects, in any graph, in one request.
    fn with_subjects(&self, subjects: &[NamedNode]) -> Result<Vec<Quad>, StoreError> {
        let named: HashSet<&NamedNode> = subjects.iter().collect();
        let derived = infer::derived_graph();
        let is_derived = |q: &Quad| q.graph_name == GraphName::NamedNode(derived.clone());
        let ours =
            |q: &Quad| matches!(&q.subject, NamedOrBlankNode::NamedNode(s) if named.contains(s));
        let values: String = subjects.iter().map(|s| format!(" {s}")).collect();
        let mut quads = super::select_quads(
            self.store,
            &format!(
                "SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{{values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            ),
        )?;
        self.note_anchors(&quads);
        quads.retain(|q| {
            if is_derived(q) {
                !self.derived_removed.contains(&Triple::from(q.clone()))
            } else {
                !self.delta.removed.contains(q)
            }
        });
        quads.extend(self.delta.added.iter().filter(|q| ours(q)).cloned());
        quads.extend(
            self.derived_added
                .iter()
                .map(|t| t.clone().in_graph(derived.clone()))
                .filter(|q| ours(q)),
        );
        Ok(quads)
    }

    /// The quads after the write that match, in the asserted graphs or the derived one.
    fn matching(
        &self,
        subject: Option<&NamedNode>,
        predicate: Option<&NamedNode>,
        object: Option<&Term>,
        graphs: Graphs,
    ) -> Result<Vec<Quad>, StoreError> {
        let fits = |q: &Quad| {
            subject.is_none_or(|s| matches!(&q.subject, NamedOrBlankNode::NamedNode(n) if n == s))
                && predicate.is_none_or(|p| q.predicate == *p)
                && object.is_none_or(|o| q.object == *o)
        };
        let derived = infer::derived_graph();
        // The engine has nothing about the write's new blank nodes.
        let mut quads: Vec<Quad> = match object {
            Some(o) if self.is_fresh(o) => Vec::new(),
            Some(Term::BlankNode(blank)) => {
                let mut quads = self.engine_blank(blank, graphs)?;
                quads.retain(|q| q.object == Term::BlankNode(blank.clone()) && fits(q));
                quads
            }
            _ => {
                let quads = self.store.quads_matching(
                    subject,
                    predicate,
                    object,
                    None,
                    graphs,
                    usize::MAX,
                )?;
                self.note_anchors(&quads);
                quads
            }
        };
        match graphs {
            Graphs::Asserted => {
                quads.retain(|q| !self.delta.removed.contains(q));
                quads.extend(self.delta.added.iter().filter(|q| fits(q)).cloned());
            }
            Graphs::Derived => {
                quads.retain(|q| !self.derived_removed.contains(&Triple::from(q.clone())));
                quads.extend(
                    self.derived_added
                        .iter()
                        .map(|t| t.clone().in_graph(derived.clone()))
                        .filter(|q| fits(q)),
                );
            }
        }
        Ok(quads)
    }

    fn has(&self, triple: &Triple, graphs: Graphs) -> Result<bool, StoreError> {
        let subject = match &triple.subject {
            NamedOrBlankNode::NamedNode(subject) => subject,
            NamedOrBlankNode::BlankNode(b) if self.fresh.contains(b) => {
                return Ok(self.adds(triple, graphs));
            }
            NamedOrBlankNode::BlankNode(blank) => {
                return Ok(self
                    .engine_blank(blank, graphs)?
                    .into_iter()
                    .any(|q| Triple::from(q) == *triple));
            }
        };
        Ok(!self
            .matching(
                Some(subject),
                Some(&triple.predicate),
                Some(&triple.object),
                graphs,
            )?
            .is_empty())
    }
}

impl LocalTarget for Overlay<'_> {
    fn contains(&self, triple: &Triple) -> Result<bool, StoreError> {
        Ok(self.has(triple, Graphs::Asserted)? || self.has(triple, Graphs::Derived)?)
    }

    fn schema(&self) -> Result<Vec<Triple>, StoreError> {
        // A write touching the schema never gets here (`infer::update` declines it first), so
        // the engine's schema is the schema after the write.
        let predicates: String = infer::SCHEMA_PREDICATES
            .iter()
            .map(|p| format!(" <{p}>"))
            .collect();
        let classes: String = infer::SCHEMA_CLASSES
            .iter()
            .map(|c| format!(" <{c}>"))
            .collect();
        let derived = infer::derived_graph();
        Ok(super::select_quads(
            self.store,
            &format!(
                "SELECT ?s ?p ?o ?g WHERE {{ {{ VALUES ?p {{{predicates} }} GRAPH ?g {{ ?s ?p ?o }} }} \
                 UNION {{ VALUES ?o {{{classes} }} GRAPH ?g {{ ?s {} ?o }} BIND({} AS ?p) }} \
                 FILTER(?g != {derived}) }}",
                rdf::TYPE,
                rdf::TYPE
            ))?
            .into_iter()
            .map(Triple::from)
            .collect())
    }

    fn insert_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError> {
        for triple in triples {
            if !self.derived_removed.remove(triple) {
                self.derived_added.insert(triple.clone());
            }
        }
        Ok(())
    }

    fn remove_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError> {
        for triple in triples {
            if !self.derived_added.remove(triple) {
                self.derived_removed.insert(triple.clone());
            }
        }
        Ok(())
    }

    fn asserted_touching(&self, node: &Term) -> Result<Vec<Triple>, StoreError> {
        Ok(self
            .touching(node, Some(Graphs::Asserted))?
            .into_iter()
            .map(Triple::from)
            .collect())
    }

    fn derived_touching(&self, node: &Term) -> Result<Vec<Triple>, StoreError> {
        Ok(self
            .touching(node, Some(Graphs::Derived))?
            .into_iter()
            .map(Triple::from)
            .collect())
    }

    fn is_asserted(&self, triple: &Triple) -> Result<bool, StoreError> {
        self.has(triple, Graphs::Asserted)
    }

    fn vocabulary(&self) -> Result<HashSet<Term>, StoreError> {
        let mut terms = HashSet::new();
        for quad in self.ontology()? {
            terms.insert(Term::from(quad.subject.clone()));
            if let Term::NamedNode(_) = quad.object {
                terms.insert(quad.object.clone());
            }
        }
        Ok(terms)
    }

    fn derived_about_any(&self, nodes: &HashSet<Term>) -> Result<bool, StoreError> {
        let derived = GraphName::NamedNode(infer::derived_graph());
        let subjects: Vec<NamedNode> = nodes.iter().filter_map(subject_of).collect();
        for chunk in subjects.chunks(VALUES_PER_REQUEST) {
            if self
                .with_subjects(chunk)?
                .iter()
                .any(|q| q.graph_name == derived)
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn with_scratch(
        &self,
        triples: &[Triple],
        work: &mut infer::ScratchWork<'_>,
    ) -> Result<Vec<Triple>, StoreError> {
        super::embedded::scratch_rules(triples, work)
    }
}
