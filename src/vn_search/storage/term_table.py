"""The term dictionary of a segment: each term's statistics and where its
postings are, in about a fifth of the space of Whoosh's W3 term table.

W3 keeps every term in an on-disk hash table: an 8-byte length pair, two
12-byte hash slots, a 23-byte fixed record and, for the rare terms whose
postings live in the table, a pickle. Corpus C has 1.4 M terms, most of
them seen once (bigrams, names, typos), and that came to ~90 bytes each,
a third of the index.

Here terms are sorted and stored in blocks of :data:`BLOCK_TERMS`, each
key sharing its prefix with the one before (front coding), followed by a
record of varints (:func:`encode_record`). The first key of every block is
kept in memory, so a lookup is one ``bisect`` and a scan of at most one
block. A term seen once, with one position, takes ~15 bytes.

File layout: magic, blocks, then the block index (each block's offset and
first key) and the extras (Whoosh's field map) as JSON, then a footer
giving where the index and extras start. Nothing in the file is a pickle,
so reading a term table runs no code from it.
"""

from __future__ import annotations

import io
import json
import mmap
import pickle
import struct
from bisect import bisect_right
from typing import Iterator

import numpy as np
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.util.numeric import byte_to_length, length_to_byte

__all__ = ["BLOCK_TERMS", "TermTableReader", "TermTableWriter", "decode_record", "encode_record", "record_from_terminfo"]

BLOCK_TERMS = 16
MAGIC = b"VNT2"
# Tables written before the extras were JSON (VNT1) held them as a pickle.
# Indexes built then (bench/work/index-C among them) still open; drop this,
# and the pickle import, at the next ANALYSIS_VERSION bump, when every such
# index has to be rebuilt anyway.
_PICKLED_EXTRAS_MAGIC = b"VNT1"
_FOOTER = struct.Struct("<QQ4s")  # block index position, extras position, magic

# Low bits of a record's first varint; the document frequency is above them.
_INLINED = 1  # the postings follow, instead of an extent in the postings file
_VALUES = 2  # inlined postings carry values (positions)
_FLOATS = 4  # weights are not whole numbers: 32-bit floats instead of varints
_WEIGHTS = 8  # inlined postings carry weights (else every weight is 1)
_FLAG_BITS = 4


def _varint_bytes(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


_SMALL = [_varint_bytes(n) for n in range(1 << 14)]


def varint(n: int) -> bytes:
    """``n`` (≥ 0) in 7-bit groups, low first: 1 byte below 128."""
    return _SMALL[n] if n < 16384 else _varint_bytes(n)


def _read_varint(data, pos: int) -> tuple[int, int]:
    byte = data[pos]
    if byte < 0x80:
        return byte, pos + 1
    value, shift = byte & 0x7F, 7
    while True:
        pos += 1
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos + 1
        shift += 7


_FLOAT = struct.Struct("<f")


def _number(value: float, floats: bool) -> bytes:
    return _FLOAT.pack(value) if floats else varint(int(value))


def _whole(values) -> bool:
    return all(v >= 0 and v == int(v) and v < 1 << 32 for v in values)


def encode_record(
    df: int,
    weight: float,
    max_weight: float,
    min_length_byte: int,
    max_length_byte: int,
    first_doc: int,
    last_doc: int,
    inlined: tuple | None = None,
    extent: tuple[int, int] | None = None,
) -> bytes:
    """A term's record: statistics as varints, then either its few
    postings (``inlined`` = (document numbers, weights or None when all
    are 1, encoded values)) or the (offset, length) of its posting blocks.
    Values that a single posting makes redundant are left out."""
    weights = inlined[1] if inlined is not None else None
    floats = not _whole((weight, max_weight, *(weights or ())))
    values = inlined[2] if inlined is not None else None
    flags = (
        (_INLINED if inlined is not None else 0) | (_VALUES if values else 0)
        | (_FLOATS if floats else 0) | (_WEIGHTS if weights is not None else 0)
    )
    parts = [varint(df << _FLAG_BITS | flags), _number(weight, floats), varint(min_length_byte), varint(first_doc)]
    if df != 1:
        parts += (_number(max_weight, floats), varint(max_length_byte))
    if inlined is None:
        if df != 1:
            parts.append(varint(last_doc - first_doc))
        parts += (varint(extent[0]), varint(extent[1]))
        return b"".join(parts)
    docs = inlined[0]
    parts += [varint(b - a) for a, b in zip(docs, docs[1:])]
    if weights is not None:
        parts += [_number(w, floats) for w in weights]
    if values:
        for value in values:
            parts += (varint(len(value)), value)
    return b"".join(parts)


def decode_record(record: bytes) -> W3TermInfo:
    """The term info Whoosh's readers and matchers expect, from a record."""
    head, pos = _read_varint(record, 0)
    df, floats = head >> _FLAG_BITS, head & _FLOATS
    info = W3TermInfo()

    def number(pos):
        if floats:
            return _FLOAT.unpack_from(record, pos)[0], pos + 4
        return _read_varint(record, pos)

    info._df = df
    info._weight, pos = number(pos)
    min_byte, pos = _read_varint(record, pos)
    info._minid, pos = _read_varint(record, pos)
    if df != 1:
        info._maxweight, pos = number(pos)
        max_byte, pos = _read_varint(record, pos)
    else:
        info._maxweight, max_byte = info._weight, min_byte
    info._minlength, info._maxlength = byte_to_length(min_byte), byte_to_length(max_byte)
    if not head & _INLINED:
        gap = 0
        if df != 1:
            gap, pos = _read_varint(record, pos)
        info._maxid = info._minid + gap
        offset, pos = _read_varint(record, pos)
        length, pos = _read_varint(record, pos)
        info.set_extent(offset, length)
        return info
    docs = [info._minid]
    for _ in range(df - 1):
        gap, pos = _read_varint(record, pos)
        docs.append(docs[-1] + gap)
    info._maxid = docs[-1]
    weights = None
    if head & _WEIGHTS:
        weights = []
        for _ in range(df):
            weight, pos = number(pos)
            weights.append(weight)
        weights = tuple(weights)
    values = []
    if head & _VALUES:
        for _ in range(df):
            size, pos = _read_varint(record, pos)
            values.append(record[pos : pos + size])
            pos += size
    info._inlined = (tuple(docs), weights, tuple(values))
    return info


def record_from_terminfo(info: W3TermInfo) -> bytes:
    """A record for a term info built by Whoosh's own postings writer."""
    inlined = None
    if info.is_inlined():
        docs, weights, values = info.inlined_postings()
        all_one = weights is None or all(w == 1 for w in weights)
        inlined = (docs, None if all_one else weights, values if any(values) else None)
    min_byte = 0 if info._minlength is None else length_to_byte(info._minlength)
    return encode_record(
        info._df, info._weight, info._maxweight, min_byte, length_to_byte(info._maxlength or 0),
        info._minid or 0, info._maxid or 0, inlined, None if inlined is not None else info.extent(),
    )


def _shared_prefix(a: bytes, b: bytes) -> int:
    limit = min(len(a), len(b), 127)  # one varint byte
    n = 0
    while n < limit and a[n] == b[n]:
        n += 1
    return n


class TermTableWriter:
    """Writes sorted (key, record) pairs to a segment's term file.

    Whoosh's own field writer adds its term infos through
    :func:`record_from_terminfo`."""

    def __init__(self, dbfile) -> None:
        self.dbfile = dbfile
        self.extras: dict[str, object] = {}  # JSON-compatible values only
        self._offsets: list[int] = []
        self._first_keys: list[bytes] = []
        self._count = 0
        self._last = b""
        self._position = 0
        self._write(MAGIC)

    def _write(self, data: bytes) -> None:
        self.dbfile.write(data)
        self._position += len(data)

    def add_records(self, keys: list[bytes], records: list[bytes]) -> None:
        """Append terms, in increasing key order after every earlier one."""
        buffer = bytearray()
        last, count = self._last, self._count
        for key, record in zip(keys, records):
            if count and key <= last:
                raise ValueError(f"term keys out of order: {last!r} then {key!r}")
            if count % BLOCK_TERMS == 0:
                self._offsets.append(self._position + len(buffer))
                self._first_keys.append(key)
                shared = 0
            else:
                shared = _shared_prefix(last, key)
            buffer += _SMALL[shared]
            buffer += varint(len(key) - shared)
            buffer += key[shared:]
            buffer += varint(len(record))
            buffer += record
            last = key
            count += 1
        self._last, self._count = last, count
        self._write(bytes(buffer))

    def close(self) -> None:
        index_at = self._position
        lengths = np.array([len(k) for k in self._first_keys], "<u2")
        header = struct.pack("<QQ", self._count, len(self._offsets))
        self._write(header + np.array(self._offsets, "<u8").tobytes() + lengths.tobytes() + b"".join(self._first_keys))
        extras_at = self._position
        self._write(json.dumps(self.extras, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        self._write(_FOOTER.pack(index_at, extras_at, MAGIC))
        self.dbfile.close()


class TermTableReader:
    """Looks terms up in a file written by :class:`TermTableWriter`.

    The file is memory-mapped where the storage allows (read whole
    otherwise); only the block index is decoded up front."""

    def __init__(self, dbfile, length: int) -> None:
        self.dbfile = dbfile
        try:
            self._data = mmap.mmap(dbfile.file.fileno(), 0, access=mmap.ACCESS_READ)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):  # in-memory storage
            dbfile.seek(0)
            self._data = dbfile.read(length)
        data = self._data
        version = bytes(data[:4])
        if version not in (MAGIC, _PICKLED_EXTRAS_MAGIC) or len(data) < _FOOTER.size:
            raise ValueError("not a vn-search term table")
        index_at, extras_at, magic = _FOOTER.unpack_from(data, len(data) - _FOOTER.size)
        if magic != version:
            raise ValueError("term table is truncated")
        self.count, blocks = struct.unpack_from("<QQ", data, index_at)
        at = index_at + 16
        self._offsets = np.frombuffer(data, "<u8", blocks, at).tolist()
        at += 8 * blocks
        lengths = np.frombuffer(data, "<u2", blocks, at)
        at += 2 * blocks
        ends = np.cumsum(lengths, dtype=np.int64).tolist()
        keys = bytes(data[at : at + (ends[-1] if ends else 0)])
        self._first_keys = list(map(keys.__getitem__, map(slice, [0, *ends[:-1]], ends)))
        self.extras = _read_extras(bytes(data[extras_at : len(data) - _FOOTER.size]), version)

    def _block(self, number: int) -> Iterator[tuple[bytes, int, int]]:
        """(key, record start, record end) of each term in a block."""
        data = self._data
        pos = self._offsets[number]
        terms = min(BLOCK_TERMS, self.count - number * BLOCK_TERMS)
        key = b""
        for _ in range(terms):
            shared = data[pos]
            size, pos = _read_varint(data, pos + 1)
            key = key[:shared] + data[pos : pos + size]
            pos += size
            size, pos = _read_varint(data, pos)
            yield key, pos, pos + size
            pos += size

    def get(self, key: bytes) -> bytes | None:
        """The record of ``key``, or None."""
        number = bisect_right(self._first_keys, key) - 1
        if number < 0:
            return None
        for found, start, end in self._block(number):
            if found == key:
                return self._data[start:end]
            if found > key:
                return None
        return None

    def __contains__(self, key: bytes) -> bool:
        return self.get(key) is not None

    def items_from(self, key: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """(key, record) of every term from ``key`` on, in order."""
        number = max(0, bisect_right(self._first_keys, key) - 1)
        data = self._data
        for block in range(number, len(self._offsets)):
            for found, start, end in self._block(block):
                if found >= key:
                    yield found, data[start:end]

    def close(self) -> None:
        if isinstance(self._data, mmap.mmap):
            self._data.close()
        self.dbfile.close()


def _read_extras(stored: bytes, version: bytes) -> dict[str, object]:
    """The extras a :class:`TermTableWriter` stored, as a dict."""
    if version == _PICKLED_EXTRAS_MAGIC:
        # A VNT1 table from before the JSON extras (see _PICKLED_EXTRAS_MAGIC);
        # an index directory is trusted data, as Whoosh's own TOC is a pickle.
        return pickle.loads(stored)
    extras = json.loads(stored.decode("utf-8"))
    if not isinstance(extras, dict):
        raise ValueError(f"term table extras: expected a JSON object, found {type(extras).__name__}")
    return extras
