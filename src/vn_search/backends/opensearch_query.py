"""vn-search's query plan as OpenSearch's query DSL.

A query is read exactly as the embedded engine reads it (``query.py``,
``reading.py``, ``matching.py``); only the questions it asks the index
("how many documents hold this word?") go to the cluster, as counts. The
compiled search is one ``bool`` query:

- ``should``: every term of the plan (``scoring.ScoringTerm``) as a term
  query on its field, boosted by its weight: BM25 per field with the field
  weights (the index's similarity has the embedded engine's k1 and b).
  Words found in more than ``COMMON_FRACTION`` of the documents score in
  the headline and lead only, as in ``Scorer.ranking_scores``;
- ``filter``: the result-set rule of ``matching.members`` (each
  informative word a ``bool`` of its readings, all of them required, one
  missing in a long query but never the rarest, widened a step at a time
  while too few qualify) as ``minimum_should_match``; quoted phrases as
  ``match_phrase`` on the folded fields; kind, source, category and dates;
  excluded words and phrases as a ``must_not`` inside it. A document that
  is no member but holds the query's rarest name passes too: it joins the
  set if it scores ``NEAR_BEST`` of the best member (``Scorer.run``).
  Where no name decides, the embedded engine lets any document join so;
  here it must hold half the deciding words' syllables, so that the
  cluster scores the documents that could, not the whole index (MRR on
  corpus C the same or higher; known-item queries' p50 86 -> 54 ms).

Every ``should`` clause is named (``_name``), so each hit says which query
words it holds and where, and whether it is a member: the coordination and
proximity factors of ``scoring.py`` are computed here over the top
``WINDOW`` hits, and the window re-sorted (the "rescore of the top
window"). The proximity probes (span queries, which score nothing) are
named clauses of a ``post_filter`` that lets every hit through: the
cluster tells which of them each returned hit matches without counting
them against the query's clause limit (``indices.query.bool.max_clause_count``,
1,024 by default: a pasted headline of 32 syllables, the most a query
keeps, compiled to 1,079 with them, 687 without). A query still too long
for the limit raises ``QueryTooLong``. The counts a query needs are asked
in one request each time, as a ``filters`` aggregation. The caller
lends the accent model (``restore``, ``capital_share``) and the learned
abbreviations (``opensearch_engine.py`` reads them from the cluster);
suggestions and snippets are the caller's too. The reports of the best results' events
(``Scorer._related_to_best``) join in one request more, when the best
results have any. Not carried over yet: the abbreviation rewordings scored
as queries of their own. Under date sort, only members count (no
near-best joiners, no related reports: the cluster sorts by date alone).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from vn_search.analysis.abbreviations import default_table
from vn_search.backends.opensearch_stories import STORY_FIELD
from vn_search.analysis.terms import JOINER, fold_term
from vn_search.dates import date_range
from vn_search.engine import SORTS
from vn_search.matching import (
    LONG_QUERY, MIN_RESULTS, QueryWord, as_syllables, documents_needed, query_words, read_as_the_articles_write,
)
from vn_search.proximity import MAX_GAP, PROXIMITY_WEIGHTS
from vn_search.query import ParsedQuery, build_plan, parse_query
from vn_search.reading import alternatives
from vn_search.schema import TEXT_FIELDS
from vn_search.scoring import (
    COMMON_FIELDS,
    COMMON_FRACTION,
    COORDINATION,
    MIN_DECIDING_DOCUMENTS,
    NEAR_BEST,
    PAIR_COORDINATION,
    RELATED_FROM,
    RELATED_SHARE,
    TITLE_COORDINATION,
    TITLE_FIELDS,
    WORD_PAIR_DOCUMENTS,
    ScoringPlan,
    TermGroup,
)

__all__ = ["IndexGone", "OpenSearchHits", "QueryTooLong", "first_counts", "search", "word_query"]

WINDOW = 200  # hits re-scored with coordination and proximity; the rest keep BM25's order
# Document frequencies of the whole index, not of each shard: scores as the
# embedded index's (one round trip more to every shard).
SEARCH_TYPE = "dfs_query_then_fetch"
# Stories are counted exactly up to this many (OpenSearch's cardinality
# aggregation estimates beyond it, within a few percent).
STORY_COUNT_EXACT = 40_000
_DAY_MS = 86_400_000
_VIETNAM_MS = 7 * 3_600_000  # UTC+7 (dates.VIETNAM)


@dataclass
class OpenSearchHits:
    """What a search on the cluster found: the page's ids and scores, best
    first, and the size of the whole result set."""

    ids: list[str]
    scores: list[float]
    total: int
    took_ms: float
    relaxed: bool = False  # the result set was widened because too few documents held every word
    missing: int = 0  # how many informative words a member may lack
    queries: int = 0  # requests sent to the cluster for this search
    request: dict = field(default_factory=dict, repr=False)  # the final search body, for debugging
    strict: int = 0  # documents holding every informative word (before any widening)
    informative: int = 0  # query words that decide membership
    as_syllables: bool = False  # no document held the words as words: their syllables were searched
    unaccented: tuple[str, ...] = ()  # words typed with accents the articles do not give them, held without
    undated: int = 0  # members without a publication date
    days: list[tuple[int, int]] = field(default_factory=list)  # (Vietnam day start in ms since the epoch, members)
    words: list = field(default_factory=list, repr=False)  # the query's words as read (matching.QueryWord)
    common: tuple[bool, ...] = ()  # which of them are too common to decide membership
    parsed: ParsedQuery | None = field(default=None, repr=False)
    stories: int | None = None  # stories the set's documents belong to (grouped searches)
    story_of: dict[str, str] = field(default_factory=dict)  # each hit's story (grouped searches)
    story_filter: list[dict] = field(default_factory=list, repr=False)  # what a story's other reports must pass


class IndexGone(Exception):
    """The concrete index a search was reading was dropped (a rebuild moved the alias)."""


class QueryTooLong(Exception):
    """The compiled query has more clauses than the cluster accepts: fewer words may fit."""


_GONE = ("index_not_found_exception", "search_phase_execution_exception")
# Root causes that say the query itself was refused, on every shard alike:
# asking again would fail again.
_TOO_LONG = ("too_many_clauses", "too_many_nested_clauses")
_REFUSED = _TOO_LONG + ("query_shard_exception", "parsing_exception", "x_content_parse_exception",
                        "illegal_argument_exception")


def _root_causes(info) -> set[str]:
    """The types of an error answer's root causes (an msearch answer's
    ``error``, or a failed request's body)."""
    error = info.get("error", info) if isinstance(info, dict) else None
    if not isinstance(error, dict):
        return set()
    return {cause.get("type", "") for cause in error.get("root_cause") or () if isinstance(cause, dict)}


def _failure(kind: str, causes: set[str]) -> Exception | None:
    """What a refused request means to a search: the index went away under
    it (a rebuild moved the alias; the search runs again on the new one),
    the query is too long for the cluster, or None: an error to raise as it is."""
    if causes & set(_TOO_LONG):
        return QueryTooLong()
    if kind in _GONE and not causes & set(_REFUSED):
        return IndexGone()
    return None


def _ask(backend, method, **arguments) -> dict:
    """A request to the cluster; an index that went away mid-search raises
    ``IndexGone``, a query over the clause limit ``QueryTooLong``."""
    from opensearchpy.exceptions import NotFoundError, TransportError

    try:
        return backend._call(method, **arguments)
    except NotFoundError:
        raise IndexGone() from None
    except TransportError as error:
        failure = _failure(error.error, _root_causes(error.info))
        if failure is not None:
            raise failure from None
        raise


def _ask_many(backend, bodies: list[dict], target: str) -> list[dict]:
    """Several searches in one round trip (``msearch``: the cluster runs
    them side by side), their answers in order; a failed one raises as
    ``_ask`` would have."""
    from opensearchpy.exceptions import TransportError

    lines = [line for body in bodies for line in ({}, body)]
    answers = _ask(backend, backend.client.msearch, index=target, body=lines)["responses"]
    for answer in answers:
        if "error" in answer:
            kind = answer["error"].get("type", "error") if isinstance(answer["error"], dict) else str(answer["error"])
            failure = _failure(kind, _root_causes(answer)) or (IndexGone() if answer.get("status") == 404 else None)
            if failure is not None:
                raise failure
            raise TransportError(answer.get("status", 500), kind, answer["error"])
    return answers


_COUNTS_A_REQUEST = 2000  # filters in one counting request: about 100 KB


class _Counts:
    """Document counts asked of the cluster during one search, each asked once."""

    def __init__(self, index, target: str) -> None:
        self.index = index
        self.target = target
        self.known: dict[str, int] = {}
        self.requests = 0

    def many(self, queries: list[dict]) -> list[int]:
        """Counts of several queries in one request: a ``filters``
        aggregation, so each shard answers once for all of them (an
        ``msearch`` of counts asked every shard once per query)."""
        keys = [json.dumps(q, sort_keys=True, ensure_ascii=False) for q in queries]
        wanted = list(dict.fromkeys(k for k in keys if k not in self.known))
        # In requests of at most _COUNTS_A_REQUEST: a long query of typos
        # asked 75,000 spellings at once, a body of 4 MB that tripped the
        # node's memory breaker (every search failed while it recovered).
        for start in range(0, len(wanted), _COUNTS_A_REQUEST):
            chunk = wanted[start:start + _COUNTS_A_REQUEST]
            body = {"size": 0, "track_total_hits": False, "query": {"match_all": {}},
                    "aggs": {"counts": {"filters": {"filters": {str(i): json.loads(key) for i, key in enumerate(chunk)}}}}}
            answer = _ask(self.index, self.index.client.search, index=self.target, body=body)
            self.requests += 1
            buckets = answer["aggregations"]["counts"]["buckets"]
            for i, key in enumerate(chunk):
                self.known[key] = int(buckets[str(i)]["doc_count"])
        return [self.known[key] for key in keys]

    def one(self, query: dict) -> int:
        return self.many([query])[0]

    def term(self, fieldname: str, text: str) -> int:
        return self.one({"term": {fieldname: text}})


def _in_any_field(text: str, suffix: str) -> dict:
    return {"bool": {"should": [{"term": {name + suffix: text}} for name in TEXT_FIELDS], "minimum_should_match": 1}}


def _unit_query(unit) -> dict:
    """``Scorer.unit_mask``: the word's syllables side by side (their folded
    bigrams), all of them for three or more, each typed accent as typed."""
    folded = [fold_term(syllable) for syllable, _ in unit]
    if len(folded) == 1:
        required = [_in_any_field(folded[0], "_f")]
    else:
        pairs = [_in_any_field(a + JOINER + b, "_f") for a, b in zip(folded, folded[1:])]
        required = pairs if len(pairs) == 1 else [{"bool": {"should": pairs, "minimum_should_match": 1}}] + [
            _in_any_field(syllable, "_f") for syllable in folded]
    required += [_in_any_field(syllable, "") for syllable, exact in unit if exact]
    return {"bool": {"filter": required}}


def word_query(word: QueryWord) -> dict:
    """Documents holding a query word in any of its readings (``Scorer.word_mask``)."""
    readings = [{"bool": {"filter": [_unit_query(unit) for unit in reading]}} for reading in word.readings]
    return readings[0] if len(readings) == 1 else {"bool": {"should": readings, "minimum_should_match": 1}}


def _word_frequency(word: QueryWord, counts: _Counts) -> int:
    """``Scorer.word_frequency_of``: one term's count says whether a word is very common."""
    unit = word.readings[0][0]
    if len(unit) > 1:
        return counts.term("body_f", fold_term(unit[0][0]) + JOINER + fold_term(unit[1][0]))
    syllable, exact = unit[0]
    return counts.term("body" if exact else "body_f", syllable if exact else fold_term(syllable))


@dataclass
class _Membership:
    query: dict | None  # what a member must hold besides ``allowed``; None: anything allowed
    size: int
    missing: int
    relaxed: bool
    common: list[bool]
    rarest_name: dict | None = None  # what a document let in by its score alone must hold
    could_join: dict | None = None  # what a document let in by its score must hold when no name decides
    strict: int = 0  # the size of the set before widening
    informative: int = 0
    as_syllables: bool = False


def _membership(words: list[QueryWord], allowed: list[dict], counts: _Counts, live: int, phrases: bool) -> _Membership:
    """``Scorer.membership`` and ``matching.members``, asked as counts."""
    frequencies = [_word_frequency(word, counts) for word in words]
    common = [count > COMMON_FRACTION * live for count in frequencies]
    deciding = [i for i, is_common in enumerate(common) if not is_common] or list(range(len(words)))
    queries = {i: word_query(words[i]) for i in deciding}
    count = len(deciding)
    long_query = count >= LONG_QUERY

    def holding(missing: int, kept: dict | None) -> dict | None:
        needed = count - missing
        if needed <= 0:
            return None
        clauses = [{"bool": {"should": list(queries.values()), "minimum_should_match": needed}}]
        if missing and kept is not None:
            clauses.append(kept)
        return {"bool": {"filter": clauses}}

    def size_query(missing: int, kept: dict | None) -> dict:
        query = holding(missing, kept)
        return {"bool": {"filter": allowed + ([query] if query else [])}}

    missing = 1 if long_query else 0
    # The set's first size, asked with the words' counts in one round trip:
    # a long query's depends on its rarest word, which those counts decide,
    # so it is guessed from the words' frequencies (known already); a wrong
    # guess costs one request more.
    keeps_rarest = long_query and not phrases
    guess = min((i for i in deciding if not any(c.isdigit() for c in words[i].shown)),
                key=lambda i: frequencies[i], default=None) if keeps_rarest else None
    counts.many(list(queries.values()) + [size_query(missing, queries[guess] if guess is not None else None)])
    held = dict(zip(deciding, counts.many(list(queries.values()))))
    rare = documents_needed(MIN_DECIDING_DOCUMENTS, live, 5000)
    can_decide = {i: (held[i] >= rare or words[i].name) and not any(c.isdigit() for c in words[i].shown)
                  for i in deciding}
    if not count:
        everything = counts.one({"bool": {"filter": allowed}})
        return _Membership(None, everything, 0, False, common, strict=everything)
    # Half the deciding words' syllables, anywhere: what a document scoring
    # near the best holds in practice. Without it the search scored every
    # document of the index (all 58,443 of corpus C for a query of common
    # words) to find the few that join.
    syllables = sorted({fold_term(syllable) for i in deciding for unit in words[i].readings[0] for syllable, _ in unit})
    could_join = {"bool": {"should": [_in_any_field(syllable, "_f") for syllable in syllables],
                           "minimum_should_match": (len(syllables) + 1) // 2}}
    candidates = [i for i in deciding if can_decide[i]]
    rarest = min(candidates, key=lambda i: held[i]) if candidates else None
    names = [i for i in candidates if words[i].name]
    rarest_name = queries[min(names, key=lambda i: held[i])] if names and count > 1 else None
    kept = queries[rarest] if keeps_rarest and rarest is not None else None
    first_size = counts.one(size_query(missing, kept))
    enough, most_missing = (MIN_RESULTS, count // 2) if long_query else (1, count - 1)
    if phrases:
        most_missing = count
    widened_missing, widened_size = missing, first_size
    while widened_missing < most_missing and widened_size < enough:
        widened_missing += 1
        widened_size = counts.one(size_query(widened_missing, kept))
    if widened_size > first_size:
        return _Membership(holding(widened_missing, kept), widened_size, widened_missing, True, common, rarest_name,
                           could_join, first_size, count)
    return _Membership(holding(missing, kept), first_size, missing, False, common, rarest_name, could_join, first_size,
                       count)


def _filters(plan: ScoringPlan, parsed: ParsedQuery, kind, source, category, since, until) -> tuple[list, list, list]:
    """What every hit must hold: facets and dates, and phrases (those pick
    the matches, not the other reports of a story); and what it must not."""
    allowed: list[dict] = []
    for name, value in (("kind", kind), ("source", source), ("category", category)):
        if value:
            allowed.append({"term": {name: value}})
    dates = date_range(since, until)
    if dates is not None:
        bounds = {}
        if dates.start is not None:
            bounds["gte"] = dates.start.isoformat()
        if dates.end is not None:
            bounds["lte"] = dates.end.isoformat()
        allowed.append({"range": {"published": bounds}})

    def phrase(syllables: list[str]) -> dict:
        return {"bool": {"should": [{"match_phrase": {name + "_f": {"query": " ".join(syllables), "analyzer": "whitespace"}}}
                                    for name in TEXT_FIELDS], "minimum_should_match": 1}}

    required = [phrase(syllables) for syllables in plan.required]
    excluded = [phrase(syllables) for syllables in plan.excluded_phrases]
    # An excluded word typed with accents excludes that spelling only (build_plan).
    for words in parsed.excluded:
        if len(words) == 1 and fold_term(words[0]) != words[0]:
            excluded.append(_in_any_field(words[0], ""))
    return allowed, required, excluded


def _idf(df: int, live: int) -> float:
    return math.log(1.0 + (live - df + 0.5) / (df + 0.5))


def _scoring_clauses(groups: list[TermGroup], common: set[int]) -> list[dict]:
    """Every term of the plan as a boosted, named term query. A common
    word's terms (headline and lead only) score, as in
    ``Scorer.ranking_scores``, only documents that the rest of the query
    matches: alone, they made a report of "ngoại tình" join the set of
    "biểu tình -Campuchia" by its score (23 results where the embedded
    index has 12)."""
    clauses, common_clauses, rest = [], [], []
    for number, group in enumerate(groups):
        for term in group.terms:
            if number in common and term.field not in COMMON_FIELDS:
                continue
            clause = {"term": {term.field: {"value": term.text, "boost": term.weight,
                                            "_name": f"g{number}|{term.field}"}}}
            (common_clauses if number in common else clauses).append(clause)
            if number not in common:
                rest.append({"term": {term.field: term.text}})
    if common_clauses:
        clauses.append({"bool": {"should": common_clauses,
                                 "filter": [{"bool": {"should": rest, "minimum_should_match": 1}}]}})
    return clauses


def _proximity_clauses(runs: list[list[str]], common_syllables: set[str]) -> tuple[list[dict], int]:
    """Named, zero-weight span queries: for each query pair and gap (1 to
    ``MAX_GAP``), whether a document has the second syllable that far after
    the first. ``proximity.closeness`` uses first positions; the cluster
    gives the nearest pair, which says the same in headlines and leads."""
    pairs = [(a, b) for run in runs for a, b in zip(run, run[1:]) if a != b]
    clauses = []
    for fieldname in PROXIMITY_WEIGHTS:
        for number, (first, second) in enumerate(pairs):
            if fieldname not in TITLE_FIELDS and (first in common_syllables or second in common_syllables):
                continue
            for gap in range(1, MAX_GAP + 1):
                clauses.append({"span_near": {"clauses": [{"span_term": {fieldname: first}},
                                                          {"span_term": {fieldname: second}}],
                                              "slop": gap - 1, "in_order": True, "boost": 0.0,
                                              "_name": f"p{number}|{fieldname}|{gap}"}})
    return clauses, len(pairs)


def _published(hit: dict) -> int | None:
    """A hit's publication time (ms since the epoch), or None."""
    value = (hit.get("fields") or {}).get("published")
    return int(float(value[0])) if value else None


def _story(hit: dict) -> str:
    """A hit's story (its own id when the search did not ask)."""
    return (hit.get("fields") or {}).get(STORY_FIELD, [hit["_id"]])[0]


class _Factors:
    """``scoring._Coverage.factor`` times ``Scorer._proximity`` for each hit,
    from the query names it matched. What does not depend on the hit (each
    name's group and weight, the totals) is read once per search: a window
    of 200 hits, each with dozens of names, made this a tenth of a search."""

    def __init__(self, groups: list[TermGroup], weights: list[float], pair_count: int) -> None:
        self.word_weight = {i: w for i, (g, w) in enumerate(zip(groups, weights)) if g.counts}
        self.word_total = sum(self.word_weight.values())
        self.pairs = {i for i, g in enumerate(groups) if not g.counts}
        self.pair_count = pair_count
        self.proximity = {name: weight / pair_count for name, weight in PROXIMITY_WEIGHTS.items()} if pair_count else {}

    def of(self, matched: list[str]) -> float:
        hit_groups, title_groups, nearest = set(), set(), {}
        for name in matched:
            parts = name.split("|")
            if name[0] == "g":
                number = int(parts[0][1:])
                hit_groups.add(number)
                if parts[1] in TITLE_FIELDS:
                    title_groups.add(number)
            elif name[0] == "p":
                key = (parts[0], parts[1])
                nearest[key] = min(nearest.get(key, MAX_GAP + 1), int(parts[2]))
        factor = 1.0
        if self.word_total:
            words = sum(self.word_weight.get(i, 0.0) for i in hit_groups)
            in_title = sum(self.word_weight.get(i, 0.0) for i in title_groups)
            factor = (1.0 + COORDINATION * words / self.word_total) * (1.0 + TITLE_COORDINATION * in_title / self.word_total)
        if self.pairs:
            factor *= 1.0 + PAIR_COORDINATION * len(self.pairs & hit_groups) / len(self.pairs)
        if self.proximity:
            boost = 1.0
            for (_, fieldname), gap in nearest.items():
                boost += self.proximity.get(fieldname, 0.0) / gap
            factor *= boost
        return factor


def _probes(clauses: list[dict]) -> dict:
    """Named clauses that only report which hits they match: as a
    ``post_filter`` that lets every hit through, they neither score nor
    count against the query's clause limit."""
    return {"bool": {"filter": [{"match_all": {}}], "should": clauses}}


def _related_to_best(index, target: str, scored: list[tuple[str, float, bool]], related: Mapping[str, Sequence[str]],
                     runs: list[list[str]], allowed: list[dict], member: dict, should: list[dict],
                     proximity: list[dict], group: bool) -> list[dict]:
    """``Scorer._related_to_best`` on the cluster: the hits (scored by the
    same clauses) of the articles related to one of the set's
    ``RELATED_FROM`` best (``related``: the meta index's pairs) that the
    filters allow, are not in the set, and hold ``RELATED_SHARE`` of the
    query's folded syllables. One request, only when there are any."""
    best = sorted(scored, key=lambda row: -row[1])[:RELATED_FROM]
    seen = {doc_id for doc_id, _, _ in scored}
    others = sorted({other for doc_id, _, _ in best for other in related.get(doc_id, ()) if other not in seen})
    syllables = sorted({syllable for run in runs for syllable in run})
    if not others or not syllables:
        return []
    share = {"bool": {"should": [_in_any_field(syllable, "_f") for syllable in syllables],
                      "minimum_should_match": math.ceil(RELATED_SHARE * len(syllables) - 1e-9)}}
    body = {"query": {"bool": {"filter": allowed + [{"ids": {"values": others}}, share], "must_not": [member],
                               "should": should}},
            "size": len(others), "_source": False, "track_total_hits": False,
            "docvalue_fields": [{"field": "published", "format": "epoch_millis"}] + ([STORY_FIELD] if group else [])}
    if proximity:
        body["post_filter"] = _probes(proximity)
    return _ask(index, index.client.search, index=target, body=body, search_type=SEARCH_TYPE)["hits"]["hits"]


def _first_counts(parsed: ParsedQuery, plan: ScoringPlan) -> list[dict]:
    """Every count that reading the query may need: the index's size, each
    query pair's bigram (is it a word?), each syllable as typed and folded
    (how common?) and the plan's probes."""
    queries = [{"match_all": {}}]
    for run in parsed.words + parsed.phrases:
        folded = [fold_term(syllable) for syllable in run]
        queries += [{"term": {"body_f": a + JOINER + b}} for a, b in zip(folded, folded[1:])]
        queries += [{"term": {"body_f": syllable}} for syllable in folded]
        queries += [{"term": {"body": syllable}} for syllable in run]
    queries += [{"term": {g.common_probe.field: g.common_probe.text}} for g in plan.groups if g.common_probe]
    return queries


def first_counts(query: str, abbreviations: tuple | None = None) -> list[dict]:
    """The counts a search of ``query`` starts with (``search`` asks them in
    one request): for a caller that has counts of its own to ask first, so
    that both go in one round trip (``_Counts.many``, then ``search(counts=)``)."""
    parsed = parse_query(query or "")
    if parsed.is_empty:
        return []
    table, learned = abbreviations or (default_table(), None)
    return _first_counts(parsed, build_plan(parsed, alternatives(parsed.cased_words, table, learned)))


def search(index, target: str, query: str, limit: int = 10, *, kind: str | None = None, source: str | None = None,
           category: str | None = None, since=None, until=None, sort: str = "relevance",
           restore: Callable[[str], str] | None = None, window: int = WINDOW,
           abbreviations: tuple | None = None, capital_share: Callable[[str], float] | None = None,
           group: bool = False, counts: _Counts | None = None,
           pair_share: Callable[[str, str], float | None] | None = None,
           related: Mapping[str, Sequence[str]] | None = None) -> OpenSearchHits:
    """Search an ``OpenSearchIndex`` (its concrete index ``target``) as
    ``SearchEngine.search`` searches the embedded index. ``restore`` and
    ``capital_share`` are the accent model's (``AccentModel``), when the
    caller has one: they group an unaccented query's syllables into words
    and tell names; so is ``pair_share``, which tells a word typed with
    accents the articles do not give it (``matching.as_the_articles_write``).
    ``abbreviations`` is (table, learned definitions), the bundled table by
    default. With ``group``, one hit per story
    (``opensearch_stories.py``): the best-scored (or, by date, newest) of
    its documents in the set. ``counts`` may hold counts already asked of
    ``target`` (``first_counts``). ``related`` (each article's related
    reports, by id: the meta index's) lets those of the best results into
    the set, as the embedded engine does (ranked searches only)."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}, not {sort!r}")
    started = time.perf_counter()
    parsed = parse_query(query or "")
    if parsed.is_empty:
        return OpenSearchHits([], [], 0, 0.0, parsed=parsed)
    if counts is None or counts.target != target:
        counts = _Counts(index, target)
    table, learned = abbreviations or (default_table(), None)
    other_forms = alternatives(parsed.cased_words, table, learned)
    plan = build_plan(parsed, other_forms)
    counts.many(_first_counts(parsed, plan))  # one round trip for what reading the query asks
    live = counts.one({"match_all": {}})
    needed_for_pair = documents_needed(WORD_PAIR_DOCUMENTS, live, 10_000)
    words = query_words(parsed.words, parsed.cased_words,
                        lambda a, b: counts.term("body_f", a + JOINER + b) >= needed_for_pair,
                        restore, other_forms, capital_share)
    words, unaccented = read_as_the_articles_write(words, pair_share)
    allowed, required, excluded = _filters(plan, parsed, kind, source, category, since, until)
    if excluded:
        allowed.append({"bool": {"must_not": excluded}})
    story_filter = list(allowed)
    allowed += required
    membership = None
    if words:
        membership = _membership(words, allowed, counts, live, bool(plan.required))
        if not membership.size and any(len(unit) > 1 for word in words for unit in word.units):
            membership = _membership(as_syllables(words), allowed, counts, live, bool(plan.required))
            membership.relaxed = membership.as_syllables = True
            membership.strict = 0  # nothing held the words as words
    probes = [g.common_probe for g in plan.groups]
    frequencies = counts.many([{"term": {p.field: p.text}} for p in probes if p is not None])
    frequency_of = dict(zip([p for p in probes if p is not None], frequencies))
    threshold = COMMON_FRACTION * live
    common = {i for i, p in enumerate(probes) if p is not None and frequency_of[p] > threshold}
    if not any(g.counts for i, g in enumerate(plan.groups) if i not in common):
        common = set()
    weights = [_idf(frequency_of[p], live) if p is not None else 1.0 for p in probes]
    proximity, pair_count = _proximity_clauses(plan.runs, {plan.groups[i].folded for i in common})
    should = _scoring_clauses(plan.groups, common)
    member = membership.query if membership is not None else None
    if not words:  # phrases only: every match counts the same, as in Scorer.run
        boolean = {"filter": allowed, "should": [{"constant_score": {"filter": {"match_all": {}}, "boost": 1.0}}]}
    elif member is None or sort == "date":
        boolean = {"filter": allowed + ([member] if member else []), "should": should}
    else:
        # Members, and the documents that may join them by their score
        # (scoring.NEAR_BEST): those holding the rarest name, or half the syllables.
        joining = membership.rarest_name or membership.could_join
        boolean = {"filter": allowed + [{"bool": {"should": [member, joining], "minimum_should_match": 1}}],
                   "should": should + [{"bool": {"filter": [member], "_name": "member"}}]}
    body = {"query": {"bool": boolean}, "track_total_hits": True, "_source": False,
            "size": limit if sort == "date" else max(limit, window),
            # The members' spread over time (the results page's timeline) and the undated among them.
            "aggs": {"members": {"filter": member or {"match_all": {}}, "aggs": {
                "days": {"date_histogram": {"field": "published", "calendar_interval": "day", "time_zone": "+07:00",
                                            "min_doc_count": 1}},
                "undated": {"missing": {"field": "published"}}}}},
            # ... and of the documents that join the members by their score.
            "docvalue_fields": [{"field": "published", "format": "epoch_millis"}]}
    if proximity and words and sort != "date":  # what the factors read
        body["post_filter"] = _probes(proximity)
    if sort == "date":
        body["sort"] = [{"published": {"order": "desc", "missing": "_last"}}, "_score"]
    if group:
        body["collapse"] = {"field": STORY_FIELD}
        body["aggs"]["members"]["aggs"]["stories"] = {"cardinality": {"field": STORY_FIELD,
                                                                      "precision_threshold": STORY_COUNT_EXACT}}
    answer = _ask(index, index.client.search, index=target, body=body, search_type=SEARCH_TYPE)
    total = int(answer["hits"]["total"]["value"])
    scored = []
    published = {hit["_id"]: _published(hit) for hit in answer["hits"]["hits"]}
    hits_seen = list(answer["hits"]["hits"])
    joined, joined_elsewhere = [], []  # let in beside the members: as hits, or in a story already shown
    factors = _Factors(plan.groups, weights, pair_count)
    for hit in answer["hits"]["hits"]:
        matched = hit.get("matched_queries", [])
        score = float(hit.get("_score") or 0.0)
        if words and sort != "date":
            score *= factors.of(matched)
        scored.append((hit["_id"], score, "member" in matched or member is None or sort == "date"))
    if words and member is not None and sort != "date":
        best = max((score for _, score, is_member in scored if is_member), default=0.0)
        joined = [(doc_id, score, True) for doc_id, score, is_member in scored
                  if not is_member and best > 0 and score >= NEAR_BEST * best]
        total = membership.size + len(joined)  # joiners past the window are not counted
        scored = [row for row in scored if row[2]] + joined
        # A member matched only through a spelling variant still ranks.
        scored = [(doc_id, score if score > 0 else 1e-6, True) for doc_id, score, _ in scored]
        if related:
            extra = _related_to_best(index, target, scored, related, plan.runs, allowed, member,
                                     should, proximity, group)
            shown = {_story(hit) for hit in answer["hits"]["hits"]} if group else set()
            for hit in extra:
                published[hit["_id"]] = _published(hit)
                row = (hit["_id"], max(float(hit.get("_score") or 0.0) * factors.of(hit.get("matched_queries", [])),
                                       1e-6), True)
                total += 1
                if not group or _story(hit) not in shown:  # one hit per story, as the collapse gives
                    shown.add(_story(hit))
                    scored.append(row)
                    joined.append(row)
                else:
                    joined_elsewhere.append(row)
            hits_seen += extra
    if sort != "date":
        scored.sort(key=lambda row: -row[1])  # stable: BM25's order among equals
    scored = scored[:limit]
    members = answer.get("aggregations", {}).get("members", {})
    stories = None
    if group:  # joiners past the members are counted as stories of their own
        stories = int(members.get("stories", {}).get("value", 0)) + len(joined)
    story_of = {hit["_id"]: _story(hit) for hit in hits_seen}
    days = {int(bucket["key"]): int(bucket["doc_count"]) for bucket in members.get("days", {}).get("buckets", [])}
    undated = int(members.get("undated", {}).get("doc_count", 0))
    for doc_id, _, _ in joined + joined_elsewhere:
        moment = published[doc_id]
        if moment is None:
            undated += 1
        else:  # the start of its day in Vietnam, as the aggregation's keys
            start = (moment + _VIETNAM_MS) // _DAY_MS * _DAY_MS - _VIETNAM_MS
            days[start] = days.get(start, 0) + 1
    return OpenSearchHits([doc_id for doc_id, _, _ in scored], [score for _, score, _ in scored], total,
                          (time.perf_counter() - started) * 1000, relaxed=bool(membership and membership.relaxed),
                          missing=membership.missing if membership else 0, queries=counts.requests + 1, request=body,
                          strict=membership.strict if membership else total,
                          informative=membership.informative if membership else 0,
                          as_syllables=bool(membership and membership.as_syllables),
                          unaccented=unaccented,
                          undated=undated, days=sorted(days.items()),
                          words=words, common=tuple(membership.common) if membership else (), parsed=parsed,
                          stories=stories, story_of=story_of if group else {}, story_filter=story_filter)
