"""The blueprint's layering, checked on the source: who may import whom, and no page near a secret."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "khalti_portal"


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, absolute names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def layer_files(layer: str) -> list[Path]:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no files in khalti_portal/{layer}"
    return files


FORBIDDEN = {
    # layer: module prefixes it must never import
    "billing": ("khalti_portal.states", "khalti_portal.pages", "khalti_portal.components", "reflex"),
    "khalti": (
        "khalti_portal.billing",
        "khalti_portal.db",
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.config",
        "khalti_portal.sandbox",
        "reflex",
        "sqlmodel",
    ),
    "pages": ("khalti_portal.khalti", "khalti_portal.billing", "khalti_portal.db"),
    "sandbox": (
        "khalti_portal.billing",
        "khalti_portal.db",
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.khalti",
        "reflex",
        "sqlmodel",
    ),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_the_blueprint_allows(layer: str) -> None:
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in layer_files(layer)
        for name in sorted(imports_of(path))
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[layer])
    ]
    assert offences == []


def test_the_check_sees_imports() -> None:
    # The rule above could fail: states do import billing, and the parser finds it.
    assert "khalti_portal.billing" in {n.rsplit(".", 1)[0] for n in imports_of(PACKAGE / "states" / "dashboard.py")}


UI_FILES = sorted((PACKAGE / "pages").rglob("*.py")) + sorted((PACKAGE / "components").rglob("*.py"))


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: p.name)
def test_no_page_or_component_touches_a_secret(path: Path) -> None:
    # Page functions run at compile time and what they read is baked into the JavaScript bundle.
    source = path.read_text()
    for name in ("khalti_secret_key", "emulator_key", "KHALTI_SECRET_KEY", "KHALTI_EMULATOR_KEY", "db_url"):
        assert name not in source, f"{path.name} mentions {name}"
