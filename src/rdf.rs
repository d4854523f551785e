//! RDF formats and parsing shared by every input path (HTTP bodies, files on the command line,
//! the seed data): format detection from file names and media types, and parsing into quads
//! behind the nesting guard, with errors that name the line and column.

use crate::guard::{self, Syntax};
use crate::store::StoreError;
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{GraphName, Quad};
use std::path::Path;

/// The formats dealgraph reads and writes, in the order offered when a client has no preference.
pub const GRAPH_FORMATS: [RdfFormat; 4] = [
    RdfFormat::Turtle,
    RdfFormat::NTriples,
    RdfFormat::RdfXml,
    RdfFormat::JsonLd {
        profile: oxigraph::io::JsonLdProfileSet::empty(),
    },
];
pub const DATASET_FORMATS: [RdfFormat; 2] = [RdfFormat::TriG, RdfFormat::NQuads];

/// Guesses the format from a file name, looking through a trailing `.gz`.
/// Returns the format and whether the file is gzip-compressed.
pub fn format_from_path(path: &Path) -> Option<(RdfFormat, bool)> {
    let name = path.file_name()?.to_str()?.to_ascii_lowercase();
    let (name, gzipped) = match name.strip_suffix(".gz") {
        Some(inner) => (inner.to_owned(), true),
        None => (name, false),
    };
    let extension = Path::new(&name).extension()?.to_str()?;
    let format = match extension {
        "json" | "jsonld" => RdfFormat::JsonLd {
            profile: oxigraph::io::JsonLdProfileSet::empty(),
        },
        "owl" | "rdf" | "xml" => RdfFormat::RdfXml,
        other => RdfFormat::from_extension(other)?,
    };
    Some((format, gzipped))
}

/// The essence of a media type (`text/turtle; charset=utf-8` gives `text/turtle`), lower-cased.
pub fn media_type_essence(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A format from a user's `--format` value: a file extension or a media type.
pub fn format_from_name(name: &str) -> Option<RdfFormat> {
    RdfFormat::from_extension(name).or_else(|| RdfFormat::from_media_type(name))
}

fn syntax_of(format: RdfFormat) -> Syntax {
    match format {
        RdfFormat::RdfXml => Syntax::Xml,
        RdfFormat::JsonLd { .. } => Syntax::Json,
        _ => Syntax::SparqlOrTurtle,
    }
}

/// Where parsed triples go.
#[derive(Debug, Clone)]
pub enum Target {
    /// Every triple into this graph; a dataset format's named graphs are refused.
    Graph(GraphName),
    /// Quads keep their graphs; triples of a dataset's default graph go to this graph.
    Dataset(GraphName),
}

/// Limits every parse honours.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    pub max_nesting: usize,
}

impl Default for ParseLimits {
    fn default() -> Self {
        Self { max_nesting: 128 }
    }
}

/// Parses a whole document into quads; blank nodes are renamed so that they never merge with
/// blank nodes already stored.
pub fn parse(
    input: &[u8],
    format: RdfFormat,
    target: &Target,
    base_iri: Option<&str>,
    limits: ParseLimits,
) -> Result<Vec<Quad>, StoreError> {
    guard::check_depth(input, syntax_of(format), limits.max_nesting)?;
    let mut parser = RdfParser::from_format(format).rename_blank_nodes();
    parser = match target {
        Target::Graph(g) => parser.without_named_graphs().with_default_graph(g.clone()),
        Target::Dataset(g) => parser.with_default_graph(g.clone()),
    };
    if let Some(base) = base_iri {
        parser = parser
            .with_base_iri(base)
            .map_err(|e| StoreError::BadRequest(format!("invalid base IRI <{base}>: {e}")))?;
    }
    parser
        .for_slice(input)
        .map(|q| q.map_err(StoreError::from))
        .collect()
}
