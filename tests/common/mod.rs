//! Test support: a real dealgraph server on 127.0.0.1 (ephemeral port) over the real store,
//! seeded from the repository's `ontology/` and `data/`, and helpers to drive the binary.

#![allow(dead_code)]

pub mod engine;

use dealgraph::rdf::ParseLimits;
use dealgraph::search::{Check, Indexed, SearchLocation, SearchService};
use dealgraph::server::{AppState, ServerConfig};
use dealgraph::store::{Backend, EmbeddedStore, StoreLocation, StoreOptions};
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

pub const TOKEN: &str = "test-token-5f1c";

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn seed_dirs() -> Vec<PathBuf> {
    vec![repo().join("ontology"), repo().join("data")]
}

/// A running server; stopped when dropped.
pub struct TestServer {
    pub base: String,
    /// The store as the server has it: every write through it updates the search index.
    pub store: Arc<dyn Backend>,
    /// The store under the search index's decorator: writes through it bypass the index.
    pub raw_store: Arc<dyn Backend>,
    /// The SERVICE handler of `raw_store`, to hand to a restarted server with it.
    pub search_service: SearchService,
    /// The search index the server's store keeps in step.
    pub search_index: Arc<dealgraph::search::SearchIndex>,
    /// The store with its search index, as the server has it.
    pub indexed: Arc<Indexed>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// The engine the server reads when the suite runs over one (`DEALGRAPH_TEST_ENGINE`);
    /// stopped after the server (and after any server that reuses its store).
    engine: Option<Arc<engine::Engine>>,
}

/// What a restarted server takes over from an earlier one ([`TestServer::reusable`]).
pub struct Reuse {
    store: Arc<dyn Backend>,
    service: SearchService,
    engine: Option<Arc<engine::Engine>>,
}

/// The engine the whole suite runs over, from `DEALGRAPH_TEST_ENGINE` (`oxigraph` or
/// `virtuoso`): every server of `TestServer::start` then serves a real engine on 127.0.0.1
/// holding the seeded data, instead of the embedded store. Unset or `embedded`: none.
pub fn suite_engine() -> Option<engine::Kind> {
    match std::env::var("DEALGRAPH_TEST_ENGINE").as_deref() {
        Err(_) | Ok("") | Ok("embedded") => None,
        Ok("oxigraph") => Some(engine::Kind::Oxigraph),
        Ok("virtuoso") => Some(engine::Kind::Virtuoso),
        Ok(other) => panic!("DEALGRAPH_TEST_ENGINE={other}: give oxigraph, virtuoso or embedded"),
    }
}

/// Whether this server reads a remote engine (the suite's, or one a test chose).
pub fn over_engine(server: &TestServer) -> bool {
    !server.raw_store.is_exclusive()
}

impl TestServer {
    /// A server over a seeded in-memory store with a write token.
    pub fn start() -> Self {
        Self::with(|_| {})
    }

    pub fn with(configure: impl FnOnce(&mut Setup)) -> Self {
        let mut setup = Setup {
            config: ServerConfig {
                write_token: Some(TOKEN.into()),
                examples: dealgraph::examples::load(&repo().join("queries")).expect("queries/"),
                ..ServerConfig::default()
            },
            allow_hosts: Vec::new(),
            seed: true,
            epoch: false,
            location: StoreLocation::Memory,
            search: SearchLocation::Memory,
            reuse_store: None,
            remote: None,
            suite_engine: true,
            check_index: true,
        };
        configure(&mut setup);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().unwrap().port();
        let allow_hosts = setup
            .allow_hosts
            .iter()
            .map(|h| h.replace("{port}", &port.to_string()))
            .collect::<Vec<_>>();
        setup.config.federation = !allow_hosts.is_empty();
        let mut engine = None;
        let (service, reused) = match setup.reuse_store.take() {
            Some(Reuse {
                store,
                service,
                engine: kept,
            }) => {
                // The earlier server's index, still bound to its store's SERVICE handler, holds
                // the index directory's lock: let go of it, as the end of a process would.
                service.unbind();
                engine = kept;
                (service, Some(store))
            }
            None => (SearchService::default(), None),
        };
        let options = StoreOptions {
            fetcher: Arc::new(dealgraph::fetch::Fetcher::new(
                allow_hosts,
                Duration::from_secs(10),
                1024 * 1024,
            )),
            search: Some(service.clone()),
            ..StoreOptions::default()
        };
        // Over the suite's engine: the same seeded data, dumped from an embedded store into a
        // real engine, which the server then reads and writes through its door.
        if setup.suite_engine
            && setup.remote.is_none()
            && reused.is_none()
            && setup.location == StoreLocation::Memory
            && let Some(kind) = suite_engine()
        {
            let seeded = Indexed::open_at(
                Arc::new(
                    EmbeddedStore::open(
                        &StoreLocation::Memory,
                        StoreOptions::default(),
                        ParseLimits::default(),
                    )
                    .expect("open store"),
                ),
                &SearchLocation::Memory,
                &SearchService::default(),
                Check::Now,
            )
            .expect("open the search index");
            if setup.seed {
                let dirs = seed_dirs();
                if setup.epoch {
                    dealgraph::seed::seed_if_empty_with_imports(
                        seeded.as_ref(),
                        &dirs,
                        ParseLimits::default(),
                    )
                    .expect("seed with the Epoch AI import");
                } else {
                    dealgraph::seed::seed_if_empty(seeded.as_ref(), &dirs, ParseLimits::default())
                        .expect("seed");
                }
                setup.seed = false;
            }
            let mut nquads = Vec::new();
            seeded
                .dump(None, oxigraph::io::RdfFormat::NQuads, &mut nquads)
                .unwrap();
            let started = engine::start_engine(kind, &nquads, true);
            setup.remote = Some(engine::remote_config(&started));
            engine = Some(Arc::new(started));
        }
        let raw_store: Arc<dyn Backend> = match (reused, setup.remote.take()) {
            (Some(store), _) => store,
            (None, Some(remote)) => Arc::new(
                dealgraph::store::RemoteStore::open(remote, options, ParseLimits::default())
                    .expect("reach the remote engine"),
            ),
            (None, None) => Arc::new(
                EmbeddedStore::open(&setup.location, options, ParseLimits::default())
                    .expect("open store"),
            ),
        };
        // As `serve` does: the index is read against the store once the server listens.
        let indexed = Indexed::open_at(
            Arc::clone(&raw_store),
            &setup.search,
            &service,
            Check::Later,
        )
        .expect("open the search index");
        let search_index = Arc::clone(indexed.index());
        let store: Arc<dyn Backend> = indexed.clone();
        if setup.seed && setup.epoch {
            dealgraph::seed::seed_if_empty_with_imports(
                store.as_ref(),
                &seed_dirs(),
                ParseLimits::default(),
            )
            .expect("seed with the Epoch AI import");
        } else if setup.seed {
            dealgraph::seed::seed_if_empty(store.as_ref(), &seed_dirs(), ParseLimits::default())
                .expect("seed");
        }
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState::new(Arc::clone(&store), setup.config);
        listener.set_nonblocking(true).unwrap();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                dealgraph::server::serve(listener, state, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        if setup.check_index {
            dealgraph::cli::check_in_background(Arc::clone(&indexed));
        }
        Self {
            base: format!("http://127.0.0.1:{port}"),
            store,
            raw_store,
            search_service: service,
            search_index,
            indexed,
            shutdown: Some(tx),
            thread: Some(thread),
            engine,
        }
    }

    /// The store (and the engine under it, if any) for a server started after this one stops,
    /// as a restart of the service over the same data.
    pub fn reusable(&self) -> Reuse {
        Reuse {
            store: Arc::clone(&self.raw_store),
            service: self.search_service.clone(),
            engine: self.engine.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        drop(self.engine.take());
    }
}

pub struct Setup {
    pub config: ServerConfig,
    /// Hosts for the LOAD/SERVICE allow-list; `{port}` becomes the server's own port.
    pub allow_hosts: Vec<String>,
    pub seed: bool,
    /// Seed the Epoch AI import (`data/epoch/`) too, in the same write, as the CLI does.
    pub epoch: bool,
    pub location: StoreLocation,
    /// Where the search index lives.
    pub search: SearchLocation,
    /// Serve this store (the `raw_store` of an earlier server) instead of opening one, as a
    /// restart of the service over the same data would.
    pub reuse_store: Option<Reuse>,
    /// Serve a remote SPARQL engine instead (`--backend sparql`); set `seed` to false with it.
    pub remote: Option<dealgraph::store::RemoteConfig>,
    /// Serve the suite's engine when there is one (`DEALGRAPH_TEST_ENGINE`); false keeps the
    /// embedded store, for tests of what only it does or that compare the two.
    pub suite_engine: bool,
    /// Read the search index against the store once the server listens, as `serve` does;
    /// false leaves it unchecked, for tests of what the server answers meanwhile.
    pub check_index: bool,
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The `error` object of a JSON error answer.
pub fn error_of(response: reqwest::blocking::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().expect("a JSON error body");
    (
        status,
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

/// Replaces a named graph with Turtle through the Graph Store Protocol, with the write token,
/// which must succeed.
pub fn put_turtle(server: &TestServer, graph: &str, turtle: String) {
    let response = client()
        .put(server.url("/store"))
        .query(&[("graph", graph)])
        .bearer_auth(TOKEN)
        .header("Content-Type", "text/turtle")
        .body(turtle)
        .send()
        .unwrap();
    assert!(
        response.status().is_success(),
        "{}",
        response.text().unwrap()
    );
}

/// Runs a SELECT and returns its SPARQL JSON answer.
pub fn select(server: &TestServer, query: &str) -> serde_json::Value {
    let response = client()
        .post(server.url("/sparql"))
        .header("Content-Type", "application/sparql-query")
        .header("Accept", "application/sparql-results+json")
        .body(query.to_owned())
        .send()
        .unwrap();
    assert_eq!(response.status(), 200, "query failed: {query}");
    response.json().unwrap()
}

/// Values of one variable across the rows of a SPARQL JSON answer.
pub fn column(results: &serde_json::Value, var: &str) -> Vec<String> {
    results["results"]["bindings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row[var]["value"].as_str().map(str::to_owned))
        .collect()
}

pub fn ask(server: &TestServer, query: &str) -> bool {
    let response = client()
        .get(server.url("/sparql"))
        .query(&[("query", query)])
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().unwrap();
    body["boolean"].as_bool().unwrap()
}

pub fn count_triples(server: &TestServer) -> u64 {
    let results = select(
        server,
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    );
    column(&results, "n")[0].parse().unwrap()
}

/// The dealgraph binary, with the environment cleared of our variables.
pub fn dealgraph() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dealgraph"));
    for (key, _) in std::env::vars() {
        if key.starts_with("DEALGRAPH_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "warn").env(
        "DEALGRAPH_SEED_DIRS",
        format!(
            "{},{}",
            repo().join("ontology").display(),
            repo().join("data").display()
        ),
    );
    command
}

/// The reviewed alias table of the repository.
pub fn aliases() -> PathBuf {
    repo().join("data/aliases.tsv")
}

/// An in-memory store seeded with the ontology, the shapes and the article (no Epoch data),
/// for tests that write through the library.
pub fn article_store() -> EmbeddedStore {
    let store = EmbeddedStore::open(
        &StoreLocation::Memory,
        StoreOptions::default(),
        ParseLimits::default(),
    )
    .expect("open");
    dealgraph::seed::seed_if_empty(&store, &seed_dirs(), ParseLimits::default()).expect("seed");
    store
}

/// Builds the Epoch import of `dir` (relative to the repository) and writes it, as
/// `dealgraph import epoch` does.
pub fn import_epoch(store: &EmbeddedStore, dir: &str) -> dealgraph::import::epoch::EpochImport {
    let built = dealgraph::import::epoch::build(&repo().join(dir), &aliases()).expect("build");
    store
        .write(dealgraph::store::WriteOp::ReplaceGraphs {
            graphs: built.graphs.clone(),
        })
        .expect("the import conforms to the shapes");
    built
}

/// Runs an ASK query with the project's prefixes on a store.
pub fn ask_store(store: &EmbeddedStore, query: &str) -> bool {
    let text = format!(
        "PREFIX dg: <https://w3id.org/dealgraph/ontology#>
         PREFIX dgr: <https://w3id.org/dealgraph/id/>
         PREFIX dgc: <https://w3id.org/dealgraph/certainty/>
         PREFIX dgs: <https://w3id.org/dealgraph/status/>
         PREFIX dgos: <https://w3id.org/dealgraph/operational-status/>
         PREFIX dgel: <https://w3id.org/dealgraph/epoch-list/>
         PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
         PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
         PREFIX schema: <http://schema.org/>
         PREFIX prov: <http://www.w3.org/ns/prov#>
         {query}"
    );
    match store
        .query(&dealgraph::store::QueryRequest {
            query: text,
            dataset: dealgraph::store::Dataset::default(),
            cancel: oxigraph::sparql::CancellationToken::new(),
        })
        .expect("query")
    {
        oxigraph::sparql::QueryResults::Boolean(b) => b,
        _ => panic!("not an ASK query"),
    }
}

/// Asserts that every named ASK of `checks` holds on the store, naming those that do not.
pub fn assert_all_found(store: &EmbeddedStore, checks: &[(&str, &str)]) {
    let failed: Vec<&str> = checks
        .iter()
        .filter(|(_, q)| !ask_store(store, q))
        .map(|(name, _)| *name)
        .collect();
    assert!(failed.is_empty(), "not found: {failed:?}");
}

/// A fact node the shapes accept, as Turtle with the prefixes dg:, dgr:, dgc:, prov: and rdfs:
/// declared: an investment with its source, quote and certainty.
pub fn investment(id: &str, investor: &str, investee: &str) -> String {
    format!(
        "dgr:{id} a dg:Investment ; dg:investor dgr:{investor} ; dg:investee dgr:{investee} ;
           prov:wasDerivedFrom dgr:test-source ; dg:quote \"{investor} invests in {investee}\" ;
           dg:certainty dgc:stated .
         dgr:test-source a dg:SourceDocument ; rdfs:label \"A test source\" ."
    )
}

/// Starts `command serve` (a [`dealgraph`] command) with `args`, which must bind a port (e.g.
/// `127.0.0.1:0`), and returns the process with the address it printed on its first line.
pub fn spawn_serve(mut command: Command, args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = command
        .arg("serve")
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("dealgraph listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .trim_end_matches('/')
        .to_owned();
    (child, base)
}
