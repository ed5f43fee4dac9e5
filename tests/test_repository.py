"""What is committed is the project itself: no symlink or machine-local environment rides along.

A `.venv` symlink from a helper's worktree was once committed; on a clean clone it pointed at
nothing and `make test` died before running a test.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYMLINK_MODE = "120000"
MACHINE_LOCAL = (".venv", ".web", ".make", ".states", ".env")


def tracked() -> list[tuple[str, str]]:
    """(mode, path) of every file git tracks in this checkout."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        meta, path = line.split("\t", 1)
        rows.append((meta.split()[0], path))
    return rows


def test_no_tracked_symlinks():
    links = [path for mode, path in tracked() if mode == SYMLINK_MODE]
    assert links == [], f"symlinks are committed (they point at one machine): {links}"


def test_no_machine_local_paths_are_tracked():
    local = [path for _mode, path in tracked() if path.split("/", 1)[0] in MACHINE_LOCAL]
    assert local == [], f"machine-local paths are committed: {local}"
