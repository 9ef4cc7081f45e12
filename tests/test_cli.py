"""The CLI, run in-process with click's CliRunner: output people read,
JSON scripts read, exit codes."""

import json

import pytest
from click.testing import CliRunner
from conftest import NEWS, write_jsonl

import web_fixtures as fx

from vn_search import sample_path
from vn_search.cli import main


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_index_then_search_then_stats(tmp_path):
    index = tmp_path / "index"
    result = run("index", sample_path(), "--index", index)
    assert result.exit_code == 0, result.stderr
    assert "Indexed 1 articles and 5 related items" in result.stderr
    assert result.stdout == ""

    found = run("search", "luan chuyen can bo", "--index", index)
    assert found.exit_code == 0
    assert "Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà" in found.stdout

    stats = run("stats", "--index", index, "--json")
    data = json.loads(stats.stdout)
    assert (data["documents"], data["articles"], data["related"]) == (6, 1, 5)


def test_search_json_is_clean_and_complete(tmp_path):
    index = tmp_path / "index"
    run("index", sample_path(), "--index", index)
    result = run("search", "Phú Yên", "--index", index, "--json", "--limit", "2")
    data = json.loads(result.stdout)  # stdout holds only the JSON document
    assert set(data) >= {"query", "total", "took_ms", "hits"}
    hit = data["hits"][0]
    assert set(hit) == {"id", "kind", "title", "url", "published", "score", "snippet", "parents"}
    assert hit["kind"] == "related" and hit["parents"] == ["bac-ha-luan-chuyen-can-bo"]
    assert "<mark>Phú</mark> <mark>Yên</mark>" in hit["snippet"]


def test_bad_input_is_reported_and_good_input_indexed(tmp_path):
    corpus = write_jsonl(tmp_path / "news.jsonl", [NEWS[0], '{"id": "cut", "title": "Bão', NEWS[1]])
    result = run("index", corpus, tmp_path / "missing.txt", "--index", tmp_path / "index", "--json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert report["articles"] == 2 and report["skipped"] == 2
    assert any(p.startswith(f"{corpus}:2: invalid JSON") for p in report["problems"])
    assert f"{tmp_path / 'missing.txt'}: no such file or folder" in report["problems"]
    assert f"skipped {corpus}:2: invalid JSON" in result.stderr


def test_missing_index_is_a_one_line_error(tmp_path):
    result = run("search", "cán bộ", "--index", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "vn-search index" in result.stderr


def test_bad_usage_exits_2(tmp_path):
    assert run("search").exit_code == 2
    assert run("search", "x", "--limit", "0").exit_code == 2
    assert run("frobnicate").exit_code == 2


def test_help_has_examples():
    result = run("--help")
    assert result.exit_code == 0 and "Examples:" in result.stdout
    assert "vn-search search" in run("search", "--help").stdout


def test_rebuild_replaces_the_index(tmp_path):
    index = tmp_path / "index"
    run("index", sample_path(), "--index", index)
    corpus = write_jsonl(tmp_path / "news.jsonl", NEWS)
    result = run("index", corpus, "--index", index, "--rebuild", "--json")
    assert json.loads(result.stdout)["documents_total"] == len(NEWS)
    assert json.loads(run("search", '"luan chuyen can bo"', "--index", index, "--json").stdout)["total"] == 0


# -- dates ----------------------------------------------------------------


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory):
    return fx.build_dated_index(tmp_path_factory.mktemp("cli-dated"))


def test_search_since_until_in_vietnam_days(dated_index):
    # 00:10 on 7 February in Hà Nội: 6 February in UTC, 7 February here.
    result = run("search", fx.TOPIC_QUERY, "--index", dated_index, "--since", "2017-02-07", "--until", "2017-02-07")
    assert result.exit_code == 0, result.stderr
    assert "1 kết quả (" in result.stdout and "ngày đăng 07/02/2017" in result.stdout
    assert f"{fx.EARLY_MORNING_ID}  2017-02-07" in result.stdout
    data = json.loads(run("search", fx.TOPIC_QUERY, "--index", dated_index, "--until", "2017-02-06", "--json").stdout)
    assert [hit["id"] for hit in data["hits"]] == [fx.LATE_NIGHT_ID]
    assert (data["since"], data["until"], data["undated"], data["total_is_estimate"]) == (None, "2017-02-06", 0, False)


def test_date_sort_says_undated_documents_come_last(dated_index):
    result = run("search", fx.TOPIC_QUERY, "--index", dated_index, "--sort", "date", "--limit", "20")
    assert "1 bài không có ngày đăng được xếp cuối." in result.stdout
    assert result.stdout.rstrip().splitlines()[-3].split(". ", 1)[1].startswith("Những điều cần biết")


@pytest.mark.parametrize(
    "options, named",
    [
        (["--since", "abc"], "--since must be a date written YYYY-MM-DD"),
        (["--until", "2017-02-30"], "--until must be a date written YYYY-MM-DD"),
        (["--since", "7/2/2017"], "--since"),
        (["--since", "0001-01-01"], "--since"),
        (["--since", "2017-02-07", "--until", "2017-02-06"], "--since (2017-02-07) is after --until (2017-02-06)"),
    ],
)
def test_bad_dates_are_a_one_line_usage_error(dated_index, options, named):
    result = run("search", "bão", "--index", dated_index, *options)
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.strip().count("\n") == 0
    assert named in result.stderr


def test_notices_are_printed(dated_index):
    result = run("search", "bão số 3 " * 200, "--index", dated_index)
    assert result.exit_code == 0 and "Truy vấn quá dài" in result.stdout


def test_search_help_explains_dates():
    help_text = run("search", "--help").stdout
    assert "--since YYYY-MM-DD" in help_text and "--until YYYY-MM-DD" in help_text
    assert "Vietnam time" in help_text and "--since 2017-02-06 --until 2017-02-08" in help_text
