//! Content negotiation: picks the response format from the `Accept` header among the formats a
//! given answer can take, and reads a body's format from its `Content-Type`.

use super::error::ApiError;
use axum::http::{HeaderMap, header};
use oxigraph::io::{JsonLdProfileSet, RdfFormat};
use oxigraph::sparql::results::QueryResultsFormat;

/// A format a response can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Results(QueryResultsFormat),
    Rdf(RdfFormat),
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Results(f) => f.media_type(),
            Self::Rdf(f) => f.media_type(),
        }
    }

    /// The `Content-Type` header value (oxigraph's media types carry a charset where needed).
    pub fn content_type(self) -> String {
        self.media_type().to_owned()
    }
}

const JSON_LD: RdfFormat = RdfFormat::JsonLd {
    profile: JsonLdProfileSet::empty(),
};

/// Formats of SELECT and ASK answers, the first being the default.
pub const RESULT_OFFERS: &[(&str, Format)] = &[
    (
        "application/sparql-results+json",
        Format::Results(QueryResultsFormat::Json),
    ),
    (
        "application/json",
        Format::Results(QueryResultsFormat::Json),
    ),
    (
        "application/sparql-results+xml",
        Format::Results(QueryResultsFormat::Xml),
    ),
    ("application/xml", Format::Results(QueryResultsFormat::Xml)),
    ("text/csv", Format::Results(QueryResultsFormat::Csv)),
    (
        "text/tab-separated-values",
        Format::Results(QueryResultsFormat::Tsv),
    ),
];

/// Formats of RDF graphs (CONSTRUCT, DESCRIBE, a Graph Store graph), the first being the default.
pub const GRAPH_OFFERS: &[(&str, Format)] = &[
    ("text/turtle", Format::Rdf(RdfFormat::Turtle)),
    ("application/n-triples", Format::Rdf(RdfFormat::NTriples)),
    ("text/plain", Format::Rdf(RdfFormat::NTriples)),
    ("application/rdf+xml", Format::Rdf(RdfFormat::RdfXml)),
    ("application/ld+json", Format::Rdf(JSON_LD)),
    ("application/trig", Format::Rdf(RdfFormat::TriG)),
    ("application/n-quads", Format::Rdf(RdfFormat::NQuads)),
];

/// Formats of a whole dataset (the Graph Store without a graph), the first being the default.
pub const DATASET_OFFERS: &[(&str, Format)] = &[
    ("application/trig", Format::Rdf(RdfFormat::TriG)),
    ("application/n-quads", Format::Rdf(RdfFormat::NQuads)),
];

/// One media range of an `Accept` header with its quality.
struct Range<'a> {
    kind: &'a str,
    subtype: &'a str,
    q: f32,
}

fn parse_accept(accept: &str) -> Vec<Range<'_>> {
    accept
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let media = parts.next()?.trim();
            let (kind, subtype) = media.split_once('/')?;
            let mut q = 1.0;
            for param in parts {
                if let Some((name, value)) = param.split_once('=')
                    && name.trim().eq_ignore_ascii_case("q")
                {
                    q = value.trim().parse().unwrap_or(0.0);
                }
            }
            Some(Range {
                kind: kind.trim(),
                subtype: subtype.trim(),
                q,
            })
        })
        .collect()
}

/// The quality the client gives one media type, with the specificity of the range that decided
/// it (2 exact, 1 `type/*`, 0 `*/*`), or none when no range matches it.
fn quality(ranges: &[Range<'_>], media: &str) -> Option<(f32, u8)> {
    let (kind, subtype) = media.split_once('/').unwrap_or((media, ""));
    // The most specific matching range decides the quality (RFC 9110 §12.5.1).
    let mut chosen: Option<(u8, f32)> = None;
    for range in ranges {
        let specificity = if range.kind.eq_ignore_ascii_case(kind)
            && range.subtype.eq_ignore_ascii_case(subtype)
        {
            2
        } else if range.kind.eq_ignore_ascii_case(kind) && range.subtype == "*" {
            1
        } else if range.kind == "*" && range.subtype == "*" {
            0
        } else {
            continue;
        };
        if chosen.is_none_or(|(s, _)| specificity > s) {
            chosen = Some((specificity, range.q));
        }
    }
    chosen.map(|(s, q)| (q, s))
}

fn accept_header(headers: &HeaderMap) -> String {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether the client would rather have an HTML page than any of the RDF `offers`: a browser
/// (`text/html` explicitly, RDF only through `*/*`), not curl (`*/*` alone) nor an RDF client.
pub fn prefers_html(headers: &HeaderMap, offers: &[(&str, Format)]) -> bool {
    let accept = accept_header(headers);
    let ranges = parse_accept(&accept);
    let Some((html, 2)) = quality(&ranges, "text/html") else {
        return false;
    };
    let rdf = offers
        .iter()
        .filter_map(|(media, _)| quality(&ranges, media).map(|(q, _)| q))
        .fold(0.0_f32, f32::max);
    html > 0.0 && html > rdf
}

/// Picks the offer the client prefers. No `Accept`, or `*/*`, gives the first offer; ties go to
/// the offer listed first. Nothing acceptable gives 406.
pub fn choose(headers: &HeaderMap, offers: &[(&str, Format)]) -> Result<Format, ApiError> {
    let accept = accept_header(headers);
    if accept.trim().is_empty() {
        return Ok(offers[0].1);
    }
    let ranges = parse_accept(&accept);
    let mut best: Option<(f32, u8, usize)> = None;
    for (index, (media, _)) in offers.iter().enumerate() {
        if let Some((q, specificity)) = quality(&ranges, media)
            && q > 0.0
            && best.is_none_or(|(bq, bs, _)| q > bq || (q == bq && specificity > bs))
        {
            best = Some((q, specificity, index));
        }
    }
    match best {
        Some((_, _, index)) => Ok(offers[index].1),
        None => Err(ApiError::NotAcceptable {
            accept,
            available: offers
                .iter()
                .map(|(m, _)| *m)
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

/// The media type of the body, without parameters, lower-cased.
pub fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(crate::rdf::media_type_essence)
        .filter(|v| !v.is_empty())
}

/// The RDF format of a body, or 415 naming the formats accepted.
pub fn body_format(headers: &HeaderMap, offers: &[(&str, Format)]) -> Result<RdfFormat, ApiError> {
    let got = content_type(headers).unwrap_or_default();
    let expected = || {
        offers
            .iter()
            .filter(|(m, _)| *m != "text/plain")
            .map(|(m, _)| *m)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = offers
        .iter()
        .find(|(m, _)| *m == got)
        .map(|(_, f)| *f)
        .or_else(|| {
            RdfFormat::from_media_type(&got)
                .map(Format::Rdf)
                .filter(|f| offers.iter().any(|(_, o)| o == f))
        });
    match found {
        Some(Format::Rdf(format)) => Ok(format),
        _ => Err(ApiError::UnsupportedMediaType {
            got: if got.is_empty() { "(none)".into() } else { got },
            expected: expected(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn pick(accept: &str, offers: &[(&str, Format)]) -> Option<&'static str> {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(accept).unwrap());
        choose(&headers, offers).ok().map(Format::media_type)
    }

    #[test]
    fn quality_and_specificity_decide() {
        assert_eq!(
            pick(
                "text/csv;q=0.5, application/sparql-results+xml",
                RESULT_OFFERS
            ),
            Some("application/sparql-results+xml")
        );
        assert_eq!(
            pick("*/*", RESULT_OFFERS),
            Some("application/sparql-results+json")
        );
        assert_eq!(pick("text/*", GRAPH_OFFERS), Some("text/turtle"));
        assert_eq!(
            pick("text/*, text/turtle;q=0", GRAPH_OFFERS),
            Some("application/n-triples")
        );
        assert_eq!(pick("image/png", GRAPH_OFFERS), None);
    }
}
