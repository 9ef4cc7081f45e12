"""The public face of vn-search: one object to index, search and read.

    >>> import tempfile
    >>> from vn_search import sample_path
    >>> engine = SearchEngine(tempfile.mkdtemp())     # or "index", the default folder
    >>> report = engine.index([sample_path()], progress=False)
    >>> engine.search("luan chuyen can bo").hits[0].title
    'Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà'

The CLI and the web app are thin layers over this class. Searching is
thread-safe: each thread keeps its own Whoosh searcher, reopened when a
writer publishes a new generation, so a running server sees new documents
without a restart.
"""

from __future__ import annotations

import logging
import operator
import re
import threading
import time
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, NamedTuple

from whoosh.filedb.filestore import FileStorage
from whoosh import query as wq
from whoosh.util.times import datetime_to_long, long_to_datetime

from vn_search import store
from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.terms import JOINER, fold_term
from vn_search.errors import IndexMissingError, IndexVersionError
from vn_search.dates import DateRange, date_range
from vn_search.highlight import Marks, highlight_words, make_snippet, mark_text
from vn_search.indexer import ACCENT_MODEL_FILE, IndexReport, build_index, load_learned_abbreviations
from vn_search.analysis.abbreviations import AbbreviationTable, Learned, default_table
from vn_search.matching import Membership, documents_needed, query_words
from vn_search.reading import KNOWN_DOCUMENTS, alternatives, decode_keystrokes, reworded
from vn_search.query import ParsedQuery, build_plan, parse_query
from vn_search.restore import AccentModel
from vn_search.results import Hit, IndexStats, SearchResults, StoredDocument
from vn_search.schema import ANALYSIS_VERSION, TEXT_FIELDS
from vn_search.scoring import IndexStatistics, Scorer
from vn_search.suggest import MIN_TYPO_LETTERS, Suggester, correction_threshold, keep_excluded

__all__ = ["SearchEngine"]

SCORED_FIELDS = [name + suffix for name in TEXT_FIELDS for suffix in ("", "_f")]
KINDS = ("article", "related")
SORTS = ("relevance", "date")
_NO_MODEL = object()
_HEADLINE_WORDS_KEPT = 20
_WORDS = re.compile(r"\w+")
# A query with an abbreviation (or a full form) is also scored written the
# other way, up to this many times: the best match of a rewording ranks at
# this share of the best match as typed (Scorer.run), so the articles in the
# reader's own wording come first and the others right after them. Unscaled,
# "CSGT" listed "cảnh sát giao thông" articles first; the known-item sets of
# bench/reader_queries.py then gain (0.88x, 1.00x of the wording as
# written, against 0.87x, 0.85x) at the reader's expense.
REWORDING_WEIGHT = {"expansion": 1.0, "abbreviation": 0.9, "alias": 0.6}
MAX_REWORDINGS = 3
# A definition an index's own articles gave at least this often joins the
# abbreviation table for that index.
LEARNED_MIN_COUNT = 3


_WARM_WORDS = 2000  # most frequent syllables considered for warming (the budget stops it first)
# Posting lists warmed by default: two thirds of the posting cache
# (scoring._CACHE_BYTES), the rest left for what queries read. On corpus C,
# 256 MB took the first pass over the MDS queries from p50 14.8 to 13.5 ms
# against 192 MB (warming: 4.8 → 5.9 s, in the background).
WARM_MEGABYTES = 256
_log = logging.getLogger(__name__)


def _warm_quietly(generation: _Generation, megabytes: int) -> None:
    """Background warming: a failure only costs speed, so it is logged."""
    try:
        generation.warm(megabytes * 1024 * 1024)
    except Exception:  # noqa: BLE001 - an optimisation must not take a server down
        _log.warning("warming the index at %s failed", generation.path, exc_info=True)


class _Generation:
    """An opened generation: its Whoosh index and per-thread searchers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.meta = store.read_meta(path)
        # Without mmap: Whoosh reads a memory-mapped compound segment (the
        # format of indexes written before segment_writer) by copying every
        # part into memory, once per searcher — ~500 MB per thread on 20,000
        # articles. Plain file reads share the OS page cache instead.
        self.index = FileStorage(str(path), supports_mmap=False).open_index()
        self.local = threading.local()
        self.lock = threading.Lock()
        self.statistics: IndexStatistics | None = None
        self._accent_model = None
        self._abbreviations: tuple[AbbreviationTable, Learned | None] | None = None
        # Computed on first use; a generation never changes once published.
        self.stats: IndexStats | None = None
        self.facets: dict[str, list[tuple[str, int]]] | None = None
        self.headline_words: list[str] | None = None

    def abbreviations(self) -> tuple[AbbreviationTable, Learned | None]:
        """The abbreviation table with the definitions this generation's
        articles gave (``Ngân hàng Nhà nước (NHNN)``), loaded once."""
        if self._abbreviations is None:
            with self.lock:
                if self._abbreviations is None:
                    counts = load_learned_abbreviations(self.path)
                    table = default_table()
                    if counts is None:
                        self._abbreviations = (table, None)
                    else:
                        self._abbreviations = (table.with_learned(counts, min_count=LEARNED_MIN_COUNT), counts.as_learned())
        return self._abbreviations

    def accent_model(self) -> AccentModel | None:
        """The generation's accent model, loaded once, on first use."""
        if self._accent_model is None:
            with self.lock:
                if self._accent_model is None:
                    path = self.path / ACCENT_MODEL_FILE
                    self._accent_model = AccentModel.load(path) if path.exists() else _NO_MODEL
        return None if self._accent_model is _NO_MODEL else self._accent_model

    def warm(self, budget: int) -> int:
        """Prepare the accent model's decoder, and decode the posting lists
        of the corpus's most frequent syllables (by the accent model's
        counts), in every text field, exact and folded, until they take
        ``budget`` bytes of the posting cache. Returns how many lists were
        read."""
        model = self.accent_model()
        if model is None:
            return 0
        model.prepare()  # suggestions need it on the first unaccented query
        _, scorer = self.searcher()
        terms = (
            (name + suffix, text)
            for word in model.frequent_words(_WARM_WORDS)
            for text, suffix in ((fold_term(word), "_f"), (word, ""))
            for name in TEXT_FIELDS
        )
        return scorer.warm(terms, budget)

    def searcher(self):
        """This thread's Whoosh searcher and scorer for the generation."""
        local = getattr(self.local, "pair", None)
        if local is None:
            searcher = self.index.searcher()
            with self.lock:
                if self.statistics is None:
                    self.statistics = IndexStatistics(searcher, list(SCORED_FIELDS))
            local = (searcher, Scorer(searcher, self.statistics))
            self.local.pair = local
        return local


class SearchEngine:
    """Index and search Vietnamese news in ``index_dir``."""

    max_query_chars = 500
    max_per_page = 100

    def __init__(self, index_dir: str | Path = "index", warm_megabytes: int = 0) -> None:
        """``warm_megabytes``: warm every generation this engine opens in
        the background (see :meth:`warm`); a server sets it, so the first
        searches after start and after each update are not the slow ones."""
        self.index_dir = Path(index_dir)
        self.warm_megabytes = warm_megabytes
        self._lock = threading.Lock()
        self._generation: _Generation | None = None

    # -- writing ---------------------------------------------------------

    def index(
        self,
        sources: Iterable[str | Path],
        rebuild: bool = False,
        progress: bool | None = None,
        workers: int | None = None,
        on_problem=None,
    ) -> IndexReport:
        """Add documents from pages, folders or JSONL(.gz) files.

        Documents whose id is already indexed are replaced. With
        ``rebuild`` the index is rebuilt from these sources alone; the old
        one stays searchable until the new one is complete.
        """
        return build_index(self.index_dir, sources, rebuild, progress, workers, on_problem)

    # -- reading ---------------------------------------------------------

    def _current(self) -> _Generation:
        path = store.current_generation(self.index_dir)
        if path is None:
            raise IndexMissingError(str(self.index_dir))
        generation = self._generation
        if generation is None or generation.path != path:
            with self._lock:
                generation = self._generation
                if generation is None or generation.path != path:
                    version = store.read_meta(path).get("analysis_version")
                    if version != ANALYSIS_VERSION:
                        raise IndexVersionError(str(self.index_dir), version, ANALYSIS_VERSION)
                    generation = _Generation(path)
                    self._generation = generation
                    if self.warm_megabytes:
                        threading.Thread(target=_warm_quietly, args=(generation, self.warm_megabytes), daemon=True).start()
        return generation

    def warm(self, megabytes: int = WARM_MEGABYTES) -> int:
        """Read the posting lists of the corpus's most frequent syllables
        into memory now, up to ``megabytes``, so that the first searches
        do not pay for decoding them. On corpus C (6 s, 12,000 lists at
        256 MB) the first pass over the MDS queries went from p50 23 / p95
        64 ms to 13.5 / 29; the second pass takes 9 / 15. Returns how many
        posting lists were read."""
        return self._current().warm(megabytes * 1024 * 1024)

    def exists(self) -> bool:
        return store.current_generation(self.index_dir) is not None

    def search(
        self,
        query: str,
        page: int = 1,
        per_page: int = 10,
        *,
        kind: str | None = None,
        source: str | None = None,
        category: str | None = None,
        sort: str = "relevance",
        suggest: bool = True,
        since: date | datetime | str | None = None,
        until: date | datetime | str | None = None,
        as_typed: bool = False,
    ) -> SearchResults:
        """Ranked hits for a query typed as a user would type it.

        The result set holds the documents that contain the query's
        informative words (``matching.py``); ``total`` is its exact size.
        ``sort`` is "relevance" or "date" (newest first, undated last);
        ``kind``, ``source`` and ``category`` filter, and ``since`` /
        ``until`` (dates ``YYYY-MM-DD``, inclusive, Vietnam time; or
        datetimes) bound the publication time. With ``suggest`` the results
        carry an accented or corrected query when there is one, and a query
        that finds nothing is retried with it.

        A query is read as readers type it (``reading.py``): words typed as
        Telex/VNI keystrokes with the input method off are searched as the
        Vietnamese they stand for (``searched`` says what was searched, and
        a notice says so), and abbreviations find their full forms and the
        other way round. ``as_typed`` searches the words literally: no
        keystrokes read, no correction searched instead.
        """
        if sort not in SORTS:
            raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
        page = _whole_number("page", page, 1, None)
        per_page = _whole_number("per_page", per_page, 1, self.max_per_page)
        dates = date_range(since, until)
        started = time.perf_counter()
        notices: list[str] = []
        query = query or ""
        if len(query) > self.max_query_chars:
            query = query[: self.max_query_chars]
            notices.append(f"Truy vấn quá dài: chỉ {self.max_query_chars} ký tự đầu được dùng.")
        generation = self._current()
        searcher, scorer = generation.searcher()
        model = generation.accent_model()
        understood = self._read(generation, query, as_typed)
        searched, parsed, other_forms = understood.searched, understood.parsed, understood.other_forms
        if searched is not None:
            notices.append(f"Đang hiển thị kết quả cho «{searched}».")
        if parsed.is_empty:
            return SearchResults(query, 0, _ms(started), page, per_page, [], None, notices, dates=dates)
        filters = [wq.Term(name, value) for name, value in (("kind", kind), ("source", source), ("category", category)) if value]
        plan = build_plan(parsed, other_forms)
        plan.words = understood.words
        rewordings = [(build_plan(reworded(parsed, alternative, reading)), REWORDING_WEIGHT[alternative.typed])
                      for alternative in other_forms for reading in alternative.readings[:2]][:MAX_REWORDINGS]
        docnums, scores, total, membership, undated = scorer.run(
            plan, page * per_page, filters, by_date=sort == "date", date_bounds=_column_bounds(dates),
            rewordings=rewordings)
        strict = total if membership is None else membership.strict_count
        if searched is not None:
            suggestion = searched
        elif suggest:
            suggestion = Suggester(searcher.reader(), model).suggest(query)
            # A query that found articles holding all its words gets no
            # suggestion (it is what the reader meant, or close enough),
            # unless one of its words is one the articles hardly use (Trunp)
            # or was typed with accents the articles never give it (Hà Nôi).
            if strict and suggestion and not (_has_rare_word(parsed, scorer) or _reaccents(query, suggestion)):
                suggestion = None
        else:
            suggestion = None
        if suggestion and searched is None and not as_typed and not strict:
            # Nothing holds every word as typed: search what the reader
            # probably meant, if that finds articles holding all of it.
            fallback = self.search(suggestion, page, per_page, kind=kind, source=source, category=category,
                                   sort=sort, suggest=False, since=since, until=until, as_typed=True)
            if fallback.total and (not fallback.relaxed or not total):
                notices.append(f"Không có bài nào chứa đủ các từ «{query}»; đang hiển thị kết quả cho «{suggestion}»."
                               if total else f"Không có kết quả cho «{query}»; đang hiển thị kết quả cho «{suggestion}».")
                return replace(fallback, query=query, took_ms=_ms(started), suggestion=suggestion,
                               searched=suggestion, notices=notices + fallback.notices)
        if membership is not None and membership.relaxed and total:
            notices.append(_relaxed_notice(membership))
        start = (page - 1) * per_page
        marks = highlight_words(plan.words, parsed, membership.common if membership is not None else ())
        hits = [
            self._hit(searcher.stored_fields(int(docnum)), float(score), marks)
            for docnum, score in zip(docnums[start:], scores[start:])
        ]
        return SearchResults(query, total, _ms(started), page, per_page, hits, suggestion, notices,
                             undated=undated, dates=dates, searched=searched,
                             relaxed=membership is not None and membership.relaxed)

    def _read(self, generation: _Generation, query: str, as_typed: bool) -> _Reading:
        """How a query is understood (``reading.py``, ``matching.py``):
        keystrokes read, words and the other forms of its abbreviations."""
        _, scorer = generation.searcher()
        model = generation.accent_model()
        known = documents_needed(KNOWN_DOCUMENTS, scorer.stats.live_count, 10_000)
        searched = None if as_typed else decode_keystrokes(query, scorer.word_frequency, scorer.folded_frequency, known)
        if searched is not None and model is not None:
            searched = keep_excluded(searched, model.restore(searched))  # -viet stays as typed
        parsed = parse_query(searched or query)
        table, learned = generation.abbreviations()
        other_forms = alternatives(parsed.cased_words, table, learned)
        words = query_words(parsed.words, parsed.cased_words, scorer.is_word_pair,
                            model.restore if model is not None else None, other_forms,
                            model.capital_share if model is not None else None)
        return _Reading(searched, parsed, other_forms, words)

    def marks_for(self, query: str, *, as_typed: bool = False) -> Marks:
        """What a results page for ``query`` marks, for marking an article
        the reader opened from it: the query's words as the engine reads
        them (keystrokes, abbreviations' other forms), one-syllable common
        words left out."""
        generation = self._current()
        reading = self._read(generation, query or "", as_typed)
        _, scorer = generation.searcher()
        _, common = scorer.common_words(reading.words)
        return highlight_words(reading.words, reading.parsed, tuple(common))

    def _hit(self, stored: dict, score: float, marks: Marks) -> Hit:
        content = stored.get("content") or {}
        text = " ".join([content.get("kicker") or "", content.get("summary", "")] + content.get("paragraphs", []))
        return Hit(
            id=stored["id"],
            kind=stored.get("kind", "article"),
            title=stored.get("headline", ""),
            url=stored.get("url"),
            published=_iso(stored.get("published")),
            score=round(score, 4),
            snippet=make_snippet(text, marks),
            title_html=mark_text(stored.get("headline", ""), marks),
            parents=list(stored.get("parents") or []),
            source=stored.get("source"),
            category=stored.get("category"),
        )

    def get(self, doc_id: str) -> StoredDocument | None:
        """The stored document with this id, or None."""
        searcher, _ = self._current().searcher()
        stored = searcher.document(id=str(doc_id))
        if not stored:
            return None
        content = stored.get("content") or {}
        return StoredDocument(
            id=stored["id"],
            kind=stored.get("kind", "article"),
            title=stored.get("headline", ""),
            summary=content.get("summary", ""),
            paragraphs=list(content.get("paragraphs", [])),
            url=stored.get("url"),
            published=_iso(stored.get("published")),
            source=stored.get("source"),
            category=stored.get("category"),
            kicker=content.get("kicker"),
            parents=list(stored.get("parents") or []),
            related_ids=list(content.get("related_ids", [])),
        )

    def facets(self) -> dict[str, list[tuple[str, int]]]:
        """Values of the filterable fields with their document counts;
        computed once per generation (every results page shows them)."""
        generation = self._current()
        if generation.facets is None:
            searcher, _ = generation.searcher()
            reader = searcher.reader()
            result = {}
            for name, key in (("source", "sources"), ("category", "categories")):
                counts = Counter()
                if name in reader.indexed_field_names():
                    for term in reader.field_terms(name):
                        counts[term] = reader.doc_frequency(name, term)
                result[key] = counts.most_common()
            generation.facets = result
        return {key: list(values) for key, values in generation.facets.items()}

    def headline_words(self, limit: int = 5) -> list[str]:
        """The words most headlines hold (words of two or more syllables,
        as pyvi segmented them, ``hà nội``): what a page that found nothing
        offers to search instead, so the offer fits this corpus. Computed
        once per generation (0.4 s on corpus C)."""
        generation = self._current()
        if generation.headline_words is None:
            searcher, _ = generation.searcher()
            reader = searcher.reader()
            counted = []
            for term in reader.lexicon("title"):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                syllables = word.split(JOINER)
                # Two or more syllables, letters only: no dates or scores.
                if len(syllables) >= 2 and all(syllable.isalpha() for syllable in syllables):
                    counted.append((reader.doc_frequency("title", term), word))
            counted.sort(key=lambda pair: (-pair[0], pair[1]))
            generation.headline_words = [word.replace(JOINER, " ") for _, word in counted[:_HEADLINE_WORDS_KEPT]]
        return generation.headline_words[:limit]

    def stats(self) -> IndexStats:
        """What the index holds; computed once per generation (the home
        page and /healthz ask on every request)."""
        generation = self._current()
        if generation.stats is None:
            searcher, scorer = generation.searcher()
            reader = searcher.reader()
            dated = scorer.stats.published[(scorer.stats.published > 0) & scorer.stats.live]
            # Counted through a query: doc_frequency includes replaced copies.
            kinds = {k: sum(1 for _ in searcher.docs_for_query(wq.Term("kind", k))) for k in KINDS}
            size = sum(f.stat().st_size for f in generation.path.iterdir() if f.is_file())
            terms = sum(1 for name in TEXT_FIELDS for _ in reader.lexicon(name))
            updated = generation.meta.get("updated")
            generation.stats = IndexStats(
                index_dir=str(self.index_dir),
                documents=searcher.doc_count(),
                articles=kinds["article"],
                related=kinds["related"],
                terms=terms,
                size_bytes=size,
                analysis_version=generation.meta.get("analysis_version", 0),
                updated=datetime.fromisoformat(updated) if updated else None,
                sources=dict(self.facets()["sources"]),
                newest_published=_iso(long_to_datetime(int(dated.max()))) if len(dated) else None,
                oldest_published=_iso(long_to_datetime(int(dated.min()))) if len(dated) else None,
            )
        return generation.stats

    def close(self) -> None:
        self._generation = None


class _Reading(NamedTuple):
    """A query as the engine understood it (``SearchEngine._read``)."""

    searched: str | None  # what was searched, when keystrokes were read
    parsed: ParsedQuery
    other_forms: list
    words: list


def _relaxed_notice(membership: Membership) -> str:
    """What a reader is told when the set was widened (``matching.members``)."""
    if membership.as_syllables:
        return "Không có bài nào chứa các từ này đứng liền nhau; đang hiển thị các bài chứa từng âm tiết."
    held = membership.informative - membership.missing
    if membership.strict_count:
        first = f"Chỉ có {membership.strict_count} bài chứa đủ các từ tìm kiếm"
    else:
        first = "Không có bài nào chứa đủ các từ tìm kiếm"
    return f"{first}; đang hiển thị cả các bài chứa {held} trong {membership.informative} từ chính."


def _has_rare_word(parsed: ParsedQuery, scorer: Scorer) -> bool:
    """Whether a word of the query that could be a typo (``MIN_TYPO_LETTERS``
    letters or more) is one the articles hardly use."""
    threshold = correction_threshold(scorer.stats.live_count)
    return any(
        len(syllable) >= MIN_TYPO_LETTERS and scorer.folded_frequency(fold_term(syllable)) < threshold
        for run in parsed.words for syllable in run)


def _reaccents(typed: str, suggestion: str) -> bool:
    """Whether ``suggestion`` changes a word the reader typed with accents."""
    typed_words, suggested_words = _WORDS.findall(normalize_query(typed)), _WORDS.findall(suggestion)
    return len(typed_words) != len(suggested_words) or any(
        fold_term(a.lower()) != a.lower() and a.lower() != b.lower() for a, b in zip(typed_words, suggested_words))


def _column_bounds(dates: DateRange | None) -> tuple[int | None, int | None] | None:
    """A date range as values of the ``published`` column."""
    if dates is None:
        return None
    return tuple(datetime_to_long(moment) if moment is not None else None for moment in (dates.start, dates.end))


def _whole_number(name: str, value, low: int, high: int | None) -> int:
    """``page``/``per_page`` as given, or a ValueError naming the parameter."""
    bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
    try:
        number = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        raise ValueError(f"{name} must be a whole number {bounds}, not {value!r}")
    return number


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _iso(value) -> str | None:
    if isinstance(value, datetime):  # stored as naive UTC
        return value.replace(tzinfo=timezone.utc).isoformat()
    return value or None
