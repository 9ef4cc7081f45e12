"""Index lifecycle: generations, atomic rebuilds, updates, versions."""

import json

import pytest
from conftest import NEWS, write_jsonl

from vn_search import IndexBusyError, IndexVersionError, SearchEngine, sample_path
from vn_search.storage import store


def test_adding_documents_keeps_the_old_ones_and_replaces_same_ids(tmp_path):
    engine = SearchEngine(tmp_path / "index")
    engine.index([sample_path()])
    engine.index([write_jsonl(tmp_path / "a.jsonl", NEWS[:2])])
    assert engine.stats().documents == 8
    changed = dict(NEWS[1], title="Giá vàng hôm nay giảm nhẹ")
    engine.index([write_jsonl(tmp_path / "b.jsonl", [changed])])
    assert engine.stats().documents == 8  # replaced, not doubled
    assert engine.get("vn-002").title == "Giá vàng hôm nay giảm nhẹ"
    assert engine.search("luan chuyen can bo").hits[0].id == "bac-ha-luan-chuyen-can-bo"


def test_a_related_item_listed_by_two_articles_is_one_document(tmp_path):
    related = [{"title": "Bắc Hà luân chuyển 54 lượt cán bộ", "summary": "Từ đầu nhiệm kỳ đến nay."}]
    first = dict(NEWS[0], related=related)
    second = dict(NEWS[2], related=related)
    engine = SearchEngine(tmp_path / "index")
    engine.index([write_jsonl(tmp_path / "a.jsonl", [first])])
    engine.index([write_jsonl(tmp_path / "b.jsonl", [second])])
    hits = engine.search("54 lượt cán bộ", kind="related").hits
    assert len(hits) == 1
    assert hits[0].parents == ["vn-001", "vn-003"]


def test_a_failed_rebuild_leaves_the_previous_index(tmp_path, monkeypatch):
    engine = SearchEngine(tmp_path / "index")
    engine.index([sample_path()])
    before = [h.id for h in engine.search("cán bộ").hits]

    import vn_search.indexer as indexer

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(indexer, "_write_documents", explode)
    with pytest.raises(RuntimeError):
        engine.index([write_jsonl(tmp_path / "a.jsonl", NEWS)], rebuild=True)
    assert [h.id for h in SearchEngine(tmp_path / "index").search("cán bộ").hits] == before
    assert not list((tmp_path / "index").glob(".build-*"))


def test_leftover_builds_are_removed_and_never_served(tmp_path):
    engine = SearchEngine(tmp_path / "index")
    engine.index([sample_path()])
    stale = tmp_path / "index" / ".build-20200101-000000-000000-1"
    stale.mkdir()
    (stale / "junk").write_text("half-written")
    assert engine.stats().documents == 6
    engine.index([write_jsonl(tmp_path / "a.jsonl", NEWS[:1])])
    assert not stale.exists()
    assert engine.stats().documents == 7


def test_one_writer_at_a_time(tmp_path):
    index = tmp_path / "index"
    with store.writer_lock(index):
        with pytest.raises(IndexBusyError):
            SearchEngine(index).index([sample_path()])


def test_index_built_by_another_analysis_version_asks_for_rebuild(tmp_path):
    engine = SearchEngine(tmp_path / "index")
    engine.index([sample_path()])
    generation = store.current_generation(tmp_path / "index")
    meta = json.loads((generation / store.META_FILE).read_text())
    meta["analysis_version"] = -1
    (generation / store.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(IndexVersionError, match="--rebuild"):
        SearchEngine(tmp_path / "index").search("cán bộ")
    with pytest.raises(IndexVersionError):
        SearchEngine(tmp_path / "index").index([sample_path()])
    SearchEngine(tmp_path / "index").index([sample_path()], rebuild=True)
    assert SearchEngine(tmp_path / "index").stats().documents == 6


def test_a_running_engine_sees_new_generations(tmp_path):
    reader = SearchEngine(tmp_path / "index")
    SearchEngine(tmp_path / "index").index([sample_path()])
    assert reader.search("giá vàng").total == 0 or reader.search("giá vàng").hits[0].id != "vn-002"
    SearchEngine(tmp_path / "index").index([write_jsonl(tmp_path / "a.jsonl", NEWS)])
    assert reader.search("giá vàng").hits[0].id == "vn-002"


def test_adding_documents_never_changes_the_previous_generation(tmp_path):
    index = tmp_path / "index"
    engine = SearchEngine(index)
    engine.index([sample_path()])
    before = store.current_generation(index)
    snapshot = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in before.iterdir() if f.is_file()}
    engine.index([write_jsonl(tmp_path / "a.jsonl", NEWS)])
    assert store.current_generation(index) != before
    after = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in before.iterdir() if f.is_file()}
    assert after == snapshot
