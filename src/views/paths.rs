//! `paths?from=&to=`: the shortest connections between two entities, each step said in words
//! with the facts behind it.
//!
//! A breadth-first search from both ends at once, always widening the smaller side, over the
//! relationships facts draw (the edges of the graph view, followed either way). Every shortest
//! path is found up to the limit; a step lists every fact linking its two entities.

use super::facts::{Fact, Roles, read_facts};
use super::graph::{FactFilter, describe_nodes, hops_around};
use super::{Reader, Ref, ViewError};
use oxigraph::model::NamedNode;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub const DEFAULT_MAX_LENGTH: u8 = 3;
pub const MAX_LENGTH: u8 = 4;
pub const DEFAULT_PATHS: usize = 5;
pub const MAX_PATHS: usize = 50;
/// Facts shown per step; the step says how many there are in all.
const FACTS_PER_STEP: usize = 5;
/// Most fact nodes read around one side's frontier at one hop, shared among its nodes: past it
/// a hub is followed through some of its facts only, and the answer says it was cut.
const MAX_FACTS_PER_HOP: usize = 2_000;

#[derive(Debug, Clone)]
pub struct PathsRequest {
    pub from: NamedNode,
    pub to: NamedNode,
    /// Longest path looked for, in steps (1 to 4).
    pub max_length: u8,
    /// Most paths returned.
    pub limit: usize,
    pub filter: FactFilter,
}

/// One step of a path: two neighbouring entities and why they are linked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PathStep {
    pub from: Ref,
    pub to: Ref,
    /// The step in words, from its strongest fact: "Microsoft invested in OpenAI".
    pub sentence: String,
    /// Every distinct way the facts link the two, in words.
    pub sentences: Vec<String>,
    /// The strongest facts behind the step (most certain, then newest), up to five.
    pub facts: Vec<Fact>,
    pub facts_total: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Path {
    pub length: usize,
    pub nodes: Vec<Ref>,
    pub steps: Vec<PathStep>,
    /// The whole path in words: "Microsoft invested in OpenAI; OpenAI buys compute from CoreWeave".
    pub sentence: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PathsView {
    pub from: Ref,
    pub to: Ref,
    pub max_length: u8,
    /// The length of the shortest paths, or none when there is none within `max_length`.
    pub length: Option<usize>,
    pub paths: Vec<Path>,
    /// How many shortest paths there are (counted up to a bound when there are very many).
    pub paths_total: usize,
    /// Whether paths were left out (`limit`) or the search was cut around a hub.
    pub truncated: bool,
}

/// The evidence for one pair of neighbours: (fact, from, to, verb, certainty rank, date).
type Evidence = (
    String,
    String,
    String,
    &'static str,
    Option<i64>,
    Option<String>,
);

/// One side of the search: how far each reached node is, and how it was reached.
#[derive(Default)]
struct Side {
    dist: HashMap<String, usize>,
    parents: HashMap<String, Vec<String>>,
    frontier: Vec<String>,
}

impl Side {
    fn start(at: &str) -> Self {
        Self {
            dist: HashMap::from([(at.to_owned(), 0)]),
            parents: HashMap::new(),
            frontier: vec![at.to_owned()],
        }
    }

    /// Every path from the side's start to `node`, as node lists starting at the start.
    fn paths_to(&self, node: &str, cap: usize) -> Vec<Vec<String>> {
        match self.parents.get(node) {
            None => vec![vec![node.to_owned()]],
            Some(parents) => {
                let mut out = Vec::new();
                for parent in parents {
                    for mut path in self.paths_to(parent, cap) {
                        path.push(node.to_owned());
                        out.push(path);
                        if out.len() >= cap {
                            return out;
                        }
                    }
                }
                out
            }
        }
    }
}

pub fn paths(reader: &Reader<'_>, request: &PathsRequest) -> Result<PathsView, ViewError> {
    let (from, to) = (request.from.as_str(), request.to.as_str());
    reader.require(&request.from)?;
    reader.require(&request.to)?;
    let roles = Roles::read(reader)?;
    let mut sides = [Side::start(from), Side::start(to)];
    let mut evidence: BTreeMap<(String, String), Vec<Evidence>> = BTreeMap::new();
    let mut truncated = false;
    let mut length = (from == to).then_some(0);
    let mut steps_taken = 0;
    while length.is_none() && steps_taken < usize::from(request.max_length) {
        // Widen the side with the smaller frontier: hubs stay on the far side as long as they can.
        let s = usize::from(sides[1].frontier.len() < sides[0].frontier.len());
        if sides[s].frontier.is_empty() {
            break;
        }
        steps_taken += 1;
        let frontier: Vec<String> = std::mem::take(&mut sides[s].frontier);
        let nodes: Vec<&str> = frontier.iter().map(String::as_str).collect();
        let (hops, cut) = hops_around(reader, &roles, &nodes, &request.filter, MAX_FACTS_PER_HOP)?;
        truncated |= cut;
        let in_frontier: BTreeSet<&str> = nodes.iter().copied().collect();
        let side = &mut sides[s];
        let next_dist = side.dist[nodes[0]] + 1;
        let mut next = Vec::new();
        for hop in &hops {
            for (a, b, verb) in hop.links() {
                for (here, there) in [(a, b), (b, a)] {
                    if !in_frontier.contains(here) {
                        continue;
                    }
                    let key = if a < b { (a, b) } else { (b, a) };
                    let list = evidence
                        .entry((key.0.to_owned(), key.1.to_owned()))
                        .or_default();
                    if !list.iter().any(|e| e.0 == hop.fact && e.1 == a && e.2 == b) {
                        list.push((
                            hop.fact.clone(),
                            a.to_owned(),
                            b.to_owned(),
                            verb,
                            hop.rank,
                            hop.when.clone(),
                        ));
                    }
                    match side.dist.get(there) {
                        None => {
                            side.dist.insert(there.to_owned(), next_dist);
                            side.parents.insert(there.to_owned(), vec![here.to_owned()]);
                            next.push(there.to_owned());
                        }
                        Some(&d) if d == next_dist => {
                            let parents = side.parents.entry(there.to_owned()).or_default();
                            if !parents.iter().any(|p| p == here) {
                                parents.push(here.to_owned());
                            }
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        next.sort();
        side.frontier = next;
        // The two searches meet at the nodes both have reached.
        length = sides[0]
            .dist
            .iter()
            .filter_map(|(node, d)| sides[1].dist.get(node).map(|e| d + e))
            .min();
    }
    let mut found: Vec<Vec<String>> = Vec::new();
    if let Some(length) = length {
        let mut meeting: Vec<&String> = sides[0]
            .dist
            .iter()
            .filter(|(node, d)| sides[1].dist.get(*node).is_some_and(|e| *d + e == length))
            .map(|(node, _)| node)
            .collect();
        meeting.sort();
        // Counted up to a bound: hubs can join two entities in thousands of ways.
        let bound = MAX_PATHS * 20;
        'outer: for m in meeting {
            for head in sides[0].paths_to(m, bound) {
                for tail in sides[1].paths_to(m, bound) {
                    let mut path = head.clone();
                    path.extend(tail.iter().rev().skip(1).cloned());
                    found.push(path);
                    if found.len() >= bound {
                        truncated = true;
                        break 'outer;
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    let paths_total = found.len();
    // The strongest paths first: the sum of the best certainty of each step.
    let best = |a: &str, b: &str| -> i64 {
        let key = if a < b { (a, b) } else { (b, a) };
        evidence
            .get(&(key.0.to_owned(), key.1.to_owned()))
            .and_then(|list| list.iter().filter_map(|e| e.4).max())
            .unwrap_or(0)
    };
    found.sort_by_cached_key(|p| {
        let strength: i64 = p.windows(2).map(|w| best(&w[0], &w[1])).sum();
        (std::cmp::Reverse(strength), p.clone())
    });
    if found.len() > request.limit {
        truncated = true;
        found.truncate(request.limit);
    }
    // Every node and fact the kept paths need, read once.
    let mut node_order: Vec<String> = found.iter().flatten().cloned().collect();
    node_order.extend([from.to_owned(), to.to_owned()]);
    node_order.sort();
    node_order.dedup();
    let nodes: HashMap<String, Ref> = describe_nodes(reader, &node_order, &BTreeMap::new())?
        .into_iter()
        .map(|n| (n.iri.clone(), Ref::new(&n.iri, Some(&n.label))))
        .collect();
    let node = |iri: &str| {
        nodes
            .get(iri)
            .cloned()
            .unwrap_or_else(|| Ref::new(iri, None))
    };
    let step_evidence = |a: &str, b: &str| -> Vec<Evidence> {
        let key = if a < b { (a, b) } else { (b, a) };
        let mut list = evidence
            .get(&(key.0.to_owned(), key.1.to_owned()))
            .cloned()
            .unwrap_or_default();
        list.sort_by(|x, y| (y.4, &y.5, &x.0).cmp(&(x.4, &x.5, &y.0)));
        list
    };
    let mut fact_iris: Vec<String> = found
        .iter()
        .flat_map(|p| {
            p.windows(2)
                .map(|w| (w[0].clone(), w[1].clone()))
                .collect::<Vec<_>>()
        })
        .flat_map(|(a, b)| {
            step_evidence(&a, &b)
                .into_iter()
                .take(FACTS_PER_STEP)
                .map(|e| e.0)
                .collect::<Vec<_>>()
        })
        .collect();
    fact_iris.sort();
    fact_iris.dedup();
    let facts: HashMap<String, Fact> = read_facts(reader, &roles, &fact_iris)?
        .into_iter()
        .map(|f| (f.iri.clone(), f))
        .collect();
    let paths = found
        .iter()
        .map(|p| {
            let steps: Vec<PathStep> = p
                .windows(2)
                .map(|w| {
                    let list = step_evidence(&w[0], &w[1]);
                    let say =
                        |e: &Evidence| format!("{} {} {}", node(&e.1).label, e.3, node(&e.2).label);
                    let mut sentences: Vec<String> = Vec::new();
                    for e in &list {
                        let s = say(e);
                        if !sentences.contains(&s) {
                            sentences.push(s);
                        }
                    }
                    PathStep {
                        from: node(&w[0]),
                        to: node(&w[1]),
                        sentence: sentences.first().cloned().unwrap_or_default(),
                        sentences,
                        facts: list
                            .iter()
                            .take(FACTS_PER_STEP)
                            .filter_map(|e| facts.get(&e.0).cloned())
                            .collect(),
                        facts_total: list.len(),
                    }
                })
                .collect();
            Path {
                length: steps.len(),
                nodes: p.iter().map(|n| node(n)).collect(),
                sentence: steps
                    .iter()
                    .map(|s| s.sentence.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                steps,
            }
        })
        .collect();
    Ok(PathsView {
        from: node(from),
        to: node(to),
        max_length: request.max_length,
        length,
        paths,
        paths_total,
        truncated,
    })
}
