"""KhaltiClient: the only code that talks to Khalti; what it refuses and how it reads answers live beside it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx

from .errors import KhaltiError, KhaltiUnavailableError, KhaltiValidationError
from .request_checks import (
    Problems,
    check_base_url,
    check_secret_key,
    initiate_problems,
    lookup_problems,
    merchant_field,
    refund_problems,
    summarise,
)
from .responses import (
    Reply,
    decode_json,
    is_lookup_body,
    parse_initiate,
    parse_lookup,
    parse_refund,
    read_result,
    retry_after,
)
from .types import (
    AmountLine,
    CustomerInfo,
    InitiateResult,
    LookupResult,
    ProductDetail,
    RefundResult,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "INITIATE_PATH",
    "LOOKUP_PATH",
    "REFUND_PATH",
    "KhaltiClient",
]

logger = logging.getLogger("khalti_portal.khalti")

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=30.0, write=10.0, pool=10.0)
INITIATE_PATH = "api/v2/epayment/initiate/"
LOOKUP_PATH = "api/v2/epayment/lookup/"
REFUND_PATH = "api/merchant-transaction/{transaction_id}/refund/"

_SNIPPET_CHARS = 500
_REDACTED = "[redacted]"
# A key this short cannot be told apart from ordinary words; redacting it would garble every message.
_MIN_REDACTABLE_CHARS = 8

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


class KhaltiClient:
    """Async client for Khalti's initiate, lookup and refund endpoints, built on httpx.AsyncClient."""

    def __init__(
        self,
        *,
        secret_key: str,
        base_url: str,
        timeout: httpx.Timeout | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        shared_http: httpx.AsyncClient | None = None,
    ) -> None:
        """`shared_http`: a pooled client made for this key and host (`khalti.pool`), which this one never closes."""
        self._secret = _Secret(check_secret_key(secret_key))
        self._base_url = check_base_url(base_url)
        self._owns_http = shared_http is None
        self._http = shared_http or httpx.AsyncClient(
            headers={"Authorization": f"Key {secret_key}", "Accept": "application/json"},
            timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"KhaltiClient(base_url={self._base_url!r})"

    __str__ = __repr__

    async def __aenter__(self) -> Self:
        if self._owns_http:
            await self._http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._owns_http:
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
        """Close the connection pool, unless it is a shared one (the process closes those at shutdown)."""
        if self._owns_http:
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
        lines, products, extra = list(amount_breakdown or ()), list(product_details or ()), merchant_extra or {}
        texts = {
            "return_url": return_url,
            "website_url": website_url,
            "purchase_order_id": purchase_order_id,
            "purchase_order_name": purchase_order_name,
        }
        problems = initiate_problems(
            texts=texts, amount_paisa=amount_paisa, lines=lines, products=products, merchant_extra=extra
        )
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
        payload.update({merchant_field(key): value for key, value in extra.items()})
        return await self._call("initiate", INITIATE_PATH, payload, log_fields, parse_initiate)

    async def lookup(self, pidx: str) -> LookupResult:
        """Ask Khalti for a payment's status; an Expired/User canceled answer (HTTP 400) is a result too."""
        log_fields = {"pidx": pidx}
        if problems := lookup_problems(pidx):
            self._reject("lookup", problems, log_fields)

        def parse(data: dict[str, Any], status: int) -> LookupResult:
            return parse_lookup(data, status, expected_pidx=pidx)

        return await self._call("lookup", LOOKUP_PATH, {"pidx": pidx}, log_fields, parse, body_on_400=is_lookup_body)

    async def refund(
        self, transaction_id: str, *, amount_paisa: int | None = None, mobile: str | None = None
    ) -> RefundResult:
        """Refund a paid transaction: fully, or `amount_paisa` of it; `mobile` for bank payments."""
        log_fields = {"transaction_id": transaction_id}
        if problems := refund_problems(transaction_id, amount_paisa, mobile):
            self._reject("refund", problems, log_fields)
        payload: dict[str, Any] = {}
        if amount_paisa is not None:
            payload["amount"] = amount_paisa
        if mobile is not None:
            payload["mobile"] = mobile
        path = REFUND_PATH.format(transaction_id=quote(transaction_id, safe=""))
        return await self._call("refund", path, payload, log_fields, parse_refund)

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
        """POST, read the answer into a result or an error, and log one line whatever happens."""
        started = time.perf_counter()
        status: int | None = None
        outcome = "ok"
        fields = dict(log_fields)
        try:
            reply = await self._post(endpoint, path, payload)
            status = reply.status
            result = read_result(endpoint, reply, parse, body_on_400)
            for name in ("pidx", "status_text"):
                if hasattr(result, name):
                    fields[name] = getattr(result, name)
            return result
        except KhaltiError as exc:
            outcome = _outcome(exc)
            raise
        finally:
            self._log_call(endpoint, fields, status, outcome, started)

    def _log_call(
        self, endpoint: str, fields: dict[str, Any], status: int | None, outcome: str, started: float
    ) -> None:
        """The one line each call leaves: what it was about, how Khalti answered, how long it took."""
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

    async def _post(self, endpoint: str, path: str, payload: dict[str, Any]) -> Reply:
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
        data, is_json = decode_json(response.content)
        return Reply(
            status=response.status_code,
            data=self._redact(data),
            is_json=is_json,
            snippet=self._redact(response.text[:_SNIPPET_CHARS]) if not isinstance(data, dict) else "",
            content_type=response.headers.get("content-type", ""),
            retry_after=retry_after(response.headers.get("retry-after")),
        )

    def _reject(self, endpoint: str, problems: Problems, log_fields: dict[str, Any]) -> None:
        """Refuse a request before sending it: log, then raise KhaltiValidationError."""
        described = " ".join(f"{k}={v!r}" for k, v in log_fields.items())
        logger.warning(
            "khalti %s %s http_status=- outcome=rejected_locally fields=%s",
            endpoint,
            self._redact(described),
            ",".join(sorted(problems)),
        )
        raise KhaltiValidationError(
            self._redact(f"Khalti {endpoint} request is invalid: {summarise(problems)}"),
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


def _outcome(exc: KhaltiError) -> str:
    """The log's outcome word for an error: its class, and for "unavailable" the reason too."""
    if isinstance(exc, KhaltiUnavailableError):
        return f"{type(exc).__name__}:{exc.reason}"
    return type(exc).__name__
