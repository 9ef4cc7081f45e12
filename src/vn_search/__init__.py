"""vn-search: full-text search for Vietnamese news.

    >>> from vn_search import SearchEngine, sample_path
    >>> engine = SearchEngine("index")
    >>> engine.index([sample_path()])                 # doctest: +SKIP
    >>> engine.search("luan chuyen can bo").total     # doctest: +SKIP
"""

import warnings as _warnings
from pathlib import Path as _Path

# Whoosh 2.7 and pyvi 0.1.1 have invalid escape sequences that warn when
# their modules are first compiled (SyntaxWarning on Python 3.12+).
_warnings.filterwarnings("ignore", category=SyntaxWarning, module=r"whoosh(\..*)?|pyvi(\..*)?")
_warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"whoosh(\..*)?|pyvi(\..*)?")
_warnings.filterwarnings("ignore", message="invalid escape sequence", category=SyntaxWarning)
_warnings.filterwarnings("ignore", message="invalid escape sequence", category=DeprecationWarning)
_warnings.filterwarnings("ignore", message='"is" with a literal', category=SyntaxWarning)

from vn_search.engine import SearchEngine  # noqa: E402
from vn_search.errors import (  # noqa: E402
    AddressInUseError,
    IndexBusyError,
    IndexMissingError,
    IndexVersionError,
    NothingToIndexError,
    VnSearchError,
)
from vn_search.results import Hit, IndexStats, SearchResults, StoredDocument  # noqa: E402

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
