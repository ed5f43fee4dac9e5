"""The errors a Khalti call can raise, one class per way Khalti (or the network) can say no.

The tree, in the manner of httpx's ``_exceptions.py``::

    KhaltiError                       anything that went wrong talking to Khalti
    ├── KhaltiAuthError               HTTP 401/403: the secret key is wrong or missing
    ├── KhaltiValidationError         HTTP 400 with field errors, or refused here before any request
    ├── KhaltiNotFoundError           HTTP 404 (or a 400 saying only "Not found."): no such pidx/transaction
    ├── KhaltiUnavailableError        should_retry=True; `reason` says why:
    │                                   "timeout"          connect/read/write/pool timeout
    │                                   "connection"       refused, reset, DNS, protocol error
    │                                   "server_error"     HTTP 5xx
    │                                   "rate_limited"     HTTP 429
    │                                   "invalid_response" HTML page, invalid JSON, empty body
    └── KhaltiUnexpectedResponseError a 2xx with missing/mistyped fields, or a status/body we cannot place

Every error carries ``message`` (also its ``str``), ``http_status`` (None when no response arrived),
``body`` (the parsed JSON, or a truncated text snippet) and ``should_retry``. None of them ever holds
the secret key: the client redacts it from anything it copies out of a response.
"""

from __future__ import annotations

from typing import Any, Literal

UnavailableReason = Literal["timeout", "connection", "server_error", "rate_limited", "invalid_response"]

__all__ = [
    "KhaltiAuthError",
    "KhaltiError",
    "KhaltiNotFoundError",
    "KhaltiUnavailableError",
    "KhaltiUnexpectedResponseError",
    "KhaltiValidationError",
    "UnavailableReason",
]


class KhaltiError(Exception):
    """Base of every Khalti failure; `str(err)` is a short human message."""

    should_retry: bool = False

    def __init__(self, message: str, *, http_status: int | None = None, body: dict | str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.body = body

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, http_status={self.http_status!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat Exception's default pickling; rebuild from the attributes.
        return (_restore, (type(self), self.__dict__.copy()))


def _restore(cls: type[KhaltiError], state: dict[str, Any]) -> KhaltiError:
    err = cls.__new__(cls)
    Exception.__init__(err, state.get("message", ""))
    err.__dict__.update(state)
    return err


class KhaltiAuthError(KhaltiError):
    """Khalti refused the secret key (HTTP 401/403)."""


class KhaltiValidationError(KhaltiError):
    """Khalti (or this client, before sending) rejected the request's fields."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        body: dict | str | None = None,
        field_errors: dict[str, list[str]] | None = None,
        error_key: str | None = None,
        non_field_errors: list[str] | None = None,
        detail: str | None = None,
        error_data: Any = None,
    ) -> None:
        super().__init__(message, http_status=http_status, body=body)
        self.field_errors: dict[str, list[str]] = dict(field_errors or {})
        self.error_key = error_key
        self.non_field_errors: list[str] = list(non_field_errors or [])
        self.detail = detail
        self.error_data = error_data


class KhaltiNotFoundError(KhaltiError):
    """Khalti knows no such pidx or transaction (HTTP 404)."""


class KhaltiUnavailableError(KhaltiError):
    """Khalti could not be reached or answered nonsense; trying again later may work."""

    should_retry = True

    def __init__(
        self,
        message: str,
        *,
        reason: UnavailableReason,
        http_status: int | None = None,
        body: dict | str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, http_status=http_status, body=body)
        self.reason: UnavailableReason = reason
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, reason={self.reason!r}, http_status={self.http_status!r})"


class KhaltiUnexpectedResponseError(KhaltiError):
    """Khalti answered, but not in any shape the contract describes."""
