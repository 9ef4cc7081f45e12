"""Generated data shared by the tests and the benchmarks: Vietnamese news
articles for when ../shared/data is absent (or a test wants a few hundred
quickly), and hostile queries for the web front end.

Both are deterministic for a seed, so a benchmark run and a test run see
the same data. This module is not part of the vn_search package (it ships
no test data); the tests import it as ``bench.datagen`` (pytest puts the
repository root on ``sys.path``, see ``pythonpath`` in pyproject.toml).

>>> [article["title"] for article in news_articles(2, seed=6, prefix="tin")]
['Bình Dương luân chuyển 508 cán bộ lãnh đạo về cơ sở', 'Bình Dương tập huấn 291 cán bộ về chuyển đổi số']
>>> sum(raw for _, raw in hostile_queries(50, seed=3))  # one in 25 is bytes that are not UTF-8
2
"""

from __future__ import annotations

import random

# -- a generated but realistic corpus ----------------------------------------

PLACES = [
    "Lào Cai", "Hà Nội", "Đà Nẵng", "Thừa Thiên Huế", "Cần Thơ", "Quảng Ninh", "Nghệ An",
    "Bắc Hà", "Sa Pa", "Phú Yên", "Khánh Hòa", "Đắk Lắk", "Bình Dương", "Hải Phòng",
]
HEADLINES = [
    "{place} tập huấn {n} cán bộ về chuyển đổi số",
    "{place} luân chuyển {n} cán bộ lãnh đạo về cơ sở",
    "{place} khởi công {n} công trình giao thông nông thôn",
    "{place} hỗ trợ {n} hộ nghèo trồng cây ăn quả",
    "{place}: xử phạt {n} trường hợp vi phạm nồng độ cồn",
    "{place} cấp {n} thẻ bảo hiểm y tế cho đồng bào dân tộc thiểu số",
    "Trao {n} suất học bổng cho học sinh vùng cao {place}",
    "{place} phát hiện {n} cơ sở kinh doanh thực phẩm không rõ nguồn gốc",
]
SENTENCES = [
    "Những cán bộ được điều động, luân chuyển về các địa phương luôn chủ động bám nắm địa bàn.",
    "Đây là một trong mười xã nghèo nhất tỉnh, mới đạt bảy trên mười chín tiêu chí nông thôn mới.",
    "Giá vàng SJC sáng nay tăng 200.000 đồng mỗi lượng so với hôm qua.",
    "Thị trường vàng trong nước biến động theo giá thế giới.",
    "Hội nghị bàn về hợp tác, hòa bình và phát triển bền vững ở Đông Nam Á.",
    "Hơn 200 hòa giải viên ở cơ sở được tập huấn kỹ năng.",
    "Các chuyên gia khuyên phụ huynh đưa trẻ đi khám sớm.",
    "Người dân đã chuyển năm héc-ta đất trồng ngô sang trồng cây ăn quả và cây dược liệu.",
    "Theo Ban Tổ chức Tỉnh ủy, công tác cán bộ năm nay tiếp tục được đổi mới.",
    "Người dân đánh giá cao sự gần gũi của cán bộ với cơ sở.",
    "Lực lượng chức năng đã lập biên bản, tạm giữ phương tiện để xử lý theo quy định.",
    "Mưa lớn kéo dài khiến nhiều tuyến đường liên xã bị sạt lở, giao thông bị chia cắt.",
    "Ủy ban nhân dân tỉnh yêu cầu các sở, ngành khẩn trương khắc phục hậu quả.",
    "Nhiều mô hình nông nghiệp hữu cơ gắn với du lịch cộng đồng mở ra hướng mới cho địa phương.",
    "Bệnh viện đã huy động các bác sĩ giỏi hội chẩn, cứu chữa bệnh nhân kịp thời.",
    "Học sinh vùng cao phải vượt hàng chục cây số đường đèo để đến trường.",
    "Tỷ lệ hộ nghèo của xã giảm mạnh nhờ chuyển đổi cơ cấu cây trồng.",
    "Đoàn kiểm tra đánh giá cao kết quả thực hiện nhiệm vụ trong nhiệm kỳ.",
    "Cơ quan công an đang điều tra làm rõ nguyên nhân vụ việc.",
    "Khu du lịch thu hút hàng nghìn lượt khách trong dịp nghỉ lễ.",
]
# "Có thể bạn quan tâm" items: each is listed under many articles.
RELATED_HEADLINES = [
    "Bắc Hà luân chuyển 54 lượt cán bộ",
    "Phòng chống sạt lở đất mùa mưa bão",
    "Giá vàng hôm nay tăng mạnh",
    "Cán bộ hòa giải ở cơ sở được tập huấn",
]


def news_articles(count: int, seed: int, prefix: str) -> list[dict]:
    """``count`` JSONL records with ids ``{prefix}-0001``…; one in eight
    lists a related item."""
    rng = random.Random(seed)
    records = []
    for number in range(1, count + 1):
        place = rng.choice(PLACES)
        title = rng.choice(HEADLINES).format(place=place, n=rng.randint(12, 987))
        paragraphs = rng.sample(SENTENCES, 5)
        record = {
            "id": f"{prefix}-{number:04d}",
            "title": title,
            "summary": paragraphs[0],
            "body": "\n".join(paragraphs[1:]),
            "url": f"https://baolaocai.vn/{prefix}-{number:04d}.html",
            "published": f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T08:00:00+07:00",
            "source": rng.choice(["Báo Lào Cai", "Hà Nội Mới", "Báo Nhân Dân"]),
        }
        if number % 8 == 0:
            record["related"] = [{"title": rng.choice(RELATED_HEADLINES), "summary": rng.choice(SENTENCES)}]
        records.append(record)
    return records


# -- hostile queries -----------------------------------------------------------

WHOOSH_SYNTAX = [
    "title:(", "title:", "body:cán", "a*", "*", "?", "*:*", '"', '""', '"cán bộ', 'cán bộ"', "AND", "OR", "NOT",
    "AND OR NOT", "NOT NOT NOT", "(", ")", "((", "))", "[a TO z]", "{a TO z}", "cán~2", "bộ^3", "\\", "\\\\",
    "-", "--", '-"', '-""', "- -", "+", "&&", "||", "!", ":", "::", "^", "~", "/", "//", "<", ">", "=", "'",
    "hòa -hòa", '"hòa" -"hòa"', "NOT luân", "title:luân AND body:chuyển", "kind:related", "id:*",
]
MARKUP = [
    "<script>alert(1)</script>", '"><svg onload=alert(1)>', "javascript:alert(1)", "{{ 7*7 }}", "{% raw %}",
    "../../etc/passwd", "%00", "' OR 1=1 --", "<mark>cán</mark>", "&lt;b&gt;", "&#x3C;script&#x3E;",
    "</textarea><img src=x onerror=alert(1)>", "\u202e\u2066cán bộ\u2069",
]
VIETNAMESE = ["cán bộ", "luân chuyển", "hòa giải", "giá vàng", "Lào Cai", "học bổng", "ĐẮK LẮK", "hoà", "thuý",
              "nghịêm", "luan chuyen can bo", "sạt lở", "bảo hiểm y tế", "2024", "200.000", "https://baolaocai.vn"]
BIDI_AND_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff\u00ad\u061c"
CODE_POINT_RANGES = [
    (0x00, 0x1F), (0x20, 0x7E), (0x7F, 0x9F), (0xA0, 0x24F), (0x300, 0x36F), (0x590, 0x6FF),
    (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0xE000, 0xE0FF),
    (0xFFF0, 0xFFFF), (0x1F300, 0x1F64F), (0x10FF00, 0x10FFFF),
]
NOT_UTF8 = ["%FF%FE", "%ED%A0%80", "%C0%AF", "%E1%BB", "%", "%%", "%zz", "%00%00", "c%C3%A1n+b%E1%BB", "%F4%90%80%80"]


def random_unicode(rng: random.Random, length: int) -> str:
    chars = []
    for _ in range(length):
        low, high = rng.choice(CODE_POINT_RANGES)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def hostile_queries(count: int, seed: int) -> list[tuple[str, bool]]:
    """``(query, raw)`` pairs; a raw query is already percent-encoded
    (bytes that are not UTF-8 cannot be a Python str)."""
    rng = random.Random(seed)

    def pick(pool, k):
        return " ".join(rng.choice(pool) for _ in range(k))

    # (weight, maker): mostly short, cheap-to-send queries, with a few of
    # every expensive shape (100 KB strings take a while just to URL-encode).
    makers = [
        (12, lambda: random_unicode(rng, rng.randint(1, 60))),
        (2, lambda: random_unicode(rng, rng.randint(200, 3000))),
        (12, lambda: pick(WHOOSH_SYNTAX, rng.randint(1, 12))),
        (12, lambda: pick(WHOOSH_SYNTAX + VIETNAMESE, rng.randint(3, 40))),
        (6, lambda: "".join(rng.choice(WHOOSH_SYNTAX) + rng.choice(VIETNAMESE) for _ in range(rng.randint(1, 20)))),
        (10, lambda: pick(MARKUP + VIETNAMESE, rng.randint(1, 6))),
        (3, lambda: " ".join(f"từ{n}" for n in range(rng.randint(1000, 5000)))),  # thousands of terms
        (3, lambda: " ".join(rng.choice(VIETNAMESE) for _ in range(rng.randint(500, 3000)))),
        (3, lambda: "(" * rng.randint(100, 20000) + rng.choice(VIETNAMESE) + ")" * rng.randint(0, 20000)),
        (3, lambda: '"' * rng.randint(1, 5000) + rng.choice(VIETNAMESE)),
        (3, lambda: "-" * rng.randint(1, 3000) + " NOT" * rng.randint(0, 500)),
        (1, lambda: rng.choice(["a", "đ", "cán bộ ", "<script>"]) * (100_000 // 8)),  # 100 KB and more
        (0.3, lambda: random_unicode(rng, 100_000)),
        (4, lambda: rng.choice(VIETNAMESE) + "\u0301" * rng.randint(10, 5000)),  # stacked tone marks
        (6, lambda: "".join(rng.choice(BIDI_AND_INVISIBLE) + rng.choice(VIETNAMESE) for _ in range(rng.randint(1, 30)))),
        (4, lambda: "".join(chr(rng.randint(0, 31)) for _ in range(rng.randint(1, 200)))),
        (4, lambda: pick(["http://a.vn/" + "x" * 300, "a@b.vn", "1/1/2020", "12.345.678,9", "10:30"], rng.randint(1, 50))),
    ]
    weights = [weight for weight, _ in makers]
    queries = []
    for number in range(count):
        if number % 25 == 0:
            queries.append(("q=" + "".join(rng.choice(NOT_UTF8) for _ in range(rng.randint(1, 8))), True))
        else:
            _, maker = rng.choices(makers, weights)[0]
            queries.append((maker(), False))
    return queries
