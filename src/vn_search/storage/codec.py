"""The Whoosh codec vn-search writes its segments with.

It is Whoosh's W3 codec (the same segment files, columns and posting
blocks) with a smaller term dictionary (``term_table.py``), stored fields
compressed with a preset dictionary (``stored_column.py``), and a matcher
that also reads blocks whose positions were packed by
``positions.pack_positions``. Segments keep the codec they were written with
in the index's table of contents, so an index may hold W3 segments and
these side by side. The table of contents names this class, not a
layout: a change to what these files hold must come with a new codec
class or a new ``schema.ANALYSIS_VERSION``, so older indexes ask to be
rebuilt instead of failing to open.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from whoosh.codec import base
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter, W3LeafMatcher, W3TermInfo
from whoosh.reading import TermNotFound
from whoosh.system import pack_ushort, unpack_ushort

from vn_search.storage.positions import unpack_positions
from vn_search.storage.stored_column import StoredTextReader, StoredTextWriter
from vn_search.storage.term_table import TermTableReader, TermTableWriter, decode_record, record_from_terminfo

__all__ = ["VnCodec"]


class VnCodec(W3Codec):
    """W3 with :mod:`vn_search.storage.term_table` as the term dictionary and
    :mod:`vn_search.storage.stored_column` for stored fields."""

    TERMS_EXT = ".vnt"

    def per_document_writer(self, storage, segment):
        return StoredTextWriter(self, storage, segment)

    def per_document_reader(self, storage, segment):
        return StoredTextReader(storage, segment)

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term, scorer)
        offset, length = terminfo.extent()
        return _LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def terms_reader(self, storage, segment):
        name = segment.make_filename(self.TERMS_EXT)
        table = TermTableReader(storage.open_file(name), storage.file_length(name))
        return _TermsReader(self, table, segment.open_file(storage, self.POSTS_EXT))


class _LeafMatcher(W3LeafMatcher):
    """W3's block matcher; a block's values may be packed positions, which
    it hands out one posting at a time as the field's format encodes them
    (``postings.py`` reads packed blocks whole instead)."""

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        values = self._data[2]
        if not isinstance(values, bytes):
            return super()._read_values()
        counts, positions = unpack_positions(values)
        runs = np.split(positions, np.cumsum(counts)[:-1])
        self._values = tuple(self.format.encode(run.tolist()) for run in runs)


class _FieldWriter(W3FieldWriter):
    """W3's field writer with the term table in place of the hash table."""

    def __init__(self, codec, storage, segment) -> None:
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname = self._fieldid = self._btext = self._fieldobj = self._format = None
        self._tindex = TermTableWriter(self._create_file(VnCodec.TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(VnCodec.POSTS_EXT)
        self._postwriter = None
        self._infield = False
        self.is_closed = False

    def finish_term(self) -> None:
        terminfo = self._postwriter.finish_postings()
        self._tindex.add_records([pack_ushort(self._fieldid) + self._btext], [record_from_terminfo(terminfo)])


class _TermsReader(base.TermsReader):
    def __init__(self, codec: VnCodec, table: TermTableReader, postfile) -> None:
        self._codec = codec
        self._table = table
        self._postfile = postfile
        self._fieldmap: dict[str, int] = table.extras["fieldmap"]
        self._fieldnames = {number: name for name, number in self._fieldmap.items()}

    def _key(self, fieldname: str, text: bytes) -> bytes:
        return pack_ushort(self._fieldmap.get(fieldname, 65535)) + text

    def _term(self, key: bytes) -> tuple[str, bytes]:
        return self._fieldnames[unpack_ushort(key[:2])[0]], key[2:]

    def __contains__(self, term) -> bool:
        return self._key(*term) in self._table

    def indexed_field_names(self):
        return self._fieldmap.keys()

    def cursor(self, fieldname, fieldobj):
        return _FieldCursor(self, fieldname, fieldobj)

    def _items_from(self, key: bytes) -> Iterator[tuple[tuple[str, bytes], bytes]]:
        for found, record in self._table.items_from(key):
            yield self._term(found), record

    def terms(self):
        return (term for term, _ in self._items_from(b""))

    def terms_from(self, fieldname, prefix):
        return (term for term, _ in self._items_from(self._key(fieldname, prefix)))

    def items(self):
        return ((term, decode_record(record)) for term, record in self._items_from(b""))

    def items_from(self, fieldname, prefix):
        return ((term, decode_record(record)) for term, record in self._items_from(self._key(fieldname, prefix)))

    def term_info(self, fieldname, tbytes) -> W3TermInfo:
        try:
            return self._known(fieldname, tbytes)
        except KeyError:
            raise TermNotFound(f"No term {fieldname}:{tbytes!r}") from None

    # Whoosh's reader turns a KeyError from these two into 0.
    def frequency(self, fieldname, tbytes) -> float:
        return self._known(fieldname, tbytes).weight()

    def doc_frequency(self, fieldname, tbytes) -> int:
        return self._known(fieldname, tbytes).doc_frequency()

    def _known(self, fieldname, tbytes) -> W3TermInfo:
        record = self._table.get(self._key(fieldname, tbytes))
        if record is None:
            raise KeyError((fieldname, tbytes))
        return decode_record(record)

    def matcher(self, fieldname, tbytes, format_, scorer=None):
        terminfo = self.term_info(fieldname, tbytes)
        return self._codec.postings_reader(self._postfile, terminfo, format_, term=(fieldname, tbytes), scorer=scorer)

    def close(self) -> None:
        self._table.close()
        self._postfile.close()


class _FieldCursor(base.FieldCursor):
    """Walks one field's terms in order (Whoosh's spelling and automata
    code uses cursors)."""

    def __init__(self, reader: _TermsReader, fieldname: str, fieldobj) -> None:
        self._reader, self._fieldname, self._fieldobj = reader, fieldname, fieldobj
        self.first()

    def _seek(self, text: bytes):
        self._items = self._reader._items_from(self._reader._key(self._fieldname, text))
        return self.next()

    def first(self):
        return self._seek(b"")

    def find(self, term):
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        return self._seek(term)

    def next(self):
        for (fieldname, text), record in self._items:
            if fieldname == self._fieldname:
                self._text, self._record = self._fieldobj.from_bytes(text), record
                return self._text
            break
        self._text = self._record = None
        return None

    def text(self):
        return self._text

    def term_info(self):
        return None if self._record is None else decode_record(self._record)

    def is_valid(self) -> bool:
        return self._text is not None
