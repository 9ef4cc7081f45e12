"""Indexing benchmark of vn_search against the goals of issue #5.

One command builds an index through the public API
(``SearchEngine(dir).index(paths, rebuild=True, workers=N)``), adds to it,
rebuilds it at a larger size, and prints one table::

    .venv/bin/python -m bench.indexing                          # corpus C (58,443 articles)
    .venv/bin/python -m bench.indexing --corpus 20k             # first 20,000 vietnews-test records
    .venv/bin/python -m bench.indexing --corpus 5k --skip-scale # smoke test, a few minutes
    .venv/bin/python -m bench.indexing --workers 2              # analysis processes (default 2)
    .venv/bin/python -m bench.indexing --print-table            # the table of the last run's JSON

What it measures (each measurement runs in its own subprocess, so that the
memory figures are that process tree's own):

1. **Build** of the corpus: wall seconds, documents per second, peak memory
   of the whole process tree (VmRSS of the process and all its descendants,
   sampled every 0.2 s from /proc, summed; the maximum of the sums, or the
   indexing process's own VmHWM when a spike between two samples made that
   higher; PSS beside it), and the size of the published generation on disk
   (``du``) against the raw text (UTF-8 bytes of title + summary + body).
   Goals: 180 s for corpus C on 2 cores (pro rata by raw text bytes for a
   smaller corpus), peak memory 1.5 GB (1,536 MiB), index <= 2x raw text.
2. **Baseline**, in the same run so that figures can be read as ratios on a
   noisy machine: a naive single-process pipeline (``pyvi.ViTokenizer`` per
   line + a plain Whoosh index, one TEXT field, default analyzer,
   ``writer(procs=1)``) on a fixed sample of 1,000 corpus documents (seed 13,
   records the indexer would reject left out), against vn_search on the same
   1,000 with workers=1 and workers=2; and the full build's docs/s over the
   baseline's.
3. **Incremental**: 1,000 new articles (vietnews val, not in the corpus)
   added with ``engine.index([...])``: wall seconds (goal 30 s), whether the
   update rewrote the index (inodes and mtimes of the previous generation's
   segment files against the new one's: an unchanged segment is a hard link;
   a file of the old generation whose mtime changed was rewritten in place),
   whether an engine opened beforehand in this process (as a server holds
   one) finds the new titles first without being reopened; then the same
   1,000 again: the document count must not change (replaced, not
   duplicated).
4. **Scale** (unless ``--skip-scale``; run before the incremental step,
   which changes the small index): the same build at about 2.2x (corpus C
   + vietnews val + train-00 + train-01, 130,627 articles) or 2.5x (the
   vietnews corpora: that many records of test, val, train-00, train-01)
   the documents; build time, index size and query p95 (100 queries of 4
   random title words, seed 13, warm, 2 timed passes) as ratios next to the
   document ratio: linear growth is the same ratio (15% tolerance). The small
   index's queries run again right after the large one's, and that pair
   gives the ratio (same code, same machine load).

Scratch files and indexes go to ``bench/work/indexing/``; the results (with
the table) to ``bench/results/indexing.json``, rewritten after every phase, so
that an interrupted run leaves its finished phases behind (``--print-table``
shows them). The machine's load average is printed at the start and the end.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
import traceback
import unicodedata
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from bench.common import RESULTS_DIR, ROOT, WORK_DIR, format_table, load_average, percentile
from bench.datasets import CORPUS_C, CORPUS_C_SIZE, DATA_DIR, SEED, document_text, sample_title_words
from bench.memory import TreeMemory, status_kb

WORK = WORK_DIR / "indexing"
RESULTS_PATH = RESULTS_DIR / "indexing.json"

VIETNEWS = DATA_DIR / "vietnews"
VIETNEWS_TEST = VIETNEWS / "test.jsonl.gz"
VIETNEWS_VAL = VIETNEWS / "val.jsonl.gz"
VIETNEWS_CHAIN = [VIETNEWS_TEST, VIETNEWS_VAL, VIETNEWS / "train-00.jsonl.gz", VIETNEWS / "train-01.jsonl.gz"]
SCALE_EXTRA_C = VIETNEWS_CHAIN[1:]  # corpus C + these = 130,627 articles
SMALL_CORPORA = {"20k": 20_000, "5k": 5_000}
SCALE_FACTOR = 2.5  # the larger size of a vietnews corpus

# Issue #5 goals.
GOAL_BUILD_S_C = 180.0  # corpus C, 2 cores
RAW_BYTES_C = 194_716_700  # UTF-8 bytes of title + summary + body over corpus C (measured)
GOAL_PEAK_MB = 1536.0  # 1.5 GB
GOAL_INDEX_RATIO = 2.0
GOAL_INDEX_MB_C = 300
GOAL_ADD_S = 30.0
LINEAR_TOLERANCE = 1.15  # a ratio within 15% of the document ratio counts as linear

SAMPLE_SIZE = 1_000
NEW_DOCS = 1_000
PROBES = 20  # new titles searched after the add
QUERIES = 100
TIMED_PASSES = 2


# --- corpora -----------------------------------------------------------------

def open_lines(path: Path) -> Iterator[str]:
    """Non-blank lines of a JSONL or JSONL.gz file."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                yield line if line.endswith("\n") else line + "\n"


def write_head(sources: Iterable[Path], count: int, target: Path) -> Path:
    """The first ``count`` records of ``sources`` (read in turn) as JSONL."""
    lines = itertools.islice(itertools.chain.from_iterable(open_lines(p) for p in sources), count)
    written = 0
    with open(target, "w", encoding="utf-8") as out:
        for line in lines:
            out.write(line)
            written += 1
    if written < count:
        raise SystemExit(f"{target}: only {written} records available, {count} wanted")
    return target


def raw_text_bytes(record: dict) -> int:
    return sum(len((record.get(key) or "").encode("utf-8")) for key in ("title", "summary", "body"))


def scan_corpus(paths: list[Path]) -> dict:
    """Record count, raw text size and (id, title) of every record, in order."""
    count, raw_bytes, titles = 0, 0, []
    for path in paths:
        for line in open_lines(path):
            record = json.loads(line)
            count += 1
            raw_bytes += raw_text_bytes(record)
            titles.append((str(record.get("id")), record.get("title") or ""))
    return {"paths": [str(p) for p in paths], "records": count, "raw_bytes": raw_bytes, "titles": titles}


def rejected_lines(path: Path) -> set[int]:
    """Line numbers of ``path`` that vn_search's reader reports instead of indexing."""
    from vn_search.documents import InputProblem
    from vn_search.sources import read_sources

    return {item.line for item in read_sources([path]) if isinstance(item, InputProblem)}


def write_sample(corpus: dict, target: Path) -> dict:
    """A fixed sample (seed 13) of corpus records the indexer accepts."""
    wanted = min(corpus["records"], SAMPLE_SIZE + SAMPLE_SIZE // 5)
    order = random.Random(SEED).sample(range(corpus["records"]), wanted)
    position_of = {index: rank for rank, index in enumerate(order)}
    drawn: list[str | None] = [None] * wanted
    lines = itertools.chain.from_iterable(open_lines(Path(p)) for p in corpus["paths"])
    for index, line in enumerate(lines):
        if index in position_of:
            drawn[position_of[index]] = line
    candidates = target.with_suffix(".candidates.jsonl")
    candidates.write_text("".join(drawn), encoding="utf-8")
    bad = rejected_lines(candidates)
    kept = [line for number, line in enumerate(drawn, 1) if number not in bad][:SAMPLE_SIZE]
    candidates.unlink()
    target.write_text("".join(kept), encoding="utf-8")
    return {"path": str(target), "documents": len(kept), "rejected_candidates_skipped": len(bad),
            "raw_bytes": sum(raw_text_bytes(json.loads(line)) for line in kept)}


def write_new_docs(target: Path, corpus_ids: set[str]) -> dict:
    """The first 1,000 vietnews-val records (not in the corpus) and titles to probe for."""
    write_head([VIETNEWS_VAL], NEW_DOCS, target)
    records = [json.loads(line) for line in open_lines(target)]
    clash = [r["id"] for r in records if r["id"] in corpus_ids]
    if clash:
        raise SystemExit(f"{target}: {len(clash)} new records are already in the corpus, e.g. {clash[0]}")
    bad = rejected_lines(target)
    accepted = [r for number, r in enumerate(records, 1) if number not in bad]
    step = max(1, len(accepted) // PROBES)
    probes = [(r["id"], unicodedata.normalize("NFC", r["title"])) for r in accepted[::step][:PROBES]]
    return {"path": str(target), "records": len(records), "rejected": len(bad), "probes": probes}


def make_queries(titles: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """100 corpus titles (seed 13), each cut to 4 random words: (target id, query)."""
    drawn = random.Random(SEED).sample(titles, min(QUERIES, len(titles)))
    word_rng = random.Random(SEED)
    return [(doc_id, sample_title_words(unicodedata.normalize("NFC", title), word_rng)) for doc_id, title in drawn]


# --- measurements (each in a subprocess) --------------------------------------------

def run_task(name: str, spec: dict) -> dict:
    """Run one measurement in a fresh interpreter, sampling its memory."""
    spec_path = WORK / f"task-{name}.json"
    out_path = WORK / f"task-{name}.out.json"
    out_path.unlink(missing_ok=True)
    spec_path.write_text(json.dumps(dict(spec, out=str(out_path)), ensure_ascii=False), encoding="utf-8")
    load_before = load_average()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "bench.indexing", "--task", str(spec_path)], cwd=ROOT)
    sampler = TreeMemory(process.pid)
    sampler.start()
    code = process.wait()
    memory = sampler.stop()
    result = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
    if code != 0 and "error" not in result:
        result["error"] = f"exit status {code}"
    result.update(memory=memory, process_wall_s=round(time.perf_counter() - started, 1),
                  load_before=load_before, load_after=load_average())
    if "error" in result:
        print(f"[{name}] FAILED: {result['error'].strip().splitlines()[-1]}", flush=True)
    return result


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # joined worker processes
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _own_hwm_mb() -> float:
    return round(status_kb("self", ("VmHWM",)).get("VmHWM", 0) / 1024, 1)


def generation_files(generation: Path) -> dict[str, dict]:
    files = {}
    for item in generation.iterdir():
        if item.is_file():
            stat = item.stat()
            files[item.name] = {"ino": stat.st_ino, "mtime_ns": stat.st_mtime_ns, "size": stat.st_size,
                                "blocks": stat.st_blocks}
    return files


# What each kind of index file holds, by the end of its name.
INDEX_PARTS = (("term tables", (".vnt", ".trm")), ("postings", (".pst",)), ("stored text", ("_stored.col",)),
               ("accent model", (".npz",)))


def disk_usage(generation: Path) -> dict:
    """``du`` of a generation folder: allocated bytes (and apparent bytes),
    and the apparent bytes of each part of the index."""
    files = generation_files(generation)
    parts = {name: sum(f["size"] for file, f in files.items() if file.endswith(ends)) for name, ends in INDEX_PARTS}
    parts["other"] = sum(f["size"] for f in files.values()) - sum(parts.values())
    return {"generation": str(generation), "files": len(files),
            "du_bytes": sum(f["blocks"] * 512 for f in files.values()),
            "apparent_bytes": sum(f["size"] for f in files.values()), "parts": parts}


def _report_json(report) -> dict:
    data = report.to_json()
    problems = data.pop("problems", [])
    data["problem_samples"] = problems[:5]
    return data


def task_build(spec: dict) -> dict:
    from vn_search import SearchEngine
    from vn_search.storage import store

    index_dir = Path(spec["index_dir"])
    shutil.rmtree(index_dir, ignore_errors=True)
    engine = SearchEngine(index_dir)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    report = engine.index(spec["paths"], rebuild=True, workers=spec["workers"], progress=False)
    seconds = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu_before
    documents = report.articles + report.related
    return {
        "seconds": round(seconds, 2),
        "cpu_s": round(cpu, 1),
        "documents": documents,
        "documents_total": report.documents_total,
        "docs_per_s": round(documents / seconds, 2),
        "own_hwm_mb": _own_hwm_mb(),
        "disk": disk_usage(store.current_generation(index_dir)),
        "report": _report_json(report),
    }


def task_baseline(spec: dict) -> dict:
    """pyvi per line + a plain Whoosh index, one process: the naive pipeline."""
    from pyvi import ViTokenizer
    from whoosh import fields, index

    ViTokenizer.tokenize("Cán bộ luân chuyển")  # model loaded before the clock starts
    index_dir = Path(spec["index_dir"])
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    ix = index.create_in(str(index_dir), fields.Schema(content=fields.TEXT()))
    writer = ix.writer(procs=1)
    documents = 0
    for line in open_lines(Path(spec["path"])):
        text = document_text(json.loads(line))
        writer.add_document(content="\n".join(ViTokenizer.tokenize(part) for part in text.split("\n")))
        documents += 1
    writer.commit()
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "cpu_s": round(_cpu_seconds() - cpu_before, 1),
            "documents": documents, "docs_per_s": round(documents / seconds, 2), "own_hwm_mb": _own_hwm_mb(),
            "disk": disk_usage(index_dir)}


def task_query(spec: dict) -> dict:
    from vn_search import SearchEngine

    engine = SearchEngine(spec["index_dir"])
    queries = spec["queries"]
    for _, text in queries:  # warm: open the searcher, load caches
        engine.search(text)
    latencies, first = [], 0
    for number in range(TIMED_PASSES):
        for doc_id, text in queries:
            started = time.perf_counter()
            results = engine.search(text)
            latencies.append((time.perf_counter() - started) * 1000)
            if number == 0 and results.hits and results.hits[0].id == doc_id:
                first += 1
    return {"queries": len(queries), "samples": len(latencies),
            "p50_ms": round(percentile(latencies, 50), 2), "p95_ms": round(percentile(latencies, 95), 2),
            "mean_ms": round(sum(latencies) / len(latencies), 2), "target_first": first,
            "own_hwm_mb": _own_hwm_mb()}


def _top_ids(engine, text: str) -> list[str]:
    return [hit.id for hit in engine.search(text).hits]


def _segments(files: dict[str, dict]) -> dict[str, dict]:
    """A generation's segments: a compound ``.seg`` file, or the separate
    files ``MAIN_<id>.vnt``, ``.pst``, ``._stored.col``, ... of one id."""
    segments: dict[str, dict] = {}
    for name, f in files.items():
        if name.endswith(".seg") or (name.startswith("MAIN_") and "." in name):
            segment = segments.setdefault(name.split(".", 1)[0], {"size": 0, "inodes": set()})
            segment["size"] += f["size"]
            segment["inodes"].add(f["ino"])
    return segments


def compare_generations(before: dict[str, dict], after: dict[str, dict], before_now: dict[str, dict]) -> dict:
    """What an update did to the files: which of the new generation's
    segments are the old ones (same inode: a hard link), what it wrote, and
    whether it changed any file of the previous generation (``before_now``
    is that generation re-read after the update; a file rewritten through a
    hard link keeps its inode but not its mtime)."""
    old_segments, new_segments = _segments(before), _segments(after)
    old_versions = {f["ino"]: (f["mtime_ns"], f["size"]) for f in before.values()}
    old_inodes = {f["ino"] for f in before.values()}
    kept = [name for name, f in new_segments.items() if f["inodes"] <= old_inodes]
    written = {name: f["size"] for name, f in after.items()  # new files, and old ones rewritten in place
               if old_versions.get(f["ino"]) != (f["mtime_ns"], f["size"])}
    changed = sorted(name for name, f in before.items() if name in before_now
                     and (before_now[name]["mtime_ns"], before_now[name]["size"]) != (f["mtime_ns"], f["size"]))
    return {
        "old_segments": len(old_segments),
        "old_segment_bytes": sum(f["size"] for f in old_segments.values()),
        "new_segments": len(new_segments),
        "segments_kept": len(kept),
        "segment_bytes_kept": sum(new_segments[name]["size"] for name in kept),
        "segments_merged_away": sorted(set(old_segments) - set(kept)),
        "files_written": written,
        "bytes_written": sum(written.values()),
        "index_bytes": sum(f["size"] for f in after.values()),
        "rewrote_whole_index": bool(old_segments) and not kept,
        "previous_generation_changed_in_place": changed,
        "previous_generation_missing": sorted(set(before) - set(before_now)),
    }


def task_add(spec: dict) -> dict:
    """engine.index(paths) on an existing index: an update, not a rebuild."""
    from vn_search import SearchEngine

    engine = SearchEngine(spec["index_dir"])
    cpu_before = _cpu_seconds()
    started = time.perf_counter()
    report = engine.index([spec["path"]], workers=spec["workers"], progress=False)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "cpu_s": round(_cpu_seconds() - cpu_before, 1),
            "documents_after": report.documents_total, "own_hwm_mb": _own_hwm_mb(), "report": _report_json(report)}


TASKS = {"build": task_build, "baseline": task_baseline, "query": task_query, "add": task_add}


def run_child(spec_path: Path) -> int:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    try:
        result = TASKS[spec["task"]](spec)
        code = 0
    except BaseException:  # report it to the parent, which carries on with what it can
        result, code = {"error": traceback.format_exc()}, 1
    Path(spec["out"]).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return code


# --- the table ------------------------------------------------------------------------

def _mb(value_bytes: float) -> float:
    return value_bytes / 2**20


def _verdict(ok: bool | None) -> str:
    return "info" if ok is None else ("PASS" if ok else "FAIL")


def _row(measure: str, goal: str, baseline: str, measured: str, ratio: str, ok: bool | None) -> dict:
    return {"measure": measure, "goal": goal, "baseline": baseline, "measured": measured, "ratio": ratio,
            "pass": _verdict(ok)}


def _ok(result: dict | None) -> bool:
    return bool(result) and "error" not in result


def peak_mb(result: dict) -> float:
    """Peak memory of a measured process tree: the largest sampled sum of
    VmRSS, or the indexing process's own VmHWM when that is higher (a spike
    shorter than the sampling interval, e.g. while the accent model is
    saved, shows only there)."""
    return max(result["memory"]["peak_tree_rss_mb"], result.get("own_hwm_mb", 0))


def peak_text(result: dict) -> str:
    memory = result["memory"]
    return (f"{peak_mb(result):.0f} (tree RSS {memory['peak_tree_rss_mb']:.0f}, PSS {memory['peak_tree_pss_mb']:.0f}; "
            f"parent VmHWM {result.get('own_hwm_mb', 0):.0f})")


def build_goal_s(raw_bytes: int, corpus: str) -> float:
    return GOAL_BUILD_S_C if corpus == "C" else GOAL_BUILD_S_C * raw_bytes / RAW_BYTES_C


def table_rows(results: dict) -> list[dict]:
    """The goal table, phase by phase, from what the run has finished."""
    return (_build_rows(results) + _sample_rows(results.get("sample", {})) + _incremental_rows(results)
            + _scale_rows(results))


def _baseline_docs_per_s(results: dict) -> float | None:
    baseline = results.get("sample", {}).get("baseline")
    return baseline["docs_per_s"] if _ok(baseline) else None


def _build_rows(results: dict) -> list[dict]:
    rows = []
    corpus, info, workers = results["corpus"], results.get("corpus_info", {}), results["workers"]
    build, base_dps = results.get("build"), _baseline_docs_per_s(results)
    if _ok(build):
        goal_s = build_goal_s(info["raw_bytes"], corpus)
        goal_text = f"<= {goal_s:.0f} s" + ("" if corpus == "C" else " (180 s for C, pro rata)")
        label = f"{build['documents']:,} docs"
        rows.append(_row(f"build wall s ({label}, workers={workers})", goal_text, "", f"{build['seconds']:.1f}",
                         f"{build['seconds'] / goal_s:.2f}x goal", build["seconds"] <= goal_s))
        goal_dps = build["documents"] / goal_s
        rows.append(_row("build docs/s", f">= {goal_dps:.0f}", f"{base_dps:.1f}" if base_dps else "",
                         f"{build['docs_per_s']:.1f}",
                         f"{build['docs_per_s'] / base_dps:.2f}x baseline" if base_dps else "",
                         build["docs_per_s"] >= goal_dps))
        rows.append(_row("build CPU s, all processes", "", "", f"{build['cpu_s']:.0f}",
                         f"{build['cpu_s'] / build['seconds']:.2f} cores busy", None))
        bound = build["cpu_s"] / max(1, workers)
        rows.append(_row(f"build wall if idle: CPU s / {max(1, workers)} (lower bound)", goal_text.split(" (")[0], "",
                         f"{bound:.1f}", f"{bound / goal_s:.2f}x goal", None))
        rows.append(_row("build peak memory, process tree (MB)", f"<= {GOAL_PEAK_MB:.0f}", "", peak_text(build),
                         f"{peak_mb(build) / GOAL_PEAK_MB:.2f}x goal", peak_mb(build) <= GOAL_PEAK_MB))
        index_mb, raw_mb = _mb(build["disk"]["du_bytes"]), _mb(info["raw_bytes"])
        rows.append(_row("index size on disk (MB) vs raw text", f"<= {GOAL_INDEX_RATIO:.1f}x raw",
                         f"{raw_mb:.1f} raw", f"{index_mb:.1f}", f"{index_mb / raw_mb:.2f}x raw",
                         index_mb / raw_mb <= GOAL_INDEX_RATIO))
        if corpus == "C":  # the issue also names a figure: 2x its 148 M characters
            decimal_mb = build["disk"]["du_bytes"] / 1e6
            rows.append(_row("index size, 10^6 bytes (the issue's figure)", f"<= {GOAL_INDEX_MB_C} MB", "",
                             f"{decimal_mb:.1f}", f"{decimal_mb / GOAL_INDEX_MB_C:.2f}x goal",
                             decimal_mb <= GOAL_INDEX_MB_C))
        parts = build["disk"].get("parts", {})
        if parts:
            rows.append(_row("index parts (MB)", "", "", ", ".join(f"{k} {_mb(v):.1f}" for k, v in parts.items()),
                             "", None))
    elif build:
        rows.append(_row("build", "", "", "ERROR", "", False))
    return rows


def _sample_rows(sample: dict) -> list[dict]:
    rows = []
    baseline = sample.get("baseline")
    base_dps = baseline["docs_per_s"] if _ok(baseline) else None
    if sample:
        count = baseline["documents"] if _ok(baseline) else SAMPLE_SIZE
        if _ok(baseline):
            rows.append(_row(f"naive baseline docs/s ({count:,}-doc sample, 1 process)", "", f"{base_dps:.1f}", "", "",
                             None))
        for key, label in (("ours_w1", "workers=1"), ("ours_w2", "workers=2")):
            ours = sample.get(key)
            if _ok(ours):
                rows.append(_row(f"vn_search docs/s, same sample, {label}", "", f"{base_dps:.1f}" if base_dps else "",
                                 f"{ours['docs_per_s']:.1f}",
                                 f"{ours['docs_per_s'] / base_dps:.2f}x baseline" if base_dps else "", None))
        ours = sample.get("ours_w1")
        if _ok(baseline) and _ok(ours):
            base_cpu = 1000 * baseline["cpu_s"] / baseline["documents"]
            ours_cpu = 1000 * ours["cpu_s"] / ours["documents"]
            rows.append(_row("CPU ms per doc, same sample, workers=1", "", f"{base_cpu:.1f}", f"{ours_cpu:.1f}",
                             f"{ours_cpu / base_cpu:.2f}x baseline", None))
        if _ok(sample.get("ours_w1")) and _ok(sample.get("ours_w2")):
            rows.append(_row("workers=2 speed-up on the sample", "", "", "",
                             f"{sample['ours_w2']['docs_per_s'] / sample['ours_w1']['docs_per_s']:.2f}x", None))
    return rows


def _incremental_rows(results: dict) -> list[dict]:
    rows = []
    incremental = results.get("incremental") or {}
    add, readd = incremental.get("add"), incremental.get("readd")
    if _ok(add):
        rows.append(_row(f"add {NEW_DOCS:,} new articles, wall s", f"<= {GOAL_ADD_S:.0f} s", "",
                         f"{add['seconds']:.1f} (CPU {add['cpu_s']:.0f} s)", f"{add['seconds'] / GOAL_ADD_S:.2f}x goal",
                         add["seconds"] <= GOAL_ADD_S))
        rows.append(_row("add peak memory, process tree (MB)", f"<= {GOAL_PEAK_MB:.0f}", "", peak_text(add),
                         f"{peak_mb(add) / GOAL_PEAK_MB:.2f}x goal", peak_mb(add) <= GOAL_PEAK_MB))
        files = add["files"]
        kept_share = files["segment_bytes_kept"] / files["old_segment_bytes"] if files["old_segment_bytes"] else 0
        rows.append(_row("add rewrote the whole index?", "no (old segments hard-linked)", "",
                         f"{'yes' if files['rewrote_whole_index'] else 'no'}: {files['segments_kept']}/"
                         f"{files['old_segments']} segments kept, wrote {_mb(files['bytes_written']):.1f} of "
                         f"{_mb(files['index_bytes']):.1f} MB",
                         f"{kept_share:.1%} of old bytes kept", not files["rewrote_whole_index"]))
        changed = files["previous_generation_changed_in_place"] + files["previous_generation_missing"]
        rows.append(_row("add left the previous generation untouched?", "yes (publish is atomic)", "",
                         "yes" if not changed else "no: " + ", ".join(changed) + " changed in place", "", not changed))
        probes = incremental["probes"]
        first = incremental.get("probes_first_after_add_same_engine", 0)
        rows.append(_row("engine opened before the add finds new titles first", f"{probes}/{probes}", "",
                         f"{first}/{probes} (before the add: {incremental['probes_found_before_add']} in top 10)", "",
                         first == probes))
        expected = incremental["documents_before"] + add["report"]["articles"] + add["report"]["related"]
        rows.append(_row("document count after the add", f"= {expected:,}", f"{incremental['documents_before']:,}",
                         f"{add['documents_after']:,}", "", add["documents_after"] == expected))
    elif add:
        rows.append(_row("incremental add", "", "", "ERROR", "", False))
    if _ok(add) and _ok(readd):
        once = incremental.get("probes_once_in_top10_after_readd", 0)
        rows.append(_row(f"re-add the same {NEW_DOCS:,}: document count", f"= {add['documents_after']:,} (replace)",
                         f"{add['documents_after']:,}", f"{readd['documents_after']:,} "
                         f"({once}/{probes} probes once in top 10)", "",
                         readd["documents_after"] == add["documents_after"] and once == probes))
        rows.append(_row("re-add wall s", f"<= {GOAL_ADD_S:.0f} s", "", f"{readd['seconds']:.1f} (CPU {readd['cpu_s']:.0f} s)",
                         f"{readd['seconds'] / GOAL_ADD_S:.2f}x goal", readd["seconds"] <= GOAL_ADD_S))
    elif readd:
        rows.append(_row("incremental re-add", "", "", "ERROR", "", False))
    return rows


def _scale_rows(results: dict) -> list[dict]:
    rows = []
    build = results.get("build")
    query_small = results.get("query_small")
    if _ok(results.get("query_small_again")):
        query_small = results["query_small_again"]
    scale, query_large = results.get("scale_build"), results.get("query_large")
    if _ok(query_small) and not _ok(query_large):
        rows.append(_row(f"query p95 ms ({QUERIES} 4-word title queries, warm)", "", "",
                         f"{query_small['p95_ms']:.1f} (p50 {query_small['p50_ms']:.1f}, "
                         f"target first {query_small['target_first']}/{query_small['queries']})", "", None))
    if _ok(build) and _ok(scale):
        doc_ratio = scale["documents"] / build["documents"]
        limit = doc_ratio * LINEAR_TOLERANCE
        linear = f"<= {doc_ratio:.2f}x (linear, +{LINEAR_TOLERANCE - 1:.0%})"
        rows.append(_row("scale: documents", "", f"{build['documents']:,}", f"{scale['documents']:,}",
                         f"{doc_ratio:.2f}x", None))
        growth = [("build wall s", build["seconds"], scale["seconds"]),
                  ("index size MB", _mb(build["disk"]["du_bytes"]), _mb(scale["disk"]["du_bytes"]))]
        if _ok(query_small) and _ok(query_large):
            growth.append(("query p95 ms", query_small["p95_ms"], query_large["p95_ms"]))
        for name, small, large in growth:
            rows.append(_row(f"scale: {name}", linear, f"{small:.1f}", f"{large:.1f}", f"{large / small:.2f}x",
                             large / small <= limit))
        if _ok(query_small) and _ok(query_large):
            rows.append(_row("scale: query p50 ms", "", f"{query_small['p50_ms']:.1f}", f"{query_large['p50_ms']:.1f}",
                             f"{query_large['p50_ms'] / query_small['p50_ms']:.2f}x", None))
        rows.append(_row("scale: build peak memory, tree (MB)", f"<= {GOAL_PEAK_MB:.0f}", f"{peak_mb(build):.0f}",
                         peak_text(scale), f"{peak_mb(scale) / peak_mb(build):.2f}x", peak_mb(scale) <= GOAL_PEAK_MB))
        index_mb = _mb(scale["disk"]["du_bytes"])
        raw_mb = _mb(results["scale_info"]["raw_bytes"])
        rows.append(_row("scale: index size vs raw text", f"<= {GOAL_INDEX_RATIO:.1f}x raw", f"{raw_mb:.1f} raw",
                         f"{index_mb:.1f}", f"{index_mb / raw_mb:.2f}x raw", index_mb / raw_mb <= GOAL_INDEX_RATIO))
    elif scale:
        rows.append(_row("scale", "", "", "ERROR", "", False))
    return rows


COLUMNS = ["measure", "goal", "baseline", "measured", "ratio", "pass/fail"]


def render_table(rows: list[dict]) -> str:
    """The rows as a markdown table, ready to paste into an issue."""
    return format_table([{**row, "pass/fail": row["pass"]} for row in rows], COLUMNS, markdown=True)


def print_results(results: dict) -> None:
    info = results.get("corpus_info", {})
    print(f"\nvn_search indexing benchmark: corpus {results['corpus']} ({info.get('records', 0):,} records, "
          f"{_mb(info.get('raw_bytes', 0)):.1f} MB raw text), workers={results['workers']}, "
          f"{os.cpu_count()} CPUs, started {results['started']}")
    print(render_table(results.get("table", [])))
    print(f"load average (1/5/15 min): start {results['load_start']}, end {results.get('load_end', 'n/a')}"
          f"{'' if results.get('complete') else '   (INCOMPLETE RUN: phases missing)'}")


# --- the run ----------------------------------------------------------------------------

def measure_incremental(index_dir: Path, new_docs: dict, workers: int) -> dict:
    """Add the new articles, then add them again, each in a measured
    subprocess, while an engine opened here beforehand (as a server would
    hold one) searches for them."""
    from vn_search import SearchEngine
    from vn_search.storage import store

    probes = new_docs["probes"]
    reader = SearchEngine(index_dir)
    found_before = sum(doc_id in _top_ids(reader, title) for doc_id, title in probes)
    generation = store.current_generation(index_dir)
    files = generation_files(generation)
    result = {"documents_before": store.read_meta(generation)["documents"], "probes": len(probes),
              "probes_found_before_add": found_before}
    spec = {"task": "add", "index_dir": str(index_dir), "path": new_docs["path"], "workers": workers}
    for step in ("add", "readd"):
        done = result[step] = run_task(step, spec)
        if not _ok(done):
            break
        new_generation = store.current_generation(index_dir)
        new_files = generation_files(new_generation)
        done["generation"] = str(new_generation)
        done["files"] = compare_generations(files, new_files, generation_files(generation))
        generation, files = new_generation, new_files
        if step == "add":
            result["probes_first_after_add_same_engine"] = sum(
                _top_ids(reader, title)[:1] == [doc_id] for doc_id, title in probes)
        else:
            result["probes_once_in_top10_after_readd"] = sum(
                _top_ids(reader, title).count(doc_id) == 1 for doc_id, title in probes)
    result["reader_documents_after"] = reader.stats().documents
    return result


def save(results: dict) -> None:
    """The results so far, with their table: an interrupted run keeps its finished phases."""
    results["table"] = table_rows(results)
    RESULTS_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_PATH.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")


def corpus_paths(corpus: str, scale: bool) -> list[Path]:
    if corpus == "C":
        return CORPUS_C + SCALE_EXTRA_C if scale else list(CORPUS_C)
    count = SMALL_CORPORA[corpus]
    if scale:
        count = int(count * SCALE_FACTOR)
        return [write_head(VIETNEWS_CHAIN, count, WORK / f"vietnews-{count}.jsonl")]
    return [write_head([VIETNEWS_TEST], count, WORK / f"vietnews-test-{count}.jsonl")]


def _say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} load {load_average()}  {message}", flush=True)


def requery() -> int:
    """Query growth without rebuilding: the last run's 100 queries on
    ``index-main`` and ``index-large`` as they are now, each twice, in
    turn (the incremental step adds 1,000 articles to the small one)."""
    queries = json.loads(RESULTS_PATH.read_text(encoding="utf-8"))["queries"]
    indexes = {"small": WORK / "index-main", "large": WORK / "index-large"}
    missing = [str(path) for path in indexes.values() if not path.exists()]
    if missing:
        raise SystemExit(f"--requery needs a previous full run; missing {', '.join(missing)}")
    print(f"load average at start (1/5/15 min): {load_average()}", flush=True)
    timed: dict[str, list[dict]] = {"small": [], "large": []}
    for _ in range(2):
        for name, path in indexes.items():
            timed[name].append(run_task(f"requery-{name}", {"task": "query", "index_dir": str(path), "queries": queries}))
    for name in indexes:
        runs = timed[name]
        print(f"{name}: p50 {min(r['p50_ms'] for r in runs):.1f} ms, p95 {min(r['p95_ms'] for r in runs):.1f} ms (best of 2 runs)")
    ratio = min(r["p95_ms"] for r in timed["large"]) / min(r["p95_ms"] for r in timed["small"])
    print(f"large/small p95: {ratio:.2f}x")
    print(f"load average at end (1/5/15 min): {load_average()}")
    return 0


def prepare(corpus_name: str, workers: int) -> tuple[dict, dict, dict, list]:
    """The run's results so far, the corpus, the new articles and the
    queries, with their files written under WORK."""
    WORK.mkdir(parents=True, exist_ok=True)
    results = {"corpus": corpus_name, "workers": workers, "cpus": os.cpu_count(),
               "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
               "load_start": load_average(), "complete": False,
               "goals": {"build_s_corpus_C": GOAL_BUILD_S_C, "peak_mb": GOAL_PEAK_MB,
                         "index_over_raw": GOAL_INDEX_RATIO, "add_1000_s": GOAL_ADD_S,
                         "linear_tolerance": LINEAR_TOLERANCE},
               "notes": "docs/s counts documents indexed (articles + related items); memory in MiB; "
                        "peak tree RSS counts pages shared after fork once per process (errs high), "
                        "PSS splits them"}
    print(f"load average at start (1/5/15 min): {results['load_start']}", flush=True)
    _say(f"preparing corpus {corpus_name} under {WORK} ...")
    corpus = scan_corpus(corpus_paths(corpus_name, scale=False))
    if corpus_name == "C" and corpus["records"] != CORPUS_C_SIZE:
        print(f"WARNING: corpus C has {corpus['records']} records, expected {CORPUS_C_SIZE}")
    titles = corpus.pop("titles")
    results["corpus_info"] = corpus
    sample = write_sample(corpus, WORK / f"sample-{SAMPLE_SIZE}.jsonl")
    new_docs = write_new_docs(WORK / f"vietnews-val-{NEW_DOCS}.jsonl", {doc_id for doc_id, _ in titles})
    queries = make_queries(titles)
    results.update(sample_info=sample, new_docs_info={k: v for k, v in new_docs.items() if k != "probes"},
                   queries=queries)
    save(results)
    return results, sample, new_docs, queries


def build_phase(results: dict, index: Path, queries: list) -> None:
    """Phase 1: the full build, then the queries on it."""
    corpus, workers = results["corpus_info"], results["workers"]
    _say(f"[build] {corpus['records']:,} records, workers={workers} ...")
    build = results["build"] = run_task("build", {"task": "build", "index_dir": str(index),
                                                  "paths": corpus["paths"], "workers": workers})
    save(results)
    if not _ok(build):
        return
    _say(f"[build] {build['documents']:,} docs in {build['seconds']:.1f} s ({build['docs_per_s']:.1f} docs/s), "
         f"peak memory {peak_mb(build):.0f} MB, index {_mb(build['disk']['du_bytes']):.1f} MB")
    _say("[query] small index ...")
    results["query_small"] = run_task("query", {"task": "query", "index_dir": str(index), "queries": queries})
    if _ok(results["query_small"]):
        _say(f"[query] p95 {results['query_small']['p95_ms']:.1f} ms")
    save(results)


def sample_phase(results: dict, sample: dict) -> None:
    """Phase 2: the naive baseline and vn_search on the same sample."""
    results["sample"] = {}
    for key, task in (("baseline", {"task": "baseline"}),
                      ("ours_w1", {"task": "build", "workers": 1}),
                      ("ours_w2", {"task": "build", "workers": 2})):
        _say(f"[sample] {key} on {sample['documents']:,} docs ...")
        spec = dict(task, index_dir=str(WORK / f"index-sample-{key}"), path=sample["path"], paths=[sample["path"]])
        result = results["sample"][key] = run_task(f"sample-{key}", spec)
        if _ok(result):
            _say(f"[sample] {key}: {result['docs_per_s']:.1f} docs/s")
        save(results)


def scale_phase(results: dict, index_main: Path, queries: list) -> None:
    """Phase 4 (before 3, which changes the small index): the larger build,
    its queries, and the small index's again right after them."""
    _say("[scale] preparing the larger corpus ...")
    large = scan_corpus(corpus_paths(results["corpus"], scale=True))
    large.pop("titles")
    results["scale_info"] = large
    index_large = WORK / "index-large"
    _say(f"[scale] building {large['records']:,} records ...")
    scale = results["scale_build"] = run_task("scale-build", {"task": "build", "index_dir": str(index_large),
                                                               "paths": large["paths"], "workers": results["workers"]})
    if _ok(scale):
        _say(f"[scale] {scale['documents']:,} docs in {scale['seconds']:.1f} s, "
             f"index {_mb(scale['disk']['du_bytes']):.1f} MB")
        save(results)
        results["query_large"] = run_task("query-large", {"task": "query", "index_dir": str(index_large),
                                                          "queries": queries})
        if _ok(results.get("build")):  # again, next to the large one: same code, same load, for the p95 ratio
            results["query_small_again"] = run_task("query-small-again", {
                "task": "query", "index_dir": str(index_main), "queries": queries})
    save(results)


def incremental_phase(results: dict, index_main: Path, new_docs: dict) -> None:
    """Phase 3, last: it changes the small index."""
    _say(f"[incremental] adding {NEW_DOCS:,} new articles, then again ...")
    incremental = results["incremental"] = measure_incremental(index_main, new_docs, results["workers"])
    if _ok(incremental.get("readd")):
        _say(f"[incremental] add {incremental['add']['seconds']:.1f} s, re-add {incremental['readd']['seconds']:.1f} s")
    save(results)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=["C", "20k", "5k"], default="C")
    parser.add_argument("--skip-scale", action="store_true", help="no build at the larger size")
    parser.add_argument("--workers", type=int, default=2, help="analysis processes (default 2)")
    parser.add_argument("--print-table", action="store_true", help=f"print the table of {RESULTS_PATH} and stop")
    parser.add_argument("--requery", action="store_true",
                        help="time the last run's queries again on its small and large indexes (scale p50/p95) and stop")
    parser.add_argument("--task", type=Path, help=argparse.SUPPRESS)  # internal: one measurement
    args = parser.parse_args(argv)
    if args.task:
        return run_child(args.task)
    if args.requery:
        return requery()
    if args.print_table:
        results = json.loads(RESULTS_PATH.read_text(encoding="utf-8"))
        results["table"] = table_rows(results)  # with this version's rules
        print_results(results)
        return 0

    results, sample, new_docs, queries = prepare(args.corpus, args.workers)
    index_main = WORK / "index-main"
    build_phase(results, index_main, queries)
    sample_phase(results, sample)
    if not args.skip_scale:
        scale_phase(results, index_main, queries)
    if _ok(results.get("build")):
        incremental_phase(results, index_main, new_docs)
    results["load_end"] = load_average()
    results["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    results["complete"] = True
    save(results)
    print_results(results)
    print(f"\nwrote {RESULTS_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
