"""What the admin API keys page shows: each key's label, prefix and dates as text, never its value or hash."""

from __future__ import annotations

from dataclasses import dataclass

from khalti_portal.billing.admin.api_keys import ApiKeyRow
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar


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
    def of(cls, row: ApiKeyRow, calendar: Calendar) -> ApiKeyRowView:
        """Shape a billing row for the page, its dates in `calendar`."""
        return cls(
            id=row.id,
            label=row.label,
            prefix=row.prefix,
            created=format_moment_or_ad(row.created_at, calendar),
            last_used=format_moment_or_ad(row.last_used_at, calendar) if row.last_used_at is not None else "never",
            revoked=format_moment_or_ad(row.revoked_at, calendar) if row.revoked_at is not None else "",
            is_revoked=row.revoked,
        )
