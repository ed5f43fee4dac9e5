"""Servers the benchmark starts itself: the Khalti emulator in a process of its own, and the portal's production build.

The portal is built and served exactly as the browser tests do it (`tests/e2e/server.py`: migrations, demo
plans, `reflex run --env prod` on a free loopback port), told to use the emulator process as Khalti.
PostgreSQL gets a schema of its own for the run, dropped afterwards; the Redis database given is emptied
first (give the run a database index of its own).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[2]
GRANIAN = Path(sys.executable).parent / "granian"
START_TIMEOUT_SECONDS = 60


def _free_port() -> int:
    from tests.e2e.server import free_port

    return free_port()


@contextlib.contextmanager
def emulator_process(*, key: str, latency_ms: int, log_path: Path, port: int | None = None) -> Iterator[str]:
    """Serve the emulator with Granian (one worker) on loopback; yields its base URL; always stops it."""
    port = port or _free_port()
    folder = Path(tempfile.mkdtemp(prefix="kp-bench-emulator-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHALTI_", "REFLEX_"))}
    env.update(
        KHALTI_PORTAL_DOTENV="0",
        KHALTI_EMULATOR_KEY=key,
        KHALTI_EMULATOR_DB=str(folder / "emulator.db"),
        KHALTI_EMULATOR_LATENCY_MS=str(latency_ms),
    )
    granian = str(GRANIAN) if GRANIAN.exists() else shutil.which("granian") or "granian"
    args = [granian, "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", "1", "--log-level", "warning", "scripts.loadgen.emulator:create"]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}/"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(  # noqa: S603 - our own venv's granian, fixed arguments
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            _wait_until_answers(proc, url + "_control/stats", log_path)
            yield url
        finally:
            _stop(proc)
            shutil.rmtree(folder, ignore_errors=True)


def _wait_until_answers(proc: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the emulator exited with {proc.returncode}:\n{log_path.read_text()[-2000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.2)  # polling a subprocess that is starting: nothing to wait on but its port
    raise RuntimeError(f"the emulator did not answer within {START_TIMEOUT_SECONDS} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


@contextlib.contextmanager
def postgres_schema(database_url: str) -> Iterator[str]:
    """A URL whose search_path is a schema made for this run (dropped afterwards)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    admin = create_engine(database_url, poolclass=NullPool, connect_args={"connect_timeout": 3})
    schema = f"bench_{secrets.token_hex(5)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{sep}options={quote(f'-csearch_path={schema}', safe='')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextlib.contextmanager
def portal_server(
    *, emulator_url: str, workers: int, database_url: str | None, redis_url: str | None, log_path: Path
) -> Iterator[tuple[str, int]]:
    """The production build on a free loopback port, using the emulator at `emulator_url`; yields (url, pid)."""
    from tests.e2e.server import running_server

    extra = {"KHALTI_BASE_URL": emulator_url, "GRANIAN_WORKERS": str(workers)}
    if redis_url:
        # The run's own Redis database, emptied first: throttle marks keyed by user id would otherwise
        # outlive the PostgreSQL schema whose ids they counted, and refuse the next run's checkouts.
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3).flushdb()
        extra["REFLEX_REDIS_URL"] = redis_url
    tmp = Path(tempfile.mkdtemp(prefix="kp-bench-portal-"))
    try:
        with contextlib.ExitStack() as stack:
            if database_url:
                extra["REFLEX_DB_URL"] = stack.enter_context(postgres_schema(database_url))
            server = stack.enter_context(running_server(tmp, log_path, extra))
            assert server.process is not None
            yield server.url, server.process.pid
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
