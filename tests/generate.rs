//! `dealgraph generate`, the synthetic benchmark graph: byte-for-byte determinism (library and
//! binary, plain and gzipped), the size it lands at, acceptance by the store's door with its
//! shapes, the skew of the degrees, the provenance of every fact node, and the IRIs the summary
//! hands to workloads, each checked against the output itself.

mod common;

use dealgraph::generate::{GRAPH, GeneratedSummary, GeneratorConfig, generate};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::model::{NamedNode, NamedOrBlankNode, Quad, Term};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

const ID: &str = "https://w3id.org/dealgraph/id/";
const DG: &str = "https://w3id.org/dealgraph/ontology#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const PROV_DERIVED_FROM: &str = "http://www.w3.org/ns/prov#wasDerivedFrom";

/// The fact classes the generator writes.
const FACT_CLASSES: &[&str] = &[
    "Investment",
    "FundingRound",
    "ComputeAgreement",
    "Partnership",
    "Competition",
    "EquityStake",
    "Acquisition",
    "Valuation",
    "Revenue",
    "Headcount",
    "ModelDevelopment",
];

fn generated(triples: u64, seed: u64) -> (Vec<u8>, GeneratedSummary) {
    let mut bytes = Vec::new();
    let summary = generate(&GeneratorConfig::new(triples, seed), &mut bytes).expect("generate");
    (bytes, summary)
}

/// The output parsed by oxigraph's N-Quads parser, which also checks that it is N-Quads.
fn quads(bytes: &[u8]) -> Vec<Quad> {
    RdfParser::from_format(RdfFormat::NQuads)
        .for_slice(bytes)
        .collect::<Result<_, _>>()
        .expect("valid N-Quads")
}

fn subject(quad: &Quad) -> &str {
    match &quad.subject {
        NamedOrBlankNode::NamedNode(n) => n.as_str(),
        other => panic!("a blank node subject: {other}"),
    }
}

fn object_iri(quad: &Quad) -> Option<&str> {
    match &quad.object {
        Term::NamedNode(n) => Some(n.as_str()),
        _ => None,
    }
}

fn is_org(iri: &str) -> bool {
    iri.strip_prefix(ID)
        .is_some_and(|local| local.starts_with("gen-org-"))
}

/// The fact nodes: subjects typed with one of the generator's fact classes.
fn facts(quads: &[Quad]) -> BTreeSet<String> {
    let classes: BTreeSet<String> = FACT_CLASSES.iter().map(|c| format!("{DG}{c}")).collect();
    quads
        .iter()
        .filter(|q| q.predicate.as_str() == RDF_TYPE)
        .filter(|q| object_iri(q).is_some_and(|o| classes.contains(o)))
        .map(|q| subject(q).to_owned())
        .collect()
}

/// Each organisation (typed subject `gen-org-*`) with the fact nodes naming it in any role.
fn facts_of_orgs(quads: &[Quad]) -> BTreeMap<String, BTreeSet<String>> {
    let mut of: BTreeMap<String, BTreeSet<String>> = quads
        .iter()
        .filter(|q| q.predicate.as_str() == RDF_TYPE && is_org(subject(q)))
        .map(|q| (subject(q).to_owned(), BTreeSet::new()))
        .collect();
    let facts = facts(quads);
    for quad in quads {
        if let Some(org) = object_iri(quad).filter(|o| is_org(o))
            && facts.contains(subject(quad))
        {
            of.get_mut(org)
                .unwrap_or_else(|| panic!("{org} is named by a fact but never described"))
                .insert(subject(quad).to_owned());
        }
    }
    of
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_others() {
    let (first, first_summary) = generated(10_000, 7);
    let (again, again_summary) = generated(10_000, 7);
    assert!(first == again, "two runs with seed 7 differ");
    assert_eq!(first_summary, again_summary);
    let (other, other_summary) = generated(10_000, 8);
    assert!(first != other, "seeds 7 and 8 give the same graph");
    assert_ne!(first_summary.hubs, other_summary.hubs);
}

#[test]
fn the_binary_writes_the_same_bytes_to_standard_output_and_to_a_gzipped_file() {
    let (expected, _) = generated(10_000, 11);
    let output = common::dealgraph()
        .args(["generate", "--triples", "10000", "--seed", "11"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stdout == expected,
        "standard output differs from the library's bytes"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.starts_with("generated "), "{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("hub\t")).count(),
        10
    );

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("graph.nq.gz");
    let output = common::dealgraph()
        .args(["generate", "--triples", "10000", "--seed", "11", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&file).unwrap())
        .read_to_end(&mut unzipped)
        .unwrap();
    assert!(
        unzipped == expected,
        "the gzipped file differs from the library's bytes"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 1, "a partial file was left behind: {left:?}");
}

#[test]
fn the_triple_count_lands_within_two_percent_of_the_target() {
    for target in [10_000u64, 100_000] {
        let (bytes, summary) = generated(target, 1);
        let quads = quads(&bytes);
        assert_eq!(quads.len() as u64, summary.triples);
        let off = summary.triples.abs_diff(target) as f64 / target as f64;
        assert!(
            off <= 0.02,
            "{} triples for a target of {target}",
            summary.triples
        );
        // One named graph for all, and nothing an engine without blank-node support would trip on.
        let graph = NamedNode::new(GRAPH).unwrap();
        assert!(quads.iter().all(|q| q.graph_name == graph.clone().into()));
        assert!(
            quads
                .iter()
                .all(|q| !q.subject.is_blank_node() && !q.object.is_blank_node())
        );
        // Organisations grow with the size: about one per 150 triples.
        assert_eq!(summary.organisations, target / 150);
        assert_eq!(facts_of_orgs(&quads).len() as u64, summary.organisations);
    }
}

/// The generated graph goes through `dealgraph load`, the store's write door, which checks it
/// against the shapes before committing; the same file less one `prov:wasDerivedFrom` is
/// refused, which shows the check ran.
#[test]
fn the_store_accepts_the_generated_graph_under_its_shapes() {
    let (bytes, summary) = generated(10_000, 3);
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("generated.nq");
    std::fs::write(&good, &bytes).unwrap();
    let load = |file: &std::path::Path| {
        common::dealgraph()
            .args(["load", "--memory"])
            .env(
                "DEALGRAPH_SEED_DIRS",
                common::repo().join("ontology").display().to_string(),
            )
            .arg(file)
            .output()
            .unwrap()
    };
    let output = load(&good);
    assert!(
        output.status.success(),
        "the store refused the generated graph: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let loaded = format!("{} triples into", summary.triples);
    assert!(String::from_utf8_lossy(&output.stderr).contains(&loaded));

    let text = String::from_utf8(bytes).unwrap();
    let dropped = text
        .lines()
        .position(|l| l.contains(PROV_DERIVED_FROM))
        .expect("a source link");
    let broken: String = text
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != dropped)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let bad = dir.path().join("broken.nq");
    std::fs::write(&bad, broken).unwrap();
    let output = load(&bad);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "a fact without a source was accepted"
    );
    assert!(stderr.contains("wasDerivedFrom"), "{stderr}");
}

#[test]
fn a_few_hubs_take_part_in_most_facts() {
    let (bytes, summary) = generated(100_000, 5);
    let quads = quads(&bytes);
    let of = facts_of_orgs(&quads);
    let mut degrees: Vec<(usize, &String)> = of.iter().map(|(o, f)| (f.len(), o)).collect();
    degrees.sort();
    let median = degrees[degrees.len() / 2].0;
    let (top, hub) = *degrees.last().unwrap();
    assert!(median >= 1, "the median organisation takes part in no fact");
    assert!(
        top >= 20 * median,
        "top hub in {top} facts, median organisation in {median}"
    );
    assert_eq!(summary.hubs[0].iri.as_str(), hub.as_str());
    assert_eq!(summary.hubs[0].degree, top as u64);
    assert!(summary.hubs.windows(2).all(|w| w[0].degree >= w[1].degree));
    assert_eq!(summary.typical.degree, median as u64);
    assert_eq!(of[summary.typical.iri.as_str()].len(), median);
}

#[test]
fn every_fact_node_has_one_source_one_certainty_and_a_quote_and_every_source_a_fact() {
    let (bytes, summary) = generated(100_000, 9);
    let quads = quads(&bytes);
    let facts = facts(&quads);
    assert_eq!(facts.len() as u64, summary.facts);
    let sources: BTreeSet<&str> = quads
        .iter()
        .filter(|q| {
            q.predicate.as_str() == RDF_TYPE
                && object_iri(q) == Some(&format!("{DG}SourceDocument"))
        })
        .map(subject)
        .collect();
    assert_eq!(sources.len() as u64, summary.sources);
    let mut counts: BTreeMap<&str, [usize; 3]> =
        facts.iter().map(|f| (f.as_str(), [0; 3])).collect();
    let mut cited = BTreeSet::new();
    let certainty = format!("{DG}certainty");
    let quote = format!("{DG}quote");
    for quad in &quads {
        let Some(count) = counts.get_mut(subject(quad)) else {
            continue;
        };
        let p = quad.predicate.as_str();
        if p == PROV_DERIVED_FROM {
            count[0] += 1;
            let source = object_iri(quad).expect("a source IRI");
            assert!(
                sources.contains(source),
                "{source} is not a dg:SourceDocument"
            );
            cited.insert(source);
        } else if p == certainty {
            count[1] += 1;
            let level = object_iri(quad).expect("a certainty IRI");
            assert!(
                level.starts_with("https://w3id.org/dealgraph/certainty/"),
                "{level}"
            );
        } else if p == quote {
            count[2] += 1;
        }
    }
    for (fact, [derived, certain, quoted]) in counts {
        assert_eq!(derived, 1, "{fact}: {derived} prov:wasDerivedFrom");
        assert_eq!(certain, 1, "{fact}: {certain} dg:certainty");
        assert!(quoted >= 1, "{fact}: no dg:quote");
    }
    assert_eq!(cited, sources, "a source document reports no fact");
}

/// The summary's pair is linked by its chain of fact nodes and by nothing shorter.
#[test]
fn the_summary_path_is_a_shortest_chain_of_shared_facts() {
    let (bytes, summary) = generated(100_000, 13);
    let quads = quads(&bytes);
    let of = facts_of_orgs(&quads);
    let path = summary.path.expect("a pair at distance 2 or 3");
    assert!((2..=3).contains(&path.hops()), "{} hops", path.hops());
    assert_eq!(path.organisations.len(), path.hops() + 1);
    assert_eq!(path.organisations[0], path.from);
    assert_eq!(path.organisations[path.hops()], path.to);
    assert_eq!(path.from, summary.typical.iri);
    for (i, fact) in path.facts.iter().enumerate() {
        for org in &path.organisations[i..=i + 1] {
            assert!(
                of[org.as_str()].contains(fact.as_str()),
                "{fact} does not name {org}"
            );
        }
    }
    // Neighbours: the organisations sharing a fact with one.
    let mut parties: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (org, facts) in &of {
        for fact in facts {
            parties.entry(fact).or_default().insert(org);
        }
    }
    let neighbours = |org: &str| -> BTreeSet<&str> {
        of[org]
            .iter()
            .flat_map(|f| parties[f.as_str()].iter().copied())
            .filter(|o| *o != org)
            .collect()
    };
    let near_from = neighbours(path.from.as_str());
    let near_to = neighbours(path.to.as_str());
    assert!(
        !near_from.contains(path.to.as_str()),
        "the pair shares a fact"
    );
    if path.hops() == 3 {
        assert!(
            near_from.is_disjoint(&near_to),
            "the pair is two hops apart, not three"
        );
    }
}
