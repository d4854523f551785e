//! `rankings`: organisations ranked by the total amount of the deals in which they take a role
//! ("top investors by total amount"), with the number of those deals.
//!
//! The ranking is an aggregate over every deal of the graph, so it is kept, like the
//! statistics, until the store's generation changes ([`Backend::generation`]): only the first
//! request after a write pays for the count.

use super::{DG, Reader, Ref, ViewError, iri_of, text_of};
use crate::store::Backend;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// Organisations listed when the request does not say.
pub const DEFAULT_RANKED: usize = 10;
/// Most organisations one response lists.
pub const MAX_RANKED: usize = 1000;

/// The roles a ranking can be by: the parties of the deals that carry amounts.
pub const RANKED_ROLES: &[&str] = &[
    "investor", "investee", "acquirer", "acquired", "customer", "provider", "holder", "grantor",
    "partner",
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ranked {
    #[serde(flatten)]
    pub entity: Ref,
    /// The sum of the amounts of the deals, in `currency`.
    pub total: f64,
    /// The deals with an amount in `currency` in which the organisation takes the role.
    pub deals: usize,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankingsView {
    /// The role ranked by, e.g. `investor`.
    pub role: String,
    pub currency: String,
    /// Most total first; ties by IRI.
    pub ranked: Vec<Ranked>,
    /// Organisations with at least one such deal, whether listed or not.
    pub ranked_total: usize,
    /// Whether `ranked` stops at the limit before `ranked_total`.
    pub truncated: bool,
}

/// A role and a currency.
type RankingKey = (String, String);

/// The whole rankings computed, per role and currency, with the generation they were computed at.
#[derive(Debug, Default)]
pub struct RankingsCache {
    last: Mutex<HashMap<RankingKey, (u64, Vec<Ranked>)>>,
}

/// Checks a role name against [`RANKED_ROLES`].
pub fn ranked_role(role: &str) -> Result<&'static str, ViewError> {
    RANKED_ROLES
        .iter()
        .find(|r| r.eq_ignore_ascii_case(role))
        .copied()
        .ok_or_else(|| {
            ViewError::BadRequest(format!(
                "`role` must be one of {}, not {role:?}",
                RANKED_ROLES.join(", ")
            ))
        })
}

/// The first `limit` organisations by total amount in `role`, counted in `currency`.
pub fn rankings(
    store: &dyn Backend,
    reader: &Reader<'_>,
    cache: &RankingsCache,
    role: &'static str,
    currency: &str,
    limit: usize,
) -> Result<RankingsView, ViewError> {
    let key = (role.to_owned(), currency.to_owned());
    let generation = store.generation();
    let cached = match (generation, cache.last.lock()) {
        (Some(now), Ok(last)) => last
            .get(&key)
            .filter(|(at, _)| *at == now)
            .map(|(_, all)| all.clone()),
        _ => None,
    };
    let all = match cached {
        Some(all) => all,
        None => {
            let all = compute(reader, role, currency)?;
            if let (Some(at), Ok(mut last)) = (generation, cache.last.lock()) {
                // Stamped with the generation read before counting, as for the statistics.
                last.insert(key, (at, all.clone()));
            }
            all
        }
    };
    Ok(RankingsView {
        role: role.to_owned(),
        currency: currency.to_owned(),
        ranked_total: all.len(),
        truncated: all.len() > limit,
        ranked: all.into_iter().take(limit).collect(),
    })
}

fn compute(reader: &Reader<'_>, role: &str, currency: &str) -> Result<Vec<Ranked>, ViewError> {
    if currency.is_empty() || !currency.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ViewError::BadRequest(format!(
            "`currency` must be a currency code such as USD, not {currency:?}"
        )));
    }
    // DISTINCT over (organisation, deal, amount, value): a triple the derived graph repeats is
    // counted once, and a deal with two amounts (say, a first tranche and the whole) both.
    // The label is joined after summing: an organisation with two labels must not count twice.
    let rows = reader.select(&format!(
        "SELECT ?x ?total ?n (SAMPLE(?l) AS ?label) WHERE {{
           {{ SELECT ?x (SUM(?v) AS ?total) (COUNT(DISTINCT ?fact) AS ?n) WHERE {{
               {{ SELECT DISTINCT ?x ?fact ?a ?v WHERE {{
                   ?fact <{DG}{role}> ?x ; dg:amount ?a .
                   ?a dg:value ?v ; dg:currency \"{currency}\" .
               }} }}
           }} GROUP BY ?x }}
           OPTIONAL {{ ?x rdfs:label ?l }}
         }} GROUP BY ?x ?total ?n ORDER BY DESC(?total) ?x"
    ))?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Ranked {
                entity: Ref::new(iri_of(row.get("x"))?, text_of(row.get("label"))),
                total: text_of(row.get("total"))?.parse().ok()?,
                deals: text_of(row.get("n"))?.parse().ok()?,
            })
        })
        .collect())
}
