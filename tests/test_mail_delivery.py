"""Delivering the outbox to a real SMTP server on loopback: accepted, refused, dropped, down and back, raced."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import Session, update

from khalti_portal.db.models import MailStatus, OutboxMessage
from khalti_portal.mail.delivery import MAX_TRIES, RETRY_DELAYS, WAIT_WHEN_UNREACHABLE, deliver_loop, deliver_once
from khalti_portal.mail.outbox import queue_message
from khalti_portal.mail.smtp import SmtpTransport
from tests.smtp_support import TestSmtpServer, free_port

pytest_plugins = ["tests.db_fixtures"]

CONTEXT = {
    "name": "Asha",
    "plan_name": "Standard",
    "amount": "Rs 1,299.50",
    "starts_at": "15 Jan 2026, 12:15 PM NPT",
    "ends_at": "14 Feb 2026, 12:15 PM NPT",
    "ends_on": "14 Feb 2026",
    "order": "KP-abc",
    "dashboard_url": "http://localhost:3000/dashboard",
}


def enqueue(world, count: int = 1, *, to: str = "asha@example.com", prefix: str = "m", context=None) -> list[int]:
    with Session(world.engine) as session:
        for n in range(count):
            queue_message(
                session,
                key=f"{prefix}:{n}",
                template="payment_completed",
                to_address=to,
                context=CONTEXT if context is None else context,
                mail_from=world.settings.mail.mail_from,
                now=world.now(),
            )
        session.commit()
    return [m.id for m in world.rows(OutboxMessage, OutboxMessage.key.startswith(f"{prefix}:"))]


def transport(port: int) -> SmtpTransport:
    return SmtpTransport("127.0.0.1", port, "none", timeout=5)


async def deliver(world, port: int, **kwargs):
    return await deliver_once(world.engine, world.settings, transport(port), clock=world.clock, **kwargs)


def statuses(world) -> list[str]:
    return [m.status.value for m in world.rows(OutboxMessage)]


@pytest.fixture
async def smtp():
    server = TestSmtpServer()
    await server.start()
    yield server
    await server.stop()


async def test_a_server_that_accepts_gets_every_message_once_as_plain_text_and_html(sqlite_world, smtp):
    world = sqlite_world
    ids = enqueue(world, 3)

    report = await deliver(world, smtp.port)

    assert (report.claimed, report.sent, report.failed, report.retrying, report.waiting) == (3, 3, 0, 0, 0)
    rows = world.rows(OutboxMessage)
    assert statuses(world) == ["sent"] * 3
    assert [r.sent_at for r in rows] == [world.now()] * 3 and all(r.claimed_by is None for r in rows)
    assert sorted(smtp.message_ids()) == sorted(r.message_id for r in rows)
    first = smtp.received[0]
    assert first["From"] == world.settings.mail.mail_from and first["To"] == "asha@example.com"
    assert "Standard" in first["Subject"] and world.settings.site_name in first["Subject"]
    assert first["Auto-Submitted"] == "auto-generated"
    assert first.get_content_type() == "multipart/alternative"
    assert "http://localhost:3000/dashboard" in first.get_body(("plain",)).get_content()
    assert 'href="http://localhost:3000/dashboard"' in first.get_body(("html",)).get_content()
    assert len(ids) == 3
    # Nothing is due any more: a second run claims nothing and sends nothing twice.
    assert (await deliver(world, smtp.port)).claimed == 0
    assert len(smtp.received) == 3


async def test_a_permanent_refusal_fails_that_message_at_once_with_the_error_and_the_rest_go(sqlite_world, smtp):
    world = sqlite_world
    smtp.refuse["nobody@example.com"] = "550 5.1.1 No such user here"
    [bad] = enqueue(world, 1, to="nobody@example.com", prefix="bad")
    enqueue(world, 2, prefix="good")

    report = await deliver(world, smtp.port)

    assert (report.sent, report.failed) == (2, 1)
    failed = world.get(OutboxMessage, bad)
    assert failed.status is MailStatus.FAILED and failed.attempts == 1
    assert "550" in failed.last_error and "No such user" in failed.last_error
    assert len(smtp.received) == 2


async def test_a_temporary_refusal_is_tried_again_after_each_pause_and_sent_when_the_server_relents(sqlite_world, smtp):
    world = sqlite_world
    smtp.refuse["asha@example.com"] = "451 4.7.1 Greylisted, try again later"
    [ident] = enqueue(world)

    report = await deliver(world, smtp.port)
    row = world.get(OutboxMessage, ident)
    assert report.retrying == 1 and row.status is MailStatus.QUEUED and row.attempts == 1
    assert row.next_attempt_at == world.now() + RETRY_DELAYS[0] and "451" in row.last_error
    assert (await deliver(world, smtp.port)).claimed == 0  # not before its pause is over

    world.clock.advance(RETRY_DELAYS[0])
    del smtp.refuse["asha@example.com"]
    report = await deliver(world, smtp.port)

    row = world.get(OutboxMessage, ident)
    assert report.sent == 1 and row.status is MailStatus.SENT and row.attempts == 2 and row.last_error is None
    assert smtp.message_ids() == [row.message_id]


async def test_a_message_the_server_keeps_refusing_fails_after_the_bounded_tries_with_its_error(sqlite_world, smtp):
    world = sqlite_world
    smtp.data_reply = "452 4.3.1 Insufficient system storage"
    [ident] = enqueue(world)

    for pause in RETRY_DELAYS:
        assert (await deliver(world, smtp.port)).retrying == 1
        world.clock.advance(pause)
    report = await deliver(world, smtp.port)

    row = world.get(OutboxMessage, ident)
    assert report.failed == 1 and row.status is MailStatus.FAILED and row.attempts == MAX_TRIES
    assert "452" in row.last_error and "storage" in row.last_error
    world.clock.advance(timedelta(days=1))
    assert (await deliver(world, smtp.port)).claimed == 0  # given up: it waits for an admin's retry


async def test_a_dropped_connection_after_the_server_took_it_resends_with_the_same_message_id(sqlite_world, smtp):
    world = sqlite_world
    smtp.drop_after_data = 1
    [first, second] = enqueue(world, 2)

    report = await deliver(world, smtp.port)

    # The first was taken but never acknowledged, so it counts as a try; the second went over a new connection.
    assert (report.retrying, report.sent) == (1, 1)
    assert world.get(OutboxMessage, first).status is MailStatus.QUEUED
    assert world.get(OutboxMessage, second).status is MailStatus.SENT
    world.clock.advance(RETRY_DELAYS[0])
    assert (await deliver(world, smtp.port)).sent == 1

    rows = {r.id: r for r in world.rows(OutboxMessage)}
    assert statuses(world) == ["sent", "sent"]
    # The one duplicate there can be, and it carries the same Message-ID, so mail clients show it once.
    assert smtp.message_ids().count(rows[first].message_id) == 2
    assert smtp.message_ids().count(rows[second].message_id) == 1


async def test_a_server_down_for_a_while_loses_nothing_and_gets_everything_when_it_comes_back(sqlite_world):
    world = sqlite_world
    port = free_port()
    enqueue(world, 5)

    for _ in range(3 * MAX_TRIES):  # far longer than any message's tries would last
        report = await deliver(world, port)
        assert report.waiting == 5 and report.sent == report.failed == 0
        rows = world.rows(OutboxMessage)
        assert {(r.status, r.attempts) for r in rows} == {(MailStatus.QUEUED, 0)}  # waiting costs no try
        assert all("cannot reach 127.0.0.1" in r.last_error for r in rows)
        assert (await deliver(world, port)).claimed == 0  # not hammered before the wait is over
        world.clock.advance(WAIT_WHEN_UNREACHABLE)

    server = TestSmtpServer()
    await server.start(port)
    try:
        report = await deliver(world, port)
    finally:
        await server.stop()
    assert report.sent == 5 and statuses(world) == ["sent"] * 5
    assert sorted(server.message_ids()) == sorted(r.message_id for r in world.rows(OutboxMessage))


async def test_a_message_that_cannot_be_rendered_fails_alone(sqlite_world, smtp):
    world = sqlite_world
    [broken] = enqueue(world, 1, prefix="broken", context={"name": "Asha"})
    enqueue(world, 1, prefix="fine")

    report = await deliver(world, smtp.port)

    assert (report.sent, report.failed) == (1, 1)
    row = world.get(OutboxMessage, broken)
    assert row.status is MailStatus.FAILED and row.last_error.startswith("cannot render")


async def test_a_lease_held_by_a_sender_that_died_runs_out_and_the_message_goes(sqlite_world, smtp):
    world = sqlite_world
    [ident] = enqueue(world)
    with Session(world.engine) as session:
        session.exec(update(OutboxMessage).values(claimed_until=world.now() + timedelta(minutes=20), claimed_by="gone"))
        session.commit()

    assert (await deliver(world, smtp.port)).claimed == 0
    world.clock.advance(timedelta(minutes=21))
    assert (await deliver(world, smtp.port)).sent == 1
    assert world.get(OutboxMessage, ident).status is MailStatus.SENT


@pytest.mark.postgres
async def test_senders_racing_on_postgresql_send_each_message_once(pg_engine, make_world, smtp):
    world = make_world(pg_engine)
    enqueue(world, 30)

    reports = await asyncio.gather(*(deliver(world, smtp.port, batch_size=7) for _ in range(4)))
    while (more := await deliver(world, smtp.port)).claimed:
        reports.append(more)

    assert sum(r.sent for r in reports) == 30
    assert statuses(world) == ["sent"] * 30
    assert len(smtp.message_ids()) == len(set(smtp.message_ids())) == 30


async def test_the_loop_sends_what_is_queued_and_stops_when_told(sqlite_world, smtp):
    world = sqlite_world
    enqueue(world, 2)
    stop = asyncio.Event()
    reports = []

    def seen(report) -> None:
        reports.append(report)
        if sum(r.sent for r in reports) >= 2:
            stop.set()

    await asyncio.wait_for(
        deliver_loop(
            world.engine,
            world.settings,
            transport(smtp.port),
            interval=0.01,
            stop=stop,
            clock=world.clock,
            on_report=seen,
        ),
        timeout=30,
    )
    assert statuses(world) == ["sent", "sent"]
