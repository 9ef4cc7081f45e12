"""What is decoded from a segment survives a publish; a server answers from
the previous generation until the new one is prepared, and says so.

An update publishes a new generation whose unchanged segments are hard
links to the old files: their decoded posting lists must stay in the
process's cache (the same arrays, not decoded again), only the new
segment is read, and a rebuild (new files) leaves nothing of the old
segments behind. Deletions belong to the generation: a replaced article's
old copy stays in its cached segment but is never found again.
"""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from conftest import NEWS, write_jsonl

from vn_search import SearchEngine, sample_path
from vn_search.analysis.terms import fold_term
from vn_search.generations import Generation
from vn_search.storage.segments import SEGMENT_CACHE, SegmentCache, SegmentKey
from vn_search.web import create_app

LATE_NEWS = [
    {
        "id": "vn-101",
        "title": "Thủy điện Lai Châu khánh thành tổ máy cuối cùng",
        "summary": "Tổ máy số ba của thủy điện Lai Châu đã hòa lưới điện quốc gia.",
        "body": "Công trình thủy điện lớn nhất vùng Tây Bắc hoàn thành sớm một năm.",
        "published": "2016-12-20",
    },
    {
        "id": "vn-102",
        "title": "Giá vàng hôm nay quay đầu giảm",
        "summary": "Giá vàng SJC sáng nay giảm 100.000 đồng mỗi lượng sau phiên tăng mạnh.",
        "body": "Người dân Hà Nội bán vàng chốt lời.",
        "published": "2019-06-21",
    },
]


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def cached_lists(engine: SearchEngine) -> dict[tuple[SegmentKey, str, str], object]:
    """The decoded list of every (segment, field, term) this engine's
    generation has in the shared cache."""
    generation = engine._current()
    found = {}
    for key in generation.statistics.segments:
        for field in ("title_f", "summary_f", "body_f"):
            for term in ("gia", "vang", "ha", "noi", "campuchia"):
                value = SEGMENT_CACHE.peek(key, (field, term))
                if value is not None:
                    found[key, field, term] = value
    return found


@pytest.fixture
def news_index(tmp_path):
    engine = SearchEngine(tmp_path / "index")
    engine.index([write_jsonl(tmp_path / "news.jsonl", NEWS)])
    return tmp_path / "index"


def test_a_publish_keeps_the_old_segments_decoded_lists(news_index, tmp_path):
    engine = SearchEngine(news_index)
    assert ids(engine.search("gia vang ha noi"))[0] == "vn-002"
    before = cached_lists(engine)
    assert before, "the search decoded lists into the shared cache"
    old_segments = set(engine._current().statistics.segments)

    SearchEngine(news_index).index([write_jsonl(tmp_path / "late.jsonl", LATE_NEWS)])
    assert engine.search("gia vang").total == 2
    assert ids(engine.search("gia vang quay dau giam")) == ["vn-102"]
    generation = engine._current()
    assert old_segments < set(generation.statistics.segments), "the update added a segment and kept the old ones"
    for (key, field, term), value in before.items():
        # The very arrays decoded before the publish: nothing read again.
        assert SEGMENT_CACHE.peek(key, (field, term)) is value
    assert ids(engine.search("thuy dien lai chau")) == ["vn-101"]


def test_a_rebuild_drops_what_the_old_segments_held(news_index, tmp_path):
    engine = SearchEngine(news_index)
    engine.search("gia vang ha noi")
    old_segments = set(engine._current().statistics.segments)
    assert old_segments <= SEGMENT_CACHE.segments()

    SearchEngine(news_index).index([write_jsonl(tmp_path / "late.jsonl", LATE_NEWS)], rebuild=True)
    assert engine.search("Campuchia").total == 0  # only the rebuilt articles are left
    assert ids(engine.search("gia vang quay dau giam"))[0] == "vn-102"
    assert not old_segments & set(engine._current().statistics.segments)
    assert not old_segments & SEGMENT_CACHE.segments(), "a rebuilt index leaves nothing of the old segments cached"


def test_a_replaced_article_is_gone_although_its_old_segment_stays_cached(news_index, tmp_path):
    engine = SearchEngine(news_index)
    assert ids(engine.search("Campuchia biểu tình")) == ["vn-001"]
    old_segments = set(engine._current().statistics.segments)
    replaced = dict(NEWS[0], title="Phe đối lập Campuchia hoãn cuộc tuần hành", summary="Cuộc tuần hành dời sang tuần sau.",
                    body="Đảng Cứu quốc Campuchia thông báo hoãn.")
    SearchEngine(news_index).index([write_jsonl(tmp_path / "replaced.jsonl", [replaced])])

    assert engine.search("biểu tình Phnom Penh").total == 0  # only the old copy said so
    assert ids(engine.search("Campuchia hoãn tuần hành")) == ["vn-001"]
    assert old_segments <= set(engine._current().statistics.segments)


def test_the_cache_keeps_what_was_used_last():
    cache = SegmentCache(max_bytes=4 * (800 + 200))  # four lists of 100 numbers, with their overhead
    key = SegmentKey("MAIN_test", 0, 1, 12)
    cache.acquire([key])
    for word in ("của", "và", "là", "mà"):
        cache.get(key, word, lambda: np.zeros(100, np.int64))
    assert cache.peek(key, "của") is not None
    cache.get(key, "của", lambda: pytest.fail("cached, not computed again"))  # now the most recently used
    cache.get(key, "được", lambda: np.zeros(100, np.int64))
    assert cache.peek(key, "và") is None  # the least recently used went first
    assert cache.peek(key, "của") is not None
    cache.release([key])
    assert cache.nbytes == 0 and cache.segments() == set()
    cache.get(key, "của", lambda: np.zeros(100, np.int64))
    assert cache.peek(key, "của") is None, "nothing is kept for a segment no generation holds"


def test_eviction_keeps_answers_right(sample_engine, monkeypatch):
    first = [(h.id, h.score) for h in sample_engine.search("luan chuyen can bo").hits]
    monkeypatch.setattr(SEGMENT_CACHE, "max_bytes", 64)  # nothing fits: every list decoded again
    for query in ["Bắc Hà", "giải phóng Phú Yên", "con đường tơ lụa", "xã phường", "luan chuyen can bo"]:
        assert sample_engine.search(query).total > 0
    assert [(h.id, h.score) for h in sample_engine.search("luan chuyen can bo").hits] == first


def test_warming_reads_the_commonest_syllables_ahead_and_changes_no_result(tmp_path):
    engine = SearchEngine(tmp_path / "index")
    engine.index([sample_path()])
    queries = ("luan chuyen can bo", "Phú Yên", "của")
    before = {q: [(h.id, h.score) for h in engine.search(q).hits] for q in queries}
    engine.close()  # its segments leave the cache: the next engine starts cold

    warmed = SearchEngine(tmp_path / "index")
    assert warmed.warm(megabytes=1) > 0
    generation = warmed._current()
    assert 0 < generation.statistics.cached_bytes
    common = fold_term(generation.accent_model().frequent_words(1)[0])
    assert any(SEGMENT_CACHE.peek(key, ("body_f", common)) is not None for key in generation.statistics.segments)
    assert {q: [(h.id, h.score) for h in warmed.search(q).hits] for q in queries} == before


@pytest.fixture
def held_warming(monkeypatch):
    """Warming that waits until the test lets it go on."""
    release = threading.Event()
    warm = Generation.warm

    def waiting(self, budget, share=1.0):
        release.wait(30)
        return warm(self, budget, share)

    monkeypatch.setattr(Generation, "warm", waiting)
    yield release
    release.set()


def test_healthz_says_warming_until_the_index_is_warm(news_index, held_warming):
    engine = SearchEngine(news_index, warm_megabytes=1)
    engine.start()
    client = create_app(engine=engine, TESTING=True).test_client()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert (health.json["ready"], health.json["state"]) == (False, "warming")

    held_warming.set()
    engine._current().prepared.wait(30)
    health = client.get("/healthz")
    assert health.status_code == 200
    assert (health.json["ready"], health.json["state"], health.json["documents"]) == (True, "ready", len(NEWS))
    assert health.json["generation"] == os.readlink(news_index / "current")  # which generation answers


def test_the_previous_generation_answers_while_an_update_is_prepared(news_index, tmp_path, held_warming):
    engine = SearchEngine(news_index, warm_megabytes=1)
    held_warming.set()
    assert ids(engine.search("gia vang"))[0] == "vn-002"
    held_warming.clear()

    SearchEngine(news_index).index([write_jsonl(tmp_path / "late.jsonl", LATE_NEWS)])
    assert engine.search("thuy dien lai chau").total == 0  # still the previous generation, answered at once
    client = create_app(engine=engine, TESTING=True).test_client()
    health = client.get("/healthz")
    assert (health.status_code, health.json["state"], health.json["documents"]) == (200, "updating", len(NEWS))

    held_warming.set()
    engine._generations._next.prepared.wait(30)
    assert ids(engine.search("thuy dien lai chau")) == ["vn-101"]
    assert client.get("/healthz").json["state"] == "ready"


def test_an_update_is_served_after_the_bound_even_if_not_yet_prepared(news_index, tmp_path, held_warming, monkeypatch):
    import vn_search.generations as generations

    engine = SearchEngine(news_index, warm_megabytes=1)
    held_warming.set()
    assert ids(engine.search("gia vang"))[0] == "vn-002"
    held_warming.clear()
    monkeypatch.setattr(generations, "SWAP_AFTER_SECONDS", 0.0)  # an update may not wait at all

    SearchEngine(news_index).index([write_jsonl(tmp_path / "late.jsonl", LATE_NEWS)])
    assert ids(engine.search("thuy dien lai chau")) == ["vn-101"]  # served cold, not hidden
    assert engine.readiness()["state"] == "ready"
