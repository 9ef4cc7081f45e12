"""Relevance benchmark of vn_search against SQLite FTS5 (issue #4).

One command builds (or reuses) a vn_search index of corpus C through the
public ``SearchEngine`` API, builds an FTS5 peer of the same corpus, runs the
query sets through both, and prints MRR@10, Recall@10, nDCG@10, Success@1,
warm latency and empty results per set, with the project's goals and the
published baselines beside them::

    .venv/bin/python -m bench.relevance                 # corpus C, ~15 min
    .venv/bin/python -m bench.relevance --quick         # smoke test, ~1 min
    .venv/bin/python -m bench.relevance --rebuild --sets mds,mds-unaccented

Query sets (``--sets``; ``mds-variants`` runs two sets, ``ki4w`` runs the
accented and the unaccented one):

* ``mds``: the 199 human MDS cluster labels, as typed;
* ``mds-unaccented``: the same through unidecode (see ``datasets.unaccent``);
* ``mds-variants``: the labels with hòa→hoà tone placement, and the labels in
  NFD. An engine that normalises text must rank them exactly as ``mds``;
* ``ki4w`` / ``ki4w-unaccented``: vietnews known-item queries, each title cut
  to 4 random syllables (R3w of baselines.md), and their unaccented form.

Results go to bench/results/relevance.json (relevance-quick.json with
``--quick``), including every query's top 10.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from dataclasses import asdict, is_dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from bench import result_set
from bench.common import RESULTS_DIR, WORK_DIR, engine_source, percentile, ranking_only, write_results
from bench.datasets import (
    CORPUS_C, CORPUS_C_SIZE, CORPUS_QUICK, SEED, TOP_K, QuerySet, corpus_ids,
    known_item_query_sets, mds_query_sets, mean_metrics, query_metrics,
)
from bench.fts5_baseline import Fts5Baseline

WARMUP_QUERIES = 20

ALL_SETS = ["mds", "mds-unaccented", "mds-variants-tone", "mds-variants-nfd",
            "ki4w", "ki4w-unaccented"]
SET_ALIASES = {"mds-variants": ["mds-variants-tone", "mds-variants-nfd"],
               "ki4w": ["ki4w", "ki4w-unaccented"]}

# MRR@10 targets of issue #4. The variant sets have no figure: their ranking
# must be identical to mds, query by query.
GOALS = {"mds": 0.92, "mds-unaccented": 0.90, "ki4w": 0.65, "ki4w-unaccented": 0.60}

# Copied from issue #4 / baselines.md (corpus C, MRR@10). NOT measured here.
PUBLISHED_BASELINES = [
    # system, MDS, MDS-unaccented, KI-4w
    ("SQLite FTS5 (S1d, AND)", 0.72, 0.72, 0.25),
    ("bm25s folded syllables (S5)", 0.84, 0.84, 0.33),
    ("Whoosh syllables exact (S2, OR)", 0.886, 0.29, 0.57),
    ("Whoosh syllables folded (S3, OR)", 0.858, 0.863, 0.39),
    ("Whoosh pyvi words (S4, OR)", 0.863, 0.26, 0.22),
]
PUBLISHED_NOTE = ("from /work/shared/research/baselines.md (issue #4), not measured in this run; "
                  "the Whoosh KI-4w figures are over the first 300 of the same 1,000 queries")


# --- our engine -------------------------------------------------------------

def _jsonable(value):
    if hasattr(value, "to_json"):
        return value.to_json()
    if is_dataclass(value):
        return json.loads(json.dumps(asdict(value), default=str))
    if isinstance(value, dict):
        return json.loads(json.dumps(value, default=str))
    return repr(value)


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def open_engine(index_dir: Path, corpus: list[Path], expected_docs: int, rebuild: bool):
    """A SearchEngine over ``corpus``: reused when it already holds exactly
    that many documents (and ``rebuild`` is off), otherwise built anew."""
    from vn_search.engine import SearchEngine

    manifest_path = index_dir.parent / f"{index_dir.name}.bench.json"
    corpus_names = [str(p) for p in corpus]
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    engine = SearchEngine(index_dir)
    if not rebuild:
        try:
            documents = engine.stats().documents
        except Exception as error:  # no index yet, or an unreadable one
            documents, reason = None, f"{type(error).__name__}: {error}"
        else:
            reason = f"it holds {documents} documents, the corpus has {expected_docs}"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
        same_corpus = manifest.get("corpus", corpus_names) == corpus_names
        # A build may skip records it rejects (the report lists them); such an
        # index is still this corpus's index when it is the one we built.
        as_built = documents is not None and documents == manifest.get("documents")
        if same_corpus and (documents == expected_docs or as_built):
            print(f"Reusing the index in {index_dir} ({documents} documents; --rebuild to rebuild).")
            if documents != expected_docs:
                print(f"WARNING: the index holds {documents} of the corpus's {expected_docs} documents "
                      f"(its build skipped {expected_docs - documents}; see {manifest_path}).")
            return engine, {**manifest, "reused": True, "documents": documents,
                            "index_mb": _dir_mb(index_dir)}
        print(f"Building the index in {index_dir}: {reason}.")
    print(f"Indexing {expected_docs} documents from {len(corpus)} files into {index_dir} ...",
          flush=True)
    started = time.perf_counter()
    report = engine.index([str(p) for p in corpus], rebuild=True, progress=True)
    seconds = time.perf_counter() - started
    documents = engine.stats().documents
    info = {
        "corpus": corpus_names,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_s": round(seconds, 1),
        "docs_per_s": round(documents / seconds, 1),
        "documents": documents,
        "index_mb": _dir_mb(index_dir),
        "index_mb_stats": round(engine.stats().size_bytes / 2**20, 1),
        "peak_rss_mb_after_build": _peak_rss_mb(),
        "report": _jsonable(report),
    }
    manifest_path.write_text(json.dumps(info, ensure_ascii=False, indent=1))
    if documents != expected_docs:
        print(f"WARNING: the index holds {documents} documents, the corpus has {expected_docs}.")
    return engine, {**info, "reused": False}


# --- running the query sets ----------------------------------------------------

def run_set(system: str, search: Callable[[str], list[str]], query_set: QuerySet) -> dict:
    """Every query once, timed around the search call alone."""
    per_query, latencies, errors = [], [], []
    started = time.perf_counter()
    for number, query in enumerate(query_set.queries, 1):
        t0 = time.perf_counter()
        try:
            hits = search(query.text)
        except Exception as error:  # report, do not stop the benchmark
            hits = []
            errors.append({"qid": query.qid, "error": f"{type(error).__name__}: {error}"})
        elapsed_ms = (time.perf_counter() - t0) * 1000
        latencies.append(elapsed_ms)
        metrics = query_metrics(hits, query.relevant)
        per_query.append({"qid": query.qid, "query": query.text, "ms": round(elapsed_ms, 2),
                          "rr": round(metrics["rr"], 4), "hits": hits[:TOP_K], "_m": metrics})
        if number % 100 == 0:
            print(f"  [{system}] {query_set.name}: {number}/{len(query_set.queries)} "
                  f"({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
    metrics = mean_metrics([q.pop("_m") for q in per_query])
    return {
        "queries": len(per_query),
        "dropped_no_judged_doc": query_set.dropped,
        "mrr": metrics["rr"], "recall": metrics["recall"], "ndcg": metrics["ndcg"],
        "s1": metrics["s1"], "s10": metrics["s10"],
        "p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
        "mean_ms": sum(latencies) / len(latencies) if latencies else float("nan"),
        "empty": sum(not q["hits"] for q in per_query),
        "errors": len(errors), "error_samples": errors[:5],
        "wall_s": round(time.perf_counter() - started, 1),
        "per_query": per_query,
    }


def run_systems(systems: dict[str, Callable[[str], list[str]]], sets: dict[str, QuerySet],
                warmup: list[str]) -> dict:
    """Warm every system up, then run each set through each system in turn.

    Sets are interleaved (ours, then FTS5, set by set) so that a run stopped
    early still has both systems on the sets it finished; a summary line per
    set goes to stderr as soon as it is done.
    """
    for search in systems.values():
        for text in warmup:
            search(text)
    results: dict[str, dict] = {system: {} for system in systems}
    for name, query_set in sets.items():
        for system, search in systems.items():
            print(f"[{system}] {name}: {len(query_set.queries)} queries ...", file=sys.stderr, flush=True)
            row = results[system][name] = run_set(system, search, query_set)
            print(f"[{system}] {name}: MRR@10 {row['mrr']:.3f}  R@10 {row['recall']:.3f}  "
                  f"nDCG@10 {row['ndcg']:.3f}  S@1 {row['s1']:.3f}  p50 {row['p50_ms']:.1f} ms  "
                  f"p95 {row['p95_ms']:.1f} ms  empty {row['empty']}  errors {row['errors']}  "
                  f"({row['wall_s']} s)", file=sys.stderr, flush=True)
    return results


def variant_identity(ours: dict) -> dict:
    """Per variant set: are its top-10 rankings those of mds, query by query?"""
    if "mds" not in ours:
        return {}
    reference = {q["qid"]: q["hits"] for q in ours["mds"]["per_query"]}
    identity = {}
    for name in ("mds-variants-tone", "mds-variants-nfd"):
        if name not in ours:
            continue
        same = sum(q["hits"] == reference.get(q["qid"]) for q in ours[name]["per_query"])
        total = len(ours[name]["per_query"])
        identity[name] = {
            "identical_rankings": same, "queries": total,
            "identical": same == total and ours[name]["mrr"] == ours["mds"]["mrr"],
            "differing_qids": [q["qid"] for q in ours[name]["per_query"]
                               if q["hits"] != reference.get(q["qid"])][:20],
        }
    return identity


# --- report ----------------------------------------------------------------------

def _fmt(value: float, digits: int = 3) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.1f}×" if theirs else "n/a"


def render(result: dict) -> str:
    lines = []
    meta = result["run"]
    lines.append(f"vn-search relevance benchmark — corpus {meta['corpus_name']} "
                 f"({meta['documents']} docs), top {TOP_K}, {meta['finished_at']}")
    ours_build, fts_build = result["build"]["vn_search"], result["build"]["fts5"]
    if ours_build.get("reused"):
        built = (f"reused index ({ours_build.get('build_s', '?')} s when built "
                 f"{ours_build.get('built_at', '?')})")
    else:
        built = f"built in {ours_build['build_s']} s ({ours_build['docs_per_s']} docs/s)"
    skipped = (ours_build.get("report") or {}).get("skipped") if isinstance(ours_build.get("report"), dict) else None
    held = f", holds {ours_build['documents']} docs ({skipped} records skipped by the build)" if skipped else ""
    lines.append(f"  vn_search: {built}, {ours_build['index_mb']} MB on disk{held}")
    lines.append(f"  FTS5     : built in {fts_build['build_s']} s ({fts_build['docs_per_s']} docs/s; "
                 f"{fts_build['read_s']} s reading the JSONL + {fts_build['index_s']} s indexing), "
                 f"{fts_build['db_mb']} MB, SQLite {fts_build['sqlite_version']}")
    lines.append("")
    header = (f"{'set':<18} {'system':<10} {'n':>5} {'MRR@10':>7} {'R@10':>6} {'nDCG@10':>7} "
              f"{'S@1':>6} {'S@10':>6} {'p50 ms':>8} {'p95 ms':>8} {'empty':>5} {'err':>4}  "
              f"{'vs FTS5 (p50/p95)':<17}")
    lines.append(header)
    lines.append("-" * len(header))
    for name in result["sets"]:
        rows = result["results"]
        for system in ("vn_search", "fts5"):
            row = rows[system].get(name)
            if row is None:
                continue
            ratio = ""
            if system == "vn_search" and name in rows["fts5"]:
                fts = rows["fts5"][name]
                ratio = f"{_ratio(row['p50_ms'], fts['p50_ms'])} / {_ratio(row['p95_ms'], fts['p95_ms'])}"
            lines.append(
                f"{name if system == 'vn_search' else '':<18} {system:<10} {row['queries']:>5} "
                f"{_fmt(row['mrr']):>7} {_fmt(row['recall']):>6} {_fmt(row['ndcg']):>7} "
                f"{_fmt(row['s1']):>6} {_fmt(row['s10']):>6} {_fmt(row['p50_ms'], 1):>8} "
                f"{_fmt(row['p95_ms'], 1):>8} {row['empty']:>5} {row['errors']:>4}  {ratio}")
    lines.append("")
    lines.append("Goals (vn_search MRR@10):")
    for goal in result["goals"]:
        lines.append(f"  {goal['label']:<34} goal {goal['goal']:<22} measured {goal['measured']:<28} "
                     f"{'PASS' if goal['met'] else 'FAIL' if goal['met'] is False else '-'}")
    if result.get("ki4w_first_300"):
        first = result["ki4w_first_300"]
        lines.append("  (KI-4w MRR over the first 300 queries, the subset the Whoosh baselines used: "
                     + ", ".join(f"{k} {_fmt(v)}" for k, v in first.items()) + ")")
    lines.append("")
    lines.append(f"Published baselines — {PUBLISHED_NOTE}:")
    lines.append(f"  {'system':<34} {'MDS':>6} {'MDS-unacc':>9} {'KI-4w':>6}")
    for system, mds, unaccented, ki in PUBLISHED_BASELINES:
        lines.append(f"  {system:<34} {mds:>6} {unaccented:>9} {ki:>6}")
    if meta["quick"]:
        lines.append("")
        lines.append("QUICK MODE: small corpus, figures are a smoke test only and do not "
                     "compare with the goals or the published baselines.")
    return "\n".join(lines)


def goals(ours: dict, identity: dict) -> list[dict]:
    rows = []
    labels = {"mds": "MDS", "mds-unaccented": "MDS unaccented", "ki4w": "KI-4w accented",
              "ki4w-unaccented": "KI-4w unaccented"}
    for name, target in GOALS.items():
        if name in ours:
            rows.append({"set": name, "label": labels[name], "goal": f">= {target:.2f}",
                         "measured": _fmt(ours[name]["mrr"]), "met": ours[name]["mrr"] >= target})
    for name, check in identity.items():
        rows.append({"set": name, "label": f"{name} identical to MDS", "goal": "identical rankings",
                     "measured": f"{check['identical_rankings']}/{check['queries']} identical, "
                                 f"MRR {_fmt(ours[name]['mrr'])}",
                     "met": check["identical"]})
    return rows


# --- main ---------------------------------------------------------------------

def measure_result_sets(engine, fts5, corpus: list[Path], sets: dict[str, QuerySet]) -> dict:
    """Issue 12's columns (``result_set.py``) on the MDS sets run, for our
    engine and for FTS5 as an AND query."""
    chosen = {name: s for name, s in sets.items() if name in ("mds", "mds-unaccented")}
    if not chosen:
        return {}
    print("Measuring result sets (date sort, recall in set, set size) ...", file=sys.stderr, flush=True)
    text_of, df = result_set.DocumentText(engine), result_set.engine_document_frequency(engine)
    ours = result_set.engine_functions(engine)
    theirs = result_set.fts5_functions(fts5, result_set.corpus_dates(corpus))
    return {system: {name: result_set.set_metrics(s, *functions, text_of, df) for name, s in chosen.items()}
            for system, functions in (("vn_search", ours), ("FTS5 (AND)", theirs))}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Relevance benchmark of vn_search and SQLite FTS5 on corpus C (issue #4).")
    parser.add_argument("--index-dir", type=Path,
                        help="vn_search index to build or reuse "
                             "(default bench/work/index-C, or bench/work/index-quick with --quick)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index even if it exists")
    parser.add_argument("--cold", action="store_true",
                        help="skip SearchEngine.warm(): the first set also times decoding common posting lists")
    parser.add_argument("--sets", default="mds,mds-unaccented,mds-variants,ki4w",
                        help="comma-separated query sets: mds, mds-unaccented, mds-variants "
                             "(tone + NFD), ki4w (accented + unaccented); default: all")
    parser.add_argument("--ki-n", type=int, help="known-item queries to draw (default 1000; 200 with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: MDS + the 1,000-doc vietnews sample as the corpus, "
                             "KI queries whose targets are in it")
    parser.add_argument("--output", type=Path, help="JSON output (default bench/results/relevance.json, "
                                                   "relevance-quick.json with --quick)")
    args = parser.parse_args(argv)
    sets: list[str] = []
    for name in (s.strip() for s in args.sets.split(",") if s.strip()):
        expanded = SET_ALIASES.get(name, [name])
        if any(s not in ALL_SETS for s in expanded):
            parser.error(f"unknown query set {name!r}; choose from mds, mds-unaccented, "
                         f"mds-variants, ki4w, ki4w-unaccented")
        sets += [s for s in expanded if s not in sets]
    args.sets = [s for s in ALL_SETS if s in sets]
    args.index_dir = args.index_dir or WORK_DIR / ("index-quick" if args.quick else "index-C")
    args.ki_n = args.ki_n or (200 if args.quick else 1000)
    args.output = args.output or RESULTS_DIR / ("relevance-quick.json" if args.quick else "relevance.json")
    return args


def query_sets(names: list[str], known: set[str], ki_n: int) -> dict[str, QuerySet]:
    """The query sets asked for, over the documents of the corpus."""
    available = {**mds_query_sets(known)}
    if any(name.startswith("ki4w") for name in names):
        available.update(known_item_query_sets(known, ki_n))
    return {name: available[name] for name in names}


def warm(engine, cold: bool) -> dict:
    """What `vn-search serve` does in each worker at start: the first set
    would otherwise also time decoding the commonest posting lists."""
    if cold:
        return {"lists": 0, "seconds": 0.0}
    started = time.perf_counter()
    warming = {"lists": engine.warm(), "seconds": round(time.perf_counter() - started, 2)}
    print(f"Warmed {warming['lists']} posting lists in {warming['seconds']} s (--cold to skip).", flush=True)
    return warming


def run_both(engine, corpus: list[Path], sets: dict[str, QuerySet], warmup: list[str]) -> tuple[dict, dict, dict]:
    """Our engine and an FTS5 peer built for the run, on every set:
    (results, FTS5 build figures, result-set rows)."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    handle, db_name = tempfile.mkstemp(prefix="fts5-", suffix=".sqlite", dir=WORK_DIR)
    os.close(handle)
    fts5 = Fts5Baseline(Path(db_name))
    try:
        print(f"Building the FTS5 baseline in {db_name} ...", flush=True)
        fts5_build = fts5.build(corpus)

        def search_ours(text: str) -> list[str]:
            return [hit.id for hit in engine.search(text, per_page=TOP_K, **ranking_only(engine)).hits]

        results = run_systems({"vn_search": search_ours, "fts5": fts5.search}, sets, warmup)
        set_rows = measure_result_sets(engine, fts5, corpus, sets)
    finally:
        fts5.remove()
    return results, fts5_build, set_rows


def first_300(results: dict) -> dict[str, float]:
    """KI-4w MRR over the first 300 queries, the subset the Whoosh baselines used."""
    figures = {}
    for name in ("ki4w", "ki4w-unaccented"):
        if name in results["vn_search"] and len(results["vn_search"][name]["per_query"]) > 300:
            for system in ("vn_search", "fts5"):
                first = results[system][name]["per_query"][:300]
                figures[f"{system} {name}"] = sum(q["rr"] for q in first) / len(first)
    return figures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = CORPUS_QUICK if args.quick else CORPUS_C
    started_at = datetime.now(timezone.utc)
    ids = corpus_ids(corpus)
    known = set(ids)
    if not args.quick and len(ids) != CORPUS_C_SIZE:
        print(f"WARNING: corpus C should hold {CORPUS_C_SIZE} documents, found {len(ids)}.")
    sets = query_sets(args.sets, known, args.ki_n)
    warmup = [q.text for q in mds_query_sets(known)["mds"].queries[:WARMUP_QUERIES]]

    engine, ours_build = open_engine(args.index_dir, corpus, len(ids), args.rebuild)
    warming = warm(engine, args.cold)
    results, fts5_build, set_rows = run_both(engine, corpus, sets, warmup)

    identity = variant_identity(results["vn_search"])
    result = {
        "run": {
            "started_at": started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "quick": args.quick, "corpus_name": "quick (MDS + vietnews sample)" if args.quick else "C",
            "corpus": [str(p) for p in corpus], "documents": len(ids),
            "index_dir": str(args.index_dir), "ki_n": args.ki_n, "seed": SEED, "engine_source": engine_source(),
            "warmup_queries": len(warmup), "warming": warming, "python": sys.version.split()[0],
            "peak_rss_mb": _peak_rss_mb(), "cpu_count": os.cpu_count(),
            "latency": "wall time of one search call (top 10) per query, one pass, warm",
        },
        "build": {"vn_search": ours_build, "fts5": fts5_build},
        "sets": args.sets,
        "set_info": {name: {"description": s.description, "queries": len(s.queries),
                            "dropped_no_judged_doc": s.dropped, **s.notes}
                     for name, s in sets.items()},
        "goals": goals(results["vn_search"], identity),
        "variant_identity": identity,
        "ki4w_first_300": first_300(results),
        "published_baselines": {"note": PUBLISHED_NOTE, "columns": ["mds", "mds-unaccented", "ki4w"],
                                "rows": {s: [a, b, c] for s, a, b, c in PUBLISHED_BASELINES}},
        "results": results,
        "result_set": set_rows,
    }
    result["table"] = table = render(result) + ("\n\n" + result_set.render(set_rows) if set_rows else "")
    print()
    print(table)
    print()
    write_results(result, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
