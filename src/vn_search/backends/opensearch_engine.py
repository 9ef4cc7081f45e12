"""``SearchEngine`` on an OpenSearch cluster: ``SearchEngine("opensearch://127.0.0.1:9200/news")``.

The same public methods as the embedded engine, with the same results
(``SearchResults``, ``Hit``, ``StoredDocument``, ``IndexStats``), so the
CLI, the web app and an embedding application cannot tell the backends
apart. What lives where:

- in the cluster, index ``news`` (an alias): the documents, analysed here
  (``opensearch.py``), and everything a query asks of them (counts,
  scores, filters, facets, the timeline's days);
- in the cluster, index ``<concrete>-meta`` (``opensearch_meta.py``): the
  accent model, the abbreviations the articles define, autocomplete's
  table, the headline words, each article's related reports; read once
  per concrete index by each engine;
- here, in Python: reading the query (keystrokes, accents, abbreviations,
  names), the result-set rule, coordination and proximity over the top
  window (``opensearch_query.py``), suggestions (``suggest.Suggester``
  over cluster counts), snippets and marks (``highlight.py`` over the
  stored text, as the embedded engine's ``_hit``), "more like this"
  (``similar.distinctive_words`` scored by the cluster).

Stories (same story, one result) are grouped at load time by the embedded
indexer's rules and kept as each document's ``story`` field; a search
collapses on it (``opensearch_stories.py``). Embedded-only for now: the
``terms`` figure of ``stats`` (0: the cluster does not count distinct
terms of a text field cheaply) and warming (the cluster keeps its own
caches). Private names used from the embedded
engine, whose rules must stay the same on both backends:
``engine._reaccents``, ``suggest._edits``,
``similar._CANDIDATES`` (listed in ``backends/__init__.py`` too).
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Callable, Iterable

import numpy as np

from vn_search.analysis.keystrokes import decode_query
from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.terms import JOINER, fold_term
from vn_search.backends.opensearch import OpenSearchError, OpenSearchIndex, OpenSearchIndexMissing
from vn_search.backends.opensearch_meta import LearnedData, last_update, load_learned_data
from vn_search.backends.opensearch_query import IndexGone, QueryTooLong, _ask_many, _Counts, first_counts
from vn_search.backends.opensearch_stories import same_story_from, same_story_request
from vn_search.dates import date_range
from vn_search.errors import VnSearchError
from vn_search.highlight import Marks, highlight_words, make_snippet, mark_text
from vn_search.indexer import IndexReport
from vn_search.matching import documents_needed, unaccented_notice
from vn_search.reading import KNOWN_DOCUMENTS, decode_keystrokes
from vn_search.results import Hit, IndexStats, SearchResults, StoredDocument, StoryArticle
from vn_search.similar import _CANDIDATES, MIN_SHARE, MIN_SHARED_WORDS, distinctive_words, similarity_plan
from vn_search.suggest import (
    MAX_SUGGEST_WORDS, MAX_TYPO_LETTERS, MIN_TYPO_LETTERS, Suggester, _edits, correction_threshold,
    keep_excluded,
)
from vn_search.timeline import published_values, timeline
from vn_search.sources.parts import Part, part_to_index

__all__ = ["OpenSearchEngine", "OpenSearchIndexMissing", "is_cluster_location"]

RECHECK_SECONDS = 5.0  # how often a long-lived engine asks which index the alias points to
_HEADLINE_WORDS_KEPT = 20
_LOCATION = re.compile(r"^opensearchs?:/+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
_CREDENTIALS = re.compile(r"//[^/@]*@")


def is_cluster_location(location) -> bool:
    """Whether an index location names a cluster (``opensearch://…``); also
    in the form ``pathlib.Path`` leaves it (``opensearch:/host:9200/news``)."""
    return bool(_LOCATION.match(str(location)))


def _cluster_errors(method):
    """A client error (refused request, bad credentials, timeout) becomes
    one ``OpenSearchError`` line, as the cluster being down already does."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        from opensearchpy.exceptions import ConnectionError as ClientConnectionError
        from opensearchpy.exceptions import OpenSearchException

        try:
            return method(self, *args, **kwargs)
        except ClientConnectionError:
            raise OpenSearchError(f"lost the OpenSearch cluster at {self.location} during the request: "
                                  f"is it running?") from None
        except OpenSearchException as error:
            raise OpenSearchError(f"the OpenSearch cluster at {self.location} refused the request: {_reason(error)}") from None
    return wrapper


def _reason(error) -> str:
    """The cluster's own words for a refusal: its root cause, else the error's name."""
    refused = getattr(error, "errors", None)  # a bulk load: the first document refused, and why
    if refused:
        action = next(iter(refused[0].values()), {}) if isinstance(refused[0], dict) else {}
        reason = action.get("error", {}) if isinstance(action, dict) else {}
        if isinstance(reason, dict):
            return f"document {action.get('_id')!r} refused: {reason.get('type')}: {reason.get('reason')}"
    info = getattr(error, "info", None)
    if isinstance(info, dict):
        causes = (info.get("error") or {}).get("root_cause") or [] if isinstance(info.get("error"), dict) else []
        if causes:
            return f"{causes[0].get('type')}: {causes[0].get('reason')}"
    return str(getattr(error, "error", None) or type(error).__name__)


@dataclass
class _State:
    """One concrete index as this engine reads it, and what is computed once from it."""

    concrete: str
    learned: LearnedData
    stats: IndexStats | None = None
    facets: dict | None = None


class OpenSearchEngine:
    """Index and search Vietnamese news in an index on an OpenSearch cluster."""

    max_query_chars = 500
    max_per_page = 100

    def __init__(self, location: str, warm_megabytes: int = 0, **client_options) -> None:
        """``location``: ``opensearch://HOST:PORT/NAME`` (``opensearchs://``
        for TLS); ``client_options`` go to the ``opensearch-py`` client
        (``http_auth``, ``verify_certs``, ``ca_certs``…). ``warm_megabytes``
        is accepted for the embedded engine's signature; the cluster warms itself."""
        given = _LOCATION.sub(lambda m: m.group(0).rstrip("/") + "//", str(location), count=1)
        # What the CLI, stats and messages show: never a password.
        self.location = _CREDENTIALS.sub("//", given, count=1)
        self.index_dir = self.location
        self.warm_megabytes = warm_megabytes
        self._lock = threading.Lock()
        self._state: _State | None = None
        self._checked = 0.0
        try:
            self.backend: OpenSearchIndex | None = OpenSearchIndex.from_url(given, **client_options)
            self._problem = None
        except ValueError as problem:  # said on first use, as a missing index folder is
            self.backend, self._problem = None, OpenSearchError(str(problem))

    def _index(self) -> OpenSearchIndex:
        if self.backend is None:
            raise self._problem
        return self.backend

    def _current(self) -> _State:
        """The concrete index to read and its learned data, asked again
        every ``RECHECK_SECONDS``, so that a server follows a rebuild (the
        alias moved) and an update (the meta index's time) on its own."""
        backend = self._index()
        state = self._state
        if state is not None and time.monotonic() - self._checked < RECHECK_SECONDS:
            return state
        with self._lock:
            concrete = backend.current_index()
            if concrete is None:
                raise OpenSearchIndexMissing(self.location)
            if (self._state is None or self._state.concrete != concrete
                    or self._state.learned.updated != last_update(backend, concrete)):
                backend.check_version()
                self._state = _State(concrete, load_learned_data(backend, concrete))
                backend._reading = concrete
            self._checked = time.monotonic()
            return self._state

    # -- writing ---------------------------------------------------------

    @_cluster_errors
    def index(self, sources: Iterable, rebuild: bool = False, progress: bool | None = None,
              workers: int | None = None, on_problem=None, part: Part | str | None = None) -> IndexReport:
        """Add documents (upserted by id), or with ``rebuild`` build a new
        index and swap the alias to it when complete (``OpenSearchIndex``).
        ``part`` (``"K/N"``): only that share of them, for N indexers loading
        the index at once (``sources/parts.py``)."""
        part = part_to_index(part, rebuild)
        backend = self._index()
        workers = workers or os.cpu_count() or 1
        if rebuild:
            bulk = backend.rebuild(list(sources), workers=workers)
        else:
            bulk = backend.add(list(sources), workers=workers, part=part)
        if on_problem is not None:
            for problem in bulk.problems:
                on_problem(problem)
        self._state = None
        return IndexReport(self.location, bulk.articles, bulk.related, list(bulk.problems), bulk.seconds,
                           bulk.documents_total, bulk.rebuilt, part=bulk.part, left=bulk.left, phases=bulk.phases)

    # -- reading ---------------------------------------------------------

    def exists(self) -> bool:
        return self.backend is not None and self.backend.exists()

    def readiness(self) -> dict:
        """Always ready: there is nothing to warm here (/healthz asks)."""
        concrete = self._state.concrete if self._state is not None else None
        return {"ready": True, "state": "ready", "generation": concrete, "preparing": None}

    def start(self) -> None:
        """Read the index's learned data now, so the first search does not
        (a server calls it at start); a cluster that is down is said later."""
        try:
            self._current()
        except VnSearchError:
            pass

    def warm(self, megabytes: int = 0) -> int:
        """Nothing to read into memory here: the cluster caches what it reads."""
        return 0

    def close(self) -> None:
        self._state = None

    @_cluster_errors
    def search(self, query: str, page: int = 1, per_page: int = 10, *, kind: str | None = None,
               source: str | None = None, category: str | None = None, sort: str = "relevance",
               suggest: bool = True, since: date | datetime | str | None = None,
               until: date | datetime | str | None = None, as_typed: bool = False,
               group: bool = True) -> SearchResults:
        """``SearchEngine.search`` on the cluster."""
        from vn_search.engine import checked_arguments

        page, per_page = checked_arguments(sort, kind, page, per_page, self.max_per_page)
        options = dict(kind=kind, source=source, category=category, sort=sort, since=since, until=until, group=group)
        try:
            return self._search(query, page, per_page, options, suggest, as_typed)
        except IndexGone:  # a rebuild dropped the index under us: read the new one
            self._state = None
            return self._search(query, page, per_page, options, suggest, as_typed)

    def _search(self, query: str, page: int, per_page: int, options: dict, suggest: bool,
                as_typed: bool) -> SearchResults:
        from vn_search.engine import _reaccents, shortened

        dates = date_range(options["since"], options["until"])
        started = time.perf_counter()
        query, notices = shortened(query, self.max_query_chars)
        state = self._current()
        backend = self._index()
        counts = _Counts(backend, state.concrete)
        model = state.learned.accents
        # The keystroke readings' counts go with the search's first counts: one round trip.
        searched = None if as_typed else _keystrokes(query, counts,
                                                     lambda: first_counts(query, state.learned.abbreviations))
        if searched is not None and model is not None:
            searched = keep_excluded(searched, model.restore(searched))  # -viet stays as typed
        if searched is not None:
            notices.append(f"Đang hiển thị kết quả cho «{searched}».")
        found, cut = _within_limit(backend, searched or query, page * per_page, **options,
                                   restore=model.restore if model is not None else None,
                                   abbreviations=state.learned.abbreviations,
                                   capital_share=model.capital_share if model is not None else None,
                                   pair_share=model.pair_share if model is not None else None, counts=counts,
                                   related=state.learned.related)
        if cut is not None:
            notices.append(f"Truy vấn quá dài: chỉ {len(cut.split())} từ đầu được dùng.")
            if searched is None:
                query = cut
            else:
                searched = cut
        parsed = found.parsed
        if parsed is None or parsed.is_empty:
            return SearchResults(query, 0, _ms(started), page, per_page, [], None, notices, dates=dates)
        if searched is not None:
            suggestion = searched
        elif suggest:
            suggestion = _suggester(counts, model, query).suggest(query)
            if found.strict and suggestion and not (_has_rare_word(parsed, counts) or _reaccents(query, suggestion)):
                suggestion = None
        else:
            suggestion = None
        if suggestion and searched is None and not as_typed and not found.strict:
            fallback = self._search(suggestion, page, per_page, options, False, True)
            if fallback.total and (not fallback.relaxed or not found.total):
                notices.append(f"Không có bài nào chứa đủ các từ «{query}»; đang hiển thị kết quả cho «{suggestion}»."
                               if found.total else
                               f"Không có kết quả cho «{query}»; đang hiển thị kết quả cho «{suggestion}».")
                return replace(fallback, query=query, took_ms=_ms(started), suggestion=suggestion,
                               searched=suggestion, notices=notices + fallback.notices)
        if found.relaxed and found.total:
            notices.append(_relaxed_notice(found))
        if found.unaccented and found.total:
            notices.append(unaccented_notice(found.unaccented))
        marks = highlight_words(found.words, parsed, found.common)
        start = (page - 1) * per_page
        page_ids = found.ids[start:]
        stored, mates = self._page({doc_id: found.story_of.get(doc_id) for doc_id in page_ids}, found.story_filter,
                                   grouped=bool(found.story_of))
        hits = [replace(_hit(stored[doc_id], score, marks), same_story=mates.get(doc_id, []))
                for doc_id, score in zip(page_ids, found.scores[start:]) if doc_id in stored]
        return SearchResults(query, found.total, _ms(started), page, per_page, hits, suggestion, notices,
                             undated=found.undated, dates=dates, searched=searched, relaxed=found.relaxed,
                             stories=found.stories, timeline=_timeline(found.days))

    def _page(self, story_of: dict[str, str | None], allowed: list[dict],
              grouped: bool) -> tuple[dict[str, dict], dict[str, list[StoryArticle]]]:
        """The page's stored documents, by id, and (``grouped``) the other
        reports of each one's story that the filters allow: both in one
        round trip (an ``msearch``)."""
        body = same_story_request(story_of, allowed) if grouped else None
        if body is None:
            return self._stored(list(story_of)), {}
        backend = self._index()
        documents = {"size": len(story_of), "_source": ["stored"], "query": {"ids": {"values": list(story_of)}}}
        answers = _ask_many(backend, [documents, body], backend.name)
        stored = {hit["_id"]: hit["_source"]["stored"] for hit in answers[0]["hits"]["hits"]}
        by_story = same_story_from(answers[1])
        return stored, {doc_id: [StoryArticle(mate["id"], mate.get("headline", ""), mate.get("source"),
                                              _iso(mate.get("published")), mate.get("url"))
                                 for mate in by_story.get(label, [])]
                        for doc_id, label in story_of.items()}

    def _stored(self, doc_ids: list[str]) -> dict[str, dict]:
        """Stored values of several documents in one request."""
        if not doc_ids:
            return {}
        backend = self._index()
        answer = backend._call(backend.client.mget, index=backend.name, body={"ids": doc_ids},
                               _source_includes=["stored"])
        return {doc["_id"]: doc["_source"]["stored"] for doc in answer["docs"] if doc.get("found")}

    @_cluster_errors
    def marks_for(self, query: str, *, as_typed: bool = False) -> Marks:
        """What a results page for ``query`` marks (``SearchEngine.marks_for``)."""
        state = self._current()
        backend = self._index()
        model = state.learned.accents
        searched = None if as_typed else _keystrokes(query or "", _Counts(backend, state.concrete))
        found, _ = _within_limit(backend, searched or query or "", 1,
                                 restore=model.restore if model is not None else None,
                                 abbreviations=state.learned.abbreviations,
                                 capital_share=model.capital_share if model is not None else None,
                                 pair_share=model.pair_share if model is not None else None)
        if found.parsed is None or found.parsed.is_empty:
            return Marks.of([])
        return highlight_words(found.words, found.parsed, found.common)

    @_cluster_errors
    def get(self, doc_id: str) -> StoredDocument | None:
        """The stored document with this id, or None."""
        self._current()
        stored = self._stored([str(doc_id)]).get(str(doc_id))
        if stored is None:
            return None
        content = stored.get("content") or {}
        return StoredDocument(
            id=stored["id"], kind=stored.get("kind", "article"), title=stored.get("headline", ""),
            summary=content.get("summary", ""), paragraphs=list(content.get("paragraphs", [])),
            url=stored.get("url"), published=_iso(stored.get("published")), source=stored.get("source"),
            category=stored.get("category"), kicker=content.get("kicker"), parents=list(stored.get("parents") or []),
            related_ids=list(content.get("related_ids", [])),
        )

    @_cluster_errors
    def complete(self, typed: str, limit: int = 8) -> list[str]:
        """Completions from the table the indexing run stored in the cluster."""
        from vn_search.completion import MAX_LIMIT
        from vn_search.engine import _whole_number

        limit = _whole_number("limit", limit, 1, MAX_LIMIT)
        return self._current().learned.completions.complete(typed or "", limit)

    @_cluster_errors
    def similar(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Articles on the same subject (``similar.py``'s words, scored by the cluster)."""
        from vn_search.engine import _whole_number

        limit = _whole_number("limit", limit, 1, self.max_per_page)
        state = self._current()
        backend = self._index()
        stored = self._stored([str(doc_id)]).get(str(doc_id))
        if stored is None:
            return []
        counts = _Counts(backend, state.concrete)
        live = counts.one({"match_all": {}})
        asked: list[str] = []
        distinctive_words(stored, lambda word: asked.append(word) or 2, live + 1)  # which words it will ask about
        fields = ("title", "summary", "body")
        counts.many([{"term": {name: word}} for word in asked for name in fields])
        words = distinctive_words(stored, lambda word: max(counts.term(name, word) for name in fields), live)
        if len(words) < MIN_SHARED_WORDS:
            return []
        plan = similarity_plan(words)
        per_word = [{"bool": {"should": [{"term": {term.field: {"value": term.text, "boost": term.weight}}}
                                         for term in group.terms]}} for group in plan.groups]
        body = {"query": {"bool": {"should": per_word, "minimum_should_match": MIN_SHARED_WORDS,
                                   "filter": [{"term": {"kind": "article"}}]}},
                "size": limit * _CANDIDATES + 1, "_source": ["stored"]}
        answer = backend._call(backend.client.search, index=state.concrete, body=body,
                               search_type="dfs_query_then_fetch")
        hits = answer["hits"]["hits"]
        own = next((hit["_score"] for hit in hits if hit["_id"] == str(doc_id)), hits[0]["_score"] if hits else 0.0)
        seen = {(stored.get("headline") or "").strip().lower()}
        found = []
        for hit in hits:
            fields_of = hit["_source"]["stored"]
            title = (fields_of.get("headline") or "").strip().lower()
            if hit["_id"] == str(doc_id) or title in seen or hit["_score"] < MIN_SHARE * own:
                continue
            seen.add(title)
            found.append(_hit(fields_of, hit["_score"], Marks.of([])))
            if len(found) >= limit:
                break
        return found

    @_cluster_errors
    def facets(self, generation=None) -> dict[str, list[tuple[str, int]]]:
        """Sources and categories with their document counts (aggregations), once per index."""
        state = self._current()
        if state.facets is None:
            self._figures(state)
        return {key: list(values) for key, values in state.facets.items()}

    @_cluster_errors
    def headline_words(self, limit: int = 5, generation=None) -> list[str]:
        """The words most headlines hold (``SearchEngine.headline_words``),
        from the counts the indexing run stored."""
        counted = [(count, word) for word, count in self._current().learned.headline_words.items()
                   if all(syllable.isalpha() for syllable in word.split(JOINER))]
        counted.sort(key=lambda pair: (-pair[0], pair[1]))
        return [word.replace(JOINER, " ") for _, word in counted[:min(limit, _HEADLINE_WORDS_KEPT)]]

    @_cluster_errors
    def stats(self, generation=None) -> IndexStats:
        """What the index holds, once per concrete index (the home page asks every time)."""
        state = self._current()
        if state.stats is None:
            self._figures(state)
        return state.stats

    def _figures(self, state: _State) -> None:
        """Stats and facets in one aggregation request."""
        backend = self._index()
        body = {"size": 0, "track_total_hits": True, "aggs": {
            "kinds": {"terms": {"field": "kind", "size": 10}},
            "sources": {"terms": {"field": "source", "size": 10_000}},
            "categories": {"terms": {"field": "category", "size": 10_000}},
            "newest": {"max": {"field": "published"}},
            "oldest": {"min": {"field": "published"}}}}
        answer = backend._call(backend.client.search, index=state.concrete, body=body)
        aggs = answer["aggregations"]
        kinds = {bucket["key"]: bucket["doc_count"] for bucket in aggs["kinds"]["buckets"]}
        state.facets = {key: [(bucket["key"], int(bucket["doc_count"])) for bucket in aggs[key]["buckets"]]
                        for key in ("sources", "categories")}
        size = backend._call(backend.client.indices.stats, index=state.concrete, metric="store")
        updated = state.learned.updated
        state.stats = IndexStats(
            index_dir=self.location,
            documents=int(answer["hits"]["total"]["value"]),
            articles=int(kinds.get("article", 0)),
            related=int(kinds.get("related", 0)),
            terms=0,
            size_bytes=int(size["_all"]["primaries"]["store"]["size_in_bytes"]),
            analysis_version=_analysis_version(backend, state.concrete),
            updated=datetime.fromisoformat(updated) if updated else None,
            sources=dict(state.facets["sources"]),
            newest_published=_epoch_iso(aggs["newest"].get("value")),
            oldest_published=_epoch_iso(aggs["oldest"].get("value")),
        )


def _analysis_version(backend: OpenSearchIndex, concrete: str) -> int:
    mapping = backend._call(backend.client.indices.get_mapping, index=concrete)[concrete]["mappings"]
    return int(mapping.get("_meta", {}).get("analysis_version", 0))


def _within_limit(backend: OpenSearchIndex, text: str, limit: int, **options):
    """``backend.search`` of ``text``, or, when the cluster refuses its query
    as too long (more clauses than ``indices.query.bool.max_clause_count``),
    of its first two thirds, and so on: (the hits, the words searched when
    cut, else None). The embedded engine has no such limit: a query cut here
    is the only case where the backends read a query differently."""
    words = text.split()
    kept = len(words)
    while True:
        searched = text if kept == len(words) else " ".join(words[:kept])
        try:
            return backend.search(searched, limit, **options), (None if searched == text else searched)
        except QueryTooLong:
            if kept <= 1:
                raise OpenSearchError(f"{backend.url}: the cluster refuses even a one-word query as too long "
                                      f"(is indices.query.bool.max_clause_count set very low?)") from None
            kept = max(1, kept * 2 // 3)


def _keystrokes(query: str, counts: _Counts, also: Callable[[], list[dict]] | None = None) -> str | None:
    """``reading.decode_keystrokes`` with the cluster's counts, the words it
    will ask about asked first in one request, with the counts ``also()``
    gives (only when there is a request to make)."""
    asked = []
    for start, end, readings in decode_query(query):
        for word in [query[start:end], *readings]:
            word = word.lower()
            asked += [{"term": {"body": word}}, {"term": {"title": word}},
                      {"term": {"body_f": fold_term(word)}}, {"term": {"title_f": fold_term(word)}}]
    if not asked:
        return None
    live = counts.many([{"match_all": {}}] + asked + (also() if also else []))[0]
    return decode_keystrokes(
        query, lambda word: counts.term("body", word) + counts.term("title", word),
        lambda syllable: counts.term("body_f", syllable) + counts.term("title_f", syllable),
        documents_needed(KNOWN_DOCUMENTS, live, 10_000))


class _ClusterReader:
    """What ``suggest.Suggester`` asks of a Whoosh reader, asked of the cluster."""

    def __init__(self, counts: _Counts) -> None:
        self.counts = counts

    def doc_count(self) -> int:
        return self.counts.one({"match_all": {}})

    def doc_frequency(self, fieldname: str, text: str) -> int:
        return self.counts.term(fieldname, text)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return self.counts.term(*key) > 0


def _suggester(counts: _Counts, model, query: str) -> Suggester:
    """A ``Suggester`` over the cluster, with the counts it will need asked
    first: each word and pair of the query and, for those the articles
    hardly use, every spelling one slip away (hundreds, in one request)."""
    suggester = Suggester(_ClusterReader(counts), model)
    words = [fold_term(word.lower()) for word in _WORD.findall(normalize_query(query))]
    if len(words) > MAX_SUGGEST_WORDS:  # Suggester.suggest offers nothing: ask nothing
        return suggester
    terms = words + [a + JOINER + b for a, b in zip(words, words[1:])]
    counts.many([{"term": {name: term}} for term in terms for name in ("body_f", "title_f")])
    # Only the terms Suggester.correct_typos would correct: MIN_TYPO_LETTERS
    # to MAX_TYPO_LETTERS letters, a pair's joiner not counted (a pasted
    # URL's 300 letters had 16,000 spellings one slip away, 600 KB of counts).
    unknown = [term for term in terms if MIN_TYPO_LETTERS <= len(term) - term.count(JOINER) <= MAX_TYPO_LETTERS
               and suggester.frequency(term) < suggester.min_documents]
    candidates = {candidate for term in unknown for candidate in _edits(term)}
    if candidates:
        counts.many([{"term": {name: candidate}} for candidate in candidates for name in ("body_f", "title_f")])
    return suggester


def _has_rare_word(parsed, counts: _Counts) -> bool:
    """``engine._has_rare_word`` with the cluster's counts."""
    threshold = correction_threshold(counts.one({"match_all": {}}))
    return any(
        len(syllable) >= MIN_TYPO_LETTERS
        and counts.term("body_f", fold_term(syllable)) + counts.term("title_f", fold_term(syllable)) < threshold
        for run in parsed.words for syllable in run)


def _relaxed_notice(found) -> str:
    """``engine._relaxed_notice``, from what the cluster search reports."""
    if found.as_syllables:
        return "Không có bài nào chứa các từ này đứng liền nhau; đang hiển thị các bài chứa từng âm tiết."
    held = found.informative - found.missing
    first = (f"Chỉ có {found.strict} bài chứa đủ các từ tìm kiếm" if found.strict
             else "Không có bài nào chứa đủ các từ tìm kiếm")
    return f"{first}; đang hiển thị cả các bài chứa {held} trong {found.informative} từ chính."


def _hit(stored: dict, score: float, marks: Marks) -> Hit:
    """A hit as the embedded engine's ``_hit`` makes it, from the stored values."""
    content = stored.get("content") or {}
    text = " ".join([content.get("kicker") or "", content.get("summary", "")] + content.get("paragraphs", []))
    return Hit(
        id=stored["id"], kind=stored.get("kind", "article"), title=stored.get("headline", ""), url=stored.get("url"),
        published=_iso(stored.get("published")), score=round(score, 4), snippet=make_snippet(text, marks),
        title_html=mark_text(stored.get("headline", ""), marks), parents=list(stored.get("parents") or []),
        source=stored.get("source"), category=stored.get("category"),
    )


def _timeline(days: list[tuple[int, int]]):
    """The members' Vietnam days (start in ms since the epoch, count) as ``timeline.timeline`` bars."""
    if not days:
        return []
    noons = [datetime(1970, 1, 1) + timedelta(milliseconds=start, hours=12) for start, _ in days]
    return timeline(np.repeat(published_values(noons), [count for _, count in days]))


def _iso(value) -> str | None:
    """A stored time (ISO text, naive UTC) as the embedded engine shows it: with its offset."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat()


def _epoch_iso(milliseconds: float | None) -> str | None:
    if milliseconds is None:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc).isoformat()


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
