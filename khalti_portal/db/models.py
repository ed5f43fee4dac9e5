"""The portal's tables: plans, payments, subscription periods, the audit trail, user profiles, the mail outbox.

Money is integer paisa. Every datetime is a UTC-aware `UTCDateTime`. reflex-local-auth's own
tables (`localuser`, `localauthsession`) are imported so they share this metadata (through `local_auth`,
which leaves that package's states out of the app).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, Text, UniqueConstraint, func
from sqlalchemy import true as sa_true
from sqlmodel import Field, SQLModel

from khalti_portal.clock import utcnow
from khalti_portal.config import KHALTI_ENVS, get_settings
from khalti_portal.db.local_auth import LocalAuthSession, LocalUser
from khalti_portal.db.types import EnumText, UTCDateTime

__all__ = [
    "AccountToken",
    "ApiKey",
    "Invoice",
    "InvoiceCounter",
    "LocalAuthSession",
    "LocalUser",
    "MailStatus",
    "OutboxMessage",
    "Payment",
    "PaymentEvent",
    "PaymentStatus",
    "Plan",
    "SubscriptionPeriod",
    "ThrottleMark",
    "UserProfile",
]

MIN_PRICE_PAISA = 1000  # Khalti refuses wallet payments under Rs 10.


def _utc_column(*, nullable: bool, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def _created_column() -> Any:
    return Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))


def configured_khalti_mode() -> str:
    """The Khalti mode this process runs in: what a new payment is made in unless it is told otherwise."""
    return get_settings().khalti_env


class PaymentStatus(StrEnum):
    """Where a checkout attempt stands; see the state machine in ARCHITECTURE.md."""

    CREATED = "created"
    PENDING = "pending"
    COMPLETED = "completed"
    FLAGGED = "flagged"
    CANCELED = "canceled"
    EXPIRED = "expired"
    FAILED = "failed"
    REFUNDED = "refunded"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class Plan(SQLModel, table=True):
    """Something a subscriber can buy: a price for a number of days of access."""

    __table_args__ = (
        CheckConstraint(f"price_paisa >= {MIN_PRICE_PAISA}", name="ck_plan_price_min"),
        CheckConstraint("duration_days >= 1", name="ck_plan_duration_min"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(64), unique=True, nullable=False, index=True))
    name: str = Field(sa_column=Column(String(120), nullable=False))
    description: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    features: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # The same two in Nepali, for readers who chose it ("" = show the ones above). The name stays one name.
    description_ne: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    features_ne: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    # What the plan unlocks, as short slugs (`downloads`, `priority-support`): the members area and the
    # entitlement API read these; `features` above is only the catalog card's lines.
    feature_keys: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    price_paisa: int
    duration_days: int
    is_active: bool = Field(default=True)
    sort_order: int = Field(default=0)
    created_at: datetime = _created_column()
    updated_at: datetime = _created_column()

    def feature_list(self) -> list[str]:
        """The features, one per non-blank line."""
        return _lines(self.features)

    def description_in(self, language: str) -> str:
        """The description a reader of `language` ("en", "ne") sees: the Nepali one when there is one."""
        return self.description_ne if language == "ne" and self.description_ne.strip() else self.description

    def features_in(self, language: str) -> list[str]:
        """The features a reader of `language` sees: the Nepali lines when there are any."""
        return (_lines(self.features_ne) if language == "ne" else []) or self.feature_list()


class Payment(SQLModel, table=True):
    """One checkout attempt, with a snapshot of what was bought at the price of that moment."""

    __table_args__ = (
        CheckConstraint(f"amount_paisa >= {MIN_PRICE_PAISA}", name="ck_payment_amount_min"),
        CheckConstraint(f"khalti_mode IN {KHALTI_ENVS!r}", name="ck_payment_khalti_mode"),
        Index("ix_payment_status_next_check", "status", "next_check_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    purchase_order_id: str = Field(sa_column=Column(String(64), unique=True, nullable=False, index=True))
    user_id: int = Field(foreign_key="localuser.id", index=True)
    plan_id: int = Field(foreign_key="plan.id", index=True)
    amount_paisa: int
    plan_name: str = Field(sa_column=Column(String(120), nullable=False))
    duration_days: int
    # emulator / sandbox / live: a period paid in one mode gives no access in another (billing/periods.counts_in).
    khalti_mode: str = Field(default_factory=configured_khalti_mode, sa_column=Column(String(8), nullable=False))
    status: PaymentStatus = Field(
        default=PaymentStatus.CREATED, sa_column=Column(EnumText(PaymentStatus, 16), nullable=False, index=True)
    )
    pidx: str | None = Field(default=None, sa_column=Column(String(64), unique=True, nullable=True, index=True))
    payment_url: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    payment_url_expires_at: datetime | None = _utc_column(nullable=True)
    transaction_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True, index=True))
    fee_paisa: int | None = None
    last_lookup: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    failure_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _created_column()
    updated_at: datetime = _created_column()
    completed_at: datetime | None = _utc_column(nullable=True)
    refunded_at: datetime | None = _utc_column(nullable=True)
    refunded_paisa: int = Field(default=0)
    # When an admin asked Khalti for a refund: the reconciler looks the payment up until Khalti shows it.
    refund_requested_at: datetime | None = _utc_column(nullable=True)
    # The reconciler's bookkeeping: when to look again, how often it has, and who holds the lease.
    next_check_at: datetime | None = _utc_column(nullable=True)
    check_count: int = Field(default=0)
    # Lookups that said what the one before said and changed nothing: counted here, not audited row by row.
    repeat_lookups: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    claimed_until: datetime | None = _utc_column(nullable=True)
    claimed_by: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    # When a page last asked Khalti about it: pages may ask again only after a while (billing/page_limits),
    # claimed with the same statement that reads the payment.
    page_lookup_at: datetime | None = _utc_column(nullable=True)


class SubscriptionPeriod(SQLModel, table=True):
    """One paid (or admin-granted) stretch of access; a user's expiry is derived from these."""

    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ck_period_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="localuser.id", index=True)
    plan_id: int | None = Field(default=None, foreign_key="plan.id", index=True)
    # One period per payment; NULL for a period an admin granted by hand.
    payment_id: int | None = Field(default=None, foreign_key="payment.id", unique=True)
    starts_at: datetime = _created_column()
    ends_at: datetime = _created_column()
    revoked_at: datetime | None = _utc_column(nullable=True)
    revoke_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    granted_by: int | None = Field(default=None, foreign_key="localuser.id")
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = _created_column()


class PaymentEvent(SQLModel, table=True):
    """Append-only audit: every lookup, every transition, every admin decision, and why."""

    id: int | None = Field(default=None, primary_key=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="localuser.id", index=True)
    source: str = Field(sa_column=Column(String(16), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    actor_user_id: int | None = Field(default=None, foreign_key="localuser.id")
    from_status: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    to_status: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    khalti_response: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True))


class UserProfile(SQLModel, table=True):
    """What we keep beside reflex-local-auth's user: the admin role and contact details."""

    user_id: int = Field(foreign_key="localuser.id", primary_key=True)
    is_admin: bool = Field(default=False)
    display_name: str = Field(default="", sa_column=Column(String(120), nullable=False, server_default=""))
    email: str = Field(default="", sa_column=Column(String(254), nullable=False, server_default=""))
    # Set when the owner opened the link mailed to `email`; cleared whenever `email` changes.
    email_verified_at: datetime | None = _utc_column(nullable=True)
    # Renewal reminders (billing/reminders.py); off by the mail's one-click unsubscribe or the profile switch.
    reminders_enabled: bool = Field(default=True, sa_column_kwargs={"server_default": sa_true()})
    phone: str = Field(default="", sa_column=Column(String(20), nullable=False, server_default=""))
    # A business buying may put its PAN on its invoices (9 digits); empty for a person.
    pan: str = Field(default="", sa_column=Column(String(9), nullable=False, server_default=""))
    # How this person reads dates ("ad", "bs", "both") and which language; "" is the site's default.
    calendar: str = Field(default="", sa_column=Column(String(4), nullable=False, server_default=""))
    language: str = Field(default="", sa_column=Column(String(8), nullable=False, server_default=""))
    created_at: datetime = _created_column()


# One account per address, whatever its case; an empty email (none given) is no address.
Index(
    "uq_userprofile_email_lower",
    func.lower(UserProfile.__table__.c.email),
    unique=True,
    sqlite_where=UserProfile.__table__.c.email != "",
    postgresql_where=UserProfile.__table__.c.email != "",
)


# `Admin` and `admin` are one person: reflex-local-auth's own unique index is case-sensitive.
Index("uq_localuser_username_lower", func.lower(LocalUser.__table__.c.username), unique=True)


class ThrottleMark(SQLModel, table=True):
    """One counted action (a failed sign-in, a registration, a lookup) under a throttle key.

    The database backend of `khalti_portal.throttle`, used when no Redis is configured; a row is
    worth nothing after `expires_at` and is pruned.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))


class MailStatus(StrEnum):
    """Where an outbox message stands: waiting (for its turn or for SMTP), handed over, or given up on."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(SQLModel, table=True):
    """One email, written in the same transaction as the change that causes it; `khalti_portal.mail` sends it.

    `key` names the message in the business (`payment-completed:42`): queuing a key twice is a no-op, so
    a message is queued at most once whatever races or retries happen. `message_id` is fixed when it is
    queued, so a resend after a dropped connection carries the same Message-ID.
    """

    __table_args__ = (Index("ix_outboxmessage_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(200), unique=True, nullable=False))
    template: str = Field(sa_column=Column(String(64), nullable=False))
    # What the template fills in: plain strings a person reads (names, dates, links), never a secret.
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    to_address: str = Field(sa_column=Column(String(254), nullable=False))
    message_id: str = Field(sa_column=Column(String(255), unique=True, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="localuser.id", index=True)
    payment_id: int | None = Field(default=None, foreign_key="payment.id", index=True)
    status: MailStatus = Field(
        default=MailStatus.QUEUED, sa_column=Column(EnumText(MailStatus, 16), nullable=False, index=True)
    )
    # Tries the SMTP server answered with a temporary refusal or dropped; an unreachable server costs none.
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _created_column()
    last_attempt_at: datetime | None = _utc_column(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    claimed_until: datetime | None = _utc_column(nullable=True)
    claimed_by: str | None = Field(default=None, sa_column=Column(String(128), nullable=True))
    created_at: datetime = _created_column()
    sent_at: datetime | None = _utc_column(nullable=True)


class AccountToken(SQLModel, table=True):
    """A link mailed to a person (verify an address, reset a password): only its SHA-256 is kept.

    It works once (`used_at`), until `expires_at`; issuing a newer one of the same purpose spends the older.
    A verification token names the address it verifies: it is void once the profile's email changes.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="localuser.id", index=True)
    purpose: str = Field(sa_column=Column(String(16), nullable=False))
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    email: str = Field(default="", sa_column=Column(String(254), nullable=False, server_default=""))
    created_at: datetime = _created_column()
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = _utc_column(nullable=True)


class InvoiceCounter(SQLModel, table=True):
    """The last number given in one series and fiscal year; its row is locked while the next is taken.

    Taking a number is an UPDATE in the transaction that completes the payment: a rolled-back payment
    rolls its number back too, so numbers are consecutive with no gaps and no duplicates.
    """

    series: str = Field(sa_column=Column(String(16), primary_key=True))  # INV, CN, TEST-INV, TEST-CN
    fiscal_year: str = Field(sa_column=Column(String(7), primary_key=True))  # 2083/84
    last_number: int = Field(default=0)


class Invoice(SQLModel, table=True):
    """An issued invoice (or credit note): every figure and word it shows, stored once and never changed.

    `number` is as printed (`2083/84-000123`, `CN-2083/84-000007`, `TEST-2083/84-000001`); `slug` is its
    URL form (`2083-84-000123`). `details` holds the rest of what the document shows (merchant, buyer,
    plan, period, Khalti transaction, order reference, BS and AD dates), so later edits change nothing.
    """

    __table_args__ = (UniqueConstraint("payment_id", "kind", name="uq_invoice_payment_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(sa_column=Column(String(40), unique=True, nullable=False))
    slug: str = Field(sa_column=Column(String(40), unique=True, nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # invoice, credit_note
    payment_id: int = Field(foreign_key="payment.id", index=True)
    user_id: int = Field(foreign_key="localuser.id", index=True)
    fiscal_year: str = Field(sa_column=Column(String(7), nullable=False))
    sequence: int
    is_test: bool = Field(default=False)  # emulator/sandbox payments: own series, not valid for tax
    issued_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    total_paisa: int
    taxable_paisa: int
    vat_paisa: int
    vat_rate_percent: int
    reverses_number: str | None = Field(default=None, sa_column=Column(String(40), nullable=True))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ApiKey(SQLModel, table=True):
    """A key the merchant's own systems use on the entitlement API: shown once, stored only as its SHA-256."""

    id: int | None = Field(default=None, primary_key=True)
    label: str = Field(sa_column=Column(String(80), nullable=False))
    prefix: str = Field(sa_column=Column(String(16), nullable=False))  # the first characters, to tell keys apart
    key_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = _created_column()
    created_by: int | None = Field(default=None, foreign_key="localuser.id")
    last_used_at: datetime | None = _utc_column(nullable=True)
    revoked_at: datetime | None = _utc_column(nullable=True)
    revoked_by: int | None = Field(default=None, foreign_key="localuser.id")
