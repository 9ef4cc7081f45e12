"""A local OpenSearch cluster on 127.0.0.1, for tests and development.

The machines have Java 17 and Maven but no OpenSearch distribution, so the
node is the small Java program in ``opensearch/`` at the repository root
(``LocalNode``), built against the 2.19 jars from Maven Central: Maven
resolves them once into ``~/.m2``, writes the classpath to
``opensearch/target/classpath.txt``, and every later start is offline.
One JVM holds one node, so a test can kill -9 one node of three.

    python -m vn_search.backends.opensearch_cluster start --nodes 3 --dir /tmp/os
    python -m vn_search.backends.opensearch_cluster status --dir /tmp/os
    python -m vn_search.backends.opensearch_cluster stop --dir /tmp/os

Node ``i`` answers HTTP on ``http_port + i`` and transport on
``transport_port + i``; its files (data, logs, ``node.log``, ``pid``) live in
``DIR/node-i``, and ``DIR/cluster.json`` says how the cluster was started.
Point production at a real cluster instead: plugins loaded from the
classpath and a node without the distribution's bootstrap checks are fine
for a test machine, not for a newsroom's archive.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from vn_search.errors import VnSearchError

__all__ = [
    "ClusterError",
    "LocalCluster",
    "NodeProcess",
    "build_classpath",
    "find_free_ports",
    "missing_tools",
    "project_dir",
]

HEAP_MB = 512  # per node: three nodes and the indexer fit a 2-core, 24 GB machine with room to spare
MAIN_CLASS = "vnsearch.opensearch.LocalNode"
# What the distribution's jvm.options would give an OpenSearch 2.x node and
# matters without its bootstrap: COMPAT locale data for date formats, no log4j
# JMX or shutdown hook of its own (the node closes itself on SIGTERM).
JVM_OPTIONS = [
    "-XX:+UseG1GC",
    "-Djava.locale.providers=SPI,COMPAT",
    "-Dlog4j2.disable.jmx=true",
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
]
# Node settings for a cluster on one machine's loopback: copying a shard to
# a new replica is not throttled to the 40 MB/s meant for a shared network
# (corpus C's replicas took 36 s to build after a rebuild's load).
NODE_SETTINGS = ["-Eindices.recovery.max_bytes_per_sec=1gb"]


class ClusterError(VnSearchError):
    """The local cluster could not be built, started or reached; the message says why in one line."""


def project_dir() -> Path:
    """The Maven project of the node: ``$VN_SEARCH_OPENSEARCH_PROJECT`` or
    ``opensearch/`` beside ``src/`` in a checkout."""
    configured = os.environ.get("VN_SEARCH_OPENSEARCH_PROJECT")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "opensearch"


def missing_tools() -> list[str]:
    """What this machine lacks to run a local cluster (empty when nothing)."""
    missing = []
    if shutil.which("java") is None:
        missing.append("Java (no `java` on PATH; OpenSearch 2.19 needs Java 11-21)")
    if shutil.which("mvn") is None:
        missing.append("Maven (no `mvn` on PATH)")
    if not (project_dir() / "pom.xml").exists():
        missing.append(f"the node's Maven project ({project_dir() / 'pom.xml'} not found)")
    return missing


def _newest_source(project: Path) -> float:
    sources = [project / "pom.xml", *project.joinpath("src").rglob("*")]
    return max(path.stat().st_mtime for path in sources if path.is_file())


def build_classpath(project: Path | None = None, quiet: bool = True) -> list[str]:
    """The node's classpath, building it first when the sources are newer.

    Maven runs offline when the jars are already in ``~/.m2`` and online
    otherwise (Maven Central only). Two processes building at once (two test
    sessions) take turns on a lock file.
    """
    project = project or project_dir()
    missing = missing_tools()
    if missing:
        raise ClusterError("cannot build the OpenSearch node: missing " + "; ".join(missing))
    target = project / "target"
    target.mkdir(exist_ok=True)
    with open(target / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        listing = target / "classpath.txt"
        classes = target / "classes" / (MAIN_CLASS.replace(".", "/") + ".class")
        if not (listing.exists() and classes.exists() and listing.stat().st_mtime >= _newest_source(project)
                and all(Path(jar).exists() for jar in _read_classpath(listing))):
            _run_maven(project, quiet)
        return [str(target / "classes"), *_read_classpath(listing)]


def _read_classpath(listing: Path) -> list[str]:
    if not listing.exists():
        return []
    return [entry for entry in listing.read_text().strip().split(os.pathsep) if entry]


def _run_maven(project: Path, quiet: bool) -> None:
    base = ["mvn", "-B", "-DskipTests", *(["-q"] if quiet else []), "package"]
    offline = subprocess.run([*base[:1], "-o", *base[1:]], cwd=project, capture_output=True, text=True)
    if offline.returncode == 0:
        return
    online = subprocess.run(base, cwd=project, capture_output=True, text=True)
    if online.returncode != 0:
        tail = (online.stdout + online.stderr).strip().splitlines()[-15:]
        raise ClusterError(f"`mvn package` failed in {project}:\n" + "\n".join(tail))


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def find_free_ports(count: int, start: int = 19200, stop: int = 29000) -> int:
    """The first port ``p`` from ``start`` such that ``p .. p+count-1`` and
    ``p+100 .. p+100+count-1`` (HTTP and transport) are all free: tests
    use it so that they never meet another cluster on this machine."""
    for base in range(start, stop, max(count, 1) + 1):
        if all(port_is_free(base + i) and port_is_free(base + 100 + i) for i in range(count)):
            return base
    raise ClusterError(f"no {count} free ports between {start} and {stop} on 127.0.0.1")


@dataclass
class NodeProcess:
    """One node's JVM, as the launcher knows it."""

    index: int
    folder: Path
    http_port: int
    process: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"node-{self.index}"

    @property
    def pid(self) -> int | None:
        if self.process is not None:
            return self.process.pid
        try:
            return int((self.folder / "pid").read_text())
        except (OSError, ValueError):
            return None

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        pid = self.pid
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return _is_our_node(pid)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.folder / "node.log").read_text(errors="replace")
        except OSError:
            return "(no node.log)"
        return "\n".join(text.strip().splitlines()[-lines:])


def _is_our_node(pid: int) -> bool:
    """Whether ``pid`` is a LocalNode JVM (a pid file may outlive its process, and the pid be reused)."""
    try:
        return MAIN_CLASS.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file


@dataclass
class LocalCluster:
    """N nodes of one cluster on 127.0.0.1, started as separate JVMs.

        >>> cluster = LocalCluster("/tmp/os", nodes=3, http_port=9200)
        >>> cluster.url
        'http://127.0.0.1:9200'
    """

    directory: Path | str
    nodes: int = 1
    http_port: int = 9200
    transport_port: int | None = None  # default: http_port + 100
    heap_mb: int = HEAP_MB
    cluster_name: str = "vn-search"
    # Nodes stop when this process ends, however it ends (tests); the CLI's
    # `start` leaves them running for `stop`.
    tied_to_caller: bool = False
    node_processes: list[NodeProcess] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.directory = Path(self.directory).resolve()
        if self.transport_port is None:
            self.transport_port = self.http_port + 100
        if not 1 <= self.nodes <= 9:
            raise ClusterError(f"--nodes must be 1 to 9, not {self.nodes}")
        self.node_processes = [NodeProcess(i, self.directory / f"node-{i}", self.http_port + i)
                               for i in range(self.nodes)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def urls(self) -> list[str]:
        """Every node's address: a client given them all survives one node's death."""
        return [f"http://127.0.0.1:{node.http_port}" for node in self.node_processes]

    @classmethod
    def from_directory(cls, directory: Path | str) -> "LocalCluster":
        """The cluster a previous ``start`` wrote to ``DIR/cluster.json``."""
        path = Path(directory) / "cluster.json"
        try:
            described = json.loads(path.read_text())
        except FileNotFoundError:
            raise ClusterError(f"no cluster was started in {directory} ({path} is missing)") from None
        return cls(directory, described["nodes"], described["http_port"], described["transport_port"],
                   described["heap_mb"], described["cluster_name"])

    def start(self, timeout: float = 120.0, classpath: list[str] | None = None) -> "LocalCluster":
        """Start every node and wait until the cluster is green (yellow for
        one node, which cannot hold replicas)."""
        for node in self.node_processes:
            if node.alive():
                raise ClusterError(f"{node.name} of {self.directory} is already running (pid {node.pid}); "
                                   f"stop it first")
        taken = [port for i in range(self.nodes) for port in (self.http_port + i, self.transport_port + i)
                 if not port_is_free(port)]
        if taken:
            raise ClusterError(f"port {taken[0]} on 127.0.0.1 is taken: choose another --http-port")
        classpath = classpath or build_classpath()
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "cluster.json").write_text(json.dumps({
            "nodes": self.nodes, "http_port": self.http_port, "transport_port": self.transport_port,
            "heap_mb": self.heap_mb, "cluster_name": self.cluster_name, "url": self.url}, indent=2))
        for node in self.node_processes:
            self.start_node(node.index, classpath)
        self.wait_until_healthy(timeout)
        return self

    def start_node(self, index: int, classpath: list[str] | None = None) -> NodeProcess:
        """Start (or restart) one node's JVM; it joins the cluster by itself."""
        classpath = classpath or build_classpath()
        node = self.node_processes[index]
        node.folder.mkdir(parents=True, exist_ok=True)
        command = [
            "java", f"-Xms{self.heap_mb}m", f"-Xmx{self.heap_mb}m", *JVM_OPTIONS,
            "-cp", os.pathsep.join(classpath), MAIN_CLASS,
            "--dir", str(self.directory), "--node", str(index), "--nodes", str(self.nodes),
            "--http-port", str(self.http_port), "--transport-port", str(self.transport_port),
            "--cluster-name", self.cluster_name, "--stop-with-stdin", str(self.tied_to_caller).lower(),
            *NODE_SETTINGS,
        ]
        with open(node.folder / "node.log", "ab") as log:
            # Its own session: a Ctrl-C meant for the caller does not kill the
            # cluster half-way; `stop` ends it.
            # A tied node reads a pipe only this process holds: when it ends,
            # the pipe closes and the node stops.
            stdin = subprocess.PIPE if self.tied_to_caller else subprocess.DEVNULL
            node.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=stdin, start_new_session=True)
        (node.folder / "pid").write_text(str(node.process.pid))
        return node

    def health(self, timeout: float = 2.0) -> dict | None:
        """``/_cluster/health`` from the first node that answers, or None."""
        for node in self.node_processes:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{node.http_port}/_cluster/health",
                                            timeout=timeout) as answer:
                    return json.load(answer)
            except (OSError, ValueError):
                continue
        return None

    def wait_until_healthy(self, timeout: float = 120.0, nodes: int | None = None) -> dict:
        """Wait until ``nodes`` (default: all) nodes have joined and the
        cluster is green, or yellow with one node."""
        nodes = nodes or self.nodes
        wanted = ("green", "yellow") if nodes == 1 else ("green",)
        deadline = time.monotonic() + timeout
        while True:
            for node in self.node_processes:
                if node.process is not None and node.process.poll() is not None:
                    raise ClusterError(f"{node.name} exited with code {node.process.returncode} while starting; "
                                       f"its log ({node.folder / 'node.log'}) ends:\n{node.log_tail()}")
            health = self.health()
            if health and health.get("number_of_nodes", 0) >= nodes and health.get("status") in wanted:
                return health
            if time.monotonic() > deadline:
                state = f"status {health.get('status')} with {health.get('number_of_nodes')} nodes" if health else \
                    "no node answers HTTP"
                raise ClusterError(f"the cluster in {self.directory} was not ready after {timeout:.0f} s ({state})")
            time.sleep(0.25)

    def kill_node(self, index: int, sig: int = signal.SIGKILL) -> None:
        """Send a signal to one node (tests kill -9 a node to see failover)."""
        node = self.node_processes[index]
        if node.pid is not None and node.alive():
            os.kill(node.pid, sig)
            if node.process is not None:
                node.process.wait(timeout=60)

    def stop(self, timeout: float = 60.0) -> list[str]:
        """Stop every node (SIGTERM, then SIGKILL after ``timeout``); the names of those that were running."""
        running = [node for node in self.node_processes if node.alive()]
        for node in running:
            try:
                os.kill(node.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for node in running:
            while node.alive() and time.monotonic() < deadline:
                if node.process is not None:
                    try:
                        node.process.wait(timeout=0.2)
                    except subprocess.TimeoutExpired:
                        pass
                else:
                    time.sleep(0.2)
            if node.alive():
                os.kill(node.pid, signal.SIGKILL)
        for node in self.node_processes:
            (node.folder / "pid").unlink(missing_ok=True)
        return [node.name for node in running]

    def status(self) -> list[dict]:
        """Each node: name, pid, whether its JVM runs and whether its HTTP port answers."""
        rows = []
        for node in self.node_processes:
            answering = False
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{node.http_port}/", timeout=2) as answer:
                    answering = answer.status == 200
            except (OSError, ValueError):
                pass
            rows.append({"node": node.name, "pid": node.pid if node.alive() else None, "running": node.alive(),
                         "http": f"127.0.0.1:{node.http_port}", "answering": answering,
                         "rss_mb": _rss_mb(node.pid) if node.alive() else None})
        return rows


def _rss_mb(pid: int | None) -> float | None:
    """A process's resident memory, from /proc (None where there is none)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def main(argv: list[str] | None = None, prog: str = "python -m vn_search.backends.opensearch_cluster") -> int:
    """``start``, ``stop`` and ``status`` (what ``vn-search opensearch`` runs); the exit status."""
    parser = argparse.ArgumentParser(prog=prog,
                                     description="Start, stop or inspect a local OpenSearch cluster on 127.0.0.1.")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="build the node once, start N nodes, wait until green")
    start.add_argument("--nodes", type=int, default=1)
    start.add_argument("--dir", default="opensearch-cluster", help="where the nodes keep their data, logs and pids")
    start.add_argument("--http-port", type=int, default=9200, help="node i answers on this port + i")
    start.add_argument("--transport-port", type=int, default=None, help="default: the HTTP port + 100")
    start.add_argument("--heap-mb", type=int, default=HEAP_MB)
    start.add_argument("--timeout", type=float, default=120.0)
    for name in ("stop", "status"):
        sub = commands.add_parser(name, help=f"{name} the cluster started in --dir")
        sub.add_argument("--dir", default="opensearch-cluster")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            cluster = LocalCluster(args.dir, args.nodes, args.http_port, args.transport_port, args.heap_mb)
            started = time.monotonic()
            build_classpath()
            built = time.monotonic()
            health = cluster.start(args.timeout).health() or {}
            print(f"{cluster.url}  ({args.nodes} node{'s' * (args.nodes > 1)}, {health.get('status', '?')}; "
                  f"built in {built - started:.1f} s, started in {time.monotonic() - built:.1f} s)")
        elif args.command == "stop":
            stopped = LocalCluster.from_directory(args.dir).stop()
            print(f"stopped {', '.join(stopped)}" if stopped else f"no node of {args.dir} was running")
        else:
            for row in LocalCluster.from_directory(args.dir).status():
                state = "running" if row["running"] else "stopped"
                print(f"{row['node']}  {state:7}  pid {row['pid'] or '-'}  http {row['http']}  "
                      f"{'answering' if row['answering'] else 'not answering'}  rss {row['rss_mb'] or '-'} MB")
    except ClusterError as error:
        print(f"{prog.split()[0] if prog.startswith('vn-search') else 'error'}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
