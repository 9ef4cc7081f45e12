"""Autocomplete (issue 14 item 2): completions drawn from the corpus's
headlines, accent-insensitive, spelt as the articles spell them; the
table an index writes, and the one a generation without it builds."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from flask import Flask

from vn_search import SearchEngine
from vn_search.completion import COMPLETIONS_FILE, CompletionTable, LazyCompletions
from vn_search.web import create_app, search_blueprint

HEADLINES = [
    ("hn-1", "Hà Nội mở rộng phố đi bộ quanh hồ Hoàn Kiếm"),
    ("hn-2", "Mưa lớn, nhiều tuyến phố ở Hà Nội ngập sâu"),
    ("hn-3", "Hà Nội cấm xe máy ở nội đô từ năm 2030"),
    ("hn-4", "Giá nhà ở Hà Nội tiếp tục tăng"),
    ("hnam-1", "Hà Nam thu hút thêm ba dự án đầu tư nước ngoài"),
    ("hnam-2", "Lễ hội đền Trần Thương ở Hà Nam đón hàng vạn du khách"),
    ("cam-1", "Phe đối lập Campuchia lại biểu tình phản đối chính phủ"),
    ("cam-2", "Biểu tình ở Campuchia: cảnh sát dựng rào chắn quanh Phnom Penh"),
    ("cam-3", "Thủ tướng Campuchia Hun Sen kêu gọi đối thoại"),
    ("bao-1", "Bão số 3 đổ bộ Quảng Ninh, gió giật cấp 12"),
    ("bao-2", "Quảng Ninh sơ tán dân trước khi bão số 3 đổ bộ"),
    ("bao-3", "Bão số 3 gây mưa lớn ở các tỉnh Bắc Bộ"),
]


def _records() -> list[dict]:
    return [{"id": doc_id, "title": title, "summary": f"{title}. Theo phóng viên, tình hình đang được theo dõi.",
             "body": "Chính quyền địa phương cho biết sẽ tiếp tục cập nhật thông tin.",
             "published": f"2017-06-{number:02d}T08:00:00+07:00", "source": "VnExpress"}
            for number, (doc_id, title) in enumerate(HEADLINES, start=1)]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("completion")
    jsonl = work / "news.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _records()) + "\n", encoding="utf-8")
    SearchEngine(work / "index").index([jsonl], rebuild=True, progress=False)
    return work / "index"


@pytest.fixture(scope="module")
def engine(index_dir) -> SearchEngine:
    return SearchEngine(index_dir)


def test_unaccented_prefixes_complete_to_the_names_the_articles_write(engine):
    assert engine.complete("campu")[0] == "Campuchia"
    found = engine.complete("ha n")
    assert found[:2] == ["Hà Nội", "Hà Nam"]  # four headlines, then two
    assert engine.complete("quang n")[0] == "Quảng Ninh"


def test_typed_accents_narrow_and_missing_ones_do_not(engine):
    assert engine.complete("hà nộ")[0] == "Hà Nội"
    assert not any(text.startswith("Hà Nam") for text in engine.complete("hà nộ"))
    assert engine.complete("hạ n") == []  # nothing the headlines write starts "hạ n"
    assert engine.complete("HA NOI")[0] == "Hà Nội"


def test_phrases_are_offered_whole_and_never_dangle(engine):
    found = engine.complete("bao so")
    assert "bão số 3" in found  # "Bão số 3" opens headlines, but is no name
    assert all(not text.split()[-1] in {"của", "ở", "và", "số"} for text in engine.complete("b") + found)
    assert "biểu tình" in engine.complete("bieu t")


def test_the_words_before_the_last_stay_as_typed(engine):
    assert engine.complete("biểu tình campu")[0] == "biểu tình Campuchia"
    assert engine.complete("tin moi ha n")[:2] == ["tin moi Hà Nội", "tin moi Hà Nam"]


def test_a_finished_word_is_followed_only_by_phrases_that_continue_it(engine):
    assert all(text.lower().startswith("hà nội ") for text in engine.complete("hà nội "))
    assert engine.complete("hà nội ")


def test_limit_and_nonsense(engine):
    assert len(engine.complete("h", limit=2)) == 2
    assert engine.complete("") == []
    assert engine.complete("xyzzy") == []
    assert engine.complete("a" * 500) == []
    for bad in (0, 21, "3", 2.5):
        with pytest.raises(ValueError, match="limit"):
            engine.complete("ha", limit=bad)


def test_the_index_writes_its_table_and_a_generation_without_one_builds_it(index_dir, tmp_path):
    current = Path(os.path.realpath(index_dir / "current"))
    table = CompletionTable.load(current / COMPLETIONS_FILE)
    assert ("Hà Nội", 4) in table.entries()

    # A generation from before completions.json existed: same answers.
    copy = tmp_path / "old-index"
    copy.mkdir()
    generation = copy / current.name
    generation.mkdir()
    for path in current.iterdir():
        if path.name != COMPLETIONS_FILE:
            os.link(path, generation / path.name)
    os.symlink(current.name, copy / "current")
    old = SearchEngine(copy)
    assert old.complete("campu")[0] == "Campuchia"
    assert old.complete("ha n")[:2] == ["Hà Nội", "Hà Nam"]
    assert not (generation / COMPLETIONS_FILE).exists()  # reading never writes into an index


def test_a_server_builds_a_missing_table_in_the_background(index_dir, tmp_path):
    """prepare() returns at once when the table must be built (a server
    answers searches meanwhile); get() then waits for that build."""
    engine = SearchEngine(index_dir)
    reader, _ = engine._current().reader()
    release, asked = threading.Event(), threading.Event()

    def open_index():
        asked.set()
        release.wait()
        return reader, None

    completions = LazyCompletions(tmp_path)  # a generation folder without completions.json
    completions.prepare(open_index)
    assert asked.wait(10)  # the build started, in another thread, and prepare() returned
    release.set()
    assert completions.get(open_index).complete("campu")[0] == "Campuchia"


def test_an_update_counts_the_new_headlines_and_leaves_the_old_table_alone(tmp_path):
    jsonl = tmp_path / "first.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in _records()) + "\n", encoding="utf-8")
    engine = SearchEngine(tmp_path / "index")
    engine.index([jsonl], progress=False)
    before = Path(os.path.realpath(tmp_path / "index" / "current"))
    first_table = (before / COMPLETIONS_FILE).read_text(encoding="utf-8")
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"id": "hp-1", "title": "Hải Phòng khánh thành cầu Hoàng Văn Thụ",
                                "body": "Cây cầu nối trung tâm thành phố với huyện Thủy Nguyên."},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    engine.index([more], progress=False)
    assert engine.complete("hai ph")[0] == "Hải Phòng"
    assert (before / COMPLETIONS_FILE).read_text(encoding="utf-8") == first_table


def test_headline_capitals_follow_the_articles():
    # "Bão" opens the headlines only because it comes first; the articles
    # write "bão" inside sentences (capital share 0), and "Hun Sen" always.
    shares = {"bão": 0.0, "hun": 1.0}
    table = CompletionTable.build(
        ["Bão số 3 đổ bộ", "Bão số 3 suy yếu", "Hun Sen kêu gọi đối thoại", "Ông Hun Sen phát biểu"],
        known_words=["đổ_bộ", "suy_yếu", "đối_thoại", "phát_biểu"], capital_share=lambda s: shares.get(s, 0.0),
        min_count=1)
    assert table.complete("bao so")[0] == "bão số 3"
    assert table.complete("hun sen")[0] == "Hun Sen"


def test_headlines_in_capitals_do_not_decide_the_spelling():
    table = CompletionTable.build(["CAMPUCHIA BIỂU TÌNH", "Biểu tình ở Campuchia", "Tin Campuchia"], min_count=1)
    assert table.complete("campu")[0] == "Campuchia"


def test_a_damaged_table_names_its_file(tmp_path):
    broken = tmp_path / COMPLETIONS_FILE
    broken.write_text('{"completions": 3}', encoding="utf-8")
    with pytest.raises(ValueError, match=COMPLETIONS_FILE):
        CompletionTable.load(broken)


# -- web ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(index_dir, TESTING=True).test_client()


def test_api_suggest(client):
    response = client.get("/api/suggest", query_string={"q": "ha n"})
    assert response.status_code == 200
    assert response.json["query"] == "ha n"
    assert response.json["suggestions"][:2] == ["Hà Nội", "Hà Nam"]
    assert response.headers["Cache-Control"] == "public, max-age=300"  # asked at every pause in typing
    assert client.get("/api/suggest").json == {"query": "", "suggestions": []}


def test_opensearch_suggestions_format(client):
    response = client.get("/api/opensearch-suggest", query_string={"q": "campu"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/x-suggestions+json; charset=utf-8"
    query, completions = json.loads(response.get_data(as_text=True))
    assert query == "campu" and completions[0] == "Campuchia"


def test_the_search_box_offers_completions_through_a_static_script(client):
    page = client.get("/").get_data(as_text=True)
    assert 'data-suggest="/api/suggest"' in page
    assert '<script src="/static/suggest.js" defer></script>' in page
    assert "<script>" not in page  # the CSP allows no inline script
    script = client.get("/static/suggest.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    body = script.get_data(as_text=True)
    for attribute in ("aria-expanded", "aria-activedescendant", '"combobox"', '"listbox"', '"option"'):
        assert attribute in body
    assert ".innerHTML" not in body  # suggestions are text, never markup
    # Without JavaScript the box is a plain search field that searches.
    assert 'role="combobox"' not in page
    assert client.get("/search", query_string={"q": "ha noi"}).status_code == 200


def test_the_box_asks_under_the_blueprints_prefix(index_dir):
    app = Flask("news_site")
    app.register_blueprint(search_blueprint(SearchEngine(index_dir)), url_prefix="/tin-tuc")
    client = app.test_client()
    page = client.get("/tin-tuc/").get_data(as_text=True)
    assert 'data-suggest="/tin-tuc/api/suggest"' in page
    assert '<script src="/tin-tuc/static/suggest.js" defer></script>' in page
    assert client.get("/tin-tuc/api/suggest", query_string={"q": "campu"}).json["suggestions"][0] == "Campuchia"
