"""More like this (issue 14 item 5): the articles on the same subject as an
article, from its own words; on the article page and in the document API."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from vn_search import SearchEngine
from vn_search.similar import distinctive_words
from vn_search.web import create_app

PROTEST = "Phe đối lập Campuchia lại biểu tình phản đối chính phủ"
ARTICLES = [
    {"id": "cam-tuoitre", "title": PROTEST, "source": "Tuổi Trẻ", "published": "2013-10-23T08:00:00+07:00",
     "summary": "Hàng nghìn người ủng hộ đảng đối lập Campuchia lại xuống đường biểu tình ở thủ đô Phnom Penh.",
     "body": "Đảng Cứu quốc Campuchia (CNRP) tuyên bố cuộc biểu tình sẽ kéo dài ba ngày để phản đối kết quả bầu cử.\n"
             "Thủ tướng Hun Sen kêu gọi phe đối lập đối thoại.",
     "related": [{"title": "Campuchia: phe đối lập tẩy chay quốc hội", "url": "https://tuoitre.vn/tay-chay.htm"}]},
    # The same article republished by another site: a copy, not another view.
    {"id": "cam-copy", "title": PROTEST, "source": "Báo Mới", "published": "2013-10-23T09:00:00+07:00",
     "summary": "Hàng nghìn người ủng hộ đảng đối lập Campuchia lại xuống đường biểu tình ở thủ đô Phnom Penh.",
     "body": "Đảng Cứu quốc Campuchia (CNRP) tuyên bố cuộc biểu tình sẽ kéo dài ba ngày."},
    {"id": "cam-vov", "title": "Hàng nghìn người biểu tình ở Phnom Penh đòi điều tra bầu cử", "source": "VOV",
     "published": "2013-10-23T15:00:00+07:00",
     "summary": "Những người biểu tình ủng hộ đảng CNRP tuần hành qua các tuyến phố chính của Phnom Penh.",
     "body": "Lãnh đạo phe đối lập Sam Rainsy yêu cầu điều tra độc lập về bầu cử.\nCảnh sát Campuchia dựng rào chắn."},
    {"id": "cam-mtg", "title": "Ông Hun Sen: Campuchia sẽ không để biểu tình gây bất ổn", "source": "Một Thế Giới",
     "published": "2013-10-24T07:00:00+07:00",
     "summary": "Thủ tướng Campuchia Hun Sen cảnh báo phe đối lập về các cuộc biểu tình kéo dài.",
     "body": "Ông Hun Sen nói chính phủ sẵn sàng đối thoại với đảng CNRP.\nPhnom Penh tăng cường an ninh."},
    {"id": "vang-1", "title": "Giá vàng hôm nay tăng mạnh", "source": "VnExpress", "published": "2017-06-20",
     "summary": "Giá vàng SJC sáng nay tăng 200.000 đồng mỗi lượng so với hôm qua.",
     "body": "Thị trường vàng trong nước biến động theo giá thế giới.\nNhiều người dân xếp hàng mua vàng."},
    {"id": "vang-2", "title": "Giá vàng SJC vượt mốc 37 triệu đồng mỗi lượng", "source": "Tuổi Trẻ",
     "published": "2017-06-21",
     "summary": "Giá vàng SJC tiếp tục tăng, chênh lệch với giá vàng thế giới thu hẹp.",
     "body": "Các doanh nghiệp kinh doanh vàng điều chỉnh giá mua vào, bán ra."},
    {"id": "bao-1", "title": "Bão số 3 đổ bộ Quảng Ninh, gió giật cấp 12", "source": "VnExpress",
     "published": "2017-07-17",
     "summary": "Bão số 3 đổ bộ vào đất liền Quảng Ninh, gây mưa rất to, nhiều cây xanh gãy đổ.",
     "body": "Ban chỉ huy phòng chống thiên tai tỉnh Quảng Ninh yêu cầu tàu thuyền vào nơi tránh trú."},
    {"id": "lua-1", "title": "Nông dân đồng bằng sông Cửu Long trúng mùa lúa", "source": "Nông Nghiệp",
     "published": "2017-04-02",
     "summary": "Năng suất lúa vụ đông xuân đạt cao, giá lúa ổn định.",
     "body": "Nhiều hợp tác xã ký hợp đồng bao tiêu lúa cho nông dân."},
]

# Everyday news on other subjects, written with the words all news uses
# (nhiều, người, giá, lại, ở, tăng, đường …): what tells a subject's words
# from common ones is how few articles hold them.
OTHER_NEWS = [
    ("Hà Nội lại ùn tắc nhiều tuyến đường giờ cao điểm", "Nhiều người dân mất hàng giờ trên đường đi làm."),
    ("Giá xăng tăng lần thứ ba liên tiếp", "Giá xăng RON 95 tăng thêm 300 đồng mỗi lít từ chiều nay."),
    ("Đà Nẵng đón hàng nghìn du khách dịp lễ", "Nhiều khách sạn ở Đà Nẵng kín phòng, giá phòng tăng."),
    ("Học sinh cả nước bước vào kỳ thi tốt nghiệp", "Hàng nghìn thí sinh ở Hà Nội làm bài thi môn Ngữ văn."),
    ("Giá thịt lợn giảm mạnh, người chăn nuôi lo lắng", "Nhiều hộ chăn nuôi ở Đồng Nai bán lợn dưới giá thành."),
    ("Chính phủ họp phiên thường kỳ tháng 6", "Chính phủ thảo luận tình hình kinh tế - xã hội sáu tháng đầu năm."),
    ("Đội tuyển Việt Nam thắng đậm trên sân nhà", "Hàng nghìn cổ động viên xuống đường ăn mừng chiến thắng."),
    ("Bệnh viện Bạch Mai quá tải, nhiều người bệnh nằm ghép", "Lãnh đạo bệnh viện cho biết số người bệnh tăng cao."),
    ("Xuất khẩu cà phê tăng nhờ giá thế giới phục hồi", "Nhiều doanh nghiệp ở Tây Nguyên ký thêm đơn hàng mới."),
    ("TP.HCM mở thêm tuyến xe buýt điện", "Tuyến xe buýt mới chạy qua nhiều tuyến đường trung tâm."),
    ("Cháy nhà xưởng ở Bình Dương, hàng trăm công nhân thoát nạn", "Lửa bùng lên lúc rạng sáng, thiêu rụi nhiều máy móc."),
    ("Người dân miền Tây lại lo hạn mặn", "Nước mặn xâm nhập sâu, nhiều vườn cây ăn trái bị ảnh hưởng."),
]
FILLER = [{"id": f"khac-{number:02d}", "title": title, "summary": lead, "source": "VnExpress",
           "published": f"2017-05-{number:02d}", "body": "Phóng viên sẽ tiếp tục cập nhật thông tin."}
          for number, (title, lead) in enumerate(OTHER_NEWS, start=1)]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("similar")
    jsonl = work / "news.jsonl"
    jsonl.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in ARTICLES + FILLER) + "\n",
                     encoding="utf-8")
    SearchEngine(work / "index").index([jsonl], rebuild=True, progress=False)
    return work / "index"


@pytest.fixture(scope="module")
def engine(index_dir) -> SearchEngine:
    return SearchEngine(index_dir)


def test_articles_on_the_same_story_come_first(engine):
    ids = [hit.id for hit in engine.similar("cam-tuoitre")]
    assert set(ids[:2]) == {"cam-vov", "cam-mtg"}
    assert "cam-tuoitre" not in ids  # never itself
    assert "cam-copy" not in ids  # nor the same article republished
    assert not {"vang-1", "vang-2", "bao-1", "lua-1"} & set(ids)  # nor what merely shares a common word
    hit = engine.similar("cam-tuoitre")[0]
    assert hit.source in {"VOV", "Một Thế Giới"} and hit.published and hit.kind == "article"


def test_related_teasers_are_not_offered(engine):
    related = [hit.id for hit in engine.search("tẩy chay quốc hội", kind="related").hits]
    assert related
    assert not set(related) & {hit.id for hit in engine.similar("cam-vov", limit=10)}


def test_each_subject_finds_its_own(engine):
    assert [hit.id for hit in engine.similar("vang-1")] == ["vang-2"]
    assert engine.similar("lua-1") == []  # nothing else is about rice: no list rather than a poor one


def test_distinctive_words_are_the_articles_own():
    counts = {"campuchia": 4, "biểu_tình": 4, "phnom_penh": 3, "đối_lập": 3, "hun_sen": 2, "người": 90, "ở": 95}
    words = [word for word, _ in distinctive_words(ARTICLES[0] | {"headline": PROTEST, "content": {
        "summary": ARTICLES[0]["summary"], "paragraphs": ARTICLES[0]["body"].split("\n")}},
        lambda word: counts.get(word, 1), documents=100)]
    assert {"campuchia", "biểu_tình", "đối_lập"} <= set(words[:4])  # in the headline, and in the lead
    assert "người" not in words and "ở" not in words  # in most articles: no subject


def test_unknown_ids_and_bad_limits(engine):
    assert engine.similar("no-such-article") == []
    assert len(engine.similar("cam-tuoitre", limit=1)) == 1
    for bad in (0, 101, "5", True):
        with pytest.raises(ValueError, match="limit"):
            engine.similar("cam-tuoitre", limit=bad)


# -- web ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(index_dir, TESTING=True).test_client()


def test_article_page_lists_more_like_this(client):
    html = client.get("/doc/cam-tuoitre", query_string={"back": "q=campuchia+bieu+tinh"}).get_data(as_text=True)
    section = re.search(r'<aside class="related related--similar".*?</aside>', html, re.S)
    assert section, "no 'more like this' on the article page"
    assert "Bài cùng chủ đề" in section.group(0)
    links = [unescape(href) for href in re.findall(r'<a href="([^"]+)"', section.group(0))]
    assert links[0].split("?")[0] in {"/doc/cam-vov", "/doc/cam-mtg"}
    assert all("back=q%3Dcampuchia%2Bbieu%2Btinh" in link for link in links)  # the way back stays


def test_document_api_lists_similar_articles(client):
    data = client.get("/api/doc/cam-tuoitre").json
    assert {item["id"] for item in data["similar"][:2]} == {"cam-vov", "cam-mtg"}
    assert set(data["similar"][0]) == {"id", "title", "source", "published", "url", "score"}
    assert client.get("/api/doc/lua-1").json["similar"] == []
