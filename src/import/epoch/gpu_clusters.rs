//! `gpu_clusters/gpu_clusters.csv`: GPU clusters, their chips and figures, the organisations
//! that own and use them, and how they follow on from each other.

use super::{
    About, Context, GPU_CLUSTERS, Graphs, RDFS_LABEL, Role, hardware, role_fact, row_source,
};
use crate::import::{Aliases, Column, DG, DGR, ImportError, Kind, QuadSink, Row, Table, To};
use crate::import::{PROV, Value, iri, slug, web_addresses};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode};
use std::collections::BTreeSet;

/// Epoch's Status, as the operational status of the cluster (a small scheme of its own in the
/// ontology: the status scheme `dgs:` is the life cycle of a deal, and `dg:status` belongs to
/// fact nodes).
const STATUSES: &[(&str, &str)] = &[
    (
        "Existing",
        "https://w3id.org/dealgraph/operational-status/existing",
    ),
    (
        "Planned",
        "https://w3id.org/dealgraph/operational-status/planned",
    ),
    (
        "Decommissioned",
        "https://w3id.org/dealgraph/operational-status/decommissioned",
    ),
];

/// Epoch's Certainty of a cluster (that it exists or will, as described), as the certainty of
/// its owner and user fact nodes: "Confirmed" rests on what the owner or its documents state,
/// so stated; "Likely" on reports and Epoch's reading of them, so reported, as the funding
/// rounds' "Likely"; "Unlikely" is Epoch's doubt, so speculative, the lowest there is.
const CERTAINTIES: &[(&str, &str)] = &[
    ("Confirmed", "https://w3id.org/dealgraph/certainty/stated"),
    ("Likely", "https://w3id.org/dealgraph/certainty/reported"),
    (
        "Unlikely",
        "https://w3id.org/dealgraph/certainty/speculative",
    ),
];

/// `gpu_clusters.csv`: one `dg:GPUCluster` per row with its figures as literals (Epoch's current
/// values, undated) and one fact node per owner and per user organisation.
/// Not mapped: Epoch's notes ("Note", "Hardware note", "Certainty Note", "First Operational
/// Date Note", "Cost Quote"), "Single cluster?", the GPU supplier columns (the chips' makers
/// are in the hardware graph), the flags "Possible Duplicate", "Include in Standard
/// Analysis", "Exclude" and "Noteworthy", and the figures Epoch derives from the others
/// (OP/s and their logarithms, energy efficiency, calculated and reported power and cost
/// beside the power and cost mapped, ranks and shares of the largest cluster).
pub const GPU_CLUSTERS_TABLE: Table = Table {
    file: "gpu_clusters/gpu_clusters.csv",
    columns: &[
        Column::new("Name", Kind::Text, To::Property(RDFS_LABEL)).required(),
        Column::new(
            "Status",
            Kind::Code(STATUSES),
            To::Property("https://w3id.org/dealgraph/ontology#operationalStatus"),
        ),
        Column::new("Certainty", Kind::Code(CERTAINTIES), To::Mapping).required(),
        Column::new(
            "H100 equivalents",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#h100Equivalents"),
        ),
        Column::new("Chip type (primary)", Kind::Text, To::Mapping),
        Column::new(
            "Chip quantity (primary)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#primaryChipQuantity"),
        ),
        Column::new("Chip type (secondary)", Kind::Text, To::Mapping),
        Column::new(
            "Chip quantity (secondary)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#secondaryChipQuantity"),
        ),
        Column::new(
            "Total number of AI chips",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#chipCount"),
        ),
        Column::new(
            "Country",
            Kind::Text,
            To::Property("http://schema.org/addressCountry"),
        ),
        Column::new(
            "Location",
            Kind::Text,
            To::Property("http://schema.org/address"),
        ),
        Column::new("Owner", Kind::TextList, To::Mapping),
        // Kept in its own words as well: the cell names organisations and also groups of users
        // ("Cloud", "Academia", "US Companies") that are no organisation.
        Column::new(
            "Users",
            Kind::Text,
            To::Property("https://w3id.org/dealgraph/ontology#userDescription"),
        ),
        Column::new(
            "First Operational Date",
            Kind::Date,
            To::Property("https://w3id.org/dealgraph/ontology#firstOperationalDate"),
        ),
        Column::new(
            "Decommissioned Date (if applicable)",
            Kind::Date,
            To::Property("https://w3id.org/dealgraph/ontology#decommissionedDate"),
        ),
        Column::new(
            "Sector",
            Kind::Text,
            To::Property("https://w3id.org/dealgraph/ontology#sector"),
        ),
        Column::new(
            "Power Capacity (MW)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#powerMW"),
        ),
        // In US dollars: Epoch's estimate of the hardware's cost ("Calculated Cost"), or the
        // reported cost adjusted for inflation when there is one.
        Column::new(
            "Hardware Cost",
            Kind::Usd { exponent: 0 },
            To::Amount("https://w3id.org/dealgraph/ontology#hardwareCost"),
        ),
        Column::new("Quote", Kind::Text, To::Mapping),
        Column::new("Builds Upon", Kind::Text, To::Mapping),
        Column::new("Superseded by", Kind::Text, To::Mapping),
        Column::new("Possible Duplicate Of", Kind::Text, To::Mapping),
        // Web addresses, sometimes with a remark, sometimes only words ("Cluster performance
        // database"): read as text, and the addresses in it become the sources of the row.
        Column::new("Source 1", Kind::Text, To::Mapping),
        Column::new("Source 2", Kind::Text, To::Mapping),
        Column::new("Source 3", Kind::Text, To::Mapping),
        Column::new("Source 4", Kind::Text, To::Mapping),
        Column::new("Source 5", Kind::Text, To::Mapping),
    ],
};

/// How the owner and the users of a cluster become fact nodes.
const OWNER: Role = Role {
    column: "Owner",
    key: "owner",
    class: "GPUClusterOwnership",
    role: "owner",
    verb: "owns",
    purpose: None,
};

const USER: Role = Role {
    column: "Users",
    key: "user",
    class: "CustomerRelationship",
    role: "customer",
    verb: "uses",
    purpose: Some("Use of the GPU cluster's computing capacity."),
};

/// The columns that name other clusters of the file, and the property each becomes.
const LINKS: &[(&str, &str)] = &[
    ("Builds Upon", "buildsUpon"),
    ("Superseded by", "supersededBy"),
    ("Possible Duplicate Of", "possibleDuplicateOf"),
];

/// A link to another cluster, resolved once every row has been read.
struct PendingLink {
    line: u64,
    from: NamedNode,
    column: &'static str,
    property: &'static str,
    cell: String,
}

/// The IRI of the cluster named `name`.
fn cluster(name: &str) -> NamedNode {
    iri(DGR, &format!("gpu-cluster-{}", slug(name)))
}

/// Maps the file into its graph.
pub(super) fn import(cx: &mut Context) -> Result<Graphs, ImportError> {
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(GPU_CLUSTERS)));
    let dataset = cx.dataset(
        &mut sink,
        "epoch-ai-data-on-gpu-clusters",
        "Epoch AI, Data on GPU Clusters",
    );
    let epoch = cx.epoch.clone();
    let chips = cx.chips.clone();
    let mut minted = BTreeSet::new();
    let mut minted_chips = BTreeSet::new();
    let mut pending = Vec::new();
    cx.map_table(&GPU_CLUSTERS_TABLE, &mut sink, |row, aliases| {
        let mut row_sink = QuadSink::new(GraphName::NamedNode(super::graph(GPU_CLUSTERS)));
        let (facts, node) = gpu_cluster(
            row,
            aliases,
            &Sources {
                dataset: &dataset,
                epoch: &epoch,
            },
            &mut minted,
            &mut pending,
            &mut row_sink,
        )?;
        for (column, property) in [
            ("Chip type (primary)", "primaryChip"),
            ("Chip type (secondary)", "secondaryChip"),
        ] {
            if let Some(name) = row.text(column) {
                let chip = hardware::chip_named(name, &chips, &mut minted_chips, &mut row_sink);
                row_sink.add(&node, &iri(DG, property), chip);
            }
        }
        Ok((row_sink.quads, facts))
    })?;
    // The links, now that every cluster of the file is known. A name that is no cluster of the
    // file (a row never written, or written under another name) is kept in the cell's words
    // as a comment on the cluster, and noted in the report: a link to a cluster that is not
    // there would be a cluster we know nothing of.
    for link in pending {
        let whole = cluster(&link.cell);
        let names: Vec<&str> = if minted.contains(whole.as_str()) {
            vec![link.cell.as_str()]
        } else {
            link.cell
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        };
        for name in names {
            let to = cluster(name);
            if to == link.from {
                continue;
            }
            if minted.contains(to.as_str()) {
                sink.add(&link.from, &iri(DG, link.property), to);
            } else {
                sink.string(
                    &link.from,
                    &rdfs::COMMENT.into_owned(),
                    &format!("{}: {name}", link.column),
                );
                cx.report.notes.push(format!(
                    "{}:{}: column {:?} names {name:?}, no cluster of the file: kept as a comment, not linked",
                    GPU_CLUSTERS_TABLE.file, link.line, link.column
                ));
            }
        }
    }
    Ok(vec![(GPU_CLUSTERS, sink.quads)])
}

/// The dataset and its publisher, which every row's source names.
struct Sources<'a> {
    dataset: &'a NamedNode,
    epoch: &'a NamedNode,
}

/// One cluster, its source, and a fact node per owner and per user organisation; its links to
/// other clusters go to `pending`. Returns the number of fact nodes.
fn gpu_cluster(
    row: &Row,
    aliases: &mut Aliases,
    sources: &Sources<'_>,
    minted: &mut BTreeSet<String>,
    pending: &mut Vec<PendingLink>,
    sink: &mut QuadSink,
) -> Result<(usize, NamedNode), String> {
    let name = row.text("Name").expect("a required column");
    let node = cluster(name);
    // The organisations first, so that a name the alias table finds ambiguous skips the row
    // before any of it is kept.
    let owners = match row.get("Owner") {
        Some(Value::List(items)) => items
            .iter()
            .map(|item| aliases.resolve(item))
            .collect::<Result<Vec<_>, _>>()?,
        _ => Vec::new(),
    };
    let users = users(row.text("Users"), aliases)?;
    // Epoch lists hundreds of distinct clusters under one name ("Anonymized Chinese System"):
    // a name seen before gets its row's line in its IRI, so that no row is lost. Links by name
    // go to the first row of that name.
    let node = if minted.contains(node.as_str()) {
        iri(
            DGR,
            &format!("gpu-cluster-{}-line-{}", slug(name), row.line),
        )
    } else {
        node
    };
    if !minted.insert(node.as_str().to_owned()) {
        return Err(format!(
            "duplicate row: another row gives <{}>",
            node.as_str()
        ));
    }
    sink.add(&node, &rdf::TYPE.into_owned(), iri(DG, "GPUCluster"));
    GPU_CLUSTERS_TABLE.attributes(row, &node, sink);

    let cluster_slug = node
        .as_str()
        .trim_start_matches(DGR)
        .trim_start_matches("gpu-cluster-")
        .to_owned();
    let source = iri(DGR, &format!("epoch-gpu-cluster-{cluster_slug}-source"));
    let mut urls = Vec::new();
    for column in ["Source 1", "Source 2", "Source 3", "Source 4", "Source 5"] {
        for url in row.text(column).map(web_addresses).unwrap_or_default() {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
    }
    row_source(
        sink,
        &source,
        &format!(
            "Epoch AI, Data on GPU Clusters (row {name}, line {})",
            row.line
        ),
        sources.dataset,
        sources.epoch,
        &urls.iter().collect::<Vec<_>>(),
    );
    sink.add(&node, &iri(PROV, "wasDerivedFrom"), source.clone());

    let certainty = row.iri("Certainty").expect("a required column").clone();
    let mut facts = 0;
    for (role, orgs) in [(&OWNER, &owners), (&USER, &users)] {
        // The row's own Quote when it has one, else the organisation cell as written.
        let quote = row
            .text("Quote")
            .or_else(|| row.raw(role.column))
            .unwrap_or(role.column);
        let about = About {
            node: &node,
            link: "gpuCluster",
            name,
            prefix: &format!("epoch-gpu-cluster-{cluster_slug}"),
        };
        for org in orgs {
            let label = aliases.label(org).to_owned();
            if !role_fact(
                sink, minted, role, &about, org, &label, &source, quote, &certainty,
            ) {
                continue;
            }
            facts += 1;
        }
    }

    for (column, property) in LINKS {
        if let Some(cell) = row.text(column) {
            pending.push(PendingLink {
                line: row.line,
                from: node.clone(),
                column,
                property,
                cell: cell.to_owned(),
            });
        }
    }
    Ok((facts, node))
}

/// The organisations of a Users cell: the items (between commas) that the alias table knows,
/// exactly, as an organisation's label or alternative label. The cell also holds groups of
/// users ("Cloud", "Academia", "Researchers", "US Companies") and pieces of sentences, which
/// are no organisation: minting an organisation from each would invent organisations, so
/// they stay only in the cell's words (`dg:userDescription`), as do organisations the alias
/// table does not know yet (add them to it to make them customers).
fn users(cell: Option<&str>, aliases: &mut Aliases) -> Result<Vec<NamedNode>, String> {
    let mut found = Vec::new();
    for item in cell
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let known = aliases
            .named_in(item)
            .iter()
            .any(|(name, _)| name.as_str() == item);
        if known {
            let org = aliases.resolve(item)?;
            if !found.contains(&org) {
                found.push(org);
            }
        }
    }
    Ok(found)
}
