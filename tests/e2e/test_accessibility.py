"""axe-core on every page and state a person reaches, at 375 px and 1280 px: nothing serious or critical.

`STOPS` is the one list of what is checked: a name (the screenshots' and axe reports' file name in
`test-artifacts/a11y/`), whose browser it is (a stranger's, or one of the accounts made once for this module),
and how to get the page into that state. Adding a page is one line. Each stop runs in a fresh browser
context, signed in from the account's saved storage (no sign-in form on the way).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlmodel import Session, select

from khalti_portal.db.models import MailStatus, OutboxMessage, Plan, SubscriptionPeriod
from khalti_portal.db.session import make_engine
from tests.e2e.a11y import audit
from tests.e2e.helpers import PAY_TIMEOUT_MS, Db, Journey, Visits, pidx_of
from tests.e2e.server import ADMIN_PASSWORD, ADMIN_USERNAME, Server

pytestmark = pytest.mark.e2e

PREFIX = "a11y_"


@dataclass
class Accounts:
    """The people the stops use, each signed in once; their browser storage is reused by every stop."""

    storage: dict[str, Any] = field(default_factory=dict)  # who → Playwright storage_state
    receipt_path: str = ""


Reach = Callable[[Journey, Accounts], None]


@dataclass(frozen=True)
class Stop:
    """One page in one state: `reach` leaves the page showing it in the browser of `who` (None: a stranger)."""

    name: str
    who: str | None
    reach: Reach
    empty_state: bool = False  # the page has nothing to list and must say so (`.empty-state`)


# -- how to reach a state --------------------------------------------------------------------------------------


def shows(path: str, selector: str) -> Reach:
    """Open `path` and wait for `selector`."""

    def reach(j: Journey, _: Accounts) -> None:
        j.goto(path)
        expect(j.page.locator(selector).first).to_be_visible()

    return reach


def then(first: Reach, *steps: Callable[[Journey], None]) -> Reach:
    """`first`, then each step on the page it left."""

    def reach(j: Journey, a: Accounts) -> None:
        first(j, a)
        for step in steps:
            step(j)

    return reach


def fill_and_send(fields: dict[str, str], button: str, shown: str) -> Callable[[Journey], None]:
    """Fill the form, press `button`, wait for `shown`."""

    def step(j: Journey) -> None:
        for selector, value in fields.items():
            j.page.fill(selector, value)
        j.page.click(button)
        expect(j.page.locator(shown).first).to_be_visible()

    return step


def choose(selector: str, value: str, shown: str) -> Callable[[Journey], None]:
    """Pick `value` in the select `selector`, wait for `shown`."""

    def step(j: Journey) -> None:
        j.page.locator(selector).select_option(value)
        expect(j.page.locator(shown).first).to_be_visible()

    return step


def click(selector: str, shown: str) -> Callable[[Journey], None]:
    """Press `selector`, wait for `shown` (a dialog, a panel)."""

    def step(j: Journey) -> None:
        j.page.locator(selector).first.click()
        expect(j.page.locator(shown).first).to_be_visible()

    return step


def return_page(outcome: str, control: dict[str, Any] | None = None) -> Reach:
    """A new payment started on the checkout page, its status forced on Khalti's side, then the return page."""

    def reach(j: Journey, _: Accounts) -> None:
        j.goto("/checkout/basic")
        expect(j.page.locator("#pay-with-khalti")).to_be_enabled()
        j.page.click("#pay-with-khalti")
        j.page.wait_for_url(re.compile(r"/sandbox/khalti/pay/\?pidx="), timeout=PAY_TIMEOUT_MS)
        pidx = pidx_of(j.page.url)
        if control:
            answer = httpx.post(j.url(f"/sandbox/khalti/_control/{pidx}"), json=control, timeout=10.0)
            assert answer.status_code == 200, answer.text
        j.goto(f"/payment/return?pidx={pidx}")
        j.expect_return_status(outcome)

    return reach


def reset_form(j: Journey, a: Accounts) -> None:
    """The reset link mailed to the subscriber, opened."""
    address = f"{PREFIX}sita@example.com"
    j.goto("/forgot-password")
    j.page.fill("#email", address)
    j.page.click("#send-reset")
    expect(j.page.locator("#reset-requested")).to_be_visible()
    j.page.goto(j.link_in_mail(address, "Reset your password"))
    j.hydrated()
    expect(j.page.locator("#set-password")).to_be_visible()


def receipt(j: Journey, a: Accounts) -> None:
    """The subscriber's first invoice."""
    shows(a.receipt_path, "#receipt")(j, a)


def new_api_key(j: Journey) -> None:
    """Create a key: the page shows it once."""
    j.page.fill("#new-key-label", f"a11y key {secrets.token_hex(3)}")
    j.page.click("#create-key")
    expect(j.page.locator("#new-key-value")).to_be_visible()


def in_nepali(j: Journey) -> None:
    """Switch the page to Nepali with the header's switch: `<html lang="ne">`, the text from the catalog."""
    j.page.locator("#language").select_option("ne")
    expect(j.page.locator("html")).to_have_attribute("lang", "ne")


def nepali(path: str, selector: str) -> Reach:
    """`path` read by a Nepali reader (the account chose Nepali, or a stranger switches to it first)."""

    def reach(j: Journey, a: Accounts) -> None:
        shows(path, selector)(j, a)
        in_nepali(j)
        expect(j.page.locator(selector).first).to_be_visible()

    return reach


BAD = "not-a-real-token"

STOPS: tuple[Stop, ...] = (
    Stop("catalog-signed-out", None, shows("/", "#catalog .plan-card")),
    Stop("catalog-signed-in", "subscriber", shows("/", "#catalog .your-plan")),
    Stop("sign-in", None, shows("/login", "#sign-in")),
    Stop(
        "sign-in-error",
        None,
        then(
            shows("/login", "#sign-in"),
            fill_and_send({"#username": "nobody_here", "#password": "wrong password"}, "#sign-in", "#form-error"),
        ),
    ),
    Stop("register", None, shows("/register", "#register")),
    Stop(
        "register-errors",
        None,
        then(
            shows("/register", "#register"),
            fill_and_send(
                {
                    "#username": f"{PREFIX}mismatch",
                    "#email": f"{PREFIX}mismatch@example.com",
                    "#password": "correct horse battery",
                    "#confirm_password": "correct horse battery staple",
                },
                "#register",
                "#confirm_password-error",
            ),
        ),
    ),
    Stop("forgot-password", None, shows("/forgot-password", "#send-reset")),
    Stop(
        "forgot-password-sent",
        None,
        then(
            shows("/forgot-password", "#send-reset"),
            fill_and_send({"#email": "someone@example.com"}, "#send-reset", "#reset-requested"),
        ),
    ),
    Stop("reset-password-bad-link", None, shows(f"/reset-password?token={BAD}", "#reset-link-problem")),
    Stop(
        "reset-password-errors",
        None,
        then(
            reset_form,
            fill_and_send(
                {"#password": "a brand new password", "#confirm_password": "another new password"},
                "#set-password",
                "#confirm_password-error",
            ),
        ),
    ),
    Stop("verify-email-bad-link", None, shows(f"/verify-email?token={BAD}", "#verify-result")),
    Stop("unsubscribe-bad-link", None, shows(f"/unsubscribe?token={BAD}", "#unsubscribe-result")),
    Stop("page-not-found", None, shows("/no-such-page", "#page-not-found")),
    Stop("terms", None, shows("/terms", "#legal-document")),
    Stop("privacy", None, shows("/privacy", "#legal-document")),
    Stop("checkout", "newcomer", shows("/checkout/basic", "#pay-with-khalti")),
    Stop("checkout-renewal", "subscriber", shows("/checkout/basic", "#pay-with-khalti")),
    Stop("checkout-not-found", "subscriber", shows("/checkout/no-such-plan", "#not-found")),
    Stop("return-completed", "payer", return_page("completed", {"status": "Completed"})),
    Stop("return-pending", "payer", return_page("pending")),
    Stop("return-canceled", "payer", return_page("canceled", {"status": "User canceled"})),
    Stop("return-expired", "payer2", return_page("expired", {"status": "Expired"})),
    Stop("return-failed", "payer2", return_page("failed", {"status": "Failed"})),
    Stop("return-refunded", "payer2", return_page("refunded", {"status": "Refunded"})),
    Stop("return-flagged", "payer2", return_page("flagged", {"status": "Completed", "total_amount": 100})),
    Stop("return-not-found", "payer", shows(f"/payment/return?pidx={BAD}", '#payment-status[data-status="not_found"]')),
    Stop("return-signed-out", None, shows(f"/payment/return?pidx={BAD}", "#return-sign-in")),
    Stop("dashboard-none", "newcomer", shows("/dashboard", '[data-status="none"]'), empty_state=True),
    Stop("dashboard-active", "subscriber", shows("/dashboard", '[data-status="active"]')),
    Stop("dashboard-expiring", "expiring", shows("/dashboard", '[data-status="expiring"]')),
    Stop("dashboard-grace", "grace", shows("/dashboard", '[data-status="grace"]')),
    Stop("dashboard-expired", "expired", shows("/dashboard", '[data-status="expired"]')),
    Stop("profile", "subscriber", shows("/profile", "#profile-save")),
    Stop(
        "profile-errors",
        "subscriber",
        then(shows("/profile", "#profile-save"), fill_and_send({"#phone": "12"}, "#profile-save", "#phone-error")),
    ),
    Stop(
        "profile-calendar-saved",
        "newcomer",  # a choice of BS changes nothing the other stops look for
        then(shows("/profile", "#calendar"), choose("#calendar", "bs", "#calendar-result")),
    ),
    Stop("members", "subscriber", shows("/members", "#members-content")),
    Stop("members-grace", "grace", shows("/members", "#members-grace")),
    Stop("members-locked", "newcomer", shows("/members", "#members-locked")),
    Stop("members-expired", "expired", shows("/members", '#members-locked[data-access="expired"]')),
    Stop("receipt", "subscriber", receipt),
    Stop("receipt-not-found", "subscriber", shows("/receipts/2000-01-999999", "#not-found")),
    # The same pages read in Nepali (Devanagari text, `<html lang="ne">`): a reader of Nepali, or a stranger.
    Stop("catalog-in-nepali", None, nepali("/", "#catalog .plan-card")),
    Stop(
        "register-errors-in-nepali",
        None,
        then(
            nepali("/register", "#register"),
            fill_and_send(
                {
                    "#username": f"{PREFIX}ne",
                    "#email": f"{PREFIX}ne@example.com",
                    "#password": "short",
                    "#confirm_password": "short",
                },
                "#register",
                "#password-error",
            ),
        ),
    ),
    Stop("checkout-in-nepali", "nepali", nepali("/checkout/basic", "#pay-with-khalti")),
    Stop("dashboard-in-nepali", "nepali", nepali("/dashboard", '[data-status="active"]')),
    Stop("profile-in-nepali", "nepali", nepali("/profile", "#profile-save")),
    Stop("members-in-nepali", "nepali", nepali("/members", "#members-content")),
    Stop(
        "receipt-in-nepali", "nepali", then(nepali("/dashboard", ".receipt-link"), click(".receipt-link", "#receipt"))
    ),
    Stop("admin-plans", "admin", shows("/admin/plans", "#admin-plans")),
    Stop(
        "admin-plans-delete-dialog",
        "admin",
        then(shows("/admin/plans", "#admin-plans"), click(".plan-delete:not([disabled])", "[role=dialog]")),
    ),
    Stop(
        "admin-plan-form-errors",
        "admin",
        then(
            shows("/admin/plans", "#plan-save"),
            fill_and_send({"#plan-name": "", "#plan-price": "ten rupees"}, "#plan-save", "#plan-price-error"),
        ),
    ),
    Stop("admin-payments", "admin", shows("/admin/payments", "#admin-payments")),
    Stop("admin-payments-charts", "admin", shows("/admin/payments", "#revenue-chart")),
    Stop(
        "admin-payment-refund-dialog",
        "admin",
        then(
            shows("/admin/payments", "#admin-payments"),
            click('.admin-payment-row[data-status="completed"] .payment-open', "#payment-detail"),
            click("#payment-refund", "[role=dialog]"),
        ),
    ),
    Stop(
        "admin-payments-no-match",
        "admin",
        then(
            shows("/admin/payments", "#admin-payments"),
            fill_and_send({"#payment-search": "nothing-matches-this"}, "#payment-search-submit", ".empty-state"),
        ),
        empty_state=True,
    ),
    Stop("admin-mail", "admin", shows("/admin/mail", "#admin-mail")),
    Stop(
        "admin-mail-retry-dialog",
        "admin",
        then(shows("/admin/mail", "#admin-mail"), click(".retry-mail", "[role=dialog]")),
    ),
    Stop("admin-api-keys", "admin", then(shows("/admin/api-keys", "#create-key"), new_api_key)),
    Stop(
        "admin-api-keys-revoke-dialog",
        "admin",
        then(shows("/admin/api-keys", "#create-key"), new_api_key, click(".revoke-key", "[role=dialog]")),
    ),
)


# -- the accounts ------------------------------------------------------------------------------------------------


def _period(server: Server, user_id: int, ends_in: timedelta) -> None:
    """A 30-day Basic period ending `ends_in` from now, written straight to the database (no clock to move)."""
    now = datetime.now(UTC)
    with Session(make_engine(f"sqlite:///{server.db_path}")) as session:
        plan = session.exec(select(Plan).where(Plan.slug == "basic")).one()
        session.add(
            SubscriptionPeriod(
                user_id=user_id,
                plan_id=plan.id,
                starts_at=now + ends_in - timedelta(days=30),
                ends_at=now + ends_in,
                created_at=now - timedelta(days=30),
                note="a11y: a period in a given state",
            )
        )
        session.commit()


def _failed_mail(server: Server) -> None:
    """A message the SMTP server refused for good, so the outbox has one to retry."""
    with Session(make_engine(f"sqlite:///{server.db_path}")) as session:
        session.add(
            OutboxMessage(
                key=f"a11y-failed:{secrets.token_hex(4)}",
                template="verify_email",
                context={},
                to_address=f"{PREFIX}bounced@example.com",
                message_id=f"<{secrets.token_hex(8)}@a11y.example>",
                status=MailStatus.FAILED,
                attempts=5,
                last_error="550 5.1.1 mailbox unavailable",
            )
        )
        session.commit()


def _context(browser: Browser, server: Server, storage: Any = None):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server.url, storage_state=storage)
    context.set_default_timeout(20_000)
    context.set_default_navigation_timeout(60_000)
    return context


@pytest.fixture(scope="module")
def accounts(browser: Browser, e2e_server: Server, db: Db, visits: Visits, artifacts: Path) -> Accounts:
    """A subscriber (confirmed, paid on the emulator), two payers, a newcomer, one in each end state, a subscriber
    who reads Nepali, the admin."""
    found = Accounts()

    def person(who: str, make: Callable[[Journey], None]) -> None:
        context = _context(browser, e2e_server)
        try:
            j = Journey(context, context.new_page(), e2e_server, db, visits, artifacts, f"a11y-setup-{who}")
            make(j)
            found.storage[who] = context.storage_state()
        finally:
            context.close()

    def subscriber(j: Journey) -> None:
        j.register(f"{PREFIX}sita")
        j.confirm_email(f"{PREFIX}sita@example.com")
        j.buy("basic")
        j.open_dashboard("active")
        found.receipt_path = j.page.locator(".receipt-link").first.get_attribute("href") or ""
        assert found.receipt_path.startswith("/receipts/"), found.receipt_path

    def nepali_subscriber(j: Journey) -> None:
        j.register(f"{PREFIX}nirmala")
        j.buy("basic")
        in_nepali(j)  # kept in the browser and on the account

    def ending(name: str, ends_in: timedelta) -> Callable[[Journey], None]:
        return lambda j: _period(e2e_server, j.register(f"{PREFIX}{name}"), ends_in)

    person("subscriber", subscriber)
    person("payer", lambda j: j.register(f"{PREFIX}pavan"))  # two payers: 5 checkouts each in 10 minutes
    person("payer2", lambda j: j.register(f"{PREFIX}prabha"))
    person("newcomer", lambda j: j.register(f"{PREFIX}nabin"))
    person("expiring", ending("esha", timedelta(days=3)))
    person("grace", ending("gopal", -timedelta(days=1)))
    person("expired", ending("elina", -timedelta(days=30)))
    person("nepali", nepali_subscriber)
    person("admin", lambda j: j.sign_in(ADMIN_USERNAME, ADMIN_PASSWORD))
    _failed_mail(e2e_server)
    return found


@pytest.fixture
def visitor(
    browser: Browser, e2e_server: Server, db: Db, visits: Visits, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[[str | None, Accounts], Journey]]:
    """Opens a fresh context for a stop, signed in as the stop's account (or nobody); closed afterwards."""
    opened = []

    def open_as(who: str | None, found: Accounts) -> Journey:
        context = _context(browser, e2e_server, found.storage[who] if who else None)
        opened.append(context)
        return Journey(context, context.new_page(), e2e_server, db, visits, artifacts, f"a11y-{request.node.name}")

    yield open_as
    for context in opened:
        if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
            for page in context.pages:
                page.screenshot(path=str(artifacts / f"FAILED-a11y-{request.node.callspec.id}.png"), full_page=True)
        context.close()


@pytest.mark.parametrize("stop", STOPS, ids=[s.name for s in STOPS])
def test_no_serious_accessibility_finding(stop: Stop, accounts: Accounts, visitor) -> None:
    j = visitor(stop.who, accounts)
    stop.reach(j, accounts)
    j.record()  # for the secret scan, like every page a journey sees
    problems = audit(j.page, stop.name, empty_state=stop.empty_state)
    assert not problems, f"{stop.name} ({j.page.url}):\n" + "\n".join(problems)


def test_every_stop_has_its_own_name() -> None:
    names = [s.name for s in STOPS]
    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z0-9-]+", n) for n in names)
