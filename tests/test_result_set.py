"""The result set a reader means (issue 12): which articles a query finds,
the same set for every sort order and page, an exact count, a date range,
and marks on exactly the words that matched."""

from datetime import date, datetime, timedelta, timezone

import pytest
from conftest import write_jsonl

from vn_search import SearchEngine

ARTICLES = [
    {"id": "tngt-1", "title": "Tai nạn giao thông nghiêm trọng trên quốc lộ 1A",
     "body": "Một vụ tai nạn giao thông khiến hai người bị thương nặng tại Quảng Nam.",
     "published": "2017-07-10T08:00:00+07:00"},
    {"id": "tngt-2", "title": "TAI NẠN GIAO THÔNG GIẢM TRONG DỊP TẾT",
     "body": "Số vụ tai nạn giao thông giảm 12% so với cùng kỳ năm trước.",
     "published": "2017-02-06T23:30:00+07:00"},
    {"id": "tngt-undated", "title": "Tai nạn giao thông ở Đà Nẵng",
     "body": "Xe tải lật trên đèo Hải Vân, may không có thương vong."},
    # Every syllable of "tai nạn giao thông", none of its words.
    {"id": "scattered", "title": "Tại hội nghị, ông Tài bàn giao việc cho hệ thống mới",
     "body": "Tại đây, ông nói nắn chỉnh quy trình tài chính là việc giao cho bộ phận thống kê.",
     "published": "2017-07-15T09:00:00+07:00"},
    {"id": "hanoi", "title": "Hà Nội mở thêm tuyến buýt nhanh",
     "body": "Người dân Hà Nội có thêm lựa chọn đi lại vào giờ cao điểm.",
     "published": "2017-07-12T07:00:00+07:00"},
    # "nói" and "nội dung", never the word "Hà Nội".
    {"id": "noi-dung", "title": "Ông ấy nói về nội dung bản hợp đồng",
     "body": "Ông nói rằng nội dung đã được hai bên thống nhất.",
     "published": "2017-07-13T07:00:00+07:00"},
    {"id": "campuchia", "title": "Phe đối lập Campuchia biểu tình ở Phnom Penh",
     "body": "Hàng nghìn người ủng hộ phe đối lập Campuchia xuống đường biểu tình.",
     "published": "2013-10-23T10:00:00+07:00"},
    {"id": "venezuela", "title": "Phe đối lập Venezuela biểu tình phản đối chính phủ",
     "body": "Phe đối lập Venezuela kêu gọi biểu tình trên khắp cả nước.",
     "published": "2017-07-14T10:00:00+07:00"},
    {"id": "bac-si", "title": "Bác sĩ Tường thoát tội giết người",
     "body": "Tòa tuyên bác sĩ Tường không phạm tội giết người mà phạm tội che giấu.",
     "published": "2013-11-01T10:00:00+07:00"},
    {"id": "vang", "title": "Giá vàng hôm nay tăng mạnh",
     "body": "Giá vàng trong nước và thế giới cùng tăng.",
     "published": "2017-07-15T08:00:00+07:00", "category": "KinhTe"},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("result-set")
    engine = SearchEngine(folder / "index")
    engine.index([write_jsonl(folder / "news.jsonl", ARTICLES)])
    return engine


def ids(results) -> set[str]:
    return {hit.id for hit in results.hits}


@pytest.mark.parametrize("query", ["tai nạn giao thông", "tai nan giao thong", "TAI NẠN GIAO THÔNG"])
def test_words_match_as_words_not_as_scattered_syllables(engine, query):
    results = engine.search(query)
    assert ids(results) == {"tngt-1", "tngt-2", "tngt-undated"}
    assert results.total == 3 and not results.total_is_estimate


@pytest.mark.parametrize("query", ["ha noi", "Hà Nội"])
def test_ha_noi_is_the_city_not_every_noi(engine, query):
    results = engine.search(query)
    assert ids(results) == {"hanoi"}
    assert "<mark>Hà Nội</mark>" in results.hits[0].title_html


def test_marks_only_what_matched(engine):
    hit = engine.search("tai nan giao thong").hits[0]
    assert "<mark>" in hit.snippet
    for stray in ("<mark>tại</mark>", "<mark>Tại</mark>", "<mark>nói</mark>"):
        assert stray not in hit.snippet
    # Typed with diacritics, only that spelling is marked.
    marked = engine.search("Hà Nội").hits[0].snippet
    assert "<mark>Hà Nội</mark>" in marked


def test_accented_and_unaccented_find_the_same_set(engine):
    for accented, plain in (("Hà Nội", "ha noi"), ("tai nạn giao thông", "tai nan giao thong")):
        assert ids(engine.search(accented, per_page=50)) == ids(engine.search(plain, per_page=50))


def test_the_rarest_word_of_a_long_query_is_never_dropped(engine):
    results = engine.search("Phe đối lập Campuchia biểu tình", sort="date")
    assert ids(results) == {"campuchia"}
    assert "venezuela" not in ids(engine.search("phe doi lap campuchia bieu tinh", sort="date"))


def test_a_query_of_common_words_only_still_finds_articles(engine):
    assert engine.search("và").total >= 1
    assert engine.search("của những người").total >= 1 or engine.search("người").total >= 1


def test_an_empty_strict_set_is_relaxed_and_says_so(engine):
    results = engine.search("tai nạn giao thông Campuchia")
    assert results.total >= 1
    assert any("chứa đủ các từ" in notice for notice in results.notices)


def test_the_set_is_the_same_for_every_sort_and_page(engine):
    by_relevance = engine.search("tai nạn giao thông", per_page=2)
    by_date = engine.search("tai nạn giao thông", per_page=2, sort="date")
    assert by_relevance.total == by_date.total == 3
    pages = [engine.search("tai nạn giao thông", page=n, per_page=2, sort="date") for n in (1, 2)]
    assert {h.id for p in pages for h in p.hits} == {"tngt-1", "tngt-2", "tngt-undated"}


def test_date_sort_is_newest_first_with_undated_last(engine):
    results = engine.search("tai nạn giao thông", sort="date")
    assert [h.id for h in results.hits] == ["tngt-1", "tngt-2", "tngt-undated"]
    assert results.undated == 1
    assert results.to_json()["undated"] == 1


def test_date_range_is_inclusive_in_vietnam_time(engine):
    # Published 23:30 on 6 February in Hà Nội: 16:30 UTC, still that day.
    assert ids(engine.search("tai nạn giao thông", since="2017-02-06", until="2017-02-06")) == {"tngt-2"}
    assert ids(engine.search("tai nạn giao thông", since=date(2017, 2, 7))) == {"tngt-1"}
    assert ids(engine.search("tai nạn giao thông", until="2017-02-05")) == set()
    moment = datetime(2017, 7, 10, 0, 0, tzinfo=timezone(timedelta(hours=7)))
    assert ids(engine.search("tai nạn giao thông", since=moment)) == {"tngt-1"}
    results = engine.search("tai nạn giao thông", since="2017-01-01", until="2017-12-31")
    assert results.to_json()["since"] == "2017-01-01" and results.total == 2  # the undated one is out


@pytest.mark.parametrize(("since", "until", "message"), [
    ("06/02/2017", None, "since must be a date"),
    ("2017-02-30", None, "since must be a date"),
    (None, "tomorrow", "until must be a date"),
    ("2017-07-10", "2017-07-01", "since (2017-07-10) is after until (2017-07-01)"),
])
def test_bad_date_ranges_are_value_errors_naming_the_parameter(engine, since, until, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        engine.search("tai nạn giao thông", since=since, until=until)


def test_filters_apply_to_the_set(engine):
    assert ids(engine.search("giá vàng", category="KinhTe")) == {"vang"}
    assert engine.search("tai nạn giao thông", category="KinhTe").total == 0


def test_i_and_y_spellings_are_the_same_word(engine):
    assert ids(engine.search("Bác sỹ Tường")) == {"bac-si"}


def test_phrases_and_exclusions_keep_their_meaning(engine):
    assert ids(engine.search('"tai nạn giao thông" -"Đà Nẵng"')) == {"tngt-1", "tngt-2"}
    assert ids(engine.search("tai nạn giao thông NOT Quảng")) == {"tngt-2", "tngt-undated"}


def test_words_not_side_by_side_fall_back_to_syllables_and_say_so(engine):
    # A reader remembers a few syllables of a headline, not its words.
    results = engine.search("nạn thông Quảng Nam")
    assert "tngt-1" in ids(results)


def test_an_article_opened_from_results_is_marked_as_the_results_page_marks_it(engine):
    from vn_search.highlight import mark_text

    marks = engine.marks_for("tai nan giao thong")
    body = "Tại đây, một vụ tai nạn giao thông khiến hai người bị thương."
    marked = mark_text(body, marks)
    assert "<mark>tai nạn</mark> <mark>giao thông</mark>" in marked
    assert "<mark>Tại</mark>" not in marked
    # Keystrokes are read as on the results page.
    assert "<mark>Hà Nội</mark>" in mark_text("Hà Nội mở thêm tuyến buýt", engine.marks_for("ha nooij"))
