"""The guard: every string people read is in the Nepali catalog, translated, and no page shows text past it.

`make messages` extracts with Babel what t(...), translate(...), translate_plural(...) and N_(...) mark; this
test runs the same extraction and fails when a string is missing from `ne/LC_MESSAGES/messages.po`, left
empty or fuzzy, or translated with other `{placeholders}` than the English. A second check reads the UI
modules themselves: in a translated module, English written straight into a component (not through `t`)
is an offence, so a new string cannot skip the catalog.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.frontend import parse_keywords
from babel.messages.pofile import read_po

from khalti_portal.i18n.catalogs import LOCALE_DIR, Language, po_path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "khalti_portal"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def babel_keywords() -> dict:
    """The extraction keywords exactly as `make messages` passes them (the Makefile's BABEL_KEYWORDS)."""
    line = next(x for x in (ROOT / "Makefile").read_text().splitlines() if x.startswith("BABEL_KEYWORDS :="))
    return parse_keywords(line.split(":=", 1)[1].split())


def extracted() -> dict[str | tuple[str, ...], set[str]]:
    """Every marked string in the portal's source, with the files it is in."""
    found: dict[str | tuple[str, ...], set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map=[("**.py", "python")], keywords=babel_keywords(), comment_tags=("TRANSLATORS:",)
    ):
        found.setdefault(message, set()).add(filename)
    return found


def catalog_problems(source: dict, language: Language) -> list[str]:
    """What is wrong with `language`'s catalog against the strings in `source`."""
    with po_path(language).open("rb") as po:
        catalog = read_po(po, locale=language.value)
    problems = []
    for message, files in sorted(source.items(), key=str):
        msgid = message[0] if isinstance(message, tuple) else message
        entry = catalog.get(msgid)
        where = ", ".join(sorted(files))
        if entry is None:
            problems.append(f"{msgid!r} ({where}) is not in {language.value}'s catalog: run `make messages`")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            problems.append(f"{msgid!r} ({where}) has no reviewed {language.value} translation (empty or fuzzy)")
            continue
        wanted = set(PLACEHOLDER.findall(msgid))
        for text in strings:
            if set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"{msgid!r}: the translation {text!r} has other placeholders than {sorted(wanted)}")
    return problems


@pytest.mark.parametrize("language", [lang for lang in Language if lang is not Language.EN])
def test_every_marked_string_is_translated(language: Language) -> None:
    source = extracted()
    assert source, "extraction found nothing: the keywords or the mapping are wrong"
    assert catalog_problems(source, language) == []


def test_the_committed_template_and_catalogs_match_the_source() -> None:
    # `make messages` was run after the last change of text: no string missing, none left over.
    ids = {m[0] if isinstance(m, tuple) else m for m in extracted()}
    with (LOCALE_DIR / "messages.pot").open("rb") as pot:
        assert {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(pot) if m.id} == ids
    for language in Language:
        if language is not Language.EN:
            with po_path(language).open("rb") as po:
                assert {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(po) if m.id} == ids


def test_the_guard_sees_a_new_string_and_a_wrong_placeholder() -> None:
    # The check above could fail: a string added to a page and not to the catalog is reported.
    code = b't("A string nobody translated")\nt("for {duration}")\ntranslate(lang, "Plans")\n'
    found = {m: {"new.py"} for _l, m, _c, _x in extract("python", io.BytesIO(code), keywords=babel_keywords())}
    assert set(found) == {"A string nobody translated", "for {duration}", "Plans"}
    problems = catalog_problems(found, Language.NE)
    assert len(problems) == 1 and "A string nobody translated" in problems[0]
    assert catalog_problems({"for {period}": {"x.py"}}, Language.NE)  # not in the catalog at all


# --- English written past the catalog --------------------------------------------------------------------

# Every UI module: pages/, views/ and components/, found on disk, so a new module is checked from its first
# line. Mail's templates write their text in f-strings, which this check cannot see:
# tests/test_mail_language.py renders each one in Nepali and finds no English left instead.
UI_MODULES = sorted(
    str(path.relative_to(PACKAGE))
    for folder in ("pages", "views", "components")
    for path in (PACKAGE / folder).rglob("*.py")
)
# Calls whose string arguments are not text people read.
NOT_TEXT_CALLS = {
    "t",
    "translate",
    "translate_plural",
    "N_",
    "color",
    "icon",
    "call_script",
    "Var",
    "match",
    "getLogger",
}
# Keyword arguments that people read (or screen readers say).
TEXT_KEYWORDS = {"aria_label", "title", "placeholder", "alt", "label"}


def looks_like_text(value: str) -> bool:
    """English a person reads, as opposed to an id, a CSS value or a route."""
    return bool(re.search(r"[A-Za-z]{2,}", value)) and (" " in value.strip() or value[:1].isupper())


def untranslated_literals(source: str) -> list[str]:
    """Strings that look like English text handed to a component or a helper without going through `t`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name in NOT_TEXT_CALLS:
            continue
        texts = [a for a in node.args if isinstance(a, ast.Constant)]
        texts += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS and isinstance(k.value, ast.Constant)]
        found += [
            f"line {c.lineno}: {c.value!r}" for c in texts if isinstance(c.value, str) and looks_like_text(c.value)
        ]
    return found


def test_the_ui_modules_are_found() -> None:
    assert {"pages/catalog.py", "views/dashboard/summary.py", "components/layout.py"} <= set(UI_MODULES)
    assert len(UI_MODULES) > 50


@pytest.mark.parametrize("module", UI_MODULES)
def test_ui_modules_write_no_english_past_the_catalog(module: str) -> None:
    path = PACKAGE / module
    # A docstring is a Constant in an Expr, not a call argument, so module and function docs are not caught.
    assert untranslated_literals(path.read_text()) == [], f"{module}: wrap these in t(...)"


def test_the_literal_check_sees_english_in_a_component() -> None:
    source = (
        'rx.text("Choose your plan")\nrx.link(t("Plans"), href="/")\nrx.color("gray", 5)\nrx.box(aria_label="Main")'
    )
    assert untranslated_literals(source) == ["line 1: 'Choose your plan'", "line 4: 'Main'"]


def test_the_compiled_catalog_is_read_unless_its_po_is_newer(tmp_path, monkeypatch) -> None:
    # `make setup` compiles each .po to a .mo; an edited .po must win over the older .mo it would shadow.
    import os

    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import write_po

    from khalti_portal.i18n import catalogs

    monkeypatch.setattr(catalogs, "LOCALE_DIR", tmp_path)
    po, mo = catalogs.po_path(Language.NE), catalogs.mo_path(Language.NE)
    po.parent.mkdir(parents=True)
    for path, text, write in ((po, "from the po", write_po), (mo, "from the mo", write_mo)):
        catalog = Catalog(locale="ne")
        catalog.add("Plans", text)
        with path.open("wb") as out:
            write(out, catalog)
    try:
        os.utime(po, (1_000_000, 1_000_000))
        os.utime(mo, (2_000_000, 2_000_000))
        catalogs.translations.cache_clear()
        assert catalogs.translate(Language.NE, "Plans") == "from the mo"  # compiled by the set-up, and current
        os.utime(po, (3_000_000, 3_000_000))
        catalogs.translations.cache_clear()
        assert catalogs.translate(Language.NE, "Plans") == "from the po"  # edited since: never a stale .mo
        mo.unlink()
        catalogs.translations.cache_clear()
        assert catalogs.translate(Language.NE, "Plans") == "from the po"  # not compiled at all
    finally:
        catalogs.translations.cache_clear()  # the real catalog for the tests that follow
