//! The remote backend: an existing SPARQL engine (a cluster, a managed service) reached over
//! the SPARQL 1.1 Protocol. dealgraph keeps no data of its own here: every query goes to the
//! engine, and its answer is parsed as it streams in, so the endpoint's deadline, row limit and
//! truncation signal work as they do over the embedded store, and the views and the search
//! index read the engine through the same [`Backend`] methods.
//!
//! Writes go through dealgraph's one door all the same ([`super::remote_write`]) when an update
//! endpoint is configured; without one, every write is refused. The engine's data is loaded
//! with the engine's own tools, derived graph included (`dealgraph dump` of a store loaded
//! through dealgraph has it).
//!
//! Engines differ; what is handled here:
//! - results are asked for with an `Accept` header (SPARQL results JSON, N-Triples), never an
//!   `output=` parameter, and parsed by the media type the engine answers with;
//! - the query is sent as an HTML form (`query=`), which every engine takes, with
//!   `default-graph-uri`/`named-graph-uri` only when the request names graphs;
//! - an answer cut short mid-stream fails to parse and ends dealgraph's response with an error,
//!   never as a complete answer;
//! - a query's FROM goes as protocol parameters too, and a protocol dataset into the text too;
//! - DESCRIBE goes as a CONSTRUCT of what the embedded store would answer;
//! - Virtuoso's blank node labels and booleans are read back as the embedded store gives them;
//! - the engine's own timeout parameter can be sent with every query.

use super::{
    Backend, GraphTarget, QueryForm, QueryRequest, Stats, StoreError, StoreOptions, WriteOp,
};
use crate::rdf::ParseLimits;
use crate::validate::ValidationReport;
use oxigraph::io::{RdfFormat, RdfParser, RdfSerializer};
use oxigraph::model::{Literal, NamedNode, Quad, Term, Triple};
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, ReaderQueryResultsParserOutput,
};
use oxigraph::sparql::{
    CancellationToken, QueryEvaluationError, QueryResults, QuerySolutionIter, QueryTripleIter,
};
use spargebra::algebra::GraphPattern;
use spargebra::term::{GroundTerm, NamedNodePattern};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How dealgraph proves who it is to the engine.
#[derive(Clone, PartialEq, Eq)]
pub enum RemoteAuth {
    None,
    Basic { user: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for RemoteAuth {
    // Credentials never reach a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { user, .. } => write!(f, "Basic({user}, ****)"),
            Self::Bearer(_) => f.write_str("Bearer(****)"),
        }
    }
}

/// Where the engine answers and how to talk to it.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// The engine's SPARQL query endpoint.
    pub query_url: url::Url,
    /// The engine's SPARQL update endpoint.
    pub update_url: Option<url::Url>,
    /// The engine's Graph Store endpoint for the whole dataset (Oxigraph server's `/store`,
    /// Fuseki's `/DATASET/data`): a write that only adds quads goes there as one POST of
    /// N-Quads, which those engines apply in one transaction. Without it and `update_url`,
    /// every write is refused.
    pub store_url: Option<url::Url>,
    pub auth: RemoteAuth,
    /// The most a request to the engine may take, from connecting to the last byte.
    pub timeout: Duration,
    /// Idle connections kept open to the engine, reused by later requests.
    pub max_idle_connections: usize,
    /// The engine's own query-timeout parameter, sent with every query so that the engine stops
    /// working on an answer dealgraph will no longer read: its name, and whether it counts
    /// milliseconds (Virtuoso, Stardog) or seconds (Fuseki, GraphDB).
    pub timeout_param: Option<TimeoutParam>,
}

/// A query-timeout parameter of the engine's protocol (`--remote-timeout-param NAME:ms|s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeoutParam {
    pub name: String,
    pub milliseconds: bool,
}

impl std::str::FromStr for TimeoutParam {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (name, unit) = text
            .split_once(':')
            .ok_or_else(|| format!("{text:?}: give NAME:ms or NAME:s, e.g. timeout:ms"))?;
        let milliseconds = match unit {
            "ms" => true,
            "s" => false,
            other => return Err(format!("{text:?}: the unit is ms or s, not {other:?}")),
        };
        if name.is_empty() {
            return Err(format!("{text:?}: the parameter has no name"));
        }
        Ok(Self {
            name: name.to_owned(),
            milliseconds,
        })
    }
}

pub struct RemoteStore {
    config: RemoteConfig,
    client: reqwest::blocking::Client,
    pub(super) options: StoreOptions,
    pub(super) limits: ParseLimits,
    /// Serialises the writes of this process: each reads the engine, then sends its change.
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for RemoteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteStore")
            .field("query_url", &self.config.query_url.as_str())
            .finish_non_exhaustive()
    }
}

const RESULTS_ACCEPT: &str = "application/sparql-results+json, application/sparql-results+xml;q=0.9, text/tab-separated-values;q=0.8";
const GRAPH_ACCEPT: &str = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.8";

impl RemoteStore {
    /// Makes the client and asks the engine one question (`ASK {}`), so that a wrong URL or
    /// credentials fail at start-up rather than at the first user's request.
    pub fn open(
        config: RemoteConfig,
        options: StoreOptions,
        limits: ParseLimits,
    ) -> Result<Self, StoreError> {
        let client = reqwest::blocking::Client::builder()
            .timeout(config.timeout)
            .pool_max_idle_per_host(config.max_idle_connections)
            .tcp_nodelay(true)
            // A redirect could lead to an address nobody configured.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StoreError::Remote(format!("making the HTTP client: {e}")))?;
        let store = Self {
            config,
            client,
            options,
            limits,
            write_lock: Mutex::new(()),
        };
        if store.ask("ASK {}")? {
            Ok(store)
        } else {
            Err(StoreError::Remote(format!(
                "{} did not answer ASK {{}} with true",
                store.config.query_url
            )))
        }
    }

    /// The answer of one of our own ASKs.
    fn ask(&self, query: &str) -> Result<bool, StoreError> {
        match self.query(&QueryRequest {
            query: query.to_owned(),
            dataset: super::Dataset::default(),
            cancel: CancellationToken::new(),
        })? {
            QueryResults::Boolean(answer) => Ok(answer),
            _ => Err(StoreError::Remote(format!("{query} gave no boolean"))),
        }
    }

    /// Adds the configured credentials to a request.
    fn authorised(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        match &self.config.auth {
            RemoteAuth::None => request,
            RemoteAuth::Basic { user, password } => request.basic_auth(user, Some(password)),
            RemoteAuth::Bearer(token) => request.bearer_auth(token),
        }
    }

    /// The engine's answer, once its status says it is one; else the engine's own words, as
    /// far as a log line should go.
    fn answer(
        url: &url::Url,
        response: reqwest::blocking::Response,
    ) -> Result<reqwest::blocking::Response, StoreError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let mut text = String::new();
        let _ = response.take(2048).read_to_string(&mut text);
        Err(StoreError::Remote(format!(
            "{url} answered HTTP {status}: {}",
            text.trim()
        )))
    }

    /// Sends a query and returns the engine's answer once its status says it is one.
    fn send(
        &self,
        query: &str,
        dataset: &super::Dataset,
        accept: &str,
    ) -> Result<reqwest::blocking::Response, StoreError> {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("query", query);
        if let Some(param) = &self.config.timeout_param {
            let timeout = self.config.timeout;
            let value = if param.milliseconds {
                timeout.as_millis().to_string()
            } else {
                timeout.as_secs().max(1).to_string()
            };
            form.append_pair(&param.name, &value);
        }
        if dataset.is_unspecified() && dataset.exclude_derived {
            // Every graph but the derived one, as the default graph and as the named graphs.
            let derived = crate::infer::derived_graph();
            for graph in self.named_graphs()? {
                if graph != derived {
                    form.append_pair("default-graph-uri", graph.as_str());
                    form.append_pair("named-graph-uri", graph.as_str());
                }
            }
        } else {
            for graph in &dataset.default_graphs {
                form.append_pair("default-graph-uri", graph.as_str());
            }
            for graph in &dataset.named_graphs {
                form.append_pair("named-graph-uri", graph.as_str());
            }
        }
        let request = self
            .client
            .post(self.config.query_url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, accept)
            .body(form.finish());
        let response = self
            .authorised(request)
            .send()
            .map_err(|e| StoreError::Remote(format!("{}: {e}", self.config.query_url)))?;
        Self::answer(&self.config.query_url, response)
    }

    /// Sends a write's whole change as one SPARQL Update: `DELETE DATA`, then `INSERT DATA`.
    pub(super) fn send_change(&self, removed: &[Quad], added: &[Quad]) -> Result<(), StoreError> {
        if removed.is_empty()
            && !added.is_empty()
            && let Some(url) = &self.config.store_url
        {
            return self.post_quads(url, added);
        }
        let Some(url) = &self.config.update_url else {
            return Err(StoreError::Refused(
                "over a remote engine with a Graph Store endpoint only (--store-url), dealgraph \
                 writes only what adds triples, and this write removes some (a Graph Store \
                 request replaces whole graphs): give the engine's update endpoint as \
                 --update-url"
                    .into(),
            ));
        };
        let mut update = String::new();
        // New blank nodes go in a template with an empty WHERE clause, which makes one node of
        // each label: the same as INSERT DATA, which Virtuoso 7.2 refuses blank nodes in.
        let fresh = added.iter().any(|q| {
            matches!(q.subject, oxigraph::model::NamedOrBlankNode::BlankNode(_))
                || matches!(q.object, oxigraph::model::Term::BlankNode(_))
        });
        let (insert, end) = if fresh {
            ("INSERT", " WHERE {}")
        } else {
            ("INSERT DATA", "")
        };
        // A duration goes out of DELETE DATA: Virtuoso 7.2 cannot make the literal of one it
        // keeps as months, and fails the whole update. Each is removed by a pattern instead,
        // matching its months as Virtuoso gives them or its own lexical form.
        let (durations, removed): (Vec<Quad>, Vec<Quad>) = removed.iter().cloned().partition(
            |q| matches!(&q.object, Term::Literal(l) if l.datatype().as_str() == XSD_DURATION),
        );
        for quad in &durations {
            let Term::Literal(literal) = &quad.object else {
                continue;
            };
            let mut forms = vec![format!("{:?}", literal.value())];
            if let Some(months) = months_of(literal.value()) {
                forms.push(format!("\"{months}\""));
            }
            if !update.is_empty() {
                update.push_str(" ;\n");
            }
            update.push_str(&format!(
                "DELETE {{ GRAPH {g} {{ {s} {p} ?o }} }} WHERE {{ GRAPH {g} {{ {s} {p} ?o \
                 FILTER(DATATYPE(?o) = <{XSD_DURATION}> && STR(?o) IN ({})) }} }}",
                forms.join(", "),
                g = quad.graph_name,
                s = quad.subject,
                p = quad.predicate,
            ));
        }
        for (operation, quads, end) in [("DELETE DATA", &removed[..], ""), (insert, added, end)] {
            if quads.is_empty() {
                continue;
            }
            let mut by_graph: std::collections::BTreeMap<String, Vec<String>> =
                std::collections::BTreeMap::new();
            for quad in quads {
                by_graph
                    .entry(quad.graph_name.to_string())
                    .or_default()
                    .push(format!(
                        "{} {} {} .",
                        quad.subject, quad.predicate, quad.object
                    ));
            }
            if !update.is_empty() {
                update.push_str(" ;\n");
            }
            update.push_str(operation);
            update.push_str(" {\n");
            for (graph, triples) in by_graph {
                update.push_str(&format!("GRAPH {graph} {{\n{}\n}}\n", triples.join("\n")));
            }
            update.push('}');
            update.push_str(end);
        }
        if update.is_empty() {
            return Ok(());
        }
        self.post(url, "application/sparql-update", update.into_bytes())
    }

    /// POSTs a write to the engine; its answer is read only for its status.
    fn post(&self, url: &url::Url, content_type: &str, body: Vec<u8>) -> Result<(), StoreError> {
        let request = self
            .client
            .post(url.clone())
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        let response = self
            .authorised(request)
            .send()
            .map_err(|e| StoreError::Remote(format!("{url}: {e}")))?;
        Self::answer(url, response).map(|_| ())
    }

    /// Adds `quads` to the engine's dataset in one Graph Store POST of N-Quads (blank node
    /// labels name one node each within the document, as in one INSERT).
    fn post_quads(&self, url: &url::Url, quads: &[Quad]) -> Result<(), StoreError> {
        let mut body = Vec::new();
        let mut serializer = RdfSerializer::from_format(RdfFormat::NQuads).for_writer(&mut body);
        for quad in quads {
            serializer
                .serialize_quad(quad)
                .map_err(|e| StoreError::Storage(e.to_string()))?;
        }
        serializer
            .finish()
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        self.post(url, "application/n-quads", body)
    }

    /// The solutions of one of our own SELECTs, under `cancel`.
    pub(super) fn solutions(
        &self,
        query: &str,
        cancel: &CancellationToken,
    ) -> Result<Vec<oxigraph::sparql::QuerySolution>, StoreError> {
        match self.query(&QueryRequest {
            query: query.to_owned(),
            dataset: super::Dataset::default(),
            cancel: cancel.clone(),
        })? {
            QueryResults::Solutions(solutions) => Ok(solutions.collect::<Result<_, _>>()?),
            _ => Err(StoreError::Storage(format!("not a SELECT: {query}"))),
        }
    }

    /// The engine's quads matching a pattern, in the asserted graphs (every named graph but
    /// the derived one) or in the derived graph, at most `limit` of them.
    pub(super) fn quads_matching(
        &self,
        subject: Option<&NamedNode>,
        predicate: Option<&NamedNode>,
        object: Option<&Term>,
        graph: Option<&NamedNode>,
        graphs: super::remote_write::Graphs,
        limit: usize,
    ) -> Result<Vec<Quad>, StoreError> {
        if let Some(Term::BlankNode(_)) = object {
            return Err(StoreError::Refused(
                "a blank node cannot be named across the SPARQL protocol".into(),
            ));
        }
        let mut values = String::new();
        for (variable, term) in [
            ("s", subject.map(|s| s.to_string())),
            ("p", predicate.map(|p| p.to_string())),
            ("o", object.map(|o| o.to_string())),
            ("g", graph.map(|g| g.to_string())),
        ] {
            if let Some(term) = term {
                values.push_str(&format!("VALUES ?{variable} {{ {term} }} "));
            }
        }
        let derived = crate::infer::derived_graph();
        let filter = match graphs {
            super::remote_write::Graphs::Asserted => format!("FILTER(?g != {derived})"),
            super::remote_write::Graphs::Derived => format!("FILTER(?g = {derived})"),
        };
        let limit = if limit == usize::MAX {
            String::new()
        } else {
            format!(" LIMIT {limit}")
        };
        super::select_quads(
            self,
            &format!(
                "SELECT ?s ?p ?o ?g WHERE {{ {values}GRAPH ?g {{ ?s ?p ?o }} {filter} }}{limit}"
            ),
        )
    }

    /// `(term, count)` rows of one of our own counting SELECTs.
    fn counts(&self, query: &str, term: &str) -> Result<Vec<(Option<Term>, usize)>, StoreError> {
        self.solutions(query, &CancellationToken::new())?
            .into_iter()
            .map(|row| Ok((row.get(term).cloned(), count_of(row.get("n"))?)))
            .collect()
    }
}

/// The query with this dataset as its FROM and FROM NAMED clauses.
fn with_dataset(mut query: spargebra::Query, dataset: &super::Dataset) -> spargebra::Query {
    let clauses = Some(spargebra::algebra::QueryDataset {
        default: dataset.default_graphs.clone(),
        named: (!dataset.named_graphs.is_empty()).then(|| dataset.named_graphs.clone()),
    });
    match &mut query {
        spargebra::Query::Select { dataset, .. }
        | spargebra::Query::Ask { dataset, .. }
        | spargebra::Query::Construct { dataset, .. }
        | spargebra::Query::Describe { dataset, .. } => *dataset = clauses,
    }
    query
}

/// How deep a chain of blank nodes a DESCRIBE over an engine follows from each resource.
const DESCRIBE_BLANK_DEPTH: usize = 3;

/// The CONSTRUCT that answers a DESCRIBE as the embedded store does: every triple of each
/// described resource, and those of the blank nodes it leads to (to
/// [`DESCRIBE_BLANK_DEPTH`]), in the query's default graph.
fn describe_as_construct(pattern: &spargebra::algebra::GraphPattern) -> Result<String, StoreError> {
    let spargebra::algebra::GraphPattern::Project { variables, .. } = pattern else {
        return Err(StoreError::Storage(
            "a DESCRIBE whose pattern does not project what it describes".into(),
        ));
    };
    // The described terms, as a subquery without the dataset and base (a subquery takes
    // neither; the dataset goes with the request, the IRIs are resolved already).
    let select = spargebra::Query::Select {
        dataset: None,
        pattern: pattern.clone(),
        base_iri: None,
    };
    let described: Vec<String> = variables
        .iter()
        .map(|v| format!("{{ {{ {select} }} BIND({v} AS ?dg_s) }}"))
        .collect();
    let mut template = String::from("?dg_s ?dg_p0 ?dg_o0 .");
    let mut blanks = String::new();
    for depth in 1..=DESCRIBE_BLANK_DEPTH {
        let (from, to) = (depth - 1, depth);
        template.push_str(&format!(" ?dg_o{from} ?dg_p{to} ?dg_o{to} ."));
        blanks.push_str(&format!(
            " OPTIONAL {{ FILTER(isBlank(?dg_o{from})) ?dg_o{from} ?dg_p{to} ?dg_o{to}"
        ));
    }
    blanks.push_str(&" }".repeat(DESCRIBE_BLANK_DEPTH));
    Ok(format!(
        "CONSTRUCT {{ {template} }} WHERE {{ {{ SELECT DISTINCT ?dg_s WHERE {{ {} }} }} \
         ?dg_s ?dg_p0 ?dg_o0 .{blanks} }}",
        described.join(" UNION ")
    ))
}

/// The value of a COUNT.
fn count_of(term: Option<&Term>) -> Result<usize, StoreError> {
    match term {
        Some(Term::Literal(n)) => n
            .value()
            .parse()
            .map_err(|_| StoreError::Remote(format!("the engine counted {n}"))),
        _ => Err(StoreError::Remote("the engine gave no count".into())),
    }
}

fn media_type(response: &reqwest::blocking::Response) -> String {
    response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(crate::rdf::media_type_essence)
        .unwrap_or_default()
}

/// Virtuoso labels blank nodes `nodeID://b10164` in its JSON results, which is no blank node
/// label (its N-Triples say `_:b10164`), and the parser refuses the whole answer. This reader
/// gives the label back as `b10164`. It matches the whole of Virtuoso's way of writing a blank
/// node binding, quotes and all, which no literal's text can contain (its quotes would be
/// escaped); any other answer passes through unchanged.
struct VirtuosoBlankNodes<R> {
    inner: R,
    /// Bytes read and not yet looked at, short of a whole pattern.
    carry: Vec<u8>,
    /// Bytes ready to hand out.
    ready: std::collections::VecDeque<u8>,
    done: bool,
}

const VIRTUOSO_BNODE: &[u8] = b"\"type\": \"bnode\", \"value\": \"nodeID://";
const PLAIN_BNODE: &[u8] = b"\"type\": \"bnode\", \"value\": \"";

impl<R: Read> VirtuosoBlankNodes<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            carry: Vec::new(),
            ready: std::collections::VecDeque::new(),
            done: false,
        }
    }

    /// Moves what can no longer be the start of a pattern from `carry` to `ready`.
    fn settle(&mut self, everything: bool) {
        let mut start = 0;
        let mut i = 0;
        while i + VIRTUOSO_BNODE.len() <= self.carry.len() {
            if self.carry[i..].starts_with(VIRTUOSO_BNODE) {
                self.ready.extend(&self.carry[start..i]);
                self.ready.extend(PLAIN_BNODE);
                i += VIRTUOSO_BNODE.len();
                start = i;
            } else {
                i += 1;
            }
        }
        let keep = if everything {
            self.carry.len()
        } else {
            start.max(self.carry.len().saturating_sub(VIRTUOSO_BNODE.len() - 1))
        };
        self.ready.extend(&self.carry[start..keep]);
        self.carry.drain(..keep);
    }
}

impl<R: Read> Read for VirtuosoBlankNodes<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.ready.is_empty() && !self.done {
            let mut chunk = [0u8; 16 * 1024];
            let n = self.inner.read(&mut chunk)?;
            self.done = n == 0;
            self.carry.extend_from_slice(&chunk[..n]);
            self.settle(self.done);
        }
        let n = out.len().min(self.ready.len());
        for (slot, byte) in out.iter_mut().zip(self.ready.drain(..n)) {
            *slot = byte;
        }
        Ok(n)
    }
}

const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";

const XSD_DURATION: &str = "http://www.w3.org/2001/XMLSchema#duration";

/// The number of months of a duration of years and months only (`P5Y`, `P1Y6M`, `P60M`).
fn months_of(duration: &str) -> Option<u64> {
    let rest = duration.strip_prefix('P')?;
    if rest.is_empty() || rest.contains('T') || rest.contains('D') {
        return None;
    }
    let (mut months, mut number) = (0u64, String::new());
    for c in rest.chars() {
        match c {
            '0'..='9' => number.push(c),
            'Y' => months += number.parse::<u64>().ok()?.checked_mul(12)?,
            'M' => months += number.parse::<u64>().ok()?,
            _ => return None,
        }
        if !c.is_ascii_digit() {
            number.clear();
        }
    }
    number.is_empty().then_some(months)
}

/// A term as dealgraph's own store would give it. Virtuoso keeps booleans as integers and gives
/// back `"1"^^xsd:boolean`: a valid form, but not the canonical `"true"` the data holds. It
/// keeps an `xsd:duration` as its number of months and gives back `"60"^^xsd:duration`, not a
/// duration at all: read as `"P60M"`, the same length of time as the `"P5Y"` that was written.
fn canonical(term: Term) -> Term {
    match &term {
        Term::Literal(l) if l.datatype().as_str() == XSD_BOOLEAN => match l.value() {
            "1" => Literal::new_typed_literal("true", l.datatype()).into(),
            "0" => Literal::new_typed_literal("false", l.datatype()).into(),
            _ => term,
        },
        Term::Literal(l)
            if l.datatype().as_str() == XSD_DURATION
                && !l.value().is_empty()
                && l.value().bytes().all(|b| b.is_ascii_digit()) =>
        {
            Literal::new_typed_literal(format!("P{}M", l.value()), l.datatype()).into()
        }
        _ => term,
    }
}

impl RemoteStore {
    /// Resolves the query's SERVICE clauses before it goes to the engine (see `query`);
    /// returns whether the query changed.
    fn resolve_services(&self, query: &mut spargebra::Query) -> Result<bool, StoreError> {
        let (spargebra::Query::Select { pattern, .. }
        | spargebra::Query::Ask { pattern, .. }
        | spargebra::Query::Construct { pattern, .. }
        | spargebra::Query::Describe { pattern, .. }) = query;
        let mut changed = false;
        self.resolve_in(pattern, &mut changed)?;
        Ok(changed)
    }

    fn resolve_in(&self, pattern: &mut GraphPattern, changed: &mut bool) -> Result<(), StoreError> {
        // A SERVICE inside an expression (FILTER EXISTS) cannot be resolved on its own.
        let in_expression = |e: &spargebra::algebra::Expression| -> Result<(), StoreError> {
            if exists_with_service(e) {
                return Err(StoreError::Refused(
                    "over a remote engine, a SERVICE inside FILTER EXISTS or NOT EXISTS is not \
                     forwarded; write it as a pattern of its own"
                        .into(),
                ));
            }
            Ok(())
        };
        match pattern {
            GraphPattern::Service { name, inner, .. } => {
                let NamedNodePattern::NamedNode(name) = name else {
                    return Err(StoreError::Refused(
                        "over a remote engine, a SERVICE named by a variable is not forwarded"
                            .into(),
                    ));
                };
                if *name == crate::search::service_name() {
                    *pattern = self.search_as_values(inner)?;
                    *changed = true;
                } else {
                    self.options.fetcher.check("SERVICE", name.as_str())?;
                }
            }
            GraphPattern::Join { left, right }
            | GraphPattern::Lateral { left, right }
            | GraphPattern::Union { left, right }
            | GraphPattern::Minus { left, right } => {
                self.resolve_in(left, changed)?;
                self.resolve_in(right, changed)?;
            }
            GraphPattern::LeftJoin {
                left,
                right,
                expression,
            } => {
                if let Some(e) = expression {
                    in_expression(e)?;
                }
                self.resolve_in(left, changed)?;
                self.resolve_in(right, changed)?;
            }
            GraphPattern::Filter { expr, inner } => {
                in_expression(expr)?;
                self.resolve_in(inner, changed)?;
            }
            GraphPattern::Extend {
                inner, expression, ..
            } => {
                in_expression(expression)?;
                self.resolve_in(inner, changed)?;
            }
            GraphPattern::OrderBy { inner, expression } => {
                for e in expression.iter() {
                    let (spargebra::algebra::OrderExpression::Asc(e)
                    | spargebra::algebra::OrderExpression::Desc(e)) = e;
                    in_expression(e)?;
                }
                self.resolve_in(inner, changed)?;
            }
            GraphPattern::Graph { inner, .. }
            | GraphPattern::Project { inner, .. }
            | GraphPattern::Distinct { inner }
            | GraphPattern::Reduced { inner }
            | GraphPattern::Slice { inner, .. }
            | GraphPattern::Group { inner, .. } => self.resolve_in(inner, changed)?,
            GraphPattern::Bgp { .. } | GraphPattern::Path { .. } | GraphPattern::Values { .. } => {}
        }
        Ok(())
    }

    /// The hits of a search SERVICE block, as the VALUES that stand for it: the block is
    /// evaluated before it is joined (its text is written in it), so the two are the same.
    fn search_as_values(&self, inner: &GraphPattern) -> Result<GraphPattern, StoreError> {
        use oxigraph::sparql::ServiceHandler;
        let Some(service) = &self.options.search else {
            return Err(StoreError::Storage(
                "the search SERVICE is not bound".into(),
            ));
        };
        let solutions = service.handle(inner, None).map_err(StoreError::from)?;
        let variables = solutions.variables().to_vec();
        let mut bindings = Vec::new();
        for solution in solutions {
            let solution = solution.map_err(StoreError::from)?;
            bindings.push(
                variables
                    .iter()
                    .map(|v| match solution.get(v) {
                        Some(Term::NamedNode(n)) => Some(GroundTerm::NamedNode(n.clone())),
                        Some(Term::Literal(l)) => Some(GroundTerm::Literal(l.clone())),
                        _ => None,
                    })
                    .collect(),
            );
        }
        Ok(GraphPattern::Values {
            variables,
            bindings,
        })
    }
}

/// Whether an expression holds an EXISTS whose pattern calls a SERVICE (a string literal that
/// merely says "SERVICE" outside an EXISTS does not count).
fn exists_with_service(e: &spargebra::algebra::Expression) -> bool {
    use spargebra::algebra::Expression as E;
    match e {
        E::Exists(pattern) => pattern.to_string().contains("SERVICE "),
        E::Or(a, b)
        | E::And(a, b)
        | E::Equal(a, b)
        | E::SameTerm(a, b)
        | E::Greater(a, b)
        | E::GreaterOrEqual(a, b)
        | E::Less(a, b)
        | E::LessOrEqual(a, b)
        | E::Add(a, b)
        | E::Subtract(a, b)
        | E::Multiply(a, b)
        | E::Divide(a, b) => exists_with_service(a) || exists_with_service(b),
        E::In(a, list) => exists_with_service(a) || list.iter().any(exists_with_service),
        E::UnaryPlus(a) | E::UnaryMinus(a) | E::Not(a) => exists_with_service(a),
        E::If(a, b, c) => [a, b, c].iter().any(|x| exists_with_service(x)),
        E::Coalesce(list) | E::FunctionCall(_, list) => list.iter().any(exists_with_service),
        E::NamedNode(_) | E::Literal(_) | E::Variable(_) | E::Bound(_) => false,
    }
}

/// A failure of the engine's answer once it has started (the engine stopped or the connection
/// broke), as the query evaluation errors our callers handle.
fn remote_error(url: &str, e: impl std::fmt::Display) -> QueryEvaluationError {
    QueryEvaluationError::Service(Box::new(StoreError::Remote(format!(
        "{url}: the engine's answer broke off: {e}"
    ))))
}

impl Backend for RemoteStore {
    fn query_form(&self, query: &str) -> Result<QueryForm, StoreError> {
        Ok(super::form_of(&super::parse_query(query, self.limits)?))
    }

    fn query(&self, request: &QueryRequest) -> Result<QueryResults<'static>, StoreError> {
        // Parsed here first: a syntax error is the user's 400 with its position, whatever
        // the engine would have said.
        let mut parsed = super::parse_query(&request.query, self.limits)?;
        let form = super::form_of(&parsed);
        // dealgraph's own search SERVICE is answered here and goes to the engine as the VALUES
        // of its hits; another SERVICE goes to the engine only if its host is allowed, as the
        // embedded store would call only those.
        let resolved = self.resolve_services(&mut parsed)?;
        let (spargebra::Query::Select {
            dataset: in_text, ..
        }
        | spargebra::Query::Ask {
            dataset: in_text, ..
        }
        | spargebra::Query::Construct {
            dataset: in_text, ..
        }
        | spargebra::Query::Describe {
            dataset: in_text, ..
        }) = &parsed;
        let accept = if form.returns_graph() {
            GRAPH_ACCEPT
        } else {
            RESULTS_ACCEPT
        };
        // FROM and FROM NAMED are repeated as protocol parameters: an engine that presents the
        // union of its graphs as the default graph may let that override the query's own
        // dataset (Oxigraph server 0.5 with --union-default-graph does), never the protocol's.
        let mut dataset = request.dataset.clone();
        if dataset.is_unspecified()
            && let Some(in_text) = in_text
        {
            dataset.default_graphs = in_text.default.clone();
            dataset.named_graphs = in_text.named.clone().unwrap_or_default();
        }
        // Engines describe differently (a concise bounded description, its symmetric form,
        // or only the subject's triples): DESCRIBE goes as the CONSTRUCT of what dealgraph's own
        // store answers, so the answer does not depend on the engine.
        let text = match &parsed {
            spargebra::Query::Describe { pattern, .. } => describe_as_construct(pattern)?,
            // A dataset given only as protocol parameters goes into the text as well, for the
            // engines that take no default-graph-uri.
            _ if in_text.is_none() && !request.dataset.is_unspecified() => {
                with_dataset(parsed.clone(), &request.dataset).to_string()
            }
            _ if resolved => parsed.to_string(),
            _ => request.query.clone(),
        };
        let started = std::time::Instant::now();
        let response = self.send(&text, &dataset, accept)?;
        tracing::debug!(
            ms = started.elapsed().as_secs_f64() * 1000.0,
            query = %request.query.chars().take(200).collect::<String>(),
            "the engine answered"
        );
        let media_type = media_type(&response);
        let url = self.config.query_url.to_string();
        let cancel = request.cancel.clone();
        let stopped = move || cancel.is_cancelled();
        if form.returns_graph() {
            let format = RdfFormat::from_media_type(&media_type).ok_or_else(|| {
                StoreError::Remote(format!(
                    "the engine answered a graph as {media_type:?}, not an RDF format"
                ))
            })?;
            let triples = RdfParser::from_format(format)
                .for_reader(response)
                .map(move |quad| {
                    if stopped() {
                        return Err(QueryEvaluationError::Cancelled);
                    }
                    quad.map(|q| {
                        let triple = Triple::from(q);
                        Triple::new(triple.subject, triple.predicate, canonical(triple.object))
                    })
                    .map_err(|e| remote_error(&url, e))
                });
            return Ok(QueryResults::Graph(QueryTripleIter::new(triples)));
        }
        let format = QueryResultsFormat::from_media_type(&media_type).ok_or_else(|| {
            StoreError::Remote(format!(
                "the engine answered as {media_type:?}, not a SPARQL results format"
            ))
        })?;
        match QueryResultsParser::from_format(format)
            .for_reader(VirtuosoBlankNodes::new(response))
            .map_err(|e| StoreError::Remote(format!("{url}: the engine's answer: {e}")))?
        {
            ReaderQueryResultsParserOutput::Boolean(value) => Ok(QueryResults::Boolean(value)),
            ReaderQueryResultsParserOutput::Solutions(solutions) => {
                let variables: Arc<[_]> = solutions.variables().into();
                let per_row = Arc::clone(&variables);
                Ok(QueryResults::Solutions(QuerySolutionIter::new(
                    variables,
                    solutions.map(move |solution| {
                        if stopped() {
                            return Err(QueryEvaluationError::Cancelled);
                        }
                        let solution = solution.map_err(|e| remote_error(&url, e))?;
                        let values: Vec<Option<Term>> = solution
                            .values()
                            .iter()
                            .cloned()
                            .map(|v| v.map(canonical))
                            .collect();
                        Ok((Arc::clone(&per_row), values).into())
                    }),
                )))
            }
        }
    }

    fn write(&self, op: WriteOp) -> Result<super::WriteOutcome, StoreError> {
        if self.config.update_url.is_none() && self.config.store_url.is_none() {
            return Err(read_only());
        }
        let _guard = self
            .write_lock
            .lock()
            .map_err(|_| StoreError::Storage("a previous write panicked".into()))?;
        Ok(self.write_through(op, true)?.0)
    }

    fn check(&self, op: WriteOp) -> Result<ValidationReport, StoreError> {
        match self.write_through(op, false) {
            Ok((_, report)) => Ok(report),
            Err(StoreError::Invalid(report)) => Ok(*report),
            Err(other) => Err(other),
        }
    }

    fn bulk_load(
        &self,
        _input: &mut dyn Read,
        _format: RdfFormat,
        _graph: &NamedNode,
        _keep_named_graphs: bool,
        _on_progress: Arc<dyn Fn(u64) + Send + Sync>,
    ) -> Result<u64, StoreError> {
        Err(StoreError::Refused(
            "a bulk load goes to the engine through its own loader, with the derived graph \
             that `dealgraph load --bulk` computes into an embedded store and `dealgraph dump` \
             writes out"
                .into(),
        ))
    }

    fn graph_exists(&self, graph: &GraphTarget) -> Result<bool, StoreError> {
        let GraphTarget::Named(name) = graph else {
            return Ok(true);
        };
        // Over the protocol a graph exists when it holds a triple: engines differ on empty ones.
        self.ask(&format!("ASK {{ GRAPH {name} {{ ?s ?p ?o }} }}"))
    }

    fn dump(
        &self,
        graph: Option<&GraphTarget>,
        format: RdfFormat,
        out: &mut dyn Write,
    ) -> Result<(), StoreError> {
        let query = match graph {
            Some(GraphTarget::Named(name)) => {
                format!("SELECT ?s ?p ?o WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}")
            }
            // The default graph as the engine has it: its own triples, or the union of its
            // graphs, as the engine is configured.
            Some(GraphTarget::Default) => "SELECT ?s ?p ?o WHERE { ?s ?p ?o }".to_owned(),
            None => "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }".to_owned(),
        };
        let QueryResults::Solutions(rows) = self.query(&QueryRequest {
            query,
            dataset: super::Dataset::default(),
            cancel: CancellationToken::new(),
        })?
        else {
            return Err(StoreError::Storage("a dump query is not a SELECT".into()));
        };
        let mut writer = RdfSerializer::from_format(format).for_writer(out);
        for row in rows {
            let row = row?;
            let subject: oxigraph::model::NamedOrBlankNode = match row.get("s") {
                Some(Term::NamedNode(n)) => n.clone().into(),
                Some(Term::BlankNode(b)) => b.clone().into(),
                _ => continue,
            };
            let (Some(Term::NamedNode(p)), Some(o)) = (row.get("p"), row.get("o")) else {
                continue;
            };
            let graph_name = match row.get("g") {
                Some(Term::NamedNode(g)) => g.clone().into(),
                _ => oxigraph::model::GraphName::DefaultGraph,
            };
            writer
                .serialize_quad(&Quad::new(subject, p.clone(), o.clone(), graph_name))
                .map_err(|e| StoreError::Storage(e.to_string()))?;
        }
        writer
            .finish()
            .map_err(|e| StoreError::Storage(e.to_string()))?;
        Ok(())
    }

    fn len(&self) -> Result<usize, StoreError> {
        let rows = self.counts(
            "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
            "n",
        )?;
        Ok(rows.first().map_or(0, |(_, n)| *n))
    }

    fn is_empty(&self) -> Result<bool, StoreError> {
        // An ASK, not a count: `/ready` asks this of a store that may hold billions of triples.
        Ok(!self.ask("ASK { GRAPH ?g { ?s ?p ?o } }")?)
    }

    fn named_graphs(&self) -> Result<Vec<NamedNode>, StoreError> {
        let mut graphs: Vec<NamedNode> = self
            .solutions(
                "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                &CancellationToken::new(),
            )?
            .into_iter()
            .filter_map(|row| match row.get("g") {
                Some(Term::NamedNode(g)) => Some(g.clone()),
                _ => None,
            })
            .collect();
        graphs.sort();
        Ok(graphs)
    }

    fn stats(&self, top: usize) -> Result<Stats, StoreError> {
        let named = |rows: Vec<(Option<Term>, usize)>| -> Vec<(NamedNode, usize)> {
            rows.into_iter()
                .filter_map(|(term, n)| match term {
                    Some(Term::NamedNode(t)) => Some((t, n)),
                    _ => None,
                })
                .collect()
        };
        let graphs = named(self.counts(
            "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
            "g",
        )?);
        // No LIMIT for "all": Virtuoso reads a LIMIT past 2^63 as negative and fails.
        let limit = if top > i32::MAX as usize {
            String::new()
        } else {
            format!(" LIMIT {top}")
        };
        let classes = named(self.counts(
            &format!(
                "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s a ?c }} }} \
                 GROUP BY ?c ORDER BY DESC(?n) ?c{limit}"
            ),
            "c",
        )?);
        let predicates = named(self.counts(
            &format!(
                "SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} \
                 GROUP BY ?p ORDER BY DESC(?n) ?p{limit}"
            ),
            "p",
        )?);
        Ok(Stats {
            triples: graphs.iter().map(|(_, n)| n).sum(),
            graphs: graphs.into_iter().map(|(g, n)| (Some(g), n)).collect(),
            classes,
            predicates,
        })
    }
}

fn read_only() -> StoreError {
    StoreError::Refused(
        "this dealgraph reads a remote SPARQL engine and was given neither an update endpoint \
         (--update-url) nor a Graph Store endpoint (--store-url): it does not write"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::{VirtuosoBlankNodes, canonical};
    use oxigraph::model::{Literal, NamedNode, Term};
    use std::io::Read;

    #[test]
    fn only_a_service_inside_exists_counts() {
        let filter = |query: &str| match spargebra::SparqlParser::new().parse_query(query) {
            Ok(spargebra::Query::Select { pattern, .. }) => {
                fn first(
                    p: &spargebra::algebra::GraphPattern,
                ) -> Option<spargebra::algebra::Expression> {
                    use spargebra::algebra::GraphPattern as G;
                    match p {
                        G::Filter { expr, .. } => Some(expr.clone()),
                        G::Project { inner, .. } | G::Distinct { inner } => first(inner),
                        _ => None,
                    }
                }
                first(&pattern).expect("a FILTER")
            }
            other => panic!("{other:?}"),
        };
        for (query, counts) in [
            (
                "SELECT * WHERE { ?s ?p ?o FILTER(CONTAINS(STR(?o), \"SERVICE\")) }",
                false,
            ),
            (
                "SELECT * WHERE { ?s ?p ?o FILTER(?o = \"SERVICE <x>\") }",
                false,
            ),
            (
                "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { ?s ?p ?o } }",
                false,
            ),
            (
                "SELECT * WHERE { ?s ?p ?o FILTER(!EXISTS { SERVICE <http://e/s> { ?s ?p ?o } }) }",
                true,
            ),
        ] {
            assert_eq!(
                super::exists_with_service(&filter(query)),
                counts,
                "{query}"
            );
        }
    }

    #[test]
    fn the_months_of_a_duration_of_years_and_months() {
        for (duration, months) in [
            ("P5Y", Some(60)),
            ("P1Y6M", Some(18)),
            ("P60M", Some(60)),
            ("P0M", Some(0)),
            ("P1D", None),
            ("PT1H", None),
            ("P", None),
            ("P5", None),
            ("5Y", None),
        ] {
            assert_eq!(super::months_of(duration), months, "{duration}");
        }
    }

    #[test]
    fn virtuoso_booleans_and_durations_read_back_as_valid_forms() {
        let typed = |value: &str, datatype: &str| -> Term {
            Literal::new_typed_literal(value, NamedNode::new_unchecked(datatype)).into()
        };
        let boolean = "http://www.w3.org/2001/XMLSchema#boolean";
        let duration = "http://www.w3.org/2001/XMLSchema#duration";
        for (given, expected) in [
            (typed("1", boolean), typed("true", boolean)),
            (typed("0", boolean), typed("false", boolean)),
            (typed("true", boolean), typed("true", boolean)),
            (typed("60", duration), typed("P60M", duration)),
            (typed("P5Y", duration), typed("P5Y", duration)),
            (typed("", duration), typed("", duration)),
            (
                typed("60", "http://www.w3.org/2001/XMLSchema#integer"),
                typed("60", "http://www.w3.org/2001/XMLSchema#integer"),
            ),
        ] {
            assert_eq!(canonical(given.clone()), expected, "{given}");
        }
    }

    /// A reader that hands out one byte at a time, so that the pattern straddles every read.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), out.first_mut()) {
                (Some((first, rest)), Some(slot)) => {
                    *slot = *first;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn virtuoso_blank_node_labels_become_labels_and_nothing_else_changes() {
        let answer = r#"{ "s": { "type": "bnode", "value": "nodeID://b10164" }, "o": { "type": "literal", "value": "nodeID://b1 \"type\": \"bnode\", \"value\": \"nodeID://" }, "b": { "type": "bnode", "value": "nodeID://b2" } }"#;
        let expected = r#"{ "s": { "type": "bnode", "value": "b10164" }, "o": { "type": "literal", "value": "nodeID://b1 \"type\": \"bnode\", \"value\": \"nodeID://" }, "b": { "type": "bnode", "value": "b2" } }"#;
        for whole in [true, false] {
            let mut out = String::new();
            if whole {
                VirtuosoBlankNodes::new(answer.as_bytes())
                    .read_to_string(&mut out)
                    .unwrap();
            } else {
                VirtuosoBlankNodes::new(Trickle(answer.as_bytes()))
                    .read_to_string(&mut out)
                    .unwrap();
            }
            assert_eq!(out, expected);
        }
    }
}
