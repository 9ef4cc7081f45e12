"""Writing Whoosh segments from postings held in flat arrays.

Whoosh's own ``SegmentWriter`` sends every posting through a
``PostingPool``: a Python tuple per posting, pickled to run files, sorted,
merged back with ``heapq``, then written one ``add()`` call at a time with
a per-posting field-length lookup. An article here has about a thousand
postings, and that path cost ~15 µs each — four times the analysis.

:class:`BulkSegmentWriter` is a ``SegmentWriter`` that keeps a segment's
postings in memory as arrays (term number, weight, the encoded positions
in one byte buffer, and each document's run of postings), sorts them with numpy when
the segment is finished, and writes each term's posting blocks in the W3
codec's own layout and its record in :class:`~vn_search.storage.codec.VnCodec`'s
term table. Terms with very few postings (most of the vocabulary: rare
words, bigrams) are stored inline in the term table instead of in a
posting block, which is both smaller and faster to read.

It relies on internals of ``whoosh.codec.whoosh3`` (the block layout, the
field writer's term table and postings file), which is why the dependency
is pinned below Whoosh 2.8.
"""

from __future__ import annotations

import io
import pickle
import threading
import zlib
from array import array

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC
from whoosh.system import pack_int, pack_ushort
from whoosh.util.numeric import _length_byte_cache as _LENGTH_BYTE_CACHE
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from vn_search.storage.codec import VnCodec
from vn_search.storage.positions import CompactPositions, pack_positions
from vn_search.storage.term_table import encode_record

__all__ = ["BulkSegmentWriter", "SegmentPostings"]

INLINE_LIMIT = 16  # terms with at most this many postings live in the term index
_CHUNK = 1 << 17  # postings converted to Python objects at a time while writing
_PART = 1 << 20  # postings sorted at a time while writing a field
_BLOCK = 128  # postings per block, as Whoosh's W3 codec
_COMPRESSION = 3  # zlib level of posting blocks, as Whoosh's W3 codec


class _Pickler(threading.local):
    """Pickles postings as compactly as ``pickle.loads`` reads them.

    Whoosh pickles with protocol 2, which has no bytes type: each encoded
    position list cost ~50 bytes. Protocol 3 has one and no framing (9
    bytes per pickle in protocol 4+), and without a memo (``fast``) no
    tuple or value carries a memo entry. A term seen once now takes 13
    bytes in the term index instead of 34. Readers accept any protocol.
    """

    def __init__(self) -> None:  # runs once in each thread that uses it
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, 3)
        self._pickler.fast = True  # postings are flat tuples: no memo needed

    def __call__(self, value) -> bytes:
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._pickler.dump(value)
        return buffer.getvalue()


dumps = _Pickler()


class _FieldPostings:
    """The postings of one field, in the order documents were added."""

    __slots__ = ("vocabulary", "terms", "run_documents", "run_lengths", "weights", "value_ends", "values", "lengths")

    def __init__(self) -> None:
        self.vocabulary: dict[bytes, int] = {}
        self.terms = array("I")
        # Each document's postings arrive together: its number and how many
        # (not a number per posting, a fifth of the memory held).
        self.run_documents = array("I")
        self.run_lengths = array("I")
        self.weights = array("f")
        # End of each posting's value in ``values``, if any (a segment's
        # memory budget keeps it far below 4 GB).
        self.value_ends = array("I")
        self.values = bytearray()
        self.lengths = array("I")  # field length of each document number

    def set_length(self, docnum: int, length: int) -> None:
        """Record a document's field length (blocks keep min/max lengths)."""
        if not length:
            return
        missing = docnum + 1 - len(self.lengths)
        if missing > 0:
            self.lengths.extend([0] * missing)
        self.lengths[docnum] = length

    @property
    def nbytes(self) -> int:
        arrays = (self.terms, self.run_documents, self.run_lengths, self.weights, self.value_ends, self.lengths)
        return sum(a.itemsize * len(a) for a in arrays) + len(self.values) + 120 * len(self.vocabulary)


class SegmentPostings:
    """Every posting of a segment being written, grouped by field."""

    def __init__(self) -> None:
        self.fields: dict[str, _FieldPostings] = {}

    @property
    def nbytes(self) -> int:
        """Approximate memory held, to decide when to start a new segment."""
        return sum(postings.nbytes for postings in self.fields.values())

    def add(self, fieldname: str, docnum: int, items, scorable: bool) -> int:
        """Add one document's postings for a field, as ``Field.index()``
        yields them: ``(term bytes, frequency, weight, encoded value)``.
        Returns the field length (the sum of frequencies) if scorable."""
        postings = self.fields.get(fieldname)
        if postings is None:
            postings = self.fields[fieldname] = _FieldPostings()
        vocabulary = postings.vocabulary
        terms, weights, ends, values = postings.terms, postings.weights, postings.value_ends, postings.values
        length = 0
        count = 0
        for term, frequency, weight, value in items:
            number = vocabulary.get(term)
            if number is None:
                number = vocabulary[term] = len(vocabulary)
            terms.append(number)
            weights.append(weight)
            if value:  # a field's postings all have values (positions) or none
                values += value
                ends.append(len(values))
            length += frequency
            count += 1
        if count:
            postings.run_documents.append(docnum)
            postings.run_lengths.append(count)
        if not scorable:
            return 0
        postings.set_length(docnum, length)
        return length

    def set_length(self, fieldname: str, docnum: int, length: int) -> None:
        postings = self.fields.get(fieldname)
        if postings is not None:
            postings.set_length(docnum, length)

    def write(self, fieldwriter, schema) -> None:
        """Write every field's terms, in order, through a W3 field writer."""
        for fieldname in sorted(self.fields):
            postings = self.fields.pop(fieldname)  # free each field once written
            fieldwriter.start_field(fieldname, schema[fieldname])
            _write_field(fieldwriter, postings)
            fieldwriter.finish_field()


def _write_field(fieldwriter, postings: _FieldPostings) -> None:
    words = sorted(postings.vocabulary)
    if not words:
        return
    numbers = np.fromiter((postings.vocabulary[w] for w in words), dtype=np.int64, count=len(words))
    postings.vocabulary = {}
    rank = np.empty(len(words), np.uint32)
    rank[numbers] = np.arange(len(words), dtype=np.uint32)
    del numbers
    term_rank = rank[np.frombuffer(postings.terms, np.uint32)]
    del rank
    postings.terms = array("I")
    counts = np.bincount(term_rank, minlength=len(words))
    bounds = np.concatenate(([0], np.cumsum(counts)))
    del counts
    has_values = len(postings.value_ends) > 0
    if has_values and len(postings.value_ends) != len(term_rank):
        raise ValueError("a field's postings must all have values or none")
    values = bytes(postings.values)
    postings.values = bytearray()
    documents = np.repeat(np.frombuffer(postings.run_documents, np.uint32), np.frombuffer(postings.run_lengths, np.uint32))
    postings.run_documents, postings.run_lengths = array("I"), array("I")
    prefix = pack_ushort(fieldwriter._fieldid)
    # Terms are written a range at a time, each range's postings gathered
    # and sorted on their own: sorting the whole field at once took about
    # twice its postings' memory again, per worker, at every segment.
    first = 0
    while first < len(words):
        last = int(np.searchsorted(bounds, bounds[first] + _PART, side="right")) - 1
        last = max(last, first + 1)
        selected = np.flatnonzero((term_rank >= first) & (term_rank < last))
        # Postings were added document by document: a stable sort by term
        # keeps each term's documents in increasing order.
        order = selected[np.argsort(term_rank[selected], kind="stable")]
        del selected
        _write_terms(fieldwriter, prefix, words, first, last, bounds, postings, documents[order], order, values if has_values else None)
        first = last


def _write_terms(fieldwriter, prefix: bytes, words, first: int, last: int, bounds, postings, documents, order, values) -> None:
    """Write terms ``first`` to ``last`` (ranks), whose postings sit at
    ``order`` in the field's arrays (``documents`` already in that order)."""
    weights = np.frombuffer(postings.weights, np.float32)[order]
    lengths = np.frombuffer(postings.lengths, np.uint32)
    doc_lengths = np.zeros(len(documents), np.uint32)
    known = documents < len(lengths)
    doc_lengths[known] = lengths[documents[known]]
    if values is not None:
        ends = np.frombuffer(postings.value_ends, np.uint32)
        value_ends = ends[order]
        value_starts = np.where(order > 0, ends[np.maximum(order, 1) - 1], 0)
    postfile = fieldwriter._postfile
    pack = pack_positions if isinstance(fieldwriter._format, CompactPositions) else None
    offset = int(bounds[first])
    term = first
    while term < last:
        # Convert a chunk of terms' postings to Python objects at once:
        # numpy scalar access per posting would cost more than the writing.
        stop_term = int(np.searchsorted(bounds, bounds[term] + _CHUNK, side="right")) - 1
        stop_term = min(max(stop_term, term + 1), last)
        base, stop = int(bounds[term]) - offset, int(bounds[stop_term]) - offset
        starts = bounds[term:stop_term] - offset - base
        heads = _term_heads(documents[base:stop], weights[base:stop], doc_lengths[base:stop], starts)
        chunk_docs = documents[base:stop].tolist()
        chunk_weights = _python_weights(weights[base:stop])
        chunk_lengths = doc_lengths[base:stop].tolist()
        if values is not None:
            value_from, value_to = value_starts[base:stop].tolist(), value_ends[base:stop].tolist()
            chunk_values = [values[s:e] for s, e in zip(value_from, value_to)]
        else:
            chunk_values = None
        keys, records = [], []
        for number, head, start, end in zip(range(term, stop_term), heads, starts.tolist(), [*starts[1:].tolist(), stop - base]):
            docs, term_weights = chunk_docs[start:end], chunk_weights[start:end]
            term_values = chunk_values[start:end] if chunk_values is not None else None
            keys.append(prefix + words[number])
            if end - start <= INLINE_LIMIT:
                records.append(_inline_record(head, docs, term_weights, term_values))
            else:
                records.append(_write_blocks(head, postfile, docs, term_weights, term_values, chunk_lengths[start:end], pack))
        fieldwriter._tindex.add_records(keys, records)
        term = stop_term


def _python_weights(weights: np.ndarray) -> list:
    """Weights as Python numbers: frequencies (whole numbers, the usual
    case) as ints, which pickle in 2 bytes instead of 9."""
    if np.array_equal(weights, np.floor(weights)):
        return weights.astype(np.int64).tolist()
    return [int(w) if w.is_integer() else w for w in weights.tolist()]


_LENGTH_BYTES = np.array(_LENGTH_BYTE_CACHE, np.int64)


def _length_bytes_of(lengths: np.ndarray) -> np.ndarray:
    """``length_to_byte`` of many lengths at once."""
    out = np.searchsorted(_LENGTH_BYTES, lengths, side="left")
    out[lengths >= _LONGEST_LENGTH] = 255
    return out


def _term_heads(docs: np.ndarray, weights: np.ndarray, lengths: np.ndarray, starts: np.ndarray) -> list[tuple]:
    """The statistics of each term's record (``term_table.encode_record``)
    for consecutive terms whose postings begin at ``starts``: document
    count, total and greatest weight, shortest and longest field length
    (as bytes; zero lengths aside), first and last document."""
    counts = np.diff(np.append(starts, len(docs)))
    total = np.add.reduceat(weights.astype(np.float64), starts)
    greatest = np.maximum.reduceat(weights, starts)
    longest = np.maximum.reduceat(lengths, starts)
    shortest = np.minimum.reduceat(np.where(lengths == 0, np.iinfo(np.uint32).max, lengths), starts)
    shortest_byte = np.where(longest == 0, 0, _length_bytes_of(shortest))
    longest_byte = np.where(longest == 0, 0, _length_bytes_of(longest))
    ends = starts + counts - 1
    return list(zip(
        counts.tolist(), _python_weights(total), _python_weights(greatest), shortest_byte.tolist(),
        longest_byte.tolist(), docs[starts].tolist(), docs[ends].tolist(),
    ))


_LONGEST_LENGTH = 106374  # length_to_byte gives 255 from here on


def _length_bytes(lengths) -> tuple[int, int]:
    """Shortest and longest field length (zero lengths aside), as bytes."""
    present = [n for n in lengths if n]
    return (length_to_byte(min(present)), length_to_byte(max(present))) if present else (0, 0)


def _inline_record(head: tuple, docs, weights, values) -> bytes:
    """A term's record with its few postings inside."""
    weights_kept = None if weights.count(1) == len(weights) else weights
    return encode_record(*head, inlined=(docs, weights_kept, values))


def _write_blocks(head: tuple, postfile, docs, weights, values, lengths, pack) -> bytes:
    """One term's postings as W3 posting blocks (what
    ``W3PostingsWriter._write_block`` writes, each block built in one go,
    with the values packed by ``pack`` where given and possible); returns
    the term's record for the term table."""
    offset = postfile.tell()
    parts = [WHOOSH3_HEADER_MAGIC]
    total = len(docs)
    for start in range(0, total, _BLOCK):
        end = min(start + _BLOCK, total)
        ids = docs[start:end]
        block_weights = weights[start:end]
        deltas = [ids[0]] + [b - a for a, b in zip(ids, ids[1:])]
        block_values = None
        if values:
            block_values = values[start:end]
            packed = pack(block_values) if pack is not None else None
            block_values = packed if packed is not None else tuple(block_values)
        data = dumps((tuple(deltas), _mini_weights(block_weights), block_values))
        compression = _COMPRESSION if len(data) > 64 else 0
        if compression:
            data = zlib.compress(data, compression)
        info = dumps((end - start, ids[-1], max(block_weights), compression, *_length_bytes(lengths[start:end])))
        size = len(info) + len(data)
        parts += (pack_int(-size if end == total else size), info, data)
    postfile.write(b"".join(parts))
    return encode_record(*head, extent=(offset, postfile.tell() - offset))


def _mini_weights(weights: list):
    """None when every weight is 1, one float when all are equal (as
    ``W3PostingsWriter._mini_weights``), else the weights."""
    first = weights[0]
    if weights.count(first) == len(weights):
        return None if first == 1 else float(first)
    return tuple(weights)


class BulkSegmentWriter(SegmentWriter):
    """A Whoosh ``SegmentWriter`` whose postings go to :class:`SegmentPostings`.

    Takes the same ``add_document`` arguments for the fields this schema
    uses (no boosts, term vectors or spelling words, which the schema never
    asks for). Segments merged in by Whoosh's merge policy go through the
    same arrays. It writes with :class:`VnCodec`, the only codec whose
    term table it can fill (``MpWriter`` subclasses, which skip this
    ``__init__``, pass it as ``codec``).
    """

    def __init__(self, ix, **kwargs) -> None:
        super().__init__(ix, codec=VnCodec(), **kwargs)

    @property
    def postings(self) -> SegmentPostings:
        # MpWriter calls SegmentWriter.__init__ directly, bypassing __init__
        found = self.__dict__.get("_bulk_postings")
        if found is None:
            found = self.__dict__["_bulk_postings"] = SegmentPostings()
        return found

    def add_document(self, **fields) -> None:
        self._check_state()
        schema = self.schema
        docnum = self.docnum
        perdoc = self.perdocwriter
        postings = self.postings
        names = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        for name in names:
            value = fields[name]
            if value is None:
                continue
            field = schema[name]
            length = postings.add(name, docnum, field.index(value), field.scorable) if field.indexed else 0
            perdoc.add_field(name, field, value if field.stored else None, length)
            if field.column_type:
                perdoc.add_column_value(name, field.column_type, field.to_column_value(value))
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def add_postings_to_pool(self, reader, startdoc, docmap) -> None:
        """Postings of a segment being merged in (``add_reader``)."""
        postings = self.postings
        for fieldname, text, docnum, weight, value in self._process_posts(reader.iter_postings(), startdoc, docmap):
            postings.add(fieldname, docnum, ((text, 0, weight, value),), scorable=False)
        # Blocks record their documents' field lengths: copy them too.
        for fieldname in reader.indexed_field_names():
            if fieldname in self.schema and self.schema[fieldname].scorable:
                for old in reader.all_doc_ids():
                    new = docmap[old] if docmap is not None else startdoc + old
                    postings.set_length(fieldname, new, reader.doc_field_length(old, fieldname))

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        self.postings.write(self.fieldwriter, self.schema)
        self.fieldwriter.close()
