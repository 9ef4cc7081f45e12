"""What every benchmark shares to run and to report: where scratch files and
results go, percentiles, tables, the machine's load, free loopback ports,
result files, which engine code was measured and the ``vn-search`` command line.

The machines are shared and noisy, so every benchmark prints the load
average beside its figures and writes them to ``bench/results/<name>.json``.

>>> print_table([{"set": "mds", "MRR@10": 0.912, "n": 199}, {"set": "ki4w", "MRR@10": 0.7, "n": 1000}])
set   MRR@10     n
----  ------  ----
mds    0.912   199
ki4w     0.7  1000
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK_DIR = ROOT / "bench" / "work"  # scratch indexes and corpora, git-ignored
RESULTS_DIR = ROOT / "bench" / "results"  # one JSON file per benchmark, git-ignored
LOOPBACK = "127.0.0.1"  # benchmarks serve on loopback only, always


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default method); NaN when empty.

    >>> percentile([1, 2, 3, 4], 50), percentile([5], 95), round(percentile(range(1, 101), 95), 2)
    (2.5, 5.0, 95.05)
    """
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def format_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None, *, markdown: bool = False) -> str:
    """Rows of dicts as a table: a header, numbers right-aligned, text
    left-aligned; ``columns`` picks and orders them (default: the first
    row's keys), a missing value or None is blank. ``markdown`` gives a pipe table.

    >>> print(format_table([{"measure": "build s", "measured": 171.5}], markdown=True))
    | measure | measured |
    |---------|----------|
    | build s |    171.5 |
    """
    if not rows:
        return ""
    columns = list(columns or rows[0])
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    numeric = [all(isinstance(row.get(column), (int, float)) for row in rows if row.get(column) not in (None, ""))
               for column in columns]
    widths = [max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]

    def line(values: list[str]) -> list[str]:
        return [value.rjust(width) if right else value.ljust(width) for value, width, right in zip(values, widths, numeric)]

    if markdown:
        lines = ["| " + " | ".join(line(columns)) + " |",
                 "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
        lines += ["| " + " | ".join(line(values)) + " |" for values in cells]
    else:
        lines = ["  ".join(line(columns)).rstrip(), "  ".join("-" * width for width in widths)]
        lines += ["  ".join(line(values)).rstrip() for values in cells]
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:
        return "n/a"
    return str(value)


def print_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None) -> None:
    """Print :func:`format_table` of the rows."""
    print(format_table(rows, columns))


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded: the noise beside a figure."""
    return [round(value, 2) for value in os.getloadavg()]


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def write_results(data: dict, path: Path) -> Path:
    """``data`` as UTF-8 JSON at ``path`` (folders made), and say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    try:
        shown = path.resolve().relative_to(ROOT)
    except ValueError:
        shown = path
    print(f"wrote {shown}")
    return path


def engine_source() -> str:
    """The commit and whether src/ differs from it: others edit the engine
    while benchmarks run, so a result says which code it measured."""
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()
    changed = git("status", "--porcelain", "--", "src")
    newest = max((path.stat().st_mtime for path in (ROOT / "src").rglob("*.py")), default=0)
    edited = datetime.fromtimestamp(newest, timezone.utc).isoformat(timespec="seconds")
    return (f"commit {git('rev-parse', '--short', 'HEAD') or '?'}"
            + (f", src/ edited ({len(changed.splitlines())} files, newest {edited})" if changed else ", src/ clean"))


def ranking_only(engine) -> dict:
    """Search arguments that give the plain ranking, one hit per article:
    ``group=False`` where the engine groups stories (issue 14), nothing for
    an older engine measured as a baseline. Relevance and result-set
    figures stay comparable with the runs before grouping; what grouping
    adds is measured by ``bench.story_groups``."""
    import inspect

    return {"group": False} if "group" in inspect.signature(engine.search).parameters else {}


def vn_search_command(*args) -> list[str]:
    """``python -m vn_search ARGS`` with this interpreter: the CLI as a user runs it."""
    return [sys.executable, "-m", "vn_search", *map(str, args)]
