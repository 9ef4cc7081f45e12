"""Query sets typed the way Vietnamese readers type them (issue 13).

Every set is derived deterministically (seed 13) from the public data in
``../shared/data`` and comes as a ``QuerySet`` of ``bench.datasets``; its
plain twin shares the qids, so a run can compare the two query by query:

* keystrokes with the input method off (:func:`keystroke_query_sets`): the
  199 MDS labels in Telex and VNI, tone key at the end of the syllable or
  right after its vowel::

      >>> to_telex("Việt Nam đường"), to_telex("Việt Nam", tone="vowel"), to_vni("Đà Nẵng")
      ('Vieetj Nam dduowngf', 'Vieejt Nam', 'D9a2 Na8ng4')

* abbreviations both ways (:func:`abbreviation_query_sets`): a 4-6 word
  window of a vietnews-test title around an abbreviation of
  ``vn_search/data/abbreviations.tsv`` (``CSGT``), or around a full form
  (``cảnh sát giao thông``), as written and with the other form swapped in;
* typos (:func:`typo_query_sets`): a 2-4 word window of an MDS label or a
  title with one word of 4+ letters mistyped (a QWERTY neighbour, a dropped
  letter, a doubled letter, another tone), the clean windows, and clean
  queries that must not be corrected (English words, brands, names);
* the rare word (:func:`rare_word_query_sets`): a 5-7 word window of a
  title holding a proper noun found in at most 30 articles and 4+ common
  words; and the same window with that noun swapped for another rare one,
  which should no longer find the article first.

``python -m bench.reader_query_sets`` self-checks the encoders and the typo
makers on hand-made examples (silent unless something fails); so do the tests.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Callable

from bench.datasets import KI_QUERIES, SEED, Query, QuerySet, iter_jsonl, mds_query_sets

# --- keystrokes with the input method off ---------------------------------------

_HAT, _BREVE, _HORN = "\u0302", "\u0306", "\u031b"
# Tone marks in the order sắc, huyền, hỏi, ngã, nặng.
_TONES = "\u0301\u0300\u0309\u0303\u0323"
_TELEX_TONES, _VNI_TONES = "sfrxj", "12345"
_LETTERS = re.compile(r"[^\W\d_]+")


def _letters(word: str) -> list[tuple[str, str, str]]:
    """(base, shape mark, tone mark) of each letter of an NFC word; đ is
    its own base (it has no decomposition)."""
    letters = []
    for char in word:
        base, *marks = unicodedata.normalize("NFD", char)
        shape = next((m for m in marks if m in (_HAT, _BREVE, _HORN)), "")
        tone = next((m for m in marks if m in _TONES), "")
        letters.append((base, shape, tone))
    return letters


def _is_horn_o(letter: tuple[str, str, str] | None) -> bool:
    return letter is not None and letter[0] in "oO" and letter[1] == _HORN


def _keystrokes(word: str, vni: bool, tone: str) -> str:
    """One letter run typed as keys; runs without Vietnamese marks stay."""
    if tone not in ("end", "vowel"):
        raise ValueError(f"tone must be 'end' or 'vowel', not {tone!r}")
    letters = _letters(word)
    if not any(shape or mark or base in "đĐ" for base, shape, mark in letters):
        return word
    shouting = len(word) > 1 and word.isupper()  # caps lock on: tone keys in capitals too
    keys, tone_key = [], ""
    for index, (base, shape, mark) in enumerate(letters):
        following = letters[index + 1] if index + 1 < len(letters) else None
        upper = base.isupper()
        if base in "đĐ":
            typed = ("D" if upper else "d") + ("9" if vni else ("D" if upper else "d"))
        elif shape == _HAT:
            typed = base + ("6" if vni else base)
        elif shape == _BREVE:
            typed = base + ("8" if vni else "W" if upper else "w")
        elif shape == _HORN and base in "uU" and _is_horn_o(following):
            typed = base  # ươ is typed uow / uo7: one horn key after the o
        elif shape == _HORN:
            typed = base + ("7" if vni else "W" if upper else "w")
        else:
            typed = base
        if mark:
            tone_key = (_VNI_TONES if vni else _TELEX_TONES)[_TONES.index(mark)]
            tone_key = tone_key.upper() if shouting else tone_key
            if tone == "vowel":
                typed += tone_key
        keys.append(typed)
    if tone == "end":
        keys.append(tone_key)
    return "".join(keys)


def to_telex(text: str, tone: str = "end") -> str:
    """Vietnamese text as typed in Telex with the input method off: â ê ô
    are doubled, ă ơ ư take a ``w`` (ươ is ``uow``), đ is ``dd``, tones are
    ``s f r x j``; the tone key ends the syllable (``tone="end"``) or follows
    the vowel that carries it (``"vowel"``). Case is kept; words without
    Vietnamese letters, numbers and punctuation are left as they are.

    >>> to_telex("Đà Nẵng, COVID-19"), to_telex("người", tone="vowel")
    ('DDaf Nawngx, COVID-19', 'nguowfi')
    """
    text = unicodedata.normalize("NFC", text)
    return _LETTERS.sub(lambda m: _keystrokes(m.group(), vni=False, tone=tone), text)


def to_vni(text: str, tone: str = "end") -> str:
    """The same in VNI: â ê ô ``6``, ă ``8``, ơ ư ``7`` (ươ is ``uo7``),
    đ ``d9``, tones ``1`` sắc ``2`` huyền ``3`` hỏi ``4`` ngã ``5`` nặng.

    >>> to_vni("Việt Nam"), to_vni("Việt Nam", tone="vowel")
    ('Vie6t5 Nam', 'Vie65t Nam')
    """
    text = unicodedata.normalize("NFC", text)
    return _LETTERS.sub(lambda m: _keystrokes(m.group(), vni=True, tone=tone), text)


KEYSTROKE_SETS = {
    "telex-end": lambda text: to_telex(text, "end"),
    "telex-vowel": lambda text: to_telex(text, "vowel"),
    "vni-end": lambda text: to_vni(text, "end"),
    "vni-vowel": lambda text: to_vni(text, "vowel"),
}


def keystroke_query_sets(known_ids: set[str], limit: int | None = None) -> dict[str, QuerySet]:
    """``mds`` (the labels as typed) and its four keystroke twins; with
    ``limit``, a seeded sample of that many labels."""
    plain = mds_query_sets(known_ids)["mds"]
    queries = plain.queries
    if limit is not None and limit < len(queries):
        queries = random.Random(SEED).sample(queries, limit)
    sets = {"mds": QuerySet("mds", plain.description, queries, plain.dropped)}
    for name, encode in KEYSTROKE_SETS.items():
        typed = [Query(q.qid, encode(q.text), q.relevant) for q in queries]
        sets[name] = QuerySet(name, f"MDS labels typed as {name} keystrokes, input method off", typed,
                              plain.dropped, {"base": "mds"})
        sets[name].notes["changed"] = sum(t.text != q.text for t, q in zip(typed, queries))
    return sets


# --- titles as words ------------------------------------------------------------------

# Stripped from both ends of a title's tokens; inner ones stay (TP.HCM, GD&ĐT, Kim Jong-un).
_EDGE_PUNCTUATION = "!\"#$%'()*+,-./:;<=>?@[\\]^_`{|}~“”‘’…–—«»"


def title_tokens(title: str) -> list[str]:
    """A title's words as a reader would retype them, edge punctuation gone.

    >>> title_tokens("Hà Nội: CSGT (TP.HCM) 'ra quân' - tuần tra")
    ['Hà', 'Nội', 'CSGT', 'TP.HCM', 'ra', 'quân', 'tuần', 'tra']
    """
    tokens = (token.strip(_EDGE_PUNCTUATION) for token in unicodedata.normalize("NFC", title).split())
    return [token for token in tokens if token]


def known_item_records(known_ids: set[str]) -> list[dict]:
    """The vietnews-test known-item records whose article is indexed, in a
    seeded order (each set draws from the front of it)."""
    records = [r for r in iter_jsonl(KI_QUERIES) if r["target"] in known_ids]
    random.Random(SEED).shuffle(records)
    return records


def _window(length: int, start: int, end: int, size: int, rng: random.Random) -> tuple[int, int]:
    """A window of ``size`` tokens (fewer if the title is shorter) that
    holds tokens ``start:end``, placed at random."""
    size = min(max(size, end - start), length)
    first = rng.randint(max(0, end - size), min(start, length - size))
    return first, first + size


# --- abbreviations both ways -------------------------------------------------------

ABBREVIATION_WINDOW = (4, 6)
ABBREVIATION_MIN_OTHERS = 2  # words of the window besides the abbreviation or full form
ABBREVIATION_CAP = 15  # queries per abbreviation, so that TQ, VN and TP.HCM do not make up the set


def abbreviation_query_sets(known_ids: set[str], limit: int) -> dict[str, QuerySet]:
    """Four sets from vietnews-test titles holding an unambiguous entry of
    the abbreviation table: ``abbr-written`` (the window as in the title,
    with ``CSGT``) and ``abbr→full`` (``cảnh sát giao thông`` typed
    instead); ``full-written`` and ``full→abbr`` the other way round
    (``Trung Quốc`` → ``TQ``, the table's display form). Aliases (Sài Gòn)
    and ambiguous abbreviations (ĐT, QH) are left out. One span per title,
    at most ``ABBREVIATION_CAP`` queries per abbreviation, ``limit`` queries
    per direction; the notes count the titles that qualified."""
    from vn_search.analysis.abbreviations import default_table

    table = default_table()
    rng = random.Random(SEED)
    directions = {"abbreviation": ("abbr-written", "abbr→full"), "expansion": ("full-written", "full→abbr")}
    raw: dict[str, list[Query]] = {name: [] for pair in directions.values() for name in pair}
    qualified, per_key = Counter(), {typed: Counter() for typed in directions}
    for record in known_item_records(known_ids):
        tokens = title_tokens(record["query_title"])
        spans = {typed: [] for typed in directions}
        for span in table.find_spans(tokens, None):
            entry = table.lookup(span.key)
            if (span.typed in directions and entry is not None and entry.kind == "abbr"
                    and not entry.ambiguous and not span.ambiguous
                    and len(tokens) - (span.end - span.start) >= ABBREVIATION_MIN_OTHERS):
                spans[span.typed].append((span, entry))
        for typed, found in spans.items():
            if not found:
                continue
            qualified[typed] += 1
            span, entry = rng.choice(found)
            written_name, swapped_name = directions[typed]
            if len(raw[written_name]) >= limit or per_key[typed][entry.key] >= ABBREVIATION_CAP:
                continue
            per_key[typed][entry.key] += 1
            size = max(rng.randint(*ABBREVIATION_WINDOW), span.end - span.start + ABBREVIATION_MIN_OTHERS)
            first, last = _window(len(tokens), span.start, span.end, size, rng)
            other = entry.expansions[0] if typed == "abbreviation" else entry.abbreviation
            swapped = tokens[first:span.start] + [other] + tokens[span.end:last]
            qid = f"{record['qid']}-{typed[:4]}"
            relevant = tuple(r for r in record["relevant"] if r in known_ids)
            raw[written_name].append(Query(qid, " ".join(tokens[first:last]), relevant))
            raw[swapped_name].append(Query(qid, " ".join(swapped), relevant))
    sets = {}
    for typed, (written_name, swapped_name) in directions.items():
        notes = {"qualified_titles": qualified[typed], "abbreviations": len(per_key[typed])}
        what = "an abbreviation" if typed == "abbreviation" else "a full form"
        sets[written_name] = QuerySet(written_name, f"title windows holding {what}, as written",
                                      raw[written_name], 0, dict(notes))
        sets[swapped_name] = QuerySet(swapped_name, "the same windows with the other form typed",
                                      raw[swapped_name], 0, {**notes, "base": written_name})
    return sets


# --- typos -------------------------------------------------------------------------------------

_QWERTY = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _qwerty_neighbours() -> dict[str, str]:
    """Keys touching each letter key: the row's neighbours, and the keys
    above (same column and one right) and below (one left and same column)
    of the staggered rows."""
    neighbours = {}
    for row, keys in enumerate(_QWERTY):
        for column, key in enumerate(keys):
            near = [keys[c] for c in (column - 1, column + 1) if 0 <= c < len(keys)]
            if row > 0:
                near += [_QWERTY[row - 1][c] for c in (column, column + 1) if c < len(_QWERTY[row - 1])]
            if row < 2:
                near += [_QWERTY[row + 1][c] for c in (column - 1, column) if 0 <= c < len(_QWERTY[row + 1])]
            neighbours[key] = "".join(sorted(near))
    return neighbours


QWERTY_NEIGHBOURS = _qwerty_neighbours()


def _plain_positions(word: str) -> list[int]:
    """Letters typed with one key (a-z, no mark): those a slip can hit."""
    return [i for i, char in enumerate(word) if char.lower() in QWERTY_NEIGHBOURS]


def typo_adjacent(word: str, rng: random.Random) -> str | None:
    """One plain letter replaced by a QWERTY neighbour, case kept."""
    positions = _plain_positions(word)
    if not positions:
        return None
    i = rng.choice(positions)
    key = rng.choice(QWERTY_NEIGHBOURS[word[i].lower()])
    return word[:i] + (key.upper() if word[i].isupper() else key) + word[i + 1:]


def typo_drop(word: str, rng: random.Random) -> str | None:
    """One letter left out (never the first: readers rarely miss that one)."""
    if len(word) < 2:
        return None
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1:]


def typo_double(word: str, rng: random.Random) -> str | None:
    """One plain letter typed twice."""
    positions = _plain_positions(word)
    if not positions:
        return None
    i = rng.choice(positions)
    return word[:i + 1] + word[i:]


def typo_tone(word: str, rng: random.Random) -> str | None:
    """The tone mark replaced by another one (hỏi for ngã, sắc for nặng, ...)."""
    letters = _letters(unicodedata.normalize("NFC", word))
    toned = [i for i, (_, _, tone) in enumerate(letters) if tone]
    if not toned:
        return None
    base, shape, tone = letters[toned[0]]
    other = rng.choice([mark for mark in _TONES if mark != tone])
    # Shape before tone: ễ is e + circumflex + tilde, both of combining class 230.
    respelled = unicodedata.normalize("NFC", base + shape + other)
    return "".join(respelled if i == toned[0] else char for i, char in enumerate(unicodedata.normalize("NFC", word)))


TYPOS: dict[str, Callable[[str, random.Random], str | None]] = {
    "adjacent": typo_adjacent, "drop": typo_drop, "double": typo_double, "tone": typo_tone,
}
TYPO_WINDOW = (2, 4)
TYPO_MIN_LETTERS = 4


def typo_query_sets(known_ids: set[str], per_kind: int) -> dict[str, QuerySet]:
    """``typo-clean``: 2-4 word windows of the MDS labels and of
    vietnews-test titles (about half each), and ``typo-<kind>`` for each
    of :data:`TYPOS`: the same window (same qid) with one word of 4+ letters
    mistyped that way. The kinds take turns over the windows; a window with
    no word the kind can spoil is skipped."""
    rng = random.Random(SEED)
    labels = mds_query_sets(known_ids)["mds"].queries
    titles = [Query(r["qid"], r["query_title"], tuple(x for x in r["relevant"] if x in known_ids))
              for r in known_item_records(known_ids)[:4 * per_kind * 2]]
    sources = rng.sample(labels, len(labels))
    # Labels and titles alternate, so both kinds of text reach every typo kind.
    mixed = [q for pair in zip(sources, titles) for q in pair] + titles[len(sources):]
    clean, typed = [], {kind: [] for kind in TYPOS}
    for number, source in enumerate(mixed):
        open_kinds = [kind for kind, queries in typed.items() if len(queries) < per_kind]
        if not open_kinds:
            break
        # A label and the title after it get the same kind: every kind sees both.
        kind = open_kinds[number // 2 % len(open_kinds)]
        tokens = title_tokens(source.text)
        spoiled = [(i, TYPOS[kind](word, rng)) for i, word in enumerate(tokens)
                   if word.isalpha() and len(word) >= TYPO_MIN_LETTERS]
        spoiled = [(i, bad) for i, bad in spoiled if bad and bad != tokens[i]]
        if not spoiled:
            continue
        i, bad = rng.choice(spoiled)
        first, last = _window(len(tokens), i, i + 1, rng.randint(*TYPO_WINDOW), rng)
        qid = f"typo-{len(clean) + 1:04d}-{source.qid}"
        clean.append(Query(qid, " ".join(tokens[first:last]), source.relevant))
        typed[kind].append(Query(qid, " ".join(tokens[first:i] + [bad] + tokens[i + 1:last]), source.relevant))
    sets = {"typo-clean": QuerySet("typo-clean", "2-4 word windows of MDS labels and vietnews titles", clean)}
    for kind, queries in typed.items():
        sets[f"typo-{kind}"] = QuerySet(f"typo-{kind}", f"the clean windows with one word mistyped ({kind})",
                                        queries, 0, {"base": "typo-clean"})
    return sets


# Clean queries a speller must leave alone: names, brands and English words
# readers type in Vietnamese news search, and short everyday Vietnamese ones.
FOREIGN_NAMES = [
    "Trump", "news", "Moscow", "Windows", "Facebook", "Samsung", "iPhone", "Messi", "Kim Jong-un", "Putin",
    "Google", "Apple", "Twitter", "Android", "Huawei", "Obama", "Toyota", "Honda", "Nokia", "Barcelona",
    "Real Madrid", "Champions League", "World Cup", "Grab", "Uber", "Vingroup", "Vinamilk", "FLC",
    "VN-Index", "COVID-19", "Ronaldo", "Neymar", "Chelsea", "Arsenal", "Liverpool", "Manchester United",
    "Premier League", "Mourinho", "Zidane", "Park Hang-seo", "YouTube", "Microsoft", "Bitcoin", "Netflix",
    "Instagram", "Zalo", "Viettel", "Vietjet", "Vietcombank", "Tesla", "Elon Musk", "Xi Jinping", "Macron",
    "Merkel", "Duterte", "Syria", "Iran", "Israel", "Ukraine", "London", "Paris", "Tokyo", "Seoul",
    "Bangkok", "Singapore", "Malaysia", "Qatar", "Galaxy S8", "iPad", "MacBook", "Oppo", "Xiaomi",
    "Lexus", "Mercedes", "Hyundai", "Kia Morning", "Bphone", "Asus", "Intel", "Dell", "Sony", "Canon",
]
SHORT_VIETNAMESE = [
    "giá vàng", "thời tiết", "bóng đá", "Hà Nội", "tai nạn giao thông", "học phí", "lãi suất", "giá xăng",
    "xổ số", "tuyển sinh", "điểm chuẩn", "thi THPT quốc gia", "bão số 10", "động đất", "cháy nhà",
    "tỷ giá", "giá heo", "chứng khoán", "bất động sản", "ngập lụt", "ô nhiễm", "tham nhũng", "ma túy",
    "sốt xuất huyết", "Đà Nẵng", "Cần Thơ", "Sài Gòn", "Tết Nguyên đán", "World Cup 2018", "U23 Việt Nam",
]


def clean_query_sets() -> dict[str, QuerySet]:
    """Queries with no judged article that no speller should touch."""
    def as_set(name: str, description: str, texts: list[str]) -> QuerySet:
        return QuerySet(name, description, [Query(f"{name}-{i:03d}", text, ()) for i, text in enumerate(texts, 1)])
    return {"clean-names": as_set("clean-names", "English words, brands, person and place names", FOREIGN_NAMES),
            "clean-short": as_set("clean-short", "short everyday Vietnamese queries", SHORT_VIETNAMESE)}


# --- the most informative word ---------------------------------------------------------------

RARE_MAX_DOCS = 30
COMMON_MIN_DOCS = 300
RARE_WINDOW = (5, 7)
RARE_MIN_COMMON = 4
_SENTENCE_END = (":", ".", "?", "!", "-", "–", "—")


def rare_word_candidates(title: str) -> list[int]:
    """Token positions of a title that may be a proper noun: a capitalised
    word of 3+ letters (not all capitals: those are abbreviations), neither
    the first word nor one that opens a quote or follows ``:``, ``.``, ``-``
    (headlines capitalise those whatever they are).

    >>> tokens = title_tokens("Nhà báo Duerden: Tuyển Việt Nam 'Bất' ngờ")
    >>> [tokens[i] for i in rare_word_candidates("Nhà báo Duerden: Tuyển Việt Nam 'Bất' ngờ")]
    ['Duerden', 'Việt', 'Nam']
    """
    raw = unicodedata.normalize("NFC", title).split()
    positions, index = [], -1
    for number, token in enumerate(raw):
        word = token.strip(_EDGE_PUNCTUATION)
        if not word:
            continue
        index += 1
        follows_end = number > 0 and raw[number - 1].endswith(_SENTENCE_END)
        quoted = token[0] in _EDGE_PUNCTUATION
        if (index > 0 and not follows_end and not quoted and word.isalpha() and len(word) >= 3
                and word[0].isupper() and word[1:].islower()):
            positions.append(index)
    return positions


def _rare_kind(word: str) -> str:
    from vn_search.analysis.abbreviation_keys import looks_like_syllable
    return "vietnamese" if looks_like_syllable(word) else "foreign"


def rare_word_query_sets(known_ids: set[str], limit: int, document_count: Callable[[str], int],
                         document_text: Callable[[str], str]) -> dict[str, QuerySet]:
    """``rare``: a 5-7 word window of a vietnews-test title around a
    proper noun found in 1 to ``RARE_MAX_DOCS`` articles (``document_count``,
    counted in the index); every other word of the window is common (in
    ``COMMON_MIN_DOCS`` articles or more) and at least ``RARE_MIN_COMMON``
    of them are lowercase words, so that the noun alone singles the article
    out. The relevant document is the title's article. ``rare-swapped``: the same window with the noun
    replaced by the rare noun of another query of the same kind (a
    Vietnamese syllable or a foreign word) that the article does not contain
    (``document_text``): the article should no longer come first.

    The notes map each qid to its rare word (``rare_word``) and count the
    titles examined and those with a rare noun; titles are read in the
    seeded order until ``limit`` queries are made.
    """
    rng = random.Random(SEED)
    queries, rare_words, examined, with_rare_noun = [], {}, 0, 0
    for record in known_item_records(known_ids):
        if len(queries) >= limit:
            break
        examined += 1
        tokens = title_tokens(record["query_title"])
        if len(tokens) < RARE_WINDOW[0]:
            continue
        rare = [i for i in rare_word_candidates(record["query_title"])
                if 1 <= document_count(tokens[i]) <= RARE_MAX_DOCS]
        if not rare:
            continue
        with_rare_noun += 1
        position = rng.choice(rare)
        size = min(rng.randint(*RARE_WINDOW), len(tokens))
        starts = [s for s in range(max(0, position - size + 1), min(position, len(tokens) - size) + 1)
                  if _common_words(tokens[s:s + size], position - s, document_count) >= RARE_MIN_COMMON]
        if not starts:
            continue
        first = rng.choice(starts)
        qid = record["qid"] + "-rare"
        relevant = tuple(r for r in record["relevant"] if r in known_ids)
        queries.append(Query(qid, " ".join(tokens[first:first + size]), relevant))
        rare_words[qid] = tokens[position]
    by_kind: dict[str, list[str]] = {}
    for word in dict.fromkeys(rare_words.values()):
        by_kind.setdefault(_rare_kind(word), []).append(word)
    swapped, replacements = [], {}
    for query in queries:
        word = rare_words[query.qid]
        text = " ".join(document_text(doc_id) for doc_id in query.relevant).casefold()
        pool = [w for w in by_kind[_rare_kind(word)] if not _contains_word(text, w)]
        if not pool:
            continue
        other = rng.choice(pool)
        replacements[query.qid] = other
        swapped.append(Query(query.qid, re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", other, query.text, count=1),
                             query.relevant))
    notes = {"examined_titles": examined, "titles_with_rare_noun": with_rare_noun, "rare_word": rare_words}
    return {
        "rare": QuerySet("rare", "title windows decided by one rare proper noun", queries, 0, notes),
        "rare-swapped": QuerySet("rare-swapped", "the same windows with another rare noun", swapped, 0,
                                 {"base": "rare", "rare_word": replacements}),
    }


def _common_words(window: list[str], rare_at: int, document_count: Callable[[str], int]) -> int:
    """Lowercase words of the window besides the rare one; 0 when any
    other word is not common (a second rare name would decide too)."""
    others = [word for i, word in enumerate(window) if i != rare_at]
    if any(document_count(word) < COMMON_MIN_DOCS for word in others):
        return 0
    return sum(1 for word in others if word.isalpha() and word.islower())


def _contains_word(casefolded_text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word.casefold())}(?!\w)", casefolded_text) is not None


def contains_word(text: str, word: str) -> bool:
    """``word`` occurs in ``text`` as a whole word, case aside (NFC)."""
    return _contains_word(unicodedata.normalize("NFC", text).casefold(), unicodedata.normalize("NFC", word))


# --- self-check ---------------------------------------------------------------------------------

def self_check() -> list[str]:
    """Failures of the encoders and typo makers on hand-made examples."""
    expected = [
        (to_telex("Việt Nam"), "Vieetj Nam"), (to_telex("Việt Nam", "vowel"), "Vieejt Nam"),
        (to_telex("đường"), "dduowngf"), (to_telex("người"), "nguowif"), (to_telex("Đà Nẵng"), "DDaf Nawngx"),
        (to_telex("người", "vowel"), "nguowfi"), (to_telex("ĐẠI HỘI"), "DDAIJ HOOIJ"),
        (to_telex("Ấn Độ - Trung Quốc"), "AAns DDooj - Trung Quoocs"),
        (to_telex("COVID-19 ở TP.HCM, năm 2020"), "COVID-19 owr TP.HCM, nawm 2020"),
        (to_telex("thuở ưu tiên"), "thuowr uwu tieen"), (to_telex("khuya"), "khuya"),
        (to_vni("Việt Nam"), "Vie6t5 Nam"), (to_vni("Việt Nam", "vowel"), "Vie65t Nam"),
        (to_vni("đường"), "d9uo7ng2"), (to_vni("Đà Nẵng"), "D9a2 Na8ng4"), (to_vni("người"), "nguo7i2"),
        (to_telex(unicodedata.normalize("NFD", "Việt")), "Vieetj"),
        (typo_tone("Nội", random.Random(1)) != "Nội", True), (typo_tone("Nam", random.Random(1)), None),
        (min(typo_tone("chuyện", random.Random(s)) for s in range(30)) in ("chuyến", "chuyền"), True),
        (all(len(typo_tone("chuyện", random.Random(s))) == 6 for s in range(30)), True),
        (typo_double("Nội", random.Random(1)) in ("NNội", "Nộii"), True),
        (len(typo_drop("Hưng", random.Random(1))), 3), (typo_adjacent("ĐỘ", random.Random(1)), None),
        (QWERTY_NEIGHBOURS["s"], "adewxz"), (QWERTY_NEIGHBOURS["q"], "aw"), (QWERTY_NEIGHBOURS["m"], "jkn"),
        (title_tokens("Hà Nội: CSGT (TP.HCM) 'ra quân' - tuần tra"),
         ["Hà", "Nội", "CSGT", "TP.HCM", "ra", "quân", "tuần", "tra"]),
        (contains_word("Ông Duerden nói", "duerden"), True), (contains_word("Duerdens", "Duerden"), False),
    ]
    return [f"got {got!r}, expected {want!r}" for got, want in expected if got != want]


if __name__ == "__main__":
    failures = self_check()
    for failure in failures:
        print("reader_query_sets self-check FAILED:", failure)
    sys.exit(1 if failures else 0)
