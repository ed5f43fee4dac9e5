"""A renewal reminder in Chromium: queued by the reconciler, read in the mailbox, unsubscribed from its link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from khalti_portal.db.models import Plan, SubscriptionPeriod
from khalti_portal.db.session import make_engine
from tests.e2e.helpers import Journey

pytestmark = pytest.mark.e2e


def writer(j: Journey):
    """The app's database for writing (the journey's own `db` only reads)."""
    return make_engine(f"sqlite:///{j.db.path}")


def ending_soon(j: Journey, username: str, *, left: timedelta) -> int:
    """A period bought a day ago that ends `left` from now (the server's clock cannot be moved)."""
    now = datetime.now(UTC)
    user_id = j.db.user_id(username)
    with Session(writer(j)) as session:
        plan = session.exec(select(Plan).where(Plan.slug == "basic")).one()
        row = SubscriptionPeriod(
            user_id=user_id,
            plan_id=plan.id,
            starts_at=now + left - timedelta(days=30),
            ends_at=now + left,
            created_at=now - timedelta(days=1),
            note="e2e: a period about to end",
        )
        session.add(row)
        session.commit()
        return int(row.id)


def end_in(j: Journey, period_id: int, left: timedelta) -> None:
    """Move a period's end (as if time had passed) so the next stage is open."""
    with Session(writer(j)) as session:
        row = session.get(SubscriptionPeriod, period_id)
        row.ends_at = datetime.now(UTC) + left
        session.add(row)
        session.commit()


def queued_stages(j: Journey, period_id: int) -> list[str]:
    rows = j.db.rows("SELECT key FROM outboxmessage WHERE key LIKE :k ORDER BY id", k=f"reminder:{period_id}:%")
    return [row["key"].rsplit(":", 1)[1] for row in rows]


def test_unsubscribing_from_a_real_reminder_stops_the_next_stage(journey: Journey) -> None:
    j = journey
    for name in ("uma_unsubscribes", "vik_keeps_them"):
        if name != "uma_unsubscribes":
            j.page.click("#sign-out")
            j.page.wait_for_url(re.compile(r"/$"))
        j.register(name)
        j.confirm_email(f"{name}@example.com")
    periods = {
        name: ending_soon(j, name, left=timedelta(days=3) - timedelta(hours=1))
        for name in ("uma_unsubscribes", "vik_keeps_them")
    }

    done = j.server.python("-m", "khalti_portal", "reconcile", "--once")
    assert "reminders queued 2" in done.stdout, done.stdout + done.stderr
    assert all(queued_stages(j, pid) == ["d3"] for pid in periods.values())
    j.send_mail()

    j.page.goto(j.url("/sandbox/mail/?to=uma_unsubscribes@example.com"))
    mail = j.page.locator("article.mail").filter(has_text="ends in 3 days").first
    expect(mail.locator(".mail-subject")).to_contain_text("Your Basic access ends in 3 days")
    j.snap("reminder-in-mailbox")
    mail.get_by_role("link", name="Unsubscribe from reminders").click()
    j.page.wait_for_url(re.compile(r"/unsubscribe/?\?token="))
    expect(j.page.locator("#unsubscribe-result")).to_have_attribute("data-ok", "true")
    j.snap("unsubscribed")

    # A day later (the periods' ends moved closer): the 1-day stage is open for both; only one still wants it.
    for pid in periods.values():
        end_in(j, pid, timedelta(days=1) - timedelta(hours=1))
    done = j.server.python("-m", "khalti_portal", "reconcile", "--once")
    assert "reminders queued 1" in done.stdout, done.stdout + done.stderr
    assert queued_stages(j, periods["uma_unsubscribes"]) == ["d3"]
    assert queued_stages(j, periods["vik_keeps_them"]) == ["d3", "d1"]
