//! The entity card's figures: of the observations about an entity (a valuation, a revenue, a
//! headcount, a data centre's snapshot), the latest of each kind, at a date or now. A kind is
//! the observation's class with the source's kind of figure, what it counts, its period and
//! what it applies to: revenue of OpenAI's API is not revenue of OpenAI.
//!
//! Two readers share what an observation is ([`Observation`]) and how the latest are chosen
//! ([`Latest`]): the facts index (`search::facts`), which keeps these fields of every fact so
//! that a hub's card does not read its observations whole (1,886 of them, 215 ms, for the hub
//! of a million-triple graph), and [`figures`]'s own read of the store, over a backend without
//! the index. The classes that are figures are read from the ontology at each card, not kept
//! in the index, so that a new subclass of `dg:Observation` counts at once.

use super::facts::{Fact, Roles, read_facts};
use super::{CERTAINTY, DG, RDF_TYPE, Reader, ViewError, iri_of, is_derived};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use std::collections::{BTreeMap, BTreeSet};

/// The properties (in `dg:`) linking an observation to what it observes.
pub(crate) const OBSERVES: [&str; 2] = ["subject", "dataCenter"];
/// The properties (in `dg:`) that, with the class, make an observation's kind.
const QUALIFIERS: [&str; 4] = ["figureKind", "countOf", "period", "appliesTo"];
/// The dates (in `dg:`) an observation is placed at, the first present winning.
const PLACED: [&str; 3] = ["asOf", "date", "startDate"];
const REPORT_DATE: &str = "reportDate";

/// What the choice of figures needs to know of one fact, from its asserted triples.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Observation {
    /// What it is about: the objects of its `dg:subject` and `dg:dataCenter`.
    pub observes: BTreeSet<String>,
    /// Its asserted classes; the figure classes among them give its kind.
    pub types: BTreeSet<String>,
    /// The least value of each qualifier, "" for none, joined by U+001F.
    pub qualifiers: String,
    /// The date it is placed at: its as-of date, else its date, else its start ("" for none).
    pub when: String,
    /// When it was known: its report date, else `when`.
    pub known: String,
}

impl Observation {
    /// Every property [`Self::read`] looks at.
    pub(crate) fn properties() -> impl Iterator<Item = String> {
        std::iter::once(RDF_TYPE.to_owned()).chain(
            OBSERVES
                .iter()
                .chain(&QUALIFIERS)
                .chain(&PLACED)
                .chain(std::iter::once(&REPORT_DATE))
                .map(|name| format!("{DG}{name}")),
        )
    }

    /// Reads a fact's asserted (predicate, object) pairs; a property given several values
    /// counts by its least, so that the answer does not depend on the order they are read in.
    pub(crate) fn read<'a>(triples: impl IntoIterator<Item = (&'a str, &'a Term)>) -> Self {
        let mut values: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        let mut observation = Self::default();
        for (predicate, object) in triples {
            if predicate == RDF_TYPE {
                if let Term::NamedNode(class) = object {
                    observation.types.insert(class.as_str().to_owned());
                }
                continue;
            }
            let Some(name) = predicate.strip_prefix(DG) else {
                continue;
            };
            if OBSERVES.contains(&name) {
                if let Term::NamedNode(n) = object {
                    observation.observes.insert(n.as_str().to_owned());
                }
                continue;
            }
            // A fact read whole has its quotes and labels too: only what is looked at is kept.
            if !(QUALIFIERS.contains(&name) || PLACED.contains(&name) || name == REPORT_DATE) {
                continue;
            }
            let value = match object {
                Term::NamedNode(n) => n.as_str().to_owned(),
                Term::Literal(l) => l.value().to_owned(),
                other => other.to_string(),
            };
            values.entry(name).or_default().insert(value);
        }
        let least = |name: &str| values.get(name).and_then(|v| v.first().cloned());
        observation.qualifiers = QUALIFIERS
            .iter()
            .map(|name| least(name).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\u{1f}");
        observation.when = PLACED
            .iter()
            .find_map(|name| least(name))
            .unwrap_or_default();
        observation.known = least(REPORT_DATE).unwrap_or_else(|| observation.when.clone());
        observation
    }
}

/// The latest observations of each kind among those offered, each kind with the facts that
/// share its latest date (several sources may give the same date).
#[derive(Debug)]
pub(crate) struct Latest<'a> {
    classes: &'a BTreeSet<String>,
    as_of: Option<&'a str>,
    kinds: BTreeMap<(String, String), (String, Vec<String>)>,
}

impl<'a> Latest<'a> {
    /// Chooses among observations of `classes` (the figure classes) known by `as_of`.
    pub(crate) fn new(classes: &'a BTreeSet<String>, as_of: Option<&'a str>) -> Self {
        Self {
            classes,
            as_of,
            kinds: BTreeMap::new(),
        }
    }

    /// Offers one fact with its classes, qualifiers and dates: it is kept if it is an
    /// observation, is dated, was known by `as_of`, and is the latest of its kind so far.
    pub(crate) fn offer<'t>(
        &mut self,
        types: impl IntoIterator<Item = &'t str>,
        qualifiers: &str,
        when: &str,
        known: &str,
        fact: String,
    ) {
        // Of several figure classes the least, for the same reason as the least value.
        let Some(class) = types
            .into_iter()
            .filter(|t| self.classes.contains(*t))
            .min()
        else {
            return;
        };
        if when.is_empty() || self.as_of.is_some_and(|d| known > d) {
            return;
        }
        self.keep(class, qualifiers, when, fact);
    }

    /// Keeps a fact known to be an observation of `class`, dated and known by `as_of`, if it
    /// is the latest of its kind so far.
    pub(crate) fn keep(&mut self, class: &str, qualifiers: &str, when: &str, fact: String) {
        let entry = self
            .kinds
            .entry((class.to_owned(), qualifiers.to_owned()))
            .or_insert_with(|| (when.to_owned(), Vec::new()));
        if when > entry.0.as_str() {
            *entry = (when.to_owned(), Vec::new());
        }
        if when == entry.0 && !entry.1.contains(&fact) {
            entry.1.push(fact);
        }
    }

    /// The facts kept, of every kind.
    pub(crate) fn into_facts(self) -> Vec<String> {
        self.kinds
            .into_values()
            .flat_map(|(_, facts)| facts)
            .collect()
    }
}

/// The latest observation of each kind about the entity (or snapshot of a data centre), at
/// `as_of` when given, whole, ordered by class and then newest first.
pub(crate) fn figures(
    reader: &Reader<'_>,
    roles: &Roles,
    iri: &NamedNode,
    as_of: Option<&str>,
) -> Result<Vec<Fact>, ViewError> {
    let classes: BTreeSet<String> = reader
        .select(
            "SELECT DISTINCT ?c WHERE { { ?c rdfs:subClassOf* dg:Observation } UNION { BIND(dg:DataCenterSnapshot AS ?c) } }",
        )?
        .iter()
        .filter_map(|row| iri_of(row.get("c")).map(str::to_owned))
        .collect();
    let mut chosen = match reader.indexed_figures(iri, &classes, as_of)? {
        Some(chosen) => chosen,
        None => read_figures(reader, iri, &classes, as_of)?,
    };
    chosen.sort();
    chosen.dedup();
    let mut facts = read_facts(reader, roles, &chosen)?;
    facts.sort_by(|a, b| {
        (a.class_name(), b.when.as_deref(), a.iri.as_str()).cmp(&(
            b.class_name(),
            a.when.as_deref(),
            b.iri.as_str(),
        ))
    });
    Ok(facts)
}

/// [`figures`]' choice from the store: every fact observing the entity, read whole.
fn read_figures(
    reader: &Reader<'_>,
    iri: &NamedNode,
    classes: &BTreeSet<String>,
    as_of: Option<&str>,
) -> Result<Vec<String>, ViewError> {
    // Read by predicate: a hub is named by thousands of facts, not all of them figures.
    let mut candidates: Vec<String> = Vec::new();
    for about in OBSERVES {
        let predicate = NamedNode::new_unchecked(format!("{DG}{about}"));
        candidates.extend(
            reader
                .naming_with(iri, &predicate)?
                .into_iter()
                .filter(|q| !is_derived(q))
                .filter_map(|q| match q.subject {
                    NamedOrBlankNode::NamedNode(n) => Some(n.into_string()),
                    _ => None,
                }),
        );
    }
    candidates.sort();
    candidates.dedup();
    reader.load(candidates.iter().map(String::as_str))?;
    let mut latest = Latest::new(classes, as_of);
    for fact in candidates {
        let quads = reader.about(&fact)?;
        let asserted = || quads.iter().filter(|q| !is_derived(q));
        // A figure is a fact, as the index counts them: asserted by a source with a certainty.
        if !asserted().any(|q| q.predicate.as_str() == CERTAINTY) {
            continue;
        }
        let observation = Observation::read(asserted().map(|q| (q.predicate.as_str(), &q.object)));
        latest.offer(
            observation.types.iter().map(String::as_str),
            &observation.qualifiers,
            &observation.when,
            &observation.known,
            fact,
        );
    }
    Ok(latest.into_facts())
}

/// A SELECT of `?fact ?p ?v`: the asserted triples [`Observation::read`] looks at, of every
/// fact the pattern [`asserted_facts_pattern`](super::facts::asserted_facts_pattern) binds
/// with `scope` that observes something, for the facts index.
pub(crate) fn observations_query(scope: &str) -> String {
    let derived = super::derived();
    let observes = OBSERVES
        .iter()
        .map(|name| format!("dg:{name}"))
        .collect::<Vec<_>>()
        .join("|");
    let properties: Vec<String> = Observation::properties()
        .map(|p| format!("<{p}>"))
        .collect();
    // The properties as a filter on each fact's own triples, not a VALUES block: Oxigraph then
    // reads every triple of those properties first (at a million triples, 480 ms for the one
    // fact a write touched instead of 16 ms, and no faster for all of them).
    format!(
        "SELECT ?fact ?p ?v WHERE {{
           {{ SELECT DISTINCT ?fact WHERE {{ {}
                GRAPH ?o {{ ?fact {observes} ?about }} FILTER(!sameTerm(?o, {derived}))
           }} }}
           GRAPH ?g {{ ?fact ?p ?v }}
           FILTER(!sameTerm(?g, {derived}) && ?p IN ({}))
         }}",
        super::facts::asserted_facts_pattern(scope),
        properties.join(", "),
    )
}
