"""Where one search request's CPU goes, in-process, through the Flask app.

Runs the query mix of ``bench.serving`` (accented, unaccented, phrases,
page 2+, two words) over ``bench/work/load-index-<docs>/`` (built by
bench.load) through ``app.test_client()``: to ``/api/search`` and to the
``/search`` page (every other query), no query twice, in a fresh process, so posting
lists are decoded as a server meets them. Prints CPU ms per request by
endpoint and query kind (without the profiler), then the share of each
part of the work (with cProfile, on other queries of the same mix).

No HTTP server and no other process: the figures are the server's own
work per request, the ceiling being ``cores / CPU per request``.

Usage (repository root, project venv)::

    .venv/bin/python -m bench.request_profile [--docs 20000] [--queries 300] [--seed 13]

Writes ``bench/results/request_profile.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import sys
import time
from collections import defaultdict

from bench.common import RESULTS_DIR, write_results
from bench.datasets import SEED
from bench.serving import load_index_path, load_index_titles, query_mix

# (part, module file suffix, function): cumulative time of each, from the profile.
PARTS = [
    ("scoring (all)", "vn_search/scoring.py", "run"),
    ("  phrase/filter masks (Whoosh)", "vn_search/scoring.py", "_mask"),
    ("  posting lists decoded", "vn_search/scoring.py", "postings"),
    ("hits (stored fields, snippets)", "vn_search/engine.py", "_hit"),
    ("  snippets", "vn_search/highlight.py", "make_snippet"),
    ("  headlines marked", "vn_search/highlight.py", "mark_text"),
    ("suggestion", "vn_search/suggest.py", "suggest"),
    ("facets", "vn_search/engine.py", "facets"),
    ("page template", "flask/templating.py", "render_template"),
    ("JSON", "flask/json/__init__.py", "jsonify"),
]


def requests_for(mix: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(endpoint, kind, path): every other query to the page instead of the
    API, so that neither endpoint answers a query the other has warmed."""
    out = []
    for number, (kind, path) in enumerate(mix):
        endpoint = "/search" if number % 2 else "/api/search"
        out.append((endpoint, kind, path.replace("/api/search", endpoint, 1)))
    return out


def cpu_per_request(client, requests) -> dict[str, dict[str, float]]:
    spent: dict[tuple[str, str], list[float]] = defaultdict(list)
    for endpoint, kind, path in requests:
        started = time.process_time()
        response = client.get(path)
        response.get_data()
        spent[endpoint, kind].append(time.process_time() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    table: dict[str, dict[str, float]] = defaultdict(dict)
    for (endpoint, kind), values in sorted(spent.items()):
        table[endpoint][kind] = round(sum(values) * 1000 / len(values), 2)
    for endpoint in list(table):
        values = [v for (e, _), vs in spent.items() if e == endpoint for v in vs]
        table[endpoint]["all"] = round(sum(values) * 1000 / len(values), 2)
    return table


def profile_parts(client, requests) -> dict[str, float]:
    profile = cProfile.Profile()
    profile.enable()
    for _, _, path in requests:
        client.get(path).get_data()
    profile.disable()
    stats = pstats.Stats(profile).stats
    total = sum(row[2] for row in stats.values())  # every function's own time
    shares = {}
    for part, suffix, function in PARTS:
        cumulative = sum(row[3] for (file, _, name), row in stats.items()
                         if file.endswith(suffix) and name == function)
        shares[part] = round(100 * cumulative / total, 1)
    return shares


def print_report(table: dict[str, dict[str, float]], shares: dict[str, float], queries: int, docs: int) -> None:
    kinds = sorted({kind for row in table.values() for kind in row})
    print(f"CPU ms per request, {queries} distinct queries, {docs} documents")
    print("endpoint      " + "  ".join(k.rjust(10) for k in kinds))
    for endpoint, row in table.items():
        print(endpoint.ljust(14) + "  ".join(f"{row.get(k, ''):>10}" for k in kinds))
    print("\nshare of profiled CPU (both endpoints; cumulative, so nested parts overlap)")
    for part, share in shares.items():
        print(f"  {part.ljust(34)} {share:5.1f} %")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=300, help="queries per pass (half to each endpoint)")
    parser.add_argument("--seed", type=int, default=SEED)
    options = parser.parse_args(argv)

    index = load_index_path(options.docs)
    if not (index / "current").exists():
        raise SystemExit(f"{index} is missing: run python -m bench.load --docs {options.docs} first")
    records = load_index_titles(options.docs)
    rng = random.Random(options.seed)
    warmup, timed, profiled = (requests_for(query_mix(records, n, rng)) for n in (20, options.queries, options.queries))

    from vn_search.web import create_app

    client = create_app(index, TESTING=True).test_client()
    cpu_per_request(client, warmup)  # searchers, statistics and templates loaded
    table = cpu_per_request(client, timed)
    shares = profile_parts(client, profiled)

    print_report(table, shares, options.queries, options.docs)
    write_results({"documents": options.docs, "queries": options.queries, "seed": options.seed,
                   "cpu_ms_per_request": table, "profile_share_percent": shares}, RESULTS_DIR / "request_profile.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
