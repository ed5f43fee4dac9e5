"""The outbox: a completed payment queues one confirmation, in the same transaction, however many verifiers race."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlmodel import Session, update

from khalti_portal import reading_preferences
from khalti_portal.billing.admin.access import grant_flagged
from khalti_portal.billing.verification import verify_payment
from khalti_portal.db.models import MailStatus, OutboxMessage, PaymentStatus, UserProfile
from khalti_portal.i18n.dates import LAST_SUPPORTED_AD, Calendar, bs_date, bs_month_name, format_day, format_moment
from khalti_portal.mail.outbox import looks_like_address, queue_message, requeue_failed
from khalti_portal.mail.templates import TemplateError, render

pytest_plugins = ["tests.db_fixtures"]

RACERS = 20


def subscriber(world, email: str = "asha@example.com", name: str = "Asha", *, confirmed: bool = True) -> int:
    """A user whose profile has `email`, confirmed (as if they opened the link) unless told otherwise."""
    user_id = world.user()
    with Session(world.engine) as session:
        session.add(
            UserProfile(
                user_id=user_id,
                display_name=name,
                email=email,
                email_verified_at=world.now() if confirmed else None,
            )
        )
        session.commit()
    return user_id


def confirmations(world) -> list[OutboxMessage]:
    return world.rows(OutboxMessage, OutboxMessage.template == "payment_completed")


def completed(world, amount: int, delay: float = 0.0):
    async def lookup(request):
        await asyncio.sleep(delay)  # keeps racers' lookups in flight at once, so they all see `pending`
        pidx = json.loads(request.content)["pidx"]
        return httpx.Response(200, json=world.lookup_body(pidx, "Completed", amount))

    return lookup


def queue(session: Session, key: str, now, to: str = "a@example.com") -> bool:
    return queue_message(
        session,
        key=key,
        template="payment_completed",
        to_address=to,
        context={},
        mail_from="Shop <billing@shop.example>",
        now=now,
    )


async def test_a_completed_payment_queues_its_confirmation_with_the_plan_period_and_link(world, khalti):
    user_id = subscriber(world)
    plan = world.plan("standard", price_paisa=129_950, duration_days=30)
    payment = world.payment(user_id=user_id, plan=plan)
    khalti.routes["lookup"].mock(side_effect=completed(world, 129_950))

    outcome = await verify_payment(payment.pidx, source="return", deps=world.deps)

    assert outcome.changed
    [message] = world.rows(OutboxMessage)
    assert message.key == f"payment-completed:{payment.id}"
    assert (message.to_address, message.user_id, message.payment_id) == ("asha@example.com", user_id, payment.id)
    assert message.status is MailStatus.QUEUED and message.attempts == 0
    assert message.next_attempt_at == world.now()
    sender_domain = world.settings.mail.mail_from.rpartition("@")[2].rstrip(">")
    assert message.message_id.startswith("<") and message.message_id.endswith(f"@{sender_domain}>")
    rendered = render(message.template, message.context, site_name="Asha's Gym")
    assert "Standard" in rendered.subject and "Asha's Gym" in rendered.subject
    assert "Rs 1,299.50" in rendered.text
    assert f"{world.app_url}/dashboard" in rendered.text
    assert f'href="{world.app_url}/dashboard"' in rendered.html
    starts, ends = world.now(), world.now() + timedelta(days=30)
    calendar = world.settings.default_calendar  # Asha chose no calendar: the site's (both, by default)
    assert message.context["starts_at"] == format_moment(starts, calendar)
    assert message.context["ends_at"] == format_moment(ends, calendar)
    assert rendered.subject == f"Payment received: Standard until {format_day(ends, calendar)} · Asha's Gym"
    assert (
        f"Your access runs from {format_moment(starts, calendar)} to {format_moment(ends, calendar)}." in rendered.text
    )
    assert world.settings.khalti_secret_key not in str(message.context)


async def test_each_subscriber_reads_the_confirmation_in_the_calendar_they_chose(world, khalti):
    in_bs = subscriber(world, "bs@example.com", "Bishnu")
    in_ad = subscriber(world, "ad@example.com", "Alina")
    assert reading_preferences.set_calendar(in_bs, "bs", engine=world.engine) is None
    assert reading_preferences.set_calendar(in_ad, "ad", engine=world.engine) is None
    plan = world.plan("standard", price_paisa=129_950, duration_days=30)
    khalti.routes["lookup"].mock(side_effect=completed(world, 129_950))
    for user_id in (in_bs, in_ad):
        payment = world.payment(user_id=user_id, plan=plan)
        assert (await verify_payment(payment.pidx, source="return", deps=world.deps)).changed

    by_user = {m.user_id: m for m in confirmations(world)}
    starts, ends = world.now(), world.now() + timedelta(days=30)
    for user_id, calendar in ((in_bs, Calendar.BS), (in_ad, Calendar.AD)):
        context = by_user[user_id].context
        assert (context["starts_at"], context["ends_at"], context["ends_on"], context["calendar"]) == (
            format_moment(starts, calendar),
            format_moment(ends, calendar),
            format_day(ends, calendar),
            calendar.value,
        )
        rendered = render("payment_completed", context, site_name="Shop")
        assert rendered.subject == f"Payment received: Standard until {format_day(ends, calendar)} · Shop"
    # Not the same words twice: the BS reader's dates name the BS month and no AD one, the AD reader's the reverse.
    bs_month, ad_month = bs_month_name(bs_date(ends).month), f"{ends:%b}"
    assert bs_month in by_user[in_bs].context["ends_on"] and ad_month not in by_user[in_bs].context["ends_on"]
    assert ad_month in by_user[in_ad].context["ends_on"] and bs_month not in by_user[in_ad].context["ends_on"]


async def test_an_end_beyond_the_bs_years_is_written_in_ad_and_the_payment_still_completes(world, khalti):
    # Bought a week before the last BS day the portal converts: the start is in BS, the end (past it) in AD,
    # rather than a date that may be wrong or a payment that cannot complete.
    user_id = subscriber(world)
    assert reading_preferences.set_calendar(user_id, "bs", engine=world.engine) is None
    world.clock.set(datetime.combine(LAST_SUPPORTED_AD, datetime.min.time(), tzinfo=UTC) - timedelta(days=7))
    plan = world.plan("standard", duration_days=30)
    payment = world.payment(user_id=user_id, plan=plan)
    khalti.routes["lookup"].mock(side_effect=completed(world, plan.price_paisa))

    outcome = await verify_payment(payment.pidx, source="return", deps=world.deps)

    assert outcome.changed and outcome.status == "completed"
    [message] = confirmations(world)
    starts, ends = world.now(), world.now() + timedelta(days=30)
    assert message.context["starts_at"] == format_moment(starts, Calendar.BS)
    assert (message.context["ends_at"], message.context["ends_on"]) == (
        format_moment(ends, Calendar.AD),
        format_day(ends, Calendar.AD),
    )


@pytest.mark.parametrize("confirmed", [False, None], ids=["unconfirmed address", "no address"])
async def test_no_confirmation_without_a_confirmed_address_and_access_all_the_same(world, khalti, confirmed):
    user_id = world.user() if confirmed is None else subscriber(world, confirmed=False)
    plan = world.plan()
    payment = world.payment(user_id=user_id, plan=plan)
    khalti.routes["lookup"].mock(side_effect=completed(world, plan.price_paisa))

    outcome = await verify_payment(payment.pidx, source="return", deps=world.deps)

    assert outcome.changed and outcome.status == "completed"
    assert world.rows(OutboxMessage) == []


async def test_a_lookup_that_changes_nothing_queues_nothing_more(world, khalti):
    user_id = subscriber(world)
    plan = world.plan()
    payment = world.payment(user_id=user_id, plan=plan)
    khalti.routes["lookup"].mock(side_effect=completed(world, plan.price_paisa))
    await verify_payment(payment.pidx, source="return", deps=world.deps)
    await verify_payment(payment.pidx, source="admin", deps=world.deps)  # completed → asks about refunds
    assert len(world.rows(OutboxMessage)) == 1


@pytest.mark.postgres
def test_twenty_racing_verifiers_queue_one_confirmation_on_postgresql(pg_engine, make_world, khalti):
    world = make_world(pg_engine)
    user_id = subscriber(world)
    plan = world.plan()
    payment = world.payment(user_id=user_id, plan=plan)
    khalti.routes["lookup"].mock(side_effect=completed(world, plan.price_paisa, delay=0.05))
    start = threading.Barrier(RACERS)

    def racer(_: int):
        start.wait()
        return asyncio.run(verify_payment(payment.pidx, source="reconciler", deps=world.deps))

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(racer, range(RACERS)))

    assert sum(o.changed for o in outcomes) == 1
    assert khalti.routes["lookup"].call_count == RACERS
    messages = world.rows(OutboxMessage)
    assert [m.key for m in messages] == [f"payment-completed:{payment.id}"]


def test_an_admin_accepting_a_flagged_payment_queues_the_confirmation(world):
    user_id = subscriber(world)
    admin_id = world.user("boss")
    payment = world.payment(user_id=user_id, plan=world.plan(), status=PaymentStatus.FLAGGED)

    outcome = grant_flagged(payment.id, actor_user_id=admin_id, reason="customer showed the receipt", deps=world.deps)

    assert outcome.ok
    [message] = world.rows(OutboxMessage)
    assert message.key == f"payment-completed:{payment.id}" and message.to_address == "asha@example.com"


def test_a_key_is_queued_once_and_only_with_the_transaction_that_queued_it(world):
    now = world.now()
    with Session(world.engine) as session:
        assert queue(session, "k:1", now) is True
        assert queue(session, "k:1", now) is False
        session.commit()
    with Session(world.engine) as session:
        assert queue(session, "k:1", now) is False
        assert queue(session, "k:2", now) is True
        session.rollback()  # the change that caused it did not happen, so neither does the message
    assert [m.key for m in world.rows(OutboxMessage)] == ["k:1"]


@pytest.mark.postgres
def test_twenty_transactions_queuing_one_key_at_once_leave_one_row(pg_engine, make_world):
    world = make_world(pg_engine)
    start = threading.Barrier(RACERS)

    def racer(_: int) -> bool:
        with Session(world.engine) as session:
            start.wait()
            added = queue(session, "race:1", world.now())
            session.commit()
            return added

    with ThreadPoolExecutor(RACERS) as pool:
        added = list(pool.map(racer, range(RACERS)))
    assert added.count(True) == 1
    assert len(world.rows(OutboxMessage)) == 1


@pytest.mark.parametrize(
    ("address", "ok"),
    [
        ("a@example.com", True),
        ("a@example.com\r\nBcc: everyone@example.com", False),
        ("Asha <a@example.com>", False),
        ("a@b.c, d@e.f", False),
        ("no-at-sign", False),
        ("@example.com", False),
        ("x" * 250 + "@e.com", False),
    ],
)
def test_only_a_bare_address_can_be_a_recipient(address: str, ok: bool) -> None:
    assert looks_like_address(address) is ok


def test_queuing_refuses_a_header_injection_and_an_unknown_template(world):
    with Session(world.engine) as session:
        with pytest.raises(ValueError, match="not an email address"):
            queue(session, "k", world.now(), to="a@example.com\nBcc: x@y.z")
        with pytest.raises(ValueError, match="no mail template"):
            queue_message(
                session, key="k", template="nope", to_address="a@b.c", context={}, mail_from="a@b.c", now=world.now()
            )


def test_a_context_missing_a_value_cannot_be_rendered() -> None:
    with pytest.raises(TemplateError, match="plan_name"):
        render("payment_completed", {"name": "Asha"}, site_name="Shop")


def test_every_value_is_escaped_in_the_html_part() -> None:
    context = {
        "name": "<script>alert(1)</script>",
        "plan_name": "Gold & <b>Silver</b>",
        "amount": "Rs 10",
        "starts_at": "1 Jan 2027, 5:45 AM NPT",
        "ends_at": "31 Jan 2027, 5:45 AM NPT",
        "ends_on": "31 Jan 2027",
        "order": "KP-1",
        "dashboard_url": 'http://localhost:3000/dashboard"><script>',
    }
    rendered = render("payment_completed", context, site_name="<i>Shop</i>")
    assert "<script>" not in rendered.html and "<b>Silver</b>" not in rendered.html and "<i>Shop" not in rendered.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered.html
    assert "<script>alert(1)</script>" in rendered.text  # plain text is plain: nothing to escape


def test_retry_puts_a_failed_message_back_once(world):
    now = world.now()
    with Session(world.engine) as session:
        queue(session, "k:1", now)
        session.commit()
    [message] = world.rows(OutboxMessage)
    with Session(world.engine) as session:
        assert requeue_failed(session, message.id, now=now) is False  # queued, not failed
        session.exec(update(OutboxMessage).values(status=MailStatus.FAILED, attempts=6, last_error="550"))
        session.commit()
    later = now + timedelta(hours=1)
    with Session(world.engine) as session:
        assert requeue_failed(session, message.id, now=later) is True
        assert requeue_failed(session, message.id, now=later) is False
        session.commit()
    again = world.get(OutboxMessage, message.id)
    assert (again.status, again.attempts, again.next_attempt_at, again.last_error) == (
        MailStatus.QUEUED,
        0,
        later,
        "550",
    )
