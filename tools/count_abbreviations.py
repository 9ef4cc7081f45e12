"""Count abbreviation-like tokens in the shared Vietnamese news corpora.

The curated table ``src/vn_search/data/abbreviations.tsv`` was chosen from
this script's output; its ``docs`` column is the count printed here.

    python tools/count_abbreviations.py                 # all corpora, top 300
    python tools/count_abbreviations.py --limit 2000 --top 50
    python tools/count_abbreviations.py --phrase "Sài Gòn" --phrase "Hoa Kỳ"

Prints TSV: canonical key, documents containing any spelling, and each
spelling with its own document count (``TP.HCM:2889, TP HCM:2717``). Plain
regular expressions, no word segmentation: all 130,627 articles take about
20 seconds on one core.

A token counts when it has 2 to 8 capital letters (or one letter with
digits: ``U23``) and is not part of an all-caps headline: a run of three or
more capitalised words of which at least two read as Vietnamese syllables
(``HÀ NỘI LÀ THỦ ĐÔ``). Runs of abbreviations (``UBND TP HCM``) are kept.
Two tokens separated by a space, ``. ``, or a spaced ``&``/``-`` (``TP HCM``,
``TP. HCM``, ``GD & ĐT``) also count as a spelling of their joined key when
that key is often written as one token.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from vn_search.analysis.abbreviation_keys import ABBREVIATION_TOKEN, abbreviation_key, looks_like_syllable

CORPORA = [
    "baomoi-vinews-2017/baomoi.jsonl.gz",
    "vietnews/test.jsonl.gz",
    "vietnews/val.jsonl.gz",
    "vietnews/train-00.jsonl.gz",
    "vietnews/train-01.jsonl.gz",
    "vietnamese-mds-200/docs.jsonl.gz",
]
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# What may stand between two words of one all-caps run.
_RUN_GAP = re.compile(r"[ ,:;\-–]{1,3}")
# What may stand between the two halves of a spelling like "TP. HCM"; the
# spaced separators come from text that was word-segmented and joined back
# (vietnews: "GD & ĐT", "TN - MT").
_PAIR_GAPS = frozenset([" ", ". ", " & ", " &", "& ", " - ", " -", "- "])
# How often a key must be written as one token for two-token spellings to
# join it: at least this many documents and this share of the two-token ones.
_MIN_ONE_TOKEN_DOCS = 5
_MIN_ONE_TOKEN_SHARE = 0.05


def read_documents(path: Path, limit: int | None) -> Iterator[str]:
    """Yield the NFC text (title, summary, body) of each article in a gzip JSONL file."""
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for number, line in enumerate(stream):
            if limit is not None and number >= limit:
                return
            record = json.loads(line)
            text = "\n".join(record.get(name) or "" for name in ("title", "summary", "body"))
            if not unicodedata.is_normalized("NFC", text):
                text = unicodedata.normalize("NFC", text)
            yield text


def _capital_letters(token: str) -> int:
    return sum(char.isupper() for char in token)


def document_tokens(text: str) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(key, spelling) pairs of the abbreviation candidates in one document:
    single tokens, and two-token spellings (``TP HCM``) kept apart because
    they only count when their joined key is a real one-token key."""
    matches = list(ABBREVIATION_TOKEN.finditer(text))
    # Mark the all-caps headline runs.
    in_headline = [False] * len(matches)
    run_start = 0
    for index in range(1, len(matches) + 1):
        joined = index < len(matches) and _RUN_GAP.fullmatch(
            text, matches[index - 1].end(), matches[index].start()
        )
        if joined:
            continue
        run = matches[run_start:index]
        if len(run) >= 3 and sum(looks_like_syllable(m.group()) for m in run) >= 2:
            for position in range(run_start, index):
                in_headline[position] = True
        run_start = index

    singles: set[tuple[str, str]] = set()
    pairs: set[tuple[str, str]] = set()
    previous = None
    for match, headline in zip(matches, in_headline):
        token = match.group()
        if headline:
            previous = None
            continue
        letters = _capital_letters(token)
        has_digit = any(char.isdigit() for char in token)
        if 2 <= letters <= 8 or (letters == 1 and has_digit):
            key = abbreviation_key(token)
            if key:
                singles.add((key, token))
        if (
            previous is not None
            and letters >= 2
            and _capital_letters(previous.group()) >= 2
            and text[previous.end() : match.start()] in _PAIR_GAPS
        ):
            spelling = text[previous.start() : match.end()]
            key = abbreviation_key(spelling)
            if key:
                pairs.add((key, spelling))
        previous = match
    return singles, pairs


def count(
    paths: list[Path], limit: int | None, phrases: list[str]
) -> tuple[int, Counter[str], Counter[tuple[str, str]], Counter[str]]:
    """Document frequencies: per key, per (key, spelling), per phrase."""
    key_docs: Counter[str] = Counter()
    spelling_docs: Counter[tuple[str, str]] = Counter()
    pair_key_docs: Counter[str] = Counter()
    pair_only_docs: Counter[str] = Counter()
    pair_spelling_docs: Counter[tuple[str, str]] = Counter()
    phrase_docs: Counter[str] = Counter()
    total = 0
    for path in paths:
        started = time.monotonic()
        for text in read_documents(path, limit):
            total += 1
            singles, pairs = document_tokens(text)
            spelling_docs.update(singles)
            single_keys = {key for key, _ in singles}
            key_docs.update(single_keys)
            pair_spelling_docs.update(pairs)
            pair_keys = {key for key, _ in pairs}
            pair_key_docs.update(pair_keys)
            pair_only_docs.update(pair_keys - single_keys)
            if phrases:
                lowered = text.lower()
                for phrase in phrases:
                    if phrase.lower() in lowered:
                        phrase_docs[phrase] += 1
        print(f"# {path}: {time.monotonic() - started:.0f} s", file=sys.stderr)
    # Two-token spellings join keys that are written as one token often
    # enough (TP.HCM); the rest were two abbreviations side by side
    # ("UBND TP", whose one-token spelling UBNDTP is a rare typo), already
    # counted one by one.
    joined_keys = {
        key
        for key, docs in pair_key_docs.items()
        if key_docs[key] >= max(_MIN_ONE_TOKEN_DOCS, docs * _MIN_ONE_TOKEN_SHARE)
    }
    for (key, spelling), docs in pair_spelling_docs.items():
        if key in joined_keys:
            spelling_docs[key, spelling] += docs
    for key in joined_keys:
        key_docs[key] += pair_only_docs[key]
    return total, key_docs, spelling_docs, phrase_docs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder holding the corpora (default: ../shared/data)"
    )
    parser.add_argument("--limit", type=int, default=None, help="read at most N articles per file")
    parser.add_argument("--top", type=int, default=300, help="print the N most frequent keys (default 300)")
    parser.add_argument(
        "--phrase", action="append", default=[],
        help="also count documents containing this phrase, any case (for aliases); repeatable",
    )
    args = parser.parse_args(argv)

    paths = [args.data / name for name in CORPORA]
    missing = [str(path) for path in paths if not path.exists()]
    if missing:
        parser.error(f"corpus files not found: {', '.join(missing)} (use --data DIR)")
    total, key_docs, spelling_docs, phrase_docs = count(paths, args.limit, args.phrase)

    spellings_by_key: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (key, spelling), docs in spelling_docs.items():
        spellings_by_key[key].append((spelling, docs))
    print(f"# {total} articles from {len(paths)} files; documents per key and per spelling")
    print("key\tdocs\tspellings")
    for key, docs in key_docs.most_common(args.top):
        spellings = sorted(spellings_by_key[key], key=lambda item: (-item[1], item[0]))
        print(f"{key}\t{docs}\t" + ", ".join(f"{spelling}:{n}" for spelling, n in spellings[:8]))
    for phrase in args.phrase:
        print(f"# phrase\t{phrase}\t{phrase_docs[phrase]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
