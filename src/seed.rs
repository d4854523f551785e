//! First-start seeding: an empty store is filled from `ontology/` and `data/`, each file into a
//! named graph of its own, in one write through the store's door.

use crate::rdf::{self, ParseLimits, Target};
use crate::store::{Backend, NAMESPACE, StoreError, WriteOp};
use oxigraph::model::{GraphName, NamedNode};
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
    let store_error = |source: StoreError| SeedError {
        file: "(store)".into(),
        source,
    };
    if !store.is_empty().map_err(store_error)? {
        return Ok(0);
    }
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
    store
        .write(WriteOp::Insert { quads })
        .map_err(store_error)?;
    Ok(files.len())
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
