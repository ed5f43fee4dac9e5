"""KhaltiClient: the only code that talks to Khalti, turning every answer into a typed result or error."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote, urlsplit

import httpx

from .errors import (
    KhaltiAuthError,
    KhaltiError,
    KhaltiNotFoundError,
    KhaltiUnavailableError,
    KhaltiUnexpectedResponseError,
    KhaltiValidationError,
)
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
    "INITIATE_PATH",
    "LOOKUP_PATH",
    "MIN_AMOUNT_PAISA",
    "REFUND_PATH",
    "KhaltiClient",
]

logger = logging.getLogger("khalti_portal.khalti")

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=10.0, pool=10.0)
MIN_AMOUNT_PAISA = 1000
INITIATE_PATH = "api/v2/epayment/initiate/"
LOOKUP_PATH = "api/v2/epayment/lookup/"
REFUND_PATH = "api/merchant-transaction/{transaction_id}/refund/"

# Khalti's (Django REST framework's) own wording, so a client-side refusal reads like a server one.
MSG_BLANK = "This field may not be blank."
MSG_NOT_STRING = "Not a valid string."
MSG_INTEGER = "A valid integer is required."
MSG_MIN_AMOUNT = "Amount should be greater than Rs. 10, that is 1000 paisa."
MSG_BREAKDOWN_MISMATCH = "Amount Breakdown mismatch."
MSG_MIN_ONE = "Ensure this value is greater than or equal to 1."
MSG_TRANSACTION_ID = "Enter a valid transaction id."

_SNIPPET_CHARS = 500
_SUMMARY_CHARS = 300
_REDACTED = "[redacted]"
# A key this short cannot be told apart from ordinary words; redacting it would garble every message.
_MIN_REDACTABLE_CHARS = 8
_TRANSACTION_ID = re.compile(r"[A-Za-z0-9._~-]{1,200}")
_ERROR_META_KEYS = frozenset(
    {"error_key", "status_code", "detail", "non_field_errors", "non_field_error", "error_data", "meta"}
)

T = TypeVar("T")


class _Secret:
    """Holds the key so that no repr, vars() dump or traceback shows it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The key itself, for the Authorization header and for redaction only."""
        return self._value

    def __repr__(self) -> str:
        return "_Secret('**********')"

    __str__ = __repr__


class _BadShape(Exception):
    """Raised by the response parsers; `_call` turns it into KhaltiUnexpectedResponseError."""


@dataclass(frozen=True)
class _Reply:
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


class KhaltiClient:
    """Async client for Khalti's initiate, lookup and refund endpoints, built on httpx.AsyncClient."""

    def __init__(
        self,
        *,
        secret_key: str,
        base_url: str,
        timeout: httpx.Timeout | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._secret = _Secret(_check_secret_key(secret_key))
        self._base_url = _check_base_url(base_url)
        self._http = httpx.AsyncClient(
            headers={"Authorization": f"Key {secret_key}", "Accept": "application/json"},
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"KhaltiClient(base_url={self._base_url!r})"

    __str__ = __repr__

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._http.__aexit__(exc_type, exc, tb)

    @property
    def base_url(self) -> str:
        """The host prefix, always ending in "/"."""
        return self._base_url

    @property
    def timeout(self) -> httpx.Timeout:
        """The timeouts every call uses."""
        return self._http.timeout

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    # -- the three calls -------------------------------------------------------------------------

    async def initiate(
        self,
        *,
        return_url: str,
        website_url: str,
        amount_paisa: int,
        purchase_order_id: str,
        purchase_order_name: str,
        customer_info: CustomerInfo | None = None,
        amount_breakdown: Sequence[AmountLine] | None = None,
        product_details: Sequence[ProductDetail] | None = None,
        merchant_extra: Mapping[str, str] | None = None,
    ) -> InitiateResult:
        """Start a payment; send the user to the returned `payment_url`."""
        log_fields = {"purchase_order_id": purchase_order_id}
        problems: dict[str, list[str]] = {}
        for name, value in (
            ("return_url", return_url),
            ("website_url", website_url),
            ("purchase_order_id", purchase_order_id),
            ("purchase_order_name", purchase_order_name),
        ):
            _check_text(problems, name, value)
        amount_ok = _check_amount(problems, amount_paisa)
        lines = list(amount_breakdown or ())
        if lines:
            if all(_is_int(line.amount) for line in lines):
                if amount_ok and sum(line.amount for line in lines) != amount_paisa:
                    _add(problems, "amount", MSG_BREAKDOWN_MISMATCH)
            else:
                _add(problems, "amount_breakdown", MSG_INTEGER)
        products = list(product_details or ())
        if not all(_is_int(p.total_price) and _is_int(p.quantity) and _is_int(p.unit_price) for p in products):
            _add(problems, "product_details", MSG_INTEGER)
        extra = _merchant_fields(problems, merchant_extra or {})
        if problems:
            self._reject("initiate", problems, log_fields)

        payload: dict[str, Any] = {
            "return_url": return_url,
            "website_url": website_url,
            "amount": amount_paisa,
            "purchase_order_id": purchase_order_id,
            "purchase_order_name": purchase_order_name,
        }
        customer = customer_info.to_khalti() if customer_info is not None else {}
        if customer:
            payload["customer_info"] = customer
        if lines:
            payload["amount_breakdown"] = [line.to_khalti() for line in lines]
        if products:
            payload["product_details"] = [p.to_khalti() for p in products]
        payload.update(extra)
        return await self._call("initiate", INITIATE_PATH, payload, log_fields, _parse_initiate)

    async def lookup(self, pidx: str) -> LookupResult:
        """Ask Khalti for a payment's status; an Expired/User canceled answer (HTTP 400) is a result too."""
        log_fields = {"pidx": pidx}
        problems: dict[str, list[str]] = {}
        _check_text(problems, "pidx", pidx)
        if problems:
            self._reject("lookup", problems, log_fields)

        def parse(data: dict[str, Any], status: int) -> LookupResult:
            return _parse_lookup(data, status, expected_pidx=pidx)

        return await self._call("lookup", LOOKUP_PATH, {"pidx": pidx}, log_fields, parse, body_on_400=_is_lookup_body)

    async def refund(
        self, transaction_id: str, *, amount_paisa: int | None = None, mobile: str | None = None
    ) -> RefundResult:
        """Refund a paid transaction: fully, or `amount_paisa` of it; `mobile` for bank payments."""
        log_fields = {"transaction_id": transaction_id}
        problems: dict[str, list[str]] = {}
        if not isinstance(transaction_id, str):
            _add(problems, "transaction_id", MSG_NOT_STRING)
        elif not transaction_id.strip():
            _add(problems, "transaction_id", MSG_BLANK)
        elif not _TRANSACTION_ID.fullmatch(transaction_id) or transaction_id in (".", ".."):
            _add(problems, "transaction_id", MSG_TRANSACTION_ID)
        payload: dict[str, Any] = {}
        if amount_paisa is not None:
            if not _is_int(amount_paisa):
                _add(problems, "amount", MSG_INTEGER)
            elif amount_paisa < 1:
                _add(problems, "amount", MSG_MIN_ONE)
            payload["amount"] = amount_paisa
        if mobile is not None:
            _check_text(problems, "mobile", mobile)
            payload["mobile"] = mobile
        if problems:
            self._reject("refund", problems, log_fields)
        path = REFUND_PATH.format(transaction_id=quote(transaction_id, safe=""))
        return await self._call("refund", path, payload, log_fields, _parse_refund)

    # -- plumbing --------------------------------------------------------------------------------

    async def _call(
        self,
        endpoint: str,
        path: str,
        payload: dict[str, Any],
        log_fields: dict[str, Any],
        parse: Callable[[dict[str, Any], int], T],
        *,
        body_on_400: Callable[[dict[str, Any]], bool] | None = None,
    ) -> T:
        """POST, classify the answer, parse it, and log one line whatever happens."""
        started = time.perf_counter()
        status: int | None = None
        outcome = "ok"
        fields = dict(log_fields)
        try:
            reply = await self._post(endpoint, path, payload)
            status = reply.status
            is_result = 200 <= reply.status < 300 or (
                reply.status == 400
                and body_on_400 is not None
                and isinstance(reply.data, dict)
                and body_on_400(reply.data)
            )
            if not is_result:
                raise _error_for(endpoint, reply)
            if not reply.is_json:
                raise _unavailable_invalid(endpoint, reply)
            if not isinstance(reply.data, dict):
                raise _unexpected(endpoint, reply, "the body is not a JSON object")
            try:
                result = parse(reply.data, reply.status)
            except _BadShape as exc:
                raise _unexpected(endpoint, reply, str(exc)) from None
            for name in ("pidx", "status_text"):
                if hasattr(result, name):
                    fields[name] = getattr(result, name)
            return result
        except KhaltiError as exc:
            outcome = _outcome(exc)
            raise
        finally:
            duration_ms = (time.perf_counter() - started) * 1000
            described = " ".join(f"{k}={v!r}" for k, v in fields.items())
            logger.log(
                logging.INFO if outcome == "ok" else logging.WARNING,
                "khalti %s %s http_status=%s outcome=%s duration_ms=%.0f",
                endpoint,
                self._redact(described),
                status if status is not None else "-",
                outcome,
                duration_ms,
            )

    async def _post(self, endpoint: str, path: str, payload: dict[str, Any]) -> _Reply:
        """Send one request; transport failures become KhaltiUnavailableError."""
        try:
            response = await self._http.post(self._base_url + path, json=payload)
        except httpx.TimeoutException as exc:
            raise KhaltiUnavailableError(
                f"Khalti {endpoint} timed out ({type(exc).__name__})", reason="timeout"
            ) from exc
        except httpx.DecodingError as exc:
            raise KhaltiUnavailableError(
                f"Khalti {endpoint} sent a body that could not be decoded", reason="invalid_response"
            ) from exc
        except httpx.RequestError as exc:
            detail = self._redact(str(exc))[:200]
            raise KhaltiUnavailableError(
                f"Khalti {endpoint} could not be reached ({type(exc).__name__}{': ' + detail if detail else ''})",
                reason="connection",
            ) from exc
        data, is_json = _decode_json(response.content)
        return _Reply(
            status=response.status_code,
            data=self._redact(data),
            is_json=is_json,
            snippet=self._redact(response.text[:_SNIPPET_CHARS]) if not isinstance(data, dict) else "",
            content_type=response.headers.get("content-type", ""),
            retry_after=_retry_after(response.headers.get("retry-after")),
        )

    def _reject(self, endpoint: str, problems: dict[str, list[str]], log_fields: dict[str, Any]) -> None:
        """Refuse a request before sending it: log, then raise KhaltiValidationError."""
        described = " ".join(f"{k}={v!r}" for k, v in log_fields.items())
        logger.warning(
            "khalti %s %s http_status=- outcome=rejected_locally fields=%s",
            endpoint,
            self._redact(described),
            ",".join(sorted(problems)),
        )
        raise KhaltiValidationError(
            self._redact(f"Khalti {endpoint} request is invalid: {_summarise(problems)}"),
            field_errors=problems,
        )

    def _redact(self, value: Any) -> Any:
        """Replace the key wherever it appears in strings, dicts and lists."""
        secret = self._secret.reveal()
        if len(secret) < _MIN_REDACTABLE_CHARS:
            return value
        if isinstance(value, str):
            return value.replace(secret, _REDACTED)
        if isinstance(value, dict):
            return {self._redact(k): self._redact(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._redact(v) for v in value]
        return value


# -- construction checks ---------------------------------------------------------------------------


def _check_secret_key(secret_key: str) -> str:
    if not isinstance(secret_key, str) or not secret_key.strip():
        raise ValueError("KhaltiClient needs a non-empty secret_key")
    if any(ch.isspace() or not ch.isprintable() for ch in secret_key):
        raise ValueError("KhaltiClient secret_key must not contain spaces or control characters")
    return secret_key


def _check_base_url(base_url: str) -> str:
    parts = urlsplit(base_url) if isinstance(base_url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"KhaltiClient base_url must be an http(s) URL such as https://khalti.com/, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"KhaltiClient base_url must have no query or fragment, got {base_url!r}")
    return base_url if base_url.endswith("/") else base_url + "/"


# -- request validation ----------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _add(problems: dict[str, list[str]], name: str, message: str) -> None:
    problems.setdefault(name, []).append(message)


def _check_text(problems: dict[str, list[str]], name: str, value: object) -> None:
    if not isinstance(value, str):
        _add(problems, name, MSG_NOT_STRING)
    elif not value.strip():
        _add(problems, name, MSG_BLANK)


def _check_amount(problems: dict[str, list[str]], amount: object) -> bool:
    if not _is_int(amount):
        _add(problems, "amount", MSG_INTEGER)
        return False
    if amount < MIN_AMOUNT_PAISA:  # type: ignore[operator]
        _add(problems, "amount", MSG_MIN_AMOUNT)
        return False
    return True


def _merchant_fields(problems: dict[str, list[str]], extra: Mapping[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key, value in extra.items():
        if not isinstance(key, str) or not key.strip():
            _add(problems, "merchant_extra", MSG_BLANK)
            continue
        name = key if key.startswith("merchant_") else f"merchant_{key}"
        if not isinstance(value, str):
            _add(problems, name, MSG_NOT_STRING)
            continue
        fields[name] = value
    return fields


def _summarise(problems: Mapping[str, list[str]], extra: Sequence[str] = ()) -> str:
    parts = [f"{name}: {' '.join(messages)}" for name, messages in problems.items()]
    parts.extend(extra)
    text = "; ".join(parts)
    return text if len(text) <= _SUMMARY_CHARS else text[: _SUMMARY_CHARS - 1] + "…"


# -- response decoding -----------------------------------------------------------------------------


def _decode_json(content: bytes) -> tuple[Any, bool]:
    if not content.strip():
        return None, False
    try:
        return json.loads(content), True
    except (ValueError, RecursionError):
        return None, False


def _retry_after(value: str | None) -> float | None:
    # Retry-After is whole seconds (RFC 9110 delta-seconds); an HTTP date or anything else is ignored.
    try:
        seconds = int(value.strip()) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 86_400 else None


def _outcome(exc: KhaltiError) -> str:
    if isinstance(exc, KhaltiUnavailableError):
        return f"{type(exc).__name__}:{exc.reason}"
    return type(exc).__name__


def _unexpected(endpoint: str, reply: _Reply, why: str) -> KhaltiUnexpectedResponseError:
    return KhaltiUnexpectedResponseError(
        f"Khalti {endpoint} answered HTTP {reply.status} unexpectedly: {why}",
        http_status=reply.status,
        body=reply.body,
    )


def _unavailable_invalid(endpoint: str, reply: _Reply) -> KhaltiUnavailableError:
    kind = reply.content_type.split(";")[0].strip() or "no content type"
    what = "an empty body" if not reply.snippet else f"a body that is not JSON ({kind})"
    return KhaltiUnavailableError(
        f"Khalti {endpoint} answered HTTP {reply.status} with {what}",
        reason="invalid_response",
        http_status=reply.status,
        body=reply.body,
    )


def _error_for(endpoint: str, reply: _Reply) -> KhaltiError:
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


def _says_only_not_found(data: dict[str, Any]) -> bool:
    detail = data.get("detail")
    return (
        isinstance(detail, str)
        and detail.strip().rstrip(".").casefold() == "not found"
        and set(data) <= {"detail", "error_key", "status_code"}
    )


def _validation_error(endpoint: str, reply: _Reply, data: dict[str, Any]) -> KhaltiValidationError | None:
    field_errors: dict[str, list[str]] = {}
    for key, value in data.items():
        if key not in _ERROR_META_KEYS:
            _collect_messages(str(key), value, field_errors)
    loose: dict[str, list[str]] = {}
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
    summary = _summarise(field_errors, extra) or f"error_key={error_key}"
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


def _collect_messages(name: str, value: Any, out: dict[str, list[str]]) -> None:
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


# -- response parsers (raise _BadShape) ------------------------------------------------------------


def _required_text(data: dict[str, Any], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value:
        raise _BadShape(f"{name!r} is missing or not a non-empty string")
    return value


def _required_int(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    if not _is_int(value):
        raise _BadShape(f"{name!r} is missing or not an integer")
    return value


def _parse_initiate(data: dict[str, Any], status: int) -> InitiateResult:
    pidx = _required_text(data, "pidx")
    payment_url = _required_text(data, "payment_url")
    parts = urlsplit(payment_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _BadShape("'payment_url' is not an http(s) URL")
    expires_text = _required_text(data, "expires_at")
    try:
        expires_at = datetime.fromisoformat(expires_text)
    except ValueError:
        raise _BadShape("'expires_at' is not an ISO 8601 timestamp") from None
    if expires_at.tzinfo is None or expires_at.utcoffset() is None:
        raise _BadShape("'expires_at' has no UTC offset")
    expires_in = data.get("expires_in")
    if expires_in is not None and not _is_int(expires_in):
        raise _BadShape("'expires_in' is not an integer")
    return InitiateResult(pidx=pidx, payment_url=payment_url, expires_at=expires_at, expires_in=expires_in, raw=data)


def _is_lookup_body(data: dict[str, Any]) -> bool:
    return "pidx" in data and "status" in data


def _parse_lookup(data: dict[str, Any], status: int, *, expected_pidx: str) -> LookupResult:
    pidx = _required_text(data, "pidx")
    if pidx != expected_pidx:
        raise _BadShape("the answer is about a different pidx")
    status_text = data.get("status")
    if not isinstance(status_text, str):
        raise _BadShape("'status' is missing or not a string")
    total_amount = _required_int(data, "total_amount")
    if total_amount < 0:
        raise _BadShape("'total_amount' is negative")
    transaction_id = data.get("transaction_id")
    if transaction_id is not None and not isinstance(transaction_id, str):
        raise _BadShape("'transaction_id' is not a string")
    fee = data.get("fee")
    if fee is None:
        fee = 0
    elif not _is_int(fee):
        raise _BadShape("'fee' is not an integer")
    refunded = data.get("refunded")
    if refunded is None:
        refunded = False
    elif not isinstance(refunded, bool):
        raise _BadShape("'refunded' is not a boolean")
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


def _parse_refund(data: dict[str, Any], status: int) -> RefundResult:
    detail = data.get("detail")
    if not isinstance(detail, str):
        raise _BadShape("'detail' is missing or not a string")
    return RefundResult(detail=detail, raw=data)
