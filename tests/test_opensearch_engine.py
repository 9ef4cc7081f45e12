"""``--index opensearch://…`` everywhere an index folder works: the CLI, the
Python API and the web app over a live node give what the embedded index
gives, and a cluster that is not there is one line, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from vn_search import SearchEngine, sample_path
from vn_search.backends import opensearch_engine
from vn_search.backends.opensearch_cluster import find_free_ports
from vn_search.backends.opensearch_engine import OpenSearchEngine
from vn_search.cli import main
from vn_search.web import create_app

SAME_STORY = Path(__file__).parent / "data" / "same_story.jsonl"

# Accented and unaccented, a typo, keystrokes, an exclusion, a phrase: the
# embedded index's top hit for each (checked against it in the test too).
QUERIES = [
    "luân chuyển cán bộ",
    "luan chuyen can bo",
    "bao yagi quang ninh",
    "Quang Ninh",
    "so tan dan",
    "xuat khau",
    "giá vàng",
    "vaang",
    "quảng nnih",
    "bao yagi -quang",
    '"cán bộ" Bắc Hà',
]


def run(*args, env: dict | None = None):
    return CliRunner().invoke(main, list(map(str, args)), env=env)


@pytest.fixture(scope="module")
def corpus() -> list[Path]:
    return [sample_path(), SAME_STORY]


@pytest.fixture(scope="module")
def embedded_dir(corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("embedded-cli") / "index"
    assert run("index", *corpus, "--index", folder).exit_code == 0
    return folder


@pytest.fixture(scope="module")
def cluster_url(opensearch_one_node, corpus) -> str:
    """The corpus indexed into the node through the CLI."""
    url = f"opensearch://127.0.0.1:{opensearch_one_node.http_port}/engine-news"
    result = run("index", *corpus, "--index", url, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["articles"], report["related"], report["documents_total"]) == (15, 5, 20)
    yield url
    SearchEngine(url).backend.delete()


def search_json(index, query: str) -> dict:
    result = run("search", query, "--index", index, "--json", "--limit", "5")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_location_picks_the_backend(opensearch_one_node):
    url = f"opensearch://127.0.0.1:{opensearch_one_node.http_port}/news"
    assert isinstance(SearchEngine(url), OpenSearchEngine)
    # What pathlib leaves of the URL (click's Path option) still reaches the cluster.
    assert SearchEngine(Path(url)).location == url
    assert not isinstance(SearchEngine("index"), OpenSearchEngine)
    # The command line sizes a new index in the URL.
    sized = SearchEngine(url + "?shards=3&replicas=1").backend
    assert (sized.name, sized.shards, sized.replicas) == ("news", 3, 1)
    # A password in the URL authenticates, and is shown nowhere.
    secured = SearchEngine("opensearchs://ana:s%40cret@127.0.0.1:9200/news")
    assert secured.location == secured.index_dir == "opensearchs://127.0.0.1:9200/news"
    assert secured.backend.hosts == ["https://127.0.0.1:9200"]
    assert secured.backend.client.transport.kwargs["http_auth"] == ("ana", "s@cret")


@pytest.mark.parametrize("query", QUERIES)
def test_cli_search_finds_what_the_embedded_index_finds(cluster_url, embedded_dir, query):
    ours, theirs = search_json(embedded_dir, query), search_json(cluster_url, query)
    assert ours["hits"], "a query of this test must find something in the embedded index"
    assert theirs["hits"][0]["id"] == ours["hits"][0]["id"]
    assert theirs["suggestion"] == ours["suggestion"]
    assert theirs.keys() == ours.keys() and theirs["hits"][0].keys() == ours["hits"][0].keys()
    # Snippets come from the same highlighter over the same stored text.
    assert theirs["hits"][0]["snippet"] == ours["hits"][0]["snippet"]


def test_the_accent_model_and_corrections_come_from_the_cluster(cluster_url):
    engine = SearchEngine(cluster_url)
    typo = engine.search("quảng nnih")
    assert typo.suggestion == "Quảng Ninh"
    keystrokes = engine.search("vieejt nam")  # Telex with the input method off
    assert keystrokes.searched == "việt nam" and keystrokes.total == 6
    assert "Đang hiển thị kết quả cho «việt nam»." in keystrokes.notices
    assert "Hà Nội" in engine.complete("ha n")
    assert "quảng ninh" in engine.headline_words(5)


def test_stats_and_facets_match_the_embedded_index(cluster_url, embedded_dir):
    result = run("stats", "--index", cluster_url, "--json")
    assert result.exit_code == 0, result.output
    theirs = json.loads(result.stdout)
    ours = json.loads(run("stats", "--index", embedded_dir, "--json").stdout)
    for key in ("documents", "articles", "related", "sources", "newest_published", "oldest_published",
                "analysis_version"):
        assert theirs[key] == ours[key], key
    assert theirs["index_dir"] == cluster_url
    assert SearchEngine(cluster_url).facets() == SearchEngine(embedded_dir).facets()


def test_the_environment_variable_names_the_cluster(cluster_url):
    result = run("search", "bão Yagi", "--json", env={"VN_SEARCH_INDEX": cluster_url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 5


def test_a_query_the_cluster_refuses_as_too_long_is_searched_by_its_first_words(cluster_url, embedded_dir,
                                                                                monkeypatch):
    # A cluster whose clause limit admits three words at most (the default
    # admits any query vn-search keeps: this one stands in for a stricter one).
    search = opensearch_engine.OpenSearchIndex.search

    def strict(self, query, limit=10, **options):
        if len(query.split()) > 3:
            raise opensearch_engine.QueryTooLong()
        return search(self, query, limit, **options)

    monkeypatch.setattr(opensearch_engine.OpenSearchIndex, "search", strict)
    found = SearchEngine(cluster_url).search("bão Yagi Quảng Ninh thiệt hại nặng")  # 7 words, 4, then 2
    assert found.query == "bão Yagi"
    assert found.notices == ["Truy vấn quá dài: chỉ 2 từ đầu được dùng."]
    assert found.hits and [hit.id for hit in found.hits] == [hit.id for hit in
                                                             SearchEngine(embedded_dir).search("bão Yagi").hits]


def test_hostile_queries_are_answered_in_requests_a_node_accepts(cluster_url, monkeypatch):
    # Typos, URLs, dates, emoji, operators, 500-character pastes: each is
    # answered, and no request grows large (a long query of unknown words
    # once asked every spelling one slip away of each in one 60 MB request,
    # which tripped the node's memory breaker: every search failed after it).
    from bench.datagen import hostile_queries

    sizes = []
    call = opensearch_engine.OpenSearchIndex._call

    def measured(self, method, **arguments):
        if arguments.get("body") is not None:
            sizes.append(len(json.dumps(arguments["body"], ensure_ascii=False)))
        return call(self, method, **arguments)

    monkeypatch.setattr(opensearch_engine.OpenSearchIndex, "_call", measured)
    engine = SearchEngine(cluster_url)
    for query, raw in hostile_queries(150, seed=5):
        if not raw:
            engine.search(query)
    assert max(sizes) < 256_000
    assert engine.search("bão Yagi").total == 5


def test_get_and_similar_read_the_cluster(cluster_url, embedded_dir):
    engine = SearchEngine(cluster_url)
    assert engine.get("tt-yagi-1") == SearchEngine(embedded_dir).get("tt-yagi-1")
    assert engine.get("no-such-article") is None
    assert "vov-yagi-2" in [hit.id for hit in engine.similar("tt-yagi-1")]


def test_an_update_replaces_by_id_and_a_rebuild_swaps(cluster_url, corpus, tmp_path, monkeypatch):
    # A long-lived engine (a server) looks again at once, not after RECHECK_SECONDS.
    monkeypatch.setattr(opensearch_engine, "RECHECK_SECONDS", 0.0)
    changed = tmp_path / "update.jsonl"
    changed.write_text(json.dumps({"id": "vne-vang-1", "title": "Giá xăng giảm mạnh từ chiều nay",
                                   "summary": "Giá xăng RON 95 giảm hơn 500 đồng mỗi lít từ 15 giờ chiều nay.",
                                   "body": "Liên Bộ Công Thương - Tài chính vừa điều chỉnh giá xăng dầu."},
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    engine = SearchEngine(cluster_url)
    assert engine.complete("xăn") == []
    try:
        assert run("index", changed, "--index", cluster_url).exit_code == 0
        assert engine.stats().documents == 20
        assert search_json(cluster_url, "giá xăng giảm")["hits"][0]["id"] == "vne-vang-1"
        # What the cluster keeps beside the index learned the new words too.
        assert engine.complete("xăn") == ["xăng"]
        assert search_json(cluster_url, "gias xawng")["searched"] == "giá xăng"
    finally:
        result = run("index", *corpus, "--index", cluster_url, "--rebuild")
        assert result.exit_code == 0, result.output
    assert search_json(cluster_url, "giá vàng")["hits"][0]["id"] == "vne-vang-1"
    assert engine.complete("xăn") == []  # the rebuilt index's own table


def test_the_web_app_serves_from_the_cluster(cluster_url, embedded_dir):
    client = create_app(cluster_url, TESTING=True).test_client()
    ours = create_app(embedded_dir, TESTING=True).test_client().get("/api/search?q=so+tan+dan").get_json()
    theirs = client.get("/api/search?q=so+tan+dan").get_json()
    assert theirs["hits"][0]["id"] == ours["hits"][0]["id"] == "tt-yagi-1"
    assert theirs.keys() == ours.keys()
    page = client.get("/search?q=luan+chuyen+can+bo")
    assert page.status_code == 200
    assert "<mark>luân chuyển</mark> <mark>cán bộ</mark>" in page.get_data(as_text=True)
    assert client.get("/doc/tt-yagi-1").status_code == 200
    assert client.get("/doc/no-such-article").status_code == 404
    health = client.get("/healthz").get_json()
    assert health["ok"] and health["documents"] == 20
    assert "Hà Nội" in client.get("/api/suggest?q=ha+n").get_json()["suggestions"]


def test_an_unreachable_cluster_is_one_line_and_a_503(tmp_path):
    port = find_free_ports(1, start=23500)
    url = f"opensearch://127.0.0.1:{port}/news"
    result = run("search", "giá vàng", "--index", url)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith(f"vn-search: cannot reach the OpenSearch cluster at http://127.0.0.1:{port}")
    response = create_app(url, TESTING=True).test_client().get("/api/search?q=gi%C3%A1+v%C3%A0ng")
    assert response.status_code == 503
    assert response.get_json()["error"] == "the search index is not available"
    indexing = run("index", sample_path(), "--index", url)
    assert indexing.exit_code == 1 and indexing.stderr.startswith("vn-search: cannot reach")


def test_a_bad_url_or_a_missing_index_says_what_to_do(opensearch_one_node):
    result = run("stats", "--index", "opensearch://127.0.0.1:9200")
    assert result.exit_code == 1
    assert result.stderr.strip() == ("vn-search: not an OpenSearch index URL: 'opensearch://127.0.0.1:9200' "
                                     "(expected opensearch://HOST:PORT/NAME, optionally ?shards=N&replicas=N)")
    missing = f"opensearch://127.0.0.1:{opensearch_one_node.http_port}/no-such-index"
    result = run("search", "giá vàng", "--index", missing)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"vn-search: no index '{missing}' on the OpenSearch cluster: build one with "
                                     f"`vn-search index PATH... --index {missing}`")
