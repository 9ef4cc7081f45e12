"""Search backends other than the embedded Whoosh index.

- ``opensearch_cluster``: start and stop a local OpenSearch 2.19 cluster
  built from Maven jars (``opensearch/`` at the repository root), for tests
  and development.
- ``opensearch``: an OpenSearch index fed with documents analysed by
  vn-search's own analysis, searched with queries compiled from vn-search's
  query plan (``opensearch_query``); what indexing learns (accent model,
  abbreviations, completions) is kept beside it (``opensearch_meta``).
- ``opensearch_engine``: ``SearchEngine``'s public methods over such an
  index. ``SearchEngine("opensearch://HOST:PORT/NAME")`` returns one
  (``SearchEngine.__new__``), so the CLI and the web app use it unchanged.

Private names of the embedded engine used here (their rules must stay the
same on both backends; ``tests/test_opensearch_engine.py`` pins them):
``engine._reaccents``, ``suggest._edits``,
``similar._CANDIDATES``.
"""
