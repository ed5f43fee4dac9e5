"""Renewal reminders over a frozen clock: each stage once, none after renewing or unsubscribing, none late."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from khalti_portal import mail_preferences, reading_preferences
from khalti_portal.api import build_api
from khalti_portal.billing.reconcile import reconcile_once
from khalti_portal.billing.reminders import LAST_WINDOW, banner_for, queue_due_reminders, stages_for
from khalti_portal.db.models import AccountToken, OutboxMessage, SubscriptionPeriod, UserProfile
from khalti_portal.i18n.dates import Calendar, bs_date, bs_month_name, format_moment
from khalti_portal.mail.compose import compose
from khalti_portal.mail.templates import render

pytest_plugins = ["tests.db_fixtures"]

STAGES = ["d7", "d3", "d1", "ended", "grace_ended"]


def subscriber(world, *, confirmed: bool = True, name: str | None = None) -> int:
    user_id = world.user(name)
    with Session(world.engine) as session:
        session.add(
            UserProfile(
                user_id=user_id,
                email=f"{name or user_id}@example.com",
                email_verified_at=world.now() if confirmed else None,
            )
        )
        session.commit()
    return user_id


def period(world, user_id: int, plan, *, starts: datetime, days: int, bought: datetime | None = None) -> int:
    with Session(world.engine) as session:
        row = SubscriptionPeriod(
            user_id=user_id,
            plan_id=plan.id,
            starts_at=starts,
            ends_at=starts + timedelta(days=days),
            created_at=bought or starts,
        )
        session.add(row)
        session.commit()
        assert row.id is not None
        return row.id


def reminders(world) -> list[tuple[str, str]]:
    """(period id:stage, recipient) of every queued reminder, in the order they were queued."""
    rows = world.rows(OutboxMessage, OutboxMessage.template == "renewal_reminder")
    return [(m.key.removeprefix("reminder:"), m.to_address) for m in rows]


def stage_names(world) -> list[str]:
    return [key.split(":")[1] for key, _ in reminders(world)]


def walk(world, until: datetime, step: timedelta = timedelta(hours=1)) -> dict[str, datetime]:
    """Run the job every `step` until `until`; when each stage was first queued."""
    first_seen: dict[str, datetime] = {}
    while world.now() <= until:
        queue_due_reminders(deps=world.deps)
        for name in stage_names(world):
            first_seen.setdefault(name, world.now())
        world.clock.advance(step)
    return first_seen


def test_each_stage_is_queued_once_when_it_comes_due(world):
    user_id = subscriber(world, name="asha")
    plan = world.plan("standard")
    start = world.now()
    period_id = period(world, user_id, plan, starts=start, days=30)
    end = start + timedelta(days=30)

    seen = walk(world, end + timedelta(days=5))

    assert stage_names(world) == STAGES  # each once, in order
    due = {s.name: s.due for s in stages_for(end, (7, 3, 1), grace_days=3)}
    for name in STAGES:
        assert due[name] <= seen[name] < due[name] + timedelta(hours=1)
    assert {key for key, _ in reminders(world)} == {f"{period_id}:{name}" for name in STAGES}
    assert {to for _, to in reminders(world)} == {"asha@example.com"}


def test_a_renewed_subscriber_gets_no_reminder_for_the_period_that_no_longer_ends_their_access(world):
    user_id = subscriber(world)
    plan = world.plan()
    start = world.now()
    first = period(world, user_id, plan, starts=start, days=30)
    end = start + timedelta(days=30)
    walk(world, end - timedelta(days=5))  # the 7-day reminder went out
    assert stage_names(world) == ["d7"]

    second = period(world, user_id, plan, starts=end, days=30, bought=world.now())  # renewed early, stacked
    walk(world, end + timedelta(days=10))

    assert [key for key, _ in reminders(world)] == [f"{first}:d7"]
    walk(world, end + timedelta(days=30) + timedelta(days=5), step=timedelta(hours=6))
    assert [key for key, _ in reminders(world)][1:] == [f"{second}:{name}" for name in STAGES]


def test_nothing_after_unsubscribing_by_the_mails_link(world):
    user_id = subscriber(world)
    start = world.now()
    period(world, user_id, world.plan(), starts=start, days=30)
    walk(world, start + timedelta(days=24))
    [message] = world.rows(OutboxMessage, OutboxMessage.template == "renewal_reminder")
    token = message.context["unsubscribe_url"].split("token=")[1]

    done = mail_preferences.unsubscribe(token, engine=world.engine)

    assert done.ok and not done.reminders_enabled
    walk(world, start + timedelta(days=40))
    assert stage_names(world) == ["d7"]
    assert mail_preferences.unsubscribe(token, engine=world.engine).ok  # opening it again is fine


def test_a_period_bought_two_days_before_its_end_gets_the_one_day_reminder_only(world):
    user_id = subscriber(world)
    now = world.now()
    # Bought now, ending in two days: the 7- and 3-day stages were due before anyone could send them.
    period(world, user_id, world.plan(), starts=now - timedelta(days=28), days=30, bought=now)
    walk(world, now + timedelta(days=8))
    assert stage_names(world) == ["d1", "ended", "grace_ended"]


def test_a_stage_whose_window_passed_while_no_job_ran_is_skipped_not_sent_late(world):
    user_id = subscriber(world)
    start = world.now()
    period(world, user_id, world.plan(), starts=start, days=30)
    world.clock.set(start + timedelta(days=27, hours=1))  # past the 3-day stage: the 7-day one's window closed
    queue_due_reminders(deps=world.deps)
    assert stage_names(world) == ["d3"]
    world.clock.set(start + timedelta(days=40))  # long after the last window
    queue_due_reminders(deps=world.deps)
    assert stage_names(world) == ["d3"]


def test_no_reminder_to_an_unconfirmed_address_or_with_the_switch_off(world):
    unconfirmed = subscriber(world, confirmed=False)
    switched_off = subscriber(world)
    mail_preferences.set_reminders(switched_off, False, engine=world.engine)
    start = world.now()
    for user_id in (unconfirmed, switched_off):
        period(world, user_id, world.plan(f"p{user_id}"), starts=start, days=10)
    walk(world, start + timedelta(days=15), step=timedelta(hours=3))
    assert reminders(world) == []


def test_a_revoked_period_ends_nothing_and_a_period_of_another_mode_gives_nothing(world):
    user_id = subscriber(world)
    start = world.now()
    period_id = period(world, user_id, world.plan(), starts=start, days=10)
    with Session(world.engine) as session:
        row = session.get(SubscriptionPeriod, period_id)
        row.revoked_at = start
        session.add(row)
        session.commit()
    walk(world, start + timedelta(days=15), step=timedelta(hours=3))
    assert reminders(world) == []


def test_every_reminder_reads_well_and_carries_a_one_click_unsubscribe(world):
    user_id = subscriber(world, name="bina")
    start = world.now()
    period(world, user_id, world.plan("standard"), starts=start, days=30)
    walk(world, start + timedelta(days=35), step=timedelta(hours=2))
    messages = world.rows(OutboxMessage, OutboxMessage.template == "renewal_reminder")
    subjects = [render(m.template, m.context, site_name="Shop").subject for m in messages]
    assert subjects == [
        "Your Standard access ends in 7 days · Shop",
        "Your Standard access ends in 3 days · Shop",
        "Your Standard access ends in 1 day · Shop",
        "Your Standard access has ended today · Shop",
        "Your Standard access has now stopped · Shop",
    ]
    first = messages[0]
    assert first.context["renew_url"] == f"{world.app_url}/checkout/standard"
    # bina chose no calendar: the site's default (both, unless the settings say otherwise)
    end, calendar = start + timedelta(days=30), world.settings.default_calendar
    assert first.context["ends_at"] == format_moment(end, calendar)
    assert first.context["grace_until"] == format_moment(end + timedelta(days=3), calendar)
    mime = compose(
        template=first.template,
        context=first.context,
        to_address=first.to_address,
        message_id=first.message_id,
        queued_at=first.created_at,
        mail_from="Shop <a@shop.example>",
        site_name="Shop",
    )
    assert mime["List-Unsubscribe"] == f"<{first.context['one_click_url']}>"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert first.context["one_click_url"].startswith(f"{world.app_url}/api/unsubscribe?token=")
    assert first.context["unsubscribe_url"] in mime.get_body(("plain",)).get_content()


def test_the_one_click_post_turns_reminders_off_without_signing_in(app_db, make_world):
    world = make_world(app_db)  # the app's own database: the route uses it as the server would
    user_id = subscriber(world)
    period(world, user_id, world.plan(), starts=world.now() - timedelta(days=2), days=5, bought=world.now())
    assert queue_due_reminders(deps=world.deps) == 1  # the 3-day stage, due as it was bought
    [message] = world.rows(OutboxMessage, OutboxMessage.template == "renewal_reminder")
    client = TestClient(build_api(world.settings))
    url = message.context["one_click_url"].removeprefix(world.app_url)

    answer = client.post(url, data={"List-Unsubscribe": "One-Click"})

    assert answer.status_code == 200 and "no more renewal reminders" in answer.text
    assert mail_preferences.reminders_enabled(user_id, engine=world.engine) is False
    assert client.post("/api/unsubscribe?token=forged", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    opened = client.get(url, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"].startswith("/unsubscribe?token=")


def test_the_dashboard_banner_follows_the_stages():
    from khalti_portal.config import load_settings

    settings = load_settings({})
    end = datetime(2027, 1, 31, 6, 15, tzinfo=UTC)
    both = Calendar.BOTH
    assert banner_for(end, "Basic", end - timedelta(days=8), settings, both) is None
    assert banner_for(end, "Basic", end - timedelta(days=6, hours=12), settings, both).stage == "d7"
    soon = banner_for(end, "Basic", end - timedelta(hours=5), settings, both)
    assert soon.stage == "d1"
    assert soon.text == f"Your Basic access ends in 1 day, on {format_moment(end, both)}. Renew to keep it."
    grace = banner_for(end, "Basic", end + timedelta(days=1), settings, Calendar.BS)
    assert grace.stage == "ended"
    assert grace.text == (
        f"Your Basic access ended on {format_moment(end, Calendar.BS)}. "
        f"You keep access until {format_moment(end + timedelta(days=3), Calendar.BS)} while you renew."
    )
    assert banner_for(end, "Basic", end + timedelta(days=3) + LAST_WINDOW, settings, both) is None


def test_each_subscriber_reads_the_reminder_dates_in_the_calendar_they_chose(world):
    in_bs, in_ad, unset = (subscriber(world, name=name) for name in ("bs_reader", "ad_reader", "default_reader"))
    assert reading_preferences.set_calendar(in_bs, "bs", engine=world.engine) is None
    assert reading_preferences.set_calendar(in_ad, "ad", engine=world.engine) is None
    start = world.now()
    for user_id in (in_bs, in_ad, unset):
        period(world, user_id, world.plan(f"plan{user_id}"), starts=start, days=30)
    end = start + timedelta(days=30)
    world.clock.set(end - timedelta(days=7))

    assert queue_due_reminders(deps=world.deps) == 3

    by_user = {m.user_id: m for m in world.rows(OutboxMessage, OutboxMessage.template == "renewal_reminder")}
    expected = {in_bs: Calendar.BS, in_ad: Calendar.AD, unset: world.settings.default_calendar}
    for user_id, calendar in expected.items():
        context = by_user[user_id].context
        assert context["ends_at"] == format_moment(end, calendar)
        assert f"ends on {format_moment(end, calendar)}." in render("renewal_reminder", context, site_name="S").text
    # The BS reader's date names the BS month and no AD one; the AD reader's the other way round.
    bs_month, ad_month = bs_month_name(bs_date(end).month), f"{end:%b}"
    assert bs_month in by_user[in_bs].context["ends_at"] and ad_month not in by_user[in_bs].context["ends_at"]
    assert ad_month in by_user[in_ad].context["ends_at"] and bs_month not in by_user[in_ad].context["ends_at"]


async def test_the_reconciler_queues_reminders_on_each_run(world):
    user_id = subscriber(world)
    period(world, user_id, world.plan(), starts=world.now() - timedelta(days=27), days=30, bought=world.now())
    report = await reconcile_once(deps=world.deps)
    assert report.reminders == 1 and "reminders queued 1" in report.summary()
    assert (await reconcile_once(deps=world.deps)).reminders == 0


@pytest.mark.postgres
def test_twenty_racing_jobs_queue_each_reminder_once_on_postgresql(pg_engine, make_world):
    world = make_world(pg_engine)
    users = [subscriber(world, name=f"racer{i}") for i in range(5)]
    start = world.now()
    for user_id in users:
        period(world, user_id, world.plan(f"plan{user_id}"), starts=start, days=30)
    world.clock.set(start + timedelta(days=23, hours=1))  # every one's 7-day stage is open
    gate = threading.Barrier(20)

    def racer(_: int) -> int:
        gate.wait()
        return queue_due_reminders(deps=world.deps)

    with ThreadPoolExecutor(20) as pool:
        queued = list(pool.map(racer, range(20)))

    assert sum(queued) == len(users)
    assert sorted(to for _, to in reminders(world)) == sorted(f"racer{i}@example.com" for i in range(5))
    with Session(world.engine) as session:
        tokens = session.exec(select(AccountToken).where(AccountToken.purpose == "unsubscribe")).all()
    assert len(tokens) == len(users)  # only the job whose row went in issued a link
