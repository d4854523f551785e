//! [`Indexed`]: a [`Backend`] whose every write is followed by the search index before the write
//! call returns.

use super::{
    MAX_INCREMENTAL, SearchIndex, SearchRequest, SearchResults, count_entities, count_facts,
    iri_of, is_schema_predicate, select,
};
use crate::store::{
    Backend, GraphTarget, NAMESPACE, QueryForm, QueryRequest, Stats, StoreError, WriteOp,
    WriteOutcome,
};
use oxigraph::io::RdfFormat;
use oxigraph::model::{GraphName, NamedNode, NamedOrBlankNode, Quad, Term};
use oxigraph::sparql::QueryResults;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// When an index that has no known reason to be rebuilt is read against the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Before [`Indexed::open`] returns: for the CLI's one-shot commands.
    Now,
    /// By a later call of [`Indexed::check`]: the server answers meanwhile (at ten million
    /// triples the store's counts take tens of seconds).
    Later,
}

/// Whether the index has been read against the store since it was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndexState {
    /// Its counts of entities and facts are being compared with the store's. Searches answer
    /// from the index as it was left, which a write that bypassed dealgraph may have left
    /// behind; the entity cards read the store.
    Checking,
    /// It disagreed with the store and is being rebuilt; searches answer from the index as it
    /// was left until the rebuild commits.
    Rebuilding,
    /// It agrees with the store, and every write through dealgraph keeps it so.
    Ready,
    /// The check failed (the log says why): searches answer from the index as it was left,
    /// the cards read the store, and the next start checks again.
    Unchecked,
}

impl IndexState {
    fn from_u8(n: u8) -> Self {
        match n {
            0 => Self::Checking,
            1 => Self::Rebuilding,
            2 => Self::Ready,
            _ => Self::Unchecked,
        }
    }
}

/// A backend and its search index, kept in step: every write through [`Backend::write`] (and
/// [`Backend::bulk_load`]) goes to the inner backend, and once that has committed, the documents
/// of the entities the write touched are replaced by what the store now holds, or, when what
/// the write changed is not known (neither beforehand nor from the store's
/// [`WriteOutcome::touched`]), the whole index is rebuilt.
pub struct Indexed {
    inner: Arc<dyn Backend>,
    index: Arc<SearchIndex>,
    /// Serialises writes, so that what is read before a write (the graph it replaces) is what
    /// the write changes.
    write_lock: Mutex<()>,
    /// An [`IndexState`]: until it is `Ready`, the cards do not take facts from the index.
    state: AtomicU8,
}

impl std::fmt::Debug for Indexed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexed")
            .field("inner", &self.inner)
            .field("index", &self.index)
            .finish()
    }
}

/// What a write means for the index, worked out before it is applied.
enum Plan {
    /// These IRIs need new documents, and so do, after the write, the IRIs the `quoting`
    /// nodes point at: an entity's document holds the quotes of the facts naming it.
    Entities {
        iris: BTreeSet<NamedNode>,
        quoting: BTreeSet<NamedNode>,
    },
    /// A SPARQL Update: only its text says, once it has passed the store's checks.
    Update(String),
    Rebuild,
}

/// Collects what a set of quads touches.
#[derive(Default)]
struct Touched {
    iris: BTreeSet<NamedNode>,
    /// The subjects whose quotes a write changed. Only these reach further: any other triple
    /// changes the documents of its own two ends only (at a hub, following every subject's
    /// links rebuilt the whole index for a comment).
    quoting: BTreeSet<NamedNode>,
    rebuild: bool,
}

impl Touched {
    fn quad(
        &mut self,
        subject: Option<&NamedNode>,
        predicate: &str,
        object: Option<&NamedNode>,
        graph: Option<&str>,
    ) {
        if graph.is_some_and(is_ontology_graph) || is_schema_predicate(predicate) {
            self.rebuild = true;
        }
        match subject {
            Some(s) => {
                self.iris.insert(s.clone());
                if predicate == DG_QUOTE {
                    self.quoting.insert(s.clone());
                }
            }
            // A blank fact node's quote reaches entities that no query can name it by; a blank
            // amount's value, the deals that no query can name it by.
            None if predicate == DG_QUOTE || AMOUNT_PARTS.contains(&predicate) => {
                self.rebuild = true
            }
            None => {}
        }
        if let Some(o) = object {
            self.iris.insert(o.clone());
        }
    }

    fn quads(&mut self, quads: &[Quad]) {
        for quad in quads {
            let subject = match &quad.subject {
                NamedOrBlankNode::NamedNode(n) => Some(n),
                _ => None,
            };
            let object = match &quad.object {
                Term::NamedNode(n) => Some(n),
                _ => None,
            };
            let graph = match &quad.graph_name {
                GraphName::NamedNode(n) => Some(n.as_str()),
                _ => None,
            };
            self.quad(subject, quad.predicate.as_str(), object, graph);
        }
    }

    fn into_plan(self) -> Plan {
        if self.rebuild || self.iris.len() > MAX_INCREMENTAL {
            Plan::Rebuild
        } else {
            Plan::Entities {
                iris: self.iris,
                quoting: self.quoting,
            }
        }
    }
}

const DG_QUOTE: &str = "https://w3id.org/dealgraph/ontology#quote";
/// What a deal's document reads through its amount node (`views::rankings::Deal`).
const AMOUNT_PARTS: &[&str] = &[
    "https://w3id.org/dealgraph/ontology#value",
    "https://w3id.org/dealgraph/ontology#currency",
];

fn is_ontology_graph(graph: &str) -> bool {
    graph
        .strip_prefix(NAMESPACE)
        .is_some_and(|rest| rest.starts_with("graph/ontology-"))
}

impl Indexed {
    /// Wraps `inner`. An index that is new, was left behind by a write that did not finish, or
    /// was written by another version is rebuilt first; any other is read against the store
    /// (does it hold as many entities and facts?) now or, with [`Check::Later`], when
    /// [`Self::check`] is called.
    pub fn open(
        inner: Arc<dyn Backend>,
        index: Arc<SearchIndex>,
        check: Check,
    ) -> Result<Self, StoreError> {
        let known_reason = index.rebuild_reason();
        if let Some(reason) = &known_reason {
            tracing::info!("building the search index: {reason}");
            index.rebuild_marked(inner.as_ref())?;
        }
        let indexed = Self {
            inner,
            index,
            write_lock: Mutex::new(()),
            state: AtomicU8::new(if known_reason.is_some() {
                IndexState::Ready
            } else {
                IndexState::Checking
            } as u8),
        };
        if check == Check::Now {
            indexed.check()?;
        }
        Ok(indexed)
    }

    /// Reads the index against the store, and rebuilds it if they disagree; does nothing once
    /// it has been checked. Writes wait meanwhile, so that neither count sees half of one.
    pub fn check(&self) -> Result<(), StoreError> {
        if self.state() == IndexState::Ready {
            return Ok(());
        }
        let _guard = self.lock()?;
        if self.state() == IndexState::Ready {
            // A reindex ran while this waited for the lock.
            return Ok(());
        }
        let checked = self.disagreement().and_then(|reason| {
            if let Some(reason) = reason {
                self.set_state(IndexState::Rebuilding);
                tracing::info!("rebuilding the search index: {reason}");
                self.index.rebuild_marked(self.inner.as_ref())?;
            }
            Ok(())
        });
        self.set_state(if checked.is_ok() {
            IndexState::Ready
        } else {
            IndexState::Unchecked
        });
        // Searches answered before were stamped as unchecked: a new generation, so none of
        // them is kept past this point.
        self.index.note_followed();
        checked
    }

    /// Why the index and the store disagree, if they do, by their counts of entities and facts.
    fn disagreement(&self) -> Result<Option<String>, StoreError> {
        let (inner, index) = (self.inner.as_ref(), &self.index);
        // Each count reads the whole store (at ten million triples, a dozen seconds each):
        // side by side, the check waits for the longer one only.
        let (in_store, facts_in_store) = std::thread::scope(|threads| {
            let facts = threads.spawn(|| count_facts(inner));
            let entities = count_entities(inner);
            let facts = facts
                .join()
                .unwrap_or_else(|_| Err(StoreError::Storage("counting the facts panicked".into())));
            (entities, facts)
        });
        let (in_store, in_index) = (in_store?, index.len());
        let (facts_in_store, facts_in_index) = (facts_in_store?, index.facts_len());
        Ok(if in_store != in_index {
            Some(format!(
                "it holds {in_index} entities and the store {in_store}"
            ))
        } else if facts_in_store != facts_in_index {
            Some(format!(
                "it holds {facts_in_index} facts and the store {facts_in_store}"
            ))
        } else {
            None
        })
    }

    /// Whether the index has been read against the store yet.
    pub fn state(&self) -> IndexState {
        IndexState::from_u8(self.state.load(Ordering::SeqCst))
    }

    fn set_state(&self, state: IndexState) {
        self.state.store(state as u8, Ordering::SeqCst);
    }

    /// Whether the cards may take facts from the index: it is checked, and no one else writes
    /// to the store (over an engine others write to, it can lag behind).
    fn answers_for_store(&self) -> bool {
        self.inner.is_exclusive() && self.state() == IndexState::Ready
    }

    /// Opens the index at `location` over `inner` (see [`Self::open`]) and binds `service`, the
    /// store's SPARQL SERVICE handler, to it.
    pub fn open_at(
        inner: Arc<dyn Backend>,
        location: &super::SearchLocation,
        service: &super::SearchService,
        check: Check,
    ) -> Result<Arc<Self>, StoreError> {
        let index = Arc::new(SearchIndex::open(location)?);
        let indexed = Self::open(inner, Arc::clone(&index), check)?;
        service.bind(index);
        Ok(Arc::new(indexed))
    }

    pub fn index(&self) -> &Arc<SearchIndex> {
        &self.index
    }

    /// The inner backend, whose writes the index does not see (for tests of recovery).
    pub fn inner(&self) -> &Arc<dyn Backend> {
        &self.inner
    }

    fn plan(&self, op: &WriteOp) -> Result<Plan, StoreError> {
        let mut touched = Touched::default();
        match op {
            WriteOp::Update { update, .. } => return Ok(Plan::Update(update.clone())),
            WriteOp::Insert { quads } | WriteOp::AddToGraph { quads, .. } => touched.quads(quads),
            WriteOp::ReplaceGraph { graph, quads } => {
                self.old_graph(graph, &mut touched)?;
                touched.quads(quads);
            }
            WriteOp::ReplaceGraphs { graphs } => {
                for (graph, quads) in graphs {
                    self.old_graph(graph, &mut touched)?;
                    touched.quads(quads);
                }
            }
            WriteOp::DropGraph { .. } | WriteOp::ReplaceAll { .. } => return Ok(Plan::Rebuild),
        }
        Ok(touched.into_plan())
    }

    /// What replacing a graph takes away: every IRI it holds (the default graph, or a graph
    /// with schema triples, rebuilds the index instead).
    fn old_graph(&self, graph: &GraphTarget, touched: &mut Touched) -> Result<(), StoreError> {
        let GraphTarget::Named(name) = graph else {
            touched.rebuild = true;
            return Ok(());
        };
        if is_ontology_graph(name.as_str()) {
            touched.rebuild = true;
            return Ok(());
        }
        if touched.rebuild || !self.inner.graph_exists(graph)? {
            return Ok(());
        }
        // Schema triples, or quotes on blank fact nodes, in the graph: read everything again.
        select(
            self.inner.as_ref(),
            format!(
                "SELECT DISTINCT ?p (isBlank(?s) AS ?blank) WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}"
            ),
            |row| {
                let blank =
                    matches!(row.get("blank"), Some(Term::Literal(l)) if l.value() == "true");
                if let Some(p) = iri_of(row.get("p"))
                    && (is_schema_predicate(&p)
                        || (blank && (p == DG_QUOTE || AMOUNT_PARTS.contains(&p.as_str()))))
                {
                    touched.rebuild = true;
                }
            },
        )?;
        if touched.rebuild {
            return Ok(());
        }
        select(
            self.inner.as_ref(),
            format!(
                "SELECT DISTINCT ?x WHERE {{ GRAPH {name} {{ {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }} }} \
                 FILTER(isIRI(?x)) }}"
            ),
            |row| {
                if let Some(x) = iri_of(row.get("x")) {
                    touched.iris.insert(NamedNode::new_unchecked(x.clone()));
                    touched.quoting.insert(NamedNode::new_unchecked(x));
                }
            },
        )?;
        Ok(())
    }

    /// After a committed write: the index follows it, or is rebuilt when that fails; if even
    /// that fails the marker stays, and the next start rebuilds it.
    fn follow(&self, plan: Plan) {
        let result = match plan {
            Plan::Rebuild => self.index.rebuild(self.inner.as_ref()).map(|_| ()),
            Plan::Update(text) => match update_plan(&text) {
                Plan::Entities { iris, quoting } => self.refresh(iris, &quoting),
                _ => self.index.rebuild(self.inner.as_ref()).map(|_| ()),
            },
            Plan::Entities { iris, quoting } => self.refresh(iris, &quoting),
        };
        let result = result.or_else(|e| {
            tracing::error!("the search index could not follow a write ({e}); rebuilding it");
            self.index.rebuild(self.inner.as_ref()).map(|_| ())
        });
        match result {
            Ok(()) => self.index.end_write(),
            Err(e) => tracing::error!(
                "the search index could not be rebuilt ({e}); it will be at the next start"
            ),
        }
        self.index.note_followed();
    }

    /// Replaces the documents of `iris`, of the IRIs the `quoting` nodes point at (the
    /// entities a fact node mentions get its quotes), and of the deals whose amounts are among
    /// `iris`.
    fn refresh(
        &self,
        mut iris: BTreeSet<NamedNode>,
        quoting: &BTreeSet<NamedNode>,
    ) -> Result<(), StoreError> {
        let subjects: Vec<&NamedNode> = quoting
            .iter()
            .filter(|s| s.as_str().starts_with(&super::entity_namespace()))
            .collect();
        for chunk in subjects.chunks(200) {
            let values = chunk
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            select(
                self.inner.as_ref(),
                format!(
                    "SELECT DISTINCT ?o WHERE {{ VALUES ?s {{ {values} }} ?s ?p ?o FILTER(isIRI(?o)) }}"
                ),
                |row| {
                    if let Some(o) = iri_of(row.get("o")) {
                        iris.insert(NamedNode::new_unchecked(o));
                    }
                },
            )?;
        }
        // A deal's document holds its amounts' values: the deals whose amount a write touched.
        let touched: Vec<String> = iris.iter().map(|n| n.to_string()).collect();
        for chunk in touched.chunks(200) {
            select(
                self.inner.as_ref(),
                format!(
                    "SELECT DISTINCT ?fact WHERE {{ VALUES ?a {{ {} }} \
                     ?fact <https://w3id.org/dealgraph/ontology#amount> ?a }}",
                    chunk.join(" ")
                ),
                |row| {
                    if let Some(fact) = iri_of(row.get("fact")) {
                        iris.insert(NamedNode::new_unchecked(fact));
                    }
                },
            )?;
        }
        if iris.len() > MAX_INCREMENTAL {
            return self.index.rebuild(self.inner.as_ref()).map(|_| ());
        }
        self.index.refresh(self.inner.as_ref(), &iris)
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, ()>, StoreError> {
        self.write_lock
            .lock()
            .map_err(|_| StoreError::Storage("a previous write panicked".into()))
    }

    /// Runs `write` between the marker's creation and the index's catching up; the caller
    /// holds the write lock.
    fn followed<T>(
        &self,
        plan: Plan,
        write: impl FnOnce() -> Result<(T, Option<Plan>), StoreError>,
    ) -> Result<T, StoreError> {
        self.index.begin_write()?;
        match write() {
            Ok((value, better)) => {
                self.index.note_write();
                self.follow(better.unwrap_or(plan));
                Ok(value)
            }
            Err(e @ StoreError::Storage(_)) => {
                // Whether anything was committed is not known: read it all again.
                self.follow(Plan::Rebuild);
                Err(e)
            }
            Err(e) => {
                // Every other error leaves the store as it was.
                self.index.end_write();
                Err(e)
            }
        }
    }
}

/// What a SPARQL Update touches, when its text says: INSERT DATA and DELETE DATA name their
/// quads; anything with a WHERE clause, LOAD, CLEAR, DROP... rebuilds the index.
fn update_plan(text: &str) -> Plan {
    let Ok(update) = spargebra::SparqlParser::new().parse_update(text) else {
        return Plan::Rebuild;
    };
    let mut touched = Touched::default();
    for operation in &update.operations {
        match operation {
            spargebra::GraphUpdateOperation::InsertData { data } => {
                for quad in data {
                    let subject = match &quad.subject {
                        NamedOrBlankNode::NamedNode(n) => Some(n),
                        _ => None,
                    };
                    let object = match &quad.object {
                        Term::NamedNode(n) => Some(n),
                        _ => None,
                    };
                    let graph = match &quad.graph_name {
                        spargebra::term::GraphName::NamedNode(n) => Some(n.as_str()),
                        spargebra::term::GraphName::DefaultGraph => None,
                    };
                    touched.quad(subject, quad.predicate.as_str(), object, graph);
                }
            }
            spargebra::GraphUpdateOperation::DeleteData { data } => {
                for quad in data {
                    let object = match &quad.object {
                        spargebra::term::GroundTerm::NamedNode(n) => Some(n),
                        _ => None,
                    };
                    let graph = match &quad.graph_name {
                        spargebra::term::GraphName::NamedNode(n) => Some(n.as_str()),
                        spargebra::term::GraphName::DefaultGraph => None,
                    };
                    touched.quad(Some(&quad.subject), quad.predicate.as_str(), object, graph);
                }
            }
            _ => return Plan::Rebuild,
        }
    }
    touched.into_plan()
}

impl Backend for Indexed {
    fn query_form(&self, query: &str) -> Result<QueryForm, StoreError> {
        self.inner.query_form(query)
    }

    fn query(&self, request: &QueryRequest) -> Result<QueryResults<'static>, StoreError> {
        self.inner.query(request)
    }

    fn write(&self, op: WriteOp) -> Result<WriteOutcome, StoreError> {
        let _guard = self.lock()?;
        let plan = self.plan(&op)?;
        self.followed(plan, || {
            let outcome = self.inner.write(op)?;
            // The store lists what the write may have changed when it can (a SPARQL Update's
            // WHERE clause included): the index then follows those entities only.
            let better = outcome.touched.as_ref().map(|quads| {
                let mut touched = Touched::default();
                touched.quads(quads);
                touched.into_plan()
            });
            Ok((outcome, better))
        })
    }

    fn check(&self, op: WriteOp) -> Result<crate::validate::ValidationReport, StoreError> {
        self.inner.check(op)
    }

    fn bulk_load(
        &self,
        input: &mut dyn std::io::Read,
        format: RdfFormat,
        graph: &NamedNode,
        keep_named_graphs: bool,
        on_progress: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<u64, StoreError> {
        let _guard = self.lock()?;
        self.followed(Plan::Rebuild, || {
            Ok((
                self.inner
                    .bulk_load(input, format, graph, keep_named_graphs, on_progress)?,
                None,
            ))
        })
    }

    fn graph_exists(&self, graph: &GraphTarget) -> Result<bool, StoreError> {
        self.inner.graph_exists(graph)
    }

    fn dump(
        &self,
        graph: Option<&GraphTarget>,
        format: RdfFormat,
        out: &mut dyn std::io::Write,
    ) -> Result<(), StoreError> {
        self.inner.dump(graph, format, out)
    }

    fn len(&self) -> Result<usize, StoreError> {
        self.inner.len()
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        self.inner.is_empty()
    }

    fn named_graphs(&self) -> Result<Vec<NamedNode>, StoreError> {
        self.inner.named_graphs()
    }

    fn quads_about(
        &self,
        subjects: &[NamedNode],
    ) -> Result<Vec<oxigraph::model::Quad>, StoreError> {
        self.inner.quads_about(subjects)
    }

    fn quads_with(
        &self,
        subjects: &[NamedNode],
        predicates: &[NamedNode],
    ) -> Result<Vec<oxigraph::model::Quad>, StoreError> {
        self.inner.quads_with(subjects, predicates)
    }

    fn quads_naming(
        &self,
        object: &NamedNode,
        predicate: Option<&NamedNode>,
        limit: usize,
    ) -> Result<Vec<oxigraph::model::Quad>, StoreError> {
        self.inner.quads_naming(object, predicate, limit)
    }

    fn stats(&self, top: usize) -> Result<Stats, StoreError> {
        self.inner.stats(top)
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResults, StoreError> {
        let state = self.state();
        let mut results = self.index.search(request)?;
        // Not passed off as the store's answer before the index was read against it.
        results.index = (state != IndexState::Ready).then_some(state);
        Ok(results)
    }

    fn newest_facts_naming(
        &self,
        entity: &NamedNode,
        limit: usize,
    ) -> Result<Option<(Vec<String>, usize)>, StoreError> {
        // Over an engine others write to, or before the index was checked, it can lag behind
        // the store: the card asks the store, which is always up to date, rather than show a
        // fact that is gone.
        if !self.answers_for_store() {
            return Ok(None);
        }
        self.index.newest_facts_naming(entity, limit).map(Some)
    }

    fn latest_figures(
        &self,
        entity: &NamedNode,
        classes: &std::collections::BTreeSet<String>,
        as_of: Option<&str>,
    ) -> Result<Option<Vec<String>>, StoreError> {
        // As for the newest facts: over an engine others write to, or before the check, the
        // store is asked.
        if !self.answers_for_store() {
            return Ok(None);
        }
        self.index.latest_figures(entity, classes, as_of).map(Some)
    }

    fn ranked_totals(
        &self,
        role: &str,
        currency: &str,
    ) -> Result<Option<Vec<crate::views::rankings::Total>>, StoreError> {
        // As for the newest facts.
        if !self.answers_for_store() {
            return Ok(None);
        }
        self.index.ranked_totals(role, currency).map(Some)
    }

    fn reindex(&self) -> Result<usize, StoreError> {
        // Under the write lock: a write through dealgraph lands before or after it, whole.
        let _guard = self.lock()?;
        let documents = self.index.rebuild_marked(self.inner.as_ref())?;
        // Rebuilt from the store, it agrees with it: a check still to come has nothing to do.
        self.set_state(IndexState::Ready);
        // What was kept was computed from the index before it caught up: a new generation.
        self.index.note_followed();
        Ok(documents)
    }

    fn last_write(&self) -> Option<std::time::SystemTime> {
        self.index.last_write()
    }

    fn is_exclusive(&self) -> bool {
        self.inner.is_exclusive()
    }

    fn index_state(&self) -> Option<IndexState> {
        Some(self.state())
    }

    fn generation(&self) -> Option<u64> {
        // Over an engine others write to, a count of our own writes says nothing.
        self.inner.is_exclusive().then(|| self.index.writes())
    }
}
