//! The command line as a user meets it: exit codes, messages naming file, line and column,
//! and a store that keeps its content across restarts and refuses a second writer.

#![cfg(feature = "rocksdb")]

mod common;

use common::{TOKEN, client, repo};
use std::io::Write;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// The binary, seeding a new store with the ontology and the article only: the Epoch import
/// (80,000 triples) would make every new store here take seconds in a debug build, and these
/// tests are about the command line, not the data (`epoch_import.rs` covers that).
fn dealgraph() -> std::process::Command {
    let mut command = common::dealgraph();
    command.env(
        "DEALGRAPH_SEED_DIRS",
        format!(
            "{},{}",
            repo().join("ontology").display(),
            repo().join("tests/fixtures/article-only").display()
        ),
    );
    command
}

fn run(args: &[&str]) -> (bool, String, String) {
    let output = dealgraph().args(args).output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn db_arg(dir: &tempfile::TempDir) -> String {
    dir.path().join("db").display().to_string()
}

fn count(db: &str) -> u64 {
    let (ok, out, err) = run(&[
        "query",
        "--db",
        db,
        "--format",
        "csv",
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
    ]);
    assert!(ok, "{err}");
    out.lines().nth(1).unwrap().trim().parse().unwrap()
}

#[test]
fn help_documents_every_command_and_the_environment() {
    let (ok, out, _) = run(&["--help"]);
    assert!(ok);
    for command in [
        "serve", "load", "query", "update", "dump", "stats", "reindex",
    ] {
        assert!(out.contains(command), "{command} missing from {out}");
    }
    let (_, serve, _) = run(&["serve", "--help"]);
    for variable in [
        "DEALGRAPH_BIND",
        "DEALGRAPH_WRITE_TOKEN",
        "DEALGRAPH_QUERY_TIMEOUT",
        "DEALGRAPH_DB",
        "DEALGRAPH_MAX_BODY_BYTES",
    ] {
        assert!(
            serve.contains(variable),
            "{variable} missing from serve --help"
        );
    }
}

#[test]
fn load_query_update_dump_and_stats_on_a_store_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let file = dir.path().join("extra.ttl");
    std::fs::write(
        &file,
        "<http://e/lambda> <http://www.w3.org/2000/01/rdf-schema#label> \"Lambda\" .\n",
    )
    .unwrap();
    let (ok, _, err) = run(&["load", "--db", &db, file.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(
        err.contains("1 triples into <https://w3id.org/dealgraph/graph/extra>"),
        "{err}"
    );

    let (ok, out, _) = run(&[
        "query",
        "--db",
        &db,
        "SELECT ?l WHERE { <http://e/lambda> ?p ?l }",
    ]);
    assert!(ok);
    assert_eq!(out, "?l\n\"Lambda\"\n");
    // The article's graph was seeded into the new store on first open.
    let (_, out, _) = run(&[
        "query",
        "--db",
        &db,
        "--format",
        "json",
        "ASK { <https://w3id.org/dealgraph/id/coreweave> ?p ?o }",
    ]);
    assert!(out.contains("true"), "{out}");

    let update = "INSERT DATA { GRAPH <http://e/g> { <http://e/lambda> <http://e/p> 1 } }";
    let (ok, _, err) = run(&["update", "--db", &db, update]);
    assert!(ok, "{err}");
    let (ok, out, _) = run(&[
        "dump",
        "--db",
        &db,
        "--graph",
        "http://e/g",
        "--format",
        "nt",
    ]);
    assert!(ok);
    assert_eq!(
        out.trim(),
        "<http://e/lambda> <http://e/p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> ."
    );
    let (ok, out, _) = run(&["stats", "--db", &db]);
    assert!(ok);
    assert!(
        out.contains("<https://w3id.org/dealgraph/graph/article>"),
        "{out}"
    );
    assert!(
        out.contains("<https://w3id.org/dealgraph/graph/extra>"),
        "{out}"
    );
    assert!(out.contains("classes (by instances):"));

    let (ok, _, err) = run(&["dump", "--db", &db, "--format", "ttl"]);
    assert!(!ok);
    assert!(err.contains("cannot hold named graphs"), "{err}");
}

#[test]
fn a_bad_file_names_its_line_and_column_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let before = count(&db);
    let good = dir.path().join("good.nt");
    std::fs::write(&good, "<http://e/a> <http://e/p> <http://e/o> .\n").unwrap();
    let bad = dir.path().join("bad.ttl");
    std::fs::write(
        &bad,
        "<http://e/b> <http://e/p> <http://e/o> .\n<http://e/c> <http://e/p> \"open .\n",
    )
    .unwrap();
    for extra in [&[][..], &["--bulk"][..]] {
        let mut args = vec!["load", "--db", db.as_str(), bad.to_str().unwrap()];
        args.extend_from_slice(extra);
        let (ok, _, err) = run(&args);
        assert!(!ok, "loading a bad file must fail");
        assert!(err.contains(&format!("{}:2:", bad.display())), "{err}");
        assert_eq!(
            count(&db),
            before,
            "nothing of the bad file is stored ({extra:?})"
        );
    }
    let (ok, _, err) = run(&["load", "--db", &db, "--bulk", good.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(count(&db), before + 1);
    let (ok, _, err) = run(&["query", "--db", &db, "SELECT * WHERE {"]);
    assert!(!ok);
    assert!(err.contains("SPARQL syntax error"), "{err}");
}

#[test]
fn gzipped_input_loads() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let path = dir.path().join("zipped.nt.gz");
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    encoder
        .write_all(b"<http://e/z> <http://e/p> \"zipped\" .\n")
        .unwrap();
    encoder.finish().unwrap();
    let (ok, _, err) = run(&["load", "--db", &db, path.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (_, out, _) = run(&[
        "query",
        "--db",
        &db,
        "SELECT ?o WHERE { GRAPH <https://w3id.org/dealgraph/graph/zipped> { ?s ?p ?o } }",
    ]);
    assert!(out.contains("\"zipped\""), "{out}");
}

#[test]
fn reindex_rebuilds_the_search_index_beside_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let path = dir.path().join("two.ttl");
    std::fs::write(
        &path,
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\
         <https://w3id.org/dealgraph/id/one-labs> rdfs:label \"One Labs\" .\n\
         <https://w3id.org/dealgraph/id/two-labs> rdfs:label \"Two Labs\" .\n\
         <http://elsewhere.example/three> rdfs:label \"Not an entity of ours\" .\n",
    )
    .unwrap();
    let (ok, _, err) = run(&["load", "--db", &db, "--no-seed", path.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&["reindex", "--db", &db]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("indexed 2 entities in")
            && out.trim_end().ends_with(&format!("into {db}.search")),
        "{out}"
    );
    // Over the embedded store the index is beside the store; --search-dir is the engine's.
    let (ok, _, err) = run(&["reindex", "--db", &db, "--search-dir", "elsewhere"]);
    assert!(!ok);
    assert!(err.contains("need --backend sparql"), "{err}");
}

/// A `dealgraph serve` process and the address it printed.
struct Served {
    child: Child,
    base: String,
}

fn serve(db: &str) -> Served {
    let (child, base) = common::spawn_serve(
        dealgraph(),
        &["--db", db, "--bind", "127.0.0.1:0", "--write-token", TOKEN],
    );
    Served { child, base }
}

impl Served {
    /// Sends SIGTERM and waits, with a deadline, for a clean exit.
    fn stop(mut self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "graceful shutdown exits 0, got {status}");
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_store_survives_a_restart_and_refuses_a_second_process() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let first = serve(&db);
    let put = client()
        .put(format!("{}/store?graph=http://e/kept", first.base))
        .bearer_auth(TOKEN)
        .header("Content-Type", "text/turtle")
        .body("<http://e/s> <http://e/p> \"kept\" .")
        .send()
        .unwrap();
    assert_eq!(put.status(), 201);
    let (ok, _, err) = run(&["stats", "--db", &db]);
    assert!(!ok, "a second process must not open the store");
    assert!(err.contains("in use by another process"), "{err}");
    first.stop();

    let second = serve(&db);
    let got = client()
        .get(format!("{}/store?graph=http://e/kept", second.base))
        .header("Accept", "application/n-triples")
        .send()
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.text().unwrap().trim(),
        "<http://e/s> <http://e/p> \"kept\" ."
    );
    second.stop();
}

/// Bytes the process has read so far (Linux `/proc/PID/io`), to act at a known point of a load.
fn bytes_read(pid: u32) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).ok()?;
    io.lines()
        .find_map(|l| l.strip_prefix("rchar: "))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn a_load_killed_mid_write_leaves_the_store_as_it_was_or_whole() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let before = count(&db);
    let big = dir.path().join("big.nt");
    let triples = 300_000u64;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&big).unwrap());
    for i in 0..triples {
        writeln!(file, "<http://e/s{i}> <http://e/p> \"value {i}\" .").unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let size = std::fs::metadata(&big).unwrap().len();
    // Through the bulk loader, then through one transaction.
    for bulk in [true, false] {
        let mut args = vec!["load", "--db", db.as_str(), big.to_str().unwrap()];
        if bulk {
            args.push("--bulk");
        }
        let mut child = dealgraph()
            .args(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            // The bulk loader writes as it reads: half the input read, it is mid-write. The
            // transactional path reads the whole file first, then parses, validates, commits.
            let point = if bulk { size / 2 } else { size };
            if bytes_read(child.id()).is_some_and(|n| n >= point) {
                child.kill().unwrap();
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the load neither progressed nor ended"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        child.wait().unwrap();
        let after = count(&db);
        assert!(
            after == before || after == before + triples,
            "bulk {bulk}: {after} triples after, {before} before; a write is all or nothing"
        );
        if after != before {
            // It finished before the kill; undo it for the next round.
            let (ok, _, err) = run(&[
                "update",
                "--db",
                &db,
                "DROP GRAPH <https://w3id.org/dealgraph/graph/big>",
            ]);
            assert!(ok, "{err}");
        }
    }
}

#[test]
fn a_bulk_load_that_violates_the_shapes_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let before = count(&db);
    let bad = dir.path().join("deals.ttl");
    std::fs::write(
        &bad,
        "@prefix dg: <https://w3id.org/dealgraph/ontology#> .
<http://example.org/deal> a dg:Investment ; dg:investor <https://w3id.org/dealgraph/id/ibm> .
",
    )
    .unwrap();
    let (ok, _, err) = run(&["load", "--db", &db, "--bulk", bad.to_str().unwrap()]);
    assert!(!ok, "a violating bulk load fails");
    assert!(err.contains("SHACL violation"), "{err}");
    assert_eq!(count(&db), before, "its graph was dropped again");
    let (_, out, _) = run(&[
        "query",
        "--db",
        &db,
        "--format",
        "json",
        "ASK { <http://example.org/deal> ?p ?o }",
    ]);
    assert!(out.contains("false"), "{out}");
    // A bulk load goes into a new graph only.
    let (ok, _, err) = run(&[
        "load",
        "--db",
        &db,
        "--bulk",
        "--graph",
        "https://w3id.org/dealgraph/graph/article",
        bad.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(err.contains("goes into a new graph"), "{err}");
}

#[test]
fn a_bulk_load_of_n_quads_keeps_its_graphs_and_refuses_to_mix_into_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_arg(&dir);
    let quads = dir.path().join("two.nq");
    std::fs::write(
        &quads,
        "<http://example.org/a> <http://www.w3.org/2000/01/rdf-schema#label> \"A\" <http://example.org/g1> .
<http://example.org/b> <http://www.w3.org/2000/01/rdf-schema#label> \"B\" <http://example.org/g2> .
<http://example.org/c> <http://www.w3.org/2000/01/rdf-schema#label> \"C\" .
",
    )
    .unwrap();
    let (ok, _, err) = run(&["load", "--db", &db, "--bulk", quads.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, out, err) = run(&[
        "query",
        "--db",
        &db,
        "--format",
        "csv",
        "SELECT ?g ?l WHERE { GRAPH ?g { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } FILTER(?l IN (\"A\", \"B\", \"C\")) } ORDER BY ?l",
    ]);
    assert!(ok, "{err}");
    assert_eq!(
        out.lines().skip(1).collect::<Vec<_>>(),
        [
            "http://example.org/g1,A",
            "http://example.org/g2,B",
            // The file's default graph goes to the graph named after the file.
            "https://w3id.org/dealgraph/graph/two,C"
        ]
    );
    // Loading it again would mix into graphs that exist: refused, naming one, nothing written.
    let before = count(&db);
    let (ok, _, err) = run(&["load", "--db", &db, "--bulk", quads.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("two.nq") && err.contains("exists"), "{err}");
    assert_eq!(count(&db), before);
}
