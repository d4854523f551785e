//! Turns a SPARQL Update text into the operations a backend applies: parsed behind the nesting
//! guard, with the protocol's `using-graph-uri`/`using-named-graph-uri` applied, and every
//! `LOAD` resolved through the allow-listed [`Fetcher`] into the data it would insert, so that
//! the backend's transaction never touches the network.

use super::{Dataset, StoreError};
use crate::fetch::Fetcher;
use crate::guard::{self, Syntax};
use crate::rdf::{self, ParseLimits, Target};
use oxigraph::io::RdfFormat;
use oxigraph::model::{GraphName, NamedOrBlankNode};
use spargebra::algebra::QueryDataset;
use spargebra::term::{GraphName as UpdateGraphName, Quad as UpdateQuad};
use spargebra::{GraphUpdateOperation, SparqlParser, Update};

/// Parses `text` and readies it for execution; see the module documentation.
pub fn prepare_update(
    text: &str,
    using: &Dataset,
    fetcher: &Fetcher,
    limits: ParseLimits,
) -> Result<Update, StoreError> {
    guard::check_depth(text.as_bytes(), Syntax::SparqlOrTurtle, limits.max_nesting)?;
    let mut update = SparqlParser::new().parse_update(text)?;
    for operation in &mut update.operations {
        match operation {
            GraphUpdateOperation::DeleteInsert {
                using: op_using, ..
            } => {
                if using.is_unspecified() {
                    continue;
                }
                if op_using.is_some() {
                    // SPARQL 1.1 Protocol §2.2.3: USING in the request and in the text is an error.
                    return Err(StoreError::BadRequest(
                        "the update has a USING or USING NAMED clause and the request also gives \
                         using-graph-uri or using-named-graph-uri; give one or the other"
                            .into(),
                    ));
                }
                *op_using = Some(QueryDataset {
                    default: using.default_graphs.clone(),
                    named: (!using.named_graphs.is_empty()).then(|| using.named_graphs.clone()),
                });
            }
            GraphUpdateOperation::Load {
                silent,
                source,
                destination,
            } => {
                // The allow-list is a policy, not a failure: SILENT does not hide a refusal.
                fetcher.check("LOAD", source.as_str())?;
                let graph = match destination {
                    UpdateGraphName::NamedNode(n) => GraphName::NamedNode(n.clone()),
                    UpdateGraphName::DefaultGraph => GraphName::DefaultGraph,
                };
                let loaded = fetch_document(fetcher, source.as_str(), &graph, limits);
                let data = match loaded {
                    Ok(quads) => quads,
                    Err(_) if *silent => Vec::new(),
                    Err(e) => return Err(e),
                };
                *operation = GraphUpdateOperation::InsertData { data };
            }
            _ => {}
        }
    }
    Ok(update)
}

fn fetch_document(
    fetcher: &Fetcher,
    iri: &str,
    graph: &GraphName,
    limits: ParseLimits,
) -> Result<Vec<UpdateQuad>, StoreError> {
    let (media_type, body) = fetcher.get(
        "LOAD",
        iri,
        "text/turtle, application/n-triples, application/rdf+xml;q=0.9, application/ld+json;q=0.8",
    )?;
    let format = RdfFormat::from_media_type(&media_type).ok_or_else(|| {
        StoreError::Remote(format!(
            "LOAD <{iri}> answered with {media_type:?}, which is not an RDF format"
        ))
    })?;
    let quads = rdf::parse(
        &body,
        format,
        &Target::Graph(graph.clone()),
        Some(iri),
        limits,
    )?;
    Ok(quads
        .into_iter()
        .map(|q| UpdateQuad {
            subject: match q.subject {
                NamedOrBlankNode::NamedNode(n) => n.into(),
                NamedOrBlankNode::BlankNode(b) => b.into(),
            },
            predicate: q.predicate,
            object: q.object,
            graph_name: match q.graph_name {
                GraphName::NamedNode(n) => UpdateGraphName::NamedNode(n),
                _ => UpdateGraphName::DefaultGraph,
            },
        })
        .collect())
}
