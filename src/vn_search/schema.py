"""What the index stores and how each field is searched.

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

# Whoosh's table of contents pickles the schema, so an index refers to the
# field format by this module's name (``vn_search.schema.CompactPositions``)
# in indexes written before the codec moved to ``positions.py``: keep the name
# importable here until the next ANALYSIS_VERSION bump makes them rebuild.
from vn_search.positions import CompactPositions

__all__ = [
    "ANALYSIS_VERSION",
    "TEXT_FIELDS",
    "build_schema",
]

# Bump whenever analysis or schema changes what terms a document produces:
# an index built by another version must be rebuilt, and says so.
ANALYSIS_VERSION = 5

TEXT_FIELDS = ("title", "summary", "body")


class PreAnalyzedText(fields.TEXT):
    """A TEXT field that indexes postings computed elsewhere.

    Given a list (the output of :func:`vn_search.positions.encode_postings`)
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
