"""Canned Khalti response bodies, copied from /work/shared/KHALTI.md, for any test that fakes Khalti."""

from __future__ import annotations

from typing import Any

PIDX = "HT6o6PEZRWFJ5ygavzHWd5"
TRANSACTION_ID = "GFq9PFS7b2iYvL8Lir9oXe"

INITIATE_OK: dict[str, Any] = {
    "pidx": "bZQLD9wRVWo4CdESSfuSsB",
    "payment_url": "https://test-pay.khalti.com/?pidx=bZQLD9wRVWo4CdESSfuSsB",
    "expires_at": "2023-05-25T16:26:16.471649+05:45",
    "expires_in": 1800,
}


def lookup_body(
    status: str,
    *,
    pidx: str = PIDX,
    total_amount: int = 1000,
    transaction_id: str | None = TRANSACTION_ID,
    fee: int = 0,
    refunded: bool = False,
) -> dict[str, Any]:
    """A lookup answer in Khalti's shape."""
    return {
        "pidx": pidx,
        "total_amount": total_amount,
        "status": status,
        "transaction_id": transaction_id,
        "fee": fee,
        "refunded": refunded,
    }


LOOKUP_COMPLETED = lookup_body("Completed")
LOOKUP_PENDING = lookup_body("Pending", transaction_id=None)
LOOKUP_INITIATED = lookup_body("Initiated", transaction_id=None)
LOOKUP_REFUNDED = lookup_body("Refunded", refunded=True)
LOOKUP_PARTIALLY_REFUNDED = lookup_body("Partially Refunded", refunded=True)
LOOKUP_PARTIALLY_REFUNDED_LOWER = lookup_body("Partially refunded", refunded=True)
LOOKUP_EXPIRED = lookup_body("Expired", transaction_id=None)  # HTTP 400
LOOKUP_USER_CANCELED = lookup_body("User canceled", transaction_id=None)  # HTTP 400
LOOKUP_FAILED = lookup_body("Failed", transaction_id=None)

BLANK_RETURN_URL = {"return_url": ["This field may not be blank."], "error_key": "validation_error"}
INVALID_RETURN_URL = {"return_url": ["Enter a valid URL."], "error_key": "validation_error"}
INVALID_WEBSITE_URL = {"website_url": ["Enter a valid URL."], "error_key": "validation_error"}
AMOUNT_BELOW_MINIMUM = {
    "amount": ["Amount should be greater than Rs. 10, that is 1000 paisa."],
    "error_key": "validation_error",
}
AMOUNT_NOT_INTEGER = {"amount": ["A valid integer is required."], "error_key": "validation_error"}
BREAKDOWN_MISMATCH = {"amount": ["Amount Breakdown mismatch."], "error_key": "validation_error"}
BLANK_PURCHASE_ORDER_ID = {"purchase_order_id": ["This field may not be blank."], "error_key": "validation_error"}

INVALID_TOKEN = {"detail": "Invalid token.", "status_code": 401}
NO_CREDENTIALS = {"detail": "Authentication credentials were not provided.", "status_code": 401}
NOT_FOUND = {"detail": "Not found.", "error_key": "validation_error"}

REFUND_OK = {"detail": "Transaction refund successful."}

HTML_ERROR_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
)
