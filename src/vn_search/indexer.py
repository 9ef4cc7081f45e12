"""Building and updating an index: read sources, analyse documents in
worker processes, publish the result atomically.

Analysis (normalise → segment → terms) is the costly part. Large jobs use
Whoosh's own multi-process writer (``whoosh.multiproc.MpWriter``), with
its sub-writers taught to analyse: the parent only reads and parses the
input and hands raw documents over; each worker normalises, segments
(once per document), computes postings and writes its own segments with
``segment_writer.BulkSegmentWriter``. Segments are written as separate
files, not Whoosh's "compound" file: a reader of a compound file copies
each part into memory, per searcher. See ``store.py`` for why a crash
never breaks the index.

Indexing also learns from the articles: the accent model
(``accents.npz``), the abbreviations they define
(``abbreviations.json``) and which of them tell the same story
(``stories.npz``). Workers save what they counted to part files in the
build, the parent merges them at commit, and the files are published with
the generation; an update adds to the previous generation's.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import queue
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as whoosh_index
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from vn_search import store
from vn_search.codec import VnCodec
from vn_search.accents import AccentModel
from vn_search.analysis.abbreviation_mining import DefinitionCounts
from vn_search.analysis.normalize import normalize_query, normalize_text
from vn_search.analysis.segment import segment_terms
from vn_search.analysis.terms import field_terms
from vn_search.documents import RELATED, InputProblem, NewsDocument
from vn_search.errors import IndexVersionError, NothingToIndexError
from vn_search.positions import encode_postings
from vn_search.schema import ANALYSIS_VERSION, build_schema
from vn_search.segment_writer import BulkSegmentWriter
from vn_search.sources.batch import ArticleBatch
from vn_search.completion import write_completions
from vn_search.stories import (
    STORIES_FILE, Signatures, headline_key, live_document_numbers, load_signatures, save_stories, signature,
)

__all__ = [
    "IndexReport",
    "build_index",
    "document_fields",
    "load_learned_abbreviations",
    "ACCENT_MODEL_FILE",
    "ABBREVIATIONS_FILE",
]

ACCENT_MODEL_FILE = "accents.npz"  # the accent model, beside the Whoosh files
# The abbreviation definitions the articles gave ("Ngân hàng Nhà nước
# (NHNN)"), counted in documents: DefinitionCounts.to_json, beside the model.
ABBREVIATIONS_FILE = "abbreviations.json"

_PARALLEL_THRESHOLD = 200  # fewer documents than this are not worth the processes
# Postings a worker holds before it writes a segment and starts another.
# Larger means fewer segments: each repeats the terms it shares with the
# others in its term table, so fewer make a smaller index and fewer term
# lookups per query. At 384 each worker writes corpus C's half in one
# segment: index 455 -> 419 MB against two segments each at 256, peak of
# the process tree ~1.15 GB (sampled every 0.25 s).
_SEGMENT_MB = 384
_ACCENT_PART = ".accents-part"  # a worker's accent counts, merged at commit
_ACCENT_MB = 64  # accent counts a worker holds before it saves them to such a file
# A worker's abbreviation definitions, merged at commit: JSON, never pickle.
# A few thousand definitions at most, so one file per worker.
_ABBREVIATION_PART = ".abbreviations-part"
_STORIES_PART = ".stories-part"  # a worker's story signatures (numpy, no pickle)


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


def _normalise(doc: NewsDocument) -> None:
    """Normalise a document's text in place (idempotent)."""
    doc.title = normalize_query(doc.title)
    doc.summary = normalize_text(doc.summary)
    doc.paragraphs = [p for p in (normalize_text(p) for p in doc.paragraphs) if p]
    doc.captions = [c for c in (normalize_text(c) for c in doc.captions) if c]
    if doc.kicker:
        doc.kicker = normalize_query(doc.kicker)


def _field_texts(doc: NewsDocument) -> dict[str, str]:
    summary = "\n".join(part for part in (doc.kicker, doc.summary) if part)
    body = "\n".join(doc.paragraphs + doc.captions)
    return {"title": doc.title, "summary": summary, "body": body}


def document_fields(doc: NewsDocument, signatures: Signatures | None = None) -> dict:
    """Everything Whoosh's writer needs for one document: stored values
    and the pre-analysed postings of every text field. An article's story
    signature (``stories.py``) goes to ``signatures``, if given."""
    _normalise(doc)
    fields = {
        "id": doc.id,
        "kind": doc.kind,
        "headline": doc.title,
        "url": doc.url,
        "parents": list(doc.parents),
        "content": {
            "summary": doc.summary,
            "paragraphs": doc.paragraphs,
            "captions": doc.captions,
            "kicker": doc.kicker,
            "related_ids": doc.related_ids,
        },
    }
    for name, value in (("published", doc.published), ("source", doc.source), ("category", doc.category)):
        if value:
            fields[name] = value
    words = []
    for name, text in _field_texts(doc).items():
        # Body bigrams only inside pyvi words: pairs across words were 60% of
        # the vocabulary, and dropping them cost 0.001-0.004 MRR on MDS,
        # gained 0.004-0.007 on KI-4w (bench/relevance.py, corpus C).
        exact, folded = field_terms(segment_terms(text), cross_word_pairs=name != "body") if text else ({}, {})
        fields[name] = encode_postings(exact, positions=False)
        fields[name + "_f"] = encode_postings(folded)
        words.append(exact)
    if signatures is not None and doc.kind != RELATED:
        signatures.add(doc.id, int(doc.published.timestamp()) if doc.published else 0, signature(*words),
                       headline_key(doc.title))
    return fields


def _learn_accents(accents: AccentModel, doc: NewsDocument) -> None:
    """Teach the accent model a document :func:`document_fields` has
    normalised."""
    accents.add_text("\n".join([doc.title, doc.kicker or "", doc.summary, *doc.paragraphs]), normalized=True)


def _learn_abbreviations(abbreviations: DefinitionCounts, doc: NewsDocument) -> None:
    """Count the abbreviations an article defines (``Ban quản lý dự án
    (BQLDA)``), each once per article.

    Related items are left out: they are the headline and teaser of another
    article (counted itself when it is in the sources), and one is indexed
    again whenever a newly added article lists it, so an update would count
    its definitions over and over.
    """
    if doc.kind == RELATED:
        return
    parts = [doc.title, doc.kicker, doc.summary, *doc.paragraphs, *doc.captions]
    abbreviations.add("\n".join(part for part in parts if part))


def load_learned_abbreviations(generation: Path) -> DefinitionCounts | None:
    """The abbreviation definitions a generation's articles gave, or None
    for a generation built before vn-search learned them.

    Raises ValueError naming the file when it is not what
    :meth:`DefinitionCounts.to_json` wrote (as ``AccentModel.load`` does).
    """
    path = Path(generation) / ABBREVIATIONS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not UTF-8 text (byte {error.start})") from None
    return DefinitionCounts.from_json(text, source=str(path))


def _save_abbreviations(abbreviations: DefinitionCounts, build: Path) -> None:
    """Write the generation's abbreviation counts. The build's copy may be a
    hard link to the previous generation's file: replace it, never write
    through it."""
    temp = build / (ABBREVIATIONS_FILE + ".tmp")
    temp.write_text(abbreviations.to_json(), encoding="utf-8")
    os.replace(temp, build / ABBREVIATIONS_FILE)


def _keep_heap_small() -> None:
    """Have glibc hand large freed blocks straight back to the system.

    By default glibc raises its threshold for serving allocations from
    the heap to the size of any large block freed, so the many short-lived
    arrays of postings and accent counts end up on a heap that never
    shrinks: a worker's resident size stayed near its peak, and a process
    that had counted the accents of 6,000 articles held 157 MB instead of
    84. Does nothing where there is no glibc.
    """
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    except (OSError, AttributeError):
        pass


def _release_memory() -> None:
    """Give freed heap memory back to the system (glibc only)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


class _AnalysingTask(SubWriterTask):
    """A Whoosh sub-writer process that analyses the raw documents it is
    handed (``_doc``) and writes them with :class:`BulkSegmentWriter`.

    It starts a new segment whenever the postings held in memory pass
    ``segment_mb``. Whenever its accent counts pass ``_ACCENT_MB`` they go
    to a file in the index being built, and counting starts afresh: a
    worker's model of 29,000 articles held ~300 MB, as much as its
    postings. Its abbreviation definitions go to one JSON file at the end.
    Its articles' story signatures go to one file too. It reports the
    segments and the files it wrote (or the error that stopped it) on the
    result queue.
    """

    segment_mb = _SEGMENT_MB

    def run(self) -> None:
        parent = os.getppid()
        _keep_heap_small()
        try:
            ix = self.storage.open_index(self.indexname)
            segments, accent_files = [], []
            self.writer = BulkSegmentWriter(ix, _lk=False, compound=False)
            self.accents = AccentModel()
            self.abbreviations = DefinitionCounts()
            self.signatures = Signatures()
            while True:
                try:
                    job = self.jobqueue.get(timeout=1.0)
                except queue.Empty:
                    if os.getppid() != parent:  # the indexer was killed: stop
                        return
                    continue
                if job is None:
                    break
                self._process_file(*job)
                if self.writer.postings.nbytes > self.segment_mb * 1024 * 1024:
                    segments.append(self.writer._finalize_segment())
                    _release_memory()
                    self.writer = BulkSegmentWriter(ix, _lk=False, compound=False)
                if self.accents.nbytes > _ACCENT_MB * 1024 * 1024:
                    accent_files.append(self._save_accents(len(accent_files)))
            if self.writer._added:
                segments.append(self.writer._finalize_segment())
            else:
                self.writer._close_segment()
            accent_files.append(self._save_accents(len(accent_files)))
            abbreviation_files = [self._save_abbreviations()]
            self.resultqueue.put((None, segments, accent_files, abbreviation_files, self._save_signatures()))
        except BaseException:
            self.resultqueue.put((traceback.format_exc(), [], [], [], None))
            raise

    def _save_accents(self, number: int) -> str:
        """Write the accent counts learned since the last call to a file in
        the index being built, and start counting afresh."""
        name = f"accents-{os.getpid()}-{number}{_ACCENT_PART}"
        with self.storage.create_file(name) as out:
            pickle.dump(self.accents, out, pickle.HIGHEST_PROTOCOL)
        self.accents = AccentModel()
        _release_memory()
        return name

    def _save_abbreviations(self) -> str:
        """Write the abbreviation definitions this worker counted to a JSON
        file in the index being built."""
        name = f"abbreviations-{os.getpid()}{_ABBREVIATION_PART}"
        with self.storage.create_file(name) as out:
            out.write(self.abbreviations.to_json().encode("utf-8"))
        return name

    def _save_signatures(self) -> str:
        """Write the story signatures of this worker's articles to a file in
        the index being built."""
        name = f"stories-{os.getpid()}{_STORIES_PART}"
        self.signatures.save(Path(self.storage.folder) / name)
        return name

    def _process_file(self, filename, doc_count):
        writer = self.writer
        tempstorage = writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as stream:
            for _ in range(doc_count):
                _, args = pickle.load(stream)
                doc = args["_doc"]
                writer.add_document(**document_fields(doc, self.signatures))
                _learn_accents(self.accents, doc)
                _learn_abbreviations(self.abbreviations, doc)
        tempstorage.delete_file(filename)


class _AnalysingWriter(MpWriter, BulkSegmentWriter):
    """MpWriter whose sub-writers are :class:`_AnalysingTask` processes.

    Each worker's segments are kept as they are instead of being merged in
    the parent at commit (a single-core step that would take as long as the
    analysis); the merge policy still folds small segments together on
    later commits, through :class:`BulkSegmentWriter`'s arrays.
    """

    def __init__(self, ix, procs: int, accents: AccentModel, abbreviations: DefinitionCounts,
                 signatures: Signatures, **kwargs) -> None:
        super().__init__(ix, procs=procs, multisegment=True, compound=False, codec=VnCodec(), **kwargs)
        self.accents = accents  # the workers' accent counts are merged into it
        self.abbreviations = abbreviations  # and their abbreviation definitions
        self.signatures = signatures  # and their articles' story signatures
        # Start every worker now, before the first job is queued: queueing
        # starts a feeder thread, and forking a process that has threads can
        # deadlock (Python 3.12+ warns about it).
        for _ in range(self.procs):
            self._new_task()

    def _new_task(self):
        task = _AnalysingTask(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        task.daemon = True  # never outlive the indexer
        self.tasks.append(task)
        task.start()
        return task

    def _commit(self, mergetype, optimize, merge) -> None:
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        # Collect results before joining: a process does not exit until
        # what it queued has been read.
        errors, accent_files, abbreviation_files, signature_files = [], [], [], []
        for task in self.tasks:
            while True:
                try:
                    error, segments, accent_parts, abbreviation_parts, signature_part = self.resultqueue.get(timeout=1.0)
                    break
                except queue.Empty:
                    if not any(t.is_alive() for t in self.tasks):
                        error = f"an indexing worker died (exit code {task.exitcode})"
                        segments, accent_parts, abbreviation_parts, signature_part = [], [], [], None
                        break
            if error:
                errors.append(error)
            finalsegments += segments
            accent_files += accent_parts
            abbreviation_files += abbreviation_parts
            if signature_part:
                signature_files.append(signature_part)
        for task in self.tasks:
            task.join()
        # Merged once the workers are gone, so their memory and this never add up.
        for name in accent_files:
            with self.storage.open_file(name) as part:
                self.accents.merge(pickle.load(part))
            self.storage.delete_file(name)
        for name in signature_files:
            self.signatures.extend(Signatures.load(Path(self.storage.folder) / name))
            self.storage.delete_file(name)
        for name in abbreviation_files:
            with self.storage.open_file(name) as part:
                text = part.read().decode("utf-8")
            self.abbreviations.merge(DefinitionCounts.from_json(text, source=name))
            self.storage.delete_file(name)
        if errors:
            raise RuntimeError("indexing worker failed:\n" + errors[0])
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.terminate()
        for task in self.tasks:
            task.join()
        SegmentWriter.cancel(self)


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
    them), then publish the result as the new current generation.

    Sources that hold no document at all raise :class:`NothingToIndexError`:
    nothing is published, an existing index stays as it was, and a first
    build leaves no folder or lock file behind."""
    # Imported here: sources pulls in nothing heavy, but keep start-up lean.
    from vn_search.sources import read_sources

    started = time.perf_counter()
    report = IndexReport(index_dir=str(index_dir), rebuilt=rebuild)
    workers = workers or os.cpu_count() or 1
    folder_existed = index_dir.exists()
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
            def problem(found: InputProblem) -> None:
                report.problems.append(found)
                if on_problem:
                    on_problem(found)

            documents = ArticleBatch(read_sources(sources), problem)
            parallel = workers > 1 and documents.peek(_PARALLEL_THRESHOLD) >= _PARALLEL_THRESHOLD
            accents = AccentModel()
            previous_model = None if fresh else current / ACCENT_MODEL_FILE
            if previous_model is not None and previous_model.exists():
                accents = AccentModel.load(previous_model)
            # An update adds the new articles' definitions to the previous
            # generation's counts. Like the accent model's, they are never
            # subtracted: an article indexed again (replaced by id) counts
            # twice, a small bias towards definitions that are written again
            # and again anyway. A generation from before abbreviations were
            # learned has none to carry: the counts start from this update's.
            abbreviations = (None if fresh else load_learned_abbreviations(current)) or DefinitionCounts()
            signatures = Signatures()  # this run's articles; the previous ones are added at the end
            if parallel:
                writer = _AnalysingWriter(
                    ix, procs=workers, accents=accents, abbreviations=abbreviations, signatures=signatures, batchsize=50
                )
            else:
                writer = BulkSegmentWriter(ix, compound=False)
            try:
                _write_documents(writer, documents, report, progress, fresh, parallel, accents, abbreviations, signatures)
                if not report.articles and not report.related:
                    raise NothingToIndexError(str(index_dir), created=current is None)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            with ix.searcher() as searcher:
                report.documents_total = searcher.doc_count()
                # Stories over the whole index: the earlier articles' kept
                # signatures (less those indexed again) and this run's.
                if not fresh:
                    previous = load_signatures(current / STORIES_FILE).without(set(signatures.ids))
                    previous.extend(signatures)
                    signatures = previous
                reader = searcher.reader()
                save_stories(build / STORIES_FILE, signatures, live_document_numbers(reader), reader.doc_count_all())
            # The build's copy is a hard link to the previous generation's
            # model: unlink it so saving writes a new file, never the old one.
            (build / ACCENT_MODEL_FILE).unlink(missing_ok=True)
            accents.save(build / ACCENT_MODEL_FILE)
            _save_abbreviations(abbreviations, build)
            # Autocomplete's table, from every headline of the new generation (completion.py).
            with ix.searcher() as searcher:
                write_completions(build, searcher.reader(), accents.capital_share)
            store.write_meta(build, {"analysis_version": ANALYSIS_VERSION, "documents": report.documents_total})
            ix.close()
            store.publish(index_dir, build)
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            if current is None:
                store.discard_unbuilt_index(index_dir, remove_folder=not folder_existed)
            raise
    report.seconds = time.perf_counter() - started
    return report


def _write_documents(
    writer,
    documents: ArticleBatch,
    report: IndexReport,
    progress,
    fresh: bool,
    parallel: bool,
    accents: AccentModel,
    abbreviations: DefinitionCounts,
    signatures: Signatures,
) -> None:
    bar = _Progress(progress)
    # Replacing documents: one searcher over the existing segments for the
    # whole run. Whoosh's update_document opens a new reader for every
    # document, which made adding 1,000 articles to a 20,000-article index
    # take minutes.
    existing = None if fresh else writer.searcher()

    def add(doc: NewsDocument) -> None:
        if existing is not None:
            docnum = existing.document_number(id=doc.id)
            if docnum is not None:
                writer.delete_document(docnum)
        if parallel:  # the worker analyses the raw document and learns from it
            writer.add_document(id=doc.id, _doc=doc)
        else:
            writer.add_document(**document_fields(doc, signatures))
            _learn_accents(accents, doc)
            _learn_abbreviations(abbreviations, doc)
        bar.update()

    try:
        for doc in documents:
            add(doc)
            report.articles += 1
        if not fresh and documents.related:
            _merge_known_parents(existing, documents.related)
        for doc in documents.related.values():
            add(doc)
            report.related += 1
    finally:
        bar.close()
        if existing is not None:
            existing.close()


def _merge_known_parents(searcher, related: dict[str, NewsDocument]) -> None:
    """A related item already indexed under other articles keeps them."""
    for doc_id, doc in related.items():
        stored = searcher.document(id=doc_id)
        if stored:
            for parent in stored.get("parents") or []:
                if parent not in doc.parents:
                    doc.parents.insert(0, parent)
