"""XML for programs that follow a search: an Atom feed of its newest
articles, and the OpenSearch description that puts our box into the
browser's search bar.

Both are built with ``xml.etree.ElementTree``: every query, headline and
snippet is a text node or an attribute value, escaped by the serializer,
so a query like ``]]><script>`` stays text in every reader.

    >>> feed = atom_feed(title="Tìm tin: «bão»", feed_id="https://x.vn/feed?q=b%C3%A3o",
    ...                  self_url="https://x.vn/feed?q=b%C3%A3o", html_url="https://x.vn/search?q=b%C3%A3o",
    ...                  entries=[])
    >>> feed.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from html import unescape
from xml.etree import ElementTree as ET

from vn_search.dates import stored_moment
from vn_search.web.display import category_label

__all__ = ["FeedEntry", "atom_feed", "opensearch_description", "ATOM_TYPE", "OPENSEARCH_TYPE", "SUGGESTIONS_TYPE",
           "snippet_text", "atom_time"]

ATOM_NS = "http://www.w3.org/2005/Atom"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
ATOM_TYPE = "application/atom+xml"
OPENSEARCH_TYPE = "application/opensearchdescription+xml"
SUGGESTIONS_TYPE = "application/x-suggestions+json"  # OpenSearch suggestions: [query, [completions]]

_TAG = re.compile(r"<[^>]*>")
# XML 1.0 cannot hold most control characters at all, even escaped; a
# crawled page may still carry one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class FeedEntry:
    """One article of a feed; ``summary`` is plain text."""

    entry_id: str
    title: str
    link: str
    original_url: str | None
    published: str | None
    summary: str
    source: str | None
    category: str | None


def snippet_text(snippet_html: str | None) -> str:
    """A results-page snippet (escaped text with ``<mark>``) as plain text."""
    return " ".join(unescape(_TAG.sub("", snippet_html or "")).split())


def atom_time(iso: str | None) -> str | None:
    """An index time (ISO, naive meaning UTC) as Atom's RFC 3339, or None."""
    moment = stored_moment(iso)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _clean(text: str | None) -> str:
    return _NOT_XML.sub("", text or "")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {key: _clean(value) for key, value in attributes.items()})
    if text is not None:
        element.text = _clean(text)
    return element


def atom_feed(*, title: str, feed_id: str, self_url: str, html_url: str,
              entries: list[FeedEntry], subtitle: str | None = None,
              now: datetime | None = None) -> bytes:
    """An Atom 1.0 document (RFC 4287). ``updated`` is the newest entry's
    date, or ``now`` when no entry has one; an undated entry carries the
    feed's ``updated``, since Atom requires one on every entry."""
    entry_times = [atom_time(entry.published) for entry in entries]
    dated = [moment for moment in entry_times if moment]
    updated = max(dated) if dated else (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")

    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "vi"})
    _add(feed, "title", title)
    if subtitle:
        _add(feed, "subtitle", subtitle)
    _add(feed, "id", feed_id)
    _add(feed, "link", rel="self", type=ATOM_TYPE, href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=html_url)
    _add(feed, "updated", updated)
    _add(feed, "generator", "vn-search")
    for entry, published in zip(entries, entry_times):
        item = _add(feed, "entry")
        _add(item, "title", entry.title)
        _add(item, "link", rel="alternate", type="text/html", href=entry.link)
        if entry.original_url:
            _add(item, "link", rel="related", type="text/html", href=entry.original_url)
        _add(item, "id", entry.entry_id)
        _add(item, "updated", published or updated)
        if published:
            _add(item, "published", published)
        if entry.source:
            author = _add(item, "author")
            _add(author, "name", entry.source)
        if entry.category:
            _add(item, "category", term=entry.category, label=category_label(entry.category))
        if entry.summary:
            _add(item, "summary", entry.summary, type="text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def opensearch_description(*, short_name: str, description: str, html_template: str,
                           atom_template: str, suggest_template: str | None = None,
                           icon_url: str | None = None) -> bytes:
    """An OpenSearch 1.1 description: where the browser sends a search
    typed into its own bar, and asks for completions while it is typed
    (``{searchTerms}`` stays literal in the URLs)."""
    root = ET.Element("OpenSearchDescription", {"xmlns": OPENSEARCH_NS})
    _add(root, "ShortName", short_name)
    _add(root, "Description", description)
    _add(root, "InputEncoding", "UTF-8")
    _add(root, "OutputEncoding", "UTF-8")
    _add(root, "Language", "vi")
    _add(root, "Url", type="text/html", method="get", template=html_template)
    _add(root, "Url", type=ATOM_TYPE, method="get", template=atom_template)
    if suggest_template:
        _add(root, "Url", type=SUGGESTIONS_TYPE, method="get", template=suggest_template)
    if icon_url:
        _add(root, "Image", icon_url, type="image/svg+xml")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
