//! `stats`: what the graph holds: triples per named graph, instances per class, facts per kind
//! of relation and per certainty, the sources, and when it was last written.

use super::{Reader, Ref, ViewError, iri_of, text_of};
use crate::store::Backend;
use serde::Serialize;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Count {
    #[serde(flatten)]
    pub item: Ref,
    pub count: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GraphCount {
    /// The named graph's IRI, or none for the default graph.
    pub graph: Option<String>,
    pub triples: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatsView {
    pub triples: usize,
    pub graphs: Vec<GraphCount>,
    /// Instances per class, most first.
    pub classes: Vec<Count>,
    /// Fact nodes per kind of fact (Investment, Compute agreement, Valuation...), most first.
    pub relations: Vec<Count>,
    /// Fact nodes per certainty, most certain first.
    pub certainty: Vec<Count>,
    /// Top-level sources (the article, Epoch AI's datasets) with the facts resting on each,
    /// directly or through one of their parts.
    pub sources: Vec<Count>,
    /// Uses per property, most first.
    pub properties: Vec<Count>,
    /// When the store was last written through dealgraph (RFC 3339, UTC), if known.
    pub last_write: Option<String>,
    /// Whether the search index has been read against the store since the server started:
    /// `checking` (the counts are being compared: searches answer from the index as it was
    /// left, cards read the store), `rebuilding`, `ready`, or `unchecked` (the check failed).
    pub search_index: Option<crate::search::IndexState>,
}

/// The last statistics computed, with the store's generation they were computed at: counting a
/// million triples takes about a second, and nothing changes them but a write.
#[derive(Debug, Default)]
pub struct StatsCache {
    last: std::sync::Mutex<Option<(u64, StatsView)>>,
}

/// The statistics, from the cache when no write happened since they were computed (only for a
/// backend that counts its writes, [`Backend::generation`]).
pub fn stats(
    store: &dyn Backend,
    reader: &Reader<'_>,
    cache: &StatsCache,
) -> Result<StatsView, ViewError> {
    let generation = store.generation();
    let kept = match (generation, cache.last.lock()) {
        (Some(now), Ok(last)) => last
            .as_ref()
            .filter(|(at, _)| *at == now)
            .map(|(_, view)| view.clone()),
        _ => None,
    };
    let mut view = match kept {
        Some(view) => view,
        None => {
            let view = compute(store, reader)?;
            if let (Some(at), Ok(mut last)) = (generation, cache.last.lock()) {
                // Stamped with the generation read before counting: a write during the count
                // makes the next request count again.
                *last = Some((at, view.clone()));
            }
            view
        }
    };
    // Read now, not kept: the index's check ends without a write.
    view.search_index = store.index_state();
    Ok(view)
}

fn compute(store: &dyn Backend, reader: &Reader<'_>) -> Result<StatsView, ViewError> {
    let raw = store.stats(usize::MAX)?;
    let labelled = |iri: &str| Ref::new(iri, None);
    let counts = |query: &str| -> Result<Vec<Count>, ViewError> {
        Ok(reader
            .select(query)?
            .iter()
            .filter_map(|row| {
                Some(Count {
                    item: Ref::new(iri_of(row.get("x"))?, text_of(row.get("label"))),
                    count: text_of(row.get("n"))?.parse().ok()?,
                })
            })
            .collect())
    };
    let relations = counts(&format!(
        "SELECT ?x (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?fact) AS ?n) WHERE {{
           GRAPH ?g {{ ?fact a ?x }} FILTER(?g != {})
           ?x rdfs:subClassOf* dg:Fact .
           OPTIONAL {{ ?x rdfs:label ?l }}
         }} GROUP BY ?x ORDER BY DESC(?n) ?x",
        super::derived()
    ))?;
    let certainty = counts(
        "SELECT ?x (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?fact) AS ?n) (SAMPLE(?r) AS ?rank) WHERE {
           ?fact dg:certainty ?x .
           OPTIONAL { ?x skos:prefLabel ?l }
           OPTIONAL { ?x dg:certaintyRank ?r }
         } GROUP BY ?x ORDER BY DESC(?rank) ?x",
    )?;
    let sources = counts(
        "SELECT ?x (SAMPLE(?l) AS ?label) (COUNT(DISTINCT ?fact) AS ?n) WHERE {
           ?fact prov:wasDerivedFrom ?part ; dg:certainty ?c .
           ?part dcterms:isPartOf* ?x .
           ?x a dg:SourceDocument .
           FILTER NOT EXISTS { ?x dcterms:isPartOf ?whole }
           OPTIONAL { ?x rdfs:label ?l }
         } GROUP BY ?x ORDER BY DESC(?n) ?x",
    )?;
    Ok(StatsView {
        triples: raw.triples,
        graphs: raw
            .graphs
            .iter()
            .map(|(g, n)| GraphCount {
                graph: g.as_ref().map(|g| g.as_str().to_owned()),
                triples: *n,
            })
            .collect(),
        classes: raw
            .classes
            .iter()
            .map(|(c, n)| Count {
                item: labelled(c.as_str()),
                count: *n,
            })
            .collect(),
        relations,
        certainty,
        sources,
        properties: raw
            .predicates
            .iter()
            .map(|(p, n)| Count {
                item: labelled(p.as_str()),
                count: *n,
            })
            .collect(),
        last_write: store.last_write().map(rfc3339),
        search_index: None,
    })
}

/// A time as RFC 3339 in UTC.
fn rfc3339(time: std::time::SystemTime) -> String {
    time::OffsetDateTime::from(time)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_written_as_rfc3339() {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        assert_eq!(super::rfc3339(t), "2026-11-18T11:06:40Z");
    }
}
