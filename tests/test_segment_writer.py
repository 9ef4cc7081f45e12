"""The bulk segment writer writes the same index Whoosh's own writer would:
same terms, same postings (documents, frequencies, positions), same term
statistics, field lengths and stored fields — so every reader, phrase query
and score is unchanged. Checked on real Vietnamese articles, including a
segment merge over deleted documents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import NEWS, write_jsonl
from whoosh import index as whoosh_index
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from vn_search import sample_path
from vn_search.storage.codec import VnCodec
from vn_search.indexer import document_fields
from vn_search.storage.schema import build_schema
from vn_search.storage import segment_writer
from vn_search.storage.segment_writer import INLINE_LIMIT, BulkSegmentWriter
from vn_search.sources import read_sources


def _documents(tmp_path: Path) -> list:
    # Repeat the articles under new ids so some terms pass the inline limit
    # and the block size (128 postings), and are written as blocks.
    records = [dict(article, id=f"{article['id']}-{copy}") for copy in range(60) for article in NEWS]
    path = write_jsonl(tmp_path / "news.jsonl", records)
    items = []
    for doc in read_sources([path, sample_path()]):
        items.append(doc)
        items.extend(doc.related)
    return items


def _postings(reader, fieldname: str, text: bytes) -> list:
    matcher = reader.postings(fieldname, text)
    found = []
    while matcher.is_active():
        found.append((matcher.id(), float(matcher.weight()), matcher.value() or b""))
        matcher.next()
    return found


def _term_stats(info) -> tuple:
    return (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
            info.max_weight(), info.min_id(), info.max_id())


def _assert_same_index(expected_dir: Path, actual_dir: Path) -> int:
    expected = whoosh_index.open_dir(str(expected_dir)).reader()
    actual = whoosh_index.open_dir(str(actual_dir)).reader()
    assert actual.doc_count() == expected.doc_count()
    compared = 0
    for fieldname in expected.indexed_field_names():
        terms = list(expected.lexicon(fieldname))
        assert list(actual.lexicon(fieldname)) == terms, fieldname
        for text in terms:
            assert _postings(actual, fieldname, text) == _postings(expected, fieldname, text), (fieldname, text)
            assert _term_stats(actual.term_info(fieldname, text)) == _term_stats(expected.term_info(fieldname, text))
            compared += 1
        for docnum in expected.all_doc_ids():
            assert actual.doc_field_length(docnum, fieldname) == expected.doc_field_length(docnum, fieldname)
    for docnum in expected.all_doc_ids():
        assert actual.stored_fields(docnum) == expected.stored_fields(docnum)
    return compared


def _write(directory: Path, writer_class, documents: list, delete: tuple = ()) -> None:
    ix = whoosh_index.create_in(str(directory), build_schema())
    writer = writer_class(ix)
    for fields in documents:
        writer.add_document(**fields)
    writer.commit()
    if delete:
        # Delete some documents, then merge everything into one segment: the
        # merge copies the surviving postings through the writer again.
        writer = writer_class(ix)
        with ix.searcher() as searcher:
            for doc_id in delete:
                writer.delete_document(searcher.document_number(id=doc_id))
        for fields in documents[:3]:
            writer.add_document(**dict(fields, id=fields["id"] + "-again"))
        writer.commit(optimize=True)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> list:
    return [document_fields(doc) for doc in _documents(tmp_path_factory.mktemp("news"))]


def test_bulk_writer_writes_what_whoosh_writes(tmp_path, analysed):
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkSegmentWriter)):
        (tmp_path / name).mkdir()
        _write(tmp_path / name, writer_class, analysed)
    reader = whoosh_index.open_dir(str(tmp_path / "bulk")).reader()
    frequencies = [reader.doc_frequency(f, t) for f in ("body_f", "title_f") for t in reader.lexicon(f)]
    assert any(df <= INLINE_LIMIT for df in frequencies), "some terms are stored inline"
    assert any(df > 128 for df in frequencies), "some terms span several blocks"
    assert _assert_same_index(tmp_path / "whoosh", tmp_path / "bulk") > 1000


def test_whooshs_own_writer_with_our_codec_writes_the_same_index(tmp_path, analysed):
    # Whoosh's writer (used by tools and by Whoosh's merges) goes through
    # the codec's generic term path, with its own inlining of postings.
    (tmp_path / "whoosh").mkdir()
    (tmp_path / "vn").mkdir()
    _write(tmp_path / "whoosh", SegmentWriter, analysed)
    _write(tmp_path / "vn", lambda ix: SegmentWriter(ix, codec=VnCodec()), analysed)
    assert _assert_same_index(tmp_path / "whoosh", tmp_path / "vn") > 1000


def test_the_term_table_is_a_fraction_of_whooshs(tmp_path, analysed):
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkSegmentWriter)):
        (tmp_path / name).mkdir()
        _write(tmp_path / name, lambda ix: writer_class(ix, compound=False), analysed)
    w3 = sum(f.stat().st_size for f in (tmp_path / "whoosh").glob("*.trm"))
    ours = sum(f.stat().st_size for f in (tmp_path / "bulk").glob("*.vnt"))
    assert w3 and ours and ours < 0.4 * w3, (ours, w3)


def test_a_field_written_a_few_terms_at_a_time_is_the_same_index(tmp_path, analysed, monkeypatch):
    # Large fields are sorted and converted in parts; make every part tiny.
    monkeypatch.setattr(segment_writer, "_PART", 50)
    monkeypatch.setattr(segment_writer, "_CHUNK", 7)
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkSegmentWriter)):
        (tmp_path / name).mkdir()
        _write(tmp_path / name, writer_class, analysed)
    assert _assert_same_index(tmp_path / "whoosh", tmp_path / "bulk") > 1000


def test_merging_segments_with_deletions_keeps_the_same_index(tmp_path, analysed):
    deleted = ("vn-001-0", "vn-003-7", analysed[-1]["id"])
    for name, writer_class in (("whoosh", SegmentWriter), ("bulk", BulkSegmentWriter)):
        (tmp_path / name).mkdir()
        _write(tmp_path / name, writer_class, analysed, delete=deleted)
    _assert_same_index(tmp_path / "whoosh", tmp_path / "bulk")
    with whoosh_index.open_dir(str(tmp_path / "bulk")).searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 1
        assert searcher.document_number(id="vn-001-0") is None
        assert searcher.document_number(id="vn-001-0-again") is not None


def test_two_workers_with_many_segments_index_what_one_process_does(tmp_path, monkeypatch):
    """The parallel path (worker processes, each starting new segments as
    its memory budget fills) finds the same documents with the same scores,
    and learns the same accents, as indexing in one process."""
    from test_crash_safety import news_articles

    from vn_search import SearchEngine, indexer
    from vn_search.indexer import ACCENT_MODEL_FILE
    from vn_search.storage.writers import _AnalysingTask
    from vn_search.accents import AccentModel

    monkeypatch.setattr(_AnalysingTask, "segment_mb", 0.25)  # a few dozen articles per segment
    monkeypatch.setattr(indexer, "_ACCENT_MB", 0.05)  # and accent counts saved to many files
    merged = []
    merge = AccentModel.merge
    monkeypatch.setattr(AccentModel, "merge", lambda model, other: merged.append(1) or merge(model, other))
    corpus = write_jsonl(tmp_path / "news.jsonl", news_articles(400, seed=5, prefix="bao"))
    engines = {}
    for workers in (1, 2):
        engine = engines[workers] = SearchEngine(tmp_path / f"index-{workers}")
        report = engine.index([corpus], workers=workers)
        assert report.articles == 400 and not report.problems
    reader, _ = engines[2]._current().reader()
    assert reader.segment_count() >= 4, "each worker wrote several segments"
    assert len(merged) >= 4, "and saved its accent counts several times"
    for query in ("Lào Cai", "luan chuyen can bo", '"Hà Nội"', "hội nghị -Lào", "giá vàng tăng"):
        found = [engine.search(query, per_page=50) for engine in engines.values()]
        assert found[0].total == found[1].total > 0, query
        scores = [[round(hit.score, 4) for hit in results.hits] for results in found]
        assert scores[0] == scores[1], query
        # Equal scores may come in another order; above the last score the
        # same documents must be there.
        above = [{hit.id for hit in results.hits if round(hit.score, 4) > scores[0][-1]} for results in found]
        assert above[0] == above[1], query
    models = [AccentModel.load(engine._current().path / ACCENT_MODEL_FILE) for engine in engines.values()]
    assert models[0] == models[1]


def test_field_lengths_become_the_bytes_whoosh_stores():
    lengths = np.arange(0, 200_000)
    expected = [length_to_byte(int(n)) for n in lengths]
    assert segment_writer._length_bytes_of(lengths).tolist() == expected


@pytest.mark.parametrize("runs", [
    [[0]],
    [[0, 1, 2], [65535], [7, 300, 65534, 65535]],
    [[n, n + 1] for n in range(0, 60000, 470)],  # a full block of 128 postings
])
def test_packed_positions_give_back_every_position(runs):
    from vn_search.storage.positions import CompactPositions, all_positions, first_positions, pack_positions

    fmt = CompactPositions()
    packed = pack_positions([fmt.encode(run) for run in runs])
    counts, positions = all_positions(fmt, packed)
    assert counts.tolist() == [len(run) for run in runs]
    assert positions.tolist() == [p for run in runs for p in run]
    assert first_positions(fmt, packed).tolist() == [run[0] for run in runs]


def test_positions_past_16_bits_are_kept_unpacked():
    from vn_search.storage.positions import CompactPositions, pack_positions

    fmt = CompactPositions()
    assert pack_positions([fmt.encode([3]), fmt.encode([5, 70000])]) is None


def test_an_index_of_whoosh_segments_takes_updates_and_merges(tmp_path, analysed):
    # Indexes built before VnCodec hold W3 segments: they keep being read
    # as such, and merge into new segments without losing anything.
    half = len(analysed) // 2
    for name, writer_classes in (("whoosh", (SegmentWriter, SegmentWriter)), ("mixed", (SegmentWriter, BulkSegmentWriter))):
        (tmp_path / name).mkdir()
        ix = whoosh_index.create_in(str(tmp_path / name), build_schema())
        for update, (writer_class, part) in enumerate(zip(writer_classes, (analysed[:half], analysed[half:]))):
            writer = writer_class(ix)
            for fields in part:
                writer.add_document(**fields)
            writer.commit(optimize=update == 1)
    segments = whoosh_index.open_dir(str(tmp_path / "mixed"))._segments()
    assert [type(segment.codec()) for segment in segments] == [VnCodec], "merged into one segment of ours"
    assert _assert_same_index(tmp_path / "whoosh", tmp_path / "mixed") > 1000


def test_posting_lists_read_whole_match_them_read_one_posting_at_a_time(tmp_path, analysed, monkeypatch):
    # postings.leaf_postings decodes all of a list's blocks together (ids,
    # frequencies, first positions from packed blocks): check it against
    # Whoosh's matcher, posting by posting, on lists of many small blocks.
    from vn_search.storage.postings import leaf_postings

    monkeypatch.setattr(segment_writer, "_BLOCK", 8)
    _write(tmp_path, BulkSegmentWriter, analysed)
    reader = whoosh_index.open_dir(str(tmp_path)).reader()
    checked = 0
    for fieldname in ("body_f", "title_f", "body"):
        fmt = reader.schema[fieldname].format
        positions = fieldname.endswith("_f")
        for text in reader.lexicon(fieldname):
            if reader.doc_frequency(fieldname, text) <= INLINE_LIMIT:  # in the term table
                continue
            found = leaf_postings(reader.postings(fieldname, text), fmt if positions else None)
            expected = _postings(reader, fieldname, text)
            assert found.ids.tolist() == [doc for doc, _, _ in expected]
            assert found.tf.tolist() == [weight for _, weight, _ in expected]
            if positions:
                assert found.first.tolist() == [fmt.decode_positions(value)[0] for _, _, value in expected]
            checked += 1
    assert checked > 20, checked
