"""Read JSONL(.gz) news corpora: one article per line.

Fields: ``id`` (the document id), ``title``, ``summary``, ``body``,
``captions``, ``url``, ``published``/``date``/``crawl_date``, ``category``,
``source`` (or ``outlet``), ``related`` (a list of ``{title, summary,
url}``). Unknown fields are ignored. A bad line is reported as
``path:line: reason`` and the rest of the file is still read.
"""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from vn_search.analysis.normalize import normalize_query
from vn_search.dates import VIETNAM
from vn_search.documents import ARTICLE, RELATED, InputProblem, NewsDocument, related_id
from vn_search.sources.decode import DecodeError, repair_mojibake

__all__ = ["read_jsonl", "parse_record", "parse_date", "MAX_RECORD_BYTES"]

MAX_RECORD_BYTES = 2 * 1024 * 1024  # a news article is far smaller; bigger is junk

_DATE_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d")




def parse_date(value: object) -> datetime | None:
    """ISO 8601 or Vietnamese dd/mm/yyyy dates, as naive UTC; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for pattern in _DATE_FORMATS:
            try:
                moment = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    if moment.tzinfo is None:
        # A date without a zone is Vietnamese local time: that is how the
        # papers print it, and 06:00 in Hà Nội must stay the same day.
        moment = moment.replace(tzinfo=VIETNAM)
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _text(record: dict, key: str) -> str:
    """A text field as given; normalising is left to the indexing workers
    (it is the costly part of reading a corpus)."""
    value = record.get(key)
    if value is None:
        return ""
    if isinstance(value, list):
        value = "\n".join(str(v) for v in value if v is not None)
    return str(value).strip()


def _optional(record: dict, *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return normalize_query(value)
    return None


def parse_record(record: object, origin: str) -> NewsDocument:
    """One JSON record to an article; raises DecodeError naming what is wrong."""
    if not isinstance(record, dict):
        raise DecodeError(f"expected a JSON object, got {type(record).__name__}")
    doc_id = record.get("id")
    if not isinstance(doc_id, (str, int)) or not str(doc_id).strip():
        raise DecodeError("record has no 'id'")
    doc_id = str(doc_id).strip()
    title = normalize_query(_text(record, "title"))
    if not title:
        raise DecodeError(f"record {doc_id!r} has no 'title'")
    if "body" not in record and "summary" not in record:
        raise DecodeError(f"record {doc_id!r} has no 'body' (nor 'summary')")
    body = _text(record, "body")
    captions = _text(record, "captions")
    published = None
    for key in ("published", "date", "crawl_date"):
        published = parse_date(record.get(key))
        if published:
            break
    article = NewsDocument(
        id=doc_id,
        kind=ARTICLE,
        title=title,
        summary=_text(record, "summary"),
        paragraphs=[p for p in body.split("\n") if p.strip()],
        captions=[c for c in captions.split("\n") if c.strip()],
        url=_optional(record, "url"),
        published=published,
        source=_optional(record, "outlet", "source"),
        category=_optional(record, "category"),
        origin=origin,
    )
    for item in record.get("related") or []:
        if not isinstance(item, dict):
            continue
        headline = normalize_query(_text(item, "title"))
        if headline:
            article.related.append(
                NewsDocument(
                    id=related_id(headline),
                    kind=RELATED,
                    title=headline,
                    summary=_text(item, "summary"),
                    url=_optional(item, "url"),
                    parents=[doc_id],
                    origin=origin,
                )
            )
    return article


def read_jsonl(path: Path) -> Iterator[NewsDocument | InputProblem]:
    """Articles of a JSONL or JSONL.gz file, and problems as they come."""
    opener = gzip.open if path.name.endswith(".gz") else open
    number = 0
    records = 0
    try:
        with opener(path, "rb") as stream:
            for number, raw in enumerate(stream, start=1):
                if not raw.strip():
                    continue
                records += 1
                if len(raw) > MAX_RECORD_BYTES:
                    yield InputProblem(str(path), number, f"record too large ({len(raw) / 1e6:.1f} MB; limit {MAX_RECORD_BYTES / 1e6:.0f} MB)")
                    continue
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as error:
                    yield InputProblem(str(path), number, f"not UTF-8 text (invalid byte 0x{raw[error.start]:02x} at column {error.start + 1})")
                    continue
                if "\x00" in line:
                    yield InputProblem(str(path), number, "NUL byte in record (binary data?)")
                    continue
                try:
                    repaired = repair_mojibake(line)
                except DecodeError as error:
                    yield InputProblem(str(path), number, error.reason)
                    continue
                try:
                    record = json.loads(repaired if repaired is not None else line)
                except json.JSONDecodeError as error:
                    # json's "Unterminated string starting at" already ends in "at".
                    reason = error.msg.removesuffix(" at")
                    yield InputProblem(str(path), number, f"invalid JSON ({reason} at column {error.colno})")
                    continue
                try:
                    yield parse_record(record, f"{path}:{number}")
                except DecodeError as error:
                    yield InputProblem(str(path), number, error.reason)
    except (OSError, EOFError, zlib.error) as error:
        yield InputProblem(str(path), number + 1 if number else None, f"cannot read file ({error})")
        return
    if not records:
        # Reported like an empty page: a corpus that came out empty is news.
        yield InputProblem(str(path), None, "empty file")
