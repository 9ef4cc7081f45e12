"""SIGKILL an indexing run at random moments, many times, and count the damage.

Two experiments, each on its own index under ``bench/work/crash-safety/``:

* **rebuild** — an index of 300 articles is rebuilt from ``--docs`` others
  (``vn-search index NEW --rebuild``);
* **incremental** — ``--docs`` / 2 articles are added to an index of as many
  (a tenth of them new versions of indexed articles, same id).

Each run of the CLI is killed with its whole process group (the writer's
worker processes too). Kill moments are spread over one undisturbed run,
measured first: ``--runs`` strata of equal width over 0 … 1.1 × its
duration, one random moment in each; every fifth run instead kills on an
event seen in the build folder (the first finished segment file: commit;
the generation's meta file being written: publication, a window of a few
milliseconds, watched without pause once the TOC is written) so the narrow
windows are hit too. On a loaded machine the measured run can be faster or
slower than the killed ones; the phase each kill actually hit (judged from
the build folder) is recorded and counted. The runs follow each other on
the same index, as repeated crashes would, and a last undisturbed run must
finish the job.

After every kill:

* **corrupt** — the index could not be opened or searched, or it answered
  differently from before the kill (or, if the kill came after the
  ``current`` swap, holds other documents or finds other phrase hits than
  an undisturbed run);
* **lost** — a document of the generation in place before the kill (or,
  after the swap, of the new one) cannot be found;
* **duplicated** — a document id stored more than once;
* **stale builds** — the previous killed run's ``.build-*`` survived a run
  that took the writer lock;
* **answers drift** (not crash damage) — after the swap the documents are
  right and quoted phrases find the same hits as an undisturbed run, but
  word queries do not: replaced documents still count in the collection
  statistics, so re-running a completed update changes answers even with
  no kill at all (tests/test_crash_safety.py has the small case).

Usage (repository root, project venv; uses ``/work/shared/data`` vietnews
articles, generated ones without it)::

    .venv/bin/python -m bench.crash_safety [--runs 20] [--docs 3000] [--seed 13]
                                            [--only rebuild|incremental]

Prints one row per experiment and writes ``bench/results/crash_safety.json``
(every run: moment, phase seen in the folder, outcome).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

from bench.common import RESULTS_DIR, WORK_DIR, print_table, vn_search_command, write_results
from bench.datagen import news_articles
from bench.datasets import VIETNEWS_TEST_DOCS, iter_jsonl, sample_title_words, unaccent, write_jsonl

WORK = WORK_DIR / "crash-safety"
PHASES = ["startup", "analysis", "commit", "after-commit", "publish", "after-swap", "finished"]
FIELDS = ("id", "title", "summary", "body", "captions")


# -- corpora -------------------------------------------------------------------


def load_articles(count: int, skip: int) -> list[dict]:
    """``count`` vietnews test articles after the first ``skip``; generated
    ones (``bench.datagen``) when the data set is absent."""
    if VIETNEWS_TEST_DOCS.exists():
        records = islice(iter_jsonl(VIETNEWS_TEST_DOCS), skip, skip + count)
        return [{key: record[key] for key in FIELDS if key in record} for record in records]
    return news_articles(count, seed=skip + 1, prefix=f"gen{skip}")


def queries_for(records: list[dict], rng: random.Random, count: int) -> list[str]:
    """Title fragments (accented, unaccented) and quoted three-word phrases,
    the last having few enough hits to compare whole result sets."""
    queries = []
    for record in rng.sample(records, count):
        words = record["title"].replace('"', " ").split()
        start = rng.randrange(max(1, len(words) - 2))
        queries.append('"' + " ".join(words[start:start + 3]) + '"')
        queries.append(sample_title_words(record["title"], rng))
    queries.append(unaccent(queries[-1]))
    return queries


# -- running and killing the CLI -------------------------------------------------


def run_to_end(*args) -> float:
    started = time.perf_counter()
    done = subprocess.run(vn_search_command(*args), capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"vn-search {' '.join(map(str, args))} failed:\n{done.stderr}")
    return time.perf_counter() - started


@dataclass
class Before:
    """The index folder as it was before a run: what a new file is."""

    generation: str
    linked: set[str]  # files of the current generation (an update hard-links them)
    entries: set[str]


def folder_state(index: Path) -> Before:
    generation = os.readlink(index / "current")
    return Before(generation, {f.name for f in (index / generation).iterdir()}, {c.name for c in index.iterdir()})


def phase_of(index: Path, before: Before) -> str:
    """Where a run is, judged from the index folder."""
    try:
        if os.readlink(index / "current") != before.generation:
            return "after-swap"
        new = [index / name for name in os.listdir(index) if name not in before.entries]
        if any(path.name.startswith("gen-") for path in new):
            return "publish"  # renamed, not yet swapped in
        builds = [path for path in new if path.name.startswith(".build-")]
        if not builds:
            return "startup"
        files = set(os.listdir(builds[0])) - before.linked
    except FileNotFoundError:  # the folder changed while we looked
        return phase_of(index, before)
    if "vn_search.json" in files or "vn_search.json.tmp" in files:
        return "publish"  # complete: being stamped with its meta, then swapped in
    if any(name.endswith(".toc") and name != "_MAIN_0.toc" for name in files):
        return "after-commit"  # segments committed; the accent model and meta follow
    if any(name.endswith(".seg") for name in files):
        return "commit"  # a worker's segment is finished; the others and the TOC follow
    return "analysis"


@dataclass
class Kill:
    moment: float | None = None  # seconds after start
    event: str | None = None  # or: as soon as the folder shows this phase


def run_and_kill(args: list, index: Path, plan: Kill, before: Before) -> tuple[float, str]:
    """Run the CLI and SIGKILL its process group as planned; (seconds, phase)."""
    process = subprocess.Popen(vn_search_command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    started = time.perf_counter()
    target = PHASES.index(plan.event) if plan.event else None
    while True:
        if process.poll() is not None:
            return time.perf_counter() - started, "finished"
        elapsed = time.perf_counter() - started
        if plan.moment is not None:
            if elapsed >= plan.moment:
                break
            time.sleep(min(0.005, plan.moment - elapsed))
            continue
        phase = PHASES.index(phase_of(index, before))
        if phase >= target:
            break
        # Publication takes milliseconds: once the TOC is written, look without pausing.
        time.sleep(0 if plan.event == "publish" and PHASES[phase] == "after-commit" else 0.001)
    phase = phase_of(index, before)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return time.perf_counter() - started, phase


def kill_plans(runs: int, duration: float, rng: random.Random) -> list[Kill]:
    width = 1.1 * duration / runs
    plans = []
    for number in range(runs):
        if number % 10 == 4:
            plans.append(Kill(event="commit"))
        elif number % 10 == 9:
            plans.append(Kill(event="publish"))
        else:
            plans.append(Kill(moment=rng.uniform(number * width, (number + 1) * width)))
    return plans


# -- what the index holds and answers ------------------------------------------------


@dataclass
class Snapshot:
    generation: str
    ids: list[str]
    titles: dict[str, str]
    answers: dict[str, tuple[int, list[tuple[str, float]]]]


def snapshot(index: Path, queries: list[str]) -> Snapshot:
    """Every stored id (duplicates included) and the answers to ``queries``,
    read as a fresh process would."""
    from whoosh import index as whoosh_index

    from vn_search import SearchEngine

    generation = os.readlink(index / "current")
    with whoosh_index.open_dir(str(index / generation)).reader() as reader:
        stored = [(fields["id"], fields.get("headline", "")) for fields in reader.all_stored_fields()]
    engine = SearchEngine(index)
    answers = {}
    for query in queries:
        results = engine.search(query, per_page=100)
        answers[query] = (results.total, [(hit.id, round(hit.score, 4)) for hit in results.hits])
    engine.close()
    return Snapshot(generation, [doc_id for doc_id, _ in stored], dict(stored), answers)


def same_content(found: Snapshot, expected: Snapshot, phrases_only: bool = False) -> bool:
    """Two builds of the same documents: equal totals, and equal hit sets
    where the whole result fits on the page (scores and tie order may
    differ between builds). With ``phrases_only``, only the quoted-phrase
    queries: their hits do not depend on collection statistics, which
    replaced (deleted) documents still skew (see ``drift``)."""
    for query, (total, hits) in expected.answers.items():
        if phrases_only and not query.startswith('"'):
            continue
        found_total, found_hits = found.answers[query]
        if found_total != total:
            return False
        if total <= 100 and {h for h, _ in found_hits} != {h for h, _ in hits}:
            return False
    return True


# -- the experiments -----------------------------------------------------------------


@dataclass
class Run:
    number: int
    planned: str
    seconds: float
    phase: str
    published: bool
    corrupt: bool
    lost: int
    duplicated: int
    stale_builds: int
    drift: bool = False  # published, content right, word-query answers differ (statistics)
    note: str = ""


@dataclass
class Experiment:
    name: str
    documents: int
    measured_seconds: float
    runs: list[Run] = field(default_factory=list)
    final_ok: bool = False
    final_note: str = ""

    def row(self) -> dict:
        phases = Counter(run.phase for run in self.runs)
        return {
            "experiment": self.name,
            "runs": len(self.runs),
            "corrupt": sum(run.corrupt for run in self.runs),
            "lost": sum(run.lost for run in self.runs),
            "duplicated": sum(run.duplicated for run in self.runs),
            "stale builds": sum(run.stale_builds for run in self.runs),
            "published": sum(run.published for run in self.runs),
            "answers drift": sum(run.drift for run in self.runs),
            "final run": "ok" if self.final_ok else "FAILED",
            "phases": ", ".join(f"{name} {phases[name]}" for name in PHASES if phases[name]),
        }


def experiment(index: Path, args: list, queries: list[str], reference: Snapshot,
               expected_ids: set[str], expected_titles: dict[str, str], plans: list[Kill]) -> list[Run]:
    """Kill ``vn-search ARGS`` as planned, one run after another on ``index``."""
    runs = []
    previous = snapshot(index, queries)
    previous_builds: set[str] = set()
    for number, plan in enumerate(plans, start=1):
        before = folder_state(index)
        seconds, phase = run_and_kill(args, index, plan, before)
        planned = f"event {plan.event}" if plan.event else f"{plan.moment:.2f} s"
        builds = {c.name for c in index.iterdir() if c.name.startswith(".build-")}
        took_lock = phase != "startup" or bool(builds - previous_builds)
        stale = len(builds & previous_builds) if took_lock else 0
        try:
            now = snapshot(index, queries)
        except Exception as error:  # noqa: BLE001 - any failure to open or search is the finding
            runs.append(Run(number, planned, seconds, phase, False, True, 0, 0, stale, f"{type(error).__name__}: {error}"))
            print(f"  run {number}: CORRUPT ({error}); finishing a run to go on", flush=True)
            run_to_end(*args)
            previous, previous_builds = snapshot(index, queries), set()
            continue
        published = now.generation != previous.generation
        duplicated = len(now.ids) - len(set(now.ids))
        drift = False
        if published:
            corrupt = not same_content(now, reference, phrases_only=True) or bool(set(now.ids) - expected_ids)
            drift = not corrupt and not same_content(now, reference)
            lost = len(expected_ids - set(now.ids))
            lost += sum(now.titles.get(doc_id) not in (None, title) for doc_id, title in expected_titles.items())
        else:
            corrupt = now.answers != previous.answers
            lost = len(set(previous.ids) - set(now.ids))
        runs.append(Run(number, planned, round(seconds, 2), phase, published, corrupt, lost, duplicated, stale, drift))
        print(f"  run {number:2d}: killed at {seconds:6.2f} s ({planned}), phase {phase:12s} "
              f"published={published} corrupt={corrupt} lost={lost} duplicated={duplicated} stale={stale}"
              + (" answers-drift" if drift else ""), flush=True)
        previous, previous_builds = now, builds
    return runs


def finish(index: Path, args: list, queries: list[str], reference: Snapshot, expected_ids: set[str]) -> tuple[bool, str]:
    run_to_end(*args)
    now = snapshot(index, queries)
    builds = [c.name for c in index.iterdir() if c.name.startswith(".build-")]
    problems = []
    if builds:
        problems.append(f"builds left: {builds}")
    if len(now.ids) != len(set(now.ids)):
        problems.append(f"{len(now.ids) - len(set(now.ids))} duplicated ids")
    if set(now.ids) != expected_ids:
        problems.append(f"{len(expected_ids - set(now.ids))} missing, {len(set(now.ids) - expected_ids)} unexpected ids")
    if not same_content(now, reference, phrases_only=True):
        problems.append("phrase answers differ from an undisturbed run")
    ok = not problems
    if not same_content(now, reference):
        problems.append("word-query answers drift from an undisturbed run (replaced documents still "
                        "counted in statistics; happens without any kill)")
    return ok, "; ".join(problems)


def related_ids(records: list[dict]) -> set[str]:
    from vn_search.documents import related_id

    return {related_id(item["title"]) for record in records for item in record.get("related") or [] if item.get("title")}


def rebuild_experiment(docs: int, runs: int, rng: random.Random) -> Experiment:
    folder = WORK / "rebuild"
    shutil.rmtree(folder, ignore_errors=True)
    old_records, new_records = load_articles(300, skip=docs), load_articles(docs, skip=0)
    old, new = write_jsonl(folder / "old.jsonl", old_records), write_jsonl(folder / "new.jsonl", new_records)
    queries = queries_for(old_records, rng, 2) + queries_for(new_records, rng, 2)
    index, measured = folder / "index", folder / "measured"
    run_to_end("index", old, "--index", index)
    print(f"rebuild: measuring one undisturbed rebuild of {len(new_records)} articles…", flush=True)
    duration = run_to_end("index", new, "--index", measured, "--rebuild")
    reference = snapshot(measured, queries)
    expected = {record["id"] for record in new_records} | related_ids(new_records)
    result = Experiment("rebuild", len(new_records), round(duration, 2))
    args = ["index", new, "--index", index, "--rebuild"]
    result.runs = experiment(index, args, queries, reference, expected, {}, kill_plans(runs, duration, rng))
    result.final_ok, result.final_note = finish(index, args, queries, reference, expected)
    return result


def incremental_experiment(docs: int, runs: int, rng: random.Random) -> Experiment:
    folder = WORK / "incremental"
    shutil.rmtree(folder, ignore_errors=True)
    base_records = load_articles(docs // 2, skip=0)
    updates = [dict(record, title=record["title"] + " (cập nhật)") for record in rng.sample(base_records, docs // 20)]
    added_records = load_articles(docs - docs // 2, skip=docs // 2 + 300) + updates
    base = write_jsonl(folder / "base.jsonl", base_records)
    added = write_jsonl(folder / "added.jsonl", added_records)
    queries = queries_for(base_records, rng, 2) + queries_for(added_records, rng, 2)
    index, measured = folder / "index", folder / "measured"
    run_to_end("index", base, "--index", index)
    shutil.copytree(index, measured, symlinks=True)
    print(f"incremental: measuring one undisturbed update of {len(added_records)} articles…", flush=True)
    duration = run_to_end("index", added, "--index", measured)
    reference = snapshot(measured, queries)
    expected = {r["id"] for r in base_records + added_records} | related_ids(base_records + added_records)
    from vn_search.analysis.normalize import normalize_query

    new_titles = {record["id"]: normalize_query(record["title"]) for record in updates}
    result = Experiment("incremental", len(added_records), round(duration, 2))
    args = ["index", added, "--index", index]
    result.runs = experiment(index, args, queries, reference, expected, new_titles,
                             kill_plans(runs, duration, rng))
    result.final_ok, result.final_note = finish(index, args, queries, reference, expected)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="killed runs per experiment")
    parser.add_argument("--docs", type=int, default=3000, help="articles per rebuild (an update adds half as many)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--only", choices=["rebuild", "incremental"])
    options = parser.parse_args(argv)
    rng = random.Random(options.seed)
    experiments = []
    if options.only in (None, "rebuild"):
        experiments.append(rebuild_experiment(options.docs, options.runs, rng))
    if options.only in (None, "incremental"):
        experiments.append(incremental_experiment(options.docs, options.runs, rng))
    rows = [e.row() for e in experiments]
    print()
    print_table(rows)
    for e in experiments:
        print(f"{e.name}: {e.documents} articles, an undisturbed run takes {e.measured_seconds:.1f} s"
              + (f"; final run: {e.final_note}" if e.final_note else ""))
    write_results({
        "corpus": "vietnews test" if VIETNEWS_TEST_DOCS.exists() else "generated",
        "seed": options.seed, "cpus": os.cpu_count(),
        "summary": rows,
        "experiments": [asdict(e) for e in experiments],
    }, RESULTS_DIR / "crash_safety.json")
    damaged = any(row["corrupt"] or row["lost"] or row["duplicated"] or row["final run"] != "ok" for row in rows)
    return 1 if damaged else 0


if __name__ == "__main__":
    sys.exit(main())
