"""What the admin API keys page shows: each key's label, prefix and dates as text, never its value or hash."""

from __future__ import annotations

from dataclasses import dataclass

from khalti_portal.billing.admin.api_keys import ApiKeyRow
from khalti_portal.billing.nepal_time import format_nepal


@dataclass
class ApiKeyRowView:
    """One row of the API keys table."""

    id: int = 0
    label: str = ""
    prefix: str = ""
    created: str = ""  # Nepal time
    last_used: str = ""  # Nepal time, or "never"
    revoked: str = ""  # Nepal time, or "" while the key works
    is_revoked: bool = False

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKeyRowView:
        """Shape a billing row for the page."""
        return cls(
            id=row.id,
            label=row.label,
            prefix=row.prefix,
            created=format_nepal(row.created_at),
            last_used=format_nepal(row.last_used_at) if row.last_used_at is not None else "never",
            revoked=format_nepal(row.revoked_at) if row.revoked_at is not None else "",
            is_revoked=row.revoked,
        )
