//! The embedded backend: oxigraph's `Store`, on disk (RocksDB) or in memory.
//!
//! This is the only file that names oxigraph's `Store`. Writes are serialised by one mutex and
//! each runs in one oxigraph transaction; readers never wait for writers (oxigraph reads from
//! snapshots).

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
use oxigraph::model::{Graph, GraphName, GraphNameRef, NamedNode, NamedOrBlankNode, Term, Triple};
use oxigraph::sparql::{PreparedSparqlQuery, QueryResults, QuerySolution, SparqlEvaluator};
use oxigraph::store::{Store, Transaction};
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

    /// Applies one write inside `tx`; the caller commits.
    fn apply(&self, tx: &mut Transaction<'_>, op: WriteOp) -> Result<WriteOutcome, StoreError> {
        let mut outcome = WriteOutcome::default();
        if let WriteOp::AddToGraph { graph, .. }
        | WriteOp::ReplaceGraph { graph, .. }
        | WriteOp::DropGraph { graph } = &op
            && *graph == GraphTarget::Named(infer::derived_graph())
        {
            return Err(StoreError::Refused(format!(
                "<{}> is computed from the other graphs on every write; write to another graph",
                infer::derived_graph().as_str()
            )));
        }
        if let WriteOp::ReplaceGraphs { graphs } = &op
            && graphs
                .iter()
                .any(|(g, _)| *g == GraphTarget::Named(infer::derived_graph()))
        {
            return Err(StoreError::Refused(format!(
                "<{}> is computed from the other graphs on every write; write to another graph",
                infer::derived_graph().as_str()
            )));
        }
        match op {
            WriteOp::Update {
                update,
                using,
                cancel,
            } => {
                let update = prepare_update(&update, &using, &self.options.fetcher, self.limits)?;
                let mut prepared = self
                    .evaluator()
                    .with_cancellation_token(cancel)
                    .for_update(update);
                // A WHERE clause with no USING reads the union of all graphs, as queries do.
                for dataset in prepared.using_datasets_mut() {
                    if dataset.is_default_dataset() {
                        dataset.set_default_graph_as_union();
                    }
                }
                prepared.on_transaction(tx).execute()?;
            }
            WriteOp::Insert { quads } => {
                tx.extend(&quads);
            }
            WriteOp::AddToGraph { graph, quads } => {
                outcome.graph_existed = graph_exists_in(tx, &graph)?;
                if let GraphTarget::Named(name) = &graph {
                    tx.insert_named_graph(name);
                }
                tx.extend(&quads);
            }
            WriteOp::ReplaceGraph { graph, quads } => {
                outcome.graph_existed = graph_exists_in(tx, &graph)?;
                tx.clear_graph(&graph.graph_name())?;
                if let GraphTarget::Named(name) = &graph {
                    tx.insert_named_graph(name);
                }
                tx.extend(&quads);
            }
            WriteOp::ReplaceGraphs { graphs } => {
                for (graph, quads) in graphs {
                    tx.clear_graph(&graph.graph_name())?;
                    if let GraphTarget::Named(name) = &graph {
                        tx.insert_named_graph(name);
                    }
                    tx.extend(&quads);
                }
            }
            WriteOp::DropGraph { graph } => {
                outcome.graph_existed = graph_exists_in(tx, &graph)?;
                match &graph {
                    GraphTarget::Default => tx.clear_graph(GraphNameRef::DefaultGraph)?,
                    GraphTarget::Named(name) => {
                        if !outcome.graph_existed {
                            return Err(StoreError::GraphNotFound(name.as_str().to_owned()));
                        }
                        tx.remove_named_graph(name)?;
                    }
                }
            }
            WriteOp::ReplaceAll { quads } => {
                tx.clear()?;
                tx.extend(&quads);
            }
        }
        Ok(outcome)
    }
}

/// Validates a write's transaction against the shapes it holds in the shapes graph (none there:
/// nothing to check), over the union of all its graphs, derived ones included.
fn check_shapes(tx: &Transaction<'_>) -> Result<ValidationReport, StoreError> {
    let shapes_graph = super::shapes_graph();
    let mut shapes = Graph::new();
    for quad in tx.quads_for_pattern(None, None, None, Some(shapes_graph.as_ref().into())) {
        shapes.insert(&Triple::from(quad?));
    }
    if shapes.is_empty() {
        return Ok(ValidationReport::default());
    }
    Shapes::from_graph(&shapes)?.validate(&TxSelect { tx })
}

/// SHACL's queries run on a write's transaction through this.
struct TxSelect<'a, 'b> {
    tx: &'a Transaction<'b>,
}

impl validate::SelectSource for TxSelect<'_, '_> {
    fn select(&self, query: &str) -> Result<Vec<QuerySolution>, StoreError> {
        match query_union(self.tx, query)? {
            QueryResults::Solutions(solutions) => Ok(solutions.collect::<Result<_, _>>()?),
            _ => Err(StoreError::Storage(
                "a validation query is not a SELECT".into(),
            )),
        }
    }
}

/// Runs one of our own queries (rules, shapes) on a transaction, over the union of its graphs.
fn query_union<'a>(tx: &'a Transaction<'_>, query: &str) -> Result<QueryResults<'a>, StoreError> {
    let mut prepared = SparqlEvaluator::new().parse_query(query)?;
    prepared.dataset_mut().set_default_graph_as_union();
    Ok(prepared.on_transaction(tx).execute()?)
}

/// The rules of [`infer`] run on a write's transaction through this.
struct TxTarget<'a, 'b> {
    tx: &'a mut Transaction<'b>,
}

impl infer::RuleTarget for TxTarget<'_, '_> {
    fn construct(&self, query: &str) -> Result<Vec<Triple>, StoreError> {
        match query_union(self.tx, query)? {
            QueryResults::Graph(triples) => Ok(triples.collect::<Result<_, _>>()?),
            _ => Err(StoreError::BadRequest(format!(
                "a rule must be a CONSTRUCT: {query}"
            ))),
        }
    }

    fn select_column(&self, query: &str, variable: &str) -> Result<Vec<Term>, StoreError> {
        let QueryResults::Solutions(solutions) = query_union(self.tx, query)? else {
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

    fn contains(&self, triple: &Triple) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .quads_for_pattern(
                Some(triple.subject.as_ref()),
                Some(triple.predicate.as_ref()),
                Some(triple.object.as_ref()),
                None,
            )
            .next()
            .transpose()?
            .is_some())
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
        guard::check_depth(
            query.as_bytes(),
            Syntax::SparqlOrTurtle,
            self.limits.max_nesting,
        )?;
        Ok(match spargebra::SparqlParser::new().parse_query(query)? {
            spargebra::Query::Select { .. } => QueryForm::Select,
            spargebra::Query::Ask { .. } => QueryForm::Ask,
            spargebra::Query::Construct { .. } => QueryForm::Construct,
            spargebra::Query::Describe { .. } => QueryForm::Describe,
        })
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
        let outcome = self.apply(&mut tx, op)?;
        infer::recompute(&mut TxTarget { tx: &mut tx })?;
        let report = check_shapes(&tx)?;
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
        self.apply(&mut tx, op)?;
        infer::recompute(&mut TxTarget { tx: &mut tx })?;
        // The transaction is dropped, never committed: checking writes nothing.
        check_shapes(&tx)
    }

    fn bulk_load(
        &self,
        input: &mut dyn Read,
        format: RdfFormat,
        graph: &NamedNode,
        on_progress: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<u64, StoreError> {
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| StoreError::Storage("a previous write panicked".into()))?;
        // A new graph, so that undoing the load, should it fail the shapes, is dropping it.
        if self.store.contains_named_graph(graph)? {
            return Err(StoreError::BadRequest(format!(
                "a bulk load goes into a new graph, and <{}> exists; load without --bulk, \
                 or into another graph",
                graph.as_str()
            )));
        }
        let parser = RdfParser::from_format(format)
            .rename_blank_nodes()
            .without_named_graphs()
            .with_default_graph(graph.clone());
        let mut loader = self
            .store
            .bulk_loader()
            .on_progress(move |n| on_progress(n));
        loader.load_from_reader(parser, input)?;
        // Nothing is visible until this commit; a parse error above leaves the store untouched.
        loader.commit()?;
        // The bulk loader bypasses transactions: the derived layer and the shapes follow in a
        // transaction of their own, and a violation undoes the load by dropping its graph.
        let mut tx = self.store.start_transaction()?;
        infer::recompute(&mut TxTarget { tx: &mut tx })?;
        let report = check_shapes(&tx)?;
        if !report.conforms() {
            drop(tx);
            let mut undo = self.store.start_transaction()?;
            undo.remove_named_graph(graph)?;
            infer::recompute(&mut TxTarget { tx: &mut undo })?;
            undo.commit()?;
            return Err(StoreError::Invalid(Box::new(report)));
        }
        tx.commit()?;
        Ok(self
            .store
            .quads_for_pattern(None, None, None, Some(graph.as_ref().into()))
            .count() as u64)
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
