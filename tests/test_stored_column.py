"""Stored fields in the dictionary-compressed column read back exactly,
through everything an index does to its segments."""

from __future__ import annotations

import pickle
import unicodedata
from datetime import datetime

import pytest
from conftest import NEWS, write_jsonl
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage
from whoosh.writing import SegmentWriter

from vn_search import sample_path
from vn_search.storage.codec import VnCodec
from vn_search.indexer import document_fields
from vn_search.storage.schema import build_schema
from vn_search.storage.segment_writer import BulkSegmentWriter
from vn_search.sources import read_sources
from vn_search.storage.stored_column import (
    DICTIONARY_BYTES,
    SAMPLE_BYTES,
    DictionaryCompressedBytesColumn,
    build_dictionary,
)


SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    headline=TEXT(stored=True),
    content=STORED,
    url=STORED,
    published=STORED,
    body=TEXT,  # indexed, not stored
)

PARAGRAPHS = [p for p in (sample_path() / "bac-ha-luan-chuyen-can-bo.txt").read_text("utf-8").split("\n\n") if p.strip()]

# What the corpus throws at the stored fields, beyond plain NFC prose.
ODD_TEXTS = [
    unicodedata.normalize("NFD", "Đồng bằng sông Cửu Long: hạn mặn khốc liệt"),  # decomposed accents
    "ĐẠI HỘI ĐẢNG TOÀN QUỐC LẦN THỨ XIII: ĐỔI MỚI VÀ PHÁT TRIỂN",  # a kicker in capitals
    "Giá vàng SJC 56.850.000 đ/lượng, tăng 1,5% 🔥📈 (cập nhật 08:30)",
    "https://vnexpress.net/gia-vang-hom-nay-20-6-3941234.html?utm_source=zalo&ref=đ",
    "",
]


def article(number: int) -> dict:
    """A stored document shaped like the engine's: text, nested content, a date."""
    news = NEWS[number % len(NEWS)]
    odd = ODD_TEXTS[number % len(ODD_TEXTS)]
    paragraphs = [PARAGRAPHS[(number + k) % len(PARAGRAPHS)] for k in range(8)]
    return {
        "id": f"{news['id']}-{number}",
        "headline": f"{news['title'].upper() if number % 3 == 0 else news['title']} ({number})",  # some all caps
        "content": {"summary": news["summary"], "paragraphs": [odd, *paragraphs], "kicker": None, "related_ids": []},
        "url": news.get("url", f"https://baomoi.com/a/{number}.epi"),
        "published": datetime(2013, 10, 23, 8, number % 60),
    }


def index_articles(directory, articles, codec=None, **writer_options):
    ix = whoosh_index.create_in(directory, SCHEMA)
    with ix.writer(codec=codec or VnCodec(), **writer_options) as writer:
        for fields in articles:
            writer.add_document(**fields, body=fields["headline"])
    return ix


def stored_by_id(directory) -> dict:
    with whoosh_index.open_dir(directory).searcher() as searcher:  # reopened: codec from the TOC
        return {fields["id"]: fields for fields in searcher.all_stored_fields()}


def test_many_articles_round_trip_exactly(tmp_path):
    articles = [article(n) for n in range(900)]
    assert sum(len(pickle.dumps(fields, 2)) for fields in articles) > 1.2 * SAMPLE_BYTES  # some after the dictionary
    index_articles(tmp_path, articles)

    stored = stored_by_id(tmp_path)

    assert stored == {fields["id"]: fields for fields in articles}
    decomposed = stored[articles[0]["id"]]["content"]["paragraphs"][0]
    assert unicodedata.is_normalized("NFD", decomposed) and not unicodedata.is_normalized("NFC", decomposed)


def test_segments_use_the_column_and_are_smaller_than_w3(tmp_path):
    articles = [article(n) for n in range(120)]
    sizes = {}
    for name, codec in (("w3", W3Codec()), ("dictionary", VnCodec())):
        (tmp_path / name).mkdir()
        ix = index_articles(tmp_path / name, articles, codec=codec, compound=False)
        (segment,) = ix._segments()
        assert type(segment.codec()) is type(codec)
        sizes[name] = ix.storage.file_length(W3Codec.column_filename(segment, "_stored"))
        assert stored_by_id(tmp_path / name) == {fields["id"]: fields for fields in articles}

    assert sizes["dictionary"] < 0.8 * sizes["w3"]


def test_engine_writer_and_schema_store_what_w3_stores(tmp_path):
    records = [dict(news, id=f"{news['id']}-{copy}") for copy in range(20) for news in NEWS]
    documents = []
    for doc in read_sources([write_jsonl(tmp_path / "news.jsonl", records), sample_path()]):
        documents.extend([doc, *doc.related])
    stored = {}
    for name, writer_class in (("w3", SegmentWriter), ("dictionary", BulkSegmentWriter)):
        (tmp_path / name).mkdir()
        writer = writer_class(whoosh_index.create_in(tmp_path / name, build_schema()))
        for doc in documents:
            writer.add_document(**document_fields(doc))
        writer.commit()
        with whoosh_index.open_dir(tmp_path / name).searcher() as searcher:
            stored[name] = list(searcher.all_stored_fields())

    assert len(stored["w3"]) == len(documents)
    assert stored["dictionary"] == stored["w3"]


def test_segment_with_one_document(tmp_path):
    only = article(7)
    index_articles(tmp_path, [only])

    assert stored_by_id(tmp_path) == {only["id"]: only}


def test_document_without_stored_fields_reads_as_empty(tmp_path):
    ix = whoosh_index.create_in(tmp_path, SCHEMA)
    with ix.writer(codec=VnCodec()) as writer:
        writer.add_document(**article(1), body="có nội dung")
        writer.add_document(body="Bài chỉ có nội dung được đánh chỉ mục, không lưu gì")
        writer.add_document(**article(2), body="có nội dung")

    with whoosh_index.open_dir(tmp_path).searcher() as searcher:
        assert [searcher.stored_fields(n) for n in range(3)] == [article(1), {}, article(2)]


def test_merging_segments_keeps_stored_fields(tmp_path):
    articles = [article(n) for n in range(60)]
    ix = whoosh_index.create_in(tmp_path, SCHEMA)
    for first in range(0, 60, 20):
        with ix.writer(codec=VnCodec(), merge=False) as writer:
            for fields in articles[first : first + 20]:
                writer.add_document(**fields)
    assert len(whoosh_index.open_dir(tmp_path)._segments()) == 3

    ix.writer(codec=VnCodec()).commit(optimize=True)

    assert len(whoosh_index.open_dir(tmp_path)._segments()) == 1
    assert stored_by_id(tmp_path) == {fields["id"]: fields for fields in articles}


def test_deleted_documents_leave_the_others_readable(tmp_path):
    articles = [article(n) for n in range(30)]
    ix = index_articles(tmp_path, articles)
    deleted = {fields["id"] for fields in articles[::3]}
    with ix.writer(codec=VnCodec(), merge=False) as writer:
        for doc_id in deleted:
            writer.delete_by_term("id", doc_id)
    kept = {fields["id"]: fields for fields in articles if fields["id"] not in deleted}

    assert stored_by_id(tmp_path) == kept
    with whoosh_index.open_dir(tmp_path).searcher() as searcher:
        assert searcher.document(id=articles[1]["id"]) == articles[1]
        assert searcher.document(id=articles[0]["id"]) is None

    ix.writer(codec=VnCodec()).commit(optimize=True)  # merging drops them for good
    assert stored_by_id(tmp_path) == kept


def write_and_read_column(values: dict[int, bytes], doccount: int, sample_bytes: int) -> list[bytes]:
    """Values written at their document numbers, read back for every document."""
    column = DictionaryCompressedBytesColumn(sample_bytes=sample_bytes)
    storage = RamStorage()
    with storage.create_file("column") as dbfile:
        writer = column.writer(dbfile)
        for docnum in sorted(values):
            writer.add(docnum, values[docnum])
        writer.finish(doccount)
    reader = column.reader(storage.open_file("column"), 0, storage.file_length("column"), doccount)
    return [reader[docnum] for docnum in range(doccount)]


@pytest.mark.parametrize("sample_bytes", [1, 3000, SAMPLE_BYTES])
def test_column_reads_back_values_gaps_and_empties(sample_bytes):
    # Values before, at and after the point the dictionary is learned.
    values = {n: ODD_TEXTS[n % len(ODD_TEXTS)].encode("utf-8") + PARAGRAPHS[n % len(PARAGRAPHS)].encode("utf-8") for n in range(0, 40, 2)}
    values[5] = b""

    read = write_and_read_column(values, doccount=43, sample_bytes=sample_bytes)

    assert read == [values.get(n, b"") for n in range(43)]


def test_column_with_no_values_or_only_empty_ones():
    assert write_and_read_column({}, doccount=0, sample_bytes=SAMPLE_BYTES) == []
    assert write_and_read_column({0: b"", 3: b""}, doccount=4, sample_bytes=SAMPLE_BYTES) == [b""] * 4


def test_dictionary_is_at_most_zlib_window_and_repeatable():
    samples = [repr(article(n)).encode("utf-8") for n in range(100)]
    assert sum(map(len, samples)) > 4 * DICTIONARY_BYTES

    dictionary = build_dictionary(samples)

    assert len(dictionary) == DICTIONARY_BYTES
    assert build_dictionary(samples) == dictionary
    assert b"paragraphs" in dictionary  # in every document: worth a place
    assert build_dictionary(samples[:2]) == samples[0] + samples[1]  # small samples are their own dictionary
