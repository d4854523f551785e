//! The dated reports of `ai_companies/`: revenue, staff, usage and compute spend. The four files
//! share one shape (an Id, a company, a date, one or more figures, up to three source pages, the
//! Notes, Epoch's confidence), so one mapping reads them all: each row is one `dg:Observation`
//! of the file's class, about the company, with every other column a plain attribute declared
//! in the file's [`Table`].

use super::{CONFIDENCES, Context, Graphs, RDFS_COMMENT, provenance, row_source};
use crate::import::{
    Aliases, Column, DG, DGR, ImportError, Kind, QuadSink, Row, Table, To, iri, slug,
};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, Quad};
use std::collections::BTreeSet;

/// One report file: its graph, its table, the class of its observations and the columns that
/// hold its figures (a row with none of them says nothing, and is skipped).
struct ReportFile {
    stem: &'static str,
    /// What one observation is, for its label ("OpenAI revenue \"2022 28M\" (Epoch AI)").
    what: &'static str,
    class: &'static str,
    figures: &'static [&'static str],
    table: Table,
}

// The columns the report files share, mapped the same way in each: the Id names the row, the
// company is the subject, the date is when the figure holds, the report date when it was
// reported.
const ID: Column = Column::new("Id", Kind::Text, To::Mapping).required();
const COMPANY: Column = Column::new("Company", Kind::Org, To::Property(DG_SUBJECT)).required();
const DATE: Column = Column::new("Date", Kind::Date, To::Property(DG_AS_OF));
const REPORT_DATE: Column = Column::new("Report date", Kind::Date, To::Property(DG_REPORT_DATE));
const SOURCE_1: Column = Column::new("Source 1", Kind::Url, To::Mapping);
const SOURCE_2: Column = Column::new("Source 2", Kind::Url, To::Mapping);
const SOURCE_3: Column = Column::new("Source 3", Kind::Url, To::Mapping);
const NOTES: Column = Column::new("Notes", Kind::Text, To::Mapping);
const GRAPH_NOTE: Column = Column::new("Graph note", Kind::Text, To::Property(RDFS_COMMENT));
const CONFIDENCE: Column =
    Column::new("Confidence", Kind::Code(CONFIDENCES), To::Mapping).required();
const SOURCE_TYPE: Column = Column::new("Source type", Kind::Text, To::Mapping);
const EXCLUDE: Column = Column::new(
    "Exclude from graph view",
    Kind::Flag,
    To::Property("https://w3id.org/dealgraph/ontology#excludedFromCharts"),
);

const DG_SUBJECT: &str = "https://w3id.org/dealgraph/ontology#subject";
const DG_AS_OF: &str = "https://w3id.org/dealgraph/ontology#asOf";
const DG_REPORT_DATE: &str = "https://w3id.org/dealgraph/ontology#reportDate";
const DG_AMOUNT: &str = "https://w3id.org/dealgraph/ontology#amount";
const DG_QUANTITY: &str = "https://w3id.org/dealgraph/ontology#quantity";
const DG_FIGURE_KIND: &str = "https://w3id.org/dealgraph/ontology#figureKind";
const DG_PERIOD: &str = "https://w3id.org/dealgraph/ontology#period";
const DG_APPLIES_TO: &str = "https://w3id.org/dealgraph/ontology#appliesTo";

const REVENUE_COLUMNS: &[Column] = &[
    ID,
    COMPANY,
    DATE,
    REPORT_DATE,
    SOURCE_1,
    SOURCE_2,
    SOURCE_3,
    NOTES,
    GRAPH_NOTE,
    CONFIDENCE,
    SOURCE_TYPE,
    Column::new(
        "Revenue amount (normalize to annual)",
        Kind::Usd { exponent: 0 },
        To::Amount(DG_AMOUNT),
    ),
    Column::new(
        "Annualized revenue (USD)",
        Kind::Usd { exponent: 0 },
        To::Amount("https://w3id.org/dealgraph/ontology#annualizedAmount"),
    ),
    Column::new("Type", Kind::Text, To::Property(DG_FIGURE_KIND)),
    Column::new(
        "Revenue info (non-annualized)",
        Kind::Text,
        To::Property("https://w3id.org/dealgraph/ontology#sourceFigure"),
    ),
];

const STAFF_COLUMNS: &[Column] = &[
    ID,
    COMPANY,
    DATE,
    REPORT_DATE,
    SOURCE_1,
    SOURCE_2,
    NOTES,
    GRAPH_NOTE,
    CONFIDENCE,
    SOURCE_TYPE,
    Column::new("Staff count", Kind::Decimal, To::Property(DG_QUANTITY)),
    Column::new("Type", Kind::Text, To::Property(DG_FIGURE_KIND)),
    Column::new("Division name", Kind::Text, To::Property(DG_APPLIES_TO)),
];

const USAGE_COLUMNS: &[Column] = &[
    ID,
    COMPANY,
    DATE,
    REPORT_DATE,
    SOURCE_1,
    SOURCE_2,
    NOTES,
    GRAPH_NOTE,
    CONFIDENCE,
    SOURCE_TYPE,
    EXCLUDE,
    Column::new("Active users", Kind::Decimal, To::Property(DG_QUANTITY)),
    Column::new(
        "Active users time period",
        Kind::Text,
        To::Property(DG_PERIOD),
    ),
    Column::new(
        "Daily tokens",
        Kind::Decimal,
        To::Property("https://w3id.org/dealgraph/ontology#dailyTokens"),
    ),
    Column::new(
        "Daily messages",
        Kind::Decimal,
        To::Property("https://w3id.org/dealgraph/ontology#dailyMessages"),
    ),
    Column::new("Product", Kind::Text, To::Property(DG_APPLIES_TO)),
];

/// "Inference compute spend", "R&D compute spend" and "Total compute spend" are not mapped: each
/// repeats the row's Amount under the column of its Category, which the graph already holds.
const COMPUTE_SPEND_COLUMNS: &[Column] = &[
    ID,
    COMPANY,
    DATE,
    REPORT_DATE,
    SOURCE_1,
    SOURCE_2,
    SOURCE_3,
    NOTES,
    CONFIDENCE,
    // This file spells the column with a capital T.
    Column::new("Source Type", Kind::Text, To::Mapping),
    EXCLUDE,
    Column::new("Amount", Kind::Usd { exponent: 0 }, To::Amount(DG_AMOUNT)),
    Column::new(
        "Category",
        Kind::TextList,
        To::Property("https://w3id.org/dealgraph/ontology#spendCategory"),
    ),
    Column::new("Period type", Kind::Text, To::Property(DG_PERIOD)),
];

const FILES: &[ReportFile] = &[
    ReportFile {
        stem: super::REVENUE,
        what: "revenue",
        class: "Revenue",
        figures: &[
            "Revenue amount (normalize to annual)",
            "Annualized revenue (USD)",
        ],
        table: Table {
            file: "ai_companies/ai_companies_revenue_reports.csv",
            columns: REVENUE_COLUMNS,
        },
    },
    ReportFile {
        stem: super::STAFF,
        what: "staff count",
        class: "Headcount",
        figures: &["Staff count"],
        table: Table {
            file: "ai_companies/ai_companies_staff_reports.csv",
            columns: STAFF_COLUMNS,
        },
    },
    ReportFile {
        stem: super::USAGE,
        what: "usage",
        class: "UsageFigure",
        figures: &["Active users", "Daily tokens", "Daily messages"],
        table: Table {
            file: "ai_companies/ai_companies_usage_reports.csv",
            columns: USAGE_COLUMNS,
        },
    },
    ReportFile {
        stem: super::COMPUTE_SPEND,
        what: "compute spend",
        class: "ComputeSpend",
        figures: &["Amount"],
        table: Table {
            file: "ai_companies/ai_companies_compute_spend.csv",
            columns: COMPUTE_SPEND_COLUMNS,
        },
    },
];

/// Maps the four files, each into its graph.
pub(super) fn import(cx: &mut Context) -> Result<Graphs, ImportError> {
    // The dataset is described once, in the companies graph (see `companies`).
    let dataset = iri(DGR, super::AI_COMPANIES_DATASET);
    let epoch = cx.epoch.clone();
    let mut graphs = Vec::new();
    for file in FILES {
        let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(file.stem)));
        let mut minted = BTreeSet::new();
        cx.map_table(&file.table, &mut sink, |row, aliases| {
            report(file, row, aliases, &dataset, &epoch, &mut minted)
        })?;
        graphs.push((file.stem, sink.quads));
    }
    Ok(graphs)
}

/// One row: its observation and its source document.
fn report(
    file: &ReportFile,
    row: &Row,
    aliases: &Aliases,
    dataset: &NamedNode,
    epoch: &NamedNode,
    minted: &mut BTreeSet<String>,
) -> Result<(Vec<Quad>, usize), String> {
    let id = row.text("Id").expect("a required column");
    let company = row.iri("Company").expect("a required column");
    if !file.figures.iter().any(|c| row.get(c).is_some()) {
        return Err(format!(
            "no figure: none of the columns {} holds a value",
            file.figures
                .iter()
                .map(|c| format!("{c:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let company_label = aliases.label(company);
    // Epoch reuses an Id for a later report of the same figure ("ChatGPT 700M WAU" twice),
    // so the date is part of the name.
    let date = row
        .literal("Date")
        .map_or(String::new(), |d| format!("-{}", d.value()));
    let local = format!(
        "epoch-{}-{}-{}{date}",
        file.stem,
        slug(company.as_str().trim_start_matches(DGR)),
        slug(id)
    );
    if !minted.insert(local.clone()) {
        return Err(format!(
            "duplicate row: another row of {company_label} has an Id and date giving <{DGR}{local}>"
        ));
    }
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(file.stem)));
    let fact = iri(DGR, &local);
    let source = iri(DGR, &format!("{local}-source"));
    let urls = row.iris(&["Source 1", "Source 2", "Source 3"]);
    row_source(
        &mut sink,
        &source,
        &format!("Epoch AI, Data on AI Companies ({} row {id})", file.what),
        dataset,
        epoch,
        &urls,
    );
    if let Some(kind) = row.text("Source type").or_else(|| row.text("Source Type")) {
        sink.string(&source, &iri(DG, "sourceType"), kind);
    }
    sink.add(&fact, &rdf::TYPE.into_owned(), iri(DG, file.class));
    sink.string(
        &fact,
        &rdfs::LABEL.into_owned(),
        &format!("{company_label} {} \"{id}\" (Epoch AI)", file.what),
    );
    file.table.attributes(row, &fact, &mut sink);
    // The quote is the row's own words: its Notes, else its Graph note, else its Id.
    let quote = row
        .text("Notes")
        .or_else(|| row.text("Graph note"))
        .unwrap_or(id);
    let certainty = row.iri("Confidence").expect("a required column");
    provenance(&mut sink, &fact, &source, quote, certainty);
    Ok((sink.quads, 1))
}
