"""Run the portal in production mode on a free loopback port, for the browser tests.

Nothing is copied: the server runs from the project directory with its own database files in a temporary
folder. NOTE: `reflex run --env prod` rebuilds the frontend into `<project>/.web` on every start (the port
is baked into the bundle), so only one such build may use `.web` at a time: do not run two e2e sessions
(or an e2e session and `make run`) at once in the same checkout.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

PROJECT = Path(__file__).resolve().parents[2]
VENV_BIN = PROJECT / ".venv" / "bin"
ARTIFACTS = PROJECT / "test-artifacts" / "e2e"

# The emulator's key for this run: the test knows the secret so it can search for it.
EMULATOR_KEY = "e2e_emulator_secret_9f8e7d6c5b4a"
ADMIN_USERNAME = "e2e_admin"
ADMIN_PASSWORD = "e2e admin password"
# The whole session runs as a merchant's own site (the brand is compiled in: one build, one brand).
BRAND = {
    "SITE_NAME": "Pahilo Patrika",
    "SITE_TAGLINE": "The week's news, first",
    "ACCENT_COLOR": "crimson",
    "MERCHANT_EMAIL": "sahayog@pahilo.example",
    "MERCHANT_PHONE": "+977 1-4412345",
}

START_TIMEOUT_SECONDS = 8 * 60  # the production build takes 1–3 minutes
COMMAND_TIMEOUT_SECONDS = 180


def free_port() -> int:
    """A loopback port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(port: int, tmp: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the server and of every CLI command run beside it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHALTI_", "REFLEX_", "PYTEST_"))}
    env.update(
        PORT=str(port),
        APP_URL=f"http://localhost:{port}",
        REFLEX_DB_URL=f"sqlite:///{tmp / 'e2e.db'}",
        KHALTI_EMULATOR_DB=str(tmp / "emulator.db"),
        KHALTI_EMULATOR_KEY=EMULATOR_KEY,
        KHALTI_EMULATOR_LINK_TTL_SECONDS="3600",
        KHALTI_PORTAL_DOTENV="0",
        REFLEX_USE_NPM="1",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_TELEMETRY_ENABLED="false",
        NPM_CONFIG_UPDATE_NOTIFIER="false",
        NPM_CONFIG_FUND="false",
        NPM_CONFIG_AUDIT="false",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        # The "closed tab" journey must be settled by `reconcile --once`, not by a background loop:
        # RECONCILE_IN_PROCESS=0 runs no in-process reconciler; settle 0 makes a fresh payment due for the
        # CLI at once.
        RECONCILE_IN_PROCESS="0",
        RECONCILE_SETTLE_SECONDS="0",
        # Every journey's browser signs up from 127.0.0.1: the suite would reach the 10-an-hour limit.
        SIGNUPS_PER_ADDRESS_PER_HOUR="1000",
        PYTHONUNBUFFERED="1",
        **BRAND,
    )
    env.update(extra or {})
    return env


def run_cli(
    args: list[str], env: dict[str, str], *, stdin: str | None = None, timeout: float = COMMAND_TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    """One command from the project directory with the server's environment; raises with its output on failure."""
    done = subprocess.run(
        args, cwd=PROJECT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}")
    return done


@dataclass
class Server:
    """A running production server."""

    port: int
    tmp: Path
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_in: float = 0.0
    setup_commands: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The app's public origin, as Khalti's return_url uses it."""
        return f"http://localhost:{self.port}"

    @property
    def db_path(self) -> Path:
        """The app database."""
        return self.tmp / "e2e.db"

    def python(
        self, *args: str, stdin: str | None = None, timeout: float = COMMAND_TIMEOUT_SECONDS
    ) -> subprocess.CompletedProcess[str]:
        """`python -m khalti_portal ...`-style commands with the server's environment."""
        return run_cli([str(VENV_BIN / "python"), *args], self.env, stdin=stdin, timeout=timeout)

    def log_text(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""


def prepare(server: Server) -> None:
    """Migrate, seed the demo plans, create the admin."""
    run_cli([str(VENV_BIN / "reflex"), "db", "migrate"], server.env)
    server.python("-m", "khalti_portal", "seed-plans")
    server.python(
        "-m", "khalti_portal", "create-admin", ADMIN_USERNAME, "--password-stdin", stdin=ADMIN_PASSWORD + "\n"
    )


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5.0).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until_up(server: Server, timeout: float = START_TIMEOUT_SECONDS) -> None:
    """Bounded poll until /ping and / answer 200; fails early if the server exits."""
    deadline = time.monotonic() + timeout
    assert server.process is not None
    while time.monotonic() < deadline:
        code = server.process.poll()
        if code is not None:
            tail = server.log_text()[-4000:]
            raise RuntimeError(f"the server exited with {code} before answering; log tail:\n{tail}")
        if _answers(f"{server.url}/ping") and _answers(f"{server.url}/"):
            return
        time.sleep(1.0)  # polling a subprocess: Playwright's waits do not apply here
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s; log tail:\n{server.log_text()[-4000:]}")


def stop(server: Server) -> None:
    """Kill the server's whole process group (reflex, granian, node) and wait for it."""
    proc = server.process
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # Children that outlived the leader still carry the group id.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


@contextlib.contextmanager
def running_server(tmp: Path, log_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[Server]:
    """Set up and serve the portal (`extra_env` over the defaults); always stops it."""
    port = free_port()
    server = Server(port=port, tmp=tmp, env=server_env(port, tmp, extra_env), log_path=log_path)
    prepare(server)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with log_path.open("wb") as log:
        server.process = subprocess.Popen(
            [
                str(VENV_BIN / "reflex"),
                "run",
                "--env",
                "prod",
                "--frontend-port",
                str(port),
                "--backend-port",
                str(port),
                "--backend-host",
                "127.0.0.1",
                "--loglevel",
                "info",
            ],
            cwd=PROJECT,
            env=server.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until_up(server)
            server.started_in = time.monotonic() - started
            yield server
        finally:
            stop(server)


if __name__ == "__main__":  # `python -m tests.e2e.server`: serve like the tests do, until Ctrl-C
    import tempfile

    with tempfile.TemporaryDirectory(prefix="khalti-e2e-") as d, running_server(Path(d), ARTIFACTS / "server.log") as s:
        print(f"serving on {s.url} (built in {s.started_in:.0f} s); Ctrl-C stops", file=sys.stderr)
        with contextlib.suppress(KeyboardInterrupt):
            s.process.wait()  # type: ignore[union-attr]
