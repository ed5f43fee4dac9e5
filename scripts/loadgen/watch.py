"""CPU and memory of a process tree (the server: reflex, Granian and its workers), and of this process.

CPU is the sum of user + system seconds of every process in the tree between two readings. RSS is the
sum over the tree, sampled by a background thread (a psutil call takes microseconds; the load
generator's event loop never waits on it), so the peak between readings is kept too.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass

import psutil

SERVER_WORDS = ("reflex", "granian")


def _cpu(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return times.user + times.system


def server_root_pid(port: int) -> int:
    """The outermost reflex/Granian process whose tree listens on `port` (for a server started elsewhere)."""
    listeners = {
        c.pid for c in psutil.net_connections(kind="tcp") if c.laddr and c.laddr.port == port and c.status == "LISTEN"
    }
    listeners.discard(None)
    if not listeners:
        raise RuntimeError(f"no process listens on port {port} (or it is not visible to this user)")
    root = psutil.Process(min(listeners))
    with contextlib.suppress(psutil.Error):
        for parent in root.parents():
            if not any(word in " ".join(parent.cmdline()).lower() for word in SERVER_WORDS):
                break
            root = parent
    return root.pid


@dataclass
class Reading:
    """One moment: CPU seconds so far and the RSS now, summed over the tree."""

    at: float
    cpu: float
    rss: int


class TreeWatch:
    """A process and its descendants (found again at every sample: workers may start late or be respawned)."""

    def __init__(self, pid: int, *, interval: float = 0.25) -> None:
        self.pid = pid
        self.interval = interval
        self._procs: dict[int, psutil.Process] = {}
        self._last_cpu: dict[int, float] = {}  # a process that exits keeps the CPU it had used
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.peak_rss = 0

    def describe(self) -> str:
        """`pid name` for each process of the tree, for the report."""
        self._refresh()
        return ", ".join(f"{pid} {proc.name()}" for pid, proc in sorted(self._procs.items()))

    def read(self) -> Reading:
        """CPU seconds used so far by the tree (exited processes included) and its RSS now."""
        with self._lock:
            self._refresh()
            rss = 0
            for pid, proc in list(self._procs.items()):
                try:
                    with proc.oneshot():
                        self._last_cpu[pid] = _cpu(proc)
                        rss += proc.memory_info().rss
                except psutil.Error:
                    self._procs.pop(pid, None)
            self.peak_rss = max(self.peak_rss, rss)
            return Reading(time.monotonic(), sum(self._last_cpu.values()), rss)

    def reset_peak(self) -> None:
        """Start looking for a new peak."""
        with self._lock:
            self.peak_rss = 0

    def start(self) -> None:
        """Sample the RSS in the background until `stop`."""
        self._thread = threading.Thread(target=self._run, name="tree-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with contextlib.suppress(psutil.Error):
                self.read()

    def _refresh(self) -> None:
        try:
            root = self._procs.get(self.pid) or psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in tree:
            self._procs.setdefault(proc.pid, proc)


class SelfWatch:
    """The load generator's own CPU (it shares the machine with the server)."""

    def __init__(self) -> None:
        self._proc = psutil.Process()

    def cpu(self) -> float:
        """CPU seconds used so far by this process, all threads."""
        return _cpu(self._proc)
