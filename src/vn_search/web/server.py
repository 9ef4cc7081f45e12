"""Run the search site: gunicorn on POSIX, waitress elsewhere, Flask's
debugger on request."""

from __future__ import annotations

import errno
import os
import socket
from typing import Callable

from vn_search.errors import AddressInUseError
from vn_search.web.security import is_loopback_host

__all__ = ["serve", "UnsafeDebugServer", "TOTAL_THREADS", "default_workers"]

TOTAL_THREADS = 8  # shared among the worker processes unless threads is given
# gunicorn's own defaults, said here: a worker silent for this long is
# replaced, and SIGTERM lets requests in flight finish for this long.
WORKER_TIMEOUT = 60
GRACEFUL_TIMEOUT = 10


class UnsafeDebugServer(ValueError):
    """Debug mode asked for on an address other machines can reach."""


def default_workers() -> int:
    """The CPUs this process may run on (a container's share, not the
    machine's), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def serve(
    index_dir: str | os.PathLike,
    host: str = "127.0.0.1",
    port: int = 5000,
    debug: bool = False,
    threads: int | None = None,
    workers: int | None = None,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Serve the index at ``index_dir`` until interrupted.

    The port is bound first: when it cannot be (another server has it),
    :class:`AddressInUseError` is raised before anything is served, and
    ``on_listening`` is called with the site's URL only once it is bound.

    Without ``debug``, on POSIX the app runs under gunicorn, the standard
    pre-fork server: ``workers`` processes (default: one per CPU) share the
    port, each with ``threads`` threads (the engine is thread-safe for
    searching). Searching is Python work, so one process uses one core
    however many threads it has. gunicorn replaces a worker that dies or
    hangs (``WORKER_TIMEOUT``); SIGTERM or Ctrl-C stops them all, letting
    requests in flight finish. Every worker opens the index itself, warms
    it in the background before answering searches (``/healthz`` says
    "warming" until then), and prepares each newly published generation
    while the previous one answers (``generations.py``). Without fork
    (Windows), one waitress process serves instead.

    By default the workers share eight threads (at least two each): a
    process's threads only take turns on its core, and each holds its own
    Whoosh searcher.

    ``debug=True`` starts Flask's development server, in one process, with
    the interactive debugger, which runs any Python code a visitor types
    into a traceback page: it is only allowed on a loopback address.
    """
    if debug and not is_loopback_host(host):
        raise UnsafeDebugServer(
            f"refusing to run the debug server on {host!r}: its debugger lets "
            "anyone who can reach it run code on this machine. Use "
            "host='127.0.0.1' (or 'localhost', '::1') with debug, or drop debug."
        )
    for name, value in (("threads", threads), ("workers", workers)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")

    listener = _bind(host, port)
    url = _url(host, listener.getsockname()[1])
    if debug:
        # Flask's server binds the port itself: ours only checked it is free.
        listener.close()
        if on_listening:
            on_listening(url)
        from vn_search.web import create_app

        # No reloader: it re-executes sys.argv, which breaks when serve() is
        # called from `python -c` or an embedding script.
        create_app(index_dir).run(host=host, port=port, debug=True, use_reloader=False)
        return

    workers = default_workers() if workers is None else workers
    threads = max(2, TOTAL_THREADS // workers) if threads is None else threads
    if not hasattr(os, "fork"):
        import waitress

        with listener:
            if on_listening:
                on_listening(url)
            waitress.serve(_warming_app(index_dir), sockets=[listener], threads=threads, ident="vn-search")
        return

    from vn_search.web.workers import run_gunicorn

    if on_listening:
        on_listening(url)
    run_gunicorn(lambda: _warming_app(index_dir), listener, workers=workers, threads=threads,
                 timeout=WORKER_TIMEOUT, graceful_timeout=GRACEFUL_TIMEOUT)


def _warming_app(index_dir: str | os.PathLike):
    """The site over an engine that warms every generation before it
    serves, started now (in a worker: after the fork)."""
    from vn_search.engine import WARM_MEGABYTES, SearchEngine
    from vn_search.web import create_app

    engine = SearchEngine(index_dir, warm_megabytes=WARM_MEGABYTES)
    engine.start()
    return create_app(engine=engine)


def bind(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6, as the host
    resolves); port 0 picks a free one."""
    family, _, _, _, address = socket.getaddrinfo(
        host.strip("[]") or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return socket.create_server(address, family=family, backlog=backlog)


def _bind(host: str, port: int) -> socket.socket:
    try:
        return bind(host, port)
    except OSError as error:  # EADDRINUSE, EACCES, an address not on this machine
        # socket.create_server appends "(while attempting to bind …)" to strerror.
        reason = os.strerror(error.errno) if error.errno else str(error)
        if error.errno == errno.EADDRINUSE:
            reason += "; is another server running there? Choose another port"
        raise AddressInUseError(host, port, reason) from None


def _url(host: str, port: int) -> str:
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}/"
