"""1,500 generated hostile queries through the web front end: no 5xx, and
none of them slow.

Random Unicode (bidi controls, control characters, combining marks, emoji),
fragments of Whoosh's own query syntax, thousands of terms, deeply nested
parentheses, 100 KB strings, markup, bytes that are not UTF-8. The engine
cuts long queries (``SearchEngine.max_query_chars``) and caps the terms
that take part (``vn_search.query.MAX_TERMS``); these tests hold it to that.
"""

from __future__ import annotations

import random
import time
from urllib.parse import quote

import pytest
import web_fixtures as fx
from conftest import write_jsonl

from bench.common import percentile
from bench.datagen import hostile_queries, news_articles

from vn_search import SearchEngine
from vn_search.web import create_app

QUERY_COUNT = 1500
SEED = 1500

@pytest.fixture(scope="module")
def client(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    corpus = write_jsonl(work / "news.jsonl", news_articles(180, seed=15, prefix="tin"))
    index = work / "index"
    SearchEngine(index).index([corpus, fx.write_news_jsonl(work / "web.jsonl")], rebuild=True, progress=False)
    # Not TESTING: an exception in a view must show up as the 500 a user would get.
    return create_app(index).test_client()


def test_hostile_queries_never_fail_and_never_hang(client):
    rng = random.Random(SEED)
    timings: list[float] = []
    failures: list[str] = []
    for number, (query, raw) in enumerate(hostile_queries(QUERY_COUNT, SEED)):
        endpoint = "/api/search" if number % 2 else "/search"
        arguments = query if raw else "q=" + quote(query, safe="")
        if number % 7 == 0:  # now and then a later page
            arguments += f"&page={rng.randint(2, 1000)}"
        started = time.perf_counter()
        response = client.get(f"{endpoint}?{arguments}")
        elapsed = time.perf_counter() - started
        timings.append(elapsed)
        allowed = (200, 400) if endpoint == "/api/search" else (200, 302)
        if response.status_code not in allowed:
            failures.append(f"{endpoint} {response.status_code}: {arguments[:120]!r}")
        elif endpoint == "/api/search" and response.status_code == 200:
            data = response.get_json()
            assert len(data["query"]) <= SearchEngine.max_query_chars, arguments[:120]
    p50, p99 = percentile(timings, 50), percentile(timings, 99)
    print(f"\n{len(timings)} hostile queries: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {max(timings) * 1000:.1f} ms")
    assert not failures, failures[:10]


def test_every_kind_of_hostile_query_is_generated():
    queries = hostile_queries(QUERY_COUNT, SEED)
    texts = [query for query, raw in queries if not raw]
    assert len(queries) == QUERY_COUNT and sum(raw for _, raw in queries) == QUERY_COUNT // 25
    assert any(len(text) >= 100_000 for text in texts)
    assert any(text.count("(") >= 1000 for text in texts)
    assert any(len(text.split()) >= 1000 for text in texts)
    assert any("\u202e" in text or "\u200f" in text for text in texts)
    assert any("<script>" in text for text in texts) and any("title:(" in text for text in texts)


def test_the_work_a_query_can_cause_is_capped(client, monkeypatch):
    """Cost is bounded by construction, not by a clock: a query scores at
    most MAX_TERMS syllables, and a long or many-worded query is never sent
    to typo correction (whose candidate count grows with word length)."""
    from vn_search.query import MAX_TERMS, build_plan, parse_query
    from vn_search.suggest import MAX_SUGGEST_WORDS, Suggester

    for text in ("đ" * 500, " ".join(["cán bộ"] * 2000), "(" * 5000 + "a" + ")" * 5000, '"' + "x " * 3000 + '"'):
        plan = build_plan(parse_query(text))
        assert sum(group.counts for group in plan.groups) <= MAX_TERMS
    edits: list[str] = []
    original = Suggester._best_edit
    monkeypatch.setattr(Suggester, "_best_edit", lambda self, word, joined: edits.append(word) or original(self, word, joined))
    engine = client.application.extensions["vn_search"]
    for text in ("đ" * 500, "x" * 500, " ".join(["bieu tihn"] * (MAX_SUGGEST_WORDS + 1))):
        engine.search(text)
    assert edits == []
    engine.search("bieu tihn")  # a real typo still gets one attempt
    assert edits
