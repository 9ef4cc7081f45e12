"""Latency a newsroom can promise (issue #17): after a start and after every publish.

On a hard-linked copy of corpus C's index (``bench/work/index-C``, copied
to ``bench/work/publish-latency-C`` with ``cp -al``, so the original is never
written), starts ``vn-search serve`` and keeps 8 keep-alive connections
busy with a mixed API/HTML load for the whole sequence:

    start → 30 s → steady 30 s → publish 200 articles → 30 s
          → publish 1,000 articles during load → 30 s

The load: ten everyday queries (``EVERYDAY``: ``ha noi``, ``gia vang hom
nay``, a quoted phrase with an exclusion, a hostile string, …), each
through ``/api/search`` or the ``/search`` HTML page, pages 1 to 5, and a
share (``--fresh-share``) of title fragments of corpus C articles that
never repeat, so that not every list is already decoded. The articles
published are vietnews validation articles, which corpus C does not hold.

Each request is counted in the phase during which it started; the table
gives p50/p99/max, errors (a 4xx or 5xx, or no answer within 30 s) and
redirects (a results page past the last one) per phase, start-to-ready (until every worker's /healthz answers 200), how long
each publish took, and each worker's private memory (RssAnon).

``--source DIR`` runs the server and the indexer from another source tree
(PYTHONPATH), e.g. the code before a change::

    git -C /work/main worktree add /work/baseline-head HEAD
    .venv/bin/python -m bench.publish_latency --source /work/baseline-head/src --label baseline
    .venv/bin/python -m bench.publish_latency --label new

Writes ``bench/results/publish_latency-<label>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

from bench.common import LOOPBACK, RESULTS_DIR, WORK_DIR, engine_source, free_port, load_average, percentile, \
    print_table, vn_search_command, write_results
from bench.datasets import DATA_DIR, SEED, VIETNEWS_TEST_DOCS, iter_jsonl, sample_title_words, unaccent, write_jsonl
from bench.serving import get

CORPUS_C_INDEX = WORK_DIR / "index-C"
COPY = WORK_DIR / "publish-latency-C"
NEW_ARTICLES = DATA_DIR / "vietnews" / "val.jsonl.gz"  # not in corpus C
EVERYDAY = [
    "ha noi", "gia vang hom nay", "biểu tình Campuchia", '"giá xăng" -dầu', "bão số 3",
    "tai nạn giao thông", "bong da viet nam", "Thủ tướng Nguyễn Xuân Phúc", "CSGT",
    "<script>alert(1)</script> ((( OR -",
]
READY_TIMEOUT = 180


def requests_mix(count: int, fresh_share: float, rng: random.Random) -> list[str]:
    """Paths: an everyday query through the API or the HTML page, pages 1-5,
    or (``fresh_share`` of them) a title fragment of a corpus C article."""
    titles = [record["title"] for record in islice(iter_jsonl(VIETNEWS_TEST_DOCS), 20_000)]
    paths = []
    for _ in range(count):
        if rng.random() < fresh_share:
            query = sample_title_words(rng.choice(titles), rng, k=rng.randint(2, 4))
            paths.append("/api/search?" + urlencode({"q": unaccent(query) if rng.random() < 0.4 else query}))
        else:
            endpoint = rng.choice(["/api/search", "/search"])
            paths.append(endpoint + "?" + urlencode({"q": rng.choice(EVERYDAY), "page": rng.randint(1, 5)}))
    return paths


class Load:
    """``connections`` threads sending ``paths`` in turn until stopped; every
    request recorded as (start time, seconds, status, path)."""

    def __init__(self, port: int, paths: list[str], connections: int) -> None:
        self.port, self.paths = port, paths
        self.records: list[tuple[float, float, int | None, str]] = []
        self.stopping = threading.Event()
        self._next = 0
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(connections)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            if thread.is_alive():
                thread.join()

    def _work(self) -> None:
        connection = http.client.HTTPConnection(LOOPBACK, self.port, timeout=30)
        while not self.stopping.is_set():
            with self._lock:
                path = self.paths[self._next % len(self.paths)]
                self._next += 1
            started = time.monotonic()
            status, _, _ = get(connection, path)
            with self._lock:
                self.records.append((started, time.monotonic() - started, status, path))
        connection.close()


def session_processes(leader: int) -> dict[int, dict[str, int]]:
    """pid -> {RssAnon, Rss} in kB of every process of the server's session."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) != leader:
                continue
            status = (stat.parent / "status").read_text().splitlines()
        except (OSError, IndexError):
            continue
        memory = {line.split(":")[0]: int(line.split()[1]) for line in status if line.startswith(("RssAnon:", "VmRSS:"))}
        found[int(stat.parent.name)] = memory
    return found


def health(port: int) -> tuple[int | None, dict]:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=5)
    try:
        status, body, _ = get(connection, "/healthz")
    finally:
        connection.close()
    try:
        return status, json.loads(body) if body else {}
    except ValueError:
        return status, {}


class HealthLog:
    """/healthz every half second on fresh connections, in a thread: when
    each worker said it was warming, updating or ready, and on which
    generation (an older server says less)."""

    def __init__(self, port: int) -> None:
        self.port, self.entries, self.stopping = port, [], threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self.stopping.wait(0.5):
            status, answer = health(self.port)
            self.entries.append((time.monotonic(), status, answer.get("pid"), answer.get("state"),
                                 answer.get("generation"), answer.get("documents")))

    def changes(self, since: float) -> list[dict]:
        """Each worker's first answer and every change of what it answered."""
        last, changes = {}, []
        for moment, status, pid, state, generation, documents in self.entries:
            seen = (status, state, generation, documents)
            if last.get(pid) != seen:
                last[pid] = seen
                changes.append({"at_s": round(moment - since, 1), "pid": pid, "status": status, "state": state,
                                "generation": generation, "documents": documents})
        return changes


def wait_until_ready(port: int, process: subprocess.Popen, workers: int) -> float:
    """Seconds until ``workers`` distinct processes answered /healthz with a 200."""
    started, ready = time.monotonic(), set()
    while len(ready) < workers:
        if process.poll() is not None or time.monotonic() - started > READY_TIMEOUT:
            raise SystemExit("the server did not become ready")
        status, answer = health(port)
        if status == 200:
            ready.add(answer.get("pid"))
        else:
            time.sleep(0.05)
    return time.monotonic() - started


def phase_row(name: str, records, start: float, end: float) -> dict:
    inside = [(seconds, status) for began, seconds, status, _ in records if start <= began < end]
    latencies = [seconds for seconds, _ in inside]
    return {
        "phase": name, "seconds": round(end - start, 1), "requests": len(inside),
        "req_per_s": round(len(inside) / (end - start), 1) if end > start else 0.0,
        "p50_ms": round(percentile(latencies, 50) * 1000, 1), "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1) if latencies else 0.0,
        # A results page past the last one redirects to the last (302): an answer, not an error.
        "redirects": sum(1 for _, status in inside if status is not None and 300 <= status < 400),
        "errors": sum(1 for _, status in inside if status is None or status >= 400),
        "timeouts": sum(1 for _, status in inside if status is None),
        # Where the tail comes from: the slowest requests, seconds after the phase began.
        "slowest": [{"at_s": round(began - start, 1), "ms": round(seconds * 1000), "status": status, "path": path}
                    for began, seconds, status, path in sorted(
                        (r for r in records if start <= r[0] < end), key=lambda r: -r[1])[:5]],
    }


def publish(index: Path, articles: Path, env: dict) -> float:
    started = time.monotonic()
    done = subprocess.run(vn_search_command("index", articles, "--index", index), env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"publishing {articles.name} failed:\n{done.stderr}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=None, help="run serve and index from this src/ (PYTHONPATH)")
    parser.add_argument("--label", default="new")
    parser.add_argument("--index", type=Path, default=CORPUS_C_INDEX,
                        help="the corpus-C index to copy (an older engine needs one in a format it reads)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--phase-seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=None, help="serve --workers (default: serve's, one per CPU)")
    parser.add_argument("--fresh-share", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=SEED)
    options = parser.parse_args()
    env = dict(os.environ)
    if options.source:
        env["PYTHONPATH"] = str(options.source.resolve())
    workers = options.workers or len(os.sched_getaffinity(0))
    phase = options.phase_seconds

    news = list(islice(iter_jsonl(NEW_ARTICLES), 1200))
    batches = [write_jsonl(WORK_DIR / "publish-200.jsonl", news[:200]), write_jsonl(WORK_DIR / "publish-1000.jsonl", news[200:])]
    shutil.rmtree(COPY, ignore_errors=True)
    subprocess.run(["cp", "-al", str(options.index), str(COPY)], check=True)  # hard links: the original is never written
    paths = requests_mix(50_000, options.fresh_share, random.Random(options.seed))

    port = free_port()
    command = vn_search_command("serve", "--index", COPY, "--host", LOOPBACK, "--port", port)
    if options.workers:
        command += ["--workers", str(options.workers)]
    load_before = load_average()
    launched = time.monotonic()
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    events, memory, publishes = {}, {}, {}
    load = Load(port, paths, options.connections)
    health_log = HealthLog(port)
    health_log.thread.start()
    try:
        start_to_ready = wait_until_ready(port, server, workers)
        events["ready"] = time.monotonic()
        load.start()
        time.sleep(2 * phase)
        memory["steady"] = session_processes(server.pid)
        events["publish 200"] = time.monotonic()
        publishes["200"] = publish(COPY, batches[0], env)
        events["published 200"] = time.monotonic()
        time.sleep(phase)
        events["publish 1000"] = time.monotonic()
        publishes["1000"] = publish(COPY, batches[1], env)
        events["published 1000"] = time.monotonic()
        time.sleep(phase)
        events["end"] = time.monotonic()
        memory["end"] = session_processes(server.pid)
    finally:
        load.stop()
        health_log.stopping.set()
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    records = load.records
    ready = events["ready"]
    rows = [
        phase_row("first 30 s after ready", records, ready, ready + phase),
        phase_row("steady", records, ready + phase, ready + 2 * phase),
        phase_row("publishing 200", records, events["publish 200"], events["published 200"]),
        phase_row("30 s after 200 published", records, events["published 200"], events["published 200"] + phase),
        phase_row("publishing 1,000 (under load)", records, events["publish 1000"], events["published 1000"]),
        phase_row("30 s after 1,000 published", records, events["published 1000"], events["end"]),
    ]
    load_after = load_average()
    print(f"\n{options.label}: {engine_source() if not options.source else options.source}; "
          f"start to ready {start_to_ready:.1f} s (launch to ready {ready - launched:.1f} s); "
          f"publish 200 took {publishes['200']:.1f} s, 1,000 took {publishes['1000']:.1f} s")
    print_table(rows, ["phase", "seconds", "requests", "req_per_s", "p50_ms", "p99_ms", "max_ms", "errors", "timeouts",
                       "redirects"])
    for row in rows:
        print(f"slowest in {row['phase']}: " + "; ".join(f"{r['ms']} ms at {r['at_s']} s {r['path'][:60]}"
                                                         for r in row["slowest"][:3]))
    events_s = {name: round(moment - launched, 1) for name, moment in events.items()}
    print(f"events (s after launch): {events_s}")
    changes = health_log.changes(launched)
    for change in changes:
        print(f"  /healthz at {change['at_s']} s: pid {change['pid']} {change['status']} {change['state'] or ''} "
              f"{change['generation'] or ''} {change['documents']}")
    for moment, processes in memory.items():
        shown = ", ".join(f"{pid}: {m.get('RssAnon', 0) // 1024} MB private / {m.get('VmRSS', 0) // 1024} MB rss"
                          for pid, m in sorted(processes.items()))
        print(f"memory at {moment}: {shown}")
    print(f"load average {load_before} before, {load_after} after (2 CPUs shared by the server, this generator, "
          f"the indexer and other work)")
    write_results({
        "label": options.label, "source": str(options.source or engine_source()), "connections": options.connections,
        "phase_seconds": phase, "fresh_share": options.fresh_share, "everyday": EVERYDAY,
        "start_to_ready_s": round(start_to_ready, 2), "publish_seconds": publishes, "rows": rows,
        "events_s_after_launch": events_s, "healthz_changes": changes,
        "memory_kb": {moment: {str(pid): m for pid, m in processes.items()} for moment, processes in memory.items()},
        "load_average": [load_before, load_after],
    }, RESULTS_DIR / f"publish_latency-{options.label}.json")


if __name__ == "__main__":
    main()
