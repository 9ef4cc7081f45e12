"""An indexing run killed with SIGKILL never breaks the index.

The real CLI runs in a subprocess (``python -m vn_search index ...``) and is
killed, with its whole process group (Whoosh's multi-process writer has
worker processes), at moments spread over a measured run: start-up, analysis
in the workers, commit, publication. After every kill the index must answer
exactly as before it, the killed run's leftovers must be gone after the next
writer, and re-running the command must finish the job without duplicates.

The corpus is generated from real Vietnamese news sentences with a fixed
seed, so the test needs no data set and is the same in CI. Sized for two
cores: about a minute for the module.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import write_jsonl

from bench.datagen import news_articles

from vn_search import SearchEngine
from vn_search.analysis.normalize import normalize_query
from vn_search.documents import related_id

SEED = 6

def document_ids(records: list[dict]) -> set[str]:
    """Every id these records put in an index: articles and related items."""
    ids = {record["id"] for record in records}
    ids |= {related_id(item["title"]) for record in records for item in record.get("related", [])}
    return ids


# -- running and killing the CLI ---------------------------------------------


def vn_search(*args) -> list[str]:
    return [sys.executable, "-m", "vn_search", *map(str, args)]


def run_cli(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    done = subprocess.run(vn_search(*args), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"vn-search {' '.join(map(str, args))} failed:\n{done.stderr}"
    return done


def timed_run(*args) -> float:
    started = time.perf_counter()
    run_cli(*args)
    return time.perf_counter() - started


def run_killed_at(args: list, seconds: float) -> bool:
    """Run ``vn-search ARGS`` and SIGKILL its process group after ``seconds``.

    True when the run had already finished by then (nothing was killed).
    """
    process = subprocess.Popen(
        vn_search(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        process.wait(timeout=seconds)
        return True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        return False


def kill_moments(duration: float, rng: random.Random) -> list[float]:
    """One moment in each phase of a run that took ``duration`` seconds when
    measured: start-up and reading, analysis, commit, publication. The
    fractions come from the timeline of a 600-document rebuild (about 15%
    start-up, 60% analysis, 20% commit, the last few percent publishing)."""
    phases = [(0.03, 0.2), (0.2, 0.7), (0.7, 0.95), (0.95, 1.0)]
    return [duration * rng.uniform(low, high) for low, high in phases]


# -- what the index answers --------------------------------------------------

QUERIES = ["luan chuyen can bo", '"hòa giải viên"', "học bổng Lào Cai -Sa"]


@dataclass(frozen=True)
class Answer:
    total: int
    ids: tuple[str, ...]


def search_cli(index: Path, query: str) -> Answer:
    """`vn-search search QUERY --json`: the total and up to 100 hit ids."""
    done = run_cli("search", query, "--index", index, "--json", "--limit", 100)
    data = json.loads(done.stdout)
    return Answer(data["total"], tuple(hit["id"] for hit in data["hits"]))


def answers(index: Path) -> dict[str, Answer]:
    return {query: search_cli(index, query) for query in QUERIES}


def totals(found: dict[str, Answer]) -> dict[str, int]:
    return {query: answer.total for query, answer in found.items()}


def published(index: Path) -> str:
    """What ``current`` points to; it must always be a generation."""
    target = os.readlink(index / "current")
    assert target.startswith("gen-") and (index / target).is_dir(), f"current -> {target}"
    return target


def builds(index: Path) -> set[str]:
    return {child.name for child in index.iterdir() if child.name.startswith(".build-")}


def generations(index: Path) -> set[str]:
    return {child.name for child in index.iterdir() if child.name.startswith("gen-")}


# -- the tests ----------------------------------------------------------------


def test_rebuild_killed_at_random_moments_leaves_the_previous_index(tmp_path):
    old_records = news_articles(150, seed=1, prefix="cu")
    new_records = news_articles(600, seed=2, prefix="moi")
    old = write_jsonl(tmp_path / "old.jsonl", old_records)
    new = write_jsonl(tmp_path / "new.jsonl", new_records)
    index = tmp_path / "index"
    run_cli("index", old, "--index", index)

    # One undisturbed rebuild elsewhere: how long it takes, what it answers.
    duration = timed_run("index", new, "--index", tmp_path / "measured", "--rebuild")
    rebuilt = answers(tmp_path / "measured")
    new_count = len(document_ids(new_records))

    rng = random.Random(SEED)
    before = answers(index)
    assert all(answer.total for answer in before.values()), before
    left_behind: set[str] = set()
    outcomes = []
    for moment in kill_moments(duration, rng):
        generation = published(index)
        finished = run_killed_at(["index", new, "--index", index, "--rebuild"], moment)
        now = published(index)  # never a build folder, never missing
        after = answers(index)
        if now == generation:
            assert after == before, f"killed at {moment:.2f} s: the previous index answers differently"
        else:
            # Killed after the swap (or the run beat the clock): the new index, complete.
            assert totals(after) == totals(rebuilt), f"killed at {moment:.2f} s: a partial index was published"
            assert SearchEngine(index).stats().documents == new_count
        left = builds(index)
        if left - left_behind or now != generation:  # this run got the writer lock
            assert not left & left_behind, "the next writer did not remove a killed run's build"
        left_behind = left
        outcomes.append((round(moment, 2), finished, now != generation, len(left)))
        before = after

    # The next undisturbed run cleans up and does the job.
    run_cli("index", new, "--index", index, "--rebuild")
    assert not builds(index), outcomes
    assert len(generations(index)) <= 3  # current, the one before, and one kept for readers
    assert totals(answers(index)) == totals(rebuilt)
    assert SearchEngine(index).stats().documents == new_count
    print(f"\nrebuild of {len(new_records)} docs took {duration:.1f} s; kills (s, finished, published, builds left):",
          outcomes)


def test_adding_documents_killed_at_random_moments_loses_and_duplicates_nothing(tmp_path):
    base_records = news_articles(250, seed=3, prefix="goc")
    # New articles, plus new versions of 40 indexed ones (same id = replaced).
    updates = [dict(record, title=record["title"] + " (cập nhật)") for record in base_records[:40]]
    added_records = news_articles(300, seed=4, prefix="them") + updates
    base = write_jsonl(tmp_path / "base.jsonl", base_records)
    added = write_jsonl(tmp_path / "added.jsonl", added_records)
    index = tmp_path / "index"
    run_cli("index", base, "--index", index)
    expected_documents = len(document_ids(base_records) | document_ids(added_records))

    measured = tmp_path / "measured"
    shutil.copytree(index, measured, symlinks=True)
    duration = timed_run("index", added, "--index", measured)

    committed = {record["id"]: record["title"] for record in base_records}
    documents = SearchEngine(index).stats().documents
    rng = random.Random(SEED + 1)
    outcomes = []
    for moment in kill_moments(duration, rng)[:3]:
        generation = published(index)
        finished = run_killed_at(["index", added, "--index", index], moment)
        engine = SearchEngine(index)
        stats = engine.stats()
        if published(index) == generation:
            assert stats.documents == documents, f"killed at {moment:.2f} s: the index changed"
        else:
            assert stats.documents == expected_documents, f"killed at {moment:.2f} s: a partial update was published"
            committed.update((record["id"], record["title"]) for record in added_records)
        lost = [doc_id for doc_id in committed if engine.get(doc_id) is None]
        assert not lost, f"killed at {moment:.2f} s: committed documents missing: {lost[:5]}"
        wrong = [doc_id for doc_id, title in committed.items() if engine.get(doc_id).title != normalize_query(title)]
        assert not wrong, f"killed at {moment:.2f} s: documents changed: {wrong[:5]}"
        documents = stats.documents
        outcomes.append((round(moment, 2), finished, published(index) != generation))

    # Running the same command again finishes the job, without duplicates.
    run_cli("index", added, "--index", index)
    engine = SearchEngine(index)
    assert engine.stats().documents == expected_documents, outcomes
    assert not builds(index)
    for record in added_records:
        assert engine.get(record["id"]).title == normalize_query(record["title"])
    shown = [added_records[0], added_records[150], updates[0], updates[-1]]
    for record in shown:
        found = search_cli(index, f'"{record["title"]}"')
        assert found.ids.count(record["id"]) == 1, (record["title"], found)
    listed = next(record for record in added_records if record.get("related"))
    item = engine.get(related_id(listed["related"][0]["title"]))
    assert listed["id"] in item.parents and len(item.parents) == len(set(item.parents))
    found = search_cli(index, f'"{item.title}"')
    assert found.ids.count(item.id) == 1
    print(f"\nupdate of {len(added_records)} docs took {duration:.1f} s; kills (s, finished, published):", outcomes)


def test_a_generation_left_by_a_kill_during_publication_is_removed_by_the_next_writer(tmp_path):
    """``publish`` renames the build to ``gen-…`` and then swaps ``current``;
    a kill between the two leaves a complete generation nobody ever served.
    Simulated here (the window is a few milliseconds: bench/crash_safety.py
    aims at it), then the next writers must treat it as a leftover."""
    index = tmp_path / "index"
    engine = SearchEngine(index)
    engine.index([write_jsonl(tmp_path / "a.jsonl", news_articles(3, seed=21, prefix="a"))])
    engine.index([write_jsonl(tmp_path / "b.jsonl", news_articles(3, seed=22, prefix="b"))])
    served = published(index)
    orphan = index / "gen-29991231-235959-999999-1"  # renamed, never swapped in
    shutil.copytree(index / served, orphan)
    os.symlink(orphan.name, index / "current.1")

    engine.index([write_jsonl(tmp_path / "c.jsonl", news_articles(3, seed=23, prefix="c"))])
    assert published(index) != orphan.name and not (index / "current.1").exists()
    # The generation served until this write stays for readers still on it.
    assert (index / served).is_dir()
    assert not orphan.exists(), "the killed run's generation survived the next writer"


def ten_articles_two_about_a_storm() -> list[dict]:
    records = [{"id": f"d{n}", "title": f"Tin thứ {n} về giao thông đô thị", "body": "Người dân đi làm buổi sáng."}
               for n in range(10)]
    records[0]["body"] = "Bão số 3 đổ bộ vào Quảng Ninh."
    records[1]["body"] = "Bão gây mưa lớn ở Hải Phòng."
    records[2]["body"] = "Khẩn trương khắc phục sạt lở."
    return records


def test_re_running_a_completed_update_changes_no_answer(tmp_path):
    """Running the same `vn-search index` again (after a crash, or by
    habit) replaces documents by identical ones: nothing a reader sees may
    change."""
    records = ten_articles_two_about_a_storm()
    engine = SearchEngine(tmp_path / "index")
    engine.index([write_jsonl(tmp_path / "all.jsonl", records)])
    before = [hit.id for hit in engine.search("bão khẩn trương").hits]
    assert sorted(before) == ["d0", "d1", "d2"]
    engine.index([write_jsonl(tmp_path / "again.jsonl", records[:2])])  # the same two, unchanged
    assert [hit.id for hit in engine.search("bão khẩn trương").hits] == before


def test_replacing_documents_does_not_inflate_the_article_count(tmp_path):
    records = ten_articles_two_about_a_storm()
    engine = SearchEngine(tmp_path / "index")
    engine.index([write_jsonl(tmp_path / "all.jsonl", records)])
    engine.index([write_jsonl(tmp_path / "again.jsonl", records[:2])])
    stats = engine.stats()
    assert (stats.documents, stats.articles, stats.related) == (10, 10, 0)
