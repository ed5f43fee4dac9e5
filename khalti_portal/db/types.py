"""Column types: UTC-aware datetimes (SQLite hands them back naive), and StrEnums stored as their values."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import TypeVar

from sqlalchemy import DateTime, String
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC; refuses naive ones so no local time slips in."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Convert to UTC on the way in."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite stores no offset: keep the stored text plain UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Attach UTC on the way out."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A StrEnum kept as its value in a plain string column ('completed', never 'COMPLETED'); read back as the enum.

    `sa.Enum` would store member names and, on PostgreSQL, create a type of its own: this keeps the column
    the VARCHAR it always was, so neither the stored text nor the schema changes. An unknown string is
    refused on the way in and on the way out, naming the enum.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int) -> None:
        """`enum_class` members in a String(`length`) column."""
        super().__init__(length)
        self.enum_class = enum_class
        self.length = length

    def _member(self, value: object) -> E:
        try:
            return self.enum_class(value)
        except ValueError:
            allowed = ", ".join(member.value for member in self.enum_class)
            raise ValueError(f"{value!r} is not a {self.enum_class.__name__} (one of {allowed})") from None

    def process_bind_param(self, value: object, dialect) -> str | None:
        """The member's value (a member or its value may be given)."""
        return None if value is None else self._member(value).value

    def process_result_value(self, value: str | None, dialect) -> E | None:
        """The member the stored text names."""
        return None if value is None else self._member(value)
