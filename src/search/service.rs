//! The search index from SPARQL, as a local SERVICE:
//!
//! ```sparql
//! PREFIX search: <https://w3id.org/dealgraph/search#>
//! SELECT ?e ?label ?score WHERE {
//!   SERVICE <https://w3id.org/dealgraph/search> {
//!     ?e search:matches "corew" ; search:label ?label ; search:score ?score .
//!   }
//! }
//! ```
//!
//! Inside the block, every triple has the same subject variable: `search:matches` (a literal,
//! required) is the text; `search:type` (an IRI or a local name, any number) and `search:limit`
//! (an integer) narrow it; `search:score`, `search:label` and `search:matched` bind variables.
//! oxigraph evaluates a SERVICE block before joining it, so the text must be written in the
//! block, not bound outside it.

use super::{DEFAULT_LIMIT, MAX_LIMIT, SearchIndex, SearchRequest};
use crate::store::{NAMESPACE, StoreError};
use oxigraph::model::{Literal, NamedNode, Term};
use oxigraph::sparql::{QueryEvaluationError, QuerySolutionIter, ServiceHandler, Variable};
use oxiri::Iri;
use spargebra::algebra::GraphPattern;
use spargebra::term::{NamedNodePattern, TermPattern};
use std::sync::{Arc, RwLock};

/// The namespace of the SERVICE's properties.
pub const SEARCH_NS: &str = "https://w3id.org/dealgraph/search#";

/// The SERVICE IRI that searches the index.
pub fn service_name() -> NamedNode {
    NamedNode::new_unchecked(format!("{NAMESPACE}search"))
}

/// The handler the store's evaluator gets for [`service_name`]. It is made before the index
/// (the store is opened first) and bound to it once the index is open.
#[derive(Debug, Clone, Default)]
pub struct SearchService(Arc<RwLock<Option<Arc<SearchIndex>>>>);

impl SearchService {
    pub fn bind(&self, index: Arc<SearchIndex>) {
        if let Ok(mut bound) = self.0.write() {
            *bound = Some(index);
        }
    }

    /// Lets go of the index (and so of its writer's lock on its directory).
    pub fn unbind(&self) {
        if let Ok(mut bound) = self.0.write() {
            *bound = None;
        }
    }
}

fn refuse(message: impl Into<String>) -> QueryEvaluationError {
    QueryEvaluationError::Service(Box::new(StoreError::BadRequest(format!(
        "SERVICE <{}>: {}",
        service_name().as_str(),
        message.into()
    ))))
}

impl ServiceHandler for SearchService {
    type Error = QueryEvaluationError;

    fn handle(
        &self,
        pattern: &GraphPattern,
        _base_iri: Option<&Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, Self::Error> {
        let usage = "write `?e search:matches \"text\"` (with search: = <https://w3id.org/dealgraph/search#>), \
                     optionally with search:type, search:limit, search:score ?s, search:label ?l, search:matched ?m";
        let GraphPattern::Bgp { patterns } = pattern else {
            return Err(refuse(format!("expects triple patterns only; {usage}")));
        };
        let mut subject: Option<&Variable> = None;
        let mut text: Option<String> = None;
        let mut request = SearchRequest {
            limit: DEFAULT_LIMIT,
            ..SearchRequest::default()
        };
        let (mut score, mut label, mut matched) = (None, None, None);
        for triple in patterns {
            let TermPattern::Variable(s) = &triple.subject else {
                return Err(refuse(format!("the subject must be a variable; {usage}")));
            };
            if subject.is_some_and(|v| v != s) {
                return Err(refuse(format!(
                    "every triple must have the same subject; {usage}"
                )));
            }
            subject = Some(s);
            let NamedNodePattern::NamedNode(p) = &triple.predicate else {
                return Err(refuse(format!(
                    "the predicate must be a search: property; {usage}"
                )));
            };
            let name = p.as_str().strip_prefix(SEARCH_NS).unwrap_or_default();
            match (name, &triple.object) {
                ("matches", TermPattern::Literal(l)) => text = Some(l.value().to_owned()),
                ("type", TermPattern::Literal(l)) => request.types.push(l.value().to_owned()),
                ("type", TermPattern::NamedNode(n)) => request.types.push(n.as_str().to_owned()),
                ("limit", TermPattern::Literal(l)) => {
                    request.limit = l
                        .value()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| {
                            refuse(format!(
                                "search:limit must be an integer from 1 to {MAX_LIMIT}"
                            ))
                        })?;
                }
                ("score", TermPattern::Variable(v)) => score = Some(v.clone()),
                ("label", TermPattern::Variable(v)) => label = Some(v.clone()),
                ("matched", TermPattern::Variable(v)) => matched = Some(v.clone()),
                _ => {
                    return Err(refuse(format!(
                        "cannot use <{}> with {}; {usage}",
                        p.as_str(),
                        triple.object
                    )));
                }
            }
        }
        let (Some(subject), Some(text)) = (subject, text) else {
            return Err(refuse(format!("no search:matches; {usage}")));
        };
        request.text = text;
        let index = self
            .0
            .read()
            .ok()
            .and_then(|bound| bound.clone())
            .ok_or_else(|| refuse("the search index is not open yet"))?;
        let results = index
            .search(&request)
            .map_err(|e| QueryEvaluationError::Service(Box::new(e)))?;
        let mut variables = vec![subject.clone()];
        variables.extend(score.iter().cloned());
        variables.extend(label.iter().cloned());
        variables.extend(matched.iter().cloned());
        let rows: Vec<Result<Vec<Option<Term>>, QueryEvaluationError>> = results
            .hits
            .into_iter()
            .map(|hit| {
                let mut row = vec![Some(NamedNode::new_unchecked(hit.iri).into())];
                if score.is_some() {
                    row.push(Some(Literal::from(f64::from(hit.score)).into()));
                }
                if label.is_some() {
                    row.push(Some(Literal::new_simple_literal(hit.label).into()));
                }
                if matched.is_some() {
                    row.push(Some(Literal::new_simple_literal(hit.matched).into()));
                }
                Ok(row)
            })
            .collect();
        Ok(QuerySolutionIter::from_tuples(variables.into(), rows))
    }
}
