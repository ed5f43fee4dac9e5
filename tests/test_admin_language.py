"""The admin plans, API keys and mail pages write their server-side text in the tab's language.

Billing answers in English `Message`s (the same English as before); the states write them again in Nepali,
with Devanagari digits, lakh-grouped amounts and BS dates, when the tab reads Nepali.
"""

from __future__ import annotations

import re

from khalti_portal.billing.admin.inputs import reason_problem
from khalti_portal.billing.admin.plans import PlanForm, validate
from khalti_portal.billing.money import MoneyError, parse_rupees
from khalti_portal.i18n.catalogs import N_, Language
from khalti_portal.i18n.messages import Message, Number, Rupees, shown
from khalti_portal.states.admin_api_keys import AdminApiKeysState
from khalti_portal.states.admin_mail import AdminMailState
from khalti_portal.states.admin_plans import AdminPlansState
from khalti_portal.states.language import LanguageState
from tests.state_support import StateDriver, make_admin
from tests.test_admin_plans import FORM, add_plan

LATIN = re.compile(r"[A-Za-z]")


def test_a_message_is_its_english_and_is_written_again_in_nepali() -> None:
    problem = reason_problem("x" * 501)
    assert problem == "Keep the reason to 500 characters (it has 501)."  # older callers read the same English
    assert shown(problem, Language.NE) == "कारण ५०० अक्षरभित्र लेख्नुहोस् (अहिले ५०१ छ)।"
    assert shown(problem, Language.EN) == problem


def test_amounts_numbers_and_nested_messages_follow_the_language() -> None:
    low = Message(N_("The lowest price is {price}: Khalti refuses smaller payments."), price=Rupees(1000))
    assert str(low) == "The lowest price is Rs 10: Khalti refuses smaller payments."
    assert shown(low, Language.NE) == "सबैभन्दा कम मूल्य रु १० हो: खल्तीले योभन्दा सानो भुक्तानी लिँदैन।"
    big = Message(
        N_("Enter a whole number between {low} and {high} (lower shows first)."), low=Number(-(10**6)), high=3
    )
    assert "-10,00,000" in big and "-१०,००,०००" in shown(big, Language.NE)
    # A plain N_ string (no values) is translated too; a string not in the catalog stays as it is.
    assert shown(N_("Enter a name."), Language.NE) == "नाम लेख्नुहोस्।"
    assert shown("no such msgid", Language.NE) == "no such msgid"


def test_money_errors_keep_their_english_and_carry_the_message() -> None:
    try:
        parse_rupees("abc")
    except MoneyError as err:
        assert str(err) == "'abc' is not an amount in rupees; write it like 499 or 1,299.50."
        assert shown(err.args[0], Language.NE).startswith("'abc' रुपैयाँको रकम होइन")
    else:  # pragma: no cover
        raise AssertionError("parse_rupees accepted 'abc'")


def test_every_plan_field_error_reads_in_nepali() -> None:
    bad = PlanForm(slug="G", name="", price="9.99", duration="0", features="x\n" * 21, sort_order="first")
    errors = validate(bad)
    nepali = {name: shown(text, Language.NE) for name, text in errors.fields.items()}
    assert set(nepali) == {"slug", "name", "price", "duration", "features", "sort_order"}
    for name, text in nepali.items():
        # Only the examples of what to type stay in Latin letters (slugs like gold-yearly).
        assert not LATIN.search(re.sub(r"gold-yearly|basic", "", text)), (name, text)
    assert "रु १०" in nepali["price"] and "३६५०" in nepali["duration"]


async def nepali_tab(admin: int, cls: type, url: str) -> tuple[StateDriver, object]:
    tab = StateDriver(user_id=admin)
    state = tab.state(cls, url)
    (await state.get_state(LanguageState)).language = "ne"
    await tab.run(state, "load")
    return tab, state


async def test_the_plans_page_in_nepali(app_db) -> None:
    add_plan(app_db, "basic", 129_950)
    tab, state = await nepali_tab(make_admin(), AdminPlansState, "/admin/plans")
    [row] = state.rows
    assert (row.price, row.duration, row.subscribers_text) == ("रु १,२९९.५०", "३० दिन", "०")

    await tab.run(state, "save", {**FORM, "slug": "basic", "price": "Rs 9.99"})
    assert state.form_errors["price"] == "सबैभन्दा कम मूल्य रु १० हो: खल्तीले योभन्दा सानो भुक्तानी लिँदैन।"
    assert state.form_errors["slug"] == "स्लग 'basic' अर्को योजनाले प्रयोग गरिसकेको छ; अर्कै छान्नुहोस्।"
    assert state.form_message == "चिन्ह लगाइएका खण्डहरू सच्याउनुहोस्।"

    await tab.run(state, "save", FORM)
    assert state.notice == "Gold बनाइयो।"  # the plan's name as the merchant wrote it


async def test_the_api_keys_and_mail_pages_in_nepali(app_db) -> None:
    admin = make_admin()
    tab, keys = await nepali_tab(admin, AdminApiKeysState, "/admin/api-keys")
    await tab.run(keys, "create", {"label": " "})
    assert keys.label_error == "कुञ्जी कसले प्रयोग गर्छ भन्ने लेबल लेख्नुहोस्, जस्तै “गोदाम सिङ्क”।"
    await tab.run(keys, "create", {"label": "Warehouse"})
    [row] = keys.rows
    assert row.last_used == "प्रयोग भएको छैन" and not LATIN.search(row.created)
    assert keys.notice.startswith("एपीआई कुञ्जी ") and "बनाइयो" in keys.notice

    tab, mail = await nepali_tab(admin, AdminMailState, "/admin/mail?status=bounced")
    assert mail.error_message.startswith("'bounced' नामको इमेल स्थिति छैन")
    assert mail.empty_text == "आउटबक्स खाली छ: अहिलेसम्म कुनै इमेल छैन।"
    assert mail.page_text == "१ मध्ये पृष्ठ १ · ० सन्देश"
