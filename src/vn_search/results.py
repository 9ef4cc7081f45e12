"""What a search returns: plain dataclasses that the CLI, the web app and
embedding applications all read, and that serialise to JSON as they are."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from vn_search.dates import DateRange
from vn_search.timeline import TimelineBucket


@dataclass(frozen=True)
class StoryArticle:
    """Another outlet's article on a hit's story ("N bài cùng sự kiện")."""

    id: str
    title: str
    source: str | None
    published: str | None  # ISO 8601, or None
    url: str | None


@dataclass(frozen=True)
class Hit:
    """One ranked document on a results page.

    ``snippet`` is HTML: the document text escaped, with the matched words
    wrapped in ``<mark>``; ``title_html`` is the headline in the same form.
    ``parents`` holds, for a related item, the ids of the articles that
    listed it (empty for an article). ``same_story`` lists the other
    articles that report the same story (``stories.py``), earliest first,
    among those the search's filters allow; the hit is the story's lead.
    """

    id: str
    kind: str  # "article" | "related"
    title: str
    url: str | None
    published: str | None  # ISO 8601, or None when the source gave no date
    score: float
    snippet: str
    title_html: str
    parents: list[str] = field(default_factory=list)
    source: str | None = None
    category: str | None = None
    same_story: list[StoryArticle] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SearchResults:
    """A page of hits plus what a results page shows around them.

    ``total`` is the exact size of the result set (every page, every sort
    order), so ``total_is_estimate`` is always False here; a backend that
    estimates says so. ``undated`` counts the documents in the set without
    a publication date (a date sort puts them last). ``dates`` is the
    publication range asked for, if any. ``suggestion`` is an accented or
    corrected query the user probably meant ("Có phải bạn muốn tìm …"), or
    None. ``searched`` is the query that was searched instead of the one
    typed (keystrokes read as Vietnamese: ``vieejt nam`` → ``việt nam``). ``notices`` are short messages for the user, e.g. that an
    over-long query was cut or that the set was widened.
    """

    query: str
    total: int
    took_ms: float
    page: int
    per_page: int
    hits: list[Hit]
    suggestion: str | None = None
    notices: list[str] = field(default_factory=list)
    undated: int = 0
    dates: DateRange | None = None
    total_is_estimate: bool = False
    searched: str | None = None  # what was searched, when not the query as typed
    relaxed: bool = False  # the set was widened beyond the articles holding every word
    stories: int | None = None  # the stories the set's documents tell, when grouped: pages hold stories
    # How the whole set spreads over time: bars of days, weeks or months (timeline.py).
    timeline: list[TimelineBucket] = field(default_factory=list)

    @property
    def page_count(self) -> int:
        shown = self.total if self.stories is None else self.stories
        return max(1, -(-shown // self.per_page))

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "total": self.total,
            "total_is_estimate": self.total_is_estimate,
            "undated": self.undated,
            **(self.dates.to_json() if self.dates else {"since": None, "until": None}),
            "took_ms": round(self.took_ms, 2),
            "page": self.page,
            "per_page": self.per_page,
            "suggestion": self.suggestion,
            "searched": self.searched,
            "relaxed": self.relaxed,
            "stories": self.stories,
            "timeline": [bucket.to_json() for bucket in self.timeline],
            "notices": list(self.notices),
            "hits": [hit.to_json() for hit in self.hits],
        }


@dataclass(frozen=True)
class StoredDocument:
    """A document as the index keeps it, for the article page and `get`.

    ``paragraphs`` are the body paragraphs (no navigation, image placeholders
    or share labels). For an article, ``related_ids`` lists the related items
    it showed; for a related item, ``parents`` lists the articles.
    """

    id: str
    kind: str
    title: str
    summary: str
    paragraphs: list[str]
    url: str | None = None
    published: str | None = None
    source: str | None = None
    category: str | None = None
    kicker: str | None = None
    parents: list[str] = field(default_factory=list)
    related_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class IndexStats:
    """What an index holds, for `vn-search stats` and the home page."""

    index_dir: str
    documents: int
    articles: int
    related: int
    terms: int
    size_bytes: int
    analysis_version: int
    updated: datetime | None
    sources: dict[str, int] = field(default_factory=dict)
    newest_published: str | None = None  # ISO 8601, the newest dated document
    oldest_published: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["updated"] = self.updated.isoformat() if self.updated else None
        return data
