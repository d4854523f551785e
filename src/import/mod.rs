//! Importers of tabular sources: a generic, declarative CSV-to-RDF mapping and the reconciliation
//! of organisation names against the reviewed alias table (`data/aliases.tsv`).
//!
//! An importer only builds quads and a report; it never writes. The caller hands the quads to
//! [`crate::store::Backend::write`] in one [`crate::store::WriteOp::ReplaceGraphs`], so the
//! store's door validates them against the shapes and commits all or nothing.
//! Each file is described by a table of [`Column`]s (what a cell holds and, for plain
//! attributes, which property it becomes); [`Table::read`] turns a row into typed [`Value`]s or
//! a reason to skip it, and the file's own mapping (in [`epoch`]) builds the fact nodes.

pub mod epoch;

use oxigraph::model::vocab::{rdf, rdfs, xsd};
use oxigraph::model::{GraphName, Literal, NamedNode, NamedOrBlankNode, Quad, Term};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

pub(crate) const DG: &str = "https://w3id.org/dealgraph/ontology#";
pub(crate) const DGR: &str = "https://w3id.org/dealgraph/id/";
pub(crate) const DGC: &str = "https://w3id.org/dealgraph/certainty/";
pub(crate) const SCHEMA: &str = "http://schema.org/";
pub(crate) const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
pub(crate) const PROV: &str = "http://www.w3.org/ns/prov#";
pub(crate) const DCTERMS: &str = "http://purl.org/dc/terms/";
pub(crate) const ORG: &str = "http://www.w3.org/ns/org#";

pub(crate) fn iri(namespace: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{namespace}{local}"))
}

/// An import that could not run at all: nothing of it may be written.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A file is missing or unreadable.
    #[error("{file}: cannot read: {message}")]
    Io { file: String, message: String },
    /// The file is not CSV we can trust (an unterminated quote, a missing column): every row
    /// after the fault would be misread, so the whole import is refused.
    #[error("{file}:{line}: {message}")]
    Malformed {
        file: String,
        line: u64,
        message: String,
    },
}

/// A kebab-case local name: lowercase ASCII letters and digits, other runs become one `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("unnamed");
    }
    out
}

/// One row of the reviewed alias table.
#[derive(Debug, Clone)]
pub struct AliasEntry {
    pub iri: NamedNode,
    pub label: String,
    pub alt_labels: Vec<String>,
}

/// How a name met in the data was resolved, for the reconciliation report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resolution {
    /// The name is the preferred label of a reviewed entry.
    Known,
    /// The name is an alternative spelling, merged into a reviewed entry.
    Merged,
    /// The name is not in the table: a new IRI was minted from its slug.
    New,
}

/// The alias table (`data/aliases.tsv`: local name, preferred label, `|`-separated alternative
/// labels, note) and every name resolved through it.
#[derive(Debug, Default)]
pub struct Aliases {
    entries: Vec<AliasEntry>,
    /// Lowercased label or alternative label to the entries carrying it.
    by_name: HashMap<String, Vec<usize>>,
    /// Every organisation used, with its preferred label and alternative labels.
    used: BTreeMap<String, (NamedNode, String, BTreeSet<String>)>,
    /// Every name met, how it resolved and to which IRI.
    pub seen: BTreeMap<String, (Resolution, NamedNode)>,
    /// Names that matched more than one entry.
    pub ambiguous: BTreeMap<String, Vec<NamedNode>>,
}

impl Aliases {
    pub fn load(path: &Path) -> Result<Self, ImportError> {
        let text = std::fs::read_to_string(path).map_err(|e| ImportError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, ImportError> {
        let mut aliases = Self::default();
        for (index, line) in text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').collect();
            let (Some(local), Some(label)) = (cells.first(), cells.get(1)) else {
                return Err(ImportError::Malformed {
                    file: file.into(),
                    line: index as u64 + 1,
                    message: "an alias row needs at least an IRI local name and a label".into(),
                });
            };
            if slug(local) != *local {
                return Err(ImportError::Malformed {
                    file: file.into(),
                    line: index as u64 + 1,
                    message: format!("{local:?} is not a lowercase kebab-case local name"),
                });
            }
            let entry = AliasEntry {
                iri: iri(DGR, local),
                label: label.trim().to_owned(),
                alt_labels: cells
                    .get(2)
                    .map(|a| {
                        a.split('|')
                            .map(str::trim)
                            .filter(|a| !a.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            };
            let at = aliases.entries.len();
            for name in std::iter::once(&entry.label).chain(&entry.alt_labels) {
                let list = aliases.by_name.entry(name.to_lowercase()).or_default();
                if !list.contains(&at) {
                    list.push(at);
                }
            }
            aliases.entries.push(entry);
        }
        Ok(aliases)
    }

    /// The reviewed entries whose labels occur as whole words in `text` (case-sensitive, as
    /// organisation names are written), for finding organisations a free-text cell names.
    pub fn named_in(&self, text: &str) -> Vec<(String, NamedNode)> {
        let mut found = Vec::new();
        for entry in &self.entries {
            for name in std::iter::once(&entry.label).chain(&entry.alt_labels) {
                if contains_word(text, name) && !found.iter().any(|(_, i)| *i == entry.iri) {
                    found.push((name.clone(), entry.iri.clone()));
                }
            }
        }
        found
    }

    /// The IRI of the organisation `name` denotes: a reviewed entry, or a new IRI from its slug.
    /// A name matching two entries is refused (the row is then skipped and reported).
    pub fn resolve(&mut self, name: &str) -> Result<NamedNode, String> {
        let name = name.trim();
        let matches = self
            .by_name
            .get(&name.to_lowercase())
            .cloned()
            .unwrap_or_default();
        let (resolution, entry) = match matches.as_slice() {
            [] => (Resolution::New, None),
            [one] => {
                let entry = &self.entries[*one];
                if entry.label == name {
                    (Resolution::Known, Some(entry.clone()))
                } else {
                    (Resolution::Merged, Some(entry.clone()))
                }
            }
            many => {
                let iris: Vec<NamedNode> =
                    many.iter().map(|i| self.entries[*i].iri.clone()).collect();
                self.ambiguous.insert(name.to_owned(), iris.clone());
                return Err(format!(
                    "organisation name {name:?} matches several entries of the alias table: {}",
                    iris.iter()
                        .map(NamedNode::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        };
        let (node, label, alts) = match entry {
            Some(e) => (e.iri, e.label, e.alt_labels),
            None => (iri(DGR, &slug(name)), name.to_owned(), Vec::new()),
        };
        self.seen
            .insert(name.to_owned(), (resolution, node.clone()));
        let used = self
            .used
            .entry(node.as_str().to_owned())
            .or_insert_with(|| (node.clone(), label, BTreeSet::new()));
        used.2.extend(alts);
        Ok(node)
    }

    /// The preferred label of an organisation already resolved.
    pub fn label<'a>(&'a self, node: &'a NamedNode) -> &'a str {
        self.used
            .get(node.as_str())
            .map_or(node.as_str(), |(_, label, _)| label.as_str())
    }

    /// Every organisation used: a `dg:Organization` with its preferred and alternative labels.
    pub fn organisation_quads(&self, graph: &GraphName) -> Vec<Quad> {
        let mut quads = QuadSink::new(graph.clone());
        for (node, label, alts) in self.used.values() {
            quads.add(node, &rdf::TYPE.into_owned(), iri(DG, "Organization"));
            quads.add(
                node,
                &rdfs::LABEL.into_owned(),
                Literal::new_simple_literal(label),
            );
            for alt in alts {
                quads.add(
                    node,
                    &iri(SKOS, "altLabel"),
                    Literal::new_simple_literal(alt),
                );
            }
        }
        quads.quads
    }

    /// The reconciliation report: names merged into reviewed entries, new IRIs, ambiguous names.
    pub fn reconciliation(&self) -> String {
        let mut out = String::from("reconciliation of organisation names:\n");
        let list = |kind: Resolution| {
            self.seen
                .iter()
                .filter(|(_, (r, _))| *r == kind)
                .map(|(name, (_, node))| format!("    {name:?} -> <{}>\n", node.as_str()))
                .collect::<String>()
        };
        let count = |kind: Resolution| self.seen.values().filter(|(r, _)| *r == kind).count();
        out.push_str(&format!(
            "  known (preferred label of the alias table): {}\n",
            count(Resolution::Known)
        ));
        out.push_str(&format!(
            "  merged (another spelling in the alias table): {}\n",
            count(Resolution::Merged)
        ));
        out.push_str(&list(Resolution::Merged));
        out.push_str(&format!(
            "  new (not in the alias table, IRI from the name): {}\n",
            count(Resolution::New)
        ));
        out.push_str(&list(Resolution::New));
        out.push_str(&format!("  ambiguous: {}\n", self.ambiguous.len()));
        for (name, iris) in &self.ambiguous {
            let iris: Vec<&str> = iris.iter().map(NamedNode::as_str).collect();
            out.push_str(&format!("    {name:?} -> {}\n", iris.join(" | ")));
        }
        out
    }
}

/// Whether `name` occurs in `text` with no letter or digit right before or after it.
fn contains_word(text: &str, name: &str) -> bool {
    text.match_indices(name).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + name.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Quads of one graph, added triple by triple.
#[derive(Debug)]
pub struct QuadSink {
    graph: GraphName,
    pub quads: Vec<Quad>,
}

impl QuadSink {
    pub fn new(graph: GraphName) -> Self {
        Self {
            graph,
            quads: Vec::new(),
        }
    }

    pub fn add(&mut self, s: &NamedNode, p: &NamedNode, o: impl Into<Term>) {
        self.quads.push(Quad::new(
            NamedOrBlankNode::NamedNode(s.clone()),
            p.clone(),
            o.into(),
            self.graph.clone(),
        ));
    }

    pub fn string(&mut self, s: &NamedNode, p: &NamedNode, text: &str) {
        self.add(s, p, Literal::new_simple_literal(text));
    }

    /// A `dg:MonetaryAmount` node `node` in USD, linked from `s` by `p`.
    pub fn usd(&mut self, s: &NamedNode, p: &NamedNode, node: &NamedNode, value: &str) {
        self.add(s, p, node.clone());
        self.add(node, &rdf::TYPE.into_owned(), iri(DG, "MonetaryAmount"));
        self.string(node, &rdfs::LABEL.into_owned(), &format!("{value} USD"));
        self.add(
            node,
            &iri(DG, "value"),
            Literal::new_typed_literal(value, xsd::DECIMAL),
        );
        self.string(node, &iri(DG, "currency"), "USD");
    }
}

/// What a cell holds, and so how it is read.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Free text (surrounding whitespace removed).
    Text,
    /// Comma-separated free-text items.
    TextList,
    /// A decimal number, written as `xsd:decimal`.
    Decimal,
    /// A floating-point number, plain or in scientific notation, written as `xsd:double`: for
    /// figures too large for `xsd:decimal` (see [`double`]).
    Double,
    /// An amount in US dollars, in units of 10^`exponent` dollars; rounded to whole dollars,
    /// because the source's digits past the cent are floating-point noise.
    Usd { exponent: u32 },
    /// An ISO date at its own precision: `xsd:date`, `xsd:gYearMonth` or `xsd:gYear`.
    Date,
    /// A latitude or longitude, in degrees-minutes-seconds (`32°35'25"N`) or decimal degrees.
    Coordinate,
    /// One organisation, through the alias table.
    Org,
    /// Comma-separated organisations, each possibly tagged `#confident`, `#likely` or
    /// `#speculative`.
    TaggedOrgList,
    /// An absolute web address, or several separated by commas (a cell citing two pages).
    Url,
    /// One value of a closed vocabulary: the cell, compared without case, to an IRI.
    Code(&'static [(&'static str, &'static str)]),
    /// `True` or `False` (any case), as `xsd:boolean`.
    Flag,
}

/// Where a column's value goes when it is a plain attribute of the row's subject.
#[derive(Debug, Clone, Copy)]
pub enum To {
    /// Read, checked, and used by the file's own mapping (fact nodes, IRIs).
    Mapping,
    /// A property of the row's subject (each item of a list becomes one triple).
    Property(&'static str),
    /// A `dg:MonetaryAmount` node linked from the row's subject by this property.
    Amount(&'static str),
}

/// One column of a table: its header, what it holds, whether a row needs it, where it goes.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub to: To,
}

impl Column {
    pub const fn new(name: &'static str, kind: Kind, to: To) -> Self {
        Self {
            name,
            kind,
            required: false,
            to,
        }
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// A cell read according to its [`Kind`].
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    List(Vec<String>),
    /// A canonical `xsd:decimal` lexical form.
    Decimal(String),
    Literal(Literal),
    Iri(NamedNode),
    /// Several web addresses of one cell.
    Iris(Vec<NamedNode>),
    /// Organisations with the certainty their tag gives.
    Tagged(Vec<(NamedNode, NamedNode)>),
}

/// A row read: each non-empty column's value, by header.
#[derive(Debug, Default)]
pub struct Row {
    pub line: u64,
    values: HashMap<&'static str, Value>,
    /// The cells as written (trimmed), for quoting.
    raw: HashMap<&'static str, String>,
}

impl Row {
    pub fn get(&self, column: &str) -> Option<&Value> {
        self.values.get(column)
    }

    /// The cell as written, surrounding whitespace removed.
    pub fn raw(&self, column: &str) -> Option<&str> {
        self.raw.get(column).map(String::as_str)
    }

    pub fn text(&self, column: &str) -> Option<&str> {
        match self.values.get(column) {
            Some(Value::Text(t)) => Some(t),
            _ => None,
        }
    }

    pub fn iri(&self, column: &str) -> Option<&NamedNode> {
        match self.values.get(column) {
            Some(Value::Iri(i)) => Some(i),
            _ => None,
        }
    }

    /// The addresses of the columns, in order, each cell giving one or several.
    pub fn iris<'a>(&'a self, columns: &[&str]) -> Vec<&'a NamedNode> {
        columns
            .iter()
            .flat_map(|c| match self.values.get(*c) {
                Some(Value::Iri(i)) => std::slice::from_ref(i),
                Some(Value::Iris(list)) => list.as_slice(),
                _ => &[],
            })
            .collect()
    }

    pub fn decimal(&self, column: &str) -> Option<&str> {
        match self.values.get(column) {
            Some(Value::Decimal(d)) => Some(d),
            _ => None,
        }
    }

    pub fn literal(&self, column: &str) -> Option<&Literal> {
        match self.values.get(column) {
            Some(Value::Literal(l)) => Some(l),
            _ => None,
        }
    }
}

/// A file's mapping table.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The file, relative to the import directory.
    pub file: &'static str,
    pub columns: &'static [Column],
}

/// A row that was skipped: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub file: String,
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: skipped: {}", self.file, self.line, self.reason)
    }
}

/// What one file gave.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileCounts {
    pub file: String,
    pub rows_read: usize,
    pub rows_mapped: usize,
    pub facts: usize,
}

/// What an import did: per-file counts, every skipped row, notes on what was read but left
/// out without skipping a row, and the reconciliation.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileCounts>,
    pub skipped: Vec<Skipped>,
    /// One line each: values a row gave that were not imported, and why (a value that
    /// conflicts with another file's, a name that denotes nothing of the import).
    pub notes: Vec<String>,
    pub reconciliation: String,
}

impl Report {
    pub fn facts(&self) -> usize {
        self.files.iter().map(|f| f.facts).sum()
    }

    pub fn rows_read(&self) -> usize {
        self.files.iter().map(|f| f.rows_read).sum()
    }

    /// Skipped rows by reason kind (the text before the first `:` of the reason).
    pub fn skipped_by_reason(&self) -> BTreeMap<String, usize> {
        let mut by = BTreeMap::new();
        for s in &self.skipped {
            let kind = s.reason.split(':').next().unwrap_or(&s.reason).to_owned();
            *by.entry(kind).or_insert(0) += 1;
        }
        by
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in &self.skipped {
            writeln!(f, "{s}")?;
        }
        for c in &self.files {
            writeln!(
                f,
                "{}: {} rows read, {} mapped, {} skipped, {} facts",
                c.file,
                c.rows_read,
                c.rows_mapped,
                c.rows_read - c.rows_mapped,
                c.facts
            )?;
        }
        writeln!(
            f,
            "total: {} rows read, {} facts, {} rows skipped",
            self.rows_read(),
            self.facts(),
            self.skipped.len()
        )?;
        for (reason, n) in self.skipped_by_reason() {
            writeln!(f, "  skipped {n}: {reason}")?;
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        write!(f, "{}", self.reconciliation)
    }
}

impl Table {
    /// The file's header and every record with the line it starts on. Fails when the file
    /// cannot be read or is malformed as a whole.
    #[allow(clippy::type_complexity)]
    fn records(
        &self,
        dir: &Path,
    ) -> Result<(csv::StringRecord, Vec<(u64, csv::StringRecord)>), ImportError> {
        let path: PathBuf = dir.join(self.file);
        let bytes = std::fs::read(&path).map_err(|e| ImportError::Io {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        // The csv crate reads an unterminated quote as a field running to the end of the
        // file; that would swallow every later row silently, so it is refused here.
        if let Some(line) = unterminated_quote(&bytes) {
            return Err(ImportError::Malformed {
                file: self.file.into(),
                line,
                message: "a quoted field opened here is never closed".into(),
            });
        }
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(bytes.as_slice());
        let malformed = |line: u64, message: String| ImportError::Malformed {
            file: self.file.into(),
            line,
            message,
        };
        let headers = reader
            .headers()
            .map_err(|e| malformed(1, e.to_string()))?
            .clone();
        for column in self.columns {
            if !headers.iter().any(|h| h.trim() == column.name) {
                return Err(malformed(1, format!("no column {:?}", column.name)));
            }
        }
        let mut records = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map_or(0, csv::Position::line);
                malformed(line, e.to_string())
            })?;
            let line = record.position().map_or(0, csv::Position::line);
            records.push((line, record));
        }
        Ok((headers, records))
    }

    /// The headers of the file, trimmed, for looking cells up by column name.
    fn index(&self, headers: &csv::StringRecord) -> HashMap<String, usize> {
        headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_owned(), i))
            .collect()
    }

    /// Reads the whole file: each record a [`Row`], or a [`Skipped`] line with its reason.
    pub fn read(
        &self,
        dir: &Path,
        aliases: &mut Aliases,
    ) -> Result<(Vec<Row>, Vec<Skipped>), ImportError> {
        let (headers, records) = self.records(dir)?;
        let index = self.index(&headers);
        let mut rows = Vec::new();
        let mut skipped = Vec::new();
        for (line, record) in records {
            match self.row(line, &record, &index, aliases) {
                Ok(row) => rows.push(row),
                Err(reason) => skipped.push(Skipped {
                    file: self.file.into(),
                    line,
                    reason,
                }),
            }
        }
        Ok((rows, skipped))
    }

    fn row(
        &self,
        line: u64,
        record: &csv::StringRecord,
        index: &HashMap<String, usize>,
        aliases: &mut Aliases,
    ) -> Result<Row, String> {
        let mut row = Row {
            line,
            ..Row::default()
        };
        for column in self.columns {
            let cell = index
                .get(column.name)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .trim();
            if cell.is_empty() {
                if column.required {
                    return Err(format!("missing value: column {:?} is empty", column.name));
                }
                continue;
            }
            let value = read_cell(column.kind, cell, aliases)
                .map_err(|e| format!("{e}: column {:?} holds {cell:?}", column.name))?;
            row.values.insert(column.name, value);
            row.raw.insert(column.name, cell.to_owned());
        }
        Ok(row)
    }

    /// The triples of the columns that map straight to properties of `subject`.
    pub fn attributes(&self, row: &Row, subject: &NamedNode, sink: &mut QuadSink) {
        for column in self.columns {
            let Some(value) = row.get(column.name) else {
                continue;
            };
            match column.to {
                To::Mapping => {}
                To::Property(p) => {
                    let p = NamedNode::new_unchecked(p);
                    match value {
                        Value::Text(t) => sink.string(subject, &p, t),
                        Value::List(items) => {
                            for item in items {
                                sink.string(subject, &p, item);
                            }
                        }
                        Value::Decimal(d) => {
                            sink.add(subject, &p, Literal::new_typed_literal(d, xsd::DECIMAL))
                        }
                        Value::Literal(l) => sink.add(subject, &p, l.clone()),
                        Value::Iri(i) => sink.add(subject, &p, i.clone()),
                        Value::Iris(list) => {
                            for i in list {
                                sink.add(subject, &p, i.clone());
                            }
                        }
                        Value::Tagged(items) => {
                            for (org, _) in items {
                                sink.add(subject, &p, org.clone());
                            }
                        }
                    }
                }
                To::Amount(p) => {
                    if let Value::Decimal(d) = value {
                        let node = NamedNode::new_unchecked(format!(
                            "{}-{}",
                            subject.as_str(),
                            slug(column.name)
                        ));
                        sink.usd(subject, &NamedNode::new_unchecked(p), &node, d);
                    }
                }
            }
        }
    }
}

/// The line on which a quoted field opens and is never closed (RFC 4180: a field that starts
/// with `"` ends at the next `"` not doubled).
fn unterminated_quote(bytes: &[u8]) -> Option<u64> {
    let mut line = 1u64;
    let mut opened_at = None;
    let mut at_field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
        }
        match opened_at {
            Some(_) => {
                if b == b'"' {
                    if bytes.get(i + 1) == Some(&b'"') {
                        i += 1;
                    } else {
                        opened_at = None;
                    }
                }
            }
            None => {
                if b == b'"' && at_field_start {
                    opened_at = Some(line);
                }
                at_field_start = b == b',' || b == b'\n' || b == b'\r';
            }
        }
        i += 1;
    }
    opened_at
}

/// The certainty an Epoch-style tag gives. An untagged name is stated: the source lists it
/// without qualification.
fn certainty_of_tag(tag: Option<&str>) -> Result<NamedNode, String> {
    // confident: the source is sure, so stated; likely: it is the source's reading of reports,
    // so reported; speculative: speculative.
    let local = match tag {
        None | Some("confident") => "stated",
        Some("likely") => "reported",
        Some("speculative") => "speculative",
        Some(other) => return Err(format!("unknown certainty tag: #{other}")),
    };
    Ok(iri(DGC, local))
}

fn read_cell(kind: Kind, cell: &str, aliases: &mut Aliases) -> Result<Value, String> {
    Ok(match kind {
        Kind::Text => Value::Text(cell.to_owned()),
        Kind::TextList => Value::List(
            cell.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        Kind::Decimal => Value::Decimal(decimal(cell, 0, false)?),
        Kind::Double => Value::Literal(double(cell)?),
        Kind::Usd { exponent } => Value::Decimal(decimal(cell, exponent, true)?),
        Kind::Date => Value::Literal(date(cell)?),
        Kind::Coordinate => Value::Decimal(coordinate(cell)?),
        Kind::Org => Value::Iri(aliases.resolve(cell)?),
        Kind::TaggedOrgList => {
            let mut items = Vec::new();
            for item in cell.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let (name, tag) = match item.split_once('#') {
                    Some((name, tag)) => (name.trim(), Some(tag.trim())),
                    None => (item, None),
                };
                if name.is_empty() {
                    return Err(format!("no organisation name before a tag in {item:?}"));
                }
                let certainty = certainty_of_tag(tag)?;
                items.push((aliases.resolve(name)?, certainty));
            }
            Value::Tagged(items)
        }
        Kind::Url => {
            // A comma followed by a new scheme separates addresses; a comma inside one address
            // (legal in a path or query) does not.
            let mut urls = Vec::new();
            for part in split_urls(cell) {
                urls.push(
                    NamedNode::new(part)
                        .ok()
                        .filter(|_| part.starts_with("http://") || part.starts_with("https://"))
                        .ok_or_else(|| "not a web address".to_owned())?,
                );
            }
            match urls.len() {
                1 => Value::Iri(urls.pop().expect("one")),
                _ => Value::Iris(urls),
            }
        }
        Kind::Code(codes) => {
            let found = codes
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(cell))
                .ok_or_else(|| {
                    format!(
                        "unknown value (expected one of {})",
                        codes.iter().map(|(k, _)| *k).collect::<Vec<_>>().join(", ")
                    )
                })?;
            Value::Iri(NamedNode::new_unchecked(found.1))
        }
        Kind::Flag => {
            let value = if cell.eq_ignore_ascii_case("true") {
                "true"
            } else if cell.eq_ignore_ascii_case("false") {
                "false"
            } else {
                return Err("not True or False".into());
            };
            Value::Literal(Literal::new_typed_literal(value, xsd::BOOLEAN))
        }
    })
}

/// The addresses of a cell: split at each comma that a new `http://` or `https://` follows.
fn split_urls(cell: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, _) in cell.match_indices(',') {
        let rest = cell[at + 1..].trim_start();
        if rest.starts_with("http://") || rest.starts_with("https://") {
            parts.push(cell[start..at].trim());
            start = at + 1;
        }
    }
    parts.push(cell[start..].trim());
    parts
}

/// A decimal number times 10^`exponent`, in canonical `xsd:decimal` form; rounded half away
/// from zero to a whole number when `whole`.
pub fn decimal(cell: &str, exponent: u32, whole: bool) -> Result<String, String> {
    let text = cell.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    // Scientific notation ("1.25e+21"), as spreadsheets write large figures.
    let (digits, power) = match digits.split_once(['e', 'E']) {
        Some((mantissa, power)) => {
            let power: i32 = power
                .parse()
                .ok()
                .filter(|p: &i32| p.abs() <= 400)
                .ok_or_else(|| "not a number".to_owned())?;
            (mantissa, power)
        }
        None => (digits, 0),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err("not a number".into());
    }
    // Move the decimal point by `exponent` + `power` digits.
    let all = format!("{int}{frac}");
    let point = int.len() as i64 + i64::from(exponent) + i64::from(power);
    let (mut int, mut frac) = if point <= 0 {
        (
            String::new(),
            format!("{}{all}", "0".repeat(point.unsigned_abs() as usize)),
        )
    } else if point as usize >= all.len() {
        (
            format!("{all}{}", "0".repeat(point as usize - all.len())),
            String::new(),
        )
    } else {
        let (i, f) = all.split_at(point as usize);
        (i.to_owned(), f.to_owned())
    };
    if whole {
        let round_up = frac.as_bytes().first().is_some_and(|d| *d >= b'5');
        frac.clear();
        if round_up {
            int = increment(&int);
        }
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let sign = if negative && (int != "0" || !frac.is_empty()) {
        "-"
    } else {
        ""
    };
    Ok(if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    })
}

/// Adds one to a string of decimal digits.
fn increment(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).expect("ASCII digits");
        }
    }
    format!("1{}", String::from_utf8(bytes).expect("ASCII digits"))
}

/// An ISO date at its precision: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
pub fn date(cell: &str) -> Result<Literal, String> {
    let parts: Vec<&str> = cell.split('-').collect();
    let numeric = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
    let bad = || format!("not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY): {cell:?}");
    let month_ok = |m: &str| numeric(m, 2) && (1..=12).contains(&m.parse::<u32>().unwrap_or(0));
    let datatype = match parts.as_slice() {
        [y] if numeric(y, 4) => xsd::G_YEAR,
        [y, m] if numeric(y, 4) && month_ok(m) => xsd::G_YEAR_MONTH,
        [y, m, d]
            if numeric(y, 4)
                && month_ok(m)
                && numeric(d, 2)
                && (1..=31).contains(&d.parse::<u32>().unwrap_or(0)) =>
        {
            xsd::DATE
        }
        _ => return Err(bad()),
    };
    Ok(Literal::new_typed_literal(cell, datatype))
}

/// Decimal degrees, to six places (about 0.1 m), from `32°35'25"N`, `41°11'6.6732"N` or `-90.1`.
pub fn coordinate(cell: &str) -> Result<String, String> {
    let text = cell.trim();
    if let Ok(plain) = decimal(text, 0, false) {
        return Ok(plain);
    }
    let bad = || "not a coordinate (such as 32°35'25\"N)".to_owned();
    let hemisphere = text.chars().next_back().ok_or_else(bad)?;
    let sign = match hemisphere {
        'N' | 'E' => 1.0,
        'S' | 'W' => -1.0,
        _ => return Err(bad()),
    };
    let body = &text[..text.len() - 1];
    let (degrees, rest) = body.split_once('°').ok_or_else(bad)?;
    let (minutes, rest) = rest.split_once('\'').unwrap_or((rest, ""));
    let seconds = rest.trim_end_matches('"');
    let number = |s: &str| -> Result<f64, String> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(0.0);
        }
        s.parse::<f64>().map_err(|_| bad())
    };
    let value = number(degrees)? + number(minutes)? / 60.0 + number(seconds)? / 3600.0;
    decimal(&format!("{:.6}", sign * value), 0, false)
}

/// A floating-point number as `xsd:double`, in canonical form (so that `2.1e+25` and
/// `21000000000000000000000000.0` are the same literal): for figures beyond what `xsd:decimal`
/// holds in the store (oxigraph's decimals end near 1.7e20), such as training compute in FLOP.
/// Plain or scientific notation; `NaN`, `Infinity` and numbers too large for a double are not
/// numbers.
pub fn double(cell: &str) -> Result<Literal, String> {
    let text = cell.trim();
    let not_a_number = || "not a number".to_owned();
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, power) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, power)) => (mantissa, Some(power)),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let power_ok = power.is_none_or(|p| {
        let p = p.strip_prefix(['+', '-']).unwrap_or(p);
        !p.is_empty() && digits(p)
    });
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) || !power_ok {
        return Err(not_a_number());
    }
    let value: f64 = text.parse().map_err(|_| not_a_number())?;
    if !value.is_finite() {
        return Err(not_a_number());
    }
    // The canonical form of XML Schema 1.1: a mantissa with one digit before the point and at
    // least one after it, and an exponent ("3.8E26", "4.0E1").
    let text = format!("{value:E}");
    let (mantissa, power) = text
        .split_once('E')
        .expect("Rust writes an exponent with {:E}");
    let mantissa = if mantissa.contains('.') {
        mantissa.to_owned()
    } else {
        format!("{mantissa}.0")
    };
    Ok(Literal::new_typed_literal(
        format!("{mantissa}E{power}"),
        xsd::DOUBLE,
    ))
}

/// The web addresses a free-text cell holds, in order and without repeats: the words (between
/// whitespace) that are absolute `http`/`https` IRIs once the punctuation around them (a
/// separating comma or semicolon, brackets, quotes) is removed. Other words are not addresses
/// and are ignored: a cell may hold several links, or a link with a remark.
pub fn web_addresses(text: &str) -> Vec<NamedNode> {
    let mut found: Vec<NamedNode> = Vec::new();
    for word in text.split_whitespace() {
        let mut word = word
            .trim_start_matches(['(', '<', '"', '\''])
            .trim_end_matches([',', ';', '>', '"', '\'']);
        // A closing bracket ends the address only when the address opened none
        // (`https://en.wikipedia.org/wiki/Tesla_(company)` keeps its own).
        while word.ends_with(')') && word.matches('(').count() < word.matches(')').count() {
            word = word[..word.len() - 1].trim_end_matches([',', ';']);
        }
        if !(word.starts_with("http://") || word.starts_with("https://")) {
            continue;
        }
        if let Ok(node) = NamedNode::new(word)
            && !found.contains(&node)
        {
            found.push(node);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_scaled_and_canonical() {
        assert_eq!(decimal("10000000000.0", 0, true).unwrap(), "10000000000");
        assert_eq!(
            decimal("23.967424344999998", 9, true).unwrap(),
            "23967424345"
        );
        assert_eq!(decimal("8", 9, true).unwrap(), "8000000000");
        assert_eq!(
            decimal("1.01806794258373e+21", 0, false).unwrap(),
            "1018067942583730000000"
        );
        assert_eq!(decimal("2.5E-3", 0, false).unwrap(), "0.0025");
        assert_eq!(
            decimal("1e+25", 0, false).unwrap(),
            "10000000000000000000000000"
        );
        assert_eq!(decimal("6.66e2", 0, true).unwrap(), "666");
        assert!(decimal("1e", 0, false).is_err());
        assert!(decimal("1e999", 0, false).is_err());
        assert_eq!(decimal("0", 9, true).unwrap(), "0");
        assert_eq!(
            decimal("214348.14354550533", 0, false).unwrap(),
            "214348.14354550533"
        );
        assert!(decimal("12abc", 0, false).is_err());
        assert!(decimal("", 0, false).is_err());
    }

    #[test]
    fn doubles_are_canonical() {
        let lexical = |cell: &str| double(cell).unwrap().value().to_owned();
        assert_eq!(double("2.1e+25").unwrap().datatype(), xsd::DOUBLE);
        assert_eq!(lexical("2.1e+25"), lexical("21000000000000000000000000.0"));
        assert_eq!(lexical("1E-3"), lexical("0.001"));
        assert_eq!(
            double("6339000000000000.0").unwrap().value(),
            lexical("6.339e15")
        );
        for bad in [
            "NaN", "Infinity", "-inf", "1e", "e5", "1e+", "1e999", "1e5.5", "1.2.3", "",
        ] {
            assert!(double(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn web_addresses_are_found_in_free_text() {
        let found = |text: &str| -> Vec<String> {
            web_addresses(text)
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect()
        };
        assert_eq!(
            found("https://a.example/x, https://b.example/y; see\nhttps://a.example/x (again)"),
            vec!["https://a.example/x", "https://b.example/y"]
        );
        assert_eq!(
            found("https://www.youtube.com/watch?v=1 (at 15:01)"),
            vec!["https://www.youtube.com/watch?v=1"]
        );
        assert_eq!(
            found("(https://en.wikipedia.org/wiki/Tesla_(company))"),
            vec!["https://en.wikipedia.org/wiki/Tesla_(company)"]
        );
        assert!(found("Cluster performance database").is_empty());
        assert!(found("techpowerup.com/gpu-specs/rtx-a4000.c3756").is_empty());
    }

    #[test]
    fn coordinates_in_degrees_minutes_seconds() {
        assert_eq!(coordinate("32°35'25\"N").unwrap(), "32.590278");
        assert_eq!(coordinate(" 101°18'43\"W").unwrap(), "-101.311944");
        assert_eq!(coordinate("41°11'6.6732\"N").unwrap(), "41.185187");
    }

    #[test]
    fn dates_keep_their_precision() {
        assert_eq!(date("2025-09-19").unwrap().datatype(), xsd::DATE);
        assert_eq!(date("2025-09").unwrap().datatype(), xsd::G_YEAR_MONTH);
        assert_eq!(date("2025").unwrap().datatype(), xsd::G_YEAR);
        assert!(date("2025-13-01").is_err());
        assert!(date("19 Sept 2025").is_err());
    }

    #[test]
    fn an_unterminated_quote_is_found() {
        assert_eq!(unterminated_quote(b"a,b\n\"x\"\"y\",2\n"), None);
        assert_eq!(unterminated_quote(b"a,b\n1,2\n\"open,3\nmore\n"), Some(3));
        assert_eq!(unterminated_quote(b"a,b\n1,x\"y\n"), None);
    }

    #[test]
    fn words_are_matched_whole() {
        assert!(contains_word("2019 Microsoft 1B", "Microsoft"));
        assert!(!contains_word("Metaverse", "Meta"));
        assert!(contains_word("Microsoft/Nvidia", "Nvidia"));
    }
}
