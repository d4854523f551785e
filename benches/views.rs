//! The exploration views and search on a generated graph of a million triples (issue 5's
//! goal: every view at most 10 ms p50, search at most 5 ms), so regressions show without the
//! peers of the side-by-side harness.
//!
//! `cargo bench --bench views`: the store on disk (RocksDB) in a temporary directory; with
//! `--no-default-features`, in memory, whose lookups by object walk every quad of the object. `DEALGRAPH_BENCH_TRIPLES` sets the size (default 1,000,000): the graph
//! comes from `dealgraph::generate` with seed 1, loaded with the ontology through the store's
//! one door (inference, shapes and the search index included) before anything is measured.
//! Criterion reports the mean and its interval; `target/criterion/<view>/new/sample.json` holds
//! the samples, from which `scripts/bench-p50` reads the medians.

use criterion::{Criterion, criterion_group, criterion_main};
use dealgraph::generate::{GeneratedSummary, GeneratorConfig, generate};
use dealgraph::rdf::ParseLimits;
use dealgraph::search::{Check, Indexed, SearchLocation, SearchRequest, SearchService};
use dealgraph::store::{Backend, EmbeddedStore, StoreLocation, StoreOptions, WriteOp};
use dealgraph::views::{
    self, EntityRequest, FactFilter, GraphRequest, NameCache, PathsRequest, Reader,
};
use oxigraph::io::{RdfFormat, RdfParser};
use oxigraph::sparql::CancellationToken;
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The store the benches read: on disk in a temporary directory with the default `rocksdb`
/// feature (what `dealgraph serve` runs), in memory without it.
fn location() -> (StoreLocation, Option<tempfile::TempDir>) {
    if cfg!(feature = "rocksdb") {
        let dir = tempfile::tempdir().expect("a temporary directory");
        (StoreLocation::Disk(dir.path().join("db")), Some(dir))
    } else {
        (StoreLocation::Memory, None)
    }
}

fn loaded() -> (
    Arc<dyn Backend>,
    GeneratedSummary,
    Option<tempfile::TempDir>,
) {
    let triples = std::env::var("DEALGRAPH_BENCH_TRIPLES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let mut nquads = Vec::new();
    let summary = generate(&GeneratorConfig::new(triples, 1), &mut nquads).expect("generate");
    let quads: Vec<_> = RdfParser::from_format(RdfFormat::NQuads)
        .for_slice(&nquads)
        .collect::<Result<_, _>>()
        .expect("the generated graph parses");
    drop(nquads);
    let service = SearchService::default();
    let (location, dir) = location();
    let store = EmbeddedStore::open(
        &location,
        StoreOptions {
            search: Some(service.clone()),
            ..StoreOptions::default()
        },
        ParseLimits::default(),
    )
    .expect("open");
    let store: Arc<dyn Backend> = Indexed::open_at(
        Arc::new(store),
        &SearchLocation::Memory,
        &service,
        Check::Now,
    )
    .expect("index");
    let ontology = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ontology");
    dealgraph::seed::seed_if_empty(store.as_ref(), &[ontology], ParseLimits::default())
        .expect("seed the ontology");
    store
        .write(WriteOp::Insert { quads })
        .expect("load the generated graph");
    eprintln!(
        "views bench: {} triples generated and loaded into the {} store (with the ontology, inference, shapes and search index: {} quads) in {:.1} s",
        summary.triples,
        if dir.is_some() {
            "on-disk"
        } else {
            "in-memory"
        },
        store.len().expect("len"),
        started.elapsed().as_secs_f64()
    );
    (store, summary, dir)
}

fn views(c: &mut Criterion) {
    let (store, summary, _dir) = loaded();
    // A reader per request, as the server makes one, sharing the vocabulary's names as the
    // server does: a reader kept across iterations would measure its own warm caches.
    let names = NameCache::default();
    let fresh = || Reader::new(store.as_ref(), CancellationToken::new()).sharing(&names);
    let typical = summary.typical.iri.clone();
    let hub = summary.hubs[0].iri.clone();
    let (from, to) = summary
        .path
        .as_ref()
        .map(|p| (p.from.clone(), p.to.clone()))
        .expect("the generator names a connected pair");
    let mut group = c.benchmark_group("views");
    group
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    group.bench_function("entity typical", |b| {
        let request = EntityRequest {
            iri: typical.clone(),
            as_of: None,
            limit: 200,
        };
        b.iter(|| black_box(views::entity(&fresh(), &request).expect("entity")))
    });
    group.bench_function("entity hub", |b| {
        let request = EntityRequest {
            iri: hub.clone(),
            as_of: None,
            limit: 200,
        };
        b.iter(|| black_box(views::entity(&fresh(), &request).expect("entity")))
    });
    for depth in [1, 2] {
        group.bench_function(format!("graph typical depth {depth}"), |b| {
            let request = GraphRequest {
                focus: typical.clone(),
                depth,
                filter: FactFilter::default(),
                limit: 150,
            };
            b.iter(|| black_box(views::graph(&fresh(), &request).expect("graph")))
        });
    }
    group.bench_function("paths", |b| {
        let request = PathsRequest {
            from: from.clone(),
            to: to.clone(),
            max_length: 3,
            limit: 5,
            filter: FactFilter::default(),
        };
        b.iter(|| black_box(views::paths(&fresh(), &request).expect("paths")))
    });
    group.bench_function("timeline typical", |b| {
        b.iter(|| {
            black_box(views::timeline(&fresh(), &typical, None, None, 500).expect("timeline"))
        })
    });
    group.bench_function("conflicts typical", |b| {
        b.iter(|| black_box(views::conflicts(&fresh(), &typical).expect("conflicts")))
    });
    // criterion calls the routine once per sample: the cache lives outside it, filled first.
    let cache = views::stats::StatsCache::default();
    views::stats(store.as_ref(), &fresh(), &cache).expect("stats");
    group.bench_function("stats (no write since the last count)", |b| {
        b.iter(|| black_box(views::stats(store.as_ref(), &fresh(), &cache).expect("stats")))
    });
    let rankings = views::rankings::RankingsCache::default();
    group.bench_function("rankings (no write since the last count)", |b| {
        b.iter(|| {
            black_box(
                views::rankings(store.as_ref(), &fresh(), &rankings, "investor", "USD", 10)
                    .expect("rankings"),
            )
        })
    });
    group.finish();

    // Counting everything: what the first `/api/stats` after a write pays.
    let mut group = c.benchmark_group("views");
    group.sample_size(10);
    group.bench_function("stats (counted)", |b| {
        b.iter(|| {
            let cache = views::stats::StatsCache::default();
            black_box(views::stats(store.as_ref(), &fresh(), &cache).expect("stats"))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("search");
    group
        .sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let label = summary.typical.label.clone();
    for (name, text) in [
        ("exact name", label.clone()),
        ("prefix", label.chars().take(4).collect::<String>()),
        ("two words", "compute agreement".to_owned()),
    ] {
        group.bench_function(name, |b| {
            let request = SearchRequest {
                text: text.clone(),
                types: Vec::new(),
                limit: 10,
            };
            b.iter(|| black_box(store.search(&request).expect("search")))
        });
    }
    group.finish();
}

criterion_group!(benches, views);
criterion_main!(benches);
