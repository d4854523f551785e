//! `data_centers/data_centers.csv`: the frontier data centres and the organisations that own,
//! use, fund, build and power them; `data_centers/data_center_timelines.csv`: each data
//! centre's state at its milestones, past and planned.

use super::{
    About, Context, DATA_CENTER_TIMELINES, DATA_CENTERS, Graphs, RDFS_LABEL, Role, SKOS_ALT_LABEL,
    provenance, role_fact, row_source,
};
use crate::import::{
    Aliases, Column, DG, DGC, DGR, Kind, QuadSink, Row, Table, To, Value, iri, slug,
};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, Quad};
use std::collections::BTreeSet;

/// `data_centers.csv`: one `dg:DataCenter` per row with its figures as literals (they are
/// Epoch's current values, undated), and one fact node per organisation of the role columns.
/// Not mapped yet: "Project" (a tagged project name) and "Sentinel satellite timelapse".
pub const DATA_CENTERS_TABLE: Table = Table {
    file: "data_centers/data_centers.csv",
    columns: &[
        Column::new("Handle", Kind::Text, To::Property(SKOS_ALT_LABEL)).required(),
        Column::new("Title", Kind::Text, To::Property(RDFS_LABEL)).required(),
        Column::new(
            "Address",
            Kind::Text,
            To::Property("http://schema.org/address"),
        ),
        Column::new(
            "Latitude",
            Kind::Coordinate,
            To::Property("http://schema.org/latitude"),
        ),
        Column::new(
            "Longitude",
            Kind::Coordinate,
            To::Property("http://schema.org/longitude"),
        ),
        Column::new("Owner", Kind::TaggedOrgList, To::Mapping),
        Column::new("Users", Kind::TaggedOrgList, To::Mapping),
        Column::new("Investors", Kind::TaggedOrgList, To::Mapping),
        Column::new("Construction companies", Kind::TaggedOrgList, To::Mapping),
        Column::new("Energy companies", Kind::TaggedOrgList, To::Mapping),
        Column::new(
            "Current H100 equivalents",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#h100Equivalents"),
        ),
        Column::new(
            "Current power (MW)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#powerMW"),
        ),
        // In billions of 2025 US dollars.
        Column::new(
            "Current total capital cost (2025 USD billions)",
            Kind::Usd { exponent: 9 },
            To::Amount("https://w3id.org/dealgraph/ontology#capitalCost"),
        ),
    ],
};

/// How each organisation column of a data centre becomes a fact node.
const DATA_CENTER_ROLES: &[Role] = &[
    Role {
        column: "Owner",
        key: "owner",
        class: "DataCenterOwnership",
        role: "owner",
        purpose: None,
        verb: "owns",
    },
    Role {
        column: "Users",
        key: "user",
        class: "CustomerRelationship",
        role: "customer",
        purpose: Some("Use of the data centre's computing capacity."),
        verb: "uses",
    },
    Role {
        column: "Investors",
        key: "investor",
        class: "Investment",
        role: "investor",
        purpose: Some("Investment in the data centre."),
        verb: "invests in",
    },
    Role {
        column: "Construction companies",
        key: "construction",
        class: "CustomerRelationship",
        role: "provider",
        purpose: Some("Construction of the data centre."),
        verb: "builds",
    },
    Role {
        column: "Energy companies",
        key: "energy",
        class: "CustomerRelationship",
        role: "provider",
        purpose: Some("Energy supply to the data centre."),
        verb: "supplies energy to",
    },
];

/// `data_center_timelines.csv`: one `dg:DataCenterSnapshot` per row, its figures declared here.
pub const TIMELINES_TABLE: Table = Table {
    file: "data_centers/data_center_timelines.csv",
    columns: &[
        Column::new("Date", Kind::Date, To::Property(DG_AS_OF)).required(),
        Column::new("Data center", Kind::Text, To::Mapping).required(),
        Column::new(
            "Construction status",
            Kind::Text,
            To::Property("https://w3id.org/dealgraph/ontology#constructionStatus"),
        ),
        Column::new(
            "Power (MW)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#powerMW"),
        ),
        Column::new(
            "H100 equivalents",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#h100Equivalents"),
        ),
        Column::new(
            "Buildings operational",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#buildingsOperational"),
        ),
        Column::new(
            "Total capital cost (2025 USD billions)",
            Kind::Usd { exponent: 9 },
            To::Amount("https://w3id.org/dealgraph/ontology#capitalCost"),
        ),
        Column::new(
            "Compute cost (2025 USD billions)",
            Kind::Usd { exponent: 9 },
            To::Amount("https://w3id.org/dealgraph/ontology#computeCost"),
        ),
        Column::new(
            "Construction cost (2025 USD billions)",
            Kind::Usd { exponent: 9 },
            To::Amount("https://w3id.org/dealgraph/ontology#constructionCost"),
        ),
        Column::new(
            "Building area (square feet)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#buildingAreaSqFt"),
        ),
        Column::new(
            "Site area (square feet)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#siteAreaSqFt"),
        ),
        Column::new(
            "Water use (MGD)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#waterUseMGD"),
        ),
        Column::new(
            "Performance (8-bit OP/s)",
            Kind::Double,
            To::Property("https://w3id.org/dealgraph/ontology#performance8bitOps"),
        ),
    ],
};

const DG_AS_OF: &str = "https://w3id.org/dealgraph/ontology#asOf";

/// The last day of Epoch AI's data in this copy (see `data/epoch/README.md`): a snapshot dated
/// later is Epoch's projection of a plan, not a state it observed.
const SNAPSHOT_OF_THE_DATA: &str = "2025-12-17";

/// Maps both files, each into its graph.
pub(super) fn import(cx: &mut Context) -> Result<Graphs, crate::import::ImportError> {
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(DATA_CENTERS)));
    let dataset = cx.dataset(
        &mut sink,
        "epoch-ai-data-on-frontier-ai-data-centers",
        "Epoch AI, Data on Frontier AI Data Centers",
    );
    let epoch = cx.epoch.clone();
    let mut minted = BTreeSet::new();
    cx.map_table(&DATA_CENTERS_TABLE, &mut sink, |row, aliases| {
        data_center(row, aliases, &dataset, &epoch, &mut minted)
    })?;

    let mut timeline_sink =
        QuadSink::new(GraphName::NamedNode(super::graph(DATA_CENTER_TIMELINES)));
    let mut snapshots = BTreeSet::new();
    cx.map_table(&TIMELINES_TABLE, &mut timeline_sink, |row, _| {
        snapshot(row, &minted, &dataset, &epoch, &mut snapshots)
    })?;
    Ok(vec![
        (DATA_CENTERS, sink.quads),
        (DATA_CENTER_TIMELINES, timeline_sink.quads),
    ])
}

/// One row of the timelines: the data centre's state at a date. Its certainty is stated for a
/// date up to the data's own, and expected after it (Epoch's projection of a plan); its quote is
/// the construction status in Epoch's words.
fn snapshot(
    row: &Row,
    data_centers: &BTreeSet<String>,
    dataset: &NamedNode,
    epoch: &NamedNode,
    minted: &mut BTreeSet<String>,
) -> Result<(Vec<Quad>, usize), String> {
    let name = row.text("Data center").expect("a required column");
    let date = row.literal("Date").expect("a required column");
    let dc_slug = slug(name);
    let dc_local = format!("data-center-{dc_slug}");
    if !data_centers.contains(&dc_local) {
        return Err(format!(
            "unknown data centre: {name:?} is not a Handle of data_centers/data_centers.csv"
        ));
    }
    let local = format!("epoch-data-center-{dc_slug}-{}", slug(date.value()));
    if !minted.insert(local.clone()) {
        return Err(format!(
            "duplicate row: another row gives {name:?} at {}",
            date.value()
        ));
    }
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(DATA_CENTER_TIMELINES)));
    let fact = iri(DGR, &local);
    let source = iri(DGR, &format!("{local}-source"));
    row_source(
        &mut sink,
        &source,
        &format!(
            "Epoch AI, Data on Frontier AI Data Centers (timeline of {name}, {})",
            date.value()
        ),
        dataset,
        epoch,
        &[],
    );
    sink.add(
        &fact,
        &rdf::TYPE.into_owned(),
        iri(DG, "DataCenterSnapshot"),
    );
    sink.string(
        &fact,
        &rdfs::LABEL.into_owned(),
        &format!("{name} on {} (Epoch AI)", date.value()),
    );
    sink.add(&fact, &iri(DG, "dataCenter"), iri(DGR, &dc_local));
    TIMELINES_TABLE.attributes(row, &fact, &mut sink);
    let certainty = if date.value() <= SNAPSHOT_OF_THE_DATA {
        "stated"
    } else {
        "expected"
    };
    let quote = row
        .raw("Construction status")
        .map_or_else(|| format!("{name}, {}", date.value()), str::to_owned);
    provenance(&mut sink, &fact, &source, &quote, &iri(DGC, certainty));
    Ok((sink.quads, 1))
}

/// One data centre and a fact node per organisation of its role columns.
fn data_center(
    row: &Row,
    aliases: &Aliases,
    dataset: &NamedNode,
    epoch: &NamedNode,
    minted: &mut BTreeSet<String>,
) -> Result<(Vec<Quad>, usize), String> {
    let handle = row.text("Handle").expect("a required column");
    let title = row.text("Title").expect("a required column");
    let dc_slug = slug(handle);
    let local = format!("data-center-{dc_slug}");
    if !minted.insert(local.clone()) {
        return Err(format!(
            "duplicate row: another row has a Handle giving <{DGR}{local}>"
        ));
    }
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(DATA_CENTERS)));
    let dc = iri(DGR, &local);
    sink.add(&dc, &rdf::TYPE.into_owned(), iri(DG, "DataCenter"));
    DATA_CENTERS_TABLE.attributes(row, &dc, &mut sink);
    let source = iri(DGR, &format!("epoch-data-center-{dc_slug}-source"));
    row_source(
        &mut sink,
        &source,
        &format!("Epoch AI, Data on Frontier AI Data Centers (row {handle})"),
        dataset,
        epoch,
        &[],
    );
    let mut facts = 0;
    for role in DATA_CENTER_ROLES {
        let Some(Value::Tagged(items)) = row.get(role.column) else {
            continue;
        };
        let cell_quote = row.raw(role.column).unwrap_or(role.column);
        let about = About {
            node: &dc,
            link: "dataCenter",
            name: title,
            prefix: &format!("epoch-data-center-{dc_slug}"),
        };
        for (org, certainty) in items {
            let label = aliases.label(org);
            if !role_fact(
                &mut sink, minted, role, &about, org, label, &source, cell_quote, certainty,
            ) {
                continue;
            }
            facts += 1;
        }
    }
    Ok((sink.quads, facts))
}
