"""Shared fixtures: a real index of the bundled sample, built once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vn_search import SearchEngine, sample_path

# Real OpenSearch clusters, once per session for every module that uses them.
from opensearch_fixtures import one_node_cluster, two_node_cluster  # noqa: F401 (fixtures opensearch_*)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def sample_engine(tmp_path_factory) -> SearchEngine:
    engine = SearchEngine(tmp_path_factory.mktemp("sample-index"))
    engine.index([sample_path()])
    return engine


def write_jsonl(path: Path, records: list) -> Path:
    """Write records (dicts, or raw strings for broken lines) as JSONL."""
    with open(path, "w", encoding="utf-8") as stream:
        for record in records:
            line = record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
            stream.write(line + "\n")
    return path


# Real headlines and leads (Vietnamese news), reused by several tests.
NEWS = [
    {
        "id": "vn-001",
        "title": "Phe đối lập Campuchia lại biểu tình phản đối chính phủ",
        "summary": "Ngày 23-10, hàng nghìn người ủng hộ đảng đối lập Campuchia lại xuống đường biểu tình ở thủ đô Phnom Penh.",
        "body": "Đảng Cứu quốc Campuchia (CNRP) tuyên bố cuộc biểu tình sẽ kéo dài ba ngày.\nƯớc tính khoảng 5.000 người đã diễu hành.",
        "url": "https://tuoitre.vn/phe-doi-lap-campuchia.htm",
        "published": "2013-10-23T08:00:00+07:00",
        "source": "tuoitre.vn",
        "category": "TheGioi",
    },
    {
        "id": "vn-002",
        "title": "Giá vàng hôm nay tăng mạnh",
        "summary": "Giá vàng SJC sáng nay tăng 200.000 đồng mỗi lượng so với hôm qua.",
        "body": "Thị trường vàng trong nước biến động theo giá thế giới.\nNhiều người dân Hà Nội xếp hàng mua vàng.",
        "url": "https://vnexpress.net/gia-vang.html",
        "date": "2019-06-20",
        "source": "vnexpress.net",
        "category": "KinhTe",
    },
    {
        "id": "vn-003",
        "title": "Thủ tướng chủ trì hội nghị về hòa bình khu vực",
        "summary": "Hội nghị bàn về hợp tác, hòa bình và phát triển bền vững ở Đông Nam Á.",
        "body": "Các đại biểu thảo luận về an ninh biển.",
        "published": "2018-01-05",
        "source": "vnexpress.net",
        "category": "ThoiSu",
    },
    {
        "id": "vn-004",
        "title": "Cán bộ hòa giải ở cơ sở được tập huấn",
        "summary": "Hơn 200 hòa giải viên ở Lào Cai được tập huấn kỹ năng.",
        "body": "Lớp tập huấn do Sở Tư pháp tổ chức.",
        "published": "2020-03-01",
        "source": "baolaocai.vn",
    },
    {
        "id": "vn-005",
        "title": "Can thiệp sớm giúp trẻ tự kỷ hòa nhập",
        "summary": "Các chuyên gia khuyên phụ huynh đưa trẻ đi khám sớm.",
        "body": "Can thiệp sớm là chìa khóa. Bộ Y tế khuyến cáo.",
        "published": "2017-07-07",
        "source": "suckhoedoisong.vn",
    },
]
