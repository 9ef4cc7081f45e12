"""Same story, one result: reports of one event from several outlets, and
republished copies, are one hit with the others listed under it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from vn_search import SearchEngine
from vn_search.stories import (
    SIMILAR, STORIES_FILE, Signatures, StoryMap, group, headline_key, signature, similar_pairs,
)
from vn_search.web import create_app

from conftest import write_jsonl

STORIES = Path(__file__).parent / "data" / "same_story.jsonl"
YAGI = {"tt-yagi-1", "vov-yagi-2", "tn-yagi-3", "bm-yagi-copy"}  # one landfall, 7-9-2024, and a copy 12 days on
LATER = "vov-yagi-later"  # a month later: the same storm and places, another event


def records() -> list[dict]:
    return [json.loads(line) for line in STORIES.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> SearchEngine:
    engine = SearchEngine(tmp_path_factory.mktemp("stories"))
    engine.index([STORIES], progress=False)
    return engine


def shown(hit) -> set[str]:
    return {hit.id} | {other.id for other in hit.same_story}


def test_reports_of_one_event_are_one_hit_with_the_others_listed(engine):
    results = engine.search("bão Yagi Quảng Ninh")
    yagi = [hit for hit in results.hits if hit.id in YAGI]
    assert len(yagi) == 1, [hit.id for hit in results.hits]
    assert shown(yagi[0]) == YAGI
    # The lead is the best match; the others are listed earliest first.
    listed = [other.published for other in yagi[0].same_story]
    assert listed == sorted(listed)
    assert {other.source for other in yagi[0].same_story} >= {"vov.vn", "thanhnien.vn"}
    # Counts: every document, in fewer stories; pages count stories.
    assert results.total == 5
    assert results.stories == 2
    assert results.page_count == 1


def test_a_follow_up_a_month_later_is_a_story_of_its_own(engine):
    hits = engine.search("bão Yagi Quảng Ninh").hits
    later = [hit for hit in hits if LATER in shown(hit)]
    assert len(later) == 1 and later[0].id == LATER and not later[0].same_story


def test_unrelated_articles_are_never_grouped(engine):
    for hit in engine.search("Việt Nam").hits:
        ids = shown(hit)
        assert len(ids) == 1 or ids <= YAGI or ids == {"vne-vang-1", "tt-vang-2"}, ids


def test_a_source_filter_shows_that_outlets_article_not_another_lead(engine):
    results = engine.search("bão Yagi", source="thanhnien.vn")
    assert [hit.id for hit in results.hits] == ["tn-yagi-3"]
    assert results.hits[0].same_story == []  # the other outlets are filtered out


def test_a_date_filter_keeps_the_members_inside_the_range(engine):
    results = engine.search("bão Yagi Quảng Ninh", since="2024-09-07", until="2024-09-08")
    (hit,) = results.hits
    assert shown(hit) == YAGI - {"bm-yagi-copy"}


def test_a_phrase_picks_the_lead_and_exclusions_apply_to_the_story_too(engine):
    # Only the Tuổi Trẻ report (and its copy) has the phrase; the story's
    # other reports are still listed under it.
    (hit,) = engine.search('"chằng chống nhà cửa"').hits
    assert hit.id in {"tt-yagi-1", "bm-yagi-copy"} and shown(hit) == YAGI
    # What the reader excluded is never listed.
    for hit in engine.search('bão Yagi Quảng Ninh -"chằng chống"').hits:
        assert not shown(hit) & {"tt-yagi-1", "bm-yagi-copy"}


def test_without_grouping_every_article_is_a_hit(engine):
    results = engine.search("bão Yagi Quảng Ninh", group=False)
    assert {hit.id for hit in results.hits} == YAGI | {LATER}
    assert all(hit.same_story == [] for hit in results.hits)
    assert results.stories is None


def test_date_sort_leads_with_the_newest_article_of_the_story(engine):
    hits = engine.search("bão Yagi Quảng Ninh", sort="date").hits
    assert [hit.id for hit in hits] == [LATER, "bm-yagi-copy"]


def test_an_update_joins_new_reports_to_the_story(tmp_path):
    first, rest = [], []
    for record in records():
        (first if record["id"] in {"tt-yagi-1", "vne-vang-1"} or "yagi" not in record["id"] else rest).append(record)
    engine = SearchEngine(tmp_path / "index")
    engine.index([write_jsonl(tmp_path / "first.jsonl", first)], progress=False)
    assert engine.search("bão Yagi").hits[0].same_story == []
    engine.index([write_jsonl(tmp_path / "rest.jsonl", rest)], progress=False)
    hit = next(hit for hit in engine.search("bão Yagi Quảng Ninh").hits if hit.id in YAGI)
    assert shown(hit) == YAGI
    # An article indexed again (same id) is still one member, not two.
    engine.index([write_jsonl(tmp_path / "again.jsonl", [r for r in rest if r["id"] == "vov-yagi-2"])], progress=False)
    hit = next(hit for hit in engine.search("bão Yagi Quảng Ninh").hits if hit.id in YAGI)
    assert sorted(shown(hit)) == sorted(YAGI) and len(hit.same_story) == 3


def test_an_index_without_stories_shows_every_article_alone(tmp_path):
    engine = SearchEngine(tmp_path / "index")
    engine.index([STORIES], progress=False)
    generation = next(path for path in (tmp_path / "index").iterdir() if (path / STORIES_FILE).exists())
    (generation / STORIES_FILE).unlink()
    results = SearchEngine(tmp_path / "index").search("bão Yagi Quảng Ninh")
    assert len(results.hits) == 5 and all(hit.same_story == [] for hit in results.hits)


def test_the_api_and_the_page_show_the_story(engine):
    client = create_app(engine=engine, TESTING=True).test_client()
    data = client.get("/api/search", query_string={"q": "bão Yagi Quảng Ninh"}).get_json()
    lead = next(hit for hit in data["hits"] if hit["id"] in YAGI)
    assert {other["id"] for other in lead["same_story"]} == YAGI - {lead["id"]}
    assert set(lead["same_story"][0]) == {"id", "title", "source", "published", "url"}
    assert data["stories"] == 2 and data["total"] == 5
    page = client.get("/search", query_string={"q": "bão Yagi Quảng Ninh"}).get_data(as_text=True)
    assert '<details class="same-story">' in page
    assert "3 bài cùng sự kiện" in page
    assert "Siêu bão Yagi vào đất liền Quảng Ninh - Hải Phòng, gió giật cấp 15" in page
    assert "5 kết quả trong 2 sự kiện" in page
    flat = client.get("/api/search", query_string={"q": "bão Yagi Quảng Ninh", "group": "0"}).get_json()
    assert len(flat["hits"]) == 5 and flat["stories"] is None
    assert client.get("/api/search", query_string={"q": "bão", "group": "maybe"}).status_code == 400


def test_the_cli_lists_the_story_under_its_lead(engine):
    from click.testing import CliRunner

    from vn_search.cli import main

    grouped = CliRunner().invoke(main, ["search", "bão Yagi Quảng Ninh", "--index", str(engine.index_dir)])
    assert grouped.exit_code == 0, grouped.output
    assert "5 kết quả trong 2 sự kiện (" in grouped.output
    assert "+ 3 bài cùng sự kiện:" in grouped.output
    assert "- Hạ Long tan hoang sau khi bão Yagi đi qua  (tn-yagi-3  thanhnien.vn  2024-09-07)" in grouped.output
    flat = CliRunner().invoke(main, ["search", "bão Yagi Quảng Ninh", "--index", str(engine.index_dir), "--no-group", "--json"])
    data = json.loads(flat.output)
    assert len(data["hits"]) == 5 and data["stories"] is None


# -- the grouping itself -------------------------------------------------------

def _signatures(*articles: tuple[str, int, list[str]]) -> Signatures:
    """Articles whose headline is their first two words."""
    signatures = Signatures()
    for doc_id, published, words in articles:
        signatures.add(doc_id, published, signature(words[:2], words[2:]), headline_key(" ".join(words[:2])))
    # Background articles, so that the story's words are rare.
    for number in range(30):
        signatures.add(f"other-{number}", 0, signature([f"tin_{number}", "ngày"], [f"chủ_đề_{number}", "hôm_nay"]))
    return signatures


DAY = 24 * 3600
WORDS = ["yagi", "bãi_cháy", "hạ_long", "sơ_tán", "cấp_15", "lồng_bè", "quảng_ninh"]


def test_a_copy_is_grouped_whenever_it_appeared():
    labels = group(_signatures(("a", 100 * DAY, WORDS), ("b", 400 * DAY, WORDS)))
    assert labels[0] == labels[1]
    labels = group(_signatures(("a", 100 * DAY, WORDS), ("b", 0, WORDS)))  # undated
    assert labels[0] == labels[1]


def test_undated_reports_are_grouped_with_their_copies_only():
    # Alike, but with no date nothing says they are about the same day.
    labels = group(_signatures(("a", 0, WORDS), ("b", 0, WORDS[1:] + ["du_lịch"])))
    assert labels[0] != labels[1]


def test_the_same_headline_over_different_news_is_not_a_copy():
    monday = ["giá_vàng", "hôm_nay", "sjc", "tăng", "90_triệu", "doji", "nhẫn_trơn"]
    friday = ["giá_vàng", "hôm_nay", "sjc", "giảm", "fed", "lãi_suất", "usd"]
    labels = group(_signatures(("a", 100 * DAY, monday), ("b", 104 * DAY, friday)))
    assert labels[0] != labels[1]
    assert headline_key("GIÁ VÀNG HÔM NAY!") == headline_key("Giá vàng hôm nay") != headline_key("Giá vàng")


def test_similar_reports_far_apart_in_time_are_not_grouped():
    labels = group(_signatures(("a", 100 * DAY, WORDS), ("b", 130 * DAY, WORDS[:5] + ["du_lịch", "phục_hồi"])))
    assert labels[0] != labels[1]
    labels = group(_signatures(("a", 100 * DAY, WORDS), ("b", 101 * DAY, WORDS[:5] + ["du_lịch", "phục_hồi"])))
    assert labels[0] == labels[1]


def test_a_chain_of_weak_likenesses_is_not_one_story():
    # b is a little like a (a protest in Phnom Penh) and a little like c
    # (a protest in Bangkok); a and c share nothing rare.
    a = ["campuchia", "phnom_penh", "cnrp", "hun_sen", "bầu_cử", "quốc_hội", "sam_rainsy", "cử_tri"]
    b = ["phnom_penh", "bangkok", "cnrp", "hun_sen", "yingluck", "ân_xá", "asean", "hội_nghị"]
    c = ["thái_lan", "bangkok", "yingluck", "ân_xá", "hạ_viện", "thaksin", "áo_vàng", "đảo_chính"]
    # Each word also in older articles, as in a real index: no word is
    # an article's alone.
    older = [(f"old-{n}", 900 * DAY + n * 10 * DAY, [word, f"khác_{n}"]) for n, word in enumerate(sorted(set(a + b + c)))]
    signatures = _signatures(("a", DAY, a), ("b", DAY, b), ("c", DAY, c), *older)
    first, second, cosine, _, _ = similar_pairs(signatures)
    pairs = {(int(x), int(y)): float(v) for x, y, v in zip(first, second, cosine)}
    assert pairs[0, 1] >= SIMILAR and pairs[1, 2] >= SIMILAR and pairs.get((0, 2), 0.0) < SIMILAR / 2
    labels = group(signatures)
    assert not (labels[0] == labels[1] == labels[2])


def test_story_map_leads_and_members():
    stories = StoryMap(np.array([0, 1, 0, 3, 1]))
    assert sorted(stories.members(2).tolist()) == [0, 2]
    ranked = np.array([4, 2, 0, 1, 3])
    assert ranked[stories.first_of_each(ranked)].tolist() == [4, 2, 3]
    assert stories.count(np.array([0, 2, 4])) == 2
    assert StoryMap.alone(3).members(1).tolist() == [1]
