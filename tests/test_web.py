"""The web front end, through Flask's test client, over real indexes built
in a temporary folder (see web_fixtures.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import re
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
from flask import Flask
from markupsafe import escape

from vn_search import SearchEngine
from vn_search.web import create_app, search_blueprint, serve
from vn_search.web.display import shorten, vi_date, vi_seconds
from vn_search.web.params import parse_search_args
from vn_search.web.security import is_loopback_host
from vn_search.web.server import UnsafeDebugServer
from vn_search.web.views import page_window

import web_fixtures as fx

LUAN_CHUYEN = "luan chuyen can bo"


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


@pytest.fixture(scope="session")
def dated_index(tmp_path_factory) -> Path:
    return fx.build_dated_index(tmp_path_factory.mktemp("web-dated"))


@pytest.fixture(scope="module")
def dated_client(dated_index):
    return create_app(dated_index, TESTING=True).test_client()


@pytest.fixture(scope="module")
def dated_engine(dated_index) -> SearchEngine:
    return SearchEngine(dated_index)


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


# The one script a page loads: the search box's autocomplete, a static file
# (no inline script: the CSP forbids it). Anything else is an injection.
OUR_SCRIPT = re.compile(r'<script src="(?:/[\w-]+)*/static/suggest\.js" defer></script>')


def without_our_script(html: str) -> str:
    return OUR_SCRIPT.sub("", html, count=1)


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
    headline = re.search(rf'<a href="/doc/{fx.SAMPLE_ARTICLE_ID}\?back=[^"]*">(.*?)</a>', html).group(1)
    assert re.sub("</?mark>", "", headline) == fx.SAMPLE_HEADLINE
    # The engine may mark "luân chuyển" as one word or as two syllables.
    assert " ".join(re.findall("<mark>(.*?)</mark>", headline)) == "luân chuyển cán bộ"
    # Totals are exact now: no "Khoảng" ("about").
    assert re.search(r'<p class="result-count" role="status">\s*1 kết quả \((dưới 0,001|0,\d\d\d?) giây\)', html)
    assert "Khoảng" not in html
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
    html = text(client.get("/search", query_string={"q": "xyzzyqwv", "kind": "related", "within": "week"}))
    drop = re.search(r'<a href="([^"]+)">Tìm lại không dùng bộ lọc</a>', html).group(1)
    assert parse_qs(urlsplit(drop.replace("&amp;", "&")).query) == {"q": ["xyzzyqwv"]}


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
    assert "<script" not in without_our_script(html) and "<img" not in html


def test_script_query_comes_back_escaped(sample_client):
    html = text(sample_client.get("/search", query_string={"q": "<script>alert('x')</script>"}))
    assert 'value="&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"' in html
    assert "«<span class=\"empty-query\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</span>»" in html
    assert "<script" not in without_our_script(html)


def test_markup_inside_documents_is_escaped(client):
    html = text(client.get("/search", query_string={"q": "gia mao can bo thue"}))
    assert "&lt;script&gt;" in html or "&lt;<mark>script</mark>&gt;" in html
    assert "<script>" not in html and "<img src=x" not in html
    page = text(client.get("/doc/" + fx.HOSTILE_ID))
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in without_our_script(page) and "<img" not in page


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
            return dataclasses.replace(results, suggestion="luân chuyển cán bộ", searched=None, notices=["Đã sửa <b>"])

    app = create_app(engine=SuggestingEngine(SearchEngine(news_index)), TESTING=True)
    html = text(app.test_client().get("/search?q=luan+chuyn&kind=article&page=2"))
    match = re.search(r'Có phải bạn muốn tìm:\s*<a href="([^"]+)">luân chuyển cán bộ</a>', html)
    assert match, html
    link = parse_qs(urlsplit(match.group(1).replace("&amp;", "&")).query)
    assert link == {"q": ["luân chuyển cán bộ"], "kind": ["article"]}
    assert "Đã sửa &lt;b&gt;" in html


# -- pagination -----------------------------------------------------------


def test_pagination_links_and_second_page(client, engine):
    total = engine.search(LUAN_CHUYEN).total
    assert 10 < total <= 20
    first = text(client.get("/search", query_string={"q": LUAN_CHUYEN}))
    assert re.search(rf"\b{total} kết quả", first) and "Khoảng" not in first
    assert hit_count(first) == 10
    assert 'aria-current="page"' in first and "Trang sau" in first
    assert '<span class="page-step is-disabled" aria-disabled="true">‹ Trang trước</span>' in first
    next_link = re.search(r'<a class="page-step" rel="next" href="([^"]+)"', first).group(1)
    second = text(client.get(next_link.replace("&amp;", "&")))
    assert hit_count(second) == total - 10
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
    "page, per_page, expected_page, expected_per_page",
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
        ("1", "1000", 1, 50),
        ("1", "-5", 1, 10),
    ],
)
def test_bad_page_numbers_are_clamped_on_pages(client, engine, page, per_page, expected_page, expected_per_page):
    total = engine.search(LUAN_CHUYEN).total
    args = {"q": LUAN_CHUYEN, "page": page}
    if per_page is not None:
        args["per_page"] = per_page
    response = client.get("/search", query_string=args)
    html = text(response)
    assert response.status_code == 200
    assert hit_count(html) == min(expected_per_page, total - (expected_page - 1) * expected_per_page)
    if total > expected_per_page:
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
    related = text(client.get("/search", query_string={"q": "chuyen doi so", "kind": "related"}))
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


# -- date filter ----------------------------------------------------------

STORM = fx.TOPIC_QUERY
# What "Tuần qua" must find: the storm stories of 2 hours and 3 days ago.
THIS_WEEK = ["bao-so-3-2-gio", "bao-so-3-3-ngay"]


def hit_ids(data: dict) -> list[str]:
    return [hit["id"] for hit in data["hits"]]


def shown_ids(data: dict) -> list[str]:
    """Hits and the articles listed under them (the same story)."""
    return [found["id"] for hit in data["hits"] for found in (hit, *hit["same_story"])]


def page_hit_ids(html: str) -> list[str]:
    # A hit's link carries its search in ``?back=`` (the article page's way back).
    return [unquote(path) for path in re.findall(r'class="hit-title"><a href="/doc/([^"?]+)[?"]', html)]


def test_api_date_range_is_inclusive_days_in_vietnam_time(dated_client):
    # 23:30 on 6 February in Hà Nội is 16:30 UTC: still 6 February here.
    data = dated_client.get("/api/search", query_string={"q": STORM, "to": "2017-02-06"}).get_json()
    assert hit_ids(data) == [fx.LATE_NIGHT_ID]
    assert (data["since"], data["until"], data["within"]) == (None, "2017-02-06", None)
    # 00:10 on 7 February in Hà Nội is still 6 February in UTC.
    data = dated_client.get("/api/search", query_string={"q": STORM, "from": "2017-02-07", "to": "2017-02-07"}).get_json()
    assert hit_ids(data) == [fx.EARLY_MORNING_ID]
    assert data["total"] == 1 and data["total_is_estimate"] is False and data["undated"] == 0
    data = dated_client.get("/api/search", query_string={"q": STORM, "from": "2017-02-06", "to": "2017-02-07"}).get_json()
    assert set(shown_ids(data)) == {fx.LATE_NIGHT_ID, fx.EARLY_MORNING_ID}


def test_api_within_a_week(dated_client):
    data = dated_client.get("/api/search", query_string={"q": STORM, "within": "week", "sort": "date"}).get_json()
    assert hit_ids(data) == THIS_WEEK
    assert data["within"] == "week" and data["since"] and data["until"]
    since, until = datetime.fromisoformat(data["since"]), datetime.fromisoformat(data["until"])
    assert until - since == timedelta(days=7)
    assert abs(until - datetime.now(timezone.utc)) < timedelta(minutes=5)
    data = dated_client.get("/api/search", query_string={"q": STORM, "within": "24h"}).get_json()
    assert hit_ids(data) == ["bao-so-3-2-gio"]
    data = dated_client.get("/api/search", query_string={"q": STORM, "within": "year", "per_page": "50"}).get_json()
    assert set(hit_ids(data)) == {*THIS_WEEK, "bao-so-3-20-ngay", "bao-so-3-200-ngay"}


def test_api_date_sort_puts_undated_last_and_counts_them(dated_client):
    data = dated_client.get("/api/search", query_string={"q": STORM, "sort": "date", "per_page": "50"}).get_json()
    assert data["undated"] == 1 and hit_ids(data)[-1] == fx.UNDATED_TOPIC_ID
    dates = [hit["published"] for hit in data["hits"][:-1]]
    assert all(dates) and dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    "query_string, param, words",
    [
        ({"from": "abc"}, "from", ["from", "YYYY-MM-DD", "'abc'"]),
        ({"to": "2017-02-30"}, "to", ["to", "'2017-02-30'"]),
        ({"from": "06/02/2017"}, "from", ["from"]),
        ({"from": "2017-2-6"}, "from", ["from"]),
        ({"from": "0001-01-01"}, "from", ["from"]),
        ({"to": "9999-12-31"}, "to", ["to"]),
        ({"from": "2017-02-07", "to": "2017-02-06"}, "from", ["from (2017-02-07) is after to (2017-02-06)"]),
        ({"within": "fortnight"}, "within", ["within", "24h, week, month, year"]),
        ({"within": "week", "from": "2017-02-01"}, "within", ["within", "from"]),
    ],
)
def test_api_bad_dates_are_400_naming_the_parameter(dated_client, query_string, param, words):
    response = dated_client.get("/api/search", query_string={"q": STORM, **query_string})
    assert response.status_code == 400
    data = response.get_json()
    assert data["param"] == param
    for word in words:
        assert word in data["error"]
    # The engine says since/until; the API's names are from/to.
    assert "since" not in data["error"] and "until" not in data["error"]


def test_results_page_offers_quick_date_choices(dated_client):
    html = text(dated_client.get("/search", query_string={"q": STORM, "sort": "date"}))
    choices = re.findall(r'<a class="date-choice( is-current)?"(?: aria-current="true")?\s+href="([^"]+)">([^<]+)</a>', html)
    assert [label for _, _, label in choices] == ["Mọi lúc", "24 giờ qua", "Tuần qua", "Tháng qua", "Năm qua"]
    assert [label for current, _, label in choices if current] == ["Mọi lúc"]
    assert html.count('aria-current="true"') == 1
    week = parse_qs(urlsplit(choices[2][1].replace("&amp;", "&")).query)
    assert week == {"q": [STORM], "within": ["week"], "sort": ["date"]}

    html = text(dated_client.get("/search", query_string={"q": STORM, "within": "week", "page": "1"}))
    assert re.search(r'<a class="date-choice is-current" aria-current="true"\s+href="[^"]*within=week[^"]*">Tuần qua</a>', html)
    everything = re.search(r'href="([^"]+)">Mọi lúc</a>', html).group(1)
    assert parse_qs(urlsplit(everything.replace("&amp;", "&")).query) == {"q": [STORM]}


def test_custom_range_form_works_without_javascript(dated_client):
    html = text(dated_client.get("/search", query_string={"q": STORM, "kind": "article", "within": "week"}))
    form = re.search(r'<form class="date-range" action="/search" method="get">(.*?)</form>', html, re.S).group(1)
    assert '<input type="date" id="f-from" name="from" value="">' in form
    assert '<input type="date" id="f-to" name="to" value="">' in form
    assert '<label for="f-from">Từ ngày</label>' in form and '<label for="f-to">Đến ngày</label>' in form
    assert '<button class="filter-apply" type="submit">Lọc</button>' in form
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form))
    assert hidden == {"q": STORM, "kind": "article"}  # the custom range replaces "Tuần qua"
    # What the form sends: q, kind, from, to.
    html = text(dated_client.get("/search", query_string={**hidden, "from": "2017-02-06", "to": "2017-02-08", "group": "0"}))
    assert '<input type="date" id="f-from" name="from" value="2017-02-06">' in html
    assert '<details class="date-custom" open>' in html
    assert set(page_hit_ids(html)) == {fx.LATE_NIGHT_ID, fx.EARLY_MORNING_ID}


def test_page_states_the_range_and_the_newest_article(dated_client, dated_engine):
    newest = vi_date(dated_engine.stats().newest_published)
    html = text(dated_client.get("/search", query_string={"q": STORM, "from": "2017-02-06", "to": "2017-02-08"}))
    assert '<span class="date-status-item date-status-range">Từ 06/02/2017 đến 08/02/2017</span>' in html
    assert 'Bài mới nhất trong chỉ mục: <time class="newest" datetime="' in html
    assert f">{newest}</time>" in html
    # Two articles of one storm, one story (stories.py).
    assert re.search(r'role="status">\s*2 kết quả trong 1 sự kiện \(', html) and "Khoảng" not in html
    one_day = text(dated_client.get("/search", query_string={"q": STORM, "from": "2017-02-07", "to": "2017-02-07"}))
    assert ">Ngày 07/02/2017</span>" in one_day
    week = text(dated_client.get("/search", query_string={"q": STORM, "within": "week"}))
    assert re.search(r'date-status-range">Từ \d\d:\d\d, \d\d/\d\d/\d{4} đến nay</span>', week)
    # Without a range, the newest article is still named.
    plain = text(dated_client.get("/search", query_string={"q": STORM}))
    assert "Bài mới nhất trong chỉ mục" in plain and "date-status-range" not in plain


def test_sort_by_date_keeps_the_range_and_notes_undated(dated_client):
    html = text(dated_client.get("/search", query_string={"q": STORM, "within": "week"}))
    filters = re.search(r'<fieldset class="filters">(.*?)</fieldset>', html, re.S).group(1)
    assert '<input type="hidden" name="within" value="week">' in filters  # "Áp dụng" keeps it
    newest_first = text(dated_client.get("/search", query_string={"q": STORM, "within": "week", "sort": "date"}))
    assert page_hit_ids(newest_first) == THIS_WEEK
    assert "không có ngày đăng" not in newest_first  # a range holds no undated article
    everything = text(dated_client.get("/search", query_string={"q": STORM, "sort": "date"}))
    assert "1 bài không có ngày đăng được xếp cuối" in everything
    assert page_hit_ids(everything)[-1] == fx.UNDATED_TOPIC_ID
    relevance = text(dated_client.get("/search", query_string={"q": STORM}))
    assert "không có ngày đăng" not in relevance


@pytest.mark.parametrize(
    "query_string, message, typed",
    [
        ({"from": "2017-02-30"}, "Ngày bắt đầu (from) không hợp lệ: «2017-02-30»", ("2017-02-30", "")),
        ({"to": "hôm qua"}, "Ngày kết thúc (to) không hợp lệ: «hôm qua»", ("", "hôm qua")),
        ({"from": "2017-02-07", "to": "2017-02-06"},
         "Khoảng ngày bị ngược: từ 07/02/2017 đến 06/02/2017", ("2017-02-07", "2017-02-06")),
    ],
)
def test_bad_range_is_a_400_page_with_the_form(dated_client, query_string, message, typed):
    response = dated_client.get("/search", query_string={"q": STORM, "sort": "date", **query_string})
    html = text(response)
    assert response.status_code == 400
    assert f'<p class="notice notice--error" role="alert">{escape(message)}' in html
    assert f'name="from" value="{escape(typed[0])}"' in html and f'name="to" value="{escape(typed[1])}"' in html
    assert '<details class="date-custom" open>' in html and ">Lọc</button>" in html
    assert "Bài mới nhất trong chỉ mục" in html and hit_count(html) == 0
    assert '<option value="date" selected>' in html  # the rest of the search is kept


def test_empty_range_in_an_old_index_says_why(client, engine):
    # The news fixture ends on 2 April 2025: nothing is "in the last 24 hours".
    html = text(client.get("/search", query_string={"q": LUAN_CHUYEN, "within": "24h"}))
    assert "Chỉ mục không có bài nào trong 24 giờ qua; bài mới nhất đăng ngày 02/04/2025." in html
    assert "Không tìm thấy kết quả" in html
    old = text(client.get("/search", query_string={"q": LUAN_CHUYEN, "from": "2026-01-01"}))
    assert "Chỉ mục không có bài nào từ 01/01/2026 trở đi; bài mới nhất đăng ngày 02/04/2025." in old
    # Within the index's dates, an empty page is only an empty page.
    html = text(client.get("/search", query_string={"q": "xyzzyqwv", "from": "2025-01-01"}))
    assert "Chỉ mục không có bài nào" not in html and "Bài mới nhất trong chỉ mục" in html


def test_counts_use_vietnamese_thousands_and_about_only_for_estimates(news_index):
    class ManyHits:
        """The real engine, but with a result set of 1 464 documents."""

        def __init__(self, estimate: bool) -> None:
            self.real, self.estimate = SearchEngine(news_index), estimate

        def __getattr__(self, name):
            return getattr(self.real, name)

        def search(self, query, *args, **kwargs):
            results = self.real.search(query, *args, **kwargs)
            return dataclasses.replace(results, total=1464, total_is_estimate=self.estimate)

    exact = text(create_app(engine=ManyHits(False)).test_client().get("/search?q=can+bo"))
    assert re.search(r'role="status">\s*1.464 kết quả( trong \d+ sự kiện)? \(', exact) and "Khoảng" not in exact
    about = text(create_app(engine=ManyHits(True)).test_client().get("/search?q=can+bo"))
    assert re.search(r'role="status">\s*Khoảng 1.464 kết quả( trong \d+ sự kiện)? \(', about)


def test_home_names_the_newest_article(client):
    html = text(client.get("/"))
    assert re.search(r'Bài mới nhất đăng ngày <time class="newest" datetime="[^"]+">02/04/2025</time>', html)


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
    path, _, back = link.partition("?back=")
    assert " " not in path and "#" not in path and "?" not in path
    assert " " not in back and "#" not in back and "?" not in back
    page = client.get(link.replace("&amp;", "&"))
    assert page.status_code == 200
    title = re.search(r'<h1 class="document-title">(.*?)</h1>', text(page)).group(1)
    assert re.sub("</?mark>", "", title) == fx.ESCAPED_TITLE
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
    assert "<script" not in without_our_script(html)
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
    assert (data["page"], data["per_page"], len(data["hits"])) == (2, 5, 5) and data["total"] > 10
    assert data["total_is_estimate"] is False
    assert set(data) >= {"undated", "since", "until", "within"}
    assert (data["since"], data["until"], data["within"]) == (None, None, None)
    for hit in data["hits"]:
        assert set(hit) >= {"id", "kind", "title", "url", "published", "score", "snippet", "parents",
                            "title_html", "source", "category"}
        assert hit["kind"] in ("article", "related")


def test_api_search_filters_and_past_the_end(client, engine):
    data = client.get("/api/search?q=chuyen+doi+so&kind=related&per_page=50").get_json()
    assert data["hits"] and all(hit["kind"] == "related" for hit in data["hits"])
    data = client.get("/api/search?q=can+bo&source=B%C3%A1o+L%C3%A0o+Cai&per_page=50").get_json()
    assert data["hits"] and all(hit["source"] == "Báo Lào Cai" for hit in data["hits"])
    data = client.get(f"/api/search?q={LUAN_CHUYEN}&page=30").get_json()
    assert data["total"] == engine.search(LUAN_CHUYEN).total and data["hits"] == []


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


def test_no_index_pages_and_api_never_show_the_servers_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("secret-server-folder") / "index"
    client = create_app(folder, TESTING=True).test_client()
    for path in ("/", "/search?q=can+bo", "/doc/abc", "/api/search?q=can+bo", "/healthz"):
        response = client.get(path)
        assert response.status_code == 503
        body = text(response)
        assert "secret-server-folder" not in body and str(folder) not in body, path
    assert "vn-search index PATH... --index DIR" in text(client.get("/"))
    assert "vn-search index" in client.get("/api/search?q=can+bo").get_json()["error"]


# -- rough edges of the results page (#14) -----------------------------------


def test_zero_results_offer_searches_drawn_from_this_corpus(client, news_index, engine):
    html = text(client.get("/search", query_string={"q": "xyzzyqwv"}))
    topics = SearchEngine(news_index).headline_words(5)
    assert topics, "the news corpus has headline words to offer"
    assert "luan chuyen can bo" not in html  # the sample page's query, whatever the corpus
    offered = re.search(r'<li class="topics">(.*?)</li>', html, re.S).group(1)
    assert re.findall(r">([^<>]+)</a>", offered) == topics
    for topic in topics:
        assert engine.search(topic).total > 0  # every offer finds something
    # The "type without accents" tip shows one of them folded.
    folded = re.search(r"Thử gõ không dấu, ví dụ <a[^>]*>([^<]+)</a>", html).group(1)
    assert folded.isascii() and engine.search(folded).total > 0


def test_zero_result_offers_follow_the_index_not_a_fixed_example(sample_client, sample_index, client, news_index):
    sample_html = text(sample_client.get("/search", query_string={"q": "xyzzyqwv"}))
    news_html = text(client.get("/search", query_string={"q": "xyzzyqwv"}))
    offers = [re.search(r'<li class="topics">(.*?)</li>', html, re.S).group(1) for html in (sample_html, news_html)]
    assert offers[0] != offers[1]
    sample = SearchEngine(sample_index)
    assert sample.headline_words() == sample.headline_words() != []


@pytest.mark.parametrize("query", ["cán bộ luân chuyển " * 30, "x" * 500, "xyzzyqwv " * 60])
def test_long_queries_are_shortened_in_headings_and_title(client, query):
    html = text(client.get("/search", query_string={"q": query}))
    headings = re.findall(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert headings and all(len(re.sub("<[^>]+>", "", h)) <= 120 for h in headings), headings
    assert any("…" in h for h in headings)
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert len(title) <= 100 and "…" in title
    # The box still holds what was searched, to edit.
    assert re.search(r'<input[^>]*name="q"[^>]*value="([^"]{300,})"', html)


def test_shorten_cuts_at_a_word_and_leaves_short_text_alone():
    assert shorten("cán bộ") == "cán bộ"
    cut = shorten("cán bộ luân chuyển " * 30)
    assert len(cut) <= 80 and cut.endswith("…") and cut[:-1] == cut[:-1].rstrip()
    assert ("cán bộ luân chuyển " * 30).startswith(cut[:-1])
    assert shorten("x" * 500) == "x" * 79 + "…"


@pytest.mark.parametrize(
    "milliseconds, shown",
    [(0.0, "dưới 0,001"), (0.4, "dưới 0,001"), (4.2, "0,004"), (9.6, "0,010"), (48.0, "0,05"), (1234.0, "1,23")],
)
def test_search_time_is_never_shown_as_zero(milliseconds, shown):
    assert vi_seconds(milliseconds) == shown


def test_results_page_never_says_zero_seconds(sample_client):
    html = text(sample_client.get("/search", query_string={"q": "luan chuyen can bo"}))
    assert "(0,00 giây)" not in html and "(0,000 giây)" not in html
    assert re.search(r"\((dưới 0,001|\d+,\d{2,3}) giây\)", html)


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


@pytest.mark.parametrize("path", [
    "/", "/search?q=can+bo", "/search?q=xyzzy", f"/doc/{fx.DATED_ID}", "/doc/x",
    "/search?q=can+bo&within=week", "/search?q=can+bo&from=2025-03-01&to=2025-03-05", "/search?q=can+bo&from=abc",
])
def test_pages_have_no_inline_script_or_style_and_no_external_assets(client, path):
    html = text(client.get(path))
    assert "<script" not in without_our_script(html) and "<style" not in html
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
