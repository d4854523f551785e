//! The command line and its environment fallbacks: one documented place for every setting.
//! Each field's doc comment is its `--help` text; each has a `DEALGRAPH_*` variable.

use crate::fetch::Fetcher;
use crate::rdf::ParseLimits;
use crate::server::ServerConfig;
use crate::store::{RemoteAuth, RemoteConfig, StoreLocation, StoreOptions, TimeoutParam};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// dealgraph: a knowledge-graph query service for the AI-infrastructure market.
#[derive(Debug, Parser)]
#[command(name = "dealgraph", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SPARQL endpoint, the Graph Store and the web pages over HTTP.
    Serve(Box<ServeArgs>),
    /// Load RDF files (Turtle, N-Triples, RDF/XML, JSON-LD, TriG, N-Quads; `.gz` too), each
    /// into a named graph of its own unless --graph says otherwise.
    Load(LoadArgs),
    /// Run a SPARQL query and print its answer.
    Query(QueryArgs),
    /// Apply a SPARQL update.
    Update(UpdateArgs),
    /// Write the store (or one graph) as RDF.
    Dump(DumpArgs),
    /// Print what the store holds: triples, graphs, classes and top predicates.
    Stats(StatsArgs),
    /// Check RDF files against the SHACL shapes, together with what the store holds, without
    /// writing anything. Exits non-zero with the violations when there are any.
    Validate(ValidateArgs),
    /// Import a tabular source into its named graphs, replacing them, in one validated write.
    Import(ImportArgs),
    /// Rebuild the search index from what the store holds: the embedded store's index beside
    /// --db, or, with --backend sparql, the index in --search-dir built from the engine's data.
    /// A running server rebuilds its own on `POST /api/reindex` (or every --reindex-every).
    Reindex(Box<ReindexArgs>),
    /// Write a synthetic AI-industry graph of about --triples triples as N-Quads, in the graph
    /// <https://w3id.org/dealgraph/graph/generated>, for benchmarks: the same --triples and
    /// --seed give the same bytes on every machine. Opens no store.
    Generate(GenerateArgs),
}

/// Where the store is and how it treats its input; shared by every command.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// Directory of the persistent store (created if missing).
    #[arg(long, env = "DEALGRAPH_DB", default_value = "dealgraph-db")]
    pub db: PathBuf,
    /// Use a throwaway in-memory store instead of --db.
    #[arg(long, env = "DEALGRAPH_MEMORY")]
    pub memory: bool,
    /// Directories whose RDF files fill an empty store on first open (comma-separated).
    /// Defaults to `ontology` and `data` in the working directory, or in the source tree.
    #[arg(long, env = "DEALGRAPH_SEED_DIRS", value_delimiter = ',')]
    pub seed_dir: Vec<PathBuf>,
    /// Do not fill an empty store from the seed directories.
    #[arg(long, env = "DEALGRAPH_NO_SEED")]
    pub no_seed: bool,
    /// Hosts (`name` or `name:port`) that SPARQL LOAD and SERVICE may call over http
    /// (comma-separated). Empty: no request can make the server call any address.
    #[arg(
        long = "allow-remote-host",
        env = "DEALGRAPH_ALLOW_REMOTE_HOSTS",
        value_delimiter = ','
    )]
    pub allow_remote_hosts: Vec<String>,
    /// Deepest nesting accepted in a query, update or RDF document; deeper input is refused
    /// before parsing.
    #[arg(long, env = "DEALGRAPH_MAX_NESTING", default_value_t = 128)]
    pub max_nesting: usize,
    /// The embedded store, or a remote SPARQL engine (`--backend sparql`): every command works
    /// over either.
    #[command(flatten)]
    pub remote: RemoteArgs,
}

impl StoreArgs {
    pub fn location(&self) -> StoreLocation {
        if self.memory {
            StoreLocation::Memory
        } else {
            StoreLocation::Disk(self.db.clone())
        }
    }

    pub fn limits(&self) -> ParseLimits {
        ParseLimits {
            max_nesting: self.max_nesting,
        }
    }

    pub fn options(&self) -> StoreOptions {
        StoreOptions {
            fetcher: Arc::new(Fetcher::new(
                self.allow_remote_hosts.clone(),
                Duration::from_secs(30),
                64 * 1024 * 1024,
            )),
            full_recompute: false,
            search: None,
        }
    }

    /// The seed directories that exist: as given, or the defaults.
    pub fn seed_dirs(&self) -> Vec<PathBuf> {
        if !self.seed_dir.is_empty() {
            return self.seed_dir.clone();
        }
        let here: Vec<PathBuf> = ["ontology", "data"].iter().map(PathBuf::from).collect();
        if here.iter().any(|d| d.is_dir()) {
            return here.into_iter().filter(|d| d.is_dir()).collect();
        }
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        ["ontology", "data"]
            .iter()
            .map(|d| source.join(d))
            .filter(|d| d.is_dir())
            .collect()
    }
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address and port to listen on.
    #[arg(long, env = "DEALGRAPH_BIND", default_value = "127.0.0.1:7878")]
    pub bind: String,
    /// The built web UI to serve at `/` (default: `web/dist`, built by
    /// `cd web && npm ci && npm run build`). Without it, `/` says how to build it.
    #[arg(long = "web-dir", env = "DEALGRAPH_WEB_DIR")]
    pub web: Option<PathBuf>,
    /// Bearer token that writes (SPARQL Update, Graph Store PUT/POST/DELETE) must present.
    /// Without one the service is read-only.
    #[arg(long, env = "DEALGRAPH_WRITE_TOKEN", hide_env_values = true)]
    pub write_token: Option<String>,
    /// Deadline of each query and update, in seconds.
    #[arg(long, env = "DEALGRAPH_QUERY_TIMEOUT", default_value_t = 30)]
    pub query_timeout: u64,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "DEALGRAPH_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Largest number of rows (or triples) one query may return.
    #[arg(long, env = "DEALGRAPH_MAX_RESULT_ROWS", default_value_t = 1_000_000)]
    pub max_result_rows: u64,
    /// Megabytes of SPARQL answers kept until the next write, so that a query sent again is
    /// answered without evaluating it; 0 keeps none. Answers over 1 MB are never kept.
    #[arg(long, env = "DEALGRAPH_RESULT_CACHE_MB", default_value_t = 64)]
    pub result_cache_mb: usize,
    /// Queries evaluated at the same time; more wait for a slot.
    #[arg(long, env = "DEALGRAPH_MAX_CONCURRENT_QUERIES", default_value_t = 8)]
    pub max_concurrent_queries: usize,
    /// Connections open at the same time; more are closed at once.
    #[arg(long, env = "DEALGRAPH_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client has to send its request headers, and then its body.
    #[arg(long, env = "DEALGRAPH_REQUEST_READ_TIMEOUT", default_value_t = 30)]
    pub request_read_timeout: u64,
    /// Browser origins allowed to send writes (comma-separated); reads are open to all origins.
    #[arg(
        long = "write-origin",
        env = "DEALGRAPH_WRITE_ORIGINS",
        value_delimiter = ','
    )]
    pub write_origins: Vec<String>,
    /// Directory of example queries (`.rq`) offered at /queries. Defaults to `queries` in the
    /// working directory, or in the source tree.
    #[arg(long = "queries-dir", env = "DEALGRAPH_QUERIES_DIR")]
    pub queries: Option<PathBuf>,
    /// Over a remote engine, rebuild the search index from the engine's data every this many
    /// seconds, so that it sees writes that reached the engine without this replica (0: only
    /// at start-up and on `POST /api/reindex`).
    #[arg(long, env = "DEALGRAPH_REINDEX_EVERY", default_value_t = 0)]
    pub reindex_every: u64,
}

#[derive(Debug, Args)]
pub struct ReindexArgs {
    #[command(flatten)]
    pub store: StoreArgs,
}

/// Which store the server reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// The embedded store, on disk at --db (or in memory with --memory).
    Embedded,
    /// An existing SPARQL engine at --query-url, read over the SPARQL 1.1 Protocol.
    Sparql,
}

/// Where a remote SPARQL engine answers, and how to reach it (`--backend sparql`).
#[derive(Debug, Clone, clap::Args)]
pub struct RemoteArgs {
    /// The store behind the service.
    #[arg(
        long,
        env = "DEALGRAPH_BACKEND",
        value_enum,
        default_value = "embedded"
    )]
    pub backend: BackendKind,
    /// The engine's SPARQL query endpoint (with --backend sparql).
    #[arg(long, env = "DEALGRAPH_QUERY_URL")]
    pub query_url: Option<url::Url>,
    /// The engine's SPARQL update endpoint: with it (and a write token), writes go through
    /// dealgraph's door to the engine; without it, the service reads only.
    #[arg(long, env = "DEALGRAPH_UPDATE_URL")]
    pub update_url: Option<url::Url>,
    /// The engine's Graph Store endpoint for its whole dataset (Oxigraph server's `/store`,
    /// Fuseki's `/DATASET/data`): a write that only adds triples then goes there as one POST
    /// of N-Quads, data and derived triples together; writes that remove go by --update-url.
    #[arg(long, env = "DEALGRAPH_STORE_URL")]
    pub store_url: Option<url::Url>,
    /// User for HTTP basic authentication to the engine (the password in
    /// DEALGRAPH_REMOTE_PASSWORD).
    #[arg(long, env = "DEALGRAPH_REMOTE_USER")]
    pub remote_user: Option<String>,
    #[arg(long, env = "DEALGRAPH_REMOTE_PASSWORD", hide_env_values = true)]
    pub remote_password: Option<String>,
    /// Bearer token sent to the engine.
    #[arg(long, env = "DEALGRAPH_REMOTE_BEARER", hide_env_values = true)]
    pub remote_bearer: Option<String>,
    /// The most a request to the engine may take, in seconds (the query deadline stops the
    /// answer's reading sooner).
    #[arg(long, env = "DEALGRAPH_REMOTE_TIMEOUT", default_value_t = 60)]
    pub remote_timeout: u64,
    /// Idle connections to the engine kept open for reuse.
    #[arg(long, env = "DEALGRAPH_REMOTE_CONNECTIONS", default_value_t = 16)]
    pub remote_connections: usize,
    /// The engine's query-timeout parameter, NAME:ms or NAME:s, sent with every query with
    /// --remote-timeout's value: timeout:ms for Virtuoso and Stardog, timeout:s for Fuseki and
    /// GraphDB.
    #[arg(long, env = "DEALGRAPH_REMOTE_TIMEOUT_PARAM")]
    pub remote_timeout_param: Option<TimeoutParam>,
    /// Over a remote engine, keep the search index in this directory rather than in memory: a
    /// restart reuses it when it holds as many entities as the engine, and `dealgraph
    /// reindex` can build it before the server starts.
    #[arg(long, env = "DEALGRAPH_SEARCH_DIR")]
    pub search_dir: Option<PathBuf>,
}

impl RemoteArgs {
    /// The remote engine's settings, or `None` for the embedded store. Contradictory flags are
    /// an error naming them.
    pub fn config(&self) -> Result<Option<RemoteConfig>, String> {
        if self.backend == BackendKind::Embedded {
            if self.query_url.is_some()
                || self.update_url.is_some()
                || self.store_url.is_some()
                || self.search_dir.is_some()
            {
                return Err(
                    "--query-url, --update-url, --store-url and --search-dir need --backend sparql"
                        .into(),
                );
            }
            return Ok(None);
        }
        let query_url = self
            .query_url
            .clone()
            .ok_or("--backend sparql needs --query-url, the engine's query endpoint")?;
        // No TLS stack is built in (see Cargo.toml): an https engine is reached through a
        // local proxy that terminates TLS.
        for url in std::iter::once(&query_url)
            .chain(&self.update_url)
            .chain(&self.store_url)
        {
            if url.scheme() != "http" {
                return Err(format!(
                    "{url}: only http URLs are supported; put a TLS-terminating proxy in \
                     front of an https endpoint"
                ));
            }
        }
        let auth = match (
            &self.remote_user,
            &self.remote_password,
            &self.remote_bearer,
        ) {
            (None, None, None) => RemoteAuth::None,
            (Some(user), password, None) => RemoteAuth::Basic {
                user: user.clone(),
                password: password.clone().unwrap_or_default(),
            },
            (None, None, Some(token)) => RemoteAuth::Bearer(token.clone()),
            (None, Some(_), _) => {
                return Err("DEALGRAPH_REMOTE_PASSWORD needs --remote-user".into());
            }
            (Some(_), _, Some(_)) => {
                return Err("--remote-user and --remote-bearer exclude each other".into());
            }
        };
        Ok(Some(RemoteConfig {
            query_url,
            update_url: self.update_url.clone(),
            store_url: self.store_url.clone(),
            auth,
            timeout: Duration::from_secs(self.remote_timeout),
            max_idle_connections: self.remote_connections,
            timeout_param: self.remote_timeout_param.clone(),
        }))
    }
}

impl ServeArgs {
    /// The example-query directory: as given, else `queries` here, else in the source tree.
    pub fn queries_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.queries {
            return Some(dir.clone());
        }
        [
            PathBuf::from("queries"),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("queries"),
        ]
        .into_iter()
        .find(|d| d.is_dir())
    }

    pub fn server_config(&self) -> ServerConfig {
        ServerConfig {
            write_token: self.write_token.clone().filter(|t| !t.is_empty()),
            query_timeout: Duration::from_secs(self.query_timeout.max(1)),
            max_body_bytes: self.max_body_bytes,
            max_result_rows: self.max_result_rows,
            max_concurrent_queries: self.max_concurrent_queries,
            max_connections: self.max_connections,
            request_read_timeout: Duration::from_secs(self.request_read_timeout.max(1)),
            write_origins: self.write_origins.clone(),
            federation: !self.store.allow_remote_hosts.is_empty(),
            parse_limits: self.store.limits(),
            examples: Vec::new(),
            web_dir: self.web_dir().filter(|d| crate::server::web::is_built(d)),
            result_cache_bytes: self.result_cache_mb.saturating_mul(1024 * 1024),
        }
    }

    /// The built web UI's directory: as given, else `web/dist` here, else in the source tree.
    pub fn web_dir(&self) -> Option<PathBuf> {
        if let Some(dir) = &self.web {
            return Some(dir.clone());
        }
        [
            PathBuf::from("web/dist"),
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("web/dist"),
        ]
        .into_iter()
        .find(|d| d.is_dir())
    }
}

/// RDF files given on the command line, and how to read them.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// The RDF files.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Put every file into this named graph instead of one graph per file.
    #[arg(long)]
    pub graph: Option<String>,
    /// The format, when the file name does not tell (ttl, nt, rdf, jsonld, trig, nq, or a media type).
    #[arg(long)]
    pub format: Option<String>,
}

#[derive(Debug, Args)]
pub struct LoadArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Load through oxigraph's bulk loader, into new graphs: much faster for large files, with
    /// a progress bar. A TriG or N-Quads file keeps its graphs, each of which must be new. The
    /// file is committed at once, then the derived graph and the SHACL check follow; a
    /// violation drops the graphs again, so nothing of it stays.
    #[arg(long)]
    pub bulk: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub input: InputArgs,
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The query; read from --file or standard input when absent.
    pub query: Option<String>,
    /// Read the query from this file.
    #[arg(long, short)]
    pub file: Option<PathBuf>,
    /// Output format: json, xml, csv, tsv for SELECT/ASK; ttl, nt, rdf, jsonld for graphs.
    #[arg(long)]
    pub format: Option<String>,
    /// Stop the query after this many seconds.
    #[arg(long, env = "DEALGRAPH_QUERY_TIMEOUT", default_value_t = 30)]
    pub query_timeout: u64,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The update; read from --file or standard input when absent.
    pub update: Option<String>,
    /// Read the update from this file.
    #[arg(long, short)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DumpArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output format: trig or nq for the whole store; ttl, nt, rdf, jsonld (or those) for one graph.
    #[arg(long)]
    pub format: Option<String>,
    /// Dump only this named graph.
    #[arg(long)]
    pub graph: Option<String>,
    /// Dump only the default graph.
    #[arg(long, conflicts_with = "graph")]
    pub default_graph: bool,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// How many classes and predicates to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(subcommand)]
    pub source: ImportSource,
}

#[derive(Debug, Subcommand)]
pub enum ImportSource {
    /// Epoch AI's data on AI companies and frontier data centres (CC BY 4.0): reads
    /// `ai_companies/ai_companies.csv`, `ai_companies/ai_companies_funding_rounds.csv` and
    /// `data_centers/data_centers.csv` under DIR, replaces the graphs `.../graph/epoch-companies`,
    /// `.../graph/epoch-funding-rounds` and `.../graph/epoch-data-centers`, and prints the counts,
    /// every skipped row with its line and reason, and the reconciliation of organisation names.
    Epoch(EpochArgs),
}

#[derive(Debug, Args)]
pub struct EpochArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The directory holding Epoch's CSV files (as in `data/epoch`).
    pub dir: PathBuf,
    /// The reviewed alias table of organisation names. Defaults to `aliases.tsv` beside DIR.
    #[arg(long, env = "DEALGRAPH_ALIASES")]
    pub aliases: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many triples to write; the output lands a few triples above it at most.
    #[arg(long)]
    pub triples: u64,
    /// The seed of the random stream.
    #[arg(long, default_value_t = crate::generate::DEFAULT_SEED)]
    pub seed: u64,
    /// Write to this file instead of standard output; a name ending in `.gz` is gzipped.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

impl EpochArgs {
    pub fn aliases(&self) -> PathBuf {
        self.aliases.clone().unwrap_or_else(|| {
            self.dir
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join("aliases.tsv")
        })
    }
}
