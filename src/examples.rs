//! The example-query library: the `.rq` files of `queries/`, each opening with a
//! `# Question: ...` line, offered to clients by the server (`/queries`) and, later, the UI.

use std::path::{Path, PathBuf};

/// One example query.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Example {
    /// The file stem, e.g. `01-who-invested-in-openai`.
    pub name: String,
    /// The question the query answers, from its first line.
    pub question: String,
    pub query: String,
}

/// Reads every `.rq` file of `dir`, in name order. A file without a `# Question:` line is
/// offered with its name as the question.
pub fn load(dir: &Path) -> std::io::Result<Vec<Example>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rq"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let query = std::fs::read_to_string(&path)?;
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let question = query
                .lines()
                .find_map(|l| l.strip_prefix("# Question:"))
                .map_or_else(|| name.clone(), |q| q.trim().to_owned());
            Ok(Example {
                name,
                question,
                query,
            })
        })
        .collect()
}
