"""The term table finds every term it holds, and nothing else, with the
statistics and postings it was given: whatever the keys (shared prefixes
longer than a varint byte, Vietnamese UTF-8, neighbours of missing
keys), the numbers (documents past 2^14 and 2^32 offsets, fractional
weights) and the storage (files or memory)."""

from __future__ import annotations

import json
import pickle
import random
import struct

import pytest
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.util.numeric import byte_to_length

from vn_search.storage.term_table import BLOCK_TERMS, TermTableReader, TermTableWriter, decode_record, encode_record


def _stats(info) -> tuple:
    return (info.doc_frequency(), info.weight(), info.max_weight(), info.min_length(), info.max_length(),
            info.min_id(), info.max_id())


@pytest.mark.parametrize(
    "stats, inlined, extent",
    [
        ((1, 1, 1, 12, 12, 7, 7), ((7,), None, (b"\x03\x00",)), None),  # seen once, one position
        ((3, 5, 3, 4, 200, 16383, 90000), ((16383, 16384, 90000), (1, 3, 1), (b"\x01\x00", b"I\x00\x00\x01\x00", b"")), None),
        ((2, 2, 1, 9, 9, 5, 6), ((5, 6), None, None), None),  # a field without positions
        ((2, 3.5, 2.5, 1, 2, 0, 1), ((0, 1), (1.0, 2.5), None), None),  # boosted weights
        ((500, 812, 9, 1, 255, 3, 70000), None, (5_000_000_000, 70_000)),  # posting blocks past 4 GB
        ((1, 4, 4, 30, 30, 123456, 123456), None, (17, 40)),
    ],
)
def test_a_record_gives_back_what_was_written(stats, inlined, extent):
    info = decode_record(encode_record(*stats, inlined=inlined, extent=extent))
    df, weight, max_weight, min_byte, max_byte, first, last = stats
    assert _stats(info) == (df, weight, max_weight, byte_to_length(min_byte), byte_to_length(max_byte), first, last)
    if inlined is None:
        assert not info.is_inlined() and info.extent() == extent
    else:
        docs, weights, values = info.inlined_postings()
        assert docs == inlined[0]
        assert weights == (tuple(inlined[1]) if inlined[1] else None)
        assert values == tuple(inlined[2] or ())


def _keys() -> list[bytes]:
    words = ["cán_bộ", "cán", "can", "can bo", "luân_chuyển", "luan chuyen", "Đà_Nẵng", "đà nẵng", "2024", "covid-19",
             "hòa", "hoà", "x" * 300, "x" * 300 + "y", "x" * 300 + "z", "😀", "https://tuoitre.vn/a.htm"]
    keys = {field.to_bytes(2, "big") + w.encode() for field in (0, 1, 7) for w in words}
    keys |= {b"\x00\x01" + f"từ{n:05d}".encode() for n in range(1000)}
    return sorted(keys)


@pytest.mark.parametrize("storage_kind", ["files", "memory"])
def test_every_key_is_found_and_nothing_else(tmp_path, storage_kind):
    storage = FileStorage(str(tmp_path)) if storage_kind == "files" else RamStorage()
    keys = _keys()
    records = [encode_record(1, 1, 1, 1, 1, n, n, inlined=((n,), None, None)) for n in range(len(keys))]
    writer = TermTableWriter(storage.create_file("t.vnt"))
    writer.extras["fieldmap"] = {"title": 0}
    random.seed(3)
    at = 0
    while at < len(keys):  # written in uneven batches, as the segment writer does
        step = random.randint(1, 40)
        writer.add_records(keys[at : at + step], records[at : at + step])
        at += step
    writer.close()
    table = TermTableReader(storage.open_file("t.vnt"), storage.file_length("t.vnt"))
    assert table.count == len(keys) > 3 * BLOCK_TERMS
    assert table.extras == {"fieldmap": {"title": 0}}
    for key, record in zip(keys, records):
        assert table.get(key) == record
    for absent in (b"", b"\x00", b"\x00\x00c", b"\x00\x00" + "hoa".encode(), b"\x00\x00" + b"x" * 301, b"\xff\xff",
                   b"\x00\x01t\xe1\xbb\xab00999a"):
        assert absent not in table
    assert [key for key, _ in table.items_from()] == keys
    middle = keys[len(keys) // 2]
    assert [key for key, _ in table.items_from(middle)] == keys[len(keys) // 2 :]
    assert [key for key, _ in table.items_from(middle + b"\x00")] == keys[len(keys) // 2 + 1 :]
    table.close()


def test_an_empty_table_holds_nothing(tmp_path):
    storage = FileStorage(str(tmp_path))
    TermTableWriter(storage.create_file("t.vnt")).close()
    table = TermTableReader(storage.open_file("t.vnt"), storage.file_length("t.vnt"))
    assert table.count == 0 and b"\x00\x00a" not in table and list(table.items_from()) == []


def test_keys_out_of_order_are_refused(tmp_path):
    writer = TermTableWriter(FileStorage(str(tmp_path)).create_file("t.vnt"))
    record = encode_record(1, 1, 1, 1, 1, 0, 0, inlined=((0,), None, None))
    with pytest.raises(ValueError, match="out of order"):
        writer.add_records([b"\x00\x00hoa", b"\x00\x00ho"], [record, record])


def test_a_truncated_table_is_refused(tmp_path):
    storage = FileStorage(str(tmp_path))
    writer = TermTableWriter(storage.create_file("t.vnt"))
    writer.add_records([b"\x00\x00ha"], [encode_record(1, 1, 1, 1, 1, 0, 0, inlined=((0,), None, None))])
    writer.close()
    data = (tmp_path / "t.vnt").read_bytes()
    (tmp_path / "t.vnt").write_bytes(data[:-3])
    with pytest.raises(ValueError):
        TermTableReader(storage.open_file("t.vnt"), storage.file_length("t.vnt"))


def _one_term_table(storage, name: str) -> tuple[bytes, bytes]:
    """Write a table holding one term and a field map; its key and record."""
    key, record = b"\x00\x01" + "hà".encode(), encode_record(1, 1, 1, 1, 1, 7, 7, inlined=((7,), None, None))
    writer = TermTableWriter(storage.create_file(name))
    writer.extras["fieldmap"] = {"title": 0, "title_f": 1}
    writer.add_records([key], [record])
    writer.close()
    return key, record


def _with_extras(data: bytes, magic: bytes, extras: bytes) -> bytes:
    """The same table with another magic and other stored extras."""
    index_at, extras_at, _ = struct.unpack("<QQ4s", data[-20:])
    return magic + data[4:extras_at] + extras + struct.pack("<QQ4s", index_at, extras_at, magic)


_UNPICKLED = []


class _RunsWhenUnpickled:
    def __reduce__(self):
        return (_UNPICKLED.append, ("code ran",))


def test_extras_are_json_and_a_pickle_in_their_place_is_refused_unread(tmp_path):
    storage = FileStorage(str(tmp_path))
    _one_term_table(storage, "t.vnt")
    data = (tmp_path / "t.vnt").read_bytes()
    _, extras_at, _ = struct.unpack("<QQ4s", data[-20:])
    assert json.loads(data[extras_at:-20]) == {"fieldmap": {"title": 0, "title_f": 1}}

    payload = pickle.dumps({"fieldmap": _RunsWhenUnpickled()})
    (tmp_path / "evil.vnt").write_bytes(_with_extras(data, data[:4], payload))
    with pytest.raises(ValueError):
        TermTableReader(storage.open_file("evil.vnt"), storage.file_length("evil.vnt"))
    assert _UNPICKLED == []


def test_a_table_from_before_json_extras_still_opens(tmp_path):
    # Indexes built before the extras were JSON (VNT1, pickled extras) keep
    # working until the next ANALYSIS_VERSION bump asks for a rebuild.
    storage = FileStorage(str(tmp_path))
    key, record = _one_term_table(storage, "t.vnt")
    data = (tmp_path / "t.vnt").read_bytes()
    old_extras = pickle.dumps({"fieldmap": {"title": 0, "title_f": 1}}, pickle.HIGHEST_PROTOCOL)
    (tmp_path / "old.vnt").write_bytes(_with_extras(data, b"VNT1", old_extras))
    table = TermTableReader(storage.open_file("old.vnt"), storage.file_length("old.vnt"))
    assert table.extras == {"fieldmap": {"title": 0, "title_f": 1}}
    assert table.get(key) == record and b"\x00\x01ha" not in table
    table.close()
