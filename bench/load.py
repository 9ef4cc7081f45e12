"""Throughput and latency of `vn-search serve` under a realistic query mix.

Builds (or reuses) ``bench/work/load-index-<docs>/`` from the first
``--docs`` vietnews test articles, starts ``vn-search serve`` on a free
loopback port, and drives it from this process: ``--connections`` threads,
each with its own keep-alive ``http.client`` connection to 127.0.0.1, for
``--seconds`` seconds, after which everything stops by itself.

The query mix (fixed seed, from titles of indexed articles): accented title
fragments (35%), the same unaccented (25%), quoted three-word phrases
(15%), page 2 to 5 of an accented fragment (15%), two-word queries (10%),
all through ``/api/search``.

The server's floor is measured in the same run with the same generator:
``/healthz`` (the engine's cached stats) and ``/static/search.css`` (Flask
and waitress alone), so that the search figures are also given as ratios.
The generator shares the two cores with the server, so the floor is partly
the generator's own limit; server CPU per request (from /proc) is printed
for that reason.

``--hostile N`` then sends N generated hostile queries (the generator of
tests/test_hostile_queries.py) to ``/api/search`` and ``/search`` and
reports the status classes, 5xx count and p99.

Usage (repository root, project venv; needs /work/shared/data)::

    .venv/bin/python bench/load.py [--docs 20000] [--seconds 60] [--connections 32]
                                   [--threads 8] [--floor-seconds 10] [--hostile N] [--seed 13]

Prints a table and writes ``bench/results/load.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from itertools import islice
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT / "bench"))

from common import SEED, VIETNEWS_TEST_DOCS, iter_jsonl, percentile, sample_title_words, unaccent  # noqa: E402

HOST = "127.0.0.1"  # loopback only, always
MIX = [("accented", 35), ("unaccented", 25), ("phrase", 15), ("page 2+", 15), ("two words", 10)]


# -- the index and the server ----------------------------------------------------------


def cli(*args) -> list[str]:
    return [sys.executable, "-m", "vn_search", *map(str, args)]


def indexed_documents(index: Path) -> int | None:
    done = subprocess.run(cli("stats", "--index", index, "--json"), capture_output=True, text=True)
    return json.loads(done.stdout)["documents"] if done.returncode == 0 else None


def ensure_index(docs: int) -> tuple[Path, list[dict], float | None]:
    """The index of the first ``docs`` vietnews test articles, built unless
    a usable one is already there; (index, records, build seconds or None)."""
    if not VIETNEWS_TEST_DOCS.exists():
        raise SystemExit(f"bench/load.py needs {VIETNEWS_TEST_DOCS} (the vietnews test split)")
    records = [{"id": r["id"], "title": r["title"]} for r in islice(iter_jsonl(VIETNEWS_TEST_DOCS), docs)]
    index = WORK / f"load-index-{docs}"
    if indexed_documents(index) == len(records):
        return index, records, None
    corpus = WORK / f"load-corpus-{docs}.jsonl"
    WORK.mkdir(parents=True, exist_ok=True)
    with open(corpus, "w", encoding="utf-8") as stream:
        for record in islice(iter_jsonl(VIETNEWS_TEST_DOCS), docs):
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"building {index.relative_to(ROOT)} from {docs} articles…", flush=True)
    started = time.perf_counter()
    done = subprocess.run(cli("index", corpus, "--index", index, "--rebuild"), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"indexing failed:\n{done.stderr}")
    corpus.unlink()
    return index, records, time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Server:
    """`vn-search serve` in its own process group, stopped on exit."""

    def __init__(self, index: Path, threads: int) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            cli("serve", "--index", index, "--host", HOST, "--port", self.port, "--threads", threads),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    connection.close()
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("the server did not start")
            time.sleep(0.2)

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server process so far (Linux)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# -- requests ------------------------------------------------------------------------------


def query_mix(records: list[dict], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``(label, path)`` pairs drawn with the weights of MIX."""
    labels, weights = zip(*MIX)
    mix = []
    for _ in range(count):
        label = rng.choices(labels, weights)[0]
        title = rng.choice(records)["title"]
        words = title.split()
        args: dict = {}
        if label in ("accented", "page 2+"):
            args["q"] = sample_title_words(title, rng, k=rng.randint(2, 4))
        elif label == "unaccented":
            args["q"] = unaccent(sample_title_words(title, rng, k=rng.randint(2, 4)))
        elif label == "phrase":
            start = rng.randrange(max(1, len(words) - 2))
            args["q"] = '"' + " ".join(words[start:start + 3]) + '"'
        else:
            start = rng.randrange(max(1, len(words) - 1))
            args["q"] = " ".join(words[start:start + 2])
        if label == "page 2+":
            args["page"] = rng.randint(2, 5)
        mix.append((label, "/api/search?" + urlencode(args)))
    return mix


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


def drive(port: int, requests: list[tuple[str, str]], connections: int, seconds: float | None,
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

    def connect() -> http.client.HTTPConnection:
        return http.client.HTTPConnection(HOST, port, timeout=60)

    def work() -> None:
        connection = connect()
        while (request := next_request()) is not None:
            label, path = request
            started = time.perf_counter()
            status, detail = None, ""
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                status = response.status
                if status >= 500:
                    detail = body[:120].decode("utf-8", "replace")
                if response.will_close:
                    connection.close()
                    connection = connect()
            except (OSError, http.client.HTTPException) as error:
                detail = repr(error)
                connection.close()
                connection = connect()
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
    wall = drive(server.port, requests, connections, seconds, recorder)
    cpu_after = server.cpu_seconds()
    every = [latency for values in recorder.latencies.values() for latency in values]
    statuses = sum(recorder.statuses.values(), Counter())
    count = len(every)
    result = {
        "phase": name,
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
    print(f"  {name}: {count} requests, {result['req_per_s']} req/s, p99 {result['p99_ms']} ms, "
          f"errors {result['errors']}", flush=True)
    return result


def hostile_requests(count: int, seed: int) -> list[tuple[str, str]]:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_hostile_queries import hostile_queries

    requests = []
    for number, (query, raw) in enumerate(hostile_queries(count, seed)):
        endpoint = "/api/search" if number % 2 else "/search"
        requests.append((endpoint, f"{endpoint}?{query if raw else 'q=' + quote(query, safe='')}"))
    return requests


# -- report -----------------------------------------------------------------------------------


def print_table(rows: list[dict], floor: dict | None) -> None:
    columns = ["phase", "requests", "req_per_s", "p50_ms", "p95_ms", "p99_ms", "errors", "server_cpu_ms_per_req"]
    if floor:
        columns += ["x_floor_req_per_s", "x_floor_p50"]
    table = []
    for row in rows:
        line = {column: row.get(column, "") for column in columns}
        if floor and row.get("req_per_s"):
            line["x_floor_req_per_s"] = f"{row['req_per_s'] / floor['req_per_s']:.3f}"
            line["x_floor_p50"] = f"{row['p50_ms'] / floor['p50_ms']:.1f}" if floor["p50_ms"] else ""
        table.append(line)
    widths = {c: max(len(c), *(len(str(line[c])) for line in table)) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    for line in table:
        print("  ".join(str(line[c]).ljust(widths[c]) for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of the search load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--floor-seconds", type=float, default=10.0, help="duration of each floor measurement")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--hostile", type=int, default=0, metavar="N", help="then send N hostile queries")
    parser.add_argument("--seed", type=int, default=SEED)
    options = parser.parse_args()

    index, records, build_seconds = ensure_index(options.docs)
    rng = random.Random(options.seed)
    mix = query_mix(records, 5000, rng)
    server = Server(index, options.threads)
    rows, report = [], {}
    try:
        print(f"serving {index.relative_to(ROOT)} ({len(records)} documents) on {HOST}:{server.port}; "
              f"{options.connections} connections", flush=True)
        drive(server.port, mix, options.connections, options.warmup, None)  # searchers opened, caches warm
        floor = measure(server, "/healthz (floor)", [("healthz", "/healthz")], options.connections,
                        options.floor_seconds)
        static = measure(server, "/static (floor)", [("static", "/static/search.css")], options.connections,
                         options.floor_seconds)
        search = measure(server, "search mix", mix, options.connections, options.seconds)
        rows = [floor, static, search]
        for label, stats in search["by_label"].items():
            rows.append({"phase": f"  {label}", **stats})
        if options.hostile:
            hostile = measure(server, f"hostile x{options.hostile}", hostile_requests(options.hostile, options.seed),
                              options.connections, None)
            hostile["5xx"] = sum(n for status, n in hostile["statuses"].items() if status != "None" and int(status) >= 500)
            rows.append(hostile)
            report["hostile"] = hostile
        report.update(floor=floor, static=static, search=search)
    finally:
        server.stop()
    print()
    print_table(rows, floor=report.get("floor"))
    if "hostile" in report:
        hostile = report["hostile"]
        print(f"hostile: statuses {hostile['statuses']}, 5xx {hostile['5xx']}, p99 {hostile['p99_ms']} ms, "
              f"max {hostile['max_ms']} ms")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "load.json"
    out.write_text(json.dumps({
        "documents": len(records), "index_build_seconds": build_seconds, "connections": options.connections,
        "server_threads": options.threads, "seconds": options.seconds, "seed": options.seed, "cpus": os.cpu_count(),
        "mix": dict(MIX), **report,
    }, ensure_ascii=False, indent=2))
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
