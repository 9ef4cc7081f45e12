"""Module names that indexes written by earlier versions refer to.

Whoosh pickles an index's schema and segment list into its table of
contents, naming our classes by module: ``vn_search.codec.VnCodec``,
``vn_search.positions.CompactPositions`` and
``vn_search.schema.{PreAnalyzedText,CompactPositions}``, where they lived
before the storage layer had a package of its own. Those indexes hold the
same bytes as today's (the move changed no format), so rather than asking
every user to rebuild, the old module names resolve to the modules that
now hold the classes: registered as aliases of our own modules when the
storage package is imported (nothing outside ``vn_search`` is touched),
and ``vn_search.schema`` answers the two class names itself. A future
``ANALYSIS_VERSION`` bump makes such indexes rebuild; these aliases can go then.
"""

from __future__ import annotations

import sys

from vn_search.storage import codec, positions

__all__ = ["MOVED_MODULES", "register_moved_modules"]

MOVED_MODULES = {"vn_search.codec": codec, "vn_search.positions": positions}


def register_moved_modules() -> None:
    """Let an old index's table of contents find ``vn_search.codec`` and
    ``vn_search.positions`` (idempotent)."""
    for name, module in MOVED_MODULES.items():
        sys.modules.setdefault(name, module)
