//! Answers to SPARQL queries kept until the store's next write.
//!
//! The graph changes only through dealgraph's one door, and every write through it moves the
//! store's generation ([`crate::store::Backend::generation`]); an answer computed at a
//! generation is therefore the answer as long as the generation has not moved. Exploration
//! clients (the UI, notebooks, dashboards) send the same queries again and again, and a kept
//! answer costs a hash lookup instead of an evaluation.
//!
//! What is kept: complete answers only (a failed or cut-off answer never is), each at most
//! [`MAX_ENTRY_BYTES`], within a total byte budget, evicted oldest first. What is never kept:
//! queries whose answer may change without a write (`RAND`, `NOW`, `UUID`, `STRUUID`, `BNODE`,
//! federated `SERVICE`), and anything from a backend that does not count its writes.
//! Writes that bypass dealgraph (a remote engine written to directly, issue 8) are not seen;
//! such a deployment sets the budget to 0.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// The largest answer kept, in bytes: bigger answers are streamed and forgotten.
pub const MAX_ENTRY_BYTES: usize = 1024 * 1024;

/// What an answer is looked up by: the query, its dataset and the client's `Accept`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    pub query: String,
    pub dataset: String,
    pub accept: String,
}

impl Key {
    /// What the key and an answer of `body` bytes count against the budget.
    fn size(&self, body: usize) -> usize {
        body + self.query.len() + self.dataset.len() + self.accept.len()
    }
}

#[derive(Debug)]
struct Entry {
    generation: u64,
    content_type: String,
    body: Bytes,
}

#[derive(Debug, Default)]
struct Kept {
    entries: HashMap<Key, Entry>,
    /// Insertion order, for eviction.
    order: VecDeque<Key>,
    bytes: usize,
}

#[derive(Debug)]
pub struct ResultCache {
    budget: usize,
    kept: Mutex<Kept>,
}

impl ResultCache {
    /// A cache holding at most `budget` bytes of answers; 0 keeps nothing.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            kept: Mutex::new(Kept::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.budget > 0
    }

    /// Whether a query's answer may be kept at all (see the module's notes).
    pub fn may_keep(query: &str) -> bool {
        let upper = query.to_ascii_uppercase();
        !["RAND", "NOW", "UUID", "BNODE", "SERVICE"]
            .iter()
            .any(|word| upper.contains(word))
    }

    /// The kept answer (content type and body) if it was computed at `generation`.
    pub fn get(&self, key: &Key, generation: u64) -> Option<(String, Bytes)> {
        let kept = self.kept.lock().ok()?;
        let entry = kept.entries.get(key)?;
        (entry.generation == generation).then(|| (entry.content_type.clone(), entry.body.clone()))
    }

    /// Keeps an answer computed at `generation`, evicting the oldest to stay within budget.
    pub fn put(&self, key: Key, generation: u64, content_type: String, body: Bytes) {
        let size = key.size(body.len());
        if size > MAX_ENTRY_BYTES || size > self.budget {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if let Some(old) = kept.entries.remove(&key) {
            kept.bytes -= key.size(old.body.len());
            kept.order.retain(|k| k != &key);
        }
        while kept.bytes + size > self.budget {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some(old) = kept.entries.remove(&oldest) {
                kept.bytes -= oldest.size(old.body.len());
            }
        }
        kept.bytes += size;
        kept.order.push_back(key.clone());
        kept.entries.insert(
            key,
            Entry {
                generation,
                content_type,
                body,
            },
        );
    }
}

/// Says that an answer was the kept one (`hit`), computed before this request.
pub const CACHE_HEADER: &str = "x-dealgraph-cache";

/// A kept answer as a response: its content type, and the header that says it was kept.
pub fn kept_response(content_type: &str, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(CACHE_HEADER, HeaderValue::from_static("hit"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(q: &str) -> Key {
        Key {
            query: q.into(),
            dataset: String::new(),
            accept: "*/*".into(),
        }
    }

    #[test]
    fn an_answer_is_kept_for_its_generation_only() {
        let cache = ResultCache::new(1000);
        cache.put(key("ASK {}"), 3, "text/plain".into(), Bytes::from("true"));
        assert_eq!(
            cache.get(&key("ASK {}"), 3),
            Some(("text/plain".into(), Bytes::from("true")))
        );
        assert_eq!(cache.get(&key("ASK {}"), 4), None);
        assert_eq!(cache.get(&key("ASK { ?s ?p ?o }"), 3), None);
    }

    #[test]
    fn the_budget_evicts_the_oldest_and_refuses_what_cannot_fit() {
        let cache = ResultCache::new(100);
        cache.put(key("a"), 1, "t".into(), Bytes::from(vec![b'x'; 40]));
        cache.put(key("b"), 1, "t".into(), Bytes::from(vec![b'x'; 40]));
        cache.put(key("c"), 1, "t".into(), Bytes::from(vec![b'x'; 40]));
        assert_eq!(cache.get(&key("a"), 1), None);
        assert!(cache.get(&key("b"), 1).is_some());
        assert!(cache.get(&key("c"), 1).is_some());
        cache.put(key("d"), 1, "t".into(), Bytes::from(vec![b'x'; 200]));
        assert_eq!(cache.get(&key("d"), 1), None);
        assert!(ResultCache::new(0).get(&key("a"), 1).is_none());
    }

    #[test]
    fn answers_that_change_without_a_write_are_never_kept() {
        assert!(ResultCache::may_keep("SELECT * WHERE { ?s ?p ?o }"));
        for query in [
            "SELECT (rand() AS ?r) {}",
            "SELECT (NOW() AS ?t) {}",
            "SELECT (STRUUID() AS ?u) {}",
            "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
        ] {
            assert!(!ResultCache::may_keep(query), "{query}");
        }
    }
}
