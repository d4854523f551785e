#!/usr/bin/env python3
"""The side-by-side benchmark: dealgraph, Oxigraph server and Virtuoso, in one run, on 127.0.0.1.

For each size it generates the same synthetic graph (`dealgraph generate`), loads it into every
engine with that engine's bulk loader, starts each on its persisted store and measures the
workload in bench/workload: every query's median and p95 latency over HTTP, throughput at
concurrency 1 and 16 (wrk, for a fixed duration), peak RSS and start-up time; for dealgraph also
the same questions through its exploration API. It checks that every engine returns the same
answers and that the API agrees with them, prints the tables with the ratio dealgraph/peer, and
writes everything measured to a JSON file. Every server it starts is stopped, also on failure.

    bench/run --triples 100000,1000000

Standard library only; wrk from Debian for the throughput.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
from decimal import Decimal, InvalidOperation
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from engine_dealgraph import Dealgraph, DealgraphRemote  # noqa: E402
from engines_peers import OxigraphServer, Virtuoso  # noqa: E402

JSON_RESULTS = "application/sparql-results+json"
ID = "https://w3id.org/dealgraph/id/"
# A query slower than this gets no throughput run: a few requests in wrk's window say no more
# than its latency does.
SLOW_MS = 2000
# A query slower than this is measured once: its first answer is its latency.
SINGLE_MS = 10_000

# The API request answering the same question as each workload query.
API = {
    "01-search": "/api/search?q={term}&limit=10",
    "02-card-entity": "/api/entity/{entity_id}",
    "03-card-hub": "/api/entity/{hub_id}",
    "04-neighbours-1": "/api/graph?focus={entity_id}&depth=1",
    "05-neighbours-2": "/api/graph?focus={entity_id}&depth=2",
    "06-top-investors": "/api/rankings?role=investor&limit=10",
    "07-paths": "/api/paths?from={from_id}&to={to_id}",
    "08-timeline": "/api/timeline?entity={entity_id}",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--triples", default="1000000",
                        help="comma-separated sizes (default 1000000)")
    parser.add_argument("--engines", default="dealgraph,oxigraph,virtuoso")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--samples", type=int, default=30,
                        help="timed requests per query (after 3 warm-ups)")
    parser.add_argument("--budget", type=float, default=20.0,
                        help="most seconds of timed requests per query; at least 5 are taken")
    parser.add_argument("--duration", type=int, default=5,
                        help="seconds of each wrk run (0: no throughput runs)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/dealgraph-bench"))
    parser.add_argument("--binary", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--port", type=int, default=17870)
    parser.add_argument("--query-timeout", type=float, default=120.0,
                        help="seconds a query may take before it is recorded as unanswered")
    args = parser.parse_args()

    Client.timeout = args.query_timeout
    engines = args.engines.split(",")
    sizes = [int(s) for s in args.triples.split(",")]
    workload = sorted(HERE.glob("workload/*.rq"))
    run = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join(["bench/run"] + sys.argv[1:]),
        "sizes": {},
    }
    for size in sizes:
        run["sizes"][str(size)] = measure_size(args, size, engines, workload)
        report(run["sizes"][str(size)], size)
    out = args.out or args.workdir / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(run, indent=1))
    print(f"\nall figures: {out}")
    if len(sizes) > 1:
        report_growth(run, sizes)
    return 0


def machine() -> dict:
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // (1024 * 1024)} GiB"
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": mem, "kernel": platform.release()}


def generate(args, size: int) -> tuple[Path, dict]:
    """The data file and what the workload starts from, read off the generator's summary."""
    data = args.workdir / f"generated-{size}-seed{args.seed}.nq"
    summary_file = data.with_suffix(".summary")
    if not (data.exists() and summary_file.exists()):
        result = subprocess.run(
            [str(args.binary), "generate", "--triples", str(size), "--seed", str(args.seed),
             "--out", str(data)],
            capture_output=True, text=True, check=True, timeout=3600,
        )
        summary_file.write_text(result.stderr)
    summary = summary_file.read_text()
    params: dict = {}
    for line in summary.splitlines():
        parts = line.split("\t")
        if parts[0] == "hub" and "hub" not in params:
            params["hub"] = parts[1].strip("<>")
        elif parts[0] == "typical":
            params["entity"] = parts[1].strip("<>")
            params["term"] = parts[3].split()[0].lower()
        elif parts[0] == "path":
            chain = [p.strip("<>") for p in parts[2].split()]
            params["from"], params["to"] = chain[0], chain[-1]
            params["path_length"] = int(parts[1])
        elif line.startswith("generated"):
            params["triples"] = int(line.split()[1])
    for key in ("entity", "hub", "from", "to"):
        params[f"{key}_id"] = params[key].removeprefix(ID)
    return data, params


def fill(template: str, params: dict) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: str(params[m.group(1)]), template)


# --------------------------------------------------------------------------- HTTP measurement

class Client:
    """One keep-alive connection, as a client library holds one."""

    timeout = 120.0

    def __init__(self, base_url: str):
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def reconnect(self) -> None:
        self.connection.close()
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def get(self, path: str, accept: str) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                self.connection.request("GET", path, headers={"Accept": accept})
                response = self.connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, ConnectionError):
                # The server closed the keep-alive connection: open another, once.
                self.reconnect()
                if attempt:
                    raise
        raise AssertionError("unreachable")


def sparql_path(url: str, query: str) -> str:
    return urllib.parse.urlsplit(url).path + "?" + urllib.parse.urlencode({"query": query})


def latency(client: Client, path: str, accept: str, samples: int, budget: float) -> dict:
    """Warm-up, then timed requests: median and p95 in milliseconds, and the last body."""
    body = b""
    first_ms = None
    for _ in range(3):
        started = time.perf_counter()
        try:
            status, body = client.get(path, accept)
        except TimeoutError:
            client.reconnect()
            return {"error": f"no answer within {client.timeout:.0f} s"}
        if first_ms is None:
            first_ms = (time.perf_counter() - started) * 1000
        if status != 200:
            return {"error": f"HTTP {status}: {body[:300].decode(errors='replace')}"}
        if first_ms > SINGLE_MS:
            # So slow that one answer is the measurement.
            return {"first_ms": first_ms, "p50_ms": first_ms, "p95_ms": first_ms, "n": 1,
                    "body": body}
    times = []
    spent_until = time.perf_counter() + budget
    for i in range(samples):
        started = time.perf_counter()
        try:
            status, body = client.get(path, accept)
        except TimeoutError:
            client.reconnect()
            break
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            return {"error": f"HTTP {status}: {body[:300].decode(errors='replace')}"}
        if i >= 4 and time.perf_counter() > spent_until:
            break
    if not times:
        return {"error": f"no answer within {client.timeout:.0f} s"}
    times.sort()
    return {
        "first_ms": first_ms,
        "p50_ms": statistics.median(times),
        "p95_ms": times[min(len(times) - 1, math.ceil(0.95 * len(times)) - 1)],
        "n": len(times),
        "body": body,
    }


def throughput(url: str, accept: str, connections: int, duration: int, p50_ms: float) -> dict:
    """Requests per second with wrk: `connections` connections for `duration` seconds, or long
    enough for each connection to complete a request or two at the query's median latency."""
    duration = max(duration, math.ceil(2 * p50_ms * connections / 1000))
    threads = min(connections, 2)
    result = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
         "--timeout", "60s", "-H", f"Accept: {accept}", url],
        capture_output=True, text=True, timeout=duration + 120,
    )
    out = result.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "seconds": duration,
        "rps": float(rps.group(1)) if rps else None,
        "requests": int(total.group(1)) if total else 0,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(0) if errors else None,
    }


def measure_all(args, engine, queries: dict, params: dict, api: bool):
    """Each workload question, as SPARQL on the engine's endpoint or through dealgraph's API:
    its latency, then (unless slow) its throughput at 1 and 16 connections. Yields the
    question's name, its figures and the last answer's body (None when it failed)."""
    if api:
        client, accept = Client(engine.base_url), "application/json"
    else:
        client, accept = Client(engine.sparql_url), JSON_RESULTS
    for qname, query in queries.items():
        if api:
            path = fill(API[qname].replace("{", "{{").replace("}", "}}"), params)
        else:
            path = sparql_path(engine.sparql_url, query)
        measured = latency(client, path, accept, args.samples, args.budget)
        body = measured.pop("body", None)
        if args.duration and measured.get("p50_ms", 1e9) <= SLOW_MS:
            url = f"http://{client.host}:{client.port}{path}"
            for connections in (1, 16):
                measured[f"c{connections}"] = throughput(
                    url, accept, connections, args.duration, measured["p50_ms"])
        yield qname, measured, body


# --------------------------------------------------------------------------- answers

def normal_term(term: dict | None):
    """A value as every engine means it: numbers by value, dates and strings by text."""
    if term is None:
        return None
    value = term["value"]
    datatype = term.get("datatype", "")
    if term["type"] in ("literal", "typed-literal") and re.search(
        r"#(decimal|integer|double|float|long|int|nonNegativeInteger)$", datatype
    ):
        try:
            number = Decimal(value)
            return format(number.normalize(), "f") if number == number.to_integral() else str(
                round(float(number), 6))
        except InvalidOperation:
            return value
    return value


def answers(body: bytes) -> list[tuple]:
    """The rows of a SPARQL JSON result, normalised, in the order given."""
    data = json.loads(body)
    names = data["head"]["vars"]
    return [tuple(normal_term(row.get(n)) for n in names) for row in data["results"]["bindings"]]


def api_answer(name: str, body: bytes) -> dict:
    """What the API's answer can be checked against the SPARQL answer by."""
    data = json.loads(body)
    if name == "01-search":
        return {"entities": [hit["iri"] for hit in data.get("hits", data.get("results", []))]}
    if name.startswith("02") or name.startswith("03"):
        return {"facts_total": data["facts_total"]}
    if name.startswith("04") or name.startswith("05"):
        return {"nodes": sorted(n["iri"] for n in data["nodes"]),
                "truncated": data.get("truncated")}
    if name.startswith("06"):
        return {"ranked": [(r["iri"], round(r["total"], 2)) for r in data["ranked"]]}
    if name.startswith("07"):
        return {"length": data.get("length"), "paths": len(data.get("paths", [])),
                "truncated": data.get("truncated")}
    if name.startswith("08"):
        return {"events": len(data["events"])}
    return {}


def agree(name: str, rows: list[tuple], api: dict, params: dict) -> str | None:
    """Whether the API's answer agrees with the SPARQL one; None when it does, else why not."""
    if name == "01-search":
        return None if params["entity"] in api["entities"] else (
            f"{params['entity']} not among the API's hits")
    if name.startswith("02") or name.startswith("03"):
        facts = len({r[0] for r in rows})
        return None if facts == api["facts_total"] else (
            f"SPARQL names {facts} facts, the API's facts_total is {api['facts_total']}")
    if name.startswith("04"):
        expected = sorted({r[1] for r in rows} | {params["entity"]})
        return None if expected == api["nodes"] else (
            f"SPARQL: {len(expected)} nodes, the API: {len(api['nodes'])}")
    if name.startswith("05"):
        return "not compared: the API keeps the 150 nodes nearest by its own order, the query the first 150 by IRI"
    if name.startswith("06"):
        expected = [(r[0], round(float(r[1]), 2)) for r in rows]
        return None if expected == api["ranked"] else f"SPARQL {expected[:3]}…, API {api['ranked'][:3]}…"
    if name.startswith("07"):
        return None if api["length"] == params["path_length"] and api["paths"] > 0 else (
            f"the API's shortest path has length {api['length']}, the generator's {params['path_length']}")
    if name.startswith("08"):
        facts = len({r[0] for r in rows})
        return None if facts == api["events"] else (
            f"SPARQL: {facts} dated facts, the API: {api['events']} events")
    return None


# --------------------------------------------------------------------------- one size

def make_engine(name: str, args, size: int, index: int):
    workdir = args.workdir / f"{name}-{size}"
    port = args.port + 10 * index
    if name == "dealgraph":
        return Dealgraph(workdir, port, args.binary.resolve(), REPO)
    if name == "dealgraph-remote":
        engine = OxigraphServer(workdir / "engine", port + 2)
        return DealgraphRemote(workdir, port, args.binary.resolve(), REPO, engine)
    if name == "oxigraph":
        return OxigraphServer(workdir, port)
    if name == "virtuoso":
        return Virtuoso(workdir, port)
    raise SystemExit(
        f"unknown engine {name!r}: dealgraph, dealgraph-remote, oxigraph or virtuoso")


def measure_size(args, size: int, engines: list[str], workload: list[Path]) -> dict:
    args.workdir.mkdir(parents=True, exist_ok=True)
    data, params = generate(args, size)
    print(f"\n## {params['triples']:,} triples ({data})", flush=True)
    queries = {q.stem: fill(q.read_text(), params) for q in workload}
    result = {"params": params, "engines": {}, "answers": {}, "api_checks": {}}
    rows_by_engine: dict[str, dict[str, list]] = {}
    for index, name in enumerate(engines):
        engine = make_engine(name, args, size, index)
        figures: dict = {"queries": {}, "api": {}}
        try:
            print(f"- {name}: loading", flush=True)
            figures["load_s"] = engine.load(data)
            figures["load_triples_per_s"] = params["triples"] / figures["load_s"]
            figures["startup_s"] = engine.start()
            if hasattr(engine, "index_checked_s"):
                figures["index_checked_s"] = engine.index_checked_s
            rows_by_engine[name] = {}
            for qname, measured, body in measure_all(args, engine, queries, params, api=False):
                if body is not None:
                    rows_by_engine[name][qname] = answers(body)
                    measured["rows"] = len(rows_by_engine[name][qname])
                figures["queries"][qname] = measured
                print(f"  {qname}: {brief(measured)}", flush=True)
            if name in ("dealgraph", "dealgraph-remote"):
                for qname, measured, body in measure_all(args, engine, queries, params, api=True):
                    checks = result.setdefault("api_checks" if name == "dealgraph"
                                               else f"api_checks_{name}", {})
                    if body is not None and qname in rows_by_engine[name]:
                        check = agree(qname, rows_by_engine[name][qname],
                                      api_answer(qname, body), params)
                        checks[qname] = check or "agrees"
                    figures["api"][qname] = measured
                    print(f"  API {qname}: {brief(measured)}; {checks.get(qname)}", flush=True)
            figures["peak_rss_kib"] = engine.peak_rss_kib()
            if name == "dealgraph":
                # The same SPARQL and views again with no answers kept: what evaluation costs.
                engine.stop()
                figures["startup_again_s"] = engine.start("--result-cache-mb", "0")
                for kind, api in (("queries_uncached", False), ("api_uncached", True)):
                    figures[kind] = {}
                    for qname, measured, _ in measure_all(args, engine, queries, params, api):
                        figures[kind][qname] = measured
                        print(f"  uncached {'API ' if api else ''}{qname}: {brief(measured)}",
                              flush=True)
                figures["peak_rss_uncached_kib"] = engine.peak_rss_kib()
        except Exception as error:  # noqa: BLE001 - recorded, the other engines still run
            figures["error"] = str(error)
            print(f"  {name} failed: {error}", flush=True)
        finally:
            engine.stop()
        result["engines"][name] = figures
        # Each engine's store is kept for the next run's start-up only if asked; disk is scarce.
        shutil.rmtree(args.workdir / f"{name}-{size}", ignore_errors=True)
    for qname in queries:
        reference = None
        verdict = "same"
        for name, rows in rows_by_engine.items():
            if qname not in rows:
                continue
            if reference is None:
                reference = (name, rows[qname])
            elif sorted(map(repr, rows[qname])) != sorted(map(repr, reference[1])):
                verdict = (f"differs: {reference[0]} {len(reference[1])} rows, "
                           f"{name} {len(rows[qname])} rows")
                first = next((r for r in rows[qname] if r not in reference[1]), None)
                if first:
                    verdict += f"; e.g. {name} has {first}"
        result["answers"][qname] = verdict
    return result


def brief(m: dict) -> str:
    if "error" in m:
        return m["error"]
    text = f"p50 {m['p50_ms']:.2f} ms, p95 {m['p95_ms']:.2f} ms (n={m['n']})"
    if "rows" in m:
        text += f", {m['rows']} rows"
    if "c1" in m:
        text += f", {m['c1']['rps']} req/s at 1, {m['c16']['rps']} at 16"
        if m["c16"]["non_2xx"] or m["c1"]["non_2xx"]:
            text += f" ({m['c1']['non_2xx']}+{m['c16']['non_2xx']} non-2xx)"
    return text


# --------------------------------------------------------------------------- report

def ratio(ours, theirs) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "–"
    return f"{ours / theirs:.2f}"


def fmt(value, unit="") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}{unit}" if value < 100 else f"{value:,.0f}{unit}"
    return f"{value:,}{unit}"


def report(result: dict, size: int) -> None:
    engines = result["engines"]
    peers = [e for e in engines if e != "dealgraph"]
    ours = engines.get("dealgraph", {})
    print(f"\n### {result['params']['triples']:,} triples\n")
    header = ["Figure"] + list(engines) + [f"dealgraph/{p}" for p in peers]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))

    def line(label, get, unit=""):
        values = [get(engines[e]) for e in engines]
        cells = [fmt(v, unit) for v in values] + [ratio(get(ours), get(engines[p])) for p in peers]
        print("| " + " | ".join([label] + cells) + " |")

    line("load, s", lambda f: f.get("load_s"))
    line("load, triples/s", lambda f: f.get("load_triples_per_s"))
    line("start-up, s", lambda f: f.get("startup_s"))
    line("search index checked, s", lambda f: f.get("index_checked_s"))
    line("peak RSS, MiB", lambda f: f.get("peak_rss_kib") and f["peak_rss_kib"] / 1024)
    for qname in result["answers"]:
        q = lambda f, k: f.get("queries", {}).get(qname, {}).get(k)  # noqa: E731
        line(f"{qname} first request, ms", lambda f: q(f, "first_ms"))
        line(f"{qname} p50, ms", lambda f: q(f, "p50_ms"))
        line(f"{qname} p95, ms", lambda f: q(f, "p95_ms"))
        line(f"{qname} req/s at 1", lambda f: (q(f, "c1") or {}).get("rps"))
        line(f"{qname} req/s at 16", lambda f: (q(f, "c16") or {}).get("rps"))
    if "queries_uncached" in ours:
        print("\ndealgraph's SPARQL with no answers kept (`--result-cache-mb 0`), against the "
              "peers:\n")
        print("| Query | p50, ms | p95, ms | req/s at 1 | req/s at 16 | "
              + " | ".join(f"p50 / {p}'s" for p in peers) + " | "
              + " | ".join(f"req/s at 16 / {p}'s" for p in peers) + " |")
        print("|---|---|---|---|---|" + "---|" * (2 * len(peers)))
        for qname, m in ours["queries_uncached"].items():
            if "error" in m:
                print(f"| {qname} | {m['error']} |")
                continue
            c16 = (m.get("c16") or {}).get("rps")
            cells = [ratio(m["p50_ms"], engines[p].get("queries", {}).get(qname, {}).get("p50_ms"))
                     for p in peers]
            cells += [ratio(c16, (engines[p].get("queries", {}).get(qname, {}).get("c16") or {})
                            .get("rps")) for p in peers]
            print(f"| {qname} | {m['p50_ms']:.2f} | {m['p95_ms']:.2f} | "
                  f"{fmt((m.get('c1') or {}).get('rps'))} | {fmt(c16)} | " + " | ".join(cells) + " |")
    print("\nThe API against the best peer's SPARQL (ratio = best peer p50 / API p50: how many "
          "times faster the API is):\n")
    print("| View | API p50, ms | API p95, ms | API req/s at 16 | no answers kept: p50, ms | "
          "req/s at 16 | best peer | its p50, ms | times faster | times faster, none kept | "
          "agrees with SPARQL |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for qname, m in ours.get("api", {}).items():
        if "error" in m:
            print(f"| {qname} | {m['error']} |")
            continue
        cold = ours.get("api_uncached", {}).get(qname, {})
        best = min(
            ((p, engines[p]["queries"][qname]["p50_ms"]) for p in peers
             if "p50_ms" in engines[p].get("queries", {}).get(qname, {})),
            key=lambda x: x[1], default=(None, None),
        )
        print(f"| {qname} | {m['p50_ms']:.2f} | {m['p95_ms']:.2f} | "
              f"{fmt((m.get('c16') or {}).get('rps'))} | {fmt(cold.get('p50_ms'))} | "
              f"{fmt((cold.get('c16') or {}).get('rps'))} | {best[0] or '–'} | {fmt(best[1])} | "
              f"{ratio(best[1], m['p50_ms'])} | {ratio(best[1], cold.get('p50_ms'))} | "
              f"{result['api_checks'].get(qname, '–')} |")
    remote = engines.get("dealgraph-remote", {})
    if remote.get("api"):
        print("\nThe API over a remote engine (`serve --backend sparql` over Oxigraph server "
              "holding the same data) against the embedded store's, no answers kept in either:\n")
        print("| View | embedded p50, ms | remote p50, ms | remote / embedded | remote req/s at 16 "
              "| agrees with its SPARQL |")
        print("|---|---|---|---|---|---|")
        for qname, m in remote["api"].items():
            if "error" in m:
                print(f"| {qname} | {m['error']} |")
                continue
            embedded = ours.get("api_uncached", {}).get(qname, {}).get("p50_ms")
            print(f"| {qname} | {fmt(embedded)} | {m['p50_ms']:.2f} | "
                  f"{ratio(m['p50_ms'], embedded)} | {fmt((m.get('c16') or {}).get('rps'))} | "
                  f"{result.get('api_checks_dealgraph-remote', {}).get(qname, '–')} |")
    print("\nSame answers from every engine:\n")
    for qname, verdict in result["answers"].items():
        print(f"- {qname}: {verdict}")


def report_growth(run: dict, sizes: list[int]) -> None:
    print("\n### How cost grows (p50 ms of dealgraph's API and SPARQL; load s)\n")
    print("| Figure | " + " | ".join(f"{s:,}" for s in sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    first = run["sizes"][str(sizes[0])]
    for engine in first["engines"]:
        print(f"| {engine} load, s | " + " | ".join(
            fmt(run["sizes"][str(s)]["engines"].get(engine, {}).get("load_s")) for s in sizes) + " |")
    for qname in first["answers"]:
        print(f"| API {qname} | " + " | ".join(
            fmt(run["sizes"][str(s)]["engines"].get("dealgraph", {}).get("api", {}).get(qname, {}).get("p50_ms"))
            for s in sizes) + " |")


if __name__ == "__main__":
    sys.exit(main())
