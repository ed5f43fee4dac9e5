"""The Khalti gateway client: typed requests, results and errors, and nothing of our own app."""

from __future__ import annotations

from .client import DEFAULT_TIMEOUT, KhaltiClient
from .errors import (
    KhaltiAuthError,
    KhaltiError,
    KhaltiNotFoundError,
    KhaltiUnavailableError,
    KhaltiUnexpectedResponseError,
    KhaltiValidationError,
    UnavailableReason,
)
from .request_checks import MIN_AMOUNT_PAISA
from .types import (
    AmountLine,
    CustomerInfo,
    InitiateResult,
    LookupResult,
    LookupStatus,
    ProductDetail,
    RefundResult,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "MIN_AMOUNT_PAISA",
    "AmountLine",
    "CustomerInfo",
    "InitiateResult",
    "KhaltiAuthError",
    "KhaltiClient",
    "KhaltiError",
    "KhaltiNotFoundError",
    "KhaltiUnavailableError",
    "KhaltiUnexpectedResponseError",
    "KhaltiValidationError",
    "LookupResult",
    "LookupStatus",
    "ProductDetail",
    "RefundResult",
    "UnavailableReason",
]
