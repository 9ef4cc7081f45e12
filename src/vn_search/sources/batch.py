"""The articles of one indexing run, as the indexer takes them: problems
reported as they are met, a repeated id reported and skipped, and the
related items listed under the articles gathered (each with every article
that listed it) for the end of the run."""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

from vn_search.documents import InputProblem, NewsDocument

__all__ = ["ArticleBatch"]


class ArticleBatch:
    """Iterate the articles of ``items`` (what ``read_sources`` yields)
    once; ``related`` holds their related items, by id, afterwards."""

    def __init__(self, items: Iterable[NewsDocument | InputProblem], on_problem: Callable[[InputProblem], None]) -> None:
        self.items = items
        self.on_problem = on_problem
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
