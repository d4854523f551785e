//! Fact nodes as the views show them: who takes part in which role, the amount, the dates, the
//! certainty, the source and its quotes, read in two queries for any set of facts.

use super::{
    CERTAINTY, DG, RDF_TYPE, RDFS_LABEL, Reader, Ref, best_label, iri_of, is_derived,
    names_its_object,
};
use crate::store::StoreError;
use oxigraph::model::{NamedNode, Quad, Term};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};

/// Which side of a relationship a role puts its holder on, for drawing an edge and saying it in
/// words: `from` acts on `to` (the investor invests in the investee).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    From,
    To,
    /// Partners and competitors: no direction.
    Mutual,
    /// Named by the fact without being one end of it (an observation's subject, the rival a
    /// deal is an alternative to).
    Other,
}

/// The role properties (local names in `dg:`) and the side each puts its holder on. A role not
/// listed here (a new sub-property of `dg:party`) is `Other`.
const SIDES: &[(&str, Side)] = &[
    ("investor", Side::From),
    ("customer", Side::From),
    ("holder", Side::From),
    ("acquirer", Side::From),
    ("beneficiary", Side::From),
    ("evaluator", Side::From),
    ("developer", Side::From),
    ("owner", Side::From),
    ("investee", Side::To),
    ("provider", Side::To),
    ("grantor", Side::To),
    ("acquired", Side::To),
    ("obligor", Side::To),
    ("evaluated", Side::To),
    ("dataCenter", Side::To),
    ("gpuCluster", Side::To),
    ("product", Side::To),
    ("model", Side::To),
    ("partner", Side::Mutual),
    ("competitor", Side::Mutual),
];

/// Roles outside `dg:party` that still name a participant of the fact.
const OTHER_PARTICIPANTS: &[&str] = &["alternativeTo", "permittedCounterparty"];

/// Properties linking a fact to another fact.
const RELATED: &[&str] = &["partOf", "refines", "occursDuring", "about"];

/// The verb of an edge, by the roles of its ends and, for a compute agreement, its class.
fn verb(from_role: &str, to_role: &str, class: &str) -> &'static str {
    let place = matches!(to_role, "dataCenter" | "gpuCluster");
    match (from_role, class) {
        ("customer", _) if place => "uses",
        ("customer", "ComputeAgreement") => "buys compute from",
        ("customer", _) => "is a customer of",
        ("investor", _) => "invested in",
        ("holder", _) => "holds equity in",
        ("acquirer", _) => "acquired",
        ("beneficiary", _) => "holds a contract term with",
        ("evaluator", _) => "evaluates models of",
        ("developer", _) => "develops",
        ("owner", _) => "owns",
        ("partner", _) => "partners with",
        ("competitor", _) => "competes with",
        ("provider", _) if place => "builds or supplies",
        ("provider", _) => "supplies",
        _ => "is linked to",
    }
}

/// An organisation, data centre, cluster or model named by a fact, in its role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Participant {
    pub role: Ref,
    pub side: Side,
    pub entity: Ref,
}

/// A sum of money as the source gives it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Amount {
    /// The property holding it (`dg:amount`, `dg:debtAmount`, `dg:capitalCost`...).
    pub property: Option<Ref>,
    /// The number in units of the currency, as written in the graph (`xsd:decimal`).
    pub value: Option<String>,
    pub currency: Option<String>,
    /// The source's words ("approximately $350 million"), when recorded.
    pub label: Option<String>,
    pub approximate: bool,
    pub lower_bound: bool,
    pub cumulative: bool,
}

impl Amount {
    /// The value as a number, for sums and comparisons.
    pub fn number(&self) -> Option<f64> {
        self.value.as_deref()?.parse().ok()
    }
}

/// How sure the source is, with the rank that orders certainties (stated 6 ... speculative 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CertaintyRef {
    pub iri: String,
    pub label: String,
    pub rank: Option<i64>,
}

/// Where a fact comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Source {
    pub iri: String,
    pub label: String,
    /// The dataset or publication it is part of (an Epoch AI dataset).
    pub part_of: Option<Ref>,
    pub publisher: Option<Ref>,
    pub published: Option<String>,
    /// Web pages the source cites or rests on.
    pub links: Vec<String>,
}

/// A link from the fact to another fact: a term `partOf` an agreement, a detail that `refines`
/// another, a deal made during an event, what an assessment is `about`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RelatedFact {
    pub property: Ref,
    pub fact: Ref,
}

/// Any other property: a literal, or an IRI that is neither a participant nor a fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attribute {
    pub property: Ref,
    pub value: String,
    /// The literal's datatype, or none for an IRI value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datatype: Option<String>,
    /// The IRI value with its label, when the value is an IRI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<Ref>,
}

/// One fact node, whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Fact {
    pub iri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub label: String,
    /// Its classes as asserted (the most specific ones), e.g. Compute agreement.
    pub types: Vec<Ref>,
    /// The named graph it is stated in: the article or one of Epoch AI's files.
    pub graph: String,
    pub participants: Vec<Participant>,
    /// `dg:amount`, the figure of the fact.
    pub amount: Option<Amount>,
    /// Other sums: the debt of a round, a run rate, costs.
    pub other_amounts: Vec<Amount>,
    pub quantity: Option<String>,
    pub date: Option<String>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub as_of: Option<String>,
    pub report_date: Option<String>,
    pub duration: Option<String>,
    pub time_expression: Option<String>,
    /// The date the fact is placed at: its date, else its start, else its as-of date.
    pub when: Option<String>,
    pub certainty: Option<CertaintyRef>,
    pub status: Option<Ref>,
    pub hedge: Option<String>,
    pub quotes: Vec<String>,
    pub source: Option<Source>,
    pub related: Vec<RelatedFact>,
    pub attributes: Vec<Attribute>,
}

impl Fact {
    fn new(iri: &str, graph: &str) -> Self {
        Self {
            iri: iri.to_owned(),
            id: super::entity_id(iri).map(str::to_owned),
            label: super::fallback_label(iri),
            types: Vec::new(),
            graph: graph.to_owned(),
            participants: Vec::new(),
            amount: None,
            other_amounts: Vec::new(),
            quantity: None,
            date: None,
            start_date: None,
            end_date: None,
            as_of: None,
            report_date: None,
            duration: None,
            time_expression: None,
            when: None,
            certainty: None,
            status: None,
            hedge: None,
            quotes: Vec::new(),
            source: None,
            related: Vec::new(),
            attributes: Vec::new(),
        }
    }

    /// The local name of its first class (`ComputeAgreement`), for verbs and filters.
    pub fn class_name(&self) -> &str {
        self.types
            .first()
            .and_then(|t| t.iri.strip_prefix(DG))
            .unwrap_or("Fact")
    }

    /// The date by which it was known: when it was reported, else when it is placed.
    pub fn known_from(&self) -> Option<&str> {
        self.report_date.as_deref().or(self.when.as_deref())
    }

    /// The relationships it draws between its participants, as (from, to, verb) indices into
    /// `participants` (see [`links`]).
    pub fn links(&self) -> Vec<(usize, usize, &'static str)> {
        let ends: Vec<(&str, Side, &str)> = self
            .participants
            .iter()
            .map(|p| {
                (
                    p.role.iri.strip_prefix(DG).unwrap_or_default(),
                    p.side,
                    p.entity.iri.as_str(),
                )
            })
            .collect();
        links(&ends, self.class_name())
    }

    /// "Microsoft invested in OpenAI", for one of [`Fact::links`].
    pub fn sentence(&self, from: usize, to: usize, verb: &str) -> String {
        format!(
            "{} {verb} {}",
            self.participants[from].entity.label, self.participants[to].entity.label
        )
    }
}

/// The relationships a fact draws between its participants, given as (role local name, side,
/// entity IRI), as (from, to, verb) indices: every `from` to every `to`; partners and
/// competitors pairwise; with only `to` ends (a builder and its data centre), pairwise in the
/// order mutual, to, from. An entity is never linked to itself.
pub(crate) fn links(ends: &[(&str, Side, &str)], class: &str) -> Vec<(usize, usize, &'static str)> {
    let of =
        |side: Side| -> Vec<usize> { (0..ends.len()).filter(|i| ends[*i].1 == side).collect() };
    let (from, to) = (of(Side::From), of(Side::To));
    let mut out = Vec::new();
    if !from.is_empty() && !to.is_empty() {
        for &f in &from {
            for &t in &to {
                if ends[f].2 != ends[t].2 {
                    out.push((f, t, verb(ends[f].0, ends[t].0, class)));
                }
            }
        }
        return out;
    }
    let pairwise: Vec<usize> = [of(Side::Mutual), to, from].concat();
    for (n, &a) in pairwise.iter().enumerate() {
        for &b in &pairwise[n + 1..] {
            if ends[a].2 != ends[b].2 {
                out.push((a, b, verb(ends[a].0, ends[b].0, class)));
            }
        }
    }
    out
}

/// The role properties of the ontology, read once per request.
pub(crate) struct Roles {
    /// Every participant property's IRI with its side.
    sides: BTreeMap<String, Side>,
}

impl Roles {
    pub(crate) fn read(reader: &Reader<'_>) -> Result<Self, StoreError> {
        let mut sides: BTreeMap<String, Side> = SIDES
            .iter()
            .map(|(name, side)| (format!("{DG}{name}"), *side))
            .collect();
        for name in OTHER_PARTICIPANTS.iter().chain(["party", "subject"].iter()) {
            sides.insert(format!("{DG}{name}"), Side::Other);
        }
        // Sub-properties of dg:party (or of another role) that this code does not know: named
        // as participants on the side of the role they refine, else `Other`. The hierarchy is
        // read whole (the ontology's few dozen triples) and walked here: a property path in
        // the query cost more than the rest of a small entity card.
        let mut supers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in reader.select("SELECT ?p ?super WHERE { ?p rdfs:subPropertyOf ?super }")? {
            if let (Some(p), Some(sup)) = (iri_of(row.get("p")), iri_of(row.get("super"))) {
                supers.entry(p.to_owned()).or_default().push(sup.to_owned());
            }
        }
        let party = format!("{DG}party");
        let reaches_party = |start: &str| {
            let mut seen = std::collections::BTreeSet::new();
            let mut todo = vec![start.to_owned()];
            while let Some(p) = todo.pop() {
                if p == party {
                    return true;
                }
                if seen.insert(p.clone()) {
                    todo.extend(supers.get(&p).into_iter().flatten().cloned());
                }
            }
            false
        };
        for (p, direct) in &supers {
            for sup in direct {
                if !sides.contains_key(p) && reaches_party(sup) {
                    let side = sides.get(sup).copied().unwrap_or(Side::Other);
                    sides.insert(p.clone(), side);
                }
            }
        }
        Ok(Self { sides })
    }

    pub(crate) fn side(&self, property: &str) -> Option<Side> {
        self.sides.get(property).copied()
    }

    /// The participant properties, for a `VALUES` or `IN` list.
    pub(crate) fn properties(&self) -> impl Iterator<Item = &str> {
        self.sides.keys().map(String::as_str)
    }

    /// `FILTER(?var IN (...))` over the participant properties.
    pub(crate) fn filter(&self, var: &str) -> String {
        let list: Vec<String> = self.properties().map(|p| format!("<{p}>")).collect();
        format!("FILTER(?{var} IN ({}))", list.join(", "))
    }
}

/// Reads the facts whole, in the order given; IRIs that are not fact nodes (no certainty) are
/// skipped. The facts, then their objects and predicates (for labels, amounts, certainties and
/// sources), are each read in one lookup.
pub(crate) fn read_facts(
    reader: &Reader<'_>,
    roles: &Roles,
    iris: &[String],
) -> Result<Vec<Fact>, StoreError> {
    reader.load(iris.iter().map(String::as_str))?;
    // Participants, classes, linked facts and properties are only named; certainties, statuses,
    // sources and amounts are read whole for their details.
    let (mut named, mut whole): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    for iri in iris {
        for quad in reader.about(iri)?.iter().filter(|q| !is_derived(q)) {
            let p = quad.predicate.as_str();
            named.push(p.to_owned());
            if let Term::NamedNode(o) = &quad.object {
                let by_name = p == RDF_TYPE
                    || roles.side(p).is_some()
                    || p.strip_prefix(DG)
                        .is_some_and(|name| RELATED.contains(&name));
                if by_name { &mut named } else { &mut whole }.push(o.as_str().to_owned());
            }
        }
    }
    reader.load(whole.iter().map(String::as_str))?;
    reader.load_names(named.iter().map(String::as_str))?;
    let mut out = Vec::with_capacity(iris.len());
    for iri in iris {
        let quads = reader.about(iri)?;
        if !quads
            .iter()
            .any(|q| q.predicate.as_str() == CERTAINTY && !is_derived(q))
        {
            continue;
        }
        let mut fact = read_fact(reader, roles, iri, &quads)?;
        finish(&mut fact);
        out.push(fact);
    }
    Ok(out)
}

/// One fact from its quads; the nodes it points at are already read.
fn read_fact(
    reader: &Reader<'_>,
    roles: &Roles,
    iri: &str,
    quads: &[Quad],
) -> Result<Fact, StoreError> {
    let graph = quads
        .iter()
        .find(|q| !is_derived(q))
        .map(|q| q.graph_name.to_string())
        .unwrap_or_default();
    let graph = graph
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    let mut fact = Fact::new(iri, &graph);
    if let Some(label) = best_label(quads) {
        fact.label = label;
    }
    let mut seen: HashSet<(&str, &Term)> = HashSet::new();
    for quad in quads.iter().filter(|q| !is_derived(q)) {
        let p = quad.predicate.as_str();
        if !seen.insert((p, &quad.object)) {
            continue;
        }
        let property = Ref::new(p, reader.label(p)?.as_deref());
        let local = p.strip_prefix(DG);
        match (&quad.object, local) {
            (Term::NamedNode(n), _) if p == RDF_TYPE => {
                fact.types
                    .push(Ref::new(n.as_str(), reader.label(n.as_str())?.as_deref()));
            }
            (Term::NamedNode(n), _) if roles.side(p).is_some() => {
                fact.participants.push(Participant {
                    side: roles.side(p).unwrap_or(Side::Other),
                    role: property,
                    entity: Ref::new(n.as_str(), reader.label(n.as_str())?.as_deref()),
                });
            }
            (Term::NamedNode(n), Some(name)) if RELATED.contains(&name) => {
                fact.related.push(RelatedFact {
                    property,
                    fact: Ref::new(n.as_str(), reader.label(n.as_str())?.as_deref()),
                });
            }
            (Term::NamedNode(n), _) => node_value(reader, &mut fact, p, property, n)?,
            (Term::Literal(l), Some(name)) => {
                let value = Some(l.value().to_owned());
                match name {
                    "date" => fact.date = value,
                    "startDate" => fact.start_date = value,
                    "endDate" => fact.end_date = value,
                    "asOf" => fact.as_of = value,
                    "reportDate" => fact.report_date = value,
                    "duration" => fact.duration = value,
                    "timeExpression" => fact.time_expression = value,
                    "quantity" => fact.quantity = value,
                    "hedge" => fact.hedge = value,
                    "quote" => fact.quotes.push(l.value().to_owned()),
                    _ => fact.attributes.push(literal(property, l)),
                }
            }
            (Term::Literal(_), None) if p == RDFS_LABEL => {}
            (Term::Literal(l), None) => fact.attributes.push(literal(property, l)),
            _ => {}
        }
    }
    Ok(fact)
}

/// A fact's IRI value that is not a participant nor a fact: its certainty, status, source, an
/// amount, or anything else as an attribute.
fn node_value(
    reader: &Reader<'_>,
    fact: &mut Fact,
    p: &str,
    property: Ref,
    node: &NamedNode,
) -> Result<(), StoreError> {
    let quads = reader.about(node.as_str())?;
    let d = Details::of(&quads);
    let label = best_label(&quads);
    match p.strip_prefix(DG) {
        Some("certainty") => {
            fact.certainty = Some(CertaintyRef {
                iri: node.as_str().to_owned(),
                label: label.unwrap_or_else(|| super::fallback_label(node.as_str())),
                rank: d.first("certaintyRank").and_then(|r| r.parse().ok()),
            })
        }
        Some("status") => fact.status = Some(Ref::new(node.as_str(), label.as_deref())),
        _ if p == PROV_DERIVED => {
            let reference = |name: &str| -> Result<Option<Ref>, StoreError> {
                d.first(name)
                    .map(|iri| Ok(Ref::new(iri, reader.label(iri)?.as_deref())))
                    .transpose()
            };
            fact.source = Some(Source {
                iri: node.as_str().to_owned(),
                label: label.unwrap_or_else(|| super::fallback_label(node.as_str())),
                part_of: reference("isPartOf")?,
                publisher: reference("publisher")?,
                published: d.first("datePublished").map(str::to_owned),
                links: d.all("seeAlso"),
            })
        }
        _ if d.first("value").is_some() || d.first("currency").is_some() => {
            let amount = Amount {
                property: Some(property),
                value: d.first("value").map(str::to_owned),
                currency: d.first("currency").map(str::to_owned),
                label,
                approximate: d.first("isApproximate") == Some("true"),
                lower_bound: d.first("isLowerBound") == Some("true"),
                cumulative: d.first("isCumulative") == Some("true"),
            };
            if p == format!("{DG}amount") && fact.amount.is_none() {
                fact.amount = Some(amount);
            } else {
                fact.other_amounts.push(amount);
            }
        }
        _ => fact.attributes.push(Attribute {
            property,
            value: node.as_str().to_owned(),
            datatype: None,
            entity: Some(Ref::new(node.as_str(), label.as_deref())),
        }),
    }
    Ok(())
}

const PROV_DERIVED: &str = "http://www.w3.org/ns/prov#wasDerivedFrom";

fn literal(property: Ref, l: &oxigraph::model::Literal) -> Attribute {
    Attribute {
        property,
        value: l.value().to_owned(),
        datatype: Some(l.datatype().as_str().to_owned()),
        entity: None,
    }
}

/// Sorts what the query returned in no set order, and places the fact in time.
fn finish(fact: &mut Fact) {
    fact.types.sort();
    fact.types.dedup();
    fact.participants.sort_by(|a, b| {
        (a.role.iri.as_str(), a.entity.iri.as_str())
            .cmp(&(b.role.iri.as_str(), b.entity.iri.as_str()))
    });
    fact.quotes.sort();
    fact.related.sort_by(|a, b| a.fact.iri.cmp(&b.fact.iri));
    fact.attributes.sort_by(|a, b| {
        (a.property.iri.as_str(), a.value.as_str())
            .cmp(&(b.property.iri.as_str(), b.value.as_str()))
    });
    fact.other_amounts.sort_by(|a, b| {
        a.property
            .as_ref()
            .map(|p| &p.iri)
            .cmp(&b.property.as_ref().map(|p| &p.iri))
    });
    fact.when = fact
        .date
        .clone()
        .or_else(|| fact.start_date.clone())
        .or_else(|| fact.as_of.clone());
}

/// The few properties of amounts, certainties and sources that a fact shows, by local name.
#[derive(Default)]
struct Details {
    values: Vec<(String, String)>,
}

impl Details {
    fn of(quads: &[Quad]) -> Self {
        const WANTED: &[&str] = &[
            "value",
            "currency",
            "isApproximate",
            "isLowerBound",
            "isCumulative",
            "certaintyRank",
            "seeAlso",
            "isPartOf",
            "publisher",
            "datePublished",
        ];
        let mut values = Vec::new();
        for quad in quads {
            let p = quad.predicate.as_str();
            let name = p.rsplit(['#', '/']).next().unwrap_or(p);
            if !WANTED.contains(&name) {
                continue;
            }
            let value = match &quad.object {
                Term::NamedNode(n) => n.as_str().to_owned(),
                Term::Literal(l) => l.value().to_owned(),
                _ => continue,
            };
            values.push((name.to_owned(), value));
        }
        values.sort();
        values.dedup();
        Self { values }
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(p, _)| p == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.values
            .iter()
            .filter(|(p, _)| p == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// The SPARQL that binds `?{var}` to the date a `?fact` is placed at: its date, else its start,
/// else its as-of date, as `Fact::when` is.
pub(crate) fn placed(var: &str) -> String {
    format!(
        "OPTIONAL {{ ?fact dg:date ?{var}Date }} OPTIONAL {{ ?fact dg:startDate ?{var}Start }} \
         OPTIONAL {{ ?fact dg:asOf ?{var}AsOf }} \
         BIND(COALESCE(?{var}Date, ?{var}Start, ?{var}AsOf) AS ?{var})"
    )
}

/// The fact nodes that name `entity` in any role (or point at it otherwise: a source's facts,
/// the terms of an agreement), newest first, each with the date it is placed at.
pub(crate) fn facts_naming(
    reader: &Reader<'_>,
    entity: &NamedNode,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let mut candidates: Vec<String> = reader
        .naming(entity)?
        .into_iter()
        .filter(names_its_object)
        .filter_map(|q| match q.subject {
            oxigraph::model::NamedOrBlankNode::NamedNode(n) => Some(n.into_string()),
            _ => None,
        })
        .collect();
    candidates.sort();
    candidates.dedup();
    reader.load(candidates.iter().map(String::as_str))?;
    let mut facts = Vec::new();
    for fact in candidates {
        let quads = reader.about(&fact)?;
        if quads
            .iter()
            .any(|q| q.predicate.as_str() == CERTAINTY && !is_derived(q))
        {
            let when = placed_at(&quads);
            facts.push((fact, when));
        }
    }
    // Newest first (undated last), then by IRI.
    facts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    Ok(facts)
}

/// The SPARQL that binds `?fact` to the fact nodes naming `entity` (`<...>`) in any role (or
/// pointing at it otherwise, as [`facts_naming`] reads them): IRIs with a `dg:certainty` a
/// source asserts and an asserted triple whose object is the entity.
///
/// A triple is never both asserted and in the derived graph (inference does not repeat what is
/// asserted), so "not in the derived graph" below is "asserted", the default graph included.
pub(crate) fn naming_facts_pattern(entity: &str) -> String {
    let derived = super::derived();
    format!(
        "{{ SELECT DISTINCT ?fact WHERE {{
             ?fact ?p {entity} .
             FILTER(isIRI(?fact) && ?p NOT IN (dg:certainty, dg:status, dg:countOf, rdf:type))
             FILTER NOT EXISTS {{ GRAPH {derived} {{ ?fact ?p {entity} }} }}
         }} }}
         FILTER EXISTS {{ ?fact dg:certainty ?c FILTER NOT EXISTS {{ GRAPH {derived} {{ ?fact dg:certainty ?c }} }} }}"
    )
}

/// A SELECT of `?fact ?e`: every IRI each fact node the pattern [`asserted_facts_pattern`]
/// binds names, as [`naming_facts_pattern`] counts them. Read from the facts outwards: from
/// every triple inwards it took 16 s at a million triples, this way 8 s.
pub(crate) fn fact_names_query(scope: &str) -> String {
    let derived = super::derived();
    format!(
        "SELECT DISTINCT ?fact ?e WHERE {{ {}
           ?fact ?p ?e
           FILTER(isIRI(?e) && ?p NOT IN (dg:certainty, dg:status, dg:countOf, rdf:type))
           FILTER NOT EXISTS {{ GRAPH {derived} {{ ?fact ?p ?e }} }}
         }}",
        asserted_facts_pattern(scope)
    )
}

/// The SPARQL that binds `?fact` to every fact node (an IRI with an asserted `dg:certainty`),
/// `scope` opening the pattern (a `VALUES ?fact` block, or nothing).
pub(crate) fn asserted_facts_pattern(scope: &str) -> String {
    let derived = super::derived();
    format!(
        "{{ SELECT DISTINCT ?fact WHERE {{ {scope}
             ?fact dg:certainty ?c FILTER(isIRI(?fact))
             FILTER NOT EXISTS {{ GRAPH {derived} {{ ?fact dg:certainty ?c }} }}
         }} }}"
    )
}

/// A SELECT of `?fact ?when`: every fact the pattern `facts` binds, with the date it is placed
/// at as [`placed_at`] reads it (`""` when it has none, which sorts it last in a descending
/// order as unbound would).
pub(crate) fn placed_facts_query(facts: &str) -> String {
    let derived = super::derived();
    let dated = |name: &str, var: &str| {
        format!(
            "OPTIONAL {{ ?fact dg:{name} ?{var} FILTER(isLiteral(?{var}))
               FILTER NOT EXISTS {{ GRAPH {derived} {{ ?fact dg:{name} ?{var} }} }} }}"
        )
    };
    // Written for Virtuoso 7.2 as well: the COALESCE is outside the grouping (over the three
    // aggregates themselves it fails to compile, "Bad dfe in sqlo_place_exp"), and the facts'
    // FILTER EXISTS is in a group of its own (next to the OPTIONALs it dropped every fact
    // without a date).
    format!(
        "SELECT ?fact ?when WHERE {{
           {{ SELECT ?fact (MAX(STR(?d)) AS ?dw) (MAX(STR(?s)) AS ?sw) (MAX(STR(?a)) AS ?aw)
              WHERE {{ {{ {facts} }} {} {} {} }} GROUP BY ?fact }}
           BIND(COALESCE(?dw, ?sw, ?aw, \"\") AS ?when)
         }}",
        dated("date", "d"),
        dated("startDate", "s"),
        dated("asOf", "a"),
    )
}

/// The newest `limit` facts naming the entity, in [`facts_naming`]'s order, and how many there
/// are in all: the same answer, computed without reading every fact whole. A backend with a
/// facts index ([`Backend::newest_facts_naming`]) answers from it; otherwise the query engine
/// dates, sorts and counts the facts on its encoded terms, and only the `limit` shown are
/// decoded ([`facts_naming`] reads every fact whole to date it, which for a hub in a million
/// triples is some 150,000 quads, each term a lookup on disk).
///
/// [`Backend::newest_facts_naming`]: crate::store::Backend::newest_facts_naming
pub(crate) fn newest_facts_naming(
    reader: &Reader<'_>,
    entity: &NamedNode,
    limit: usize,
) -> Result<(Vec<String>, usize), StoreError> {
    if let Some(indexed) = reader.indexed_facts_naming(entity, limit)? {
        return Ok(indexed);
    }
    let facts = naming_facts_pattern(&entity.to_string());
    let total = reader.count(&format!("SELECT (COUNT(*) AS ?n) WHERE {{ {facts} }}"))?;
    let rows = reader.select(&format!(
        "{} ORDER BY DESC(?when) ?fact LIMIT {limit}",
        placed_facts_query(&facts)
    ))?;
    let newest = rows
        .iter()
        .filter_map(|row| iri_of(row.get("fact")).map(str::to_owned))
        .collect();
    Ok((newest, total))
}

/// The date a fact is placed at, from its quads: its date, else its start, else its as-of
/// date (the latest, should a source give two).
pub(crate) fn placed_at(quads: &[Quad]) -> Option<String> {
    ["date", "startDate", "asOf"].iter().find_map(|name| {
        let p = format!("{DG}{name}");
        quads
            .iter()
            .filter(|q| q.predicate.as_str() == p && !is_derived(q))
            .filter_map(|q| match &q.object {
                Term::Literal(l) => Some(l.value().to_owned()),
                _ => None,
            })
            .max()
    })
}
