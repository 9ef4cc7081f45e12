"""The Whoosh schema: how each field of ``vn_search.schema`` is stored.

Text fields come in pairs (see ``analysis/terms.py``): ``title`` holds the
exact syllables and pyvi words (frequencies only), ``title_f`` the folded
syllables and bigrams with positions (phrase queries are folded);
likewise ``summary``/``summary_f`` and ``body``/``body_f``, except that
``body_f`` keeps only the bigrams inside pyvi words. Their
terms are computed outside Whoosh (in worker processes), so these fields
take pre-analysed postings (encoded by ``positions.py``) instead of
running an analyzer.

The display text (summary, paragraphs, captions, kicker, related ids) is
stored as one plain dict, ``content``: the index needs it for snippets and
the article page, never for matching. The codec compresses each
document's stored record as a whole (``stored_column.py``); text
compressed again inside it would only grow (Whoosh pickles bytes with
protocol 2, which spells every byte above 127 in two).
"""

from __future__ import annotations

from typing import Iterator

from whoosh import fields
from whoosh.analysis import SpaceSeparatedTokenizer
from whoosh.formats import Existence

from vn_search.schema import TEXT_FIELDS
from vn_search.storage.positions import CompactPositions, encode_postings

__all__ = ["PreAnalyzedText", "build_schema", "encode_document"]


class PreAnalyzedText(fields.TEXT):
    """A TEXT field that indexes postings computed elsewhere.

    Given a list (the output of :func:`vn_search.storage.positions.encode_postings`)
    it yields it as is; given a string (e.g. from Whoosh tooling) it falls
    back to splitting on spaces, so the field still behaves as a normal text
    field. Without ``positions`` postings carry only the term frequency, as
    their weight.
    """

    def __init__(self, positions: bool = True) -> None:
        super().__init__(analyzer=SpaceSeparatedTokenizer(), phrase=positions, stored=False)
        self.format = CompactPositions(field_boost=1.0) if positions else Existence(field_boost=1.0)

    def index(self, value, **kwargs) -> Iterator[tuple[bytes, int, float, bytes]]:
        if isinstance(value, list) and (not value or isinstance(value[0], tuple)):
            return iter(value)
        return super().index(value, **kwargs)


def build_schema() -> fields.Schema:
    text_fields = {}
    for name in TEXT_FIELDS:
        text_fields[name] = PreAnalyzedText(positions=False)
        text_fields[name + "_f"] = PreAnalyzedText(positions=True)
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        kind=fields.ID(stored=True),
        source=fields.ID(stored=True),
        category=fields.ID(stored=True),
        published=fields.DATETIME(stored=True, sortable=True),
        headline=fields.STORED(),
        url=fields.STORED(),
        parents=fields.STORED(),
        content=fields.STORED(),
        **text_fields,
    )


def encode_document(fields: dict) -> dict:
    """A document's fields as Whoosh's writer takes them: the analysed
    text fields (``{term: [positions]}`` maps) encoded as postings, exact
    fields with frequencies only, folded ones with positions; the rest as
    they are."""
    encoded = dict(fields)
    for name in TEXT_FIELDS:
        encoded[name] = encode_postings(fields.get(name) or {}, positions=False)
        encoded[name + "_f"] = encode_postings(fields.get(name + "_f") or {})
    return encoded
