"""What indexing learns from the articles, kept in the cluster beside the index.

The embedded index keeps three learned files in each generation: the accent
model (``accents.npz``), the abbreviations the articles define
(``abbreviations.json``) and autocomplete's table (``completions.json``).
On a cluster they live in a small index of their own, named after the
concrete index they belong to (``news-a7-…-meta``): built with it, dropped
with it, and swapped with it by a rebuild, so a reader never pairs one
index's documents with another's accent model, and every machine that
serves the cluster reads the same model. Documents of the meta index:

- ``accents-0`` … ``accents-N``: the ``.npz`` bytes in base64 pieces of
  ``PIECE_BYTES`` (14 MB for corpus C: one document would be 19 MB of JSON);
- ``abbreviations``: ``DefinitionCounts.to_json()``;
- ``completions``: the completion table's entries;
- ``headline_words``: how many headlines hold each pyvi word of two
  syllables or more, so that an incremental load can rebuild the
  completion table without re-analysing what is already indexed;
- ``signatures-0`` … ``signatures-N``: the articles' story signatures
  (``stories.Signatures``, their rarer terms, as ``.npz`` bytes in pieces)
  and ``story_labels``: each grouped article's story, so that an
  incremental load regroups the index and updates only the documents whose
  story changed (``opensearch_stories.py``);
- ``related-0`` … ``related-N``: each article's related reports (the same
  event, too unlike to be one story), by id, as JSON bytes in pieces:
  a search lets them into its set beside its best results.

:class:`Learning` collects all of it from the documents as they are sent
(from their stored, already normalised text: the indexer's own
``_learn_*`` rules, nothing analysed twice).
"""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import tempfile
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import numpy as np

from vn_search.accents import AccentModel
from vn_search.analysis.abbreviation_mining import DefinitionCounts
from vn_search.analysis.abbreviations import AbbreviationTable, Learned, default_table
from vn_search.analysis.terms import JOINER
from vn_search.completion import MIN_HEADLINES, CompletionTable
from vn_search.matching import documents_needed
from vn_search.stories import Signatures

__all__ = ["Learning", "LearnedData", "meta_index_name", "create_meta_index", "learning_lock", "save_learning",
           "load_learning", "load_learned_data", "last_update", "PIECE_BYTES", "LOCK_STALE_SECONDS"]

PIECE_BYTES = 4 * 1024 * 1024
META_SUFFIX = "-meta"
# The same threshold as generations.LEARNED_MIN_COUNT: a definition the
# articles gave this often joins the table.
LEARNED_MIN_COUNT = 3
_LOCK_ID = "learning-lock"
# A lock older than this was left by an indexer that died while merging
# (kill -9, a lost machine): the next one takes it over. A merge of corpus
# C's learning takes well under a minute.
LOCK_STALE_SECONDS = 15 * 60


def meta_index_name(concrete: str) -> str:
    """The meta index of a concrete vn-search index."""
    return concrete + META_SUFFIX


@dataclass
class Learning:
    """What the documents of one load teach: accents, abbreviations,
    headlines, stories (the signatures of the index's articles and how they
    are grouped: ``story_labels``, by the loader)."""

    accents: AccentModel = field(default_factory=AccentModel)
    abbreviations: DefinitionCounts = field(default_factory=DefinitionCounts)
    headline_words: Counter = field(default_factory=Counter)
    headlines: list[str] = field(default_factory=list)
    signatures: Signatures = field(default_factory=Signatures)
    story_labels: dict[str, str] = field(default_factory=dict)
    related: dict[str, list[str]] = field(default_factory=dict)  # by the loader, with story_labels

    def add(self, body: dict, signature: Signatures | None = None) -> None:
        """Learn from one document as ``opensearch_document`` built it
        (``indexer._learn_accents`` and ``_learn_abbreviations`` over the
        same normalised text), and keep its story ``signature``."""
        if signature is not None:
            self.signatures.extend(signature)
        stored = body["stored"]
        content = stored.get("content") or {}
        title, kicker, summary = stored.get("headline") or "", content.get("kicker"), content.get("summary") or ""
        paragraphs = list(content.get("paragraphs") or [])
        self.accents.add_text("\n".join([title, kicker or "", summary, *paragraphs]), normalized=True)
        if stored.get("kind", "article") != "related":
            parts = [title, kicker, summary, *paragraphs, *(content.get("captions") or [])]
            self.abbreviations.add("\n".join(part for part in parts if part))
        if title:
            self.headlines.append(title)
        self.headline_words.update({word for word in body.get("title", "").split() if JOINER in word})

    def merge(self, other: "Learning") -> None:
        """Add what another load learned (its signatures after this one's;
        story labels and headlines are the loader's to recompute)."""
        self.accents.merge(other.accents)
        self.abbreviations.merge(other.abbreviations)
        self.headline_words.update(other.headline_words)
        self.signatures.extend(other.signatures)


@dataclass
class LearnedData:
    """The learned data of one concrete index, as a search reads it."""

    accents: AccentModel | None
    abbreviations: tuple[AbbreviationTable, Learned | None]
    completions: CompletionTable
    headline_words: Counter  # pyvi words of two syllables or more: how many headlines hold each
    updated: str | None  # when the last load finished (ISO 8601, UTC)
    related: dict[str, list[str]] = field(default_factory=dict)  # each article's related reports, by id


def completion_table(headlines, headline_words: Counter, documents: int, capital_share) -> CompletionTable:
    """Autocomplete's table, by ``completion.build_for_index``'s rules."""
    known = [word for word, count in headline_words.items() if count >= documents_needed(2, documents, 5000)]
    return CompletionTable.build(headlines, known_words=known, capital_share=capital_share,
                                 min_count=documents_needed(MIN_HEADLINES, max(1, documents), 2000))


def _model_bytes(model: AccentModel) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accents.npz"
        model.save(path)
        return path.read_bytes()


def _model_from_bytes(data: bytes) -> AccentModel:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "accents.npz"
        path.write_bytes(data)
        return AccentModel.load(path)


def create_meta_index(index, concrete: str) -> None:
    """The meta index of ``concrete``, unless it exists (also when another
    indexer creates it at the same moment)."""
    from opensearchpy.exceptions import RequestError

    name = meta_index_name(concrete)
    if index._call(index.client.indices.exists, index=name):
        return
    try:
        index._call(index.client.indices.create, index=name, body={
            "settings": {"number_of_shards": 1, "auto_expand_replicas": "0-1"},
            "mappings": {"dynamic": False, "properties": {}}})
    except RequestError as error:
        if error.error != "resource_already_exists_exception":
            raise


@contextmanager
def learning_lock(index, concrete: str, poll_seconds: float = 0.5) -> Iterator[None]:
    """Hold the lock on ``concrete``'s learned data: indexers loading one
    index at once (``--part K/N``) load their documents in parallel, then
    merge what they learned one after another (read, add, regroup the
    stories, write), so none overwrites another's. The lock is a document
    of the meta index, created only if absent; a stale one
    (``LOCK_STALE_SECONDS``) is taken over."""
    from opensearchpy.exceptions import ConflictError

    create_meta_index(index, concrete)
    name = meta_index_name(concrete)
    holder = {"holder": f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}", "since": time.time()}
    while True:
        try:
            index._call(index.client.create, index=name, id=_LOCK_ID, body=holder, refresh="true")
            break
        except ConflictError:
            found = index._call(index.client.get, index=name, id=_LOCK_ID, ignore=[404])
            if found.get("found") and time.time() - found["_source"].get("since", 0) > LOCK_STALE_SECONDS:
                # Only the indexer whose delete matches the version it read takes it over.
                index._call(index.client.delete, index=name, id=_LOCK_ID, if_seq_no=found["_seq_no"],
                            if_primary_term=found["_primary_term"], ignore=[404, 409])
                continue
            time.sleep(poll_seconds)
    try:
        yield
    finally:
        found = index._call(index.client.get, index=name, id=_LOCK_ID, ignore=[404])
        if found.get("found") and found["_source"].get("holder") == holder["holder"]:
            index._call(index.client.delete, index=name, id=_LOCK_ID, if_seq_no=found["_seq_no"],
                        if_primary_term=found["_primary_term"], refresh="true", ignore=[404, 409])


def save_learning(index, concrete: str, learning: Learning, headlines, documents: int) -> None:
    """Write ``learning`` to the meta index of ``concrete`` (created if need
    be), replacing what was there; ``headlines`` are all the index's
    headlines (for the completion table), ``documents`` its size."""
    client = index.client
    name = meta_index_name(concrete)
    create_meta_index(index, concrete)
    completions = completion_table(headlines, learning.headline_words, documents, learning.accents.capital_share)
    _put_pieces(index, name, "accents", _model_bytes(learning.accents))
    signatures = io.BytesIO()
    np.savez(signatures, **learning.signatures.uncommon().arrays())  # numpy arrays, no pickle
    _put_pieces(index, name, "signatures", signatures.getvalue())
    _put_pieces(index, name, "related", json.dumps(learning.related, ensure_ascii=False).encode("utf-8"))
    documents_to_write = {"abbreviations": {"data": learning.abbreviations.to_json()}}
    documents_to_write["story_labels"] = {"data": json.dumps(learning.story_labels, ensure_ascii=False)}
    documents_to_write["completions"] = {"data": json.dumps(completions.entries(), ensure_ascii=False)}
    documents_to_write["headline_words"] = {"data": json.dumps(dict(learning.headline_words), ensure_ascii=False)}
    documents_to_write["updated"] = {"data": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}
    for doc_id, body in documents_to_write.items():
        index._call(client.index, index=name, id=doc_id, body=body, request_timeout=120)
    index._call(client.indices.refresh, index=name)


def _put_pieces(index, name: str, key: str, data: bytes) -> None:
    """Bytes as base64 documents ``key-0`` … ``key-N`` of ``PIECE_BYTES``
    (a large JSON document is slow and memory-hungry for the cluster);
    the pieces of a larger value written before are removed."""
    previous_parts = (_get(index, name, f"{key}-0") or {}).get("parts", 0)
    text = base64.b64encode(data).decode("ascii")
    pieces = [text[i:i + PIECE_BYTES] for i in range(0, len(text), PIECE_BYTES)] or [""]
    for i, piece in enumerate(pieces):
        index._call(index.client.index, index=name, id=f"{key}-{i}", body={"data": piece, "parts": len(pieces)},
                    request_timeout=120)
    for i in range(len(pieces), previous_parts):
        index._call(index.client.delete, index=name, id=f"{key}-{i}", ignore=[404])


def _get_pieces(index, name: str, key: str) -> bytes | None:
    """What :func:`_put_pieces` wrote, or None."""
    first = _get(index, name, f"{key}-0")
    if first is None:
        return None
    pieces = [first["data"]] + [(_get(index, name, f"{key}-{i}") or {"data": ""})["data"]
                                for i in range(1, first["parts"])]
    return base64.b64decode("".join(pieces))


def _get(index, name: str, doc_id: str) -> dict | None:
    """A meta document, or None (no such document, or no meta index)."""
    found = index._call(index.client.get, index=name, id=doc_id, ignore=[404])
    return found.get("_source") if found.get("found") else None


def load_learning(index, concrete: str, stories: bool = False) -> Learning | None:
    """The learning stored for ``concrete`` (to extend it), or None when
    the index has none (built by another tool, or before it was kept).
    With ``stories``, the signatures and story labels too (a load needs
    them; a search does not)."""
    name = meta_index_name(concrete)
    data = _get_pieces(index, name, "accents")
    if data is None:
        return None
    model = _model_from_bytes(data)
    abbreviations = _get(index, name, "abbreviations")
    words = _get(index, name, "headline_words")
    signatures, labels = Signatures(), {}
    if stories:
        kept = _get_pieces(index, name, "signatures")
        if kept:
            with np.load(io.BytesIO(kept), allow_pickle=False) as arrays:
                signatures = Signatures.from_arrays(arrays, f"{index.url} {name}/signatures")
        labels = json.loads((_get(index, name, "story_labels") or {"data": "{}"})["data"])
    return Learning(
        accents=model,
        abbreviations=DefinitionCounts.from_json(abbreviations["data"], source=f"{index.url} {name}/abbreviations")
        if abbreviations else DefinitionCounts(),
        headline_words=Counter(json.loads(words["data"])) if words else Counter(),
        signatures=signatures,
        story_labels=labels,
    )


def last_update(index, concrete: str) -> str | None:
    """When a load last finished writing to ``concrete`` (ISO 8601), or None."""
    return (_get(index, meta_index_name(concrete), "updated") or {}).get("data")


def load_learned_data(index, concrete: str) -> LearnedData:
    """What a search reads of the meta index: the accent model, the
    abbreviation table with the definitions the articles gave, and the
    completion table. An index without a meta index searches without them."""
    learning = load_learning(index, concrete)
    completions = _get(index, meta_index_name(concrete), "completions")
    table = CompletionTable([(text, int(count)) for text, count in json.loads(completions["data"])]
                            if completions else [])
    updated = last_update(index, concrete)
    if learning is None:
        return LearnedData(None, (default_table(), None), table, Counter(), updated)
    abbreviations = (default_table().with_learned(learning.abbreviations, min_count=LEARNED_MIN_COUNT),
                     learning.abbreviations.as_learned())
    related = _get_pieces(index, meta_index_name(concrete), "related")
    return LearnedData(learning.accents, abbreviations, table, learning.headline_words, updated,
                       json.loads(related) if related else {})
