"""The blueprint's layering, checked on the source: who may import whom, and no page near a secret."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "khalti_portal"


def module_name(path: Path) -> str:
    """`khalti_portal/billing/checkout.py` → `khalti_portal.billing.checkout` (a package is its `__init__`)."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def absolute_from(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module of `from ... import`: relative ones resolved against the file's own package."""
    if node.level == 0:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]  # a module's relative imports start from the package that holds it
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(path: Path, source: str | None = None) -> set[str]:
    """Every module a file imports (its text, or `source` as if it were there): absolute names, relative resolved."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text() if source is None else source, filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = absolute_from(path, node)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def layer_files(layer: str) -> list[Path]:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no files in khalti_portal/{layer}"
    return files


FORBIDDEN = {
    # layer: module prefixes it must never import
    "billing": (
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.views",
        "khalti_portal.components",
        "reflex",
    ),
    "khalti": (
        "khalti_portal.billing",
        "khalti_portal.db",
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.views",
        "khalti_portal.config",
        "khalti_portal.sandbox",
        "reflex",
        "sqlmodel",
    ),
    # the HTTP API is thin: authenticate, ask billing, serialise (ARCHITECTURE.md)
    "api": (
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.views",
        "khalti_portal.components",
        "khalti_portal.khalti",
        "reflex",
    ),
    # mail renders and delivers; what to send is billing's business (ARCHITECTURE.md)
    "mail": (
        "khalti_portal.billing",
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.views",
        "khalti_portal.components",
        "khalti_portal.khalti",
        "reflex",
    ),
    # documents draw stored invoices; they read db and format money, and know nothing of pages or Khalti
    "documents": (
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.views",
        "khalti_portal.components",
        "khalti_portal.khalti",
        "khalti_portal.mail",
        "reflex",
    ),
    # formatting for people sits below every layer that shows something, mail included
    "i18n": (
        "khalti_portal.billing",
        "khalti_portal.db",
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.views",
        "khalti_portal.components",
        "khalti_portal.khalti",
        "khalti_portal.mail",
        "khalti_portal.documents",
        "khalti_portal.config",
        "reflex",
        "sqlmodel",
    ),
    "pages": ("khalti_portal.khalti", "khalti_portal.billing", "khalti_portal.db"),
    # page sections: the same rules as the pages that arrange them
    "views": ("khalti_portal.khalti", "khalti_portal.billing", "khalti_portal.db"),
    "sandbox": (
        "khalti_portal.billing",
        "khalti_portal.db",
        "khalti_portal.states",
        "khalti_portal.pages",
        "khalti_portal.views",
        "khalti_portal.khalti",
        # The mailbox is the mail sender's counterpart, reached only over SMTP, like real Khalti over HTTP.
        "khalti_portal.mail",
        "khalti_portal.config",
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


def test_the_subscriber_core_never_imports_the_admin_side() -> None:
    # billing/admin builds on the core (plans, verification, periods); the other way round would let an
    # admin operation creep into what a subscriber's checkout runs.
    core = [path for path in layer_files("billing") if "admin" not in path.relative_to(PACKAGE / "billing").parts]
    assert core, "no core billing files found"
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in core
        for name in sorted(imports_of(path))
        if name == "khalti_portal.billing.admin" or name.startswith("khalti_portal.billing.admin.")
    ]
    assert offences == []


def test_documents_use_only_money_from_billing() -> None:
    # A document is drawn from the stored invoice: billing's rules (numbering, VAT) stay in billing/invoices.py.
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in layer_files("documents")
        for name in sorted(imports_of(path))
        if name.startswith("khalti_portal.billing") and not name.startswith("khalti_portal.billing.money")
    ]
    assert offences == []


def test_the_core_check_sees_an_admin_import() -> None:
    # The rule above could fail: the parser finds such an import where one is written.
    source = "from khalti_portal.billing.admin import refunds\n"
    assert "khalti_portal.billing.admin.refunds" in imports_of(PACKAGE / "billing" / "checkout.py", source)


def test_the_check_sees_imports() -> None:
    # The rule above could fail: states do import billing, and the parser finds it.
    assert "khalti_portal.billing" in {n.rsplit(".", 1)[0] for n in imports_of(PACKAGE / "states" / "dashboard.py")}


@pytest.mark.parametrize(
    ("source", "where", "expected"),
    [
        ("from ..billing import verify_payment", "khalti/client.py", "khalti_portal.billing.verify_payment"),
        ("from .. import db", "khalti/client.py", "khalti_portal.db"),
        ("from ...db.models import Payment", "billing/admin/plans.py", "khalti_portal.db.models.Payment"),
        ("from .errors import KhaltiError", "khalti/__init__.py", "khalti_portal.khalti.errors"),
        ("from . import client", "khalti/__init__.py", "khalti_portal.khalti.client"),
    ],
)
def test_relative_imports_are_resolved(source: str, where: str, expected: str) -> None:
    # As if the line stood in that file of the package, so `..` climbs the same folders.
    assert expected in imports_of(PACKAGE / where, source)


def test_a_relative_import_across_layers_is_an_offence() -> None:
    assert "khalti_portal.billing" in imports_of(PACKAGE / "khalti" / "client.py", "from ..billing import x\n")


UI_FILES = [path for layer in ("pages", "views", "components") for path in sorted((PACKAGE / layer).rglob("*.py"))]


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_page_or_component_touches_a_secret(path: Path) -> None:
    # Page functions (and the views and components they call) run at compile time: what they read is baked
    # into the JavaScript bundle.
    source = path.read_text()
    for name in ("khalti_secret_key", "emulator_key", "KHALTI_SECRET_KEY", "KHALTI_EMULATOR_KEY", "db_url"):
        assert name not in source, f"{path.name} mentions {name}"
