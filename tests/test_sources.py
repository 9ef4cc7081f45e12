"""Reading input: the crawled-page shape and JSONL corpora, with bad input
reported as path:line: reason."""

import gzip
import json
import unicodedata

from conftest import NEWS, write_jsonl

from vn_search import sample_path
from vn_search.documents import InputProblem, NewsDocument
from vn_search.sources import read_sources
from vn_search.sources.pages import parse_page

SEED = sample_path() / "bac-ha-luan-chuyen-can-bo.txt"


def test_seed_page_gives_one_article_and_five_related_items():
    article = parse_page(SEED.read_text(encoding="utf-8"), SEED)
    assert article.id == "bac-ha-luan-chuyen-can-bo"
    assert article.title == "Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà"
    assert article.summary.startswith("Những cán bộ được Ban Thường vụ Huyện ủy Bắc Hà điều động")
    assert [item.title for item in article.related] == [
        "Cả hệ thống chính trị phải tập trung lãnh đạo, chỉ đạo, điều hành sát sao từng giờ, từng ngày, từng tuần",
        'Ngày 1/4/1975: Giải phóng Phú Yên, Bộ Chính trị chỉ thị "trận quyết chiến chiến lược cuối cùng đã bắt đầu"',
        "Sáp nhập xã, phường: Sự chủ động đi cùng nỗi niềm trăn trở",
        "Kỷ niệm 50 năm Ngày giải phóng tỉnh Bình Định",
        'Từ "con đường tơ lụa" trên sông Hồng đến trục động lực kinh tế "chung một dòng sông"',
    ]
    assert article.related[0].summary.startswith("Đó là chỉ đạo của đồng chí Trịnh Xuân Trường")
    assert article.related[1].kicker == "ĐẠI THẮNG MÙA XUÂN NĂM 1975"
    assert article.related[1].summary.startswith("Trưa ngày 1/4/1975, thị xã Tuy Hòa")
    assert article.related[4].summary.endswith("đang trở thành “con đường tơ lụa” trong thời đại mới.")
    assert all(item.parents == [article.id] for item in article.related)


def test_seed_page_drops_navigation_placeholders_and_share_labels():
    article = parse_page(SEED.read_text(encoding="utf-8"), SEED)
    text = "\n".join([article.title, article.summary] + article.paragraphs)
    assert "Quay về E-magazine" not in text
    assert "3.png" not in text and "6.png" not in text
    assert "fb yt zl tw" not in text
    assert "Có thể bạn quan tâm" not in text
    assert "Anh Trần Văn Cường nói." in article.paragraphs  # pull-quote attributions are content
    assert article.paragraphs[-1].startswith("Những kết quả trong công tác luân chuyển cán bộ")


def test_related_item_ids_are_stable_and_shared(tmp_path):
    first = parse_page(SEED.read_text(encoding="utf-8"), "a.txt").related
    again = parse_page(SEED.read_text(encoding="utf-8"), "b.txt").related
    assert [r.id for r in first] == [r.id for r in again]
    assert len({r.id for r in first}) == 5


def test_page_without_doubled_headline_is_reported_with_its_line(tmp_path):
    page = tmp_path / "broken.txt"
    page.write_text("Quay về trang chủ\nMột dòng\nHai dòng\n", encoding="utf-8")
    [problem] = list(read_sources([page]))
    assert isinstance(problem, InputProblem)
    assert str(problem).startswith(f"{page}:1: no headline")


def test_jsonl_fields_and_related(tmp_path):
    record = dict(NEWS[0], related=[{"title": "Campuchia công bố kết quả bầu cử", "summary": "Ủy ban bầu cử quốc gia…", "url": "https://x.vn/1"}])
    path = write_jsonl(tmp_path / "news.jsonl", [record, {"id": 7, "title": "Bão số 3 đổ bộ", "body": "Mưa lớn.", "crawl_date": "2017-05-27T10:00:23+07:00", "extra": [1, 2]}])
    docs = list(read_sources([path]))
    assert all(isinstance(d, NewsDocument) for d in docs)
    first, second = docs
    assert first.id == "vn-001" and first.source == "tuoitre.vn" and first.category == "TheGioi"
    assert first.published.isoformat() == "2013-10-23T01:00:00"
    assert first.paragraphs[0].startswith("Đảng Cứu quốc Campuchia")
    assert first.related[0].kind == "related" and first.related[0].parents == ["vn-001"]
    assert second.id == "7" and second.published.year == 2017


def test_gzip_jsonl_is_read(tmp_path):
    path = tmp_path / "news.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        for record in NEWS:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    assert [d.id for d in read_sources([path])] == [r["id"] for r in NEWS]


def test_bad_jsonl_lines_are_reported_and_good_ones_kept(tmp_path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [NEWS[0], '{"id": "cut", "title": "Tin bị cắt', "[1, 2, 3]", {"id": "x", "body": "Không có tiêu đề"}, {"title": "Không có id", "body": "…"}, NEWS[1]],
    )
    items = list(read_sources([path]))
    assert [d.id for d in items if isinstance(d, NewsDocument)] == ["vn-001", "vn-002"]
    problems = [str(p) for p in items if isinstance(p, InputProblem)]
    assert problems[0].startswith(f"{path}:2: invalid JSON")
    assert problems[1] == f"{path}:3: expected a JSON object, got list"
    assert problems[2] == f"{path}:4: record 'x' has no 'title'"
    assert problems[3] == f"{path}:5: record has no 'id'"


def _windows_1258(text: str) -> bytes:
    """Encode as windows-1258 does: letters with hats precomposed, tones
    as separate combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for char in unicodedata.normalize("NFD", text):
        if char in tones or not out:
            out.append(char)
        else:
            out[-1:] = [unicodedata.normalize("NFC", out[-1] + char)] if unicodedata.combining(char) else [out[-1], char]
    return "".join(out).encode("cp1258")


def test_legacy_encodings_are_decoded_or_reported(tmp_path):
    text = "Hòa Bình\n\nHòa Bình\n\nMưa lớn ở miền Bắc.\n"
    cp1258 = tmp_path / "cu.txt"
    cp1258.write_bytes(_windows_1258(text))
    mojibake = tmp_path / "loi.txt"
    mojibake.write_text(text.encode("utf-8").decode("latin-1"), encoding="utf-8")
    damaged = tmp_path / "hong.txt"  # cp1252 has no 0x81: "ề" lost a byte
    damaged.write_text(text.encode("utf-8").decode("cp1252", errors="replace"), encoding="utf-8")
    binary = tmp_path / "anh.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    empty = tmp_path / "rong.txt"
    empty.write_bytes(b"")
    items = {str(i.path if isinstance(i, InputProblem) else i.id): i for i in read_sources([cp1258, mojibake, damaged, binary, empty])}
    assert items["cu"].title == "Hòa Bình"
    assert items["loi"].title == "Hòa Bình"
    assert str(items[str(damaged)]).startswith(f"{damaged}:1: mojibake")
    assert "binary" in items[str(binary)].reason
    assert items[str(empty)].reason == "empty file"


def test_missing_path_is_reported(tmp_path):
    [problem] = list(read_sources([tmp_path / "khong-co.jsonl"]))
    assert problem.reason == "no such file or folder"
