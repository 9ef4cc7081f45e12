"""Same story, one result (issue 14, item 1): how well ``stories.py``
groups articles, measured on the MDS set (628 articles in 199 same-event
clusters), indexed alone and inside corpus C.

* **pairwise precision**: of the pairs of MDS articles grouped into one
  story, the share from the same MDS cluster (goal >= 0.95). In corpus C,
  an MDS article grouped with an article from another corpus is counted
  apart (the other corpora carry no cluster labels);
* **pair recall**: of the pairs of articles in one MDS cluster, the share
  grouped together (no goal: an undated article needs a strong likeness);
* **on page 1**: with each cluster's name as the query, the share of the
  cluster's articles a reader sees on the first page of 10, as hits or
  listed under a hit (goal >= 0.95), grouped and not grouped;
* **search time**: p50/p95 of those searches, grouped and not (in-process);
* **grouping time**: regrouping the index from the signatures it keeps
  (what an update does after indexing), against the build time if given.

Run::

    .venv/bin/python -m bench.story_groups [--corpus-index bench/work/index-C] [--build-seconds S]

The MDS-only index is built in ``bench/work/index-mds`` on first use
(``--rebuild`` to build it again).
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections import Counter
from pathlib import Path

from vn_search import SearchEngine
from vn_search.storage import store
from vn_search.stories import STORIES_FILE, load_signatures, story_numbers

from bench.common import RESULTS_DIR, WORK_DIR, percentile, print_table, write_results
from bench.datasets import MDS_DOCS, iter_jsonl, load_mds_labels

PAGE = 10


def mds_clusters() -> dict[str, int]:
    """MDS article id -> cluster number."""
    return {record["id"]: record["cluster_id"] for record in iter_jsonl(MDS_DOCS)}


def grouped_pairs(engine: SearchEngine, clusters: dict[str, int]) -> dict:
    """Pairwise precision and recall of the index's stories on MDS articles."""
    generation = engine._current()
    reader, _ = generation.reader()
    stories = generation.stories()
    members: dict[int, list[str]] = {}
    for docnum in range(len(stories.story)):
        if stories.story[docnum] != docnum or len(stories.members(docnum)) < 2:
            continue
        members[docnum] = [reader.stored_fields(int(d))["id"] for d in stories.members(docnum)]
    right = wrong = with_other = 0
    for ids in members.values():
        for a, b in itertools.combinations(ids, 2):
            if a in clusters and b in clusters:
                if clusters[a] == clusters[b]:
                    right += 1
                else:
                    wrong += 1
            elif a in clusters or b in clusters:
                with_other += 1
    sizes = Counter(clusters.values())
    true_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    return {
        "stories of 2+": len(members),
        "articles grouped": sum(len(ids) for ids in members.values()),
        "largest story": max((len(ids) for ids in members.values()), default=1),
        "MDS pairs grouped": right + wrong,
        "pairwise precision": round(right / (right + wrong), 3) if right + wrong else float("nan"),
        "pair recall": round(right / true_pairs, 3),
        "MDS with other corpora (pairs)": with_other,
    }


def page_one(engine: SearchEngine, group: bool) -> dict:
    """Share of each cluster's articles on page 1 for the cluster's name."""
    seen = total = 0
    times = []
    for label in load_mds_labels():
        wanted = set(label["relevant"])
        started = time.perf_counter()
        results = engine.search(label["query"], per_page=PAGE, group=group)
        times.append((time.perf_counter() - started) * 1000)
        visible = {hit.id for hit in results.hits} | {a.id for hit in results.hits for a in hit.same_story}
        seen += len(wanted & visible)
        total += len(wanted)
    return {"on page 1": round(seen / total, 3), "p50 ms": round(percentile(times, 50), 1),
            "p95 ms": round(percentile(times, 95), 1)}


def regroup_seconds(engine: SearchEngine) -> float:
    """Time to regroup the index from its kept signatures, as an update does."""
    generation = engine._current()
    reader, scorer = generation.reader()
    started = time.perf_counter()
    signatures = load_signatures(generation.path / STORIES_FILE)
    story_numbers(signatures, reader.live_document_numbers(), scorer.stats.size)
    return time.perf_counter() - started


def measure(name: str, index: Path, clusters: dict[str, int], build_seconds: float | None) -> list[dict]:
    engine = SearchEngine(index)
    pairs = grouped_pairs(engine, clusters)
    page_one(engine, group=True)  # first pass: decode what the queries read
    flat, grouped = page_one(engine, group=False), page_one(engine, group=True)
    seconds = regroup_seconds(engine)
    rows = [
        {"index": name, "measure": key, "value": value} for key, value in pairs.items()
    ] + [
        {"index": name, "measure": "on page 1, not grouped (hits only)", "value": flat["on page 1"]},
        {"index": name, "measure": "on page 1, grouped (goal >= 0.95)", "value": grouped["on page 1"]},
        {"index": name, "measure": "search p50 / p95 ms, not grouped", "value": f"{flat['p50 ms']} / {flat['p95 ms']}"},
        {"index": name, "measure": "search p50 / p95 ms, grouped", "value": f"{grouped['p50 ms']} / {grouped['p95 ms']}"},
        {"index": name, "measure": "regroup from kept signatures (s)", "value": round(seconds, 2)},
    ]
    if build_seconds:
        rows.append({"index": name, "measure": "regroup / build time (goal <= 0.15)",
                     "value": round(seconds / build_seconds, 3)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mds-index", type=Path, default=WORK_DIR / "index-mds")
    parser.add_argument("--corpus-index", type=Path, default=WORK_DIR / "index-C",
                        help="corpus C built with stories (skipped when absent)")
    parser.add_argument("--build-seconds", type=float, help="corpus C's build time, for the cost ratio")
    parser.add_argument("--rebuild", action="store_true", help="build the MDS-only index again")
    args = parser.parse_args()
    clusters = mds_clusters()
    if args.rebuild or store.current_generation(args.mds_index) is None:
        report = SearchEngine(args.mds_index).index([MDS_DOCS], rebuild=True, progress=False)
        print(f"built {args.mds_index} in {report.seconds:.1f} s")
    rows = measure("MDS alone", args.mds_index, clusters, None)
    if store.current_generation(args.corpus_index) is not None:
        rows += measure("corpus C", args.corpus_index, clusters, args.build_seconds)
    print_table(rows)
    write_results({"rows": rows}, RESULTS_DIR / "story_groups.json")


if __name__ == "__main__":
    main()
