"""The admin mail outbox: one bounded page filtered by status, subjects rendered, and a retry of a failed message
that is audited in its own transaction, happens once however many admins press it, and refuses anything else.

Billing first (`billing.admin.mail` on a SQLite file, the race on PostgreSQL too), then the page's state called
as a browser would: only admins see or change anything.
"""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from khalti_portal.billing.admin import mail as admin_mail
from khalti_portal.billing.admin.mail import mail_waits, outbox_page, retry_message
from khalti_portal.clock import utcnow
from khalti_portal.config import get_settings, load_settings
from khalti_portal.db.models import MailStatus, OutboxMessage, PaymentEvent, UserProfile
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.dates import Calendar, format_moment
from khalti_portal.pages.admin_mail import admin_mail as mail_page_function
from khalti_portal.reading_preferences import set_calendar, site_calendar
from khalti_portal.states.admin_base import AdminState
from khalti_portal.states.admin_mail import AdminMailState
from khalti_portal.states.admin_mail_views import MailCountsView, MailRowView
from tests.db_fixtures import BillingWorld
from tests.state_support import (
    StateDriver,
    demoted_admin,
    make_admin,
    new_user,
    own_handlers,
    plain_user,
    redirect_target,
    signed_out,
)

CONTEXT = {
    "name": "Asha Sharma",
    "plan_name": "Basic",
    "amount": "Rs 499",
    "starts_at": "15 Jan 2026, 12:15 PM NPT",
    "ends_at": "14 Feb 2026, 12:15 PM NPT",
    "order": "KP-abc",
    "dashboard_url": "https://portal.test/dashboard",
    "ends_on": "14 Feb 2026",
}
SUBJECT = "Payment received: Basic until 14 Feb 2026 · Subscriptions"
SMTP_ERROR = "550 5.1.1 <asha@example.com>: mailbox unavailable"


def add_message(
    engine: Any,
    status: MailStatus = MailStatus.QUEUED,
    *,
    at: datetime | None = None,
    to: str = "asha@example.com",
    template: str = "payment_completed",
    context: Any = None,
    user_id: int | None = None,
    payment_id: int | None = None,
) -> OutboxMessage:
    """An outbox row as the sender leaves it in `status` (a failed one: three tries and the server's answer)."""
    at = at or utcnow()
    token = secrets.token_hex(6)
    failed, sent = status is MailStatus.FAILED, status is MailStatus.SENT
    with Session(engine, expire_on_commit=False) as session:
        message = OutboxMessage(
            key=f"payment-completed:{token}",
            template=template,
            context=CONTEXT if context is None else context,
            to_address=to,
            message_id=f"<{token}@portal.test>",
            user_id=user_id,
            payment_id=payment_id,
            status=status,
            attempts=3 if failed else (1 if sent else 0),
            next_attempt_at=at,
            last_attempt_at=at if failed or sent else None,
            last_error=SMTP_ERROR if failed else None,
            created_at=at,
            sent_at=at if sent else None,
        )
        session.add(message)
        session.commit()
        return message


def stored(engine: Any, message_id: int) -> OutboxMessage:
    with Session(engine, expire_on_commit=False) as session:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        return message


def retry_events(engine: Any) -> list[PaymentEvent]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(PaymentEvent).where(PaymentEvent.kind == "mail_retry")).all())


# -- the list ----------------------------------------------------------------------------------------------


def test_counts_per_status_and_a_filter_shows_only_its_status_newest_first(sqlite_world: BillingWorld):
    w = sqlite_world
    t0 = w.now()
    queued = [add_message(w.engine, MailStatus.QUEUED, at=t0 - timedelta(minutes=i)) for i in range(3)]
    sent = [add_message(w.engine, MailStatus.SENT, at=t0 - timedelta(minutes=10 + i)) for i in range(2)]
    failed = add_message(w.engine, MailStatus.FAILED, at=t0 - timedelta(minutes=30))

    everything = outbox_page(None, deps=w.deps)
    only_failed = outbox_page("failed", deps=w.deps)
    only_sent = outbox_page("sent", deps=w.deps)

    assert dict(everything.counts) == {"queued": 3, "sent": 2, "failed": 1} and everything.all_count == 6
    assert [r.id for r in everything.rows] == [m.id for m in [*queued, *sent, failed]]  # newest first
    assert everything.status == "" and everything.total == 6 and everything.problem == ""
    assert [r.id for r in only_sent.rows] == [m.id for m in sent] and only_sent.total == 2
    [row] = only_failed.rows
    assert (row.id, row.status, row.attempts, row.last_error) == (failed.id, MailStatus.FAILED, 3, SMTP_ERROR)
    assert (row.to_address, row.key, row.sent_at) == ("asha@example.com", failed.key, None)
    assert dict(only_failed.counts) == dict(everything.counts)  # the counts never depend on the filter


def test_an_empty_outbox_has_zero_counts_and_one_empty_page(sqlite_world: BillingWorld):
    found = outbox_page("queued", deps=sqlite_world.deps)
    assert found.rows == () and dict(found.counts) == {"queued": 0, "sent": 0, "failed": 0}
    assert (found.total, found.page, found.pages) == (0, 1, 1)


@pytest.mark.parametrize("status", [None, "", "all"])
def test_every_status_is_asked_for_in_three_ways(sqlite_world: BillingWorld, status: Any):
    add_message(sqlite_world.engine, MailStatus.SENT)
    add_message(sqlite_world.engine, MailStatus.FAILED)
    found = outbox_page(status, deps=sqlite_world.deps)
    assert (found.status, found.total, len(found.rows), found.problem) == ("", 2, 2, "")


@pytest.mark.parametrize(
    ("status", "named"),
    [("bounced", "'bounced'"), ("FAILED", "'FAILED'"), ("x" * 500, "'" + "x" * 16 + "'"), (["failed"], "'list'")],
)
def test_an_unknown_status_shows_every_message_and_says_so(sqlite_world: BillingWorld, status: Any, named: str):
    add_message(sqlite_world.engine, MailStatus.SENT)
    add_message(sqlite_world.engine, MailStatus.FAILED)
    found = outbox_page(status, deps=sqlite_world.deps)
    assert (found.status, found.total, len(found.rows)) == ("", 2, 2)
    assert found.problem == f"There is no mail status {named}; showing every message (queued, sent or failed)."


def test_pages_hold_at_most_the_limit_and_a_page_past_either_end_shows_that_end(sqlite_world: BillingWorld):
    w = sqlite_world
    ids = [add_message(w.engine, MailStatus.QUEUED, at=w.now() - timedelta(minutes=i)).id for i in range(5)]

    pages = [outbox_page("queued", n, limit=2, deps=w.deps) for n in (1, 2, 3)]

    assert [[r.id for r in p.rows] for p in pages] == [ids[0:2], ids[2:4], ids[4:5]]
    assert {(p.total, p.pages) for p in pages} == {(5, 3)}
    assert outbox_page("queued", 99, limit=2, deps=w.deps).page == 3
    for junk in ("junk", -1, 0, None, 1.5, True):
        assert outbox_page("queued", junk, limit=2, deps=w.deps).page == 1
    assert outbox_page(deps=w.deps).page_size == admin_mail.PAGE_SIZE == 50
    assert outbox_page(limit=10**6, deps=w.deps).page_size == admin_mail.MAX_PAGE_SIZE


def test_the_list_reads_the_counts_and_one_page_never_the_whole_outbox(sqlite_world: BillingWorld):
    w = sqlite_world
    for i in range(7):
        add_message(w.engine, MailStatus.SENT, at=w.now() - timedelta(minutes=i))
    statements: list[str] = []

    def seen(_conn, _cursor, statement, _params, _context, _many) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(w.engine, "before_cursor_execute", seen)
    try:
        found = outbox_page(None, 2, limit=3, deps=w.deps)
    finally:
        event.remove(w.engine, "before_cursor_execute", seen)

    assert len(found.rows) == 3
    reads = [s for s in statements if s.startswith("select") and "from outboxmessage" in s]
    assert len(reads) == 2  # the grouped counts, then the page
    [grouped] = [s for s in reads if "count(" in s]
    [page] = [s for s in reads if s is not grouped]
    assert "group by outboxmessage.status" in grouped
    assert "limit" in page and "offset" in page


def test_the_subject_is_rendered_as_the_recipient_reads_it_or_says_why_not(sqlite_world: BillingWorld):
    w = sqlite_world
    t0 = w.now()
    good = add_message(w.engine, at=t0)
    missing = add_message(w.engine, at=t0 - timedelta(minutes=1), context={**CONTEXT, "plan_name": ""})
    retired = add_message(w.engine, at=t0 - timedelta(minutes=2), template="welcome_v0")
    not_a_mapping = add_message(w.engine, at=t0 - timedelta(minutes=3), context=["Basic"])

    subjects = {row.id: row.subject for row in outbox_page(deps=w.deps).rows}

    assert subjects[good.id] == SUBJECT
    assert subjects[missing.id] == "payment_completed (cannot render: the message has no 'plan_name' to show)"
    assert subjects[retired.id] == "welcome_v0 (cannot render: no mail template named 'welcome_v0')"
    assert subjects[not_a_mapping.id].startswith("payment_completed (cannot render: ")


def test_the_subject_is_signed_with_the_site_name(sqlite_engine):
    shop = BillingWorld(sqlite_engine, SITE_NAME="Himal Fitness")
    add_message(sqlite_engine)
    [row] = outbox_page(deps=shop.deps).rows
    assert row.subject == "Payment received: Basic until 14 Feb 2026 · Himal Fitness"


@pytest.mark.parametrize(
    ("env", "waits"),
    [
        ({}, False),  # the emulator: mail goes to its own mailbox
        ({"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "k"}, True),
        (
            {"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "k", "SMTP_HOST": "smtp.shop.np", "MAIL_FROM": "a@shop.np"},
            False,
        ),
        ({"SMTP_HOST": "smtp.shop.np", "MAIL_FROM": "a@shop.np"}, False),
    ],
)
def test_mail_waits_only_without_smtp_outside_the_emulator(env: dict[str, str], waits: bool):
    assert mail_waits(load_settings(env)) is waits


# -- retry -------------------------------------------------------------------------------------------------


def failed_for_a_payment(w: BillingWorld) -> tuple[OutboxMessage, int, int]:
    """A failed confirmation of a completed payment: the message, its user and its payment."""
    user = w.user("asha_np")
    payment = w.payment(user_id=user, plan=w.plan())
    message = add_message(
        w.engine, MailStatus.FAILED, at=w.now() - timedelta(hours=2), user_id=user, payment_id=payment.id
    )
    return message, user, payment.id


def test_retry_queues_a_failed_message_afresh_and_audits_it_with_the_admin(sqlite_engine):
    w = BillingWorld(sqlite_engine, SMTP_HOST="smtp.shop.np", MAIL_FROM="Shop <billing@shop.np>")
    message, user, payment_id = failed_for_a_payment(w)
    admin = w.user("admin_np")

    outcome = retry_message(str(message.id), actor_user_id=admin, deps=w.deps)

    assert outcome.ok and outcome.message_id == message.id
    assert outcome.message == "Queued the message to asha@example.com again: it goes out with the next send."
    after = stored(w.engine, message.id)
    assert (after.status, after.attempts, after.next_attempt_at) == (MailStatus.QUEUED, 0, w.now())
    assert after.last_error == SMTP_ERROR  # shown until the next try replaces it
    [audit] = retry_events(w.engine)
    assert (audit.source, audit.kind, audit.actor_user_id) == ("admin", "mail_retry", admin)
    assert (audit.payment_id, audit.user_id, audit.created_at) == (payment_id, user, w.now())
    assert (audit.from_status, audit.to_status) == ("failed", "queued")
    for named in (f"#{message.id}", message.key, "asha@example.com", SMTP_ERROR):
        assert named in audit.detail


def test_without_smtp_the_retry_says_the_message_waits(sqlite_engine):
    w = BillingWorld(sqlite_engine)  # sandbox mode, no SMTP_HOST
    message, _user, _payment = failed_for_a_payment(w)
    outcome = retry_message(message.id, actor_user_id=w.user(), deps=w.deps)
    assert outcome.ok and "SMTP_HOST is not set, so it waits in the outbox until it is" in outcome.message


@pytest.mark.parametrize("calendar", list(Calendar))
def test_a_sent_message_says_when_in_the_acting_admins_calendar(sqlite_world: BillingWorld, calendar: Calendar):
    w = sqlite_world
    admin = w.user()
    set_calendar(admin, calendar.value, engine=w.engine)
    message = add_message(w.engine, MailStatus.SENT)
    sent_at = stored(w.engine, message.id).sent_at
    outcome = retry_message(message.id, actor_user_id=admin, deps=w.deps)
    assert outcome.message == (
        f"The message to asha@example.com was sent on {format_moment(sent_at, calendar)}; nothing was changed."
    )


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (MailStatus.QUEUED, "The message to asha@example.com is already queued (someone may have just retried it)"),
        (MailStatus.SENT, "The message to asha@example.com was sent on "),
    ],
)
def test_a_message_that_is_not_failed_is_not_retried(sqlite_world: BillingWorld, status: MailStatus, says: str):
    w = sqlite_world
    message = add_message(w.engine, status)
    before = stored(w.engine, message.id).model_dump()

    outcome = retry_message(message.id, actor_user_id=w.user(), deps=w.deps)

    assert not outcome.ok and outcome.message.startswith(says) and outcome.message.endswith("nothing was changed.")
    assert stored(w.engine, message.id).model_dump() == before
    assert retry_events(w.engine) == []


@pytest.mark.parametrize(
    ("message_id", "says"),
    [
        (987_654, "There is no message #987654 in the outbox; reload the page and try again."),
        ("abc", "There is no such message; reload the page and try again."),
        (-1, "There is no such message; reload the page and try again."),
        (0, "There is no such message; reload the page and try again."),
        (True, "There is no such message; reload the page and try again."),
        (1.0, "There is no such message; reload the page and try again."),
        (None, "There is no such message; reload the page and try again."),
        ("1 OR 1=1", "There is no such message; reload the page and try again."),
        ([1], "There is no such message; reload the page and try again."),
        (2**40, "There is no such message; reload the page and try again."),
    ],
)
def test_an_unknown_or_garbage_id_is_refused_and_nothing_is_audited(
    sqlite_world: BillingWorld, message_id: Any, says: str
):
    w = sqlite_world
    failed = add_message(w.engine, MailStatus.FAILED)
    assert failed.id == 1  # so `True`, `1.0`, `[1]` and the injection attempt would name it if they were taken

    outcome = retry_message(message_id, actor_user_id=w.user(), deps=w.deps)

    assert (outcome.ok, outcome.message) == (False, says)
    assert stored(w.engine, failed.id).status is MailStatus.FAILED
    assert retry_events(w.engine) == []


@pytest.mark.parametrize("actor", [None, "1", True])
def test_a_retry_names_a_real_admin_or_is_refused(sqlite_world: BillingWorld, actor: Any):
    failed = add_message(sqlite_world.engine, MailStatus.FAILED)
    outcome = retry_message(failed.id, actor_user_id=actor, deps=sqlite_world.deps)
    assert (outcome.ok, outcome.message) == (False, "Only a signed-in admin can retry mail.")
    assert stored(sqlite_world.engine, failed.id).status is MailStatus.FAILED


def test_the_retry_and_its_audit_row_are_one_transaction(sqlite_world: BillingWorld, monkeypatch):
    w = sqlite_world
    failed = add_message(w.engine, MailStatus.FAILED)

    def audit_fails(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the audit row could not be written")

    monkeypatch.setattr(admin_mail, "record_event", audit_fails)
    with pytest.raises(RuntimeError, match="audit row"):
        retry_message(failed.id, actor_user_id=w.user(), deps=w.deps)

    after = stored(w.engine, failed.id)
    assert (after.status, after.attempts) == (MailStatus.FAILED, 3)  # not queued without its audit row


async def test_admins_retrying_one_message_at_once_queue_it_once(world: BillingWorld):
    message, _user, _payment = failed_for_a_payment(world)
    admins = [world.user() for _ in range(6)]

    outcomes = await asyncio.gather(
        *[asyncio.to_thread(retry_message, message.id, actor_user_id=a, deps=world.deps) for a in admins]
    )

    assert sum(o.ok for o in outcomes) == 1
    assert all("already queued" in o.message for o in outcomes if not o.ok)
    assert len(retry_events(world.engine)) == 1
    assert stored(world.engine, message.id).status is MailStatus.QUEUED


def test_a_second_retry_after_the_first_is_refused(sqlite_world: BillingWorld):
    w = sqlite_world
    message, _user, _payment = failed_for_a_payment(w)
    first = retry_message(message.id, actor_user_id=w.user(), deps=w.deps)
    second = retry_message(message.id, actor_user_id=w.user(), deps=w.deps)
    assert first.ok and not second.ok and "already queued" in second.message
    assert len(retry_events(w.engine)) == 1


# -- the page's state ---------------------------------------------------------------------------------------

URL = "/admin/mail"
PUBLIC_VARS = (
    "loaded",
    "rows",
    "counts",
    "total",
    "page",
    "pages",
    "status_filter",
    "mail_waits",
    "empty_text",
    "notice",
    "error_message",
)
# Every public handler of the page's state, with arguments an attacker would send.
HANDLERS: dict[str, tuple[Any, ...]] = {
    "guard": (),
    "load": (),
    "refresh": (),
    "filter_status": ("failed",),
    "go_to_page": (2,),
    "retry": ("MESSAGE",),
}


def public_vars(state: AdminMailState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in PUBLIC_VARS}


def outbox_snapshot() -> dict[str, Any]:
    """Everything a mail handler could change."""
    with Session(get_engine()) as session:
        return {
            "outbox": [m.model_dump() for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id)).all()],
            "events": [e.model_dump() for e in session.exec(select(PaymentEvent).order_by(PaymentEvent.id)).all()],
        }


async def mail_page(user_id: int, url: str = URL) -> tuple[StateDriver, AdminMailState]:
    tab = StateDriver(user_id=user_id)
    state = tab.state(AdminMailState, url, URL)
    await tab.run(state, "load")
    return tab, state


def test_the_refusal_tests_cover_every_handler_of_the_mail_state():
    assert own_handlers(AdminState, AdminMailState) == set(HANDLERS)


@pytest.mark.parametrize("who", [signed_out, plain_user, demoted_admin], ids=["signed-out", "user", "demoted"])
@pytest.mark.parametrize("handler", sorted(HANDLERS))
async def test_non_admins_are_refused_by_every_handler_and_nothing_changes(app_db, who, handler: str):
    failed = add_message(app_db, MailStatus.FAILED, user_id=new_user())
    tab = StateDriver(user_id=who())
    state = tab.state(AdminMailState, URL)
    # As if an admin had had the page open in this tab.
    state.rows, state.loaded = [MailRowView(id=failed.id, to_address="asha@example.com", failed=True)], True
    state.notice = "Queued the message to asha@example.com again"
    args = tuple(failed.id if a == "MESSAGE" else a for a in HANDLERS[handler])
    before = outbox_snapshot()

    events = await tab.run(state, handler, *args)

    assert [redirect_target(e) for e in events] == ["/"]
    assert outbox_snapshot() == before
    assert stored(app_db, failed.id).status is MailStatus.FAILED
    assert public_vars(state) == public_vars(StateDriver().state(AdminMailState, URL))  # emptied, not kept


async def test_the_role_is_read_again_before_a_retry(app_db):
    admin = make_admin()
    failed = add_message(app_db, MailStatus.FAILED)
    tab, state = await mail_page(admin)
    assert [r.id for r in state.rows] == [failed.id]
    with Session(app_db) as session:
        session.get(UserProfile, admin).is_admin = False
        session.commit()
    before = outbox_snapshot()

    events = await tab.run(state, "retry", failed.id)

    assert [redirect_target(e) for e in events] == ["/"]
    assert outbox_snapshot() == before and state.rows == []


async def test_admin_sees_the_outbox_with_counts_and_a_retry_only_on_failed_rows(app_db):
    t0 = utcnow()
    sent = add_message(app_db, MailStatus.SENT, at=t0 - timedelta(minutes=3))
    failed = add_message(app_db, MailStatus.FAILED, at=t0 - timedelta(minutes=2), to="bikash@example.com")
    queued = add_message(app_db, MailStatus.QUEUED, at=t0 - timedelta(minutes=1))

    _tab, state = await mail_page(make_admin())

    assert state.loaded and state.status_filter == "all" and state.error_message == ""
    assert [r.id for r in state.rows] == [queued.id, failed.id, sent.id]
    assert state.counts == MailCountsView(all=3, queued=1, sent=1, failed=1)
    by_id = {r.id: r for r in state.rows}
    assert [r.failed for r in state.rows] == [False, True, False]
    f = by_id[failed.id]
    assert (f.status, f.tries, f.last_error, f.to_address, f.sent) == (
        "failed",
        3,
        SMTP_ERROR,
        "bikash@example.com",
        "",
    )
    # Dates in the admin's calendar: the site's default here, as the admin chose none.
    calendar = site_calendar()
    assert f.queued == format_moment(stored(app_db, failed.id).created_at, calendar) and f.subject == SUBJECT
    assert by_id[sent.id].sent == format_moment(stored(app_db, sent.id).sent_at, calendar)
    assert by_id[sent.id].next_try == ""
    assert by_id[queued.id].next_try == format_moment(stored(app_db, queued.id).next_attempt_at, calendar)
    assert state.mail_waits is False  # the test app runs in emulator mode: the emulator's mailbox takes mail


async def test_the_page_warns_when_mail_cannot_go_out(app_db, monkeypatch):
    monkeypatch.setenv("KHALTI_ENV", "sandbox")
    monkeypatch.setenv("KHALTI_SECRET_KEY", "test_secret_key_for_the_mail_page")
    get_settings.cache_clear()
    _tab, state = await mail_page(make_admin())
    assert state.mail_waits is True and state.empty_text == "The outbox is empty: no mail yet."


async def test_the_status_in_the_url_or_the_select_filters_the_list(app_db):
    add_message(app_db, MailStatus.SENT)
    failed = add_message(app_db, MailStatus.FAILED)
    admin = make_admin()

    tab, state = await mail_page(admin, f"{URL}?status=failed")
    assert state.status_filter == "failed" and [r.id for r in state.rows] == [failed.id] and state.total == 1

    await tab.run(state, "filter_status", "queued")
    assert state.status_filter == "queued" and state.rows == [] and state.empty_text == "No queued messages."

    await tab.run(state, "filter_status", "bounced")
    assert state.status_filter == "all" and state.total == 2 and "no mail status 'bounced'" in state.error_message

    await tab.run(state, "filter_status", "all")
    assert state.error_message == "" and state.total == 2

    _tab, odd = await mail_page(admin, f"{URL}?status=%3Cscript%3E")
    assert odd.status_filter == "all" and odd.total == 2 and odd.error_message.startswith("There is no mail status")


async def test_pages_of_the_outbox(app_db):
    t0 = utcnow()
    for i in range(55):
        add_message(app_db, MailStatus.SENT, at=t0 - timedelta(minutes=i))
    tab, state = await mail_page(make_admin())
    assert (state.total, state.pages, len(state.rows)) == (55, 2, 50)
    await tab.run(state, "go_to_page", 2)
    assert (state.page, len(state.rows)) == (2, 5)
    await tab.run(state, "go_to_page", "junk")
    assert state.page == 1


async def test_an_admin_retries_a_failed_message_once(app_db):
    admin = make_admin()
    failed = add_message(app_db, MailStatus.FAILED, user_id=new_user())
    tab, state = await mail_page(admin, f"{URL}?status=failed")

    await tab.run(state, "retry", failed.id)

    assert state.notice.startswith("Queued the message to asha@example.com again") and state.error_message == ""
    assert state.rows == [] and state.counts.queued == 1 and state.counts.failed == 0  # the filter stays on failed
    [audit] = retry_events(app_db)
    assert audit.actor_user_id == admin

    await tab.run(state, "retry", failed.id)  # a second press, or a forged one

    assert state.notice == "" and "already queued" in state.error_message
    assert len(retry_events(app_db)) == 1


@pytest.mark.parametrize("message_id", ["abc", -5, None, {"id": 1}, 987_654])
async def test_a_retry_of_garbage_is_refused_in_words(app_db, message_id: Any):
    add_message(app_db, MailStatus.FAILED)
    tab, state = await mail_page(make_admin())
    before = outbox_snapshot()

    await tab.run(state, "retry", message_id)

    assert state.error_message.startswith("There is no") and "reload the page" in state.error_message
    assert outbox_snapshot() == before


# -- what the page is built from --------------------------------------------------------------------------


def test_the_compiled_page_carries_the_hooks_outside_tests_rely_on():
    jsx = str(mail_page_function())  # what the page compiles to (the layout, the nav and every section)

    for hook in (
        'id:"mail-status-filter"',
        'id:"admin-nav-mail"',
        'className:"retry-mail"',
        '("Retry the message to "+row_rx_state_?.["to_address"])',  # the aria-label, in English
        '"data-mail-status":',
        '"data-message-id":',
        "SMTP_HOST is not set: mail waits in the outbox",
        'id:"admin-mail-empty"',
        "Queued at",
        "Last error",
    ):
        assert hook in jsx, hook
    # The warning is decided on the server (a state var), never baked into the bundle at build time.
    assert "mail_waits" in jsx
