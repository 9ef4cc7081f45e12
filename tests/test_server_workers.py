"""`vn-search serve --workers 2`: gunicorn's worker processes sharing one port.

Each test starts the server as a subprocess on a free loopback port and
talks to it over HTTP. ``/healthz`` names the process that answered
(``pid``), which is how the tests tell the workers apart: both answer once
warm (``ready``), a killed one is replaced, each sees a newly published
index generation, SIGTERM, Ctrl-C or the loss of the supervisor stops
every one of them, and a second server on the same port is one line of
error.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from conftest import write_jsonl

from bench.common import free_port

from vn_search import SearchEngine, sample_path
from vn_search.cli import main
from vn_search.web import serve

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="gunicorn's workers need fork()")

NEW_ARTICLE = {
    "id": "tin-moi-xuat-ban",
    "title": "Thủy điện Lai Châu khánh thành tổ máy cuối cùng",
    "body": "Tổ máy số ba của thủy điện Lai Châu đã hòa lưới điện quốc gia.",
}


def _stat(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name; [] when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def parent_of(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie (an exited process that nobody
    has reaped yet, as orphans can stay in a container without an init)."""
    fields = _stat(pid)
    return bool(fields) and fields[0] != "Z"


def wait_for(condition, seconds: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


class Server:
    """`python -m vn_search serve --workers 2` in its own process group."""

    def __init__(self, index: Path) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "vn_search", "serve", "--index", str(index), "--port", str(self.port),
             "--workers", "2", "--threads", "2"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        wait_for(self.answers, 60, "the server to answer")

    def get(self, *paths: str) -> list[dict]:
        """GET each path on one fresh keep-alive connection (so one worker
        answers them all)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            answers = []
            for path in paths:
                connection.request("GET", path)
                response = connection.getresponse()
                answers.append(json.loads(response.read()))
                assert response.status == 200, (path, answers[-1])
            return answers
        finally:
            connection.close()

    def answers(self) -> bool:
        """Whether a worker answers /healthz as ready (a 503 while it warms)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            health = json.loads(response.read())
        except OSError:
            assert self.process.poll() is None, self.process.stderr.read().decode()
            return False
        finally:
            connection.close()
        assert response.status in (200, 503), health
        assert health["ready"] == (response.status == 200) and health["state"] in ("warming", "ready", "updating")
        return health["ready"]

    def log_so_far(self) -> str:
        """What the server has written to stderr (gunicorn's log) so far."""
        os.set_blocking(self.process.stderr.fileno(), False)
        chunks = []
        while chunk := self.process.stderr.read():
            chunks.append(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    def worker_pids(self, seconds: float = 30.0) -> set[int]:
        """Both workers' pids once ready, from as many fresh connections as
        it takes (a worker still warming answers 503 and is asked again)."""
        seen: set[int] = set()

        def both() -> bool:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                health = json.loads(response.read())
            finally:
                connection.close()
            if response.status == 200:
                seen.add(health["pid"])
            else:
                assert (response.status, health["state"]) == (503, "warming"), health
            return len(seen) >= 2

        wait_for(both, seconds, "both workers to answer")
        return seen

    def children(self) -> set[int]:
        return {int(p.name) for p in Path("/proc").iterdir()
                if p.name.isdigit() and parent_of(int(p.name)) == self.process.pid and alive(int(p.name))}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process.stderr.close()


@pytest.fixture
def sample_index(tmp_path) -> Path:
    index = tmp_path / "index"
    SearchEngine(index).index([sample_path()])
    return index


@pytest.fixture
def server(sample_index):
    running = Server(sample_index)
    try:
        yield running
    finally:
        running.stop()


def test_two_workers_answer_and_a_killed_one_is_replaced(server):
    workers = server.worker_pids()
    assert workers == server.children()
    killed = min(workers)
    os.kill(killed, signal.SIGKILL)
    wait_for(lambda: len(server.children()) == 2 and killed not in server.children(), what="a new worker")
    wait_for(server.answers, what="the new worker to be ready")
    replaced = server.worker_pids()
    assert killed not in replaced and max(workers) in replaced
    new = (replaced - workers).pop()
    assert f"Booting worker with pid: {new}" in server.log_so_far()


def test_sigterm_stops_every_worker(server):
    workers = server.worker_pids()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=15) == 0
    assert not any(alive(pid) for pid in workers)


def test_ctrl_c_stops_every_worker(server):
    workers = server.worker_pids()
    os.killpg(server.process.pid, signal.SIGINT)  # what a terminal sends to the whole group
    assert server.process.wait(timeout=15) == 0
    assert not any(alive(pid) for pid in workers)


def test_workers_exit_when_the_supervisor_is_killed(server):
    workers = server.worker_pids()
    server.process.kill()
    server.process.wait()
    wait_for(lambda: not any(alive(pid) for pid in workers), 10, "the workers to exit")


def test_every_worker_sees_a_newly_published_generation(server, sample_index, tmp_path):
    search = "/api/search?" + urlencode({"q": "thuy dien lai chau"})
    workers = server.worker_pids()
    assert NEW_ARTICLE["id"] not in [hit["id"] for hit in server.get(search)[0]["hits"]]
    SearchEngine(sample_index).index([write_jsonl(tmp_path / "new.jsonl", [NEW_ARTICLE])])
    answered: set[int] = set()

    def found_by_both() -> bool:
        # Each worker answers from the previous generation until it has
        # prepared the new one ("updating"), then finds the new article.
        health, results = server.get("/healthz", search)
        found = NEW_ARTICLE["id"] in [hit["id"] for hit in results["hits"]]
        assert found or health["pid"] not in answered, "a worker went back to the previous generation"
        assert health["state"] in ("ready", "updating")
        if found:
            answered.add(health["pid"])
        return answered == workers

    wait_for(found_by_both, what="both workers to answer after the update")


def test_every_worker_reports_it_is_ready(server):
    for pid in server.worker_pids():
        assert pid in server.children()
    health = server.get("/healthz")[0]
    assert (health["ok"], health["ready"], health["state"], health["documents"]) == (True, True, "ready", 6)


def test_a_second_server_on_the_same_port_is_a_one_line_error(server, sample_index):
    second = subprocess.run(
        [sys.executable, "-m", "vn_search", "serve", "--index", str(sample_index), "--port", str(server.port),
         "--workers", "2"],
        capture_output=True, text=True, timeout=60,
    )
    assert second.returncode == 1
    assert second.stderr.strip().count("\n") == 0, second.stderr
    assert second.stderr.startswith(f"vn-search: cannot listen on 127.0.0.1:{server.port}: Address already in use")
    assert server.answers(), "the first server goes on serving"


def test_workers_must_be_at_least_one(sample_index):
    with pytest.raises(ValueError, match="workers"):
        serve(sample_index, workers=0)
    result = CliRunner().invoke(main, ["serve", "--index", str(sample_index), "--workers", "0"])
    assert result.exit_code == 2


def test_a_pasted_page_as_a_query_is_answered_not_refused(server):
    # Over 4 KB of URL once percent-encoded: gunicorn's default request-line
    # limit answered 414; the app reads the first 500 characters and says so.
    pasted = "Thủy điện Lai Châu khánh thành tổ máy cuối cùng, hòa lưới điện quốc gia. " * 20
    answer = server.get("/api/search?" + urlencode({"q": pasted}))[0]
    assert any("500" in notice for notice in answer["notices"]), answer["notices"]
