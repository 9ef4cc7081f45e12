"""`python -m vn_search` is `vn-search`."""

from vn_search.cli import main

main()
