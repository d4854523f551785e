//! `timeline?entity=`: the dated facts naming an entity, oldest first.

use super::facts::{Fact, Roles, facts_naming, read_facts};
use super::{Reader, Ref, ViewError, within};
use oxigraph::model::NamedNode;
use serde::Serialize;

pub const DEFAULT_EVENTS: usize = 500;
pub const MAX_EVENTS: usize = 5_000;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineView {
    pub entity: Ref,
    /// Dated facts in time order (by `when`, then by IRI for a stable order).
    pub events: Vec<Fact>,
    pub events_total: usize,
    pub truncated: bool,
    /// Facts naming the entity that carry no date (only the source's words for a time, or
    /// nothing): not placed on the line.
    pub undated: usize,
}

pub fn timeline(
    reader: &Reader<'_>,
    entity: &NamedNode,
    since: Option<&str>,
    until: Option<&str>,
    limit: usize,
) -> Result<TimelineView, ViewError> {
    reader.require(entity)?;
    let roles = Roles::read(reader)?;
    let all = facts_naming(reader, entity)?;
    let undated = all.iter().filter(|(_, when)| when.is_none()).count();
    let mut dated: Vec<(String, String)> = all
        .into_iter()
        .filter_map(|(fact, when)| Some((when?, fact)))
        .filter(|(when, _)| within(when, since, until))
        .collect();
    dated.sort();
    let events_total = dated.len();
    let truncated = dated.len() > limit;
    dated.truncate(limit);
    let iris: Vec<String> = dated.into_iter().map(|(_, fact)| fact).collect();
    let facts = read_facts(reader, &roles, &iris)?;
    let label =
        super::graph::describe_nodes(reader, &[entity.as_str().to_owned()], &Default::default())?
            .pop()
            .map(|n| n.label);
    Ok(TimelineView {
        entity: Ref::new(entity.as_str(), label.as_deref()),
        events: facts,
        events_total,
        truncated,
        undated,
    })
}
