"""Khalti's answers read: each HTTP reply becomes a typed result or the KhaltiError it amounts to."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .errors import (
    KhaltiAuthError,
    KhaltiError,
    KhaltiNotFoundError,
    KhaltiUnavailableError,
    KhaltiUnexpectedResponseError,
    KhaltiValidationError,
)
from .request_checks import Problems, is_int, summarise
from .types import InitiateResult, LookupResult, LookupStatus, RefundResult

_ERROR_META_KEYS = frozenset(
    {"error_key", "status_code", "detail", "non_field_errors", "non_field_error", "error_data", "meta"}
)

T = TypeVar("T")


class BadShape(Exception):
    """Raised by the parsers below; `read_result` turns it into KhaltiUnexpectedResponseError."""


@dataclass(frozen=True)
class Reply:
    """One HTTP answer, decoded once and already scrubbed of the key."""

    status: int
    data: Any  # the parsed JSON, or None when `is_json` is False
    is_json: bool
    snippet: str
    content_type: str
    retry_after: float | None

    @property
    def body(self) -> dict | str | None:
        """What an error carries: the JSON object, else a truncated text snippet."""
        if isinstance(self.data, dict):
            return self.data
        return self.snippet or None


def read_result(
    endpoint: str,
    reply: Reply,
    parse: Callable[[dict[str, Any], int], T],
    body_on_400: Callable[[dict[str, Any]], bool] | None = None,
) -> T:
    """The result `parse` finds in `reply`, or raise the KhaltiError the reply amounts to.

    A 2xx is a result; so is a 400 whose body `body_on_400` recognises (lookup answers Expired that way).
    """
    is_result = 200 <= reply.status < 300 or (
        reply.status == 400 and body_on_400 is not None and isinstance(reply.data, dict) and body_on_400(reply.data)
    )
    if not is_result:
        raise error_for(endpoint, reply)
    if not reply.is_json:
        raise _unavailable_invalid(endpoint, reply)
    if not isinstance(reply.data, dict):
        raise _unexpected(endpoint, reply, "the body is not a JSON object")
    try:
        return parse(reply.data, reply.status)
    except BadShape as exc:
        raise _unexpected(endpoint, reply, str(exc)) from None


def decode_json(content: bytes) -> tuple[Any, bool]:
    """The parsed body and True, or (None, False) when it is empty or not JSON."""
    if not content.strip():
        return None, False
    try:
        return json.loads(content), True
    except (ValueError, RecursionError):
        return None, False


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header, when it gives a sane number of them."""
    # Retry-After is whole seconds (RFC 9110 delta-seconds); an HTTP date or anything else is ignored.
    try:
        seconds = int(value.strip()) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86_400 else None


# -- errors ----------------------------------------------------------------------------------------


def error_for(endpoint: str, reply: Reply) -> KhaltiError:
    """Turn a non-result answer into the matching KhaltiError."""
    status, data = reply.status, reply.data
    detail = data.get("detail") if isinstance(data, dict) and isinstance(data.get("detail"), str) else None
    if status in (401, 403):
        return KhaltiAuthError(
            f"Khalti {endpoint} refused the secret key: {detail or 'not authorised'} (HTTP {status})",
            http_status=status,
            body=reply.body,
        )
    if status == 429:
        return KhaltiUnavailableError(
            f"Khalti {endpoint} is rate limiting us (HTTP 429)",
            reason="rate_limited",
            http_status=status,
            body=reply.body,
            retry_after=reply.retry_after,
        )
    if status >= 500:
        return KhaltiUnavailableError(
            f"Khalti {endpoint} is unavailable (HTTP {status})",
            reason="server_error",
            http_status=status,
            body=reply.body,
            retry_after=reply.retry_after,
        )
    if status not in (400, 404):
        return _unexpected(endpoint, reply, "status code not in the contract")
    if not reply.is_json:
        return _unavailable_invalid(endpoint, reply)
    if not isinstance(data, dict):
        return _unexpected(endpoint, reply, "the body is not a JSON object")
    if status == 404 or _says_only_not_found(data):
        return KhaltiNotFoundError(
            f"Khalti {endpoint}: {detail or 'not found'} (HTTP {status})", http_status=status, body=data
        )
    invalid = _validation_error(endpoint, reply, data)
    return invalid or _unexpected(endpoint, reply, "a 400 body matching no error shape")


def _unexpected(endpoint: str, reply: Reply, why: str) -> KhaltiUnexpectedResponseError:
    return KhaltiUnexpectedResponseError(
        f"Khalti {endpoint} answered HTTP {reply.status} unexpectedly: {why}",
        http_status=reply.status,
        body=reply.body,
    )


def _unavailable_invalid(endpoint: str, reply: Reply) -> KhaltiUnavailableError:
    kind = reply.content_type.split(";")[0].strip() or "no content type"
    what = "an empty body" if not reply.snippet else f"a body that is not JSON ({kind})"
    return KhaltiUnavailableError(
        f"Khalti {endpoint} answered HTTP {reply.status} with {what}",
        reason="invalid_response",
        http_status=reply.status,
        body=reply.body,
    )


def _says_only_not_found(data: dict[str, Any]) -> bool:
    detail = data.get("detail")
    return (
        isinstance(detail, str)
        and detail.strip().rstrip(".").casefold() == "not found"
        and set(data) <= {"detail", "error_key", "status_code"}
    )


def _validation_error(endpoint: str, reply: Reply, data: dict[str, Any]) -> KhaltiValidationError | None:
    field_errors: Problems = {}
    for key, value in data.items():
        if key not in _ERROR_META_KEYS:
            _collect_messages(str(key), value, field_errors)
    loose: Problems = {}
    for key in ("non_field_errors", "non_field_error"):
        if key in data:
            _collect_messages("non_field_errors", data[key], loose)
    non_field_errors = loose.get("non_field_errors", [])
    detail = data.get("detail") if isinstance(data.get("detail"), str) else None
    error_key = data.get("error_key") if isinstance(data.get("error_key"), str) else None
    error_data = data.get("error_data")
    if not (field_errors or non_field_errors or detail or error_data or error_key):
        return None
    extra = [*non_field_errors, *([detail] if detail else [])]
    summary = summarise(field_errors, extra) or f"error_key={error_key}"
    return KhaltiValidationError(
        f"Khalti {endpoint} rejected the request: {summary} (HTTP {reply.status})",
        http_status=reply.status,
        body=data,
        field_errors=field_errors,
        error_key=error_key,
        non_field_errors=non_field_errors,
        detail=detail,
        error_data=error_data,
    )


def _collect_messages(name: str, value: Any, out: Problems) -> None:
    """Flatten DRF errors: strings, lists of strings, nested objects ("customer_info.email")."""
    if isinstance(value, str):
        out.setdefault(name, []).append(value)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                out.setdefault(name, []).append(item)
            elif isinstance(item, dict | list):
                _collect_messages(f"{name}.{index}", item, out)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect_messages(f"{name}.{key}", item, out)


# -- results (the parsers raise BadShape) ----------------------------------------------------------


def parse_initiate(data: dict[str, Any], status: int) -> InitiateResult:
    """An initiate answer: a pidx, an http(s) payment link and an expiry with its UTC offset."""
    pidx = _required_text(data, "pidx")
    payment_url = _required_text(data, "payment_url")
    parts = urlsplit(payment_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadShape("'payment_url' is not an http(s) URL")
    expires_text = _required_text(data, "expires_at")
    try:
        expires_at = datetime.fromisoformat(expires_text)
    except ValueError:
        raise BadShape("'expires_at' is not an ISO 8601 timestamp") from None
    if expires_at.tzinfo is None or expires_at.utcoffset() is None:
        raise BadShape("'expires_at' has no UTC offset")
    expires_in = data.get("expires_in")
    if expires_in is not None and not is_int(expires_in):
        raise BadShape("'expires_in' is not an integer")
    return InitiateResult(pidx=pidx, payment_url=payment_url, expires_at=expires_at, expires_in=expires_in, raw=data)


def is_lookup_body(data: dict[str, Any]) -> bool:
    """True for a lookup answer, which Khalti also sends with HTTP 400 (Expired, User canceled)."""
    return "pidx" in data and "status" in data


def parse_lookup(data: dict[str, Any], status: int, *, expected_pidx: str) -> LookupResult:
    """A lookup answer, refused when it is about another pidx than the one asked for."""
    pidx = _required_text(data, "pidx")
    if pidx != expected_pidx:
        raise BadShape("the answer is about a different pidx")
    status_text = data.get("status")
    if not isinstance(status_text, str):
        raise BadShape("'status' is missing or not a string")
    total_amount = _required_int(data, "total_amount")
    if total_amount < 0:
        raise BadShape("'total_amount' is negative")
    transaction_id = data.get("transaction_id")
    if transaction_id is not None and not isinstance(transaction_id, str):
        raise BadShape("'transaction_id' is not a string")
    fee = data.get("fee")
    if fee is None:
        fee = 0
    elif not is_int(fee):
        raise BadShape("'fee' is not an integer")
    refunded = data.get("refunded")
    if refunded is None:
        refunded = False
    elif not isinstance(refunded, bool):
        raise BadShape("'refunded' is not a boolean")
    return LookupResult(
        pidx=pidx,
        status=LookupStatus.parse(status_text),
        status_text=status_text,
        total_amount=total_amount,
        transaction_id=transaction_id or None,
        fee=fee,
        refunded=refunded,
        http_status=status,
        raw=data,
    )


def parse_refund(data: dict[str, Any], status: int) -> RefundResult:
    """A refund answer: Khalti's `detail` sentence."""
    detail = data.get("detail")
    if not isinstance(detail, str):
        raise BadShape("'detail' is missing or not a string")
    return RefundResult(detail=detail, raw=data)


def _required_text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise BadShape(f"{name!r} is missing or not a non-empty string")
    return value


def _required_int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not is_int(value):
        raise BadShape(f"{name!r} is missing or not an integer")
    return value
