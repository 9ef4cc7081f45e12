"""Small, real indexes for the web tests (test_web.py, test_browser.py).

``build_news_index`` indexes the bundled sample page plus a JSONL file of
made-up but realistic Vietnamese news, so the pages have everything a
results page can show: sources, categories, dates, original links, related
items, more than one page of hits for ``luan chuyen can bo``, and a few
hostile records (markup in a headline, a ``javascript:`` link, an id that
needs URL escaping).

``build_dated_index`` holds stories about one storm published 2 hours,
3 days, 20 days, 200 days and 3 years before now (and one undated), with
off-topic stories from the same days, for the date filter.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import vn_search
from vn_search import SearchEngine
from vn_search.dates import VIETNAM

SAMPLE_ARTICLE_ID = "bac-ha-luan-chuyen-can-bo"
SAMPLE_HEADLINE = "Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà"

# An id with a space, a slash, "?", "#", "%" and Vietnamese letters.
ESCAPED_ID = "lao-cai/2025 tin #1?số=50%"
ESCAPED_TITLE = "Lào Cai sắp xếp đội ngũ cán bộ xã sau sáp nhập"
HOSTILE_ID = "canh-bao-gia-mao"
HOSTILE_TITLE = 'Cảnh báo trang <script>alert("x")</script> giả mạo cán bộ thuế'
JS_LINK_ID = "link-javascript"
DATED_ID = "ha-noi-dao-tao-can-bo-tre"
DATED_TITLE = "Hà Nội đào tạo 500 cán bộ trẻ về chuyển đổi số"
DATED_URL = "https://www.hanoimoi.vn/ha-noi-dao-tao-can-bo-tre.html"

_SOURCES = ["Báo Lào Cai", "Hà Nội Mới", "Báo Nhân Dân"]
_CATEGORIES = ["Chính trị", "Xã hội", "Kinh tế"]

_STORIES = [
    ("Luân chuyển cán bộ trẻ về cơ sở: rèn luyện trong thực tiễn",
     "Nhiều cán bộ trẻ được luân chuyển về xã vùng cao để rèn luyện, tích lũy kinh nghiệm lãnh đạo."),
    ("Tỉnh Yên Bái luân chuyển 40 cán bộ lãnh đạo cấp huyện",
     "Ban Thường vụ Tỉnh ủy quyết định luân chuyển, điều động 40 cán bộ diện tỉnh quản lý."),
    ("Đổi mới công tác đánh giá cán bộ theo kết quả công việc",
     "Việc đánh giá cán bộ dựa trên sản phẩm cụ thể giúp khắc phục tình trạng nể nang."),
    ("Cán bộ luân chuyển góp sức xây dựng nông thôn mới ở Si Ma Cai",
     "Sau hai năm luân chuyển, nhiều xã đạt thêm tiêu chí nông thôn mới."),
    ("Quy hoạch cán bộ nguồn nhiệm kỳ 2025 - 2030",
     "Công tác quy hoạch cán bộ được thực hiện công khai, dân chủ, đúng quy trình."),
    ("Bát Xát: cán bộ bám bản giúp dân phát triển kinh tế",
     "Những cán bộ được tăng cường về thôn bản đã cùng người dân trồng cây ăn quả, dược liệu."),
    ("Nâng cao chất lượng đội ngũ cán bộ, công chức cấp xã",
     "Đội ngũ cán bộ, công chức cấp xã được bồi dưỡng kiến thức quản lý nhà nước."),
    ("Luân chuyển cán bộ: tránh tư tưởng 'đi cho có'",
     "Luân chuyển cán bộ chỉ hiệu quả khi người được luân chuyển thực sự dấn thân."),
    ("Sa Pa tiếp nhận cán bộ tăng cường cho các xã đặc biệt khó khăn",
     "Các cán bộ tăng cường được giao phụ trách những lĩnh vực còn yếu."),
    ("Kiểm tra việc thực hiện quy định về luân chuyển cán bộ",
     "Đoàn kiểm tra đánh giá cao kết quả luân chuyển, điều động cán bộ trong nhiệm kỳ."),
    ("Bảo Thắng: cán bộ luân chuyển được nhân dân tin tưởng",
     "Nhiều cán bộ luân chuyển đã được bầu giữ chức vụ chủ chốt của xã."),
    ("Hội nghị tổng kết công tác tổ chức xây dựng Đảng năm 2024",
     "Hội nghị đánh giá kết quả công tác cán bộ, luân chuyển và bổ nhiệm trong năm."),
]


def news_records() -> list[dict]:
    """The JSONL records, newest last."""
    records = []
    for number, (title, summary) in enumerate(_STORIES, start=1):
        records.append(
            {
                "id": f"tin-{number:02d}",
                "title": title,
                "summary": summary,
                "body": (
                    "Theo Ban Tổ chức Tỉnh ủy, công tác cán bộ năm nay tiếp tục được "
                    "đổi mới, gắn với luân chuyển và đào tạo tại chỗ.\n"
                    "Người dân đánh giá cao sự gần gũi của cán bộ với cơ sở."
                ),
                "url": f"https://baolaocai.vn/tin-{number:02d}.html",
                "published": f"2025-03-{number:02d}T08:30:00+07:00",
                "source": _SOURCES[number % len(_SOURCES)],
                "category": _CATEGORIES[number % len(_CATEGORIES)],
            }
        )
    records.append(
        {
            "id": DATED_ID,
            "title": DATED_TITLE,
            "summary": "Thành phố mở lớp bồi dưỡng kỹ năng số cho cán bộ trẻ các quận, huyện.",
            "body": "Khóa học kéo dài ba tháng.\nHọc viên được thực hành trên hệ thống dịch vụ công.",
            "url": DATED_URL,
            # 06:00 in Hà Nội on 2 April is still 1 April in UTC.
            "published": "2025-04-02T06:00:00+07:00",
            "source": "Hà Nội Mới",
            "category": "Xã hội",
            "related": [
                {"title": "Chuyển đổi số trong cơ quan nhà nước: bắt đầu từ con người",
                 "summary": "Con người là yếu tố quyết định thành công của chuyển đổi số.",
                 "url": "https://www.hanoimoi.vn/chuyen-doi-so.html"},
            ],
        }
    )
    records.append(
        {
            "id": ESCAPED_ID,
            "title": ESCAPED_TITLE,
            "summary": "Sau sáp nhập, tỉnh rà soát, bố trí lại đội ngũ cán bộ cấp xã.",
            "body": "Việc sắp xếp bảo đảm đúng người, đúng việc.",
            "url": "https://baolaocai.vn/sap-xep-can-bo.html",
            "published": "2025-02-10",
            "source": "Báo Lào Cai",
            "category": "Chính trị",
        }
    )
    records.append(
        {
            "id": HOSTILE_ID,
            "title": HOSTILE_TITLE,
            "summary": 'Kẻ gian mạo danh cán bộ thuế gửi đường link <img src=x onerror=alert(1)> để lừa đảo.',
            "body": "Người dân không bấm vào đường link lạ.",
            "url": "https://baolaocai.vn/canh-bao.html",
            "published": "2025-01-15T10:00:00+07:00",
            "source": "Báo Nhân Dân",
            "category": "Xã hội",
        }
    )
    records.append(
        {
            "id": JS_LINK_ID,
            "title": "Mẹo nhận biết tin nhắn giả danh ngân hàng",
            "summary": "Tin nhắn lừa đảo thường chứa đường link rút gọn.",
            "body": "Hãy gọi tổng đài chính thức của ngân hàng để xác minh.",
            "url": "javascript:alert(document.cookie)",
            "published": "2025-01-20T09:00:00+07:00",
            "source": "Báo Nhân Dân",
            "category": "Kinh tế",
        }
    )
    return records


def write_news_jsonl(path: Path) -> Path:
    path.write_text(
        "\n".join(json.dumps(record, ensure_ascii=False) for record in news_records()) + "\n",
        encoding="utf-8",
    )
    return path


def build_sample_index(index_dir: Path) -> Path:
    """Only the bundled sample page: 1 article and 5 related items."""
    SearchEngine(index_dir).index([vn_search.sample_path()], rebuild=True, progress=False)
    return index_dir


def build_news_index(work_dir: Path) -> Path:
    """The sample page plus ``news_records()``; returns the index folder."""
    work_dir.mkdir(parents=True, exist_ok=True)
    jsonl = write_news_jsonl(work_dir / "news.jsonl")
    index_dir = work_dir / "index"
    SearchEngine(index_dir).index([vn_search.sample_path(), jsonl], rebuild=True, progress=False)
    return index_dir


# -- a corpus dated relative to now, for the date filter ---------------------

TOPIC_QUERY = "bão số 3 đổ bộ Quảng Ninh"
# Published at 23:30 in Hà Nội on 6 February 2017 (16:30 UTC): inside
# to=2017-02-06, outside from=2017-02-07.
LATE_NIGHT_ID = "bao-so-3-hop-khan-dem-2017"
EARLY_MORNING_ID = "bao-so-3-sang-som-2017"
UNDATED_TOPIC_ID = "bao-so-3-kinh-nghiem"

# (id, age, headline, lead): on-topic stories about storm no. 3; age None is
# undated. The ages cover every quick choice: 24 h, a week, a month, a year.
_STORM_STORIES = [
    ("bao-so-3-2-gio", timedelta(hours=2),
     "Bão số 3 đổ bộ Quảng Ninh, gió giật cấp 12",
     "Chiều nay, bão số 3 đã đổ bộ vào đất liền Quảng Ninh, gây mưa rất to và làm nhiều cây xanh gãy đổ."),
    ("bao-so-3-3-ngay", timedelta(days=3),
     "Quảng Ninh sơ tán hơn 10.000 dân trước khi bão số 3 đổ bộ",
     "Tỉnh Quảng Ninh cấm biển, di dời người dân ở vùng trũng thấp trước khi bão số 3 đổ bộ."),
    ("bao-so-3-20-ngay", timedelta(days=20),
     "Quảng Ninh khắc phục hậu quả sau khi bão số 3 đổ bộ",
     "Ba tuần sau khi bão số 3 đổ bộ, Quảng Ninh đã khôi phục điện, nước cho hầu hết các xã."),
    ("bao-so-3-200-ngay", timedelta(days=200),
     "Quảng Ninh trồng lại rừng phòng hộ sau khi bão số 3 đổ bộ",
     "Hàng nghìn ha rừng phòng hộ bị bão số 3 quật đổ khi đổ bộ vào Quảng Ninh đang được trồng lại."),
    ("bao-so-3-3-nam", timedelta(days=3 * 365),
     "Bão số 3 đổ bộ Quảng Ninh: bài học phòng chống thiên tai",
     "Bão số 3 đổ bộ Quảng Ninh năm ấy để lại nhiều bài học về sơ tán dân và neo đậu tàu thuyền."),
    (UNDATED_TOPIC_ID, None,
     "Những điều cần biết khi bão số 3 đổ bộ Quảng Ninh",
     "Người dân Quảng Ninh cần chằng chống nhà cửa, dự trữ lương thực trước khi bão số 3 đổ bộ."),
]

# Off-topic stories from the same days: a date filter alone must not let
# them in.
_OTHER_STORIES = [
    ("gia-vang-2-gio", timedelta(hours=2), "Giá vàng hôm nay tăng mạnh",
     "Giá vàng SJC sáng nay tăng 200.000 đồng mỗi lượng so với hôm qua."),
    ("xe-buyt-dien-3-ngay", timedelta(days=3), "Hà Nội khai trương thêm tuyến xe buýt điện",
     "Tuyến xe buýt điện mới nối trung tâm thành phố với sân bay Nội Bài."),
    ("chuyen-doi-so-20-ngay", timedelta(days=20), "Thủ tướng chủ trì hội nghị về chuyển đổi số quốc gia",
     "Hội nghị đặt mục tiêu đưa kinh tế số chiếm 20% GDP vào năm 2025."),
    ("xuat-khau-gao-200-ngay", timedelta(days=200), "Xuất khẩu gạo đạt kỷ lục trong quý I",
     "Việt Nam xuất khẩu hơn 2 triệu tấn gạo, giá bình quân cao nhất trong nhiều năm."),
    ("bong-da-3-nam", timedelta(days=3 * 365), "Đội tuyển Việt Nam thắng Thái Lan 2-0",
     "Hai bàn thắng trong hiệp hai giúp đội tuyển Việt Nam giành ngôi đầu bảng."),
    ("meo-rau-tuoi", None, "Mẹo giữ rau tươi lâu trong tủ lạnh",
     "Bọc rau bằng khăn giấy khô giúp rau giữ được độ tươi lâu hơn."),
]

_FIXED_STORIES = [
    (LATE_NIGHT_ID, "2017-02-06T23:30:00+07:00",
     "Quảng Ninh họp khẩn trong đêm, sẵn sàng ứng phó bão số 3 đổ bộ",
     "Ban Chỉ huy phòng chống thiên tai tỉnh Quảng Ninh họp khẩn lúc 23 giờ, trước khi bão số 3 đổ bộ."),
    (EARLY_MORNING_ID, "2017-02-07T00:10:00+07:00",
     "Rạng sáng, bão số 3 đổ bộ Quảng Ninh với sức gió cấp 10",
     "Bão số 3 đổ bộ vào Quảng Ninh lúc nửa đêm, nhiều tàu thuyền đã vào nơi tránh trú an toàn."),
    ("gia-xang-2017", "2017-02-06T22:00:00+07:00", "Giá xăng giảm nhẹ từ 15 giờ chiều nay",
     "Liên bộ Công Thương – Tài chính điều chỉnh giá xăng giảm 300 đồng mỗi lít."),
]


def dated_records(now: datetime | None = None) -> list[dict]:
    """Storm stories and off-topic ones, dated ``now`` minus their age (in
    Vietnam time, as a Vietnamese site writes them), plus fixed 2017 dates."""
    now = (now or datetime.now(timezone.utc)).astimezone(VIETNAM)
    records = []
    for number, (doc_id, age, title, lead) in enumerate(_STORM_STORIES + _OTHER_STORIES):
        published = None if age is None else (now - age).isoformat(timespec="seconds")
        records.append(_dated_record(doc_id, published, title, lead, number))
    for number, (doc_id, published, title, lead) in enumerate(_FIXED_STORIES):
        records.append(_dated_record(doc_id, published, title, lead, number))
    return records


def _dated_record(doc_id: str, published: str | None, title: str, lead: str, number: int) -> dict:
    record = {
        "id": doc_id,
        "title": title,
        "summary": lead,
        "body": "Theo phóng viên tại chỗ, chính quyền các địa phương đã chủ động từ sớm.\n"
                "Phóng viên sẽ tiếp tục cập nhật thông tin.",
        "url": f"https://baoquangninh.vn/{doc_id}.html",
        "source": ["Báo Quảng Ninh", "VnExpress", "Tuổi Trẻ"][number % 3],
        "category": "Thời sự",
    }
    if published:
        record["published"] = published
    return record


def build_dated_index(work_dir: Path, now: datetime | None = None) -> Path:
    """``dated_records(now)`` alone; returns the index folder."""
    work_dir.mkdir(parents=True, exist_ok=True)
    jsonl = work_dir / "dated.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps(record, ensure_ascii=False) for record in dated_records(now)) + "\n",
        encoding="utf-8",
    )
    index_dir = work_dir / "index"
    SearchEngine(index_dir).index([jsonl], rebuild=True, progress=False)
    return index_dir


# Issue 13: articles that readers reach by typing keystrokes, abbreviations,
# aliases and typos (tests/test_reader_queries.py, the browser test).
READER_ARTICLES = [
    {"id": "vn-doi-tuyen", "title": "Đội tuyển Việt Nam thắng đậm Campuchia",
     "body": "Đội tuyển Việt Nam đã có chiến thắng thuyết phục trên sân Mỹ Đình. HLV Park Hang-seo hài lòng."},
    {"id": "vn-kinh-te", "title": "Kinh tế Việt Nam tăng trưởng 6,8%",
     "body": "Tổng cục Thống kê cho biết kinh tế Việt Nam tăng trưởng tốt trong quý III."},
    {"id": "ha-noi", "title": "UBND TP Hà Nội mở rộng phố đi bộ quanh hồ Hoàn Kiếm",
     "body": "UBND TP Hà Nội vừa quyết định mở rộng không gian đi bộ."},
    {"id": "hdnd-ha-noi", "title": "Hội đồng nhân dân Hà Nội họp bất thường",
     "body": "Hội đồng nhân dân thành phố Hà Nội thông qua nghị quyết về nhân sự."},
    {"id": "tphcm-dots", "title": "TP.HCM cấm xe tải vào nội đô giờ cao điểm",
     "body": "Sở Giao thông vận tải TP.HCM vừa ban hành quy định mới."},
    {"id": "tphcm-full", "title": "Thành phố Hồ Chí Minh chống ngập ở quận 7",
     "body": "Thành phố Hồ Chí Minh đầu tư hàng nghìn tỷ đồng chống ngập."},
    {"id": "tphcm-joined", "title": "TPHCM khánh thành cầu vượt thép",
     "body": "Cầu vượt thép mới giúp giảm ùn tắc ở cửa ngõ phía Tây TPHCM."},
    {"id": "sai-gon", "title": "Sài Gòn mưa lớn, nhiều tuyến đường ngập sâu",
     "body": "Cơn mưa chiều qua khiến nhiều tuyến đường ở Sài Gòn ngập sâu."},
    {"id": "csgt-abbr", "title": "CSGT xử phạt hàng trăm xe quá tải",
     "body": "Lực lượng CSGT đã lập biên bản hàng trăm trường hợp vi phạm."},
    {"id": "csgt-full", "title": "Cảnh sát giao thông tuần tra cao tốc dịp Tết",
     "body": "Cảnh sát giao thông tăng cường tuần tra trên các tuyến cao tốc."},
    {"id": "dien-thoai", "title": "Điện thoại gập trở lại thị trường",
     "body": "Các hãng điện thoại tung ra nhiều mẫu máy gập mới."},
    {"id": "dt-bong-da", "title": "ĐT Việt Nam chốt danh sách dự AFF Cup",
     "body": "HLV chốt danh sách ĐT Việt Nam với nhiều gương mặt trẻ cho giải bóng đá khu vực."},
    {"id": "trump", "title": "Tổng thống Trump gặp ông Putin ở Helsinki",
     "body": "Donald Trump và Vladimir Putin hội đàm tại Phần Lan."},
    {"id": "trung-quoc", "title": "Trung Quốc tăng thuế hàng nhập khẩu",
     "body": "Trung Quốc công bố biểu thuế mới với hàng hóa nhập khẩu."},
    {"id": "samsung", "title": "Samsung ra mắt Galaxy mới, cạnh tranh iPhone",
     "body": "Samsung và Apple cạnh tranh gay gắt trên thị trường điện thoại. Google cũng tham gia."},
    {"id": "messi", "title": "Messi lập cú đúp giúp Barcelona thắng",
     "body": "Messi ghi hai bàn. Tin tức (news) bóng đá châu Âu cập nhật liên tục."},
    {"id": "moscow", "title": "Moscow đón đợt tuyết đầu mùa",
     "body": "Thủ đô Moscow của Nga chìm trong tuyết. Người dùng Windows và Facebook chia sẻ ảnh."},
    {"id": "kim", "title": "Kim Jong-un thăm nhà máy",
     "body": "Nhà lãnh đạo Kim Jong-un thị sát một nhà máy ở Bình Nhưỡng."},
    {"id": "drone-syria", "title": "Máy bay không người lái tấn công căn cứ ở Syria",
     "body": "Một máy bay không người lái đã tấn công căn cứ quân sự ở Syria sáng nay."},
    {"id": "drone-iraq", "title": "Máy bay không người lái tấn công căn cứ quân sự ở Iraq khiến nhiều người thương vong",
     "body": "Máy bay không người lái tấn công căn cứ quân sự tại Iraq, nhiều người thương vong."},
    {"id": "nhnn", "title": "Ngân hàng Nhà nước (NHNN) giữ nguyên lãi suất điều hành",
     "body": "Ngân hàng Nhà nước (NHNN) cho biết sẽ giữ ổn định tỷ giá. NHNN cũng yêu cầu các ngân hàng giảm chi phí."},
    {"id": "nhnn-2", "title": "NHNN bơm tiền qua thị trường mở",
     "body": "Ngân hàng Nhà nước (NHNN) tiếp tục bơm ròng qua kênh thị trường mở."},
    {"id": "bqlda-1", "title": "Ban quản lý dự án (BQLDA) chậm giải ngân vốn",
     "body": "Ban quản lý dự án (BQLDA) giao thông tỉnh bị nhắc nhở vì chậm tiến độ."},
    {"id": "bqlda-2", "title": "BQLDA đường vành đai bàn giao mặt bằng",
     "body": "Theo Ban quản lý dự án (BQLDA), mặt bằng đã bàn giao 90%."},
    {"id": "bqlda-3", "title": "Thanh tra BQLDA nông thôn mới",
     "body": "Đoàn thanh tra làm việc với Ban quản lý dự án (BQLDA) nông thôn mới của huyện."},
    {"id": "ban-quan-ly", "title": "Ban quản lý dự án cầu Thủ Thiêm 4 được thành lập",
     "body": "Thành phố vừa thành lập ban quản lý dự án mới cho công trình cầu."},
    {"id": "nhnn-3", "title": "NHNN siết tín dụng bất động sản",
     "body": "Theo Ngân hàng Nhà nước (NHNN), dư nợ bất động sản tăng nhanh."},
]


def build_reader_index(work_dir: Path) -> Path:
    index_dir = work_dir / "reader-index"
    path = work_dir / "reader.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in READER_ARTICLES) + "\n", encoding="utf-8")
    SearchEngine(index_dir).index([path], rebuild=True, progress=False)
    return index_dir
