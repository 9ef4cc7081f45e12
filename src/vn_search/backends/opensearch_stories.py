"""Same story, one result, on the cluster: the embedded index's stories
(``stories.py``) kept as a field of every document.

The articles' signatures (computed by the same analysis, kept in the meta
index between loads: ``opensearch_meta.py``) are grouped exactly as the
embedded indexer groups them (``stories.group``), and each article of a
story of several gets the id of the story's first article as its
``story`` (an article alone: its own id). A rebuild holds its articles in a
spool file (:class:`BodySpool`) until every signature is read, then sends
each once with its story. An update sends its documents as they are
analysed and writes again, whole, only the documents whose story changed
(a few): a partial update would re-index a document from its ``_source``,
which does not keep the analysed text. Those come from the spool, or an
earlier document is analysed again from its stored text
(:func:`reanalysed`). A search then collapses its hits on ``story`` (one
hit per story, the best first), counts stories with a ``cardinality``
aggregation, and asks for the other reports of the page's stories in the
same round trip as the page's documents (:func:`same_story_request`).
"""

from __future__ import annotations

import json
import tempfile
import zlib
from datetime import datetime
from typing import Callable, Iterable, Iterator

from vn_search.documents import RELATED, NewsDocument
from vn_search.stories import MAX_SAME_STORY, Signatures, group_and_relate

__all__ = ["BodySpool", "MAX_SAME_STORY", "STORY_FIELD", "reanalysed", "relabel", "same_story_from",
           "same_story_request", "story_labels"]

STORY_FIELD = "story"
# What a line under a hit shows of another report of its story (``StoryArticle``):
# not the body, which made the page's request carry ten articles a story.
MATE_FIELDS = ("id", "headline", "source", "published", "url")
_UPDATE_CHUNK = 1000


def story_labels(signatures: Signatures) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each grouped article's story, as the id of the story's first article
    in ``signatures`` (earlier loads' articles come first, so a story keeps
    its label as it grows; articles alone are left out: their label is
    their own id); and each article's related reports (``stories.RELATED``:
    the same event, too unlike to be one story), both ways, which a search
    lets into its set beside its best results (``Scorer._related_to_best``)."""
    labels, (first, second) = group_and_relate(signatures)
    ids = signatures.ids
    members: dict[int, int] = {}
    for label in labels.tolist():
        members[label] = members.get(label, 0) + 1
    related: dict[str, list[str]] = {}
    for a, b in zip(first.tolist(), second.tolist()):
        related.setdefault(ids[a], []).append(ids[b])
        related.setdefault(ids[b], []).append(ids[a])
    return {ids[i]: ids[label] for i, label in enumerate(labels.tolist()) if members[label] > 1}, related


class BodySpool:
    """The articles' bodies one load sent, on disk (a temporary file,
    compressed), by id: a document whose story is known only once every
    article is read is sent again from here, without analysing it twice.
    Related items are never grouped: they are not kept."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._where: dict[str, tuple[int, int]] = {}

    def add(self, body: dict) -> bool:
        """Keep an article's body (whether it was kept: not a related item's)."""
        if body.get("kind") == RELATED:
            return False
        data = zlib.compress(json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 1)
        self._file.seek(0, 2)
        self._where[body["stored"]["id"]] = (self._file.tell(), len(data))
        self._file.write(data)
        return True

    def items(self) -> Iterator[tuple[str, dict]]:
        """Every kept body with its id, in the order they were added."""
        for doc_id in list(self._where):
            yield doc_id, self.get(doc_id)

    def get(self, doc_id: str) -> dict | None:
        where = self._where.get(doc_id)
        if where is None:
            return None
        self._file.seek(where[0])
        return json.loads(zlib.decompress(self._file.read(where[1])))

    def close(self) -> None:
        self._file.close()


def reanalysed(stored: dict, analyse: Callable[[NewsDocument], dict]) -> dict:
    """The body of an indexed document, analysed again from its stored
    values (``opensearch_document`` is ``analyse``); what is shown stays
    exactly as stored."""
    content = stored.get("content") or {}
    published = stored.get("published")
    doc = NewsDocument(
        id=stored["id"], kind=stored.get("kind", "article"), title=stored.get("headline", ""),
        summary=content.get("summary", ""), paragraphs=list(content.get("paragraphs") or []),
        captions=list(content.get("captions") or []), url=stored.get("url"),
        published=datetime.fromisoformat(published) if published else None, source=stored.get("source"),
        category=stored.get("category"), kicker=content.get("kicker"), parents=list(stored.get("parents") or []))
    body = analyse(doc)
    body["stored"] = stored
    return body


def relabel(index, target: str, labels: dict[str, str], previous: dict[str, str], spool: BodySpool,
            analyse: Callable[[NewsDocument], dict], reloaded: Iterable[str] = ()) -> int:
    """Send again, with its story, every document whose story differs from
    what the index holds: ``previous`` labels, except for the ``reloaded``
    documents, which this load indexed as stories of their own. Bodies
    come from ``spool``, or are analysed again (``analyse``) from the
    stored values. Returns how many documents were sent."""
    reloaded = set(reloaded)
    held = {doc_id: label for doc_id, label in previous.items() if doc_id not in reloaded}
    changed = sorted((doc_id, labels.get(doc_id, doc_id)) for doc_id in set(labels) | set(held)
                     if labels.get(doc_id, doc_id) != held.get(doc_id, doc_id))

    def bodies():
        unspooled = [doc_id for doc_id, _ in changed if spool.get(doc_id) is None]
        stored = {}
        for start in range(0, len(unspooled), _UPDATE_CHUNK):
            answer = index._call(index.client.mget, index=target, body={"ids": unspooled[start:start + _UPDATE_CHUNK]},
                                 _source_includes=["stored"])
            stored.update({doc["_id"]: doc for doc in answer["docs"] if doc.get("found")})
        for doc_id, label in changed:
            body = spool.get(doc_id)
            action = {"_op_type": "index", "_index": target, "_id": doc_id}
            if body is None:
                if doc_id not in stored:
                    continue  # no longer indexed
                body = reanalysed(stored[doc_id]["_source"]["stored"], analyse)
                # Written only if nobody wrote the document since it was read
                # (another indexer loading it now labels it when it merges).
                action.update(if_seq_no=stored[doc_id]["_seq_no"], if_primary_term=stored[doc_id]["_primary_term"])
            body[STORY_FIELD] = label
            yield {**action, "_source": body}

    index._bulk(bodies(), 500, tolerated=frozenset({409}))  # 409: another indexer wrote it since it was read
    return len(changed)


def same_story_request(labels: dict[str, str], allowed: list[dict]) -> dict | None:
    """The search body that finds the other reports of the page's stories
    (``labels``: hit id → its story): those the filters and exclusions
    (``allowed``) let through, at most :data:`MAX_SAME_STORY` a story,
    earliest first, undated last (``OpenSearchEngine._page``). None when no hit
    belongs to a story of several."""
    shared = {doc_id: label for doc_id, label in labels.items() if label is not None}
    if not shared:
        return None
    return {
        "size": len(set(shared.values())),
        "_source": False,
        "query": {"bool": {"filter": allowed + [{"terms": {STORY_FIELD: sorted(set(shared.values()))}}],
                           "must_not": [{"ids": {"values": sorted(shared)}}]}},
        "collapse": {"field": STORY_FIELD, "inner_hits": {
            "name": "mates", "size": MAX_SAME_STORY, "_source": [f"stored.{name}" for name in MATE_FIELDS],
            "sort": [{"published": {"order": "asc", "missing": "_last"}}]}},
    }


def same_story_from(answer: dict) -> dict[str, list[dict]]:
    """The stored values of each story's other reports, by story label,
    from the answer to :func:`same_story_request`."""
    found: dict[str, list[dict]] = {}
    for hit in answer["hits"]["hits"]:
        label = (hit.get("fields") or {}).get(STORY_FIELD, [None])[0]
        mates = hit.get("inner_hits", {}).get("mates", {}).get("hits", {}).get("hits", [])
        if label is not None:
            found[label] = [mate["_source"]["stored"] for mate in mates]
    return found
