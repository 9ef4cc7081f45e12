"""The accent model's file: pruned counts as a zip of plain numeric arrays.

An index keeps its accent model beside its segments (``accents.npz``) and a
server loads it at start. Nothing in the file is executable: it is read with
``allow_pickle=False``, its unpacked size is capped, and every word id it
refers to is checked, so a truncated or altered file is refused by name
rather than decoded into nonsense.

Layout (``numpy.savez_compressed``): ``header`` (JSON: format and version),
``words`` (UTF-8, one per line, the reserved ones first), ``unigrams`` and
``cased`` (uint32), and per order ``bigrams_steps``/``trigrams_steps``
(uint64 differences between consecutive sorted codes) with
``bigrams_counts``/``trigrams_counts`` (uint32).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from os import PathLike
from typing import NamedTuple

import numpy as np

from vn_search.accents.counts import ID_BITS, ID_MASK, CountTable
from vn_search.accents.tokens import RESERVED

FORMAT = "vn_search.accent-model"
VERSION = 1
_MAX_UNPACKED_BYTES = 4 << 30  # the corpus C model unpacks to 53 MB
_ORDERS = (("bigrams", 2), ("trigrams", 3))


class StoredCounts(NamedTuple):
    """What a model file holds: the words and their counts, as the model keeps them."""

    words: list[str]
    unigrams: np.ndarray
    cased: np.ndarray
    bigrams: CountTable
    trigrams: CountTable


def write_model(path: str | PathLike[str], counts: StoredCounts) -> None:
    """Write ``counts`` (already pruned and numbered) to ``path``."""
    arrays = {
        "header": _utf8(json.dumps({"format": FORMAT, "version": VERSION})),
        "words": _utf8("\n".join(counts.words)),
        "unigrams": counts.unigrams.astype(np.uint32),
        "cased": counts.cased.astype(np.uint32),
    }
    for name, table in zip((name for name, _ in _ORDERS), (counts.bigrams, counts.trigrams)):
        # Sorted codes change little from one to the next: store the steps,
        # which compress to a third of the codes themselves.
        arrays[f"{name}_steps"] = np.diff(table.keys, prepend=0).astype(np.uint64)
        arrays[f"{name}_counts"] = table.counts.astype(np.uint32)
    with open(path, "wb") as out:
        np.savez_compressed(out, **arrays)


def read_model(path: str | PathLike[str]) -> StoredCounts:
    """The counts of a file written by :func:`write_model`.

    Raises ValueError naming the file when it is not such a model (or was
    truncated or altered), FileNotFoundError when there is no file.
    """
    try:
        with np.load(path, allow_pickle=False) as stored:
            unpacked = sum(member.file_size for member in stored.zip.infolist())
            if unpacked > _MAX_UNPACKED_BYTES:  # a zip bomb, not a model
                raise ValueError(f"{unpacked:,} bytes once unpacked, more than any model")
            header = json.loads(stored["header"].tobytes().decode("utf-8"))
            if header.get("format") != FORMAT or header.get("version") != VERSION:
                raise ValueError(f"expected {FORMAT} version {VERSION}, found {header!r}")
            words = stored["words"].tobytes().decode("utf-8").split("\n")
            unigrams = _stored(stored, "unigrams", np.uint32).astype(np.int64)
            cased = _stored(stored, "cased", np.uint32).astype(np.int64)
            tables = []
            for name, _ in _ORDERS:
                keys = _stored(stored, f"{name}_steps", np.uint64)
                np.cumsum(keys, out=keys)  # in place: the model is tens of MB
                counts = _stored(stored, f"{name}_counts", np.uint32)
                tables.append(CountTable(keys.view(np.int64), counts))
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise  # no model there: not the same as a broken one
    except (OSError, EOFError, KeyError, TypeError, ValueError, AttributeError,
            zipfile.BadZipFile, zlib.error) as error:
        raise ValueError(f"{path}: not a readable accent model ({error})") from error
    _check_stored(path, words, unigrams, cased, tables)
    return StoredCounts(words, unigrams, cased, *tables)


def _check_stored(path: object, words: list[str], unigrams: np.ndarray, cased: np.ndarray,
                  tables: list[CountTable]) -> None:
    """Refuse a file whose arrays do not fit together (truncated, tampered)."""
    if words[: len(RESERVED)] != list(RESERVED) or len(set(words)) != len(words):
        raise ValueError(f"{path}: expected the reserved words {RESERVED} first, then distinct words")
    if not len(words) == len(unigrams) == len(cased) or cased.ndim != 2 or cased.shape[1] != 2:
        raise ValueError(f"{path}: {len(words)} words but {len(unigrams)} counts, cased {cased.shape}")
    for table, (_, order) in zip(tables, _ORDERS):
        keys = table.keys
        if len(keys) != len(table.counts):
            raise ValueError(f"{path}: {order}-gram codes and counts differ in length")
        if len(keys) and (
            keys[0] < 0 or (keys[1:] <= keys[:-1]).any()
            or keys[-1] >> (ID_BITS * (order - 1)) >= len(words)  # sorted: the largest first id
            or _largest_later_id(keys, order) >= len(words)
        ):
            raise ValueError(f"{path}: {order}-gram codes are unsorted or name unknown words")


def _largest_later_id(keys: np.ndarray, order: int) -> int:
    """The largest word id in any position but the first of packed n-grams."""
    ids = np.empty_like(keys)  # one scratch array, however many positions
    largest = 0
    for position in range(1, order):
        np.right_shift(keys, ID_BITS * (order - 1 - position), out=ids)
        np.bitwise_and(ids, ID_MASK, out=ids)
        largest = max(largest, int(ids.max()))
    return largest


def _stored(stored: np.lib.npyio.NpzFile, name: str, dtype: type) -> np.ndarray:
    values = stored[name]
    if values.dtype != dtype or values.ndim != (2 if name == "cased" else 1):
        expected = np.dtype(dtype).name
        raise ValueError(f"expected {name} as {expected}, found {values.dtype} {values.shape}")
    return values


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
