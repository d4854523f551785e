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
use crate::views::figures::{Latest, Observation, observations_query};
use crate::views::rankings::{Deal, Totals, deal_amounts_query, deal_parties_query};
use oxigraph::model::{NamedNode, Term};
use std::collections::{BTreeMap, BTreeSet, HashMap};
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
    /// What the card's figures need of it, when it observes something.
    observation: Option<Observation>,
    /// What the rankings need of it, when it has an amount.
    deal: Option<Deal>,
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
    let observed = format!("{PREFIXES} {}", observations_query(&scope));
    let parties = format!("{PREFIXES} {}", deal_parties_query(&scope));
    let amounts = format!("{PREFIXES} {}", deal_amounts_query(&scope));
    let (placed, names, observed, parties, amounts) = std::thread::scope(|threads| {
        let joined = |handle: std::thread::ScopedJoinHandle<'_, _>| {
            handle
                .join()
                .unwrap_or_else(|_| Err(index_error("a facts-index query panicked")))
        };
        let names = threads.spawn(|| rows(store, names, &["fact", "e"]));
        let parties = threads.spawn(|| rows(store, parties, &["fact", "role", "x"]));
        let placed = rows(store, placed, &["fact", "when"]);
        let observed = rows(store, observed, &["fact", "p", "v"]);
        let amounts = rows(store, amounts, &["fact", "a", "v", "c"]);
        (placed, joined(names), observed, joined(parties), amounts)
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
    let mut triples: BTreeMap<String, Vec<(String, Term)>> = BTreeMap::new();
    for mut row in observed? {
        if let (Some(fact), Some(p), Some(v)) = (
            iri_of(row[0].as_ref()),
            iri_of(row[1].as_ref()),
            row[2].take(),
        ) {
            triples.entry(fact).or_default().push((p, v));
        }
    }
    for (fact, triples) in triples {
        if let Some(placement) = facts.get_mut(&fact) {
            placement.observation = Some(Observation::read(
                triples.iter().map(|(p, v)| (p.as_str(), v)),
            ));
        }
    }
    for row in amounts? {
        // The currency as the ranking's query matches it: a plain string.
        if let (Some(fact), Some(a), Some(v), Some(Term::Literal(c))) = (
            iri_of(row[0].as_ref()),
            row[1].as_ref(),
            row[2].as_ref(),
            row[3].as_ref(),
        ) && c.datatype() == oxigraph::model::vocab::xsd::STRING
            && let Some(placement) = facts.get_mut(&fact)
        {
            let deal = placement.deal.get_or_insert_with(Deal::default);
            deal.amount(c.value(), v, &a.to_string());
        }
    }
    for row in parties? {
        if let (Some(fact), Some(role), Some(x)) = (
            iri_of(row[0].as_ref()),
            iri_of(row[1].as_ref()),
            iri_of(row[2].as_ref()),
        ) && let Some(placement) = facts.get_mut(&fact)
            && let Some(deal) = placement.deal.as_mut()
        {
            deal.party(role.rsplit('#').next().unwrap_or(&role), &x);
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
    if let Some(observation) = &placement.observation {
        for observed in &observation.observes {
            doc.add_text(fields.observes, observed);
        }
        for class in &observation.types {
            doc.add_text(fields.figure_types, class);
        }
        doc.add_text(fields.qualifiers, &observation.qualifiers);
        doc.add_text(fields.figure_when, &observation.when);
        doc.add_text(fields.figure_known, &observation.known);
    }
    if let Some(deal) = &placement.deal {
        for role in deal.roles() {
            doc.add_text(fields.deal_roles, role);
        }
        for party in &deal.parties {
            doc.add_text(fields.deal_parties, party);
        }
        for amount in &deal.amounts {
            doc.add_text(fields.deal_amounts, amount);
        }
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
        let column = |name: &str| str_column(reader, name);
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
        let dates = decode_all(&self.placed, self.found.iter().map(|f| f.0));
        let facts = decode_all(&self.fact, self.found.iter().map(|f| f.1));
        let facts = self
            .found
            .iter()
            .map(|(placed, fact)| (dates[placed].clone(), facts[fact].clone()))
            .collect();
        (facts, total)
    }
}

/// Chooses the latest observation of each kind among the documents found, as
/// `views::figures` does from the store, from fast fields alone. Decoding a value from a
/// column's dictionary costs some 20 µs, and a hub is observed by thousands of facts: within
/// a segment the dates are compared by their ordinals (each column's dictionary is sorted),
/// classes and qualifiers are decoded once each, and only the facts kept are decoded.
pub(super) struct LatestFigures<'a> {
    pub(super) classes: &'a BTreeSet<String>,
    pub(super) as_of: Option<&'a str>,
}

impl Collector for LatestFigures<'_> {
    type Fruit = Vec<String>;
    type Child = SegmentFigures;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFigures> {
        let column = |name: &str| str_column(reader, name);
        Ok(SegmentFigures {
            types: column("figure_types")?,
            qualifiers: column("qualifiers")?,
            when: column("figure_when")?,
            known: column("figure_known")?,
            fact: column("fact")?,
            classes: self.classes.clone(),
            as_of: self.as_of.map(str::to_owned),
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Vec<Kept>>) -> tantivy::Result<Vec<String>> {
        let mut latest = Latest::new(self.classes, self.as_of);
        for kept in segments.into_iter().flatten() {
            latest.keep(&kept.class, &kept.qualifiers, &kept.when, kept.fact);
        }
        Ok(latest.into_facts())
    }
}

pub(super) struct SegmentFigures {
    types: StrColumn,
    qualifiers: StrColumn,
    when: StrColumn,
    known: StrColumn,
    fact: StrColumn,
    classes: BTreeSet<String>,
    as_of: Option<String>,
    found: Vec<DocId>,
}

/// A fact a segment keeps: the latest of its kind there, known by the date asked.
pub(super) struct Kept {
    class: String,
    qualifiers: String,
    when: String,
    fact: String,
}

/// A segment's text fast field.
fn str_column(reader: &SegmentReader, name: &str) -> tantivy::Result<StrColumn> {
    reader
        .fast_fields()
        .str(name)?
        .ok_or_else(|| tantivy::TantivyError::SchemaError(format!("{name} is not a fast field")))
}

fn decode(column: &StrColumn, ord: u64) -> String {
    let mut text = String::new();
    // A dictionary always holds its own ordinals; an unreadable one reads as "".
    let _ = column.ord_to_str(ord, &mut text);
    text
}

/// Decodes many ordinals of a column in one pass over its dictionary, in order: each block
/// of the dictionary is opened once, where [`decode`] opens one per value.
fn decode_all(column: &StrColumn, ords: impl Iterator<Item = u64>) -> HashMap<u64, String> {
    let mut ords: Vec<u64> = ords.collect();
    ords.sort_unstable();
    ords.dedup();
    let mut texts = Vec::with_capacity(ords.len());
    // As for one value: an ordinal its dictionary cannot read reads as "".
    let _ = column
        .dictionary()
        .sorted_ords_to_term_cb(ords.iter().copied(), |bytes| {
            texts.push(String::from_utf8_lossy(bytes).into_owned());
            Ok(())
        });
    texts.resize(ords.len(), String::new());
    ords.into_iter().zip(texts).collect()
}

impl SegmentCollector for SegmentFigures {
    type Fruit = Vec<Kept>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.found.push(doc);
    }

    fn harvest(self) -> Vec<Kept> {
        let mut names: HashMap<u64, String> = HashMap::new();
        let mut known_by: HashMap<u64, bool> = HashMap::new();
        // Per kind (class, qualifiers' ordinal): the latest date's ordinal and its facts'.
        let mut kinds: BTreeMap<(String, u64), (u64, Vec<u64>)> = BTreeMap::new();
        let first = |column: &StrColumn, doc: DocId| column.term_ords(doc).next();
        for &doc in &self.found {
            let types: Vec<u64> = self.types.term_ords(doc).collect();
            for &ord in &types {
                names.entry(ord).or_insert_with(|| decode(&self.types, ord));
            }
            let class = types
                .iter()
                .filter_map(|ord| names.get(ord))
                .filter(|class| self.classes.contains(*class))
                .min()
                .cloned();
            let (Some(class), Some(qualifiers), Some(when), Some(known), Some(fact)) = (
                class,
                first(&self.qualifiers, doc),
                first(&self.when, doc),
                first(&self.known, doc),
                first(&self.fact, doc),
            ) else {
                continue;
            };
            if let Some(as_of) = &self.as_of {
                let known = *known_by
                    .entry(known)
                    .or_insert_with(|| decode(&self.known, known).as_str() <= as_of.as_str());
                if !known {
                    continue;
                }
            }
            let entry = kinds
                .entry((class, qualifiers))
                .or_insert_with(|| (when, Vec::new()));
            if when > entry.0 {
                *entry = (when, Vec::new());
            }
            if when == entry.0 {
                entry.1.push(fact);
            }
        }
        let iris = decode_all(
            &self.fact,
            kinds.values().flat_map(|(_, facts)| facts.iter().copied()),
        );
        let (qualifiers_column, when_column) = (&self.qualifiers, &self.when);
        kinds
            .into_iter()
            .flat_map(|((class, qualifiers), (when, facts))| {
                let iris = &iris;
                let (qualifiers, when) = (
                    decode(qualifiers_column, qualifiers),
                    decode(when_column, when),
                );
                facts.into_iter().map(move |fact| Kept {
                    class: class.clone(),
                    qualifiers: qualifiers.clone(),
                    when: when.clone(),
                    fact: iris[&fact].clone(),
                })
            })
            // An undated observation is no figure (`""` sorts first, so it won only alone).
            .filter(|kept| !kept.when.is_empty())
            .collect()
    }
}

/// Sums the deals found, as `views::rankings` does from the store: each deal's amounts in the
/// currency go to each of its organisations in the role. The values are decoded in one pass
/// over each column's dictionary per segment.
pub(super) struct RankedTotals<'a> {
    pub(super) role: &'a str,
    pub(super) currency: &'a str,
}

impl Collector for RankedTotals<'_> {
    type Fruit = Totals;
    type Child = SegmentTotals;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentTotals> {
        Ok(SegmentTotals {
            parties: str_column(reader, "deal_parties")?,
            amounts: str_column(reader, "deal_amounts")?,
            role: format!("{}\u{1f}", self.role),
            currency: format!("{}\u{1f}", self.currency),
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, segments: Vec<Totals>) -> tantivy::Result<Totals> {
        let mut all = Totals::default();
        for totals in segments {
            all.merge(totals);
        }
        Ok(all)
    }
}

pub(super) struct SegmentTotals {
    parties: StrColumn,
    amounts: StrColumn,
    /// `role U+001F`, the prefix of the parties wanted.
    role: String,
    /// `currency U+001F`, the prefix of the amounts wanted.
    currency: String,
    /// Each deal found, with its parties' and its amounts' ordinals.
    found: Vec<(Vec<u64>, Vec<u64>)>,
}

impl SegmentCollector for SegmentTotals {
    type Fruit = Totals;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.found.push((
            self.parties.term_ords(doc).collect(),
            self.amounts.term_ords(doc).collect(),
        ));
    }

    fn harvest(self) -> Totals {
        let parties = decode_all(
            &self.parties,
            self.found.iter().flat_map(|(p, _)| p.iter().copied()),
        );
        let amounts = decode_all(
            &self.amounts,
            self.found.iter().flat_map(|(_, a)| a.iter().copied()),
        );
        let mut totals = Totals::default();
        for (party_ords, amount_ords) in &self.found {
            let organisations = party_ords
                .iter()
                .filter_map(|ord| parties[ord].strip_prefix(self.role.as_str()));
            let in_currency: Vec<(&str, &str)> = amount_ords
                .iter()
                .filter_map(|ord| amounts[ord].strip_prefix(self.currency.as_str()))
                .filter_map(|rest| rest.split_once('\u{1f}'))
                .collect();
            totals.deal(organisations, &in_currency);
        }
        totals
    }
}
