"""Building and updating an index: read sources, analyse documents (in
worker processes for large jobs), publish the result atomically.

Analysis (normalise → segment → terms, :func:`analysed_fields`) is the
costly part. The storage layer (``storage/writers.py``) writes the
segments and runs the worker processes; what each document becomes and
what is learned from it is decided here (:class:`_Learning`). See
``storage/store.py`` for why a crash never breaks the index.

Indexing also learns from the articles: the accent model
(``accents.npz``), the abbreviations they define
(``abbreviations.json``) and which of them tell the same story
(``stories.npz``). Workers save what they counted to part files in the
build, the parent merges them at commit, and the files are published with
the generation; an update adds to the previous generation's.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from vn_search.storage import store
from vn_search.accents import AccentModel
from vn_search.analysis.abbreviation_mining import DefinitionCounts
from vn_search.analysis.normalize import normalize_query, normalize_text
from vn_search.analysis.segment import segment_terms
from vn_search.analysis.terms import field_terms
from vn_search.documents import RELATED, InputProblem, NewsDocument
from vn_search.errors import IndexVersionError, NothingToIndexError
from vn_search.schema import ANALYSIS_VERSION
from vn_search.storage.schema import encode_document
from vn_search.storage.writers import GenerationWriter, release_memory
from vn_search.sources.batch import ArticleBatch
from vn_search.sources.parts import Part
from vn_search.completion import write_completions
from vn_search.stories import (
    STORIES_FILE, Signatures, headline_key, load_signatures, save_stories, signature,
)

__all__ = [
    "IndexReport",
    "analysed_fields",
    "build_index",
    "document_fields",
    "load_learned_abbreviations",
    "ACCENT_MODEL_FILE",
    "ABBREVIATIONS_FILE",
]

ACCENT_MODEL_FILE = "accents.npz"  # the accent model, beside the index's own files
# The abbreviation definitions the articles gave ("Ngân hàng Nhà nước
# (NHNN)"), counted in documents: DefinitionCounts.to_json, beside the model.
ABBREVIATIONS_FILE = "abbreviations.json"

_PARALLEL_THRESHOLD = 200  # fewer documents than this are not worth the processes
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
    part: str | None = None  # "K/N" when this run indexed one part of its input
    left: int = 0  # documents read that are the other parts' to index
    phases: dict[str, float] = field(default_factory=dict)  # seconds by step, where the backend says (OpenSearch)

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
            "part": self.part,
            "left_to_other_parts": self.left,
            **({"phases": {name: round(seconds, 1) for name, seconds in self.phases.items()}} if self.phases else {}),
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


def analysed_fields(doc: NewsDocument, signatures: Signatures | None = None) -> dict:
    """Everything the index keeps of one document: stored values and, for
    every text field, its analysed terms (``{term: [positions]}``, exact
    and folded: ``analysis/terms.py``). An article's story signature
    (``stories.py``) goes to ``signatures``, if given."""
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
        fields[name] = exact
        fields[name + "_f"] = folded
        words.append(exact)
    if signatures is not None and doc.kind != RELATED:
        signatures.add(doc.id, int(doc.published.timestamp()) if doc.published else 0, signature(*words),
                       headline_key(doc.title))
    return fields


def document_fields(doc: NewsDocument, signatures: Signatures | None = None) -> dict:
    """:func:`analysed_fields` with the text fields encoded as the embedded
    index stores them (``storage/schema.py``)."""
    return encode_document(analysed_fields(doc, signatures))


def _learn_accents(accents: AccentModel, doc: NewsDocument) -> None:
    """Teach the accent model a document :func:`analysed_fields` has
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


class _Learning:
    """What indexing computes from each document (``storage.writers.Learner``):
    its analysed fields, and what is learned from the articles — the
    accent model, the abbreviation definitions, the story signatures. A
    worker process keeps its own copy and saves it to part files in the
    build, which the parent merges at commit: accent counts whenever they
    pass ``_ACCENT_MB`` (a worker's model of 29,000 articles held ~300 MB,
    as much as its postings), the rest at the end."""

    def __init__(self, accents: AccentModel, abbreviations: DefinitionCounts, signatures: Signatures) -> None:
        self.accents = accents
        self.abbreviations = abbreviations
        self.signatures = signatures
        self._parts = 0

    def fields(self, doc: NewsDocument) -> dict:
        fields = analysed_fields(doc, self.signatures)
        _learn_accents(self.accents, doc)
        _learn_abbreviations(self.abbreviations, doc)
        return fields

    def for_worker(self) -> _Learning:
        return _Learning(AccentModel(), DefinitionCounts(), Signatures())

    def spill(self, folder: Path) -> list[str]:
        if self.accents.nbytes <= _ACCENT_MB * 1024 * 1024:
            return []
        return [self._save_accents(folder)]

    def finish(self, folder: Path) -> list[str]:
        names = [self._save_accents(folder)]
        name = f"abbreviations-{os.getpid()}{_ABBREVIATION_PART}"
        (folder / name).write_text(self.abbreviations.to_json(), encoding="utf-8")
        names.append(name)
        name = f"stories-{os.getpid()}{_STORIES_PART}"
        self.signatures.save(folder / name)
        return names + [name]

    def _save_accents(self, folder: Path) -> str:
        """Write the accent counts learned since the last call to a file in
        the build (a transient part file, read back by this run's parent
        only), and start counting afresh."""
        name = f"accents-{os.getpid()}-{self._parts}{_ACCENT_PART}"
        self._parts += 1
        with open(folder / name, "wb") as out:
            pickle.dump(self.accents, out, pickle.HIGHEST_PROTOCOL)
        self.accents = AccentModel()
        release_memory()
        return name

    def absorb(self, folder: Path, names: list[str]) -> None:
        for name in names:
            path = folder / name
            if name.endswith(_ACCENT_PART):
                with open(path, "rb") as part:
                    self.accents.merge(pickle.load(part))
            elif name.endswith(_STORIES_PART):
                self.signatures.extend(Signatures.load(path))
            else:
                self.abbreviations.merge(DefinitionCounts.from_json(path.read_text(encoding="utf-8"), source=name))
            path.unlink()


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
    part: Part | None = None,
) -> IndexReport:
    """Add the documents of ``sources`` to the index (or rebuild it from
    them), then publish the result as the new current generation. With a
    ``part``, only that part of them (``sources/parts.py``).

    Sources that hold no document at all raise :class:`NothingToIndexError`:
    nothing is published, an existing index stays as it was, and a first
    build leaves no folder or lock file behind. A part that holds none of
    the documents read publishes nothing either, and returns its report."""
    # Imported here: sources pulls in nothing heavy, but keep start-up lean.
    from vn_search.sources import read_sources

    started = time.perf_counter()
    report = IndexReport(index_dir=str(index_dir), rebuilt=rebuild, part=str(part) if part else None)
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
            def problem(found: InputProblem) -> None:
                report.problems.append(found)
                if on_problem:
                    on_problem(found)

            documents = ArticleBatch(read_sources(sources), problem, part)
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
            learning = _Learning(accents, abbreviations, signatures)
            writer = GenerationWriter(build, fresh, learning, workers=workers if parallel else 1)
            try:
                _write_documents(writer, documents, report, progress, fresh)
                if not report.articles and not report.related and not report.left:
                    raise NothingToIndexError(str(index_dir), created=current is None)
                if not report.articles and not report.related:
                    raise _NothingHeld()  # a small input shared out over many parts
            except BaseException:
                writer.cancel()
                writer.close()
                raise
            writer.commit()
            with writer.reader() as reader:
                report.documents_total = reader.doc_count()
                # Stories over the whole index: the earlier articles' kept
                # signatures (less those indexed again) and this run's.
                if not fresh:
                    previous = load_signatures(current / STORIES_FILE).without(set(signatures.ids))
                    previous.extend(signatures)
                    signatures = previous
                save_stories(build / STORIES_FILE, signatures, reader.live_document_numbers(), reader.doc_count_all())
            # The build's copy is a hard link to the previous generation's
            # model: unlink it so saving writes a new file, never the old one.
            (build / ACCENT_MODEL_FILE).unlink(missing_ok=True)
            accents.save(build / ACCENT_MODEL_FILE)
            _save_abbreviations(abbreviations, build)
            # Autocomplete's table, from every headline of the new generation (completion.py).
            with writer.reader() as reader:
                write_completions(build, reader, accents.capital_share)
            store.write_meta(build, {"analysis_version": ANALYSIS_VERSION, "documents": report.documents_total})
            writer.close()
            store.publish(index_dir, build)
        except BaseException as error:
            shutil.rmtree(build, ignore_errors=True)
            if current is None:
                store.discard_unbuilt_index(index_dir, remove_folder=not folder_existed)
            if not isinstance(error, _NothingHeld):
                raise
            # Every document read is another part's: nothing published, and not an error.
    report.seconds = time.perf_counter() - started
    return report


class _NothingHeld(Exception):
    """A part held none of the documents read: its build is discarded as a failed one is."""


def _write_documents(writer: GenerationWriter, documents: ArticleBatch, report: IndexReport, progress,
                     fresh: bool) -> None:
    bar = _Progress(progress)
    try:
        for doc in documents:
            writer.add(doc)
            bar.update()
            report.articles += 1
        related = documents.held_related()
        if not fresh and related:
            _merge_known_parents(writer, related)
        for doc in related.values():
            writer.add(doc)
            bar.update()
            report.related += 1
    finally:
        bar.close()
        report.left = documents.left


def _merge_known_parents(writer: GenerationWriter, related: dict[str, NewsDocument]) -> None:
    """A related item already indexed under other articles keeps them."""
    for doc_id, doc in related.items():
        stored = writer.previous(doc_id)
        if stored:
            for parent in stored.get("parents") or []:
                if parent not in doc.parents:
                    doc.parents.insert(0, parent)
