"""Run the search site: waitress in production, Flask's debugger on request."""

from __future__ import annotations

import errno
import os
import socket
from typing import Callable

from vn_search.errors import AddressInUseError
from vn_search.web import prefork
from vn_search.web.security import is_loopback_host

__all__ = ["serve", "UnsafeDebugServer", "TOTAL_THREADS"]

TOTAL_THREADS = 8  # shared among the worker processes unless threads is given


class UnsafeDebugServer(ValueError):
    """Debug mode asked for on an address other machines can reach."""


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

    Without ``debug`` the app runs under waitress, a production WSGI server
    with a pool of ``threads`` threads (the engine is thread-safe for
    searching), in each of ``workers`` processes sharing the port (default:
    one per CPU). Searching is Python work, so one process uses one core
    however many threads it has; a worker that dies is replaced, and
    SIGTERM or Ctrl-C stops them all. Every worker opens the index itself
    and sees a newly published generation from its next search on.

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

    from vn_search.engine import WARM_MEGABYTES, SearchEngine
    from vn_search.web import create_app

    def app():
        # Each worker warms the posting lists of common syllables in the
        # background, at start and whenever a new generation is published.
        return create_app(engine=SearchEngine(index_dir, warm_megabytes=WARM_MEGABYTES))

    listener = _bind(host, port)
    url = _url(host, listener.getsockname()[1])
    if debug:
        # Flask's server binds the port itself: ours only checked it is free.
        listener.close()
        if on_listening:
            on_listening(url)
        # No reloader: it re-executes sys.argv, which breaks when serve() is
        # called from `python -c` or an embedding script.
        create_app(index_dir).run(host=host, port=port, debug=True, use_reloader=False)
        return

    import waitress

    workers = prefork.default_workers() if workers is None else workers
    threads = max(2, TOTAL_THREADS // workers) if threads is None else threads
    with listener:
        if on_listening:
            on_listening(url)
        if workers == 1 or not hasattr(os, "fork"):
            waitress.serve(app(), sockets=[listener], threads=threads, ident="vn-search")
            return

        def serve_on(listener: socket.socket) -> None:
            # In the worker, after the fork: its own engine, files and threads.
            waitress.serve(app(), sockets=[listener], threads=threads, ident="vn-search")

        prefork.run_workers(listener, workers, serve_on)


def _bind(host: str, port: int) -> socket.socket:
    try:
        return prefork.bind(host, port)
    except OSError as error:  # EADDRINUSE, EACCES, an address not on this machine
        # socket.create_server appends "(while attempting to bind …)" to strerror.
        reason = os.strerror(error.errno) if error.errno else str(error)
        if error.errno == errno.EADDRINUSE:
            reason += "; is another server running there? Choose another port"
        raise AddressInUseError(host, port, reason) from None


def _url(host: str, port: int) -> str:
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{port}/"
