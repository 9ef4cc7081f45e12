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
from test_crash_safety import news_articles

from vn_search import SearchEngine
from vn_search.web import create_app

QUERY_COUNT = 1500
SEED = 1500

WHOOSH_SYNTAX = [
    "title:(", "title:", "body:cán", "a*", "*", "?", "*:*", '"', '""', '"cán bộ', 'cán bộ"', "AND", "OR", "NOT",
    "AND OR NOT", "NOT NOT NOT", "(", ")", "((", "))", "[a TO z]", "{a TO z}", "cán~2", "bộ^3", "\\", "\\\\",
    "-", "--", '-"', '-""', "- -", "+", "&&", "||", "!", ":", "::", "^", "~", "/", "//", "<", ">", "=", "'",
    "hòa -hòa", '"hòa" -"hòa"', "NOT luân", "title:luân AND body:chuyển", "kind:related", "id:*",
]
MARKUP = [
    "<script>alert(1)</script>", '"><svg onload=alert(1)>', "javascript:alert(1)", "{{ 7*7 }}", "{% raw %}",
    "../../etc/passwd", "%00", "' OR 1=1 --", "<mark>cán</mark>", "&lt;b&gt;", "&#x3C;script&#x3E;",
    "</textarea><img src=x onerror=alert(1)>", "\u202e\u2066cán bộ\u2069",
]
VIETNAMESE = ["cán bộ", "luân chuyển", "hòa giải", "giá vàng", "Lào Cai", "học bổng", "ĐẮK LẮK", "hoà", "thuý",
              "nghịêm", "luan chuyen can bo", "sạt lở", "bảo hiểm y tế", "2024", "200.000", "https://baolaocai.vn"]
BIDI_AND_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\ufeff\u00ad\u061c"
CODE_POINT_RANGES = [
    (0x00, 0x1F), (0x20, 0x7E), (0x7F, 0x9F), (0xA0, 0x24F), (0x300, 0x36F), (0x590, 0x6FF),
    (0x1E00, 0x1EFF), (0x2000, 0x206F), (0x3000, 0x30FF), (0x4E00, 0x4FFF), (0xE000, 0xE0FF),
    (0xFFF0, 0xFFFF), (0x1F300, 0x1F64F), (0x10FF00, 0x10FFFF),
]
NOT_UTF8 = ["%FF%FE", "%ED%A0%80", "%C0%AF", "%E1%BB", "%", "%%", "%zz", "%00%00", "c%C3%A1n+b%E1%BB", "%F4%90%80%80"]


def random_unicode(rng: random.Random, length: int) -> str:
    chars = []
    for _ in range(length):
        low, high = rng.choice(CODE_POINT_RANGES)
        chars.append(chr(rng.randint(low, high)))
    return "".join(chars)


def hostile_queries(count: int, seed: int) -> list[tuple[str, bool]]:
    """``(query, raw)`` pairs; a raw query is already percent-encoded
    (bytes that are not UTF-8 cannot be a Python str)."""
    rng = random.Random(seed)

    def pick(pool, k):
        return " ".join(rng.choice(pool) for _ in range(k))

    # (weight, maker): mostly short, cheap-to-send queries, with a few of
    # every expensive shape (100 KB strings take a while just to URL-encode).
    makers = [
        (12, lambda: random_unicode(rng, rng.randint(1, 60))),
        (2, lambda: random_unicode(rng, rng.randint(200, 3000))),
        (12, lambda: pick(WHOOSH_SYNTAX, rng.randint(1, 12))),
        (12, lambda: pick(WHOOSH_SYNTAX + VIETNAMESE, rng.randint(3, 40))),
        (6, lambda: "".join(rng.choice(WHOOSH_SYNTAX) + rng.choice(VIETNAMESE) for _ in range(rng.randint(1, 20)))),
        (10, lambda: pick(MARKUP + VIETNAMESE, rng.randint(1, 6))),
        (3, lambda: " ".join(f"từ{n}" for n in range(rng.randint(1000, 5000)))),  # thousands of terms
        (3, lambda: " ".join(rng.choice(VIETNAMESE) for _ in range(rng.randint(500, 3000)))),
        (3, lambda: "(" * rng.randint(100, 20000) + rng.choice(VIETNAMESE) + ")" * rng.randint(0, 20000)),
        (3, lambda: '"' * rng.randint(1, 5000) + rng.choice(VIETNAMESE)),
        (3, lambda: "-" * rng.randint(1, 3000) + " NOT" * rng.randint(0, 500)),
        (1, lambda: rng.choice(["a", "đ", "cán bộ ", "<script>"]) * (100_000 // 8)),  # 100 KB and more
        (0.3, lambda: random_unicode(rng, 100_000)),
        (4, lambda: rng.choice(VIETNAMESE) + "\u0301" * rng.randint(10, 5000)),  # stacked tone marks
        (6, lambda: "".join(rng.choice(BIDI_AND_INVISIBLE) + rng.choice(VIETNAMESE) for _ in range(rng.randint(1, 30)))),
        (4, lambda: "".join(chr(rng.randint(0, 31)) for _ in range(rng.randint(1, 200)))),
        (4, lambda: pick(["http://a.vn/" + "x" * 300, "a@b.vn", "1/1/2020", "12.345.678,9", "10:30"], rng.randint(1, 50))),
    ]
    weights = [weight for weight, _ in makers]
    queries = []
    for number in range(count):
        if number % 25 == 0:
            queries.append(("q=" + "".join(rng.choice(NOT_UTF8) for _ in range(rng.randint(1, 8))), True))
        else:
            _, maker = rng.choices(makers, weights)[0]
            queries.append((maker(), False))
    return queries


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    corpus = write_jsonl(work / "news.jsonl", news_articles(180, seed=15, prefix="tin"))
    index = work / "index"
    SearchEngine(index).index([corpus, fx.write_news_jsonl(work / "web.jsonl")], rebuild=True, progress=False)
    # Not TESTING: an exception in a view must show up as the 500 a user would get.
    return create_app(index).test_client()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * pct / 100)))]


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
