"""The benchmark scripts still run: a rename elsewhere must not leave them broken until someone needs a figure.

They are run small, in a subprocess as a person would run them, and asserted on their shape (they print
figures, never pass/fail verdicts); any warning (a coroutine never awaited, say) is an error here.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KHALTI_", "REFLEX_"))}
    return subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", *args],
        cwd=ROOT,
        env={**env, "KHALTI_PORTAL_DOTENV": "0"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_bench_signin_prints_both_rounds() -> None:
    out = run_script("scripts/bench_signin.py", "--signins", "2", "--tabs", "1")
    assert out.returncode == 0, out.stdout + out.stderr
    rounds = re.findall(
        r"^  (on the event loop \(before\)|off the loop \(now\)) .* answered meanwhile: +(\d+)", out.stdout, re.M
    )
    assert [label for label, _ in rounds] == ["on the event loop (before)", "off the loop (now)"], out.stdout
    assert "never awaited" not in out.stderr


def test_bench_reconcile_completes_every_payment_it_prepares() -> None:
    out = run_script("scripts/bench_reconcile.py", "--payments", "5", "--latency-ms", "0")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "periods granted: 5, payments completed: 5 (of 5)" in out.stdout, out.stdout
