"""A corpus folder where good articles sit among broken files and records.

`vn-search index DIR --json` must index every good article, report every
bad file or line as ``path:line: reason`` and carry on, decode the legacy
encodings Vietnamese pages still arrive in (windows-1258 with combining
tones, UTF-8 that went through Latin-1 once) or refuse them, and never put
mojibake into the index.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from vn_search import SearchEngine
from vn_search.cli import main

# UTF-8 Vietnamese read as Latin-1/cp1252: "Viá»‡t", "Ä‘", "Æ°", "HÃ²a".
MOJIBAKE = re.compile("á[º»]|[ÃÄÆÅ][\u0080-\u00bf\u2013-\u203a\u20ac\u2122\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc]")

GOOD_RECORDS = [
    {"id": "tot-01", "title": "Lào Cai tập huấn cho 120 hòa giải viên cơ sở",
     "summary": "Hơn 120 hòa giải viên ở các xã vùng cao được bồi dưỡng kỹ năng.",
     "body": "Lớp tập huấn do Sở Tư pháp tổ chức.\nNgười dân đánh giá cao sự gần gũi của cán bộ."},
    {"id": "tot-02", "title": "Giá vàng trong nước biến động mạnh đầu tuần",
     "summary": "Giá vàng SJC sáng nay tăng 200.000 đồng mỗi lượng.",
     "body": "Thị trường vàng trong nước biến động theo giá thế giới."},
    {"id": "tot-03", "title": "Mưa lớn gây sạt lở nhiều tuyến đường liên xã ở Bát Xát",
     "summary": "Giao thông nhiều nơi bị chia cắt.", "body": "Lực lượng chức năng đang khắc phục."},
    # Only a summary, no body: still an article.
    {"id": "tot-04", "title": "Khu du lịch Sa Pa đón hàng nghìn lượt khách dịp nghỉ lễ",
     "summary": "Các khách sạn gần như kín phòng."},
]
NFD_RECORD = {
    "id": "tot-nfd",
    "title": unicodedata.normalize("NFD", "Thừa Thiên Huế khởi công tuyến đường ven biển"),
    "summary": unicodedata.normalize("NFD", "Tuyến đường dài 12 ki-lô-mét nối các xã ven biển."),
    "body": unicodedata.normalize("NFD", "Công trình dự kiến hoàn thành trong hai năm."),
}
NUL_ESCAPED_RECORD = {  # a JSON-escaped NUL is text, not binary: removed, not indexed
    "id": "tot-nul-escaped",
    "title": "Đà Nẵng\u0000 cấp thẻ bảo hiểm y tế cho học sinh",
    "body": "Hơn 5.000 học sinh được cấp thẻ.",
}
MOJIBAKE_RECORD = {  # a whole record through Latin-1 once: repaired exactly
    "id": "tot-mojibake",
    "title": "Cần Thơ hỗ trợ hộ nghèo trồng cây ăn quả",
    "summary": "Tỷ lệ hộ nghèo của xã giảm mạnh nhờ chuyển đổi cơ cấu cây trồng.",
    "body": "Người dân đã chuyển đất trồng ngô sang trồng cây ăn quả.",
}


def crawled_page(headline: str, lead: str, body: str) -> str:
    """A page in the shape of shared/seed: navigation, the headline twice,
    the lead, the body, an image placeholder, share labels."""
    return f"Trang chủ Thời sự Xã hội\n{headline}\n\n{headline}\n\n{lead}\n\n3.png\n\n{body}\n\nfb yt zl tw\n"


PAGE = ("trang-dak-lak", "Đắk Lắk trao 300 suất học bổng cho học sinh nghèo vượt khó",
        "Các em học sinh vùng cao phải vượt hàng chục cây số đường đèo để đến trường.",
        "Chương trình do Hội Khuyến học tỉnh phối hợp tổ chức.")
CP1258_PAGE = ("trang-cp1258", "Quảng Ninh hỗ trợ ngư dân khắc phục hậu quả bão số 3",
               "Ủy ban nhân dân tỉnh yêu cầu các sở, ngành khẩn trương khắc phục hậu quả.",
               "Nhiều tàu thuyền bị hư hỏng được sửa chữa miễn phí.")
LATIN1_PAGE = ("trang-latin1", "Nghệ An phát hiện cơ sở kinh doanh thực phẩm không rõ nguồn gốc",
               "Lực lượng chức năng đã lập biên bản, tạm giữ hàng hóa để xử lý theo quy định.",
               "Cơ quan công an đang điều tra làm rõ nguyên nhân vụ việc.")
LOSSY_PAGE = ("trang-mat-byte", "Hải Phòng khởi công cầu mới qua sông Lạch Tray",
              "Người dân mong chờ cây cầu từ nhiều năm nay.",
              "Dự án dự kiến hoàn thành vào cuối năm sau.")

_SHAPES = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn: part of the letter


def windows_1258(text: str) -> bytes:
    """Text as a windows-1258 file: letters with their hat, horn or breve
    precomposed (â ê ô ơ ư ă), tone marks as combining characters."""
    letters: list[str] = []
    for char in unicodedata.normalize("NFD", text):
        if char in _SHAPES:
            base = len(letters) - 1
            while unicodedata.combining(letters[base]):
                base -= 1  # NFD puts a dot below before the hat: ệ = e + ̣ + ̂
            letters[base] = unicodedata.normalize("NFC", letters[base] + char)
        else:
            letters.append(char)
    return "".join(letters).encode("cp1258")


def jsonl_line(record) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode("utf-8")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input") / "corpus"
    folder.mkdir()
    rng = random.Random(7)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "empty.jsonl").write_bytes(b"")  # reported like the empty page
    (folder / "blank.txt").write_bytes(b"  \n\n \t\n")
    (folder / "binary.txt").write_bytes(bytes(rng.randrange(256) for _ in range(4096)))
    (folder / "broken.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00" + bytes(rng.randrange(256) for _ in range(512)))
    (folder / "huge.txt").write_bytes(("Lào Cai " * 700_000).encode("utf-8")[:5_000_000])
    nul_page = crawled_page("Tin có byte NUL", "Đoạn mở đầu.", "Thân bài \x00 bị hỏng.")
    (folder / "nul.txt").write_bytes(nul_page.encode("utf-8"))
    doc_id, *page = PAGE
    (folder / f"{doc_id}.txt").write_text(crawled_page(*page), encoding="utf-8")
    doc_id, *page = CP1258_PAGE
    (folder / f"{doc_id}.txt").write_bytes(windows_1258(crawled_page(*page)))
    doc_id, *page = LATIN1_PAGE
    (folder / f"{doc_id}.txt").write_text(crawled_page(*page).encode("utf-8").decode("latin-1"), encoding="utf-8")
    doc_id, *page = LOSSY_PAGE  # through cp1252 with bytes lost on the way
    lossy = crawled_page(*page).encode("utf-8").decode("cp1252", errors="replace")
    (folder / f"{doc_id}.txt").write_text(lossy, encoding="utf-8")
    # A page whose id an earlier JSONL record already took (files are read in sorted order).
    (folder / "tot-01.txt").write_text(crawled_page("Trùng mã bài", "Bài này trùng mã.", "Nội dung."), encoding="utf-8")

    lines = [
        jsonl_line(GOOD_RECORDS[0]),                                         # 1
        b'{"id": "cut", "title": "B\xc3\xa3o s\xe1\xbb\x91 3 \xc4\x91',         # 2 truncated
        b"[1, 2, 3]",                                                        # 3
        jsonl_line("Bão số 3 đổ bộ vào Quảng Ninh"),                         # 4
        jsonl_line({"id": "thieu-tieu-de", "body": "Không có tiêu đề."}),    # 5
        jsonl_line({"id": "thieu-noi-dung", "title": "Không có nội dung"}),  # 6
        jsonl_line({"id": "qua-lon", "title": "Quá lớn", "body": "cán bộ " * 720_000}),  # 7: ~5 MB
        jsonl_line(dict(GOOD_RECORDS[1], id="tot-01")),                       # 8 duplicate id
        jsonl_line(dict(GOOD_RECORDS[1], id="co-nul")).replace(b"SJC", b"SJ\x00C"),  # 9 raw NUL byte
        jsonl_line(NFD_RECORD),                                              # 10
        jsonl_line(NUL_ESCAPED_RECORD),                                      # 11
        b"null",                                                             # 12
        jsonl_line(MOJIBAKE_RECORD).decode("utf-8").encode("utf-8").decode("latin-1").encode("utf-8"),  # 13
        jsonl_line({"id": ["a", "b"], "title": "Mã là danh sách", "body": "x"}),  # 14
        jsonl_line(GOOD_RECORDS[2]),                                         # 15
        jsonl_line(GOOD_RECORDS[3]),                                         # 16
        windows_1258(json.dumps({"id": "jsonl-cp1258", "title": "Bão số 3", "body": "Gió mạnh."},
                                ensure_ascii=False)),                        # 17 not UTF-8
        jsonl_line({"id": "tieu-de-rong", "title": "   ", "body": "Tiêu đề chỉ có khoảng trắng."}),  # 18
        jsonl_line(GOOD_RECORDS[1]),                                         # 19: line 9 without the NUL
    ]
    (folder / "news.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with gzip.open(folder / "more.jsonl.gz", "wb") as stream:
        stream.write(jsonl_line(dict(GOOD_RECORDS[0], id="tot-gz")) + b"\n" + b'{"id": "gz-cut", "ti')
    (folder / "notes.md").write_text("# not a corpus file: ignored when walking a folder")
    return folder


@pytest.fixture(scope="module")
def indexed(corpus, tmp_path_factory):
    """(report, engine) of `vn-search index CORPUS --json`."""
    index = tmp_path_factory.mktemp("bad-input-index") / "index"
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(index), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), SearchEngine(index)


def expected_problems(corpus: Path) -> dict[str, str]:
    """``path:line`` (or ``path``) → a fragment of the reason."""
    news, page = corpus / "news.jsonl", corpus
    return {
        f"{page / 'empty.txt'}": "empty file",
        f"{page / 'empty.jsonl'}": "empty file",
        f"{page / 'blank.txt'}": "empty file",
        f"{page / 'binary.txt'}": "binary file",
        f"{page / 'broken.jsonl.gz'}": "cannot read file",
        f"{page / 'huge.txt'}:1": "no headline",
        f"{page / 'nul.txt'}:10": "NUL byte",
        f"{page / 'trang-mat-byte.txt'}:1": "mojibake",
        f"{page / 'tot-01.txt'}:2": "duplicate id 'tot-01'",
        f"{news}:2": "invalid JSON",
        f"{news}:3": "expected a JSON object, got list",
        f"{news}:4": "expected a JSON object, got str",
        f"{news}:5": "has no 'title'",
        f"{news}:6": "has no 'body'",
        f"{news}:7": "record too large",
        f"{news}:8": "duplicate id 'tot-01'",
        f"{news}:9": "NUL byte",
        f"{news}:12": "expected a JSON object, got NoneType",
        f"{news}:14": "has no 'id'",
        f"{news}:17": "not UTF-8",
        f"{news}:18": "has no 'title'",
        f"{corpus / 'more.jsonl.gz'}:2": "invalid JSON",
    }


def where(problem: str) -> str:
    """The ``path:line`` (or ``path``) part of ``path:line: reason``."""
    match = re.match(r"(.+?\.(?:txt|jsonl|jsonl\.gz))(:\d+)?: ", problem)
    assert match, f"not path:line: reason: {problem!r}"
    return match.group(1) + (match.group(2) or "")


GOOD = {
    record["id"]: unicodedata.normalize("NFC", record["title"]).replace("\x00", "")
    for record in GOOD_RECORDS + [NFD_RECORD, NUL_ESCAPED_RECORD, MOJIBAKE_RECORD]
} | {
    PAGE[0]: PAGE[1],
    CP1258_PAGE[0]: CP1258_PAGE[1],
    LATIN1_PAGE[0]: LATIN1_PAGE[1],
    "tot-gz": GOOD_RECORDS[0]["title"],
}


def test_every_bad_input_is_reported_where_it_is(indexed, corpus):
    report, _ = indexed
    expected = expected_problems(corpus)
    reported = {where(problem): problem for problem in report["problems"]}
    assert len(reported) == len(report["problems"]), "a place was reported twice"
    assert set(reported) == set(expected), (
        f"missing: {sorted(set(expected) - set(reported))}\nunexpected: {[reported[k] for k in set(reported) - set(expected)]}"
    )
    for place, fragment in expected.items():
        assert fragment in reported[place], reported[place]
    assert report["skipped"] == len(expected)


def test_problem_messages_read_naturally(indexed, corpus):
    reported = {where(problem): problem for problem in indexed[0]["problems"]}
    # json's message ends in "at"; ours must not say "at at".
    assert reported[f"{corpus / 'more.jsonl.gz'}:2"].endswith("invalid JSON (Unterminated string starting at column 18)")
    assert not any(" at at " in problem for problem in reported.values())
    # The CLI prints "skipped <problem>": the problem must not say it again.
    assert reported[f"{corpus / 'news.jsonl'}:8"] == (
        f"{corpus / 'news.jsonl'}:8: duplicate id 'tot-01' (first read at {corpus / 'news.jsonl'}:1)")
    assert not any(problem.endswith("skipped") for problem in reported.values())


def test_every_good_article_is_indexed_and_found_by_its_title(indexed):
    report, engine = indexed
    assert report["articles"] == len(GOOD)
    assert engine.stats().documents == len(GOOD)
    for doc_id, title in GOOD.items():
        document = engine.get(doc_id)
        assert document is not None, doc_id
        assert document.title == title
        # A copy of an article under another id (the .gz file) is the same
        # story: one of them is the hit, the other listed under it.
        shown = [found.id for hit in engine.search(f'"{title}"').hits for found in (hit, *hit.same_story)]
        assert doc_id in shown, title
    # The first record with an id wins; the duplicates were skipped.
    assert engine.get("tot-01").title == GOOD_RECORDS[0]["title"]


def test_legacy_encodings_are_decoded_with_the_right_diacritics(indexed):
    _, engine = indexed
    for doc_id, headline, lead, body in (CP1258_PAGE, LATIN1_PAGE):
        document = engine.get(doc_id)
        assert (document.title, document.summary, document.paragraphs) == (headline, lead, [body])
        # Found typed with accents (exact matches) and without.
        assert engine.search(headline).hits[0].id == doc_id
        assert engine.search(unicodedata.normalize("NFD", headline)).hits[0].id == doc_id
    assert engine.search('"khắc phục hậu quả bão số 3"').hits[0].id == CP1258_PAGE[0]
    assert engine.get("tot-mojibake").summary == MOJIBAKE_RECORD["summary"]
    assert engine.get("jsonl-cp1258") is None and engine.get(LOSSY_PAGE[0]) is None


def test_nothing_is_indexed_as_mojibake_nul_or_nfd(indexed):
    _, engine = indexed
    for doc_id in GOOD:
        document = engine.get(doc_id)
        for text in [document.title, document.summary, *document.paragraphs]:
            assert not MOJIBAKE.search(text), (doc_id, text)
            assert "\x00" not in text and "\ufffd" not in text, (doc_id, text)
            assert unicodedata.is_normalized("NFC", text), (doc_id, text)
    for fragment in ("Ã", "Ä‘", "Æ°", "á»", "Ã²a", "Cáº§n ThÆ¡", "Viá»‡t", "\ufffd"):
        results = engine.search(fragment)
        shown = [hit.title + hit.snippet for hit in results.hits]
        assert results.total == 0, (fragment, shown)


def test_nfd_article_is_stored_and_found_in_nfc(indexed):
    _, engine = indexed
    title = unicodedata.normalize("NFC", NFD_RECORD["title"])
    assert engine.get("tot-nfd").title == title
    assert engine.search("thua thien hue ven bien").hits[0].id == "tot-nfd"
    assert engine.search(NFD_RECORD["title"]).hits[0].id == "tot-nfd"


def test_a_record_with_one_damaged_letter_is_repaired_or_reported(tmp_path):
    record = {"id": "mot-chu", "title": "Apple ra mắt iPhone 16 o California", "body": "Apple vua cong bo."}
    corpus = tmp_path / "one.jsonl"
    corpus.write_bytes(jsonl_line(record).decode("utf-8").encode("utf-8").decode("latin-1").encode("utf-8") + b"\n")
    result = CliRunner().invoke(main, ["index", str(corpus), "--index", str(tmp_path / "index"), "--json"])
    report = json.loads(result.stdout)
    document = SearchEngine(tmp_path / "index").get("mot-chu")
    assert report["problems"] or document.title == record["title"], document.title
