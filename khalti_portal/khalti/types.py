"""The values the Khalti client sends and returns: frozen dataclasses and the lookup status enum."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "AmountLine",
    "CustomerInfo",
    "InitiateResult",
    "LookupResult",
    "LookupStatus",
    "ProductDetail",
    "RefundResult",
]


class LookupStatus(StrEnum):
    """A payment's status as lookup reports it; anything unrecognised is UNKNOWN."""

    COMPLETED = "Completed"
    PENDING = "Pending"
    INITIATED = "Initiated"
    REFUNDED = "Refunded"
    PARTIALLY_REFUNDED = "Partially Refunded"
    EXPIRED = "Expired"
    USER_CANCELED = "User canceled"
    FAILED = "Failed"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, text: str) -> LookupStatus:
        """Map Khalti's text to a status, ignoring case and extra spaces; never raises."""
        if not isinstance(text, str):
            return cls.UNKNOWN
        return _STATUS_BY_KEY.get(_status_key(text), cls.UNKNOWN)


def _status_key(text: str) -> str:
    return " ".join(text.split()).casefold()


_STATUS_BY_KEY: dict[str, LookupStatus] = {_status_key(s.value): s for s in LookupStatus}
_STATUS_BY_KEY[_status_key("User cancelled")] = LookupStatus.USER_CANCELED


def _non_empty(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None and v != ""}


@dataclass(frozen=True)
class CustomerInfo:
    """The payer's details shown on Khalti's page; empty fields are not sent."""

    name: str = ""
    email: str = ""
    phone: str = ""

    def to_khalti(self) -> dict[str, str]:
        """Khalti's `customer_info` object, without empty fields."""
        return _non_empty({"name": self.name, "email": self.email, "phone": self.phone})


@dataclass(frozen=True)
class AmountLine:
    """One `amount_breakdown` line in paisa (negative for a discount)."""

    label: str
    amount: int

    def to_khalti(self) -> dict[str, Any]:
        """Khalti's `{label, amount}` object."""
        return _non_empty({"label": self.label, "amount": self.amount})


@dataclass(frozen=True)
class ProductDetail:
    """One `product_details` entry; prices in paisa."""

    identity: str
    name: str
    total_price: int
    quantity: int
    unit_price: int

    def to_khalti(self) -> dict[str, Any]:
        """Khalti's product object, without empty fields."""
        return _non_empty(
            {
                "identity": self.identity,
                "name": self.name,
                "total_price": self.total_price,
                "quantity": self.quantity,
                "unit_price": self.unit_price,
            }
        )


@dataclass(frozen=True)
class InitiateResult:
    """A started payment: send the user to `payment_url` before `expires_at`."""

    pidx: str
    payment_url: str
    expires_at: datetime
    expires_in: int | None
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class LookupResult:
    """What Khalti says about a payment now; `status_text` is exactly as sent."""

    pidx: str
    status: LookupStatus
    status_text: str
    total_amount: int
    transaction_id: str | None
    fee: int
    refunded: bool
    http_status: int
    raw: dict = field(repr=False, compare=False)


@dataclass(frozen=True)
class RefundResult:
    """Khalti accepted a refund; `detail` is its message."""

    detail: str
    raw: dict = field(repr=False, compare=False)
