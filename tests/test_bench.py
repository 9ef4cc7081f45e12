"""The benchmarks' shared helpers, and every benchmark still starting.

A benchmark that no longer imports is found when someone needs its figure,
weeks later; these tests find it in ``make test``. The helpers are checked
against what they stand for: the percentile against numpy's, the metrics on
rankings worked out by hand, the query rewrites on real labels.
"""

from __future__ import annotations

import importlib
import math
import pkgutil
import random
import socket
import sys
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

import bench
from bench.common import format_table, free_port, percentile
from bench.datasets import mean_metrics, other_tone_placement, query_metrics, sample_title_words, unaccent
from bench.reader_query_sets import self_check
from bench.serving import MIX, query_mix

BENCHMARKS = sorted(
    info.name for info in pkgutil.iter_modules(bench.__path__)
    if hasattr(importlib.import_module(f"bench.{info.name}"), "main")
)


def test_every_benchmark_is_found():
    assert {"relevance", "indexing", "load", "segmenter", "restoration", "crash_safety"} <= set(BENCHMARKS)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_every_benchmark_answers_help(name, capsys, monkeypatch):
    module = importlib.import_module(f"bench.{name}")
    monkeypatch.setattr(sys, "argv", [f"bench/{name}.py", "--help"])  # as `python -m bench.<name> --help`
    with pytest.raises(SystemExit) as stopped:
        module.main()
    assert stopped.value.code == 0
    assert "usage:" in capsys.readouterr().out


# -- bench.common ------------------------------------------------------------------


def test_percentile_is_numpys_linear_percentile():
    rng = random.Random(4)
    for size in (1, 2, 7, 100, 1001):
        values = [rng.expovariate(1 / 40) for _ in range(size)]
        for pct in (0, 50, 95, 99, 100):
            assert math.isclose(percentile(values, pct), float(np.percentile(values, pct)), rel_tol=1e-12)
    assert math.isnan(percentile([], 50))


def test_a_table_lines_up_numbers_on_the_right_and_text_on_the_left():
    rows = [{"phase": "search mix", "req_per_s": 312.5, "errors": 0},
            {"phase": "  phrase", "req_per_s": 1.5, "errors": None}]
    lines = format_table(rows).splitlines()
    assert lines[0].split() == ["phase", "req_per_s", "errors"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2] == "search mix      312.5       0"
    assert lines[3] == "  phrase          1.5"  # None is blank, trailing blanks dropped
    assert {len(line) for line in lines[:3]} == {len(lines[0])}


def test_a_markdown_table_has_one_cell_per_column_and_a_rule():
    text = format_table([{"measure": "build wall s", "goal": "<= 180 s", "measured": 171.5}], markdown=True)
    header, rule, row = text.splitlines()
    assert header.count("|") == rule.count("|") == row.count("|") == 4
    assert row == "| build wall s | <= 180 s |    171.5 |"  # the number right-aligned under its header
    assert format_table([]) == ""


def test_a_free_port_can_be_listened_on():
    port = free_port()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen()


# -- bench.datasets: the metrics and query rewrites of baselines.md ------------------


def test_metrics_of_a_ranking_with_two_relevant_articles():
    metrics = query_metrics(["x", "a", "y", "b", "z"], ["a", "b"])
    assert metrics["rr"] == 0.5 and metrics["recall"] == 1.0 and metrics["s1"] == 0.0 and metrics["s10"] == 1.0
    ideal = 1 + 1 / math.log2(3)
    assert math.isclose(metrics["ndcg"], (1 / math.log2(3) + 1 / math.log2(5)) / ideal)


def test_metrics_count_the_top_ten_only_and_a_repeated_id_once():
    assert query_metrics([f"x{i}" for i in range(10)] + ["a"], ["a"]) == {
        "rr": 0.0, "recall": 0.0, "ndcg": 0.0, "s1": 0.0, "s10": 0.0}
    assert query_metrics(["x", "x", "a"], ["a"])["rr"] == 0.5
    assert query_metrics([], ["a"])["rr"] == 0.0
    many = [f"r{i}" for i in range(12)]
    assert math.isclose(query_metrics(many, many)["ndcg"], 1.0)  # the ideal stops at rank 10
    with pytest.raises(ValueError):
        query_metrics(["a"], [])


def test_mean_metrics_average_over_queries():
    mean = mean_metrics([{"rr": 1, "recall": 1, "ndcg": 1, "s1": 1, "s10": 1},
                         {"rr": 0, "recall": 0.5, "ndcg": 0, "s1": 0, "s10": 0}])
    assert mean["rr"] == 0.5 and mean["recall"] == 0.75
    assert math.isnan(mean_metrics([])["rr"])


def test_an_unaccented_label_differs_from_the_typed_one_in_diacritics_only():
    assert unaccent("Vụ “mặt đường phát nổ” ở Sài Gòn") == "Vu mat duong phat no o Sai Gon"
    assert unaccent('Bùi Anh Tuấn Anh "điên" trở lại') == 'Bui Anh Tuan Anh "dien" tro lai'
    assert unaccent("ĐỒNG Đội") == "DONG Doi"


def test_the_other_tone_placement_moves_the_mark_of_final_oa_oe_uy_only():
    assert other_tone_placement("Hòa bình, thúy khỏe, Ủy ban, HÒA") == "Hoà bình, thuý khoẻ, Uỷ ban, HOÀ"
    assert other_tone_placement("tòa nhà") == "toà nhà"
    for unchanged in ("quý", "hoàng", "thuở", "khuya", "tòa_nhà", "hoà", "người", "oải"):
        assert other_tone_placement(unchanged) == unchanged


def test_title_words_are_sampled_in_title_order():
    title = "Nga tấn công Syria, Trump nói gì?"
    assert sample_title_words(title, random.Random(1)) == sample_title_words(title, random.Random(1))
    words = sample_title_words(title, random.Random(2)).split()
    assert len(words) == 4 and words == sorted(words, key="Nga tấn công Syria Trump nói gì".split().index)
    assert sample_title_words("Giá vàng", random.Random(2)) == "Giá vàng"


def test_reader_query_encoders_and_typo_makers_pass_their_self_check():
    assert self_check() == []


# -- bench.serving: the query mix -----------------------------------------------------


def test_the_query_mix_follows_its_weights_and_asks_real_title_words():
    records = [{"id": "a", "title": "Giá vàng SJC sáng nay tăng 200.000 đồng mỗi lượng"},
               {"id": "b", "title": "Bắc Hà luân chuyển 54 lượt cán bộ về cơ sở"}]
    mix = query_mix(records, 2000, random.Random(13))
    assert mix == query_mix(records, 2000, random.Random(13))
    shares = {label: sum(kind == label for kind, _ in mix) / len(mix) for label, _ in MIX}
    for label, weight in MIX:
        assert abs(shares[label] - weight / 100) < 0.04, (label, shares[label])
    words = {word for record in records for word in record["title"].split()}
    for label, path in mix[:200]:
        arguments = parse_qs(urlsplit(path).query)
        assert urlsplit(path).path == "/api/search"
        assert ("page" in arguments) == (label == "page 2+")
        if label == "phrase":
            assert arguments["q"][0].startswith('"') and set(arguments["q"][0].strip('"').split()) <= words
