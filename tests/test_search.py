"""Search behaviour a reader notices: accents optional, exact accents
first, phrases, exclusions, snippets, filters, hostile strings."""

import threading
import unicodedata

import pytest
from conftest import NEWS, write_jsonl

from vn_search import IndexMissingError, SearchEngine, sample_path

SEED_ID = "bac-ha-luan-chuyen-can-bo"
SEED_TITLE = "Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà"


@pytest.fixture(scope="module")
def news_engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("news")
    engine = SearchEngine(folder / "index")
    engine.index([write_jsonl(folder / "news.jsonl", NEWS)])
    return engine


@pytest.fixture(scope="module")
def proximity_engine(tmp_path_factory):
    """Two headlines with the same syllables, same lengths: only where the
    syllables stand differs. The scattered one comes first in the file, so
    a tie would put it first."""
    folder = tmp_path_factory.mktemp("proximity")
    records = [
        {"id": "scattered", "title": "Tăng mạnh từ chiều nay, giá xăng dầu", "body": "Bản tin thị trường."},
        {"id": "together", "title": "Giá xăng dầu tăng mạnh từ chiều nay", "body": "Bản tin thị trường."},
    ]
    engine = SearchEngine(folder / "index")
    engine.index([write_jsonl(folder / "news.jsonl", records)])
    return engine


@pytest.mark.parametrize("query", ["giá tăng", "gia tang", "xăng tăng mạnh"])
def test_words_standing_together_in_typed_order_rank_first(proximity_engine, query):
    assert [h.id for h in proximity_engine.search(query).hits] == ["together", "scattered"]


@pytest.mark.parametrize(
    "query",
    [
        "luân chuyển cán bộ",
        "luan chuyen can bo",
        "LUÂN CHUYỂN CÁN BỘ",
        "Luan Chuyen Can Bo",
        unicodedata.normalize("NFD", "luân chuyển cán bộ"),
        "luân_chuyển cán_bộ",
    ],
)
def test_every_way_of_typing_finds_the_article_first(sample_engine, query):
    results = sample_engine.search(query)
    assert results.hits[0].id == SEED_ID
    assert results.hits[0].title == SEED_TITLE


def test_unaccented_query_gets_accented_snippet(sample_engine):
    hit = sample_engine.search("luan chuyen can bo").hits[0]
    # Marked as the words that matched, in the article's own spelling...
    assert "<mark>luân chuyển</mark> <mark>cán bộ</mark>" in hit.snippet
    # ...and never a syllable that merely folds the same ("lý luận").
    assert "<mark>luận</mark>" not in hit.snippet and "lý luận" in hit.snippet
    assert hit.title_html == "Hiệu quả từ công tác <mark>luân chuyển</mark> <mark>cán bộ</mark> ở Bắc Hà"


def test_old_tone_placement_matches_new(news_engine):
    old = news_engine.search("hoà bình")
    new = news_engine.search("hòa bình")
    assert [h.id for h in old.hits] == [h.id for h in new.hits]
    assert old.hits[0].id == "vn-003"


def test_exact_diacritics_rank_above_folded_matches(news_engine):
    # "cán bộ" and "can thiệp" fold to the same "can"; typed accents decide.
    accented = news_engine.search("cán")
    assert accented.hits[0].id == "vn-004"
    plain = news_engine.search("can thiep")
    assert plain.hits[0].id == "vn-005"
    assert {h.id for h in news_engine.search("can").hits} >= {"vn-004", "vn-005"}


def test_all_words_rank_before_some_words(news_engine):
    results = news_engine.search("giá vàng Hà Nội")
    assert results.hits[0].id == "vn-002"


def test_phrase_requires_adjacent_words(news_engine):
    assert [h.id for h in news_engine.search('"hòa giải"').hits] == ["vn-004"]
    assert [h.id for h in news_engine.search('"hoa giai"').hits] == ["vn-004"]
    assert news_engine.search('"giải hòa"').total == 0


def test_exclusion_removes_documents(news_engine):
    with_word = {h.id for h in news_engine.search("hòa").hits}
    assert "vn-004" in with_word
    without = {h.id for h in news_engine.search("hòa -Lào").hits}
    assert "vn-004" not in without and without
    assert "vn-004" not in {h.id for h in news_engine.search("hòa NOT lao").hits}


def test_numbers_and_dates_are_searchable(sample_engine):
    assert sample_engine.search("1/4/1975").hits[0].title.startswith("Ngày 1/4/1975")


@pytest.mark.parametrize(
    "query",
    ['"', '"""', "a:b", "title:(", ")))(((", "AND", "OR OR", "NOT", "-", "--", "*", "a*", "?", "~2", "^3",
     "cán bộ AND OR", "<script>alert(1)</script>", "\x00\x1b[31m", "\u202ebộ cán", "😘" * 50, "x" * 5000, " "],
)
def test_hostile_queries_never_raise(sample_engine, query):
    results = sample_engine.search(query)
    assert results.total >= 0
    for hit in results.hits:
        assert "<script>" not in hit.snippet and "<script>" not in hit.title_html


def test_overlong_query_is_cut_with_a_notice(sample_engine):
    results = sample_engine.search("cán bộ " * 200)
    assert results.notices and results.hits[0].id == SEED_ID


def test_pagination_and_totals(sample_engine):
    first = sample_engine.search("xã", per_page=2)
    second = sample_engine.search("xã", page=2, per_page=2)
    assert first.total == second.total >= 3
    assert len(first.hits) == 2
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}
    beyond = sample_engine.search("xã", page=99, per_page=2)
    assert beyond.hits == [] and beyond.total == first.total


def test_related_items_are_documents_with_parents(sample_engine):
    hit = sample_engine.search("con đường tơ lụa sông Hồng").hits[0]
    assert hit.kind == "related" and hit.parents == [SEED_ID]
    only_articles = sample_engine.search("con đường tơ lụa sông Hồng", kind="article")
    assert all(h.kind == "article" for h in only_articles.hits)


def test_kicker_is_searchable_in_all_caps(sample_engine):
    hit = sample_engine.search("đại thắng mùa xuân").hits[0]
    assert hit.title.startswith("Ngày 1/4/1975: Giải phóng Phú Yên")


def test_filters_and_date_sort(news_engine):
    assert {h.id for h in news_engine.search("hòa", source="vnexpress.net").hits} == {"vn-003"}
    by_date = news_engine.search("hòa", sort="date")
    dates = [h.published for h in by_date.hits if h.published]
    assert dates == sorted(dates, reverse=True)
    assert news_engine.facets()["sources"][0] == ("vnexpress.net", 2)


def test_get_returns_the_stored_document(sample_engine):
    doc = sample_engine.get(SEED_ID)
    assert doc.title == SEED_TITLE and len(doc.related_ids) == 5
    related = sample_engine.get(doc.related_ids[1])
    assert related.kind == "related" and related.parents == [SEED_ID]
    assert related.kicker == "ĐẠI THẮNG MÙA XUÂN NĂM 1975"
    assert sample_engine.get("../../etc/passwd") is None


def test_stats(sample_engine):
    stats = sample_engine.stats()
    assert (stats.documents, stats.articles, stats.related) == (6, 1, 5)
    assert stats.updated is not None and stats.size_bytes > 0


def test_missing_index_says_how_to_build_it(tmp_path):
    with pytest.raises(IndexMissingError, match="vn-search index"):
        SearchEngine(tmp_path / "none").search("cán bộ")


def test_many_threads_search_one_engine(sample_engine):
    errors, tops = [], []

    def worker(query):
        try:
            for _ in range(20):
                tops.append(sample_engine.search(query).hits[0].id)
        except Exception as error:  # noqa: BLE001 - collected for the assert
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(q,)) for q in ["luan chuyen can bo", "cán bộ", "Bắc Hà", "luân chuyển"] * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert set(tops) == {SEED_ID}


def _articles(folder, headlines: list[str], body: str) -> SearchEngine:
    """An index of articles with these headlines and one shared body, so
    only the headlines can tell them apart."""
    records = [
        {"id": f"tin-{number:02d}", "title": headline, "summary": "Tin tức trong ngày.", "body": body}
        for number, headline in enumerate(headlines)
    ]
    engine = SearchEngine(folder / "index")
    engine.index([write_jsonl(folder / "news.jsonl", records)])
    return engine


def test_a_common_word_still_counts_in_the_headline(tmp_path):
    # "người" is in every article's body: too common to score there, but a
    # headline holding it matches the query better than one without it.
    filler = [f"Thời tiết tỉnh {place} hôm nay" for place in ("Lào Cai", "Yên Bái", "Hà Giang", "Sơn La")]
    engine = _articles(
        tmp_path,
        ["Bà con bản Sa Pa làm du lịch", "Người dân bản Sa Pa làm du lịch", *filler],
        "Nhiều người dân đã đến xem. Người dân vui mừng.",
    )
    # Words of the headline, out of order: as readers recall a headline.
    assert [h.id for h in engine.search("Sa Pa du lịch người").hits[:2]] == ["tin-01", "tin-00"]
    assert [h.id for h in engine.search("sa pa du lich nguoi").hits[:2]] == ["tin-01", "tin-00"]


def test_a_common_word_alone_with_a_typo_finds_nothing_but_gets_a_suggestion(tmp_path):
    filler = [f"Người dân tỉnh {place} đón Tết" for place in ("Lào Cai", "Yên Bái", "Hà Giang")]
    engine = _articles(tmp_path, ["Luân chuyển cán bộ ở Bắc Hà", *filler], "Nhiều người dân đã đến xem.")
    results = engine.search("người luan chuyn")
    assert results.suggestion and "luân chuyển" in results.suggestion
    assert [h.id for h in results.hits] == ["tin-00"]  # the suggestion's results


def test_an_accented_word_is_judged_by_its_own_spelling_not_its_folded_form(tmp_path):
    # Folded, "Nhật" (Japan) is "nhat", as common as "nhất" (most), which is
    # in every body; typed with its accents it is a rare, telling word.
    filler = [f"Giá lúa tại {place} cao nhất" for place in ("An Giang", "Cần Thơ", "Sóc Trăng", "Bạc Liêu")]
    engine = _articles(
        tmp_path,
        ["Hàn Quốc ký hiệp định với Mỹ", "Hàn Quốc ký hiệp định với Nhật", *filler],
        "Đây là thỏa thuận lớn nhất trong năm, tốt nhất từ trước tới nay.",
    )
    assert engine.search("Nhật Hàn Quốc hiệp định").hits[0].id == "tin-01"


# -- argument errors (#14) ----------------------------------------------------


@pytest.mark.parametrize(
    "arguments, parameter",
    [
        ({"kind": "foo"}, "kind"),
        ({"kind": ""}, "kind"),
        ({"sort": "xyz"}, "sort"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": 1.5}, "page"),
        ({"page": "2"}, "page"),
        ({"page": True}, "page"),
        ({"per_page": 0}, "per_page"),
        ({"per_page": 101}, "per_page"),
        ({"per_page": None}, "per_page"),
    ],
)
def test_bad_search_arguments_are_value_errors_naming_the_parameter(sample_engine, arguments, parameter):
    with pytest.raises(ValueError, match=rf"^{parameter} must be"):
        sample_engine.search("cán bộ", **arguments)


def test_good_search_arguments_at_the_limits_are_accepted(sample_engine):
    assert len(sample_engine.search("cán bộ", page=1, per_page=1).hits) == 1
    assert sample_engine.search("cán bộ", per_page=sample_engine.max_per_page, kind="related").hits
    assert sample_engine.search("cán bộ", kind=None, page=99).hits == []


def test_headline_words_offered_follow_the_current_generation(tmp_path):
    # What a page that found nothing offers, once per generation.
    index = tmp_path / "index"
    engine = SearchEngine(index)
    engine.index([sample_path()], progress=False)
    before = engine.headline_words()
    assert before and engine.headline_words() == before
    records = [{"id": f"bd-{n}", "title": f"Bóng đá Việt Nam thắng trận thứ {n}", "body": "Đội tuyển bóng đá thắng."}
               for n in range(3)]
    SearchEngine(index).index([write_jsonl(tmp_path / "more.jsonl", records)], progress=False)
    after = engine.headline_words()
    assert after[0] in ("bóng đá", "việt nam") and "bóng đá" not in before
