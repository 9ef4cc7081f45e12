"""One indexer's share of the input, when N indexers load one index together.

Analysis (pyvi) is what limits indexing, so a large load is split over N
processes, on N machines, each reading the whole input and analysing only
its part: ``vn-search index … --part K/N``. A document belongs to part
``crc32(id) mod N + 1``: the same on every machine and every run (Python's
own ``hash`` is salted per process), so parts 1…N together are the input,
each document in exactly one of them. Related items are shared out by their
own id too; every part still reads every article, so a related item listed
under articles of several parts keeps all of them as parents.

    >>> part = parse_part("2/3")
    >>> str(part), part.holds("tt-yagi-1"), parse_part("1/1").holds("tt-yagi-1")
    ('2/3', True, True)
    >>> sum(parse_part(f"{k}/3").holds("tt-yagi-1") for k in (1, 2, 3))
    1
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

__all__ = ["Part", "parse_part", "part_to_index"]

_PART = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


@dataclass(frozen=True)
class Part:
    """Part ``number`` of ``count`` (1-based)."""

    number: int
    count: int

    def holds(self, doc_id: str) -> bool:
        """Whether the document with this id is this part's to index."""
        return zlib.crc32(doc_id.encode("utf-8")) % self.count == self.number - 1

    def __str__(self) -> str:
        return f"{self.number}/{self.count}"


def parse_part(text: str) -> Part:
    """``"K/N"`` as a :class:`Part`; ``ValueError`` naming ``--part`` otherwise."""
    match = _PART.fullmatch(str(text))
    number, count = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not match or count < 1 or not 1 <= number <= count:
        raise ValueError(f"--part must be K/N with 1 <= K <= N (e.g. 2/3), not {text!r}")
    return Part(number, count)


def part_to_index(part: Part | str | None, rebuild: bool) -> Part | None:
    """The part an ``index`` call asked for (``"K/N"`` or a :class:`Part`).
    ``ValueError`` with ``rebuild``: each part's rebuild would replace the
    index with its own share, dropping the others'."""
    if part is None:
        return None
    if rebuild:
        raise ValueError("--part cannot be combined with --rebuild: each part would replace the index with "
                         "its own share. Load the parts into a new, empty index instead")
    return parse_part(part) if isinstance(part, str) else part
