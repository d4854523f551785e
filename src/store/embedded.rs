//! The embedded backend: oxigraph's `Store`, on disk (RocksDB) or in memory.
//!
//! This is the only file that names oxigraph's `Store`. Writes are serialised by one mutex and
//! each runs in one oxigraph transaction; readers never wait for writers (oxigraph reads from
//! snapshots).

use super::touched::{self, Touched};
use super::update::prepare_update;
use super::{
    Backend, Dataset, GraphTarget, QueryForm, QueryRequest, Stats, StoreError, StoreOptions,
    WriteOp, WriteOutcome,
};
use crate::fetch::AllowListServiceHandler;
use crate::guard::{self, Syntax};
use crate::infer;
use crate::rdf::ParseLimits;
use crate::validate::{self, Shapes, ValidationReport};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{
    Graph, GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, NamedOrBlankNodeRef, Quad, Term,
    Triple,
};
use oxigraph::sparql::{
    CancellationToken, PreparedSparqlQuery, QueryResults, QuerySolution, SparqlEvaluator,
};
use oxigraph::store::{Store, Transaction};
use spargebra::GraphUpdateOperation;
use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// Where the embedded store keeps its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A RocksDB directory, created if missing.
    Disk(PathBuf),
    /// A throwaway in-memory store.
    Memory,
}

pub struct EmbeddedStore {
    store: Store,
    options: StoreOptions,
    limits: ParseLimits,
    /// Serialises writes: one transaction at a time, so a write never fails on a conflict.
    write_lock: Mutex<()>,
}

/// RocksDB keeps recent writes in memory and in its write-ahead log until it flushes them on
/// its own; a process that ends first leaves the log to be replayed by the next open. After a
/// million-triple `load --bulk`, that replay took 20 s and 1.7 GB at the server's start-up.
/// Flushing when the store is let go of leaves nothing to replay.
impl Drop for EmbeddedStore {
    fn drop(&mut self) {
        #[cfg(feature = "rocksdb")]
        if let Err(e) = self.store.flush() {
            tracing::warn!("flushing the store on close: {e}");
        }
    }
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    pub fn open(
        location: &StoreLocation,
        options: StoreOptions,
        limits: ParseLimits,
    ) -> Result<Self, StoreError> {
        let store = match location {
            StoreLocation::Memory => Store::new()?,
            StoreLocation::Disk(path) => open_on_disk(path)?,
        };
        Ok(Self {
            store,
            options,
            limits,
            write_lock: Mutex::new(()),
        })
    }

    /// A store in memory holding `quads` as they are, derived graph included, with nothing
    /// derived or checked on the way in: a copy of another store, for a write to be tried on.
    pub(super) fn copy_of(
        quads: impl IntoIterator<Item = Quad>,
        options: StoreOptions,
        limits: ParseLimits,
    ) -> Result<Self, StoreError> {
        let store = Store::new()?;
        store.extend(quads)?;
        Ok(Self {
            store,
            options,
            limits,
            write_lock: Mutex::new(()),
        })
    }

    /// Calls `f` with every quad of the store.
    pub(super) fn for_each_quad(&self, mut f: impl FnMut(Quad)) -> Result<(), StoreError> {
        for quad in self.store.iter() {
            f(quad?);
        }
        Ok(())
    }

    fn evaluator(&self) -> SparqlEvaluator {
        let evaluator = SparqlEvaluator::new().with_default_service_handler(
            AllowListServiceHandler(Arc::clone(&self.options.fetcher)),
        );
        match &self.options.search {
            Some(search) => {
                evaluator.with_service_handler(crate::search::service_name(), search.clone())
            }
            None => evaluator,
        }
    }

    /// Applies one write inside `tx`, and says what it may have changed; the caller commits.
    fn apply(
        &self,
        tx: &mut Transaction<'_>,
        op: WriteOp,
    ) -> Result<(WriteOutcome, Touched), StoreError> {
        let mut outcome = WriteOutcome::default();
        super::refuse_derived_target(&op)?;
        let touched = match op {
            WriteOp::Update {
                update,
                using,
                cancel,
            } => {
                let update = prepare_update(&update, &using, &self.options.fetcher, self.limits)?;
                self.apply_update(tx, update, &cancel)?
            }
            WriteOp::Insert { quads } => {
                tx.extend(&quads);
                Touched::from_quads(quads)
            }
            WriteOp::AddToGraph { graph, quads } => {
                outcome.graph_existed = graph_exists_in(tx, &graph)?;
                if let GraphTarget::Named(name) = &graph {
                    tx.insert_named_graph(name);
                }
                tx.extend(&quads);
                Touched::from_quads(quads)
            }
            WriteOp::ReplaceGraph { graph, quads } => {
                outcome.graph_existed = graph_exists_in(tx, &graph)?;
                let mut touched = graph_quads(tx, &graph.graph_name())?;
                tx.clear_graph(&graph.graph_name())?;
                if let GraphTarget::Named(name) = &graph {
                    tx.insert_named_graph(name);
                }
                tx.extend(&quads);
                touched.extend(Touched::from_quads(quads));
                touched
            }
            WriteOp::ReplaceGraphs { graphs } => {
                let mut touched = Touched::none();
                for (graph, quads) in graphs {
                    touched.extend(graph_quads(tx, &graph.graph_name())?);
                    tx.clear_graph(&graph.graph_name())?;
                    if let GraphTarget::Named(name) = &graph {
                        tx.insert_named_graph(name);
                    }
                    tx.extend(&quads);
                    touched.extend(Touched::from_quads(quads));
                }
                touched
            }
            WriteOp::DropGraph { graph } => {
                outcome.graph_existed = graph_exists_in(tx, &graph)?;
                let touched = graph_quads(tx, &graph.graph_name())?;
                match &graph {
                    GraphTarget::Default => tx.clear_graph(GraphNameRef::DefaultGraph)?,
                    GraphTarget::Named(name) => {
                        if !outcome.graph_existed {
                            return Err(StoreError::GraphNotFound(name.as_str().to_owned()));
                        }
                        tx.remove_named_graph(name)?;
                    }
                }
                touched
            }
            WriteOp::ReplaceAll { quads } => {
                tx.clear()?;
                tx.extend(&quads);
                Touched::Unknown
            }
        };
        Ok((outcome, touched))
    }

    /// Runs a SPARQL Update, one operation at a time so that what each may change is listed
    /// just before it runs (see [`super::touched`]); an update that inserts blank nodes runs
    /// whole and may have changed anything.
    fn apply_update(
        &self,
        tx: &mut Transaction<'_>,
        update: spargebra::Update,
        cancel: &CancellationToken,
    ) -> Result<Touched, StoreError> {
        if update.operations.iter().any(touched::inserts_blank_nodes) {
            self.execute_update(tx, update, cancel)?;
            return Ok(Touched::Unknown);
        }
        let mut touched = Touched::none();
        for operation in update.operations {
            let step = match touched::data_quads(&operation) {
                Some(step) => step,
                None => match &operation {
                    GraphUpdateOperation::DeleteInsert {
                        delete,
                        insert,
                        using,
                        pattern,
                    } => {
                        let query = spargebra::Query::Select {
                            dataset: using.clone(),
                            pattern: (**pattern).clone(),
                            base_iri: update.base_iri.clone(),
                        };
                        let mut prepared = self
                            .evaluator()
                            .with_cancellation_token(cancel.clone())
                            .for_query(query);
                        if prepared.dataset_mut().is_default_dataset() {
                            prepared.dataset_mut().set_default_graph_as_union();
                        }
                        let QueryResults::Solutions(solutions) =
                            prepared.on_transaction(tx).execute()?
                        else {
                            return Err(StoreError::Storage("a WHERE clause is a SELECT".into()));
                        };
                        let mut rows = Vec::new();
                        for solution in solutions {
                            rows.push(solution?);
                            if rows.len() > touched::MAX_TOUCHED {
                                break;
                            }
                        }
                        if rows.len() > touched::MAX_TOUCHED {
                            Touched::Unknown
                        } else {
                            touched::instantiate(delete, insert, &rows)
                        }
                    }
                    GraphUpdateOperation::Clear { graph, .. }
                    | GraphUpdateOperation::Drop { graph, .. } => match graph {
                        spargebra::algebra::GraphTarget::NamedNode(name) => {
                            graph_quads(tx, &GraphName::NamedNode(name.clone()))?
                        }
                        spargebra::algebra::GraphTarget::DefaultGraph => {
                            graph_quads(tx, &GraphName::DefaultGraph)?
                        }
                        _ => Touched::Unknown,
                    },
                    _ => Touched::Unknown,
                },
            };
            touched.extend(step);
            self.execute_update(
                tx,
                spargebra::Update {
                    base_iri: update.base_iri.clone(),
                    operations: vec![operation],
                },
                cancel,
            )?;
        }
        Ok(touched)
    }

    fn execute_update(
        &self,
        tx: &mut Transaction<'_>,
        update: spargebra::Update,
        cancel: &CancellationToken,
    ) -> Result<(), StoreError> {
        let mut prepared = self
            .evaluator()
            .with_cancellation_token(cancel.clone())
            .for_update(update);
        // A WHERE clause with no USING reads the union of all graphs, as queries do.
        for dataset in prepared.using_datasets_mut() {
            if dataset.is_default_dataset() {
                dataset.set_default_graph_as_union();
            }
        }
        prepared.on_transaction(tx).execute()?;
        Ok(())
    }
}

/// Whether a quad is in one of the ontology's graphs: such a write may change the vocabulary,
/// the schema or the shapes, and everything is recomputed.
fn in_ontology(quads: &[Quad]) -> bool {
    let prefix = format!("{}graph/ontology-", super::NAMESPACE);
    quads.iter().any(
        |q| matches!(&q.graph_name, GraphName::NamedNode(g) if g.as_str().starts_with(&prefix)),
    )
}

/// The quads of one graph, as what clearing it touches.
fn graph_quads(tx: &Transaction<'_>, graph: &GraphName) -> Result<Touched, StoreError> {
    let mut quads = Vec::new();
    for quad in tx.quads_for_pattern(None, None, None, Some(graph.as_ref())) {
        quads.push(quad?);
        if quads.len() > touched::MAX_TOUCHED {
            return Ok(Touched::Unknown);
        }
    }
    Ok(Touched::Quads(quads))
}

/// Validates a write's transaction (or the store, after a bulk load) against the shapes it holds
/// in the shapes graph (none there: nothing to check), over the union of all its graphs, derived
/// ones included.
fn check_shapes(reading: Reading<'_, '_>) -> Result<ValidationReport, StoreError> {
    let Some(shapes) = read_shapes(reading)? else {
        return Ok(ValidationReport::default());
    };
    match reading {
        // Outside a transaction the store can be read from several threads at once.
        Reading::Store(store) => shapes.validate_in_parallel(store),
        Reading::Tx(_) => shapes.validate(&Select(reading)),
    }
}

/// Past this many candidate focus nodes, listing them in every shape's query costs more than
/// validating the whole store (measured on the seeded store: 600 nodes took four times as long).
const MAX_LOCAL_FOCUS: usize = 256;

/// Validates only the focus nodes a write can have changed: the endpoints of the triples it
/// touched and of the derived triples that changed, and the nodes next to those whose triples
/// the shapes read one step away from a focus node (see [`Shapes::value_predicates`]). Falls
/// back to [`check_shapes`] when the shapes read further, or a blank node is concerned (SPARQL
/// cannot list one in VALUES).
fn check_shapes_around(
    tx: &Transaction<'_>,
    touched: &[Triple],
    change: &infer::DerivedChange,
) -> Result<ValidationReport, StoreError> {
    let shapes = read_shapes(Reading::Tx(tx))?;
    let Some(shapes) = shapes else {
        return Ok(ValidationReport::default());
    };
    let Some(value_predicates) = shapes.value_predicates() else {
        return shapes.validate(&Select(Reading::Tx(tx)));
    };
    let changed = touched.iter().chain(&change.added).chain(&change.removed);
    let nodes = touched::focus_nodes(&value_predicates, changed, &mut |node| {
        touching(tx, node, None)
    })?;
    if nodes.len() > MAX_LOCAL_FOCUS || nodes.iter().any(|n| matches!(n, Term::BlankNode(_))) {
        return shapes.validate(&Select(Reading::Tx(tx)));
    }
    let mut nodes: Vec<Term> = nodes.into_iter().collect();
    nodes.sort_by_key(ToString::to_string);
    shapes.validate_within(&Select(Reading::Tx(tx)), Some(&nodes))
}

/// The shapes of the shapes graph; `None` when it is empty.
fn read_shapes(reading: Reading<'_, '_>) -> Result<Option<Shapes>, StoreError> {
    let shapes_graph = super::shapes_graph();
    let mut shapes = Graph::new();
    for quad in reading.quads(None, None, None, Some(shapes_graph.as_ref().into())) {
        shapes.insert(&Triple::from(quad?));
    }
    if shapes.is_empty() {
        return Ok(None);
    }
    Ok(Some(Shapes::from_graph(&shapes)?))
}

/// SHACL's queries run through this, on a write's transaction or on the store.
struct Select<'a, 'b>(Reading<'a, 'b>);

impl validate::SelectSource for Select<'_, '_> {
    fn select(&self, query: &str) -> Result<Vec<QuerySolution>, StoreError> {
        match self.0.query_union(query)? {
            QueryResults::Solutions(solutions) => Ok(solutions.collect::<Result<_, _>>()?),
            _ => Err(StoreError::Storage(
                "a validation query is not a SELECT".into(),
            )),
        }
    }
}

/// Where our own queries (rules, shapes) read: a write's transaction, or the store itself
/// during a bulk load, which runs outside any transaction.
#[derive(Clone, Copy)]
enum Reading<'a, 'b> {
    Tx(&'a Transaction<'b>),
    Store(&'a Store),
}

impl<'a> Reading<'a, '_> {
    fn quads(
        self,
        subject: Option<NamedOrBlankNodeRef<'_>>,
        predicate: Option<oxigraph::model::NamedNodeRef<'_>>,
        object: Option<oxigraph::model::TermRef<'_>>,
        graph: Option<GraphNameRef<'_>>,
    ) -> oxigraph::store::QuadIter<'a> {
        match self {
            Reading::Tx(tx) => tx.quads_for_pattern(subject, predicate, object, graph),
            Reading::Store(store) => store.quads_for_pattern(subject, predicate, object, graph),
        }
    }

    /// Runs one of our own queries over the union of all graphs.
    fn query_union(self, query: &str) -> Result<QueryResults<'a>, StoreError> {
        let mut prepared = SparqlEvaluator::new().parse_query(query)?;
        prepared.dataset_mut().set_default_graph_as_union();
        Ok(match self {
            Reading::Tx(tx) => prepared.on_transaction(tx).execute()?,
            Reading::Store(store) => prepared.on_store(store).execute()?,
        })
    }

    fn construct(self, query: &str) -> Result<Vec<Triple>, StoreError> {
        match self.query_union(query)? {
            QueryResults::Graph(triples) => Ok(triples.collect::<Result<_, _>>()?),
            _ => Err(StoreError::BadRequest(format!(
                "a rule must be a CONSTRUCT: {query}"
            ))),
        }
    }

    fn select_column(self, query: &str, variable: &str) -> Result<Vec<Term>, StoreError> {
        let QueryResults::Solutions(solutions) = self.query_union(query)? else {
            return Err(StoreError::Storage(format!("not a SELECT: {query}")));
        };
        let mut values = Vec::new();
        for solution in solutions {
            if let Some(term) = solution?.get(variable) {
                values.push(term.clone());
            }
        }
        Ok(values)
    }

    fn contains(self, triple: &Triple) -> Result<bool, StoreError> {
        Ok(self
            .quads(
                Some(triple.subject.as_ref()),
                Some(triple.predicate.as_ref()),
                Some(triple.object.as_ref()),
                None,
            )
            .next()
            .transpose()?
            .is_some())
    }

    fn with_predicate(self, predicate: &NamedNode) -> Result<Vec<Triple>, StoreError> {
        let mut triples = Vec::new();
        for quad in self.quads(None, Some(predicate.as_ref()), None, None) {
            triples.push(Triple::from(quad?));
        }
        Ok(triples)
    }

    fn derived_triples(self) -> Result<Vec<Triple>, StoreError> {
        let derived = infer::derived_graph();
        let mut triples = Vec::new();
        for quad in self.quads(None, None, None, Some(derived.as_ref().into())) {
            triples.push(Triple::from(quad?));
        }
        Ok(triples)
    }

    fn schema(self) -> Result<Vec<Triple>, StoreError> {
        let derived = infer::derived_graph();
        let mut triples = Vec::new();
        let rdf_type = NamedNode::new_unchecked("http://www.w3.org/1999/02/22-rdf-syntax-ns#type");
        let mut patterns: Vec<(NamedNode, Option<Term>)> = infer::SCHEMA_PREDICATES
            .iter()
            .map(|p| (NamedNode::new_unchecked(*p), None))
            .collect();
        for class in infer::SCHEMA_CLASSES {
            patterns.push((
                rdf_type.clone(),
                Some(NamedNode::new_unchecked(*class).into()),
            ));
        }
        for (predicate, object) in &patterns {
            for quad in self.quads(
                None,
                Some(predicate.as_ref()),
                object.as_ref().map(Term::as_ref),
                None,
            ) {
                let quad = quad?;
                if !matches!(&quad.graph_name, GraphName::NamedNode(g) if *g == derived) {
                    triples.push(Triple::from(quad));
                }
            }
        }
        Ok(triples)
    }
}

/// During a bulk load the rules run straight on the store, outside any transaction, and what
/// they derive goes in through the bulk loader. In a transaction, a million triples' derived
/// graph made every later read merge the transaction's pending writes (RocksDB's write-batch
/// comparator led the profile) and its commit took 16 s.
struct BulkTarget<'a> {
    store: &'a Store,
}

impl infer::RuleTarget for BulkTarget<'_> {
    fn construct(&self, query: &str) -> Result<Vec<Triple>, StoreError> {
        Reading::Store(self.store).construct(query)
    }

    fn select_column(&self, query: &str, variable: &str) -> Result<Vec<Term>, StoreError> {
        Reading::Store(self.store).select_column(query, variable)
    }

    fn contains(&self, triple: &Triple) -> Result<bool, StoreError> {
        Reading::Store(self.store).contains(triple)
    }

    fn with_predicate(&self, predicate: &NamedNode) -> Result<Vec<Triple>, StoreError> {
        Reading::Store(self.store).with_predicate(predicate)
    }

    fn schema(&self) -> Result<Vec<Triple>, StoreError> {
        Reading::Store(self.store).schema()
    }

    fn derived_triples(&self) -> Result<Vec<Triple>, StoreError> {
        Reading::Store(self.store).derived_triples()
    }

    fn clear_derived(&mut self) -> Result<(), StoreError> {
        Ok(self.store.clear_graph(&infer::derived_graph())?)
    }

    fn insert_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError> {
        let graph = infer::derived_graph();
        let mut loader = self.store.bulk_loader();
        loader.load_quads(triples.iter().map(|t| t.clone().in_graph(graph.clone())))?;
        Ok(loader.commit()?)
    }
}

/// The rules of [`infer`] run on a write's transaction through this.
struct TxTarget<'a, 'b> {
    tx: &'a mut Transaction<'b>,
}

impl infer::RuleTarget for TxTarget<'_, '_> {
    fn construct(&self, query: &str) -> Result<Vec<Triple>, StoreError> {
        Reading::Tx(self.tx).construct(query)
    }

    fn select_column(&self, query: &str, variable: &str) -> Result<Vec<Term>, StoreError> {
        Reading::Tx(self.tx).select_column(query, variable)
    }

    fn contains(&self, triple: &Triple) -> Result<bool, StoreError> {
        Reading::Tx(self.tx).contains(triple)
    }

    fn with_predicate(&self, predicate: &NamedNode) -> Result<Vec<Triple>, StoreError> {
        Reading::Tx(self.tx).with_predicate(predicate)
    }

    fn schema(&self) -> Result<Vec<Triple>, StoreError> {
        Reading::Tx(self.tx).schema()
    }

    fn derived_triples(&self) -> Result<Vec<Triple>, StoreError> {
        Reading::Tx(self.tx).derived_triples()
    }

    fn clear_derived(&mut self) -> Result<(), StoreError> {
        Ok(self.tx.clear_graph(&infer::derived_graph())?)
    }

    fn insert_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError> {
        let graph = infer::derived_graph();
        for triple in triples {
            self.tx.insert(triple.as_ref().in_graph(&graph));
        }
        Ok(())
    }
}

impl infer::LocalTarget for TxTarget<'_, '_> {
    fn contains(&self, triple: &Triple) -> Result<bool, StoreError> {
        infer::RuleTarget::contains(self, triple)
    }

    fn schema(&self) -> Result<Vec<Triple>, StoreError> {
        infer::RuleTarget::schema(self)
    }

    fn insert_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError> {
        infer::RuleTarget::insert_derived(self, triples)
    }

    fn remove_derived(&mut self, triples: &[Triple]) -> Result<(), StoreError> {
        let graph = infer::derived_graph();
        for triple in triples {
            self.tx.remove(triple.as_ref().in_graph(&graph));
        }
        Ok(())
    }

    fn asserted_touching(&self, node: &Term) -> Result<Vec<Triple>, StoreError> {
        let derived = infer::derived_graph();
        Ok(touching(self.tx, node, None)?
            .into_iter()
            .filter(|q| !matches!(&q.graph_name, GraphName::NamedNode(g) if *g == derived))
            .map(Triple::from)
            .collect())
    }

    fn derived_touching(&self, node: &Term) -> Result<Vec<Triple>, StoreError> {
        let derived = GraphName::NamedNode(infer::derived_graph());
        Ok(touching(self.tx, node, Some(&derived))?
            .into_iter()
            .map(Triple::from)
            .collect())
    }

    fn is_asserted(&self, triple: &Triple) -> Result<bool, StoreError> {
        let derived = infer::derived_graph();
        for quad in self.tx.quads_for_pattern(
            Some(triple.subject.as_ref()),
            Some(triple.predicate.as_ref()),
            Some(triple.object.as_ref()),
            None,
        ) {
            if !matches!(&quad?.graph_name, GraphName::NamedNode(g) if *g == derived) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn vocabulary(&self) -> Result<HashSet<Term>, StoreError> {
        let prefix = format!("{}graph/ontology-", super::NAMESPACE);
        let mut subjects = HashSet::new();
        for graph in self.tx.named_graphs() {
            let NamedOrBlankNode::NamedNode(graph) = graph? else {
                continue;
            };
            if !graph.as_str().starts_with(&prefix) {
                continue;
            }
            for quad in self
                .tx
                .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            {
                let quad = quad?;
                subjects.insert(Term::from(quad.subject));
                if let Term::NamedNode(_) = quad.object {
                    subjects.insert(quad.object);
                }
            }
        }
        Ok(subjects)
    }

    fn derived_about_any(&self, nodes: &HashSet<Term>) -> Result<bool, StoreError> {
        let derived = infer::derived_graph();
        for node in nodes {
            let Some(subject) = as_subject(node) else {
                continue;
            };
            if self
                .tx
                .quads_for_pattern(Some(subject), None, None, Some(derived.as_ref().into()))
                .next()
                .transpose()?
                .is_some()
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
        scratch_rules(triples, work)
    }
}

/// Runs `work` on a throwaway in-memory store holding `triples` (what
/// [`infer::LocalTarget::with_scratch`] does for every target, a remote engine's included).
pub(super) fn scratch_rules(
    triples: &[Triple],
    work: &mut infer::ScratchWork<'_>,
) -> Result<Vec<Triple>, StoreError> {
    let store = Store::new()?;
    let mut tx = store.start_transaction()?;
    for triple in triples {
        tx.insert(triple.as_ref().in_graph(GraphNameRef::DefaultGraph));
    }
    // Never committed: the scratch store lives only as long as this call.
    work(&mut TxTarget { tx: &mut tx })
}

/// Validates `focus` against `shapes` on a throwaway in-memory store holding `quads` (a remote
/// engine's neighbourhood of a write, as it would be after it), its union as the default graph.
pub(super) fn validate_scratch(
    shapes: &Shapes,
    quads: impl IntoIterator<Item = Quad>,
    focus: &[Term],
) -> Result<ValidationReport, StoreError> {
    let store = Store::new()?;
    store.extend(quads)?;
    if !focus.iter().any(|n| matches!(n, Term::BlankNode(_))) {
        return shapes.validate_within(&store, Some(focus));
    }
    // A blank node cannot be listed in a query: every target of the scratch copy is validated,
    // and only what is found about the focus nodes is kept. The other nodes of the copy lack
    // their own neighbourhood, so what is found about them says nothing.
    let mut report = shapes.validate_within(&store, None)?;
    report.results.retain(|r| focus.contains(&r.focus));
    Ok(report)
}

/// A term in subject position, when it can be one.
fn as_subject(term: &Term) -> Option<NamedOrBlankNodeRef<'_>> {
    match term {
        Term::NamedNode(n) => Some(n.as_ref().into()),
        Term::BlankNode(b) => Some(b.as_ref().into()),
        _ => None,
    }
}

/// The quads with `node` as subject or object, in `graph` or in any graph.
fn touching(
    tx: &Transaction<'_>,
    node: &Term,
    graph: Option<&GraphName>,
) -> Result<Vec<Quad>, StoreError> {
    let graph = graph.map(GraphName::as_ref);
    let mut quads = Vec::new();
    if let Some(subject) = as_subject(node) {
        for quad in tx.quads_for_pattern(Some(subject), None, None, graph) {
            quads.push(quad?);
        }
    }
    for quad in tx.quads_for_pattern(None, None, Some(node.as_ref()), graph) {
        let quad = quad?;
        // A triple from a node to itself is listed once.
        if Term::from(quad.subject.clone()) != *node {
            quads.push(quad);
        }
    }
    Ok(quads)
}

fn graph_exists_in(tx: &Transaction<'_>, graph: &GraphTarget) -> Result<bool, StoreError> {
    Ok(match graph {
        GraphTarget::Default => true,
        GraphTarget::Named(name) => tx.contains_named_graph(name)?,
    })
}

#[cfg(feature = "rocksdb")]
fn open_on_disk(path: &std::path::Path) -> Result<Store, StoreError> {
    std::fs::create_dir_all(path).map_err(|e| {
        StoreError::Storage(format!(
            "cannot create the store at {}: {e}",
            path.display()
        ))
    })?;
    Store::open(path).map_err(|e| {
        let detail = e.to_string();
        // RocksDB reports a held LOCK file this way; say plainly what it means.
        if detail.contains("lock") || detail.contains("LOCK") {
            StoreError::Locked {
                path: path.display().to_string(),
                detail,
            }
        } else {
            StoreError::Storage(format!(
                "cannot open the store at {}: {detail}",
                path.display()
            ))
        }
    })
}

#[cfg(not(feature = "rocksdb"))]
fn open_on_disk(path: &std::path::Path) -> Result<Store, StoreError> {
    Err(StoreError::Storage(format!(
        "cannot open {}: this build has no on-disk store (built without the `rocksdb` feature); \
         use --memory",
        path.display()
    )))
}

impl Backend for EmbeddedStore {
    fn query_form(&self, query: &str) -> Result<QueryForm, StoreError> {
        Ok(super::form_of(&super::parse_query(query, self.limits)?))
    }

    fn query(&self, request: &QueryRequest) -> Result<QueryResults<'static>, StoreError> {
        guard::check_depth(
            request.query.as_bytes(),
            Syntax::SparqlOrTurtle,
            self.limits.max_nesting,
        )?;
        let mut prepared = self
            .evaluator()
            .with_cancellation_token(request.cancel.clone())
            .parse_query(&request.query)?;
        if request.dataset.is_unspecified() && request.dataset.exclude_derived {
            // Every graph but the derived one, as the default graph and as the named graphs.
            let derived = infer::derived_graph();
            let graphs: Vec<NamedNode> = self
                .named_graphs()?
                .into_iter()
                .filter(|g| *g != derived)
                .collect();
            let spec = prepared.dataset_mut();
            let mut defaults: Vec<GraphName> = vec![GraphName::DefaultGraph];
            defaults.extend(graphs.iter().cloned().map(GraphName::from));
            spec.set_default_graph(defaults);
            spec.set_available_named_graphs(
                graphs.into_iter().map(NamedOrBlankNode::from).collect(),
            );
        } else {
            apply_dataset(&mut prepared, &request.dataset);
        }
        Ok(prepared.on_store(&self.store).execute()?)
    }

    fn write(&self, op: WriteOp) -> Result<WriteOutcome, StoreError> {
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| StoreError::Storage("a previous write panicked".into()))?;
        let mut tx = self.store.start_transaction()?;
        let started = std::time::Instant::now();
        let (mut outcome, touched) = self.apply(&mut tx, op)?;
        if let Touched::Quads(quads) = &touched {
            outcome.touched = Some(quads.clone());
        }
        let applied = started.elapsed();
        let local = match touched {
            Touched::Quads(quads) if !self.options.full_recompute && !in_ontology(&quads) => {
                let triples: Vec<Triple> = quads.into_iter().map(Triple::from).collect();
                infer::update(&mut TxTarget { tx: &mut tx }, &triples)?
                    .ok()
                    .map(|change| (triples, change))
            }
            _ => None,
        };
        if local.is_none() {
            infer::recompute(&mut TxTarget { tx: &mut tx })?;
        }
        outcome.maintained_locally = local.is_some();
        let derived = started.elapsed();
        let report = match &local {
            Some((triples, change)) => check_shapes_around(&tx, triples, change)?,
            None => check_shapes(Reading::Tx(&tx))?,
        };
        tracing::debug!(
            apply_ms = applied.as_millis() as u64,
            infer_ms = (derived - applied).as_millis() as u64,
            shapes_ms = (started.elapsed() - derived).as_millis() as u64,
            local = local.is_some(),
            "write checked"
        );
        if !report.conforms() {
            return Err(StoreError::Invalid(Box::new(report)));
        }
        // Dropping `tx` on any error above discards every change: the write is all or nothing.
        tx.commit()?;
        Ok(outcome)
    }

    fn check(&self, op: WriteOp) -> Result<ValidationReport, StoreError> {
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| StoreError::Storage("a previous write panicked".into()))?;
        let mut tx = self.store.start_transaction()?;
        // A check is rare and shows its report: the derived graph is recomputed whole.
        self.apply(&mut tx, op)?;
        infer::recompute(&mut TxTarget { tx: &mut tx })?;
        // The transaction is dropped, never committed: checking writes nothing.
        check_shapes(Reading::Tx(&tx))
    }

    fn bulk_load(
        &self,
        input: &mut dyn Read,
        format: RdfFormat,
        graph: &NamedNode,
        keep_named_graphs: bool,
        on_progress: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<u64, StoreError> {
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| StoreError::Storage("a previous write panicked".into()))?;
        let started = std::time::Instant::now();
        // Every graph the load writes must be new, so that undoing the load, should it fail the
        // shapes, is dropping them. A dataset's graphs are known only as the parser meets them:
        // each is checked the first time, before anything is committed.
        let mut graphs: HashSet<NamedNode> = HashSet::new();
        let mut new_graph = |name: &NamedNode| -> Result<(), StoreError> {
            if !graphs.contains(name) {
                if self.store.contains_named_graph(name)? {
                    return Err(StoreError::BadRequest(format!(
                        "a bulk load goes into a new graph, and <{}> exists; load without --bulk, \
                         or into another graph",
                        name.as_str()
                    )));
                }
                graphs.insert(name.clone());
            }
            Ok(())
        };
        new_graph(graph)?;
        let mut parser = RdfParser::from_format(format).rename_blank_nodes();
        if !keep_named_graphs {
            parser = parser.without_named_graphs();
        }
        let parser = parser.with_default_graph(graph.clone());
        let mut loader = self
            .store
            .bulk_loader()
            .on_progress(move |n| on_progress(n));
        let quads = parser.for_reader(input).map(|quad| {
            let quad = quad?;
            if let GraphName::NamedNode(name) = &quad.graph_name {
                new_graph(name)?;
            }
            Ok::<_, StoreError>(quad)
        });
        loader.load_ok_quads::<StoreError, StoreError>(quads)?;
        // Nothing is visible until this commit; a parse error above leaves the store untouched.
        loader.commit()?;
        let loaded = started.elapsed();
        // The bulk loader bypasses transactions, and so do the derived layer and the shapes
        // that follow (see `BulkTarget`): should either fail, the load is undone by dropping
        // its graphs and deriving again, in one transaction.
        let undo = || -> Result<(), StoreError> {
            let mut undo = self.store.start_transaction()?;
            for name in &graphs {
                undo.remove_named_graph(name)?;
            }
            infer::recompute(&mut TxTarget { tx: &mut undo })?;
            Ok(undo.commit()?)
        };
        if let Err(error) = infer::recompute(&mut BulkTarget { store: &self.store }) {
            undo()?;
            return Err(error);
        }
        let inferred = started.elapsed();
        let report = match check_shapes(Reading::Store(&self.store)) {
            Ok(report) => report,
            Err(error) => {
                undo()?;
                return Err(error);
            }
        };
        let checked = started.elapsed();
        if !report.conforms() {
            undo()?;
            return Err(StoreError::Invalid(Box::new(report)));
        }
        // The derived graph's deletions went through the write-ahead log: flush it now rather
        // than leave it to the next open (see `Drop`).
        #[cfg(feature = "rocksdb")]
        self.store.flush()?;
        tracing::info!(
            load_ms = loaded.as_millis() as u64,
            infer_ms = (inferred - loaded).as_millis() as u64,
            shapes_ms = (checked - inferred).as_millis() as u64,
            flush_ms = (started.elapsed() - checked).as_millis() as u64,
            "bulk load committed"
        );
        // Counted by the query engine, which need not decode the terms: decoding a million
        // quads to count them took 6 s.
        let mut names: Vec<String> = graphs.iter().map(ToString::to_string).collect();
        names.sort();
        let count = Reading::Store(&self.store).select_column(
            &format!(
                "SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?g {{ {} }} GRAPH ?g {{ ?s ?p ?o }} }}",
                names.join(" ")
            ),
            "n",
        )?;
        match count.first() {
            Some(Term::Literal(n)) => n
                .value()
                .parse()
                .map_err(|_| StoreError::Storage(format!("a count that is not one: {n}"))),
            _ => Err(StoreError::Storage("no count of the loaded graphs".into())),
        }
    }

    fn graph_exists(&self, graph: &GraphTarget) -> Result<bool, StoreError> {
        Ok(match graph {
            GraphTarget::Default => true,
            GraphTarget::Named(name) => self.store.contains_named_graph(name)?,
        })
    }

    fn dump(
        &self,
        graph: Option<&GraphTarget>,
        format: RdfFormat,
        out: &mut dyn Write,
    ) -> Result<(), StoreError> {
        let result = match graph {
            Some(g) => self
                .store
                .dump_graph_to_writer(&g.graph_name(), format, out)
                .map(|_| ()),
            None => self.store.dump_to_writer(format, out).map(|_| ()),
        };
        result.map_err(|e| StoreError::Storage(e.to_string()))
    }

    fn len(&self) -> Result<usize, StoreError> {
        Ok(self.store.len()?)
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.store.is_empty()?)
    }

    fn quads_about(&self, subjects: &[NamedNode]) -> Result<Vec<Quad>, StoreError> {
        let mut quads = Vec::new();
        for subject in subjects {
            for quad in
                self.store
                    .quads_for_pattern(Some(subject.as_ref().into()), None, None, None)
            {
                quads.push(quad?);
            }
        }
        Ok(quads)
    }

    fn quads_with(
        &self,
        subjects: &[NamedNode],
        predicates: &[NamedNode],
    ) -> Result<Vec<Quad>, StoreError> {
        let mut quads = Vec::new();
        for subject in subjects {
            for predicate in predicates {
                for quad in self.store.quads_for_pattern(
                    Some(subject.as_ref().into()),
                    Some(predicate.as_ref()),
                    None,
                    None,
                ) {
                    quads.push(quad?);
                }
            }
        }
        Ok(quads)
    }

    fn quads_naming(
        &self,
        object: &NamedNode,
        predicate: Option<&NamedNode>,
        limit: usize,
    ) -> Result<Vec<Quad>, StoreError> {
        self.store
            .quads_for_pattern(
                None,
                predicate.map(NamedNode::as_ref),
                Some(object.as_ref().into()),
                None,
            )
            .take(limit)
            .map(|q| q.map_err(StoreError::from))
            .collect()
    }

    fn named_graphs(&self) -> Result<Vec<NamedNode>, StoreError> {
        let mut graphs = Vec::new();
        for g in self.store.named_graphs() {
            if let NamedOrBlankNode::NamedNode(n) = g? {
                graphs.push(n);
            }
        }
        graphs.sort();
        Ok(graphs)
    }

    fn is_exclusive(&self) -> bool {
        // RocksDB's lock keeps every other process out; in memory, nothing else can reach it.
        true
    }

    fn stats(&self, top: usize) -> Result<Stats, StoreError> {
        let count = |query: &str| -> Result<Vec<(Option<Term>, usize)>, StoreError> {
            let QueryResults::Solutions(solutions) = self
                .evaluator()
                .parse_query(query)?
                .on_store(&self.store)
                .execute()?
            else {
                return Err(StoreError::Storage(
                    "statistics query returned no rows".into(),
                ));
            };
            let mut rows = Vec::new();
            for solution in solutions {
                let solution = solution?;
                let n = match solution.get("n") {
                    Some(Term::Literal(l)) => l.value().parse().unwrap_or(0),
                    _ => 0,
                };
                rows.push((solution.get("x").cloned(), n));
            }
            Ok(rows)
        };
        let named = |rows: Vec<(Option<Term>, usize)>| {
            rows.into_iter()
                .filter_map(|(t, n)| match t {
                    Some(Term::NamedNode(node)) => Some((node, n)),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        let mut graphs: Vec<(Option<NamedNode>, usize)> = count(
            "SELECT ?x (COUNT(*) AS ?n) WHERE { GRAPH ?x { ?s ?p ?o } } GROUP BY ?x ORDER BY ?x",
        )?
        .into_iter()
        .filter_map(|(t, n)| match t {
            Some(Term::NamedNode(node)) => Some((Some(node), n)),
            _ => None,
        })
        .collect();
        let default_graph = self
            .store
            .quads_for_pattern(None, None, None, Some(GraphNameRef::DefaultGraph))
            .count();
        if default_graph > 0 {
            graphs.insert(0, (None, default_graph));
        }
        let classes = named(count(&format!(
            "SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?x }} }} \
             GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT {top}"
        ))?);
        let predicates = named(count(&format!(
            "SELECT ?x (COUNT(*) AS ?n) WHERE {{ {{ ?s ?x ?o }} UNION {{ GRAPH ?g {{ ?s ?x ?o }} }} }} \
             GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT {top}"
        ))?);
        Ok(Stats {
            triples: self.store.len()?,
            graphs,
            classes,
            predicates,
        })
    }
}

/// Applies the protocol's dataset parameters. With none, a query that names no dataset itself
/// sees the union of all graphs as its default graph.
fn apply_dataset(prepared: &mut PreparedSparqlQuery, dataset: &Dataset) {
    let spec = prepared.dataset_mut();
    if dataset.is_unspecified() {
        if spec.is_default_dataset() {
            spec.set_default_graph_as_union();
        }
        return;
    }
    // The protocol's parameters take precedence over FROM and FROM NAMED (SPARQL 1.1 Protocol §2.1.4).
    spec.set_default_graph(
        dataset
            .default_graphs
            .iter()
            .cloned()
            .map(GraphName::from)
            .collect(),
    );
    spec.set_available_named_graphs(
        dataset
            .named_graphs
            .iter()
            .cloned()
            .map(NamedOrBlankNode::from)
            .collect(),
    );
}
