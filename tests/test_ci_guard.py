"""The CI guard sees every kind of skip: at run time, in a fixture, and at collection."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SKIPPING_MODULES = {
    "importorskip": "import pytest\npytest.importorskip('no_such_module_anywhere')\n\ndef test_x():\n    pass\n",
    "module-skip": "import pytest\npytest.skip('not here', allow_module_level=True)\n\ndef test_x():\n    pass\n",
    "test-skip": "import pytest\n\ndef test_x():\n    pytest.skip('not now')\n\ndef test_y():\n    pass\n",
    "xfail": "import pytest\n\ndef test_x():\n    pytest.xfail('not yet')\n\ndef test_y():\n    pass\n",
}


def run_guarded(tmp_path: Path, source: str, *, ci: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(source)
    env = {**os.environ, "CI": ci, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.ci_guard", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("kind", sorted(SKIPPING_MODULES))
def test_a_skip_of_any_kind_fails_under_ci(tmp_path: Path, kind: str) -> None:
    out = run_guarded(tmp_path, SKIPPING_MODULES[kind], ci="true")
    assert out.returncode == pytest.ExitCode.TESTS_FAILED, out.stdout + out.stderr
    assert "skipped test(s) count as failures" in out.stdout


@pytest.mark.parametrize("kind", sorted(SKIPPING_MODULES))
def test_outside_ci_a_skip_is_only_reported(tmp_path: Path, kind: str) -> None:
    out = run_guarded(tmp_path, SKIPPING_MODULES[kind], ci="")
    assert out.returncode in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED), out.stdout + out.stderr
    assert "count as failures" not in out.stdout


def test_a_clean_run_passes_under_ci(tmp_path: Path) -> None:
    out = run_guarded(tmp_path, "def test_x():\n    assert True\n", ci="true")
    assert out.returncode == pytest.ExitCode.OK, out.stdout + out.stderr
