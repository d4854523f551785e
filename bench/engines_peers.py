#!/usr/bin/env python3
"""Peer SPARQL engines for the side-by-side benchmark: Oxigraph server and Virtuoso.

Standard library only (Python 3.11). Each engine keeps all of its state under the
``workdir`` it is given, binds to 127.0.0.1 only, and runs as a child of this
process. The interface, the same for both classes::

    engine = OxigraphServer(workdir, port)      # or Virtuoso(workdir, port)
    load_s = engine.load(Path("data.nq"))       # fresh store; wall seconds of the load
    start_s = engine.start()                    # wall seconds from spawn to an answered ASK {}
    engine.sparql_url                           # http://127.0.0.1:PORT/sparql
    engine.pids(); engine.peak_rss_kib()        # VmHWM summed; read it before stop()
    engine.stop()                               # clean, bounded, idempotent; also at exit

A query without FROM/GRAPH sees the union of all graphs on both engines (Oxigraph:
--union-default-graph; Virtuoso: its default, which also takes in Virtuoso's own
system graphs). Send queries by GET ?query= or by a form POST: Virtuoso 7.2.5 never
answers a POST of application/sparql-query. bench/README.md ("The peers") has these quirks
and the others that matter when comparing answers.

Run as a script for the smoke test that bench/README.md reports::

    python3 bench/engines_peers.py /tmp/g100k.nq --workdir /tmp/peers
"""

from __future__ import annotations

import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

__all__ = ["EngineError", "OxigraphServer", "Virtuoso", "ENGINES", "sparql_json"]

JSON_RESULTS = "application/sparql-results+json"
LOCALHOST = "127.0.0.1"


class EngineError(RuntimeError):
    """An engine failed to load, start or stop; the message ends with its log tail."""


# --------------------------------------------------------------------------- helpers

_live: set["_Engine"] = set()  # engines with a server process, stopped at exit


@atexit.register
def _stop_all() -> None:
    for engine in list(_live):
        try:
            engine.stop()
        except Exception as exc:  # best effort at exit
            print(f"engines_peers: stopping {engine.name} at exit: {exc}", file=sys.stderr)


def _pdeathsig(sig: int):
    """A preexec_fn giving the child `sig` when the thread that spawned it dies, so a
    harness killed by a signal (no atexit) leaves no server behind. Spawn engines
    from a long-lived thread (the main thread): the signal follows the thread."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None

    def set_it() -> None:
        libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG

    return set_it


def _tail(path: Path, lines: int = 40) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(no log: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((LOCALHOST, port)) != 0


def _vmhwm_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sparql_json(url: str, query: str, *, how: str = "get", timeout: float = 600.0) -> dict:
    """Run `query` at `url` asking for SPARQL JSON results; return the parsed JSON.

    how: "get" (?query=), "form" (POST application/x-www-form-urlencoded) or
    "direct" (POST application/sparql-query; Virtuoso 7.2.5 hangs on it).
    """
    accept = {"Accept": JSON_RESULTS}
    if how == "get":
        req = urllib.request.Request(f"{url}?{urllib.parse.urlencode({'query': query})}",
                                     headers=accept)
    elif how == "form":
        req = urllib.request.Request(
            url, data=urllib.parse.urlencode({"query": query}).encode(), method="POST",
            headers={**accept, "Content-Type": "application/x-www-form-urlencoded"})
    elif how == "direct":
        req = urllib.request.Request(
            url, data=query.encode("utf-8"), method="POST",
            headers={**accept, "Content-Type": "application/sparql-query"})
    else:
        raise ValueError(f"how={how!r}")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read())


class _Engine:
    name = "?"
    stop_timeout = 60.0    # seconds for the clean stop before SIGKILL
    start_timeout = 600.0  # seconds from spawn to the first answered ASK {}
    load_timeout = 6 * 3600.0
    pdeathsig = signal.SIGKILL

    def __init__(self, workdir: Path, port: int):
        self.workdir = Path(workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = int(port)
        self.sparql_url = f"http://{LOCALHOST}:{self.port}/sparql"
        self.proc: subprocess.Popen | None = None
        self._log_handle = None

    # overridden
    def _log_files(self) -> list[Path]:
        raise NotImplementedError

    def _request_stop(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    # shared
    def _fail(self, what: str) -> EngineError:
        tails = "\n".join(f"--- tail of {p}\n{_tail(p)}" for p in self._log_files())
        return EngineError(f"{self.name}: {what}\n{tails}")

    def _check_ports(self, ports: list[int]) -> None:
        busy = [p for p in ports if not _port_free(p)]
        if busy:
            raise EngineError(f"{self.name}: port(s) {busy} on {LOCALHOST} already in use")

    def _run(self, argv: list[str], log: Path, timeout: float) -> float:
        """Run a one-shot command (a loader) with output to `log`; return wall seconds."""
        with open(log, "ab") as out:
            out.write(f"\n$ {' '.join(argv)}\n".encode())
            out.flush()
            t0 = time.perf_counter()
            try:
                rc = subprocess.run(argv, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, timeout=timeout,
                                    preexec_fn=_pdeathsig(signal.SIGKILL)).returncode
            except subprocess.TimeoutExpired:
                raise self._fail(f"{argv[:2]} did not finish in {timeout:.0f} s") from None
            elapsed = time.perf_counter() - t0
        if rc != 0:
            raise self._fail(f"{' '.join(argv)} exited with {rc}")
        return elapsed

    def _spawn(self, argv: list[str], log: Path) -> None:
        if self.proc is not None and self.proc.poll() is None:
            raise EngineError(f"{self.name}: already running (pid {self.proc.pid})")
        self._log_handle = open(log, "ab")
        self._log_handle.write(f"\n$ {' '.join(argv)}\n".encode())
        self._log_handle.flush()
        self.proc = subprocess.Popen(
            argv, cwd=self.workdir, stdin=subprocess.DEVNULL,
            stdout=self._log_handle, stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the harness, which stops us cleanly
            preexec_fn=_pdeathsig(self.pdeathsig))
        _live.add(self)

    def _check_alive(self, during: str) -> None:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            err = self._fail(f"server exited (code {code}) {during}")
            self.stop()
            raise err

    def _wait_ask(self, t0: float) -> float:
        """Poll ASK {} over HTTP until it is answered true; return seconds since t0."""
        url = f"{self.sparql_url}?{urllib.parse.urlencode({'query': 'ASK {}'})}"
        req = urllib.request.Request(url, headers={"Accept": JSON_RESULTS})
        last = "no attempt"
        while True:
            self._check_alive("before answering ASK {}")
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    body = json.loads(resp.read())
                if body.get("boolean") is True:
                    return time.perf_counter() - t0
                last = f"unexpected answer {body!r}"
            except (urllib.error.URLError, OSError, ValueError) as exc:
                last = repr(exc)
            if time.perf_counter() - t0 > self.start_timeout:
                err = self._fail(f"no answer to ASK {{}} in {self.start_timeout:.0f} s ({last})")
                self.stop()
                raise err
            time.sleep(0.01)

    def pids(self) -> list[int]:
        if self.proc is not None and self.proc.poll() is None:
            return [self.proc.pid]
        return []

    def peak_rss_kib(self) -> int:
        return sum(_vmhwm_kib(pid) for pid in self.pids())

    def stop(self) -> None:
        proc = self.proc
        try:
            if proc is not None and proc.poll() is None:
                try:
                    self._request_stop()
                except Exception as exc:
                    print(f"engines_peers: {self.name}: stop request: {exc}", file=sys.stderr)
                try:
                    proc.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    print(f"engines_peers: {self.name} pid {proc.pid} still running "
                          f"{self.stop_timeout:.0f} s after the stop request: SIGKILL",
                          file=sys.stderr)
                    proc.kill()
                    proc.wait(timeout=30)
        finally:
            self.proc = None
            _live.discard(self)
            if self._log_handle is not None:
                self._log_handle.close()
                self._log_handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# --------------------------------------------------------------------------- Oxigraph


def _find_oxigraph() -> str:
    """The oxigraph ELF binary itself: a pyenv shim (a bash script re-running through
    `pyenv exec`) would add its own start-up to every measure."""
    candidates = [os.environ.get("OXIGRAPH_BIN"),
                  str(Path(sysconfig.get_path("scripts")) / "oxigraph"),
                  shutil.which("oxigraph")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            with open(c, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    return c
    if shutil.which("pyenv"):
        out = subprocess.run(["pyenv", "which", "oxigraph"], capture_output=True, text=True,
                             timeout=30)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    for c in candidates:
        if c and os.access(c, os.X_OK):
            return c
    raise EngineError("oxigraph: no `oxigraph` binary found (set OXIGRAPH_BIN)")


class OxigraphServer(_Engine):
    """Oxigraph's own HTTP server (`oxigraph serve`, RocksDB) with --union-default-graph."""

    name = "oxigraph"
    read_only = False            # True: `serve-read-only` instead of `serve`
    optimize_after_load = False  # True: also run `oxigraph optimize`, counted in load()

    def __init__(self, workdir: Path, port: int):
        super().__init__(workdir, port)
        self.binary = _find_oxigraph()
        self.store = self.workdir / "store"
        self.log = self.workdir / "oxigraph.log"

    def _log_files(self) -> list[Path]:
        return [self.log]

    def version(self) -> str:
        return subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                              timeout=30).stdout.strip()

    def load(self, nquads: Path) -> float:
        self.stop()
        nquads = Path(nquads).resolve()
        if not nquads.is_file():
            raise EngineError(f"{self.name}: no file {nquads}")
        if self.store.exists():
            shutil.rmtree(self.store)
        # The format comes from the extension (.nq: N-Quads, graph names kept).
        elapsed = self._run([self.binary, "load", "--location", str(self.store),
                             "--file", str(nquads)], self.log, self.load_timeout)
        if self.optimize_after_load:
            elapsed += self._run([self.binary, "optimize", "--location", str(self.store)],
                                 self.log, self.load_timeout)
        return elapsed

    def start(self) -> float:
        if not self.store.is_dir():
            raise EngineError(f"{self.name}: no store at {self.store}; load() first")
        self._check_ports([self.port])
        argv = [self.binary, "serve-read-only" if self.read_only else "serve",
                "--location", str(self.store), "--bind", f"{LOCALHOST}:{self.port}",
                "--union-default-graph"]
        t0 = time.perf_counter()
        self._spawn(argv, self.log)
        return self._wait_ask(t0)


# --------------------------------------------------------------------------- Virtuoso

VIRTUOSO_INI = """\
; Written by bench/engines_peers.py from Debian's /etc/virtuoso-opensource-7/virtuoso.ini
; (7.2.5); the changes are explained in bench/README.md ("The peers").
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = {host}:{sql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = {max_clients}
CheckpointInterval       = 60
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = {dirs_allowed}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
VADInstallDir            = {vad}/
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxMemPoolSize           = 200000000
MacSpotlight             = 0
MaxQueryMem              = 2G
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = {threads_per_query}
AsyncQueueMaxThreads     = 10
MaxSortedTopRows         = 100000000
; the Debian ini's "Uncomment next two lines if there is 4 GB system memory free"
NumberOfBuffers          = {buffers}
MaxDirtyBuffers          = {dirty_buffers}

[HTTPServer]
ServerPort                  = {host}:{port}
ServerRoot                  = {vsp}
MaxClientConnections        = {max_clients}
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
DefaultMailServer           = localhost:25
ServerThreads               = {max_clients}
MaxKeepAlives               = {max_clients}
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
MaintenancePage             = atomic.html
EnabledGzipContent          = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = {host}:{port}

[SPARQL]
; No DefaultGraph: a query without FROM/GRAPH ranges over all graphs.
; No row cap, no timeout, no refusal on the cost estimate (0 = off).
ResultSetMaxRows           = 1000000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 0
DefaultQuery               = ASK {{}}
DeferInferenceRulesInit    = 0
"""


class Virtuoso(_Engine):
    """Virtuoso Open Source 7 (Debian's virtuoso-t): HTTP on `port`, SQL on `port + 1`."""

    name = "virtuoso"
    binary = "/usr/bin/virtuoso-t"
    isql = "/usr/bin/isql-vt"
    user, password = "dba", "dba"            # a fresh database's own; 127.0.0.1 only
    buffers, dirty_buffers = 340000, 250000  # the ini comments' "4 GB system memory free"
    threads_per_query = os.cpu_count() or 2
    max_clients = 32                         # SQL and HTTP connections, HTTP threads
    init_timeout = 300.0                     # creating a fresh database
    pdeathsig = signal.SIGTERM               # SIGTERM: virtuoso-t's quick shutdown

    def __init__(self, workdir: Path, port: int):
        super().__init__(workdir, port)
        self.sql_port = self.port + 1
        self.db = self.workdir / "db"
        self.vsp = self.workdir / "vsp"  # empty HTTP root: /sparql is built in
        self.vad = self.workdir / "vad"  # empty: no Conductor auto-install on a fresh db
        self.ini = self.workdir / "virtuoso.ini"
        self.console = self.workdir / "virtuoso.console.log"
        self.errlog = self.db / "virtuoso.log"

    def _log_files(self) -> list[Path]:
        return [self.errlog, self.console]

    def version(self) -> str:
        out = subprocess.run([self.binary, "-?"], capture_output=True, text=True, timeout=30)
        return next((l.strip() for l in (out.stdout + out.stderr).splitlines()
                     if l.startswith("Version")), "?")

    def _write_ini(self, data_dir: Path | None) -> None:
        dirs = ["."] + ([str(data_dir)] if data_dir else [])
        for d in (self.db, self.vsp, self.vad):
            d.mkdir(parents=True, exist_ok=True)
        self.ini.write_text(VIRTUOSO_INI.format(
            db=self.db, vsp=self.vsp, vad=self.vad, host=LOCALHOST, port=self.port,
            sql_port=self.sql_port, dirs_allowed=", ".join(dirs), buffers=self.buffers,
            dirty_buffers=self.dirty_buffers, threads_per_query=self.threads_per_query,
            max_clients=self.max_clients))

    def _clear_stale_lock(self) -> None:
        lck = self.db / "virtuoso.lck"
        if not lck.exists():
            return
        m = re.search(r"\d+", lck.read_text(errors="replace"))
        if m and _pid_alive(int(m.group())):
            raise EngineError(f"{self.name}: {lck} is held by running pid {m.group()}")
        lck.unlink()

    def _spawn_server(self) -> None:
        self._check_ports([self.port, self.sql_port])
        self._clear_stale_lock()
        self._spawn([self.binary, "+foreground", "+configfile", str(self.ini)], self.console)

    def sql(self, statements: str, timeout: float = 600.0) -> str:
        """Run SQL through isql-vt, return its output; raise EngineError on `*** Error`."""
        argv = [self.isql, f"{LOCALHOST}:{self.sql_port}", self.user, self.password,
                "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT"]
        try:
            out = subprocess.run(argv, input=statements, capture_output=True, text=True,
                                 timeout=timeout, preexec_fn=_pdeathsig(signal.SIGKILL))
        except subprocess.TimeoutExpired:
            raise self._fail(f"isql did not finish in {timeout:.0f} s: {statements!r}") from None
        text = out.stdout + out.stderr
        if out.returncode != 0 or "*** Error" in text:
            raise self._fail(f"isql (exit {out.returncode}) on {statements!r}:\n{text}")
        return out.stdout

    def _wait_sql(self, t0: float, timeout: float) -> None:
        while True:
            self._check_alive("during start-up")
            if not _port_free(self.sql_port):
                try:
                    self.sql("select 1;", timeout=30)
                    return
                except EngineError:
                    pass
            if time.perf_counter() - t0 > timeout:
                err = self._fail(f"SQL port {self.sql_port} not answering in {timeout:.0f} s")
                self.stop()
                raise err
            time.sleep(0.1)

    def load(self, nquads: Path) -> float:
        """Fresh database, started (not timed); then the timed part: ld_dir,
        rdf_loader_run(), checkpoint; then load_list checked and the server stopped."""
        self.stop()
        nquads = Path(nquads).resolve()
        if not nquads.is_file():
            raise EngineError(f"{self.name}: no file {nquads}")
        if not nquads.name.endswith((".nq", ".nq.gz")):
            raise EngineError(f"{self.name}: {nquads.name}: the bulk loader keeps graph names "
                              "only for files named *.nq or *.nq.gz")
        for p in (self.db, self.vsp, self.vad):
            if p.exists():
                shutil.rmtree(p)
        self._write_ini(nquads.parent)
        self._spawn_server()
        try:
            self._wait_sql(time.perf_counter(), self.init_timeout)

            def lit(s: object) -> str:
                return "'" + str(s).replace("'", "''") + "'"

            t0 = time.perf_counter()
            self.sql(f"ld_dir({lit(nquads.parent)}, {lit(nquads.name)}, "
                     "'http://example.org/unused');")
            self.sql("rdf_loader_run();", timeout=self.load_timeout)
            self.sql("checkpoint;", timeout=self.load_timeout)
            elapsed = time.perf_counter() - t0
            errors = self.sql("SELECT ll_file, ll_error FROM DB.DBA.load_list "
                              "WHERE ll_error IS NOT NULL;")
            done = self.sql("SELECT COUNT(*) FROM DB.DBA.load_list "
                            "WHERE ll_state = 2 AND ll_error IS NULL;").split()
            if errors.strip() or done != ["1"]:
                listed = self.sql("SELECT ll_file, ll_state, ll_error FROM DB.DBA.load_list;")
                raise self._fail(f"bulk load failed; load_list:\n{listed}\nerrors:\n{errors}")
        finally:
            self.stop()
        return elapsed

    def _request_stop(self) -> None:
        # `shutdown;` checkpoints, then exits: the next start has nothing to roll forward.
        # SIGTERM is virtuoso-t's "quick shutdown" (no checkpoint), the fallback.
        assert self.proc is not None
        try:
            self.sql("shutdown;", timeout=min(30.0, self.stop_timeout))
        except EngineError:
            pass  # isql may see the connection drop as the server goes
        try:
            self.proc.wait(timeout=self.stop_timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)

    def start(self) -> float:
        if not (self.db / "virtuoso.db").is_file():
            raise EngineError(f"{self.name}: no database under {self.db}; load() first")
        self._write_ini(None)  # this instance's ports; DirsAllowed only matters to load()
        t0 = time.perf_counter()
        self._spawn_server()
        return self._wait_ask(t0)


ENGINES = {cls.name: cls for cls in (OxigraphServer, Virtuoso)}


# --------------------------------------------------------------------------- smoke test

SMOKE_QUERIES = {
    "count": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "values": "SELECT ?v WHERE { ?a <https://w3id.org/dealgraph/ontology#value> ?v } "
              "ORDER BY DESC(?v) LIMIT 3",
    "dates": "SELECT ?d WHERE { ?a <http://schema.org/datePublished> ?d } "
             "ORDER BY DESC(?d) LIMIT 1",
    "durations": "SELECT ?d WHERE { ?a <https://w3id.org/dealgraph/ontology#duration> ?d } "
                 "ORDER BY ?d LIMIT 1",
    "aggregates": "SELECT (SUM(?v) AS ?sum) (AVG(?v) AS ?avg) (MAX(?v) * 1 AS ?times1) "
                  "(1.5e6 AS ?double) "
                  "WHERE { ?a <https://w3id.org/dealgraph/ontology#value> ?v }",
}


def _smoke(nquads: Path, workdir: Path, ports: dict[str, int], wrk: bool) -> dict:
    report: dict = {}
    for name, cls in ENGINES.items():
        eng = cls(workdir / name, ports[name])
        r = report[name] = {"version": eng.version(), "sparql_url": eng.sparql_url}
        try:
            r["load_s"] = round(eng.load(nquads), 3)
            r["start_s"] = round(eng.start(), 3)
            r["answers"] = {k: sparql_json(eng.sparql_url, q)
                            for k, q in SMOKE_QUERIES.items()}
            if wrk and shutil.which("wrk"):
                out = subprocess.run(
                    ["wrk", "-t1", "-c1", "-d3s", "-H", f"Accept: {JSON_RESULTS}",
                     f"{eng.sparql_url}?query=ASK%7B%7D"],
                    capture_output=True, text=True, timeout=60)
                r["wrk"] = out.stdout + out.stderr
            for how in ("form", "direct"):  # after wrk: Virtuoso spins on "direct"
                try:
                    ans = sparql_json(eng.sparql_url, "ASK {}", how=how, timeout=5)
                    r[f"post_{how}"] = ans.get("boolean")
                except Exception as exc:
                    r[f"post_{how}"] = f"failed: {exc!r}"
            r["pids"] = eng.pids()
            r["peak_rss_kib"] = eng.peak_rss_kib()
        finally:
            eng.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(description="Smoke test of the peer engines.")
    ap.add_argument("nquads", type=Path)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/peers"))
    ap.add_argument("--oxigraph-port", type=int, default=17878)
    ap.add_argument("--virtuoso-port", type=int, default=18890, help="HTTP; SQL on +1")
    ap.add_argument("--no-wrk", action="store_true")
    a = ap.parse_args(argv)
    report = _smoke(a.nquads, a.workdir,
                    {"oxigraph": a.oxigraph_port, "virtuoso": a.virtuoso_port},
                    wrk=not a.no_wrk)
    wrk_out = {k: v.pop("wrk", None) for k, v in report.items()}
    print(json.dumps(report, indent=1, ensure_ascii=False))
    for k, v in wrk_out.items():
        if v:
            print(f"--- wrk against {k}\n{v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
