"""What the index holds for each article, whatever stores it.

Every article and related item is one document: ``id`` (unique),
``kind`` (article or related), ``source``, ``category`` and ``published``
(filters and date order), the display values (``headline``, ``url``,
``parents`` and ``content``: summary, paragraphs, captions, kicker,
related ids) and three text fields, each searched twice: as written
(``title``, ``summary``, ``body``) and folded without accents, with
positions (``title_f``, ...). How the embedded index stores them is
``storage/schema.py``; the OpenSearch mapping is ``backends/opensearch.py``.
"""

from __future__ import annotations

__all__ = ["ANALYSIS_VERSION", "FILTER_FIELDS", "TEXT_FIELDS"]

# Bump whenever analysis or schema changes what terms a document produces:
# an index built by another version must be rebuilt, and says so.
ANALYSIS_VERSION = 5

TEXT_FIELDS = ("title", "summary", "body")
# Fields a search can be restricted to by an exact value.
FILTER_FIELDS = ("kind", "source", "category")


def __getattr__(name: str):
    """Field classes that indexes written before ``storage/`` existed name
    here: Whoosh pickles the schema into an index's table of contents, so
    opening one looks them up by this module's name (see ``storage/legacy.py``)."""
    if name in ("PreAnalyzedText", "CompactPositions"):
        from vn_search.storage import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
