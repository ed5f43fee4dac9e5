"""What KhaltiClient refuses to send: bad keys and URLs, amounts, ids and fields, in Khalti's own words."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from .types import AmountLine, ProductDetail

MIN_AMOUNT_PAISA = 1000

# Khalti's (Django REST framework's) own wording, so a client-side refusal reads like a server one.
MSG_BLANK = "This field may not be blank."
MSG_NOT_STRING = "Not a valid string."
MSG_INTEGER = "A valid integer is required."
MSG_MIN_AMOUNT = "Amount should be greater than Rs. 10, that is 1000 paisa."
MSG_BREAKDOWN_MISMATCH = "Amount Breakdown mismatch."
MSG_MIN_ONE = "Ensure this value is greater than or equal to 1."
MSG_TRANSACTION_ID = "Enter a valid transaction id."

_SUMMARY_CHARS = 300
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9._~-]{1,200}")

Problems = dict[str, list[str]]
"""Field name → the messages refusing it, as DRF reports field errors."""


# -- what a client is built with -------------------------------------------------------------------


def check_secret_key(secret_key: str) -> str:
    """`secret_key` when it can go in an Authorization header; ValueError (never echoing it) otherwise."""
    if not isinstance(secret_key, str) or not secret_key.strip():
        raise ValueError("KhaltiClient needs a non-empty secret_key")
    if any(ch.isspace() or not ch.isprintable() for ch in secret_key):
        raise ValueError("KhaltiClient secret_key must not contain spaces or control characters")
    return secret_key


def check_base_url(base_url: str) -> str:
    """`base_url` ending in "/" when it is a plain http(s) prefix; ValueError otherwise."""
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"KhaltiClient base_url must be an http(s) URL such as https://khalti.com/, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"KhaltiClient base_url must have no query or fragment, got {base_url!r}")
    return base_url if base_url.endswith("/") else base_url + "/"


# -- what each call sends --------------------------------------------------------------------------


def initiate_problems(
    *,
    texts: Mapping[str, object],
    amount_paisa: object,
    lines: Sequence[AmountLine],
    products: Sequence[ProductDetail],
    merchant_extra: Mapping[str, object],
) -> Problems:
    """Why an initiate request would be refused: `texts` are its required text fields by name."""
    problems: Problems = {}
    for name, value in texts.items():
        _check_text(problems, name, value)
    amount_ok = _check_amount(problems, amount_paisa)
    if lines:
        if all(is_int(line.amount) for line in lines):
            if amount_ok and sum(line.amount for line in lines) != amount_paisa:
                _add(problems, "amount", MSG_BREAKDOWN_MISMATCH)
        else:
            _add(problems, "amount_breakdown", MSG_INTEGER)
    if not all(is_int(p.total_price) and is_int(p.quantity) and is_int(p.unit_price) for p in products):
        _add(problems, "product_details", MSG_INTEGER)
    for key, value in merchant_extra.items():
        if not isinstance(key, str) or not key.strip():
            _add(problems, "merchant_extra", MSG_BLANK)
        elif not isinstance(value, str):
            _add(problems, merchant_field(key), MSG_NOT_STRING)
    return problems


def merchant_field(key: str) -> str:
    """The name Khalti keeps an extra field under: `merchant_` first, added when missing."""
    return key if key.startswith("merchant_") else f"merchant_{key}"


def lookup_problems(pidx: object) -> Problems:
    """Why a lookup of `pidx` would be refused."""
    problems: Problems = {}
    _check_text(problems, "pidx", pidx)
    return problems


def refund_problems(transaction_id: object, amount_paisa: object | None, mobile: object | None) -> Problems:
    """Why a refund request would be refused: the id goes into the URL path, so it is held to a safe alphabet."""
    problems: Problems = {}
    if not isinstance(transaction_id, str):
        _add(problems, "transaction_id", MSG_NOT_STRING)
    elif not transaction_id.strip():
        _add(problems, "transaction_id", MSG_BLANK)
    elif not _TRANSACTION_ID.fullmatch(transaction_id) or transaction_id in (".", ".."):
        _add(problems, "transaction_id", MSG_TRANSACTION_ID)
    if amount_paisa is not None:
        if not is_int(amount_paisa):
            _add(problems, "amount", MSG_INTEGER)
        elif amount_paisa < 1:  # type: ignore[operator]
            _add(problems, "amount", MSG_MIN_ONE)
    if mobile is not None:
        _check_text(problems, "mobile", mobile)
    return problems


def summarise(problems: Mapping[str, list[str]], extra: Sequence[str] = ()) -> str:
    """Field errors (and loose messages) in one line short enough for a log or an exception."""
    parts = [f"{name}: {' '.join(messages)}" for name, messages in problems.items()]
    parts.extend(extra)
    text = "; ".join(parts)
    return text if len(text) <= _SUMMARY_CHARS else text[: _SUMMARY_CHARS - 1] + "…"


def is_int(value: object) -> bool:
    """An int that is not a bool, as DRF's IntegerField and Khalti's JSON mean it."""
    return isinstance(value, int) and not isinstance(value, bool)


def _add(problems: Problems, name: str, message: str) -> None:
    problems.setdefault(name, []).append(message)


def _check_text(problems: Problems, name: str, value: object) -> None:
    if not isinstance(value, str):
        _add(problems, name, MSG_NOT_STRING)
    elif not value.strip():
        _add(problems, name, MSG_BLANK)


def _check_amount(problems: Problems, amount: object) -> bool:
    if not is_int(amount):
        _add(problems, "amount", MSG_INTEGER)
        return False
    if amount < MIN_AMOUNT_PAISA:  # type: ignore[operator]
        _add(problems, "amount", MSG_MIN_AMOUNT)
        return False
    return True
