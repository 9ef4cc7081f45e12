"""'Có phải bạn muốn tìm': accents restored and typos corrected from the
index's own vocabulary; short syllables are never 'corrected'."""

import pytest
from conftest import NEWS, write_jsonl

from vn_search import SearchEngine, sample_path
from vn_search.suggest import Suggester


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    folder = tmp_path_factory.mktemp("suggest")
    engine = SearchEngine(folder / "index")
    engine.index([sample_path(), write_jsonl(folder / "news.jsonl", NEWS)])
    return engine


def suggester(engine) -> Suggester:
    generation = engine._current()
    reader, _ = generation.reader()
    return Suggester(reader, generation.accent_model())


def test_unaccented_query_gets_the_accented_suggestion(engine):
    assert suggester(engine).suggest("luan chuyen can bo") == "luân chuyển cán bộ"


def test_a_query_that_matches_well_gets_no_suggestion(engine):
    # Every word found, in the article a reader wants: nothing to suggest.
    results = engine.search("luan chuyen can bo")
    assert results.hits[0].id == "bac-ha-luan-chuyen-can-bo"
    assert results.suggestion is None and results.searched is None


def test_accented_query_gets_no_suggestion(engine):
    assert engine.search("luân chuyển cán bộ").suggestion is None


def test_capitals_are_kept(engine):
    assert suggester(engine).suggest("Bac Ha") == "Bắc Hà"


def test_one_letter_typo_in_a_long_word_is_corrected(engine):
    results = engine.search("Campuchiaa")
    assert results.suggestion == "Campuchia"
    assert results.hits and results.hits[0].id == "vn-001"  # found through the correction


def test_typo_inside_a_two_syllable_word(engine):
    results = engine.search("bieu tihn")
    assert results.suggestion == "biểu tình"
    assert results.hits[0].id == "vn-001"


def test_short_syllables_are_never_corrected(engine):
    # "chò" is a real word next to "chó": a 4-letter syllable is left alone.
    results = engine.search("chò")
    assert results.suggestion is None or "chò" in results.suggestion.lower()
    assert engine.search("xas").suggestion is None
