"""Run the search site: waitress in production, Flask's debugger on request."""

from __future__ import annotations

import os

from vn_search.web.security import is_loopback_host

__all__ = ["serve", "UnsafeDebugServer"]


class UnsafeDebugServer(ValueError):
    """Debug mode asked for on an address other machines can reach."""


def serve(
    index_dir: str | os.PathLike,
    host: str = "127.0.0.1",
    port: int = 5000,
    debug: bool = False,
    threads: int = 8,
) -> None:
    """Serve the index at ``index_dir`` until interrupted.

    Without ``debug`` the app runs under waitress, a production WSGI server
    with a pool of ``threads`` workers (the engine is thread-safe for
    searching). ``debug=True`` starts Flask's development server with the
    interactive debugger, which runs any Python code a visitor types into a
    traceback page: it is only allowed on a loopback address.
    """
    if debug and not is_loopback_host(host):
        raise UnsafeDebugServer(
            f"refusing to run the debug server on {host!r}: its debugger lets "
            "anyone who can reach it run code on this machine. Use "
            "host='127.0.0.1' (or 'localhost', '::1') with debug, or drop debug."
        )
    if not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a whole number of at least 1, not {threads!r}")

    from vn_search.web import create_app

    app = create_app(index_dir)
    if debug:
        # No reloader: it re-executes sys.argv, which breaks when serve() is
        # called from `python -c` or an embedding script.
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return

    import waitress

    waitress.serve(app, host=host, port=port, threads=threads, ident="vn-search")
