"""The mail outbox as admins see it: one page of messages (filter by status), counts per status, an audited retry.

`outbox_page` reads counts per status (one grouped query) and at most one page of messages, newest first;
each message's subject is rendered from its template as the recipient will read it (a message that cannot
be rendered shows its template name and why). An unknown status filter shows every message and says so.

`retry_message` gives a failed message a fresh set of tries (`mail.outbox.requeue_failed`, conditional on
`status = 'failed'`) and writes its audit row (kind `mail_retry`, the admin as actor) in the same
transaction: two admins retrying at once queue it once and leave one audit row. A message that is not
failed (already retried, sent, or unknown) is refused in words, with no audit row. The words are English
marked for the catalog (`N_`, or an `i18n.messages.Message` holding dates and addresses): the page shows them
in the admin's language with `in_language`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from khalti_portal.billing.admin.inputs import id_of
from khalti_portal.billing.admin.payments import page_of
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.config import Settings
from khalti_portal.db.models import MailStatus, OutboxMessage
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.messages import Message, Moment
from khalti_portal.mail.outbox import requeue_failed
from khalti_portal.mail.templates import TemplateError, render
from khalti_portal.reading_preferences import calendar_of

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
STATUSES: tuple[str, ...] = tuple(status.value for status in MailStatus)
_ALL_WORDS = ("", "all")  # what the browser may send for "every status"
_SHOWN_STATUS = 16  # an unknown filter is quoted back this far, no further


# -- one page of the outbox --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    """One outbox message as the admin page lists it."""

    id: int
    created_at: datetime
    to_address: str
    subject: str  # as the recipient reads it, or "<template> (cannot render: …)"
    status: MailStatus
    attempts: int
    last_error: str
    sent_at: datetime | None
    next_attempt_at: datetime
    key: str


@dataclass(frozen=True)
class OutboxPage:
    """One page of the outbox, how many messages each status holds, and what was wrong with the filter."""

    rows: tuple[OutboxRow, ...]
    counts: Mapping[str, int]  # every status in STATUSES, zeros included
    status: str  # the filter applied: "" for every status
    total: int  # messages the filter holds
    page: int
    pages: int
    page_size: int
    problem: str = ""  # set when the filter asked for was not used
    mail_waits: bool = False  # no SMTP server: nothing is sent until SMTP_HOST is set

    @property
    def all_count(self) -> int:
        """Messages in the outbox, whatever their status."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class _Filter:
    status: str  # "" for every status
    problem: str = ""


def _status_filter(value: object) -> _Filter:
    """The status the browser asked for, or every status (and why) when it named none we have."""
    if value is None or value in _ALL_WORDS:
        return _Filter("")
    if isinstance(value, str) and value in STATUSES:
        return _Filter(value)
    shown = str(value)[:_SHOWN_STATUS] if isinstance(value, str) else type(value).__name__
    problem = N_("There is no mail status {status}; showing every message (queued, sent or failed).")
    return _Filter("", Message(problem, status=repr(shown)))


def mail_waits(settings: Settings) -> bool:
    """Whether mail waits in the outbox: no SMTP_HOST, and not the emulator (which has a mailbox of its own)."""
    return settings.mail.smtp_host is None and settings.khalti_env != "emulator"


def subject_of(message: OutboxMessage, site_name: str) -> str:
    """The subject the recipient reads; the template name and why when the stored message cannot be rendered."""
    context = message.context
    if not isinstance(context, Mapping):
        why = Message(N_("its stored context is not a set of named values"))
        return Message(N_("{template} (cannot render: {why})"), template=message.template, why=why)
    try:
        return render(message.template, context, site_name=site_name).subject
    except TemplateError as exc:
        # The template's own words say why (mail's, in English): quoted as they are.
        return Message(N_("{template} (cannot render: {why})"), template=message.template, why=str(exc))


def _row(message: OutboxMessage, site_name: str) -> OutboxRow:
    return OutboxRow(
        id=int(message.id or 0),
        created_at=message.created_at,
        to_address=message.to_address,
        subject=subject_of(message, site_name),
        status=MailStatus(message.status),
        attempts=message.attempts,
        last_error=message.last_error or "",
        sent_at=message.sent_at,
        next_attempt_at=message.next_attempt_at,
        key=message.key,
    )


def _counts(session: Session) -> dict[str, int]:
    found = session.exec(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in found:
        counts[str(MailStatus(status))] = int(count)
    return counts


def outbox_page(
    status: object = None, page: object = 1, *, limit: int = PAGE_SIZE, deps: BillingDeps | None = None
) -> OutboxPage:
    """Messages of one status ("" or "all": every one), newest first, one page of at most `limit` of them.

    A page past the end shows the last page; an unknown status shows every message and `problem` says so.
    """
    deps = resolve(deps)
    flt = _status_filter(status)
    size = max(1, min(limit, MAX_PAGE_SIZE))
    with Session(deps.engine) as session:
        counts = _counts(session)
        total = counts[flt.status] if flt.status else sum(counts.values())
        pages = max(1, math.ceil(total / size))
        number = max(1, min(page_of(page), pages))
        query = select(OutboxMessage)
        if flt.status:
            query = query.where(OutboxMessage.status == flt.status)
        messages = session.exec(
            query.order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
            .offset((number - 1) * size)
            .limit(size)
        ).all()
        rows = tuple(_row(message, deps.settings.site_name) for message in messages)
    return OutboxPage(
        rows=rows,
        counts=counts,
        status=flt.status,
        total=total,
        page=number,
        pages=pages,
        page_size=size,
        problem=flt.problem,
        mail_waits=mail_waits(deps.settings),
    )


# -- retry -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryOutcome:
    """How a retry went: whether the message was queued again, and what to tell the admin."""

    ok: bool
    message: str
    message_id: int | None = None


def retry_message(message_id: object, *, actor_user_id: object, deps: BillingDeps | None = None) -> RetryOutcome:
    """Queue a failed message again (fresh tries, due now) and audit it, in one transaction; refuse anything else."""
    deps = resolve(deps)
    ident = id_of(message_id)
    if ident is None:
        return RetryOutcome(False, N_("There is no such message; reload the page and try again."))
    if not isinstance(actor_user_id, int) or isinstance(actor_user_id, bool):
        return RetryOutcome(False, N_("Only a signed-in admin can retry mail."), ident)
    now = deps.now()
    calendar = calendar_of(actor_user_id, engine=deps.engine)  # the acting admin reads the answer
    with session_scope(deps.engine) as session:
        # The conditional UPDATE comes first: it takes the row (PostgreSQL) or the database (SQLite) before
        # anything is read, so a second admin's retry finds the message queued and changes nothing.
        queued = requeue_failed(session, ident, now=now)
        message = session.get(OutboxMessage, ident, populate_existing=True)
        if message is None:
            # The id is a code, not a count: no grouping, no Devanagari digits.
            gone = Message(N_("There is no message #{id} in the outbox; reload the page and try again."), id=str(ident))
            return RetryOutcome(False, gone)
        if not queued:
            return RetryOutcome(False, _not_failed(message, calendar), ident)
        record_event(
            session,
            at=now,
            source=AuditSource.ADMIN,
            kind=AuditKind.MAIL_RETRY,
            payment_id=message.payment_id,
            user_id=message.user_id,
            actor_user_id=actor_user_id,
            from_status=MailStatus.FAILED.value,
            to_status=MailStatus.QUEUED.value,
            detail=_retry_detail(message),
        )
        to_address = message.to_address
    queued_again = (
        N_("Queued the message to {address} again: SMTP_HOST is not set, so it waits in the outbox until it is.")
        if mail_waits(deps.settings)
        else N_("Queued the message to {address} again: it goes out with the next send.")
    )
    return RetryOutcome(True, Message(queued_again, address=to_address), ident)


def _not_failed(message: OutboxMessage, calendar: Calendar) -> Message:
    """Why a message that is not failed is not retried: it is waiting already, or it was sent."""
    if message.status == MailStatus.SENT:
        if message.sent_at is not None:
            return Message(
                N_("The message to {address} was sent on {when}; nothing was changed."),
                address=message.to_address,
                when=Moment(message.sent_at, calendar),
            )
        return Message(N_("The message to {address} was sent; nothing was changed."), address=message.to_address)
    return Message(
        N_("The message to {address} is already queued (someone may have just retried it); nothing was changed."),
        address=message.to_address,
    )


def _retry_detail(message: OutboxMessage) -> str:
    """The audit row's words: which message, to whom, and the error it had (kept on the row until the next try)."""
    tried = f" (last tried {iso_utc(message.last_attempt_at)})" if message.last_attempt_at is not None else ""
    error = message.last_error or "no error recorded"
    return (
        f"mail retry: message #{message.id} {message.key!r} ({message.template}) to {message.to_address}; "
        f"it had failed{tried}: {error}"
    )
