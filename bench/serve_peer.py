"""Serves one peer engine for as long as its standard input stays open: loads an N-Quads file
into it (a fresh store), starts it on 127.0.0.1, prints its SPARQL query URL and update URL on
one line, and stops it when standard input closes (or this process is killed: engines_peers.py
stops its servers then too).

tests/remote.rs runs dealgraph over Virtuoso through it, so that the test and the benchmark
start Virtuoso the same way, with the quirks engines_peers.py handles.

    python3 bench/serve_peer.py virtuoso DATA.nq --workdir DIR --port PORT [--writable]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engines_peers import OxigraphServer, Virtuoso  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=["virtuoso", "oxigraph"])
    parser.add_argument("nquads", type=Path)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--writable", action="store_true",
                        help="let SPARQL updates through the HTTP endpoint")
    args = parser.parse_args()
    if args.engine == "virtuoso":
        engine = Virtuoso(args.workdir, args.port)
        # A test's data, not a benchmark's: a small buffer pool starts fast and fits anywhere.
        engine.buffers, engine.dirty_buffers, engine.max_clients = 20000, 15000, 16
    else:
        engine = OxigraphServer(args.workdir, args.port)
    try:
        engine.load(args.nquads)
        engine.start()
        update_url = "-"
        if args.writable:
            if args.engine == "virtuoso":
                # The endpoint's anonymous user may then run updates; 127.0.0.1 only.
                engine.sql('GRANT SPARQL_UPDATE TO "SPARQL";')
                update_url = engine.sparql_url
            else:
                update_url = engine.sparql_url.rsplit("/", 1)[0] + "/update"
        print(engine.sparql_url, update_url, flush=True)
        sys.stdin.read()
    finally:
        engine.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
