"""What joins a query's result set beyond its words (issue 12): another
report of the same event as one of the best results, worded otherwise; and
a word typed with accents the articles never give it (``Triều Tiền``)."""

import numpy as np
import pytest
from conftest import write_jsonl

from vn_search import SearchEngine
from vn_search.stories import StoryMap

ARTICLES = [
    {"id": "vamc-1", "title": "Nợ xấu phát sinh tăng, VAMC đẩy nhanh việc mua nợ",
     "body": "Ngân hàng Nhà nước cho biết nợ xấu phát sinh trong quý III tăng mạnh. Công ty Quản lý tài sản "
             "VAMC đã mua 8.700 tỷ đồng nợ xấu gốc từ 8 tổ chức tín dụng; Agribank và Vietinbank bán nhiều nhất.",
     "published": "2013-10-20T08:00:00+07:00"},
    # The same event the next day, without "phát sinh".
    {"id": "vamc-2", "title": "VAMC đã mua 8.700 tỷ đồng nợ xấu gốc",
     "body": "Công ty Quản lý tài sản VAMC cho biết đã mua 8.700 tỷ đồng nợ xấu gốc từ 8 tổ chức tín dụng; "
             "Agribank và Vietinbank là hai ngân hàng bán nhiều nhất.",
     "published": "2013-10-21T09:00:00+07:00"},
    # The same words months earlier: another event.
    {"id": "vamc-cu", "title": "VAMC mua nợ xấu đầu tiên của Agribank",
     "body": "VAMC mua 8.700 tỷ đồng nợ xấu gốc của 8 tổ chức tín dụng, trong đó có Agribank và Vietinbank.",
     "published": "2013-06-01T08:00:00+07:00"},
    # The same event, next to nothing of the query.
    {"id": "tin-dung", "title": "Tám tổ chức tín dụng bán nợ cho công ty quản lý tài sản",
     "body": "Agribank, Vietinbank và 6 tổ chức tín dụng khác đã bán 8.700 tỷ đồng nợ gốc cho công ty quản lý "
             "tài sản.",
     "published": "2013-10-21T10:00:00+07:00"},
    {"id": "trieu-tien-1", "title": "Triều Tiên phóng thử tên lửa tầm xa",
     "body": "Bình Nhưỡng vừa phóng thử một tên lửa đạn đạo, Hàn Quốc và Nhật Bản lên án.",
     "published": "2017-07-04T08:00:00+07:00"},
    {"id": "trieu-tien-2", "title": "Hàn Quốc và Triều Tiên nối lại đàm phán quân sự",
     "body": "Hai miền Triều Tiên nhất trí nối lại đàm phán tại làng đình chiến Bàn Môn Điếm.",
     "published": "2018-01-09T08:00:00+07:00"},
    {"id": "tien-luong", "title": "Tiền lương tối thiểu vùng tăng từ năm sau",
     "body": "Tiền lương tối thiểu vùng tăng 6,5%, người lao động nhận thêm tiền.",
     "published": "2017-08-07T08:00:00+07:00"},
    {"id": "cai-noi", "title": "Cái nôi của nền văn minh lúa nước",
     "body": "Đồng bằng sông Hồng được coi là cái nôi của nền văn minh lúa nước.",
     "published": "2017-09-01T08:00:00+07:00"},
    {"id": "gia-vang", "title": "Giá vàng hôm nay tăng mạnh",
     "body": "Giá vàng SJC tăng 200.000 đồng mỗi lượng so với hôm qua.",
     "published": "2017-07-05T08:00:00+07:00"},
    {"id": "bong-da", "title": "Đội tuyển Việt Nam hòa Thái Lan",
     "body": "Trận đấu trên sân Mỹ Đình kết thúc với tỷ số 1-1.",
     "published": "2017-07-06T08:00:00+07:00"},
    {"id": "mua-lon", "title": "Mưa lớn gây ngập nhiều tuyến phố Hà Nội",
     "body": "Trận mưa kéo dài hai giờ khiến nhiều tuyến phố ngập sâu.",
     "published": "2017-07-07T08:00:00+07:00"},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reach")
    engine = SearchEngine(folder / "index")
    engine.index([write_jsonl(folder / "news.jsonl", ARTICLES)], progress=False)
    return engine


def ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


def test_another_report_of_the_best_results_event_joins_the_set(engine):
    results = engine.search("nợ xấu phát sinh VAMC", group=False)
    # vamc-2 lacks "phát sinh" but reports the same event the next day.
    assert ids(results)[0] == "vamc-1" and "vamc-2" in ids(results)
    assert results.total == len(results.hits) == 2
    # The same set whichever the order: newest first, it leads.
    assert ids(engine.search("nợ xấu phát sinh VAMC", sort="date", group=False)) == ["vamc-2", "vamc-1"]


def test_a_related_report_needs_most_of_the_query_and_the_same_days(engine):
    found = ids(engine.search("nợ xấu phát sinh VAMC", group=False))
    assert "tin-dung" not in found  # the same event, but only "nợ" of the query
    assert "vamc-cu" not in found  # the query's words, four months earlier


def test_a_report_the_filters_exclude_stays_out(engine):
    found = ids(engine.search("nợ xấu phát sinh VAMC", group=False, until="2013-10-20"))
    assert found == ["vamc-1"]


def test_a_word_typed_with_accents_the_articles_never_give_it_is_read_without(engine):
    results = engine.search("tên lửa Triều Tiền")
    assert ids(results) == ["trieu-tien-1"]
    assert ("Hầu như không bài nào viết «Triều Tiền» với dấu như vậy; đang tìm không phân biệt dấu."
            in results.notices)
    assert "<mark>Triều Tiên</mark>" in results.hits[0].snippet + results.hits[0].title_html
    assert not engine.search("tên lửa Triều Tiên").notices
    assert "tien-luong" not in ids(engine.search("Triều Tiền"))  # money is "tiền", not the word meant


def test_a_one_syllable_word_keeps_its_accents(engine):
    results = engine.search("cái nôi")
    assert ids(results) == ["cai-noi"] and not results.notices


def test_related_documents_are_listed_both_ways():
    stories = StoryMap(np.arange(6, dtype=np.int64), (np.array([0, 0, 3]), np.array([1, 2, 4])))
    assert stories.related(np.array([1])).tolist() == [0]
    assert stories.related(np.array([0, 4])).tolist() == [1, 2, 3]
    assert stories.related(np.array([5])).tolist() == []


def test_the_accent_model_tells_how_the_articles_write_two_syllables_side_by_side():
    from vn_search.accents import AccentModel

    model = AccentModel()
    model.add_text("Triều Tiên phóng tên lửa. Hàn Quốc và Triều Tiên đàm phán. Tiền lương tăng; TRIỀU TIÊN im lặng.")
    assert model.pair_share("triều", "tiên") == 1.0
    assert model.pair_share("Triều", "tiền") == 0.0  # "tiền" is a word, never after "triều"
    assert model.pair_share("triều", "tiến") == 0.0  # never seen at all
    assert model.pair_share("xe", "đạp") is None  # the articles never put these side by side
