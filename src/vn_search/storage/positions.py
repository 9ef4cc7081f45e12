"""Term positions as bytes: how the folded fields store where each term
occurs, and how scoring and phrase matching decode them in bulk.

Phrase queries and proximity need positions, and a corpus produces hundreds
of millions of them, so their encoding decides both the index size and the
query time. One layout serves three places: :func:`encode_postings` encodes
a document's terms for the writer (in worker processes),
``segment_writer.py`` packs a posting block's values with
:func:`pack_positions`, and ``postings.py``/``phrases.py`` decode whole
blocks with numpy (:func:`first_positions`, :func:`all_positions`).
"""

from __future__ import annotations

import sys
from array import array

import numpy as np
from whoosh.formats import Positions

__all__ = [
    "CompactPositions",
    "DocumentPostings",
    "all_positions",
    "encode_postings",
    "first_packed_positions",
    "first_positions",
    "pack_positions",
    "run_sums",
    "unpack_positions",
]

# (term bytes, frequency, weight, encoded positions) for each term of one
# document's field: what Whoosh's writer pools (not a term's posting list
# over the index, which is ``postings.Postings``).
DocumentPostings = list[tuple[bytes, int, float, bytes]]


class CompactPositions(Positions):
    """Whoosh's Positions format with the positions stored as a machine
    array instead of a pickled list of deltas: smaller on disk and several
    times faster to encode, which matters when a corpus produces hundreds of
    millions of postings.

    Layout: the positions as little-endian 16-bit numbers when all are
    below 65536 (nearly every document), else ``I`` then 32-bit numbers,
    so the length's parity tells which. The frequency is the number of
    positions; a posting that occurs once takes 2 bytes.

        >>> fmt = CompactPositions()
        >>> fmt.encode([3, 7]), fmt.decode_positions(fmt.encode([3, 70000]))
        (b'\\x03\\x00\\x07\\x00', [3, 70000])
    """

    def encode(self, poslist):
        if poslist[-1] < 65536:
            positions = array("H", poslist)
            prefix = b""
        else:
            positions = array("I", poslist)
            prefix = b"I"
        if _BIG_ENDIAN:
            positions.byteswap()
        return prefix + positions.tobytes()

    def decode_positions(self, valuestring):
        if len(valuestring) % 2 == 0:
            positions = array("H", valuestring)
        else:
            positions = array("I", valuestring[1:])
        if _BIG_ENDIAN:
            positions.byteswap()
        return positions.tolist()

    def decode_frequency(self, valuestring):
        return len(valuestring) // 2 if len(valuestring) % 2 == 0 else len(valuestring) // 4

    def decode_weight(self, valuestring):
        return self.decode_frequency(valuestring) * self.field_boost


def pack_positions(values: list[bytes]) -> bytes | None:
    """A posting block's :class:`CompactPositions` values as one string,
    which zlib compresses a fifth smaller than the values one by one: how
    many positions each posting has, then the gaps between positions
    (within a posting, from 0), as 16-bit numbers split into a plane of
    low bytes and one of high bytes. None if some position needs 32 bits
    (the values are then stored as they are)."""
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    if (lengths & 1).any():
        return None
    positions = np.frombuffer(b"".join(values), "<u2").astype(np.int64)
    counts = lengths // 2
    gaps = np.diff(positions, prepend=0)
    starts = np.cumsum(counts) - counts
    gaps[starts] = positions[starts]  # each posting starts from 0
    numbers = np.concatenate((counts, gaps)).astype("<u2")
    return numbers.view(np.uint8).reshape(-1, 2).T.tobytes()


def unpack_positions(packed: bytes) -> tuple[np.ndarray, np.ndarray]:
    """How many positions each posting of a :func:`pack_positions` block
    holds, and all of them in order, as int32."""
    planes = np.frombuffer(packed, np.uint8).reshape(2, -1)
    numbers = planes[0].astype(np.int32) | (planes[1].astype(np.int32) << 8)
    # The counts come first, and there is one count per posting.
    postings = _count_postings(numbers)
    counts, gaps = numbers[:postings], numbers[postings:]
    return counts, run_sums(gaps, counts).astype(np.int32)


def run_sums(steps: np.ndarray, lengths) -> np.ndarray:
    """Running sums of ``steps`` that start afresh at each run of
    ``lengths`` steps (positions from gaps within each posting, document
    numbers from deltas within each block), as int64."""
    sums = np.cumsum(steps, dtype=np.int64)
    lengths = np.asarray(lengths, np.int64)
    starts = np.cumsum(lengths) - lengths
    sums -= np.repeat(sums[starts] - steps[starts], lengths)
    return sums


def _count_postings(numbers: np.ndarray) -> int:
    """Where the counts end: n counts are followed by as many gaps as they
    sum to, so n + sum(first n) is the length."""
    totals = np.arange(1, len(numbers) + 1) + np.cumsum(numbers)
    return int(np.searchsorted(totals, len(numbers))) + 1


def first_packed_positions(blocks: list[bytes], postings: list[int]) -> np.ndarray:
    """The first position of every posting of several :func:`pack_positions`
    blocks holding ``postings`` postings each, decoded together: a posting's
    first gap is its first position, so no position needs adding up."""
    halves = [len(block) // 2 for block in blocks]
    low = b"".join(block[:half] for block, half in zip(blocks, halves))
    high = b"".join(block[half:] for block, half in zip(blocks, halves))
    numbers = np.frombuffer(low, np.uint8).astype(np.int32) | (np.frombuffer(high, np.uint8).astype(np.int32) << 8)
    lengths = np.array(halves, np.int64)
    place = np.arange(len(numbers)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    is_count = place < np.repeat(np.array(postings, np.int64), lengths)  # each block's counts come first
    counts, gaps = numbers[is_count], numbers[~is_count]
    return gaps[np.cumsum(counts) - counts]


def first_positions(fmt: Positions, values) -> np.ndarray:
    """The first position of each of a block's encoded ``values``, as int32:
    for :class:`CompactPositions`, all decoded together with numpy."""
    if isinstance(values, bytes):
        counts, positions = unpack_positions(values)
        return positions[np.cumsum(counts) - counts]
    if not isinstance(fmt, CompactPositions):
        return np.fromiter((fmt.decode_positions(v)[0] for v in values), np.int32, len(values))
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    starts = np.cumsum(lengths) - lengths
    raw = np.frombuffer(b"".join(values), np.uint8)
    wide = (lengths & 1).astype(bool)  # "I" and 32-bit positions
    starts[wide] += 1
    first = raw[starts].astype(np.int32) | (raw[starts + 1].astype(np.int32) << 8)
    if wide.any():
        at = starts[wide]
        first[wide] |= (raw[at + 2].astype(np.int32) << 16) | (raw[at + 3].astype(np.int32) << 24)
    return first


def all_positions(fmt: Positions, values) -> tuple[np.ndarray, np.ndarray]:
    """How many positions each encoded value holds, and all of them in
    order, as int32: one ``frombuffer`` when every value is 16-bit
    :class:`CompactPositions`, else one value at a time."""
    if isinstance(values, bytes):
        return unpack_positions(values)
    lengths = np.fromiter(map(len, values), np.int64, len(values))
    if isinstance(fmt, CompactPositions) and not (lengths & 1).any():
        return lengths // 2, np.frombuffer(b"".join(values), "<u2").astype(np.int32)
    decoded = [fmt.decode_positions(v) for v in values]
    counts = np.fromiter(map(len, decoded), np.int64, len(decoded))
    return counts, np.fromiter((p for run in decoded for p in run), np.int32, int(counts.sum()))


_BIG_ENDIAN = sys.byteorder == "big"
_POSITIONS = CompactPositions()
# Most terms occur once in a field: their encodings are precomputed.
_SINGLE = [_POSITIONS.encode([p]) for p in range(4096)]


_WEIGHTS = [float(n) for n in range(256)]


def encode_postings(terms: dict[str, list[int]], positions: bool = True) -> DocumentPostings:
    """Encode a field's term → positions map the way the index stores it.

    Without ``positions`` only the frequency is kept (as the posting's
    weight): the exact fields are never searched as phrases.
    """
    weights = _WEIGHTS
    if not positions:
        return [
            (term.encode("utf-8"), len(where), weights[len(where)] if len(where) < 256 else float(len(where)), b"")
            for term, where in terms.items()
        ]
    single, encode = _SINGLE, _POSITIONS.encode
    out = []
    append = out.append
    for term, positions in terms.items():
        count = len(positions)
        if count == 1:
            position = positions[0]
            append((term.encode("utf-8"), 1, 1.0, single[position] if position < 4096 else encode(positions)))
        else:
            append((term.encode("utf-8"), count, weights[count] if count < 256 else float(count), encode(positions)))
    return out
