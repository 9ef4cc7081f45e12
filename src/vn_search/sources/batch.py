"""The articles of one indexing run, as the indexer takes them: problems
reported as they are met, a repeated id reported and skipped, and the
related items listed under the articles gathered (each with every article
that listed it) for the end of the run. With a ``part``
(``sources/parts.py``) only that part's articles and related items are
handed out; every article is still read, so related items keep all their
parents, and the others are counted (``left``)."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from vn_search.documents import InputProblem, NewsDocument
from vn_search.sources.parts import Part

__all__ = ["ArticleBatch"]


class ArticleBatch:
    """Iterate the articles of ``items`` (what ``read_sources`` yields)
    once; ``related`` holds their related items, by id, afterwards."""

    def __init__(self, items: Iterable[NewsDocument | InputProblem], on_problem: Callable[[InputProblem], None],
                 part: Part | None = None) -> None:
        self.items = items
        self.on_problem = on_problem
        self.part = part
        self._left_articles = 0
        self.seen: dict[str, str] = {}
        self.related: dict[str, NewsDocument] = {}
        self.head: list[NewsDocument] = []
        self._stream: Iterator[NewsDocument] | None = None  # set by peek()

    def _articles(self) -> Iterator[NewsDocument]:
        for item in self.items:
            if isinstance(item, InputProblem):
                self.on_problem(item)
                continue
            if item.id in self.seen:
                path, line = _split_origin(item.origin)
                self.on_problem(InputProblem(path, line, f"duplicate id {item.id!r} (first read at {self.seen[item.id]})"))
                continue
            self.seen[item.id] = item.origin
            for child in item.related:
                known = self.related.get(child.id)
                if known is None:
                    self.related[child.id] = child
                elif item.id not in known.parents:
                    known.parents.append(item.id)
            if self.part is not None and not self.part.holds(item.id):
                self._left_articles += 1
                continue
            yield item

    def peek(self, count: int) -> int:
        """Read ahead up to ``count`` articles; how many there were."""
        stream = self._articles()
        for doc in stream:
            self.head.append(doc)
            if len(self.head) >= count:
                break
        self._stream = stream
        return len(self.head)

    def held_related(self) -> dict[str, NewsDocument]:
        """The related items gathered so far that are this part's (all of
        them without a part), by id."""
        if self.part is None:
            return self.related
        return {doc_id: doc for doc_id, doc in self.related.items() if self.part.holds(doc_id)}

    @property
    def left(self) -> int:
        """Documents read so far that are the other parts' to index."""
        if self.part is None:
            return 0
        return self._left_articles + sum(1 for doc_id in self.related if not self.part.holds(doc_id))

    def __iter__(self) -> Iterator[NewsDocument]:
        yield from self.head
        self.head = []
        yield from self._stream if self._stream is not None else self._articles()


def _split_origin(origin: str) -> tuple[str, int | None]:
    """``path:line`` (where a document was read) as its two parts."""
    path, _, line = origin.rpartition(":")
    if path and line.isdigit():
        return path, int(line)
    return origin, None
