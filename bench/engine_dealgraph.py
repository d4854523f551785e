"""dealgraph as an engine of the side-by-side benchmark, with the same interface as the peers in
engines_peers.py: load into a fresh on-disk store, start on it, read its peak RSS, stop.

The load is `dealgraph load --bulk` into a store seeded with the ontology only: oxigraph's bulk
loader, then inference, the SHACL shapes and the search index, all counted in the load time.
"""

from __future__ import annotations

import atexit
import json
import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

LOCALHOST = "127.0.0.1"
_live: set["Dealgraph"] = set()


@atexit.register
def _stop_all() -> None:
    for engine in list(_live):
        engine.stop()


class Dealgraph:
    name = "dealgraph"

    def __init__(self, workdir: Path, port: int, binary: Path, repo: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.binary = Path(binary)
        self.repo = Path(repo)
        self.db = self.workdir / "db"
        self.base_url = f"http://{LOCALHOST}:{port}"
        self.sparql_url = f"{self.base_url}/sparql"
        self.process: subprocess.Popen | None = None
        self.log = self.workdir / "serve.log"

    def _env(self) -> dict:
        env = dict(os.environ)
        env["RUST_LOG"] = env.get("DEALGRAPH_BENCH_LOG", "warn")
        return env

    def load(self, nquads: Path) -> float:
        if self.db.exists():
            subprocess.run(["rm", "-rf", str(self.db)], check=True)
        started = time.perf_counter()
        result = subprocess.run(
            [
                str(self.binary), "load", "--db", str(self.db),
                "--seed-dir", str(self.repo / "ontology"), "--bulk", str(nquads),
            ],
            cwd=self.workdir, env=self._env(), capture_output=True, text=True, timeout=7200,
        )
        took = time.perf_counter() - started
        (self.workdir / "load.log").write_text(result.stdout + result.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"dealgraph load failed: {result.stderr[-2000:]}")
        return took

    def start(self, *extra: str) -> float:
        """Starts the server; `extra` arguments go to `dealgraph serve`."""
        started = time.perf_counter()
        log = open(self.log, "w")
        # Over a remote engine there is no store of its own to name.
        store = [] if "--backend" in extra else ["--db", str(self.db), "--no-seed"]
        self.process = subprocess.Popen(
            [
                str(self.binary), "serve", *store,
                "--bind", f"{LOCALHOST}:{self.port}",
                "--web-dir", str(self.repo / "web" / "dist"),
                # The peers run without a deadline or row cap; so does dealgraph here, within
                # its own limits' maximum, so no answer is cut short.
                "--query-timeout", "600", "--max-result-rows", "100000000",
                "--max-connections", "4096", *extra,
            ],
            cwd=self.workdir, env=self._env(), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _live.add(self)
        deadline = started + 600
        probe = f"{self.sparql_url}?query=ASK%7B%7D"
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dealgraph serve exited: {self.log.read_text()[-2000:]}")
            try:
                request = urllib.request.Request(
                    probe, headers={"Accept": "application/sparql-results+json"}
                )
                with urllib.request.urlopen(request, timeout=5) as response:
                    if response.status == 200:
                        answered = time.perf_counter() - started
                        self.index_checked_s = self._wait_for_the_index(started, deadline)
                        return answered
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("dealgraph serve did not answer within 600 s")

    def _wait_for_the_index(self, started: float, deadline: float) -> float:
        """Seconds from spawn until `/ready` says the search index was read against the store.

        The server answers before that (start-up is its first answer), but the cards read the
        store until then: the views are measured once it is done.
        """
        while time.perf_counter() < deadline:
            with urllib.request.urlopen(f"http://{LOCALHOST}:{self.port}/ready", timeout=5) as r:
                state = json.load(r).get("search_index")
            if state in (None, "ready"):
                return time.perf_counter() - started
            if state == "unchecked":
                raise RuntimeError(f"dealgraph could not check its search index: see {self.log}")
            time.sleep(0.02)
        raise RuntimeError("dealgraph did not check its search index within 600 s")

    def pids(self) -> list[int]:
        return [self.process.pid] if self.process and self.process.poll() is None else []

    def peak_rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
        return total

    def stop(self) -> None:
        process, self.process = self.process, None
        _live.discard(self)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class DealgraphRemote:
    """dealgraph served over a remote engine (`serve --backend sparql`): an Oxigraph server
    holding what `dealgraph load --bulk` made of the same data, derived graph included, and a
    dealgraph in front of it. Its figures beside the embedded dealgraph's are the remote path's
    cost.

    The load is the embedded load, then `dealgraph dump` and Oxigraph's own load of the dump;
    the start-up is the engine's and dealgraph's (which builds its search index from the engine);
    the peak RSS is both processes'."""

    name = "dealgraph-remote"

    def __init__(self, workdir: Path, port: int, binary: Path, repo: Path, engine):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.binary = Path(binary)
        self.engine = engine
        self.front = Dealgraph(self.workdir / "front", port, binary, repo)
        self.base_url = self.front.base_url
        self.sparql_url = self.front.sparql_url

    def load(self, nquads: Path) -> float:
        started = time.perf_counter()
        self.front.load(nquads)
        dump = self.workdir / "dump.nq"
        with open(dump, "wb") as out:
            subprocess.run(
                [str(self.binary), "dump", "--db", str(self.front.db), "--format", "nq"],
                stdout=out, check=True, timeout=7200, env=self.front._env(),
            )
        # The embedded store is only the way to the derived graph: disk is scarce.
        subprocess.run(["rm", "-rf", str(self.front.db), f"{self.front.db}.search"], check=True)
        self.engine.load(dump)
        dump.unlink()
        return time.perf_counter() - started

    def start(self, *extra: str) -> float:
        started = time.perf_counter()
        self.engine.start()
        query_url = self.engine.sparql_url.rsplit("/", 1)[0] + "/query"
        self.front.start("--backend", "sparql", "--query-url", query_url, *extra)
        return time.perf_counter() - started

    def pids(self) -> list[int]:
        return self.front.pids() + self.engine.pids()

    def peak_rss_kib(self) -> int:
        return self.front.peak_rss_kib() + self.engine.peak_rss_kib()

    def stop(self) -> None:
        self.front.stop()
        self.engine.stop()
