//! The facts in the index: one document per fact node (an IRI with a `dg:certainty` a source
//! asserts) holding the IRIs it names and the date it is placed at, so that the newest facts
//! naming an entity, and how many there are, come from one term's postings instead of dating
//! and sorting every fact of the entity in the store. For a hub of a million-triple graph
//! (12,000 facts) the store takes over a second for that; the index a few milliseconds.
//!
//! What a fact names and when it is placed are read with the same SPARQL as the entity card's
//! own query (`views::facts`), so the two cannot disagree on what counts; `tests/views.rs`
//! compares their answers for every entity of the seeded graph.

use super::{Fields, PREFIXES, index_error, iri_of, rows, text_of};
use crate::store::{Backend, StoreError};
use crate::views::facts::{asserted_facts_pattern, fact_names_query, placed_facts_query};
use oxigraph::model::NamedNode;
use std::collections::{BTreeMap, BTreeSet};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};

/// What a fact's document holds.
#[derive(Debug, Default)]
pub(super) struct Placement {
    /// The IRIs the fact names, in any role or otherwise.
    names: BTreeSet<String>,
    /// The date it is placed at, `""` when it has none.
    placed: String,
}

/// Reads the documents of the facts among `only` (or of every fact) from the store.
pub(super) fn read_placements(
    store: &dyn Backend,
    only: Option<&[NamedNode]>,
) -> Result<BTreeMap<String, Placement>, StoreError> {
    let scope = only.map_or_else(String::new, |iris| {
        format!(
            "VALUES ?fact {{ {} }}",
            iris.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        )
    });
    let placed = format!(
        "{PREFIXES} {}",
        placed_facts_query(&asserted_facts_pattern(&scope))
    );
    let names = format!("{PREFIXES} {}", fact_names_query(&scope));
    let (placed, names) = std::thread::scope(|threads| {
        let names = threads.spawn(|| rows(store, names, &["fact", "e"]));
        let placed = rows(store, placed, &["fact", "when"]);
        let names = names
            .join()
            .unwrap_or_else(|_| Err(index_error("a facts-index query panicked")));
        (placed, names)
    });
    let mut facts: BTreeMap<String, Placement> = BTreeMap::new();
    for row in placed? {
        if let Some(fact) = iri_of(row[0].as_ref()) {
            facts.entry(fact).or_default().placed = text_of(row[1].as_ref()).unwrap_or_default();
        }
    }
    for row in names? {
        if let (Some(fact), Some(e)) = (iri_of(row[0].as_ref()), iri_of(row[1].as_ref()))
            && let Some(placement) = facts.get_mut(&fact)
        {
            placement.names.insert(e);
        }
    }
    Ok(facts)
}

pub(super) fn document(fields: &Fields, fact: &str, placement: &Placement) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.fact, fact);
    doc.add_text(fields.placed, &placement.placed);
    for name in &placement.names {
        doc.add_text(fields.names, name);
    }
    doc
}

/// Collects the newest `limit` facts among the documents found (by the date each is placed
/// at, newest first, then by IRI: the card's order) and counts them all.
pub(super) struct NewestFacts {
    pub(super) limit: usize,
}

/// The facts kept and how many were found.
type Newest = (Vec<(String, String)>, usize);

impl Collector for NewestFacts {
    type Fruit = Newest;
    type Child = SegmentNewest;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentNewest> {
        let column = |name: &str| -> tantivy::Result<StrColumn> {
            reader.fast_fields().str(name)?.ok_or_else(|| {
                tantivy::TantivyError::SchemaError(format!("{name} is not a fast field"))
            })
        };
        Ok(SegmentNewest {
            placed: column("placed")?,
            fact: column("fact")?,
            found: Vec::new(),
            limit: self.limit,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Newest>) -> tantivy::Result<Newest> {
        let mut total = 0;
        let mut all = Vec::new();
        for (facts, found) in segments {
            total += found;
            all.extend(facts);
        }
        all.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok((all, total))
    }
}

pub(super) struct SegmentNewest {
    placed: StrColumn,
    fact: StrColumn,
    /// The found documents' ordinals in the two columns' dictionaries, which are sorted, so
    /// that ordinals compare as the strings do within a segment.
    found: Vec<(u64, u64)>,
    limit: usize,
}

impl SegmentCollector for SegmentNewest {
    type Fruit = Newest;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let (Some(placed), Some(fact)) = (
            self.placed.term_ords(doc).next(),
            self.fact.term_ords(doc).next(),
        ) else {
            return;
        };
        self.found.push((placed, fact));
    }

    fn harvest(mut self) -> Newest {
        let total = self.found.len();
        // Only this segment's newest `limit` can be among the newest of all: the rest are
        // never decoded.
        self.found
            .sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        self.found.truncate(self.limit);
        let decode = |column: &StrColumn, ord: u64| {
            let mut text = String::new();
            // A dictionary always holds its own ordinals; an unreadable one reads as "".
            let _ = column.ord_to_str(ord, &mut text);
            text
        };
        let facts = self
            .found
            .iter()
            .map(|&(placed, fact)| (decode(&self.placed, placed), decode(&self.fact, fact)))
            .collect();
        (facts, total)
    }
}
