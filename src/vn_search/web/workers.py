"""Several server processes on one listening socket: gunicorn, run from
Python through its application API.

``run_gunicorn`` takes a socket the caller bound (so that a busy port is
one clear error before anything starts) and hands it to gunicorn's
arbiter, which forks the workers. Each worker builds the WSGI app itself
after the fork (``make_app``: its own engine, files and threads, warming
its index in the background), and gunicorn's threaded worker serves it.
gunicorn replaces a worker that dies or stops answering its heartbeat,
reloads them on SIGHUP, and on SIGTERM or Ctrl-C stops them all, letting
requests in flight finish. POSIX only (fork).

    run_gunicorn(lambda: create_app("index"), bind("127.0.0.1", 5000), workers=2, threads=4)
"""

from __future__ import annotations

import socket
from typing import Callable

from gunicorn.app.base import BaseApplication

__all__ = ["run_gunicorn"]


class _Site(BaseApplication):
    """gunicorn's view of our app: settings from a dict, the WSGI app from
    a factory called in each worker."""

    def __init__(self, make_app: Callable[[], object], settings: dict) -> None:
        self.make_app = make_app
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.settings.items():
            if name in self.cfg.settings:  # a setting older gunicorn releases lack is left out
                self.cfg.set(name, value)

    def load(self):
        return self.make_app()


def run_gunicorn(make_app: Callable[[], object], listener: socket.socket, workers: int, threads: int,
                 timeout: int = 60, graceful_timeout: int = 10) -> None:
    """Serve ``make_app()`` on ``listener`` (already bound and listening;
    gunicorn owns it from now on) in ``workers`` processes of ``threads``
    threads until SIGTERM or Ctrl-C; returns once all have stopped."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers!r}")
    settings = {
        "bind": [f"fd://{listener.detach()}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": graceful_timeout,
        # Seconds an idle keep-alive connection stays open, as waitress kept
        # them (its channel_timeout): gunicorn's 2 s default closed connections
        # clients still meant to use (http.client does not retry). Idle ones
        # cost a descriptor each, not a thread.
        "keepalive": 120,
        # A pasted page is a long URL: the app reads its first 500 characters
        # and says so, as under waitress; gunicorn's 4 KB default answered 414.
        # 0 is gunicorn's "no limit of its own" (1 MB from gunicorn 27 on).
        "limit_request_line": 0,
        "proc_name": "vn-search",
        "errorlog": "-",  # gunicorn's own messages (workers started, replaced) on stderr
        "loglevel": "info",
        # No control socket in a per-user folder: nothing to clean up, and
        # two servers on one machine do not share one.
        "control_socket_disable": True,
    }
    try:
        _Site(make_app, settings).run()
    except SystemExit as stopped:  # the arbiter exits the process when it stops
        if stopped.code not in (0, None):
            raise
