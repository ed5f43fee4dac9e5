"""Request validation the way Khalti's Django REST Framework serializers do it.

Khalti reports every invalid field at once as `{"field": ["message"], "error_key": "validation_error"}`.
The field rules copy DRF's: a missing field is "required", `null` "may not be null", a blank or
whitespace-only string "may not be blank"; CharFields accept numbers (turned into text) but not
booleans, lists or objects; IntegerFields accept `1000`, `"1000"` and `1000.0` but not `1000.5`,
`"abc"` or `true`; URLFields use Django's URLValidator (http/https/ftp/ftps, a dotted host name,
`localhost` or an IP address).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."
NOT_A_STRING = "Not a valid string."
INVALID_URL = "Enter a valid URL."
INVALID_INTEGER = "A valid integer is required."
STRING_TOO_LARGE = "String value too large."
MIN_AMOUNT = "Amount should be greater than Rs. 10, that is 1000 paisa."
BREAKDOWN_MISMATCH = "Amount Breakdown mismatch."

MIN_AMOUNT_PAISA = 1000
_MAX_BIGINT = 2**63 - 1  # beyond this SQLite cannot store the amount
_MAX_INT_STRING = 1000  # DRF's IntegerField.MAX_STRING_LENGTH
_DRF_DECIMAL_SUFFIX = re.compile(r"\.0*\s*$")  # DRF's IntegerField.re_decimal: "1000.0" is 1000

# Django's URLValidator, verbatim in substance.
_UL = "\u00a1-\uffff"
_IPV4 = (
    r"(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)"
    r"(?:\.(?:0|25[0-5]|2[0-4][0-9]|1[0-9]?[0-9]?|[1-9][0-9]?)){3}"
)
_IPV6 = r"\[[0-9a-f:.]+\]"
_HOSTNAME = r"[a-z" + _UL + r"0-9](?:[a-z" + _UL + r"0-9-]{0,61}[a-z" + _UL + r"0-9])?"
_DOMAIN = r"(?:\.(?!-)[a-z" + _UL + r"0-9-]{1,63}(?<!-))*"
_TLD = r"\.(?!-)(?:[a-z" + _UL + r"-]{2,63}|xn--[a-z0-9]{1,59})(?<!-)\.?"
_HOST = "(" + _HOSTNAME + _DOMAIN + _TLD + "|localhost)"
_URL_RE = re.compile(
    r"^(?:[a-z0-9.+-]*)://"
    r"(?:[^\s:@/]+(?::[^\s:@/]*)?@)?"
    r"(?:" + _IPV4 + "|" + _IPV6 + "|" + _HOST + ")"
    r"(?::[0-9]{1,5})?"
    r"(?:[/?#][^\s]*)?"
    r"\Z",
    re.IGNORECASE,
)
_URL_SCHEMES = ("http", "https", "ftp", "ftps")
_URL_MAX_LENGTH = 2048

Errors = dict[str, list[Any]]
_MISSING: Any = object()


class FieldError(ValueError):
    """One field's message."""


@dataclass(frozen=True)
class InitiateRequest:
    """A valid `epayment/initiate/` body."""

    return_url: str
    website_url: str
    amount: int
    purchase_order_id: str
    purchase_order_name: str
    extra: dict[str, Any] = field(default_factory=dict)  # customer_info, product_details, merchant_*


def is_valid_url(value: str) -> bool:
    """Django's URLValidator: scheme, host (dotted name, localhost or IP), optional port and path."""
    if len(value) > _URL_MAX_LENGTH or any(c in value for c in "\t\r\n"):
        return False
    scheme = value.split("://", 1)[0].lower()
    if scheme not in _URL_SCHEMES or not _URL_RE.match(value):
        return False
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return len(host) <= 253


def to_char(value: Any) -> str:
    """DRF CharField(trim_whitespace=True, allow_blank=False) on a present value."""
    if value is None:
        raise FieldError(NULL)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(NOT_A_STRING)
    text = str(value).strip()
    if not text:
        raise FieldError(BLANK)
    return text


def to_url(value: Any) -> str:
    """DRF URLField on a present value."""
    text = to_char(value)
    if not is_valid_url(text):
        raise FieldError(INVALID_URL)
    return text


def to_integer(value: Any) -> int:
    """DRF IntegerField on a present value."""
    if value is None:
        raise FieldError(NULL)
    if isinstance(value, str) and len(value) > _MAX_INT_STRING:
        raise FieldError(STRING_TOO_LARGE)
    if isinstance(value, bool):  # str(True) is "True": DRF rejects it the same way
        raise FieldError(INVALID_INTEGER)
    try:
        number = int(_DRF_DECIMAL_SUFFIX.sub("", str(value)))
    except (TypeError, ValueError):
        raise FieldError(INVALID_INTEGER) from None
    if abs(number) > _MAX_BIGINT:
        raise FieldError(f"Ensure this value is less than or equal to {_MAX_BIGINT}.")
    return number


def _take(data: Mapping[str, Any], name: str, convert: Any, errors: Errors) -> Any:
    value = data.get(name, _MISSING)
    if value is _MISSING:
        errors[name] = [REQUIRED]
        return None
    try:
        return convert(value)
    except FieldError as exc:
        errors[name] = [str(exc)]
        return None


def _breakdown_total(value: Any, errors: Errors) -> int | None:
    """Sum of a valid `amount_breakdown`, or None (absent, empty, or invalid — then `errors` says why)."""
    if value is None or value == []:
        return None
    if not isinstance(value, list):
        errors["amount_breakdown"] = [f'Expected a list of items but got type "{type(value).__name__}".']
        return None
    item_errors: list[dict[str, list[str]]] = []
    total = 0
    for item in value:
        if not isinstance(item, dict):
            item_errors.append(
                {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(item).__name__}."]}
            )
            continue
        problems: Errors = {}
        _take(item, "label", to_char, problems)
        amount = _take(item, "amount", to_integer, problems)
        item_errors.append(problems)
        total += amount or 0
    if any(item_errors):
        errors["amount_breakdown"] = item_errors
        return None
    return total


def validate_initiate(data: Mapping[str, Any]) -> tuple[InitiateRequest | None, Errors]:
    """The request, or the DRF-style field errors (without `error_key`)."""
    errors: Errors = {}
    return_url = _take(data, "return_url", to_url, errors)
    website_url = _take(data, "website_url", to_url, errors)
    amount = _take(data, "amount", to_integer, errors)
    if amount is not None and amount < MIN_AMOUNT_PAISA:
        errors["amount"] = [MIN_AMOUNT]
        amount = None
    purchase_order_id = _take(data, "purchase_order_id", to_char, errors)
    purchase_order_name = _take(data, "purchase_order_name", to_char, errors)
    breakdown_total = _breakdown_total(data.get("amount_breakdown"), errors)
    # Like a serializer's validate(): the cross-field check runs only once every field is valid.
    if not errors and breakdown_total is not None and breakdown_total != amount:
        errors["amount"] = [BREAKDOWN_MISMATCH]
    if errors:
        return None, errors
    extra = {
        key: value
        for key, value in data.items()
        if key in ("customer_info", "amount_breakdown", "product_details") or key.startswith("merchant_")
    }
    return (
        InitiateRequest(
            return_url=return_url,
            website_url=website_url,
            amount=amount,
            purchase_order_id=purchase_order_id,
            purchase_order_name=purchase_order_name,
            extra=extra,
        ),
        {},
    )


def validate_lookup(data: Mapping[str, Any]) -> tuple[str | None, Errors]:
    """The pidx of a lookup body, or its field errors."""
    errors: Errors = {}
    pidx = _take(data, "pidx", to_char, errors)
    return pidx, errors


def validate_refund(data: Mapping[str, Any]) -> tuple[int | None, Errors]:
    """The partial refund amount (None: refund everything left), or field errors."""
    if data.get("amount") in (None, ""):
        return None, {}
    errors: Errors = {}
    amount = _take(data, "amount", to_integer, errors)
    if amount is not None and amount < 1:
        errors["amount"] = ["Ensure this value is greater than or equal to 1."]
    return (None, errors) if errors else (amount, {})
