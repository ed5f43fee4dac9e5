"""Mail in the recipient's language: each template in Nepali, English as it was, and the language read at queue time."""

from __future__ import annotations

import email
import email.policy
import html
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from khalti_portal import account_email, reading_preferences
from khalti_portal.billing.reminders import queue_due_reminders
from khalti_portal.billing.verification import verify_payment
from khalti_portal.db.models import OutboxMessage
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.dates import BS_MONTHS_NE, Calendar, format_day, format_moment
from khalti_portal.i18n.numbers import format_rupees
from khalti_portal.mail.outbox import queue_message
from khalti_portal.mail.templates import render
from tests.smtp_support import TestSmtpServer, deliver_to
from tests.test_account_recovery import ask_reset, confirm, outbox, sign_up
from tests.test_mail_outbox import completed
from tests.test_mail_outbox import subscriber as payer
from tests.test_reminders import period
from tests.test_reminders import subscriber as reminded

pytest_plugins = ["tests.db_fixtures"]

NE, EN = Language.NE, Language.EN
SITE = "Himal Fitness"
STARTS = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)
ENDS = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 11 Mangsir 2083
LATIN = re.compile(r"[A-Za-z]")
DEVANAGARI_DIGIT = re.compile(r"[०-९]")
NE_MONTH = re.compile("|".join(BS_MONTHS_NE))
STAGES = ("d7", "d3", "d1", "ended", "grace_ended")


def latin_left(text: str, *names: str) -> str:
    """The Latin letters a reader still sees once names, links and addresses are taken out (HTML: its text)."""
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    for name in sorted(names, key=len, reverse=True):  # a link before the site it is on
        text = text.replace(name, " ")
    return "".join(LATIN.findall(text))


def payment_context(language: Language, calendar: Calendar = Calendar.BOTH) -> dict[str, Any]:
    """What notices.queue_payment_received stores, written in `language`."""
    return {
        "name": "Asha",
        "plan_name": "Standard",
        "amount": format_rupees(129_950, language),
        "starts_at": format_moment(STARTS, calendar, language),
        "ends_at": format_moment(ENDS, calendar, language),
        "ends_on": format_day(ENDS, calendar, language),
        "calendar": calendar.value,
        "order": "KP-20261028-abc",
        "dashboard_url": "http://localhost:3000/dashboard",
        "language": language.value,
    }


def reminder_context(language: Language, stage: str) -> dict[str, Any]:
    """What reminders._queue stores for `stage`, written in `language`."""
    return {
        "name": "Asha",
        "plan_name": "Standard",
        "stage": stage,
        "ends_at": format_moment(ENDS, Calendar.BOTH, language),
        "grace_until": format_moment(ENDS + timedelta(days=3), Calendar.BOTH, language),
        "renew_url": "http://localhost:3000/checkout/standard",
        "unsubscribe_url": "http://localhost:3000/unsubscribe?token=abc",
        "one_click_url": "http://localhost:3000/api/unsubscribe?token=abc",
        "language": language.value,
    }


NEPALI = {
    "payment_completed": payment_context(NE),
    "verify_email": {
        "name": "Asha",
        "email": "asha@example.com",
        "link": "http://localhost:3000/verify-email?token=abc",
        "language": "ne",
    },
    "password_reset": {
        "name": "Asha",
        "link": "http://localhost:3000/reset-password?token=abc",
        "valid_for": "३० मिनेट",
        "language": "ne",
    },
    **{
        f"renewal_reminder:{stage}": reminder_context(NE, stage) for stage in ("d7", "d3", "d1", "ended", "grace_ended")
    },
}
# What a reader may see in Latin letters: names, codes, links and addresses.
NAMES = (
    SITE,
    "Asha",
    "Standard",
    "KP-20261028-abc",
    "asha@example.com",
    "http://localhost:3000/dashboard",
    "http://localhost:3000/verify-email?token=abc",
    "http://localhost:3000/reset-password?token=abc",
    "http://localhost:3000/checkout/standard",
    "http://localhost:3000/unsubscribe?token=abc",
)


@pytest.mark.parametrize("case", list(NEPALI))
def test_every_template_reads_in_nepali_but_for_names_codes_and_links(case: str) -> None:
    rendered = render(case.partition(":")[0], NEPALI[case], site_name=SITE)

    for part in (rendered.subject, rendered.text, rendered.html):
        assert latin_left(part, *NAMES) == "", part
    assert '<html lang="ne">' in rendered.html
    assert rendered.subject.endswith(f" · {SITE}") and f"— {SITE}" in rendered.text  # the site's name stays
    assert rendered.text.startswith("नमस्ते Asha,")


def test_amounts_and_dates_in_a_nepali_mail_are_in_devanagari_digits_and_nepali_months() -> None:
    paid = render("payment_completed", NEPALI["payment_completed"], site_name=SITE)
    assert "रु १,२९९.५०" in paid.text and "<strong>रु १,२९९.५०</strong>" in paid.html
    assert NE_MONTH.search(paid.subject) and "११ मंसिर २०८३" in paid.subject
    assert "११ मंसिर २०८३ (२७ नोभेम्बर २०२६)" in paid.text
    soon = render("renewal_reminder", NEPALI["renewal_reminder:d7"], site_name=SITE)
    assert soon.subject == f"तपाईंको Standard सदस्यताको म्याद ७ दिनमा सकिँदै छ · {SITE}"
    assert "११ मंसिर २०८३" in soon.text and DEVANAGARI_DIGIT.search(soon.text)
    grace = render("renewal_reminder", NEPALI["renewal_reminder:ended"], site_name=SITE)
    assert "१४ मंसिर २०८३" in grace.text  # the end of the grace days, three days on
    # The unsubscribe wording is Nepali too; its link is the same.
    assert 'href="http://localhost:3000/unsubscribe?token=abc">सम्झना पठाउन बन्द गर्नुहोस्</a>' in soon.html


def test_an_english_account_reads_exactly_the_english_it_always_did() -> None:
    context = payment_context(EN, Calendar.AD)
    rendered = render("payment_completed", context, site_name=SITE)
    assert rendered.subject == f"Payment received: Standard until 27 Nov 2026 · {SITE}"
    assert rendered.text == (
        "Namaste Asha,\n\n"
        "Thank you: your payment of Rs 1,299.50 for Standard has gone through.\n\n"
        "Your access runs from 28 Oct 2026, 5:45 PM NPT to 27 Nov 2026, 5:45 PM NPT.\n\n"
        "Order reference: KP-20261028-abc\n\n"
        "See your subscription: http://localhost:3000/dashboard\n\n"
        f"— {SITE}\n\n"
        f"You get this message because of your account at {SITE}.\n"
    )
    assert '<html lang="en">' in rendered.html
    assert "<p>Thank you: your payment of <strong>Rs 1,299.50</strong> for <strong>Standard</strong> has gone" in (
        rendered.html
    )
    reminder = render("renewal_reminder", reminder_context(EN, "d1"), site_name=SITE)
    assert reminder.subject == f"Your Standard access ends in 1 day · {SITE}"
    assert "Unsubscribe from reminders: http://localhost:3000/unsubscribe?token=abc" in reminder.text
    verify = render("verify_email", {**NEPALI["verify_email"], "language": "en"}, site_name=SITE)
    assert "<p>Please confirm that <strong>asha@example.com</strong> is your email address. Until you do" in verify.html


@pytest.mark.parametrize("case", list(NEPALI))
def test_a_message_queued_before_languages_were_stored_renders_in_english(case: str) -> None:
    template = case.partition(":")[0]
    english = {**NEPALI[case], "language": "en"}
    older = {name: value for name, value in english.items() if name != "language"}
    assert render(template, older, site_name=SITE) == render(template, english, site_name=SITE)
    assert render(template, older, site_name=SITE).html.startswith('<!doctype html><html lang="en">')
    # An unknown code (hand-edited, or a language since removed) is English too, not a failure.
    assert render(template, {**older, "language": "xx"}, site_name=SITE) == render(template, older, site_name=SITE)


def test_a_nepali_reader_and_an_english_one_get_their_own_reminder_from_the_job(world):
    nepali, english = reminded(world, name="sita"), reminded(world, name="alina")
    assert reading_preferences.set_language(nepali, "ne", engine=world.engine) is None
    assert reading_preferences.set_calendar(nepali, "bs", engine=world.engine) is None
    start = world.now()
    for user_id in (nepali, english):
        period(world, user_id, world.plan(f"plan{user_id}"), starts=start, days=30)
    end = start + timedelta(days=30)
    world.clock.set(end - timedelta(days=7))

    assert queue_due_reminders(deps=world.deps) == 2

    by_user = {m.user_id: m for m in world.rows(OutboxMessage, OutboxMessage.template == "renewal_reminder")}
    context = by_user[nepali].context
    assert context["language"] == "ne" and context["ends_at"] == format_moment(end, Calendar.BS, NE)
    assert context["grace_until"] == format_moment(end + timedelta(days=3), Calendar.BS, NE)
    rendered = render("renewal_reminder", context, site_name=SITE)
    plan = f"Plan{nepali}"
    assert rendered.subject == f"तपाईंको {plan} सदस्यताको म्याद ७ दिनमा सकिँदै छ · {SITE}"
    assert format_moment(end, Calendar.BS, NE) in rendered.text and NE_MONTH.search(rendered.text)
    links = (context["renew_url"], context["unsubscribe_url"])
    assert latin_left(rendered.text, *links, plan, "sita", SITE) == ""
    assert latin_left(rendered.html, *links, plan, "sita", SITE) == ""
    other = by_user[english].context
    assert other["language"] == "en"
    assert render("renewal_reminder", other, site_name=SITE).subject == (
        f"Your Plan{english} access ends in 7 days · {SITE}"
    )


async def test_a_nepali_reader_gets_a_nepali_confirmation_after_a_verified_payment(world, khalti):
    user_id = payer(world, "sita@example.com", "Sita")
    assert reading_preferences.set_language(user_id, "ne", engine=world.engine) is None
    plan = world.plan("standard", price_paisa=129_950, duration_days=30)
    payment = world.payment(user_id=user_id, plan=plan)
    khalti.routes["lookup"].mock(side_effect=completed(world, 129_950))

    assert (await verify_payment(payment.pidx, source="return", deps=world.deps)).changed

    [message] = world.rows(OutboxMessage, OutboxMessage.template == "payment_completed")
    calendar, ends = world.settings.default_calendar, world.now() + timedelta(days=30)
    assert message.context["language"] == "ne" and message.context["amount"] == "रु १,२९९.५०"
    assert message.context["ends_on"] == format_day(ends, calendar, NE)
    rendered = render(message.template, message.context, site_name=SITE)
    assert "रु १,२९९.५०" in rendered.text and NE_MONTH.search(rendered.subject)
    names = ("Sita", "Standard", payment.purchase_order_id, message.context["dashboard_url"], SITE)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert latin_left(part, *names) == "", part


def test_the_confirmation_link_and_the_reset_link_are_mailed_in_the_accounts_language(sqlite_engine):
    engine = sqlite_engine
    user_id = sign_up(engine, "sita", "sita@example.com")
    [first] = outbox(engine, "verify_email")
    assert first.context["language"] == "en"  # no language chosen yet: English
    assert reading_preferences.set_language(user_id, "ne", engine=engine) is None

    account_email.resend_verification(user_id, engine=engine)
    confirm(engine, user_id)
    ask_reset(engine, "sita@example.com")

    [*_, verify] = outbox(engine, "verify_email")
    [reset] = outbox(engine, "password_reset")
    assert verify.context["language"] == reset.context["language"] == "ne"
    assert reset.context["valid_for"] == "३० मिनेट"
    for message in (verify, reset):
        rendered = render(message.template, message.context, site_name=SITE)
        names = ("sita", "sita@example.com", message.context["link"], SITE)
        for part in (rendered.subject, rendered.text, rendered.html):
            assert latin_left(part, *names) == "", part
    assert render(reset.template, reset.context, site_name=SITE).subject == f"पासवर्ड रिसेट गर्नुहोस् · {SITE}"


class RawSmtpServer(TestSmtpServer):
    """The test server, also keeping each message's bytes as they came over the wire."""

    __test__ = False

    def __init__(self) -> None:
        super().__init__()
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        """Keep the bytes, then answer as the test server does."""
        self.raw.append(envelope.content)
        return await super().handle_DATA(server, session, envelope)


async def test_a_delivered_nepali_mail_has_an_encoded_subject_and_a_utf8_body(sqlite_world):
    world = sqlite_world
    context = payment_context(NE)
    with Session(world.engine) as session:
        queue_message(
            session,
            key="ne:1",
            template="payment_completed",
            to_address="asha@example.com",
            context=context,
            mail_from=world.settings.mail.mail_from,
            now=world.now(),
        )
        session.commit()
    server = RawSmtpServer()
    report = await deliver_to(server, world.engine, world.settings)

    assert report.sent == 1
    [raw] = server.raw
    headers = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")  # every header is 7-bit: non-ASCII only as RFC 2047
    subject_line = re.search(r"^Subject: (.*(?:\r\n[ \t].*)*)", headers, re.MULTILINE)
    assert subject_line and "=?utf-8?" in subject_line.group(1).lower()
    expected = render("payment_completed", context, site_name=world.settings.site_name)
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == expected.subject
    plain, rich = message.get_body(("plain",)), message.get_body(("html",))
    assert plain.get_content_charset() == rich.get_content_charset() == "utf-8"
    assert plain.get_content() == expected.text and "रु १,२९९.५०" in plain.get_content()
    assert "<strong>रु १,२९९.५०</strong>" in rich.get_content()
