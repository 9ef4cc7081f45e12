"""Where documents come from: crawled text pages and JSONL corpora.

:func:`read_sources` walks files and folders and yields documents and
:class:`~vn_search.documents.InputProblem` objects in reading order, so the
indexer can report problems without stopping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from vn_search.documents import MISSING, InputProblem, NewsDocument
from vn_search.sources.decode import DecodeError, decode_text
from vn_search.sources.jsonl import read_jsonl
from vn_search.sources.pages import parse_page

__all__ = ["read_sources", "source_files"]

_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")
_PAGE_SUFFIXES = (".txt", ".text")
MAX_PAGE_BYTES = 5 * 1024 * 1024


def _is_jsonl(path: Path) -> bool:
    return path.name.lower().endswith(_JSONL_SUFFIXES)


def source_files(paths: Iterable[str | Path]) -> Iterator[Path | InputProblem]:
    """Files to read: named files as given, folders walked in sorted order
    for pages and JSONL files (other files in folders are not ours)."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = False
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith(".") and (
                    _is_jsonl(child) or child.name.lower().endswith(_PAGE_SUFFIXES)
                ):
                    found = True
                    yield child
            if not found:
                yield InputProblem(str(path), None, "folder holds no .txt or .jsonl files")
        elif path.is_file():
            yield path
        else:
            yield InputProblem(str(path), None, MISSING, missing=True)


def _read_page(path: Path) -> Iterator[NewsDocument | InputProblem]:
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            raise DecodeError(f"file too large for a news page ({path.stat().st_size / 1e6:.1f} MB)")
        yield parse_page(decode_text(path.read_bytes()), path)
    except DecodeError as error:
        yield InputProblem(str(path), error.line, error.reason)
    except OSError as error:
        yield InputProblem(str(path), None, f"cannot read file ({error.strerror or error})")


def read_sources(paths: Iterable[str | Path]) -> Iterator[NewsDocument | InputProblem]:
    """Every article (with its related items attached) and every problem."""
    for item in source_files(paths):
        if isinstance(item, InputProblem):
            yield item
        elif _is_jsonl(item):
            yield from read_jsonl(item)
        else:
            yield from _read_page(item)
