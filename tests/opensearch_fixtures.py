"""Real OpenSearch clusters for the tests, started once per session.

``opensearch_one_node`` and ``opensearch_two_nodes`` start clusters with
the project's own launcher (``vn_search.backends.opensearch_cluster``) on
free ports of 127.0.0.1, in the session's temporary folder, and stop them
at the end. Where Java or Maven is missing they skip, naming what is
missing, except under CI (``CI`` set), where a missing tool is a failure:
CI has both, and a silent skip there would hide a broken setup.

``conftest.py`` imports them, so that every test module shares the same
two clusters (a fixture imported into two modules would start two). The
functions' names differ from the fixtures', so that a test's argument does
not shadow the import.
"""

from __future__ import annotations

import os
from typing import Iterator

import pytest

from vn_search.backends.opensearch_cluster import LocalCluster, build_classpath, find_free_ports, missing_tools

__all__ = ["one_node_cluster", "two_node_cluster", "require_opensearch_tools"]

# Small heaps: three JVMs (these two clusters) share 2 cores and 24 GB with the rest of the suite.
TEST_HEAP_MB = 384


def require_opensearch_tools() -> list[str]:
    """The node's classpath (built once); skips the test, or fails it under CI, when a tool is missing."""
    missing = missing_tools()
    if missing:
        message = "OpenSearch tests need " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must have them)")
        pytest.skip(message)
    return build_classpath()


def _cluster(tmp_path_factory, nodes: int) -> Iterator[LocalCluster]:
    classpath = require_opensearch_tools()
    folder = tmp_path_factory.mktemp(f"opensearch-{nodes}-nodes")
    # Start the port search at a place of this process's own, so that two test
    # sessions on one machine (developers, CI) rarely reach for the same ports.
    first = find_free_ports(nodes, start=19200 + (os.getpid() % 500) * 10)
    # Tied: a test session killed by a time limit takes its JVMs with it.
    cluster = LocalCluster(folder, nodes=nodes, http_port=first, heap_mb=TEST_HEAP_MB, tied_to_caller=True)
    try:
        cluster.start(timeout=180, classpath=classpath)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session", name="opensearch_one_node")
def one_node_cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    yield from _cluster(tmp_path_factory, 1)


@pytest.fixture(scope="session", name="opensearch_two_nodes")
def two_node_cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    yield from _cluster(tmp_path_factory, 2)
