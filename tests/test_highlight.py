"""Snippets and marked headlines: the fast paths of ``highlight.py`` give
exactly what the word-by-word definition gives.

The definition: a syllable (a ``\\w+`` run) is marked when its folded,
lowercased form is one of the query's folded terms; the snippet window
starts at the first match whose 240 characters hold the most distinct
matched words, then the most matches.
"""

from __future__ import annotations

import random
import re

import pytest

from vn_search.analysis.terms import fold_term
from vn_search.highlight import (
    _NO_FOLD,
    _TABLE_SIZE,
    _best_window_start,
    _fold_table,
    _matches,
    make_snippet,
    mark_text,
)

WORD = re.compile(r"\w+")


def defined_matches(text: str, terms: set[str]) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), fold_term(m.group(0).lower()))
            for m in WORD.finditer(text) if fold_term(m.group(0).lower()) in terms]


def defined_window_start(matches, max_chars: int) -> int:
    best_start, best_score = 0, -1
    for i, (start, _, _) in enumerate(matches):
        window = [m for m in matches[i:] if m[1] <= start + max_chars]
        score = len({m[2] for m in window}) * 100 + len(window)
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def test_the_fold_table_keeps_word_characters_words():
    """What the fast path relies on: folding one character in place never
    turns a word character into a non-word one or back."""
    table = _fold_table()
    for code in range(_TABLE_SIZE):
        if table[code] == _NO_FOLD:
            continue
        char, folded = chr(code), chr(table[code])
        assert bool(WORD.fullmatch(char)) == bool(WORD.fullmatch(folded)), hex(code)
        assert fold_term(char.lower()) == folded, hex(code)


@pytest.mark.parametrize(
    "text, terms",
    [
        ("Luân chuyển CÁN BỘ ở Bắc Hà; cán_bộ, cánbộ", {"can", "bo", "ha", "can_bo"}),
        ("Đà Nẵng – “ĐÀ NẴNG” … đà nẵng", {"da", "nang"}),
        ("Luân chuyển cán bộ", {"can", "bo"}),  # NFD: combining marks, the word-by-word path
        ("ΟΔΟΣ οδος ΑΣ'Α", {"οδος", "ας", "ασ"}),  # final sigma depends on the neighbours
        ("İstanbul istanbul ıstanbul", {"istanbul"}),
        ("Straße STRASSE ǅ ǆ ﬁ fi 2024 ２０２４ a_b", {"strasse", "ǆ", "fi", "2024", "a_b"}),
        ("giá 200.000 đồng 🙂 ca\u0301n bộ 中文", {"200", "000", "dong", "bo", "中文"}),
        ("bộ", {"", "*", "a.b", "bo"}),
        ("không có gì", set()),
    ],
)
def test_matches_are_the_word_by_word_ones(text, terms):
    assert _matches(text, terms) == defined_matches(text, terms)


def test_matches_on_random_text():
    rng = random.Random(7)
    alphabet = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợ" \
               "ùúủũụừứửữựỳýỷỹỵ ÀÁĐÊ _-.,“”…–0123456789\u0301\u00a0ΣİÆ🙂"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 400)))
        words = [fold_term(word.lower()) for word in WORD.findall(text)]
        terms = set(rng.sample(words, min(len(words), 4))) | {"a", "d"}
        assert _matches(text, terms) == defined_matches(text, terms), text


def test_window_start_is_the_defined_one():
    rng = random.Random(11)
    for _ in range(300):
        matches, cursor = [], 0
        for _ in range(rng.randint(0, 60)):
            cursor += rng.randint(1, 80)
            length = rng.choice([1, 3, 5, 300])  # a word longer than the window too
            matches.append((cursor, cursor + length, rng.choice("abcde")))
            cursor += length
        assert _best_window_start(matches, 240) == defined_window_start(matches, 240)


def test_snippet_and_headline_marks():
    text = "Mở đầu. " + "Trời hôm nay nắng. " * 30 + "Luân chuyển cán bộ ở Bắc Hà. " + "Kết thúc. " * 30
    snippet = make_snippet(text, {"luan", "chuyen", "can", "bo"})
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>Luân</mark> <mark>chuyển</mark> <mark>cán</mark> <mark>bộ</mark>" in snippet
    assert mark_text("<b>Cán bộ</b>", {"can"}) == "&lt;b&gt;<mark>Cán</mark> bộ&lt;/b&gt;"
