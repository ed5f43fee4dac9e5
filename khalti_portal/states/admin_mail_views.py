"""What the admin mail page shows: each outbox message and the counts per status, as text.

Small display objects built from `billing.admin.mail` rows: these are the only shapes of outbox data that
reach the browser (never a message's stored context).
"""

from __future__ import annotations

from dataclasses import dataclass

from khalti_portal.billing.admin.mail import OutboxPage, OutboxRow
from khalti_portal.db.models import MailStatus
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar


@dataclass
class MailRowView:
    """One row of the outbox table."""

    id: int = 0
    queued: str = ""  # when it entered the outbox, Nepal time, in the admin's calendar
    to_address: str = ""
    subject: str = ""
    status: str = ""
    tries: int = 0
    last_error: str = ""
    sent: str = ""
    next_try: str = ""  # when a queued message is tried next
    key: str = ""
    failed: bool = False  # only a failed message can be retried

    @classmethod
    def of(cls, row: OutboxRow, calendar: Calendar) -> MailRowView:
        """Shape a billing row for the page, its dates in `calendar`."""
        waiting = row.status is MailStatus.QUEUED
        return cls(
            id=row.id,
            queued=format_moment_or_ad(row.created_at, calendar),
            to_address=row.to_address,
            subject=row.subject,
            status=row.status.value,
            tries=row.attempts,
            last_error=row.last_error,
            sent=format_moment_or_ad(row.sent_at, calendar) if row.sent_at is not None else "",
            next_try=format_moment_or_ad(row.next_attempt_at, calendar) if waiting else "",
            key=row.key,
            failed=row.status is MailStatus.FAILED,
        )


@dataclass
class MailCountsView:
    """How many messages each status holds, and all of them."""

    all: int = 0
    queued: int = 0
    sent: int = 0
    failed: int = 0

    @classmethod
    def of(cls, page: OutboxPage) -> MailCountsView:
        """The counts of a billing page."""
        counts = page.counts
        return cls(
            all=page.all_count,
            queued=counts.get(MailStatus.QUEUED.value, 0),
            sent=counts.get(MailStatus.SENT.value, 0),
            failed=counts.get(MailStatus.FAILED.value, 0),
        )
