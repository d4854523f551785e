//! Real SPARQL engines on 127.0.0.1 for the tests: Oxigraph server (the `oxigraph` package
//! from PyPI) and Virtuoso (Debian's `virtuoso-opensource`, started through
//! `bench/serve_peer.py` as the benchmark starts it), as `scripts/setup --test` installs them.

use super::client;
use dealgraph::store::{RemoteAuth, RemoteConfig};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The engines the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Oxigraph,
    Virtuoso,
}

/// An engine on loopback, stopped when dropped.
pub struct Engine {
    pub kind: Kind,
    child: Child,
    pub query_url: url::Url,
    pub update_url: Option<url::Url>,
    /// The Graph Store endpoint of the whole dataset, where the engine has one.
    pub store_url: Option<url::Url>,
    _dir: tempfile::TempDir,
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Each engine stops when its input closes (serve_peer.py stops Virtuoso with a
        // checkpoint first): here, or when the test process ends, even for an engine under a
        // server kept in a static, which is never dropped.
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free port on 127.0.0.1 whose next port is free too (Virtuoso's SQL port).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = first.local_addr().unwrap().port();
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
    panic!("no two free ports in a row on 127.0.0.1");
}

/// Virtuoso, loaded with `data` and served by bench/serve_peer.py.
pub fn start_virtuoso(dir: tempfile::TempDir, data: PathBuf, writable: bool) -> Engine {
    let port = free_port_pair();
    let mut command = Command::new("python3");
    command
        .arg(super::repo().join("bench/serve_peer.py"))
        .arg("virtuoso")
        .arg(&data)
        .arg("--workdir")
        .arg(dir.path().join("engine"))
        .arg("--port")
        .arg(port.to_string());
    if writable {
        command.arg("--writable");
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 runs bench/serve_peer.py");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx
        .recv_timeout(Duration::from_secs(300))
        .expect("Virtuoso did not start in 300 s (scripts/setup --test installs it)");
    let mut urls = line.split_whitespace();
    let query_url = urls
        .next()
        .expect("serve_peer.py printed its URLs")
        .parse()
        .unwrap();
    let update_url = urls
        .next()
        .filter(|u| *u != "-")
        .map(|u| u.parse().unwrap());
    Engine {
        kind: Kind::Virtuoso,
        child,
        query_url,
        update_url,
        // Virtuoso's Graph Store endpoint takes one graph per request, not a dataset.
        store_url: None,
        _dir: dir,
    }
}

pub fn oxigraph() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .map(|dir| dir.join("oxigraph"))
        .find(|candidate| candidate.is_file())
        .expect("the oxigraph server is not on PATH: scripts/setup --test installs it (pip)")
}

/// Loads `nquads` into a new store of the engine and serves it, read-only or not.
pub fn start_engine(kind: Kind, nquads: &[u8], writable: bool) -> Engine {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data.nq");
    std::fs::write(&data, nquads).unwrap();
    if kind == Kind::Virtuoso {
        return start_virtuoso(dir, data, writable);
    }
    let store = dir.path().join("store");
    let loaded = Command::new(oxigraph())
        .arg("load")
        .arg("--location")
        .arg(&store)
        .arg("--file")
        .arg(&data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(loaded.success(), "oxigraph load failed");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // Under a shell that stops it once its input closes (see `Drop for Engine`).
    let child = Command::new("sh")
        .arg("-c")
        .arg("\"$@\" & server=$!; cat > /dev/null; kill $server; wait $server")
        .arg("sh")
        .arg(oxigraph())
        .arg(if writable { "serve" } else { "serve-read-only" })
        .arg("--location")
        .arg(&store)
        // dealgraph's queries read the union of the graphs as the default graph, as Virtuoso,
        // GraphDB and Neptune do by default.
        .arg("--union-default-graph")
        .arg("--bind")
        .arg(format!("127.0.0.1:{port}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let engine = Engine {
        kind,
        child,
        query_url: url::Url::parse(&format!("http://127.0.0.1:{port}/query")).unwrap(),
        update_url: writable
            .then(|| url::Url::parse(&format!("http://127.0.0.1:{port}/update")).unwrap()),
        store_url: writable
            .then(|| url::Url::parse(&format!("http://127.0.0.1:{port}/store")).unwrap()),
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let up = client()
            .get(engine.query_url.clone())
            .query(&[("query", "ASK {}")])
            .send()
            .is_ok_and(|r| r.status().is_success());
        if up {
            return engine;
        }
        assert!(
            Instant::now() < deadline,
            "the engine did not start in 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn remote_config(engine: &Engine) -> RemoteConfig {
    RemoteConfig {
        query_url: engine.query_url.clone(),
        update_url: engine.update_url.clone(),
        // Where the engine has one, writes that only add go there (Oxigraph server): the
        // writes below then take both ways to the engine.
        store_url: engine.store_url.clone(),
        auth: RemoteAuth::None,
        timeout: Duration::from_secs(30),
        max_idle_connections: 4,
        // Oxigraph server has no timeout parameter and ignores one it does not know: sent, it
        // shows that an engine-specific parameter does not get in the way.
        timeout_param: Some("timeout:ms".parse().unwrap()),
    }
}
