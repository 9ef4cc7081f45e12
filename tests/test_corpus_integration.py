"""Real news at scale: ~2,000 articles from ../shared/data, indexed with
the parallel writer, each searched by its own title."""

import gzip
import itertools
import json
import random

import pytest
from conftest import SHARED_DATA

from vn_search import SearchEngine
from vn_search.analysis.fold import fold_text

CORPUS = SHARED_DATA / "vietnews" / "test.jsonl.gz"
MDS = SHARED_DATA / "vietnamese-mds-200" / "docs.jsonl.gz"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus_engine(tmp_path_factory):
    if not CORPUS.exists() or not MDS.exists():
        pytest.skip("../shared/data is not present")
    folder = tmp_path_factory.mktemp("corpus")
    sample = folder / "vietnews-1400.jsonl"
    with gzip.open(CORPUS, "rt", encoding="utf-8") as source, open(sample, "w", encoding="utf-8") as target:
        for line in itertools.islice(source, 1400):
            target.write(line)
    engine = SearchEngine(folder / "index")
    report = engine.index([sample, MDS], workers=2)
    assert report.articles == 1400 + 628 and not report.problems
    return engine, sample


def test_title_search_finds_its_article_first(corpus_engine):
    engine, sample = corpus_engine
    records = [json.loads(line) for line in sample.open(encoding="utf-8")]
    chosen = random.Random(7).sample(records, 40)
    misses = [r["title"] for r in chosen if engine.search(r["title"], per_page=1).hits[0].id != r["id"]]
    assert len(misses) <= 1, misses


def test_unaccented_title_search_finds_its_article(corpus_engine):
    engine, sample = corpus_engine
    records = [json.loads(line) for line in sample.open(encoding="utf-8")]
    chosen = random.Random(11).sample(records, 40)
    found = sum(r["id"] in [h.id for h in engine.search(fold_text(r["title"]), per_page=3).hits] for r in chosen)
    assert found >= 36


def test_mds_cluster_query_accented_and_not(corpus_engine):
    engine, _ = corpus_engine
    cluster = {"mds-12240106", "mds-12241528", "mds-12240586"}
    for query in ("Phe đối lập Campuchia biểu tình", "phe doi lap campuchia bieu tinh"):
        # The three outlets' reports are one story: the first hit and the two listed under it.
        first = engine.search(query, per_page=3).hits[0]
        assert {first.id, *(other.id for other in first.same_story)} == cluster, query
