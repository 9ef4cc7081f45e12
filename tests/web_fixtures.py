"""Small, real indexes for the web tests (test_web.py, test_browser.py).

``build_news_index`` indexes the bundled sample page plus a JSONL file of
made-up but realistic Vietnamese news, so the pages have everything a
results page can show: sources, categories, dates, original links, related
items, more than one page of hits for ``luan chuyen can bo``, and a few
hostile records (markup in a headline, a ``javascript:`` link, an id that
needs URL escaping).
"""

from __future__ import annotations

import json
from pathlib import Path

import vn_search
from vn_search import SearchEngine

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
