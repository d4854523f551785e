//! First-start seeding: an empty store is filled from `ontology/` and `data/`, each file into a
//! named graph of its own, in one write through the store's door; the CLI's default store also
//! gets the Epoch AI import of `data/epoch/` in that same write.
//! Only the top level of each directory is read, so `data/epoch/*/*.csv` is never taken for RDF.

use crate::rdf::{self, ParseLimits, Target};
use crate::store::{Backend, NAMESPACE, StoreError, WriteOp};
use oxigraph::model::{GraphName, NamedNode, Quad};
use std::path::{Path, PathBuf};

/// The named graph a seed file is loaded into: `<ns>graph/<stem>` for data, and
/// `<ns>graph/ontology-<stem>` for files of a directory named `ontology`.
pub fn graph_for(path: &Path) -> NamedNode {
    let stem = path
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.split('.').next().unwrap_or(n))
        .unwrap_or("unnamed");
    let in_ontology = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == "ontology");
    let prefix = if in_ontology { "ontology-" } else { "" };
    NamedNode::new_unchecked(format!("{NAMESPACE}graph/{prefix}{stem}"))
}

/// The RDF files of the seed directories, in a stable order. Other files (READMEs) are skipped.
pub fn seed_files(dirs: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for dir in dirs {
        let mut in_dir: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && rdf::format_from_path(p).is_some())
            .collect();
        in_dir.sort();
        files.extend(in_dir);
    }
    Ok(files)
}

/// An error in a seed file, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {source}")]
pub struct SeedError {
    pub file: String,
    #[source]
    pub source: StoreError,
}

/// Loads the seed files into `store` if it is empty; returns how many files were loaded.
pub fn seed_if_empty(
    store: &dyn Backend,
    dirs: &[PathBuf],
    limits: ParseLimits,
) -> Result<usize, SeedError> {
    if !store.is_empty().map_err(store_error)? {
        return Ok(0);
    }
    let (files, quads) = seed_quads(dirs, limits)?;
    store
        .write(WriteOp::Insert { quads })
        .map_err(store_error)?;
    Ok(files)
}

/// What [`seed_if_empty_with_imports`] loaded.
#[derive(Debug, Default)]
pub struct SeedOutcome {
    /// RDF files loaded.
    pub files: usize,
    /// The report of the Epoch AI import, when a seed directory holds `epoch/`.
    pub epoch: Option<crate::import::Report>,
}

/// Like [`seed_if_empty`], and in the same write the Epoch AI import of every seed directory
/// that holds `epoch/` (with the alias table `aliases.tsv` beside it): the default store starts
/// with the article and Epoch's data, or with nothing.
pub fn seed_if_empty_with_imports(
    store: &dyn Backend,
    dirs: &[PathBuf],
    limits: ParseLimits,
) -> Result<SeedOutcome, SeedError> {
    if !store.is_empty().map_err(store_error)? {
        return Ok(SeedOutcome::default());
    }
    let (files, mut quads) = seed_quads(dirs, limits)?;
    let mut epoch = None;
    for dir in dirs {
        let epoch_dir = dir.join("epoch");
        if !epoch_dir.is_dir() {
            continue;
        }
        let import =
            crate::import::epoch::build(&epoch_dir, &dir.join("aliases.tsv")).map_err(|e| {
                SeedError {
                    file: epoch_dir.display().to_string(),
                    source: StoreError::BadRequest(e.to_string()),
                }
            })?;
        quads.extend(import.graphs.into_iter().flat_map(|(_, q)| q));
        epoch = Some(import.report);
    }
    store
        .write(WriteOp::Insert { quads })
        .map_err(store_error)?;
    Ok(SeedOutcome { files, epoch })
}

fn store_error(source: StoreError) -> SeedError {
    SeedError {
        file: "(store)".into(),
        source,
    }
}

/// The quads of every seed file, each in its graph, and how many files there were.
fn seed_quads(dirs: &[PathBuf], limits: ParseLimits) -> Result<(usize, Vec<Quad>), SeedError> {
    let files = seed_files(dirs).map_err(|e| SeedError {
        file: dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        source: StoreError::Storage(e.to_string()),
    })?;
    let mut quads = Vec::new();
    for file in &files {
        let file_error = |source: StoreError| SeedError {
            file: file.display().to_string(),
            source,
        };
        let bytes = read_maybe_gzipped(file).map_err(file_error)?;
        let (format, _) = rdf::format_from_path(file).expect("filtered on a known format");
        let graph = GraphName::NamedNode(graph_for(file));
        quads.extend(
            rdf::parse(&bytes, format, &Target::Graph(graph), None, limits).map_err(file_error)?,
        );
    }
    Ok((files.len(), quads))
}

/// Reads a file whole, decompressing a `.gz`.
pub fn read_maybe_gzipped(path: &Path) -> Result<Vec<u8>, StoreError> {
    use std::io::Read;
    let io =
        |e: std::io::Error| StoreError::BadRequest(format!("cannot read {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::MultiGzDecoder::new(file)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        std::io::BufReader::new(file)
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    Ok(bytes)
}
