"""What the journeys share: the database as the test reads it, and a visitor driving pages.

Waiting is Playwright's: `expect(...)` and `wait_for_url` with explicit timeouts. The only loop that
sleeps is `Db.eventually`, for a database change no page can show (a signed-out payer's return page
applies the payment without telling the browser).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import nepali_datetime
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from tests.e2e.server import Server

T = TypeVar("T")

NEPAL = ZoneInfo("Asia/Kathmandu")
PAY_TIMEOUT_MS = 30_000  # the emulator round trip plus a server-side lookup
STATUS_TIMEOUT_MS = 45_000
WIDTHS = {375: 812, 1280: 900}  # viewport width → height for screenshots

TEST_KHALTI_ID = "9800000001"
TEST_MPIN = "1111"
TEST_OTP = "987654"
PASSWORD = "correct horse battery"


# -- the database ---------------------------------------------------------------------------------------------


def parse_db_time(value: Any) -> datetime | None:
    """SQLite hands back naive UTC text (`2026-12-26 12:00:00.123456`): make it an aware datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def iso_z(dt: datetime) -> str:
    """The page's `data-expires-at` form: whole seconds, UTC, `Z`."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# NEPAL.md's spelling of the BS months (the library's own names differ: Baishakh, Bhadau, Aswin).
BS_MONTHS = (
    "Baisakh",
    "Jestha",
    "Asar",
    "Shrawan",
    "Bhadra",
    "Asoj",
    "Kartik",
    "Mangsir",
    "Poush",
    "Magh",
    "Falgun",
    "Chaitra",
)


def nepal_text(dt: datetime, calendar: str = "both") -> str:
    """The moment as a page shows it in `calendar` (ad, bs, both: the e2e server's default), computed here
    independently of the app's formatter, from nepali-datetime's tables:

        27 Nov 2026, 5:45 PM NPT / 11 Mangsir 2083, 5:45 PM NPT / 11 Mangsir 2083 (27 Nov 2026), 5:45 PM NPT
    """
    n = dt.astimezone(NEPAL)
    ad = f"{n.day} {n:%b} {n.year}"
    b = nepali_datetime.date.from_datetime_date(n.date())
    bs = f"{b.day} {BS_MONTHS[b.month - 1]} {b.year}"
    day = {"ad": ad, "bs": bs, "both": f"{bs} ({ad})"}[calendar]
    return f"{day}, {int(n.strftime('%I'))}:{n:%M} {n:%p} NPT"


class Db:
    """The app's database: its SQLite file opened read-only, or PostgreSQL by URL (one connection per query,
    so every read sees the latest commit)."""

    def __init__(self, path: Path | None = None, *, url: str | None = None) -> None:
        self.path = path
        if url is not None:  # the production shape: PostgreSQL
            self.engine: Engine = create_engine(url, poolclass=NullPool)
            return
        uri = f"file:{path}?mode=ro"
        self.engine = create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, timeout=10), poolclass=NullPool
        )

    def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        """Every row of a query, as dicts."""
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(sql), params)]

    def one(self, sql: str, **params: Any) -> dict[str, Any] | None:
        """The first row, or None."""
        found = self.rows(sql, **params)
        return found[0] if found else None

    def user_id(self, username: str) -> int:
        """The id of a `localuser`."""
        row = self.one("SELECT id FROM localuser WHERE username = :u", u=username)
        assert row is not None, f"no localuser {username!r} in the database"
        return int(row["id"])

    def payments(self, user_id: int) -> list[dict[str, Any]]:
        """A user's payments, oldest first."""
        return self.rows("SELECT * FROM payment WHERE user_id = :u ORDER BY id", u=user_id)

    def payment(self, pidx: str) -> dict[str, Any]:
        """The payment Khalti knows as `pidx`."""
        row = self.one("SELECT * FROM payment WHERE pidx = :p", p=pidx)
        assert row is not None, f"no payment with pidx {pidx!r}"
        return row

    def periods(self, user_id: int) -> list[dict[str, Any]]:
        """A user's subscription periods, by start."""
        rows = self.rows("SELECT * FROM subscriptionperiod WHERE user_id = :u ORDER BY starts_at, id", u=user_id)
        for row in rows:
            for key in ("starts_at", "ends_at", "revoked_at", "created_at"):
                row[key] = parse_db_time(row[key])
        return rows

    def plan(self, slug: str) -> dict[str, Any] | None:
        """One plan row."""
        return self.one("SELECT * FROM plan WHERE slug = :s", s=slug)

    def events(self, payment_id: int) -> list[dict[str, Any]]:
        """The audit trail of one payment."""
        rows = self.rows("SELECT * FROM paymentevent WHERE payment_id = :p ORDER BY id", p=payment_id)
        for row in rows:
            row["created_at"] = parse_db_time(row["created_at"])
        return rows

    def end_sessions(self, user_id: int) -> int:
        """Delete a user's sign-in sessions: the one write a test makes (a session that expired)."""
        with sqlite3.connect(self.path, timeout=10) as conn:
            deleted = conn.execute("DELETE FROM localauthsession WHERE user_id = ?", (user_id,)).rowcount
        return deleted

    def eventually(self, probe: Callable[[], T], what: str, timeout: float = 20.0) -> T:
        """Re-run `probe` until it returns something truthy (bounded): for changes no page shows."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            time.sleep(0.25)


# -- what the browser saw, for the secret scan -------------------------------------------------------------------


@dataclass
class Visits:
    """Page HTML and websocket frames seen during the session."""

    pages: list[tuple[str, str]] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)

    def add_page(self, url: str, html: str) -> None:
        """Remember one page's rendered HTML."""
        self.pages.append((url, html))

    def watch(self, page: Page) -> None:
        """Keep every websocket frame the page receives (Reflex's state deltas)."""

        def on_socket(ws: Any) -> None:
            ws.on(
                "framereceived",
                lambda payload: self.frames.append(
                    payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")
                ),
            )
            ws.on(
                "framesent",
                lambda payload: self.frames.append(
                    payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")
                ),
            )

        page.on("websocket", on_socket)


# -- a visitor --------------------------------------------------------------------------------------------------


@dataclass
class Journey:
    """One visitor (a browser context) on the portal, with screenshots at each key step."""

    context: BrowserContext
    page: Page
    server: Server
    db: Db
    visits: Visits
    artifacts: Path
    name: str
    others: list[Journey] = field(default_factory=list)
    shot: int = 0

    def __post_init__(self) -> None:
        self.visits.watch(self.page)
        self.context.on("page", self.visits.watch)

    # -- other people in the same journey -----------------------------------------------------------------------

    def another_visitor(self, label: str) -> Journey:
        """A second person with their own fresh context (closed when the test ends)."""
        context = self.context.browser.new_context(
            viewport={"width": 1280, "height": 900},  # type: ignore[union-attr]
            base_url=self.server.url,
        )
        context.set_default_timeout(20_000)
        context.set_default_navigation_timeout(60_000)
        other = Journey(
            context=context,
            page=context.new_page(),
            server=self.server,
            db=self.db,
            visits=self.visits,
            artifacts=self.artifacts,
            name=f"{self.name}-{label}",
        )
        self.others.append(other)
        return other

    def close_others(self) -> None:
        """Close the contexts of `another_visitor`."""
        for other in self.others:
            other.context.close()

    # -- navigation ------------------------------------------------------------------------------------------

    def url(self, path: str = "/") -> str:
        """An absolute URL of the portal."""
        return self.server.url + path

    def hydrated(self) -> None:
        """Wait until React has hydrated the page (before that a click on a form does a plain HTML submit)."""
        self.page.wait_for_function(
            "() => { const el = document.getElementById('emulator-banner');"
            " return !!el && Object.keys(el).some(k => k.startsWith('__reactFiber')); }",
            timeout=30_000,
        )

    def goto(self, path: str) -> None:
        """Open a portal page and wait for hydration."""
        self.page.goto(self.url(path))
        self.hydrated()

    def snap(self, step: str) -> None:
        """Full-page screenshots at 375 px and 1280 px wide, and the page's HTML for the secret scan."""
        self.shot += 1
        for width, height in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.screenshot(
                path=str(self.artifacts / f"{self.name}-{self.shot:02d}-{step}-{width}.png"), full_page=True
            )
        self.page.set_viewport_size({"width": 1280, "height": 900})
        self.record()

    def record(self) -> None:
        """Keep this page's HTML for the secret scan."""
        self.visits.add_page(self.page.url, self.page.content())

    # -- accounts ------------------------------------------------------------------------------------------------

    def register(self, username: str, password: str = PASSWORD, *, snap: bool = False) -> int:
        """Sign up on /register; returns the new user's id."""
        self.goto("/register")
        self.page.fill("#username", username)
        self.page.fill("#email", f"{username}@example.com")
        self.page.fill("#password", password)
        self.page.fill("#confirm_password", password)
        if snap:
            self.snap("register-form")
        self.page.click("#register")
        self.page.wait_for_url(re.compile(r"/dashboard"))
        expect(self.page.locator("#sign-out")).to_be_visible()
        return self.db.user_id(username)

    def sign_in(self, username: str, password: str = PASSWORD, *, path: str = "/login") -> None:
        """Sign in on the login page (optionally one with `?next=`)."""
        self.goto(path)
        self.submit_sign_in(username, password)

    def submit_sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Fill and send the sign-in form already on screen."""
        self.hydrated()
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#sign-in")
        self.page.wait_for_url(lambda url: "/login" not in url)
        expect(self.page.locator("#sign-out")).to_be_visible()

    # -- buying ----------------------------------------------------------------------------------------------------

    def plan_card(self, slug: str) -> Any:
        """A catalog card by its data-plan-slug."""
        return self.page.locator(f'#catalog [data-plan-slug="{slug}"]')

    def open_checkout_from_catalog(self, slug: str, *, snap: bool = False) -> None:
        """Catalog → the plan's Subscribe button → its checkout page."""
        self.goto("/")
        card = self.plan_card(slug)
        expect(card).to_be_visible()
        if snap:
            self.snap("catalog")
        card.locator("a").filter(has_text=re.compile(r"Subscribe|Renew")).click()
        self.page.wait_for_url(re.compile(rf"/checkout/{re.escape(slug)}$"))
        expect(self.page.locator("#pay-with-khalti")).to_be_enabled()

    def pay_with_khalti(self, *, snap: bool = False) -> str:
        """On the checkout page: press Pay with Khalti, land on the emulator's hosted page; returns the pidx."""
        if snap:
            self.snap("checkout")
        self.page.click("#pay-with-khalti")
        self.page.wait_for_url(re.compile(r"/sandbox/khalti/pay/\?pidx="), timeout=PAY_TIMEOUT_MS)
        expect(self.page.locator("#khalti-id")).to_be_visible()
        return pidx_of(self.page.url)

    def khalti_sign_in(self, *, snap: bool = False) -> None:
        """Emulator step 1: Khalti ID and MPIN."""
        self.page.fill("#khalti-id", TEST_KHALTI_ID)
        self.page.fill("#mpin", TEST_MPIN)
        if snap:
            self.snap("khalti-credentials")
        self.page.click("#login")
        expect(self.page.locator("#otp")).to_be_visible()

    def khalti_pay(self, *, snap: bool = False) -> None:
        """Emulator step 2: OTP and Pay; Khalti sends the tab back to the return page."""
        self.page.fill("#otp", TEST_OTP)
        if snap:
            self.snap("khalti-otp")
        self.page.click("#pay")
        self.page.wait_for_url(re.compile(r"/payment/return/?\?"), timeout=PAY_TIMEOUT_MS)
        self.hydrated()

    def buy(self, slug: str, *, snap: bool = False) -> str:
        """Catalog → checkout → pay on the emulator → the return page says completed; returns the pidx."""
        self.open_checkout_from_catalog(slug, snap=snap)
        pidx = self.pay_with_khalti(snap=snap)
        self.khalti_sign_in(snap=snap)
        self.khalti_pay(snap=snap)
        self.expect_return_status("completed")
        if snap:
            self.snap("return-completed")
        return pidx

    def expect_return_status(self, status: str) -> None:
        """The return page's `#payment-status[data-status]`."""
        expect(self.page.locator("#payment-status")).to_have_attribute("data-status", status, timeout=STATUS_TIMEOUT_MS)

    def open_dashboard(self, status: str) -> None:
        """The dashboard, once it shows `status`."""
        self.goto("/dashboard")
        expect(self.page.locator("#subscription-status")).to_have_attribute(
            "data-status", status, timeout=STATUS_TIMEOUT_MS
        )

    # -- mail ------------------------------------------------------------------------------------------------------

    def send_mail(self) -> str:
        """`python -m khalti_portal mail --once` (the e2e server runs no in-process sender); its one line."""
        done = self.server.python("-m", "khalti_portal", "mail", "--once")
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    def mailbox(self, to: str) -> list[dict[str, Any]]:
        """What the emulator's mailbox holds for `to`, newest first (its JSON view)."""
        answer = self.page.request.get(self.url(f"/sandbox/mail/messages.json?to={quote(to)}"))
        assert answer.ok, answer.text()
        return answer.json()

    def link_in_mail(self, to: str, subject: str) -> str:
        """The link of the newest message to `to` whose subject starts with `subject` (sending what is queued)."""
        self.send_mail()
        for message in self.mailbox(to):
            if message["subject"].startswith(subject):
                found = re.search(r"https?://\S+", message["text"])
                assert found, f"no link in {message['text']!r}"
                return found.group(0)
        raise AssertionError(f"no mail {subject!r} to {to}")

    def confirm_email(self, to: str) -> None:
        """Open the confirmation link mailed to `to` and see it confirmed."""
        self.page.goto(self.link_in_mail(to, "Confirm your email address"))
        expect(self.page.locator("#verify-result")).to_have_attribute("data-ok", "true")


def pidx_of(url: str) -> str:
    """The pidx in a hosted-page or return URL."""
    values = parse_qs(urlsplit(url).query).get("pidx", [])
    assert values and values[0], f"no pidx in {url}"
    return values[0]
