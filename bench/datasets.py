"""The data sets of ../shared/data, the query sets derived from them, and
the ranking metrics the relevance benchmarks report.

Everything here follows /work/shared/research/baselines.md so that figures
stay comparable with the published baseline table:

* document text is ``title + "\\n" + summary + "\\n" + body`` (captions are
  left out, as in the baselines);
* every query set is derived deterministically (seed 13);
* metrics are computed on the top 10, with binary relevance, counting only
  relevant ids that are in the indexed corpus (the vietnews judgments name
  documents of splits we do not index).

>>> m = query_metrics(["x", "a", "y", "b"], relevant=["a", "b"])
>>> m["rr"], m["recall"], round(m["ndcg"], 4), m["s1"], m["s10"]
(0.5, 1.0, 0.6509, 0.0, 1.0)
"""

from __future__ import annotations

import gzip
import json
import math
import os
import random
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from unidecode import unidecode

# The data sets sit beside the repository (../shared/data), as in CI.
DATA_DIR = Path(os.environ.get("VN_SEARCH_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))

MDS_DOCS = DATA_DIR / "vietnamese-mds-200" / "docs.jsonl.gz"
MDS_QUERIES = DATA_DIR / "vietnamese-mds-200" / "eval-cluster-queries.jsonl.gz"
BAOMOI_DOCS = DATA_DIR / "baomoi-vinews-2017" / "baomoi.jsonl.gz"
VIETNEWS_TEST_DOCS = DATA_DIR / "vietnews" / "test.jsonl.gz"
VIETNEWS_SAMPLE_DOCS = DATA_DIR / "vietnews" / "sample-test-1000.with_seg.jsonl.gz"
KI_QUERIES = DATA_DIR / "vietnews" / "eval-test-queries.jsonl.gz"

# Corpus C of baselines.md: 628 MDS + 35,317 baomoi + 22,498 vietnews-test.
CORPUS_C = [MDS_DOCS, BAOMOI_DOCS, VIETNEWS_TEST_DOCS]
CORPUS_C_SIZE = 58_443
# --quick: the MDS docs plus the first 1,000 vietnews-test docs, so that
# known-item queries whose target is among those 1,000 can still be asked.
CORPUS_QUICK = [MDS_DOCS, VIETNEWS_SAMPLE_DOCS]

SEED = 13
TOP_K = 10
WORD = re.compile(r"\w+")


# --- corpora ---------------------------------------------------------------

def iter_jsonl(path: Path) -> Iterator[dict]:
    """Records of a gzip JSONL file; errors name the file and line."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number}: not a JSON object ({error})") from None


def document_text(record: dict) -> str:
    """The searchable text of an article, as the baselines indexed it (NFC)."""
    parts = (record.get("title") or "", record.get("summary") or "", record.get("body") or "")
    return unicodedata.normalize("NFC", "\n".join(parts))


def corpus_ids(paths: Iterable[Path]) -> list[str]:
    """Document ids of a corpus, in file order, checking they are unique."""
    ids: list[str] = []
    seen: set[str] = set()
    for path in paths:
        for record in iter_jsonl(path):
            doc_id = record["id"]
            if doc_id in seen:
                raise ValueError(f"{path}: duplicate document id {doc_id!r}")
            seen.add(doc_id)
            ids.append(doc_id)
    return ids


def write_jsonl(path: Path, records: Iterable[dict]) -> Path:
    """Records as a plain JSONL file, the input ``vn-search index`` reads."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as stream:
        for record in records:
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


# --- queries ---------------------------------------------------------------

@dataclass(frozen=True)
class Query:
    qid: str
    text: str
    relevant: tuple[str, ...]  # only ids present in the indexed corpus


@dataclass
class QuerySet:
    name: str
    description: str
    queries: list[Query]
    dropped: int = 0  # queries with no relevant document in the corpus
    notes: dict = field(default_factory=dict)


def _in_corpus(relevant: Iterable[str], known_ids: set[str]) -> tuple[str, ...]:
    return tuple(doc_id for doc_id in relevant if doc_id in known_ids)


def _query_set(name: str, description: str, raw: Iterable[tuple[str, str, Iterable[str]]],
               known_ids: set[str]) -> QuerySet:
    queries, dropped = [], 0
    for qid, text, relevant in raw:
        judged = _in_corpus(relevant, known_ids)
        if judged:
            queries.append(Query(qid, text, judged))
        else:
            dropped += 1
    return QuerySet(name, description, queries, dropped)


def load_mds_labels() -> list[dict]:
    return list(iter_jsonl(MDS_QUERIES))


# Curly quotes are typographic in the labels, but unidecode turns “ ” into a
# straight " - query syntax for a phrase in most engines (and in Whoosh). So
# an unaccented query would silently become a phrase query its accented twin
# is not ("Vu "mat duong phat no" o Sai Gon"). We drop the curly quotes (and
# guillemets) before transliterating; straight quotes the user typed are kept,
# because the accented query has them too. The unaccented set then differs
# from the typed one in diacritics only.
_TYPOGRAPHIC_QUOTES = str.maketrans({c: " " for c in "“”„‟‘’‚‛«»‹›"})
_SPACES = re.compile(r"\s+")


def unaccent(text: str) -> str:
    """Every diacritic removed, as a user without a Vietnamese keyboard types.

    >>> unaccent("Vụ “mặt đường phát nổ” ở Sài Gòn")
    'Vu mat duong phat no o Sai Gon'
    """
    plain = unidecode(unicodedata.normalize("NFC", text).translate(_TYPOGRAPHIC_QUOTES))
    return _SPACES.sub(" ", plain).strip()


# The other tone placement for oa/oe/uy at the end of a syllable: the mark
# moves from the first vowel to the last (hòa→hoà, thúy→thuý, khỏe→khoẻ,
# ủy→uỷ), the style vietnews is written in. Matched in NFD so that case and
# the five tone marks need no table; the vowel must carry nothing but the
# tone (no ô/ơ/ư), and nothing may follow the pair inside the word.
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_MOVABLE_TONE = re.compile(
    rf"(?:([oO])([{_TONE_MARKS}])([aAeE])|([uU])([{_TONE_MARKS}])([yY]))(?![\w\u0300-\u036f])"
)


def _move_tone(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1) + match.group(3) + match.group(2)
    return match.group(4) + match.group(6) + match.group(5)


def other_tone_placement(text: str) -> str:
    """Rewrite ``hòa``-style syllables as ``hoà`` (result in NFC).

    >>> other_tone_placement("Hòa bình, thúy khỏe, Ủy ban; quý, hoàng")
    'Hoà bình, thuý khoẻ, Uỷ ban; quý, hoàng'
    """
    nfd = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _MOVABLE_TONE.sub(_move_tone, nfd))


def mds_query_sets(known_ids: set[str]) -> dict[str, QuerySet]:
    """The MDS label sets: as typed, unaccented, and the two encoding variants."""
    labels = load_mds_labels()

    def derive(name: str, description: str, rewrite) -> QuerySet:
        raw = [(r["qid"], rewrite(r["query"]), r["relevant"]) for r in labels]
        return _query_set(name, description, raw, known_ids)

    other_tone = derive("mds-variants-tone", "MDS labels, hòa→hoà tone placement (NFC)",
                        other_tone_placement)
    nfd = derive("mds-variants-nfd", "MDS labels as typed, decomposed to NFD",
                 lambda q: unicodedata.normalize("NFD", q))
    typed = {r["qid"]: r["query"] for r in labels}
    other_tone.notes["changed_by_tone_rewrite"] = sum(
        q.text != typed[q.qid] for q in other_tone.queries)
    nfd.notes["changed_vs_typed"] = sum(q.text != typed[q.qid] for q in nfd.queries)
    return {
        "mds": derive("mds", "199 MDS cluster labels as typed", lambda q: q),
        "mds-unaccented": derive("mds-unaccented", "MDS labels through unidecode, curly quotes dropped",
                                 unaccent),
        "mds-variants-tone": other_tone,
        "mds-variants-nfd": nfd,
    }


def sample_title_words(title: str, rng: random.Random, k: int = 4) -> str:
    """``k`` random ``\\w+`` words of a title, kept in title order."""
    words = WORD.findall(title)
    if len(words) <= k:
        return " ".join(words)
    keep = sorted(rng.sample(range(len(words)), k))
    return " ".join(words[i] for i in keep)


def known_item_query_sets(known_ids: set[str], n: int) -> dict[str, QuerySet]:
    """R3w of the baselines: 4 title syllables per known-item query.

    The records are drawn with ``random.Random(13).sample`` over the list of
    queries whose target is indexed (for corpus C that is every one of the
    22,498, so the draw is the baselines' own). A second ``Random(13)`` then
    picks the words, one generator for the whole run, in draw order. Titles
    are NFC-normalised first: in NFD, ``\\w+`` would split words at their
    combining marks.
    """
    records = [r for r in iter_jsonl(KI_QUERIES) if r["target"] in known_ids]
    drawn = random.Random(SEED).sample(records, min(n, len(records)))
    word_rng = random.Random(SEED)
    raw = [(r["qid"], sample_title_words(unicodedata.normalize("NFC", r["query_title"]), word_rng),
            r["relevant"]) for r in drawn]
    accented = _query_set("ki4w", f"{len(drawn)} vietnews titles cut to 4 random syllables", raw,
                          known_ids)
    unaccented = QuerySet(
        "ki4w-unaccented", "the ki4w queries through unidecode",
        [Query(q.qid, unaccent(q.text), q.relevant) for q in accented.queries], accented.dropped)
    accented.notes["eligible_records"] = unaccented.notes["eligible_records"] = len(records)
    return {"ki4w": accented, "ki4w-unaccented": unaccented}


# --- metrics ---------------------------------------------------------------

def query_metrics(ranked_ids: Sequence[str], relevant: Iterable[str], k: int = TOP_K) -> dict:
    """RR@k, Recall@k, binary nDCG@k, Success@1 and Success@k of one ranking.

    A document id repeated in the ranking counts once, at its first rank.
    """
    relevant = set(relevant)
    if not relevant:
        raise ValueError("a query needs at least one relevant document")
    top: list[str] = []
    for doc_id in ranked_ids:
        if doc_id not in top:
            top.append(doc_id)
        if len(top) == k:
            break
    ranks = [rank for rank, doc_id in enumerate(top, 1) if doc_id in relevant]
    dcg = sum(1 / math.log2(rank + 1) for rank in ranks)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(relevant), k) + 1))
    return {
        "rr": 1 / ranks[0] if ranks else 0.0,
        "recall": len(ranks) / len(relevant),
        "ndcg": dcg / ideal,
        "s1": 1.0 if ranks and ranks[0] == 1 else 0.0,
        "s10": 1.0 if ranks else 0.0,
    }


def mean_metrics(per_query: Sequence[dict]) -> dict:
    """Means over queries of the metrics of :func:`query_metrics`."""
    keys = ("rr", "recall", "ndcg", "s1", "s10")
    if not per_query:
        return {key: float("nan") for key in keys}
    return {key: sum(m[key] for m in per_query) / len(per_query) for key in keys}
