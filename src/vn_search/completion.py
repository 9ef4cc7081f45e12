"""Autocomplete: what a reader may be typing, from the corpus's own headlines.

A completion is a word or a short phrase that headlines use again and
again (``Campuchia``, ``Hà Nội``, ``bão số 3``), spelt as the articles
spell it, so that a reader who types ``campu`` or ``ha n`` without accents
is offered the accented name in one keystroke:

    >>> table = CompletionTable.build(
    ...     ["Hà Nội mở rộng phố đi bộ", "Mưa lớn ở Hà Nội", "Hà Nam đón khách",
    ...      "Hà Nội cấm xe máy", "Campuchia tăng trưởng"], known_words=["hà_nội", "hà_nam", "mở_rộng", "đi_bộ"], min_count=1)
    >>> table.complete("ha n", limit=3)
    ['Hà Nội', 'Hà Nam', 'Hà Nội mở rộng']
    >>> table.complete("campu", limit=1)
    ['Campuchia']

How the table is made (``CompletionTable.build``):

1. each headline is cut into runs of syllables at punctuation (a colon or
   a dash ends a phrase), and each run into words, longest first, with the
   pyvi words the index already holds for headlines (``hà_nội``): running
   pyvi again over 58,000 headlines took 8.6 s, the index's own words 1 s;
2. every sequence of one to three words that neither starts nor ends
   with a function word (``của``, ``và`` …) is a candidate, counted once per
   headline, if it ends with a word of two syllables or more, a name or a
   number (``Hà Nội sắp`` is no phrase, ``bão số 3`` is); those in at least
   ``min_count`` headlines are kept;
3. each is spelt the way most headlines spell it, the first word of a
   headline taking the case the articles give it inside sentences (the
   accent model's ``capital_share``): ``Bão số 3`` opens many headlines, but
   the completion is ``bão số 3``.

An index writes the table beside its files at build time
(:func:`write_completions`, ``completions.json``); a generation without
the file (built before it existed) builds it on first use.

Typing with accents narrows (``hà n`` offers Hà Nội, not Hạ Long's
neighbours); typing without them does not. A query of several words whose
whole text starts no completion is completed on its last words:
``biểu tình campu`` → ``biểu tình Campuchia``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np

from vn_search.analysis.fold import fold_text
from vn_search.analysis.normalize import normalize_query
from vn_search.analysis.terms import JOINER
from vn_search.matching import documents_needed

__all__ = ["COMPLETIONS_FILE", "CompletionTable", "LazyCompletions", "write_completions", "headlines_of",
           "headline_words_of", "MAX_LIMIT"]

COMPLETIONS_FILE = "completions.json"
MAX_PHRASE_WORDS = 3
MAX_PHRASE_SYLLABLES = 6
MAX_WORD_SYLLABLES = 4  # the longest pyvi word looked for in a headline
MAX_LIMIT = 20
# Longer than any headline phrase; a pasted paragraph completes nothing.
MAX_TYPED_CHARS = 100
# Completing only the last words of what was typed needs this many letters
# of them: "hạ n" is not "hạ" followed by any word starting with n.
MIN_TAIL_CHARS = 3
# Kept completions: a word or phrase in at least this many headlines (fewer
# in a small index, ``documents_needed``) ...
MIN_HEADLINES = 3
# ... and at most this many of them, the most frequent: a bound on the
# file and on memory (corpus C, 58,443 articles: about 24,000 pass MIN_HEADLINES).
MAX_COMPLETIONS = 150_000
# A headline's first word is capitalised by position; inside sentences the
# articles capitalise a name at least this often.
NAME_CAPITAL_SHARE = 0.5
# Words that make a phrase dangle when they start or end it ("của Hà Nội",
# "giá xăng và"); inside a phrase they are fine ("Bộ trưởng của Mỹ").
EDGE_WORDS = frozenset(
    "và của các với cho về ở tại thuộc trong là những được bị đã đang sẽ có không này đó khi để từ đến sau trước "
    "vì do nhưng mà thì cũng vẫn còn rồi nên hay hoặc một ra vào lên xuống theo như bằng gì ai nào sao nhiều "
    "lại tới cùng hơn nhất rất quá chỉ vừa chưa đều trên dưới giữa ngoài qua bởi".split()
)
_TOKEN = re.compile(r"\w+(?:[.\-'’]\w+)*")
_log = logging.getLogger(__name__)


def headlines_of(reader) -> Iterator[str]:
    """The stored headlines of an index's live documents (Whoosh reader)."""
    for docnum in range(reader.doc_count_all()):
        if not reader.is_deleted(docnum):
            headline = reader.stored_fields(docnum).get("headline")
            if headline:
                yield headline


def headline_words_of(reader, min_count: int = 2) -> list[str]:
    """The pyvi words of two or more syllables that at least ``min_count``
    headlines hold (the ``title`` field's terms, ``hà_nội``)."""
    if "title" not in reader.indexed_field_names():
        return []
    words = []
    for term in reader.lexicon("title"):
        word = term.decode("utf-8") if isinstance(term, bytes) else term
        if JOINER in word and reader.doc_frequency("title", term) >= min_count:
            words.append(word)
    return words


def _plausible_words(words: set[tuple[str, ...]]) -> set[tuple[str, ...]]:
    """pyvi's words, less its over-merges: a word of three syllables or
    more that starts with another word (``hà_nội_tiếp_tục``, pyvi's reading
    of "Hà Nội tiếp tục tăng") is that word and the rest."""
    return {word for word in words if len(word) <= 2 or not any(word[:size] in words for size in range(2, len(word)))}


def _runs(headline: str) -> list[list[str]]:
    """Runs of syllables as written; any punctuation between two ends a run."""
    runs: list[list[str]] = []
    current: list[str] = []
    cursor = 0
    for match in _TOKEN.finditer(headline):
        if current and headline[cursor:match.start()].strip():
            runs.append(current)
            current = []
        current.append(match.group(0))
        cursor = match.end()
    if current:
        runs.append(current)
    return runs


class _Word(NamedTuple):
    """A word of a headline, with what deciding the phrases it starts and
    ends needs, worked out once."""

    shown: str  # as written
    lowered: str
    syllables: int
    starts: bool  # may start a phrase
    ends_alone: bool  # may be a completion by itself
    ends: bool  # may end a phrase of several words


def _words(run: list[str], known: dict[str, set[tuple[str, ...]]]) -> list[_Word]:
    """A run cut into words, the longest known word first (``known``: the
    words of two syllables or more, by their first syllable)."""
    lowered = [syllable.lower() for syllable in run]
    words = []
    position = 0
    while position < len(run):
        size = 1
        starting = known.get(lowered[position])
        if starting:
            for length in range(min(MAX_WORD_SYLLABLES, len(run) - position), 1, -1):
                if tuple(lowered[position:position + length]) in starting:
                    size = length
                    break
        low = " ".join(lowered[position:position + size])
        shown = " ".join(run[position:position + size])
        edge = size == 1 and low in EDGE_WORDS
        words.append(_Word(shown, low, size, not edge and not (size == 1 and low.isdigit()), not edge,
                           not edge and (size > 1 or _ends_phrase(shown))))
        position += size
    return words


def _phrases(words: list[_Word]) -> Iterator[tuple[str, str, int]]:
    """(lowercase text, text as written, index of its first word) of every
    candidate in a run's words."""
    for start, first in enumerate(words):
        if not first.starts or first.syllables > MAX_PHRASE_SYLLABLES:
            continue
        low, shown, syllables = first.lowered, first.shown, first.syllables
        if first.ends_alone:
            yield low, shown, start
        for word in words[start + 1:start + MAX_PHRASE_WORDS]:
            syllables += word.syllables
            if syllables > MAX_PHRASE_SYLLABLES:
                break
            low = f"{low} {word.lowered}"
            shown = f"{shown} {word.shown}"
            if word.ends:
                yield low, shown, start


def _ends_phrase(syllable: str) -> bool:
    """Whether a word of one syllable can end a phrase of several: a name
    or a number can (``bão Damrey``, ``bão số 3``); a verb or a
    preposition leaves it hanging (``Hà Nội sắp``, ``Campuchia bác``)."""
    return syllable[:1].isupper() or not syllable.isalpha()  # a digit (U23, 2018) or a code


def _as_inside(shown: str, capital_share: Callable[[str], float] | None) -> str:
    """A phrase that opens a headline as the articles write it inside a
    sentence: ``Bão số 3`` → ``bão số 3``; ``Campuchia``, ``USD`` and
    ``Hải Phòng`` (a capital after it: a name) unchanged."""
    head, _, rest = shown.partition(" ")
    if not head[:1].isupper() or not head[1:].islower() or rest[:1].isupper():
        return shown  # lowercase already, capitals (USD, TP.HCM, iPhone), or a name
    if capital_share is None or capital_share(head.lower()) >= NAME_CAPITAL_SHARE:
        return shown  # without the articles' capitals to go by, as written
    return shown[0].lower() + shown[1:]


class CompletionTable:
    """Completions sorted by their folded text, each with the number of
    headlines that hold it: a prefix is a range found by bisection, and the
    range's most frequent entries are the answer."""

    def __init__(self, entries: Iterable[tuple[str, int]]) -> None:
        rows = sorted(((fold_text(text), text, int(count)) for text, count in entries), key=lambda row: (row[0], -row[2]))
        self._folded = [row[0] for row in rows]
        self._texts = [row[1] for row in rows]
        self._lowered = [row[1].lower() for row in rows]
        self._counts = np.array([row[2] for row in rows], dtype=np.int64)

    def __len__(self) -> int:
        return len(self._texts)

    def entries(self) -> list[tuple[str, int]]:
        """(completion, headlines) pairs, most frequent first."""
        order = np.argsort(-self._counts, kind="stable")
        return [(self._texts[i], int(self._counts[i])) for i in order]

    @classmethod
    def build(
        cls,
        headlines: Iterable[str],
        known_words: Iterable[str] = (),
        capital_share: Callable[[str], float] | None = None,
        min_count: int = MIN_HEADLINES,
        keep: int = MAX_COMPLETIONS,
    ) -> CompletionTable:
        """The table of a corpus's ``headlines`` (normalised, as stored);
        ``known_words`` are its pyvi words (``hà_nội``), ``capital_share``
        tells how often the articles capitalise a lowercase syllable."""
        known: dict[str, set[tuple[str, ...]]] = {}
        for word in _plausible_words({tuple(word.split(JOINER)) for word in known_words}):
            known.setdefault(word[0], set()).add(word)
        counted: Counter[str] = Counter()
        segmented = []
        for headline in headlines:
            runs = [_words(run, known) for run in _runs(headline)]
            # A headline in capitals says nothing about how a word is spelt.
            segmented.append((runs, not headline.isupper()))
            counted.update({low for words in runs for low, _, _ in _phrases(words)})
        kept = {text for text, count in counted.most_common(keep) if count >= min_count}
        spellings: dict[str, Counter[str]] = {text: Counter() for text in kept}
        for index, (runs, cased) in enumerate(segmented):
            if not cased:
                continue
            for number, words in enumerate(runs):
                for low, shown, start in _phrases(words):
                    if low in spellings:
                        if number == 0 and start == 0:
                            shown = _as_inside(shown, capital_share)
                        spellings[low][shown] += 1
            segmented[index] = None  # free as we go: 58,000 headlines
        entries = []
        for low in kept:
            spelt = spellings[low].most_common(1)
            entries.append((spelt[0][0] if spelt else low, counted[low]))
        return cls(entries)

    @classmethod
    def load(cls, path: Path) -> CompletionTable:
        """A table :meth:`save` wrote; ``ValueError`` naming the file if it is not one."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            entries = [(str(text), int(count)) for text, count in data["completions"]]
        except (ValueError, KeyError, TypeError) as problem:
            raise ValueError(f"{path}: not a completion table ({problem})") from None
        return cls(entries)

    def save(self, path: Path) -> None:
        """Write the table as JSON, through a new file: in a generation
        built from the previous one, ``path`` may be a hard link to the
        previous generation's table."""
        path = Path(path)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps({"completions": self.entries()}, ensure_ascii=False, separators=(",", ":")),
                             encoding="utf-8")
        os.replace(temporary, path)

    def complete(self, typed: str, limit: int = 8) -> list[str]:
        """Up to ``limit`` completions of what a reader typed, the most
        frequent first; the words before the completed ones stay as typed."""
        if not typed or len(typed) > MAX_TYPED_CHARS:
            return []
        text = normalize_query(typed)
        if not text:
            return []
        # "ha " has finished a syllable: only "ha ..." phrases follow it.
        words = text.split(" ")
        if typed[-1].isspace():
            words.append("")
        for dropped in range(len(words)):
            tail = " ".join(words[dropped:])
            if not tail.strip() or (dropped and len(tail.strip()) < MIN_TAIL_CHARS):
                break
            found = self._starting_with(tail.lower(), limit)
            if found:
                head = " ".join(words[:dropped])
                return [f"{head} {text}" if head else text for text in found]
        return []

    def _starting_with(self, typed: str, limit: int) -> list[str]:
        folded = fold_text(typed)
        low = bisect_left(self._folded, folded)
        high = bisect_left(self._folded, folded + "\U0010ffff", low)
        if low == high:
            return []
        counts = self._counts[low:high]
        accented = folded != typed
        # The best few by count, without sorting a range of thousands
        # (one letter typed); more when typed accents may rule some out.
        wanted = limit * 8 if accented else limit
        if len(counts) > wanted:
            best = np.argpartition(-counts, wanted - 1)[:wanted]
            best = best[np.argsort(-counts[best], kind="stable")]
        else:
            best = np.argsort(-counts, kind="stable")
        found = [low + int(i) for i in best if not accented or _agrees(typed, self._lowered[low + int(i)])]
        if accented and len(found) < limit and len(counts) > wanted:
            everything = np.argsort(-counts, kind="stable")
            found = [low + int(i) for i in everything if _agrees(typed, self._lowered[low + int(i)])]
        return [self._texts[i] for i in found[:limit]]


def _agrees(typed: str, lowered: str) -> bool:
    """Whether a completion starts with what was typed, letters typed with
    a diacritic matching only that letter (``hà`` is not ``hạ``)."""
    for mine, theirs in zip(typed, lowered):
        if mine != theirs and (fold_text(mine) != mine or fold_text(theirs) != mine):
            return False
    return True


def build_for_index(reader, capital_share: Callable[[str], float] | None) -> CompletionTable:
    """The completion table of an opened index (its stored headlines and
    its headline words)."""
    documents = max(1, reader.doc_count())
    return CompletionTable.build(
        headlines_of(reader),
        known_words=headline_words_of(reader, documents_needed(2, documents, 5000)),
        capital_share=capital_share,
        min_count=documents_needed(MIN_HEADLINES, documents, 2000),
    )


def write_completions(generation: Path, reader, capital_share: Callable[[str], float] | None) -> CompletionTable:
    """Build a generation's completion table at index time and save it
    beside its files (the indexer's hook)."""
    table = build_for_index(reader, capital_share)
    table.save(Path(generation) / COMPLETIONS_FILE)
    return table


class LazyCompletions:
    """One generation's table: read from its file, or built from the index
    on first use when the generation has none, once per generation."""

    def __init__(self, generation: Path) -> None:
        self.path = Path(generation) / COMPLETIONS_FILE
        self._table: CompletionTable | None = None
        self._lock = threading.Lock()  # its own: building takes seconds

    def prepare(self, open_index: Callable[[], tuple[object, Callable[[str], float] | None]]) -> None:
        """Read the table now if the generation has one, else start building
        it in the background (seconds on a large index: a server must not
        wait for it before it answers searches)."""
        if self.path.exists():
            self.get(open_index)
        elif self._table is None:
            threading.Thread(target=self._build_quietly, args=(open_index,), name="completions", daemon=True).start()

    def _build_quietly(self, open_index) -> None:
        try:
            self.get(open_index)
        except Exception:  # noqa: BLE001 - autocomplete must not take a server down; get() retries on use
            _log.warning("building the completion table for %s failed", self.path.parent, exc_info=True)

    def get(self, open_index: Callable[[], tuple[object, Callable[[str], float] | None]]) -> CompletionTable:
        """The table; ``open_index`` gives (Whoosh reader, capital_share)
        when it has to be built."""
        if self._table is None:
            with self._lock:
                if self._table is None:
                    if self.path.exists():
                        self._table = CompletionTable.load(self.path)
                    else:
                        self._table = build_for_index(*open_index())
        return self._table
