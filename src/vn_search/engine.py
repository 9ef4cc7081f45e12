"""The public face of vn-search: one object to index, search and read.

    >>> import tempfile
    >>> from vn_search import sample_path
    >>> engine = SearchEngine(tempfile.mkdtemp())     # or "index", the default folder
    >>> report = engine.index([sample_path()], progress=False)
    >>> engine.search("luan chuyen can bo").hits[0].title
    'Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà'

The CLI and the web app are thin layers over this class. Searching is
thread-safe: each thread keeps its own index reader, reopened when a
writer publishes a new generation, so a running server sees new documents
without a restart.
"""

from __future__ import annotations

import operator
import re
import time
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, NamedTuple

import numpy as np

from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.terms import JOINER, fold_term
from vn_search.dates import DateRange, date_range
from vn_search.completion import MAX_LIMIT as MAX_COMPLETIONS
from vn_search.highlight import Marks, highlight_words, make_snippet, mark_text
from vn_search.indexer import IndexReport, build_index
from vn_search.matching import (
    Membership, documents_needed, query_words, read_as_the_articles_write, unaccented_notice,
)
from vn_search.reading import KNOWN_DOCUMENTS, alternatives, decode_keystrokes, rewording
from vn_search.query import ParsedQuery, build_plan, parse_query
from vn_search.results import Hit, StoryArticle, IndexStats, SearchResults, StoredDocument
from vn_search.schema import FILTER_FIELDS, TEXT_FIELDS
from vn_search.storage import store
from vn_search.storage.reader import IndexReader
from vn_search.storage.segments import published_moment, published_value
from vn_search.similar import similar_documents
from vn_search.sources.parts import Part, part_to_index
from vn_search.timeline import timeline
from vn_search.generations import WARM_MEGABYTES, Generation, Generations
from vn_search.scoring import Scorer
from vn_search.stories import MAX_SAME_STORY, StoryMap
from vn_search.suggest import MIN_TYPO_LETTERS, Suggester, correction_threshold, keep_excluded

__all__ = ["SearchEngine"]

KINDS = ("article", "related")
SORTS = ("relevance", "date")
_HEADLINE_WORDS_KEPT = 20
_WORDS = re.compile(r"\w+")
# A query with an abbreviation (or a full form) is also scored written the
# other way, up to MAX_REWORDINGS times: an article in the other form scores
# as it would in the reader's wording, times this weight (Scorer.run), so it
# ranks below an equal article in the reader's wording and above one that
# holds the typed form and little else of the query. On corpus C
# (bench/reader_queries.py; full form typed for an abbreviation written, and
# the other way) this gave 0.95x / 0.99x of the wording as written, against
# 0.87x / 0.85x when a rewording's best match was held to the best match as
# typed (a poor partial match where the articles abbreviate). 0.8 / 0.9
# gained 0.01 there and cost known-item queries written in the reader's own
# form (KI-4w MRR@10 0.846 -> 0.844, bench/relevance.py).
REWORDING_WEIGHT = {"expansion": 0.6, "abbreviation": 0.7, "alias": 0.5}
MAX_REWORDINGS = 3


class SearchEngine:
    """Index and search Vietnamese news in ``index_dir``."""

    max_query_chars = 500
    max_per_page = 100

    def __new__(cls, index_dir: str | Path = "index", *args, **kwargs):
        """``opensearch://HOST:PORT/NAME`` opens an index on a cluster instead
        (``backends/opensearch_engine.py``: the same methods and results)."""
        if cls is SearchEngine and str(index_dir).lower().startswith(("opensearch:/", "opensearchs:/")):
            from vn_search.backends.opensearch_engine import OpenSearchEngine

            return OpenSearchEngine(index_dir, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, index_dir: str | Path = "index", warm_megabytes: int = 0) -> None:
        """``warm_megabytes``: prepare every generation this engine opens
        in the background (see :meth:`warm` and ``generations.py``) before
        it answers; a server sets it, so the first searches after start
        and after each update are not the slow ones."""
        self.index_dir = Path(index_dir)
        self.warm_megabytes = warm_megabytes
        self._generations = Generations(self.index_dir, warm_megabytes, self._page_figures)

    # -- writing ---------------------------------------------------------

    def index(
        self,
        sources: Iterable[str | Path],
        rebuild: bool = False,
        progress: bool | None = None,
        workers: int | None = None,
        on_problem=None,
        part: Part | str | None = None,
    ) -> IndexReport:
        """Add documents from pages, folders or JSONL(.gz) files.

        Documents whose id is already indexed are replaced. With
        ``rebuild`` the index is rebuilt from these sources alone; the old
        one stays searchable until the new one is complete. ``part``
        (``"K/N"``) indexes only that share of them, chosen by document id
        (``sources/parts.py``), for N indexers loading one index together.
        """
        return build_index(self.index_dir, sources, rebuild, progress, workers, on_problem,
                           part_to_index(part, rebuild))

    # -- reading ---------------------------------------------------------

    def _current(self) -> Generation:
        """The generation to search (``generations.py``: with warming, a
        newly published one answers once prepared)."""
        return self._generations.current()

    def _page_figures(self, generation: Generation) -> None:
        """What the home page, results pages and /healthz show of a
        generation (its stats, facets and headline words): ~2 s on corpus
        C, computed before it serves rather than by its first requests."""
        self.stats(generation)
        self.facets(generation)
        self.headline_words(generation=generation)
        # Autocomplete's table: read, or built in the background if the
        # generation has none (14-19 s on corpus C, machine load 5-10).
        generation.completions.prepare(lambda: _completion_source(generation))

    def readiness(self) -> dict:
        """Whether searches are answered warm (``Generations.readiness``),
        without waiting: what /healthz reports."""
        return self._generations.readiness()

    def start(self) -> None:
        """Start preparing the published generation now, in the background
        (a server worker calls it at start, before any request)."""
        self._generations.begin()

    def warm(self, megabytes: int = WARM_MEGABYTES) -> int:
        """Read the posting lists of the corpus's most frequent syllables
        into memory now, up to ``megabytes``, so that the first searches
        do not pay for decoding them. On corpus C (6 s, 12,000 lists at
        256 MB) the first pass over the MDS queries went from p50 23 / p95
        64 ms to 13.5 / 29; the second pass takes 9 / 15. Returns how many
        posting lists were read."""
        return self._generations.warm(megabytes)

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
        group: bool = True,
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

        With ``group`` each hit is a story (``stories.py``): the articles
        of other outlets on the same event are listed in its
        ``same_story``, not as hits of their own, and pages count stories
        (``stories``; ``total`` still counts documents).
        """
        page, per_page = checked_arguments(sort, kind, page, per_page, self.max_per_page)
        dates = date_range(since, until)
        started = time.perf_counter()
        query, notices = shortened(query, self.max_query_chars)
        generation = self._current()
        reader, scorer = generation.reader()
        model = generation.accent_model()
        understood = self._read(generation, query, as_typed)
        searched, parsed, other_forms = understood.searched, understood.parsed, understood.other_forms
        if searched is not None:
            notices.append(f"Đang hiển thị kết quả cho «{searched}».")
        if parsed.is_empty:
            return SearchResults(query, 0, _ms(started), page, per_page, [], None, notices, dates=dates)
        filters = [(name, value) for name, value in zip(FILTER_FIELDS, (kind, source, category)) if value]
        plan = build_plan(parsed, other_forms)
        plan.words = understood.words
        rewordings = [rewording(parsed, alternative, reading, REWORDING_WEIGHT[alternative.typed])
                      for alternative in other_forms for reading in alternative.readings[:2]][:MAX_REWORDINGS]
        story_map = generation.stories()
        ranking = scorer.run(
            plan, page * per_page, filters, by_date=sort == "date", date_bounds=_column_bounds(dates),
            rewordings=rewordings, stories=story_map if group else None, related=story_map)
        docnums, scores, total, membership, undated = ranking[:5]
        strict = total if membership is None else membership.strict_count
        if searched is not None:
            suggestion = searched
        elif suggest:
            suggestion = Suggester(reader, model).suggest(query)
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
                                   sort=sort, suggest=False, since=since, until=until, as_typed=True, group=group)
            if fallback.total and (not fallback.relaxed or not total):
                notices.append(f"Không có bài nào chứa đủ các từ «{query}»; đang hiển thị kết quả cho «{suggestion}»."
                               if total else f"Không có kết quả cho «{query}»; đang hiển thị kết quả cho «{suggestion}».")
                return replace(fallback, query=query, took_ms=_ms(started), suggestion=suggestion,
                               searched=suggestion, notices=notices + fallback.notices)
        if membership is not None and membership.relaxed and total:
            notices.append(_relaxed_notice(membership))
        if understood.unaccented and total:
            notices.append(unaccented_notice(understood.unaccented))
        start = (page - 1) * per_page
        marks = highlight_words(plan.words, parsed, membership.common if membership is not None else ())
        hits = [
            replace(self._hit(reader.stored_fields(int(docnum)), float(score), marks),
                    same_story=_same_story(reader, story_map, int(docnum), ranking.allowed, scorer.stats.published)
                    if group else [])
            for docnum, score in zip(docnums[start:], scores[start:])
        ]
        return SearchResults(query, total, _ms(started), page, per_page, hits, suggestion, notices,
                             undated=undated, dates=dates, searched=searched,
                             relaxed=membership is not None and membership.relaxed,
                             stories=ranking.stories if group else None,
                             timeline=timeline(scorer.stats.published[ranking.members]))

    def _read(self, generation: Generation, query: str, as_typed: bool) -> _Reading:
        """How a query is understood (``reading.py``, ``matching.py``):
        keystrokes read, words and the other forms of its abbreviations."""
        _, scorer = generation.reader()
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
        return _Reading(searched, parsed, other_forms,
                        *read_as_the_articles_write(words, model.pair_share if model is not None else None))

    def marks_for(self, query: str, *, as_typed: bool = False) -> Marks:
        """What a results page for ``query`` marks, for marking an article
        the reader opened from it: the query's words as the engine reads
        them (keystrokes, abbreviations' other forms), one-syllable common
        words left out."""
        generation = self._current()
        reading = self._read(generation, query or "", as_typed)
        _, scorer = generation.reader()
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
        reader, _ = self._current().reader()
        stored = reader.document(str(doc_id))
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

    def complete(self, typed: str, limit: int = 8) -> list[str]:
        """Completions of what a reader is typing into the search box, from
        the words and phrases the corpus's headlines use most, spelt as the
        articles spell them (``campu`` → ``Campuchia``; ``completion.py``).
        The table is the generation's ``completions.json``, or built from
        its headlines on first use when it has none."""
        limit = _whole_number("limit", limit, 1, MAX_COMPLETIONS)
        generation = self._current()
        return generation.completions.get(lambda: _completion_source(generation)).complete(typed or "", limit)

    def similar(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Articles on the same subject as the document ``doc_id`` (more
        like this, ``similar.py``): its most distinctive words scored as a
        query; never the document itself or a copy of it. Empty for an
        unknown id."""
        limit = _whole_number("limit", limit, 1, self.max_per_page)
        reader, scorer = self._current().reader()
        docnum = reader.document_number(str(doc_id))
        if docnum is None:
            return []
        found = similar_documents(reader.stored_fields(docnum), docnum, scorer, reader.stored_fields, limit)
        return [self._hit(stored, score, Marks.of([])) for stored, score in found]

    def facets(self, generation: Generation | None = None) -> dict[str, list[tuple[str, int]]]:
        """Values of the filterable fields with their document counts;
        computed once per generation (every results page shows them)."""
        generation = generation or self._current()
        if generation.facets is None:
            reader, _ = generation.reader()
            result = {}
            for name, key in (("source", "sources"), ("category", "categories")):
                counts = Counter()
                if name in reader.indexed_field_names():
                    for term in reader.field_terms(name):
                        counts[term] = reader.doc_frequency(name, term)
                result[key] = counts.most_common()
            generation.facets = result
        return {key: list(values) for key, values in generation.facets.items()}

    def headline_words(self, limit: int = 5, generation: Generation | None = None) -> list[str]:
        """The words most headlines hold (words of two or more syllables,
        as pyvi segmented them, ``hà nội``): what a page that found nothing
        offers to search instead, so the offer fits this corpus. Computed
        once per generation (0.4 s on corpus C)."""
        generation = generation or self._current()
        if generation.headline_words is None:
            reader, _ = generation.reader()
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

    def stats(self, generation: Generation | None = None) -> IndexStats:
        """What the index holds; computed once per generation (the home
        page and /healthz ask on every request)."""
        generation = generation or self._current()
        if generation.stats is None:
            reader, scorer = generation.reader()
            dated = scorer.stats.published[(scorer.stats.published > 0) & scorer.stats.live]
            # Live documents only: doc_frequency includes replaced copies.
            kinds = {k: len(reader.term_documents("kind", k)) for k in KINDS}
            size = sum(f.stat().st_size for f in generation.path.iterdir() if f.is_file())
            terms = sum(1 for name in TEXT_FIELDS for _ in reader.lexicon(name))
            updated = generation.meta.get("updated")
            generation.stats = IndexStats(
                index_dir=str(self.index_dir),
                documents=reader.doc_count(),
                articles=kinds["article"],
                related=kinds["related"],
                terms=terms,
                size_bytes=size,
                analysis_version=generation.meta.get("analysis_version", 0),
                updated=datetime.fromisoformat(updated) if updated else None,
                sources=dict(self.facets(generation)["sources"]),
                newest_published=_iso(published_moment(dated.max())) if len(dated) else None,
                oldest_published=_iso(published_moment(dated.min())) if len(dated) else None,
            )
        return generation.stats

    def close(self) -> None:
        """Forget the opened generations (their cached segments go)."""
        self._generations.close()


class _Reading(NamedTuple):
    """A query as the engine understood it (``SearchEngine._read``)."""

    searched: str | None  # what was searched, when keystrokes were read
    parsed: ParsedQuery
    other_forms: list
    words: list
    unaccented: tuple[str, ...]  # words held without the accents typed (matching.as_the_articles_write)


def _same_story(reader: IndexReader, stories: StoryMap, docnum: int, allowed: np.ndarray, published: np.ndarray) -> list[StoryArticle]:
    """The other articles of ``docnum``'s story that the search's filters
    allow (a source filter shows that outlet's articles, never hides them
    under another's), earliest first, undated last; at most
    :data:`MAX_SAME_STORY`."""
    others = stories.members(docnum)
    others = others[(others != docnum) & allowed[others]]
    when = published[others]
    others = others[np.lexsort((others, np.where(when > 0, when, np.iinfo(np.int64).max)))][:MAX_SAME_STORY]
    articles = []
    for other in others.tolist():
        stored = reader.stored_fields(other)
        articles.append(StoryArticle(stored["id"], stored.get("headline", ""), stored.get("source"),
                                     _iso(stored.get("published")), stored.get("url")))
    return articles


def _completion_source(generation: Generation):
    """What building a generation's completion table reads: its index and
    how often its articles capitalise each syllable."""
    reader, _ = generation.reader()
    model = generation.accent_model()
    return reader, model.capital_share if model is not None else None


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
    return tuple(published_value(moment) if moment is not None else None for moment in (dates.start, dates.end))


def checked_arguments(sort: str, kind: str | None, page, per_page, max_per_page: int) -> tuple[int, int]:
    """The page and page size of a search, after the checks every backend
    makes: a bad ``sort``, ``kind``, ``page`` or ``per_page`` is a
    ValueError naming the parameter."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS} or None, not {kind!r}")
    return _whole_number("page", page, 1, None), _whole_number("per_page", per_page, 1, max_per_page)


def shortened(query: str | None, max_chars: int) -> tuple[str, list[str]]:
    """The query cut to ``max_chars``, and the notice that says so."""
    query = query or ""
    if len(query) <= max_chars:
        return query, []
    return query[:max_chars], [f"Truy vấn quá dài: chỉ {max_chars} ký tự đầu được dùng."]


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
