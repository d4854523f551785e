//! `ml_hardware/ml_hardware.csv`: machine-learning accelerators, each a `dg:Chip` with its
//! maker, release date and price, and its performance and memory figures.
//!
//! The chip IRI is minted from the chip's name by [`chip`]; the GPU cluster and AI model files
//! name their chips the same way, so that they link to the chips described here, and describe
//! (with a type and a label) only the chips this file does not list.

use super::{Context, Graphs, HARDWARE, RDFS_LABEL, row_source};
use crate::import::{Aliases, Column, DG, DGR, Kind, QuadSink, Row, Table, To, Value, iri, slug};
use crate::import::{ImportError, PROV, web_addresses};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, Quad};
use std::collections::BTreeSet;

/// The IRI of the chip named `name`: `dgr:chip-<slug>`. Names that differ only in case or
/// punctuation ("NVIDIA Tesla V100" and "Nvidia Tesla V100") are one chip.
pub(super) fn chip(name: &str) -> NamedNode {
    iri(DGR, &format!("chip-{}", slug(name)))
}

/// The chip another file names, linked as `chip(name)`: when the hardware file does not
/// describe it (`known`), it is described here once (`minted`) with its type and the name as
/// written for label. The other file says it is a chip; nothing else is known of it.
pub(super) fn chip_named(
    name: &str,
    known: &BTreeSet<String>,
    minted: &mut BTreeSet<String>,
    sink: &mut QuadSink,
) -> NamedNode {
    let node = chip(name);
    if !known.contains(node.as_str()) && minted.insert(node.as_str().to_owned()) {
        sink.add(&node, &rdf::TYPE.into_owned(), iri(DG, "Chip"));
        sink.string(&node, &rdfs::LABEL.into_owned(), name);
    }
    node
}

/// `ml_hardware.csv`: one `dg:Chip` per row. The figures are the chip's specifications as
/// Epoch gives them, undated.
/// Not mapped: "Notes", "ML models" (the reverse of the models' "Training hardware"), "Last
/// modified" (Epoch's bookkeeping), the FP64, INT16, INT4 and FP4 figures, intranode and
/// internode bandwidth, die size, clocks, memory bus, tensor-core count, and the figures Epoch
/// derives from the others ("Max performance", "Energy efficiency", "Total processing
/// performance", "Price-performance", "ML OP/s").
pub const HARDWARE_TABLE: Table = Table {
    file: "ml_hardware/ml_hardware.csv",
    columns: &[
        Column::new("Hardware name", Kind::Text, To::Property(RDFS_LABEL)).required(),
        Column::new("Manufacturer", Kind::Org, To::Mapping),
        Column::new(
            "Type",
            Kind::Text,
            To::Property("https://w3id.org/dealgraph/ontology#chipType"),
        ),
        Column::new(
            "Release date",
            Kind::Date,
            To::Property("http://schema.org/releaseDate"),
        ),
        Column::new(
            "Release price (USD)",
            Kind::Usd { exponent: 0 },
            To::Amount("https://w3id.org/dealgraph/ontology#releasePrice"),
        ),
        Column::new(
            "FP32 (single precision) performance (FLOP/s)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#fp32Performance"),
        ),
        Column::new(
            "FP16 (half precision) performance (FLOP/s)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#fp16Performance"),
        ),
        Column::new(
            "TF32 (TensorFloat-32) performance (FLOP/s)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#tf32Performance"),
        ),
        Column::new(
            "Tensor-FP16/BF16 performance (FLOP/s)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#tensorFP16Performance"),
        ),
        Column::new(
            "FP8 performance (FLOP/s)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#fp8Performance"),
        ),
        Column::new(
            "INT8 performance (OP/s)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#int8Performance"),
        ),
        Column::new(
            "Memory size per board (Byte)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#memorySizeBytes"),
        ),
        Column::new(
            "Memory bandwidth (byte/s)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#memoryBandwidthBytesPerSecond"),
        ),
        Column::new(
            "TDP (W)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#tdpWatts"),
        ),
        Column::new(
            "Process size (nm)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#processSizeNm"),
        ),
        Column::new(
            "Transistors (millions)",
            Kind::Decimal,
            To::Property("https://w3id.org/dealgraph/ontology#transistorsMillions"),
        ),
        Column::new("Foundry", Kind::TextList, To::Mapping),
        // Web addresses, possibly several, possibly with a remark: read as text, and the
        // addresses in it become the sources of the row.
        Column::new("Link to datasheet", Kind::Text, To::Mapping),
        Column::new("Source for the price", Kind::Text, To::Mapping),
    ],
};

/// Maps the file into its graph, and records the chips it describes in `cx.chips`.
pub(super) fn import(cx: &mut Context) -> Result<Graphs, ImportError> {
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(HARDWARE)));
    let dataset = cx.dataset(
        &mut sink,
        "epoch-ai-data-on-machine-learning-hardware",
        "Epoch AI, Data on Machine Learning Hardware",
    );
    let epoch = cx.epoch.clone();
    let mut minted = BTreeSet::new();
    cx.map_table(&HARDWARE_TABLE, &mut sink, |row, aliases| {
        hardware(row, aliases, &dataset, &epoch, &mut minted)
    })?;
    cx.chips = minted;
    Ok(vec![(HARDWARE, sink.quads)])
}

/// One chip: its attributes, its source, its maker and foundries. No fact node: see below.
fn hardware(
    row: &Row,
    aliases: &mut Aliases,
    dataset: &NamedNode,
    epoch: &NamedNode,
    minted: &mut BTreeSet<String>,
) -> Result<(Vec<Quad>, usize), String> {
    let name = row.text("Hardware name").expect("a required column");
    let node = chip(name);
    // The foundries first: a name the alias table finds ambiguous skips the row before any of
    // it is kept.
    let mut foundries = Vec::new();
    if let Some(Value::List(items)) = row.get("Foundry") {
        for item in items {
            foundries.push(aliases.resolve(item)?);
        }
    }
    if minted.contains(node.as_str()) {
        return Err(format!(
            "duplicate row: another row has a Hardware name giving <{}>",
            node.as_str()
        ));
    }
    minted.insert(node.as_str().to_owned());
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(HARDWARE)));
    sink.add(&node, &rdf::TYPE.into_owned(), iri(DG, "Chip"));
    HARDWARE_TABLE.attributes(row, &node, &mut sink);

    let source = iri(DGR, &format!("epoch-chip-{}-source", slug(name)));
    let mut urls = Vec::new();
    for column in ["Link to datasheet", "Source for the price"] {
        for url in row.text(column).map(web_addresses).unwrap_or_default() {
            if !urls.contains(&url) {
                urls.push(url);
            }
        }
    }
    row_source(
        &mut sink,
        &source,
        &format!("Epoch AI, Data on Machine Learning Hardware (row {name})"),
        dataset,
        epoch,
        &urls.iter().collect::<Vec<_>>(),
    );
    sink.add(&node, &iri(PROV, "wasDerivedFrom"), source);

    // The maker is a plain attribute of the chip (dg:manufacturer, a sub-property of
    // schema:manufacturer), not a fact node: the file gives no certainty and no words of its
    // own for it, so a fact node would need a certainty and a quote we would have to make up,
    // which the shapes require of every dg:Fact. The chip carries the row's source instead, and
    // the maker is typed dg:ChipMaker (the property's range is any organisation, as its inverse
    // dg:makes also names the makers of other products).
    if let Some(maker) = row.iri("Manufacturer") {
        sink.add(&node, &iri(DG, "manufacturer"), maker.clone());
        sink.add(maker, &rdf::TYPE.into_owned(), iri(DG, "ChipMaker"));
    }
    for foundry in foundries {
        sink.add(&node, &iri(DG, "foundry"), foundry);
    }
    Ok((sink.quads, 0))
}
