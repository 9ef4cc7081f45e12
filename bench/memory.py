"""Memory of a process and its descendants, sampled from Linux's /proc.

An indexing run forks worker processes, so its memory is a tree's: the
peak of the summed VmRSS (what a goal is checked against; pages shared
after fork are counted once per process, so it errs high), the peak of the
summed PSS (shared pages split between their users) and each process's own
VmHWM.
"""

from __future__ import annotations

import os
import threading

SAMPLE_INTERVAL_S = 0.2


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stream:
                stat = stream.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(root: int) -> list[int]:
    children = _children_map()
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def status_kb(pid: int | str, keys=("VmRSS", "VmHWM")) -> dict[str, int]:
    """Memory lines of /proc/<pid>/status, in kB (empty when the process is gone)."""
    values = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as stream:
            for line in stream:
                name, _, rest = line.partition(":")
                if name in keys:
                    values[name] = int(rest.split()[0])
    except OSError:
        pass
    return values


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split between their users."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as stream:
            for line in stream:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class TreeMemory(threading.Thread):
    """Samples a process and its descendants every 0.2 s: the peak of the
    summed VmRSS (the figure the goal is checked against; it counts pages
    shared after fork once per process, so it errs high), the peak of the
    summed PSS, and each process's VmHWM."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.done = threading.Event()
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.max_processes = 0
        self.samples = 0
        self.hwm_kb: dict[int, int] = {}

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(SAMPLE_INTERVAL_S)

    def sample(self) -> None:
        tree = process_tree(self.pid)
        rss = pss = alive = 0
        for pid in tree:
            status = status_kb(pid)
            if "VmRSS" not in status:  # gone, or a zombie
                continue
            alive += 1
            rss += status["VmRSS"]
            pss += pss_kb(pid)
            self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), status.get("VmHWM", 0))
        self.samples += 1
        self.peak_rss_kb = max(self.peak_rss_kb, rss)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.max_processes = max(self.max_processes, alive)

    def stop(self) -> dict:
        self.done.set()
        self.join()
        return {
            "peak_tree_rss_mb": round(self.peak_rss_kb / 1024, 1),
            "peak_tree_pss_mb": round(self.peak_pss_kb / 1024, 1),
            "sum_of_process_hwm_mb": round(sum(self.hwm_kb.values()) / 1024, 1),
            "root_hwm_mb_sampled": round(self.hwm_kb.get(self.pid, 0) / 1024, 1),
            "max_processes": self.max_processes,
            "samples": self.samples,
        }
