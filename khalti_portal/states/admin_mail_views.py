"""What the admin mail page shows: each outbox message and the counts per status, as text.

Small display objects built from `billing.admin.mail` rows: these are the only shapes of outbox data that
reach the browser (never a message's stored context).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from khalti_portal.billing.admin.mail import OutboxPage, OutboxRow
from khalti_portal.db.models import MailStatus
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.messages import Message, shown
from khalti_portal.i18n.numbers import format_number


@dataclass
class MailRowView:
    """One row of the outbox table."""

    id: int = 0
    queued: str = ""  # when it entered the outbox, Nepal time, in the admin's calendar
    to_address: str = ""
    subject: str = ""
    status: str = ""
    tries: int = 0
    tries_text: str = "0"  # the count as the reader writes it (Devanagari digits in Nepali)
    last_error: str = ""
    sent: str = ""
    next_try: str = ""  # when a queued message is tried next
    key: str = ""
    failed: bool = False  # only a failed message can be retried

    @classmethod
    def of(cls, row: OutboxRow, calendar: Calendar, language: Language = Language.EN) -> MailRowView:
        """Shape a billing row for the page, its dates in `calendar`, written in `language`.

        The subject is the recipient's (their language, not the admin's); the server's error is its own words.
        """
        waiting = row.status is MailStatus.QUEUED

        def moment(at: datetime) -> str:
            return format_moment_or_ad(at, calendar, language)

        return cls(
            id=row.id,
            queued=moment(row.created_at),
            to_address=row.to_address,
            subject=shown(row.subject, language) if isinstance(row.subject, Message) else row.subject,
            status=row.status.value,
            tries=row.attempts,
            tries_text=format_number(row.attempts, language),
            last_error=row.last_error,
            sent=moment(row.sent_at) if row.sent_at is not None else "",
            next_try=moment(row.next_attempt_at) if waiting else "",
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
    # The same counts as the reader writes them (Devanagari digits in Nepali).
    all_text: str = field(default="0", compare=False)
    queued_text: str = field(default="0", compare=False)
    sent_text: str = field(default="0", compare=False)
    failed_text: str = field(default="0", compare=False)

    @classmethod
    def of(cls, page: OutboxPage, language: Language = Language.EN) -> MailCountsView:
        """The counts of a billing page."""
        counts = page.counts
        numbers = {
            "all": page.all_count,
            "queued": counts.get(MailStatus.QUEUED.value, 0),
            "sent": counts.get(MailStatus.SENT.value, 0),
            "failed": counts.get(MailStatus.FAILED.value, 0),
        }
        texts = {f"{name}_text": format_number(n, language) for name, n in numbers.items()}
        return cls(**numbers, **texts)
