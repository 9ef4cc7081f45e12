"""A running server keeps answering while another process adds documents,
and serves them as soon as they are published, without a restart.

`vn-search serve` runs in a subprocess on a free loopback port; a few reader
threads hammer ``/api/search`` (keep-alive connections, a bounded number of
requests) for the whole time `vn-search index` adds 800 documents in another
subprocess.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from urllib.parse import quote, urlencode

import pytest
from conftest import write_jsonl
from test_crash_safety import document_ids, run_cli, vn_search

from bench.common import free_port
from bench.datagen import news_articles

READERS = 3
MAX_REQUESTS_PER_READER = 3000
TIME_LIMIT = 240  # seconds; the readers stop by themselves after this
PROBE = "luan chuyen can bo"
QUERIES = [PROBE, "giá vàng", '"hòa giải viên"', "hoc bong vung cao", "Sa Pa -Lào"]


class Client:
    """One keep-alive connection to the server; reconnects after a drop
    (which still counts as an error)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            self.connection.request("GET", path)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            raise

    def json(self, path: str) -> dict:
        status, body = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def close(self) -> None:
        self.connection.close()


def api_search(query: str, **args) -> str:
    return "/api/search?" + urlencode({"q": query, **args})


@pytest.fixture
def server(tmp_path):
    """`vn-search serve` over an index of 150 articles; yields (port, index, records)."""
    index = tmp_path / "index"
    records = news_articles(150, seed=11, prefix="dau")
    run_cli("index", write_jsonl(tmp_path / "base.jsonl", records), "--index", index)
    port = free_port()
    process = subprocess.Popen(
        vn_search("serve", "--index", index, "--port", port, "--threads", 4),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the server did not start: {process.stderr.read().decode()}")
            time.sleep(0.1)
    try:
        yield port, index, records
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        process.stderr.close()


def test_readers_never_fail_while_a_writer_publishes(server, tmp_path):
    port, index, base_records = server
    added_records = news_articles(800, seed=12, prefix="moi")
    added = write_jsonl(tmp_path / "added.jsonl", added_records)
    client = Client(port)
    before = client.json(api_search(PROBE))["total"]
    assert client.json("/healthz")["documents"] == len(document_ids(base_records))

    writing = threading.Event()
    written = threading.Event()
    stop = threading.Event()
    statuses: Counter = Counter()
    problems: list[str] = []
    probe_totals: Counter = Counter()
    during_write = [0]
    after_write = [0]
    lock = threading.Lock()

    def read(number: int) -> None:
        reader = Client(port)
        deadline = time.monotonic() + TIME_LIMIT
        try:
            for count in range(MAX_REQUESTS_PER_READER):
                if stop.is_set() or time.monotonic() > deadline:
                    break
                query = QUERIES[(number + count) % len(QUERIES)]
                path = api_search(query, page=1 + count % 3)
                try:
                    status, body = reader.get(path)
                except Exception as error:  # a dropped connection is a failure too
                    status, body = None, repr(error).encode()
                with lock:
                    statuses[status] += 1
                    if writing.is_set():
                        during_write[0] += 1
                    elif written.is_set():
                        after_write[0] += 1
                    if status != 200:
                        problems.append(f"{path}: {status} {body[:200]!r}")
                    elif query == PROBE and count % 3 == 0:
                        probe_totals[json.loads(body)["total"]] += 1
        finally:
            reader.close()

    threads = [threading.Thread(target=read, args=(number,), daemon=True) for number in range(READERS)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)  # the readers are warm before the writer starts
    writing.set()
    try:
        run_cli("index", added, "--index", index)
    finally:
        writing.clear()
        written.set()
        time.sleep(0.5)  # and still reading after the new generation is live
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert not problems, problems[:10]
    assert set(statuses) == {200}, statuses
    assert during_write[0] >= 20, f"only {during_write[0]} requests overlapped the write"
    assert after_write[0] > 0, "the readers stopped before the writer finished"

    # The new documents, through the running server, once it has prepared
    # the new generation (generations.SWAP_AFTER_SECONDS at most).
    deadline = time.monotonic() + 90
    while (after := client.json(api_search(PROBE))["total"]) == before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert after > before
    # A reader only ever saw the old index or the new one, never a mix.
    assert set(probe_totals) <= {before, after}, probe_totals
    assert client.json("/healthz")["documents"] == len(document_ids(base_records) | document_ids(added_records))
    for record in (added_records[0], added_records[399], added_records[-1]):
        hits = client.json(api_search(f'"{record["title"]}"', per_page=50))["hits"]
        assert [hit["id"] for hit in hits].count(record["id"]) == 1, record["title"]
        document = client.json("/api/doc/" + quote(record["id"], safe=""))
        assert document["title"] == record["title"]
    client.close()
    print(f"\n{sum(statuses.values())} requests, {during_write[0]} during the write; probe totals {dict(probe_totals)}")
