"""Read a crawled news page saved as plain text (the shape of
``shared/seed``): navigation, the headline twice, lead, body, image
placeholders, the related-items section, share labels.

    >>> from vn_search import sample_path
    >>> page = sample_path() / "bac-ha-luan-chuyen-can-bo.txt"
    >>> article = parse_page(page.read_text(encoding="utf-8"), page)
    >>> article.title, len(article.related)
    ('Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà', 5)
"""

from __future__ import annotations

import re
from pathlib import Path

from vn_search.analysis.normalize import normalize_text
from vn_search.documents import ARTICLE, RELATED, NewsDocument, related_id
from vn_search.sources.decode import DecodeError

__all__ = ["parse_page", "PageError", "RELATED_HEADERS"]

# Headers under which news sites list other stories.
RELATED_HEADERS = {
    "có thể bạn quan tâm",
    "tin cùng chuyên mục",
    "tin liên quan",
    "tin khác",
    "bài liên quan",
    "bài viết liên quan",
    "đọc thêm",
    "xem thêm",
}
_IMAGE_PLACEHOLDER = re.compile(r"^\S+\.(?:png|jpe?g|gif|webp|svg|bmp|avif)$", re.IGNORECASE)
# The last line of a page is a row of share-button labels ("fb yt zl tw").
_SHARE_LABELS = re.compile(r"^[a-z]{1,4}(?: [a-z]{1,4}){1,8}$")


class PageError(DecodeError):
    """A page that does not have the crawled-page shape."""


def _paragraphs(text: str) -> list[tuple[int, str]]:
    """Non-blank lines, normalised, with their 1-based line numbers."""
    result = []
    for number, line in enumerate(text.splitlines(), start=1):
        cleaned = normalize_text(line)
        if cleaned:
            result.append((number, cleaned))
    return result


def _repeats(headline: str, candidate: str) -> bool:
    """The second headline line: the same, or with a kicker in front
    ("ĐẠI THẮNG MÙA XUÂN NĂM 1975: " + headline)."""
    return candidate == headline or (candidate.endswith(headline) and len(candidate) > len(headline))


def _kicker(headline: str, repeated: str) -> str | None:
    prefix = repeated[: len(repeated) - len(headline)].strip().rstrip(":-–|").strip()
    return prefix or None


def _is_header(paragraph: str) -> bool:
    return paragraph.lower().rstrip(":").strip() in RELATED_HEADERS


def parse_page(text: str, path: str | Path) -> NewsDocument:
    """Parse one crawled page into an article with its related items.

    The article id is the file name without extension. Raises PageError
    (with a line number) when the page has no doubled headline.
    """
    paragraphs = _paragraphs(text)
    if not paragraphs:
        raise PageError("empty page")
    start = next(
        (i for i in range(min(len(paragraphs) - 1, 6)) if _repeats(paragraphs[i][1], paragraphs[i + 1][1])),
        None,
    )
    if start is None:
        raise PageError("no headline: a crawled page gives its headline twice near the top", paragraphs[0][0])
    number, title = paragraphs[start]
    kicker = _kicker(title, paragraphs[start + 1][1])
    rest = paragraphs[start + 2 :]
    if rest and _SHARE_LABELS.match(rest[-1][1]):
        rest = rest[:-1]

    body: list[str] = []
    index = 0
    while index < len(rest) and not _is_header(rest[index][1]):
        paragraph = rest[index][1]
        if not _IMAGE_PLACEHOLDER.match(paragraph):
            body.append(paragraph)
        index += 1
    stem = Path(path).name
    for suffix in (".txt", ".text"):
        stem = stem.removesuffix(suffix)
    article = NewsDocument(
        id=stem,
        kind=ARTICLE,
        title=title,
        summary=body[0] if body else "",
        paragraphs=body[1:],
        kicker=kicker,
        origin=f"{path}:{number}",
    )
    article.related = _related_items(rest[index:], article, path)
    return article


def _related_items(section: list[tuple[int, str]], parent: NewsDocument, path) -> list[NewsDocument]:
    items: list[NewsDocument] = []
    texts = [p for _, p in section]

    def starts_item(i: int) -> bool:
        return i + 1 < len(texts) and _repeats(texts[i], texts[i + 1])

    i = 0
    while i < len(texts):
        if _is_header(texts[i]) or _IMAGE_PLACEHOLDER.match(texts[i]) or not starts_item(i):
            i += 1  # headers, placeholders, stray lines: not an item
            continue
        headline = texts[i]
        summary = ""
        if i + 2 < len(texts) and not starts_item(i + 2) and not _is_header(texts[i + 2]):
            summary = texts[i + 2]
        items.append(
            NewsDocument(
                id=related_id(headline),
                kind=RELATED,
                title=headline,
                summary=summary,
                kicker=_kicker(headline, texts[i + 1]),
                parents=[parent.id],
                origin=f"{path}:{section[i][0]}",
            )
        )
        i += 3 if summary else 2
    return items
