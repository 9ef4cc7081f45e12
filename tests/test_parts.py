"""``vn-search index … --part K/N``: N indexers share one input, each
analysing only its part, and together index every document exactly once:
into one embedded index (one after another) or one OpenSearch index (at
the same time, each merging what it learned under a lock)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from vn_search import SearchEngine, sample_path
from vn_search.cli import main
from vn_search.sources import read_sources
from vn_search.sources.parts import Part, parse_part, part_to_index

STORIES = Path(__file__).parent / "data" / "same_story.jsonl"
CORPUS = [sample_path(), STORIES]
# Accented and unaccented, a phrase, an exclusion, a filter, newest first.
SEARCHES = [
    ("bão Yagi Quảng Ninh", {}),
    ("bao yagi quang ninh", {}),
    ("luan chuyen can bo", {}),
    ('"cán bộ" Bắc Hà', {}),
    ("bão Yagi -Hạ Long", {}),
    ("giá vàng", {"source": "vnexpress.net"}),
    ("Việt Nam", {"sort": "date"}),
]


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def every_id() -> set[str]:
    ids = set()
    for doc in read_sources(CORPUS):
        ids.add(doc.id)
        ids.update(child.id for child in doc.related)
    return ids


def shown(results) -> list[frozenset[str]]:
    return [frozenset({hit.id} | {other.id for other in hit.same_story}) for hit in results.hits]


def test_the_parts_share_out_every_document_exactly_once():
    ids = every_id()
    for count in (1, 2, 3, 7):
        shares = [{doc_id for doc_id in ids if Part(number, count).holds(doc_id)} for number in range(1, count + 1)]
        assert set().union(*shares) == ids
        assert sum(map(len, shares)) == len(ids), f"a document in two of {count} parts"
    # The same on every run and machine: crc32 of the id, not Python's salted hash.
    assert Part(2, 3).holds("tt-yagi-1") and not Part(1, 3).holds("tt-yagi-1")


@pytest.mark.parametrize("text", ["0/3", "4/3", "1/0", "3", "a/b", "-1/2", ""])
def test_a_part_that_is_not_k_of_n_is_refused_by_name(text):
    with pytest.raises(ValueError, match=r"--part must be K/N"):
        parse_part(text)
    result = run("index", sample_path(), "--index", "unused-index", "--part", text)
    assert result.exit_code == 2 and "--part must be K/N" in result.stderr
    assert not Path("unused-index").exists()


def test_part_and_rebuild_together_are_refused(tmp_path):
    with pytest.raises(ValueError, match="cannot be combined with --rebuild"):
        part_to_index("1/2", rebuild=True)
    result = run("index", sample_path(), "--index", tmp_path / "index", "--part", "1/2", "--rebuild")
    assert result.exit_code == 2 and "cannot be combined with --rebuild" in result.stderr
    assert not (tmp_path / "index").exists()


def test_two_parts_one_after_another_make_the_index_one_run_makes(tmp_path):
    whole = SearchEngine(tmp_path / "whole")
    whole.index(CORPUS, progress=False)
    shared = tmp_path / "parts"
    reports = []
    for part in ("1/2", "2/2"):
        result = run("index", *CORPUS, "--index", shared, "--part", part, "--json")
        assert result.exit_code == 0, result.output
        reports.append(json.loads(result.stdout))
    assert [report["part"] for report in reports] == ["1/2", "2/2"]
    loaded = [report["articles"] + report["related"] for report in reports]
    # Each part reads everything and counts what it left to the other.
    assert [report["left_to_other_parts"] for report in reports] == loaded[::-1]
    assert sum(loaded) == len(every_id()) == reports[-1]["documents_total"]

    parts = SearchEngine(shared)
    assert parts.stats().documents == whole.stats().documents
    for query, options in SEARCHES:
        ours, theirs = whole.search(query, **options), parts.search(query, **options)
        assert ours.hits, query
        assert shown(theirs) == shown(ours), query
        assert theirs.total == ours.total
    # A related item keeps every parent, whichever part held it.
    for doc in read_sources([sample_path()]):
        for child in doc.related:
            assert doc.id in parts.get(child.id).parents


def test_a_part_that_holds_nothing_writes_nothing_and_says_so(tmp_path):
    (article,) = [doc for doc in read_sources([sample_path()])]
    # The sample's article and its five related items are not all in one
    # part of 50: find a part holding none of the six.
    ids = {article.id} | {child.id for child in article.related}
    empty = next(k for k in range(1, 51) if not any(Part(k, 50).holds(doc_id) for doc_id in ids))
    index = tmp_path / "index"
    result = run("index", sample_path(), "--index", index, "--part", f"{empty}/50")
    assert result.exit_code == 0, result.output
    assert f"Part {empty}/50: Indexed 0 articles and 0 related items" in result.stderr
    assert "left 6 documents to the other parts; nothing written." in result.stderr
    assert not index.exists()


def across_parts(story: frozenset[str]) -> bool:
    return len({Part(1, 2).holds(doc_id) for doc_id in story}) == 2


def _index_part_in_a_process(url: str, part: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vn_search", "index", *map(str, CORPUS), "--index", url,
                             "--part", part, "--json", "--workers", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_indexers_at_once_load_one_cluster_index_without_overlap(opensearch_one_node, tmp_path):
    url = f"opensearch://127.0.0.1:{opensearch_one_node.http_port}/parts-at-once"
    whole = SearchEngine(tmp_path / "whole")
    whole.index(CORPUS, progress=False)
    engine = SearchEngine(url)
    try:
        # Started together on an index that does not exist yet: both create it, once.
        runs = [_index_part_in_a_process(url, part) for part in ("1/2", "2/2")]
        outputs = [process.communicate(timeout=300) for process in runs]
        for process, (out, err) in zip(runs, outputs):
            assert process.returncode == 0, err
        reports = [json.loads(out) for out, _ in outputs]
        assert sum(r["articles"] + r["related"] for r in reports) == len(every_id())
        assert engine.stats().documents == len(every_id())
        # Both parts' learning is merged: the results are the embedded index's,
        # and reports of one story loaded by different parts are one hit.
        for query, options in SEARCHES:
            ours, theirs = whole.search(query, **options), engine.search(query, **options)
            assert shown(theirs) == shown(ours), query
        assert any(across_parts(story) for story in shown(engine.search("bao yagi quang ninh")))
        # A part run again replaces its documents: still no duplicates.
        again = _index_part_in_a_process(url, "2/2")
        _, err = again.communicate(timeout=300)
        assert again.returncode == 0, err
        assert engine.stats().documents == len(every_id())
        assert shown(engine.search("bão Yagi Quảng Ninh")) == shown(whole.search("bão Yagi Quảng Ninh"))
    finally:
        engine.backend.delete()
