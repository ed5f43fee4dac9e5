"""`python -m khalti_portal reconcile` as an operator runs it, and the web server's lifespan wiring."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select

from khalti_portal.db.models import LocalUser, Payment, PaymentEvent, Plan
from khalti_portal.db.session import make_engine

ROOT = Path(__file__).resolve().parent.parent


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(db_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "REFLEX_DB_URL": db_url,
        "KHALTI_PORTAL_DOTENV": "0",
        "KHALTI_ENV": "emulator",
        "KHALTI_BASE_URL": f"http://127.0.0.1:{closed_port()}/sandbox/khalti/",
        **extra,
    }
    env.pop("KHALTI_SECRET_KEY", None)
    return env


def cli(db_url: str, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "khalti_portal", *args],
        cwd=ROOT,
        env=environment(db_url, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def db(tmp_path) -> tuple[str, int, int]:
    """A SQLite file with one pending payment due for a lookup and one `created` payment past the timeout."""
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    with Session(engine) as session:
        user = LocalUser(username="cli_user", password_hash=b"x", enabled=True)
        plan = Plan(slug="basic", name="Basic", price_paisa=49_900, duration_days=30)
        session.add_all([user, plan])
        session.flush()
        rows = [
            Payment(
                purchase_order_id=f"KP-cli-{status}",
                user_id=user.id,
                plan_id=plan.id,
                amount_paisa=49_900,
                plan_name="Basic",
                duration_days=30,
                status=status,
                pidx="pidxCli000000000000001" if status == "pending" else None,
                payment_url_expires_at=long_ago + timedelta(hours=1) if status == "pending" else None,
                created_at=long_ago,
                updated_at=long_ago,
            )
            for status in ("pending", "created")
        ]
        session.add_all(rows)
        session.commit()
        ids = rows[0].id, rows[1].id
    engine.dispose()
    return url, *ids


def rows(url: str) -> tuple[list[dict], list[dict]]:
    engine = make_engine(url)
    with Session(engine) as session:
        payments = [p.model_dump() for p in session.exec(select(Payment).order_by(Payment.id)).all()]
        events = [e.model_dump() for e in session.exec(select(PaymentEvent).order_by(PaymentEvent.id)).all()]
    engine.dispose()
    return payments, events


def test_dry_run_reports_what_is_due_and_changes_nothing(db):
    url, _, _ = db
    before = rows(url)

    out = cli(url, "reconcile", "--dry-run")

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == (
        "reconcile (dry run): due 1, created past the timeout 1, left for an admin 0; nothing claimed or changed"
    )
    assert rows(url) == before


def test_once_fails_the_stale_created_payment_and_keeps_the_unreachable_lookup_pending(db):
    url, pending_id, created_id = db

    out = cli(url, "reconcile", "--once")  # Khalti's port refuses connections: three attempts, then an error

    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "reconcile: claimed 1, completed 0, still pending 1, errors 1, created→failed 1"
    payments, events = rows(url)
    by_id = {p["id"]: p for p in payments}
    assert by_id[created_id]["status"] == "failed" and by_id[created_id]["failure_reason"].startswith(
        "never reached Khalti"
    )
    assert by_id[pending_id]["status"] == "pending" and by_id[pending_id]["claimed_until"] is None
    assert [e["kind"] for e in events if e["payment_id"] == pending_id] == ["lookup_error"] * 3
    assert "KP-cli-pending" in out.stderr and "pidxCli000000000000001" in out.stderr  # the warning names both

    again = cli(url, "reconcile")  # --once is the default
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith("errors 1, created→failed 0")


def test_loop_prints_a_line_per_run_and_stops_on_sigterm(db):
    url, _, _ = db
    process = subprocess.Popen(
        [sys.executable, "-m", "khalti_portal", "reconcile", "--loop", "--dry-run"],
        cwd=ROOT,
        env=environment(url, RECONCILE_INTERVAL_SECONDS="3600"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()  # blocks until the first run has printed
        process.send_signal(signal.SIGTERM)
        rest, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert first.startswith("reconcile (dry run): due 1"), err
    assert process.returncode == 0, err
    assert rest == ""


@pytest.mark.parametrize(
    "args", [["reconcile", "--once", "--loop"], ["reconcile", "--batch-size", "0"], ["reconcile", "--concurrency", "0"]]
)
def test_bad_arguments_are_refused(db, args):
    url, _, _ = db
    before = rows(url)
    out = cli(url, *args)
    assert out.returncode == 2
    assert rows(url) == before


APP_TASKS = (
    "import khalti_portal.khalti_portal as m; "
    "print(','.join(getattr(t, '__name__', str(t)) for t in m.app.get_lifespan_tasks()))"
)


@pytest.mark.parametrize(
    ("db_url", "flag", "registered"),
    [
        ("sqlite:///{tmp}/app.db", None, True),
        ("sqlite:///{tmp}/app.db", "0", False),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", None, True),
        ("postgresql+psycopg://postgres@127.0.0.1:5432/test", "0", False),
    ],
)
def test_the_web_server_runs_the_loop_as_a_lifespan_task_unless_told_not_to(tmp_path, db_url, flag, registered):
    env = environment(db_url.format(tmp=tmp_path))
    env.pop("RECONCILE_IN_PROCESS", None)
    if flag is not None:
        env["RECONCILE_IN_PROCESS"] = flag
    out = subprocess.run(
        [sys.executable, "-c", APP_TASKS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    tasks = out.stdout.strip().splitlines()[-1].split(",")
    assert ("reconcile_in_background" in tasks) is registered
    assert ("send_mail_in_background" in tasks) is registered  # the mail sender runs where the reconciler runs
