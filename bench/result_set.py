"""The result set a reader meets beyond the top 10 (issue 12), measured on
the MDS labels for our engine and for the FTS5 baseline (an AND query):

* **junk@10 under date sort**: share of the date-sorted top 10 hits that
  hold fewer than 60% of the query's distinct syllables (accents removed),
  a coarse proxy the issue asked for;
* **junk@10, rarest word**: share of those hits missing the query's rarest
  word (lowest document frequency, folded): stricter on what a reader
  notices first ("phe đối lập Campuchia biểu tình" showing Venezuela);
* **recall in set**: share of each cluster's articles that are anywhere in
  the result set;
* **median result-set size** (and the 90th percentile).

Run by ``bench.relevance`` (``--sets mds,mds-unaccented``), or alone::

    .venv/bin/python -m bench.result_set [--index-dir bench/work/index-C]

Documents' text for the junk columns is read through ``SearchEngine.get``,
so the same code measures today's engine and an older one (run it with
``PYTHONPATH=<old checkout>/src``).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path
from typing import Callable

from vn_search.analysis.fold import fold_text

from bench.common import RESULTS_DIR, WORK_DIR, ranking_only, write_results
from bench.datasets import CORPUS_C, QuerySet, corpus_ids, iter_jsonl, mds_query_sets
from bench.fts5_baseline import fts5_match

JUNK_SHARE = 0.6  # a hit with fewer of the query's syllables is junk
RECALL_PAGES = 30  # pages of 100 read to find a cluster's articles in an unbounded set
_SYLLABLE = re.compile(r"\w+")


def syllables(text: str) -> set[str]:
    return {fold_text(s) for s in _SYLLABLE.findall(text.lower())}


class DocumentText:
    """Folded syllables of corpus documents, read once each."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self._cache: dict[str, set[str]] = {}

    def __call__(self, doc_id: str) -> set[str]:
        if doc_id not in self._cache:
            doc = self.engine.get(doc_id)
            text = " ".join([doc.title, doc.summary, *doc.paragraphs]) if doc else ""
            self._cache[doc_id] = syllables(text)
        return self._cache[doc_id]


def rarest_syllable(query: str, document_frequency: Callable[[str], int]) -> str | None:
    words = sorted(syllables(query), key=lambda s: (document_frequency(s), s))
    return words[0] if words else None


def set_metrics(
    query_set: QuerySet,
    date_top10: Callable[[str], tuple[list[str], int]],
    in_set: Callable[[str, set[str]], set[str]],
    text_of: Callable[[str], set[str]],
    document_frequency: Callable[[str], int],
) -> dict:
    """``date_top10(q)`` → (newest 10 ids, set size); ``in_set(q, ids)`` →
    which of ``ids`` are in the set."""
    junk, junk_rare, recall, sizes = [], [], [], []
    for query in query_set.queries:
        top, size = date_top10(query.text)
        sizes.append(size)
        wanted = syllables(query.text)
        rare = rarest_syllable(query.text, document_frequency)
        for doc_id in top:
            held = wanted & text_of(doc_id)
            junk.append(len(held) < JUNK_SHARE * len(wanted))
            junk_rare.append(rare not in held)
        relevant = set(query.relevant)
        if relevant:
            recall.append(len(in_set(query.text, relevant)) / len(relevant))
    ordered = sorted(sizes)
    return {
        "junk10": sum(junk) / len(junk) if junk else 0.0,
        "junk10_rarest": sum(junk_rare) / len(junk_rare) if junk_rare else 0.0,
        "recall_in_set": sum(recall) / len(recall) if recall else 0.0,
        "median_size": statistics.median(sizes) if sizes else 0,
        "p90_size": ordered[int(0.9 * (len(ordered) - 1))] if ordered else 0,
        "queries": len(query_set.queries),
    }


def engine_functions(engine):
    """``date_top10`` and ``in_set`` over the public ``SearchEngine`` API."""

    def date_top10(text: str) -> tuple[list[str], int]:
        results = engine.search(text, sort="date", per_page=10, suggest=False, **ranking_only(engine))
        return [hit.id for hit in results.hits], results.total

    def in_set(text: str, wanted: set[str]) -> set[str]:
        found: set[str] = set()
        for page in range(1, RECALL_PAGES + 1):
            results = engine.search(text, page=page, per_page=100, suggest=False, **ranking_only(engine))
            found |= wanted & {hit.id for hit in results.hits}
            if found == wanted or page * 100 >= results.total:
                break
        return found

    return date_top10, in_set


def fts5_functions(fts5, published: dict[str, str]):
    """The same for the FTS5 baseline as an AND query, newest first by
    the corpus's dates (FTS5 itself has none)."""

    def matches(text: str) -> list[str]:
        match = fts5_match(text)
        if not match:
            return []
        rows = fts5._db.execute("SELECT rowid FROM docs WHERE docs MATCH ?", (match,))
        return [fts5._doc_ids[rowid - 1] for (rowid,) in rows]

    def date_top10(text: str) -> tuple[list[str], int]:
        found = matches(text)
        newest = sorted(found, key=lambda doc_id: published.get(doc_id) or "", reverse=True)
        return newest[:10], len(found)

    def in_set(text: str, wanted: set[str]) -> set[str]:
        return wanted & set(matches(text))

    return date_top10, in_set


def corpus_dates(corpus: list[Path]) -> dict[str, str]:
    """Each document's publication time as sortable text (UTC ISO)."""
    from vn_search.sources.jsonl import parse_date

    dates = {}
    for path in corpus:
        for record in iter_jsonl(path):
            for key in ("published", "date", "crawl_date"):
                moment = parse_date(record.get(key))
                if moment:
                    dates[str(record.get("id"))] = moment.isoformat()
                    break
    return dates


def engine_document_frequency(engine) -> Callable[[str], int]:
    """Folded syllable document frequency, through a one-word search's total
    would be circular; read the index's own count instead (body, folded)."""
    reader, _ = engine._current().reader()
    return lambda syllable: reader.doc_frequency("body_f", syllable) + reader.doc_frequency("title_f", syllable)


def render(rows: dict[str, dict[str, dict]]) -> str:
    """``rows[system][set]`` → a table."""
    lines = ["Result set (issue 12; goals: junk@10 <= 0.05, recall in set >= 0.95, median size <= 1,000 of 58,443)",
             f"  {'system':<28}{'set':<16}{'junk@10':>9}{'junk@10 rarest':>16}{'recall in set':>15}{'median size':>13}{'p90 size':>10}"]
    for system, by_set in rows.items():
        for name, m in by_set.items():
            lines.append(f"  {system:<28}{name:<16}{m['junk10']:>9.3f}{m['junk10_rarest']:>16.3f}"
                         f"{m['recall_in_set']:>15.3f}{m['median_size']:>13,.0f}{m['p90_size']:>10,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from vn_search.engine import SearchEngine

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=WORK_DIR / "index-C")
    parser.add_argument("--label", default="vn_search", help="the system's name in the table")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "result_set.json")
    args = parser.parse_args(argv)
    engine = SearchEngine(args.index_dir)
    known = set(corpus_ids(CORPUS_C))
    sets = {name: s for name, s in mds_query_sets(known).items() if name in ("mds", "mds-unaccented")}
    text_of, df = DocumentText(engine), engine_document_frequency(engine)
    rows = {args.label: {name: set_metrics(s, *engine_functions(engine), text_of, df) for name, s in sets.items()}}
    table = render(rows)
    print(table)
    write_results({"rows": rows, "table": table}, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
