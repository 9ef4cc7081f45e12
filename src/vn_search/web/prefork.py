"""Several server processes on one listening socket, kept alive.

Searching is CPU work in Python, so one process uses one core however many
threads it runs (the GIL). ``run_workers`` binds nothing itself: it takes a
socket bound once by the caller, forks ``count`` worker processes that each
serve on that same socket (the kernel hands every new connection to one of
them), restarts a worker that dies, and on SIGTERM or Ctrl-C stops them all
and returns. Each worker opens the index itself after the fork, so nothing
opened is shared between processes, and each notices a new index generation
on its own.

    listener = bind("127.0.0.1", 5000)
    run_workers(listener, 2, lambda sock: waitress.serve(app_factory(), sockets=[sock]))

Unix only (fork); the caller falls back to one process elsewhere.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import time
import traceback
from typing import Callable

__all__ = ["bind", "default_workers", "run_workers"]

log = logging.getLogger(__name__)

_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
RESTART_DELAY = 1.0  # a worker that dies at once is not forked in a tight loop
STOP_TIMEOUT = 10.0


def default_workers() -> int:
    """The CPUs this process may run on (a container's share, not the
    machine's), at least one."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def bind(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A listening TCP socket on ``host:port`` (IPv4 or IPv6, as the host
    resolves); port 0 picks a free one."""
    family, _, _, _, address = socket.getaddrinfo(
        host.strip("[]") or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    return socket.create_server(address, family=family, backlog=backlog)


class _Stop(Exception):
    """Raised by the supervisor's signal handler to leave its wait."""


def _raise_stop(signum, frame) -> None:
    raise _Stop(signum)


def _exit_with(parent: int) -> None:
    """Exit when the supervisor is gone (even killed with SIGKILL), so no
    orphaned worker keeps serving on the port."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="vn-search-parent-watch", daemon=True).start()


def _fork_worker(listener: socket.socket, work: Callable[[socket.socket], None]) -> int:
    """The new worker's pid, returned with SIGTERM and SIGINT still blocked.

    Blocked across the fork, a Ctrl-C cannot run the supervisor's handler
    inside the new worker, nor stop the supervisor before it has recorded
    the pid (the worker would be left running).
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        # Ctrl-C reaches every process of the terminal's group; the
        # supervisor alone decides, and stops the workers with SIGTERM.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        _exit_with(os.getppid())
        work(listener)
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        # Never return into the supervisor's code (or a test runner's).
        sys.stderr.flush()
        os._exit(code)


def _describe(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    return f"signal {-code}" if code < 0 else f"exit code {code}"


def _signal_all(children: dict[int, float], signum: int) -> None:
    for pid in children:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:  # exited, not yet reaped
            pass


def _stop_all(children: dict[int, float]) -> None:
    _signal_all(children, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while children:
        for pid in list(children):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # reaped just before the stop signal
                done = pid
            if done:
                del children[pid]
        if children and time.monotonic() > deadline:
            _signal_all(children, signal.SIGKILL)
            deadline = float("inf")
        time.sleep(0.05)


def run_workers(listener: socket.socket, count: int, work: Callable[[socket.socket], None]) -> None:
    """Run ``work(listener)`` in ``count`` forked processes until SIGTERM or
    SIGINT; a worker that exits is replaced. Returns once all have stopped.

    Call it from a process with no other threads and no other children:
    the supervisor waits for any child.
    """
    if count < 1:
        raise ValueError(f"workers must be at least 1, not {count!r}")
    previous = {sig: signal.signal(sig, _raise_stop) for sig in _STOP_SIGNALS}
    children: dict[int, float] = {}  # pid -> when it started

    def start() -> None:
        children[_fork_worker(listener, work)] = time.monotonic()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)

    try:
        for _ in range(count):
            start()
        while True:
            pid, status = os.waitpid(-1, 0)
            started = children.pop(pid, None)
            if started is None:
                continue
            log.warning("vn-search: worker %d stopped (%s); starting another", pid, _describe(status))
            time.sleep(max(0.0, RESTART_DELAY - (time.monotonic() - started)))
            start()
    except _Stop:
        pass
    finally:
        for sig in _STOP_SIGNALS:
            signal.signal(sig, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        _stop_all(children)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
