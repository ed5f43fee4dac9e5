"""What the admin API keys page shows: each key's label, prefix and dates as text, never its value or hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from khalti_portal.billing.admin.api_keys import ApiKeyRow
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar

# TRANSLATORS: in the API keys table, a key nobody has used yet.
NEVER = N_("never")


@dataclass
class ApiKeyRowView:
    """One row of the API keys table."""

    id: int = 0
    label: str = ""
    prefix: str = ""
    created: str = ""  # Nepal time, in the admin's calendar
    last_used: str = ""  # Nepal time, or "never"
    revoked: str = ""  # Nepal time, or "" while the key works
    is_revoked: bool = False

    @classmethod
    def of(cls, row: ApiKeyRow, calendar: Calendar, language: Language = Language.EN) -> ApiKeyRowView:
        """Shape a billing row for the page, its dates in `calendar`, written in `language`."""

        def moment(at: datetime) -> str:
            return format_moment_or_ad(at, calendar, language)

        return cls(
            id=row.id,
            label=row.label,
            prefix=row.prefix,
            created=moment(row.created_at),
            last_used=moment(row.last_used_at) if row.last_used_at is not None else translate(language, NEVER),
            revoked=moment(row.revoked_at) if row.revoked_at is not None else "",
            is_revoked=row.revoked,
        )
