"""Throughput and latency of `vn-search serve` under a realistic query mix.

Builds (or reuses) ``bench/work/load-index-<docs>/`` from the first
``--docs`` vietnews test articles, starts ``vn-search serve`` on a free
loopback port (``--workers`` processes, default one per CPU as `serve`
does), and drives it from this process: for each count in
``--connections`` (default ``8,32``: issue #5's 8 concurrent clients, issue
#6's 32 connections), that many threads, each with its own keep-alive
``http.client`` connection to 127.0.0.1, for ``--seconds`` seconds, after
which everything stops by itself.

The query mix is ``bench.serving``'s (accented, unaccented, phrases, later
pages, two words, through ``/api/search``). Each connection count gets its own queries
(no query repeats within a run), so a run never answers from what the
previous one warmed.

The server's floor is measured in the same run, at the same connection
count, with the same generator: ``/healthz`` (the engine's cached stats)
and ``/static/search.css`` (Flask and waitress alone), so that the search
figures are also given as ratios. The generator shares the two cores with
the server, so the floor is partly the generator's own limit; server CPU
per request (from /proc, all server processes) is printed for that reason.

``--hostile N`` then sends N generated hostile queries (``bench.datagen``, the
generator tests/test_hostile_queries.py uses) to ``/api/search``, and every second one to
``/search`` as well, at the largest connection count, and reports the
status classes, 5xx count and p99 per endpoint.

Usage (repository root, project venv; needs /work/shared/data)::

    .venv/bin/python -m bench.load [--docs 20000] [--seconds 60] [--connections 8,32]
                                    [--workers N] [--threads N] [--floor-seconds 10] [--hostile N] [--seed 13]

Prints a table and writes ``bench/results/load.json``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from urllib.parse import quote

from bench.common import RESULTS_DIR, ROOT, load_average, percentile, print_table, write_results
from bench.datagen import hostile_queries
from bench.datasets import SEED
from bench.serving import MIX, Server, ensure_load_index, get, query_mix
# The server's floor: its cheapest answers (the engine's cached stats; a static file).
FLOORS = [("/healthz (floor)", "healthz", "/healthz"), ("/static (floor)", "static", "/static/search.css")]


# -- requests ------------------------------------------------------------------------------


class Recorder:
    """Latencies and statuses per label, from many threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.statuses: dict[str, Counter] = defaultdict(Counter)
        self.failures: list[str] = []

    def add(self, label: str, seconds: float, status: int | None, path: str, detail: str = "") -> None:
        with self.lock:
            self.latencies[label].append(seconds)
            self.statuses[label][status] += 1
            if (status is None or status >= 500) and len(self.failures) < 20:
                self.failures.append(f"{status} {path[:100]} {detail}")


def drive(server: Server, requests: list[tuple[str, str]], connections: int, seconds: float | None,
          recorder: Recorder | None) -> float:
    """Send ``requests`` round-robin over keep-alive connections, for
    ``seconds`` (cycling) or once through; the wall time it took."""
    deadline = time.perf_counter() + seconds if seconds else None
    cursor = iter(range(sys.maxsize)) if seconds else iter(range(len(requests)))
    cursor_lock = threading.Lock()

    def next_request():
        with cursor_lock:
            number = next(cursor, None)
        if number is None or (deadline and time.perf_counter() >= deadline):
            return None
        return requests[number % len(requests)]

    def work() -> None:
        connection = server.connection()
        while (request := next_request()) is not None:
            label, path = request
            started = time.perf_counter()
            status, body, detail = get(connection, path)
            if status is not None and status >= 500:
                detail = body[:120].decode("utf-8", "replace")
            if recorder is not None:
                recorder.add(label, time.perf_counter() - started, status, path, detail)
        connection.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def measure(server: Server, name: str, requests, connections: int, seconds: float | None) -> dict:
    """One phase: requests/s, latency percentiles, errors, server CPU."""
    recorder = Recorder()
    cpu_before = server.cpu_seconds()
    wall = drive(server, requests, connections, seconds, recorder)
    result = summarize(name, connections, recorder, wall, cpu_before, server.cpu_seconds())
    print(f"  {name} @ {connections}: {result['requests']} requests, {result['req_per_s']} req/s, "
          f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, errors {result['errors']}", flush=True)
    return result


def summarize(name: str, connections: int, recorder: Recorder, wall: float,
              cpu_before: float | None, cpu_after: float | None) -> dict:
    every = [latency for values in recorder.latencies.values() for latency in values]
    statuses = sum(recorder.statuses.values(), Counter())
    count = len(every)
    return {
        "phase": name,
        "connections": connections,
        "requests": count,
        "seconds": round(wall, 1),
        "req_per_s": round(count / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(every, 50) * 1000, 1),
        "p95_ms": round(percentile(every, 95) * 1000, 1),
        "p99_ms": round(percentile(every, 99) * 1000, 1),
        "max_ms": round(max(every) * 1000, 1) if every else 0.0,
        "errors": sum(n for status, n in statuses.items() if status is None or status != 200),
        "statuses": {str(status): n for status, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
        "server_cpu_ms_per_req": (round((cpu_after - cpu_before) * 1000 / count, 2)
                                  if count and cpu_before is not None and cpu_after is not None else None),
        "failures": recorder.failures,
        "by_label": {
            label: {"requests": len(values), "p50_ms": round(percentile(values, 50) * 1000, 1),
                    "p95_ms": round(percentile(values, 95) * 1000, 1),
                    "p99_ms": round(percentile(values, 99) * 1000, 1)}
            for label, values in sorted(recorder.latencies.items())
        },
    }


def hostile_requests(count: int, seed: int) -> list[tuple[str, str]]:
    """Each query to /api/search; every second one to /search too."""
    requests = []
    for number, (query, raw) in enumerate(hostile_queries(count, seed)):
        arguments = query if raw else "q=" + quote(query, safe="")
        requests.append(("/api/search", f"/api/search?{arguments}"))
        if number % 2:
            requests.append(("/search", f"/search?{arguments}"))
    return requests


# -- report -----------------------------------------------------------------------------------


def phase_rows(rows: list[dict]) -> list[dict]:
    """The table's rows: one per phase, with ratios against the /healthz
    floor measured at the same connection count."""
    columns = ["phase", "connections", "requests", "req_per_s", "p50_ms", "p95_ms", "p99_ms", "errors",
               "server_cpu_ms_per_req"]
    floors = {row["connections"]: row for row in rows if row["phase"].startswith("/healthz")}
    table = []
    for row in rows:
        line = {column: row.get(column, "") for column in columns} | {"x_floor_req_per_s": "", "x_floor_p50": ""}
        floor = floors.get(row.get("connections"))
        if floor and row.get("req_per_s") and floor["req_per_s"]:
            line["x_floor_req_per_s"] = round(row["req_per_s"] / floor["req_per_s"], 3)
            line["x_floor_p50"] = round(row["p50_ms"] / floor["p50_ms"], 1) if floor["p50_ms"] else ""
        table.append(line)
    return table


def goal_lines(searches: dict[int, dict], hostile: dict | None) -> list[str]:
    """The issue goals next to the measured figures."""
    lines = []
    if 8 in searches:
        run = searches[8]
        met = run["req_per_s"] >= 100 and run["p95_ms"] <= 150
        lines.append(f"issue #5 goal 1 (HTTP, 8 clients): >= 100 req/s and p95 <= 150 ms; measured "
                     f"{run['req_per_s']} req/s, p95 {run['p95_ms']} ms: {'met' if met else 'NOT met'}")
    if 32 in searches:
        run = searches[32]
        lines.append(f"issue #6 promise 6 (32 connections, zero errors): {run['req_per_s']} req/s, "
                     f"p50 {run['p50_ms']} / p95 {run['p95_ms']} / p99 {run['p99_ms']} ms, "
                     f"errors {run['errors']}: {'met' if run['errors'] == 0 else 'NOT met'}")
    if hostile:
        api = hostile["by_endpoint"]["/api/search"]
        lines.append(f"issue #6 promise 4 (hostile queries through /api/search, zero 5xx): {api['requests']} "
                     f"queries, 5xx {api['5xx']}, p99 {api['p99_ms']} ms, max {api['max_ms']} ms: "
                     f"{'met' if api['5xx'] == 0 else 'NOT met'}")
    return lines


def hostile_phase(server: Server, count: int, seed: int, connections: int) -> dict:
    requests = hostile_requests(count, seed)
    recorder = Recorder()
    cpu_before = server.cpu_seconds()
    wall = drive(server, requests, connections, None, recorder)
    cpu_after = server.cpu_seconds()
    result = summarize(f"hostile x{count}", connections, recorder, wall, cpu_before, cpu_after)
    result["by_endpoint"] = {}
    for endpoint, latencies in sorted(recorder.latencies.items()):
        statuses = recorder.statuses[endpoint]
        result["by_endpoint"][endpoint] = {
            "requests": len(latencies),
            "statuses": {str(status): n for status, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
            "5xx": sum(n for status, n in statuses.items() if status is not None and status >= 500),
            "no_answer": statuses.get(None, 0),
            "p99_ms": round(percentile(latencies, 99) * 1000, 1),
            "max_ms": round(max(latencies) * 1000, 1),
        }
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each search load")
    parser.add_argument("--connections", default="8,32",
                        help="comma-separated connection counts, one search load each (default 8,32)")
    parser.add_argument("--workers", type=int, default=None, help="server processes (default: serve's, one per CPU)")
    parser.add_argument("--threads", type=int, default=None, help="waitress threads per server process (default: serve's)")
    parser.add_argument("--floor-seconds", type=float, default=10.0, help="duration of each floor measurement")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--hostile", type=int, default=0, metavar="N", help="then send N hostile queries")
    parser.add_argument("--seed", type=int, default=SEED)
    options = parser.parse_args(argv)
    options.connections = [int(part) for part in options.connections.split(",") if part.strip()]
    return options


def run_phases(server: Server, options: argparse.Namespace, records: list[dict]) -> tuple[list[dict], dict, dict | None]:
    """Per connection count the two floors, then the search mix; then the
    hostile queries if asked: (table rows, search runs by count, hostile run)."""
    rng = random.Random(options.seed)
    # Enough distinct queries that none repeats within a run: a repeat would
    # be answered from caches the first one warmed.
    per_run = 15_000
    warmup_mix = query_mix(records, 2_000, rng)
    mixes = {connections: query_mix(records, per_run, rng) for connections in options.connections}
    rows, searches, hostile = [], {}, None
    drive(server, warmup_mix, max(options.connections), options.warmup, None)  # searchers opened
    for connections in options.connections:
        for name, label, path in FLOORS:
            rows.append(measure(server, name, [(label, path)], connections, options.floor_seconds))
        search = searches[connections] = measure(server, "search mix", mixes[connections], connections, options.seconds)
        rows.append(search)
        for label, stats in search["by_label"].items():
            rows.append({"phase": f"  {label}", "connections": connections, **stats})
    if options.hostile:
        hostile = hostile_phase(server, options.hostile, options.seed, max(options.connections))
        print(f"  {hostile['phase']}: {hostile['requests']} requests, errors {hostile['errors']}", flush=True)
        rows.append(hostile)
    return rows, searches, hostile


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    index, records, build_seconds = ensure_load_index(options.docs)
    server = Server(index, workers=options.workers, threads=options.threads)
    load_before = load_average()
    try:
        print(f"serving {index.relative_to(ROOT)} ({len(records)} documents) on port {server.port}, "
              f"workers: {options.workers or 'serve default'}, threads: {options.threads or 'serve default'}; "
              f"load average before: {load_before[0]:.2f}", flush=True)
        rows, searches, hostile = run_phases(server, options, records)
    finally:
        server.stop()
    load_after = load_average()
    print()
    print_table(phase_rows(rows))
    if hostile:
        for endpoint, stats in hostile["by_endpoint"].items():
            print(f"hostile {endpoint}: {stats['requests']} requests, statuses {stats['statuses']}, "
                  f"5xx {stats['5xx']}, p99 {stats['p99_ms']} ms, max {stats['max_ms']} ms")
    for line in goal_lines(searches, hostile):
        print(line)
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after "
          "(includes this generator and the server)")
    write_results({
        "documents": len(records), "index_build_seconds": build_seconds, "connections": options.connections,
        "server_workers": options.workers, "server_threads": options.threads, "seconds": options.seconds,
        "seed": options.seed, "cpus": os.cpu_count(), "load_average": [load_before[0], load_after[0]],
        "mix": dict(MIX), "rows": rows, "search": {str(c): run for c, run in searches.items()}, "hostile": hostile,
    }, RESULTS_DIR / "load.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
