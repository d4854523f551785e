//! The command implementations behind `dealgraph <command>`. Each opens the store, does one
//! thing, and returns an error whose chain names the file, line and column at fault.

use crate::config::{
    Cli, Command, DumpArgs, EpochArgs, GenerateArgs, ImportArgs, ImportSource, InputArgs, LoadArgs,
    QueryArgs, ReindexArgs, ServeArgs, StatsArgs, StoreArgs, UpdateArgs, ValidateArgs,
};
use crate::generate::{GeneratedSummary, GeneratorConfig};
use crate::rdf::{self, Target};
use crate::search::{Check, Indexed, SearchLocation, SearchService};
use crate::seed;
use crate::server::{self, AppState};
use crate::store::{
    Backend, Dataset, EmbeddedStore, GraphTarget, QueryRequest, RemoteConfig, RemoteStore,
    StoreError, WriteOp,
};
use anyhow::{Context, anyhow, bail};
use oxigraph::io::{RdfFormat, RdfSerializer};
use oxigraph::model::{GraphName, NamedNode};
use oxigraph::sparql::results::{QueryResultsFormat, QueryResultsSerializer};
use oxigraph::sparql::{CancellationToken, QueryResults};
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(*args),
        Command::Load(args) => load(args),
        Command::Query(args) => query(args),
        Command::Update(args) => update(args),
        Command::Dump(args) => dump(args),
        Command::Stats(args) => stats(args),
        Command::Validate(args) => validate(args),
        Command::Import(ImportArgs {
            source: ImportSource::Epoch(args),
        }) => import_epoch(args),
        Command::Reindex(args) => reindex(*args),
        Command::Generate(args) => generate(args),
    }
}

/// Opens the store and, when it is empty, fills it from the seed directories (their RDF files
/// and, in the same write, the Epoch AI import of a `data/epoch/` among them).
pub fn open_store(args: &StoreArgs) -> anyhow::Result<Arc<dyn Backend>> {
    let store = open_indexed(args, Check::Now)?;
    Ok(store)
}

/// [`open_store`], with the search index read against the store when `check` says: the server
/// checks it once it listens ([`Indexed::check`]), the one-shot commands before they start.
fn open_indexed(args: &StoreArgs, check: Check) -> anyhow::Result<Arc<Indexed>> {
    // Over a remote engine nothing is seeded: the engine holds what it holds.
    if let Some(remote) = args.remote.config().map_err(|e| anyhow!(e))? {
        return open_remote(remote, args, args.remote.search_dir.as_deref(), check);
    }
    let service = SearchService::default();
    let mut options = args.options();
    options.search = Some(service.clone());
    let store = EmbeddedStore::open(&args.location(), options, args.limits()).with_context(
        || match args.location() {
            crate::store::StoreLocation::Disk(p) => format!("opening the store at {}", p.display()),
            crate::store::StoreLocation::Memory => "opening an in-memory store".to_owned(),
        },
    )?;
    // Every write below, the seed's included, goes through the index's decorator.
    let search_location = SearchLocation::for_store(&args.location());
    let store = Indexed::open_at(Arc::new(store), &search_location, &service, check)
        .with_context(|| format!("opening the search index ({search_location:?})"))?;
    if !args.no_seed {
        let dirs = args.seed_dirs();
        let seeded = seed::seed_if_empty_with_imports(store.as_ref(), &dirs, args.limits())
            .context("seeding the empty store")?;
        if seeded.files > 0 {
            tracing::info!(files = seeded.files, "seeded the empty store from {dirs:?}");
        }
        if let Some(report) = seeded.epoch {
            for skipped in &report.skipped {
                tracing::warn!("Epoch AI import: {skipped}");
            }
            tracing::info!(
                rows = report.rows_read(),
                facts = report.facts(),
                skipped = report.skipped.len(),
                "seeded the Epoch AI import"
            );
        }
    }
    Ok(store)
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = args.server_config();
    if let Some(remote) = args.store.remote.config().map_err(|e| anyhow!(e))?
        && config.write_token.is_some()
        && remote.update_url.is_none()
        && remote.store_url.is_none()
    {
        bail!(
            "a write token was given but no --update-url: over a remote engine, dealgraph \
             writes only through the engine's update endpoint (or, for writes that only add, \
             its Graph Store endpoint, --store-url)"
        );
    }
    // The index is read against the store once the server listens: the counts that check it
    // read the whole store (tens of seconds at ten million triples).
    let indexed = open_indexed(&args.store, Check::Later)?;
    let store: Arc<dyn Backend> = indexed.clone();
    if let Some(dir) = args.queries_dir() {
        config.examples = crate::examples::load(&dir)
            .with_context(|| format!("reading the example queries in {}", dir.display()))?;
    }
    if config.write_token.is_none() {
        tracing::info!("no write token configured: the service is read-only");
    }
    match &config.web_dir {
        Some(dir) => tracing::info!("serving the web UI from {}", dir.display()),
        None => tracing::warn!(
            "the web UI is not built (cd web && npm ci && npm run build): / says how; the SPARQL endpoint and the API work without it"
        ),
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.bind)
            .await
            .with_context(|| format!("listening on {}", args.bind))?;
        let address = listener.local_addr()?;
        tracing::info!("dealgraph listening on http://{address}/");
        println!("dealgraph listening on http://{address}/");
        check_in_background(indexed);
        if args.reindex_every > 0 {
            tokio::spawn(reindex_every(
                Arc::clone(&store),
                Duration::from_secs(args.reindex_every),
            ));
        }
        server::serve(listener, AppState::new(store, config), shutdown_signal())
            .await
            .context("serving HTTP")
    })
}

/// Reaches the remote engine and builds the search index, in memory, from its data. The index
/// is what the engine held at start-up: writes made to the engine afterwards reach the search
/// only when dealgraph starts again.
fn open_remote(
    remote: RemoteConfig,
    args: &StoreArgs,
    search_dir: Option<&Path>,
    check: Check,
) -> anyhow::Result<Arc<Indexed>> {
    let url = remote.query_url.clone();
    // The search SERVICE in a query is answered from the index before the query goes on.
    let service = SearchService::default();
    let mut options = args.options();
    options.search = Some(service.clone());
    let store = RemoteStore::open(remote, options, args.limits())
        .with_context(|| format!("reaching the SPARQL engine at {url}"))?;
    let location = search_dir.map_or(SearchLocation::Memory, |d| SearchLocation::Dir(d.into()));
    let store = Indexed::open_at(Arc::new(store), &location, &service, check)
        .with_context(|| format!("building the search index from the engine at {url}"))?;
    Ok(store)
}

/// Reads the search index against the store on a thread of its own; until it is done,
/// `/api/stats` says `search_index: checking`, searches say so too, and the cards read the store.
pub fn check_in_background(indexed: Arc<Indexed>) {
    let spawned = std::thread::Builder::new()
        .name("search-index-check".into())
        .spawn(move || {
            let started = Instant::now();
            match indexed.check() {
                Ok(()) => tracing::info!(
                    "the search index is checked against the store ({:.1?})",
                    started.elapsed()
                ),
                Err(e) => tracing::error!(
                    "the search index could not be checked against the store ({e}); the cards \
                     read the store, and the next start checks it again"
                ),
            }
        });
    if let Err(e) = spawned {
        tracing::error!("the search index's check could not start ({e})");
    }
}

/// Rebuilds the search index every `period`, until the server stops: over an engine that
/// others write to, the index otherwise sees only this replica's writes.
async fn reindex_every(store: Arc<dyn Backend>, period: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let store = Arc::clone(&store);
        match tokio::task::spawn_blocking(move || store.reindex()).await {
            Ok(Ok(documents)) => tracing::info!(documents, "search index rebuilt on schedule"),
            Ok(Err(e)) => tracing::warn!("the scheduled rebuild of the search index failed: {e}"),
            Err(e) => tracing::warn!("the scheduled rebuild of the search index panicked: {e}"),
        }
    }
}

/// `dealgraph reindex`: builds the search index again from the store's data, without seeding.
fn reindex(args: ReindexArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (store, location): (Arc<dyn Backend>, SearchLocation) =
        match args.store.remote.config().map_err(|e| anyhow!(e))? {
            None => {
                let location = args.store.location();
                let store =
                    EmbeddedStore::open(&location, args.store.options(), args.store.limits())
                        .with_context(|| format!("opening the store ({location:?})"))?;
                (Arc::new(store), SearchLocation::for_store(&location))
            }
            Some(remote) => {
                let Some(dir) = &args.store.remote.search_dir else {
                    bail!(
                        "over a remote engine, give --search-dir, the directory the server will \
                         be started with; a running server rebuilds its own index on \
                         POST /api/reindex"
                    );
                };
                let url = remote.query_url.clone();
                let store = RemoteStore::open(remote, args.store.options(), args.store.limits())
                    .with_context(|| format!("reaching the SPARQL engine at {url}"))?;
                (Arc::new(store), SearchLocation::Dir(dir.clone()))
            }
        };
    let index = crate::search::SearchIndex::open(&location)
        .with_context(|| format!("opening the search index ({location:?})"))?;
    let documents = index
        .rebuild_marked(store.as_ref())
        .with_context(|| format!("rebuilding the search index ({location:?})"))?;
    let at = match &location {
        SearchLocation::Dir(dir) => dir.display().to_string(),
        SearchLocation::Memory => "memory".to_owned(),
    };
    println!(
        "indexed {documents} entities in {:.1} s into {at}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Prefixes a store error with the file it came from, as `file:line:column: message`.
fn in_file(path: &Path, error: StoreError) -> anyhow::Error {
    match &error {
        StoreError::RdfSyntax { at: Some(at), .. } | StoreError::TooDeep { at, .. } => {
            anyhow!("{}:{}:{}: {error}", path.display(), at.line, at.column)
        }
        _ => anyhow!("{}: {error}", path.display()),
    }
}

/// The files' common options: an explicit format and a target graph, both optional.
struct FileOptions {
    format: Option<RdfFormat>,
    graph: Option<NamedNode>,
}

impl FileOptions {
    fn new(input: &InputArgs) -> anyhow::Result<Self> {
        Ok(Self {
            format: input
                .format
                .as_deref()
                .map(|f| rdf::format_from_name(f).ok_or_else(|| anyhow!("unknown format {f:?}")))
                .transpose()?,
            graph: input
                .graph
                .as_deref()
                .map(|g| {
                    NamedNode::new(g).map_err(|e| anyhow!("--graph must be an absolute IRI: {e}"))
                })
                .transpose()?,
        })
    }

    /// The file's format, whether it is gzipped, and the graph it goes into.
    fn resolve(&self, path: &Path) -> anyhow::Result<(RdfFormat, bool, NamedNode)> {
        let (detected, gzipped) = match rdf::format_from_path(path) {
            Some(found) => found,
            None => (
                self.format.ok_or_else(|| {
                    anyhow!(
                        "{}: cannot tell the format from the name; give --format",
                        path.display()
                    )
                })?,
                path.extension().is_some_and(|e| e == "gz"),
            ),
        };
        let graph = self.graph.clone().unwrap_or_else(|| seed::graph_for(path));
        Ok((self.format.unwrap_or(detected), gzipped, graph))
    }

    /// Reads and parses a whole file; a dataset format keeps its graphs unless --graph is given.
    fn parse(
        &self,
        path: &Path,
        limits: rdf::ParseLimits,
    ) -> anyhow::Result<Vec<oxigraph::model::Quad>> {
        let (format, _, graph) = self.resolve(path)?;
        let bytes = seed::read_maybe_gzipped(path).map_err(|e| in_file(path, e))?;
        let target = if format.supports_datasets() && self.graph.is_none() {
            Target::Dataset(GraphName::NamedNode(graph))
        } else {
            Target::Graph(GraphName::NamedNode(graph))
        };
        rdf::parse(&bytes, format, &target, None, limits).map_err(|e| in_file(path, e))
    }
}

fn load(args: LoadArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store)?;
    let options = FileOptions::new(&args.input)?;
    for path in &args.input.files {
        let (format, gzipped, target_graph) = options.resolve(path)?;
        let started = Instant::now();
        let count = if args.bulk {
            bulk_load(
                store.as_ref(),
                path,
                gzipped,
                format,
                &target_graph,
                options.graph.is_none(),
            )?
        } else {
            let quads = options.parse(path, args.store.limits())?;
            let count = quads.len() as u64;
            store
                .write(WriteOp::Insert { quads })
                .map_err(|e| in_file(path, e))?;
            count
        };
        let secs = started.elapsed().as_secs_f64();
        let into = if format.supports_datasets() && options.graph.is_none() {
            "the graphs it names".to_owned()
        } else {
            format!("<{}>", target_graph.as_str())
        };
        eprintln!(
            "{}: {count} triples into {into} in {secs:.2} s ({:.0} triples/s)",
            path.display(),
            count as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}

/// Checks files against the shapes, together with what the store holds, and writes nothing.
fn validate(args: ValidateArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store)?;
    let options = FileOptions::new(&args.input)?;
    let mut quads = Vec::new();
    for path in &args.input.files {
        quads.extend(options.parse(path, args.store.limits())?);
    }
    let names = args
        .input
        .files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let report = store
        .check(WriteOp::Insert { quads })
        .map_err(|e| anyhow!("{names}: {e}"))?;
    if report.conforms() {
        println!("{names}: conforms to the shapes");
        Ok(())
    } else {
        print!("{report}");
        bail!("{names}: {} SHACL violation(s)", report.results.len())
    }
}

/// Builds the whole Epoch AI import, then writes it in one write that replaces its graphs: a
/// malformed file stops it before the store is touched, and a shape violation leaves the store
/// as it was.
fn import_epoch(args: EpochArgs) -> anyhow::Result<()> {
    let aliases = args.aliases();
    let import = crate::import::epoch::build(&args.dir, &aliases)
        .with_context(|| format!("importing {}: nothing was written", args.dir.display()))?;
    let store = open_store(&args.store)?;
    let triples = import.quad_count();
    let report = import.report;
    store
        .write(WriteOp::ReplaceGraphs {
            graphs: import.graphs,
        })
        .map_err(|e| anyhow!("{}: nothing was written: {e}", args.dir.display()))?;
    let mut out = std::io::stdout().lock();
    write!(out, "{report}")?;
    writeln!(
        out,
        "{triples} triples written into {} graphs, replacing them",
        crate::import::epoch::graphs().len()
    )?;
    writeln!(out, "credit: {}", crate::import::epoch::CREDIT)?;
    Ok(())
}

/// Writes the synthetic benchmark graph to standard output or a file, and its summary to
/// standard error. A file is written as `FILE.partial` and renamed once complete, so that a
/// failed run never leaves a truncated graph under the name a benchmark would load.
fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    let config = GeneratorConfig::new(args.triples, args.seed);
    let started = Instant::now();
    let summary = match &args.out {
        None => {
            let mut out = std::io::stdout().lock();
            crate::generate::generate(&config, &mut out).context("writing to standard output")?
        }
        Some(path) => {
            let mut partial = path.as_os_str().to_owned();
            partial.push(".partial");
            let partial = std::path::PathBuf::from(partial);
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("{}: cannot create", partial.display()))?;
            let written = |e| anyhow!("{}: {e}", partial.display());
            let summary = if path.extension().is_some_and(|e| e == "gz") {
                // The fastest level: the output is large and read once, by a loader.
                let mut gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
                let summary = crate::generate::generate(&config, &mut gz).map_err(written)?;
                gz.finish().map_err(written)?;
                summary
            } else {
                let mut file = file;
                crate::generate::generate(&config, &mut file).map_err(written)?
            };
            std::fs::rename(&partial, path)
                .with_context(|| format!("renaming {} to {}", partial.display(), path.display()))?;
            summary
        }
    };
    print_summary(&summary, started.elapsed())?;
    Ok(())
}

/// The summary, one item per line with the IRI first, for people and for scripts (`grep ^hub`).
fn print_summary(summary: &GeneratedSummary, took: Duration) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "generated {} triples: {} organisations, {} facts, {} sources, {} models, in {:.2} s",
        summary.triples,
        summary.organisations,
        summary.facts,
        summary.sources,
        summary.models,
        took.as_secs_f64()
    )?;
    for hub in &summary.hubs {
        writeln!(
            err,
            "hub\t<{}>\t{}\t{}",
            hub.iri.as_str(),
            hub.degree,
            hub.label
        )?;
    }
    let typical = &summary.typical;
    writeln!(
        err,
        "typical\t<{}>\t{}\t{}",
        typical.iri.as_str(),
        typical.degree,
        typical.label
    )?;
    if let Some(path) = &summary.path {
        let chain: Vec<String> = path
            .organisations
            .iter()
            .map(|o| format!("<{}>", o.as_str()))
            .collect();
        writeln!(err, "path\t{}\t{}", path.hops(), chain.join(" "))?;
    }
    Ok(())
}

/// A dataset format keeps the graphs it names unless `--graph` put everything into one.
fn bulk_load(
    store: &dyn Backend,
    path: &Path,
    gzipped: bool,
    format: RdfFormat,
    graph: &NamedNode,
    keep_named_graphs: bool,
) -> anyhow::Result<u64> {
    let file =
        std::fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut reader: Box<dyn Read> = if gzipped {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(
            file,
        )))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let bar = indicatif::ProgressBar::new_spinner();
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {pos} triples ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_message(path.display().to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    let progress = bar.clone();
    let count = store
        .bulk_load(
            &mut reader,
            format,
            graph,
            keep_named_graphs,
            Arc::new(move |n| progress.set_position(n)),
        )
        .map_err(|e| in_file(path, e))?;
    bar.finish_and_clear();
    Ok(count)
}

/// The text of a query or update: the argument, else --file, else standard input.
fn read_text(inline: Option<String>, file: Option<&Path>) -> anyhow::Result<String> {
    if let Some(text) = inline {
        return Ok(text);
    }
    if let Some(path) = file {
        return std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read", path.display()));
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .context("reading standard input")?;
    Ok(text)
}

fn query(args: QueryArgs) -> anyhow::Result<()> {
    let text = read_text(args.query, args.file.as_deref())?;
    let source = args
        .file
        .as_ref()
        .map_or("query".to_owned(), |p| p.display().to_string());
    let store = open_store(&args.store)?;
    let form = store
        .query_form(&text)
        .map_err(|e| anyhow!("{source}: {e}"))?;
    let cancel = CancellationToken::new();
    let watchdog = {
        let cancel = cancel.clone();
        let deadline = Duration::from_secs(args.query_timeout.max(1));
        std::thread::spawn(move || {
            std::thread::sleep(deadline);
            cancel.cancel();
        })
    };
    drop(watchdog);
    let results = store
        .query(&QueryRequest {
            query: text,
            dataset: Dataset::default(),
            cancel,
        })
        .map_err(|e| anyhow!("{source}: {e}"))?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = write_results(
        results,
        form.returns_graph(),
        args.format.as_deref(),
        &mut out,
    );
    match result {
        Err(e)
            if e.downcast_ref::<StoreError>()
                .is_some_and(|e| matches!(e, StoreError::Cancelled)) =>
        {
            bail!(
                "{source}: the query was stopped at its deadline of {} seconds",
                args.query_timeout
            )
        }
        other => other,
    }?;
    out.flush()?;
    Ok(())
}

fn write_results(
    results: QueryResults<'static>,
    graph: bool,
    format: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    if graph {
        let format = match format {
            Some(f) => {
                rdf::format_from_name(f).ok_or_else(|| anyhow!("unknown RDF format {f:?}"))?
            }
            None => RdfFormat::Turtle,
        };
        let QueryResults::Graph(triples) = results else {
            bail!("the query did not return a graph");
        };
        let mut serializer = RdfSerializer::from_format(format).for_writer(out);
        for triple in triples {
            serializer.serialize_triple(&triple.map_err(StoreError::from)?)?;
        }
        serializer.finish()?;
        return Ok(());
    }
    let format = match format.unwrap_or("tsv") {
        "json" | "srj" => QueryResultsFormat::Json,
        "xml" | "srx" => QueryResultsFormat::Xml,
        "csv" => QueryResultsFormat::Csv,
        "tsv" => QueryResultsFormat::Tsv,
        other => bail!("unknown results format {other:?}; use json, xml, csv or tsv"),
    };
    match results {
        QueryResults::Solutions(solutions) => {
            let mut serializer = QueryResultsSerializer::from_format(format)
                .serialize_solutions_to_writer(out, solutions.variables().to_vec())?;
            for solution in solutions {
                serializer.serialize(&solution.map_err(StoreError::from)?)?;
            }
            serializer.finish()?;
        }
        QueryResults::Boolean(value) => {
            QueryResultsSerializer::from_format(format).serialize_boolean_to_writer(out, value)?;
        }
        QueryResults::Graph(_) => bail!("the query returned a graph"),
    }
    Ok(())
}

fn update(args: UpdateArgs) -> anyhow::Result<()> {
    let text = read_text(args.update, args.file.as_deref())?;
    let source = args
        .file
        .as_ref()
        .map_or("update".to_owned(), |p| p.display().to_string());
    let store = open_store(&args.store)?;
    store
        .write(WriteOp::Update {
            update: text,
            using: Dataset::default(),
            cancel: CancellationToken::new(),
        })
        .map_err(|e| anyhow!("{source}: {e}"))?;
    Ok(())
}

fn dump(args: DumpArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store)?;
    let target = match (&args.graph, args.default_graph) {
        (Some(g), _) => {
            Some(GraphTarget::Named(NamedNode::new(g).map_err(|e| {
                anyhow!("--graph must be an absolute IRI: {e}")
            })?))
        }
        (None, true) => Some(GraphTarget::Default),
        (None, false) => None,
    };
    if let Some(GraphTarget::Named(name)) = &target
        && !store.graph_exists(target.as_ref().expect("just matched"))?
    {
        bail!("graph <{}> does not exist", name.as_str());
    }
    let format = match args.format.as_deref() {
        Some(f) => rdf::format_from_name(f).ok_or_else(|| anyhow!("unknown format {f:?}"))?,
        None if target.is_some() => RdfFormat::Turtle,
        None => RdfFormat::TriG,
    };
    if target.is_none() && !format.supports_datasets() {
        bail!(
            "{} cannot hold named graphs; dump the whole store as trig or nq, or pick a --graph",
            format.name()
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    store.dump(target.as_ref(), format, &mut out)?;
    out.flush()?;
    Ok(())
}

fn stats(args: StatsArgs) -> anyhow::Result<()> {
    let store = open_store(&args.store)?;
    let stats = store.stats(args.top)?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "triples: {}", stats.triples)?;
    writeln!(out, "graphs: {}", stats.graphs.len())?;
    for (graph, n) in &stats.graphs {
        let name = graph.as_ref().map_or("(default graph)".to_owned(), |g| {
            format!("<{}>", g.as_str())
        });
        writeln!(out, "  {n:>10}  {name}")?;
    }
    writeln!(out, "classes (by instances):")?;
    for (class, n) in &stats.classes {
        writeln!(out, "  {n:>10}  <{}>", class.as_str())?;
    }
    writeln!(out, "predicates (by uses):")?;
    for (predicate, n) in &stats.predicates {
        writeln!(out, "  {n:>10}  <{}>", predicate.as_str())?;
    }
    Ok(())
}
