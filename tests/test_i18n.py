"""Nepali beside English: numbers, dates, the catalogs, the person's language and the switch's endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import Session

from khalti_portal import reading_preferences
from khalti_portal.billing.money import format_rupees as billing_rupees
from khalti_portal.db.models import UserProfile
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.catalogs import Language, parse_language, translate, translate_plural
from khalti_portal.i18n.dates import Calendar, bs_month_name, format_day, format_moment
from khalti_portal.i18n.numbers import format_days, format_number, format_rupees, localise_digits
from khalti_portal.states.auth import AuthState
from khalti_portal.states.catalog import CatalogState
from khalti_portal.states.language import LanguageState
from tests.state_support import StateDriver, add_plan, new_user

pytest_plugins = ["tests.state_support"]

# 11 Mangsir 2083 = 27 Nov 2026 (NEPAL.md), at 5:45 PM in Kathmandu.
EVENING = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "english", "nepali"),
    [
        (0, "0", "०"),
        (999, "999", "९९९"),
        (1000, "1,000", "१,०००"),
        (100000, "1,00,000", "१,००,०००"),
        (1234567, "12,34,567", "१२,३४,५६७"),
        (12345678, "1,23,45,678", "१,२३,४५,६७८"),
    ],
)
def test_numbers_group_in_lakhs_with_the_languages_digits(value: int, english: str, nepali: str) -> None:
    assert format_number(value) == english
    assert format_number(value, Language.NE) == nepali


@pytest.mark.parametrize(
    ("paisa", "nepali"),
    [(129950, "रु १,२९९.५०"), (10000000, "रु १,००,०००"), (1000, "रु १०"), (5, "रु ०.०५"), (-129950, "-रु १,२९९.५०")],
)
def test_rupees_in_nepali_and_english_as_billing_writes_them(paisa: int, nepali: str) -> None:
    assert format_rupees(paisa, Language.NE) == nepali
    # English is billing.money's text to the letter, so billing can hand its formatting over later.
    assert format_rupees(paisa) == billing_rupees(paisa)


@pytest.mark.parametrize("bad", [1.5, True, "100"])
def test_rupees_refuse_anything_but_integer_paisa(bad: object) -> None:
    with pytest.raises(TypeError):
        format_rupees(bad)  # type: ignore[arg-type]


def test_format_number_takes_decimals() -> None:
    assert format_number(Decimal("1299.5"), Language.NE, decimals=2) == "१,२९९.५०"


def test_digits_change_only_in_nepali() -> None:
    assert localise_digits("2083/84", Language.NE) == "२०८३/८४"
    assert localise_digits("2083/84", Language.EN) == "2083/84"


def test_bs_dates_in_nepali_use_nepal_md_month_names_and_devanagari_digits() -> None:
    assert format_day(EVENING, Calendar.BS, Language.NE) == "११ मंसिर २०८३"
    assert format_day(EVENING, Calendar.AD, Language.NE) == "२७ नोभेम्बर २०२६"
    assert format_day(EVENING, Calendar.BOTH, Language.NE) == "११ मंसिर २०८३ (२७ नोभेम्बर २०२६)"
    assert format_moment(EVENING, Calendar.BS, Language.NE) == "११ मंसिर २०८३, ५:४५ अपराह्न नेपाली समय"
    assert [bs_month_name(m, Language.NE) for m in (1, 4, 8, 12)] == ["बैशाख", "साउन", "मंसिर", "चैत"]


def test_dates_stay_english_word_for_word_by_default() -> None:
    # Other modules (receipts, mails, the dashboard) rely on the English text as it was.
    assert format_moment(EVENING, Calendar.AD) == "27 Nov 2026, 5:45 PM NPT"
    assert format_moment(EVENING, Calendar.BOTH) == "11 Mangsir 2083 (27 Nov 2026), 5:45 PM NPT"
    assert format_day(EVENING, Calendar.BS, Language.EN) == "11 Mangsir 2083"


def test_translate_reads_the_nepali_catalog_and_falls_back_to_english() -> None:
    assert translate(Language.NE, "Plans") == "योजनाहरू"
    assert translate(Language.EN, "Plans") == "Plans"
    assert translate(Language.NE, "A sentence no catalog has") == "A sentence no catalog has"
    assert translate(Language.NE, "for {duration}", duration="३० दिन") == "३० दिनका लागि"


def test_plurals_and_days() -> None:
    assert translate_plural(Language.EN, "{n} day", "{n} days", 1, n="1") == "1 day"
    assert format_days(30) == "30 days"
    assert format_days(1) == "1 day"
    assert format_days(365, Language.NE) == "३६५ दिन"


@pytest.mark.parametrize(("raw", "expected"), [("ne", Language.NE), (" EN ", Language.EN), ("fr", None), (3, None)])
def test_parse_language(raw: object, expected: Language | None) -> None:
    assert parse_language(raw) is expected


def test_the_account_keeps_a_language_and_refuses_one_we_do_not_speak(app_db) -> None:
    user = new_user()
    assert reading_preferences.language_of(user) is Language.EN  # never chosen
    assert reading_preferences.language_of(None) is Language.EN
    assert reading_preferences.set_language(user, "de") == reading_preferences.LANGUAGE_PROBLEM
    assert reading_preferences.chosen_language(user) is None  # nothing stored
    assert reading_preferences.set_language(user, "ne") is None
    assert reading_preferences.language_of(user) is Language.NE


def language_state(tab: StateDriver) -> LanguageState:
    """The tab's LanguageState (beside AuthState, not under it), with the tab signed in as the driver's user."""
    tab.state(AuthState, "/")
    return tab.root.get_substate(LanguageState.get_full_name().split("."))  # type: ignore[return-value]


def _stored_language(user_id: int) -> str | None:
    with Session(get_engine()) as session:
        row = session.get(UserProfile, user_id)
        return row.language if row else None


async def test_the_switch_ignores_an_unknown_language_with_a_message(app_db) -> None:
    user = new_user()
    tab = StateDriver(user_id=user)
    state = language_state(tab)
    state.language = "ne"
    assert await tab.run(state, "choose", "<script>") == []
    assert state.language == "ne"  # nothing changed
    assert state.problem == "अङ्ग्रेजी वा नेपाली छान्नुहोस्।"  # said in the page's language
    assert not _stored_language(user)
    assert await tab.run(state, "choose", 42) == []
    assert state.language == "ne"


async def test_choosing_nepali_keeps_it_in_the_browser_and_on_the_account(app_db) -> None:
    user = new_user()
    tab = StateDriver(user_id=user)
    state = language_state(tab)
    await tab.run(state, "choose", "ne")
    assert state.language == "ne" and state.html_lang == "ne" and state.problem == ""
    assert _stored_language(user) == "ne"
    # The page's on_load runs again, so text the state built (prices, dates) follows the new language.
    assert [e.fn.__name__ for e in tab.events] == ["on_load_internal"]


async def test_a_browser_of_a_signed_out_visitor_remembers_only_locally(app_db) -> None:
    tab = StateDriver()
    state = language_state(tab)
    await tab.run(state, "choose", "ne")
    assert state.language == "ne"
    state.language = "xx"  # a value planted in localStorage reads as English, not as an error
    assert state.html_lang == "en"


async def test_signing_in_brings_the_account_language_into_the_browser_once(app_db) -> None:
    user = new_user()
    reading_preferences.set_language(user, "ne")
    tab = StateDriver(user_id=user)
    state = language_state(tab)
    assert state.language == ""
    await tab.run(state, "follow_account")
    assert state.language == "ne"
    state.language = "en"  # chosen here afterwards, say while the account is unchanged
    await tab.run(state, "follow_account")
    assert state.language == "en"  # once per sign-in: a later page does not undo a choice


async def test_an_account_without_a_language_takes_the_browsers(app_db) -> None:
    user = new_user()
    tab = StateDriver(user_id=user)
    state = language_state(tab)
    state.language = "ne"
    await tab.run(state, "follow_account")
    assert _stored_language(user) == "ne"


async def test_the_catalog_prices_in_the_tabs_language(app_db) -> None:
    add_plan("basic", price=129_950, days=30)
    tab = StateDriver()
    language_state(tab).language = "ne"
    state = tab.state(CatalogState, "/")
    await tab.run(state, "load")
    assert [(c.price, c.duration) for c in state.cards] == [("रु १,२९९.५०", "३० दिन")]
    language_state(tab).language = "en"
    await tab.run(state, "load")
    assert [(c.price, c.duration) for c in state.cards] == [("Rs 1,299.50", "30 days")]
