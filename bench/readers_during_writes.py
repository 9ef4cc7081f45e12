"""Readers keep working while `vn-search index` adds documents (issue #6, promise 2).

The full-size run of tests/test_concurrent_readers.py: ``vn-search serve``
(the real CLI, a subprocess on a free loopback port) serves a copy of the
``--base``-article load index of ``bench.serving``, ``--readers`` threads send
its query mix to ``/api/search`` on keep-alive connections for
the whole run, and meanwhile ``vn-search index`` adds ``--docs`` articles the
index does not hold (vietnews val, or another split with ``--source``).

The run, in order (the readers never stop in between):

1. warm-up (not measured), then the *before* baseline;
2. *during*: from starting ``vn-search index`` until it exits;
3. *after*: until the new articles are found, then ``--after`` seconds more.

New articles count as visible when a probe finds them: ``--probes`` of them
(drawn over the whole file, among titles of 8 words or more so that a title
names one article) are searched by their full title, and each must be in the
top 10. Before the write none may be found (else the probe proves nothing).
During the write one probe is polled every 0.25 s, since the whole batch is
published at once; when it appears, the others are checked one after
another. Times are given from the end of the index command, so they are
negative when the new generation was served before the command had exited;
"all probes" includes the time to ask them in turn.

An error is any response other than 200 or a failed connection, probes
included. The server's stderr is kept in ``bench/work/readers-during-writes/``
to explain one.

The base index is ``bench/work/load-index-<base>`` (built first when
missing); it is copied, never written to, so bench.load keeps measuring the
index it built.

Usage (repository root, project venv; needs /work/shared/data)::

    .venv/bin/python -m bench.readers_during_writes [--docs 5000] [--base 20000] [--readers 8]
        [--source val] [--probes 20] [--before 30] [--after 30] [--threads 8] [--workers N]

Prints a table and the machine load, writes
``bench/results/readers_during_writes.json``; exits 1 when the promise does
not hold (an error, or a probe never found).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

from bench.common import RESULTS_DIR, ROOT, WORK_DIR, load_average, percentile, print_table, vn_search_command, write_results
from bench.datasets import DATA_DIR, SEED, iter_jsonl, write_jsonl
from bench.serving import MIX, Server, ensure_load_index, get, query_mix

WORK = WORK_DIR / "readers-during-writes"
PROBE_POLL_SECONDS = 0.25
PROBE_TITLE_WORDS = 8
TOP = 10


# -- the index, the new articles and the server ------------------------------------------


def copy_base_index(base: int) -> tuple[Path, list[dict]]:
    """A fresh copy of the load index (built first when missing), and
    its articles' ids and titles.

    A copy, not hard links: the write must not be able to touch a single
    file of the index other benchmarks measure.
    """
    original, records, _ = ensure_load_index(base)
    index = WORK / "index"
    shutil.rmtree(index, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    print(f"copying {original.relative_to(ROOT)} to {index.relative_to(ROOT)}…", flush=True)
    shutil.copytree(original, index, symlinks=True)
    return index, records


def write_new_articles(source: str, docs: int, indexed_ids: set[str]) -> tuple[Path, list[dict]]:
    """The first ``docs`` articles of a vietnews split that the index does not
    hold, as a JSONL file for the CLI; (file, their ids and titles)."""
    split = DATA_DIR / "vietnews" / f"{source}.jsonl.gz"
    if not split.exists():
        raise SystemExit(f"bench.readers_during_writes needs {split}")
    fresh = list(islice((record for record in iter_jsonl(split) if record["id"] not in indexed_ids), docs))
    path = write_jsonl(WORK / f"new-{source}-{docs}.jsonl", fresh)
    records = [{"id": record["id"], "title": record["title"]} for record in fresh]
    if len(records) < docs:
        raise SystemExit(f"{split} has only {len(records)} articles that are not indexed yet")
    return path, records


# -- readers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    started: float  # perf_counter
    seconds: float
    status: int | None  # None: the connection failed
    detail: str


class Readers:
    """``count`` threads, each on its own keep-alive connection, cycling
    through the query mix from its own offset until stopped."""

    def __init__(self, server: Server, paths: list[str], count: int) -> None:
        self.server = server
        self.paths = paths
        self.stop_event = threading.Event()
        self.samples: list[list[Sample]] = [[] for _ in range(count)]
        self.threads = [threading.Thread(target=self._read, args=(number,), daemon=True) for number in range(count)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> list[Sample]:
        self.stop_event.set()
        for thread in self.threads:
            thread.join()
        return sorted((sample for samples in self.samples for sample in samples), key=lambda s: s.started)

    def _read(self, number: int) -> None:
        samples = self.samples[number]  # this thread's own list: no lock on the hot path
        connection = self.server.connection()
        cursor = number * len(self.paths) // len(self.threads)
        while not self.stop_event.is_set():
            path = self.paths[cursor % len(self.paths)]
            cursor += 1
            started = time.perf_counter()
            status, body, error = get(connection, path)
            detail = ""
            if error:
                detail = f"{path[:100]} {error}"
            elif status != 200:
                detail = f"{path[:100]} {body[:200].decode('utf-8', 'replace')}"
            samples.append(Sample(started, time.perf_counter() - started, status, detail))
        connection.close()


# -- probes -----------------------------------------------------------------------------------


class Probes:
    """Known new articles, searched by title until each is in the top 10."""

    def __init__(self, server: Server, records: list[dict], count: int, rng: random.Random) -> None:
        self.server = server
        telling = [record for record in records if len(record["title"].split()) >= PROBE_TITLE_WORDS]
        self.records = rng.sample(telling, min(count, len(telling)))
        self.found_at: dict[str, float] = {}
        self.samples: list[Sample] = []

    def found(self, record: dict) -> bool:
        path = "/api/search?" + urlencode({"q": record["title"], "per_page": TOP})
        started = time.perf_counter()
        status, body = self.server.get(path)
        hit = status == 200 and any(h["id"] == record["id"] for h in json.loads(body)["hits"])
        detail = "" if status == 200 else f"probe {path[:100]} {body[:200].decode('utf-8', 'replace')}"
        self.samples.append(Sample(started, time.perf_counter() - started, status, detail))
        if hit:
            self.found_at.setdefault(record["id"], time.perf_counter())
        return hit

    def count_found(self) -> int:
        """How many probes are found now (one query each)."""
        return sum(self.found(record) for record in self.records)

    def watch(self, writer_done: threading.Event, timeout_after_writer: float) -> None:
        """Poll one probe until it appears, then the others until all are
        found; give up ``timeout_after_writer`` s after the writer exits."""
        sentinel, *others = self.records
        deadline: float | None = None
        while not self.found(sentinel):
            if writer_done.is_set():
                deadline = deadline or time.perf_counter() + timeout_after_writer
                if time.perf_counter() > deadline:
                    return
            time.sleep(PROBE_POLL_SECONDS)
        pending = list(others)
        while pending:
            pending = [record for record in pending if not self.found(record)]
            if pending:
                deadline = deadline or time.perf_counter() + timeout_after_writer
                if time.perf_counter() > deadline:
                    return
                time.sleep(PROBE_POLL_SECONDS)


class MemoryWatch:
    """The server's private memory, sampled every second: its peak before
    the write and from the write on (a new generation is opened while the
    old one is still in use)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.peak_before_mb = 0
        self.peak_from_write_mb = 0
        self.writing = threading.Event()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self.stop_event.wait(1.0):
            used = self.server.anonymous_mb()
            if self.writing.is_set():
                self.peak_from_write_mb = max(self.peak_from_write_mb, used)
            else:
                self.peak_before_mb = max(self.peak_before_mb, used)


# -- the write --------------------------------------------------------------------------------


def run_writer(corpus: Path, index: Path, workers: int | None, log: Path) -> tuple[int, dict | None]:
    """`vn-search index` to completion, in its own process group so that an
    interrupted benchmark takes its analysis workers down with it;
    (exit code, its --json report)."""
    extra = ["--workers", workers] if workers else []
    with open(log, "wb") as stderr:
        process = subprocess.Popen(vn_search_command("index", corpus, "--index", index, "--json", "--no-progress", *extra),
                                   stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
        try:
            stdout, _ = process.communicate()
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    try:
        return process.returncode, json.loads(stdout)
    except json.JSONDecodeError:
        return process.returncode, None


# -- report -----------------------------------------------------------------------------------


def phase_row(name: str, samples: list[Sample]) -> dict:
    """Requests, errors and latency of the samples started in one phase."""
    latencies = [sample.seconds for sample in samples]
    wall = (samples[-1].started + samples[-1].seconds - samples[0].started) if samples else 0.0
    statuses = Counter(sample.status for sample in samples)

    def ms(value: float) -> float:
        return round(value * 1000, 1)

    return {
        "phase": name,
        "seconds": round(wall, 1),
        "requests": len(samples),
        "req_per_s": round(len(samples) / wall, 1) if wall else 0.0,
        "errors": sum(n for status, n in statuses.items() if status != 200),
        "5xx": sum(n for status, n in statuses.items() if status is not None and status >= 500),
        "p50_ms": ms(percentile(latencies, 50)),
        "p95_ms": ms(percentile(latencies, 95)),
        "p99_ms": ms(percentile(latencies, 99)),
        "max_ms": ms(max(latencies, default=0.0)),
        "statuses": {str(status): n for status, n in sorted(statuses.items(), key=lambda kv: str(kv[0]))},
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=5000, help="articles the write adds")
    parser.add_argument("--base", type=int, default=20_000, help="articles in the index before the write")
    parser.add_argument("--readers", type=int, default=8, help="concurrent reader connections")
    parser.add_argument("--source", default="val", help="vietnews split the new articles come from")
    parser.add_argument("--probes", type=int, default=20, help="new articles searched by title")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--before", type=float, default=30.0, help="seconds of baseline before the write")
    parser.add_argument("--after", type=float, default=30.0, help="seconds of reading once the new articles are found")
    parser.add_argument("--visible-timeout", type=float, default=120.0,
                        help="seconds after the write to wait for the new articles")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--workers", type=int, default=None, help="analysis processes of the write (default: one per core)")
    parser.add_argument("--seed", type=int, default=SEED)
    return parser.parse_args(argv)


@dataclass
class Timeline:
    """What one run saw, and when (perf_counter moments)."""

    samples: list[Sample]
    found_before: int
    documents_before: int
    documents_after: int
    before_start: float
    writer_start: float
    writer_end: float
    visible: float
    after_end: float
    exit_code: int
    index_report: dict | None


def run_write(server: Server, readers: Readers, probes: Probes, memory: MemoryWatch, corpus: Path,
              index: Path, options: argparse.Namespace) -> Timeline:
    """Warm-up and baseline, the write with the probes watching, then
    reading on until ``--after`` seconds past the new articles' arrival."""
    documents_before = json.loads(server.get("/healthz")[1])["documents"]
    print(f"serving {index.relative_to(ROOT)} ({documents_before} documents) on port {server.port}; "
          f"{options.readers} readers; adding {options.docs} articles from vietnews {options.source}", flush=True)
    found_before = probes.count_found()
    probes.found_at.clear()
    readers.start()
    time.sleep(options.warmup)
    before_start = time.perf_counter()
    time.sleep(options.before)

    print(f"before: {options.before:.0f} s of baseline done; vn-search index starts", flush=True)
    writer_done = threading.Event()
    watcher = threading.Thread(target=probes.watch, args=(writer_done, options.visible_timeout), daemon=True)
    writer_start = time.perf_counter()
    memory.writing.set()
    watcher.start()
    exit_code, index_report = run_writer(corpus, index, options.workers, WORK / "index.log")
    writer_end = time.perf_counter()
    writer_done.set()
    print(f"during: vn-search index exited ({exit_code}) after {writer_end - writer_start:.1f} s", flush=True)
    watcher.join()
    visible = time.perf_counter()
    time.sleep(options.after)
    samples = readers.stop()
    after_end = time.perf_counter()
    documents_after = json.loads(server.get("/healthz")[1])["documents"]
    return Timeline(samples, found_before, documents_before, documents_after, before_start, writer_start,
                    writer_end, visible, after_end, exit_code, index_report)


def report(run: Timeline, probes: Probes, memory: MemoryWatch, server: Server, options: argparse.Namespace,
           load_start: list[float]) -> dict:
    """Print the table and the verdict; the figures, for the JSON file."""
    samples = run.samples
    in_phase = {
        "before": [s for s in samples if run.before_start <= s.started < run.writer_start],
        "during write": [s for s in samples if run.writer_start <= s.started < run.writer_end],
        "after": [s for s in samples if run.writer_end <= s.started < run.after_end],
    }
    rows = [phase_row(name, chosen) for name, chosen in in_phase.items()]
    rows.append(phase_row("whole run", samples))  # the warm-up too: an error there counts
    rows.append(phase_row("probes", probes.samples))
    errors = rows[-2]["errors"] + rows[-1]["errors"]
    failures = [s.detail for s in samples + probes.samples if s.status != 200][:20]
    first_visible = min(probes.found_at.values(), default=None)
    all_visible = max(probes.found_at.values()) if len(probes.found_at) == len(probes.records) else None

    def since_writer_end(moment: float | None) -> float | None:
        return round(moment - run.writer_end, 2) if moment is not None else None

    writer_seconds = run.writer_end - run.writer_start
    expected_after = run.documents_before + options.docs
    held = (errors == 0 and run.exit_code == 0 and run.found_before == 0 and all_visible is not None
            and run.documents_after == expected_after)
    load_end = load_average()
    print()
    print_table(rows, ["phase", "seconds", "requests", "req_per_s", "errors", "5xx", "p50_ms", "p95_ms", "p99_ms",
                       "max_ms"])
    print()
    print(f"index run: {writer_seconds:.1f} s for {options.docs} articles (exit {run.exit_code}; "
          f"the CLI's own timing {run.index_report['seconds']:.1f} s)" if run.index_report else
          f"index run: {writer_seconds:.1f} s, exit {run.exit_code}, no report (see {WORK / 'index.log'})")
    print(f"new articles visible {since_writer_end(first_visible)} s after the index command exited "
          f"(first probe, polled every {PROBE_POLL_SECONDS} s); all probes found by "
          f"{since_writer_end(all_visible)} s (asked in turn)")
    print(f"probes found: {len(probes.found_at)}/{len(probes.records)} (before the write: {run.found_before}); "
          f"documents {run.documents_before} -> {run.documents_after} (expected {expected_after})")
    print(f"server private memory (RssAnon), peak: {memory.peak_before_mb} MB before the write, "
          f"{memory.peak_from_write_mb} MB from the write on")
    print(f"errors: {errors}" + (f"; first: {failures[:3]}" if failures else ""))
    print(f"load average (1/5/15 min): start {load_start}, end {load_end}")
    print(f"promise 2 {'holds' if held else 'DOES NOT HOLD'}")
    return {
        "base_documents": run.documents_before, "new_articles": options.docs, "source": options.source,
        "readers": options.readers, "server_threads": options.threads, "workers": options.workers,
        "seed": options.seed, "cpus": os.cpu_count(), "mix": dict(MIX),
        "phases": rows, "errors": errors, "failures": failures,
        "index_exit_code": run.exit_code, "index_seconds": round(writer_seconds, 1), "index_report": run.index_report,
        "visible_first_s_after_index_exit": since_writer_end(first_visible),
        "visible_all_s_after_index_exit": since_writer_end(all_visible),
        "probe_poll_s": PROBE_POLL_SECONDS, "probes_total": len(probes.records), "probes_found": len(probes.found_at),
        "probes_found_before_write": run.found_before, "probe_ids": [r["id"] for r in probes.records],
        "documents_before": run.documents_before, "documents_after": run.documents_after,
        "after_visible_seconds": round(run.after_end - run.visible, 1),
        "server_anon_mb_peak_before": memory.peak_before_mb, "server_anon_mb_peak_from_write": memory.peak_from_write_mb,
        "load_start": load_start, "load_end": load_end, "held": held,
        "server_log_tail": server.log_tail() if errors else [],
    }


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    load_start = load_average()
    print(f"load average at start (1/5/15 min): {load_start}; {os.cpu_count()} cpus", flush=True)
    index, base_records = copy_base_index(options.base)
    corpus, new_records = write_new_articles(options.source, options.docs, {r["id"] for r in base_records})
    rng = random.Random(options.seed)
    paths = [path for _, path in query_mix(base_records, 5000, rng)]

    server = Server(index, threads=options.threads, log=WORK / "server.log")
    readers = Readers(server, paths, options.readers)
    probes = Probes(server, new_records, options.probes, rng)
    memory = MemoryWatch(server)
    memory.thread.start()
    try:
        run = run_write(server, readers, probes, memory, corpus, index, options)
    finally:
        readers.stop_event.set()
        memory.stop_event.set()
        server.stop()
    figures = report(run, probes, memory, server, options, load_start)
    write_results(figures, RESULTS_DIR / "readers_during_writes.json")
    return 0 if figures["held"] else 1


if __name__ == "__main__":
    sys.exit(main())
