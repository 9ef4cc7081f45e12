"""Opened index generations, and which one a search reads.

A generation (``store.py``) never changes once published. An opened one
(:class:`Generation`) holds its stored index, one reader per thread, and
what is computed once from it: the accent model, the abbreviation table,
scoring statistics (whose per-segment parts and posting lists are shared
with the other generations through ``segments.py``), page figures.

Which generation a search reads (:class:`Generations`): without warming
(the CLI, a library user) the published one, opened on first use. With
warming (``vn-search serve``) a newly published generation is *prepared
before it serves*: read in a background thread — its new segment's
posting lists, its accent model, its page statistics — while the previous
generation keeps answering, then swapped in. We chose this over warming
at a lower priority while serving the new generation: under the GIL a
lower priority only exists as pauses, and a request on a cold generation
pays for the cold part itself (a second for page statistics, hundreds of
milliseconds for accent tables), whichever thread warms. The swap is
bounded: a generation serves ``SWAP_AFTER_SECONDS`` after it was first
seen whatever is left, so an update is never hidden for long, and a reader
never waits for one. At start there is no previous generation: searches
wait (``READY_WAIT_SECONDS`` at most) and ``readiness()`` says "warming",
which ``/healthz`` reports with a 503 so that a balancer sends requests
elsewhere.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Callable

from vn_search.storage import store
from vn_search.accents import AccentModel
from vn_search.analysis.abbreviations import AbbreviationTable, Learned, default_table
from vn_search.analysis.terms import fold_term
from vn_search.completion import LazyCompletions
from vn_search.errors import IndexMissingError, IndexVersionError
from vn_search.indexer import ACCENT_MODEL_FILE, load_learned_abbreviations
from vn_search.schema import ANALYSIS_VERSION, TEXT_FIELDS
from vn_search.scoring import CorpusStatistics, Scorer
from vn_search.storage.reader import IndexReader, open_index
from vn_search.stories import STORIES_FILE, StoryMap, load_story_map

__all__ = ["Generation", "Generations", "SCORED_FIELDS", "WARM_MEGABYTES"]

SCORED_FIELDS = [name + suffix for name in TEXT_FIELDS for suffix in ("", "_f")]
# A definition an index's own articles gave at least this often joins the
# abbreviation table for that index.
LEARNED_MIN_COUNT = 3
_NO_MODEL = object()
_WARM_WORDS = 2000  # most frequent syllables considered for warming (the budget stops it first)
# Posting lists warmed by default: two thirds of the posting cache
# (segments.CACHE_BYTES), the rest left for what queries read. On corpus C,
# 256 MB took the first pass over the MDS queries from p50 14.8 to 13.5 ms
# against 192 MB (warming: 4.8 → 5.9 s, in the background).
WARM_MEGABYTES = 256
# A newly published generation serves once prepared, or this many seconds
# after it was first seen whatever is left of its preparation.
SWAP_AFTER_SECONDS = 60.0
# At start there is nothing older to answer from: a search waits this long
# at most for the first generation to be prepared, then runs cold.
READY_WAIT_SECONDS = 30.0
# While the previous generation answers, preparing the next takes at most
# this share of the interpreter (it pauses between posting lists), so that
# it does not slow the requests it is meant to help.
PREPARE_SHARE = 0.5
_log = logging.getLogger(__name__)


class Generation:
    """An opened generation: its stored index and per-thread readers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.meta = store.read_meta(path)
        self.index = open_index(path)
        self.local = threading.local()
        self.lock = threading.Lock()
        self.statistics: CorpusStatistics | None = None
        self._accent_model = None
        self._stories: StoryMap | None = None
        self._abbreviations: tuple[AbbreviationTable, Learned | None] | None = None
        # Computed on first use; a generation never changes once published.
        self.stats = None
        self.facets: dict[str, list[tuple[str, int]]] | None = None
        self.headline_words: list[str] | None = None
        self.completions = LazyCompletions(path)  # autocomplete's table, read or built on first use
        self.prepared = threading.Event()  # set once warm, or at once by an engine that does not warm
        self.first_seen = time.monotonic()
        self.abandoned = False  # closed, or a newer generation came before it served

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

    def stories(self) -> StoryMap:
        """Which of the generation's articles tell the same story
        (``stories.py``), loaded once, on first use."""
        if self._stories is None:
            _, scorer = self.reader()
            with self.lock:
                if self._stories is None:
                    self._stories = load_story_map(self.path / STORIES_FILE, scorer.stats.size)
        return self._stories

    def accent_model(self) -> AccentModel | None:
        """The generation's accent model, loaded once, on first use."""
        if self._accent_model is None:
            with self.lock:
                if self._accent_model is None:
                    path = self.path / ACCENT_MODEL_FILE
                    self._accent_model = AccentModel.load(path) if path.exists() else _NO_MODEL
        return None if self._accent_model is _NO_MODEL else self._accent_model

    def warm(self, budget: int, share: float = 1.0) -> int:
        """Prepare the accent model's decoder, load the abbreviation table
        and the story map, and decode the posting lists of the corpus's
        most frequent syllables (by the accent model's
        counts), in every text field, exact and folded, until they take
        ``budget`` bytes of the posting cache. Segments an earlier
        generation already warmed are not read again. Returns how many
        terms were read. ``share``: see :meth:`Scorer.warm`."""
        model = self.accent_model()
        if model is None:
            return 0
        model.prepare()  # suggestions need it on the first unaccented query
        self.abbreviations()  # every query reads it: loaded here, not by the first ones
        self.stories()
        _, scorer = self.reader()
        terms = (
            (name + suffix, text)
            for word in model.frequent_words(_WARM_WORDS)
            for text, suffix in ((fold_term(word), "_f"), (word, ""))
            for name in TEXT_FIELDS
        )
        return scorer.warm(terms, budget, stop=lambda: self.abandoned, share=share)

    def reader(self) -> tuple[IndexReader, Scorer]:
        """This thread's reader and scorer for the generation."""
        local = getattr(self.local, "pair", None)
        if local is None:
            with self.lock:
                if self.statistics is None:
                    self.statistics = self.index.statistics(list(SCORED_FIELDS))
            reader = self.index.reader(self.statistics)
            local = (reader, Scorer(reader))
            self.local.pair = local
        return local

    def close(self) -> None:
        """No longer searched: its segments leave the shared cache unless
        another open generation holds them. A thread still finishing a
        search on it goes on (decoding what it needs again)."""
        self.abandoned = True
        if self.statistics is not None:
            self.statistics.close()


class Generations:
    """The generation searches read in one index folder, and the newer one
    being prepared (see the module docstring)."""

    def __init__(self, index_dir: Path, warm_megabytes: int = 0,
                 prepare_pages: Callable[[Generation], None] = lambda generation: None) -> None:
        self.index_dir = index_dir
        self.warm_megabytes = warm_megabytes
        self.prepare_pages = prepare_pages  # what the engine computes per generation for its pages
        self._lock = threading.Lock()
        self._serving: Generation | None = None
        self._next: Generation | None = None  # published, being prepared (only when warming)

    def current(self) -> Generation:
        """The generation a search reads now."""
        path = store.current_generation(self.index_dir)
        if path is None:
            raise IndexMissingError(str(self.index_dir))
        serving = self._serving
        if serving is not None and serving.path == path:
            return serving
        with self._lock:
            serving, pending = self._serving, self._next
            if serving is not None and serving.path == path:
                return serving
            if pending is None or pending.path != path:
                pending = self._open(path)
                if pending is None:  # not warming: served at once
                    return self._serving
            if serving is not None and time.monotonic() - pending.first_seen <= SWAP_AFTER_SECONDS \
                    and (serving.path / store.META_FILE).exists():  # not being deleted by a writer
                return serving
        if serving is None:
            pending.prepared.wait(READY_WAIT_SECONDS)
        with self._lock:
            if self._next is pending:
                self._serve(pending)
        return pending

    def begin(self) -> None:
        """Start preparing the published generation, if nothing is open yet
        (a server worker, at start: before its first request)."""
        path = store.current_generation(self.index_dir)
        with self._lock:
            if path is not None and self._serving is None and self._next is None:
                self._open(path)

    def _open(self, path: Path) -> Generation | None:
        """Open a newly published generation (``_lock`` held): serve it now
        when not warming (returns None), else start preparing it."""
        version = store.read_meta(path).get("analysis_version")
        if version != ANALYSIS_VERSION:
            raise IndexVersionError(str(self.index_dir), version, ANALYSIS_VERSION)
        waiting_since = None
        if self._next is not None:  # published and replaced before it served
            waiting_since = self._next.first_seen
            self._next.close()
            self._next = None
        generation = Generation(path)
        if waiting_since is not None:
            # The bound counts from the first update not yet served, so a
            # stream of quick publishes cannot hide them all for ever.
            generation.first_seen = waiting_since
        if not self.warm_megabytes:
            generation.prepared.set()
            self._serve(generation)
            return None
        self._next = generation
        threading.Thread(target=self._prepare, args=(generation,), name="vn-search-prepare", daemon=True).start()
        return generation

    def _serve(self, generation: Generation) -> None:
        """Search ``generation`` from now on (``_lock`` held)."""
        # Its statistics hold its segments in the shared cache before the
        # previous generation lets go of theirs: the segments they share
        # keep what was decoded.
        generation.reader()
        previous = self._serving
        self._serving = generation
        if self._next is generation:
            self._next = None
        if previous is not None and previous is not generation:
            previous.close()

    def _prepare(self, generation: Generation) -> None:
        """Warm a published generation and compute its page figures, then
        serve it. A failure only costs speed: it is logged, and the
        generation served as it is."""
        try:
            # At start nothing else answers: all of the interpreter then.
            share = 1.0 if self._serving is None else PREPARE_SHARE
            generation.warm(self.warm_megabytes * 1024 * 1024, share=share)
            if not generation.abandoned:
                self.prepare_pages(generation)
        except Exception:  # noqa: BLE001 - an optimisation must not take a server down
            _log.warning("preparing the index at %s failed", generation.path, exc_info=True)
        finally:
            generation.prepared.set()
            with self._lock:
                if self._next is generation:
                    self._serve(generation)

    def warm(self, megabytes: int) -> int:
        """Warm the current generation now, in this thread."""
        generation = self.current()
        read = generation.warm(megabytes * 1024 * 1024)
        generation.prepared.set()
        return read

    def readiness(self) -> dict:
        """Whether searches are answered warm, without waiting: ``state``
        is "warming" before the first generation is prepared, "updating"
        while a newer one is prepared and the previous one answers, else
        "ready" (an engine that does not warm is always ready)."""
        serving, pending = self._serving, self._next
        if serving is None:
            state = "warming" if pending is not None else "ready"
        else:
            state = "updating" if pending is not None else "ready"
        return {"ready": state != "warming", "state": state,
                "generation": serving.path.name if serving is not None else None,
                "preparing": pending.path.name if pending is not None else None}

    def close(self) -> None:
        """Forget the opened generations (their cached segments go)."""
        with self._lock:
            for generation in (self._serving, self._next):
                if generation is not None:
                    generation.close()
            self._serving = self._next = None
