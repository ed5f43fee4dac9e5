"""A py-spy recording of the server while the return pages are timed, and a short account of it.

`py-spy record --subprocesses --format raw` samples every process of the server (the Granian workers
included) and writes collapsed stacks: `frame;frame;...;frame count` per line, one frame being
`function (file:line)`. The account lists the frames that most samples were spent *in* (self), and the
share of samples under each of a few frames that say where a payment's time goes (inclusive).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"

# (label, fragments of one frame's text), most specific first: a sample is named by the first entry with a
# frame holding all its fragments anywhere in its stack, so a database read inside verification counts as
# verification, not as SQLAlchemy.
WHERE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bcrypt (sign-in, sign-up)", ("bcrypt",)),
    ("a new HTTP client per Khalti call: its SSL context", ("create_ssl_context",)),
    ("the Khalti call itself (HTTP client)", ("khalti/client.py",)),
    ("verify_payment: its database work", ("billing/verification.py",)),
    ("page lookup limits and throttle marks", ("throttle.py",)),
    ("session look-ups (accounts)", ("accounts.py",)),
    ("reflex_local_auth's computed vars", ("reflex_local_auth",)),
    ("hydrate: the state snapshot", ("hydrate_and_load",)),
    ("page state kept on disk (no Redis: StateManagerDisk)", ("StateManagerDisk",)),
    ("page state kept in Redis (StateManagerRedis)", ("StateManagerRedis",)),
    ("state (de)serialisation", ("_serialize",)),
    ("deltas to JSON", ("json_dumps",)),
    ("other database work (SQLAlchemy)", ("sqlalchemy",)),
    ("other Reflex event processing", ("reflex_base/event",)),
    ("Socket.IO / Engine.IO", ("socketio",)),
    ("Granian / ASGI / static files", ("granian",)),
)


@contextlib.contextmanager
def recording(pid: int, output: Path, *, rate: int = 100, gil: bool = False) -> Iterator[None]:
    """Record the process tree of `pid` into `output` (raw collapsed stacks) while the block runs."""
    py_spy = str(PY_SPY) if PY_SPY.exists() else shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("bench_load: --py-spy needs py-spy (.venv/bin/pip install py-spy)")
    output.parent.mkdir(parents=True, exist_ok=True)
    args = [py_spy, "record", "--pid", str(pid), "--subprocesses", "--format", "raw", "--rate", str(rate)]
    if gil:  # only the thread holding the GIL: Python's CPU, without threads that wait (on a lock, a socket)
        args.append("--gil")
    args += ["--nonblocking", "--output", str(output)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603 - fixed args
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGINT)  # py-spy writes its file when interrupted
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _other(frames: list[str]) -> str:
    if frames[-1].startswith("process "):
        return "no Python frame (native code: Granian's threads, C extensions)"
    if frames[-1].startswith(("_worker (concurrent/futures/thread.py", "Condition.wait", "Queue.get")):
        return "thread-pool threads waiting for work"
    return "elsewhere"


def account(raw: Path, *, top: int = 12, gil: bool = False) -> list[str]:
    """Where the samples went: by the WHERE labels, then the frames most samples were in (self time)."""
    by_label: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        by_leaf[frames[-1]] += count
        label = next(
            (label for label, parts in WHERE if any(all(p in frame for p in parts) for frame in frames)), _other(frames)
        )
        by_label[label] += count
    if not total:
        return ["  (py-spy recorded no samples)"]
    sampled = "of the thread holding the GIL" if gil else "of busy threads"
    lines = [f"  py-spy: {total} samples {sampled}, by what each was doing:"]
    lines += [f"    {100 * n / total:5.1f} %  {label}" for label, n in by_label.most_common()]
    lines.append(f"  the {top} frames most samples were in:")
    lines += [f"    {100 * n / total:5.1f} %  {frame[:150]}" for frame, n in by_leaf.most_common(top)]
    return lines
