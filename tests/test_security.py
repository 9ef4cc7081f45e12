"""Hostile documents and requests against the web front end.

test_web.py already covers a ``<script>`` headline, an ``<img onerror>``
summary, a lowercase ``javascript:`` link, the security headers on the
ordinary pages, ``/doc/..%2F..%2Fetc%2Fpasswd`` being a 404 and
``serve(debug=True)`` refusing public addresses. This module adds what it
does not reach: attribute injection (``"onmouseover=``) through every field
and through queries, the other spellings of script URLs, HTML entities and
``<mark>`` in document text, the JSON snippets, headers on redirects and
errors, path traversal proven not to open any file, and the CLI refusing a
public debug server.
"""

from __future__ import annotations

import html
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import web_fixtures as fx
from click.testing import CliRunner
from conftest import write_jsonl

import vn_search
from vn_search import SearchEngine
from vn_search.cli import main
from vn_search.web import create_app

ATTRIBUTE_ID = 'tin-"onmouseover="alert(1)'
ENTITY_ID = "tin-thuc-the"
MARK_ID = "tin-the-mark"
ENTITY_TITLE = "Cảnh giác &lt;script&gt;alert(1)&lt;/script&gt; &amp; mã &#106;avascript độc hại"
SCRIPT_URLS = {
    "link-hoa": "JavaScript:alert(1)",
    "link-cach": "   javascript:alert(1)",
    "link-tab": "java\tscript:alert(1)",
    "link-xuong-dong": "java\nscript:alert(1)",
    "link-dieu-khien": "\x01javascript:alert(1)",
    "link-thuc-the": "&#106;avascript:alert(1)",
    "link-data": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "link-vb": "vbscript:msgbox(1)",
    "link-khong-host": "https:javascript:alert(1)",
    "link-khong-scheme": "//evil.example/x",
}


def hostile_records() -> list[dict]:
    records = [
        {
            "id": ATTRIBUTE_ID,
            "title": 'Lừa đảo qua mạng "onmouseover="alert(1)" x=" tăng mạnh',
            "summary": "Kẻ gian gửi đường link' onfocus='alert(2)' autofocus=' giả mạo cán bộ ngân hàng.",
            "body": 'Người dân cần cảnh giác <a href="javascript:alert(3)" onclick="alert(4)">bấm vào đây</a>.',
            "url": 'https://baolaocai.vn/lua-dao.html"onmouseover="alert(5)',
            "source": 'Báo "onmouseover="alert(6)',
            "category": "Xã hội' onload='alert(7)",
            "published": "2025-01-10T08:00:00+07:00",
            "related": [{"title": 'Tin liên quan "onmouseover="alert(8)', "summary": "<svg onload=alert(9)>"}],
        },
        {
            "id": ENTITY_ID,
            "title": ENTITY_TITLE,
            "summary": "Thực thể &lt;img src=x onerror=alert(1)&gt; và &quot;trích dẫn&quot; phải hiện nguyên văn.",
            "body": "Đoạn có &#60;script&#62; dạng số và &#x3C;script&#x3E; dạng hex.",
            "url": "https://baolaocai.vn/thuc-the.html?a=1&b=<2>",
        },
        {
            "id": MARK_ID,
            "title": "Cảnh giác thẻ </mark><script>alert(1)</script><mark> trong tin lừa đảo",
            "summary": "Chuỗi <mark onmouseover=alert(1)>giả</mark> không được thành thẻ thật.",
            "body": "Cán bộ ngân hàng khuyến cáo.",
        },
    ]
    for doc_id, url in SCRIPT_URLS.items():
        records.append({
            "id": doc_id,
            "title": f"Cảnh báo đường link độc hại kiểu {doc_id}",
            "summary": "Đường link lừa đảo giả danh ngân hàng.",
            "body": "Không bấm vào đường link lạ.",
            "url": url,
        })
    return records


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("security")
    corpus = write_jsonl(work / "hostile.jsonl", hostile_records())
    index = work / "index"
    SearchEngine(index).index([corpus, fx.write_news_jsonl(work / "news.jsonl")], rebuild=True, progress=False)
    return index


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(index_dir).test_client()  # not TESTING: errors handled as in production


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them
    (attribute values entity-decoded)."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_inert(page: str) -> None:
    """No script, no event handler, no link a browser would run."""
    tags = Tags(page).tags
    # One script only: the search box's autocomplete, a file of ours.
    scripts = [attrs for tag, attrs in tags if tag == "script"]
    assert len(scripts) <= 1 and all(
        set(attrs) == {"src", "defer"} and re.fullmatch(r"(/[\w-]+)*/static/suggest\.js", attrs["src"])
        for attrs in scripts), scripts
    assert not [tag for tag, _ in tags if tag in ("img", "iframe", "object", "embed")]
    # Only our search icon and the results' timeline chart.
    assert all(attrs.get("class") in ("icon", "timeline-chart") for tag, attrs in tags if tag == "svg")
    handlers = [(tag, name) for tag, attrs in tags for name in attrs if name.startswith("on") or name == "autofocus" and tag != "input"]
    assert not handlers, handlers
    for tag, attrs in tags:
        for name in ("href", "src", "action", "formaction"):
            value = attrs.get(name)
            if value is not None:
                # What a browser does before it reads the scheme.
                cleaned = re.sub(r"[\t\n\r]", "", value).lstrip("".join(map(chr, range(33))))
                assert urlsplit(cleaned).scheme.lower() in ("", "http", "https"), (tag, name, value)
    marks = [tag for tag, attrs in tags if tag == "mark" and attrs]
    assert not marks, "a <mark> with attributes came from document text"


def page(client, path: str, **query) -> str:
    response = client.get(path, query_string=query or None)
    assert response.status_code == 200, (path, query, response.status_code)
    return response.get_data(as_text=True)


def doc_path(doc_id: str) -> str:
    return "/doc/" + quote(doc_id, safe="")


# -- documents ---------------------------------------------------------------


@pytest.mark.parametrize("doc_id", [ATTRIBUTE_ID, ENTITY_ID, MARK_ID, *SCRIPT_URLS])
def test_hostile_documents_render_inert_on_their_page(client, doc_id):
    assert_inert(page(client, doc_path(doc_id)))


@pytest.mark.parametrize("query", [
    "lua dao qua mang", "canh giac script", "the mark lua dao", "duong link doc hai", "onmouseover alert",
    "javascript", "&lt;script&gt;", "thuc the",
])
def test_hostile_documents_render_inert_in_results(client, query):
    results = page(client, "/search", q=query, per_page="50")
    assert 'class="hit hit--' in results, f"{query!r} should find the hostile documents"
    assert_inert(results)


def test_script_urls_never_become_links(client):
    for doc_id, url in SCRIPT_URLS.items():
        document = page(client, doc_path(doc_id))
        assert "Đọc bài gốc" not in document, (doc_id, url)
    results = page(client, "/search", q="duong link doc hai", per_page="50")
    assert results.count('class="hit hit--') >= len(SCRIPT_URLS)
    assert_inert(results)


def test_a_quote_in_a_url_stays_inside_the_href(client):
    document = page(client, doc_path(ATTRIBUTE_ID))
    links = [attrs["href"] for tag, attrs in Tags(document).tags if tag == "a" and "baolaocai.vn/lua-dao" in (attrs.get("href") or "")]
    assert links == ['https://baolaocai.vn/lua-dao.html"onmouseover="alert(5)'], links


def test_entities_in_document_text_are_shown_literally(client):
    document = page(client, doc_path(ENTITY_ID))
    # The headline reads "&lt;script&gt;" on screen: its source is escaped once more.
    assert f'<h1 class="document-title">{html.escape(ENTITY_TITLE, quote=False)}</h1>' in document
    assert "&amp;#60;script&amp;#62;" in document and "&amp;#x3C;script&amp;#x3E;" in document
    results = page(client, "/search", q="thuc the hien nguyen van")
    assert "&amp;lt;img src=x onerror=alert(1)&amp;gt;" in results


def test_mark_tags_in_document_text_are_escaped(client):
    results = page(client, "/search", q="the mark trong tin lua dao")
    assert "&lt;/<mark>mark</mark>&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;<mark>mark</mark>&gt;" in results
    assert "&lt;<mark>mark</mark> onmouseover=alert(1)&gt;" in results
    assert_inert(results)


def test_json_snippets_hold_only_mark_tags(client):
    for query in ("lua dao qua mang", "canh giac script", "the mark", "thuc the", "onmouseover alert 1"):
        response = client.get("/api/search", query_string={"q": query, "per_page": "50"})
        assert response.status_code == 200 and response.mimetype == "application/json"
        hits = response.get_json()["hits"]
        assert hits, query
        for hit in hits:
            for field in ("snippet", "title_html"):
                tags = re.findall(r"<[^>]*>", hit[field])
                assert set(tags) <= {"<mark>", "</mark>"}, (hit["id"], field, hit[field])


# -- queries -------------------------------------------------------------------

HOSTILE_QUERIES = [
    '"onmouseover="alert(1)',
    "' onfocus='alert(1)' autofocus='",
    "</title><script>alert(1)</script>",
    "</textarea><svg onload=alert(1)>",
    "lua dao <script>alert(1)</script>",
    "javascript:alert(1) can bo",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "<mark onmouseover=alert(1)>can bo</mark>",
    "Campuchiaa <img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
@pytest.mark.parametrize("extra", [{}, {"page": "2", "per_page": "1"}, {"kind": "related"}])
def test_hostile_queries_are_echoed_inert(client, query, extra):
    response = client.get("/search", query_string={"q": query, **extra})
    assert response.status_code in (200, 302)
    assert_inert(response.get_data(as_text=True))
    api = client.get("/api/search", query_string={"q": query, **extra})
    assert api.status_code == 200 and api.mimetype == "application/json"
    for hit in api.get_json()["hits"]:
        assert set(re.findall(r"<[^>]*>", hit["snippet"] + hit["title_html"])) <= {"<mark>", "</mark>"}


def test_hostile_filter_values_are_echoed_inert(client):
    for name in ("source", "category"):
        results = page(client, "/search", q="can bo", **{name: '"><script>alert(1)</script>'})
        assert_inert(results)


# -- headers -------------------------------------------------------------------


def _policy(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = [word.lower() for word in words[1:]]
    return directives


@pytest.mark.parametrize("method, path, status", [
    ("GET", "/search?q=luan+chuyen+can+bo&page=999", 302),
    ("POST", "/api/search?q=can+bo", 405),
    ("GET", "/api/search?q=can+bo&page=abc", 400),
    ("GET", "/api/doc/" + quote(ATTRIBUTE_ID, safe=""), 200),
    ("GET", "/static/search.css", 200),
    ("GET", "/static/..%2F..%2Fengine.py", 404),
    ("GET", "/search?q=" + quote("<script>alert(1)</script>"), 200),
])
def test_security_headers_on_redirects_errors_and_files(client, method, path, status):
    response = client.open(path, method=method)
    assert response.status_code == status
    policy = _policy(response.headers["Content-Security-Policy"])
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts and not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:", "http:", "https:"} & set(scripts)
    assert policy.get("object-src") == ["'none'"] and policy.get("frame-ancestors") == ["'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin", "strict-origin-when-cross-origin")


def test_api_errors_are_json_not_html(client):
    for path in ("/api/search?q=%3Cscript%3E&page=%3Cscript%3E", "/api/doc/%3Cscript%3Ealert(1)%3C%2Fscript%3E"):
        response = client.get(path)
        assert response.status_code in (400, 404) and response.mimetype == "application/json", path


# -- files ---------------------------------------------------------------------

_opened: list[str] | None = None


def _audit(event: str, args) -> None:
    if event == "open" and _opened is not None and isinstance(args[0], (str, bytes, os.PathLike)):
        _opened.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)  # cannot be removed; it records only while _opened is a list


@pytest.fixture
def opened_files():
    global _opened
    _opened = []
    try:
        yield _opened
    finally:
        _opened = None


def _traversals(index_dir: Path, canary: Path) -> list[str]:
    relative = os.path.relpath(canary, index_dir)
    return [
        "/doc/..%2F..%2Fetc%2Fpasswd", "/doc/../../etc/passwd", "/doc/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/doc/....//....//etc/passwd", "/doc/%2Fetc%2Fpasswd", "/doc//etc/passwd", "/doc/..%5C..%5Cwin.ini",
        "/doc/%2F%2Fetc%2Fpasswd",
        "/doc/" + quote(relative, safe=""), "/doc/" + quote(str(canary), safe=""), "/doc/" + relative,
        "/api/doc/..%2F..%2Fetc%2Fpasswd", "/api/doc/" + quote(str(canary), safe=""),
        "/static/..%2F..%2F..%2Fetc%2Fpasswd", "/static/%2e%2e/engine.py", "/static/../engine.py",
        "/static/" + quote(str(canary), safe=""), "/static//etc/passwd",
    ]


def test_path_traversal_is_a_404_and_opens_no_file(index_dir, tmp_path, opened_files):
    secret = "BÍ-MẬT-7f3a9c"
    canary = tmp_path / "canary.txt"
    canary.write_text(secret, encoding="utf-8")
    client = create_app(index_dir).test_client()
    client.get("/search?q=can+bo")  # templates loaded before we start counting
    opened_files.clear()
    for path in _traversals(index_dir, canary):
        # Werkzeug merges doubled slashes with a redirect to /doc/etc/passwd: follow it.
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 404, (path, response.status_code)
        assert all(urlsplit(r.headers["Location"]).path.startswith(("/doc/", "/api/doc/", "/static/"))
                   for r in response.history), path
        assert secret not in response.get_data(as_text=True) and b"root:" not in response.data, path
    allowed = [Path(root).resolve() for root in (index_dir, Path(vn_search.__file__).parent, sys.prefix, sys.base_prefix)]
    allowed.append((Path(vn_search.__file__).parent / "templates").resolve())
    outside = [name for name in opened_files if not any(Path(name).resolve().is_relative_to(root) for root in allowed)]
    assert not outside, outside
    assert str(canary) not in opened_files and "/etc/passwd" not in opened_files
    canary.read_text(encoding="utf-8")  # the hook does see a real read
    assert str(canary) in opened_files


# -- the debug server ------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "127.0.0.1.nip.io"])
def test_cli_refuses_a_public_debug_server_without_binding(tmp_path, monkeypatch, host):
    import flask
    import waitress

    def must_not_run(*args, **kwargs):
        raise AssertionError("a server was started")

    monkeypatch.setattr(flask.Flask, "run", must_not_run)
    monkeypatch.setattr(waitress, "serve", must_not_run)
    result = CliRunner().invoke(main, ["serve", "--index", str(tmp_path), "--debug", "--host", host, "--port", "5999"])
    assert result.exit_code == 2, result.output
    assert "refusing to run the debug server" in result.stderr
