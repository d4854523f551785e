//! The Epoch AI import: `ai_companies/ai_companies.csv`, `ai_companies/ai_companies_funding_rounds.csv`
//! and `data_centers/data_centers.csv` (Epoch AI, CC BY 4.0) mapped to dealgraph's model, one
//! named graph per file.
//!
//! Every funding round and every organisation named on a data centre becomes a fact node with
//! one source, a quote and a certainty, as `data/article.ttl` models the article.
//! The source of a fact is one `dg:SourceDocument` per row ("Epoch AI, Data on AI Companies (row
//! <Id>)"), published by Epoch AI, part of the dataset, and `prov:wasDerivedFrom` each web page
//! the row cites: a fact needs exactly one source, and a row cites up to three.
//! This module builds quads and a report; it never writes (see [`super`]).

use super::{
    Aliases, Column, DCTERMS, DG, DGR, FileCounts, ImportError, Kind, PROV, QuadSink, Report, Row,
    SCHEMA, Table, To, Value, iri, slug,
};
use crate::store::{GraphTarget, NAMESPACE};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, Quad};
use std::collections::BTreeSet;
use std::path::Path;

/// The credit line Epoch AI asks for (see `data/epoch/README.md`).
pub const CREDIT: &str = "Epoch AI, 'Data on AI Companies' / 'Data on Frontier AI Data Centers'. Published online at epoch.ai.";

/// The named graphs the import replaces, one per file.
pub fn graph(stem: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{NAMESPACE}graph/epoch-{stem}"))
}

const COMPANIES: &str = "companies";
const FUNDING_ROUNDS: &str = "funding-rounds";
const DATA_CENTERS: &str = "data-centers";

/// The three graphs, in the order the import writes them.
pub fn graphs() -> Vec<NamedNode> {
    [COMPANIES, FUNDING_ROUNDS, DATA_CENTERS]
        .into_iter()
        .map(graph)
        .collect()
}

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const RDFS_SEE_ALSO: &str = "http://www.w3.org/2000/01/rdf-schema#seeAlso";
const SKOS_ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";

/// "Foundation" is Epoch's type for developers of foundation models: AI labs.
const COMPANY_TYPES: &[(&str, &str)] =
    &[("Foundation", "https://w3id.org/dealgraph/ontology#AILab")];

/// Closed rounds are completed; "Late discussions" are not agreed yet, which no status of the
/// scheme said, so `dgs:in-negotiation` was added to it.
const STATUSES: &[(&str, &str)] = &[
    ("Closed", "https://w3id.org/dealgraph/status/completed"),
    (
        "Late discussions",
        "https://w3id.org/dealgraph/status/in-negotiation",
    ),
];

/// Epoch's confidence in a round, as certainty: "Confident" rows rest on what the parties or
/// their filings state, so stated; "Likely" rows rest on press reports and Epoch's reading of
/// them, so reported; "Uncertain" rows are Epoch's estimates, so speculative.
const CONFIDENCES: &[(&str, &str)] = &[
    ("Confident", "https://w3id.org/dealgraph/certainty/stated"),
    ("Likely", "https://w3id.org/dealgraph/certainty/reported"),
    (
        "Uncertain",
        "https://w3id.org/dealgraph/certainty/speculative",
    ),
];

/// `ai_companies.csv`: one organisation per row, plain attributes only.
/// Not mapped yet: "Organization (from Organizations)" (the lab's own name, such as Google
/// DeepMind for Google, which would need its own entity and link).
pub const COMPANIES_TABLE: Table = Table {
    file: "ai_companies/ai_companies.csv",
    columns: &[
        Column::new("Name", Kind::Org, To::Mapping).required(),
        Column::new(
            "Company type",
            Kind::Code(COMPANY_TYPES),
            To::Property(RDF_TYPE),
        ),
        Column::new(
            "Product Domain(s)",
            Kind::TextList,
            To::Property("https://w3id.org/dealgraph/ontology#specialization"),
        ),
        Column::new(
            "Founding date",
            Kind::Date,
            To::Property("http://schema.org/foundingDate"),
        ),
        Column::new(
            "Founding source/notes",
            Kind::Url,
            To::Property(RDFS_SEE_ALSO),
        ),
    ],
};

/// `ai_companies_funding_rounds.csv`: one `dg:FundingRound` per row, and a `dg:Valuation` when
/// the row gives a post-money valuation.
/// Not mapped yet: "Type" (Primary, Secondary, Debt, Other) and "Exclude from graph view".
pub const FUNDING_ROUNDS_TABLE: Table = Table {
    file: "ai_companies/ai_companies_funding_rounds.csv",
    columns: &[
        Column::new("Id", Kind::Text, To::Mapping).required(),
        Column::new("Company", Kind::Org, To::Mapping).required(),
        Column::new("Close date", Kind::Date, To::Mapping),
        Column::new("Status", Kind::Code(STATUSES), To::Mapping).required(),
        Column::new("Funding (equity)", Kind::Usd { exponent: 0 }, To::Mapping),
        Column::new("Funding (debt)", Kind::Usd { exponent: 0 }, To::Mapping),
        Column::new(
            "Valuation (post-money)",
            Kind::Usd { exponent: 0 },
            To::Mapping,
        ),
        Column::new("Report date", Kind::Date, To::Mapping),
        Column::new("Source 1", Kind::Url, To::Mapping),
        Column::new("Source 2", Kind::Url, To::Mapping),
        Column::new("Source 3", Kind::Url, To::Mapping),
        Column::new("Graph note", Kind::Text, To::Mapping),
        Column::new("Notes", Kind::Text, To::Mapping),
        Column::new("Confidence", Kind::Code(CONFIDENCES), To::Mapping).required(),
    ],
};

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

/// How each organisation column of a data centre becomes a fact node: its class, the role the
/// organisation takes, and what the relationship is for.
struct DataCenterRole {
    column: &'static str,
    key: &'static str,
    class: &'static str,
    role: &'static str,
    purpose: Option<&'static str>,
    verb: &'static str,
}

const DATA_CENTER_ROLES: &[DataCenterRole] = &[
    DataCenterRole {
        column: "Owner",
        key: "owner",
        class: "DataCenterOwnership",
        role: "owner",
        purpose: None,
        verb: "owns",
    },
    DataCenterRole {
        column: "Users",
        key: "user",
        class: "CustomerRelationship",
        role: "customer",
        purpose: Some("Use of the data centre's computing capacity."),
        verb: "uses",
    },
    DataCenterRole {
        column: "Investors",
        key: "investor",
        class: "Investment",
        role: "investor",
        purpose: Some("Investment in the data centre."),
        verb: "invests in",
    },
    DataCenterRole {
        column: "Construction companies",
        key: "construction",
        class: "CustomerRelationship",
        role: "provider",
        purpose: Some("Construction of the data centre."),
        verb: "builds",
    },
    DataCenterRole {
        column: "Energy companies",
        key: "energy",
        class: "CustomerRelationship",
        role: "provider",
        purpose: Some("Energy supply to the data centre."),
        verb: "supplies energy to",
    },
];

/// Words that, right after an organisation's name in a round's Notes, say it is an investor
/// of that round ("Microsoft invested 2B", "Nvidia has agreed to invest").
const INVESTOR_PHRASES: &[&str] = &[
    " invested",
    " is investing",
    " will invest",
    " has agreed to invest",
    " invests",
];

/// What the import produced: each graph's quads, and the report.
#[derive(Debug)]
pub struct EpochImport {
    pub graphs: Vec<(GraphTarget, Vec<Quad>)>,
    pub report: Report,
}

impl EpochImport {
    pub fn quad_count(&self) -> usize {
        self.graphs.iter().map(|(_, q)| q.len()).sum()
    }
}

/// Reads the three files of `dir` and maps them, resolving organisations through `aliases`.
pub fn build(dir: &Path, aliases: &Path) -> Result<EpochImport, ImportError> {
    let mut aliases = Aliases::load(aliases)?;
    let mut report = Report::default();
    let companies = GraphName::NamedNode(graph(COMPANIES));
    let mut company_sink = QuadSink::new(companies.clone());
    let mut round_sink = QuadSink::new(GraphName::NamedNode(graph(FUNDING_ROUNDS)));
    let mut dc_sink = QuadSink::new(GraphName::NamedNode(graph(DATA_CENTERS)));

    let epoch = aliases
        .resolve("Epoch AI")
        .map_err(|message| ImportError::Malformed {
            file: "aliases".into(),
            line: 0,
            message,
        })?;
    let companies_dataset = dataset(
        &mut company_sink,
        &epoch,
        "epoch-ai-data-on-ai-companies",
        "Epoch AI, Data on AI Companies",
    );
    let data_centers_dataset = dataset(
        &mut dc_sink,
        &epoch,
        "epoch-ai-data-on-frontier-ai-data-centers",
        "Epoch AI, Data on Frontier AI Data Centers",
    );

    // Organisations.
    let (rows, skipped) = COMPANIES_TABLE.read(dir, &mut aliases)?;
    let mut counts = file_counts(&COMPANIES_TABLE, &rows, &skipped);
    report.skipped.extend(skipped);
    for row in &rows {
        let org = row.iri("Name").expect("a required column");
        company_sink.add(org, &rdf::TYPE.into_owned(), iri(DG, "Company"));
        COMPANIES_TABLE.attributes(row, org, &mut company_sink);
    }
    counts.rows_mapped = rows.len();
    report.files.push(counts);

    // Funding rounds.
    let mut minted = BTreeSet::new();
    map_table(
        &FUNDING_ROUNDS_TABLE,
        dir,
        &mut aliases,
        &mut report,
        &mut round_sink,
        |row, aliases| funding_round(row, aliases, &companies_dataset, &epoch, &mut minted),
    )?;

    // Data centres.
    let mut minted = BTreeSet::new();
    map_table(
        &DATA_CENTERS_TABLE,
        dir,
        &mut aliases,
        &mut report,
        &mut dc_sink,
        |row, aliases| data_center(row, aliases, &data_centers_dataset, &epoch, &mut minted),
    )?;

    company_sink
        .quads
        .extend(aliases.organisation_quads(&companies));
    report.reconciliation = aliases.reconciliation();
    Ok(EpochImport {
        graphs: vec![
            (
                GraphTarget::Named(graph(COMPANIES)),
                distinct(company_sink.quads),
            ),
            (
                GraphTarget::Named(graph(FUNDING_ROUNDS)),
                distinct(round_sink.quads),
            ),
            (
                GraphTarget::Named(graph(DATA_CENTERS)),
                distinct(dc_sink.quads),
            ),
        ],
        report,
    })
}

/// The quads without repeats (a web page cited by several rows is described once), in order,
/// so the count reported is the number of triples the graph holds.
fn distinct(quads: Vec<Quad>) -> Vec<Quad> {
    let mut seen = std::collections::HashSet::new();
    quads
        .into_iter()
        .filter(|q| seen.insert(q.clone()))
        .collect()
}

/// Reads one table and maps each of its rows with `map_row` into `sink`; a row `map_row`
/// cannot map is reported as skipped with its line and reason, and the file's counts go to
/// `report`.
fn map_table(
    table: &Table,
    dir: &Path,
    aliases: &mut Aliases,
    report: &mut Report,
    sink: &mut QuadSink,
    mut map_row: impl FnMut(&Row, &mut Aliases) -> Result<(Vec<Quad>, usize), String>,
) -> Result<(), ImportError> {
    let (rows, mut skipped) = table.read(dir, aliases)?;
    let mut counts = file_counts(table, &rows, &[]);
    for row in &rows {
        match map_row(row, aliases) {
            Ok((quads, facts)) => {
                sink.quads.extend(quads);
                counts.rows_mapped += 1;
                counts.facts += facts;
            }
            Err(reason) => skipped.push(super::Skipped {
                file: table.file.into(),
                line: row.line,
                reason,
            }),
        }
    }
    counts.rows_read += skipped.len();
    skipped.sort_by_key(|s| s.line);
    report.skipped.extend(skipped);
    report.files.push(counts);
    Ok(())
}

fn file_counts(table: &Table, rows: &[Row], skipped: &[super::Skipped]) -> FileCounts {
    FileCounts {
        file: table.file.into(),
        rows_read: rows.len() + skipped.len(),
        rows_mapped: 0,
        facts: 0,
    }
}

/// A dataset of Epoch AI as a source document: its title, publisher, licence and credit line.
fn dataset(sink: &mut QuadSink, epoch: &NamedNode, local: &str, title: &str) -> NamedNode {
    let node = iri(DGR, local);
    sink.add(&node, &rdf::TYPE.into_owned(), iri(DG, "SourceDocument"));
    sink.string(&node, &rdfs::LABEL.into_owned(), title);
    sink.string(&node, &iri(SCHEMA, "name"), title);
    sink.add(&node, &iri(SCHEMA, "publisher"), epoch.clone());
    sink.add(
        &node,
        &iri(DCTERMS, "license"),
        NamedNode::new_unchecked("https://creativecommons.org/licenses/by/4.0/"),
    );
    sink.string(&node, &iri(DCTERMS, "bibliographicCitation"), CREDIT);
    sink.add(
        &node,
        &rdfs::SEE_ALSO.into_owned(),
        NamedNode::new_unchecked("https://epoch.ai/data"),
    );
    node
}

/// The row's own source document, derived from the web pages it cites.
fn row_source(
    sink: &mut QuadSink,
    node: &NamedNode,
    label: &str,
    dataset: &NamedNode,
    epoch: &NamedNode,
    urls: &[&NamedNode],
) {
    sink.add(node, &rdf::TYPE.into_owned(), iri(DG, "SourceDocument"));
    sink.string(node, &rdfs::LABEL.into_owned(), label);
    sink.add(node, &iri(SCHEMA, "publisher"), epoch.clone());
    sink.add(node, &iri(DCTERMS, "isPartOf"), dataset.clone());
    for url in urls {
        sink.add(node, &iri(PROV, "wasDerivedFrom"), (*url).clone());
        sink.add(node, &rdfs::SEE_ALSO.into_owned(), (*url).clone());
        sink.add(url, &rdf::TYPE.into_owned(), iri(DG, "SourceDocument"));
        sink.string(url, &rdfs::LABEL.into_owned(), &url_label(url));
    }
}

/// A web page's label: its host and path.
fn url_label(url: &NamedNode) -> String {
    match url::Url::parse(url.as_str()) {
        Ok(u) => format!("{}{}", u.host_str().unwrap_or(""), u.path()),
        Err(_) => url.as_str().to_owned(),
    }
}

/// Source, quote and certainty: what every fact node carries.
fn provenance(
    sink: &mut QuadSink,
    fact: &NamedNode,
    source: &NamedNode,
    quote: &str,
    certainty: &NamedNode,
) {
    sink.add(fact, &iri(PROV, "wasDerivedFrom"), source.clone());
    sink.string(fact, &iri(DG, "quote"), quote);
    sink.add(fact, &iri(DG, "certainty"), certainty.clone());
}

/// One funding round (and its valuation): the quads and the number of fact nodes.
fn funding_round(
    row: &Row,
    aliases: &mut Aliases,
    dataset: &NamedNode,
    epoch: &NamedNode,
    minted: &mut BTreeSet<String>,
) -> Result<(Vec<Quad>, usize), String> {
    let id = row.text("Id").expect("a required column");
    let company = row.iri("Company").expect("a required column").clone();
    let company_label = aliases.label(&company).to_owned();
    let local = format!(
        "epoch-round-{}-{}",
        slug(company.as_str().trim_start_matches(DGR)),
        slug(id)
    );
    if !minted.insert(local.clone()) {
        return Err(format!(
            "duplicate row: another row of {company_label} has an Id giving <{DGR}{local}>"
        ));
    }
    let mut sink = QuadSink::new(GraphName::NamedNode(graph(FUNDING_ROUNDS)));
    let fact = iri(DGR, &local);
    let source = iri(DGR, &format!("{local}-source"));
    let urls: Vec<&NamedNode> = ["Source 1", "Source 2", "Source 3"]
        .iter()
        .filter_map(|c| row.iri(c))
        .collect();
    row_source(
        &mut sink,
        &source,
        &format!("Epoch AI, Data on AI Companies (row {id})"),
        dataset,
        epoch,
        &urls,
    );
    // The quote is the row's own words: its Notes, else its Graph note, else its Id.
    let quote = row
        .text("Notes")
        .or_else(|| row.text("Graph note"))
        .unwrap_or(id);
    let certainty = row.iri("Confidence").expect("a required column").clone();
    let t = rdf::TYPE.into_owned();
    let label = rdfs::LABEL.into_owned();

    sink.add(&fact, &t, iri(DG, "FundingRound"));
    sink.string(
        &fact,
        &label,
        &format!("{company_label} funding round \"{id}\" (Epoch AI)"),
    );
    sink.add(&fact, &iri(DG, "investee"), company.clone());
    for investor in investors(row, id, aliases, &company) {
        sink.add(&fact, &iri(DG, "investor"), investor);
    }
    if let Some(v) = row.decimal("Funding (equity)") {
        sink.usd(
            &fact,
            &iri(DG, "amount"),
            &iri(DGR, &format!("{local}-equity")),
            v,
        );
    }
    if let Some(v) = row.decimal("Funding (debt)") {
        sink.usd(
            &fact,
            &iri(DG, "debtAmount"),
            &iri(DGR, &format!("{local}-debt")),
            v,
        );
    }
    if let Some(d) = row.literal("Close date") {
        sink.add(&fact, &iri(DG, "date"), d.clone());
    }
    if let Some(d) = row.literal("Report date") {
        sink.add(&fact, &iri(DG, "asOf"), d.clone());
    }
    sink.add(
        &fact,
        &iri(DG, "status"),
        row.iri("Status").expect("a required column").clone(),
    );
    provenance(&mut sink, &fact, &source, quote, &certainty);
    let mut facts = 1;

    if let Some(v) = row.decimal("Valuation (post-money)") {
        let valuation = iri(DGR, &format!("{local}-valuation"));
        sink.add(&valuation, &t, iri(DG, "Valuation"));
        sink.string(
            &valuation,
            &label,
            &format!("{company_label} post-money valuation at round \"{id}\" (Epoch AI)"),
        );
        sink.add(&valuation, &iri(DG, "subject"), company.clone());
        sink.usd(
            &valuation,
            &iri(DG, "amount"),
            &iri(DGR, &format!("{local}-valuation-amount")),
            v,
        );
        if let Some(d) = row
            .literal("Close date")
            .or_else(|| row.literal("Report date"))
        {
            sink.add(&valuation, &iri(DG, "asOf"), d.clone());
        }
        sink.add(&valuation, &iri(DG, "partOf"), fact.clone());
        provenance(&mut sink, &valuation, &source, quote, &certainty);
        facts += 1;
    }
    Ok((sink.quads, facts))
}

/// The investors a round's text names without doubt: a reviewed organisation named in its Id,
/// or named in its Notes right before "invested", "will invest" and the like. Never the
/// investee; never an organisation the alias table does not know.
fn investors(row: &Row, id: &str, aliases: &mut Aliases, investee: &NamedNode) -> Vec<NamedNode> {
    let mut names: Vec<String> = aliases
        .named_in(id)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    if let Some(notes) = row.text("Notes") {
        for (name, _) in aliases.named_in(notes) {
            if INVESTOR_PHRASES
                .iter()
                .any(|p| notes.contains(&format!("{name}{p}")))
            {
                names.push(name);
            }
        }
    }
    let mut found = Vec::new();
    for name in names {
        if let Ok(node) = aliases.resolve(&name)
            && node != *investee
            && !found.contains(&node)
        {
            found.push(node);
        }
    }
    found
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
    let mut sink = QuadSink::new(GraphName::NamedNode(graph(DATA_CENTERS)));
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
        for (org, certainty) in items {
            let org_slug = slug(org.as_str().trim_start_matches(DGR));
            let fact = iri(
                DGR,
                &format!("epoch-data-center-{dc_slug}-{}-{org_slug}", role.key),
            );
            if !minted.insert(fact.as_str().to_owned()) {
                continue;
            }
            sink.add(&fact, &rdf::TYPE.into_owned(), iri(DG, role.class));
            sink.string(
                &fact,
                &rdfs::LABEL.into_owned(),
                &format!("{} {} {title} (Epoch AI)", aliases.label(org), role.verb),
            );
            sink.add(&fact, &iri(DG, role.role), org.clone());
            sink.add(&fact, &iri(DG, "dataCenter"), dc.clone());
            if let Some(purpose) = role.purpose {
                sink.string(&fact, &iri(DG, "purpose"), purpose);
            }
            provenance(&mut sink, &fact, &source, cell_quote, certainty);
            facts += 1;
        }
    }
    Ok((sink.quads, facts))
}
