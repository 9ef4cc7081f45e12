"""More like this: the articles on the same subject as one article.

An article's subject is in the words it uses more than other articles do:
its most distinctive words by tf-idf (a word of the headline counts three
times, of the lead twice), e.g. for a story on a Cambodian protest
``campuchia``, ``biểu_tình``, ``phnom_penh``, ``hun_sen``. Those words are
scored against the index as one query by the engine's own BM25F
(``scoring.py``), so an article holding more of them, and in its headline,
ranks higher. Only articles count (not the related-item teasers), never
the article itself, nor a copy of it (the same headline republished).

A hit must score at least ``MIN_SHARE`` of what the article scores against
its own words, and hold two of them at least: a subject no other article
shares gives no list rather than a list of whatever holds one of its words.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable

import numpy as np

from vn_search.analysis.segment import segment_terms
from vn_search.analysis.terms import JOINER
from vn_search.query import FIELD_WEIGHTS, ScoringPlan, ScoringTerm, TermGroup

__all__ = ["distinctive_words", "similarity_plan", "similar_documents", "MIN_SHARE", "WORDS_USED"]

# Tuned on corpus C's MDS articles (every other cluster: 315 articles, 2-5
# per same-event cluster), cluster mates among the 5 shown, recall and the
# share of shown that are mates: 8 words 0.751 / 0.456, 12 words 0.785 /
# 0.488, 20 words 0.799 / 0.524. MIN_SHARE 0.2 instead of 0.15 shows fewer,
# better (0.749 / 0.650), but no list at all for 22 of the 315 articles.
WORDS_USED = 20
# Field weights for counting an article's own words.
_COUNT_WEIGHTS = {"title": 3.0, "summary": 2.0, "body": 1.0}
# The body is read up to this many characters: the subject is set early,
# and a long article's tail is mostly quotes and detail.
MAX_BODY_CHARS = 4000
# A word in more than this share of the articles names no subject (in a
# small index, more than COMMON_FLOOR articles: there a share says little).
MAX_DOCUMENT_SHARE = 0.05
COMMON_FLOOR = 5
MIN_SHARE = 0.15
# ... and hold at least this many of its distinctive words: one shared
# word ("cao" of "giờ cao điểm" and of "năng suất cao") is no subject.
MIN_SHARED_WORDS = 2
_CANDIDATES = 4  # read this many times ``limit`` best candidates, then drop teasers and copies


def _texts(stored: dict) -> dict[str, str]:
    content = stored.get("content") or {}
    body = "\n".join(content.get("paragraphs") or [])[:MAX_BODY_CHARS]
    return {"title": stored.get("headline") or "", "summary": content.get("summary") or "", "body": body}


def distinctive_words(
    stored: dict, document_frequency: Callable[[str], int], documents: int, limit: int = WORDS_USED,
) -> list[tuple[str, float]]:
    """The article's ``limit`` most distinctive words (pyvi words, lowercase,
    syllables joined by ``_``) with their tf-idf weights, highest first.
    ``document_frequency`` counts the articles that hold a word (in the
    field that holds it most often)."""
    counts: Counter[str] = Counter()
    for name, text in _texts(stored).items():
        for word in segment_terms(text) if text else ():
            if word is not None and all(syllable.isalpha() for syllable in word):
                counts[JOINER.join(word)] += _COUNT_WEIGHTS[name]
    weighted = []
    for word, count in counts.items():
        frequency = document_frequency(word)
        # One article (this one) says nothing about a subject; a very
        # common word says nothing either.
        if frequency < 2 or frequency >= documents or frequency > max(MAX_DOCUMENT_SHARE * documents, COMMON_FLOOR):
            continue
        weighted.append((word, (1.0 + math.log(count)) * math.log(documents / frequency)))
    weighted.sort(key=lambda pair: (-pair[1], pair[0]))
    return weighted[:limit]


def similarity_plan(words: list[tuple[str, float]]) -> ScoringPlan:
    """A scoring plan of weighted words, matched as written (exact fields)."""
    plan = ScoringPlan()
    top = words[0][1] if words else 1.0
    for word, weight in words:
        share = weight / top
        terms = [ScoringTerm(name, word, field_weight * share) for name, field_weight in FIELD_WEIGHTS.items()]
        plan.groups.append(TermGroup(terms, counts=True, common_probe=ScoringTerm("body", word, 1.0)))
    return plan


def _frequency(scorer, word: str) -> int:
    """The articles holding a word, in the field that holds it most (a
    lower bound: a word of headlines is not always in bodies)."""
    return max(scorer.document_frequency(name, word) for name in FIELD_WEIGHTS)


def similar_documents(
    stored: dict, docnum: int, scorer, stored_fields: Callable[[int], dict], limit: int,
) -> list[tuple[dict, float]]:
    """Up to ``limit`` (stored fields, score) of the articles most like
    the one stored at ``docnum``, best first."""
    words = distinctive_words(stored, lambda word: _frequency(scorer, word), scorer.stats.live_count)
    if len(words) < MIN_SHARED_WORDS:
        return []
    scores, _ = scorer.ranking_scores(similarity_plan(words))
    own = float(scores[docnum])
    scores[docnum] = 0.0
    scores[~scorer.stats.live] = 0.0
    floor = MIN_SHARE * own
    wanted = min(len(scores), limit * _CANDIDATES)
    best = np.argpartition(-scores, wanted - 1)[:wanted] if len(scores) > wanted else np.arange(len(scores))
    best = best[np.argsort(-scores[best], kind="stable")]
    best = best[scorer.words_held([word for word, _ in words], best) >= MIN_SHARED_WORDS]
    headline = (stored.get("headline") or "").strip().lower()
    found: list[tuple[dict, float]] = []
    seen_headlines = {headline}
    for candidate in best:
        score = float(scores[candidate])
        if score <= 0 or score < floor or len(found) >= limit:
            break
        fields = stored_fields(int(candidate))
        title = (fields.get("headline") or "").strip().lower()
        if fields.get("kind", "article") != "article" or title in seen_headlines:
            continue
        seen_headlines.add(title)
        found.append((fields, score))
    return found
