"""No configuration gives access away: the settings that would, refuse to start through every entry point.

The refusals (config.py's `_refuse_access_giveaways`):
- a merchant key with KHALTI_ENV=emulator (the emulator would stand in for real payments);
- emulator or sandbox mode on a non-loopback APP_URL, unless ALLOW_TEST_PAYMENTS=1 (a staging site);
- live mode with an APP_URL or KHALTI_BASE_URL that is not https://.

Each is checked on `load_settings`, then through the real entry points as subprocesses: every CLI command,
`reflex db migrate` and `reflex run` (both import rxconfig.py), and `make run` / `make dev`.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from khalti_portal.config import ConfigError, is_loopback_host, load_settings

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
KEY = "live_secret_key_never_printed_0123456789"

REFUSED = {
    "key_with_emulator": (
        {"KHALTI_ENV": "emulator", "KHALTI_SECRET_KEY": KEY, "APP_URL": "https://shop.example.com"},
        "KHALTI_SECRET_KEY is set but KHALTI_ENV=emulator",
    ),
    "emulator_on_a_public_host": (
        {"APP_URL": "https://shop.example.com"},
        "KHALTI_ENV=emulator takes test payments, so APP_URL must be on this machine",
    ),
    "sandbox_on_a_public_host": (
        {"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": KEY, "APP_URL": "https://shop.example.com"},
        "KHALTI_ENV=sandbox takes test payments, so APP_URL must be on this machine",
    ),
    "live_on_http_app_url": (
        {"KHALTI_ENV": "live", "KHALTI_SECRET_KEY": KEY, "APP_URL": "http://shop.example.com"},
        "KHALTI_ENV=live needs an https:// APP_URL",
    ),
    "live_on_http_khalti_base_url": (
        {
            "KHALTI_ENV": "live",
            "KHALTI_SECRET_KEY": KEY,
            "APP_URL": "https://shop.example.com",
            "KHALTI_BASE_URL": "http://khalti.com/",
        },
        "KHALTI_ENV=live needs an https:// KHALTI_BASE_URL",
    ),
}


# -- the rules ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_each_giveaway_is_refused_in_one_sentence_without_the_key(case: str) -> None:
    env, fragment = REFUSED[case]
    with pytest.raises(ConfigError) as err:
        load_settings(env)
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message and message.count(". ") == 0  # one sentence
    assert KEY not in message
    assert "set " in message  # it says what to set


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://localhost:3000", True),
        ("http://LOCALHOST", True),
        ("http://127.0.0.1:3000", True),
        ("http://127.8.9.10", True),
        ("http://[::1]:3000", True),
        ("http://0.0.0.0:3000", False),
        ("http://192.168.1.5:3000", False),
        ("http://localhost.example.com", False),
        ("http://127.0.0.1.nip.io", False),
        ("https://shop.example.com", False),
        ("http://[::ffff:203.0.113.9]", False),
    ],
)
def test_loopback_means_this_machine_only(url: str, loopback: bool) -> None:
    assert is_loopback_host(url) is loopback


@pytest.mark.parametrize("mode", ["emulator", "sandbox"])
def test_allow_test_payments_lets_a_staging_site_use_a_test_mode(mode: str) -> None:
    env = {"KHALTI_ENV": mode, "APP_URL": "https://staging.example.com", "ALLOW_TEST_PAYMENTS": "1"}
    if mode == "sandbox":
        env["KHALTI_SECRET_KEY"] = KEY
    settings = load_settings(env)
    assert (settings.khalti_env, settings.allow_test_payments) == (mode, True)
    with pytest.raises(ConfigError, match="ALLOW_TEST_PAYMENTS=1"):
        load_settings({**env, "ALLOW_TEST_PAYMENTS": "0"})


def test_allow_test_payments_lifts_neither_other_refusal() -> None:
    with pytest.raises(ConfigError, match="KHALTI_ENV=emulator"):
        load_settings({**REFUSED["key_with_emulator"][0], "ALLOW_TEST_PAYMENTS": "1"})
    with pytest.raises(ConfigError, match="https:// APP_URL"):
        load_settings({**REFUSED["live_on_http_app_url"][0], "ALLOW_TEST_PAYMENTS": "1"})


def test_what_still_starts() -> None:
    assert load_settings({}).khalti_env == "emulator"  # no settings at all: the emulator on localhost
    assert load_settings({"APP_URL": "http://127.0.0.1:8080"}).khalti_env == "emulator"
    sandbox = load_settings({"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": KEY, "APP_URL": "http://[::1]:3000"})
    assert sandbox.khalti_base_url == "https://dev.khalti.com/"
    live = load_settings({"KHALTI_ENV": "live", "KHALTI_SECRET_KEY": KEY, "APP_URL": "https://shop.example.com"})
    assert (live.khalti_env, live.khalti_base_url) == ("live", "https://khalti.com/")


def test_env_example_leaves_the_mode_empty_and_starts_on_the_emulator() -> None:
    # Copying .env.example and adding a key must not leave the app on the emulator.
    lines = (ROOT / ".env.example").read_text().splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert values["KHALTI_ENV"] == ""
    assert load_settings(values).khalti_env == "emulator"
    with pytest.raises(ConfigError, match="KHALTI_ENV is not"):
        load_settings({**values, "KHALTI_SECRET_KEY": KEY})
    with pytest.raises(ConfigError, match="APP_URL must be on this machine"):
        load_settings({**values, "APP_URL": "https://shop.example.com"})


# -- the entry points ----------------------------------------------------------------------------------


def _env(tmp_path: Path, settings: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHALTI_", "REFLEX_", "APP_URL", "ALLOW_"))}
    env.update(
        KHALTI_PORTAL_DOTENV="0",
        REFLEX_DB_URL=f"sqlite:///{tmp_path / 'refused.db'}",
        KHALTI_EMULATOR_DB=str(tmp_path / "emulator.db"),
        REFLEX_USE_NPM="1",
        REFLEX_CHECK_LATEST_VERSION="false",
        REFLEX_TELEMETRY_ENABLED="false",
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.update(settings)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=180)


def _assert_refused(out: subprocess.CompletedProcess[str], fragment: str, tmp_path: Path) -> None:
    said = out.stdout + out.stderr
    assert out.returncode != 0, said
    assert f"configuration error: {fragment}" in said, said
    assert "Traceback" not in said
    assert KEY not in said
    assert not (tmp_path / "refused.db").exists()  # refused before touching the database
    assert not (tmp_path / "emulator.db").exists()


CLI_COMMANDS = {
    "seed-plans": ["seed-plans"],
    "create-admin": ["create-admin", "root_admin", "--password-stdin"],
    "check-port": ["check-port", "0"],
    "reconcile": ["reconcile", "--once"],
}


@pytest.mark.parametrize("command", sorted(CLI_COMMANDS))
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_every_cli_command_refuses(tmp_path: Path, case: str, command: str) -> None:
    settings, fragment = REFUSED[case]
    args = [sys.executable, "-m", "khalti_portal", *CLI_COMMANDS[command]]
    out = _run(args, _env(tmp_path, settings), stdin="a strong password\n")
    _assert_refused(out, fragment, tmp_path)
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1  # one line


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_server_refuses_to_start(tmp_path: Path, case: str) -> None:
    # `reflex run` imports rxconfig.py, which loads the settings before anything is built or served.
    settings, fragment = REFUSED[case]
    port = _free_port()
    args = [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)]
    out = _run(args, _env(tmp_path, settings))
    _assert_refused(out, fragment, tmp_path)
    assert not _listening(port)


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_reflex_db_migrate_refuses(tmp_path: Path, case: str) -> None:
    settings, fragment = REFUSED[case]
    _assert_refused(_run([str(VENV_BIN / "reflex"), "db", "migrate"], _env(tmp_path, settings)), fragment, tmp_path)


@pytest.mark.parametrize("target", ["run", "dev"])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_make_run_and_make_dev_refuse(tmp_path: Path, case: str, target: str) -> None:
    make = shutil.which("make")
    assert make, "make is needed for `make run`"
    settings, fragment = REFUSED[case]
    port = _free_port()
    # -o: take the set-up stamps as done (no pip or npm here); the first step that reads settings must refuse.
    args = [make, "--no-print-directory", "-o", ".make/venv", "-o", ".make/web", target, f"PORT={port}"]
    out = _run(args, _env(tmp_path, settings))
    _assert_refused(out, fragment, tmp_path)
    assert not _listening(port)
