"""N-gram counts packed into numpy arrays.

A corpus of tens of thousands of articles holds tens of millions of distinct
bi- and trigrams: as Python dict entries they would take gigabytes. Three
21-bit word ids pack into one ``int64`` code, and a count table is sorted
codes beside parallel counts, which merge, prune and renumber with a few
array operations.
"""

from __future__ import annotations

import numpy as np

ID_BITS = 21  # three word ids pack into one int64 n-gram code
ID_MASK = (1 << ID_BITS) - 1
MAX_WORDS = 1 << ID_BITS


def pack(*ids: np.ndarray) -> np.ndarray:
    """Word ids (broadcastable arrays) → one int64 code per n-gram."""
    code = np.asarray(ids[0], dtype=np.int64)
    for more in ids[1:]:
        code = (code << ID_BITS) | more
    return code


def unpack(codes: np.ndarray, order: int) -> list[np.ndarray]:
    """The word ids of ``order``-gram codes, one array per position."""
    return [(codes >> (ID_BITS * (order - 1 - k))) & ID_MASK for k in range(order)]


def runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of each run of equal neighbours in ``values``."""
    if len(values) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.intp)
    starts = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
    return starts, np.diff(np.append(starts, len(values)))


def _sum_duplicates(keys: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort ``keys`` and add up the counts of equal keys."""
    # A stable sort of int64 is timsort: already-sorted runs merge in linear time.
    order = np.argsort(keys, kind="stable")
    keys, counts = keys[order], counts[order].astype(np.int64)
    starts, _ = runs(keys)
    if len(starts) == 0:
        return keys, counts
    return keys[starts], np.add.reduceat(counts, starts)


def _merge_sorted(
    keys: np.ndarray, counts: np.ndarray, more_keys: np.ndarray, more_counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Two count tables (sorted, unique keys) as one, adding the counts of
    keys in both. Sorting the two together took five times their size in
    memory; this takes the new table and the smaller one's lookups."""
    counts = counts.astype(np.int64, copy=False)  # a loaded table's are narrower
    at = np.searchsorted(keys, more_keys)
    found = at < len(keys)
    found[found] = keys[at[found]] == more_keys[found]
    counts[at[found]] += more_counts[found]  # the table owns its counts
    missing = ~found
    return np.insert(keys, at[missing], more_keys[missing]), np.insert(counts, at[missing], more_counts[missing])


class CountTable:
    """How often each packed n-gram was seen: sorted codes, parallel counts.

    Chunks of new codes wait and are folded in when they outgrow the table,
    so training does not re-sort everything after each document.
    """

    def __init__(self, keys: np.ndarray | None = None, counts: np.ndarray | None = None) -> None:
        self._keys = np.zeros(0, np.int64) if keys is None else keys
        self._counts = np.zeros(0, np.int64) if counts is None else counts
        self._waiting: list[tuple[np.ndarray, np.ndarray]] = []
        self._waiting_size = 0

    @property
    def keys(self) -> np.ndarray:
        self._settle()
        return self._keys

    @property
    def counts(self) -> np.ndarray:
        self._settle()
        return self._counts

    def count_of(self, codes: np.ndarray) -> np.ndarray:
        """How often each of ``codes`` was seen (0: never, or pruned)."""
        keys, counts = self.keys, self.counts
        if not len(keys):
            return np.zeros(len(codes), np.int64)
        at = np.minimum(np.searchsorted(keys, codes), len(keys) - 1)
        return np.where(keys[at] == codes, counts[at], 0)

    def add_codes(self, codes: np.ndarray) -> None:
        self.add_counts(*np.unique(codes, return_counts=True))

    def add_counts(self, keys: np.ndarray, counts: np.ndarray) -> None:
        self._waiting.append((keys, counts))
        self._waiting_size += len(keys)
        # Geometric merging: each code is merged in O(log n) times, and the
        # codes waiting stay a fraction of the table (they cost about four
        # times their size to sort).
        if self._waiting_size > max(len(self._keys) // 2, 1_000_000):
            self._settle()

    def _settle(self) -> None:
        if not self._waiting:
            return
        keys = np.concatenate([k for k, _ in self._waiting])
        counts = np.concatenate([c for _, c in self._waiting])
        self._waiting, self._waiting_size = [], 0
        self._keys, self._counts = _merge_sorted(self._keys, self._counts, *_sum_duplicates(keys, counts))

    @property
    def nbytes(self) -> int:
        """Memory held by the table and the codes waiting to join it."""
        waiting = sum(keys.nbytes + counts.nbytes for keys, counts in self._waiting)
        return self._keys.nbytes + self._counts.nbytes + waiting

    def pruned(self, min_count: int) -> CountTable:
        keep = self.counts >= min_count
        return CountTable(self.keys[keep], self.counts[keep])

    def renumbered(self, new_ids: np.ndarray, order: int) -> CountTable:
        """The same counts with every word id ``i`` replaced by ``new_ids[i]``."""
        keys = pack(*(new_ids[part] for part in unpack(self.keys, order)))
        return CountTable(*_sum_duplicates(keys, self.counts))
