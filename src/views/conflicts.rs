//! `conflicts?entity=`: where two sources speak of the same relationship or figure and do not
//! agree, side by side.
//!
//! Two facts speak of the same thing when they draw the same relationship between the same
//! entities (Microsoft invested in OpenAI), or give the same kind of figure about the entity for
//! the same year. A source is a named graph: the article, or one of Epoch AI's files, whose rows
//! are many facts of one source. Sources disagree when their amounts (summed per source, as a
//! reader adding up the rounds would) or figures differ, or when they rate the same thing with
//! different certainty.

use super::facts::{Amount, Fact, Roles, facts_naming, read_facts};
use super::{Reader, Ref, ViewError};
use oxigraph::model::NamedNode;
use serde::Serialize;
use std::collections::BTreeMap;

/// Most facts about one entity compared.
const MAX_FACTS: usize = 5_000;

/// What one source says about the disputed thing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SourceSide {
    /// The named graph.
    pub graph: String,
    /// The sum of the facts' amounts in the first currency given, as a decimal string.
    pub total: Option<String>,
    pub currency: Option<String>,
    /// Whether the source gives a running total rather than single payments.
    pub cumulative: bool,
    pub certainties: Vec<String>,
    pub dates: Vec<String>,
    pub facts: Vec<Fact>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    /// "Microsoft invested in OpenAI", or "Valuation of OpenAI in 2024".
    pub topic: String,
    /// What differs: "amount", "certainty".
    pub differs: Vec<String>,
    pub sides: Vec<SourceSide>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConflictsView {
    pub entity: Ref,
    pub conflicts: Vec<Conflict>,
    /// Facts naming the entity that were compared.
    pub facts_compared: usize,
    pub truncated: bool,
}

pub fn conflicts(reader: &Reader<'_>, entity: &NamedNode) -> Result<ConflictsView, ViewError> {
    reader.require(entity)?;
    let roles = Roles::read(reader)?;
    let mut all: Vec<String> = facts_naming(reader, entity)?
        .into_iter()
        .map(|(fact, _)| fact)
        .collect();
    let truncated = all.len() > MAX_FACTS;
    all.truncate(MAX_FACTS);
    let facts = read_facts(reader, &roles, &all)?;
    let label =
        super::graph::describe_nodes(reader, &[entity.as_str().to_owned()], &Default::default())?
            .pop()
            .map_or_else(|| entity.as_str().to_owned(), |n| n.label);

    // topic -> graph -> facts
    let mut topics: BTreeMap<String, BTreeMap<String, Vec<&Fact>>> = BTreeMap::new();
    for fact in &facts {
        let mut keys: Vec<String> = fact
            .links()
            .into_iter()
            .map(|(f, t, verb)| fact.sentence(f, t, verb))
            .filter(|_| {
                fact.participants
                    .iter()
                    .any(|p| p.entity.iri == entity.as_str())
            })
            .collect();
        if keys.is_empty() && fact.amount.is_some() {
            if let Some(year) = fact.when.as_deref().and_then(|w| w.get(..4)) {
                let kind = fact.types.first().map_or("Figure", |t| t.label.as_str());
                keys.push(format!("{kind} of {label} in {year}"));
            }
        }
        keys.sort();
        keys.dedup();
        for key in keys {
            topics
                .entry(key)
                .or_default()
                .entry(fact.graph.clone())
                .or_default()
                .push(fact);
        }
    }
    let mut conflicts = Vec::new();
    for (topic, by_graph) in topics {
        if by_graph.len() < 2 {
            continue;
        }
        let sides: Vec<SourceSide> = by_graph
            .into_iter()
            .map(|(graph, facts)| side(graph, &facts))
            .collect();
        let mut differs = Vec::new();
        let totals: Vec<(&Option<String>, &Option<String>)> = sides
            .iter()
            .filter(|s| s.total.is_some())
            .map(|s| (&s.total, &s.currency))
            .collect();
        if totals.len() >= 2 && totals.iter().any(|t| *t != totals[0]) {
            differs.push("amount".to_owned());
        }
        if sides.iter().any(|s| s.certainties != sides[0].certainties) {
            differs.push("certainty".to_owned());
        }
        if !differs.is_empty() {
            conflicts.push(Conflict {
                topic,
                differs,
                sides,
            });
        }
    }
    Ok(ConflictsView {
        entity: Ref::new(entity.as_str(), Some(&label)),
        facts_compared: facts.len(),
        conflicts,
        truncated,
    })
}

fn side(graph: String, facts: &[&Fact]) -> SourceSide {
    let amounts: Vec<&Amount> = facts.iter().filter_map(|f| f.amount.as_ref()).collect();
    let currency = amounts.iter().find_map(|a| a.currency.clone());
    let same_currency: Vec<&&Amount> = amounts.iter().filter(|a| a.currency == currency).collect();
    let total = (!same_currency.is_empty()).then(|| {
        let sum: f64 = same_currency.iter().filter_map(|a| a.number()).sum();
        format!("{sum:.0}")
    });
    let mut certainties: Vec<String> = facts
        .iter()
        .filter_map(|f| f.certainty.as_ref().map(|c| c.label.clone()))
        .collect();
    certainties.sort();
    certainties.dedup();
    let mut dates: Vec<String> = facts.iter().filter_map(|f| f.when.clone()).collect();
    dates.sort();
    SourceSide {
        graph,
        total,
        currency,
        cumulative: amounts.iter().any(|a| a.cumulative),
        certainties,
        dates,
        facts: facts.iter().map(|f| (*f).clone()).collect(),
    }
}
