"""A search's Atom feed, the OpenSearch description, category labels and
the article page's way back to its results, through Flask's test client
over the real indexes of web_fixtures.py."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

import feedparser
import pytest
from flask import Flask

from vn_search import SearchEngine
from vn_search.web import create_app, search_blueprint
from vn_search.web.display import category_label

import web_fixtures as fx

QUERY = "luân chuyển cán bộ"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
HOSTILE_QUERY = '<script>alert("x")</script> ]]> "cán bộ" \'thuế\' &amp;'


@pytest.fixture(scope="module")
def news_index(tmp_path_factory) -> Path:
    return fx.build_news_index(tmp_path_factory.mktemp("feeds-news"))


@pytest.fixture(scope="module")
def engine(news_index) -> SearchEngine:
    return SearchEngine(news_index)


@pytest.fixture(scope="module")
def client(news_index):
    return create_app(news_index, TESTING=True).test_client()


@pytest.fixture(scope="module")
def prefixed_client(engine):
    app = Flask("embedding_site")
    app.register_blueprint(search_blueprint(engine), url_prefix="/tin-tuc")
    return app.test_client()


# Categories as the crawled sites send them (vietnamese-mds-200 uses these).
CODED = [
    ("the-gioi-1", "Biểu tình phản đối tại thủ đô Campuchia", "TheGioi"),
    ("doi-ngoai-1", "Thủ tướng tiếp Đại sứ Campuchia tại Hà Nội", "DoiNoi-DoiNgoai"),
    ("am-thuc-1", "Ẩm thực đường phố Campuchia hút khách", "AmThuc"),
    ("xa-hoi-1", "Người Campuchia sang Việt Nam chữa bệnh", "Xã hội"),
]


@pytest.fixture(scope="module")
def coded_client(tmp_path_factory):
    work = tmp_path_factory.mktemp("feeds-coded")
    jsonl = work / "coded.jsonl"
    jsonl.write_text("\n".join(json.dumps({
        "id": doc_id, "title": title, "summary": f"{title}, theo tin từ Phnôm Pênh.",
        "body": "Tin cập nhật trong ngày.", "url": f"https://vov.vn/{doc_id}.html",
        "published": f"2017-02-0{number}T08:00:00+07:00", "source": "VOV", "category": category,
    }, ensure_ascii=False) for number, (doc_id, title, category) in enumerate(CODED, start=1)) + "\n",
        encoding="utf-8")
    SearchEngine(work / "index").index([jsonl], rebuild=True, progress=False)
    return create_app(work / "index", TESTING=True).test_client()


def text(response) -> str:
    return response.get_data(as_text=True)


def doc_links(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'class="hit-title"><a href="([^"]+)"', html)]


# -- the feed ---------------------------------------------------------------


def test_feed_is_atom_that_a_feed_reader_parses(client, engine):
    response = client.get("/feed", query_string={"q": QUERY})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == f"Tìm tin: «{QUERY}»"
    assert feed.feed.id == "http://localhost/feed?q=" + "lu%C3%A2n+chuy%E1%BB%83n+c%C3%A1n+b%E1%BB%99"
    assert any(link.rel == "self" and link.href == feed.feed.id for link in feed.feed.links)

    newest = engine.search(QUERY, sort="date", per_page=20)
    assert 0 < len(feed.entries) == min(20, newest.total)
    assert [entry.title for entry in feed.entries] == [hit.title for hit in newest.hits]
    assert "Bảo Thắng: cán bộ luân chuyển được nhân dân tin tưởng" in [e.title for e in feed.entries]
    # Newest first, and the feed is as new as its newest entry.
    published = [entry.published_parsed for entry in feed.entries if "published_parsed" in entry]
    assert published and published == sorted(published, reverse=True)
    assert feed.feed.updated_parsed == published[0]
    assert all("updated_parsed" in entry for entry in feed.entries)

    first, hit = feed.entries[0], newest.hits[0]
    assert first.link == f"http://localhost/doc/{hit.id}"
    assert first.id == first.link
    assert [link.href for link in first.links if link.rel == "related"] == [hit.url]
    assert first.author == hit.source
    assert first.summary and "<mark>" not in first.summary
    assert "luân chuyển" in first.summary


def test_feed_keeps_filters_and_the_article_page_opens(client):
    response = client.get("/feed", query_string={"q": QUERY, "source": "Báo Lào Cai", "page": "3", "sort": "relevance"})
    feed = feedparser.parse(response.data)
    assert feed.entries and {entry.author for entry in feed.entries} == {"Báo Lào Cai"}
    # page and sort are not part of what the feed follows.
    assert parse_qs(urlsplit(feed.feed.id).query) == {"q": [QUERY], "source": ["Báo Lào Cai"]}
    article = client.get(urlsplit(feed.entries[0].link).path)
    assert article.status_code == 200
    assert feed.entries[0].title in unescape(re.sub("</?mark>", "", text(article)))


def test_feed_refuses_bad_parameters_like_the_api(client):
    for query_string, param in (
        ({"q": QUERY, "page": "abc"}, "page"),
        ({"q": QUERY, "kind": "foo"}, "kind"),
        ({"q": QUERY, "from": "2017-02-30"}, "from"),
        ({"q": QUERY, "within": "week", "from": "2017-02-01"}, "within"),
        ({}, "q"),
    ):
        response = client.get("/feed", query_string=query_string)
        assert response.status_code == 400, query_string
        assert response.get_json()["param"] == param


def test_a_hostile_query_and_headline_stay_text_in_the_feed(client):
    response = client.get("/feed", query_string={"q": HOSTILE_QUERY})
    assert response.status_code == 200
    raw = response.data.decode("utf-8")
    assert "<script>" not in raw and "]]>" not in raw
    root = ET.fromstring(response.data)  # well-formed XML
    assert root.find("{http://www.w3.org/2005/Atom}title").text == f"Tìm tin: «{HOSTILE_QUERY}»"
    feed = feedparser.parse(response.data)
    assert not feed.bozo
    assert feed.feed.title == f"Tìm tin: «{HOSTILE_QUERY}»"
    # The headline with markup in it is an entry, escaped, not markup.
    titles = [entry.find("{http://www.w3.org/2005/Atom}title").text
              for entry in root.iter("{http://www.w3.org/2005/Atom}entry")]
    assert fx.HOSTILE_TITLE in titles
    summaries = " ".join(element.text or "" for element in root.iter("{http://www.w3.org/2005/Atom}summary"))
    assert "<img src=x" in summaries  # as text in the XML tree, escaped in the bytes
    assert "<img" not in raw


def test_a_javascript_link_is_never_the_related_link(client):
    feed = feedparser.parse(client.get("/feed", query_string={"q": "tin nhắn giả danh ngân hàng"}).data)
    entry = next(entry for entry in feed.entries if entry.link.endswith(f"/doc/{fx.JS_LINK_ID}"))
    assert [link for link in entry.links if link.rel == "related"] == []


def test_results_pages_offer_their_feed(client, prefixed_client):
    response = client.get("/search", query_string={"q": QUERY, "source": "Báo Lào Cai", "sort": "date"})
    assert response.status_code == 200
    html = text(response)
    link = re.search(r'<link rel="alternate" type="application/atom\+xml" title="([^"]+)" href="([^"]+)">', html)
    assert link.group(1) == f"Tìm tin: «{QUERY}»"
    href = unescape(link.group(2))
    assert urlsplit(href).path == "/feed"
    assert parse_qs(urlsplit(href).query) == {"q": [QUERY], "source": ["Báo Lào Cai"]}
    assert client.get(href).status_code == 200

    html = text(prefixed_client.get("/tin-tuc/search", query_string={"q": QUERY}))
    href = unescape(re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]* href="([^"]+)"', html).group(1))
    assert href.startswith("/tin-tuc/feed?")
    feed = feedparser.parse(prefixed_client.get(href).data)
    assert feed.entries and all(entry.link.startswith("http://localhost/tin-tuc/doc/") for entry in feed.entries)


# -- the browser's search bar -------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/tin-tuc"])
def test_opensearch_description(client, prefixed_client, prefix):
    browser = prefixed_client if prefix else client
    response = browser.get(f"{prefix}/opensearch.xml")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/opensearchdescription+xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    assert root.find(f"{OPENSEARCH}ShortName").text == "Tìm tin"
    assert root.find(f"{OPENSEARCH}InputEncoding").text == "UTF-8"
    urls = {url.get("type"): url.get("template") for url in root.findall(f"{OPENSEARCH}Url")}
    assert urls == {
        "text/html": f"http://localhost{prefix}/search?q={{searchTerms}}",
        "application/atom+xml": f"http://localhost{prefix}/feed?q={{searchTerms}}",
        "application/x-suggestions+json": f"http://localhost{prefix}/api/opensearch-suggest?q={{searchTerms}}",
    }
    # What a browser does with the template: the search it opens works.
    filled = urls["text/html"].replace("{searchTerms}", "c%C3%A1n+b%E1%BB%99")
    assert browser.get(filled).status_code == 200
    # ... and so does the one it asks for suggestions: [query, [completions]].
    typed, completions = browser.get(urls["application/x-suggestions+json"].replace("{searchTerms}", "lu")).json
    assert typed == "lu" and "luân chuyển" in completions


@pytest.mark.parametrize("prefix", ["", "/tin-tuc"])
def test_every_page_points_the_browser_to_the_description(client, prefixed_client, prefix):
    browser = prefixed_client if prefix else client
    search_link = (f'<link rel="search" type="application/opensearchdescription+xml" '
                   f'title="Tìm tin" href="{prefix}/opensearch.xml">')
    for path, status in (
        ("/", 200),
        (f"/search?q={QUERY}", 200),
        (f"/doc/{fx.DATED_ID}", 200),
        ("/doc/no-such-article", 404),
    ):
        response = browser.get(prefix + path)
        assert response.status_code == status, path
        assert search_link in text(response), path


# -- categories ----------------------------------------------------------------


@pytest.mark.parametrize("stored, shown", [
    ("TheGioi", "Thế giới"),
    ("XaHoi", "Xã hội"),
    ("DoiNoi-DoiNgoai", "Đối nội - Đối ngoại"),
    ("KinhTe", "Kinh tế"),
    ("BongDa", "Bóng đá"),
    ("ThietBi-PhanCung", "Thiết bị - Phần cứng"),
    ("CNTT", "Công nghệ thông tin"),
    ("AmThuc", "Am thuc"),  # unknown: split, not guessed
    ("OtoXeMay-PhuTung", "Oto xe may - Phu tung"),
    ("the-thao", "The thao"),
    ("Xã hội", "Xã hội"),
    ("Chính trị", "Chính trị"),
    ("", ""),
    (None, ""),
])
def test_category_label(stored, shown):
    assert category_label(stored) == shown


def test_every_code_in_the_mds_data_has_a_label():
    codes = ("TheGioi ThoiSu BongDa DoiNoi-DoiNgoai AmNhac GiaoDuc AnNinh ChungKhoan TaiChinh KinhTe "
             "ThietBi-PhanCung QuanVot XaHoi ThiTruong HinhSu DaoTao CNTT SanKhau TheThao PhapLuat "
             "TuyenDung SachBaoVanTho HocBong").split()
    from vn_search.web.display import CATEGORY_LABELS
    assert [code for code in codes if code not in CATEGORY_LABELS] == []


def test_categories_show_as_labels_in_results_filters_and_articles(coded_client):
    html = text(coded_client.get("/search", query_string={"q": "campuchia", "group": "0"}))
    metas = re.findall(r'<p class="meta">(.*?)</p>', html, re.S)
    shown = " ".join(metas)
    for label in ("Thế giới", "Đối nội - Đối ngoại", "Am thuc", "Xã hội"):
        assert f'<span class="meta-item">{label}</span>' in shown
    for code in ("TheGioi", "DoiNoi-DoiNgoai", "AmThuc"):
        assert f">{code}<" not in html
    select = re.search(r'<select id="f-category" name="category">(.*?)</select>', html, re.S).group(1)
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))
    assert options["TheGioi"] == "Thế giới (1)"
    assert options["DoiNoi-DoiNgoai"] == "Đối nội - Đối ngoại (1)"
    assert options["Xã hội"] == "Xã hội (1)"

    # The value stays the code: filtering by it works, and the option is selected.
    filtered = text(coded_client.get("/search", query_string={"q": "campuchia", "category": "DoiNoi-DoiNgoai"}))
    assert doc_links(filtered)[0].startswith("/doc/doi-ngoai-1?")
    assert len(doc_links(filtered)) == 1
    assert '<option value="DoiNoi-DoiNgoai" selected>Đối nội - Đối ngoại (1)</option>' in filtered

    article = text(coded_client.get("/doc/the-gioi-1"))
    assert '<span class="meta-item">Thế giới</span>' in article
    assert "TheGioi" not in article


def test_a_category_chosen_from_a_link_keeps_its_label(coded_client):
    html = text(coded_client.get("/search", query_string={"q": "campuchia", "category": "ThoiSu"}))
    assert '<option value="ThoiSu" selected>Thời sự</option>' in html


# -- the article page's way back -----------------------------------------------


def test_from_results_to_an_article_and_back(client):
    results_query = {"q": "luan chuyen can bo", "source": "Báo Lào Cai", "sort": "date"}
    html = text(client.get("/search", query_string=results_query))
    link = doc_links(html)[0]
    article = client.get(link)
    assert article.status_code == 200
    page = text(article)
    # The box keeps the query ...
    assert 'id="q" name="q" value="luan chuyen can bo"' in page
    # ... and the way back is the same results page.
    back = unescape(re.search(r'<nav class="back-to-results"[^>]*>\s*<a href="([^"]+)"', page).group(1))
    assert urlsplit(back).path == "/search"
    assert parse_qs(urlsplit(back).query) == {key: [value] for key, value in results_query.items()}
    assert "Quay lại kết quả tìm «luan chuyen can bo»" in page


def test_the_query_words_are_marked_in_the_article(client):
    html = text(client.get("/search", query_string={"q": "luan chuyen can bo"}))
    link = next(url for url in doc_links(html) if "/doc/tin-11?" in url)
    page = text(client.get(link))
    title = re.search(r'<h1 class="document-title">(.*?)</h1>', page).group(1)
    assert re.sub("</?mark>", "", title) == "Bảo Thắng: cán bộ luân chuyển được nhân dân tin tưởng"
    assert {"cán", "bộ", "luân", "chuyển"} <= set(" ".join(re.findall("<mark>(.*?)</mark>", title)).split())
    body = re.search(r'<article class="document">(.*?)</article>', page, re.S).group(1)
    assert body.count("<mark>") > 6
    # Without a search to come from: no marks, no way back, an empty box.
    plain = text(client.get("/doc/tin-11"))
    assert "<mark>" not in plain and "back-to-results" not in plain
    assert 'id="q" name="q" value=""' in plain


def test_marks_in_a_hostile_article_stay_escaped(client):
    back = "q=" + "cảnh báo giả mạo <script> cán bộ"
    page = text(client.get(f"/doc/{fx.HOSTILE_ID}", query_string={"back": back}))
    assert "<script>" not in page
    title = re.search(r'<h1 class="document-title">(.*?)</h1>', page).group(1)
    assert "<mark>" in title
    assert "&lt;script&gt;alert(\"x\")&lt;/script&gt;" in re.sub("</?mark>", "", title)
    assert "<img" not in page


@pytest.mark.parametrize("back", [
    "https://evil.example/search?q=x",
    "//evil.example/search?q=x",
    "q=x&next=https://evil.example/",
    "javascript:alert(1)",
    "q=%0d%0aLocation:%20https://evil.example/",
    "q=" + "x" * 3000,
    "",
])
def test_the_way_back_only_leads_to_our_search(client, prefixed_client, back):
    for prefix, browser in (("", client), ("/tin-tuc", prefixed_client)):
        response = browser.get(f"{prefix}/doc/{fx.DATED_ID}", query_string={"back": back})
        assert response.status_code == 200
        page = text(response)
        found = re.search(r'<nav class="back-to-results"[^>]*>\s*<a href="([^"]+)"', page)
        if found:
            target = urlsplit(unescape(found.group(1)))
            assert not target.scheme and not target.netloc
            assert target.path == f"{prefix}/search"
            assert set(parse_qs(target.query)) <= {"q"}


def test_the_way_back_works_under_a_prefix(prefixed_client):
    html = text(prefixed_client.get("/tin-tuc/search", query_string={"q": QUERY, "page": "2"}))
    link = doc_links(html)[0]
    assert link.startswith("/tin-tuc/doc/")
    page = text(prefixed_client.get(link))
    back = unescape(re.search(r'<nav class="back-to-results"[^>]*>\s*<a href="([^"]+)"', page).group(1))
    assert urlsplit(back).path == "/tin-tuc/search"
    assert parse_qs(urlsplit(back).query) == {"q": [QUERY], "page": ["2"]}
    assert prefixed_client.get(back).status_code == 200
