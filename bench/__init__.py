"""The benchmarks of vn-search, one module per question, run from the repository root::

    .venv/bin/python -m bench.relevance --quick

Shared modules: ``bench.common`` (tables, percentiles, load average, free
ports, result files), ``bench.datasets`` (the data sets of ../shared/data,
the query sets derived from them, ranking metrics), ``bench.serving`` (a
``vn-search serve`` to drive and its query mix), ``bench.memory`` (a process
tree's memory from /proc) and ``bench.datagen`` (generated articles and
hostile queries, shared with the tests). Each benchmark is described in
bench/README.md.
"""
