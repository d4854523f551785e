//! The Epoch AI import (Epoch AI's open data, CC BY 4.0, copied into `data/epoch/`) mapped to
//! dealgraph's model, one named graph per file.
//!
//! Every deal, relationship and dated figure becomes a fact node with one source, a quote and a
//! certainty, as `data/article.ttl` models the article.
//! The source of a fact is one `dg:SourceDocument` per row ("Epoch AI, Data on AI Companies (row
//! <Id>)"), published by Epoch AI, part of the dataset, and `prov:wasDerivedFrom` each web page
//! the row cites: a fact needs exactly one source, and a row cites up to five.
//! Each file has its module, which reads its [`crate::import::Table`]s and builds the quads of
//! its graphs; this module runs them in order over one [`Context`] (the alias table, the
//! report). Nothing here writes (see [`super`]).

mod companies;
mod data_centers;
mod gpu_clusters;
mod hardware;
mod models;
mod reports;

use super::{Aliases, DCTERMS, DG, DGR, FileCounts, ImportError, PROV, QuadSink, Report, Row};
use super::{SCHEMA, Table, iri};
use crate::store::{GraphTarget, NAMESPACE};
use oxigraph::model::vocab::{rdf, rdfs};
use oxigraph::model::{GraphName, NamedNode, Quad};
use std::path::{Path, PathBuf};

/// The credit line Epoch AI asks for (see `data/epoch/README.md`).
pub const CREDIT: &str = "Epoch AI, 'Data on AI Companies' / 'Data on Frontier AI Data Centers' / 'Data on GPU Clusters' / 'Data on AI Models' / 'Data on Machine Learning Hardware'. Published online at epoch.ai.";

/// The named graph of one file of the import.
pub fn graph(stem: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{NAMESPACE}graph/epoch-{stem}"))
}

const COMPANIES: &str = "companies";
const FUNDING_ROUNDS: &str = "funding-rounds";
const REVENUE: &str = "revenue";
const STAFF: &str = "staff";
const USAGE: &str = "usage";
const COMPUTE_SPEND: &str = "compute-spend";
const DATA_CENTERS: &str = "data-centers";
const DATA_CENTER_TIMELINES: &str = "data-center-timelines";

/// The local name of Epoch AI's "Data on AI Companies" dataset, which every file of
/// `ai_companies/` is part of.
const AI_COMPANIES_DATASET: &str = "epoch-ai-data-on-ai-companies";
const HARDWARE: &str = "hardware";
const GPU_CLUSTERS: &str = "gpu-clusters";
const MODELS: &str = "models";

/// The graphs the import replaces, in the order it writes them.
const GRAPHS: &[&str] = &[
    COMPANIES,
    FUNDING_ROUNDS,
    REVENUE,
    STAFF,
    USAGE,
    COMPUTE_SPEND,
    DATA_CENTERS,
    DATA_CENTER_TIMELINES,
    HARDWARE,
    GPU_CLUSTERS,
    MODELS,
];

/// The graphs the import replaces: each is replaced, even when its file gave nothing.
pub fn graphs() -> Vec<NamedNode> {
    GRAPHS.iter().map(|stem| graph(stem)).collect()
}

/// What one part of the import gives: each of its graphs (by stem) with its quads.
type Graphs = Vec<(&'static str, Vec<Quad>)>;

/// One part of the import: a module's mapping of its files.
type Part = fn(&mut Context) -> Result<Graphs, ImportError>;

/// Epoch's confidence in a row (a round, a report), as certainty: "Confident" rows rest on what the parties or
/// their filings state, so stated; "Likely" rows rest on press reports and Epoch's reading of
/// them, so reported; "Uncertain" rows are Epoch's estimates, so speculative.
pub(super) const CONFIDENCES: &[(&str, &str)] = &[
    ("Confident", "https://w3id.org/dealgraph/certainty/stated"),
    ("Likely", "https://w3id.org/dealgraph/certainty/reported"),
    (
        "Uncertain",
        "https://w3id.org/dealgraph/certainty/speculative",
    ),
];

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const RDFS_LABEL: &str = "http://www.w3.org/2000/01/rdf-schema#label";
const RDFS_COMMENT: &str = "http://www.w3.org/2000/01/rdf-schema#comment";
const RDFS_SEE_ALSO: &str = "http://www.w3.org/2000/01/rdf-schema#seeAlso";
const SKOS_ALT_LABEL: &str = "http://www.w3.org/2004/02/skos/core#altLabel";

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

/// What every part of the import shares: where the files are, the alias table with every name
/// resolved so far, the report, and Epoch AI's IRI.
struct Context {
    dir: PathBuf,
    aliases: Aliases,
    report: Report,
    epoch: NamedNode,
    /// The chips the hardware file described (their IRIs), which the cluster and model files
    /// link to without describing them again; the hardware part runs before them.
    chips: std::collections::BTreeSet<String>,
}

/// Reads the files of `dir` and maps them, resolving organisations through `aliases`.
pub fn build(dir: &Path, aliases: &Path) -> Result<EpochImport, ImportError> {
    let mut aliases = Aliases::load(aliases)?;
    let epoch = aliases
        .resolve("Epoch AI")
        .map_err(|message| ImportError::Malformed {
            file: "aliases".into(),
            line: 0,
            message,
        })?;
    let mut cx = Context {
        dir: dir.to_owned(),
        aliases,
        report: Report::default(),
        epoch,
        chips: Default::default(),
    };
    let parts: &[Part] = &[
        companies::import,
        reports::import,
        data_centers::import,
        hardware::import,
        gpu_clusters::import,
        models::import,
    ];
    let mut by_stem: Vec<(&str, Vec<Quad>)> = GRAPHS.iter().map(|s| (*s, Vec::new())).collect();
    for part in parts {
        for (stem, quads) in part(&mut cx)? {
            let (_, all) = by_stem
                .iter_mut()
                .find(|(s, _)| *s == stem)
                .expect("every part's graph is listed in GRAPHS");
            all.extend(quads);
        }
    }
    // The organisations, with the labels every file used for them, go with the companies.
    let companies = GraphName::NamedNode(graph(COMPANIES));
    by_stem[0]
        .1
        .extend(cx.aliases.organisation_quads(&companies));
    cx.report.reconciliation = cx.aliases.reconciliation();
    Ok(EpochImport {
        graphs: by_stem
            .into_iter()
            .map(|(stem, quads)| (GraphTarget::Named(graph(stem)), distinct(quads)))
            .collect(),
        report: cx.report,
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

impl Context {
    /// Reads one table and maps each of its rows with `map_row` into `sink`; a row `map_row`
    /// cannot map is reported as skipped with its line and reason, and the file's counts go to
    /// the report.
    fn map_table(
        &mut self,
        table: &Table,
        sink: &mut QuadSink,
        mut map_row: impl FnMut(&Row, &mut Aliases) -> Result<(Vec<Quad>, usize), String>,
    ) -> Result<(), ImportError> {
        let (rows, mut skipped) = table.read(&self.dir, &mut self.aliases)?;
        // Every row read once: those read into values and those skipped while reading. A row
        // the mapping then skips is among the former, and counted only there.
        let mut counts = file_counts(table, &rows, &skipped);
        for row in &rows {
            match map_row(row, &mut self.aliases) {
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
        skipped.sort_by_key(|s| s.line);
        self.report.skipped.extend(skipped);
        self.report.files.push(counts);
        Ok(())
    }

    /// A dataset of Epoch AI as a source document: its title, publisher, licence and credit
    /// line.
    fn dataset(&self, sink: &mut QuadSink, local: &str, title: &str) -> NamedNode {
        let node = iri(DGR, local);
        sink.add(&node, &rdf::TYPE.into_owned(), iri(DG, "SourceDocument"));
        sink.string(&node, &rdfs::LABEL.into_owned(), title);
        sink.string(&node, &iri(SCHEMA, "name"), title);
        sink.add(&node, &iri(SCHEMA, "publisher"), self.epoch.clone());
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
}

fn file_counts(table: &Table, rows: &[Row], skipped: &[super::Skipped]) -> FileCounts {
    FileCounts {
        file: table.file.into(),
        rows_read: rows.len() + skipped.len(),
        rows_mapped: 0,
        facts: 0,
    }
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

/// How an organisation column becomes a fact node about a thing (a data centre, a cluster):
/// its class, the role the organisation takes, and what the relationship is for.
pub(super) struct Role {
    pub column: &'static str,
    pub key: &'static str,
    pub class: &'static str,
    pub role: &'static str,
    pub purpose: Option<&'static str>,
    pub verb: &'static str,
}

/// The thing a role fact is about: its IRI, the property linking the fact to it, its name for
/// labels, and the prefix of its facts' IRIs.
pub(super) struct About<'a> {
    pub node: &'a NamedNode,
    pub link: &'static str,
    pub name: &'a str,
    pub prefix: &'a str,
}

/// One organisation in one role about one thing: the fact node `<prefix>-<key>-<org>` with its
/// class, label, role, link and provenance. `false` when that node was made already (an
/// organisation named twice in one cell).
#[allow(clippy::too_many_arguments)]
pub(super) fn role_fact(
    sink: &mut QuadSink,
    minted: &mut std::collections::BTreeSet<String>,
    role: &Role,
    about: &About<'_>,
    org: &NamedNode,
    org_label: &str,
    source: &NamedNode,
    quote: &str,
    certainty: &NamedNode,
) -> bool {
    let org_slug = super::slug(org.as_str().trim_start_matches(DGR));
    let fact = iri(DGR, &format!("{}-{}-{org_slug}", about.prefix, role.key));
    if !minted.insert(fact.as_str().to_owned()) {
        return false;
    }
    sink.add(&fact, &rdf::TYPE.into_owned(), iri(DG, role.class));
    sink.string(
        &fact,
        &rdfs::LABEL.into_owned(),
        &format!("{org_label} {} {} (Epoch AI)", role.verb, about.name),
    );
    sink.add(&fact, &iri(DG, role.role), org.clone());
    sink.add(&fact, &iri(DG, about.link), about.node.clone());
    if let Some(purpose) = role.purpose {
        sink.string(&fact, &iri(DG, "purpose"), purpose);
    }
    provenance(sink, &fact, source, quote, certainty);
    true
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
