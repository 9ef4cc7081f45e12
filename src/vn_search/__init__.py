"""vn-search: full-text search for Vietnamese news.

    >>> from vn_search import SearchEngine, sample_path
    >>> engine = SearchEngine("index")
    >>> engine.index([sample_path()])                 # doctest: +SKIP
    >>> engine.search("luan chuyen can bo").total     # doctest: +SKIP
"""

import warnings as _warnings
from pathlib import Path as _Path

# Whoosh 2.7 has invalid escape sequences and an `is` with a literal that
# warn when its modules are first compiled (SyntaxWarning on Python 3.12+):
# silenced while they load, and only then, so that the host application's
# own warnings stay as it set them. (pyvi is loaded the same way, in
# analysis/pyvi_fast.py.)
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore", SyntaxWarning)
    _warnings.simplefilter("ignore", DeprecationWarning)
    from vn_search.engine import SearchEngine
    from vn_search.errors import (
        AddressInUseError,
        IndexBusyError,
        IndexMissingError,
        IndexVersionError,
        NothingToIndexError,
        VnSearchError,
    )
from vn_search.results import Hit, IndexStats, SearchResults, StoredDocument

__all__ = [
    "SearchEngine",
    "SearchResults",
    "Hit",
    "StoredDocument",
    "IndexStats",
    "VnSearchError",
    "IndexMissingError",
    "IndexVersionError",
    "IndexBusyError",
    "NothingToIndexError",
    "AddressInUseError",
    "sample_path",
]
__version__ = "0.1.0"


def sample_path() -> _Path:
    """The bundled sample corpus (a crawled news page) shipped in the package."""
    return _Path(__file__).parent / "sample"
