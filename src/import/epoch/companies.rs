//! `ai_companies/ai_companies.csv` (the labs) and `ai_companies/ai_companies_funding_rounds.csv`
//! (their rounds, with valuations and the investors the rows name).

use super::{
    COMPANIES, Context, FUNDING_ROUNDS, Graphs, RDF_TYPE, RDFS_SEE_ALSO, provenance, row_source,
};
use crate::import::{Aliases, Column, DG, DGR, Kind, QuadSink, Row, Table, To, iri, slug};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, Quad};
use std::collections::BTreeSet;

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

/// Words that, right after an organisation's name in a round's Notes, say it is an investor
/// of that round ("Microsoft invested 2B", "Nvidia has agreed to invest").
const INVESTOR_PHRASES: &[&str] = &[
    " invested",
    " is investing",
    " will invest",
    " has agreed to invest",
    " invests",
];

/// Maps both files: the organisations into the companies graph, the rounds into theirs.
pub(super) fn import(cx: &mut Context) -> Result<Graphs, crate::import::ImportError> {
    let mut company_sink = QuadSink::new(GraphName::NamedNode(super::graph(COMPANIES)));
    let mut round_sink = QuadSink::new(GraphName::NamedNode(super::graph(FUNDING_ROUNDS)));
    let dataset = cx.dataset(
        &mut company_sink,
        "epoch-ai-data-on-ai-companies",
        "Epoch AI, Data on AI Companies",
    );

    let (rows, skipped) = COMPANIES_TABLE.read(&cx.dir, &mut cx.aliases)?;
    let mut counts = super::file_counts(&COMPANIES_TABLE, &rows, &skipped);
    cx.report.skipped.extend(skipped);
    for row in &rows {
        let org = row.iri("Name").expect("a required column");
        company_sink.add(org, &rdf::TYPE.into_owned(), iri(DG, "Company"));
        COMPANIES_TABLE.attributes(row, org, &mut company_sink);
    }
    counts.rows_mapped = rows.len();
    cx.report.files.push(counts);

    let epoch = cx.epoch.clone();
    let mut minted = BTreeSet::new();
    cx.map_table(&FUNDING_ROUNDS_TABLE, &mut round_sink, |row, aliases| {
        funding_round(row, aliases, &dataset, &epoch, &mut minted)
    })?;
    Ok(vec![
        (COMPANIES, company_sink.quads),
        (FUNDING_ROUNDS, round_sink.quads),
    ])
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
    let mut sink = QuadSink::new(GraphName::NamedNode(super::graph(FUNDING_ROUNDS)));
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
