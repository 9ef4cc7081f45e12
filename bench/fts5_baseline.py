"""The SQLite FTS5 peer of the relevance benchmark (row S1d AND of
/work/shared/research/baselines.md).

* A contentless FTS5 table (``content=''``), tokenizer
  ``unicode61 remove_diacritics 2``, ranked by ``ORDER BY rank`` (bm25()).
* ``đ/Đ`` is folded to ``d`` in Python before FTS5 sees a document or a
  query: ``remove_diacritics`` treats đ as a letter of its own, so without it
  ``duong`` never finds ``Đường`` (baselines gotcha 1).
* A query is NFC-normalised, folded the same way, and every ``\\w+``
  syllable is double-quoted, joined by spaces: FTS5's implicit AND. Raw text
  in MATCH is a syntax error for a quarter of the MDS labels (``TP. Hà Nội``,
  ``Ấn Độ - Trung Quốc`` reads ``- Trung`` as a column filter: gotcha 3).

Usable alone for a quick look::

    .venv/bin/python -m bench.fts5_baseline "Giá vàng hôm nay"
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
import unicodedata
from pathlib import Path
from typing import Iterable

from bench.common import WORK_DIR
from bench.datasets import CORPUS_QUICK, TOP_K, WORD, document_text, iter_jsonl

_D_FOLD = str.maketrans({"đ": "d", "Đ": "d"})


def fts5_text(text: str) -> str:
    """What FTS5 is given: NFC, with đ folded (it folds the other marks)."""
    return unicodedata.normalize("NFC", text).translate(_D_FOLD)


def fts5_match(query: str) -> str:
    """A MATCH expression: each syllable quoted, implicit AND. '' if none."""
    return " ".join(f'"{word}"' for word in WORD.findall(fts5_text(query)))


class Fts5Baseline:
    """A contentless FTS5 index in one SQLite file, and its top-10 search."""

    def __init__(self, db_path: Path):
        self.db_path = Path(db_path)
        self._db: sqlite3.Connection | None = None
        self._doc_ids: list[str] = []  # rowid - 1 → document id

    def build(self, corpus: Iterable[Path]) -> dict:
        """Index every record of the corpus files; returns build figures.

        ``build_s`` covers reading and decompressing the JSONL (vn_search's
        build reads its files too), the inserts, the commit and the
        ``optimize`` merge. ``index_s`` leaves the reading out: that is what
        the baselines' 5.3 s measured (their corpus was already in memory).
        """
        self.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        documents = [(record["id"], fts5_text(document_text(record)))
                     for path in corpus for record in iter_jsonl(path)]
        read_done = time.perf_counter()
        db = sqlite3.connect(self.db_path)
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute("CREATE TABLE doc_ids (rowid INTEGER PRIMARY KEY, doc_id TEXT NOT NULL)")
        db.execute("CREATE VIRTUAL TABLE docs USING fts5("
                   "text, content='', tokenize='unicode61 remove_diacritics 2')")
        with db:
            db.executemany("INSERT INTO doc_ids (rowid, doc_id) VALUES (?, ?)",
                           ((rowid, doc_id) for rowid, (doc_id, _) in enumerate(documents, 1)))
            db.executemany("INSERT INTO docs (rowid, text) VALUES (?, ?)",
                           ((rowid, text) for rowid, (_, text) in enumerate(documents, 1)))
        with db:
            db.execute("INSERT INTO docs (docs) VALUES ('optimize')")
        finished = time.perf_counter()
        self._db, self._doc_ids = db, [doc_id for doc_id, _ in documents]
        seconds = finished - started
        return {
            "documents": len(documents),
            "build_s": round(seconds, 2),
            "read_s": round(read_done - started, 2),
            "index_s": round(finished - read_done, 2),
            "docs_per_s": round(len(documents) / seconds, 1),
            "db_mb": round(os.path.getsize(self.db_path) / 2**20, 1),
            "sqlite_version": sqlite3.sqlite_version,
        }

    def open(self) -> None:
        """Reuse an index built earlier in the same file."""
        self.close()
        self._db = sqlite3.connect(self.db_path)
        self._doc_ids = [doc_id for (doc_id,) in
                         self._db.execute("SELECT doc_id FROM doc_ids ORDER BY rowid")]

    def search(self, query: str, limit: int = TOP_K) -> list[str]:
        """Ids of the best ``limit`` documents; [] when no syllable is left."""
        match = fts5_match(query)
        if not match:
            return []
        rows = self._db.execute(
            "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY rank LIMIT ?", (match, limit))
        return [self._doc_ids[rowid - 1] for (rowid,) in rows]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def remove(self) -> None:
        """Close and delete the database file."""
        self.close()
        self.db_path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    """Build the peer on the quick corpus and show the top 5 ids of each query."""
    parser = argparse.ArgumentParser(description="The SQLite FTS5 peer alone, on the quick corpus (1,628 articles).")
    parser.add_argument("queries", nargs="*", default=["Giá vàng", "gia vang", "Đường", "duong"])
    queries = parser.parse_args(argv).queries
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    baseline = Fts5Baseline(WORK_DIR / "fts5-quick.sqlite")
    print(baseline.build(CORPUS_QUICK))
    for text in queries:
        print(repr(text), "→", fts5_match(text), baseline.search(text)[:5])
    baseline.remove()
    return 0


if __name__ == "__main__":
    sys.exit(main())
