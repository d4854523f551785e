//! Full-text search over the graph's entities, with tantivy, kept in step with every write.
//!
//! One document per IRI subject of the dealgraph namespace (`https://w3id.org/dealgraph/id/`)
//! that has an `rdfs:label`: its labels, `skos:altLabel`s, descriptions (`rdfs:comment`,
//! `schema:description`), the `dg:quote`s of the fact nodes that mention it, its types (derived
//! ones included) and a connectivity figure used in ranking. A fact node (a subject with
//! `dg:quote`) is a document too, but its labels go to a field of their own with a lower weight,
//! so that for a name the entity ranks above the facts about it. Every fact node also has a
//! document of its own, without text (`facts`): the IRIs it names and its date, from which an
//! entity card takes its newest facts.
//!
//! [`Indexed`] is a decorator over any [`crate::store::Backend`]: each write goes to the store
//! and then, before the call returns, the documents of every entity the write touched are read
//! again from the store and replaced (or the whole index is rebuilt when the write's effect is
//! not known in advance). [`SearchService`] makes the index reachable from SPARQL as
//! `SERVICE <https://w3id.org/dealgraph/search>`.
//!
//! Crash safety: an on-disk index keeps a marker file while a write is between the store's
//! commit and the index's; an index found with the marker, without it but disagreeing with the
//! store, unreadable, or built by another version is rebuilt when it is opened.

mod facts;
mod indexed;
mod service;

pub use indexed::{Check, IndexState, Indexed};
pub use service::{SEARCH_NS, SearchService, service_name};

use crate::store::{Backend, Dataset, NAMESPACE, QueryRequest, StoreError};
use oxigraph::model::{NamedNode, Term};
use oxigraph::sparql::{CancellationToken, QueryResults};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, FuzzyTermQuery, Occur, Query,
    TermQuery,
};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{
    DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term as IndexTerm,
};

/// The namespace of the entities that get a document.
pub fn entity_namespace() -> String {
    format!("{NAMESPACE}id/")
}

/// Bumped whenever the fields, the analyzers or what goes into a document change: an index
/// written by another version is rebuilt when opened.
const SCHEMA_VERSION: &str = "dealgraph-search 4";

/// Most hits one search returns.
pub const MAX_LIMIT: usize = 100;
/// Hits returned when the request does not say.
pub const DEFAULT_LIMIT: usize = 10;
/// Query words considered; the rest of a longer query is ignored.
const MAX_WORDS: usize = 8;
/// A write touching more entities than this rebuilds the whole index instead.
const MAX_INCREMENTAL: usize = 2000;

/// The analyzer of words: split on anything not alphanumeric, lowercased, accents folded.
const WORDS: &str = "dg_words";
/// The analyzer of whole names: the trimmed text as one token, lowercased, accents folded.
const WHOLE: &str = "dg_whole";

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDFS: &str = "http://www.w3.org/2000/01/rdf-schema#";
const PREFIXES: &str = "PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> \
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> \
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#> \
    PREFIX schema: <http://schema.org/> \
    PREFIX prov: <http://www.w3.org/ns/prov#> \
    PREFIX dg: <https://w3id.org/dealgraph/ontology#> ";

/// Where the index lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchLocation {
    /// In memory, built from the store when opened.
    Memory,
    /// A directory of its own (the index in `index/`, its version and the write marker beside).
    Dir(PathBuf),
}

impl SearchLocation {
    /// The index of a store: beside an on-disk store, as `<store>.search` (oxigraph's RocksDB
    /// directory is left to RocksDB alone); in memory for an in-memory store.
    pub fn for_store(store: &crate::store::StoreLocation) -> Self {
        match store {
            crate::store::StoreLocation::Memory => Self::Memory,
            crate::store::StoreLocation::Disk(path) => {
                // `db/` and `db` alike give `db.search`, never `db/.search`.
                let mut name = path.components().as_path().as_os_str().to_owned();
                name.push(".search");
                Self::Dir(PathBuf::from(name))
            }
        }
    }
}

/// One search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    /// Class IRIs (`https://...`, or `dg:Name`) or local names (`AILab`), any of which a hit has.
    pub types: Vec<String>,
    pub limit: usize,
}

/// One hit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub iri: String,
    /// The IRI's local part in the entity namespace.
    pub id: String,
    pub label: String,
    pub types: Vec<String>,
    pub score: f32,
    /// Why it matched: the field and its text, e.g. `alias: AWS` or `label prefix: CoreWeave`.
    pub matched: String,
}

/// The hits of one search, best first, and how many documents matched in all.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub total: usize,
    /// Present only while the index has not yet been read against the store since the server
    /// started (`checking`, `rebuilding`, `unchecked`): the hits may then miss what a write
    /// that bypassed dealgraph put in the store.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<IndexState>,
}

#[derive(Debug, Clone, Copy)]
struct Fields {
    iri: Field,
    label: Field,
    label_whole: Field,
    fact_label: Field,
    alias: Field,
    alias_whole: Field,
    description: Field,
    quote: Field,
    mentions: Field,
    type_iri: Field,
    type_name: Field,
    connectivity: Field,
    /// A fact's document (see `facts`): its IRI, the IRIs it names, the date it is placed at.
    fact: Field,
    names: Field,
    placed: Field,
    /// A fact that observes something (`figures::Observation`): what it observes, its classes,
    /// qualifiers and dates, for the card's figures.
    observes: Field,
    figure_types: Field,
    qualifiers: Field,
    figure_when: Field,
    figure_known: Field,
    deal_roles: Field,
    deal_parties: Field,
    deal_amounts: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let words = |stored: bool| {
        let options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(WORDS)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        if stored {
            options.set_stored()
        } else {
            options
        }
    };
    let whole = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WHOLE)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        iri: builder.add_text_field("iri", STRING | STORED),
        label: builder.add_text_field("label", words(true)),
        label_whole: builder.add_text_field("label_whole", whole.clone()),
        fact_label: builder.add_text_field("fact_label", words(true)),
        alias: builder.add_text_field("alias", words(true)),
        alias_whole: builder.add_text_field("alias_whole", whole),
        description: builder.add_text_field("description", words(true)),
        quote: builder.add_text_field("quote", words(true)),
        mentions: builder.add_text_field("mentions", words(true)),
        type_iri: builder.add_text_field("type", STRING | STORED),
        type_name: builder.add_text_field("type_name", STRING),
        connectivity: builder.add_u64_field("connectivity", FAST | STORED),
        fact: builder.add_text_field("fact", STRING | FAST),
        names: builder.add_text_field("names", STRING),
        placed: builder.add_text_field("placed", STRING | FAST),
        observes: builder.add_text_field("observes", STRING),
        figure_types: builder.add_text_field("figure_types", STRING | FAST),
        qualifiers: builder.add_text_field("qualifiers", STRING | FAST),
        figure_when: builder.add_text_field("figure_when", STRING | FAST),
        figure_known: builder.add_text_field("figure_known", STRING | FAST),
        deal_roles: builder.add_text_field("deal_roles", STRING),
        deal_parties: builder.add_text_field("deal_parties", STRING | FAST),
        deal_amounts: builder.add_text_field("deal_amounts", STRING | FAST),
    };
    (builder.build(), fields)
}

fn register_analyzers(index: &Index) {
    index.tokenizers().register(
        WORDS,
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
    index.tokenizers().register(
        WHOLE,
        TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build(),
    );
}

/// Whitespace collapsed, so that a whole name compares equal however it was spaced.
fn whole(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn index_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Storage(format!("search index: {e}"))
}

/// The tantivy index, its reader and its one writer.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    dir: Option<PathBuf>,
    /// Why the index must be rebuilt from the store before use, if it must.
    rebuild_reason: Mutex<Option<String>>,
    /// Whole rebuilds since it was opened.
    rebuilds: AtomicU64,
    /// When the store was last written through dealgraph, as milliseconds since the Unix
    /// epoch (0: not known). Kept in each commit's payload, so it outlives a restart.
    last_write_ms: AtomicU64,
    /// Writes since the index was opened.
    writes: AtomicU64,
    /// The facts' documents in the last commit read (kept: every search's scoring needs it).
    fact_docs: AtomicU64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

/// What one entity's document holds, read from the store.
#[derive(Debug, Default)]
struct Entity {
    labels: Vec<String>,
    aliases: Vec<String>,
    descriptions: Vec<String>,
    quotes: Vec<String>,
    mentions: BTreeSet<String>,
    types: BTreeSet<String>,
    connectivity: u64,
}

impl SearchIndex {
    /// Opens the index at `location` (creating it if needed). It is not read against the store
    /// here: [`Indexed::open`] does that, and rebuilds it when [`Self::rebuild_reason`] says so.
    pub fn open(location: &SearchLocation) -> Result<Self, StoreError> {
        let (schema, fields) = schema();
        let (index, dir, reason) = match location {
            SearchLocation::Memory => (
                Index::create_in_ram(schema),
                None,
                Some("it is kept in memory".to_owned()),
            ),
            SearchLocation::Dir(dir) => {
                let (index, reason) = open_dir(dir, schema)?;
                (index, Some(dir.clone()), reason)
            }
        };
        register_analyzers(&index);
        let writer = index
            .writer_with_num_threads(1, 32 * 1024 * 1024)
            .map_err(index_error)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(index_error)?;
        let last_write_ms = index
            .load_metas()
            .ok()
            .and_then(|metas| metas.payload)
            .and_then(|payload| payload.trim().parse().ok())
            .unwrap_or(0);
        Ok(Self {
            index,
            writer: Mutex::new(writer),
            fields,
            dir,
            rebuild_reason: Mutex::new(reason),
            rebuilds: AtomicU64::new(0),
            last_write_ms: AtomicU64::new(last_write_ms),
            writes: AtomicU64::new(0),
            fact_docs: AtomicU64::new(count_fact_docs(&reader.searcher())?),
            reader,
        })
    }

    /// Why the index must be rebuilt before it is used, if it must.
    pub fn rebuild_reason(&self) -> Option<String> {
        self.rebuild_reason.lock().ok().and_then(|r| r.clone())
    }

    /// How many times the whole index was rebuilt since it was opened (other writes
    /// replaced only the documents they touched).
    pub fn rebuilds(&self) -> u64 {
        self.rebuilds.load(Ordering::Relaxed)
    }

    /// Records that the store was written now; the next commit of the index keeps it.
    pub fn note_write(&self) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        self.last_write_ms.store(now, Ordering::Relaxed);
    }

    /// Counts a write once the index has followed it. Counted after, not when the store
    /// commits: what a request computes between the two (the store new, the index not yet) is
    /// stamped with the count from before, and so is never kept past the write.
    fn note_followed(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    /// Writes followed since the index was opened.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// When the store was last written through dealgraph, if known.
    pub fn last_write(&self) -> Option<std::time::SystemTime> {
        match self.last_write_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms)),
        }
    }

    /// Commits the index's pending changes with the time of the last write as payload.
    fn commit(&self, writer: &mut IndexWriter) -> Result<(), StoreError> {
        let mut prepared = writer.prepare_commit().map_err(index_error)?;
        prepared.set_payload(&self.last_write_ms.load(Ordering::Relaxed).to_string());
        prepared.commit().map_err(index_error)?;
        Ok(())
    }

    /// Number of entities' documents.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs() - self.facts_len()
    }

    /// Number of facts' documents.
    pub fn facts_len(&self) -> u64 {
        self.fact_docs.load(Ordering::Relaxed)
    }

    /// Reads the index's last commit, and counts its facts' documents again.
    fn reload(&self) -> Result<(), StoreError> {
        self.reader.reload().map_err(index_error)?;
        self.fact_docs
            .store(count_fact_docs(&self.reader.searcher())?, Ordering::Relaxed);
        Ok(())
    }

    /// The newest `limit` facts naming `entity` and how many there are (see `facts`).
    pub fn newest_facts_naming(
        &self,
        entity: &NamedNode,
        limit: usize,
    ) -> Result<(Vec<String>, usize), StoreError> {
        let query = TermQuery::new(
            IndexTerm::from_field_text(self.fields.names, entity.as_str()),
            IndexRecordOption::Basic,
        );
        let (newest, total) = self
            .reader
            .searcher()
            .search(&query, &facts::NewestFacts { limit })
            .map_err(index_error)?;
        Ok((newest.into_iter().map(|(_, fact)| fact).collect(), total))
    }

    /// The latest observation of each kind about `entity` (see `views::figures`).
    pub fn latest_figures(
        &self,
        entity: &NamedNode,
        classes: &BTreeSet<String>,
        as_of: Option<&str>,
    ) -> Result<Vec<String>, StoreError> {
        let query = TermQuery::new(
            IndexTerm::from_field_text(self.fields.observes, entity.as_str()),
            IndexRecordOption::Basic,
        );
        let latest = self
            .reader
            .searcher()
            .search(&query, &facts::LatestFigures { classes, as_of })
            .map_err(index_error)?;
        Ok(latest)
    }

    /// The whole ranking by `role` in `currency` (see `views::rankings`), summed from the
    /// deals' fast fields.
    pub fn ranked_totals(
        &self,
        role: &str,
        currency: &str,
    ) -> Result<Vec<crate::views::rankings::Total>, StoreError> {
        let query = TermQuery::new(
            IndexTerm::from_field_text(self.fields.deal_roles, role),
            IndexRecordOption::Basic,
        );
        let totals = self
            .reader
            .searcher()
            .search(&query, &facts::RankedTotals { role, currency })
            .map_err(index_error)?;
        Ok(totals.into_ranking())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn marker(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(MARKER))
    }

    /// Records that a write is about to change the store: until [`Self::end_write`], a crash
    /// leaves the marker that makes the next open rebuild the index.
    fn begin_write(&self) -> Result<(), StoreError> {
        if let Some(marker) = self.marker() {
            write_synced(
                &marker,
                b"a write is between the store's commit and the index's\n",
            )
            .map_err(|e| index_error(format!("writing {}: {e}", marker.display())))?;
        }
        Ok(())
    }

    /// The index is in step with the store again.
    fn end_write(&self) {
        if let Some(marker) = self.marker()
            && let Err(e) = std::fs::remove_file(&marker)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove {}: {e}", marker.display());
        }
    }

    /// [`Self::rebuild`] with the write marker around it: a crash in between leaves the index
    /// to be rebuilt on the next open.
    pub fn rebuild_marked(&self, store: &dyn Backend) -> Result<usize, StoreError> {
        self.begin_write()?;
        let documents = self.rebuild(store)?;
        self.end_write();
        Ok(documents)
    }

    /// Replaces every document with what the store holds now.
    pub fn rebuild(&self, store: &dyn Backend) -> Result<usize, StoreError> {
        let started = Instant::now();
        let entities = read_entities(store, None)?;
        let placements = facts::read_placements(store, None)?;
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| index_error("a previous index write panicked"))?;
        writer.delete_all_documents().map_err(index_error)?;
        for (iri, entity) in &entities {
            writer
                .add_document(self.document(iri, entity))
                .map_err(index_error)?;
        }
        for (fact, placement) in &placements {
            writer
                .add_document(facts::document(&self.fields, fact, placement))
                .map_err(index_error)?;
        }
        self.commit(&mut writer)?;
        drop(writer);
        self.reload()?;
        if let Ok(mut reason) = self.rebuild_reason.lock() {
            *reason = None;
        }
        self.rebuilds.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            documents = entities.len(),
            facts = placements.len(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "search index rebuilt"
        );
        Ok(entities.len())
    }

    /// Replaces the documents of these IRIs with what the store holds now: the entities'
    /// (removing those that no longer have a label) and the facts' (removing those that are no
    /// longer facts). Any IRI can be a fact; only the entity namespace's get an entity document.
    pub fn refresh(
        &self,
        store: &dyn Backend,
        iris: &BTreeSet<NamedNode>,
    ) -> Result<(), StoreError> {
        let namespace = entity_namespace();
        let all: Vec<NamedNode> = iris.iter().cloned().collect();
        let iris: Vec<NamedNode> = all
            .iter()
            .filter(|n| n.as_str().starts_with(&namespace))
            .cloned()
            .collect();
        if all.is_empty() {
            // Nothing to re-read, but the time of the write is still kept.
            let mut writer = self
                .writer
                .lock()
                .map_err(|_| index_error("a previous index write panicked"))?;
            return self.commit(&mut writer);
        }
        let started = Instant::now();
        let mut entities = BTreeMap::new();
        for chunk in iris.chunks(200) {
            entities.extend(read_entities(store, Some(chunk))?);
        }
        let mut placements = BTreeMap::new();
        for chunk in all.chunks(200) {
            placements.extend(facts::read_placements(store, Some(chunk))?);
        }
        let read_ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut writer = self
            .writer
            .lock()
            .map_err(|_| index_error("a previous index write panicked"))?;
        for iri in &iris {
            writer.delete_term(IndexTerm::from_field_text(self.fields.iri, iri.as_str()));
            if let Some(entity) = entities.get(iri.as_str()) {
                writer
                    .add_document(self.document(iri.as_str(), entity))
                    .map_err(index_error)?;
            }
        }
        for iri in &all {
            writer.delete_term(IndexTerm::from_field_text(self.fields.fact, iri.as_str()));
            if let Some(placement) = placements.get(iri.as_str()) {
                writer
                    .add_document(facts::document(&self.fields, iri.as_str(), placement))
                    .map_err(index_error)?;
            }
        }
        self.commit(&mut writer)?;
        drop(writer);
        self.reload()?;
        tracing::debug!(
            iris = all.len(),
            documents = entities.len(),
            facts = placements.len(),
            read_ms,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "search index followed a write"
        );
        Ok(())
    }

    fn document(&self, iri: &str, entity: &Entity) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.iri, iri);
        let is_fact = !entity.quotes.is_empty();
        for label in &entity.labels {
            if is_fact {
                doc.add_text(f.fact_label, label);
            } else {
                doc.add_text(f.label, label);
                doc.add_text(f.label_whole, whole(label));
            }
        }
        for alias in &entity.aliases {
            doc.add_text(f.alias, alias);
            doc.add_text(f.alias_whole, whole(alias));
        }
        for text in &entity.descriptions {
            doc.add_text(f.description, text);
        }
        for text in &entity.quotes {
            doc.add_text(f.quote, text);
        }
        for text in &entity.mentions {
            doc.add_text(f.mentions, text);
        }
        for class in &entity.types {
            doc.add_text(f.type_iri, class);
            doc.add_text(f.type_name, local_name(class).to_lowercase());
        }
        doc.add_u64(f.connectivity, entity.connectivity);
        doc
    }

    /// Runs a search; see [`SearchRequest`].
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults, StoreError> {
        let f = self.fields;
        let words = self.words(&request.text);
        let whole_text = whole(&request.text);
        if words.is_empty() && whole_text.is_empty() {
            return Ok(SearchResults::default());
        }
        let clauses = self.clauses(&words, &whole_text);
        let mut query: Box<dyn Query> = Box::new(BooleanQuery::new(
            clauses
                .iter()
                .map(|c| (Occur::Should, c.query.box_clone()))
                .collect(),
        ));
        if !request.types.is_empty() {
            let types: Vec<(Occur, Box<dyn Query>)> = request
                .types
                .iter()
                .map(|t| {
                    let term = type_term(&f, t);
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            query = Box::new(BooleanQuery::new(vec![
                (Occur::Must, query),
                (Occur::Must, Box::new(BooleanQuery::new(types))),
            ]));
        }
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let searcher = self.reader.searcher();
        let collector =
            TopDocs::with_limit(limit).tweak_score(move |segment: &tantivy::SegmentReader| {
                let connectivity = segment
                    .fast_fields()
                    .u64("connectivity")
                    .ok()
                    .map(|c| c.first_or_default_col(0));
                move |doc: tantivy::DocId, score: tantivy::Score| {
                    let c = connectivity.as_ref().map_or(0, |c| c.get_val(doc));
                    score * connectivity_factor(c)
                }
            });
        let statistics = EntityStatistics {
            searcher: &searcher,
            facts: self.facts_len(),
        };
        let (top, total) = searcher
            .search_with_statistics_provider(&query, &(collector, Count), &statistics)
            .map_err(index_error)?;
        let mut weights: Vec<Option<Box<dyn tantivy::query::Weight>>> =
            (0..clauses.len()).map(|_| None).collect();
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(index_error)?;
            let iri = first_text(&doc, f.iri).unwrap_or_default();
            let label = first_text(&doc, f.label)
                .or_else(|| first_text(&doc, f.fact_label))
                .unwrap_or_default();
            let types = doc
                .get_all(f.type_iri)
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let matched =
                self.explain_hit(&statistics, address, &doc, &clauses, &mut weights, &words)?;
            hits.push(SearchHit {
                id: iri
                    .strip_prefix(&entity_namespace())
                    .unwrap_or(&iri)
                    .to_owned(),
                iri,
                label,
                types,
                score,
                matched,
            });
        }
        Ok(SearchResults {
            hits,
            total,
            index: None,
        })
    }

    /// The query's words, as the index analyses them.
    fn words(&self, text: &str) -> Vec<String> {
        let mut analyzer = self
            .index
            .tokenizers()
            .get(WORDS)
            .expect("the word analyzer is registered at open");
        let mut stream = analyzer.token_stream(text);
        let mut words: Vec<String> = Vec::new();
        while let Some(token) = stream.next() {
            if !words.contains(&token.text) {
                words.push(token.text.clone());
            }
            if words.len() == MAX_WORDS {
                break;
            }
        }
        words
    }

    /// The query's clauses, in the order a hit's reason is looked for.
    fn clauses(&self, words: &[String], whole_text: &str) -> Vec<Clause> {
        let f = self.fields;
        let mut clauses = Vec::new();
        let whole_term = |field| {
            let mut analyzer = self
                .index
                .tokenizers()
                .get(WHOLE)
                .expect("the whole-name analyzer is registered at open");
            let mut stream = analyzer.token_stream(whole_text);
            stream
                .next()
                .map(|t| IndexTerm::from_field_text(field, &t.text))
        };
        let constant = |q: Box<dyn Query>, score: f32| -> Box<dyn Query> {
            Box::new(ConstScoreQuery::new(q, score))
        };
        let bm25 = |field, word: &str, weight: f32| -> Box<dyn Query> {
            Box::new(BoostQuery::new(
                Box::new(TermQuery::new(
                    IndexTerm::from_field_text(field, word),
                    IndexRecordOption::WithFreqs,
                )),
                weight,
            ))
        };
        let term = |field, word: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                IndexTerm::from_field_text(field, word),
                IndexRecordOption::Basic,
            ))
        };
        let fuzzy = |field, word: &str, distance: u8| -> Box<dyn Query> {
            Box::new(FuzzyTermQuery::new(
                IndexTerm::from_field_text(field, word),
                distance,
                true,
            ))
        };
        let prefix = |field, word: &str, distance: u8| -> Box<dyn Query> {
            Box::new(FuzzyTermQuery::new_prefix(
                IndexTerm::from_field_text(field, word),
                distance,
                true,
            ))
        };
        if let Some(t) = whole_term(f.label_whole) {
            clauses.push(Clause::new(
                Reason::Label,
                f.label,
                constant(term_query(t), 12.0),
            ));
        }
        if let Some(t) = whole_term(f.alias_whole) {
            clauses.push(Clause::new(
                Reason::Alias,
                f.alias,
                constant(term_query(t), 10.0),
            ));
        }
        // Names: each word whole, as a prefix, and within a typo or two; constant scores, so
        // that a name's length does not count against it.
        for (field, reason, weight) in
            [(f.label, Reason::Label, 1.0), (f.alias, Reason::Alias, 0.8)]
        {
            for word in words {
                clauses.push(Clause::new(
                    reason,
                    field,
                    constant(term(field, word), 3.0 * weight),
                ));
            }
            for word in words {
                clauses.push(Clause::new(
                    reason.prefix(),
                    field,
                    constant(prefix(field, word, 0), 2.0 * weight),
                ));
            }
            for word in words {
                let distance = typo_distance(word);
                if distance > 0 {
                    clauses.push(Clause::new(
                        reason.fuzzy(),
                        field,
                        constant(fuzzy(field, word, distance), 1.5 * weight),
                    ));
                    clauses.push(Clause::new(
                        reason.fuzzy(),
                        field,
                        constant(prefix(field, word, 1), 0.8 * weight),
                    ));
                }
            }
        }
        // Text holding every word of a query of several: a text that answers the whole
        // question outranks one that shares a single common word with it ("private placement").
        if words.len() > 1 {
            for (field, reason, score) in [
                (f.fact_label, Reason::FactLabel, 2.0),
                (f.description, Reason::Description, 2.0),
                (f.quote, Reason::Quote, 4.0),
                (f.mentions, Reason::Mentions, 1.5),
            ] {
                let all: Vec<(Occur, Box<dyn Query>)> = words
                    .iter()
                    .map(|word| (Occur::Must, term(field, word)))
                    .collect();
                clauses.push(Clause::new(
                    reason,
                    field,
                    constant(Box::new(BooleanQuery::new(all)), score),
                ));
            }
        }
        // Text: BM25, so that rarer words and shorter texts weigh more.
        for (field, reason, weight) in [
            (f.fact_label, Reason::FactLabel, 0.6),
            (f.description, Reason::Description, 0.5),
            (f.quote, Reason::Quote, 1.0),
            (f.mentions, Reason::Mentions, 0.35),
        ] {
            for word in words {
                clauses.push(Clause::new(reason, field, bm25(field, word, weight)));
            }
        }
        for (field, reason) in [
            (f.fact_label, Reason::FactLabel),
            (f.description, Reason::Description),
        ] {
            if let Some(word) = words.last() {
                clauses.push(Clause::new(
                    reason.prefix(),
                    field,
                    constant(prefix(field, word, 0), 0.3),
                ));
            }
        }
        clauses
    }

    /// The first clause (in order of [`Self::clauses`]) the hit matches, as `field: text`.
    fn explain_hit(
        &self,
        statistics: &EntityStatistics<'_>,
        address: DocAddress,
        doc: &TantivyDocument,
        clauses: &[Clause],
        weights: &mut [Option<Box<dyn tantivy::query::Weight>>],
        words: &[String],
    ) -> Result<String, StoreError> {
        let segment = statistics.searcher.segment_reader(address.segment_ord);
        for (clause, weight) in clauses.iter().zip(weights.iter_mut()) {
            if weight.is_none() {
                *weight = Some(
                    clause
                        .query
                        .weight(EnableScoring::enabled_from_statistics_provider(
                            statistics,
                            statistics.searcher,
                        ))
                        .map_err(index_error)?,
                );
            }
            let weight = weight.as_ref().expect("just set");
            // A new scorer stands on its first document; `seek` may only move forward.
            let mut scorer = weight.scorer(segment, 1.0).map_err(index_error)?;
            let target = address.doc_id;
            if scorer.doc() == target || (scorer.doc() < target && scorer.seek(target) == target) {
                let values: Vec<&str> = doc
                    .get_all(clause.field)
                    .filter_map(|v| v.as_str())
                    .collect();
                let text = self.best_value(&values, words);
                return Ok(format!("{}: {text}", clause.reason.name()));
            }
        }
        Ok(String::new())
    }

    /// The value that holds most of the query's words (or prefixes of them), cut to an excerpt
    /// around the first one when it is long.
    fn best_value(&self, values: &[&str], words: &[String]) -> String {
        let mut analyzer = self
            .index
            .tokenizers()
            .get(WORDS)
            .expect("the word analyzer is registered at open");
        let mut best: Option<(usize, &str, usize)> = None;
        for value in values {
            let mut stream = analyzer.token_stream(value);
            let mut found = BTreeSet::new();
            let mut first = None;
            while let Some(token) = stream.next() {
                if let Some(i) = words
                    .iter()
                    .position(|w| token.text.starts_with(w.as_str()))
                {
                    found.insert(i);
                    first.get_or_insert(token.offset_from);
                }
            }
            // Most of the words first; of values holding as many, the shortest, the closest to
            // the query ("AWS" rather than "Amazon AWS" for `aws`).
            if best.is_none_or(|(n, b, _)| {
                found.len() > n || (found.len() == n && value.len() < b.len())
            }) {
                best = Some((found.len(), value, first.unwrap_or(0)));
            }
        }
        let Some((_, value, at)) = best else {
            return String::new();
        };
        excerpt(value, at, 120)
    }
}

/// BM25's statistics over the entities' documents only. The facts' documents hold no text, and
/// counted among the documents they would move every score, and the ranking, with the number of
/// facts. As in tantivy's own count, documents deleted but not yet merged away are counted.
struct EntityStatistics<'a> {
    searcher: &'a tantivy::Searcher,
    facts: u64,
}

impl tantivy::query::Bm25StatisticsProvider for EntityStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        tantivy::query::Bm25StatisticsProvider::total_num_tokens(self.searcher, field)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        let all = tantivy::query::Bm25StatisticsProvider::total_num_docs(self.searcher)?;
        Ok(all.saturating_sub(self.facts).max(1))
    }

    fn doc_freq(&self, term: &IndexTerm) -> tantivy::Result<u64> {
        self.searcher.doc_freq(term)
    }
}

/// The facts' documents of a commit.
fn count_fact_docs(searcher: &tantivy::Searcher) -> Result<u64, StoreError> {
    let query = tantivy::query::ExistsQuery::new("fact".to_owned(), false);
    Ok(searcher.search(&query, &Count).map_err(index_error)? as u64)
}

const MARKER: &str = "WRITING";
const VERSION_FILE: &str = "VERSION";

/// Opens an on-disk index, or creates a new one (with the reason it must be built) when there
/// is none, a write did not finish, it was built by another version, or it cannot be read.
fn open_dir(dir: &Path, schema: Schema) -> Result<(Index, Option<String>), StoreError> {
    let io = |what: &str, e: std::io::Error| index_error(format!("{what} {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(|e| io("cannot create", e))?;
    let index_dir = dir.join("index");
    let version = std::fs::read_to_string(dir.join(VERSION_FILE)).ok();
    let reason = if dir.join(MARKER).exists() {
        Some("a write did not finish: the store may be ahead of the index".to_owned())
    } else if !index_dir.join("meta.json").exists() {
        Some("there is no index yet".to_owned())
    } else if version.as_deref().map(str::trim) != Some(SCHEMA_VERSION) {
        Some(format!(
            "it was built by another version ({})",
            version.as_deref().map_or("unknown", str::trim)
        ))
    } else {
        match Index::open_in_dir(&index_dir) {
            Ok(index) if index.schema() == schema => return Ok((index, None)),
            Ok(_) => Some("its fields differ from this version's".to_owned()),
            Err(e) => Some(format!("it cannot be read ({e})")),
        }
    };
    if index_dir.exists() {
        std::fs::remove_dir_all(&index_dir).map_err(|e| io("cannot clear", e))?;
    }
    std::fs::create_dir_all(&index_dir).map_err(|e| io("cannot create", e))?;
    let index = Index::create_in_dir(&index_dir, schema).map_err(index_error)?;
    write_synced(
        &dir.join(VERSION_FILE),
        format!("{SCHEMA_VERSION}\n").as_bytes(),
    )
    .map_err(|e| io("cannot write the version of", e))?;
    Ok((index, reason))
}

fn write_synced(path: &Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(content)?;
    file.sync_all()
}

fn term_query(term: IndexTerm) -> Box<dyn Query> {
    Box::new(TermQuery::new(term, IndexRecordOption::Basic))
}

/// The term a `type=` value filters on: a full IRI, `dg:Name` for the ontology's classes, or a
/// local name, compared without case.
fn type_term(f: &Fields, given: &str) -> IndexTerm {
    let given = given.trim();
    if given.contains("://") {
        IndexTerm::from_field_text(f.type_iri, given)
    } else if let Some(name) = given.strip_prefix("dg:") {
        IndexTerm::from_field_text(f.type_iri, &format!("{NAMESPACE}ontology#{name}"))
    } else {
        IndexTerm::from_field_text(f.type_name, &given.to_lowercase())
    }
}

/// Edits a word may be away from a name and still match it: none for short words, where one
/// edit is a different word.
fn typo_distance(word: &str) -> u8 {
    match word.chars().count() {
        0..=3 => 0,
        4..=9 => 1,
        _ => 2,
    }
}

/// How connectivity multiplies relevance: 1 for an isolated entity, about 2 at 50 links.
fn connectivity_factor(links: u64) -> f32 {
    1.0 + 0.25 * (1.0 + links as f32).ln()
}

fn local_name(iri: &str) -> &str {
    iri.rsplit(['#', '/']).next().unwrap_or(iri)
}

fn first_text(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .map(str::to_owned)
}

/// At most `max` characters of `text` around byte offset `at`, with ellipses where it was cut.
fn excerpt(text: &str, at: usize, max: usize) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    if chars.len() <= max {
        return text.to_owned();
    }
    let center = chars.iter().position(|(i, _)| *i >= at).unwrap_or(0);
    let start = center.saturating_sub(max / 3).min(chars.len() - max);
    let end = start + max;
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(chars[start..end].iter().map(|(_, c)| c));
    if end < chars.len() {
        out.push('…');
    }
    out
}

/// Why a hit matched, by the field a clause searched.
#[derive(Debug, Clone, Copy)]
enum Reason {
    Label,
    LabelPrefix,
    LabelFuzzy,
    Alias,
    AliasPrefix,
    AliasFuzzy,
    FactLabel,
    FactLabelPrefix,
    Description,
    DescriptionPrefix,
    Quote,
    Mentions,
}

impl Reason {
    fn prefix(self) -> Self {
        match self {
            Self::Label => Self::LabelPrefix,
            Self::Alias => Self::AliasPrefix,
            Self::FactLabel => Self::FactLabelPrefix,
            Self::Description => Self::DescriptionPrefix,
            other => other,
        }
    }

    fn fuzzy(self) -> Self {
        match self {
            Self::Label => Self::LabelFuzzy,
            Self::Alias => Self::AliasFuzzy,
            other => other,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Label | Self::FactLabel => "label",
            Self::LabelPrefix | Self::FactLabelPrefix => "label prefix",
            Self::LabelFuzzy => "label, with a typo",
            Self::Alias => "alias",
            Self::AliasPrefix => "alias prefix",
            Self::AliasFuzzy => "alias, with a typo",
            Self::Description => "description",
            Self::DescriptionPrefix => "description prefix",
            Self::Quote => "quote",
            Self::Mentions => "quote of a fact about it",
        }
    }
}

struct Clause {
    reason: Reason,
    /// The stored field whose text explains the match.
    field: Field,
    query: Box<dyn Query>,
}

impl Clause {
    fn new(reason: Reason, field: Field, query: Box<dyn Query>) -> Self {
        Self {
            reason,
            field,
            query,
        }
    }
}

/// Runs one of the index's SELECTs on the store, over the union of all graphs.
fn select(
    store: &dyn Backend,
    query: String,
    mut row: impl FnMut(&oxigraph::sparql::QuerySolution),
) -> Result<(), StoreError> {
    let results = store.query(&QueryRequest {
        query,
        dataset: Dataset::default(),
        cancel: CancellationToken::new(),
    })?;
    let QueryResults::Solutions(solutions) = results else {
        return Err(StoreError::Storage(
            "a search-index query is not a SELECT".into(),
        ));
    };
    for solution in solutions {
        row(&solution?);
    }
    Ok(())
}

/// The values of `variables` in every row of a SELECT.
fn rows(
    store: &dyn Backend,
    query: String,
    variables: &[&str],
) -> Result<Vec<Vec<Option<Term>>>, StoreError> {
    let mut rows = Vec::new();
    select(store, query, |row| {
        rows.push(variables.iter().map(|v| row.get(*v).cloned()).collect());
    })?;
    Ok(rows)
}

fn text_of(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::Literal(l)) => Some(l.value().to_owned()),
        _ => None,
    }
}

fn iri_of(term: Option<&Term>) -> Option<String> {
    match term {
        Some(Term::NamedNode(n)) => Some(n.as_str().to_owned()),
        _ => None,
    }
}

/// Reads the documents of `only` (or of every entity) from the store: the labelled IRIs of the
/// entity namespace among them, with everything their documents hold.
fn read_entities(
    store: &dyn Backend,
    only: Option<&[NamedNode]>,
) -> Result<BTreeMap<String, Entity>, StoreError> {
    let namespace = entity_namespace();
    let scope = match only {
        Some(iris) => format!(
            "VALUES ?e {{ {} }}",
            iris.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        None => format!("FILTER(isIRI(?e) && STRSTARTS(STR(?e), \"{namespace}\"))"),
    };
    let derived = crate::infer::derived_graph();
    let labels = format!(
        "{PREFIXES} SELECT DISTINCT ?e ?o WHERE {{ {scope} ?e rdfs:label ?o \
         FILTER(isIRI(?e) && STRSTARTS(STR(?e), \"{namespace}\")) }}"
    );
    let properties = format!(
        "{PREFIXES} SELECT DISTINCT ?e ?p ?o WHERE {{ {scope} \
         VALUES ?p {{ skos:altLabel rdfs:comment schema:description rdf:type dg:quote }} \
         ?e ?p ?o }}"
    );
    // The quotes of the fact nodes that mention each entity (provenance is not a mention).
    let mentions = format!(
        "{PREFIXES} SELECT DISTINCT ?e ?q WHERE {{ {scope} ?f dg:quote ?q . ?f ?p ?e \
         FILTER(isIRI(?e) && ?p != rdf:type && ?p != prov:wasDerivedFrom && ?f != ?e) }}"
    );
    // Connectivity: the distinct IRIs linked to it either way by what sources assert (the
    // derived graph left out, so that it stays a local figure), types and provenance aside.
    let connectivity = format!(
        "{PREFIXES} SELECT ?e (COUNT(DISTINCT ?x) AS ?n) WHERE {{ {scope} \
         GRAPH ?g {{ {{ ?x ?p ?e }} UNION {{ ?e ?p ?x }} }} \
         FILTER(?g != {derived} && isIRI(?x) && ?x != ?e \
                && ?p != rdf:type && ?p != prov:wasDerivedFrom) }} GROUP BY ?e"
    );
    // The four queries are independent and, on a whole rebuild, each reads much of the store:
    // they run side by side (a million triples: 28 s one after the other).
    let (labels, properties, mentions, connectivity) = std::thread::scope(|scope| {
        let labels = scope.spawn(|| rows(store, labels, &["e", "o"]));
        let properties = scope.spawn(|| rows(store, properties, &["e", "p", "o"]));
        let mentions = scope.spawn(|| rows(store, mentions, &["e", "q"]));
        let connectivity = rows(store, connectivity, &["e", "n"]);
        let joined = |handle: std::thread::ScopedJoinHandle<'_, _>| {
            handle
                .join()
                .unwrap_or_else(|_| Err(index_error("a search-index query panicked")))
        };
        (
            joined(labels),
            joined(properties),
            joined(mentions),
            connectivity,
        )
    });
    let mut entities: BTreeMap<String, Entity> = BTreeMap::new();
    // Labels first: what has none gets no document.
    for row in labels? {
        if let (Some(e), Some(label)) = (iri_of(row[0].as_ref()), text_of(row[1].as_ref())) {
            entities.entry(e).or_default().labels.push(label);
        }
    }
    for row in properties? {
        let (Some(e), Some(p)) = (iri_of(row[0].as_ref()), iri_of(row[1].as_ref())) else {
            continue;
        };
        let Some(entity) = entities.get_mut(&e) else {
            continue;
        };
        let o = row[2].as_ref();
        match p.rsplit(['#', '/']).next().unwrap_or_default() {
            _ if p == RDF_TYPE => entity.types.extend(iri_of(o)),
            "altLabel" => entity.aliases.extend(text_of(o)),
            "comment" | "description" => entity.descriptions.extend(text_of(o)),
            "quote" => entity.quotes.extend(text_of(o)),
            _ => {}
        }
    }
    for row in mentions? {
        if let (Some(e), Some(q)) = (iri_of(row[0].as_ref()), text_of(row[1].as_ref()))
            && let Some(entity) = entities.get_mut(&e)
        {
            entity.mentions.insert(q);
        }
    }
    for row in connectivity? {
        if let Some(e) = iri_of(row[0].as_ref())
            && let Some(entity) = entities.get_mut(&e)
        {
            entity.connectivity = text_of(row[1].as_ref())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
    }
    Ok(entities)
}

/// Number of labelled IRIs of the entity namespace in the store: what the index should hold.
fn count_entities(store: &dyn Backend) -> Result<u64, StoreError> {
    let namespace = entity_namespace();
    count(
        store,
        format!(
            "{PREFIXES} SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e rdfs:label ?l \
             FILTER(isIRI(?e) && STRSTARTS(STR(?e), \"{namespace}\")) }}"
        ),
    )
}

/// Number of fact nodes in the store: the facts' documents the index should hold.
fn count_facts(store: &dyn Backend) -> Result<u64, StoreError> {
    count(
        store,
        format!(
            "{PREFIXES} SELECT (COUNT(*) AS ?n) WHERE {{ {} }}",
            crate::views::facts::asserted_facts_pattern("")
        ),
    )
}

/// The `?n` of a SELECT's one row.
fn count(store: &dyn Backend, query: String) -> Result<u64, StoreError> {
    let mut n = 0;
    select(store, query, |row| {
        n = text_of(row.get("n"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    })?;
    Ok(n)
}

/// Whether a predicate belongs to the schema (RDFS, OWL, the ontology's rules): a write of
/// such a triple can change the derived types of any entity.
fn is_schema_predicate(predicate: &str) -> bool {
    (predicate.starts_with(RDFS)
        && !matches!(
            &predicate[RDFS.len()..],
            "label" | "comment" | "seeAlso" | "isDefinedBy"
        ))
        || predicate.starts_with("http://www.w3.org/2002/07/owl#")
        || predicate == format!("{NAMESPACE}ontology#derivationRule")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreLocation;

    #[test]
    fn an_on_disk_store_keeps_its_index_beside_it() {
        for given in ["data/db", "data/db/"] {
            assert_eq!(
                SearchLocation::for_store(&StoreLocation::Disk(PathBuf::from(given))),
                SearchLocation::Dir(PathBuf::from("data/db.search"))
            );
        }
        assert_eq!(
            SearchLocation::for_store(&StoreLocation::Memory),
            SearchLocation::Memory
        );
    }

    #[test]
    fn excerpts_cut_long_texts_around_the_match() {
        assert_eq!(excerpt("short", 0, 10), "short");
        let text = "a".repeat(50) + "needle" + &"b".repeat(50);
        let cut = excerpt(&text, 50, 20);
        assert!(
            cut.starts_with('…') && cut.ends_with('…') && cut.contains("needle"),
            "{cut}"
        );
    }

    #[test]
    fn typos_allowed_grow_with_the_word() {
        assert_eq!(typo_distance("aws"), 0);
        assert_eq!(typo_distance("corewave"), 1);
        assert_eq!(typo_distance("corewaveinc"), 2);
    }
}
