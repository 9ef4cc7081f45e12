"""The embedded index on disk: every use of Whoosh lives in this package.

The rest of vn-search reaches the index only through this interface (the
embedded backend; ``backends/opensearch*.py`` is the other one):

Publishing (``store.py``, ``writers.py``)
    ``store.writer_lock`` / ``start_generation`` / ``publish``: a
    generation is built aside and swapped in atomically.
    ``writers.GenerationWriter(build, fresh, learner, workers)``: ``add``
    raw documents (replacing by id), ``commit``, then ``reader()``. The
    ``Learner`` (``indexer._Learning``) turns a document into analysed
    fields — stored values and ``{term: [positions]}`` per text field —
    and learns from it; this package encodes and writes them, in worker
    processes for large jobs.
Reading (``reader.py``)
    ``open_index(path)`` → ``StoredIndex``; ``StoredIndex.statistics``
    (``segments.CorpusStatistics``: lengths, dates, live documents,
    shared by threads) and ``StoredIndex.reader(statistics)`` →
    ``IndexReader``, one per thread: term statistics (``doc_count``,
    ``doc_frequency``, ``lexicon``), posting arrays for scoring
    (``postings``, ``occurrences``, from a per-process cache of decoded
    segments), stored documents (``stored_fields``, ``document``,
    ``document_number``, ``live_document_numbers``) and filter sets
    (``term_documents``). ``segments.published_value`` /
    ``published_moment`` convert times to and from the ``published``
    column.

The OpenSearch backend implements the same roles at the level where a
cluster works: it publishes by alias swap, serves term statistics to the
suggester (``opensearch_engine._ClusterReader``) and scores in the cluster
from the same query plan, instead of handing out posting arrays.

Modules: ``schema.py`` (the Whoosh fields), ``positions.py`` (position
bytes), ``codec.py`` with ``term_table.py`` and ``stored_column.py`` (the
file formats), ``segment_writer.py`` (writing segments from arrays),
``writers.py`` (documents to segments, worker processes), ``postings.py``
(decoding posting blocks with numpy), ``segments.py`` (what is decoded per
segment, cached), ``reader.py``, ``store.py`` (generations on disk),
``legacy.py`` (module names older indexes refer to).

Whoosh private names (checked against Whoosh 2.7.4; ``tests/test_storage_contract.py``
fails loudly if an upgrade removes one): ``codec.py`` — ``W3FieldWriter``
and ``W3LeafMatcher`` attributes (``_fieldid``, ``_data``, ``_read_data``);
``term_table.py`` — ``W3TermInfo._df/_weight/_minlength/_maxlength/
_maxweight/_inlined/_offset/_length``; ``stored_column.py`` —
``W3PerDocWriter``/``W3PerDocReader`` internals; ``segment_writer.py`` —
``SegmentWriter._check_state/_added/_process_posts/_flush_segment/
_finalize_segment/_close_segment``, ``fieldwriter._fieldid/_postfile/
_format/_tindex``, ``_length_byte_cache``; ``postings.py`` —
``W3LeafMatcher._data/_read_data/_next_block/_byteids``,
``ListMatcher._ids``; ``segments.py`` — ``reader._perdoc._cached_reader``
and ``whoosh3._lenfield``; ``writers.py`` — see its docstring.
"""
