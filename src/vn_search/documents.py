"""The documents we index, as read from any source, and the problems met
while reading them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from vn_search.analysis.normalize import normalize_query

__all__ = ["NewsDocument", "InputProblem", "related_id", "MISSING"]

ARTICLE = "article"
RELATED = "related"
MISSING = "no such file or folder"  # the reason given for an input that is not there


@dataclass
class NewsDocument:
    """One searchable document: an article, or a related item listed under
    one or more articles ("Có thể bạn quan tâm", "Tin cùng chuyên mục").

    Text is already normalised (``normalize_text``). ``paragraphs`` is the
    body without navigation, image placeholders or share labels.
    """

    id: str
    kind: str
    title: str
    summary: str = ""
    paragraphs: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    url: str | None = None
    published: datetime | None = None
    source: str | None = None
    category: str | None = None
    kicker: str | None = None
    parents: list[str] = field(default_factory=list)
    related: list["NewsDocument"] = field(default_factory=list)
    origin: str = ""  # "path:line" where it was read, for messages

    @property
    def related_ids(self) -> list[str]:
        return [item.id for item in self.related]


@dataclass(frozen=True)
class InputProblem:
    """Input that could not be indexed, reported as ``path:line: reason``."""

    path: str
    line: int | None
    reason: str
    missing: bool = False  # the input itself is not there (a typo in a cron job)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}"


def related_id(title: str) -> str:
    """A stable id for a related item, from its normalised headline, so the
    same item listed under many articles is one document."""
    key = " ".join(normalize_query(title).lower().split())
    return "rel-" + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
