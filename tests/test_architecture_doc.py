"""docs/architecture.md names every module of the package, so the map a newcomer reads stays the real one."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def modules_in_package() -> set[str]:
    """`billing/admin/refunds.py`-style paths of every module (an `__init__` that only names its package skipped)."""
    package = ROOT / "khalti_portal"
    found = set()
    for path in package.rglob("*.py"):
        if path.name == "__init__.py" and len(path.read_text().strip().splitlines()) <= 1:
            continue
        found.add(path.relative_to(package).as_posix())
    return found


def modules_in_doc(text: str) -> set[str]:
    """The module paths the doc's list names: each list line starts with a `path.py` in backquotes."""
    return set(re.findall(r"^- `([\w/]+\.py)`", text, flags=re.M))


def test_every_module_is_on_the_map_and_nothing_else() -> None:
    listed = modules_in_doc(DOC.read_text())
    actual = modules_in_package()
    assert sorted(actual - listed) == [], "modules missing from docs/architecture.md"
    assert sorted(listed - actual) == [], "docs/architecture.md lists modules that no longer exist"


def test_the_check_reads_list_lines() -> None:
    # The rule above could fail: a list line names its module, prose does not count.
    text = "- `billing/checkout.py` start_checkout\nsee `billing/verification.py` for more\n"
    assert modules_in_doc(text) == {"billing/checkout.py"}
