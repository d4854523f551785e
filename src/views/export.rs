//! Exports of a [`GraphView`] (one neighbourhood, or the whole graph from [`whole_graph`]) as
//! files for graph tools: GEXF 1.3 for Gephi, GraphML, Cytoscape.js JSON, and CSV tables of
//! edges and of nodes.
//!
//! Every format carries the same things: each node's IRI (its id), label, type and fact count;
//! each edge's ends, verb, fact class, amount, currency, date, certainty, status, source document,
//! fact node and graph. The columns are listed once (`NODE_COLUMNS`, `EDGE_COLUMNS`) and each
//! writer renders them, so the formats cannot drift apart. A cut view says so inside the file
//! wherever the format has room for it (GEXF's and GraphML's descriptions, a GraphML graph
//! attribute, Cytoscape's top-level `truncated`); CSV has none, and the HTTP answer's header is
//! then the only sign.
//!
//! Escaping is left to quick-xml, csv and serde_json. This module writes to any `io::Write` and
//! knows nothing of HTTP.

use super::facts::{Fact, Roles, read_facts};
use super::graph::{Edge, FactFilter, GraphView, Node, describe_nodes};
use super::{Reader, Ref, ViewError, derived, iri_of, text_of, within};
use crate::store::NAMESPACE;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::str::FromStr;

/// Most edges in an export of the whole graph when the request does not say.
pub const DEFAULT_EDGES: usize = 10_000;
/// Most edges in an export of the whole graph at all: the file is built in memory.
pub const MAX_EDGES: usize = 100_000;
/// Facts read, and nodes described, per query: keeps each `VALUES` block a modest size.
const BATCH: usize = 1_000;

/// A file format of the exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// [GEXF 1.3](https://gexf.net/), Gephi's format, dynamic: an edge starts at its fact's date.
    Gexf,
    /// [GraphML](http://graphml.graphdrawing.org/), for yEd, NetworkX, igraph, Neo4j's APOC.
    GraphMl,
    /// The elements JSON that [Cytoscape.js](https://js.cytoscape.org/#notation/elements-json)
    /// loads with `cytoscape({elements})` (and Cytoscape desktop imports as `.cyjs`).
    CytoscapeJson,
    /// One row per edge, with a header row.
    CsvEdges,
    /// One row per node, with a header row.
    CsvNodes,
}

impl ExportFormat {
    pub const ALL: [Self; 5] = [
        Self::Gexf,
        Self::GraphMl,
        Self::CytoscapeJson,
        Self::CsvEdges,
        Self::CsvNodes,
    ];

    /// The name a request gives (`format=gexf`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Gexf => "gexf",
            Self::GraphMl => "graphml",
            Self::CytoscapeJson => "cytoscape",
            Self::CsvEdges => "csv",
            Self::CsvNodes => "csv-nodes",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Gexf => "application/gexf+xml",
            Self::GraphMl => "application/graphml+xml",
            Self::CytoscapeJson => "application/json",
            Self::CsvEdges | Self::CsvNodes => "text/csv; charset=utf-8; header=present",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Gexf => "gexf",
            Self::GraphMl => "graphml",
            Self::CytoscapeJson => "json",
            Self::CsvEdges | Self::CsvNodes => "csv",
        }
    }

    /// `dealgraph-{stem}.{extension}`, the nodes table with `-nodes` so that it does not
    /// overwrite the edges table of the same view when both are saved.
    pub fn file_name(self, stem: &str) -> String {
        let stem: String = stem
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let suffix = if self == Self::CsvNodes { "-nodes" } else { "" };
        format!("dealgraph-{stem}{suffix}.{}", self.extension())
    }
}

impl FromStr for ExportFormat {
    type Err = ViewError;

    fn from_str(given: &str) -> Result<Self, ViewError> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == given.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                ViewError::BadRequest(format!(
                    "unknown export format {given:?}; the formats are: {}",
                    names.join(", ")
                ))
            })
    }
}

/// How a column's values are typed where the format types them.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Integer,
    /// An `xsd:decimal` as written in the graph.
    Decimal,
}

/// One attribute of nodes or edges, in every format.
struct Column<T: 'static> {
    name: &'static str,
    kind: Kind,
    value: fn(&T) -> Option<String>,
}

/// Node attributes besides the id (the IRI) and the label.
const NODE_COLUMNS: &[Column<Node>] = &[
    Column {
        name: "type",
        kind: Kind::Text,
        value: |n| n.kind.as_ref().map(|k| k.label.clone()),
    },
    Column {
        name: "type_iri",
        kind: Kind::Text,
        value: |n| n.kind.as_ref().map(|k| k.iri.clone()),
    },
    Column {
        name: "facts",
        kind: Kind::Integer,
        value: |n| Some(n.facts.to_string()),
    },
    // Left out of exports of the whole graph, which have no focus to count hops from.
    Column {
        name: "depth",
        kind: Kind::Integer,
        value: |n| Some(n.depth.to_string()),
    },
];

/// Edge attributes besides the id, the ends and the label (the verb).
const EDGE_COLUMNS: &[Column<Edge>] = &[
    // Not "kind" or "type": Gephi reads those as the edge's kind and direction.
    Column {
        name: "relation",
        kind: Kind::Text,
        value: |e| Some(e.kind.label.clone()),
    },
    Column {
        name: "amount",
        kind: Kind::Decimal,
        value: |e| e.amount.as_ref()?.value.clone(),
    },
    Column {
        name: "amount_label",
        kind: Kind::Text,
        value: |e| e.amount.as_ref()?.label.clone(),
    },
    Column {
        name: "currency",
        kind: Kind::Text,
        value: |e| e.amount.as_ref()?.currency.clone(),
    },
    Column {
        name: "date",
        kind: Kind::Text,
        value: |e| e.date.clone(),
    },
    Column {
        name: "certainty",
        kind: Kind::Text,
        value: |e| e.certainty.as_ref().map(|c| c.label.clone()),
    },
    Column {
        name: "certainty_rank",
        kind: Kind::Integer,
        value: |e| e.certainty.as_ref()?.rank.map(|r| r.to_string()),
    },
    Column {
        name: "status",
        kind: Kind::Text,
        value: |e| e.status.as_ref().map(|s| s.label.clone()),
    },
    // Not "source": that is the edge's first end in Cytoscape, CSV and GraphML tools.
    Column {
        name: "source_document",
        kind: Kind::Text,
        value: |e| e.source_label.clone(),
    },
    Column {
        name: "fact",
        kind: Kind::Text,
        value: |e| Some(e.fact.clone()),
    },
    Column {
        name: "graph",
        kind: Kind::Text,
        value: |e| Some(e.graph.clone()),
    },
    Column {
        name: "sentence",
        kind: Kind::Text,
        value: |e| Some(e.sentence.clone()),
    },
];

/// Whether the view is the whole graph rather than a neighbourhood (see [`whole_graph`]).
fn is_whole(view: &GraphView) -> bool {
    view.depth == 0
}

/// The node columns the view has values for.
fn node_columns(view: &GraphView) -> impl Iterator<Item = &'static Column<Node>> {
    let whole = is_whole(view);
    NODE_COLUMNS
        .iter()
        .filter(move |c| !(whole && c.name == "depth"))
}

/// The column's value, if it has one the format's type accepts.
fn typed<T>(column: &Column<T>, item: &T) -> Option<String> {
    let value = (column.value)(item)?;
    let fits = match column.kind {
        Kind::Text => true,
        Kind::Integer => value.parse::<i64>().is_ok(),
        Kind::Decimal => value.parse::<f64>().is_ok(),
    };
    fits.then_some(value)
}

/// What the file holds, in a sentence, and whether it was cut.
fn description(view: &GraphView) -> String {
    let (n, e) = (view.nodes.len(), view.edges.len());
    if is_whole(view) {
        let mut text = format!("Every relationship in dealgraph: {n} nodes, {e} edges.");
        if view.truncated {
            text.push_str(&format!(
                " Truncated: cut at the limit of {} edges, so relationships were left out.",
                view.limit
            ));
        }
        text
    } else {
        let mut text = format!(
            "The neighbourhood of {} <{}> within {} hop(s): {n} nodes, {e} edges.",
            view.focus.label, view.focus.iri, view.depth
        );
        if view.truncated {
            text.push_str(&format!(
                " Truncated: cut at the limit of {} nodes, so nodes and relationships were left out.",
                view.limit
            ));
        }
        text
    }
}

/// Writes the view in the format.
pub fn write_export(view: &GraphView, format: ExportFormat, out: &mut dyn Write) -> io::Result<()> {
    match format {
        ExportFormat::Gexf => write_gexf(view, out),
        ExportFormat::GraphMl => write_graphml(view, out),
        ExportFormat::CytoscapeJson => write_cytoscape(view, out),
        ExportFormat::CsvEdges => write_csv_edges(view, out),
        ExportFormat::CsvNodes => write_csv_nodes(view, out),
    }
}

/// The text without the characters XML 1.0 cannot hold at all (control characters other than
/// tab and line ends, U+FFFE, U+FFFF): an RDF literal may contain them, and a parser would
/// refuse the whole file for one of them.
fn xml_safe(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|c| allowed(*c)).collect())
    }
}

/// The first day of a date of any precision, as GEXF's `timeformat="date"` wants it:
/// `2024` is `2024-01-01`, `2024-06` is `2024-06-01`; a date-time keeps its day.
pub fn full_date(date: &str) -> Option<String> {
    let date = date.trim();
    let day = match date.len() {
        4 => format!("{date}-01-01"),
        7 => format!("{date}-01"),
        // A date with a time zone or a date-time: the day is the first ten characters.
        n if n >= 10 && date.is_char_boundary(10) => date[..10].to_owned(),
        _ => return None,
    };
    super::parse_date("date", &day).ok().map(|_| day)
}

const GEXF_NS: &str = "http://gexf.net/1.3";
const GRAPHML_NS: &str = "http://graphml.graphdrawing.org/xmlns";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

fn gexf_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "string",
        Kind::Integer => "long",
        Kind::Decimal => "double",
    }
}

fn write_gexf(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("gexf")
        .with_attributes([
            ("xmlns", GEXF_NS),
            ("xmlns:xsi", XSI_NS),
            (
                "xsi:schemaLocation",
                "http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd",
            ),
            ("version", "1.3"),
        ])
        .write_inner_content(|w| {
            w.create_element("meta").write_inner_content(|w| {
                w.create_element("creator")
                    .write_text_content(BytesText::new("dealgraph"))?;
                w.create_element("description")
                    .write_text_content(BytesText::new(&xml_safe(&description(view))))?;
                Ok(())
            })?;
            // Dynamic, so that Gephi's timeline shows each relationship from its date on; an
            // undated one is there all along.
            w.create_element("graph")
                .with_attributes([
                    ("mode", "dynamic"),
                    ("defaultedgetype", "directed"),
                    ("timeformat", "date"),
                ])
                .write_inner_content(|w| {
                    write_gexf_attributes(w, "node", node_columns(view).map(|c| (c.name, c.kind)))?;
                    write_gexf_attributes(
                        w,
                        "edge",
                        EDGE_COLUMNS.iter().map(|c| (c.name, c.kind)),
                    )?;
                    w.create_element("nodes").write_inner_content(|w| {
                        for node in &view.nodes {
                            let values: Vec<(&str, String)> = node_columns(view)
                                .filter_map(|c| Some((c.name, typed(c, node)?)))
                                .collect();
                            let element = w.create_element("node").with_attributes([
                                ("id", xml_safe(&node.iri).as_ref()),
                                ("label", xml_safe(&node.label).as_ref()),
                            ]);
                            if values.is_empty() {
                                element.write_empty()?;
                            } else {
                                element.write_inner_content(|w| write_attvalues(w, &values))?;
                            }
                        }
                        Ok(())
                    })?;
                    w.create_element("edges").write_inner_content(|w| {
                        for edge in &view.edges {
                            let values: Vec<(&str, String)> = EDGE_COLUMNS
                                .iter()
                                .filter_map(|c| Some((c.name, typed(c, edge)?)))
                                .collect();
                            let start = edge.date.as_deref().and_then(full_date);
                            let mut element = w.create_element("edge").with_attributes([
                                ("id", xml_safe(&edge.id).as_ref()),
                                ("source", xml_safe(&edge.source).as_ref()),
                                ("target", xml_safe(&edge.target).as_ref()),
                                ("label", xml_safe(&edge.label).as_ref()),
                            ]);
                            if let Some(start) = &start {
                                element = element.with_attribute(("start", start.as_str()));
                            }
                            element.write_inner_content(|w| write_attvalues(w, &values))?;
                        }
                        Ok(())
                    })?;
                    Ok(())
                })?;
            Ok(())
        })?;
    w.into_inner().write_all(b"\n")
}

fn write_gexf_attributes<W: Write>(
    w: &mut Writer<W>,
    class: &str,
    columns: impl Iterator<Item = (&'static str, Kind)>,
) -> io::Result<()> {
    w.create_element("attributes")
        .with_attributes([("class", class), ("mode", "static")])
        .write_inner_content(|w| {
            for (name, kind) in columns {
                w.create_element("attribute")
                    .with_attributes([("id", name), ("title", name), ("type", gexf_type(kind))])
                    .write_empty()?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_attvalues<W: Write>(w: &mut Writer<W>, values: &[(&str, String)]) -> io::Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    w.create_element("attvalues").write_inner_content(|w| {
        for (name, value) in values {
            w.create_element("attvalue")
                .with_attributes([("for", *name), ("value", xml_safe(value).as_ref())])
                .write_empty()?;
        }
        Ok(())
    })?;
    Ok(())
}

fn graphml_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "string",
        Kind::Integer => "long",
        Kind::Decimal => "double",
    }
}

fn write_graphml(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    // Keys are named by what they are for, since GraphML wants one id per key across nodes,
    // edges and the graph, and both nodes and edges have a label.
    let node_keys: Vec<(String, &Column<Node>)> = node_columns(view)
        .map(|c| (format!("n_{}", c.name), c))
        .collect();
    let edge_keys: Vec<(String, &Column<Edge>)> = EDGE_COLUMNS
        .iter()
        .map(|c| (format!("e_{}", c.name), c))
        .collect();
    let mut graph_data: Vec<(&str, &str, String)> = vec![
        ("g_description", "string", description(view)),
        ("g_truncated", "boolean", view.truncated.to_string()),
        ("g_limit", "long", view.limit.to_string()),
    ];
    if !is_whole(view) {
        graph_data.push(("g_focus", "string", view.focus.iri.clone()));
        graph_data.push(("g_depth", "long", view.depth.to_string()));
    }
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("graphml")
        .with_attributes([
            ("xmlns", GRAPHML_NS),
            ("xmlns:xsi", XSI_NS),
            (
                "xsi:schemaLocation",
                "http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd",
            ),
        ])
        .write_inner_content(|w| {
            w.create_element("desc")
                .write_text_content(BytesText::new(&xml_safe(&description(view))))?;
            let key = |w: &mut Writer<_>, id: &str, of: &str, name: &str, ty: &str| {
                w.create_element("key")
                    .with_attributes([
                        ("id", id),
                        ("for", of),
                        ("attr.name", name),
                        ("attr.type", ty),
                    ])
                    .write_empty()
                    .map(|_| ())
            };
            for (id, ty, _) in &graph_data {
                key(w, id, "graph", &id["g_".len()..], ty)?;
            }
            key(w, "n_label", "node", "label", "string")?;
            for (id, c) in &node_keys {
                key(w, id, "node", c.name, graphml_type(c.kind))?;
            }
            key(w, "e_label", "edge", "label", "string")?;
            for (id, c) in &edge_keys {
                key(w, id, "edge", c.name, graphml_type(c.kind))?;
            }
            w.create_element("graph")
                .with_attributes([("id", "dealgraph"), ("edgedefault", "directed")])
                .write_inner_content(|w| {
                    for (id, _, value) in &graph_data {
                        write_data(w, id, value)?;
                    }
                    for node in &view.nodes {
                        w.create_element("node")
                            .with_attribute(("id", xml_safe(&node.iri).as_ref()))
                            .write_inner_content(|w| {
                                write_data(w, "n_label", &node.label)?;
                                for (id, c) in &node_keys {
                                    if let Some(value) = typed(c, node) {
                                        write_data(w, id, &value)?;
                                    }
                                }
                                Ok(())
                            })?;
                    }
                    for edge in &view.edges {
                        w.create_element("edge")
                            .with_attributes([
                                ("id", xml_safe(&edge.id).as_ref()),
                                ("source", xml_safe(&edge.source).as_ref()),
                                ("target", xml_safe(&edge.target).as_ref()),
                            ])
                            .write_inner_content(|w| {
                                write_data(w, "e_label", &edge.label)?;
                                for (id, c) in &edge_keys {
                                    if let Some(value) = typed(c, edge) {
                                        write_data(w, id, &value)?;
                                    }
                                }
                                Ok(())
                            })?;
                    }
                    Ok(())
                })?;
            Ok(())
        })?;
    w.into_inner().write_all(b"\n")
}

fn write_data<W: Write>(w: &mut Writer<W>, key: &str, value: &str) -> io::Result<()> {
    w.create_element("data")
        .with_attribute(("key", key))
        .write_text_content(BytesText::new(&xml_safe(value)))?;
    Ok(())
}

/// A column's value as JSON: numbers as numbers, so that Cytoscape can map them to sizes.
fn json_value<T>(column: &Column<T>, item: &T) -> Option<serde_json::Value> {
    let value = typed(column, item)?;
    Some(match column.kind {
        Kind::Text => serde_json::Value::String(value),
        Kind::Integer | Kind::Decimal => match value.parse::<i64>() {
            Ok(n) => n.into(),
            Err(_) => value
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map_or(serde_json::Value::String(value), serde_json::Value::Number),
        },
    })
}

fn write_cytoscape(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    use serde_json::{Map, Value, json};
    let nodes: Vec<Value> = view
        .nodes
        .iter()
        .map(|node| {
            let mut data = Map::new();
            data.insert("id".into(), node.iri.clone().into());
            data.insert("label".into(), node.label.clone().into());
            // Cytoscape desktop shows `name`.
            data.insert("name".into(), node.label.clone().into());
            for c in node_columns(view) {
                if let Some(value) = json_value(c, node) {
                    data.insert(c.name.into(), value);
                }
            }
            json!({ "data": data })
        })
        .collect();
    let edges: Vec<Value> = view
        .edges
        .iter()
        .map(|edge| {
            let mut data = Map::new();
            data.insert("id".into(), edge.id.clone().into());
            data.insert("source".into(), edge.source.clone().into());
            data.insert("target".into(), edge.target.clone().into());
            data.insert("label".into(), edge.label.clone().into());
            data.insert("name".into(), edge.sentence.clone().into());
            for c in EDGE_COLUMNS {
                if let Some(value) = json_value(c, edge) {
                    data.insert(c.name.into(), value);
                }
            }
            json!({ "data": data })
        })
        .collect();
    let mut about = Map::new();
    about.insert("name".into(), description(view).into());
    about.insert("truncated".into(), view.truncated.into());
    about.insert("limit".into(), view.limit.into());
    if !is_whole(view) {
        about.insert("focus".into(), view.focus.iri.clone().into());
        about.insert("depth".into(), view.depth.into());
    }
    let document = json!({
        "format_version": "1.0",
        "generated_by": "dealgraph",
        "target_cytoscapejs_version": "~3",
        "truncated": view.truncated,
        "data": about,
        "elements": { "nodes": nodes, "edges": edges },
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    out.write_all(b"\n")
}

fn write_csv_edges(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let labels: BTreeMap<&str, &str> = view
        .nodes
        .iter()
        .map(|n| (n.iri.as_str(), n.label.as_str()))
        .collect();
    let mut csv = csv::Writer::from_writer(out);
    let mut header = vec!["id", "source", "target", "label"];
    header.extend(EDGE_COLUMNS.iter().map(|c| c.name));
    header.extend(["source_label", "target_label"]);
    csv.write_record(&header)?;
    for edge in &view.edges {
        let mut row = vec![
            edge.id.clone(),
            edge.source.clone(),
            edge.target.clone(),
            edge.label.clone(),
        ];
        row.extend(
            EDGE_COLUMNS
                .iter()
                .map(|c| (c.value)(edge).unwrap_or_default()),
        );
        for end in [&edge.source, &edge.target] {
            row.push(
                labels
                    .get(end.as_str())
                    .copied()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
        csv.write_record(&row)?;
    }
    csv.flush()
}

fn write_csv_nodes(view: &GraphView, out: &mut dyn Write) -> io::Result<()> {
    let mut csv = csv::Writer::from_writer(out);
    let mut header = vec!["id", "label"];
    header.extend(node_columns(view).map(|c| c.name));
    csv.write_record(&header)?;
    for node in &view.nodes {
        let mut row = vec![node.iri.clone(), node.label.clone()];
        row.extend(node_columns(view).map(|c| (c.value)(node).unwrap_or_default()));
        csv.write_record(&row)?;
    }
    csv.flush()
}

/// The IRI the whole graph is given as its focus: the dataset of the VoID description.
fn dataset_iri() -> String {
    format!("{NAMESPACE}void/dataset")
}

/// Every relationship that facts passing the filter draw, as one view: the most certain and
/// newest facts first (as the neighbourhood orders them), whole facts only, until `limit` edges;
/// `truncated` when a fact with edges was left out. Its `focus` is the dataset and its `depth`
/// 0, which is how the exports know it is not a neighbourhood; the nodes' depths are 0.
pub fn whole_graph(
    reader: &Reader<'_>,
    filter: &FactFilter,
    limit: usize,
) -> Result<GraphView, ViewError> {
    let roles = Roles::read(reader)?;
    let candidates = linking_facts(reader, &roles, filter)?;
    let mut edges: Vec<Edge> = Vec::new();
    let mut depth_of: BTreeMap<String, u8> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut truncated = false;
    // Every candidate draws an edge or two, so a small limit needs only a few of them read.
    'batches: for batch in candidates.chunks(BATCH.min(limit.saturating_add(1))) {
        for fact in read_facts(reader, &roles, batch)? {
            let drawn = edges_of(&fact);
            if drawn.is_empty() {
                continue;
            }
            if edges.len() + drawn.len() > limit {
                truncated = true;
                break 'batches;
            }
            for edge in &drawn {
                for end in [&edge.source, &edge.target] {
                    if depth_of.insert(end.clone(), 0).is_none() {
                        order.push(end.clone());
                    }
                }
            }
            edges.extend(drawn);
        }
    }
    let mut nodes = Vec::with_capacity(order.len());
    for batch in order.chunks(BATCH) {
        nodes.extend(describe_nodes(reader, batch, &depth_of)?);
    }
    Ok(GraphView {
        focus: Ref::new(&dataset_iri(), Some("dealgraph")),
        depth: 0,
        nodes,
        edges,
        truncated,
        limit,
    })
}

/// The facts that pass the filter and name at least two entities in roles (the others draw no
/// edge), most certain first, then newest, then by IRI. A fact is placed in time as everywhere
/// else (`facts::placed`), so that a filtered export of the whole graph keeps every edge the
/// same filter keeps around one entity.
fn linking_facts(
    reader: &Reader<'_>,
    roles: &Roles,
    filter: &FactFilter,
) -> Result<Vec<String>, ViewError> {
    let rows = reader.select(&format!(
        "SELECT ?fact (MAX(?r) AS ?rank) (MAX(STR(?w)) AS ?when) WHERE {{
           {{ SELECT ?fact WHERE {{
               GRAPH ?g {{ ?fact ?role ?x }} FILTER(?g != {derived}) {in_roles} FILTER(isIRI(?x))
               ?fact dg:certainty ?certainty .
               {filter}
             }} GROUP BY ?fact HAVING (COUNT(DISTINCT ?x) >= 2) }}
           OPTIONAL {{ ?fact dg:certainty/dg:certaintyRank ?r }}
           {placed}
         }} GROUP BY ?fact",
        derived = derived(),
        in_roles = roles.filter("role"),
        filter = filter.sparql(),
        placed = super::facts::placed("w"),
    ))?;
    let mut facts: Vec<(Option<i64>, Option<String>, String)> = rows
        .iter()
        .filter_map(|row| {
            let fact = iri_of(row.get("fact"))?;
            let rank = text_of(row.get("rank")).and_then(|r| r.parse().ok());
            let when = text_of(row.get("when")).map(str::to_owned);
            Some((rank, when, fact.to_owned()))
        })
        .filter(|(_, when, _)| {
            (filter.since.is_none() && filter.until.is_none())
                || when
                    .as_deref()
                    .is_some_and(|w| within(w, filter.since.as_deref(), filter.until.as_deref()))
        })
        .collect();
    // Most certain, then newest, then by IRI: the order of the neighbourhood's walk.
    facts.sort_by(|a, b| (&b.0, &b.1, &a.2).cmp(&(&a.0, &a.1, &b.2)));
    Ok(facts.into_iter().map(|(_, _, fact)| fact).collect())
}

/// The edges a fact draws, one per pair of distinct ends, with ids of the neighbourhood's form:
/// the fact's IRI, and `#n` after it for the fact's `n`th relationship. The neighbourhood counts
/// only the relationships it keeps, so the same edge can have another id there; its source,
/// target and fact are what identify it across views.
fn edges_of(fact: &Fact) -> Vec<Edge> {
    let mut seen = BTreeSet::new();
    let mut edges = Vec::new();
    for (n, (from, to, verb)) in fact.links().into_iter().enumerate() {
        let (source, target) = (
            &fact.participants[from].entity.iri,
            &fact.participants[to].entity.iri,
        );
        if !seen.insert((source, target)) {
            continue;
        }
        edges.push(Edge::drawn(fact, n, source, target, verb));
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{Amount, CertaintyRef, DG};

    fn view() -> GraphView {
        let node = |iri: &str, label: &str| Node {
            iri: iri.to_owned(),
            id: None,
            label: label.to_owned(),
            kind: Some(Ref::new(&format!("{DG}AILab"), Some("AI lab"))),
            facts: 2,
            depth: 1,
        };
        GraphView {
            focus: Ref::new("https://w3id.org/dealgraph/id/a", Some("A & Co")),
            depth: 1,
            nodes: vec![
                node("https://w3id.org/dealgraph/id/a", "A & Co"),
                // A control character in a label: XML 1.0 cannot hold it.
                node("https://w3id.org/dealgraph/id/b", "B \"quoted\" <b>\u{1}"),
            ],
            edges: vec![Edge {
                id: "https://w3id.org/dealgraph/id/f".into(),
                source: "https://w3id.org/dealgraph/id/a".into(),
                target: "https://w3id.org/dealgraph/id/b".into(),
                fact: "https://w3id.org/dealgraph/id/f".into(),
                kind: Ref::new(&format!("{DG}Investment"), Some("Investment")),
                label: "invested in".into(),
                sentence: "A & Co invested in B".into(),
                amount: Some(Amount {
                    value: Some("350000000".into()),
                    currency: Some("USD".into()),
                    ..Amount::default()
                }),
                date: Some("2024".into()),
                certainty: Some(CertaintyRef {
                    iri: "https://w3id.org/dealgraph/certainty/stated".into(),
                    label: "stated".into(),
                    rank: Some(6),
                }),
                status: None,
                source_label: Some("An article".into()),
                graph: "https://w3id.org/dealgraph/graph/article".into(),
            }],
            truncated: true,
            limit: 2,
        }
    }

    fn export(format: ExportFormat) -> String {
        let mut out = Vec::new();
        write_export(&view(), format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Every element and attribute of an XML document, failing on any syntax error.
    fn parse_xml(text: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut elements = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) | Event::Empty(e) => {
                    let attributes = e
                        .attributes()
                        .map(|a| {
                            let a = a.expect("a well-formed attribute");
                            (
                                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                                a.unescape_value().unwrap().into_owned(),
                            )
                        })
                        .collect();
                    elements.push((
                        String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                        attributes,
                    ));
                }
                Event::Text(t) => {
                    t.unescape().expect("well-formed text");
                }
                Event::Eof => return elements,
                _ => {}
            }
        }
    }

    fn attribute<'a>(element: &'a (String, Vec<(String, String)>), name: &str) -> Option<&'a str> {
        element
            .1
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn dates_of_any_precision_start_on_their_first_day() {
        assert_eq!(full_date("2024").as_deref(), Some("2024-01-01"));
        assert_eq!(full_date("2024-06").as_deref(), Some("2024-06-01"));
        assert_eq!(full_date("2024-06-15").as_deref(), Some("2024-06-15"));
        assert_eq!(
            full_date("2024-06-15T10:00:00Z").as_deref(),
            Some("2024-06-15")
        );
        assert_eq!(full_date("2024-13"), None);
        assert_eq!(full_date("soon"), None);
    }

    #[test]
    fn gexf_edges_start_at_their_date_and_labels_survive_escaping() {
        let gexf = export(ExportFormat::Gexf);
        let elements = parse_xml(&gexf);
        let edge = elements.iter().find(|e| e.0 == "edge").expect("an edge");
        assert_eq!(attribute(edge, "start"), Some("2024-01-01"));
        let labels: Vec<&str> = elements
            .iter()
            .filter(|e| e.0 == "node")
            .filter_map(|e| attribute(e, "label"))
            .collect();
        assert_eq!(labels, ["A & Co", "B \"quoted\" <b>"]);
        let graph = elements.iter().find(|e| e.0 == "graph").unwrap();
        assert_eq!(attribute(graph, "mode"), Some("dynamic"));
        assert_eq!(attribute(graph, "timeformat"), Some("date"));
        assert!(gexf.contains("Truncated: cut at the limit of 2 nodes"));
    }

    #[test]
    fn graphml_declares_a_key_for_every_data_it_holds() {
        let graphml = export(ExportFormat::GraphMl);
        let elements = parse_xml(&graphml);
        let keys: BTreeSet<&str> = elements
            .iter()
            .filter(|e| e.0 == "key")
            .filter_map(|e| attribute(e, "id"))
            .collect();
        let used: BTreeSet<&str> = elements
            .iter()
            .filter(|e| e.0 == "data")
            .filter_map(|e| attribute(e, "key"))
            .collect();
        assert!(used.is_subset(&keys), "{used:?} not all in {keys:?}");
        assert!(used.contains("e_amount") && used.contains("g_truncated"));
    }

    #[test]
    fn csv_and_cytoscape_read_back() {
        let csv_text = export(ExportFormat::CsvEdges);
        let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let row = reader.records().next().unwrap().unwrap();
        let get = |name: &str| &row[header.iter().position(|h| h == name).unwrap()];
        assert_eq!(get("amount"), "350000000");
        assert_eq!(get("source_label"), "A & Co");
        let json: serde_json::Value =
            serde_json::from_str(&export(ExportFormat::CytoscapeJson)).unwrap();
        assert_eq!(json["truncated"], true);
        assert_eq!(json["elements"]["edges"][0]["data"]["amount"], 350000000);
    }

    #[test]
    fn formats_are_named_and_unknown_ones_listed() {
        for format in ExportFormat::ALL {
            assert_eq!(format.name().parse::<ExportFormat>().unwrap(), format);
        }
        let error = "pdf".parse::<ExportFormat>().unwrap_err().to_string();
        assert!(
            error.contains("gexf, graphml, cytoscape, csv, csv-nodes"),
            "{error}"
        );
        assert_eq!(
            ExportFormat::CsvNodes.file_name("core weave/x"),
            "dealgraph-core_weave_x-nodes.csv"
        );
    }
}
