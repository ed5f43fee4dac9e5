"""The merchant's brand, compiled into every page: the name in titles and the header, the footer's contact and
legal links, the favicon; and the terms and privacy pages read from `content/`."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import reflex as rx

from khalti_portal import content
from khalti_portal.components import brand, footer, layout
from khalti_portal.config import ASSETS_DIR, load_settings
from khalti_portal.i18n.catalogs import Language
from khalti_portal.states.language import LanguageState
from khalti_portal.states.legal import LegalState
from tests.state_support import StateDriver

BRANDED = {
    "SITE_NAME": "Pahilo Patrika",
    "SITE_TAGLINE": "The week, first",
    "MERCHANT_NAME": "Pahilo Media Pvt. Ltd.",
    "MERCHANT_EMAIL": "help@pahilo.example",
    "MERCHANT_PHONE": "+977 1-4412345",
}


@pytest.fixture
def branded(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(BRANDED)
    for module in (brand, footer):
        monkeypatch.setattr(module, "get_settings", lambda: settings)


def compiled_layout() -> str:
    return str(layout.layout(rx.text("page body")))


def test_the_compiled_chrome_carries_the_brand_the_contact_and_the_legal_links(branded: None) -> None:
    jsx = compiled_layout()
    for present in (
        "Pahilo Patrika",
        "The week, first",
        "Pahilo Media Pvt. Ltd.",
        "mailto:help@pahilo.example",
        "tel:+97714412345",
        "/terms",
        "/privacy",
        "site-brand",
        "site-footer",
    ):
        assert present in jsx, present
    assert '"khalti_portal"' not in jsx  # the old heading: the project's name is not the merchant's


def test_without_a_contact_or_tagline_the_footer_and_header_show_none(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings({"SITE_NAME": "Asha's Gym"})
    for module in (brand, footer):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    jsx = compiled_layout()
    assert "Asha's Gym" in jsx or "Asha\\'s Gym" in jsx
    assert "mailto:" not in jsx and "tel:" not in jsx and "site-tagline" not in jsx
    assert "/terms" in jsx and "/privacy" in jsx  # the legal pages are linked whatever else is set


def test_a_page_title_is_the_page_then_the_site_and_the_tagline_describes_it(branded: None) -> None:
    assert brand.page_meta("Dashboard") == {"title": "Dashboard · Pahilo Patrika", "description": "The week, first"}


def test_without_a_tagline_a_page_has_no_description(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(brand, "get_settings", lambda: load_settings({}))
    assert brand.page_meta("Plans") == {"title": "Plans · Subscriptions"}


def test_assets_are_versioned_by_their_content_so_a_new_logo_beats_the_cache() -> None:
    digest = hashlib.sha256((ASSETS_DIR / "logo.svg").read_bytes()).hexdigest()[:12]
    assert brand.asset_url("logo.svg") == f"/logo.svg?v={digest}"
    icon = str(brand.favicon())
    assert 'rel:"icon"' in icon and "/favicon.svg?v=" in icon and "image/svg+xml" in icon


def test_the_shipped_legal_pages_are_templates_that_say_so() -> None:
    for name, title in (("terms", "Terms of service"), ("privacy", "Privacy")):
        page = content.legal_page(name)
        assert page is not None and page.title == title
        assert "<strong>This is a template, not legal advice.</strong>" in page.html
        assert f"content/{name}.md" in page.html


def test_nepali_readers_get_the_nepali_templates_which_say_they_must_be_adapted() -> None:
    for name, title in (("terms", "सेवाका सर्तहरू"), ("privacy", "गोपनीयता")):
        page = content.legal_page(name, language=Language.NE)
        assert page is not None and page.title == title
        assert "<strong>यो नमुना मात्र हो, कानुनी सल्लाह होइन।</strong>" in page.html
        assert f"content/{name}.ne.md" in page.html


def test_without_a_nepali_file_a_nepali_reader_gets_the_english_one(tmp_path: Path) -> None:
    (tmp_path / "terms.md").write_text("---\ntitle: Terms\n---\nOurs.\n")
    assert content.legal_page("terms", tmp_path, Language.NE) == content.Document("Terms", "<p>Ours.</p>\n")
    (tmp_path / "terms.ne.md").write_text("---\ntitle: सर्तहरू\n---\nहाम्रा।\n")
    assert content.legal_page("terms", tmp_path, Language.NE) == content.Document("सर्तहरू", "<p>हाम्रा।</p>\n")
    assert content.legal_page("terms", tmp_path) == content.Document("Terms", "<p>Ours.</p>\n")  # English unchanged


async def test_the_legal_state_shows_a_nepali_tab_the_nepali_file() -> None:
    tab = StateDriver()
    tab.root.get_substate(LanguageState.get_full_name().split(".")).language = "ne"
    state = tab.state(LegalState, "/terms")
    await tab.run(state, "load_terms")
    assert (state.found, state.title) == (True, "सेवाका सर्तहरू")


def test_only_the_legal_pages_can_be_asked_for(tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("---\ntitle: Not a page\n---\nx\n")
    assert content.legal_page("secret", tmp_path) is None
    assert content.legal_page("../members/01-welcome", tmp_path) is None
    assert content.legal_page("terms", tmp_path) is None  # missing: the page says it is not written yet


def test_a_legal_page_escapes_raw_html_and_follows_edits(tmp_path: Path) -> None:
    path = tmp_path / "privacy.md"
    path.write_text("---\ntitle: Privacy\n---\n<script>alert(1)</script>\n")
    page = content.legal_page("privacy", tmp_path)
    assert page is not None and "<script" not in page.html and "&lt;script&gt;" in page.html
    path.write_text("---\ntitle: Our privacy notice\n---\nWe keep little.\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert content.legal_page("privacy", tmp_path) == content.Document("Our privacy notice", "<p>We keep little.</p>\n")


async def test_the_legal_state_loads_each_page_and_says_when_one_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    tab = StateDriver()
    state = tab.state(LegalState, "/terms")
    await tab.run(state, "load_terms")
    assert (state.loaded, state.found, state.title) == (True, True, "Terms of service")
    await tab.run(state, "load_privacy")
    assert (state.found, state.title) == (True, "Privacy")

    monkeypatch.setattr(content, "legal_page", lambda *_args, **_kwargs: None)
    await tab.run(state, "load_terms")
    assert (state.loaded, state.found, state.title, state.html) == (True, False, "", "")


def test_each_page_keeps_its_own_module_so_its_components_are_not_in_every_pages_download() -> None:
    # Reflex files a page's memoized components by the page function's module: were they all filed under the
    # layout's, every page would download the admin's charts (the catalog's weight test would fail).
    from khalti_portal.pages import admin_payments, catalog, legal

    for module, function in ((admin_payments, admin_payments.admin_payments), (catalog, catalog.catalog)):
        assert function.__module__ == module.__name__
    assert legal.terms.__module__ == legal.privacy.__module__ == legal.__name__
