//! The only way a request can make the server call the network: SPARQL `LOAD` and `SERVICE`.
//!
//! Both are refused unless the IRI's host is in the configured allow-list; `file:` and every
//! scheme but `http` are refused whatever the list says, and redirects are not followed (a
//! redirect could lead off the list). Bodies are read up to a size limit, with a timeout.

use crate::store::StoreError;
use oxigraph::model::NamedNode;
use oxigraph::sparql::results::{
    QueryResultsFormat, QueryResultsParser, ReaderQueryResultsParserOutput,
};
use oxigraph::sparql::{DefaultServiceHandler, QueryEvaluationError, QuerySolutionIter};
use oxiri::Iri;
use spargebra::algebra::GraphPattern;
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// Allow-listed HTTP access. The default allows nothing.
#[derive(Debug, Clone)]
pub struct Fetcher {
    allowed_hosts: Vec<String>,
    timeout: Duration,
    max_bytes: u64,
}

impl Default for Fetcher {
    fn default() -> Self {
        Self::new(Vec::new(), Duration::from_secs(30), 64 * 1024 * 1024)
    }
}

impl Fetcher {
    /// `allowed_hosts` are host names or `host:port` pairs compared case-insensitively.
    pub fn new(allowed_hosts: Vec<String>, timeout: Duration, max_bytes: u64) -> Self {
        Self {
            allowed_hosts: allowed_hosts
                .into_iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .filter(|h| !h.is_empty())
                .collect(),
            timeout,
            max_bytes,
        }
    }

    pub fn allows_nothing(&self) -> bool {
        self.allowed_hosts.is_empty()
    }

    /// Checks that `iri` may be fetched, naming `what` (LOAD, SERVICE) in the refusal.
    pub fn check(&self, what: &str, iri: &str) -> Result<url::Url, StoreError> {
        let url = url::Url::parse(iri)
            .map_err(|e| StoreError::Refused(format!("{what} <{iri}> is not a valid URL: {e}")))?;
        if url.scheme() != "http" {
            return Err(StoreError::Refused(format!(
                "{what} <{iri}> is refused: only http: IRIs can be fetched, never {}:",
                url.scheme()
            )));
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let with_port = url
            .port()
            .map_or_else(|| host.clone(), |port| format!("{host}:{port}"));
        if self
            .allowed_hosts
            .iter()
            .any(|h| *h == host || *h == with_port)
        {
            Ok(url)
        } else if self.allows_nothing() {
            Err(StoreError::Refused(format!(
                "{what} <{iri}> is refused: this server calls no remote address \
                 (start it with --allow-remote-host to allow some)"
            )))
        } else {
            Err(StoreError::Refused(format!(
                "{what} <{iri}> is refused: host {with_port} is not in the allow-list"
            )))
        }
    }

    fn client(&self) -> Result<reqwest::blocking::Client, StoreError> {
        reqwest::blocking::Client::builder()
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| StoreError::Remote(e.to_string()))
    }

    /// GETs an allowed document; returns its media type (without parameters) and body.
    pub fn get(
        &self,
        what: &str,
        iri: &str,
        accept: &str,
    ) -> Result<(String, Vec<u8>), StoreError> {
        let url = self.check(what, iri)?;
        let response = self
            .client()?
            .get(url)
            .header(reqwest::header::ACCEPT, accept)
            .send()
            .map_err(|e| StoreError::Remote(format!("{what} <{iri}>: {e}")))?;
        self.read_response(what, iri, response)
    }

    /// POSTs a SPARQL query to an allowed endpoint.
    pub fn post_query(&self, iri: &str, query: String) -> Result<(String, Vec<u8>), StoreError> {
        let url = self.check("SERVICE", iri)?;
        let response = self
            .client()?
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/sparql-query")
            .header(
                reqwest::header::ACCEPT,
                "application/sparql-results+json, application/sparql-results+xml;q=0.9",
            )
            .body(query)
            .send()
            .map_err(|e| StoreError::Remote(format!("SERVICE <{iri}>: {e}")))?;
        self.read_response("SERVICE", iri, response)
    }

    fn read_response(
        &self,
        what: &str,
        iri: &str,
        response: reqwest::blocking::Response,
    ) -> Result<(String, Vec<u8>), StoreError> {
        let status = response.status();
        if !status.is_success() {
            return Err(StoreError::Remote(format!(
                "{what} <{iri}> answered HTTP {status}"
            )));
        }
        let media_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(crate::rdf::media_type_essence)
            .unwrap_or_default();
        let mut body = Vec::new();
        response
            .take(self.max_bytes + 1)
            .read_to_end(&mut body)
            .map_err(|e| StoreError::Remote(format!("{what} <{iri}>: {e}")))?;
        if body.len() as u64 > self.max_bytes {
            return Err(StoreError::Refused(format!(
                "{what} <{iri}> returned more than {} bytes",
                self.max_bytes
            )));
        }
        Ok((media_type, body))
    }
}

/// Evaluates `SERVICE` calls through the [`Fetcher`], so they obey its allow-list.
#[derive(Debug, Clone)]
pub struct AllowListServiceHandler(pub Arc<Fetcher>);

impl DefaultServiceHandler for AllowListServiceHandler {
    type Error = QueryEvaluationError;

    fn handle(
        &self,
        service_name: &NamedNode,
        pattern: &GraphPattern,
        base_iri: Option<&Iri<String>>,
    ) -> Result<QuerySolutionIter<'static>, Self::Error> {
        let query = spargebra::Query::Select {
            dataset: None,
            pattern: pattern.clone(),
            base_iri: base_iri.cloned(),
        };
        let to_eval = |e: StoreError| QueryEvaluationError::Service(Box::new(e));
        let (media_type, body) = self
            .0
            .post_query(service_name.as_str(), query.to_string())
            .map_err(to_eval)?;
        let format = QueryResultsFormat::from_media_type(&media_type).ok_or_else(|| {
            to_eval(StoreError::Remote(format!(
                "SERVICE <{}> answered with unsupported media type {media_type:?}",
                service_name.as_str()
            )))
        })?;
        let parsed = QueryResultsParser::from_format(format)
            .for_reader(std::io::Cursor::new(body))
            .map_err(|e| QueryEvaluationError::Service(Box::new(e)))?;
        let ReaderQueryResultsParserOutput::Solutions(reader) = parsed else {
            return Err(to_eval(StoreError::Remote(format!(
                "SERVICE <{}> did not return solutions",
                service_name.as_str()
            ))));
        };
        let variables: Arc<[_]> = reader.variables().into();
        Ok(QuerySolutionIter::new(
            variables,
            reader.map(|s| s.map_err(|e| QueryEvaluationError::Service(Box::new(e)))),
        ))
    }
}
