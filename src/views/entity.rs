//! `entity/{id}`: one entity as a card: its names and types, its own attributes, the company
//! relations derived from the facts, its latest figures, and every fact naming it in full.

use super::facts::{
    Attribute, Fact, Roles, facts_naming, newest_facts_naming, placed_at, read_facts,
};
use super::{RDF_TYPE, RDFS_LABEL, Reader, Ref, ViewError, iri_of, text_of};
use oxigraph::model::{NamedNode, Quad, Term};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Most facts an entity card carries unless asked for more.
pub const DEFAULT_FACTS: usize = 200;
/// Most facts an entity card carries at all; `facts_total` gives the whole count.
pub const MAX_FACTS: usize = 2_000;

#[derive(Debug, Clone)]
pub struct EntityRequest {
    pub iri: NamedNode,
    /// Show the entity as it was known at this date: facts reported (or dated) after it are
    /// left out, and the figures are the latest at that date.
    pub as_of: Option<String>,
    /// Most facts to return, newest first.
    pub limit: usize,
}

/// Most entities a card lists for one kind of relation: a hub invests in a thousand
/// companies, which no card lists (the network view and SPARQL do); `relation_counts` counts
/// them all.
pub const MAX_LISTED_PER_RELATION: usize = 100;

/// How many entities one kind of relation joins the entity to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RelationCount {
    pub property: Ref,
    pub count: usize,
    /// Whether `relations` lists them: only kinds of at most 100 entities are listed.
    pub listed: bool,
}

/// A relation to another entity, derived from the facts (`dg:investedIn`, `dg:hasCustomer`...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub property: Ref,
    pub entity: Ref,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EntityView {
    pub iri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub label: String,
    pub types: Vec<Ref>,
    /// Other names (`skos:altLabel`): "Coreweave", "AWS".
    pub aliases: Vec<String>,
    pub description: Option<String>,
    /// The entity's own triples other than names and types: headquarters, country, figures of
    /// a data centre or model, links to Wikidata.
    pub attributes: Vec<Attribute>,
    /// Company-to-company relations computed from the facts, of every kind with at most
    /// [`MAX_LISTED_PER_RELATION`] entities.
    pub relations: Vec<Link>,
    /// Every kind of relation and how many entities it joins the entity to.
    pub relation_counts: Vec<RelationCount>,
    /// How many distinct entities the relations join it to, listed or not.
    pub connected: usize,
    /// The latest figure of each kind (valuation, revenue, headcount...) at `as_of` or now.
    pub figures: Vec<Fact>,
    /// Every fact naming the entity, newest first, up to `limit`.
    pub facts: Vec<Fact>,
    pub facts_total: usize,
    /// Whether `facts` stops short of `facts_total`.
    pub truncated: bool,
    pub as_of: Option<String>,
    /// The sources of the facts shown, with how many of them each gives.
    pub sources: Vec<SourceCount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SourceCount {
    pub source: Ref,
    pub facts: usize,
}

const ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";
const DESCRIPTIONS: &[&str] = &[
    "http://schema.org/description",
    "http://www.w3.org/2000/01/rdf-schema#comment",
];

pub fn entity(reader: &Reader<'_>, request: &EntityRequest) -> Result<EntityView, ViewError> {
    let iri = &request.iri;
    reader.require(iri)?;
    let mut view = own_triples(reader, iri)?;
    view.as_of = request.as_of.clone();
    (view.relations, view.relation_counts, view.connected) = relations(reader, iri)?;
    let roles = Roles::read(reader)?;
    // A year or month means its last day: `as_of=2024` is what was known by the end of 2024.
    let as_of = request.as_of.as_deref().map(super::period_end);
    let shown = if let Some(as_of) = &as_of {
        let all: Vec<String> = facts_naming(reader, iri)?
            .into_iter()
            .map(|(fact, _)| fact)
            .collect();
        let mut known = known_by(reader, &all, as_of)?;
        view.facts_total = known.len();
        known.truncate(request.limit);
        known
    } else {
        let (newest, total) = newest_facts_naming(reader, iri, request.limit)?;
        view.facts_total = total;
        newest
    };
    view.truncated = view.facts_total > request.limit;
    view.facts = read_facts(reader, &roles, &shown)?;
    view.figures = super::figures::figures(reader, &roles, iri, as_of.as_deref())?;
    let mut sources: BTreeMap<Ref, usize> = BTreeMap::new();
    for fact in &view.facts {
        if let Some(source) = &fact.source {
            *sources
                .entry(Ref::new(&source.iri, Some(&source.label)))
                .or_default() += 1;
        }
    }
    let mut sources: Vec<SourceCount> = sources
        .into_iter()
        .map(|(source, facts)| SourceCount { source, facts })
        .collect();
    sources.sort_by(|a, b| b.facts.cmp(&a.facts).then(a.source.cmp(&b.source)));
    view.sources = sources;
    Ok(view)
}

/// Names, types and attributes from the entity's own triples in the source graphs.
fn own_triples(reader: &Reader<'_>, iri: &NamedNode) -> Result<EntityView, ViewError> {
    let quads = reader.asserted_about(iri)?;
    let own: Vec<&Quad> = quads.iter().collect();
    reader.load_names(own.iter().flat_map(|q| {
        let object = match &q.object {
            Term::NamedNode(n) => Some(n.as_str()),
            _ => None,
        };
        std::iter::once(q.predicate.as_str()).chain(object)
    }))?;
    let mut view = EntityView {
        iri: iri.as_str().to_owned(),
        id: super::entity_id(iri.as_str()).map(str::to_owned),
        label: super::fallback_label(iri.as_str()),
        types: Vec::new(),
        aliases: Vec::new(),
        description: None,
        attributes: Vec::new(),
        relations: Vec::new(),
        relation_counts: Vec::new(),
        connected: 0,
        figures: Vec::new(),
        facts: Vec::new(),
        facts_total: 0,
        truncated: false,
        as_of: None,
        sources: Vec::new(),
    };
    let mut labels = Vec::new();
    for quad in own {
        let p = quad.predicate.as_str();
        match &quad.object {
            Term::NamedNode(n) if p == RDF_TYPE => view
                .types
                .push(Ref::new(n.as_str(), reader.label(n.as_str())?.as_deref())),
            Term::Literal(l) if p == RDFS_LABEL => labels.push(l.value().to_owned()),
            Term::Literal(l) if p == ALT_LABEL => view.aliases.push(l.value().to_owned()),
            Term::Literal(l) if DESCRIPTIONS.contains(&p) && view.description.is_none() => {
                view.description = Some(l.value().to_owned());
            }
            Term::Literal(l) => view.attributes.push(Attribute {
                property: Ref::new(p, reader.label(p)?.as_deref()),
                value: l.value().to_owned(),
                datatype: Some(l.datatype().as_str().to_owned()),
                entity: None,
            }),
            Term::NamedNode(n) => view.attributes.push(Attribute {
                property: Ref::new(p, reader.label(p)?.as_deref()),
                value: n.as_str().to_owned(),
                datatype: None,
                entity: Some(Ref::new(n.as_str(), reader.label(n.as_str())?.as_deref())),
            }),
            _ => {}
        }
    }
    // Several labels (one per source) are kept as aliases; the shortest reads best as a title.
    labels.sort_by(|a, b| a.len().cmp(&b.len()).then(a.cmp(b)));
    labels.dedup();
    if let Some(first) = labels.first() {
        view.label = first.clone();
        view.aliases.extend(labels.into_iter().skip(1));
    }
    view.types.sort();
    view.types.dedup();
    view.aliases.sort();
    view.aliases.dedup();
    view.attributes.sort_by(|a, b| {
        (a.property.iri.as_str(), a.value.as_str())
            .cmp(&(b.property.iri.as_str(), b.value.as_str()))
    });
    view.attributes.dedup();
    Ok(view)
}

/// The company relations the inference layer derived, outgoing (their inverses are derived
/// too, so "has investor" appears on the investee): the entity's triples whose property has a
/// derivation rule or is the inverse of one that has. Counted by the query engine on its
/// encoded terms, and read and named only for the kinds a card lists: a hub has thousands.
fn relations(
    reader: &Reader<'_>,
    iri: &NamedNode,
) -> Result<(Vec<Link>, Vec<RelationCount>, usize), ViewError> {
    let properties: BTreeSet<String> = reader
        .select(
            "SELECT DISTINCT ?p WHERE {
               { ?p dg:derivationRule ?rule } UNION { ?q dg:derivationRule ?rule . ?q owl:inverseOf ?p }
               UNION { ?q dg:derivationRule ?rule . ?p owl:inverseOf ?q }
             }",
        )?
        .iter()
        .filter_map(|row| iri_of(row.get("p")).map(str::to_owned))
        .collect();
    if properties.is_empty() {
        return Ok((Vec::new(), Vec::new(), 0));
    }
    // sameTerm compares the engine's encoded terms; `isIRI` or `!=` there cost a hub's card
    // ten milliseconds. The relations' properties are object properties: only IRIs are read.
    let related = |properties: &[&str]| {
        format!(
            "{} {iri} ?p ?o FILTER(!sameTerm(?o, {iri}))",
            super::values("p", properties.iter().copied())
        )
    };
    let all: Vec<&str> = properties.iter().map(String::as_str).collect();
    let mut counts: Vec<(String, usize)> = reader
        .select(&format!(
            "SELECT ?p (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {} }} GROUP BY ?p",
            related(&all)
        ))?
        .iter()
        .filter_map(|row| {
            let p = iri_of(row.get("p"))?.to_owned();
            let n = text_of(row.get("n"))?.parse().ok()?;
            Some((p, n))
        })
        .collect();
    counts.sort();
    let listed: Vec<&str> = counts
        .iter()
        .filter(|(_, n)| *n <= MAX_LISTED_PER_RELATION)
        .map(|(p, _)| p.as_str())
        .collect();
    let mut pairs: Vec<(String, String)> = if listed.is_empty() {
        Vec::new()
    } else {
        reader
            .select(&format!(
                "SELECT DISTINCT ?p ?o WHERE {{ {} }}",
                related(&listed)
            ))?
            .iter()
            .filter_map(|row| {
                Some((
                    iri_of(row.get("p"))?.to_owned(),
                    iri_of(row.get("o"))?.to_owned(),
                ))
            })
            .collect()
    };
    pairs.sort_unstable();
    // With every kind listed, the distinct entities are those listed; otherwise counted.
    let connected = if listed.len() == counts.len() {
        pairs.iter().map(|(_, o)| o).collect::<BTreeSet<_>>().len()
    } else {
        reader.count(&format!(
            "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE {{ {} }}",
            related(&all)
        ))?
    };
    reader.load_names(
        pairs
            .iter()
            .flat_map(|(p, o)| [p.as_str(), o.as_str()])
            .chain(counts.iter().map(|(p, _)| p.as_str())),
    )?;
    let links = pairs
        .iter()
        .map(|(p, o)| {
            Ok(Link {
                property: Ref::new(p, reader.label(p)?.as_deref()),
                entity: Ref::new(o, reader.label(o)?.as_deref()),
            })
        })
        .collect::<Result<Vec<_>, ViewError>>()?;
    let counts = counts
        .iter()
        .map(|(p, n)| {
            Ok(RelationCount {
                property: Ref::new(p, reader.label(p)?.as_deref()),
                count: *n,
                listed: *n <= MAX_LISTED_PER_RELATION,
            })
        })
        .collect::<Result<Vec<_>, ViewError>>()?;
    Ok((links, counts, connected))
}

/// The facts, of those given, known by `as_of`: reported (or, without a report date, placed
/// in time) on or before it, or not dated at all.
fn known_by(reader: &Reader<'_>, facts: &[String], as_of: &str) -> Result<Vec<String>, ViewError> {
    reader.load(facts.iter().map(String::as_str))?;
    let mut kept = Vec::new();
    for fact in facts {
        let quads = reader.about(fact)?;
        let reported = quads
            .iter()
            .filter(|q| q.predicate.as_str() == REPORT_DATE)
            .filter_map(|q| match &q.object {
                Term::Literal(l) => Some(l.value().to_owned()),
                _ => None,
            })
            .min();
        let known = reported.or_else(|| placed_at(&quads));
        if known.is_none_or(|d| d.as_str() <= as_of) {
            kept.push(fact.clone());
        }
    }
    Ok(kept)
}

const REPORT_DATE: &str = "https://w3id.org/dealgraph/ontology#reportDate";
