"""Writing documents into a generation being built: the embedded backend's
write side.

:class:`GenerationWriter` takes raw documents and a :class:`Learner` (what
the indexer computes from each document: its analysed fields, and what it
learns besides — the accent model, abbreviations, story signatures) and
writes Whoosh segments into the build folder (``store.start_generation``).
Large jobs use Whoosh's own multi-process writer
(``whoosh.multiproc.MpWriter``) with its sub-writers taught to analyse:
the parent only reads and parses the input and hands raw documents over;
each worker analyses them with its own copy of the learner and writes its
own segments with ``segment_writer.BulkSegmentWriter``. Segments are
written as separate files, not Whoosh's "compound" file: a reader of a
compound file copies each part into memory, per searcher.

Whoosh private names used here (checked against Whoosh 2.7.4, see
``storage/__init__.py``): ``MpWriter.jobqueue/resultqueue/tasks/procs/
subargs/multisegment/docbuffer/_enqueue/_merge_segments``,
``SubWriterTask.jobqueue/resultqueue/storage/indexname/_process_file``,
``SegmentWriter._added/_finalize_segment/_close_segment/_commit_toc/_finish/
_lk``.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import queue
import traceback
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Protocol

from whoosh import index as whoosh_index
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.writing import SegmentWriter

from vn_search.storage.codec import VnCodec
from vn_search.storage.legacy import register_moved_modules
from vn_search.storage.reader import IndexReader
from vn_search.storage.schema import build_schema, encode_document
from vn_search.storage.segment_writer import BulkSegmentWriter

__all__ = ["GenerationWriter", "Learner", "release_memory"]

# Postings a worker holds before it writes a segment and starts another.
# Larger means fewer segments: each repeats the terms it shares with the
# others in its term table, so fewer make a smaller index and fewer term
# lookups per query. At 384 each worker writes corpus C's half in one
# segment: index 455 -> 419 MB against two segments each at 256, peak of
# the process tree ~1.15 GB (sampled every 0.25 s).
SEGMENT_MB = 384
_BATCH = 50  # documents the parent hands a worker at a time
_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter


class Learner(Protocol):
    """What indexing computes from each document, as the writer sees it."""

    def fields(self, doc) -> dict:
        """The document's stored values and analysed text fields (each a
        ``{term: [positions]}`` map); learns from it on the way."""

    def for_worker(self) -> Learner:
        """An empty learner of the same kind, for a worker process."""

    def spill(self, folder: Path) -> list[str]:
        """In a worker: save what was learned so far to files in ``folder``
        if it grew large (and start afresh); the names written."""

    def finish(self, folder: Path) -> list[str]:
        """In a worker, at the end: save everything left; the names written."""

    def absorb(self, folder: Path, names: list[str]) -> None:
        """In the parent: merge the workers' files, then delete them."""


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


def release_memory() -> None:
    """Give freed heap memory back to the system (glibc only)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


class GenerationWriter:
    """Writes documents into the generation being built in ``build``.

    ``fresh``: the build starts empty (a rebuild, a first build); else it
    holds the previous generation's segments (hard links), and a document
    whose id is already there replaces it. ``workers`` > 1 analyses in that
    many processes. Use: :meth:`add` each document, then :meth:`commit`
    (or :meth:`cancel`), then :meth:`reader` for what was written, then
    :meth:`close`.
    """

    def __init__(self, build: Path, fresh: bool, learner: Learner, workers: int = 1) -> None:
        self.learner = learner
        self.parallel = workers > 1
        register_moved_modules()  # an update of an index written by an earlier version
        self._index = whoosh_index.create_in(build, build_schema()) if fresh else whoosh_index.open_dir(build)
        if self.parallel:
            self._writer = _AnalysingWriter(self._index, procs=workers, learner=learner, batchsize=_BATCH)
        else:
            self._writer = BulkSegmentWriter(self._index, compound=False)
        # Replacing documents: one searcher over the existing segments for the
        # whole run. Whoosh's update_document opens a new reader for every
        # document, which made adding 1,000 articles to a 20,000-article index
        # take minutes.
        self._existing = None if fresh else self._writer.searcher()

    def previous(self, doc_id: str) -> dict | None:
        """The stored values of the document with this id that the build
        started from (an update), if any."""
        return self._existing.document(id=doc_id) if self._existing is not None else None

    def add(self, doc) -> None:
        """Add a raw document (analysed here or by a worker), replacing the
        one with its id that the build started from."""
        if self._existing is not None:
            docnum = self._existing.document_number(id=doc.id)
            if docnum is not None:
                self._writer.delete_document(docnum)
        if self.parallel:  # the worker analyses the raw document and learns from it
            self._writer.add_document(id=doc.id, _doc=doc)
        else:
            self._writer.add_document(**encode_document(self.learner.fields(doc)))

    def commit(self) -> None:
        """Write the segments and the build's table of contents."""
        self._close_existing()
        self._writer.commit()

    def cancel(self) -> None:
        """Stop: workers terminated, nothing committed."""
        self._close_existing()
        self._writer.cancel()

    @contextmanager
    def reader(self) -> Iterator[IndexReader]:
        """A reader of what the build holds now (after :meth:`commit`)."""
        searcher = self._index.searcher()
        try:
            yield IndexReader(searcher)
        finally:
            searcher.close()

    def close(self) -> None:
        self._index.close()

    def _close_existing(self) -> None:
        if self._existing is not None:
            self._existing.close()
            self._existing = None


class _AnalysingTask(SubWriterTask):
    """A Whoosh sub-writer process that analyses the raw documents it is
    handed (``_doc``) with its own copy of the learner and writes them with
    :class:`BulkSegmentWriter`.

    It starts a new segment whenever the postings held in memory pass
    ``segment_mb``, and lets the learner save what it learned to files in
    the build as it goes (``Learner.spill``) and at the end. It reports
    the segments and the files it wrote (or the error that stopped it) on
    the result queue.
    """

    segment_mb = SEGMENT_MB

    def __init__(self, learner: Learner, *args) -> None:
        super().__init__(*args)
        self.learner = learner

    def run(self) -> None:
        parent = os.getppid()
        _keep_heap_small()
        try:
            ix = self.storage.open_index(self.indexname)
            folder = Path(self.storage.folder)
            segments, files = [], []
            self.writer = BulkSegmentWriter(ix, _lk=False, compound=False)
            self.learner = self.learner.for_worker()
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
                    release_memory()
                    self.writer = BulkSegmentWriter(ix, _lk=False, compound=False)
                files += self.learner.spill(folder)
            if self.writer._added:
                segments.append(self.writer._finalize_segment())
            else:
                self.writer._close_segment()
            files += self.learner.finish(folder)
            self.resultqueue.put((None, segments, files))
        except BaseException:
            self.resultqueue.put((traceback.format_exc(), [], []))
            raise

    def _process_file(self, filename, doc_count):
        writer = self.writer
        tempstorage = writer.temp_storage()
        with tempstorage.open_file(filename).raw_file() as stream:
            for _ in range(doc_count):
                _, args = pickle.load(stream)  # Whoosh's own job file, written by the parent
                writer.add_document(**encode_document(self.learner.fields(args["_doc"])))
        tempstorage.delete_file(filename)


class _AnalysingWriter(MpWriter, BulkSegmentWriter):
    """MpWriter whose sub-writers are :class:`_AnalysingTask` processes.

    Each worker's segments are kept as they are instead of being merged in
    the parent at commit (a single-core step that would take as long as the
    analysis); the merge policy still folds small segments together on
    later commits, through :class:`BulkSegmentWriter`'s arrays.
    """

    def __init__(self, ix, procs: int, learner: Learner, **kwargs) -> None:
        super().__init__(ix, procs=procs, multisegment=True, compound=False, codec=VnCodec(), **kwargs)
        self.learner = learner  # the workers' files are merged into it
        # Start every worker now, before the first job is queued: queueing
        # starts a feeder thread, and forking a process that has threads can
        # deadlock (Python 3.12+ warns about it).
        for _ in range(self.procs):
            self._new_task()

    def _new_task(self):
        task = _AnalysingTask(
            self.learner, self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
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
        errors, files = [], []
        for task in self.tasks:
            while True:
                try:
                    error, segments, written = self.resultqueue.get(timeout=1.0)
                    break
                except queue.Empty:
                    if not any(t.is_alive() for t in self.tasks):
                        error = f"an indexing worker died (exit code {task.exitcode})"
                        segments, written = [], []
                        break
            if error:
                errors.append(error)
            finalsegments += segments
            files += written
        for task in self.tasks:
            task.join()
        # Merged once the workers are gone, so their memory and this never add up.
        self.learner.absorb(Path(self.storage.folder), files)
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
