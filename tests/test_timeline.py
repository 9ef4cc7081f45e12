"""The timeline of a search (issue 14 item 6): how the whole result set
spreads over days, weeks or months, in Vietnam time; in the JSON API, in
Python, and drawn on the results page as SVG bars that narrow the search."""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from vn_search import SearchEngine
from vn_search.timeline import published_values, timeline
from vn_search.web import create_app

# Forty articles on the 2017 rains: one a day from 1 to 20 June, then a
# week's gap, then a day in July, and two late-night reports.
RAINS = [(f"mua-{day:02d}", f"2017-06-{day:02d}T09:00:00+07:00",
          f"Mưa lớn ngày {day}/6 gây ngập nhiều tuyến phố Hà Nội") for day in range(1, 21)]
RAINS += [
    ("mua-thang-7", "2017-07-02T10:00:00+07:00", "Hà Nội lại mưa lớn, nước sông Hồng dâng cao"),
    # 23:40 in Hà Nội on 20 June is 16:40 UTC: the 20th, not the 21st.
    ("mua-dem", "2017-06-20T23:40:00+07:00", "Mưa lớn trong đêm, Hà Nội ngập sâu nhiều nơi"),
    ("mua-khong-ngay", None, "Kinh nghiệm đi xe máy qua đường ngập ở Hà Nội khi mưa lớn"),
]
OTHER = [("gia-vang", "2017-06-05T08:00:00+07:00", "Giá vàng hôm nay tăng mạnh")]


def _record(doc_id: str, published: str | None, title: str) -> dict:
    record = {"id": doc_id, "title": title, "summary": f"{title}. Người dân được khuyến cáo hạn chế ra đường.",
              "body": "Trung tâm Dự báo khí tượng thủy văn quốc gia cho biết mưa còn kéo dài.",
              "source": "VnExpress", "category": "Thời sự"}
    if published:
        record["published"] = published
    return record


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("timeline")
    jsonl = work / "rains.jsonl"
    jsonl.write_text("\n".join(json.dumps(_record(*row), ensure_ascii=False) for row in RAINS + OTHER) + "\n",
                     encoding="utf-8")
    SearchEngine(work / "index").index([jsonl], rebuild=True, progress=False)
    return work / "index"


@pytest.fixture(scope="module")
def engine(index_dir) -> SearchEngine:
    return SearchEngine(index_dir)


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app(index_dir, TESTING=True).test_client()


# -- the buckets ---------------------------------------------------------------


def test_days_in_vietnam_time():
    # 16:30 UTC on 6 February is 23:30 in Hà Nội; 17:10 UTC is past midnight there.
    bars = timeline(published_values([datetime(2017, 2, 6, 16, 30), datetime(2017, 2, 6, 17, 10)]))
    assert [(bar.start, bar.end, bar.count, bar.unit) for bar in bars] == [
        (date(2017, 2, 6), date(2017, 2, 6), 1, "day"), (date(2017, 2, 7), date(2017, 2, 7), 1, "day")]
    assert bars[0].label == "06/02/2017"


def test_the_unit_fits_the_span():
    weeks = timeline(published_values([datetime(2017, 1, 4), datetime(2017, 6, 1)]))
    assert {bar.unit for bar in weeks} == {"week"}
    assert weeks[0].start == date(2017, 1, 2) and weeks[0].start.weekday() == 0  # a Monday
    assert all((bar.end - bar.start).days == 6 for bar in weeks)
    assert weeks[0].label == "02/01 – 08/01/2017"

    months = timeline(published_values([datetime(2013, 10, 23), datetime(2017, 6, 1)]))
    assert {bar.unit for bar in months} == {"month"} and len(months) == 45
    assert (months[0].start, months[0].end) == (date(2013, 10, 1), date(2013, 10, 31))
    assert (months[4].start, months[4].end) == (date(2014, 2, 1), date(2014, 2, 28))
    assert months[-1].label == "tháng 6/2017"

    years = timeline(published_values([datetime(2005, 3, 1), datetime(2017, 6, 1)]))
    assert [bar.start.year for bar in years] == list(range(2005, 2018))
    assert all(bar.unit == "year" and bar.end == date(bar.start.year, 12, 31) for bar in years)


def test_gaps_are_bars_of_nothing_and_undated_are_left_out():
    undated = np.zeros(3, np.int64)  # the column's value for "no date"
    bars = timeline(np.concatenate([published_values([datetime(2017, 6, 1), datetime(2017, 6, 4)]), undated]))
    assert [bar.count for bar in bars] == [1, 0, 0, 1]
    assert timeline(undated) == []


# -- the engine ------------------------------------------------------------------


def test_counts_come_from_the_whole_set_not_the_page(engine):
    results = engine.search("mưa lớn hà nội", per_page=1)
    assert len(results.hits) == 1
    assert sum(bar.count for bar in results.timeline) == results.total - results.undated == 22
    assert results.undated == 1
    by_day = {bar.start: bar.count for bar in results.timeline}
    assert by_day[date(2017, 6, 20)] == 2  # the late-night report stays on the 20th
    assert by_day.get(date(2017, 6, 5)) == 1  # the gold price is not in the set
    assert results.timeline[0].start == date(2017, 6, 1) and results.timeline[-1].start == date(2017, 7, 2)
    assert {bar.unit for bar in results.timeline} == {"day"}


def test_a_date_range_narrows_the_timeline(engine):
    results = engine.search("mưa lớn hà nội", since="2017-06-10", until="2017-06-12")
    assert [(bar.start, bar.count) for bar in results.timeline] == [
        (date(2017, 6, 10), 1), (date(2017, 6, 11), 1), (date(2017, 6, 12), 1)]


def test_nothing_found_has_no_timeline(engine):
    assert engine.search("xyzzy qwertz").timeline == []


def test_json_api(client):
    data = client.get("/api/search", query_string={"q": "mua lon ha noi"}).json
    assert data["timeline"][0] == {"start": "2017-06-01", "end": "2017-06-01", "count": 1}
    assert {"start": "2017-06-20", "end": "2017-06-20", "count": 2} in data["timeline"]
    assert sum(bar["count"] for bar in data["timeline"]) == data["total"] - data["undated"]


# -- the page --------------------------------------------------------------------


def _bars(html: str) -> list[tuple[str, str]]:
    """(link, accessible label) of each bar of the page's timeline."""
    figure = re.search(r'<figure class="timeline".*?</figure>', html, re.S)
    assert figure, "no timeline on the page"
    return [(unescape(href), unescape(label)) for href, label in
            re.findall(r'<a href="([^"]+)"\s+class="timeline-link[^"]*"[^>]*aria-label="([^"]+)"', figure.group(0))]


def test_results_page_draws_the_timeline_as_svg_links(client):
    response = client.get("/search", query_string={"q": "mưa lớn hà nội"})
    html = response.get_data(as_text=True)
    assert "<svg" in html and "style=" not in re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert "Thời gian đăng: 22 bài có ngày đăng, theo ngày" in html  # and one undated
    bars = _bars(html)
    assert len(bars) == 21  # 20 June days and 2 July; the empty days draw no link
    link, label = next(bar for bar in bars if bar[1].startswith("20/06/2017"))
    assert label == "20/06/2017: 2 bài"
    query = parse_qs(urlsplit(link).query)
    assert query == {"q": ["mưa lớn hà nội"], "from": ["2017-06-20"], "to": ["2017-06-20"]}

    # Following a bar: the same search, that day only (one bar: no chart).
    narrowed = client.get(link).get_data(as_text=True)
    assert len(re.findall(r'class="hit-title"', narrowed)) == 2
    assert '<span class="date-status-item date-status-range">Ngày 20/06/2017</span>' in narrowed
    assert '<figure class="timeline"' not in narrowed


def test_one_period_draws_no_chart(client):
    html = client.get("/search", query_string={"q": "giá vàng"}).get_data(as_text=True)
    assert '<figure class="timeline"' not in html
