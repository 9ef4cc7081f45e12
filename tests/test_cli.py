"""The CLI, run in-process with click's CliRunner: output people read,
JSON scripts read, exit codes."""

import json

import pytest
from click.testing import CliRunner
from conftest import NEWS, write_jsonl

import web_fixtures as fx

from vn_search import SearchEngine, sample_path
from vn_search.cli import main


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_index_then_search_then_stats(tmp_path):
    index = tmp_path / "index"
    result = run("index", sample_path(), "--index", index)
    assert result.exit_code == 0, result.stderr
    # Counts agree with their nouns, and a run that skipped nothing says nothing about it.
    assert "Indexed 1 article and 5 related items" in result.stderr
    assert "the index now holds 6 documents." in result.stderr and "skipped" not in result.stderr
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
    # A path that is not there fails the run (a typo in a cron job must be
    # seen), but only after the rest is indexed and reported.
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == f"vn-search: not found: {tmp_path / 'missing.txt'}"
    report = json.loads(result.stdout)
    assert report["articles"] == 2 and report["skipped"] == 2
    assert SearchEngine(tmp_path / "index").stats().articles == 2
    assert any(p.startswith(f"{corpus}:2: invalid JSON") for p in report["problems"])
    assert f"{tmp_path / 'missing.txt'}: no such file or folder" in report["problems"]
    assert f"skipped {corpus}:2: invalid JSON" in result.stderr


def test_missing_index_is_a_one_line_error(tmp_path):
    result = run("search", "cán bộ", "--index", tmp_path / "nothing")
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "vn-search index" in result.stderr
    assert f"no index in the folder '{tmp_path / 'nothing'}'" in result.stderr


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


# -- rough edges a new user hit (#14) -----------------------------------------


def _nothing_inputs(folder):
    """Each way of asking to index nothing: name -> the path to index."""
    (folder / "empty.jsonl").write_bytes(b"")
    (folder / "blank.jsonl").write_bytes(b"\n  \n")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "no-corpus").mkdir()
    (folder / "no-corpus" / "notes.md").write_text("not a corpus file")
    return {
        "empty.jsonl": folder / "empty.jsonl",
        "blank.jsonl": folder / "blank.jsonl",
        "empty.txt": folder / "empty.txt",
        "folder without corpus files": folder / "no-corpus",
        "missing path": folder / "not-there.jsonl",
    }


NOTHING_CASES = ["empty.jsonl", "blank.jsonl", "empty.txt", "folder without corpus files", "missing path"]


@pytest.mark.parametrize("case", NOTHING_CASES)
def test_indexing_nothing_into_a_new_index_is_one_error_and_leaves_nothing(tmp_path, case):
    source = _nothing_inputs(tmp_path)[case]
    index = tmp_path / "index"
    result = run("index", source, "--index", index)
    assert result.exit_code == 1
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    # What was wrong with the input, then the one error line.
    assert lines[-1] == "vn-search: nothing to index: the inputs held no articles; no index was created"
    assert lines[:-1] and all(line.startswith(f"skipped {source}") for line in lines[:-1])
    assert not index.exists()


def test_indexing_nothing_into_a_fresh_clones_index_folder_leaves_it_as_it_was(tmp_path):
    # A checkout has index/.gitkeep: the folder stays, with nothing added.
    index = tmp_path / "index"
    index.mkdir()
    (index / ".gitkeep").write_text("")
    result = run("index", tmp_path / "seed-typo", "--index", index)
    assert result.exit_code == 1 and "nothing to index" in result.stderr
    assert sorted(p.name for p in index.iterdir()) == [".gitkeep"]


@pytest.mark.parametrize("rebuild", [True, False], ids=["rebuild", "add"])
@pytest.mark.parametrize("case", ["empty.jsonl", "missing path", "folder without corpus files"])
def test_indexing_nothing_leaves_the_previous_index_untouched(tmp_path, case, rebuild):
    index = tmp_path / "index"
    assert run("index", sample_path(), "--index", index).exit_code == 0
    before = sorted((p.name, p.stat().st_mtime_ns) for p in index.rglob("*") if not p.is_symlink())
    current = (index / "current").readlink()
    source = _nothing_inputs(tmp_path)[case]
    result = run("index", source, "--index", index, *(["--rebuild"] if rebuild else []))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"vn-search: nothing to index: the inputs held no articles; the index in {index} is unchanged")
    assert (index / "current").readlink() == current
    assert sorted((p.name, p.stat().st_mtime_ns) for p in index.rglob("*") if not p.is_symlink()) == before
    assert SearchEngine(index).stats().documents == 6


def test_index_summary_counts_skipped_inputs_in_the_singular(tmp_path):
    result = run("index", sample_path(), tmp_path / "typo.jsonl", "--index", tmp_path / "index")
    assert result.exit_code == 1
    assert "skipped 1 input; the index now holds 6 documents." in result.stderr
    assert SearchEngine(tmp_path / "index").stats().documents == 6


def test_demo_summary_agrees_with_its_counts(tmp_path):
    result = run("demo", "--index", tmp_path / "index")
    assert result.exit_code == 0, result.output
    assert ": 1 article, 5 related items." in result.stderr


@pytest.mark.parametrize("debug", [False, True], ids=["waitress", "debug"])
def test_serving_on_a_busy_port_is_a_one_line_error(tmp_path, debug):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run("serve", "--index", tmp_path / "index", "--port", port, "--workers", 1,
                     *(["--debug"] if debug else []))
    assert result.exit_code == 1
    assert "Serving" not in result.output and "Traceback" not in result.output
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith(f"vn-search: cannot listen on 127.0.0.1:{port}: Address already in use")


def test_the_readme_command_with_a_wrong_path_prints_no_traceback(tmp_path):
    """The README's first command, run as a new user runs it (a real process)."""
    import subprocess
    import sys

    index = tmp_path / "index"
    result = subprocess.run(
        [sys.executable, "-m", "vn_search", "index", str(tmp_path / "shared" / "seed"), "--index", str(index)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"skipped {tmp_path / 'shared' / 'seed'}: no such file or folder",
        "vn-search: nothing to index: the inputs held no articles; no index was created",
    ]
    assert not index.exists()
