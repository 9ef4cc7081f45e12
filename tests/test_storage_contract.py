"""The storage layer's contract with Whoosh, and its boundary.

Whoosh is only ever imported by ``vn_search/storage/``, and that package
reaches into private names of Whoosh 2.7.4 (listed in its docstring). If an
upgrade renames one, these tests say which, instead of an index that
silently reads wrong. Indexes written before the package existed name our
classes by their old modules (Whoosh pickles them into the table of
contents): those names still resolve."""

from __future__ import annotations

import inspect
import pickle
import re
import sys
from datetime import datetime
from pathlib import Path

import pytest
import whoosh
from whoosh import multiproc, reading, writing
from whoosh.codec import whoosh3
from whoosh.matching import mcore

import vn_search
from vn_search.storage import legacy
from vn_search.storage.codec import VnCodec
from vn_search.storage.positions import CompactPositions
from vn_search.storage.schema import PreAnalyzedText
from vn_search.storage.segments import published_moment, published_value

CHECKED_VERSION = (2, 7, 4)

# Private names of Whoosh the storage package relies on: where Whoosh
# defines them, as text its source must hold.
PRIVATE_NAMES = {
    whoosh3: ["self._df", "self._weight", "self._minlength", "self._maxlength", "self._maxweight", "self._minid",
              "self._maxid", "self._inlined", "self._fieldid", "self._postfile", "self._format", "self._tindex",
              "self._data", "self._byteids", "def _read_data", "def _next_block", "def _cached_reader",
              "def _lenfield", "LENGTHS_COLUMN"],
    mcore: ["self._ids", "self._values", "self._weights"],
    reading: ["self._perdoc"],
    writing: ["def _check_state", "def _process_posts", "def _check_fields", "def _finalize_segment",
              "def _close_segment", "def _commit_toc", "def _finish", "def _merge_segments", "self._added", "_lk"],
    multiproc: ["def _enqueue", "def _new_task", "def _process_file", "self.jobqueue", "self.resultqueue",
                "self.docbuffer", "self.subargs"],
}


def test_whoosh_is_the_version_the_private_names_were_checked_against():
    assert whoosh.__version__ == CHECKED_VERSION, (
        f"Whoosh {whoosh.__version__} is installed; vn_search/storage/ was checked against "
        f"{CHECKED_VERSION}: re-check the private names listed in storage/__init__.py, then update this test")


@pytest.mark.parametrize("module", list(PRIVATE_NAMES), ids=lambda module: module.__name__)
def test_whoosh_still_has_the_private_names_storage_uses(module):
    source = inspect.getsource(module)
    missing = [name for name in PRIVATE_NAMES[module] if name not in source]
    assert not missing, f"{module.__name__} no longer has {missing}: vn_search/storage/ must be updated"


def test_only_the_storage_package_imports_whoosh():
    package = Path(vn_search.__file__).parent
    importing = sorted(
        str(path.relative_to(package)) for path in package.rglob("*.py")
        if re.search(r"^\s*(from|import) whoosh\b", path.read_text(encoding="utf-8"), re.MULTILINE))
    assert importing, "the storage package imports whoosh"
    assert all(name.startswith("storage/") for name in importing), importing


def test_old_indexes_find_our_classes_under_their_former_module_names():
    legacy.register_moved_modules()
    # What an older table of contents holds: classes named by module.
    for module, name, expected in [("vn_search.codec", "VnCodec", VnCodec),
                                   ("vn_search.positions", "CompactPositions", CompactPositions),
                                   ("vn_search.schema", "CompactPositions", CompactPositions),
                                   ("vn_search.schema", "PreAnalyzedText", PreAnalyzedText)]:
        assert pickle.loads(f"c{module}\n{name}\n.".encode()) is expected


def test_published_dates_round_trip_through_the_column():
    moment = datetime(2017, 2, 7, 1, 30)  # 08:30 on 7 February 2017 in Hà Nội, kept as naive UTC
    assert published_moment(published_value(moment)) == moment
    assert published_value(datetime(2017, 2, 8)) - published_value(datetime(2017, 2, 7)) == 86_400_000_000


def test_both_backends_give_suggestions_the_term_statistics_they_need(tmp_path):
    from vn_search import SearchEngine, sample_path
    from vn_search.backends.opensearch_engine import _ClusterReader
    from vn_search.suggest import TermStatistics

    engine = SearchEngine(tmp_path / "index")
    engine.index([sample_path()], progress=False)
    reader, _ = engine._current().reader()
    assert isinstance(reader, TermStatistics)
    assert ("body_f", "can") in reader and reader.doc_frequency("title", "bắc") == 1 and reader.doc_count() == reader.doc_count_all()
    assert isinstance(_ClusterReader(None), TermStatistics)


def test_an_index_written_under_the_former_module_names_is_searched_and_updated(tmp_path, monkeypatch):
    """An index built before storage/ existed, opened by a new process:
    searched, then updated in place (the update reopens its table of contents)."""
    from conftest import NEWS, write_jsonl

    from vn_search import SearchEngine, sample_path

    legacy.register_moved_modules()
    for cls, module in [(VnCodec, "vn_search.codec"), (CompactPositions, "vn_search.positions"),
                        (PreAnalyzedText, "vn_search.schema")]:
        monkeypatch.setattr(cls, "__module__", module)  # pickled under the old name, as earlier versions did
    SearchEngine(tmp_path / "index").index([sample_path()], progress=False)
    monkeypatch.undo()
    for name in legacy.MOVED_MODULES:  # a new process has no aliases yet
        monkeypatch.delitem(sys.modules, name)
    toc = next((tmp_path / "index" / "current").glob("_MAIN_*.toc")).read_bytes()
    assert b"vn_search.positions" in toc and b"vn_search.codec" in toc

    engine = SearchEngine(tmp_path / "index")
    assert engine.search("luân chuyển cán bộ").hits[0].title == "Hiệu quả từ công tác luân chuyển cán bộ ở Bắc Hà"
    for name in legacy.MOVED_MODULES:
        monkeypatch.delitem(sys.modules, name)
    SearchEngine(tmp_path / "index").index([write_jsonl(tmp_path / "news.jsonl", NEWS)], progress=False)
    assert engine.stats().articles == 1 + len(NEWS)
    assert engine.search("Phe đối lập Campuchia biểu tình").hits[0].title == NEWS[0]["title"]
