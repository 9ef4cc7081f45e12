"""The local OpenSearch launcher: real JVMs on 127.0.0.1, started, inspected, stopped."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from opensearch_fixtures import TEST_HEAP_MB, require_opensearch_tools
from vn_search.backends import opensearch_cluster
from vn_search.backends.opensearch_cluster import ClusterError, LocalCluster, find_free_ports, missing_tools


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def _request(method: str, url: str, body: dict | None = None) -> dict:
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def test_two_nodes_form_one_green_cluster(opensearch_two_nodes):
    cluster = opensearch_two_nodes
    for url in cluster.urls:  # every node answers, and sees the same two-node cluster
        health = _get(url + "/_cluster/health")
        assert health["status"] == "green"
        assert health["number_of_nodes"] == 2
    names = sorted(node["name"] for node in _get(cluster.url + "/_nodes/http")["nodes"].values())
    assert names == ["node-0", "node-1"]
    for row, node in zip(cluster.status(), cluster.node_processes):
        assert row["running"] and row["answering"]
        assert int((node.folder / "pid").read_text()) == row["pid"]
        # A 384 MB heap: the JVM stays well under a gigabyte.
        assert row["rss_mb"] < 1024, row


def _wait_gone(pid: int, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


OWNER = """
import sys
from vn_search.backends.opensearch_cluster import LocalCluster
cluster = LocalCluster(sys.argv[1], nodes=1, http_port=int(sys.argv[2]), heap_mb=int(sys.argv[3]), tied_to_caller=True)
cluster.start()
print(cluster.node_processes[0].pid, flush=True)
sys.stdin.read()
"""


def test_nodes_die_with_their_owner_and_keep_their_data(tmp_path):
    """A test session killed with -9 leaves no JVM behind; what the node
    stored is there when it starts again; `stop` ends it cleanly."""
    require_opensearch_tools()
    folder, port = tmp_path / "cluster", find_free_ports(1, start=21000)
    owner = subprocess.Popen([sys.executable, "-c", OWNER, str(folder), str(port), str(TEST_HEAP_MB)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(owner.stdout.readline())
        title = "Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà"
        _request("PUT", f"http://127.0.0.1:{port}/notes/_doc/1?refresh=true", {"title": title})
        owner.kill()
        owner.wait()
        log = folder / "node-0" / "node.log"
        assert _wait_gone(pid, 120), "the node outlived the process that started it:\n" + log.read_text()[-2000:]
        assert "standard input closed, stopping" in log.read_text()

        cluster = LocalCluster.from_directory(folder)
        cluster.start()
        assert _get(cluster.url + "/notes/_doc/1")["_source"]["title"] == title
        pid = cluster.node_processes[0].pid
        assert cluster.stop() == ["node-0"]
        assert _wait_gone(pid, 1)
        assert not (folder / "node-0" / "pid").exists()
        assert "vn-search-node: stopped node-0" in cluster.node_processes[0].log_tail()
    finally:
        owner.kill()
        LocalCluster.from_directory(folder).stop()


def test_a_taken_port_is_a_one_line_error(tmp_path):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(ClusterError, match=f"port {port} on 127.0.0.1 is taken"):
            LocalCluster(tmp_path, nodes=1, http_port=port).start()
    assert not (tmp_path / "node-0").exists()


def test_missing_java_and_maven_are_named(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # no java, no mvn
    missing = missing_tools()
    assert any(line.startswith("Java") for line in missing)
    assert any(line.startswith("Maven") for line in missing)
    assert opensearch_cluster.main(["start", "--dir", str(tmp_path / "c"), "--http-port", "19999"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("error: cannot build the OpenSearch node: missing Java")
    assert "Traceback" not in error


def test_status_of_a_folder_without_a_cluster(tmp_path, capsys):
    assert opensearch_cluster.main(["status", "--dir", str(tmp_path)]) == 1
    assert "no cluster was started in" in capsys.readouterr().err
