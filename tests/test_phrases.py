"""Quoted phrases matched with numpy find exactly the documents Whoosh's
own phrase matcher finds, on real Vietnamese text: across the three text
fields, over several segments (with deleted documents, which the scorer
masks), inline and block postings, repeated syllables, a phrase that spans
a sentence break, and phrases found nowhere."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NEWS, write_jsonl
from whoosh import index as whoosh_index
from whoosh import query as wq

from bench.datagen import news_articles

from vn_search import SearchEngine, sample_path
from vn_search.analysis.terms import fold_term
from vn_search.phrases import Occurrences, phrase_documents
from vn_search.schema import TEXT_FIELDS

PHRASES = [
    "Hà Nội", "Lào Cai", "cán bộ", "biểu tình", "giá vàng", "hòa giải viên", "Sa Pa",
    "Phnom Penh", "đối lập Campuchia", "ba ngày", "tập huấn kỹ năng", "Campuchia Campuchia",
    "Bộ Y tế khuyến cáo", "chìa khóa Bộ", "xin chào thế giới", "5.000",
]


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    work = tmp_path_factory.mktemp("phrases")
    engine = SearchEngine(work / "index")
    engine.index([write_jsonl(work / "news.jsonl", NEWS), sample_path()])
    engine.index([write_jsonl(work / "more.jsonl", news_articles(300, seed=3, prefix="pl"))])  # a second segment
    # Replacing articles leaves their old copies in the segments, deleted.
    engine.index([write_jsonl(work / "again.jsonl", news_articles(40, seed=4, prefix="pl") + NEWS[:2])])
    generation = engine._current()
    reader, _ = generation.reader()
    assert reader.has_deletions()
    with whoosh_index.open_dir(str(generation.path)).searcher() as searcher:
        yield reader, searcher


@pytest.mark.parametrize("phrase", PHRASES)
def test_numpy_phrases_match_whoosh_phrases(reader, phrase):
    reader, searcher = reader
    syllables = [fold_term(s.lower()) for s in phrase.replace(".", " ").split()] if phrase != "5.000" else ["5.000"]
    expected, found = set(), set()
    for name in TEXT_FIELDS:
        field = name + "_f"
        query = wq.Phrase(field, syllables) if len(syllables) > 1 else wq.Term(field, syllables[0])
        expected |= set(searcher.docs_for_query(query))
        found |= set(phrase_documents([reader.occurrences(field, s) for s in syllables]).tolist())
    live = {docnum for docnum in found if not reader.is_deleted(docnum)}
    assert live == expected
    if phrase in ("Hà Nội", "Lào Cai", "cán bộ", "Bộ Y tế khuyến cáo", "chìa khóa Bộ"):
        assert expected, phrase


def test_phrase_of_nothing_and_of_unknown_syllables():
    assert phrase_documents([]).tolist() == []
    empty = Occurrences.empty()
    some = Occurrences(np.array([2, 2]), np.array([0, 1]))
    assert phrase_documents([some, empty]).tolist() == []
    assert phrase_documents([some, some]).tolist() == [2]  # "x x" at positions 0 and 1
