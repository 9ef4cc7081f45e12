"""The OpenSearch backend against a live node: the same documents as the
embedded index, the same answers to real queries."""

from __future__ import annotations

import threading
import time

import pytest

from bench.datagen import news_articles
from conftest import NEWS, write_jsonl
from vn_search import IndexVersionError, SearchEngine, sample_path
from vn_search.backends.opensearch import (
    BulkReport, OpenSearchError, OpenSearchIndex, _documents, index_settings, stacked_text,
)
from vn_search.backends.opensearch_cluster import LocalCluster, find_free_ports
from vn_search.backends.opensearch_engine import _within_limit
from vn_search.backends.opensearch_query import IndexGone, QueryTooLong, _failure, _root_causes
from opensearch_fixtures import TEST_HEAP_MB, require_opensearch_tools

# Accented and unaccented, a phrase, an exclusion: (query, search options).
QUERIES = [
    ("luân chuyển cán bộ", {}),
    ("luan chuyen can bo", {}),
    ("phe doi lap campuchia bieu tinh", {}),
    ("Campuchia biểu tình", {}),
    ("hòa giải viên", {}),
    ("hoa giai", {}),
    ("giá vàng hôm nay", {}),
    ("can thiep som tre tu ky", {}),
    ('"cán bộ" Bắc Hà', {}),
    ("cán bộ -luân", {}),
    ("hòa", {"source": "baolaocai.vn"}),
    ("hội nghị", {"since": "2018-01-01", "until": "2018-12-31"}),
    # A headline and lead pasted whole: 30 syllables compiled to more
    # clauses than the cluster's default limit (1,024) before the proximity
    # probes left the query for its post_filter; it failed as a vanished index.
    ("Phe đối lập Campuchia lại biểu tình phản đối chính phủ: ngày 23-10, hàng nghìn người ủng hộ "
     "đảng đối lập xuống đường biểu tình ở thủ đô Phnom Penh", {}),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("opensearch-corpus")
    return [sample_path(), write_jsonl(folder / "news.jsonl", NEWS)]


@pytest.fixture(scope="module")
def embedded(corpus, tmp_path_factory) -> SearchEngine:
    engine = SearchEngine(tmp_path_factory.mktemp("embedded") / "index")
    engine.index(corpus)
    return engine


@pytest.fixture(scope="module")
def news_index(opensearch_one_node, corpus) -> OpenSearchIndex:
    index = OpenSearchIndex(opensearch_one_node.url, "news")
    index.rebuild(corpus)
    yield index
    index.delete()


def test_folded_fields_stack_bigrams_on_their_first_syllable():
    assert stacked_text({"can": [0], "can_bo": [0], "bo": [1], "cap": [3]}) == "can>can_bo bo cap"


def test_every_document_is_loaded_with_its_stored_values(news_index, embedded):
    assert news_index.count() == embedded.stats().documents
    stored = news_index.get("vn-001")
    assert stored["headline"] == "Phe đối lập Campuchia lại biểu tình phản đối chính phủ"
    assert stored["headline"] == embedded.get("vn-001").title
    assert stored["source"] == "tuoitre.vn"
    assert news_index.get("no-such-article") is None


@pytest.mark.parametrize("query, options", QUERIES, ids=[q for q, _ in QUERIES])
def test_same_top_result_and_total_as_the_embedded_index(news_index, embedded, query, options):
    ours = embedded.search(query, per_page=5, suggest=False, **options)
    found = news_index.search(query, 5, **options)
    assert ours.total, "a query of this test must find something in the embedded index"
    assert found.ids[:1] == [hit.id for hit in ours.hits][:1]
    assert found.total == ours.total


# A year's summary holds every word, in its body; the flash-flood report
# lacks "thiệt hại" but has the rest in its headline; the vegetable prices
# share only "thiệt hại".
NEAR_BEST_NEWS = [
    {"id": "tk-1", "title": "Tổng kết công tác phòng chống thiên tai năm 2024",
     "summary": "Sáng 12-12, Ban chỉ huy phòng chống thiên tai tỉnh họp tổng kết công tác năm.",
     "body": "Trong năm, lũ quét và sạt lở đất xảy ra ở bốn huyện, gây thiệt hại hơn 200 tỉ đồng.\n"
             "Tỉnh đã di dời 1.200 hộ dân khỏi vùng nguy hiểm."},
    {"id": "lq-2", "title": "Lũ quét, sạt lở đất ở nhiều xã vùng cao",
     "summary": "Mưa lớn kéo dài từ đêm qua gây lũ quét và sạt lở đất tại nhiều xã vùng cao.",
     "body": "Lực lượng cứu hộ đã có mặt để hỗ trợ người dân di chuyển tài sản.\nNhiều tuyến đường bị chia cắt."},
    {"id": "rau-3", "title": "Giá rau xanh tăng mạnh sau mưa lớn",
     "summary": "Giá nhiều loại rau tại chợ đầu mối tăng gấp đôi sau đợt mưa lớn.",
     "body": "Tiểu thương cho biết vườn rau ngoại thành bị thiệt hại nặng.\nNguồn hàng về chợ giảm một nửa."},
    {"id": "bd-4", "title": "Đội tuyển bóng đá nữ giành huy chương vàng",
     "summary": "Tối qua, đội tuyển nữ thắng 2-1 trong trận chung kết.", "body": "Huấn luyện viên cảm ơn người hâm mộ."},
    {"id": "xk-5", "title": "Xuất khẩu gạo đạt kỷ lục trong tháng 11",
     "summary": "Kim ngạch xuất khẩu gạo tháng 11 tăng 20% so với cùng kỳ.", "body": "Giá gạo xuất khẩu giữ ở mức cao."},
]


@pytest.mark.parametrize("query", ["lũ quét sạt lở thiệt hại", "lu quet sat lo thiet hai"])
def test_a_report_worded_differently_joins_on_both_backends(opensearch_one_node, tmp_path, query):
    # The cluster lets in, to be scored against the best member, only the
    # documents holding half the query's syllables: the flood report (four
    # of six) must still join, and rank first as in the embedded index.
    source = write_jsonl(tmp_path / "floods.jsonl", NEAR_BEST_NEWS)
    embedded = SearchEngine(tmp_path / "index")
    embedded.index([source], progress=False)
    index = OpenSearchIndex(opensearch_one_node.url, "floods")
    index.rebuild([source])
    try:
        ours = embedded.search(query, suggest=False, group=False)
        found = index.search(query, 10)
    finally:
        index.delete()
    assert [hit.id for hit in ours.hits] == ["lq-2", "tk-1"]
    assert found.ids == ["lq-2", "tk-1"]
    assert found.total == ours.total == 2


class _ClauseLimitedIndex:
    """A backend that refuses, as a cluster would, queries of more than ``most`` words."""

    url = "opensearch://127.0.0.1:9200/news"

    def __init__(self, most: int) -> None:
        self.most, self.asked = most, []

    def search(self, query: str, limit: int, **options):
        self.asked.append(query)
        if len(query.split()) > self.most:
            raise QueryTooLong()
        return query


def test_a_query_too_long_for_the_cluster_is_searched_by_its_first_words():
    words = "Thủ tướng chủ trì hội nghị trực tuyến Chính phủ với các địa phương về phát triển kinh tế".split()
    backend = _ClauseLimitedIndex(most=8)
    found, cut = _within_limit(backend, " ".join(words), 10)
    assert cut == found == " ".join(words[:8])
    assert [len(asked.split()) for asked in backend.asked] == [19, 12, 8]  # two thirds each time
    assert _within_limit(_ClauseLimitedIndex(most=50), "giá vàng hôm nay", 10) == ("giá vàng hôm nay", None)
    with pytest.raises(OpenSearchError, match="max_clause_count"):
        _within_limit(_ClauseLimitedIndex(most=0), "giá vàng", 10)


@pytest.mark.parametrize("status, answer, meaning", [
    (400, "too_many_nested_clauses", QueryTooLong),
    (404, "index_not_found_exception", IndexGone),
    (503, "no_shard_available_action_exception", IndexGone),  # the old index dropped mid-search
    (400, "query_shard_exception", None),  # a refused query is raised as it is, not retried
], ids=["clause limit", "index dropped", "shards gone", "refused query"])
def test_a_refused_search_is_told_apart_from_a_vanished_index(status, answer, meaning):
    cause = {"type": answer, "reason": "..."}
    kind = "index_not_found_exception" if answer == "index_not_found_exception" else "search_phase_execution_exception"
    failure = _failure(kind, _root_causes({"error": {"root_cause": [cause], "type": kind}, "status": status}))
    assert type(failure) is meaning if meaning else failure is None


def test_an_excluded_word_removes_its_articles(news_index):
    with_it = news_index.search("biểu tình", 10)
    without = news_index.search("biểu tình -Campuchia", 10)
    assert "vn-001" in with_it.ids
    assert "vn-001" not in without.ids


def test_rebuild_swaps_the_alias_while_readers_search(opensearch_one_node, corpus):
    index = OpenSearchIndex(opensearch_one_node.url, "swap")
    index.rebuild(corpus)
    first = index.current_index()
    failures, answers = [], []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                answers.append(index.search("luan chuyen can bo", 3).ids[:1])
            except Exception as error:  # any error at all is what this test looks for
                failures.append(error)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        index.rebuild(corpus)
    finally:
        done.set()
        reader.join()
    try:
        assert failures == []
        assert answers and all(ids == ["bac-ha-luan-chuyen-can-bo"] for ids in answers)
        second = index.current_index()
        assert second != first
        assert not index.client.indices.exists(index=first)  # the old index went with the swap
        assert index.count() == len(NEWS) + 6
    finally:
        index.delete()


def test_add_replaces_a_document_by_id(opensearch_one_node, corpus, tmp_path):
    index = OpenSearchIndex(opensearch_one_node.url, "upsert")
    index.rebuild(corpus)
    try:
        before = index.count()
        changed = dict(NEWS[1], title="Giá xăng giảm mạnh từ chiều nay")
        index.add([write_jsonl(tmp_path / "update.jsonl", [changed])])
        assert index.count() == before
        assert index.get("vn-002")["headline"] == "Giá xăng giảm mạnh từ chiều nay"
        assert index.search("giá xăng giảm", 3).ids[:1] == ["vn-002"]
        assert "vn-002" not in index.search('"giá vàng hôm nay"', 3).ids
    finally:
        index.delete()


def test_an_index_of_another_analysis_version_says_rebuild(opensearch_one_node):
    body = index_settings(1, 0)
    body["mappings"]["_meta"]["analysis_version"] = 0
    opensearch_one_node_client = OpenSearchIndex(opensearch_one_node.url, "old").client
    opensearch_one_node_client.indices.create(index="old-v0", body=body)
    opensearch_one_node_client.indices.put_alias(index="old-v0", name="old")
    index = OpenSearchIndex(opensearch_one_node.url, "old")
    try:
        with pytest.raises(IndexVersionError, match="rebuild it"):
            index.add([sample_path()])
    finally:
        index.delete()


def test_a_stopped_cluster_is_a_clear_error():
    port = find_free_ports(1, start=23000)
    index = OpenSearchIndex(f"http://127.0.0.1:{port}", "news", max_retries=0, timeout=2)
    with pytest.raises(OpenSearchError, match=f"cannot reach the OpenSearch cluster at http://127.0.0.1:{port}"):
        index.search("giá vàng")


def test_two_shards_with_a_replica_answer_as_one(opensearch_two_nodes, corpus, embedded):
    index = OpenSearchIndex(opensearch_two_nodes.urls, "replicated", shards=2, replicas=1)
    index.rebuild(corpus)
    try:
        health = index.client.cluster.health(index="replicated")
        assert health["status"] == "green" and health["active_shards"] == 4
        for query, options in QUERIES[:4]:
            ours = embedded.search(query, per_page=5, suggest=False, **options)
            assert index.search(query, 5, **options).ids[:1] == [hit.id for hit in ours.hits][:1], query
    finally:
        index.delete()


def test_searches_keep_answering_when_a_node_is_killed(tmp_path, corpus, embedded):
    """kill -9 of one node of three (three primaries, one replica each)
    while a reader searches: no error, the same answers, nothing lost."""
    classpath = require_opensearch_tools()
    cluster = LocalCluster(tmp_path / "cluster", nodes=3, http_port=find_free_ports(3, start=22000),
                           heap_mb=TEST_HEAP_MB, tied_to_caller=True)
    cluster.start(timeout=240, classpath=classpath)
    try:
        index = OpenSearchIndex(cluster.urls, "failover", shards=3, replicas=1)
        index.rebuild(corpus)
        expected = {query: index.search(query, 3).ids[:1] for query, _ in QUERIES[:4]}
        assert all(expected.values())
        failures, answers = [], []
        done = threading.Event()

        def read() -> None:
            while not done.is_set():
                for query, top in expected.items():
                    try:
                        answers.append(index.search(query, 3).ids[:1] == top)
                    except Exception as error:  # any error at all is what this test looks for
                        failures.append(error)

        reader = threading.Thread(target=read)
        reader.start()
        try:
            manager = index.client.cat.cluster_manager(format="json")[0]["node"]
            cluster.kill_node(int(manager.split("-")[1]))  # the elected manager: the hardest node to lose
            health = index.client.cluster.health(wait_for_nodes="2", wait_for_status="yellow",
                                                 params={"timeout": "90s"}, request_timeout=100)
            assert health["number_of_nodes"] == 2 and not health["timed_out"]
            seen = len(answers)
            deadline = time.monotonic() + 60
            while len(answers) < seen + 20 and time.monotonic() < deadline:
                time.sleep(0.1)  # searches after the failover, too
        finally:
            done.set()
            reader.join()
        assert failures == []
        assert len(answers) >= seen + 20 and all(answers)
        assert index.count() == embedded.stats().documents
    finally:
        cluster.stop()


def _written(index: OpenSearchIndex) -> int:
    """Documents the cluster's primaries have indexed under ``index``'s name, in any of its concrete indexes."""
    stats = index.client.indices.stats(index=f"{index.name}-a*", metric="indexing")["indices"]
    return sum(figures["primaries"]["indexing"]["index_total"] for name, figures in stats.items()
               if not name.endswith("-meta"))


@pytest.mark.parametrize("load", ["add", "rebuild"])
def test_a_load_cut_by_a_killed_node_and_run_again_leaves_each_document_once(tmp_path, load):
    """kill -9 of a node while a load runs into a three-node index (three
    primaries, a replica each). An update goes on (the client moves to
    another node, a replica takes over) or stops with one readable error; a
    rebuild, which loads without replicas, stops within ``_SHARD_WAIT`` and
    leaves readers on the index they had. Either way, running the load again
    ends with every document of its input exactly once."""
    classpath = require_opensearch_tools()
    earlier = write_jsonl(tmp_path / "earlier.jsonl", NEWS)
    source = write_jsonl(tmp_path / "bulk.jsonl", news_articles(3000, seed=16, prefix="bulk"))
    loaded = [earlier, source] if load == "add" else [source]
    expected = {doc.id for doc in _documents(loaded, BulkReport("expected"))}
    cluster = LocalCluster(tmp_path / "cluster", nodes=3, http_port=find_free_ports(3, start=23000),
                           heap_mb=TEST_HEAP_MB, tied_to_caller=True)
    cluster.start(timeout=240, classpath=classpath)
    try:
        index = OpenSearchIndex(cluster.urls, "bulk", shards=3, replicas=1)
        index.rebuild([earlier])
        before, written = index.count(), _written(index)
        stopped = []

        def run() -> None:
            try:
                getattr(index, load)([source], chunk_size=100)
            except OpenSearchError as error:  # one readable line, not a traceback
                stopped.append(error)

        loader = threading.Thread(target=run)
        loader.start()
        deadline = time.monotonic() + 120
        while _written(index) < written + 300 and loader.is_alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert loader.is_alive(), "the load ended before a node could be killed under it"
        cluster.kill_node(0)  # the first address the client knows
        loader.join(timeout=300)
        assert not loader.is_alive()
        index.client.cluster.health(wait_for_nodes="2", wait_for_status="yellow", params={"timeout": "90s"},
                                    request_timeout=100)
        if load == "rebuild":
            assert stopped and "was refused" in str(stopped[0])  # its only copy of a shard died
        if stopped:  # readers still search what they had
            assert index.count() == before
            assert index.search("Phe đối lập Campuchia biểu tình", 3).ids[:1] == ["vn-001"]
        getattr(index, load)([source], chunk_size=100)  # the load, run again
        index.client.indices.refresh(index=index.name)
        from opensearchpy.helpers import scan

        ids = [hit["_id"] for hit in scan(index.client, index=index.name, query={"_source": False}, size=1000)]
        assert len(ids) == len(set(ids)) == index.count() == len(expected)
        assert set(ids) == expected
    finally:
        cluster.stop()
