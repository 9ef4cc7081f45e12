"""The indexer learns the abbreviations its articles define
(``Ban quản lý dự án (BQLDA)``) and publishes them with the generation as
``abbreviations.json``."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from conftest import write_jsonl

from vn_search import indexer
from vn_search.storage import store
from vn_search.analysis.abbreviation_mining import DefinitionCounts
from vn_search.indexer import (
    ABBREVIATIONS_FILE,
    build_index,
    load_learned_abbreviations,
)

ARTICLES = [
    {
        "id": "laocai-001",
        "title": "Bàn giao mặt bằng tuyến đường nối Bát Xát với cửa khẩu",
        "summary": "Ban quản lý dự án (BQLDA) đầu tư xây dựng các công trình giao thông tỉnh Lào Cai vừa bàn giao mặt bằng cho nhà thầu.",
        "body": "Theo đại diện BQLDA, nhà thầu đã huy động 120 công nhân làm việc ba ca.\n"
        "Ông Nguyễn Văn Hùng, Trưởng Ban quản lý dự án (BQLDA) huyện Bát Xát, cho biết tuyến đường sẽ thông xe trước Tết.",
        "related": [
            {
                "title": "Sở Giao thông vận tải (SGTVT) đề xuất phân luồng quốc lộ 4D",
                "summary": "Sở Giao thông vận tải (SGTVT) đề xuất phân luồng trong mùa mưa lũ.",
            }
        ],
    },
    {
        "id": "laocai-002",
        "title": "Chậm giải ngân vốn đầu tư công ở các huyện vùng cao",
        "summary": "Ủy ban nhân dân (UBND) tỉnh yêu cầu các chủ đầu tư đẩy nhanh tiến độ.",
        "body": "Ban quản lý dự án (BQLDA) huyện Si Ma Cai mới giải ngân được 38% kế hoạch vốn.\n"
        "Lãnh đạo BQLDA cho rằng nguyên nhân chính là vướng mắc trong bồi thường.",
    },
    {
        "id": "hanoi-001",
        "title": "Hà Nội ghi nhận thêm 215 ca sốt xuất huyết",
        "summary": "Trung tâm Y tế dự phòng (TTYTDP) Hà Nội cho biết số ca mắc tăng 12% so với tuần trước.",
        "body": "Trung tâm Kiểm soát bệnh tật (CDC) khuyến cáo người dân diệt bọ gậy mỗi tuần.",
        "captions": "Cán bộ TTYTDP (Trung tâm Y tế dự phòng) phun hóa chất diệt muỗi tại phường Định Công.",
    },
    {
        "id": "hanoi-002",
        "title": "Phun thuốc diệt muỗi tại các ổ dịch ở quận Hoàng Mai",
        "summary": "Nhiều tổ dân phố được phun hóa chất trong đêm.",
        "body": "Người dân được hướng dẫn đổ nước đọng trong chum vại.",
        "captions": "Ảnh: Cán bộ Trung tâm Y tế dự phòng (TTYTDP) kiểm tra bọ gậy.",
    },
]

NEW_ARTICLES = [
    {
        "id": "kinhte-001",
        "title": "Giải ngân vốn đầu tư công đạt 45% kế hoạch",
        "summary": "Theo Kho bạc Nhà nước (KBNN), vốn đầu tư công tiếp tục tăng so với cùng kỳ.",
        "body": "Ban quản lý dự án (BQLDA) các công trình trọng điểm được yêu cầu báo cáo hằng tuần.",
    },
    {
        "id": "kinhte-002",
        "title": "Kho bạc đẩy mạnh thanh toán điện tử",
        "summary": "Kho bạc Nhà nước (KBNN) đã giải ngân 2.300 tỷ đồng qua dịch vụ công trực tuyến.",
        "body": "Các đơn vị sử dụng ngân sách không còn phải nộp hồ sơ giấy.",
    },
]


def learned(index: Path) -> DefinitionCounts | None:
    generation = store.current_generation(index)
    assert generation is not None
    return load_learned_abbreviations(generation)


def leftover_parts(index: Path) -> list[Path]:
    return list(index.rglob("*-part")) + list(index.rglob("*.tmp"))


def test_an_index_learns_the_definitions_its_articles_give(tmp_path):
    index = tmp_path / "index"
    report = build_index(index, [write_jsonl(tmp_path / "news.jsonl", ARTICLES)], progress=False, workers=1)
    assert report.articles == 4 and report.related == 1
    assert (store.current_generation(index) / ABBREVIATIONS_FILE).is_file()
    counts = learned(index)
    # laocai-001 defines BQLDA twice: it counts once.
    assert counts.definitions("BQLDA") == [("Ban quản lý dự án", 2)]
    assert counts.definitions("TTYTDP") == [("Trung tâm Y tế dự phòng", 2)]  # in a caption, both ways round
    assert counts.definitions("UBND", min_count=1) == [("Ủy ban nhân dân", 1)]
    # A related item is another article's teaser: it teaches nothing.
    assert counts.definitions("SGTVT", min_count=1) == []
    # "CDC" is not the initials of "Trung tâm Kiểm soát bệnh tật".
    assert counts.definitions("CDC", min_count=1) == []
    assert not leftover_parts(index)


def test_an_update_adds_to_the_previous_generations_counts(tmp_path):
    index = tmp_path / "index"
    build_index(index, [write_jsonl(tmp_path / "a.jsonl", ARTICLES)], progress=False, workers=1)
    first = store.current_generation(index)
    build_index(index, [write_jsonl(tmp_path / "b.jsonl", NEW_ARTICLES)], progress=False, workers=1)
    counts = learned(index)
    assert counts.definitions("BQLDA") == [("Ban quản lý dự án", 3)]
    assert counts.definitions("TTYTDP") == [("Trung tâm Y tế dự phòng", 2)]
    assert counts.definitions("KBNN") == [("Kho bạc Nhà nước", 2)]
    # The update started from hard links to the first generation's files,
    # and left its counts as they were.
    assert load_learned_abbreviations(first).definitions("BQLDA") == [("Ban quản lý dự án", 2)]
    assert load_learned_abbreviations(first).definitions("KBNN", min_count=1) == []

    build_index(index, [tmp_path / "b.jsonl"], rebuild=True, progress=False, workers=1)
    counts = learned(index)
    assert counts.definitions("BQLDA", min_count=1) == [("Ban quản lý dự án", 1)]
    assert counts.definitions("TTYTDP", min_count=1) == []
    assert counts.definitions("KBNN") == [("Kho bạc Nhà nước", 2)]


def generated_articles(count: int) -> list[dict]:
    """Short articles, a third of them defining an abbreviation, some
    with a related item that defines one too."""
    rng = random.Random(7)
    definitions = [
        "Ban quản lý dự án (BQLDA) huyện {place} vừa bàn giao mặt bằng.",
        "Kho bạc Nhà nước (KBNN) {place} đã giải ngân {n} tỷ đồng.",
        "Cán bộ TTYTDP (Trung tâm Y tế dự phòng) {place} phun hóa chất diệt muỗi.",
        "Hội đồng nhân dân (HĐND) tỉnh {place} khai mạc kỳ họp thứ {n}.",
    ]
    plain = [
        "Mưa lớn kéo dài gây sạt lở nhiều tuyến đường ở {place}.",
        "Giá lúa tại {place} tăng {n} đồng mỗi kg.",
        "Học sinh {place} được nghỉ học để tránh rét đậm.",
    ]
    places = ["Bát Xát", "Sa Pa", "Mường Khương", "Bắc Hà", "Văn Bàn"]
    records = []
    for number in range(count):
        sentences = [rng.choice(plain) for _ in range(2)]
        if number % 3 == 0:
            sentences.append(rng.choice(definitions))
        text = [s.format(place=rng.choice(places), n=rng.randint(2, 99)) for s in sentences]
        record = {"id": f"gen-{number:04d}", "title": text[0], "summary": text[1], "body": "\n".join(text[2:])}
        if number % 10 == 0:
            record["related"] = [{"title": f"Sở Giao thông vận tải (SGTVT) họp lần {number}"}]
        records.append(record)
    return records


def test_worker_processes_learn_what_one_process_does(tmp_path, monkeypatch):
    records = generated_articles(indexer._PARALLEL_THRESHOLD + 40)
    corpus = write_jsonl(tmp_path / "many.jsonl", records)
    parts = []
    from_json = DefinitionCounts.from_json
    def recording(cls, text, source="<json>"):
        parts.append(source)
        return from_json(text, source)

    monkeypatch.setattr(DefinitionCounts, "from_json", classmethod(recording))
    build_index(tmp_path / "one", [corpus], progress=False, workers=1)
    assert parts == []  # nothing to merge in one process
    build_index(tmp_path / "two", [corpus], progress=False, workers=2)
    assert len(parts) == 2 and all(name.endswith(".abbreviations-part") for name in parts)

    one, two = learned(tmp_path / "one"), learned(tmp_path / "two")
    assert one.to_json() == two.to_json()
    expected = sum("(BQLDA)" in record["body"] for record in records)
    assert expected > 10 and one.definitions("BQLDA") == [("Ban quản lý dự án", expected)]
    assert one.definitions("SGTVT", min_count=1) == []
    assert not leftover_parts(tmp_path / "one") and not leftover_parts(tmp_path / "two")


def test_a_failing_worker_leaves_no_parts_and_the_previous_generation(tmp_path, monkeypatch):
    index = tmp_path / "index"
    build_index(index, [write_jsonl(tmp_path / "a.jsonl", ARTICLES)], progress=False, workers=1)
    before = store.current_generation(index)
    learn = indexer._learn_abbreviations

    def fail_on_one(counts, doc):
        if doc.id == "gen-0150":
            raise RuntimeError("disk full")
        learn(counts, doc)

    monkeypatch.setattr(indexer, "_learn_abbreviations", fail_on_one)  # the workers are forked: they see it
    corpus = write_jsonl(tmp_path / "many.jsonl", generated_articles(indexer._PARALLEL_THRESHOLD + 40))
    with pytest.raises(RuntimeError, match="disk full"):
        build_index(index, [corpus], progress=False, workers=2)
    assert store.current_generation(index) == before
    assert not list(index.glob(".build-*")) and not leftover_parts(index)
    assert learned(index).definitions("BQLDA") == [("Ban quản lý dự án", 2)]


def test_parts_left_by_a_killed_writer_are_removed_by_the_next(tmp_path):
    index = tmp_path / "index"
    build_index(index, [write_jsonl(tmp_path / "a.jsonl", ARTICLES)], progress=False, workers=1)
    stale = index / ".build-20200101-000000-000000-1"
    stale.mkdir()
    (stale / "abbreviations-4242.abbreviations-part").write_text("{", encoding="utf-8")
    build_index(index, [write_jsonl(tmp_path / "b.jsonl", NEW_ARTICLES)], progress=False, workers=1)
    assert not stale.exists() and not leftover_parts(index)


def test_an_index_from_before_learning_loads_as_none_and_updates_start_counting(tmp_path):
    index = tmp_path / "index"
    build_index(index, [write_jsonl(tmp_path / "a.jsonl", ARTICLES)], progress=False, workers=1)
    (store.current_generation(index) / ABBREVIATIONS_FILE).unlink()
    assert learned(index) is None
    build_index(index, [write_jsonl(tmp_path / "b.jsonl", NEW_ARTICLES)], progress=False, workers=1)
    counts = learned(index)
    assert counts.definitions("KBNN") == [("Kho bạc Nhà nước", 2)]
    assert counts.definitions("BQLDA", min_count=1) == [("Ban quản lý dự án", 1)]


@pytest.mark.parametrize("content", [b"{not json", b'{"format": "something else"}', b"\xff\xfe broken"])
def test_a_corrupt_file_is_an_error_naming_it(tmp_path, content):
    (tmp_path / ABBREVIATIONS_FILE).write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(tmp_path / ABBREVIATIONS_FILE))):
        load_learned_abbreviations(tmp_path)


def test_the_file_is_what_definition_counts_write(tmp_path):
    index = tmp_path / "index"
    build_index(index, [write_jsonl(tmp_path / "a.jsonl", ARTICLES)], progress=False, workers=1)
    text = (store.current_generation(index) / ABBREVIATIONS_FILE).read_text(encoding="utf-8")
    assert DefinitionCounts.from_json(text).to_json() == text
    assert "Ban quản lý dự án" in text  # UTF-8, not \\u escapes
