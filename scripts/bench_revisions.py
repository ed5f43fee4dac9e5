"""Before and after in the same run: one `bench_load.py` command against several commits, interleaved.

    .venv/bin/python scripts/bench_revisions.py [--rounds 2] REV [REV ...] -- BENCH_LOAD_ARGS

Each REV is checked out into a worktree of its own under test-artifacts/bench/revs/ (sharing this
checkout's .venv, and given this checkout's bench_load.py and loadgen/, so the measuring is the same
for all), and the same `bench_load.py BENCH_LOAD_ARGS` runs in each, REV after REV, for as many
rounds as asked (A B C A B C: a machine that grows busier mid-run then hurts every revision alike). The
return-page figures of every run, and the load average before each, come out as one Markdown table.
Each run's full output is kept in test-artifacts/bench/revs/<rev>-<round>.txt.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REVS = ROOT / "test-artifacts" / "bench" / "revs"

FIGURES = {
    "verified/s": re.compile(r"verified payments\s+\d+\s+\(([\d.]+)/s\)"),
    "p50": re.compile(r"latency ms\s+p50\s+(\d+)"),
    "p95": re.compile(r"latency ms\s+.*p95\s+(\d+)"),
    "p99": re.compile(r"latency ms\s+.*p99\s+(\d+)"),
    "errors": re.compile(r"^  errors\s+(.+)$", re.M),
    "server CPU / payment": re.compile(r"server CPU\s+.*?, (\d+) ms per verified payment"),
    "server CPU": re.compile(r"server CPU\s+[\d.]+ s\s+\((\d+) % of one core"),
    "load generator CPU": re.compile(r"load generator CPU\s+[\d.]+ s\s+\((\d+) % of one core"),
    "emulator CPU": re.compile(r"emulator CPU\s+[\d.]+ s\s+\((\d+) % of one core"),
    "updates / visit": re.compile(r"state updates per visit\s+([\d.]+)"),
}
UNITS = {"p50": " ms", "p95": " ms", "p99": " ms", "server CPU / payment": " ms"}
PERCENT = ("server CPU", "load generator CPU", "emulator CPU")


def git(*args: str, cwd: Path = ROOT) -> str:
    """Git's output, stripped; raises when git fails."""
    done = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True)  # noqa: S603, S607
    return done.stdout.strip()


def worktree(rev: str) -> tuple[Path, str, str]:
    """A checkout of `rev` sharing this .venv: (folder, short sha, subject)."""
    sha = git("rev-parse", "--short=8", f"{rev}^{{commit}}")
    folder = REVS / sha
    if not (folder / ".git").exists():
        REVS.mkdir(parents=True, exist_ok=True)
        git("worktree", "add", "--detach", "--force", str(folder), sha)
    venv = folder / ".venv"
    if not venv.exists():
        venv.symlink_to(ROOT / ".venv")
    # The benchmark itself is this checkout's, so every revision is measured by the same command.
    shutil.copy2(ROOT / "scripts" / "bench_load.py", folder / "scripts" / "bench_load.py")
    shutil.copytree(ROOT / "scripts" / "loadgen", folder / "scripts" / "loadgen", dirs_exist_ok=True)
    return folder, sha, git("log", "-1", "--format=%s", sha)


def figures(output: str) -> dict[str, str]:
    """The return-page figures one bench_load.py run printed, by column name."""
    found = {}
    for name, pattern in FIGURES.items():
        match = pattern.search(output)
        if match:
            value = match.group(1).strip()
            found[name] = value + ("%" if name in PERCENT else UNITS.get(name, ""))
    return found


def main(argv: list[str]) -> int:
    """Run the command against every revision, round after round; print the table."""
    if "--" not in argv:
        raise SystemExit(__doc__)
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="bench_revisions.py")
    parser.add_argument("revs", nargs="+")
    parser.add_argument("--rounds", type=int, default=1)
    args, bench_args = parser.parse_args(argv[:split]), argv[split + 1 :]
    checkouts = [worktree(rev) for rev in args.revs]
    rows = []
    for round_ in range(1, args.rounds + 1):
        for folder, sha, subject in checkouts:
            load = " ".join(f"{x:.1f}" for x in os.getloadavg())
            print(f"== round {round_}: {sha} {subject[:70]} (load average {load})", flush=True)
            run = subprocess.run(  # noqa: S603 - this venv's python running the benchmark
                [str(ROOT / ".venv" / "bin" / "python"), "scripts/bench_load.py", *bench_args],
                cwd=folder,
                capture_output=True,
                text=True,
                check=False,
            )
            output = run.stdout + run.stderr
            (REVS / f"{sha}-{round_}.txt").write_text(output)
            found = figures(output) if run.returncode == 0 else {"errors": f"exit {run.returncode}"}
            print("   " + ", ".join(f"{k} {v}" for k, v in found.items()), flush=True)
            rows.append((round_, sha, subject, load, found))
    columns = list(FIGURES)
    print("\n| round | commit | load avg | " + " | ".join(columns) + " |")
    print("|---|---|---|" + "---|" * len(columns))
    for round_, sha, subject, load, found in rows:
        cells = " | ".join(found.get(c, "—") for c in columns)
        print(f"| {round_} | `{sha}` {subject[:60]} | {load.split()[0]} | {cells} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
