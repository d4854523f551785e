//! A deterministic generator of a synthetic AI-industry graph in dealgraph's ontology, for
//! benchmarks: the criterion benches and the side-by-side harness against other engines.
//!
//! [`generate`] writes N-Quads, every quad in the named graph [`GRAPH`], as it goes: memory
//! grows with the number of organisations (about one per 150 triples), never with the output.
//! The graph has the shape of the real data: organisations typed by the roles they take, source
//! documents, and fact nodes (deals, observations, model developments) each with its parties,
//! amount, date, certainty, status, quotes and exactly one source, as `data/article.ttl` and
//! the Epoch AI import write them. The parties of a fact are drawn from a Zipf law over a
//! shuffled ranking of the organisations, so a few hubs take part in a large share of the facts.
//!
//! The same [`GeneratorConfig`] gives the same bytes on every machine: one ChaCha8 stream and
//! integer arithmetic only (no floating point, no hash-map order, no clock). Everything it
//! writes is synthetic and lives under `https://w3id.org/dealgraph/id/gen-*`; sources point to
//! `example.org`. This module never touches a store: loading the output is the caller's
//! (`dealgraph load`), through the store's door and its shapes.

use oxigraph::model::NamedNode;
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use std::fmt::{self, Display};
use std::io::{self, BufWriter, Write};

/// The named graph every generated quad is in.
pub const GRAPH: &str = "https://w3id.org/dealgraph/graph/generated";

/// The seed `dealgraph generate` uses when none is given.
pub const DEFAULT_SEED: u64 = 42;

/// How many hubs [`GeneratedSummary::hubs`] lists.
pub const HUBS: usize = 10;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratorConfig {
    /// The number of triples to write; the output lands within a few triples above it (at most
    /// one fact node's worth), since a fact is written whole.
    pub triples: u64,
    /// The seed of the one random stream: the same seed and size give the same bytes.
    pub seed: u64,
}

impl GeneratorConfig {
    pub fn new(triples: u64, seed: u64) -> Self {
        Self { triples, seed }
    }

    /// The number of organisations: one per 150 triples, at least ten.
    pub fn organisations(&self) -> u32 {
        u32::try_from((self.triples / TRIPLES_PER_ORGANISATION).max(MIN_ORGANISATIONS))
            .unwrap_or(u32::MAX)
    }
}

/// What was written, and IRIs that workloads can start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedSummary {
    /// Triples written (each one quad line).
    pub triples: u64,
    pub organisations: u64,
    /// Fact nodes (deals, observations and model developments).
    pub facts: u64,
    pub sources: u64,
    pub models: u64,
    /// The [`HUBS`] organisations that take part in the most facts, most first (ties: lowest
    /// IRI number first).
    pub hubs: Vec<OrgDegree>,
    /// The organisation of median degree: all organisations sorted by (degree, number), the
    /// middle one.
    pub typical: OrgDegree,
    /// Two organisations at distance 3 (else 2) in the graph of organisations sharing a fact
    /// node, starting from [`Self::typical`]: no fact names both, and no shorter chain links
    /// them. `None` when the typical organisation has no such neighbourhood.
    pub path: Option<OrgPath>,
}

/// An organisation and the number of fact nodes naming it in a role (`dg:subject` included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgDegree {
    pub iri: NamedNode,
    pub label: String,
    pub degree: u64,
}

/// A shortest chain of fact nodes between two organisations: `facts[i]` names both
/// `organisations[i]` and `organisations[i + 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPath {
    pub from: NamedNode,
    pub to: NamedNode,
    /// From `from` to `to`, both included.
    pub organisations: Vec<NamedNode>,
    pub facts: Vec<NamedNode>,
}

impl OrgPath {
    /// The number of fact nodes along the chain: 2 or 3.
    pub fn hops(&self) -> usize {
        self.facts.len()
    }
}

/// Writes the graph of `config` to `out` as N-Quads and says what it wrote.
pub fn generate(config: &GeneratorConfig, out: &mut dyn Write) -> io::Result<GeneratedSummary> {
    let mut generator = Generator::new(config, out);
    generator.run()?;
    Ok(generator.summary())
}

const TRIPLES_PER_ORGANISATION: u64 = 150;
const MIN_ORGANISATIONS: u64 = 10;

// Vocabulary, written as N-Quads terms once here so that the writer only copies bytes.
const ID: &str = "https://w3id.org/dealgraph/id/";
const G: &str = "<https://w3id.org/dealgraph/graph/generated>";
const RDF_TYPE: &str = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>";
const RDFS_LABEL: &str = "<http://www.w3.org/2000/01/rdf-schema#label>";
const SKOS_ALT_LABEL: &str = "<http://www.w3.org/2004/02/skos/core#altLabel>";
const SCHEMA_DESCRIPTION: &str = "<http://schema.org/description>";
const SCHEMA_URL: &str = "<http://schema.org/url>";
const SCHEMA_DATE_PUBLISHED: &str = "<http://schema.org/datePublished>";
const PROV_DERIVED_FROM: &str = "<http://www.w3.org/ns/prov#wasDerivedFrom>";
const XSD_DATE: &str = "<http://www.w3.org/2001/XMLSchema#date>";
const XSD_DECIMAL: &str = "<http://www.w3.org/2001/XMLSchema#decimal>";
const XSD_DURATION: &str = "<http://www.w3.org/2001/XMLSchema#duration>";

macro_rules! dg {
    ($local:literal) => {
        concat!("<https://w3id.org/dealgraph/ontology#", $local, ">")
    };
}

/// The organisation classes, as bits of [`Orgs::flags`]: they combine freely, as in the data.
const COMPANY: u8 = 1;
const AI_LAB: u8 = 2;
const CLOUD_PROVIDER: u8 = 4;
const INVESTOR: u8 = 8;
const CHIP_MAKER: u8 = 16;

const CLASSES: &[(u8, &str, &str)] = &[
    (COMPANY, dg!("Company"), "company"),
    (AI_LAB, dg!("AILab"), "AI lab"),
    (CLOUD_PROVIDER, dg!("CloudProvider"), "cloud provider"),
    (INVESTOR, dg!("Investor"), "investor"),
    (CHIP_MAKER, dg!("ChipMaker"), "chip maker"),
];

/// The kinds of fact node and how often each is drawn (weights out of 100).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Investment,
    FundingRound,
    ComputeAgreement,
    Partnership,
    Competition,
    EquityStake,
    Acquisition,
    Valuation,
    Revenue,
    Headcount,
    ModelDevelopment,
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::Investment, 14),
    (Kind::FundingRound, 11),
    (Kind::ComputeAgreement, 12),
    (Kind::Partnership, 12),
    (Kind::Competition, 8),
    (Kind::EquityStake, 5),
    (Kind::Acquisition, 4),
    (Kind::Valuation, 11),
    (Kind::Revenue, 8),
    (Kind::Headcount, 6),
    (Kind::ModelDevelopment, 9),
];

impl Kind {
    fn class(self) -> &'static str {
        match self {
            Kind::Investment => dg!("Investment"),
            Kind::FundingRound => dg!("FundingRound"),
            Kind::ComputeAgreement => dg!("ComputeAgreement"),
            Kind::Partnership => dg!("Partnership"),
            Kind::Competition => dg!("Competition"),
            Kind::EquityStake => dg!("EquityStake"),
            Kind::Acquisition => dg!("Acquisition"),
            Kind::Valuation => dg!("Valuation"),
            Kind::Revenue => dg!("Revenue"),
            Kind::Headcount => dg!("Headcount"),
            Kind::ModelDevelopment => dg!("ModelDevelopment"),
        }
    }

    fn is_observation(self) -> bool {
        matches!(self, Kind::Valuation | Kind::Revenue | Kind::Headcount)
    }
}

/// [`dgc:`](https://w3id.org/dealgraph/certainty/) levels, with the words a source hedges with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Certainty {
    Stated,
    Announced,
    Planned,
    Expected,
    Reported,
    Speculative,
}

const DEAL_CERTAINTIES: &[(Certainty, u32)] = &[
    (Certainty::Stated, 30),
    (Certainty::Announced, 25),
    (Certainty::Planned, 8),
    (Certainty::Expected, 7),
    (Certainty::Reported, 20),
    (Certainty::Speculative, 10),
];

/// A figure is stated or reported as of a date; nobody plans a headcount.
const OBSERVATION_CERTAINTIES: &[(Certainty, u32)] = &[
    (Certainty::Stated, 45),
    (Certainty::Announced, 10),
    (Certainty::Expected, 5),
    (Certainty::Reported, 35),
    (Certainty::Speculative, 5),
];

impl Certainty {
    fn iri(self) -> &'static str {
        match self {
            Certainty::Stated => "<https://w3id.org/dealgraph/certainty/stated>",
            Certainty::Announced => "<https://w3id.org/dealgraph/certainty/announced>",
            Certainty::Planned => "<https://w3id.org/dealgraph/certainty/planned>",
            Certainty::Expected => "<https://w3id.org/dealgraph/certainty/expected>",
            Certainty::Reported => "<https://w3id.org/dealgraph/certainty/reported>",
            Certainty::Speculative => "<https://w3id.org/dealgraph/certainty/speculative>",
        }
    }

    /// Whether the quote speaks of something still to come.
    fn future(self) -> bool {
        matches!(
            self,
            Certainty::Planned | Certainty::Expected | Certainty::Speculative
        )
    }

    /// The hedge words, kept in `dg:hedge` as the data does for hedged facts.
    fn hedge(self) -> Option<&'static str> {
        match self {
            Certainty::Reported => Some("according to people familiar with the matter"),
            Certainty::Speculative => Some("it is rumoured"),
            _ => None,
        }
    }

    /// How the quote ends, after its main clause.
    fn ending(self) -> &'static str {
        match self {
            Certainty::Stated => ".",
            Certainty::Announced => ", the company announced.",
            Certainty::Planned => ", according to the company's plans.",
            Certainty::Expected => ", analysts expect.",
            Certainty::Reported => ", according to people familiar with the matter.",
            Certainty::Speculative => ", it is rumoured.",
        }
    }

    /// The deal statuses this certainty goes with, and their weights.
    fn statuses(self) -> &'static [(&'static str, u32)] {
        const ANNOUNCED: &str = "<https://w3id.org/dealgraph/status/announced>";
        const AGREED: &str = "<https://w3id.org/dealgraph/status/agreed>";
        const COMPLETED: &str = "<https://w3id.org/dealgraph/status/completed>";
        const PLANNED: &str = "<https://w3id.org/dealgraph/status/planned>";
        const ONGOING: &str = "<https://w3id.org/dealgraph/status/ongoing>";
        match self {
            Certainty::Stated => &[(COMPLETED, 5), (AGREED, 3), (ONGOING, 2)],
            Certainty::Announced => &[(ANNOUNCED, 6), (AGREED, 4)],
            Certainty::Reported => &[(AGREED, 4), (ANNOUNCED, 3), (COMPLETED, 3)],
            Certainty::Planned | Certainty::Expected | Certainty::Speculative => &[(PLANNED, 1)],
        }
    }
}

/// An entity of the generated graph, written as its IRI.
#[derive(Debug, Clone, Copy)]
enum Node {
    Org(u32),
    Fact(u64),
    Amount(u64),
    Source(u64),
    Model(u64),
}

impl Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Org(n) => write!(f, "<{ID}gen-org-{n}>"),
            Node::Fact(n) => write!(f, "<{ID}gen-fact-{n}>"),
            Node::Amount(n) => write!(f, "<{ID}gen-fact-{n}-amount>"),
            Node::Source(n) => write!(f, "<{ID}gen-source-{n}>"),
            Node::Model(n) => write!(f, "<{ID}gen-model-{n}>"),
        }
    }
}

fn org_iri(n: u32) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}gen-org-{n}"))
}

fn fact_iri(n: u64) -> NamedNode {
    NamedNode::new_unchecked(format!("{ID}gen-fact-{n}"))
}

/// The N-Quads writer: one line per triple, all in [`GRAPH`], counted.
struct Out<'w> {
    w: BufWriter<&'w mut dyn Write>,
    triples: u64,
}

impl Out<'_> {
    fn link(&mut self, s: impl Display, p: &str, o: impl Display) -> io::Result<()> {
        self.triples += 1;
        writeln!(self.w, "{s} {p} {o} {G} .")
    }

    fn text(&mut self, s: impl Display, p: &str, text: &str) -> io::Result<()> {
        self.triples += 1;
        write!(self.w, "{s} {p} \"")?;
        write_escaped(&mut self.w, text)?;
        writeln!(self.w, "\" {G} .")
    }

    fn typed(
        &mut self,
        s: impl Display,
        p: &str,
        lexical: impl Display,
        datatype: &str,
    ) -> io::Result<()> {
        self.triples += 1;
        writeln!(self.w, "{s} {p} \"{lexical}\"^^{datatype} {G} .")
    }
}

/// Writes `text` as the inside of an N-Quads string literal. The generated texts are ASCII
/// without quotes, but a name list edited later must not be able to break a line.
fn write_escaped(w: &mut impl Write, text: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        w.write_all(&text.as_bytes()[start..i])?;
        w.write_all(escaped)?;
        start = i + 1;
    }
    w.write_all(&text.as_bytes()[start..])
}

/// The random stream. Bounded draws are our own (Lemire's multiply-and-reject on `next_u64`)
/// rather than `rand`'s, so the output depends only on ChaCha8's specified stream.
struct Draw(ChaCha8Rng);

impl Draw {
    /// Uniform in `0..n`; `n` must not be 0.
    fn below(&mut self, n: u64) -> u64 {
        let mut m = u128::from(self.0.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.0.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn percent(&mut self, p: u64) -> bool {
        self.below(100) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn weighted<T: Copy>(&mut self, table: &[(T, u32)]) -> T {
        let total: u64 = table.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut u = self.below(total);
        for (item, weight) in table {
            if u < u64::from(*weight) {
                return *item;
            }
            u -= u64::from(*weight);
        }
        unreachable!("u is below the sum of the weights")
    }

    /// A US-dollar amount of two or three significant digits between `10 * 10^lo` and
    /// `999 * 10^hi`: log-uniform enough for figures spanning orders of magnitude.
    fn usd(&mut self, lo: u32, hi: u32) -> u64 {
        let mantissa = self.between(10, 999);
        let exponent = self.between(u64::from(lo), u64::from(hi)) as u32;
        mantissa * 10u64.pow(exponent)
    }
}

/// Zipf's law with exponent 1 over a shuffled ranking of the organisations: rank `r` (from 1)
/// is drawn with weight `2^32 / r`, integers only, so the draw is the same on every machine.
struct Zipf {
    cumulative: Vec<u64>,
    org_of_rank: Vec<u32>,
}

impl Zipf {
    fn new(orgs: u32, draw: &mut Draw) -> Self {
        let mut total = 0u64;
        let cumulative = (1..=u64::from(orgs))
            .map(|rank| {
                total += (1u64 << 32) / rank;
                total
            })
            .collect();
        // The hubs get arbitrary numbers, so that a workload cannot find them by their IRI.
        let mut org_of_rank: Vec<u32> = (0..orgs).collect();
        for i in (1..org_of_rank.len()).rev() {
            let j = draw.below(i as u64 + 1) as usize;
            org_of_rank.swap(i, j);
        }
        Self {
            cumulative,
            org_of_rank,
        }
    }

    fn sample(&self, draw: &mut Draw) -> u32 {
        let total = *self.cumulative.last().expect("at least one organisation");
        let u = draw.below(total);
        self.org_of_rank[self.cumulative.partition_point(|&c| c <= u)]
    }
}

/// A stateless 64-bit mix (SplitMix64's finaliser), for attributes that are a function of an
/// organisation's number alone and so known before it is written.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

const NAME_STARTS: &[&str] = &[
    "Al", "Bel", "Cor", "Dar", "El", "Fen", "Gal", "Hal", "Ir", "Jun", "Kal", "Lum", "Mar", "Nor",
    "Or", "Pax", "Quin", "Ros", "Sol", "Tal", "Ul", "Val", "Wen", "Xan", "Yor", "Zen", "Ar", "Bri",
    "Cal", "Del", "Ev", "Fal", "Gor", "Hel", "Is", "Kor", "Lin", "Mir", "Nev", "Ost",
];
const NAME_MIDDLES: &[&str] = &[
    "a", "e", "i", "o", "u", "ar", "er", "ir", "or", "ur", "an", "en", "in", "on", "un", "al",
    "el", "il", "ol", "ul", "ax", "ex", "ix", "ox", "ys", "ae", "io", "ea", "ia", "ou",
];
const NAME_ENDS: &[&str] = &[
    "vex", "tra", "nix", "lia", "mos", "dex", "ron", "sys", "tum", "via", "lon", "gen", "ria",
    "tek", "nex", "ly", "mi", "ka", "ta", "vo", "zo", "ra", "na", "xa", "ris", "tis", "lux", "dyn",
    "ph", "ven", "sta", "qua", "ren", "zar", "bit", "ion", "ode", "ium", "ora", "ent",
];
const NAME_SUFFIXES: &[&str] = &[
    "AI",
    "Labs",
    "Systems",
    "Compute",
    "Capital",
    "Cloud",
    "Semiconductor",
    "Robotics",
    "Intelligence",
    "Dynamics",
    "Networks",
    "Ventures",
    "Research",
    "Technologies",
    "Data",
    "Partners",
    "Holdings",
    "Silicon",
    "Analytics",
    "Machines",
];

/// The distinct names the word lists give; organisations past it get a number after the name.
const NAME_SPACE: u64 =
    (NAME_STARTS.len() * NAME_MIDDLES.len() * NAME_ENDS.len() * NAME_SUFFIXES.len()) as u64;
/// Coprime with [`NAME_SPACE`] (whose factors are 2, 3 and 5), so that multiplying by it
/// permutes the names and neighbouring organisations do not share a prefix.
const NAME_STRIDE: u64 = 586_457;

/// An organisation's name and its brand (the name without the suffix word, its
/// `skos:altLabel`): a function of its number alone.
fn org_name(n: u32) -> (String, String) {
    let n = u64::from(n);
    let mut k = (n % NAME_SPACE) * NAME_STRIDE % NAME_SPACE;
    let mut digit = |len: usize| {
        let d = (k % len as u64) as usize;
        k /= len as u64;
        d
    };
    let brand = format!(
        "{}{}{}",
        NAME_STARTS[digit(NAME_STARTS.len())],
        NAME_MIDDLES[digit(NAME_MIDDLES.len())],
        NAME_ENDS[digit(NAME_ENDS.len())]
    );
    let suffix = NAME_SUFFIXES[digit(NAME_SUFFIXES.len())];
    let round = n / NAME_SPACE;
    let name = if round == 0 {
        format!("{brand} {suffix}")
    } else {
        format!("{brand} {suffix} {}", round + 1)
    };
    (name, brand)
}

/// The organisations: names, classes (what they are, widened by the roles they take), whether
/// they have an alias, their degrees, and the exact number of triples they will take when
/// written at the end.
struct Orgs {
    names: Vec<String>,
    brands: Vec<String>,
    flags: Vec<u8>,
    alias: Vec<bool>,
    founded: Vec<u16>,
    degree: Vec<u64>,
    triples: u64,
}

impl Orgs {
    fn new(count: u32, seed: u64) -> Self {
        let mut orgs = Orgs {
            names: Vec::with_capacity(count as usize),
            brands: Vec::with_capacity(count as usize),
            flags: Vec::with_capacity(count as usize),
            alias: Vec::with_capacity(count as usize),
            founded: Vec::with_capacity(count as usize),
            degree: vec![0; count as usize],
            triples: 0,
        };
        for n in 0..count {
            let (name, brand) = org_name(n);
            let h = mix(seed ^ mix(u64::from(n)));
            // What an organisation is before any fact: a tenth are pure investment firms.
            let flags = match h % 100 {
                0..=9 => INVESTOR,
                10..=14 => COMPANY | CHIP_MAKER,
                15..=34 => COMPANY | AI_LAB,
                35..=44 => COMPANY | CLOUD_PROVIDER,
                _ => COMPANY,
            };
            let alias = (h >> 8) % 100 < 30;
            orgs.names.push(name);
            orgs.brands.push(brand);
            orgs.flags.push(flags);
            orgs.alias.push(alias);
            orgs.founded.push(1990 + ((h >> 16) % 34) as u16);
            // Classes, label, description, and the alias when there is one.
            orgs.triples += u64::from(flags.count_ones()) + 2 + u64::from(alias);
        }
        orgs
    }

    fn name(&self, n: u32) -> &str {
        &self.names[n as usize]
    }

    /// Counts a fact for `n` and adds the class its role implies (a provider is a cloud
    /// provider), keeping the triple count of the organisations exact.
    fn takes_part(&mut self, n: u32, class: u8) {
        let flags = &mut self.flags[n as usize];
        let before = flags.count_ones();
        *flags |= class;
        self.triples += u64::from(flags.count_ones() - before);
        self.degree[n as usize] += 1;
    }
}

const OUTLETS: &[(&str, &str)] = &[
    ("Generated Wire", "generated-wire"),
    ("Synthetic Tech Daily", "synthetic-tech-daily"),
    ("The Model Ledger", "model-ledger"),
    ("Compute Review", "compute-review"),
    ("Benchmark Business News", "benchmark-business-news"),
    ("The Inference Post", "inference-post"),
];

const PURPOSES: &[&str] = &[
    "model training",
    "inference capacity",
    "custom accelerators",
    "enterprise AI products",
    "data-centre construction",
    "AI safety research",
    "cloud distribution",
    "robotics foundation models",
];

const MARKETS: &[&str] = &[
    "cloud computing",
    "foundation models",
    "AI accelerators",
    "enterprise AI assistants",
    "GPU cloud capacity",
    "coding assistants",
];

const MODEL_NAMES: &[&str] = &[
    "Atlas", "Borealis", "Cirrus", "Delta", "Ember", "Flux", "Granite", "Helix", "Ion", "Juno",
    "Kestrel", "Lyra", "Meridian", "Nimbus", "Orion", "Prism", "Quasar", "Raven", "Sable", "Tide",
];

/// A date as a day number from 1970-01-01, written as `xsd:date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Date(i64);

/// First and last day of the generated history, 2012-01-01 and 2026-12-31.
const FIRST_DAY: Date = Date(15_340);
const LAST_DAY: Date = Date(20_818);

impl Date {
    /// Year, month and day, by Howard Hinnant's `civil_from_days`.
    fn civil(self) -> (i64, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    fn year(self) -> i64 {
        self.civil().0
    }
}

impl Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.civil();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// A dollar figure the way a news story writes it: "$1.2 billion".
fn human_usd(value: u64) -> String {
    let (unit, word) = match value {
        1_000_000_000.. => (1_000_000_000, "billion"),
        1_000_000.. => (1_000_000, "million"),
        _ => (1_000, "thousand"),
    };
    let whole = value / unit;
    let tenth = value % unit * 10 / unit;
    if tenth == 0 {
        format!("${whole} {word}")
    } else {
        format!("${whole}.{tenth} {word}")
    }
}

/// "A", "A and B", "A, B and C".
fn listing(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A value of a fact node beyond its parties, figures and date.
enum Value {
    Text(&'static str),
    Typed(String, &'static str),
    Node(Node),
}

/// One fact under construction: its parties (role, organisation, the class the role implies).
struct Parties(Vec<(&'static str, u32, u8)>);

struct Generator<'w> {
    target: u64,
    out: Out<'w>,
    draw: Draw,
    zipf: Zipf,
    orgs: Orgs,
    facts: u64,
    sources: u64,
    models: u64,
    /// Pairs of organisations named by one fact, with that fact: the graph the path is found in.
    edges: Vec<(u32, u32, u64)>,
}

impl<'w> Generator<'w> {
    fn new(config: &GeneratorConfig, out: &'w mut dyn Write) -> Self {
        let mut draw = Draw(ChaCha8Rng::seed_from_u64(config.seed));
        let count = config.organisations();
        let zipf = Zipf::new(count, &mut draw);
        Self {
            target: config.triples,
            out: Out {
                w: BufWriter::with_capacity(1 << 16, out),
                triples: 0,
            },
            draw,
            zipf,
            orgs: Orgs::new(count, config.seed),
            facts: 0,
            sources: 0,
            models: 0,
            edges: Vec::new(),
        }
    }

    /// Whether the output, with the organisations still to be written, has reached the target.
    fn full(&self) -> bool {
        self.out.triples + self.orgs.triples >= self.target
    }

    /// Sources, each followed by the facts it reports, until the target is reached; then the
    /// organisations, whose classes depend on the roles they took.
    fn run(&mut self) -> io::Result<()> {
        while !self.full() {
            let (source, published) = self.source()?;
            // One to eight facts per source, fewer more likely, as a story reports a few.
            let mut facts = 1;
            while facts < 8 && self.draw.percent(55) {
                facts += 1;
            }
            for i in 0..facts {
                // The first fact is written whatever the count: a source reports something.
                if i > 0 && self.full() {
                    break;
                }
                self.fact(source, published)?;
            }
        }
        self.write_orgs()?;
        self.out.w.flush()
    }

    /// A source document, dated later in the history more often (the industry grew).
    fn source(&mut self) -> io::Result<(Node, Date)> {
        let n = self.sources;
        self.sources += 1;
        let node = Node::Source(n);
        let span = (LAST_DAY.0 - FIRST_DAY.0) as u64;
        let day =
            Date(FIRST_DAY.0 + self.draw.below(span + 1).max(self.draw.below(span + 1)) as i64);
        let (name, slug) = *self.draw.pick(OUTLETS);
        let (year, month, _) = day.civil();
        self.out.link(node, RDF_TYPE, dg!("SourceDocument"))?;
        self.out.text(
            node,
            RDFS_LABEL,
            &format!("{name}: AI industry report {n} ({day})"),
        )?;
        self.out.link(
            node,
            SCHEMA_URL,
            format_args!("<https://example.org/{slug}/{year:04}/{month:02}/gen-{n}>"),
        )?;
        self.out.typed(node, SCHEMA_DATE_PUBLISHED, day, XSD_DATE)?;
        Ok((node, day))
    }

    /// An organisation for a role, other than those already in the fact.
    fn party(&mut self, parties: &Parties) -> u32 {
        loop {
            let org = self.zipf.sample(&mut self.draw);
            if parties.0.iter().all(|(_, o, _)| *o != org) {
                return org;
            }
        }
    }

    fn add(&mut self, parties: &mut Parties, role: &'static str, class: u8) -> u32 {
        let org = self.party(parties);
        parties.0.push((role, org, class));
        org
    }

    /// One fact node, whole: class, label, parties, figures, date, status, quotes, certainty and
    /// its source.
    fn fact(&mut self, source: Node, published: Date) -> io::Result<()> {
        let kind = self.draw.weighted(KINDS);
        let n = self.facts;
        self.facts += 1;
        let node = Node::Fact(n);
        let certainty = if kind.is_observation() {
            self.draw.weighted(OBSERVATION_CERTAINTIES)
        } else {
            self.draw.weighted(DEAL_CERTAINTIES)
        };
        // The fact happened up to a year and a half before the story, not before the history.
        let before = self
            .draw
            .below((published.0 - FIRST_DAY.0).min(540) as u64 + 1);
        let date = Date(published.0 - before as i64);
        let year = date.year();
        let future = certainty.future();
        let mut parties = Parties(Vec::with_capacity(4));
        let mut amount = None;
        let mut date_property = dg!("date");
        let mut extra: Vec<(&'static str, Value)> = Vec::new();

        let (label, clause) = match kind {
            Kind::Investment => {
                let a = self.add(&mut parties, dg!("investor"), INVESTOR);
                let b = self.add(&mut parties, dg!("investee"), 0);
                let usd = self.draw.usd(4, 7);
                amount = Some(usd);
                let (a, b, m) = (self.orgs.name(a), self.orgs.name(b), human_usd(usd));
                (
                    format!("{a} investment in {b} ({year})"),
                    if future {
                        format!("{a} will invest {m} in {b}")
                    } else {
                        format!("{a} has invested {m} in {b}")
                    },
                )
            }
            Kind::FundingRound => {
                let investee = self.add(&mut parties, dg!("investee"), 0);
                let investors = 1 + self.draw.below(3);
                for _ in 0..investors {
                    self.add(&mut parties, dg!("investor"), INVESTOR);
                }
                let usd = self.draw.usd(5, 8);
                amount = Some(usd);
                let backers: Vec<&str> = parties.0[1..]
                    .iter()
                    .map(|(_, o, _)| self.orgs.name(*o))
                    .collect();
                let (b, m, backers) = (self.orgs.name(investee), human_usd(usd), listing(&backers));
                (
                    format!("{b} funding round ({year})"),
                    if future {
                        format!("{b} will raise {m} in a round backed by {backers}")
                    } else {
                        format!("{b} has raised {m} in a round backed by {backers}")
                    },
                )
            }
            Kind::ComputeAgreement => {
                let c = self.add(&mut parties, dg!("customer"), 0);
                let p = self.add(&mut parties, dg!("provider"), CLOUD_PROVIDER);
                let usd = self.draw.usd(5, 8);
                amount = Some(usd);
                date_property = dg!("startDate");
                let years = self.draw.between(1, 7);
                extra.push((
                    dg!("duration"),
                    Value::Typed(format!("P{years}Y"), XSD_DURATION),
                ));
                let (c, p, m) = (self.orgs.name(c), self.orgs.name(p), human_usd(usd));
                (
                    format!("{c} compute agreement with {p} ({year})"),
                    if future {
                        format!("{c} will sign a {years}-year compute agreement worth {m} with {p}")
                    } else {
                        format!(
                            "{c} has signed a {years}-year compute agreement worth {m} with {p}"
                        )
                    },
                )
            }
            Kind::Partnership => {
                let a = self.add(&mut parties, dg!("partner"), 0);
                let b = self.add(&mut parties, dg!("partner"), 0);
                let purpose = *self.draw.pick(PURPOSES);
                extra.push((dg!("purpose"), Value::Text(purpose)));
                let (a, b) = (self.orgs.name(a), self.orgs.name(b));
                (
                    format!("{a} partnership with {b} ({year})"),
                    if future {
                        format!("{a} and {b} will form a partnership on {purpose}")
                    } else {
                        format!("{a} and {b} have formed a partnership on {purpose}")
                    },
                )
            }
            Kind::Competition => {
                let a = self.add(&mut parties, dg!("competitor"), 0);
                let b = self.add(&mut parties, dg!("competitor"), 0);
                let market = *self.draw.pick(MARKETS);
                date_property = dg!("startDate");
                extra.push((dg!("market"), Value::Text(market)));
                let (a, b) = (self.orgs.name(a), self.orgs.name(b));
                (
                    format!("{a} competes with {b} in {market}"),
                    if future {
                        format!("{a} will compete with {b} in {market}")
                    } else {
                        format!("{a} competes with {b} in {market}")
                    },
                )
            }
            Kind::EquityStake => {
                let h = self.add(&mut parties, dg!("holder"), INVESTOR);
                let g = self.add(&mut parties, dg!("grantor"), 0);
                let usd = self.draw.usd(4, 7);
                amount = Some(usd);
                let (h, g, m) = (self.orgs.name(h), self.orgs.name(g), human_usd(usd));
                (
                    format!("{h} stake in {g} ({year})"),
                    if future {
                        format!("{h} will take a stake worth {m} in {g}")
                    } else {
                        format!("{h} has taken a stake worth {m} in {g}")
                    },
                )
            }
            Kind::Acquisition => {
                let a = self.add(&mut parties, dg!("acquirer"), INVESTOR);
                let b = self.add(&mut parties, dg!("acquired"), 0);
                let usd = self.draw.usd(5, 8);
                amount = Some(usd);
                let (a, b, m) = (self.orgs.name(a), self.orgs.name(b), human_usd(usd));
                (
                    format!("{a} acquisition of {b} ({year})"),
                    if future {
                        format!("{a} will acquire {b} for {m}")
                    } else {
                        format!("{a} has acquired {b} for {m}")
                    },
                )
            }
            Kind::Valuation | Kind::Revenue => {
                let s = self.add(&mut parties, dg!("subject"), 0);
                let usd = if kind == Kind::Valuation {
                    self.draw.usd(6, 9)
                } else {
                    self.draw.usd(4, 8)
                };
                amount = Some(usd);
                date_property = dg!("asOf");
                let (s, m) = (self.orgs.name(s), human_usd(usd));
                if kind == Kind::Valuation {
                    (
                        format!("{s} valuation ({date})"),
                        if future {
                            format!("{s} will be valued at {m}")
                        } else {
                            format!("{s} was valued at {m} as of {date}")
                        },
                    )
                } else {
                    (
                        format!("{s} revenue ({date})"),
                        if future {
                            format!("{s} will reach yearly revenue of {m}")
                        } else {
                            format!("{s} had revenue of {m} in the year to {date}")
                        },
                    )
                }
            }
            Kind::Headcount => {
                let s = self.add(&mut parties, dg!("subject"), 0);
                let staff = self.draw.between(10, 999) * 10u64.pow(self.draw.below(3) as u32);
                date_property = dg!("asOf");
                extra.push((
                    dg!("quantity"),
                    Value::Typed(staff.to_string(), XSD_DECIMAL),
                ));
                let s = self.orgs.name(s);
                (
                    format!("{s} headcount ({date})"),
                    if future {
                        format!("{s} will employ {staff} people")
                    } else {
                        format!("{s} employed {staff} people as of {date}")
                    },
                )
            }
            Kind::ModelDevelopment => {
                let d = self.add(&mut parties, dg!("developer"), AI_LAB);
                let (m, model) = self.model(d, date)?;
                extra.push((dg!("model"), Value::Node(model)));
                let d = self.orgs.name(d);
                (
                    format!("{d} develops {m}"),
                    if future {
                        format!("{d} will release the {m} model")
                    } else {
                        format!("{d} has developed the {m} model")
                    },
                )
            }
        };

        self.out.link(node, RDF_TYPE, kind.class())?;
        self.out.text(node, RDFS_LABEL, &label)?;
        for (role, org, class) in &parties.0 {
            self.out.link(node, role, Node::Org(*org))?;
            self.orgs.takes_part(*org, *class);
        }
        for (i, (_, a, _)) in parties.0.iter().enumerate() {
            for (_, b, _) in &parties.0[i + 1..] {
                self.edges.push(((*a).min(*b), (*a).max(*b), n));
            }
        }
        if let Some(usd) = amount {
            let amount_node = Node::Amount(n);
            self.out.link(node, dg!("amount"), amount_node)?;
            self.out
                .link(amount_node, RDF_TYPE, dg!("MonetaryAmount"))?;
            self.out
                .typed(amount_node, dg!("value"), usd, XSD_DECIMAL)?;
            self.out.text(amount_node, dg!("currency"), "USD")?;
        }
        self.out.typed(node, date_property, date, XSD_DATE)?;
        for (property, value) in &extra {
            match value {
                Value::Text(text) => self.out.text(node, property, text)?,
                Value::Typed(lexical, datatype) => {
                    self.out.typed(node, property, lexical, datatype)?
                }
                Value::Node(object) => self.out.link(node, property, object)?,
            }
        }
        if !kind.is_observation() {
            let status = self.draw.weighted(certainty.statuses());
            self.out.link(node, dg!("status"), status)?;
        }
        self.out.text(
            node,
            dg!("quote"),
            &format!("{clause}{}", certainty.ending()),
        )?;
        if self.draw.percent(15) {
            let second = format!("The report was published on {published}.");
            self.out.text(node, dg!("quote"), &second)?;
        }
        if let Some(hedge) = certainty.hedge() {
            self.out.text(node, dg!("hedge"), hedge)?;
        }
        self.out.link(node, dg!("certainty"), certainty.iri())?;
        self.out.link(node, PROV_DERIVED_FROM, source)
    }

    /// A new AI model of `developer`, written at once: its name and its node.
    fn model(&mut self, developer: u32, date: Date) -> io::Result<(String, Node)> {
        let n = self.models;
        self.models += 1;
        let node = Node::Model(n);
        let name = format!(
            "{} {} {}",
            self.orgs.brands[developer as usize],
            self.draw.pick(MODEL_NAMES),
            1 + self.draw.below(9)
        );
        self.out.link(node, RDF_TYPE, dg!("AIModel"))?;
        self.out.text(node, RDFS_LABEL, &name)?;
        self.out
            .typed(node, SCHEMA_DATE_PUBLISHED, date, XSD_DATE)?;
        Ok((name, node))
    }

    /// Every organisation, with the classes its roles gave it: exactly the triples counted in
    /// [`Orgs::triples`].
    fn write_orgs(&mut self) -> io::Result<()> {
        for n in 0..self.orgs.names.len() as u32 {
            let node = Node::Org(n);
            let flags = self.orgs.flags[n as usize];
            let mut what = Vec::new();
            for (bit, class, word) in CLASSES {
                if flags & bit != 0 {
                    self.out.link(node, RDF_TYPE, class)?;
                    what.push(*word);
                }
            }
            let name = &self.orgs.names[n as usize];
            self.out.text(node, RDFS_LABEL, name)?;
            if self.orgs.alias[n as usize] {
                self.out
                    .text(node, SKOS_ALT_LABEL, &self.orgs.brands[n as usize])?;
            }
            let what = listing(&what);
            let article = if what.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            let description = format!(
                "{name} is {article} {what} founded in {}.",
                self.orgs.founded[n as usize]
            );
            self.out.text(node, SCHEMA_DESCRIPTION, &description)?;
        }
        Ok(())
    }

    fn degree_of(&self, n: u32) -> OrgDegree {
        OrgDegree {
            iri: org_iri(n),
            label: self.orgs.names[n as usize].clone(),
            degree: self.orgs.degree[n as usize],
        }
    }

    fn summary(&mut self) -> GeneratedSummary {
        let count = self.orgs.names.len() as u32;
        let mut by_degree: Vec<u32> = (0..count).collect();
        by_degree.sort_by_key(|&n| (std::cmp::Reverse(self.orgs.degree[n as usize]), n));
        let hubs = by_degree
            .iter()
            .take(HUBS)
            .map(|&n| self.degree_of(n))
            .collect();
        let mut ascending: Vec<u32> = (0..count).collect();
        ascending.sort_by_key(|&n| (self.orgs.degree[n as usize], n));
        let typical = ascending[ascending.len() / 2];
        GeneratedSummary {
            triples: self.out.triples,
            organisations: u64::from(count),
            facts: self.facts,
            sources: self.sources,
            models: self.models,
            hubs,
            typical: self.degree_of(typical),
            path: self.path_from(typical),
        }
    }

    /// A breadth-first search from `start` over the organisations sharing a fact; the
    /// lowest-numbered organisation at distance 3 (else 2) and the chain to it.
    fn path_from(&mut self, start: u32) -> Option<OrgPath> {
        let count = self.orgs.names.len();
        // Adjacency in compressed rows, both directions, built once from the edge list.
        let mut offsets = vec![0usize; count + 1];
        for &(a, b, _) in &self.edges {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 0..count {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut neighbours = vec![(0u32, 0u64); offsets[count]];
        for &(a, b, fact) in &self.edges {
            neighbours[fill[a as usize]] = (b, fact);
            fill[a as usize] += 1;
            neighbours[fill[b as usize]] = (a, fact);
            fill[b as usize] += 1;
        }
        self.edges = Vec::new();

        const UNSEEN: u32 = u32::MAX;
        let mut distance = vec![UNSEEN; count];
        let mut parent = vec![(0u32, 0u64); count];
        distance[start as usize] = 0;
        let mut frontier = vec![start];
        let mut levels = vec![frontier.clone()];
        for level in 1..=3u32 {
            let mut next = Vec::new();
            for &a in &frontier {
                for &(b, fact) in &neighbours[offsets[a as usize]..offsets[a as usize + 1]] {
                    if distance[b as usize] == UNSEEN {
                        distance[b as usize] = level;
                        parent[b as usize] = (a, fact);
                        next.push(b);
                    }
                }
            }
            levels.push(next.clone());
            frontier = next;
        }
        let end = levels[3]
            .iter()
            .chain(&levels[2])
            .copied()
            .min_by_key(|&n| (std::cmp::Reverse(distance[n as usize]), n))?;
        let mut organisations = vec![org_iri(end)];
        let mut facts = Vec::new();
        let mut at = end;
        while at != start {
            let (previous, fact) = parent[at as usize];
            facts.push(fact_iri(fact));
            organisations.push(org_iri(previous));
            at = previous;
        }
        organisations.reverse();
        facts.reverse();
        Some(OrgPath {
            from: org_iri(start),
            to: org_iri(end),
            organisations,
            facts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil_dates() {
        assert_eq!(FIRST_DAY.to_string(), "2012-01-01");
        assert_eq!(LAST_DAY.to_string(), "2026-12-31");
        assert_eq!(Date(0).to_string(), "1970-01-01");
        // 2016 and 2024 are leap years: the day after 28 February is the 29th.
        assert_eq!(Date(16_860).to_string(), "2016-02-29");
        assert_eq!(Date(19_782).to_string(), "2024-02-29");
        assert_eq!(Date(19_783).to_string(), "2024-03-01");
    }

    #[test]
    fn amounts_read_as_in_the_news() {
        assert_eq!(human_usd(12_300_000_000), "$12.3 billion");
        assert_eq!(human_usd(1_000_000_000), "$1 billion");
        assert_eq!(human_usd(450_000_000), "$450 million");
        assert_eq!(human_usd(990_000), "$990 thousand");
    }

    #[test]
    fn literals_are_escaped() {
        let mut out = Vec::new();
        write_escaped(&mut out, "a \"b\" \\ c\nd").unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "a \\\"b\\\" \\\\ c\\nd");
    }

    #[test]
    fn names_are_distinct() {
        // The stride permutes the name space only if it shares no factor with its size.
        let (mut a, mut b) = (NAME_SPACE, NAME_STRIDE);
        while b != 0 {
            (a, b) = (b, a % b);
        }
        assert_eq!(a, 1, "NAME_STRIDE must be coprime with NAME_SPACE");
        let names: std::collections::BTreeSet<String> =
            (0..70_000).map(|n| org_name(n).0).collect();
        assert_eq!(names.len(), 70_000);
        assert_ne!(org_name(0).0, org_name(NAME_SPACE as u32).0);
    }

    #[test]
    fn bounded_draws_stay_in_range_and_cover_it() {
        let mut draw = Draw(ChaCha8Rng::seed_from_u64(1));
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let x = draw.below(7);
            seen[x as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
    }

    #[test]
    fn the_first_rank_is_drawn_most() {
        let mut draw = Draw(ChaCha8Rng::seed_from_u64(3));
        let zipf = Zipf::new(100, &mut draw);
        let mut counts = vec![0u32; 100];
        for _ in 0..20_000 {
            counts[zipf.sample(&mut draw) as usize] += 1;
        }
        let top = zipf.org_of_rank[0] as usize;
        let last = zipf.org_of_rank[99] as usize;
        assert_eq!(counts.iter().max(), Some(&counts[top]));
        assert!(counts[top] > 20 * counts[last].max(1));
    }
}
