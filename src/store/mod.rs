//! The store: the one interface every backend implements, and the one door for every write.
//!
//! Everything above this module (the server, the CLI) talks to a [`Backend`] and never names
//! oxigraph's `Store`; the embedded backend in [`embedded`] is the only code that does.
//! Writes arrive as a [`WriteOp`] and are applied by [`Backend::write`] in one transaction:
//! either the whole operation is committed or the store is left exactly as it was.
//! This module knows nothing of HTTP.

mod embedded;
mod error;
mod remote;
mod remote_write;
mod touched;
mod update;

pub use embedded::{EmbeddedStore, StoreLocation};
pub use error::{Located, StoreError};
pub use remote::{RemoteAuth, RemoteConfig, RemoteStore, TimeoutParam};
pub use update::prepare_update;

use crate::fetch::Fetcher;
use oxigraph::io::RdfFormat;
use oxigraph::model::{GraphName, NamedNode, Quad};
use oxigraph::sparql::{CancellationToken, QueryResults};
use std::io::Write;
use std::sync::Arc;

/// The IRI namespace of everything dealgraph itself names (entities, graphs, ontology).
pub const NAMESPACE: &str = "https://w3id.org/dealgraph/";

/// The named graph whose SHACL shapes every write is validated against (`ontology/shapes.ttl`).
pub fn shapes_graph() -> NamedNode {
    NamedNode::new_unchecked(format!("{NAMESPACE}graph/ontology-shapes"))
}

/// Which graphs a query sees, as the SPARQL 1.1 Protocol's `default-graph-uri` and
/// `named-graph-uri` parameters say.
///
/// With neither given, the default graph is the union of all graphs and every named graph is
/// available, which is what users of a store holding one named graph per source expect.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dataset {
    pub default_graphs: Vec<NamedNode>,
    pub named_graphs: Vec<NamedNode>,
    /// Leaves the derived graph ([`crate::infer`]) out of an unspecified dataset, so a query
    /// sees only what sources assert.
    pub exclude_derived: bool,
}

impl Dataset {
    pub fn is_unspecified(&self) -> bool {
        self.default_graphs.is_empty() && self.named_graphs.is_empty()
    }
}

/// A SPARQL query ready to run: its text and the dataset the request named.
#[derive(Clone)]
pub struct QueryRequest {
    pub query: String,
    pub dataset: Dataset,
    /// Checked by the evaluation between solutions: cancelling it stops the query at once.
    pub cancel: CancellationToken,
}

/// What a SPARQL query returns, known before it is run, so content negotiation can answer
/// 406 before any work is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryForm {
    Select,
    Ask,
    Construct,
    Describe,
}

impl QueryForm {
    /// Solutions and booleans are SPARQL result sets; the other forms are RDF graphs.
    pub fn returns_graph(self) -> bool {
        matches!(self, Self::Construct | Self::Describe)
    }
}

/// The graph an operation of the Graph Store Protocol addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphTarget {
    Default,
    Named(NamedNode),
}

impl GraphTarget {
    pub fn graph_name(&self) -> GraphName {
        match self {
            Self::Default => GraphName::DefaultGraph,
            Self::Named(n) => n.clone().into(),
        }
    }
}

impl std::fmt::Debug for QueryRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueryRequest")
            .field("query", &self.query)
            .field("dataset", &self.dataset)
            .finish_non_exhaustive()
    }
}

/// Every kind of write. Each is applied atomically by [`Backend::write`].
#[derive(Clone)]
pub enum WriteOp {
    /// A SPARQL 1.1 Update, with the protocol's `using-graph-uri`/`using-named-graph-uri`.
    Update {
        update: String,
        using: Dataset,
        /// Stops the update's evaluation (its deadline); nothing is then written.
        cancel: CancellationToken,
    },
    /// Adds quads (already parsed, each with its graph) to the store.
    Insert { quads: Vec<Quad> },
    /// Adds quads to one graph, creating it if needed (Graph Store Protocol POST).
    AddToGraph {
        graph: GraphTarget,
        quads: Vec<Quad>,
    },
    /// Replaces the content of one graph (Graph Store Protocol PUT).
    ReplaceGraph {
        graph: GraphTarget,
        quads: Vec<Quad>,
    },
    /// Replaces the content of several graphs at once (an importer's named graphs): each is
    /// cleared, created if missing and filled, all in the one transaction.
    ReplaceGraphs {
        graphs: Vec<(GraphTarget, Vec<Quad>)>,
    },
    /// Removes one graph (Graph Store Protocol DELETE).
    DropGraph { graph: GraphTarget },
    /// Replaces the whole dataset (Graph Store Protocol PUT on the dataset with TriG/N-Quads).
    ReplaceAll { quads: Vec<Quad> },
}

impl std::fmt::Debug for WriteOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, quads) = match self {
            Self::Update { update, .. } => return write!(f, "Update({update:?})"),
            Self::Insert { quads } => ("Insert", quads.len()),
            Self::AddToGraph { quads, .. } => ("AddToGraph", quads.len()),
            Self::ReplaceGraph { quads, .. } => ("ReplaceGraph", quads.len()),
            Self::ReplaceGraphs { graphs } => {
                ("ReplaceGraphs", graphs.iter().map(|(_, q)| q.len()).sum())
            }
            Self::DropGraph { .. } => ("DropGraph", 0),
            Self::ReplaceAll { quads } => ("ReplaceAll", quads.len()),
        };
        write!(f, "{kind}({quads} quads)")
    }
}

/// What a write did, for the caller to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOutcome {
    /// For graph-level operations: whether the target graph existed before the write.
    pub graph_existed: bool,
    /// Whether the derived graph and the shape check were kept up to date around what the
    /// write touched, rather than recomputed over the whole store.
    pub maintained_locally: bool,
    /// Every quad the write may have added or removed (a superset), when the store could list
    /// them; `None` when anything may have changed. What follows the store (the search index)
    /// updates around these.
    pub touched: Option<Vec<Quad>>,
}

/// Parses a query behind the nesting guard: a syntax error is the user's, with its position,
/// whichever backend is to answer it.
fn parse_query(
    query: &str,
    limits: crate::rdf::ParseLimits,
) -> Result<spargebra::Query, StoreError> {
    crate::guard::check_depth(
        query.as_bytes(),
        crate::guard::Syntax::SparqlOrTurtle,
        limits.max_nesting,
    )?;
    Ok(spargebra::SparqlParser::new().parse_query(query)?)
}

/// What a parsed query returns.
fn form_of(query: &spargebra::Query) -> QueryForm {
    match query {
        spargebra::Query::Select { .. } => QueryForm::Select,
        spargebra::Query::Ask { .. } => QueryForm::Ask,
        spargebra::Query::Construct { .. } => QueryForm::Construct,
        spargebra::Query::Describe { .. } => QueryForm::Describe,
    }
}

/// Refuses a write addressed to the derived graph, which every backend computes itself.
fn refuse_derived_target(op: &WriteOp) -> Result<(), StoreError> {
    let derived = GraphTarget::Named(crate::infer::derived_graph());
    let aimed = match op {
        WriteOp::AddToGraph { graph, .. }
        | WriteOp::ReplaceGraph { graph, .. }
        | WriteOp::DropGraph { graph } => *graph == derived,
        WriteOp::ReplaceGraphs { graphs } => graphs.iter().any(|(g, _)| *g == derived),
        _ => false,
    };
    if aimed {
        return Err(StoreError::Refused(format!(
            "<{}> is computed from the other graphs on every write; write to another graph",
            crate::infer::derived_graph().as_str()
        )));
    }
    Ok(())
}

/// Runs a SELECT binding `?s ?p ?o ?g` and returns its rows as quads (rows that are not quads
/// are skipped).
fn select_quads<B: Backend + ?Sized>(store: &B, query: &str) -> Result<Vec<Quad>, StoreError> {
    let QueryResults::Solutions(solutions) = store.query(&QueryRequest {
        query: query.to_owned(),
        dataset: Dataset::default(),
        cancel: CancellationToken::new(),
    })?
    else {
        return Err(StoreError::Storage("a quad lookup is not a SELECT".into()));
    };
    let mut quads = Vec::new();
    for solution in solutions {
        let solution = solution?;
        let subject = match solution.get("s") {
            Some(oxigraph::model::Term::NamedNode(n)) => {
                oxigraph::model::NamedOrBlankNode::from(n.clone())
            }
            Some(oxigraph::model::Term::BlankNode(b)) => b.clone().into(),
            _ => continue,
        };
        let (
            Some(oxigraph::model::Term::NamedNode(p)),
            Some(o),
            Some(oxigraph::model::Term::NamedNode(g)),
        ) = (solution.get("p"), solution.get("o"), solution.get("g"))
        else {
            continue;
        };
        quads.push(Quad::new(subject, p.clone(), o.clone(), g.clone()));
    }
    Ok(quads)
}

/// Counts a user reads to see what the store holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub triples: usize,
    /// Each named graph with its number of triples; the default graph is listed as `None`.
    pub graphs: Vec<(Option<NamedNode>, usize)>,
    /// Classes by number of instances, most first.
    pub classes: Vec<(NamedNode, usize)>,
    /// Predicates by number of uses, most first.
    pub predicates: Vec<(NamedNode, usize)>,
}

/// Options every backend honours.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// The only way a SPARQL `LOAD` or `SERVICE` reaches the network.
    pub fetcher: Arc<Fetcher>,
    /// Recompute the derived graph from scratch on every write instead of around what the
    /// write touched: the reference the local maintenance is tested against.
    pub full_recompute: bool,
    /// Answers `SERVICE <https://w3id.org/dealgraph/search>` from the search index.
    pub search: Option<crate::search::SearchService>,
}

/// The interface a storage backend implements. The embedded oxigraph store is one; a remote
/// SPARQL engine reached over the standard protocols is the other.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// Parses a query far enough to know its form, reporting syntax errors with their position.
    fn query_form(&self, query: &str) -> Result<QueryForm, StoreError>;

    /// Runs a query. The results are lazy: evaluation happens as they are iterated, and stops
    /// with [`StoreError::Cancelled`] once `request.cancel` is cancelled.
    fn query(&self, request: &QueryRequest) -> Result<QueryResults<'static>, StoreError>;

    /// The one door for writes: applies `op` in one transaction, recomputes the derived graph,
    /// validates the result against the SHACL shapes, and commits; on any error it changes
    /// nothing ([`StoreError::Invalid`] carries the violations).
    fn write(&self, op: WriteOp) -> Result<WriteOutcome, StoreError>;

    /// Does everything [`Backend::write`] does but commit, and returns the validation report.
    fn check(&self, op: WriteOp) -> Result<crate::validate::ValidationReport, StoreError>;

    /// Loads a large input into new named graphs through the bulk path: parsed and committed
    /// at once, then the derived graph and the shapes are brought up to date; a violation drops
    /// the graphs again. Triples go into `graph`; with `keep_named_graphs`, a dataset's quads stay
    /// in the graphs the input names (every one of which must be new). `on_progress` is called
    /// from time to time with the quads loaded so far. Returns the quads in the loaded graphs.
    fn bulk_load(
        &self,
        input: &mut dyn std::io::Read,
        format: RdfFormat,
        graph: &NamedNode,
        keep_named_graphs: bool,
        on_progress: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<u64, StoreError>;

    /// Whether a named graph exists (the default graph always does).
    fn graph_exists(&self, graph: &GraphTarget) -> Result<bool, StoreError>;

    /// Serialises one graph (as a graph format) or, with `None`, the whole dataset (as a dataset
    /// format) to `out`.
    fn dump(
        &self,
        graph: Option<&GraphTarget>,
        format: RdfFormat,
        out: &mut dyn Write,
    ) -> Result<(), StoreError>;

    /// Number of quads in the whole store.
    fn len(&self) -> Result<usize, StoreError>;

    fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len()? == 0)
    }

    /// The named graphs present.
    fn named_graphs(&self) -> Result<Vec<NamedNode>, StoreError>;

    fn stats(&self, top: usize) -> Result<Stats, StoreError>;

    /// Full-text search over the entities. Only a backend with a search index has it: the
    /// [`crate::search::Indexed`] decorator, which keeps its index in step with every write.
    fn search(
        &self,
        request: &crate::search::SearchRequest,
    ) -> Result<crate::search::SearchResults, StoreError> {
        let _ = request;
        Err(StoreError::Storage("this store has no search index".into()))
    }

    /// The newest `limit` fact nodes naming `entity` (as `views::facts::newest_facts_naming`
    /// defines them and orders them: by the date each is placed at, newest first, then by IRI)
    /// and how many there are in all, if the backend keeps an index of facts that every write
    /// follows: the [`crate::search::Indexed`] decorator does, over a store only dealgraph
    /// writes. `None`: the caller asks the store.
    fn newest_facts_naming(
        &self,
        entity: &NamedNode,
        limit: usize,
    ) -> Result<Option<(Vec<String>, usize)>, StoreError> {
        let _ = (entity, limit);
        Ok(None)
    }

    /// The latest observation of each kind about `entity` (as `views::figures` chooses them:
    /// of the classes `classes`, known by `as_of`), if the backend keeps an index of facts
    /// that every write follows, as for [`Self::newest_facts_naming`]. `None`: the caller
    /// reads the store.
    fn latest_figures(
        &self,
        entity: &NamedNode,
        classes: &std::collections::BTreeSet<String>,
        as_of: Option<&str>,
    ) -> Result<Option<Vec<String>>, StoreError> {
        let _ = (entity, classes, as_of);
        Ok(None)
    }

    /// The whole ranking of organisations by the total amount of their deals in `role`, in
    /// `currency` (as `views::rankings` defines it), if the backend keeps an index of facts
    /// that every write follows, as for [`Self::newest_facts_naming`]. `None`: the caller asks
    /// the store.
    fn ranked_totals(
        &self,
        role: &str,
        currency: &str,
    ) -> Result<Option<Vec<crate::views::rankings::Total>>, StoreError> {
        let _ = (role, currency);
        Ok(None)
    }

    /// Whether the search index has been read against the store since it was opened, if the
    /// backend has one ([`crate::search::Indexed`]).
    fn index_state(&self) -> Option<crate::search::IndexState> {
        None
    }

    /// Rebuilds the search index from what the store holds now, and returns how many entities
    /// it indexed: the way to catch up with writes that reached the store without dealgraph
    /// (another replica's, or an engine's own tools). Only [`crate::search::Indexed`] has one.
    fn reindex(&self) -> Result<usize, StoreError> {
        Err(StoreError::Storage("this store has no search index".into()))
    }

    /// The quads, in every named graph, whose subject is one of `subjects`. The views read
    /// entities and fact nodes through it: an index lookup per subject in the embedded store;
    /// the default, for a remote engine, is one SELECT.
    fn quads_about(&self, subjects: &[NamedNode]) -> Result<Vec<Quad>, StoreError> {
        if subjects.is_empty() {
            return Ok(Vec::new());
        }
        let values: String = subjects.iter().map(|s| format!(" {s}")).collect();
        select_quads(
            self,
            &format!(
                "SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{{values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            ),
        )
    }

    /// The quads, in every named graph, with one of `subjects` and one of `predicates`: a node's
    /// names and types without the thousands of other triples a hub has.
    fn quads_with(
        &self,
        subjects: &[NamedNode],
        predicates: &[NamedNode],
    ) -> Result<Vec<Quad>, StoreError> {
        if subjects.is_empty() || predicates.is_empty() {
            return Ok(Vec::new());
        }
        // One VALUES block of pairs: with two blocks, Oxigraph server joins them after reading
        // every quad (68 ms for five subjects at 100k triples, against 1.7 ms).
        let pairs: String = subjects
            .iter()
            .flat_map(|s| predicates.iter().map(move |p| format!(" ({s} {p})")))
            .collect();
        select_quads(
            self,
            &format!(
                "SELECT ?s ?p ?o ?g WHERE {{ VALUES (?s ?p) {{{pairs} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            ),
        )
    }

    /// The quads, in every named graph, whose object is `object`, at most `limit` of them
    /// (a hub is named by many: views that only need some stop early).
    /// With a `predicate`, only the quads with that predicate.
    fn quads_naming(
        &self,
        object: &NamedNode,
        predicate: Option<&NamedNode>,
        limit: usize,
    ) -> Result<Vec<Quad>, StoreError> {
        let limit = if limit == usize::MAX {
            String::new()
        } else {
            format!(" LIMIT {limit}")
        };
        let (p, bind_p) = match predicate {
            Some(p) => (p.to_string(), format!(" BIND({p} AS ?p)")),
            None => ("?p".to_owned(), String::new()),
        };
        select_quads(
            self,
            &format!(
                "SELECT ?s ?p ?o ?g WHERE {{ BIND({object} AS ?o){bind_p} GRAPH ?g {{ ?s {p} {object} }} }}{limit}"
            ),
        )
    }

    /// When the store was last written through dealgraph, if the backend keeps it (the
    /// [`crate::search::Indexed`] decorator does, across restarts).
    fn last_write(&self) -> Option<std::time::SystemTime> {
        None
    }

    /// Whether every write to the data goes through this backend: the embedded store, which
    /// dealgraph holds locked, yes; an engine that others can write to, no. Only then may what
    /// is computed from the data be kept until the next write ([`Backend::generation`]).
    fn is_exclusive(&self) -> bool {
        false
    }

    /// A number that changes with every write through dealgraph, if the backend counts them
    /// (the [`crate::search::Indexed`] decorator does): what is computed from the whole store
    /// may be kept until it changes. `None` where writes can bypass dealgraph.
    fn generation(&self) -> Option<u64> {
        None
    }
}
