"""The web front end, through Flask's test client, over real indexes built
in a temporary folder (see web_fixtures.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from markupsafe import escape

from vn_search import SearchEngine
from vn_search.web import create_app, search_blueprint, serve
from vn_search.web.params import parse_search_args
from vn_search.web.security import is_loopback_host
from vn_search.web.server import UnsafeDebugServer
from vn_search.web.views import page_window

import web_fixtures as fx

LUAN_CHUYEN = "luan chuyen can bo"
MARKED_HEADLINE = (
    "Hiệu quả từ công tác <mark>luân</mark> <mark>chuyển</mark> "
    "<mark>cán</mark> <mark>bộ</mark> ở Bắc Hà"
)


# -- fixtures -------------------------------------------------------------


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory) -> Path:
    return fx.build_sample_index(tmp_path_factory.mktemp("web-sample") / "index")


@pytest.fixture(scope="session")
def news_index(tmp_path_factory) -> Path:
    return fx.build_news_index(tmp_path_factory.mktemp("web-news"))


@pytest.fixture(scope="module")
def sample_client(sample_index):
    return create_app(sample_index, TESTING=True).test_client()


@pytest.fixture(scope="module")
def client(news_index):
    return create_app(news_index, TESTING=True).test_client()


@pytest.fixture(scope="module")
def engine(news_index) -> SearchEngine:
    return SearchEngine(news_index)


@pytest.fixture(scope="module")
def missing_client(tmp_path_factory):
    empty = tmp_path_factory.mktemp("no-index")
    return create_app(empty / "index", TESTING=True).test_client()


@pytest.fixture(scope="module")
def mounted_client(news_index):
    """Another application that mounts the search under /tin-tuc."""
    host = Flask("host_app")

    @host.route("/")
    def host_home():
        return "trang chủ của báo"

    host.register_blueprint(search_blueprint(SearchEngine(news_index)), url_prefix="/tin-tuc")
    host.config["TESTING"] = True
    return host.test_client()


class _Links(HTMLParser):
    """Every URL a page points at (href, src, action)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            self.attributes.append((tag, name, value))
            if name in ("href", "src", "action") and value is not None:
                self.urls.append(value)


def page_urls(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


def page_attributes(html: str) -> list[tuple[str, str, str | None]]:
    parser = _Links()
    parser.feed(html)
    return parser.attributes


def search_links(html: str, page: int) -> list[str]:
    """Links to page ``page`` of a search."""
    return [
        url for url in page_urls(html)
        if "/search?" in url and parse_qs(urlsplit(url).query).get("page") == [str(page)]
    ]


def hit_count(html: str) -> int:
    return len(re.findall(r'<li class="hit hit--', html))


def text(response) -> str:
    return response.get_data(as_text=True)


# -- home -----------------------------------------------------------------


def test_home_has_search_box_and_index_summary(sample_client):
    response = sample_client.get("/")
    html = text(response)
    assert response.status_code == 200
    assert '<html lang="vi">' in html
    assert 'name="viewport"' in html
    assert re.search(r'<input[^>]*name="q"[^>]*autofocus', html)
    assert '<label class="visually-hidden" for="q">' in html
    assert "<strong>6</strong> tài liệu" in html
    assert "1 bài viết, 5 tin liên quan" in html
    assert re.search(r"cập nhật lần cuối lúc <time[^>]*>\d\d:\d\d, \d\d/\d\d/\d{4}</time>", html)
    assert 'class="skip-link" href="#main"' in html and 'id="main"' in html


@pytest.mark.parametrize("query", ["", "   ", "%20%09%20"])
def test_empty_query_shows_the_home_state(client, query):
    response = client.get(f"/search?q={query}")
    html = text(response)
    assert response.status_code == 200
    assert "autofocus" in html and "tài liệu" in html
    assert "kết quả" not in html


# -- results --------------------------------------------------------------


def test_unaccented_query_finds_accented_headline_with_marks(sample_client):
    response = sample_client.get("/search", query_string={"q": LUAN_CHUYEN})
    html = text(response)
    assert response.status_code == 200
    assert MARKED_HEADLINE in html
    assert f'<a href="/doc/{fx.SAMPLE_ARTICLE_ID}">{MARKED_HEADLINE}</a>' in html
    assert re.search(r"Khoảng 4 kết quả \(0,\d\d giây\)", html)
    assert f'value="{LUAN_CHUYEN}"' in html  # the query is echoed in the box
    assert "<title>luan chuyen can bo · Tìm tin</title>" in html


def test_related_hits_are_labelled_and_link_their_article(sample_client):
    html = text(sample_client.get("/search", query_string={"q": "giai phong"}))
    hits = html.split('<li class="hit hit--')[1:]
    related = [hit for hit in hits if hit.startswith("related")]
    assert related, "the sample's related items mention giải phóng"
    for hit in related:
        assert '<span class="badge">Tin liên quan</span>' in hit
        assert f'href="/doc/{fx.SAMPLE_ARTICLE_ID}">{fx.SAMPLE_HEADLINE}</a>' in hit


def test_hit_shows_source_and_vietnamese_date(client):
    html = text(client.get("/search", query_string={"q": "dao tao can bo tre chuyen doi so"}))
    hit = next(h for h in html.split('<li class="hit hit--')[1:] if fx.DATED_ID in h)
    assert "Hà Nội Mới" in hit and "Xã hội" in hit
    # 06:00 on 2 April in Hà Nội, stored as 23:00 on 1 April UTC.
    assert ">02/04/2025</time>" in hit


def test_empty_state_gives_tips(client):
    response = client.get("/search", query_string={"q": "xyzzyqwv"})
    html = text(response)
    assert response.status_code == 200
    assert "Không tìm thấy kết quả cho «<span class=\"empty-query\">xyzzyqwv</span>»" in html
    assert "chính tả" in html and "ít từ hơn" in html and "không dấu" in html
    assert hit_count(html) == 0 and 'class="pagination"' not in html


def test_empty_state_with_filters_offers_to_drop_them(client):
    html = text(client.get("/search", query_string={"q": "xyzzyqwv", "kind": "related"}))
    assert "Tìm lại không dùng bộ lọc" in html
    drop = next(url for url in page_urls(html) if "xyzzyqwv" in url and "/search" in url)
    assert "kind=" not in drop


@pytest.mark.parametrize(
    "query",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "cán bộ' OR 1=1 --",
        "{{ 7*7 }} {% raw %}",
        "\u202e\u200b tin tức \ud7ff",
        "NOT AND OR ( ) [ ] * ? ~ ^ : \\ / \"",
        "javascript:alert(1)",
    ],
)
def test_odd_queries_are_escaped_never_executed(client, query):
    response = client.get("/search", query_string={"q": query})
    html = text(response)
    assert response.status_code == 200
    assert f'value="{escape(query.strip())}"' in html
    assert "<script" not in html and "<img" not in html


def test_script_query_comes_back_escaped(sample_client):
    html = text(sample_client.get("/search", query_string={"q": "<script>alert('x')</script>"}))
    assert 'value="&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"' in html
    assert "«<span class=\"empty-query\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</span>»" in html
    assert "<script" not in html


def test_markup_inside_documents_is_escaped(client):
    html = text(client.get("/search", query_string={"q": "gia mao can bo thue"}))
    assert "&lt;script&gt;" in html or "&lt;<mark>script</mark>&gt;" in html
    assert "<script>" not in html and "<img src=x" not in html
    page = text(client.get("/doc/" + fx.HOSTILE_ID))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page and "<img" not in page


def test_long_query_is_cut_and_the_notice_shown(client, engine):
    query = "cán bộ luân chuyển " * 100
    expected = engine.search(query.strip()).notices
    assert expected, "the engine should say it cut the query"
    response = client.get("/search", query_string={"q": query})
    html = text(response)
    assert response.status_code == 200
    for notice in expected:
        assert f'<p class="notice" role="status">{notice}</p>' in html
    assert len(parse_search_args({"q": query}, strict=False).query) > engine.max_query_chars


def test_suggestion_links_to_its_search_and_keeps_filters(news_index):
    class SuggestingEngine:
        """The real engine, with a suggestion added to every result."""

        def __init__(self, engine):
            self.engine = engine

        def __getattr__(self, name):
            return getattr(self.engine, name)

        def search(self, query, **kwargs):
            results = self.engine.search(query, **kwargs)
            return dataclasses.replace(results, suggestion="luân chuyển cán bộ", notices=["Đã sửa <b>"])

    app = create_app(engine=SuggestingEngine(SearchEngine(news_index)), TESTING=True)
    html = text(app.test_client().get("/search?q=luan+chuyn&kind=article&page=2"))
    match = re.search(r'Có phải bạn muốn tìm:\s*<a href="([^"]+)">luân chuyển cán bộ</a>', html)
    assert match, html
    link = parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query)
    assert link == {"q": ["luân chuyển cán bộ"], "kind": ["article"]}
    assert "Đã sửa &lt;b&gt;" in html


# -- pagination -----------------------------------------------------------


def test_pagination_links_and_second_page(client):
    first = text(client.get("/search", query_string={"q": LUAN_CHUYEN}))
    assert re.search(r"Khoảng 20 kết quả", first)
    assert hit_count(first) == 10
    assert 'aria-current="page"' in first and "Trang sau" in first
    assert '<span class="page-step is-disabled" aria-disabled="true">‹ Trang trước</span>' in first
    next_link = re.search(r'<a class="page-step" rel="next" href="([^"]+)"', first).group(1)
    second = text(client.get(next_link.replace("&amp;", "&")))
    assert hit_count(second) == 10
    assert 'rel="prev"' in second and "Trang trước" in second
    assert "trang 2/2" in second
    first_ids = set(re.findall(r'class="hit-title"><a href="(/doc/[^"]+)"', first))
    second_ids = set(re.findall(r'class="hit-title"><a href="(/doc/[^"]+)"', second))
    assert first_ids and second_ids and not first_ids & second_ids


def test_filters_survive_pagination(client):
    args = {"q": "can bo", "source": "Báo Nhân Dân", "per_page": "2", "sort": "relevance"}
    html = text(client.get("/search", query_string=args))
    links = search_links(html, 2)
    assert links
    query = parse_qs(urlsplit(links[0].replace("&amp;", "&")).query)
    assert query == {"q": ["can bo"], "source": ["Báo Nhân Dân"], "per_page": ["2"], "page": ["2"]}
    assert '<input type="hidden" name="per_page" value="2">' in html


@pytest.mark.parametrize(
    "page, per_page, expected_page, expected_hits",
    [
        ("abc", None, 1, 10),
        ("0", None, 1, 10),
        ("-3", None, 1, 10),
        ("1.5", None, 1, 10),
        ("２", None, 1, 10),  # a full-width digit
        ("2", None, 2, 10),
        ("2", "abc", 2, 10),
        ("1", "0", 1, 1),
        ("3", "1", 3, 1),
        ("1", "1000", 1, 20),
        ("1", "-5", 1, 10),
    ],
)
def test_bad_page_numbers_are_clamped_on_pages(client, page, per_page, expected_page, expected_hits):
    args = {"q": LUAN_CHUYEN, "page": page}
    if per_page is not None:
        args["per_page"] = per_page
    response = client.get("/search", query_string=args)
    html = text(response)
    assert response.status_code == 200
    assert hit_count(html) == expected_hits
    if expected_hits < 20:
        current = re.search(r'aria-current="page" href="[^"]*"><span class="visually-hidden">Trang </span>(\d+)<', html)
        assert current and int(current.group(1)) == expected_page


@pytest.mark.parametrize("page", ["40", "1000", "99999999999999999999", "9" * 5000])
def test_page_past_the_end_redirects_to_the_last_page(client, page):
    response = client.get("/search", query_string={"q": LUAN_CHUYEN, "page": page})
    assert response.status_code == 302
    assert parse_qs(urlsplit(response.headers["Location"]).query)["page"] == ["2"]


def test_page_window():
    assert page_window(1, 1) == [1]
    assert page_window(1, 3) == [1, 2, 3]
    assert page_window(7, 20) == [1, None, 5, 6, 7, 8, 9, None, 20]
    assert page_window(4, 20) == [1, 2, 3, 4, 5, 6, None, 20]


# -- filters and sort -----------------------------------------------------


def test_filter_dropdowns_come_from_the_facets(client, sample_client):
    html = text(client.get("/search", query_string={"q": "can bo"}))
    assert '<label for="f-kind">Loại tin</label>' in html
    assert '<option value="Báo Nhân Dân">Báo Nhân Dân (6)</option>' in html
    assert '<option value="Xã hội">Xã hội (6)</option>' in html
    assert '<label for="f-sort">Sắp xếp</label>' in html
    # The sample has no sources or categories: no empty dropdowns.
    bare = text(sample_client.get("/search", query_string={"q": "can bo"}))
    assert 'name="source"' not in bare and 'name="category"' not in bare
    assert 'name="kind"' in bare and 'name="sort"' in bare


def test_kind_filter(client):
    related = text(client.get("/search", query_string={"q": "can bo", "kind": "related"}))
    assert hit_count(related) > 0
    assert hit_count(related) == related.count('<li class="hit hit--related">')
    assert '<option value="related" selected>' in related
    articles = text(client.get("/search", query_string={"q": "can bo", "kind": "article"}))
    assert hit_count(articles) > 0 and 'hit--related' not in articles


def test_source_and_category_filters_combine(client, engine):
    args = {"q": "can bo", "source": "Hà Nội Mới", "category": "Xã hội", "per_page": "50"}
    html = text(client.get("/search", query_string=args))
    expected = engine.search("can bo", per_page=50, source="Hà Nội Mới", category="Xã hội")
    assert expected.total > 0
    assert hit_count(html) == expected.total
    for hit in html.split('<li class="hit hit--')[1:]:
        assert "Hà Nội Mới" in hit and "Xã hội" in hit
    assert '<option value="Hà Nội Mới" selected>' in html
    assert '<option value="Xã hội" selected>' in html


def test_unknown_filter_values_are_ignored_or_kept_on_pages(client):
    html = text(client.get("/search", query_string={"q": "can bo", "kind": "video", "sort": "hot"}))
    assert hit_count(html) == 10
    assert '<option value="" selected>' not in html  # "all" is the default option
    kept = text(client.get("/search", query_string={"q": "can bo", "source": "Báo Không Có"}))
    assert '<option value="Báo Không Có" selected>Báo Không Có</option>' in kept


def test_sort_by_date_is_newest_first(client):
    html = text(client.get("/search", query_string={"q": "can bo", "sort": "date", "per_page": "50"}))
    assert '<option value="date" selected>' in html
    dates = re.findall(r'<time datetime="([^"]+)">', html)
    assert len(dates) > 5
    assert dates == sorted(dates, reverse=True)


# -- document page --------------------------------------------------------


def test_document_page_shows_the_whole_article(sample_client, sample_index):
    document = SearchEngine(sample_index).get(fx.SAMPLE_ARTICLE_ID)
    response = sample_client.get(f"/doc/{fx.SAMPLE_ARTICLE_ID}")
    html = text(response)
    assert response.status_code == 200
    assert f'<h1 class="document-title">{fx.SAMPLE_HEADLINE}</h1>' in html
    assert f'<p class="lead">{document.summary}</p>' in html
    for paragraph in document.paragraphs:
        assert f"<p>{paragraph}</p>" in html
    assert len(document.related_ids) == 5
    for related_id in document.related_ids:
        assert f'href="/doc/{related_id}"' in html
    assert "<title>Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà · Tìm tin</title>" in html


def test_related_item_page_links_its_article(sample_client, sample_index):
    engine = SearchEngine(sample_index)
    related_id = engine.get(fx.SAMPLE_ARTICLE_ID).related_ids[0]
    related = engine.get(related_id)
    html = text(sample_client.get(f"/doc/{related_id}"))
    assert '<span class="badge">Tin liên quan</span>' in html
    assert related.summary in html
    assert "Tin này được giới thiệu trong bài" in html
    assert f'<a href="/doc/{fx.SAMPLE_ARTICLE_ID}">{fx.SAMPLE_HEADLINE}</a>' in html


def test_document_meta_and_original_link(client):
    html = text(client.get(f"/doc/{fx.DATED_ID}"))
    assert "Hà Nội Mới" in html and "Xã hội" in html
    assert ">06:00, 02/04/2025</time>" in html
    assert f'<a href="{fx.DATED_URL}" rel="noopener noreferrer nofollow">Đọc bài gốc tại hanoimoi.vn' in html
    assert "Chuyển đổi số trong cơ quan nhà nước" in html  # its related item


def test_only_http_links_are_rendered(client):
    html = text(client.get(f"/doc/{fx.JS_LINK_ID}"))
    assert "javascript:" not in html and "Đọc bài gốc" not in html
    results = text(client.get("/search", query_string={"q": "tin nhan gia danh ngan hang"}))
    assert fx.JS_LINK_ID in results and "javascript:" not in results
    for url in page_urls(results) + page_urls(html):
        assert urlsplit(url).scheme in ("", "http", "https"), url


def test_ids_that_need_escaping_round_trip(client):
    html = text(client.get("/search", query_string={"q": "sap xep doi ngu can bo xa sau sap nhap"}))
    link = next(url for url in page_urls(html) if "/doc/lao-cai" in url)
    assert " " not in link and "#" not in link and "?" not in link
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    assert f'<h1 class="document-title">{fx.ESCAPED_TITLE}</h1>' in text(page)
    api = client.get("/api/doc/" + quote(fx.ESCAPED_ID, safe=""))
    assert api.status_code == 200 and api.get_json()["id"] == fx.ESCAPED_ID


@pytest.mark.parametrize(
    "path",
    ["/doc/khong-co-bai-nay", "/doc/..%2F..%2Fetc%2Fpasswd", "/doc/../../etc/passwd",
     "/doc/%00", "/doc/%3Cscript%3E", "/khong-co-trang-nay"],
)
def test_unknown_pages_are_a_real_404(client, path):
    response = client.get(path)
    html = text(response)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in html and '<html lang="vi">' in html
    assert "<script" not in html
    assert response.headers["X-Frame-Options"] == "DENY"


def test_post_is_refused_cleanly(client):
    response = client.post("/search", data={"q": "x"})
    assert response.status_code == 405
    assert "Phương thức không được hỗ trợ" in text(response)


# -- JSON API -------------------------------------------------------------


def test_api_search_shape(client):
    response = client.get("/api/search", query_string={"q": LUAN_CHUYEN, "per_page": "5", "page": "2"})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    data = response.get_json()
    assert set(data) >= {"query", "total", "took_ms", "page", "per_page", "suggestion", "notices", "hits"}
    assert data["query"] == LUAN_CHUYEN
    assert (data["total"], data["page"], data["per_page"], len(data["hits"])) == (20, 2, 5, 5)
    for hit in data["hits"]:
        assert set(hit) >= {"id", "kind", "title", "url", "published", "score", "snippet", "parents",
                            "title_html", "source", "category"}
        assert hit["kind"] in ("article", "related")


def test_api_search_filters_and_past_the_end(client):
    data = client.get("/api/search?q=can+bo&kind=related&per_page=50").get_json()
    assert data["hits"] and all(hit["kind"] == "related" for hit in data["hits"])
    data = client.get("/api/search?q=can+bo&source=B%C3%A1o+L%C3%A0o+Cai&per_page=50").get_json()
    assert data["hits"] and all(hit["source"] == "Báo Lào Cai" for hit in data["hits"])
    data = client.get(f"/api/search?q={LUAN_CHUYEN}&page=30").get_json()
    assert data["total"] == 20 and data["hits"] == []


def test_api_search_date_sort(client):
    data = client.get("/api/search?q=can+bo&sort=date&per_page=50").get_json()
    dates = [hit["published"] for hit in data["hits"] if hit["published"]]
    assert len(dates) > 5 and dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    "query_string, param",
    [
        ("q=can+bo&page=abc", "page"),
        ("q=can+bo&page=0", "page"),
        ("q=can+bo&page=-1", "page"),
        ("q=can+bo&page=1001", "page"),
        ("q=can+bo&page=" + "9" * 5000, "page"),
        ("q=can+bo&page=%EF%BC%92", "page"),
        ("q=can+bo&per_page=0", "per_page"),
        ("q=can+bo&per_page=51", "per_page"),
        ("q=can+bo&per_page=ten", "per_page"),
        ("q=can+bo&sort=hot", "sort"),
        ("q=can+bo&kind=video", "kind"),
        ("q=can+bo&source=" + "x" * 300, "source"),
        ("q=", "q"),
        ("q=+++", "q"),
        ("", "q"),
    ],
)
def test_api_rejects_bad_arguments_with_400(client, query_string, param):
    response = client.get("/api/search?" + query_string)
    assert response.status_code == 400
    data = response.get_json()
    assert data["error"] and data["param"] == param


def test_api_long_query_reports_the_cut(client, engine):
    data = client.get("/api/search", query_string={"q": "cán bộ " * 300}).get_json()
    assert data["notices"] and len(data["query"]) <= engine.max_query_chars


def test_api_doc(client):
    data = client.get(f"/api/doc/{fx.DATED_ID}").get_json()
    assert data["id"] == fx.DATED_ID and data["title"] == fx.DATED_TITLE
    assert set(data) >= {"kind", "summary", "paragraphs", "url", "published", "parents", "related_ids"}
    missing = client.get("/api/doc/khong-co")
    assert missing.status_code == 404 and missing.get_json()["error"]
    unknown_route = client.get("/api/khong-co")
    assert unknown_route.status_code == 404 and unknown_route.get_json()["error"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] is True and data["documents"] == 23


# -- missing index --------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/search?q=can+bo", "/doc/abc"])
def test_missing_index_pages_say_how_to_build_it(missing_client, path):
    response = missing_client.get(path)
    html = text(response)
    assert response.status_code == 503
    assert "Chưa có dữ liệu để tìm kiếm" in html
    assert "vn-search index PATH... --index" in html
    assert "Traceback" not in html


def test_missing_index_api_and_healthz(missing_client):
    response = missing_client.get("/api/search?q=can+bo")
    assert response.status_code == 503 and response.get_json()["missing_index"] is True
    health = missing_client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["ok"] is False


# -- security -------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/", "/search?q=can+bo", "/search?q=xyzzy", f"/doc/{fx.DATED_ID}", "/doc/khong-co",
     "/api/search?q=can+bo", "/api/search?page=x", "/api/doc/khong-co", "/healthz",
     "/static/search.css", "/khong-co"],
)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    assert response.headers["X-Frame-Options"] == "DENY"


def test_security_headers_when_index_missing(missing_client):
    response = missing_client.get("/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/", "/search?q=can+bo", "/search?q=xyzzy", f"/doc/{fx.DATED_ID}", "/doc/x"])
def test_pages_have_no_inline_script_or_style_and_no_external_assets(client, path):
    html = text(client.get(path))
    assert "<script" not in html and "<style" not in html
    assert not [a for a in page_attributes(html) if a[1] == "style" or a[1].startswith("on")]
    for tag, name, value in page_attributes(html):
        if (tag, name) in (("link", "href"), ("script", "src"), ("img", "src")):
            assert value.startswith("/"), value


def test_unexpected_errors_are_a_clean_500(news_index):
    class BrokenEngine:
        def __getattr__(self, name):
            return getattr(SearchEngine(news_index), name)

        def search(self, *args, **kwargs):
            raise RuntimeError("bug in the engine")

    app = create_app(engine=BrokenEngine())  # not TESTING: errors are handled
    client = app.test_client()
    response = client.get("/search?q=can+bo")
    html = text(response)
    assert response.status_code == 500
    assert "Đã có lỗi xảy ra" in html and "bug in the engine" not in html
    assert response.headers["X-Frame-Options"] == "DENY"
    api = client.get("/api/search?q=can+bo")
    assert api.status_code == 500 and api.get_json() == {"error": "internal error", "status": 500}


# -- blueprint under a prefix ----------------------------------------------


def test_blueprint_mounted_under_a_prefix(mounted_client):
    assert text(mounted_client.get("/")) == "trang chủ của báo"
    home = text(mounted_client.get("/tin-tuc/"))
    results = text(mounted_client.get("/tin-tuc/search", query_string={"q": LUAN_CHUYEN}))
    document = text(mounted_client.get(f"/tin-tuc/doc/{fx.DATED_ID}"))
    missing = mounted_client.get("/tin-tuc/doc/khong-co")
    assert '<form class="search-form" role="search"\n      action="/tin-tuc/search"' in home
    assert 'href="/tin-tuc/static/search.css"' in home
    for html in (home, results, document, text(missing)):
        for url in page_urls(html):
            if url.startswith("/"):
                assert url.startswith("/tin-tuc/"), url
    assert missing.status_code == 404
    assert search_links(results, 2)[0].startswith("/tin-tuc/search?")
    hit_links = re.findall(r'class="hit-title"><a href="([^"]+)"', results)
    assert len(hit_links) == 10 and all(link.startswith("/tin-tuc/doc/") for link in hit_links)
    css = mounted_client.get("/tin-tuc/static/search.css")
    assert css.status_code == 200 and b".hit-title" in css.data
    assert mounted_client.get("/tin-tuc/api/search?q=can+bo").get_json()["total"] > 0
    assert mounted_client.get("/tin-tuc/healthz").get_json()["documents"] == 23
    assert mounted_client.get("/tin-tuc/search?q=x").headers["X-Frame-Options"] == "DENY"


def test_two_apps_do_not_share_state(sample_index, news_index):
    sample_app = create_app(sample_index, TESTING=True)
    news_app = create_app(news_index, TESTING=True)
    assert sample_app.test_client().get("/healthz").get_json()["documents"] == 6
    assert news_app.test_client().get("/healthz").get_json()["documents"] == 23


def test_templates_ship_inside_the_package():
    import vn_search

    package_templates = Path(vn_search.__file__).parent / "templates"
    repo_templates = Path(__file__).resolve().parent.parent / "templates"
    assert (package_templates / "vn_search_base.html").is_file()
    if package_templates.is_symlink():  # a checkout, not an installed wheel
        assert os.readlink(package_templates) == "../../templates"
        assert package_templates.resolve() == repo_templates.resolve()
    assert (Path(vn_search.__file__).parent / "static" / "search.css").is_file()


# -- serve ----------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com", ""])
def test_serve_refuses_debug_on_a_public_address(tmp_path, host):
    with pytest.raises(UnsafeDebugServer, match="refusing to run the debug server"):
        serve(tmp_path, host=host, debug=True)


def test_loopback_hosts():
    for host in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]", "LOCALHOST"):
        assert is_loopback_host(host), host
    for host in ("0.0.0.0", "10.0.0.1", "::", "localhost.evil.com", "", "127.0.0.1.nip.io"):
        assert not is_loopback_host(host), host


def test_json_is_valid_utf8(client):
    response = client.get("/api/search?q=c%C3%A1n+b%E1%BB%99")
    assert json.loads(response.data.decode("utf-8"))["total"] > 0
