"""Building and updating an index: read sources, analyse documents in
worker processes, write them with one Whoosh writer, publish atomically.

Analysis (normalise → segment → terms) is the costly part, so it runs in
a process pool and each document is segmented once; the parent only pools
postings into Whoosh. See ``store.py`` for why a crash never breaks the
index.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index

from vn_search import store
from vn_search.analysis.segment import segment
from vn_search.analysis.terms import field_terms
from vn_search.documents import InputProblem, NewsDocument
from vn_search.errors import IndexVersionError
from vn_search.schema import ANALYSIS_VERSION, build_schema, encode_postings, pack_blob

__all__ = ["IndexReport", "build_index", "analyse_document"]

_BATCH = 64  # documents per task sent to a worker
_POOL_THRESHOLD = 256  # fewer documents than this are analysed in-process


@dataclass
class IndexReport:
    """What an indexing run did, for the CLI summary and `--json`."""

    index_dir: str
    articles: int = 0
    related: int = 0
    problems: list[InputProblem] = field(default_factory=list)
    seconds: float = 0.0
    documents_total: int = 0
    rebuilt: bool = False

    @property
    def docs_per_second(self) -> float:
        return (self.articles + self.related) / self.seconds if self.seconds else 0.0

    def to_json(self) -> dict:
        return {
            "index_dir": self.index_dir,
            "articles": self.articles,
            "related": self.related,
            "skipped": len(self.problems),
            "problems": [str(p) for p in self.problems],
            "seconds": round(self.seconds, 3),
            "docs_per_second": round(self.docs_per_second, 1),
            "documents_total": self.documents_total,
            "rebuilt": self.rebuilt,
        }


def _field_texts(doc: NewsDocument) -> dict[str, str]:
    summary = "\n".join(part for part in (doc.kicker, doc.summary) if part)
    body = "\n".join(doc.paragraphs + doc.captions)
    return {"title": doc.title, "summary": summary, "body": body}


def analyse_document(doc: NewsDocument) -> dict[str, list]:
    """The pre-analysed postings of every text field of one document."""
    postings: dict[str, list] = {}
    for name, text in _field_texts(doc).items():
        exact, folded = field_terms(segment(text)) if text else ({}, {})
        postings[name] = encode_postings(exact)
        postings[name + "_f"] = encode_postings(folded)
    return postings


def _analyse_batch(batch: list[NewsDocument]) -> list[dict[str, list]]:
    return [analyse_document(doc) for doc in batch]


def _stored_fields(doc: NewsDocument) -> dict:
    fields = {
        "id": doc.id,
        "kind": doc.kind,
        "headline": doc.title,
        "url": doc.url,
        "parents": list(doc.parents),
        "blob": pack_blob(
            {
                "summary": doc.summary,
                "paragraphs": doc.paragraphs,
                "captions": doc.captions,
                "kicker": doc.kicker,
                "related_ids": doc.related_ids,
            }
        ),
    }
    if doc.published:
        fields["published"] = doc.published
    if doc.source:
        fields["source"] = doc.source
    if doc.category:
        fields["category"] = doc.category
    return fields


def _batches(docs: Iterable[NewsDocument], size: int) -> Iterator[list[NewsDocument]]:
    batch: list[NewsDocument] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _analysed(docs: Iterator[NewsDocument], workers: int) -> Iterator[tuple[NewsDocument, dict]]:
    """Documents with their postings, in order; a pool only for big jobs."""
    head: list[NewsDocument] = []
    for doc in docs:
        head.append(doc)
        if len(head) >= _POOL_THRESHOLD:
            break
    if workers <= 1 or len(head) < _POOL_THRESHOLD:
        for doc in head:
            yield doc, analyse_document(doc)
        for doc in docs:
            yield doc, analyse_document(doc)
        return
    # spawn, not fork: the parent may hold threads (progress bar, a web
    # server embedding us), and fork with threads can deadlock on 3.12+.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        def all_docs() -> Iterator[NewsDocument]:
            yield from head
            yield from docs

        pending: list[list[NewsDocument]] = []

        def batches() -> Iterator[list[NewsDocument]]:
            for batch in _batches(all_docs(), _BATCH):
                pending.append(batch)
                yield batch

        for result in pool.imap(_analyse_batch, batches(), chunksize=1):
            batch = pending.pop(0)
            yield from zip(batch, result)


class _Progress:
    """A tqdm bar on a terminal; silent otherwise."""

    def __init__(self, enabled: bool | None) -> None:
        if enabled is None:
            enabled = sys.stderr.isatty()
        self.bar = None
        if enabled:
            from tqdm import tqdm

            tqdm.monitor_interval = 0  # no monitor thread
            self.bar = tqdm(desc="indexing", unit="doc", file=sys.stderr, dynamic_ncols=True)

    def update(self, count: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def build_index(
    index_dir: Path,
    sources: Iterable[str | Path],
    rebuild: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
    on_problem: Callable[[InputProblem], None] | None = None,
) -> IndexReport:
    """Add the documents of ``sources`` to the index (or rebuild it from
    them), then publish the result as the new current generation."""
    # Imported here: sources pulls in nothing heavy, but keep start-up lean.
    from vn_search.sources import read_sources

    started = time.perf_counter()
    report = IndexReport(index_dir=str(index_dir), rebuilt=rebuild)
    workers = workers or os.cpu_count() or 1
    with store.writer_lock(index_dir):
        current = store.current_generation(index_dir)
        if current is not None and not rebuild:
            version = store.read_meta(current).get("analysis_version")
            if version != ANALYSIS_VERSION:
                raise IndexVersionError(str(index_dir), version, ANALYSIS_VERSION)
        fresh = rebuild or current is None
        build = store.start_generation(index_dir, copy_from=None if fresh else current)
        try:
            if fresh:
                ix = whoosh_index.create_in(build, build_schema())
            else:
                ix = whoosh_index.open_dir(build)
            writer = ix.writer(limitmb=256)
            try:
                _write_documents(writer, read_sources(sources), report, progress, workers, fresh, on_problem)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            with ix.searcher() as searcher:
                report.documents_total = searcher.doc_count()
            store.write_meta(build, {"analysis_version": ANALYSIS_VERSION, "documents": report.documents_total})
            ix.close()
            store.publish(index_dir, build)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
    report.seconds = time.perf_counter() - started
    return report


def _write_documents(writer, items, report: IndexReport, progress, workers: int, fresh: bool, on_problem) -> None:
    seen: dict[str, str] = {}
    related: dict[str, NewsDocument] = {}
    bar = _Progress(progress)

    def articles() -> Iterator[NewsDocument]:
        for item in items:
            if isinstance(item, InputProblem):
                report.problems.append(item)
                if on_problem:
                    on_problem(item)
                continue
            if item.id in seen:
                problem = InputProblem(*_split_origin(item.origin), f"duplicate id {item.id!r} (first read at {seen[item.id]}); skipped")
                report.problems.append(problem)
                if on_problem:
                    on_problem(problem)
                continue
            seen[item.id] = item.origin
            for child in item.related:
                known = related.get(child.id)
                if known is None:
                    related[child.id] = child
                elif item.id not in known.parents:
                    known.parents.append(item.id)
            yield item

    add = writer.add_document if fresh else writer.update_document
    try:
        for doc, postings in _analysed(articles(), workers):
            add(**_stored_fields(doc), **postings)
            report.articles += 1
            bar.update()
        if not fresh and related:
            _merge_known_parents(writer, related)
        for doc, postings in _analysed(iter(related.values()), workers):
            add(**_stored_fields(doc), **postings)
            report.related += 1
            bar.update()
    finally:
        bar.close()


def _merge_known_parents(writer, related: dict[str, NewsDocument]) -> None:
    """A related item already indexed under other articles keeps them."""
    with writer.searcher() as searcher:
        for doc_id, doc in related.items():
            stored = searcher.document(id=doc_id)
            if stored:
                for parent in stored.get("parents") or []:
                    if parent not in doc.parents:
                        doc.parents.insert(0, parent)


def _split_origin(origin: str) -> tuple[str, int | None]:
    path, _, line = origin.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return origin, None
