//! The exploration views: what the JSON API (`/api/entity`, `graph`, `paths`, `timeline`,
//! `conflicts`, `rankings`, `stats`) and the exports show, computed from the store.
//!
//! Every view is built from SPARQL SELECTs run through [`Backend::query`], never from the
//! embedded store's internals, so the same code serves a remote SPARQL engine (issue 8). Views
//! read the union of the source graphs and ignore the derived graph's copies of their triples,
//! except where they ask for derived relations by name. A view never passes a cut list off as
//! whole: wherever it stops at a limit it says so (`truncated`) and gives the full count.
//!
//! This module is synchronous and knows nothing of HTTP; `server::api` parses requests into the
//! parameters here and maps [`ViewError`] to statuses.

pub mod conflicts;
pub mod entity;
pub mod export;
pub mod facts;
pub(crate) mod figures;
pub mod graph;
pub mod paths;
pub mod rankings;
pub mod stats;
pub mod timeline;

pub use conflicts::{Conflict, ConflictsView, SourceSide, conflicts};
pub use entity::{EntityRequest, EntityView, Link, entity};
pub use export::{ExportFormat, whole_graph, write_export};
pub use facts::{Amount, Attribute, CertaintyRef, Fact, Participant, RelatedFact, Side, Source};
pub use graph::{Edge, FactFilter, GraphRequest, GraphView, Node, graph};
pub use paths::{PathStep, PathsRequest, PathsView, paths};
pub use rankings::{Ranked, RankingsView, rankings};
pub use stats::{StatsView, stats};
pub use timeline::{TimelineView, timeline};

use crate::store::{Backend, Dataset, NAMESPACE, QueryRequest, StoreError};
use oxigraph::model::{NamedNode, Quad, Term};
use oxigraph::sparql::{CancellationToken, QueryResults, QuerySolution};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Why a view could not be given.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The entity (or another IRI the request names) is not in the graph.
    #[error("{0}")]
    NotFound(String),
    /// A parameter is malformed or out of range; the message names it.
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The prefixes every view's query starts with.
pub(crate) const PREFIXES: &str = "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX schema: <http://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
";

/// The ontology's namespace, `dg:`.
pub(crate) const DG: &str = "https://w3id.org/dealgraph/ontology#";

/// An IRI with the words a person reads for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct Ref {
    pub iri: String,
    /// The local name under `https://w3id.org/dealgraph/id/` (what `/api/entity/{id}` takes),
    /// when the IRI is one of dealgraph's entities.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub label: String,
}

impl Ref {
    pub(crate) fn new(iri: &str, label: Option<&str>) -> Self {
        Self {
            iri: iri.to_owned(),
            id: entity_id(iri).map(str::to_owned),
            label: label.map_or_else(|| fallback_label(iri), str::to_owned),
        }
    }
}

/// The local name of an entity IRI, if it is one of dealgraph's.
pub fn entity_id(iri: &str) -> Option<&str> {
    iri.strip_prefix(NAMESPACE)?.strip_prefix("id/")
}

/// The entity IRI a request names: a local name (`coreweave`) or a whole IRI.
pub fn entity_iri(given: &str) -> Result<NamedNode, ViewError> {
    let given = given.trim();
    if given.is_empty() {
        return Err(ViewError::BadRequest(
            "name an entity by its id (e.g. `coreweave`) or its IRI".into(),
        ));
    }
    let iri = if given.contains(':') {
        given.to_owned()
    } else {
        format!("{NAMESPACE}id/{given}")
    };
    NamedNode::new(&iri)
        .map_err(|e| ViewError::BadRequest(format!("{given:?} is not an entity id or IRI: {e}")))
}

/// What a person reads when an IRI has no label: its last segment.
fn fallback_label(iri: &str) -> String {
    iri.rsplit(['/', '#'])
        .find(|s| !s.is_empty())
        .unwrap_or(iri)
        .to_owned()
}

/// Reads the store for one request's views, all under one cancellation token (the request's
/// deadline). Entities and fact nodes are read whole through [`Backend::quads_about`] and kept
/// for the rest of the request, so a view that meets a node twice reads it once; the vocabulary
/// and aggregates are SPARQL SELECTs.
pub struct Reader<'a> {
    store: &'a dyn Backend,
    cancel: CancellationToken,
    /// The quads about each node read so far, by subject IRI.
    about: RefCell<HashMap<String, Rc<Vec<Quad>>>>,
    /// The labels and types of nodes read for their names only (participants, classes,
    /// properties): a hub's thousands of other triples are not read to name it.
    names: RefCell<HashMap<String, Rc<Vec<Quad>>>>,
    /// The names of the vocabulary kept across requests, if the caller keeps them.
    shared: Option<&'a NameCache>,
}

/// The names (labels and types) of the vocabulary, kept across requests until the store's next
/// write ([`Backend::generation`]). Every view names classes, roles, certainties and statuses:
/// reading them again on every request was a third of a small entity card's time on disk.
/// Entities (`/id/...`) are not kept: they are many, and each view reads only its own.
#[derive(Debug, Default)]
pub struct NameCache {
    kept: std::sync::Mutex<KeptNames>,
}

/// The generation the names were read at, and the names by IRI.
type KeptNames = (Option<u64>, HashMap<String, Vec<Quad>>);

/// The most vocabulary names a [`NameCache`] keeps.
const MAX_SHARED_NAMES: usize = 10_000;

impl NameCache {
    fn keeps(iri: &str) -> bool {
        entity_id(iri).is_none()
    }
}

impl std::fmt::Debug for Reader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader").finish_non_exhaustive()
    }
}

impl<'a> Reader<'a> {
    pub fn new(store: &'a dyn Backend, cancel: CancellationToken) -> Self {
        Self {
            store,
            cancel,
            about: RefCell::new(HashMap::new()),
            names: RefCell::new(HashMap::new()),
            shared: None,
        }
    }

    /// Takes vocabulary names from `cache`, and keeps there those it reads.
    pub fn sharing(mut self, cache: &'a NameCache) -> Self {
        self.shared = Some(cache);
        self
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.cancel.is_cancelled() {
            Err(StoreError::Cancelled)
        } else {
            Ok(())
        }
    }

    /// Reads the quads about every node not read yet, in one lookup.
    pub(crate) fn load<'i>(
        &self,
        nodes: impl IntoIterator<Item = &'i str>,
    ) -> Result<(), StoreError> {
        let missing = self.missing(nodes, false)?;
        self.fill(&self.about, &missing, self.store.quads_about(&missing)?);
        Ok(())
    }

    /// Reads the labels and types of every node not read yet (wholly or by name), in one lookup.
    pub(crate) fn load_names<'i>(
        &self,
        nodes: impl IntoIterator<Item = &'i str>,
    ) -> Result<(), StoreError> {
        let mut missing = self.missing(nodes, true)?;
        let generation = self.store.generation();
        if let (Some(cache), Some(now)) = (self.shared, generation) {
            if let Ok(mut kept) = cache.kept.lock() {
                if kept.0 != Some(now) {
                    *kept = (Some(now), HashMap::new());
                }
                let mut names = self.names.borrow_mut();
                missing.retain(|node| match kept.1.get(node.as_str()) {
                    Some(quads) => {
                        names.insert(node.as_str().to_owned(), Rc::new(quads.clone()));
                        false
                    }
                    None => true,
                });
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        let predicates = [RDFS_LABEL, SKOS_PREF_LABEL, RDF_TYPE].map(NamedNode::new_unchecked);
        let quads = self.store.quads_with(&missing, &predicates)?;
        self.fill(&self.names, &missing, quads);
        if let (Some(cache), Some(now)) = (self.shared, generation) {
            if let Ok(mut kept) = cache.kept.lock() {
                // Stamped with the generation read before the lookup: a write in between makes
                // the next request start afresh.
                if kept.0 == Some(now) {
                    let names = self.names.borrow();
                    for node in missing.iter().filter(|n| NameCache::keeps(n.as_str())) {
                        if kept.1.len() >= MAX_SHARED_NAMES {
                            break;
                        }
                        if let Some(quads) = names.get(node.as_str()) {
                            kept.1
                                .insert(node.as_str().to_owned(), quads.as_ref().clone());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The nodes, sorted and once each, that are not read yet (or, `by_name`, not named yet).
    fn missing<'i>(
        &self,
        nodes: impl IntoIterator<Item = &'i str>,
        by_name: bool,
    ) -> Result<Vec<NamedNode>, StoreError> {
        self.check()?;
        let (about, names) = (self.about.borrow(), self.names.borrow());
        let mut missing: Vec<NamedNode> = nodes
            .into_iter()
            .filter(|n| {
                let named = by_name && names.contains_key(*n);
                !(about.contains_key(*n) || named)
            })
            .filter_map(|n| NamedNode::new(n).ok())
            .collect();
        missing.sort();
        missing.dedup();
        Ok(missing)
    }

    /// Keeps what a lookup returned for each node asked about (nothing, for a node with no quads).
    fn fill(
        &self,
        cache: &RefCell<HashMap<String, Rc<Vec<Quad>>>>,
        nodes: &[NamedNode],
        quads: Vec<Quad>,
    ) {
        let mut grouped: HashMap<String, Vec<Quad>> = nodes
            .iter()
            .map(|n| (n.as_str().to_owned(), Vec::new()))
            .collect();
        for quad in quads {
            if let oxigraph::model::NamedOrBlankNode::NamedNode(s) = &quad.subject {
                if let Some(list) = grouped.get_mut(s.as_str()) {
                    list.push(quad);
                }
            }
        }
        let mut cache = cache.borrow_mut();
        for (node, quads) in grouped {
            cache.insert(node, Rc::new(quads));
        }
    }

    /// A node's labels and types (from its whole quads when they were read), read if need be.
    pub(crate) fn names(&self, node: &str) -> Result<Rc<Vec<Quad>>, StoreError> {
        if let Some(quads) = self.about.borrow().get(node) {
            return Ok(Rc::clone(quads));
        }
        if let Some(quads) = self.names.borrow().get(node) {
            return Ok(Rc::clone(quads));
        }
        self.load_names([node])?;
        Ok(self.names.borrow().get(node).cloned().unwrap_or_default())
    }

    /// The quads about a node (every graph, the derived one included), read if need be.
    pub(crate) fn about(&self, node: &str) -> Result<Rc<Vec<Quad>>, StoreError> {
        if let Some(quads) = self.about.borrow().get(node) {
            return Ok(Rc::clone(quads));
        }
        self.load([node])?;
        Ok(self.about.borrow().get(node).cloned().unwrap_or_default())
    }

    /// The quads about a node in the graphs sources assert (the derived graph left out),
    /// without decoding the derived ones: a hub has thousands of derived relations.
    pub(crate) fn asserted_about(&self, node: &NamedNode) -> Result<Vec<Quad>, StoreError> {
        let rows = self.select(&format!(
            "SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ {node} ?p ?o }} FILTER(!sameTerm(?g, {})) }}",
            derived()
        ))?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let p = NamedNode::new_unchecked(iri_of(row.get("p"))?);
                let g = NamedNode::new_unchecked(iri_of(row.get("g"))?);
                Some(Quad::new(node.clone(), p, row.get("o")?.clone(), g))
            })
            .collect())
    }

    /// The quads whose object is the node with this predicate, in every graph.
    pub(crate) fn naming_with(
        &self,
        node: &NamedNode,
        predicate: &NamedNode,
    ) -> Result<Vec<Quad>, StoreError> {
        self.check()?;
        self.store.quads_naming(node, Some(predicate), usize::MAX)
    }

    /// The quads whose object is the node, in every graph.
    pub(crate) fn naming(&self, node: &NamedNode) -> Result<Vec<Quad>, StoreError> {
        self.naming_at_most(node, usize::MAX)
    }

    /// At most `limit` of the quads whose object is the node.
    pub(crate) fn naming_at_most(
        &self,
        node: &NamedNode,
        limit: usize,
    ) -> Result<Vec<Quad>, StoreError> {
        self.check()?;
        self.store.quads_naming(node, None, limit)
    }

    /// The newest `limit` facts naming the node and how many there are, from the backend's
    /// facts index when it keeps one in step with every write (`None` otherwise).
    pub(crate) fn indexed_facts_naming(
        &self,
        node: &NamedNode,
        limit: usize,
    ) -> Result<Option<(Vec<String>, usize)>, StoreError> {
        self.check()?;
        self.store.newest_facts_naming(node, limit)
    }

    /// The latest figures of `node` of each kind from the backend's facts index, if it keeps
    /// one (see `figures`).
    pub(crate) fn indexed_figures(
        &self,
        node: &NamedNode,
        classes: &std::collections::BTreeSet<String>,
        as_of: Option<&str>,
    ) -> Result<Option<Vec<String>>, StoreError> {
        self.check()?;
        self.store.latest_figures(node, classes, as_of)
    }

    /// The whole ranking by `role` in `currency` from the backend's facts index, if it keeps
    /// one (see `rankings`).
    pub(crate) fn indexed_rankings(
        &self,
        role: &str,
        currency: &str,
    ) -> Result<Option<Vec<rankings::Total>>, StoreError> {
        self.check()?;
        self.store.ranked_totals(role, currency)
    }

    /// The node's best label: the shortest of its `rdfs:label`s, else its `skos:prefLabel`.
    pub(crate) fn label(&self, node: &str) -> Result<Option<String>, StoreError> {
        Ok(best_label(&self.names(node)?))
    }

    /// Runs a SELECT whose one row binds `?n` to a count, and returns the count (0 if none).
    pub(crate) fn count(&self, query: &str) -> Result<usize, StoreError> {
        Ok(self
            .select(query)?
            .first()
            .and_then(|row| text_of(row.get("n"))?.parse().ok())
            .unwrap_or(0))
    }

    /// Runs a SELECT (the prefixes are added) over the union of all graphs.
    pub(crate) fn select(&self, query: &str) -> Result<Vec<QuerySolution>, StoreError> {
        self.check()?;
        let results = self.store.query(&QueryRequest {
            query: format!("{PREFIXES}{query}"),
            dataset: Dataset::default(),
            cancel: self.cancel.clone(),
        })?;
        match results {
            QueryResults::Solutions(solutions) => solutions
                .map(|s| s.map_err(StoreError::from))
                .collect::<Result<Vec<_>, _>>(),
            _ => Err(StoreError::Storage("a view's query is not a SELECT".into())),
        }
    }

    /// Whether any triple names the IRI as subject or object. Its names first, which a view
    /// reads anyway: a hub's every quad (thousands, each term a lookup on disk) is not read
    /// just to find it exists.
    pub(crate) fn exists(&self, iri: &NamedNode) -> Result<bool, StoreError> {
        if !self.names(iri.as_str())?.is_empty() {
            return Ok(true);
        }
        self.check()?;
        match self.store.query(&QueryRequest {
            query: format!("ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }}"),
            dataset: Dataset::default(),
            cancel: self.cancel.clone(),
        })? {
            QueryResults::Boolean(b) => Ok(b),
            _ => Err(StoreError::Storage("a view's query is not an ASK".into())),
        }
    }

    /// The entity must be in the graph, or the view is a 404 naming it.
    pub(crate) fn require(&self, iri: &NamedNode) -> Result<(), ViewError> {
        if self.exists(iri)? {
            Ok(())
        } else {
            Err(ViewError::NotFound(format!(
                "nothing is known about <{}>",
                iri.as_str()
            )))
        }
    }
}

pub(crate) const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
pub(crate) const SKOS_PREF_LABEL: &str = "http://www.w3.org/2004/02/skos/core#prefLabel";
pub(crate) const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

/// The shortest `rdfs:label` (then the first in order), else the `skos:prefLabel`.
pub(crate) fn best_label(quads: &[Quad]) -> Option<String> {
    let pick = |predicate: &str| {
        quads
            .iter()
            .filter(|q| q.predicate.as_str() == predicate)
            .filter_map(|q| match &q.object {
                Term::Literal(l) => Some(l.value()),
                _ => None,
            })
            .min_by(|a, b| (a.len(), *a).cmp(&(b.len(), *b)))
            .map(str::to_owned)
    };
    pick(RDFS_LABEL).or_else(|| pick(SKOS_PREF_LABEL))
}

/// Whether a quad is in the derived graph.
pub(crate) fn is_derived(quad: &Quad) -> bool {
    matches!(&quad.graph_name, oxigraph::model::GraphName::NamedNode(g) if g.as_str() == DERIVED)
}

/// The derived graph (`infer::derived_graph`), which views leave out when they read what
/// sources say.
pub(crate) const DERIVED: &str = "https://w3id.org/dealgraph/graph/derived";

/// The derived graph's IRI, for a query.
pub(crate) fn derived() -> String {
    format!("<{DERIVED}>")
}

/// `dg:certainty`: a node with one in a source graph is a fact node.
pub(crate) const CERTAINTY: &str = "https://w3id.org/dealgraph/ontology#certainty";

/// Whether a quad pointing at a node makes its subject something that names the node: from a
/// source graph, and not merely a certainty, status, type or count pointing at a concept.
pub(crate) fn names_its_object(quad: &Quad) -> bool {
    const NOT_LINKS: &[&str] = &[
        CERTAINTY,
        "https://w3id.org/dealgraph/ontology#status",
        "https://w3id.org/dealgraph/ontology#countOf",
        RDF_TYPE,
    ];
    !is_derived(quad) && !NOT_LINKS.contains(&quad.predicate.as_str())
}

pub(crate) fn iri_of(term: Option<&Term>) -> Option<&str> {
    match term {
        Some(Term::NamedNode(n)) => Some(n.as_str()),
        _ => None,
    }
}

pub(crate) fn text_of(term: Option<&Term>) -> Option<&str> {
    match term {
        Some(Term::Literal(l)) => Some(l.value()),
        _ => None,
    }
}

/// A `VALUES` block over IRIs, for queries about a known set of nodes.
pub(crate) fn values<'i>(var: &str, iris: impl IntoIterator<Item = &'i str>) -> String {
    let mut block = format!("VALUES ?{var} {{");
    for iri in iris {
        block.push_str(" <");
        block.push_str(iri);
        block.push('>');
    }
    block.push_str(" }");
    block
}

/// Checks a date parameter: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`, compared with the graph's dates
/// as text, which orders ISO dates of any of these precisions by their first day.
pub fn parse_date(name: &str, given: &str) -> Result<String, ViewError> {
    let given = given.trim();
    let parts: Vec<&str> = given.split('-').collect();
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let ok = match parts.as_slice() {
        [y] => digits(y, 4),
        [y, m] => digits(y, 4) && digits(m, 2) && ("01"..="12").contains(m),
        [y, m, d] => {
            digits(y, 4)
                && digits(m, 2)
                && digits(d, 2)
                && ("01"..="12").contains(m)
                && ("01"..="31").contains(d)
        }
        _ => false,
    };
    if ok {
        Ok(given.to_owned())
    } else {
        Err(ViewError::BadRequest(format!(
            "`{name}` must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {given:?}"
        )))
    }
}

/// Whether a date of any precision overlaps the range: it starts on or before `until` and ends
/// on or after `since` (`2024` overlaps `since=2024-06`; `2024-07` is after `until=2024-06-30`).
pub(crate) fn within(date: &str, since: Option<&str>, until: Option<&str>) -> bool {
    since.is_none_or(|s| period_end(date).as_str() >= s)
        && until.is_none_or(|u| date <= period_end(u).as_str())
}

/// The last day of a date's period, as text: "2024" runs to "2024-12-31", "2024-06" to
/// "2024-06-31" (an upper bound is all a text comparison needs).
pub(crate) fn period_end(date: &str) -> String {
    match date.len() {
        4 => format!("{date}-12-31"),
        7 => format!("{date}-31"),
        _ => date.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_overlap_a_range_by_their_first_and_last_days() {
        assert!(within("2024", Some("2024-06"), None));
        assert!(within("2024-06", None, Some("2024-06-01")));
        assert!(!within("2024-07", None, Some("2024-06-30")));
        assert!(!within("2023-12-31", Some("2024"), None));
        assert!(within("2025-01-15", Some("2024"), Some("2025")));
    }

    #[test]
    fn the_derived_graph_is_the_one_inference_writes() {
        assert_eq!(DERIVED, crate::infer::derived_graph().as_str());
    }

    #[test]
    fn dates_are_checked() {
        assert!(parse_date("since", "2024-02").is_ok());
        assert!(parse_date("since", "2024-13").is_err());
        assert!(parse_date("since", "24").is_err());
        assert!(parse_date("since", "2024-02-30x").is_err());
    }

    #[test]
    fn ids_and_iris_name_entities() {
        assert_eq!(
            entity_iri("coreweave").unwrap().as_str(),
            "https://w3id.org/dealgraph/id/coreweave"
        );
        assert_eq!(
            entity_iri("https://w3id.org/dealgraph/id/openai")
                .unwrap()
                .as_str(),
            "https://w3id.org/dealgraph/id/openai"
        );
        assert!(entity_iri("a b").is_err());
        assert_eq!(entity_id("https://w3id.org/dealgraph/id/x"), Some("x"));
    }
}
