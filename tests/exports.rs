//! `/api/export` over real HTTP: each format read back with its own parser (quick-xml, csv,
//! serde_json) holds the same nodes and edges as `/api/graph` for the same request, with the
//! hand-checked OpenAI → CoreWeave compute agreement of the article ($11.9 billion, stated).

mod common;

use common::{TestServer, client, error_of};
use quick_xml::events::{BytesStart, Event};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const ID: &str = "https://w3id.org/dealgraph/id/";

fn iri(local: &str) -> String {
    format!("{ID}{local}")
}

/// An edge as every format gives it: its ends and fact, and its attributes by name.
#[derive(Debug)]
struct ReadEdge {
    source: String,
    target: String,
    label: String,
    attributes: BTreeMap<String, String>,
    /// GEXF's `start`.
    start: Option<String>,
}

impl ReadEdge {
    fn fact(&self) -> &str {
        self.attributes.get("fact").map_or("", String::as_str)
    }

    fn key(&self) -> (String, String, String) {
        (
            self.source.clone(),
            self.target.clone(),
            self.fact().to_owned(),
        )
    }
}

/// What a test reads from an export.
#[derive(Debug)]
struct ReadGraph {
    nodes: Vec<(String, BTreeMap<String, String>)>,
    edges: Vec<ReadEdge>,
}

/// A downloaded export.
struct Download {
    content_type: String,
    disposition: String,
    truncated: String,
    body: String,
}

fn download(server: &TestServer, query: &str) -> Download {
    let response = client()
        .get(server.url(&format!("/api/export?{query}")))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "/api/export?{query}");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    Download {
        content_type: header("content-type"),
        disposition: header("content-disposition"),
        truncated: header("x-dealgraph-truncated"),
        body: response.text().unwrap(),
    }
}

/// `/api/graph`'s answer for the same request.
fn graph_view(server: &TestServer, query: &str) -> Value {
    let response = client()
        .get(server.url(&format!("/api/graph?{query}")))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "/api/graph?{query}");
    response.json().unwrap()
}

fn view_nodes(view: &Value) -> BTreeSet<String> {
    view["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["iri"].as_str().unwrap().to_owned())
        .collect()
}

fn view_edges(view: &Value) -> BTreeSet<(String, String, String)> {
    view["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["source"].as_str().unwrap().to_owned(),
                e["target"].as_str().unwrap().to_owned(),
                e["fact"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The export holds exactly the view's nodes and edges, no more, no fewer, none twice.
fn assert_same_graph(read: &ReadGraph, view: &Value) {
    let nodes: BTreeSet<String> = read.nodes.iter().map(|(id, _)| id.clone()).collect();
    let edges: BTreeSet<(String, String, String)> = read.edges.iter().map(ReadEdge::key).collect();
    assert_eq!(read.nodes.len(), view["nodes"].as_array().unwrap().len());
    assert_eq!(read.edges.len(), view["edges"].as_array().unwrap().len());
    assert_eq!(nodes, view_nodes(view));
    assert_eq!(edges, view_edges(view));
    for edge in &read.edges {
        assert!(
            nodes.contains(&edge.source) && nodes.contains(&edge.target),
            "an edge to a node that is not in the file: {edge:?}"
        );
    }
}

/// The OpenAI → CoreWeave compute agreement, with the amount and currency of the article and
/// the date and certainty `/api/graph` gives it.
fn assert_compute_agreement(read: &ReadGraph, view: &Value) -> BTreeMap<String, String> {
    let fact = iri("openai-coreweave-compute-agreement");
    let expected = view["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["fact"] == fact.as_str() && e["source"] == iri("openai").as_str())
        .expect("/api/graph has the compute agreement");
    let edge = read
        .edges
        .iter()
        .find(|e| e.fact() == fact)
        .expect("the export has the compute agreement");
    assert_eq!(edge.source, iri("openai"));
    assert_eq!(edge.target, iri("coreweave"));
    assert_eq!(edge.label, "buys compute from");
    let attribute = |name: &str| edge.attributes.get(name).map(String::as_str);
    assert_eq!(attribute("amount"), Some("11900000000"));
    assert_eq!(attribute("currency"), Some("USD"));
    assert_eq!(attribute("relation"), Some("Compute agreement"));
    // The article states it; the export says so in the certainty's own words.
    let certainty = expected["certainty"]["label"]
        .as_str()
        .expect("a certainty");
    assert_eq!(attribute("certainty"), Some(certainty));
    assert_eq!(attribute("date"), expected["date"].as_str());
    edge.attributes.clone()
}

/// The first day of a date of any precision, as GEXF's `timeformat="date"` needs it.
fn first_day(date: &str) -> String {
    match date.len() {
        4 => format!("{date}-01-01"),
        7 => format!("{date}-01"),
        _ => date[..10].to_owned(),
    }
}

/// A parsed XML element.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: BTreeMap<String, String>,
    text: String,
    children: Vec<Element>,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    /// The descendants of this name, in document order.
    fn all(&self, name: &str) -> Vec<&Element> {
        let mut found = Vec::new();
        for child in &self.children {
            if child.name == name {
                found.push(child);
            }
            found.extend(child.all(name));
        }
        found
    }

    fn one(&self, name: &str) -> &Element {
        let all = self.all(name);
        assert_eq!(all.len(), 1, "one <{name}>");
        all[0]
    }
}

/// The document's root element; panics on anything that is not well-formed XML.
fn parse_xml(text: &str) -> Element {
    fn element(start: &BytesStart) -> Element {
        Element {
            name: String::from_utf8(start.name().as_ref().to_vec()).unwrap(),
            attributes: start
                .attributes()
                .map(|a| {
                    let a = a.expect("a well-formed attribute");
                    (
                        String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                        a.unescape_value().expect("an attribute value").into_owned(),
                    )
                })
                .collect(),
            ..Element::default()
        }
    }
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => stack.push(element(&start)),
            Event::Empty(start) => stack.last_mut().unwrap().children.push(element(&start)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().expect("balanced tags").children.push(done);
            }
            Event::Text(text) => stack
                .last_mut()
                .unwrap()
                .text
                .push_str(&text.unescape().expect("well-formed text")),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut document = stack.pop().unwrap();
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.pop().unwrap()
}

fn read_gexf(text: &str) -> (Element, ReadGraph) {
    let root = parse_xml(text);
    let declared = |class: &str| -> BTreeSet<String> {
        root.all("attributes")
            .into_iter()
            .filter(|a| a.attribute("class") == Some(class))
            .flat_map(|a| a.all("attribute"))
            .map(|a| a.attribute("id").unwrap().to_owned())
            .collect()
    };
    let (node_attributes, edge_attributes) = (declared("node"), declared("edge"));
    let values = |element: &Element, declared: &BTreeSet<String>| {
        element
            .all("attvalue")
            .into_iter()
            .map(|v| {
                let name = v.attribute("for").unwrap();
                assert!(declared.contains(name), "undeclared attribute {name}");
                (name.to_owned(), v.attribute("value").unwrap().to_owned())
            })
            .collect::<BTreeMap<_, _>>()
    };
    let nodes = root
        .all("node")
        .into_iter()
        .map(|n| {
            let mut attributes = values(n, &node_attributes);
            attributes.insert("label".into(), n.attribute("label").unwrap().to_owned());
            (n.attribute("id").unwrap().to_owned(), attributes)
        })
        .collect();
    let edges = root
        .all("edge")
        .into_iter()
        .map(|e| ReadEdge {
            source: e.attribute("source").unwrap().to_owned(),
            target: e.attribute("target").unwrap().to_owned(),
            label: e.attribute("label").unwrap().to_owned(),
            attributes: values(e, &edge_attributes),
            start: e.attribute("start").map(str::to_owned),
        })
        .collect();
    (root, ReadGraph { nodes, edges })
}

fn read_graphml(text: &str) -> (Element, ReadGraph) {
    let root = parse_xml(text);
    // key id -> (for, attr.name)
    let keys: BTreeMap<String, (String, String)> = root
        .all("key")
        .into_iter()
        .map(|k| {
            (
                k.attribute("id").unwrap().to_owned(),
                (
                    k.attribute("for").unwrap().to_owned(),
                    k.attribute("attr.name").unwrap().to_owned(),
                ),
            )
        })
        .collect();
    let data = |element: &Element, of: &str| {
        element
            .children
            .iter()
            .filter(|d| d.name == "data")
            .map(|d| {
                let key = d.attribute("key").unwrap();
                let (for_, name) = keys.get(key).expect("a declared key");
                assert_eq!(for_, of, "key {key} is for {for_}");
                (name.clone(), d.text.clone())
            })
            .collect::<BTreeMap<_, _>>()
    };
    let graph = root.one("graph");
    let nodes = graph
        .all("node")
        .into_iter()
        .map(|n| (n.attribute("id").unwrap().to_owned(), data(n, "node")))
        .collect();
    let edges = graph
        .all("edge")
        .into_iter()
        .map(|e| {
            let attributes = data(e, "edge");
            ReadEdge {
                source: e.attribute("source").unwrap().to_owned(),
                target: e.attribute("target").unwrap().to_owned(),
                label: attributes.get("label").cloned().unwrap_or_default(),
                attributes,
                start: None,
            }
        })
        .collect();
    (root, ReadGraph { nodes, edges })
}

fn read_cytoscape(text: &str) -> (Value, ReadGraph) {
    let document: Value = serde_json::from_str(text).expect("JSON");
    let data = |element: &Value| -> BTreeMap<String, String> {
        element["data"]
            .as_object()
            .expect("every element has data")
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    };
    let nodes = document["elements"]["nodes"]
        .as_array()
        .expect("elements.nodes")
        .iter()
        .map(|n| {
            let data = data(n);
            (data["id"].clone(), data)
        })
        .collect();
    let edges = document["elements"]["edges"]
        .as_array()
        .expect("elements.edges")
        .iter()
        .map(|e| {
            let data = data(e);
            ReadEdge {
                source: data["source"].clone(),
                target: data["target"].clone(),
                label: data["label"].clone(),
                attributes: data,
                start: None,
            }
        })
        .collect();
    (document, ReadGraph { nodes, edges })
}

/// The rows of a CSV file as maps from its header; fails on malformed CSV or ragged rows.
fn read_csv(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("a header row").clone();
    reader
        .records()
        .map(|r| {
            let record = r.expect("a well-formed row");
            header
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

fn read_csv_pair(edges: &str, nodes: &str) -> ReadGraph {
    let nodes = read_csv(nodes)
        .into_iter()
        .map(|row| (row["id"].clone(), row))
        .collect();
    let edges = read_csv(edges)
        .into_iter()
        .map(|row| ReadEdge {
            source: row["source"].clone(),
            target: row["target"].clone(),
            label: row["label"].clone(),
            // An empty cell is an absent value.
            attributes: row.into_iter().filter(|(_, v)| !v.is_empty()).collect(),
            start: None,
        })
        .collect();
    ReadGraph { nodes, edges }
}

const FOCUS: &str = "focus=coreweave";

#[test]
fn gexf_export_holds_the_neighbourhood_with_dates_for_the_timeline() {
    let server = TestServer::start();
    // Two hops, to reach the article's one dated relationship: Microsoft's investment in OpenAI.
    let query = format!("{FOCUS}&depth=2");
    let view = graph_view(&server, &query);
    let file = download(&server, &format!("format=gexf&{query}"));
    assert_eq!(file.content_type, "application/gexf+xml");
    assert_eq!(
        file.disposition,
        "attachment; filename=\"dealgraph-coreweave.gexf\""
    );
    assert_eq!(file.truncated, "false");
    let (root, read) = read_gexf(&file.body);
    assert_eq!(root.name, "gexf");
    assert_eq!(root.attribute("xmlns"), Some("http://gexf.net/1.3"));
    assert_eq!(root.attribute("version"), Some("1.3"));
    let graph = root.one("graph");
    assert_eq!(graph.attribute("mode"), Some("dynamic"));
    assert_eq!(graph.attribute("timeformat"), Some("date"));
    assert_eq!(graph.attribute("defaultedgetype"), Some("directed"));
    assert_same_graph(&read, &view);
    let coreweave = &read
        .nodes
        .iter()
        .find(|(id, _)| *id == iri("coreweave"))
        .unwrap()
        .1;
    assert_eq!(coreweave["label"], "CoreWeave");
    assert!(coreweave.contains_key("type") && coreweave.contains_key("facts"));
    assert_eq!(coreweave["depth"], "0");
    assert_compute_agreement(&read, &view);
    // Every dated edge starts on its date's first day, and only dated edges start.
    let dated: Vec<&ReadEdge> = read
        .edges
        .iter()
        .filter(|e| e.attributes.contains_key("date"))
        .collect();
    assert!(
        !dated.is_empty(),
        "CoreWeave's neighbourhood has dated facts"
    );
    for edge in &read.edges {
        assert_eq!(
            edge.start,
            edge.attributes.get("date").map(|d| first_day(d)),
            "{edge:?}"
        );
    }
    // Its start, `dg:startDate "2019"^^xsd:gYear`, as a whole date.
    let investment = read
        .edges
        .iter()
        .find(|e| e.fact() == iri("microsoft-openai-cumulative-investment"))
        .expect("Microsoft's investment in OpenAI, two hops from CoreWeave");
    assert_eq!(
        (investment.source.as_str(), investment.target.as_str()),
        (iri("microsoft").as_str(), iri("openai").as_str())
    );
    assert_eq!(investment.attributes["date"], "2019");
    assert_eq!(investment.start.as_deref(), Some("2019-01-01"));
}

#[test]
fn graphml_export_holds_the_neighbourhood() {
    let server = TestServer::start();
    let view = graph_view(&server, FOCUS);
    let file = download(&server, &format!("format=graphml&{FOCUS}"));
    assert_eq!(file.content_type, "application/graphml+xml");
    assert_eq!(
        file.disposition,
        "attachment; filename=\"dealgraph-coreweave.graphml\""
    );
    let (root, read) = read_graphml(&file.body);
    assert_eq!(root.name, "graphml");
    assert_eq!(
        root.attribute("xmlns"),
        Some("http://graphml.graphdrawing.org/xmlns")
    );
    assert_eq!(root.one("graph").attribute("edgedefault"), Some("directed"));
    assert_same_graph(&read, &view);
    let attributes = assert_compute_agreement(&read, &view);
    assert_eq!(attributes["label"], "buys compute from");
    for (_, node) in &read.nodes {
        assert!(node.contains_key("label") && node.contains_key("type"));
    }
}

#[test]
fn cytoscape_export_holds_the_neighbourhood() {
    let server = TestServer::start();
    let view = graph_view(&server, FOCUS);
    let file = download(&server, &format!("format=cytoscape&{FOCUS}"));
    assert_eq!(file.content_type, "application/json");
    assert_eq!(
        file.disposition,
        "attachment; filename=\"dealgraph-coreweave.json\""
    );
    let (document, read) = read_cytoscape(&file.body);
    assert_eq!(document["truncated"], false);
    assert_same_graph(&read, &view);
    assert_compute_agreement(&read, &view);
    // Amounts are numbers, for Cytoscape's mappers; ids are unique across nodes and edges, or
    // cytoscape.js refuses the elements.
    let agreement = document["elements"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["data"]["fact"] == iri("openai-coreweave-compute-agreement").as_str())
        .unwrap();
    assert_eq!(agreement["data"]["amount"].as_u64(), Some(11_900_000_000));
    let mut ids = BTreeSet::new();
    for (id, _) in &read.nodes {
        assert!(ids.insert(id.clone()), "{id} twice");
    }
    for edge in &read.edges {
        assert!(ids.insert(edge.attributes["id"].clone()), "{edge:?}");
    }
}

#[test]
fn csv_exports_hold_the_neighbourhood() {
    let server = TestServer::start();
    let view = graph_view(&server, FOCUS);
    let edges = download(&server, &format!("format=csv&{FOCUS}"));
    let nodes = download(&server, &format!("format=csv-nodes&{FOCUS}"));
    for file in [&edges, &nodes] {
        assert!(
            file.content_type.starts_with("text/csv"),
            "{}",
            file.content_type
        );
    }
    assert_eq!(
        edges.disposition,
        "attachment; filename=\"dealgraph-coreweave.csv\""
    );
    assert_eq!(
        nodes.disposition,
        "attachment; filename=\"dealgraph-coreweave-nodes.csv\""
    );
    let read = read_csv_pair(&edges.body, &nodes.body);
    assert_same_graph(&read, &view);
    let attributes = assert_compute_agreement(&read, &view);
    assert_eq!(attributes["source_label"], "OpenAI");
    assert_eq!(attributes["target_label"], "CoreWeave");
}

#[test]
fn whole_graph_export_holds_every_edge_of_a_neighbourhood() {
    let server = TestServer::start();
    let file = download(&server, "format=csv");
    assert_eq!(
        file.disposition,
        "attachment; filename=\"dealgraph-all.csv\""
    );
    assert_eq!(file.truncated, "false");
    let nodes = download(&server, "format=csv-nodes");
    let whole = read_csv_pair(&file.body, &nodes.body);
    let whole_edges: BTreeSet<(String, String, String)> =
        whole.edges.iter().map(ReadEdge::key).collect();
    assert_eq!(whole_edges.len(), whole.edges.len(), "an edge twice");
    for focus in ["coreweave", "openai", "microsoft"] {
        let view = graph_view(&server, &format!("focus={focus}&depth=2"));
        let missing: Vec<_> = view_edges(&view)
            .difference(&whole_edges)
            .cloned()
            .collect();
        assert!(missing.is_empty(), "around {focus}, missing {missing:?}");
    }
    // Every end of an edge is described, and nothing else is.
    let ends: BTreeSet<String> = whole
        .edges
        .iter()
        .flat_map(|e| [e.source.clone(), e.target.clone()])
        .collect();
    let described: BTreeSet<String> = whole.nodes.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ends, described);
    assert!(whole.edges.len() > view_edges(&graph_view(&server, FOCUS)).len());

    // The same filter keeps the same edges in both.
    let filtered = download(&server, "format=cytoscape&relations=ComputeAgreement");
    let (_, read) = read_cytoscape(&filtered.body);
    assert!(!read.edges.is_empty());
    assert!(
        read.edges
            .iter()
            .all(|e| e.attributes["relation"] == "Compute agreement"),
        "{:?}",
        read.edges
    );
    let view = graph_view(&server, "focus=coreweave&relations=ComputeAgreement");
    let kept: BTreeSet<_> = read.edges.iter().map(ReadEdge::key).collect();
    assert!(view_edges(&view).is_subset(&kept));
}

#[test]
fn cut_exports_say_so_in_the_header_and_the_file() {
    let server = TestServer::start();
    // A neighbourhood of two nodes, where /api/graph has more.
    assert!(view_nodes(&graph_view(&server, FOCUS)).len() > 2);
    let file = download(&server, &format!("format=cytoscape&{FOCUS}&limit=2"));
    assert_eq!(file.truncated, "true");
    let (document, read) = read_cytoscape(&file.body);
    assert_eq!(document["truncated"], true);
    assert_eq!(read.nodes.len(), 2);
    let file = download(&server, &format!("format=gexf&{FOCUS}&limit=2"));
    assert_eq!(file.truncated, "true");
    let (root, _) = read_gexf(&file.body);
    assert!(
        root.one("description").text.contains("Truncated"),
        "{}",
        root.one("description").text
    );

    // The whole graph, cut at one edge.
    let file = download(&server, "format=graphml&limit=1");
    assert_eq!(file.truncated, "true");
    let (root, read) = read_graphml(&file.body);
    assert!(read.edges.len() <= 1);
    let truncated = root
        .one("graph")
        .children
        .iter()
        .find(|d| d.name == "data" && d.attribute("key") == Some("g_truncated"))
        .expect("the graph says whether it was cut");
    assert_eq!(truncated.text, "true");
    // At exactly its size the whole graph is whole; one edge fewer, and it is cut.
    let all = read_csv(&download(&server, "format=csv").body).len();
    let file = download(&server, &format!("format=csv&limit={all}"));
    assert_eq!(file.truncated, "false");
    assert_eq!(read_csv(&file.body).len(), all);
    let file = download(&server, &format!("format=csv&limit={}", all - 1));
    assert_eq!(file.truncated, "true");
    assert!(read_csv(&file.body).len() < all);
}

#[test]
fn bad_formats_and_parameters_are_json_errors() {
    let server = TestServer::start();
    let get = |query: &str| {
        client()
            .get(server.url(&format!("/api/export?{query}")))
            .send()
            .unwrap()
    };
    let (status, code, message) = error_of(get("format=pdf&focus=coreweave"));
    assert_eq!((status, code.as_str()), (400, "bad_request"));
    for name in ["gexf", "graphml", "cytoscape", "csv", "csv-nodes"] {
        assert!(message.contains(name), "{message}");
    }
    let (status, _, message) = error_of(get("focus=coreweave"));
    assert_eq!(status, 400);
    assert!(message.contains("format"), "{message}");
    let (status, _, message) = error_of(get("format=gexf&focus=coreweave&colour=red"));
    assert_eq!(status, 400);
    assert!(message.contains("colour"), "{message}");
    let (status, _, message) = error_of(get("format=gexf&depth=2"));
    assert_eq!(status, 400);
    assert!(message.contains("focus"), "{message}");
    for query in [
        "format=gexf&focus=coreweave&depth=9",
        "format=gexf&focus=coreweave&limit=0",
        "format=gexf&limit=100001",
        "format=gexf&since=2024-13",
        "format=gexf&relations=Gossip",
    ] {
        assert_eq!(error_of(get(query)).0, 400, "{query}");
    }
    let (status, code, _) = error_of(get("format=gexf&focus=nobody-at-all"));
    assert_eq!((status, code.as_str()), (404, "not_found"));
}

#[test]
fn the_export_route_is_in_the_openapi_document() {
    let server = TestServer::start();
    let document: Value = client()
        .get(server.url("/api/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let operation = &document["paths"]["/api/export"]["get"];
    let parameters: BTreeMap<&str, &Value> = operation["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .filter_map(|p| Some((p["name"].as_str()?, p)))
        .collect();
    assert_eq!(parameters["format"]["required"], true);
    for name in [
        "format",
        "focus",
        "depth",
        "relations",
        "since",
        "until",
        "certainty",
        "limit",
    ] {
        assert!(parameters.contains_key(name), "{name} not documented");
    }
    let content = operation["responses"]["200"]["content"]
        .as_object()
        .expect("the file's media types");
    for media_type in [
        "application/gexf+xml",
        "application/graphml+xml",
        "application/json",
        "text/csv",
    ] {
        assert!(content.contains_key(media_type), "{media_type}");
    }
}
