"""Benchmark: stored fields with a zlib preset dictionary against Whoosh's W3 column.

    .venv/bin/python bench/stored_compression.py [--index-dir bench/work/index-C-v5] [--docs 20000] [--first 0]

Reads the stored fields of ``--docs`` documents of an existing index, in
index order from ``--first`` (read-only), and writes them into in-memory
column files: once as W3 does (pickle, zlib level 3 per document; checked
against the bytes the index holds), once at level 6 without a dictionary,
then through ``vn_search.stored_column`` at levels 4 (the column's
setting) to 9 with the dictionary learned from the first 2 MB, at level 6
from the first 256 KB, 1 MB or 4 MB, and with two simpler dictionaries
(the held-back documents' last 32 KB; frequent words). Every document is
checked to read back equal.

For each: column bytes per document (dictionary and offsets included),
ratio to W3, CPU seconds to write all documents (pickling and learning the
dictionary included), and CPU µs to read one (decompress and unpickle; best
of 3 rounds over the same 1,000 random documents, the variants taking
turns). CPU time, not wall time: the machine is shared.

The column learns one dictionary per segment, from its first documents: a
range inside one segment (the index's segment sizes are printed) is what
the column would write. Writes ``bench/results/stored_compression.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import random
import sys
import time
import zlib
from collections import Counter
from pathlib import Path
from unittest import mock

import whoosh.index
from whoosh.codec.whoosh3 import STORED_COLUMN
from whoosh.columns import PickleColumn, VarBytesColumn
from whoosh.filedb.filestore import RamStorage

from vn_search import store, stored_column
from vn_search.stored_column import (
    DICTIONARY_BYTES,
    STORED_TEXT_COLUMN,
    DictionaryCompressedBytesColumn,
    StoredTextReader,
)

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "stored_compression.json"
SEED = 13
ROUNDS = 3


def tail_dictionary(samples, size=DICTIONARY_BYTES) -> bytes:
    """The last held-back documents, as they are."""
    return b"".join(samples)[-size:]


def words_dictionary(samples, size=DICTIONARY_BYTES) -> bytes:
    """Words found in several documents, those worth most (documents x length) last."""
    documents_with = Counter()
    for sample in samples:
        documents_with.update(set(sample.split(b" ")))
    ranked = sorted((n * (len(word) + 1), word) for word, n in documents_with.items() if n > 1)
    return b" ".join(word for _, word in ranked)[-size:]


VARIANTS = [  # name, level, held-back bytes, dictionary builder (None: the column's own)
    ("dictionary, first 2 MB, level 4", 4, 1 << 21, None),
    ("dictionary, first 2 MB, level 5", 5, 1 << 21, None),
    ("dictionary, first 2 MB, level 6", 6, 1 << 21, None),
    ("dictionary, first 2 MB, level 9", 9, 1 << 21, None),
    ("dictionary, first 256 KB, level 6", 6, 1 << 18, None),
    ("dictionary, first 1 MB, level 6", 6, 1 << 20, None),
    ("dictionary, first 4 MB, level 6", 6, 1 << 22, None),
    ("last 32 KB of first 2 MB, level 6", 6, 1 << 21, tail_dictionary),
    ("frequent words of first 2 MB, level 6", 6, 1 << 21, words_dictionary),
]


def read_stored(index_dir: Path, first: int, count: int) -> tuple[list[dict], int, int, list[int]]:
    """Stored fields of documents ``first`` .. ``first + count`` of the index,
    how many the index holds byte for byte as ``zlib.compress(pickle, 3)``
    (all, in W3 segments; none in VnCodec's), the bytes it holds for them,
    and the index's segment sizes."""
    generation = store.current_generation(index_dir) or index_dir
    ix = whoosh.index.open_dir(str(generation), readonly=True)
    with ix.reader() as reader:
        stop = min(first + count, reader.doc_count_all())
        values, identical, stored_bytes = [], 0, 0
        for segment, base in reader.leaf_readers():
            if isinstance(segment._perdoc, StoredTextReader):  # written by VnCodec: its compressed bytes
                raw = segment._perdoc._cached_reader("_stored", STORED_TEXT_COLUMN)._child._values
            else:  # a W3 segment's
                raw = segment._perdoc._cached_reader("_stored", STORED_COLUMN)._child
            for docnum in range(max(first, base), min(stop, base + segment.doc_count_all())):
                local = docnum - base
                value = segment.stored_fields(local)
                held = VarBytesColumn.Reader.__getitem__(raw, local)
                identical += held == zlib.compress(pickle.dumps(value, 2), 3)
                stored_bytes += len(held)
                values.append(value)
        segment_sizes = [segment.doc_count_all() for segment, _ in reader.leaf_readers()]
    return values, identical, stored_bytes, segment_sizes


def write_column(column, values: list[dict]) -> tuple[RamStorage, int, float]:
    """The values written through ``column``: the storage, file length, seconds."""
    storage = RamStorage()
    started = time.process_time()
    with storage.create_file("column") as dbfile:
        writer = column.writer(dbfile)
        for docnum, value in enumerate(values):
            writer.add(docnum, value)
        writer.finish(len(values))
    seconds = time.process_time() - started
    return storage, storage.file_length("column"), seconds


def open_column(column, storage: RamStorage, doccount: int):
    return column.reader(storage.open_file("column"), 0, storage.file_length("column"), doccount)


def measure(values: list[dict], reads: int) -> list[dict]:
    variants = [("current: W3, zlib level 3", STORED_COLUMN, None)]
    no_dictionary = PickleColumn(DictionaryCompressedBytesColumn(6, 0))
    variants.append(("zlib level 6, no dictionary", no_dictionary, lambda samples: b""))
    for name, level, held_back, builder in VARIANTS:
        variants.append((name, PickleColumn(DictionaryCompressedBytesColumn(level, held_back)), builder))

    rows, readers = [], []
    for name, column, builder in variants:
        with mock.patch.object(stored_column, "build_dictionary", builder or stored_column.build_dictionary):
            storage, size, seconds = write_column(column, values)
        reader = open_column(column, storage, len(values))
        if any(reader[docnum] != value for docnum, value in enumerate(values)):
            raise AssertionError(f"{name}: a document read back differently")
        rows.append({"variant": name, "bytes_per_doc": size / len(values), "write_s": seconds})
        readers.append(reader)
        print(f"  wrote {name}: {seconds:.1f} s", file=sys.stderr, flush=True)

    sample = random.Random(SEED).sample(range(len(values)), min(reads, len(values)))
    best = [float("inf")] * len(readers)
    for _ in range(ROUNDS):
        for number, reader in enumerate(readers):
            started = time.process_time()
            for docnum in sample:
                reader[docnum]
            best[number] = min(best[number], (time.process_time() - started) / len(sample))
    baseline = rows[0]["bytes_per_doc"]
    for row, seconds in zip(rows, best):
        row["ratio"] = row["bytes_per_doc"] / baseline
        row["read_us"] = seconds * 1e6
    return rows


def print_table(rows: list[dict]) -> None:
    print(f"{'variant':40s} {'bytes/doc':>9s} {'vs W3':>6s} {'write s':>8s} {'read µs':>8s}  (CPU time)")
    for row in rows:
        print(f"{row['variant']:40s} {row['bytes_per_doc']:9,.0f} {row['ratio']:6.3f} {row['write_s']:8.1f} {row['read_us']:8.1f}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, default=REPO / "bench" / "work" / "index-C-v5",
                        help="an index directory (its current generation is read) or a Whoosh index")
    parser.add_argument("--docs", type=int, default=20_000, help="documents to compress (default 20,000)")
    parser.add_argument("--first", type=int, default=0, help="first document number (default 0)")
    parser.add_argument("--reads", type=int, default=1_000, help="random documents read per round (default 1,000)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    values, identical, stored_bytes, segment_sizes = read_stored(args.index_dir, args.first, args.docs)
    print(f"{len(values):,} documents from {args.index_dir} (segments of {', '.join(f'{n:,}' for n in segment_sizes)}), "
          f"from #{args.first}; "
          f"{identical:,} held by the index exactly as zlib.compress(pickle.dumps(value, 2), 3), "
          f"{stored_bytes / len(values):,.0f} bytes/doc there")
    load = os.getloadavg()
    print(f"machine load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs")
    rows = measure(values, args.reads)
    print_table(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "index_dir": str(args.index_dir), "first": args.first, "docs": len(values),
        "identical_to_w3": identical, "segment_sizes": segment_sizes, "load": load, "python": platform.python_version(), "rows": rows,
    }, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
