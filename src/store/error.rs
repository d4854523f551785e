//! The store's error type: bad input is kept apart from failures of ours, so that the boundary
//! (HTTP or CLI) can answer 4xx or 5xx, and every bad-input error names its place.

use oxigraph::io::{RdfParseError, RdfSyntaxError};
use oxigraph::sparql::{QueryEvaluationError, SparqlSyntaxError, UpdateEvaluationError};
use oxigraph::store::{LoaderError, StorageError};
use std::fmt;

/// A place in a text input, 1-based as editors show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Located {
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Located {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SPARQL text does not parse; the parser's message carries the position.
    #[error("SPARQL syntax error: {0}")]
    SparqlSyntax(String),
    /// RDF input that does not parse.
    #[error("RDF syntax error: {message}")]
    RdfSyntax {
        message: String,
        at: Option<Located>,
    },
    /// Input nested deeper than we agree to parse (a guard against stack exhaustion).
    #[error("input nested {depth} levels deep at {at}; at most {limit} levels are accepted")]
    TooDeep {
        depth: usize,
        limit: usize,
        at: Located,
    },
    /// The request is well-formed but asks for something this store will not do
    /// (LOAD or SERVICE outside the allow-list, a `file:` IRI).
    #[error("{0}")]
    Refused(String),
    /// A SPARQL Update that is well-formed but fails on this store's content
    /// (CREATE of an existing graph, DROP of a missing one...).
    #[error("the update failed: {0}")]
    UpdateFailed(String),
    /// The request's own parameters contradict each other or the protocol.
    #[error("{0}")]
    BadRequest(String),
    /// The write would leave data that violates the SHACL shapes; nothing was written.
    #[error("the write was refused: {n} SHACL violation(s)\n{report}", n = .0.results.len(), report = .0)]
    Invalid(Box<crate::validate::ValidationReport>),
    /// A named graph that the operation needs does not exist.
    #[error("graph <{0}> does not exist")]
    GraphNotFound(String),
    /// The query was cancelled: its deadline passed or its client went away.
    #[error("the query was stopped at its deadline of {0} seconds")]
    Deadline(u64),
    #[error("the query was cancelled")]
    Cancelled,
    /// The result grew past the configured number of rows or triples.
    #[error("the result has more than {0} rows or triples; add a LIMIT or narrow the query")]
    ResultTooLarge(u64),
    /// A remote document or service answered badly or not at all.
    #[error("remote call failed: {0}")]
    Remote(String),
    /// Another process holds the store's lock.
    #[error("the store at {path} is in use by another process ({detail})")]
    Locked { path: String, detail: String },
    /// A failure of ours or of the storage; never shown verbatim to an HTTP client.
    #[error("storage failure: {0}")]
    Storage(String),
}

impl From<StorageError> for StoreError {
    fn from(e: StorageError) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<SparqlSyntaxError> for StoreError {
    fn from(e: SparqlSyntaxError) -> Self {
        Self::SparqlSyntax(e.to_string())
    }
}

impl From<RdfSyntaxError> for StoreError {
    fn from(e: RdfSyntaxError) -> Self {
        let at = e.location().map(|r| Located {
            line: r.start.line + 1,
            column: r.start.column + 1,
        });
        let message = e.to_string();
        // Turtle's messages carry their position already; the others get ours.
        let message = match at {
            Some(at) if !message.contains("line") => format!("at {at}: {message}"),
            _ => message,
        };
        Self::RdfSyntax { message, at }
    }
}

impl From<RdfParseError> for StoreError {
    fn from(e: RdfParseError) -> Self {
        match e {
            RdfParseError::Syntax(e) => e.into(),
            RdfParseError::Io(e) => Self::RdfSyntax {
                message: e.to_string(),
                at: None,
            },
        }
    }
}

impl From<LoaderError> for StoreError {
    fn from(e: LoaderError) -> Self {
        match e {
            LoaderError::Parsing(e) => e.into(),
            LoaderError::Storage(e) => e.into(),
            LoaderError::InvalidBaseIri { iri, error } => {
                Self::BadRequest(format!("invalid base IRI <{iri}>: {error}"))
            }
        }
    }
}

impl From<QueryEvaluationError> for StoreError {
    fn from(e: QueryEvaluationError) -> Self {
        match e {
            QueryEvaluationError::Cancelled => Self::Cancelled,
            QueryEvaluationError::Dataset(e) => Self::Storage(e.to_string()),
            // Our SERVICE handler reports refusals as StoreError; keep them as they are.
            QueryEvaluationError::Service(e) => match e.downcast::<StoreError>() {
                Ok(e) => *e,
                Err(e) => Self::Remote(e.to_string()),
            },
            QueryEvaluationError::UnsupportedService(s) => Self::Refused(format!(
                "SERVICE <{}> is not allowed: its host is not in the configured allow-list",
                s.as_str()
            )),
            QueryEvaluationError::Unexpected(e) => Self::Storage(e.to_string()),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

impl From<UpdateEvaluationError> for StoreError {
    fn from(e: UpdateEvaluationError) -> Self {
        match e {
            UpdateEvaluationError::Storage(e) => e.into(),
            UpdateEvaluationError::GraphParsing(e) => e.into(),
            UpdateEvaluationError::Service(e) => Self::Remote(e.to_string()),
            // A cancelled or otherwise failed WHERE clause arrives wrapped; unwrap it.
            UpdateEvaluationError::Unexpected(e) => match e.downcast::<QueryEvaluationError>() {
                Ok(e) => (*e).into(),
                Err(e) => Self::Storage(e.to_string()),
            },
            UpdateEvaluationError::UnsupportedService(s) => Self::Refused(format!(
                "SERVICE <{}> is not allowed: its host is not in the configured allow-list",
                s.as_str()
            )),
            other => Self::UpdateFailed(other.to_string()),
        }
    }
}
