"""Queries typed the way Vietnamese readers type them (issue 13): Telex and
VNI with the input method off, abbreviations and aliases both ways, and
corrections that never make things worse."""

import pytest
from conftest import write_jsonl

from vn_search import SearchEngine
from web_fixtures import READER_ARTICLES as ARTICLES



@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reader-queries")
    engine = SearchEngine(folder / "index")
    engine.index([write_jsonl(folder / "news.jsonl", ARTICLES)])
    return engine


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


@pytest.mark.parametrize(("typed", "meant"), [
    ("vieejt nam", "việt nam"),       # Telex, tone right after the vowel
    ("Vieetj Nam", "Việt Nam"),       # Telex, tone at the end, capitals kept
    ("vie6t5 nam", "việt nam"),       # VNI
    ("ha nooij", "hà nội"),           # mixed with a word typed without accents
])
def test_keystrokes_typed_with_the_input_method_off_are_read_as_vietnamese(engine, typed, meant):
    results = engine.search(typed)
    assert results.searched == meant
    assert f"Đang hiển thị kết quả cho «{meant}»." in results.notices
    assert results.total and results.to_json()["searched"] == meant
    wanted = {"vn-doi-tuyen", "vn-kinh-te"} if "nam" in meant.lower() else {"ha-noi", "hdnd-ha-noi"}
    assert wanted <= set(ids(results))


def test_the_literal_text_can_still_be_searched(engine):
    results = engine.search("vieejt nam", as_typed=True)
    # Nothing holds "vieejt": what is shown holds "nam" only, and says so.
    assert results.searched is None and results.relaxed


@pytest.mark.parametrize("word", ["Trump", "news", "Moscow", "Windows", "Facebook", "Samsung", "iPhone",
                                  "Messi", "Kim Jong-un", "Putin", "Google"])
def test_names_and_english_words_are_searched_literally(engine, word):
    results = engine.search(word)
    assert results.searched is None and results.suggestion is None
    assert results.total >= 1


@pytest.mark.parametrize("query", ["TPHCM", "TP.HCM", "TP HCM", "tp hcm", "Tp. HCM", "Thành phố Hồ Chí Minh"])
def test_every_spelling_of_tphcm_finds_every_spelling(engine, query):
    assert {"tphcm-dots", "tphcm-full", "tphcm-joined"} <= set(ids(engine.search(query)))


def test_the_articles_own_wording_ranks_first(engine):
    assert ids(engine.search("CSGT"))[:2] == ["csgt-abbr", "csgt-full"]
    assert ids(engine.search("cảnh sát giao thông"))[:2] == ["csgt-full", "csgt-abbr"]
    assert ids(engine.search("canh sat giao thong"))[:2] == ["csgt-full", "csgt-abbr"]
    assert ids(engine.search("TP.HCM"))[0] == "tphcm-dots"


def test_the_full_form_finds_the_abbreviation(engine):
    # The article says UBND; the reader types it out, without accents.
    assert ids(engine.search("uy ban nhan dan ha noi"))[0] == "ha-noi"


# The other form of a query's abbreviation, where the articles that hold the
# rest of the query write it the other way from the reader, and articles in
# the reader's wording hold little else of it.
OTHER_FORM_ARTICLES = [
    {"id": "hdnd-sat-hai", "title": "Khởi tố vụ án nữ Phó Chủ tịch HĐND xã bị sát hại",
     "body": "Cơ quan cảnh sát điều tra đã khởi tố vụ án giết người; nạn nhân là Phó Chủ tịch HĐND xã."},
    {"id": "hdnd-chu-tich", "title": "Hà Nội có Chủ tịch Hội đồng nhân dân mới",
     "body": "Hội đồng nhân dân thành phố Hà Nội đã bầu Chủ tịch mới tại kỳ họp bất thường."},
    {"id": "hdnd-ky-hop", "title": "Bế mạc kỳ họp Hội đồng nhân dân tỉnh Nghệ An",
     "body": "Hội đồng nhân dân tỉnh Nghệ An thông qua 25 nghị quyết quan trọng."},
    {"id": "gtvt-ben-xe", "title": "Bộ GTVT phản đối Hà Nội xây mới bến xe",
     "body": "Bộ GTVT cho rằng xây bến xe mới trong nội đô sẽ gây ùn tắc."},
    {"id": "gtvt-uber", "title": "Bộ Giao thông vận tải lên tiếng về Uber và Grab",
     "body": "Bộ Giao thông vận tải đề nghị quản lý taxi công nghệ như taxi truyền thống."},
    {"id": "gtvt-bot", "title": "Bộ Giao thông vận tải đề xuất tăng phí 37 trạm BOT",
     "body": "Bộ Giao thông vận tải vừa gửi văn bản đề xuất tăng phí."},
    {"id": "csgt-phat-xe-khach", "title": "Cảnh sát giao thông xử phạt xe khách chở quá số người",
     "body": "Cảnh sát giao thông Hà Nam đã lập biên bản xe khách chở 60 người."},
    {"id": "csgt-tuan-tra", "title": "CSGT tăng cường tuần tra dịp nghỉ lễ 30/4",
     "body": "CSGT các tỉnh phía Bắc ra quân tuần tra trên quốc lộ 1A."},
    {"id": "csgt-dem", "title": "CSGT trắng đêm kiểm tra nồng độ cồn",
     "body": "Tổ công tác CSGT kiểm tra hàng trăm tài xế trong đêm."},
    {"id": "mua-lon", "title": "Mưa lớn gây ngập nhiều tuyến phố",
     "body": "Trận mưa kéo dài hai giờ khiến nhiều tuyến phố ngập sâu."},
    {"id": "gia-vang", "title": "Giá vàng hôm nay tăng mạnh",
     "body": "Giá vàng SJC tăng 200.000 đồng mỗi lượng so với hôm qua."},
    {"id": "bong-da", "title": "Đội tuyển Việt Nam hòa Thái Lan",
     "body": "Trận đấu trên sân Mỹ Đình kết thúc với tỷ số 1-1."},
]


@pytest.fixture(scope="module")
def other_forms(tmp_path_factory):
    folder = tmp_path_factory.mktemp("other-forms")
    engine = SearchEngine(folder / "index")
    engine.index([write_jsonl(folder / "news.jsonl", OTHER_FORM_ARTICLES)])
    return engine


@pytest.mark.parametrize(("query", "meant"), [
    # Typed in full; the article abbreviates. The articles that spell it
    # out hold less of the rest ("Hà Nội có Chủ tịch Hội đồng nhân dân
    # mới" came first when an article in the other form could score no
    # more than the best one in the reader's wording).
    ("Chủ tịch Hội đồng nhân dân xã", "hdnd-sat-hai"),
    ("Phó Chủ tịch Hội đồng nhân dân bị sát hại", "hdnd-sat-hai"),
    # Abbreviated; the article spells it out.
    ("CSGT xử phạt xe khách", "csgt-phat-xe-khach"),
])
def test_the_article_that_writes_the_other_form_and_the_rest_of_the_query_comes_first(other_forms, query, meant):
    assert ids(other_forms.search(query))[0] == meant


def test_the_other_form_alone_ranks_below_the_readers_wording(other_forms):
    found = ids(other_forms.search("CSGT"))
    assert set(found[:2]) == {"csgt-tuan-tra", "csgt-dem"} and "csgt-phat-xe-khach" in found
    found = ids(other_forms.search("Hội đồng nhân dân"))
    assert set(found[:2]) == {"hdnd-chu-tich", "hdnd-ky-hop"} and "hdnd-sat-hai" in found


def test_an_abbreviation_that_reads_as_a_syllable_is_not_looked_for_in_its_place():
    from vn_search.analysis.abbreviations import default_table
    from vn_search.reading import alternatives

    # TƯ is Trung ương, but without accents it is also tư, từ, tu, tự.
    typed_in_full = alternatives([["Trung", "ương"]], default_table(), None)
    assert all(len(reading) > 1 or reading[0][0][0] != "tư" for found in typed_in_full for reading in found.readings)
    # Typed as the abbreviation, it still finds the full form.
    assert any(reading and reading[0][0][0] == "trung" for found in alternatives([["TƯ"]], default_table(), None)
               for reading in found.readings)


def test_an_alias_ranks_below_the_exact_form(engine):
    found = ids(engine.search("Sài Gòn"))
    assert found[0] == "sai-gon"
    assert "tphcm-dots" in found


def test_ambiguous_abbreviations_expand_only_when_the_query_decides(engine):
    assert "dien-thoai" not in ids(engine.search("ĐT"))  # never blindly
    assert ids(engine.search("đội tuyển Việt Nam"))[:1] in (["vn-doi-tuyen"], ["dt-bong-da"])
    assert "dt-bong-da" in ids(engine.search("đội tuyển Việt Nam chốt danh sách"))


def test_definitions_the_articles_give_are_learned(engine):
    # BQLDA is in no table: three articles define it, "Ban quản lý dự án
    # (BQLDA)", so the index knows it both ways.
    results = engine.search("BQLDA cầu")
    assert "ban-quan-ly" in ids(results) and not results.relaxed  # held as a whole, not by widening
    assert "bqlda-2" in ids(engine.search("ban quản lý dự án đường vành đai"))


def test_a_typo_gets_the_word_the_articles_use_not_a_frequent_neighbour(engine):
    # n and m are neighbours on the keyboard; p and g are not.
    results = engine.search("Trunp Putin")
    assert results.searched == "Trump Putin" or results.suggestion == "Trump Putin"
    assert ids(results)[0] == "trump"


def test_no_suggestion_is_a_non_word_or_unknown_to_the_index(engine):
    results = engine.search("covid")
    assert results.suggestion is None and results.total == 0


def test_a_query_that_matches_well_gets_no_suggestion(engine):
    for query in ("Viet nam", "ha noi", "Việt Nam", "bong da -Campuchia"):
        assert engine.search(query).suggestion is None, query


def test_exclusions_keep_their_word_in_a_suggestion(engine):
    results = engine.search("kinh tees -viet")
    if results.suggestion:
        assert results.suggestion.endswith("-viet")


def test_the_rarest_word_decides(engine):
    # A long run of common words matching in order about Iraq must not
    # beat the one word that says where: Syria.
    assert ids(engine.search("máy bay không người lái tấn công căn cứ quân sự ở Syria"))[0] == "drone-syria"
    assert ids(engine.search("may bay khong nguoi lai tan cong can cu quan su o Syria"))[0] == "drone-syria"


def test_known_words_stay_as_typed_unless_a_reading_is_far_more_common():
    from vn_search.reading import decode_keystrokes

    counts = {"taxi": 900, "thể": 50_000, "there": 4, "boong": 20, "bông": 3000, "tàu": 4000,
              "ucs": 11, "úc": 700, "visa": 400, "vía": 30, "vieejt": 0, "việt": 20_000, "nam": 30_000}
    frequency = lambda word: counts.get(word, 0)  # noqa: E731
    assert decode_keystrokes("taxi", frequency) is None  # the articles say taxi
    assert decode_keystrokes("visa", frequency) is None
    assert decode_keystrokes("boong tafu", frequency) == "boong tàu"  # a syllable the articles use
    assert decode_keystrokes("Ucs", frequency) == "Úc"  # noise in the corpus, the reading 60 times as common
    assert decode_keystrokes("vieejt nam", frequency) == "việt nam"


def test_the_api_and_the_page_say_what_was_searched(engine):
    from vn_search.web import create_app

    client = create_app(engine=engine, TESTING=True).test_client()
    data = client.get("/api/search?q=vieejt+nam").get_json()
    assert data["searched"] == "việt nam" and data["suggestion"] == "việt nam"
    assert "Đang hiển thị kết quả cho «việt nam»." in data["notices"]
    literal = client.get("/api/search?q=vieejt+nam&as_typed=1").get_json()
    assert literal["searched"] is None
    bad = client.get("/api/search?q=vieejt+nam&as_typed=maybe")
    assert bad.status_code == 400 and "as_typed" in bad.get_json()["error"]
    page = client.get("/search?q=vieejt+nam").get_data(as_text=True)
    assert "Đang hiển thị kết quả cho «việt nam»." in page
    assert "as_typed=1" in page and "vieejt nam</a>" in page
