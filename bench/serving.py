"""``vn-search serve`` as the HTTP benchmarks drive it: the index they serve,
the server in a process group of its own, keep-alive requests, and the query
mix of a realistic reader.

The index is ``bench/work/load-index-<docs>/``: the first ``docs`` vietnews
test articles, built once by whichever benchmark needs it first and reused
by the others (bench.load, bench.readers_during_writes, bench.request_profile).

The query mix (fixed seed, from titles of indexed articles): accented title
fragments (35%), the same unaccented (25%), quoted three-word phrases
(15%), page 2 to 5 of an accented fragment (15%), two-word queries (10%),
all through ``/api/search``.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from urllib.parse import urlencode

from bench.common import LOOPBACK, ROOT, WORK_DIR, free_port, vn_search_command
from bench.datasets import VIETNEWS_TEST_DOCS, iter_jsonl, sample_title_words, unaccent, write_jsonl

MIX = [("accented", 35), ("unaccented", 25), ("phrase", 15), ("page 2+", 15), ("two words", 10)]
START_TIMEOUT = 120  # seconds for `serve` to answer /healthz (it loads the index first)
HTTP_TIMEOUT = 60


# -- the index -------------------------------------------------------------------------


def load_index_path(docs: int) -> Path:
    return WORK_DIR / f"load-index-{docs}"


def load_index_titles(docs: int) -> list[dict]:
    """Id and title of each article of the ``docs``-article load index."""
    if not VIETNEWS_TEST_DOCS.exists():
        raise SystemExit(f"the load index needs {VIETNEWS_TEST_DOCS} (the vietnews test split)")
    return [{"id": r["id"], "title": r["title"]} for r in islice(iter_jsonl(VIETNEWS_TEST_DOCS), docs)]


def indexed_documents(index: Path) -> int | None:
    """Documents in the index, as `vn-search stats` counts them; None without one."""
    done = subprocess.run(vn_search_command("stats", "--index", index, "--json"), capture_output=True, text=True)
    return json.loads(done.stdout)["documents"] if done.returncode == 0 else None


def ensure_load_index(docs: int) -> tuple[Path, list[dict], float | None]:
    """The index of the first ``docs`` vietnews test articles, built unless
    a usable one is already there; (index, ids and titles, build seconds or None)."""
    records = load_index_titles(docs)
    index = load_index_path(docs)
    if indexed_documents(index) == len(records):
        return index, records, None
    corpus = write_jsonl(WORK_DIR / f"load-corpus-{docs}.jsonl", islice(iter_jsonl(VIETNEWS_TEST_DOCS), docs))
    print(f"building {index.relative_to(ROOT)} from {docs} articles…", flush=True)
    started = time.perf_counter()
    done = subprocess.run(vn_search_command("index", corpus, "--index", index, "--rebuild"),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"indexing failed:\n{done.stderr}")
    corpus.unlink()
    return index, records, time.perf_counter() - started


# -- the server ------------------------------------------------------------------------


def get(connection: http.client.HTTPConnection, path: str) -> tuple[int | None, bytes, str]:
    """One GET on a keep-alive connection: (status, body, "") or (None,
    b"", the error). A connection the server closes, or that fails, is
    closed; http.client opens it again on the next request."""
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.will_close:
            connection.close()
        return response.status, body, ""
    except (OSError, http.client.HTTPException) as error:
        connection.close()
        return None, b"", repr(error)


class Server:
    """`vn-search serve` on a free loopback port, in its own session (so
    that its workers can be counted and stopped with it); its stderr goes to
    ``log`` when given, since a failed request is explained only there."""

    def __init__(self, index: Path, *, workers: int | None = None, threads: int | None = None,
                 log: Path | None = None) -> None:
        self.port = free_port()
        self.log = log
        command = vn_search_command("serve", "--index", index, "--host", LOOPBACK, "--port", self.port)
        for option, value in (("--workers", workers), ("--threads", threads)):
            if value:
                command += [option, str(value)]
        with open(log, "wb") if log else open(os.devnull, "wb") as stderr:
            self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr,
                                            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while self.get("/healthz")[0] != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("the server did not start" + (f"; see {log}" if log else ""))
            time.sleep(0.2)

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(LOOPBACK, self.port, timeout=HTTP_TIMEOUT)

    def get(self, path: str) -> tuple[int | None, bytes]:
        """One request on a connection of its own: (status or None, body)."""
        connection = self.connection()
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            return None, repr(error).encode()
        finally:
            connection.close()

    def _processes(self) -> Iterator[tuple[Path, list[str]]]:
        """(/proc/<pid>, stat fields after the command name) of every process
        of the server's session: the supervisor and its workers."""
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process is gone
            if int(fields[3]) == self.process.pid:  # fields[3]: the session id
                yield stat.parent, fields

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of every server process so far (Linux):
        the supervisor with the workers it has reaped, and the live ones."""
        ticks = 0
        for folder, fields in self._processes():
            ticks += int(fields[11]) + int(fields[12])
            if int(folder.name) == self.process.pid:
                ticks += int(fields[13]) + int(fields[14])
        return ticks / os.sysconf("SC_CLK_TCK") if ticks else None

    def anonymous_mb(self) -> int:
        """Private memory (RssAnon) of the server and its workers: the index
        copies readers hold show up here."""
        total_kb = 0
        for folder, _ in self._processes():
            try:
                status = (folder / "status").read_text()
            except OSError:
                continue
            total_kb += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("RssAnon:")), 0)
        return total_kb // 1024

    def log_tail(self, lines: int = 40) -> list[str]:
        if not self.log:
            return []
        return self.log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


# -- the query mix ---------------------------------------------------------------------


def query_mix(records: list[dict], count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``(label, path)`` pairs drawn with the weights of MIX."""
    labels, weights = zip(*MIX)
    mix = []
    for _ in range(count):
        label = rng.choices(labels, weights)[0]
        title = rng.choice(records)["title"]
        words = title.split()
        args: dict = {}
        if label in ("accented", "page 2+"):
            args["q"] = sample_title_words(title, rng, k=rng.randint(2, 4))
        elif label == "unaccented":
            args["q"] = unaccent(sample_title_words(title, rng, k=rng.randint(2, 4)))
        elif label == "phrase":
            start = rng.randrange(max(1, len(words) - 2))
            args["q"] = '"' + " ".join(words[start:start + 3]) + '"'
        else:
            start = rng.randrange(max(1, len(words) - 1))
            args["q"] = " ".join(words[start:start + 2])
        if label == "page 2+":
            args["page"] = rng.randint(2, 5)
        mix.append((label, "/api/search?" + urlencode(args)))
    return mix
