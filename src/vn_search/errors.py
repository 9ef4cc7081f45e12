"""Errors an embedding application may want to catch, each with a message
that tells a user what to do."""

from __future__ import annotations

__all__ = [
    "VnSearchError",
    "IndexMissingError",
    "IndexVersionError",
    "IndexBusyError",
    "NothingToIndexError",
    "AddressInUseError",
]


class VnSearchError(Exception):
    """Base class for vn-search errors."""


class IndexMissingError(VnSearchError):
    """There is no index (or an empty one) where we were asked to look."""

    def __init__(self, index_dir: str) -> None:
        super().__init__(
            f"no index in the folder {index_dir!r}: build one with "
            f"`vn-search index PATH... --index {index_dir}`"
        )
        self.index_dir = index_dir


class IndexVersionError(VnSearchError):
    """The index was built by an analysis this version cannot read."""

    def __init__(self, index_dir: str, found: object, expected: int) -> None:
        super().__init__(
            f"the index in {index_dir} was built by analysis version {found}, this vn-search "
            f"uses version {expected}: rebuild it with `vn-search index PATH... --rebuild --index {index_dir}`"
        )


class IndexBusyError(VnSearchError):
    """Another process is writing to the index."""

    def __init__(self, index_dir: str) -> None:
        super().__init__(f"another vn-search process is writing to {index_dir}; try again when it finishes")


class NothingToIndexError(VnSearchError):
    """The sources held no document: no index is created, and an existing
    one is left exactly as it was."""

    def __init__(self, index_dir: str, created: bool) -> None:
        outcome = "no index was created" if created else f"the index in {index_dir} is unchanged"
        super().__init__(f"nothing to index: the inputs held no articles; {outcome}")
        self.index_dir = index_dir


class AddressInUseError(VnSearchError):
    """The server cannot listen on the address it was given."""

    def __init__(self, host: str, port: int, reason: str) -> None:
        super().__init__(f"cannot listen on {host}:{port}: {reason}")
        self.host, self.port = host, port
