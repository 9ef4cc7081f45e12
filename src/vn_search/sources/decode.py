"""Turn the bytes of an input file into text, or say exactly why not.

Crawled pages arrive in UTF-8 (with or without a BOM), sometimes in the
legacy Vietnamese code page windows-1258, sometimes as UTF-8 that went
through Latin-1 once ("Viá»‡t Nam"). The first two are decoded; mojibake is
repaired when the repair is exact; anything else is refused with the line
and byte where it went wrong, so nothing is indexed as garbage.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["DecodeError", "decode_text", "repair_mojibake"]


class DecodeError(ValueError):
    """Bytes that are not text we can read; ``line`` is 1-based or None."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# What Vietnamese letters look like after their UTF-8 bytes were read as
# cp1252/Latin-1: "á»‡" (ệ), "Ä‘" (đ), "Æ°" (ư), "Ã³" (ó). A bare "á"
# before a quote or "…" is ordinary Vietnamese ("đá”", "tá…"), so "á" only
# counts when followed by º or » and one more byte-character.
_BYTE_CHARS = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(f"á[º»][{_BYTE_CHARS}]|[ÃÄÆÅ][{_BYTE_CHARS}]")
_VIETNAMESE = re.compile("[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)


_CONTROL_BYTES = [c for c in range(32) if c not in (9, 10, 12, 13)]


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def repair_mojibake(text: str) -> str | None:
    """Undo one round of UTF-8-read-as-cp1252/Latin-1.

    Returns the repaired text, None when the text does not look like
    mojibake, and raises DecodeError (naming the line) when it does but the
    damage cannot be undone exactly (bytes were lost on the way).
    """
    # The pattern is strict enough that one occurrence is evidence: a
    # record with a single damaged letter ("máº¯t") must not slip through.
    if not _MOJIBAKE.search(text):
        return None
    for codec in ("cp1252", "latin-1"):
        try:
            repaired = text.encode(codec).decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if _VIETNAMESE.search(repaired):
            return repaired
    first = _MOJIBAKE.search(text)
    line = text.count("\n", 0, first.start()) + 1 if first else None
    raise DecodeError("mojibake: UTF-8 text that was decoded as Latin-1/cp1252 and cannot be repaired exactly", line)


def decode_text(data: bytes) -> str:
    """Decode an input file's bytes; raise DecodeError naming the line."""
    if not data.strip():
        raise DecodeError("empty file")
    head = data[:65536]
    controls = sum(head.count(bytes([c])) for c in _CONTROL_BYTES)
    if controls > len(head) * 0.05:
        raise DecodeError("binary file, not text")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise DecodeError("NUL byte in text (corrupt or binary file)", _line_of(data, nul))
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        legacy = data.decode("cp1258", errors="replace")
        legacy = unicodedata.normalize("NFC", legacy)
        if "\ufffd" not in legacy and _VIETNAMESE.search(legacy):
            return legacy
        raise DecodeError(
            f"not UTF-8 text (invalid byte 0x{data[error.start]:02x}); "
            "convert it to UTF-8 first",
            _line_of(data, error.start),
        ) from None
    repaired = repair_mojibake(text)
    return repaired if repaired is not None else text
