"""Autocomplete, the timeline and "more like this" on corpus C (issue 14,
items 2, 5 and 6), in-process, through the public API.

    .venv/bin/python -m bench.reader_features [--index-dir bench/work/index-C] [--headlines 300]

- **autocomplete** (``SearchEngine.complete``): building the completion
  table from an index without ``completions.json`` (what a generation built
  before the file existed does on first use) and reading it back; then the
  latency of every prefix a reader types on the way to a headline's first
  three words (letter by letter, accented and unaccented) for ``--headlines``
  random headlines: p50 / p95 / max ms, goal p95 <= 10 ms; and the same
  (unaccented, 100 headlines) as requests to ``/api/suggest`` through
  Flask's test client. It also prints the issue's examples (``campu``, ``ha n``).
- **timeline**: the MDS cluster labels searched warm (the search computes
  the timeline over its whole result set), p50 / p95 ms of the whole
  search, goal p95 <= 50 ms, beside the same searches with the timeline
  made a no-op (alternately, so that the machine's load falls on both);
  and the timeline alone over random sets of the same sizes.
- **more like this** (``SearchEngine.similar``): for each MDS article, its
  5 most similar articles: the share of its cluster mates found among them
  (recall) and the share of them that are cluster mates (precision; a
  cluster has 3.2 articles on average, so at most ~0.45), with latency.

The index is read only; writes ``bench/results/reader_features.json``.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from bench.common import RESULTS_DIR, WORK_DIR, engine_source, load_average, percentile, print_table, write_results
from bench.datasets import MDS_DOCS, SEED, iter_jsonl, load_mds_labels, unaccent
from vn_search import SearchEngine
from vn_search import engine as engine_module
from vn_search.completion import CompletionTable, build_for_index
from vn_search.timeline import timeline
from vn_search.web import create_app

SUGGEST_GOAL_MS = 10.0
SEARCH_GOAL_MS = 50.0
EXAMPLES = ["campu", "ha n", "hà n", "biểu tình campu", "donald tr", "u23 viet", "bao so"]


def _latency_row(name: str, times: list[float], goal: float | None) -> dict:
    return {"measure": name, "n": len(times), "p50 ms": round(percentile(times, 50), 3),
            "p95 ms": round(percentile(times, 95), 3), "max ms": round(max(times), 3),
            "goal p95 ms": goal if goal is not None else "", "met": "" if goal is None else
            ("yes" if percentile(times, 95) <= goal else "NO")}


def typed_prefixes(headline: str, words: int = 3) -> list[str]:
    """Every prefix a reader types on the way to the headline's first words."""
    text = " ".join(headline.split()[:words])
    return [text[:end] for end in range(1, len(text) + 1) if not text[end - 1].isspace()]


def bench_autocomplete(engine: SearchEngine, headlines: int) -> tuple[list[dict], dict]:
    generation = engine._current()  # noqa: SLF001 - the bench times the build itself
    reader, _ = generation.reader()
    model = generation.accent_model()
    started = time.perf_counter()
    table = build_for_index(reader, model.capital_share if model else None)
    build_s = time.perf_counter() - started
    saved = WORK_DIR / "reader-features-completions.json"
    table.save(saved)
    started = time.perf_counter()
    CompletionTable.load(saved)
    load_s = time.perf_counter() - started
    engine.complete("a")  # the engine's own table, built or read once
    stored = [reader.stored_fields(n).get("headline") or "" for n in range(reader.doc_count_all())]
    chosen = random.Random(SEED).sample([h for h in stored if len(h.split()) >= 3], headlines)
    times = []
    for headline in chosen:
        for typed in typed_prefixes(headline) + typed_prefixes(unaccent(headline)):
            started = time.perf_counter()
            engine.complete(typed)
            times.append((time.perf_counter() - started) * 1000)
    rows = [_latency_row("complete(prefix)", times, SUGGEST_GOAL_MS)]
    # The same prefixes as requests to /api/suggest, through Flask (no HTTP).
    client = create_app(engine=engine).test_client()
    times = []
    for headline in chosen[:100]:
        for typed in typed_prefixes(unaccent(headline)):
            started = time.perf_counter()
            client.get("/api/suggest", query_string={"q": typed})
            times.append((time.perf_counter() - started) * 1000)
    rows.append(_latency_row("GET /api/suggest (Flask test client)", times, SUGGEST_GOAL_MS))
    facts = {"completions": len(table), "build_seconds": round(build_s, 2), "load_seconds": round(load_s, 3),
             "file_bytes": saved.stat().st_size,
             "examples": {typed: engine.complete(typed) for typed in EXAMPLES}}
    saved.unlink()
    return rows, facts


def bench_timeline(engine: SearchEngine) -> tuple[list[dict], list[str]]:
    labels = [label["query"] for label in load_mds_labels()]
    for query in labels:  # warm pass: posting lists decoded once
        engine.search(query)
    with_timeline, without, sizes, buckets = [], [], [], []
    for query in labels:
        # The same search with the engine's timeline and with none (the
        # engine module's ``timeline`` swapped for a no-op), alternately,
        # so that the machine's load falls on both alike.
        started = time.perf_counter()
        results = engine.search(query)
        with_timeline.append((time.perf_counter() - started) * 1000)
        sizes.append(results.total)
        buckets.append(len(results.timeline))
        engine_module.timeline = lambda published: []
        try:
            started = time.perf_counter()
            engine.search(query)
            without.append((time.perf_counter() - started) * 1000)
        finally:
            engine_module.timeline = timeline
    _, scorer = engine._current().reader()  # noqa: SLF001 - the column the engine reads
    published = scorer.stats.published
    generator = np.random.default_rng(SEED)
    alone = []
    for size in sizes:
        members = np.sort(generator.choice(len(published), size=min(size, len(published)), replace=False))
        started = time.perf_counter()
        timeline(published[members])  # what engine.search adds: the set's dates read, then counted
        alone.append((time.perf_counter() - started) * 1000)
    rows = [_latency_row("search(MDS label), with the timeline", with_timeline, SEARCH_GOAL_MS),
            _latency_row("search(MDS label), timeline a no-op", without, SEARCH_GOAL_MS),
            _latency_row("timeline() alone, same set sizes", alone, None)]
    notes = [f"result sets: size p50 {int(percentile(sizes, 50))}, max {max(sizes)}; "
             f"bars p50 {int(percentile(buckets, 50))}, max {max(buckets)}"]
    return rows, notes


def bench_similar(engine: SearchEngine, limit: int = 5) -> tuple[list[dict], list[str]]:
    clusters: dict[int, set[str]] = defaultdict(set)
    for record in iter_jsonl(MDS_DOCS):
        clusters[record["cluster_id"]].add(record["id"])
    engine.similar(next(iter(clusters[1])), limit)  # warm
    times, recalls, precisions, empty = [], [], [], 0
    for members in clusters.values():
        for doc_id in sorted(members):
            started = time.perf_counter()
            found = [hit.id for hit in engine.similar(doc_id, limit)]
            times.append((time.perf_counter() - started) * 1000)
            mates = members - {doc_id}
            if not found:
                empty += 1
            if mates:
                recalls.append(len(mates & set(found)) / len(mates))
            if found:
                precisions.append(len(mates & set(found)) / len(found))
    note = (f"more like this: cluster mates found (recall@{limit}) {np.mean(recalls):.3f}; "
            f"share of shown that are mates {np.mean(precisions):.3f}; articles with no list {empty} of {len(times)}")
    return [_latency_row(f"similar(MDS article, {limit})", times, None)], [note]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=WORK_DIR / "index-C")
    parser.add_argument("--headlines", type=int, default=300)
    args = parser.parse_args(argv)
    engine = SearchEngine(args.index_dir)
    print(f"index {args.index_dir}, {engine.stats().documents} documents; {engine_source()}; load {load_average()}")
    rows, facts = bench_autocomplete(engine, args.headlines)
    print(f"completion table: {facts['completions']} completions, built in {facts['build_seconds']} s from the index, "
          f"read back in {facts['load_seconds']} s ({facts['file_bytes']} bytes)")
    for typed, found in facts["examples"].items():
        print(f"  {typed!r:20} → {', '.join(found)}")
    notes = []
    for part in (bench_timeline, bench_similar):
        more_rows, more_notes = part(engine)
        rows += more_rows
        notes += more_notes
    print_table(rows, ["measure", "n", "p50 ms", "p95 ms", "max ms", "goal p95 ms", "met"])
    for note in notes:
        print(note)
    print(f"load {load_average()}")
    write_results({"index": str(args.index_dir), "code": engine_source(), "load": load_average(),
                   "completion": facts, "rows": rows, "notes": notes}, RESULTS_DIR / "reader_features.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
