//! `ai_models/notable_ai_models.csv`, `large_scale_ai_models.csv` and `frontier_ai_models.csv`:
//! AI models, the organisations that develop them, what they were trained on and with.
//!
//! The three files are subsets of one Epoch AI database and overlap: a model listed in several
//! is one `dg:AIModel`, `dg:inEpochList` each list. The files are read in that order; a later
//! file adds to a model only the columns an earlier file left empty, and a value that differs
//! from the earlier file's is left out and counted in the report (so the notable file's values
//! win). A model's row source is one per model ("Epoch AI, Data on AI Models (model <name>)"),
//! derived from its Link: its rows in the three files are one record of Epoch's database.

use super::{Context, Graphs, MODELS, RDFS_LABEL, hardware, provenance, row_source};
use crate::import::{Aliases, Column, DG, DGR, ImportError, Kind, QuadSink, Row, Table, To};
use crate::import::{PROV, Value, iri, slug, web_addresses};
use oxigraph::model::vocab::{rdf, rdfs, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, Term};
use std::collections::{BTreeMap, BTreeSet};

/// Epoch's Confidence in a model's figures (its compute, parameter and dataset estimates), as
/// the certainty of the model's developer fact nodes, the only certainty the files give:
/// "Confident" is stated, "Likely" reported (as the funding rounds' "Likely"), "Speculative"
/// speculative. "Unknown" and "Unverified" (and an empty cell) say Epoch has not judged the
/// row, so they get the lowest certainty, speculative, rather than a firmer one nothing says.
const CONFIDENCES: &[(&str, &str)] = &[
    ("Confident", "https://w3id.org/dealgraph/certainty/stated"),
    ("Likely", "https://w3id.org/dealgraph/certainty/reported"),
    (
        "Speculative",
        "https://w3id.org/dealgraph/certainty/speculative",
    ),
    (
        "Unknown",
        "https://w3id.org/dealgraph/certainty/speculative",
    ),
    (
        "Unverified",
        "https://w3id.org/dealgraph/certainty/speculative",
    ),
];
const NO_CONFIDENCE: &str = "https://w3id.org/dealgraph/certainty/speculative";

const MODEL: Column = Column::new("Model", Kind::Text, To::Property(RDFS_LABEL)).required();
const ORGANIZATION: Column = Column::new("Organization", Kind::TextList, To::Mapping);
const PUBLICATION_DATE: Column = Column::new(
    "Publication date",
    Kind::Date,
    To::Property("http://schema.org/datePublished"),
);
const DOMAIN: Column = Column::new(
    "Domain",
    Kind::TextList,
    To::Property("https://w3id.org/dealgraph/ontology#modelDomain"),
);
const TASK: Column = Column::new(
    "Task",
    Kind::TextList,
    To::Property("https://w3id.org/dealgraph/ontology#modelTask"),
);
const PARAMETERS: Column = Column::new(
    "Parameters",
    Kind::Decimal,
    To::Property("https://w3id.org/dealgraph/ontology#parameterCount"),
);
// A double: the figures reach 5e+26, beyond the store's xsd:decimal.
const COMPUTE: Column = Column::new(
    "Training compute (FLOP)",
    Kind::Double,
    To::Property("https://w3id.org/dealgraph/ontology#trainingComputeFLOP"),
);
const DATASET_SIZE: Column = Column::new(
    "Training dataset size (gradients)",
    Kind::Decimal,
    To::Property("https://w3id.org/dealgraph/ontology#trainingDatasetSize"),
);
const CONFIDENCE: Column = Column::new("Confidence", Kind::Code(CONFIDENCES), To::Mapping);
// Web addresses, sometimes several, sometimes with a remark: the addresses in it become the
// sources of the model's row source.
const LINK: Column = Column::new("Link", Kind::Text, To::Mapping);
// One country per organisation, repeated when two share one: each country once.
const COUNTRY: Column = Column::new(
    "Country (of organization)",
    Kind::TextList,
    To::Property("http://schema.org/countryOfOrigin"),
);
const NOTABILITY: Column = Column::new(
    "Notability criteria",
    Kind::TextList,
    To::Property("https://w3id.org/dealgraph/ontology#notabilityCriterion"),
);
const TRAINING_TIME: Column = Column::new(
    "Training time (hours)",
    Kind::Decimal,
    To::Property("https://w3id.org/dealgraph/ontology#trainingTimeHours"),
);
const HARDWARE: Column = Column::new("Training hardware", Kind::TextList, To::Mapping);
const HARDWARE_QUANTITY: Column = Column::new(
    "Hardware quantity",
    Kind::Decimal,
    To::Property("https://w3id.org/dealgraph/ontology#trainingHardwareQuantity"),
);
// In 2023 US dollars, Epoch's estimate.
const COST: Column = Column::new(
    "Training compute cost (2023 USD)",
    Kind::Usd { exponent: 0 },
    To::Amount("https://w3id.org/dealgraph/ontology#trainingComputeCost"),
);
const BASE_MODEL: Column = Column::new("Base model", Kind::TextList, To::Mapping);
const ACCESSIBILITY: Column = Column::new(
    "Model accessibility",
    Kind::Text,
    To::Property("https://w3id.org/dealgraph/ontology#modelAccessibility"),
);

/// `notable_ai_models.csv`. Every column the import reads; the other two files have a subset.
/// Not mapped (in any of the three): the notes beside the figures ("Parameters notes",
/// "Training compute notes" and the like), "Abstract", "Authors", "Reference", "Citations",
/// "Training dataset" (dataset names), "Epochs", "Batch size", utilisation, power draw,
/// finetune and other compute variants, the cloud and upfront cost variants, "Hardware
/// acquisition cost", the code accessibility columns, "Organization categorization",
/// "Frontier model" (membership comes from the frontier file itself), Epoch's bookkeeping
/// ("Created By", "Last modified", "Created", "Documents", "Archived links", "Exclude") and the
/// figures Epoch derives from the others.
pub const NOTABLE_TABLE: Table = Table {
    file: "ai_models/notable_ai_models.csv",
    columns: &[
        MODEL,
        ORGANIZATION,
        PUBLICATION_DATE,
        DOMAIN,
        TASK,
        PARAMETERS,
        COMPUTE,
        DATASET_SIZE,
        CONFIDENCE,
        LINK,
        COUNTRY,
        NOTABILITY,
        TRAINING_TIME,
        HARDWARE,
        HARDWARE_QUANTITY,
        COST,
        BASE_MODEL,
        ACCESSIBILITY,
    ],
};

/// `large_scale_ai_models.csv`: it has no notability criteria, no 2023-dollar cost and only a
/// deprecated dataset size ("(DEPRECATED) Training dataset size (datapoints)", not mapped).
pub const LARGE_SCALE_TABLE: Table = Table {
    file: "ai_models/large_scale_ai_models.csv",
    columns: &[
        MODEL,
        ORGANIZATION,
        PUBLICATION_DATE,
        DOMAIN,
        TASK,
        PARAMETERS,
        COMPUTE,
        CONFIDENCE,
        LINK,
        COUNTRY,
        TRAINING_TIME,
        HARDWARE,
        HARDWARE_QUANTITY,
        BASE_MODEL,
        ACCESSIBILITY,
    ],
};

/// `frontier_ai_models.csv`: the same columns as the notable file. Its "Training dataset size"
/// column (without "(gradients)") holds the model's name in this copy, so it is not read.
pub const FRONTIER_TABLE: Table = Table {
    file: "ai_models/frontier_ai_models.csv",
    columns: NOTABLE_TABLE.columns,
};

/// The three files in the order they are merged, with the list each stands for.
const FILES: &[(&Table, &str)] = &[
    (
        &NOTABLE_TABLE,
        "https://w3id.org/dealgraph/epoch-list/notable",
    ),
    (
        &LARGE_SCALE_TABLE,
        "https://w3id.org/dealgraph/epoch-list/large-scale",
    ),
    (
        &FRONTIER_TABLE,
        "https://w3id.org/dealgraph/epoch-list/frontier",
    ),
];

/// The key of a model's IRI, `dgr:model-<key>`: the slug of its name, with "+" spelled out, as
/// "DeepLabV3+" and "DeepLabV3" are two models.
fn model_key(name: &str) -> String {
    slug(&name.replace('+', " plus "))
}

/// A model as the files describe it so far.
struct Model {
    name: String,
    /// The lists (files) it is in, in file order.
    lists: Vec<&'static str>,
    /// Each column's values, from the first file that gave the column.
    values: BTreeMap<&'static str, Vec<Term>>,
    /// The Organization cell as written, from the file that gave the organisations: the quote
    /// of the developer fact nodes.
    organisations_cell: Option<String>,
}

/// Every model of the three files, by key, and the values left out for conflicting.
#[derive(Default)]
struct Models {
    by_key: BTreeMap<String, Model>,
    conflicts: BTreeMap<&'static str, usize>,
}

/// Maps the three files into the models graph.
pub(super) fn import(cx: &mut Context) -> Result<Graphs, ImportError> {
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(MODELS)));
    let dataset = cx.dataset(
        &mut sink,
        "epoch-ai-data-on-ai-models",
        "Epoch AI, Data on AI Models",
    );
    let mut models = Models::default();
    for (table, list) in FILES {
        cx.map_table(table, &mut sink, |row, aliases| {
            let facts = models.merge(table, list, row, aliases)?;
            Ok((Vec::new(), facts))
        })?;
    }
    if !models.conflicts.is_empty() {
        let counts: Vec<String> = models
            .conflicts
            .iter()
            .map(|(column, n)| format!("{column:?} {n}"))
            .collect();
        cx.report.notes.push(format!(
            "ai_models: values of a later file that differ from an earlier file's for the same model, left out (notable, then large-scale, then frontier): {}",
            counts.join(", ")
        ));
    }
    let epoch = cx.epoch.clone();
    let chips = cx.chips.clone();
    models.emit(
        &mut sink,
        &cx.aliases,
        &dataset,
        &epoch,
        &chips,
        &mut cx.report.notes,
    );
    Ok(vec![(MODELS, sink.quads)])
}

/// The terms a cell gives: its literals, or the IRIs of the organisations, certainty or web
/// addresses it names.
fn terms(column: &Column, value: &Value, aliases: &mut Aliases) -> Result<Vec<Term>, String> {
    let text = |t: &str| Term::from(Literal::new_simple_literal(t));
    Ok(match (column.name, value) {
        ("Organization", Value::List(items)) => {
            let mut orgs = Vec::new();
            for item in items {
                let org = Term::from(aliases.resolve(item)?);
                if !orgs.contains(&org) {
                    orgs.push(org);
                }
            }
            orgs
        }
        ("Link", Value::Text(t)) => web_addresses(t).into_iter().map(Term::from).collect(),
        (_, Value::Text(t)) => vec![text(t)],
        (_, Value::List(items)) => {
            let mut out: Vec<Term> = Vec::new();
            for item in items {
                if !out.contains(&text(item)) {
                    out.push(text(item));
                }
            }
            out
        }
        (_, Value::Decimal(d)) => vec![Literal::new_typed_literal(d, xsd::DECIMAL).into()],
        (_, Value::Literal(l)) => vec![l.clone().into()],
        (_, Value::Iri(i)) => vec![i.clone().into()],
        (_, Value::Iris(list)) => list.iter().map(|i| i.clone().into()).collect(),
        (_, Value::Tagged(items)) => items.iter().map(|(o, _)| o.clone().into()).collect(),
    })
}

impl Models {
    /// Adds one row of `table` (the list `list`) to the models; returns the number of developer
    /// fact nodes it gives (those of its organisations, when it is the first to give them).
    fn merge(
        &mut self,
        table: &Table,
        list: &'static str,
        row: &Row,
        aliases: &mut Aliases,
    ) -> Result<usize, String> {
        let name = row.text("Model").expect("a required column");
        let key = model_key(name);
        // Read every cell first, so that an organisation name the alias table finds ambiguous
        // skips the row before any of it is kept.
        let mut cells: Vec<(&'static str, Vec<Term>)> = Vec::new();
        for column in table.columns.iter().filter(|c| c.name != "Model") {
            if let Some(value) = row.get(column.name) {
                let values = terms(column, value, aliases)?;
                if !values.is_empty() {
                    cells.push((column.name, values));
                }
            }
        }
        let model = match self.by_key.get_mut(&key) {
            Some(model) if model.name != name => {
                return Err(format!(
                    "duplicate IRI: the model {:?} of an earlier row has the IRI <{DGR}model-{key}>",
                    model.name
                ));
            }
            Some(model) if model.lists.contains(&list) => {
                return Err(format!(
                    "duplicate row: another row of the file is the model {name:?}"
                ));
            }
            Some(model) => model,
            None => self.by_key.entry(key).or_insert_with(|| Model {
                name: name.to_owned(),
                lists: Vec::new(),
                values: BTreeMap::new(),
                organisations_cell: None,
            }),
        };
        model.lists.push(list);
        let mut facts = 0;
        for (column, values) in cells {
            match model.values.get(column) {
                None => {
                    if column == "Organization" {
                        facts = values.len();
                        model.organisations_cell = row.raw(column).map(str::to_owned);
                    }
                    model.values.insert(column, values);
                }
                Some(earlier) => {
                    let set = |v: &[Term]| v.iter().map(Term::to_string).collect::<BTreeSet<_>>();
                    if set(earlier) != set(&values) {
                        *self.conflicts.entry(column).or_insert(0) += 1;
                    }
                }
            }
        }
        Ok(facts)
    }

    /// The quads of every model: its attributes, lists, source, chips, base models, and a
    /// `dg:ModelDevelopment` fact node per organisation.
    fn emit(
        &self,
        sink: &mut QuadSink,
        aliases: &Aliases,
        dataset: &NamedNode,
        epoch: &NamedNode,
        chips: &BTreeSet<String>,
        notes: &mut Vec<String>,
    ) {
        let t = rdf::TYPE.into_owned();
        let label = rdfs::LABEL.into_owned();
        let mut minted_chips = BTreeSet::new();
        let mut minted_models = BTreeSet::new();
        for (key, model) in &self.by_key {
            let node = iri(DGR, &format!("model-{key}"));
            sink.add(&node, &t, iri(DG, "AIModel"));
            sink.string(&node, &label, &model.name);
            for list in &model.lists {
                sink.add(
                    &node,
                    &iri(DG, "inEpochList"),
                    NamedNode::new_unchecked(*list),
                );
            }
            let source = iri(DGR, &format!("epoch-model-{key}-source"));
            let links: Vec<NamedNode> = model
                .values
                .get("Link")
                .into_iter()
                .flatten()
                .filter_map(|t| match t {
                    Term::NamedNode(n) => Some(n.clone()),
                    _ => None,
                })
                .collect();
            row_source(
                sink,
                &source,
                &format!("Epoch AI, Data on AI Models (model {})", model.name),
                dataset,
                epoch,
                &links.iter().collect::<Vec<_>>(),
            );
            sink.add(&node, &iri(PROV, "wasDerivedFrom"), source.clone());

            for column in NOTABLE_TABLE.columns {
                let Some(values) = model.values.get(column.name) else {
                    continue;
                };
                match column.to {
                    To::Property(p) if column.name != "Model" => {
                        for value in values {
                            sink.add(&node, &NamedNode::new_unchecked(p), value.clone());
                        }
                    }
                    To::Amount(p) => {
                        if let Some(Term::Literal(amount)) = values.first() {
                            let amount_node =
                                iri(DGR, &format!("model-{key}-{}", slug(column.name)));
                            sink.usd(
                                &node,
                                &NamedNode::new_unchecked(p),
                                &amount_node,
                                amount.value(),
                            );
                        }
                    }
                    _ => {}
                }
            }

            for chip_name in texts(model.values.get("Training hardware")) {
                let chip = hardware::chip_named(chip_name, chips, &mut minted_chips, sink);
                sink.add(&node, &iri(DG, "trainingHardware"), chip);
            }

            // A base model of the three files is linked; one they do not list is a model the
            // cell names, described with its name; one whose IRI is another model's is left
            // out (and noted), since linking it would name the wrong model.
            for base_name in texts(model.values.get("Base model")) {
                let base_key = model_key(base_name);
                if base_key == *key {
                    continue;
                }
                let base = iri(DGR, &format!("model-{base_key}"));
                match self.by_key.get(&base_key) {
                    Some(other) if other.name != base_name => {
                        notes.push(format!(
                            "ai_models: the base model {base_name:?} of {:?} has the IRI of the model {:?}: not linked",
                            model.name, other.name
                        ));
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        if minted_models.insert(base_key.clone()) {
                            sink.add(&base, &t, iri(DG, "AIModel"));
                            sink.string(&base, &label, base_name);
                        }
                    }
                }
                sink.add(&node, &iri(DG, "baseModel"), base);
            }

            let certainty = match model.values.get("Confidence").and_then(|v| v.first()) {
                Some(Term::NamedNode(c)) => c.clone(),
                _ => NamedNode::new_unchecked(NO_CONFIDENCE),
            };
            let quote = model.organisations_cell.as_deref().unwrap_or("");
            for org in model.values.get("Organization").into_iter().flatten() {
                let Term::NamedNode(org) = org else { continue };
                let fact = iri(
                    DGR,
                    &format!(
                        "epoch-model-{key}-developer-{}",
                        slug(org.as_str().trim_start_matches(DGR))
                    ),
                );
                sink.add(&fact, &t, iri(DG, "ModelDevelopment"));
                sink.string(
                    &fact,
                    &label,
                    &format!("{} develops {} (Epoch AI)", aliases.label(org), model.name),
                );
                sink.add(&fact, &iri(DG, "developer"), org.clone());
                sink.add(&fact, &iri(DG, "model"), node.clone());
                // The quote is the Organization cell as written: Epoch's words that name the
                // developers. The Reference is the title of the cited paper and the Abstract
                // seldom names its authors' organisation, so neither states the fact.
                provenance(sink, &fact, &source, quote, &certainty);
            }
        }
    }
}

/// The plain strings of a column's values.
fn texts(values: Option<&Vec<Term>>) -> impl Iterator<Item = &str> {
    values.into_iter().flatten().filter_map(|t| match t {
        Term::Literal(l) => Some(l.value()),
        _ => None,
    })
}
