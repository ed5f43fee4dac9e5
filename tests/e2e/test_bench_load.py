"""`scripts/bench_load.py` still runs end to end against the production build: small, as a person would run it.

A rename of a page state or a change in what the frontend sends must not leave the benchmark broken until
someone needs a figure. It drives this package's server (`--url`; its Khalti is the emulator mounted in the
server) with two subscribers, two visitors and three idle tabs, and is asserted on its shape: every payment
verified, no error of any kind, every figure printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tests.e2e.server import PROJECT, Server

pytestmark = pytest.mark.e2e


def run_bench(server: Server, *args: str) -> tuple[subprocess.CompletedProcess[str], str]:
    """`bench_load.py --url <server> args…` as a person would run it; (the process, all it printed)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHALTI_", "REFLEX_"))}
    out = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "scripts/bench_load.py", "--url", server.url, *args],
        cwd=PROJECT,
        env={**env, "KHALTI_PORTAL_DOTENV": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return out, out.stdout + out.stderr


def test_bench_load_measures_every_scenario(e2e_server: Server) -> None:
    args = ["--scenario", "all", "--subscribers", "2", "--payments-each", "2"]
    args += ["--visitors", "2", "--idle-tabs", "3", "--idle-seconds", "0", "--timeout", "60", "--deadline", "240"]
    out, text = run_bench(e2e_server, *args)
    assert out.returncode == 0, text
    assert re.search(r"^  prepared +4 paid payments", out.stdout, re.M), text
    assert re.search(r"^  verified payments +4 +\(\d+\.\d/s\)", out.stdout, re.M), text
    assert re.search(r"^  latency ms +p50 +\d+ +p95 +\d+ +p99 +\d+", out.stdout, re.M), text
    assert re.search(r"^  Khalti lookups +4 +\(for 4 payments\)", out.stdout, re.M), text
    assert re.search(r"^  first plan card ms +p50 +\d+", out.stdout, re.M), text
    assert re.search(r"^  opened +3 in", out.stdout, re.M), text
    assert len(re.findall(r"^  server CPU ", out.stdout, re.M)) == 3, text
    assert len(re.findall(r"^  load generator CPU ", out.stdout, re.M)) == 3, text
    assert out.stdout.count("errors                     none") == 3, text
    assert "never awaited" not in out.stderr


def test_bench_load_measures_the_floor(e2e_server: Server) -> None:
    out, text = run_bench(
        e2e_server, "--scenario", "floor", "--subscribers", "3", "--events-each", "4", "--timeout", "60"
    )
    assert out.returncode == 0, text
    assert re.search(r"^  connect \+ hydrate \([\d.]+ s\): 3 done", out.stdout, re.M), text
    assert re.search(r"^  empty event \([\d.]+ s\): 12 done", out.stdout, re.M), text
    assert re.search(r"ms per connection\)$", out.stdout, re.M), text
    assert re.search(r"ms per event\)$", out.stdout, re.M), text
    assert "errors                     none" in out.stdout, text
