//! `graph?focus=`: the neighbourhood of an entity as nodes and edges for a graph view, and the
//! walk over fact nodes that `paths` shares.
//!
//! An edge is one relationship a fact draws between two of its participants (see
//! [`super::facts::links`]): an investment is an edge from investor to investee carrying the
//! fact's amount, date and certainty; a funding round with three investors is three edges.

use super::facts::placed_at;
use super::facts::{Amount, CertaintyRef, Fact, Roles, Side, links, read_facts};
use super::{
    CERTAINTY, DG, RDF_TYPE, Reader, Ref, ViewError, best_label, iri_of, is_derived,
    names_its_object, values, within,
};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Term};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub const DEFAULT_NODES: usize = 150;
pub const MAX_NODES: usize = 2_000;
pub const MAX_DEPTH: u8 = 3;
/// Most fact nodes read around one node; past it the view is cut and says so.
const MAX_FACTS_PER_HOP: usize = 5_000;
/// Facts read at a time around one node.
const CHUNK: usize = 64;

/// Which facts a walk follows.
#[derive(Debug, Clone, Default)]
pub struct FactFilter {
    /// Fact classes (with their subclasses), e.g. `dg:Investment`; empty = all.
    pub relations: Vec<NamedNode>,
    /// Certainty concepts; empty = all.
    pub certainty: Vec<NamedNode>,
    /// Only facts placed in time within the range (undated facts are then left out).
    pub since: Option<String>,
    pub until: Option<String>,
}

impl FactFilter {
    /// The filter's patterns on `?fact` and `?certainty`, for a query's WHERE clause.
    pub(crate) fn sparql(&self) -> String {
        let mut out = String::new();
        if !self.certainty.is_empty() {
            out.push_str(&values(
                "certainty",
                self.certainty.iter().map(NamedNode::as_str),
            ));
        }
        if !self.relations.is_empty() {
            out.push_str(" ?fact a ?wanted . ");
            out.push_str(&values(
                "wanted",
                self.relations.iter().map(NamedNode::as_str),
            ));
        }
        out
    }

    fn dated(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }
}

/// Resolves the names a request gives for relations (fact classes: `Investment`,
/// `ComputeAgreement`) and certainties (`stated`, `reported`), refusing unknown ones with the
/// list of known ones.
pub fn resolve_filter(
    reader: &Reader<'_>,
    relations: &[String],
    certainty: &[String],
    since: Option<String>,
    until: Option<String>,
) -> Result<FactFilter, ViewError> {
    let known = |query: &str| -> Result<BTreeMap<String, String>, ViewError> {
        Ok(reader
            .select(query)?
            .iter()
            .filter_map(|r| iri_of(r.get("c")))
            .map(|c| (super::fallback_label(c), c.to_owned()))
            .collect())
    };
    let pick = |name: &str,
                given: &[String],
                known: &BTreeMap<String, String>|
     -> Result<Vec<NamedNode>, ViewError> {
        given
            .iter()
            .map(|g| {
                let local = g.rsplit(['#', '/']).next().unwrap_or(g);
                known
                    .get(local)
                    .map(|iri| NamedNode::new_unchecked(iri.clone()))
                    .ok_or_else(|| {
                        let names: Vec<&str> = known.keys().map(String::as_str).collect();
                        ViewError::BadRequest(format!(
                            "unknown {name} {g:?}; known: {}",
                            names.join(", ")
                        ))
                    })
            })
            .collect()
    };
    let relations = if relations.is_empty() {
        Vec::new()
    } else {
        let classes =
            known("SELECT DISTINCT ?c WHERE { ?c rdfs:subClassOf+ dg:Fact FILTER(isIRI(?c)) }")?;
        pick("relation", relations, &classes)?
    };
    let certainty = if certainty.is_empty() {
        Vec::new()
    } else {
        let levels = known(
            "SELECT DISTINCT ?c WHERE { ?c skos:inScheme <https://w3id.org/dealgraph/certainty/scheme> }",
        )?;
        pick("certainty", certainty, &levels)?
    };
    if let (Some(s), Some(u)) = (&since, &until) {
        if s > u {
            return Err(ViewError::BadRequest(format!(
                "`since` ({s}) is after `until` ({u})"
            )));
        }
    }
    Ok(FactFilter {
        relations,
        certainty,
        since,
        until,
    })
}

/// A fact as a walk sees it: its class and who takes part on which side.
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    pub fact: String,
    pub class: String,
    pub ends: Vec<(String, Side, String)>,
    pub when: Option<String>,
    pub rank: Option<i64>,
}

impl Hop {
    /// The relationships the fact draws, as (from IRI, to IRI, verb).
    pub(crate) fn links(&self) -> Vec<(&str, &str, &'static str)> {
        let ends: Vec<(&str, Side, &str)> = self
            .ends
            .iter()
            .map(|(role, side, iri)| (role.as_str(), *side, iri.as_str()))
            .collect();
        links(&ends, &self.class)
            .into_iter()
            .map(|(f, t, verb)| (self.ends[f].2.as_str(), self.ends[t].2.as_str(), verb))
            .collect()
    }
}

/// The facts naming any of `nodes` as a participant that pass the filter, with their
/// participants; `true` when more than `cap` facts name them and the rest were left out. Each
/// node gives at most its share of `cap`, so one hub does not crowd out the rest.
pub(crate) fn hops_around(
    reader: &Reader<'_>,
    roles: &Roles,
    nodes: &[&str],
    filter: &FactFilter,
    cap: usize,
) -> Result<(Vec<Hop>, bool), ViewError> {
    let share = (cap / nodes.len().max(1)).max(MIN_SHARE);
    let mut candidates: BTreeSet<String> = BTreeSet::new();
    let mut truncated = false;
    for node in nodes {
        let (facts, cut) = facts_of(reader, roles, node, share)?;
        truncated |= cut;
        candidates.extend(facts);
    }
    let candidates: Vec<String> = candidates.into_iter().collect();
    Ok((hops_of(reader, roles, &candidates, filter)?, truncated))
}

/// The fewest facts a node of a wide frontier is followed through.
const MIN_SHARE: usize = 50;

/// The fact nodes naming `node` in a role, at most `cap` (`true` when there were more).
pub(crate) fn facts_of(
    reader: &Reader<'_>,
    roles: &Roles,
    node: &str,
    cap: usize,
) -> Result<(Vec<String>, bool), ViewError> {
    // Each fact names a participant once in its source graph and once more through dg:party in
    // the derived graph: reading a few times `cap` quads finds `cap` facts.
    let quads = reader.naming_at_most(&NamedNode::new_unchecked(node), cap.saturating_mul(4))?;
    let read_all = quads.len() < cap.saturating_mul(4);
    let mut facts: Vec<String> = quads
        .into_iter()
        .filter(|q| !is_derived(q) && roles.side(q.predicate.as_str()).is_some())
        .filter_map(|q| match q.subject {
            NamedOrBlankNode::NamedNode(fact) => Some(fact.into_string()),
            _ => None,
        })
        .collect();
    facts.sort_unstable();
    facts.dedup();
    let truncated = facts.len() > cap || !read_all;
    facts.truncate(cap);
    Ok((facts, truncated))
}

/// The given facts that pass the filter, as hops.
pub(crate) fn hops_of(
    reader: &Reader<'_>,
    roles: &Roles,
    candidates: &[String],
    filter: &FactFilter,
) -> Result<Vec<Hop>, ViewError> {
    reader.load(candidates.iter().map(String::as_str))?;
    let mut hops = Vec::new();
    for fact in candidates {
        let quads = reader.about(fact)?;
        let Some(certainty) = quads.iter().find_map(|q| match &q.object {
            Term::NamedNode(c) if q.predicate.as_str() == CERTAINTY && !is_derived(q) => Some(c),
            _ => None,
        }) else {
            continue;
        };
        if !filter.certainty.is_empty() && !filter.certainty.contains(certainty) {
            continue;
        }
        // Types include the derived superclasses, so a filter on a class takes its subclasses.
        if !filter.relations.is_empty()
            && !quads.iter().any(|q| {
                q.predicate.as_str() == RDF_TYPE
                    && matches!(&q.object, Term::NamedNode(c) if filter.relations.contains(c))
            })
        {
            continue;
        }
        let when = placed_at(&quads);
        if filter.dated()
            && !when
                .as_deref()
                .is_some_and(|w| within(w, filter.since.as_deref(), filter.until.as_deref()))
        {
            continue;
        }
        let class = quads
            .iter()
            .filter(|q| q.predicate.as_str() == RDF_TYPE && !is_derived(q))
            .filter_map(|q| match &q.object {
                Term::NamedNode(c) => Some(c.as_str()),
                _ => None,
            })
            .min()
            .unwrap_or("Fact");
        let mut ends: Vec<(String, Side, String)> = quads
            .iter()
            .filter(|q| !is_derived(q))
            .filter_map(|q| {
                let side = roles.side(q.predicate.as_str())?;
                let Term::NamedNode(x) = &q.object else {
                    return None;
                };
                let role = q.predicate.as_str();
                Some((
                    role.strip_prefix(DG).unwrap_or(role).to_owned(),
                    side,
                    x.as_str().to_owned(),
                ))
            })
            .collect();
        ends.sort();
        ends.dedup();
        let rank = reader
            .about(certainty.as_str())?
            .iter()
            .find(|q| q.predicate.as_str() == CERTAINTY_RANK)
            .and_then(|q| match &q.object {
                Term::Literal(l) => l.value().parse().ok(),
                _ => None,
            });
        hops.push(Hop {
            fact: fact.clone(),
            class: class.strip_prefix(DG).unwrap_or(class).to_owned(),
            ends,
            when,
            rank,
        });
    }
    Ok(hops)
}

const CERTAINTY_RANK: &str = "https://w3id.org/dealgraph/ontology#certaintyRank";

#[derive(Debug, Clone)]
pub struct GraphRequest {
    pub focus: NamedNode,
    /// Hops from the focus, 1 to 3.
    pub depth: u8,
    pub filter: FactFilter,
    /// Most nodes, the focus included.
    pub limit: usize,
}

/// An entity in the picture.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Node {
    pub iri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub label: String,
    /// Its main class (AI lab, cloud provider, data centre...).
    #[serde(rename = "type")]
    pub kind: Option<Ref>,
    /// How many facts name it in the whole graph, counted up to 100: a size for drawing it.
    pub facts: usize,
    /// Hops from the focus.
    pub depth: u8,
}

/// One relationship drawn by one fact.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Edge {
    /// Unique within the view: the fact's IRI, with the pair's index when the fact draws several.
    pub id: String,
    pub source: String,
    pub target: String,
    /// The fact node behind it.
    pub fact: String,
    /// The fact's class (Investment, Compute agreement...).
    #[serde(rename = "type")]
    pub kind: Ref,
    /// The relation in words: "invested in".
    pub label: String,
    /// "Microsoft invested in OpenAI".
    pub sentence: String,
    pub amount: Option<Amount>,
    pub date: Option<String>,
    pub certainty: Option<CertaintyRef>,
    pub status: Option<Ref>,
    /// The source's title.
    pub source_label: Option<String>,
    pub graph: String,
}

impl Edge {
    /// The `n`th relationship `fact` draws, from `source` to `target`. Its id is the fact's IRI,
    /// with `#n` after it past the first.
    pub(crate) fn drawn(fact: &Fact, n: usize, source: &str, target: &str, verb: &str) -> Self {
        let label_of = |iri: &str| {
            fact.participants
                .iter()
                .find(|p| p.entity.iri == iri)
                .map_or_else(|| super::fallback_label(iri), |p| p.entity.label.clone())
        };
        Edge {
            id: if n == 0 {
                fact.iri.clone()
            } else {
                format!("{}#{n}", fact.iri)
            },
            source: source.to_owned(),
            target: target.to_owned(),
            fact: fact.iri.clone(),
            kind: fact
                .types
                .first()
                .cloned()
                .unwrap_or_else(|| Ref::new(&format!("{DG}Fact"), Some("Fact"))),
            label: verb.to_owned(),
            sentence: format!("{} {verb} {}", label_of(source), label_of(target)),
            amount: fact.amount.clone(),
            date: fact.when.clone(),
            certainty: fact.certainty.clone(),
            status: fact.status.clone(),
            source_label: fact.source.as_ref().map(|s| s.label.clone()),
            graph: fact.graph.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GraphView {
    pub focus: Ref,
    pub depth: u8,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    /// Whether nodes or facts were left out to stay within `limit`.
    pub truncated: bool,
    pub limit: usize,
}

pub fn graph(reader: &Reader<'_>, request: &GraphRequest) -> Result<GraphView, ViewError> {
    let focus = request.focus.as_str();
    reader.require(&request.focus)?;
    let roles = Roles::read(reader)?;
    let mut depth_of: BTreeMap<String, u8> = BTreeMap::from([(focus.to_owned(), 0)]);
    let mut order: Vec<String> = vec![focus.to_owned()];
    let mut pairs: BTreeMap<String, Vec<(String, String, &'static str)>> = BTreeMap::new();
    let mut truncated = false;
    let mut frontier = vec![focus.to_owned()];
    let mut full = false;
    'walk: for depth in 1..=request.depth {
        let in_frontier: BTreeSet<String> = frontier.iter().cloned().collect();
        let mut next = Vec::new();
        for node in &frontier {
            // A hub is named by thousands of facts, of which the view may only have room for a
            // few: read a few first, and four times more while there is room.
            let mut done: BTreeSet<String> = BTreeSet::new();
            let mut want = CHUNK * 4;
            loop {
                let (facts, cut) = facts_of(reader, &roles, node, want)?;
                let facts: Vec<String> = facts.into_iter().filter(|f| !done.contains(f)).collect();
                done.extend(facts.iter().cloned());
                // Read in chunks, so that once the view is full nothing more is read.
                for chunk in facts.chunks(CHUNK) {
                    let mut hops = hops_of(reader, &roles, chunk, &request.filter)?;
                    // The most certain and newest relationships first, so a cut keeps what matters.
                    hops.sort_by(|a, b| {
                        (b.rank, b.when.as_deref(), a.fact.as_str()).cmp(&(
                            a.rank,
                            a.when.as_deref(),
                            b.fact.as_str(),
                        ))
                    });
                    for hop in &hops {
                        for (from, to, verb) in hop.links() {
                            // A relationship of the frontier, or between nodes already drawn. A
                            // co-investor in the same round is reached through the investee, a hop
                            // further.
                            let touches = in_frontier.contains(from) || in_frontier.contains(to);
                            let drawn = depth_of.contains_key(from) && depth_of.contains_key(to);
                            if !(touches || drawn) {
                                continue;
                            }
                            let mut ok = true;
                            for end in [from, to] {
                                if !depth_of.contains_key(end) {
                                    if depth_of.len() >= request.limit {
                                        truncated = true;
                                        full = true;
                                        ok = false;
                                    } else {
                                        depth_of.insert(end.to_owned(), depth);
                                        order.push(end.to_owned());
                                        next.push(end.to_owned());
                                    }
                                }
                            }
                            if ok {
                                pairs.entry(hop.fact.clone()).or_default().push((
                                    from.to_owned(),
                                    to.to_owned(),
                                    verb,
                                ));
                            }
                        }
                    }
                    if full {
                        // No room for another node: the facts not read yet could only add edges
                        // between drawn nodes, and reading a hub's thousands for them is not worth
                        // the wait; the view says it was cut.
                        break 'walk;
                    }
                }
                if !cut {
                    break;
                }
                if want >= MAX_FACTS_PER_HOP {
                    truncated = true;
                    break;
                }
                want = (want * 4).min(MAX_FACTS_PER_HOP);
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    let fact_iris: Vec<String> = pairs.keys().cloned().collect();
    let facts: HashMap<String, Fact> = read_facts(reader, &roles, &fact_iris)?
        .into_iter()
        .map(|f| (f.iri.clone(), f))
        .collect();
    let mut edges = Vec::new();
    for (fact_iri, links) in &pairs {
        let Some(fact) = facts.get(fact_iri) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for (n, (from, to, verb)) in links.iter().enumerate() {
            if !seen.insert((from, to)) {
                continue;
            }
            edges.push(Edge::drawn(fact, n, from, to, verb));
        }
    }
    let nodes = describe_nodes(reader, &order, &depth_of)?;
    let focus_ref = nodes
        .first()
        .map(|n| Ref::new(&n.iri, Some(&n.label)))
        .unwrap_or_else(|| Ref::new(focus, None));
    Ok(GraphView {
        focus: focus_ref,
        depth: request.depth,
        nodes,
        edges,
        truncated,
        limit: request.limit,
    })
}

/// The classes a node is drawn as, most telling first.
const MAIN_TYPES: &[&str] = &[
    "AILab",
    "CloudProvider",
    "ChipMaker",
    "Investor",
    "Company",
    "Organization",
    "DataCenter",
    "GPUCluster",
    "AIModel",
    "Chip",
    "CloudService",
    "Product",
];

/// Labels, main types and fact counts of the nodes, in the order given.
pub(crate) fn describe_nodes(
    reader: &Reader<'_>,
    order: &[String],
    depth_of: &BTreeMap<String, u8>,
) -> Result<Vec<Node>, ViewError> {
    reader.load_names(order.iter().map(String::as_str))?;
    let mut type_iris: Vec<String> = Vec::new();
    for iri in order {
        for quad in reader.names(iri)?.iter() {
            if let (RDF_TYPE, Term::NamedNode(t)) = (quad.predicate.as_str(), &quad.object) {
                if !is_derived(quad) {
                    type_iris.push(t.as_str().to_owned());
                }
            }
        }
    }
    reader.load_names(type_iris.iter().map(String::as_str))?;
    let mut nodes = Vec::with_capacity(order.len());
    for iri in order {
        let quads = reader.names(iri)?;
        let mut types = Vec::new();
        for quad in quads.iter().filter(|q| !is_derived(q)) {
            if let (RDF_TYPE, Term::NamedNode(t)) = (quad.predicate.as_str(), &quad.object) {
                types.push(Ref::new(t.as_str(), reader.label(t.as_str())?.as_deref()));
            }
        }
        let kind = MAIN_TYPES
            .iter()
            .find_map(|m| types.iter().find(|t| t.iri.strip_prefix(DG) == Some(m)))
            .or_else(|| types.iter().min())
            .cloned();
        nodes.push(Node {
            id: super::entity_id(iri).map(str::to_owned),
            label: best_label(&quads).unwrap_or_else(|| super::fallback_label(iri)),
            iri: iri.clone(),
            kind,
            facts: facts_count(reader, iri)?,
            depth: depth_of.get(iri).copied().unwrap_or(0),
        });
    }
    Ok(nodes)
}

/// How many facts name the entity, for a node's size, counted up to [`MAX_COUNTED`]: through
/// `dg:party`, which the derived graph holds once per fact for every role an organisation can
/// have, else (data centres, clusters, models) through any link from the source graphs.
fn facts_count(reader: &Reader<'_>, iri: &str) -> Result<usize, ViewError> {
    // Counted by the query engine rather than from decoded quads: a count needs no fact's IRI,
    // and decoding each (a string lookup per term on disk) was most of a neighbourhood's time.
    let as_party = reader.count(&format!(
        "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ {{ SELECT ?f WHERE {{ ?f dg:party <{iri}> }} LIMIT {MAX_COUNTED} }} }}"
    ))?;
    if as_party > 0 {
        return Ok(as_party);
    }
    let node = NamedNode::new_unchecked(iri);
    let subjects: std::collections::HashSet<NamedOrBlankNode> = reader
        .naming_at_most(&node, MAX_COUNTED * 3)?
        .into_iter()
        .filter(names_its_object)
        .map(|q| q.subject)
        .collect();
    Ok(subjects.len().min(MAX_COUNTED))
}

/// The largest fact count a node's size shows: past it a node is a hub, and counting a hub's
/// thousands for each drawing cost most of a million-triple neighbourhood's time.
pub const MAX_COUNTED: usize = 100;
