"""The index directory: generations, atomic publication, one writer.

Layout of an index directory::

    index/
      current -> gen-20261127-070102-4242   (a relative symlink)
      gen-20261127-070102-4242/            (a complete Whoosh index + meta)
      .build-.../                          (work in progress, never read)
      .writer.lock

Readers only ever open what ``current`` points to. Every write (a rebuild,
or adding documents) happens in a new generation: a rebuild starts empty,
an update starts from hard links to the current generation's files (Whoosh
never rewrites a segment file in place, so the old generation stays
intact). When the new generation is committed it is published by replacing
the ``current`` symlink with ``os.replace`` — atomic on POSIX. A writer
killed at any moment therefore leaves the previous generation searchable,
and its leftovers are removed by the next writer.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from vn_search.errors import IndexBusyError

__all__ = [
    "META_FILE",
    "current_generation",
    "read_meta",
    "write_meta",
    "writer_lock",
    "discard_unbuilt_index",
    "start_generation",
    "publish",
]

META_FILE = "vn_search.json"
_CURRENT = "current"
_BUILD_PREFIX = ".build-"
_GEN_PREFIX = "gen-"
_LOCK = ".writer.lock"
_PREVIOUS = ".previous"  # the generation that was current before the last publish


def current_generation(index_dir: Path) -> Path | None:
    """The published generation, or None when there is none."""
    link = index_dir / _CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    generation = index_dir / target
    return generation if (generation / META_FILE).is_file() else None


def read_meta(generation: Path) -> dict:
    with open(generation / META_FILE, encoding="utf-8") as stream:
        return json.load(stream)


def write_meta(generation: Path, meta: dict) -> None:
    meta = dict(meta, updated=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    temp = generation / (META_FILE + ".tmp")
    with open(temp, "w", encoding="utf-8") as stream:
        json.dump(meta, stream, ensure_ascii=False, indent=2)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, generation / META_FILE)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def writer_lock(index_dir: Path) -> Iterator[None]:
    """Hold the single-writer lock; IndexBusyError if another has it.

    The lock is an flock on a file: the kernel drops it when its holder
    dies, even by SIGKILL, so a crash never leaves the index locked.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / _LOCK, "a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusyError(str(index_dir)) from None
        try:
            _remove_leftovers(index_dir)
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_leftovers(index_dir: Path) -> None:
    """Delete unfinished builds and every generation but the current one and
    the one before it (a reader may still be finishing a search on it).

    A generation killed between its rename and the symlink swap was never
    current: it is neither of the two, so it goes too.
    """
    current = current_generation(index_dir)
    try:
        previous = (index_dir / _PREVIOUS).read_text(encoding="utf-8").strip()
    except OSError:
        previous = ""
    for child in index_dir.iterdir():
        if child.name.startswith(_BUILD_PREFIX):
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(_GEN_PREFIX) and child != current and child.name != previous:
            shutil.rmtree(child, ignore_errors=True)
        elif child.name.startswith(_CURRENT + ".") and child.is_symlink():
            child.unlink(missing_ok=True)


def discard_unbuilt_index(index_dir: Path, remove_folder: bool) -> None:
    """After a first build failed: leave no trace of it. Called with the
    writer lock held, when there is no current generation; the lock file
    goes, and the folder too when this build created it and it is empty."""
    (index_dir / _LOCK).unlink(missing_ok=True)
    if remove_folder:
        try:
            index_dir.rmdir()
        except OSError:
            pass  # something else lives there now: not ours to remove


def start_generation(index_dir: Path, copy_from: Path | None) -> Path:
    """A fresh build folder; with ``copy_from``, hard links to its files."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}-{os.getpid()}"
    build = index_dir / f"{_BUILD_PREFIX}{stamp}"
    build.mkdir(parents=True)
    if copy_from is not None:
        for item in copy_from.iterdir():
            if item.is_file() and not item.name.endswith(".lock"):
                os.link(item, build / item.name)
    return build


def publish(index_dir: Path, build: Path) -> Path:
    """Make a finished build the current generation, atomically."""
    generation = index_dir / (_GEN_PREFIX + build.name[len(_BUILD_PREFIX):])
    before = current_generation(index_dir)
    if before is not None:  # remembered first, so cleanup never deletes it
        note = index_dir / (_PREVIOUS + ".tmp")
        note.write_text(before.name, encoding="utf-8")
        os.replace(note, index_dir / _PREVIOUS)
    for item in build.iterdir():
        if item.is_file():
            with open(item, "rb") as stream:
                os.fsync(stream.fileno())
    _fsync_dir(build)
    os.rename(build, generation)
    temp_link = index_dir / f"{_CURRENT}.{os.getpid()}"
    temp_link.unlink(missing_ok=True)
    os.symlink(generation.name, temp_link)
    os.replace(temp_link, index_dir / _CURRENT)
    _fsync_dir(index_dir)
    return generation
