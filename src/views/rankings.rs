//! `rankings`: organisations ranked by the total amount of the deals in which they take a role
//! ("top investors by total amount"), with the number of those deals.
//!
//! A deal is a fact node (an IRI with an asserted `dg:certainty`, as the entity card lists
//! them) with a `dg:amount` whose `dg:value` is in the currency asked. Over the embedded store
//! the facts index keeps each deal's parties and amounts ([`Deal`]), and [`Totals`] sums them
//! there; without it the query engine sums them ([`compute`]). Either way the whole ranking is
//! kept until the store's generation changes ([`Backend::generation`]).

use super::{DG, Reader, Ref, ViewError, iri_of, text_of};
use crate::store::Backend;
use oxigraph::model::Term;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
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

/// One organisation's place in a whole ranking: its IRI, total and number of deals.
#[derive(Debug, Clone, PartialEq)]
pub struct Total {
    pub iri: String,
    pub total: f64,
    pub deals: usize,
}

/// The whole rankings computed, per role and currency, with the generation they were computed at.
#[derive(Debug, Default)]
pub struct RankingsCache {
    last: Mutex<HashMap<RankingKey, (u64, Vec<Total>)>>,
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
    if currency.is_empty() || !currency.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ViewError::BadRequest(format!(
            "`currency` must be a currency code such as USD, not {currency:?}"
        )));
    }
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
            let all = match reader.indexed_rankings(role, currency)? {
                Some(all) => all,
                None => compute(reader, role, currency)?,
            };
            if let (Some(at), Ok(mut last)) = (generation, cache.last.lock()) {
                // Stamped with the generation read before counting, as for the statistics.
                last.insert(key, (at, all.clone()));
            }
            all
        }
    };
    // Only the organisations listed are named.
    let listed = &all[..all.len().min(limit)];
    reader.load_names(listed.iter().map(|t| t.iri.as_str()))?;
    let mut ranked = Vec::with_capacity(listed.len());
    for t in listed {
        ranked.push(Ranked {
            entity: Ref::new(&t.iri, reader.label(&t.iri)?.as_deref()),
            total: t.total,
            deals: t.deals,
        });
    }
    Ok(RankingsView {
        role: role.to_owned(),
        currency: currency.to_owned(),
        ranked_total: all.len(),
        truncated: all.len() > limit,
        ranked,
    })
}

/// The whole ranking summed by the query engine, for a backend without a facts index.
fn compute(reader: &Reader<'_>, role: &str, currency: &str) -> Result<Vec<Total>, ViewError> {
    // DISTINCT over (organisation, deal, amount, value): a triple the derived graph repeats is
    // counted once, and a deal with two amounts (say, a first tranche and the whole) both.
    let rows = reader.select(&format!(
        "SELECT ?x (SUM(?v) AS ?total) (COUNT(DISTINCT ?fact) AS ?n) WHERE {{
           {{ SELECT DISTINCT ?x ?fact ?a ?v WHERE {{
               {}
               ?fact <{DG}{role}> ?x ; dg:amount ?a .
               ?a dg:value ?v ; dg:currency \"{currency}\" .
           }} }}
         }} GROUP BY ?x ORDER BY DESC(?total) ?x",
        super::facts::asserted_facts_pattern("")
    ))?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Total {
                iri: iri_of(row.get("x"))?.to_owned(),
                total: text_of(row.get("total"))?.parse().ok()?,
                deals: text_of(row.get("n"))?.parse().ok()?,
            })
        })
        .collect())
}

/// What the facts index keeps of a deal for the rankings.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Deal {
    /// `role U+001F organisation` for each role of [`RANKED_ROLES`] the deal gives, in any graph.
    pub parties: BTreeSet<String>,
    /// `currency U+001F value U+001F amount node` for each amount; the value `""` when it is not
    /// a number, which leaves the deal's organisations out of that currency's ranking, as the
    /// query engine's SUM does.
    pub amounts: BTreeSet<String>,
}

impl Deal {
    pub(crate) fn party(&mut self, role: &str, organisation: &str) {
        self.parties.insert(format!("{role}\u{1f}{organisation}"));
    }

    pub(crate) fn amount(&mut self, currency: &str, value: &Term, node: &str) {
        let value = match value {
            Term::Literal(l) if is_numeric(l.datatype().as_str()) => l.value(),
            _ => "",
        };
        self.amounts
            .insert(format!("{currency}\u{1f}{value}\u{1f}{node}"));
    }

    /// The roles the deal has parties in.
    pub(crate) fn roles(&self) -> BTreeSet<&str> {
        self.parties
            .iter()
            .filter_map(|p| p.split('\u{1f}').next())
            .collect()
    }
}

/// Whether a literal of this datatype is a number to SPARQL's SUM.
fn is_numeric(datatype: &str) -> bool {
    const NUMERIC: &[&str] = &[
        "decimal",
        "double",
        "float",
        "integer",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
        "positiveInteger",
    ];
    datatype
        .strip_prefix("http://www.w3.org/2001/XMLSchema#")
        .is_some_and(|t| NUMERIC.contains(&t))
}

/// The rows `?fact ?role ?x`: each deal's organisations in the roles of [`RANKED_ROLES`], for the
/// fact nodes `scope` binds (a `VALUES ?fact` block, or nothing for all) that have an amount.
pub(crate) fn deal_parties_query(scope: &str) -> String {
    let roles: Vec<String> = RANKED_ROLES.iter().map(|r| format!("dg:{r}")).collect();
    // Two shapes, as Oxigraph plans them at a million triples: for a few facts, their own
    // triples filtered (12 ms, where a VALUES of roles read every deal: 260 ms); for all, the
    // roles' triples (2.1 s, where reading every deal's triples took 4.7 s).
    let parties = if scope.is_empty() {
        format!(
            "VALUES ?role {{ {} }} ?fact ?role ?x FILTER(isIRI(?x))",
            roles.join(" ")
        )
    } else {
        format!(
            "?fact ?role ?x FILTER(?role IN ({}) && isIRI(?x))",
            roles.join(", ")
        )
    };
    format!(
        "SELECT DISTINCT ?fact ?role ?x WHERE {{ {} ?fact dg:amount ?a . {parties} }}",
        super::facts::asserted_facts_pattern(scope),
    )
}

/// The rows `?fact ?a ?v ?c`: each deal's amounts with their values and currencies.
pub(crate) fn deal_amounts_query(scope: &str) -> String {
    format!(
        "SELECT DISTINCT ?fact ?a ?v ?c WHERE {{ {}
           ?fact dg:amount ?a . ?a dg:value ?v ; dg:currency ?c .
         }}",
        super::facts::asserted_facts_pattern(scope)
    )
}

/// Sums deals into a ranking, as [`compute`]'s query does.
#[derive(Debug, Default)]
pub(crate) struct Totals {
    /// Per organisation: the total, the deals, and whether a value was not a number.
    by: HashMap<String, (f64, usize, bool)>,
}

impl Totals {
    /// One deal: its organisations in the role, and its amounts in the currency, as
    /// `(value, amount node)` (each pair once).
    pub(crate) fn deal<'a>(
        &mut self,
        organisations: impl IntoIterator<Item = &'a str>,
        amounts: &[(&str, &str)],
    ) {
        if amounts.is_empty() {
            return;
        }
        let values: Option<Vec<f64>> = amounts.iter().map(|(v, _)| v.parse().ok()).collect();
        let sum = values.as_ref().map(|v| v.iter().sum::<f64>());
        let organisations: BTreeSet<&str> = organisations.into_iter().collect();
        for x in organisations {
            let entry = self.by.entry(x.to_owned()).or_default();
            entry.0 += sum.unwrap_or(0.0);
            entry.1 += 1;
            entry.2 |= sum.is_none();
        }
    }

    pub(crate) fn merge(&mut self, other: Totals) {
        for (x, (total, deals, invalid)) in other.by {
            let entry = self.by.entry(x).or_default();
            entry.0 += total;
            entry.1 += deals;
            entry.2 |= invalid;
        }
    }

    /// Most total first, ties by IRI; organisations with a value that is not a number left out.
    pub(crate) fn into_ranking(self) -> Vec<Total> {
        let mut all: Vec<Total> = self
            .by
            .into_iter()
            .filter(|(_, (_, _, invalid))| !invalid)
            .map(|(iri, (total, deals, _))| Total { iri, total, deals })
            .collect();
        all.sort_by(|a, b| b.total.total_cmp(&a.total).then_with(|| a.iri.cmp(&b.iri)));
        all
    }
}
