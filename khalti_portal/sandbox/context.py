"""What every emulator endpoint shares: settings, the store, the clock, and request helpers."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from khalti_portal.sandbox.store import EmulatorStore

NEPAL_TZ = timezone(timedelta(hours=5, minutes=45), "NPT")  # Khalti stamps expires_at with +05:45
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

FAULT_UNAVAILABLE = "unavailable"
FAULT_HANG = "hang"
FAULTS: tuple[str, ...] = (FAULT_UNAVAILABLE, FAULT_HANG)


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch, in integers (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MICROSECOND


def from_us(micros: int) -> datetime:
    """The UTC datetime `micros` microseconds after the epoch."""
    return _EPOCH + timedelta(microseconds=micros)


def khalti_timestamp(micros: int) -> str:
    """`2023-05-25T16:26:16.471649+05:45`: Nepal time, always with microseconds, like Khalti."""
    return from_us(micros).astimezone(NEPAL_TZ).isoformat(timespec="microseconds")


def utc_now() -> datetime:
    """The default clock."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class EmulatorContext:
    """The emulator's configuration and state, shared by its endpoints."""

    store: EmulatorStore
    secret_key: str
    link_ttl_seconds: int
    latency_ms: int
    failure_rate: float
    hang_seconds: float
    faults: tuple[str, ...]
    clock: Callable[[], datetime]
    rng: random.Random

    def now_us(self) -> int:
        """The injected clock's now, in microseconds."""
        return to_us(self.clock())

    @property
    def ttl_us(self) -> int:
        """How long a payment link lives, in microseconds."""
        return self.link_ttl_seconds * 1_000_000


def public_base(request: Request) -> str:
    """Where the emulator is reachable, e.g. `http://host/sandbox/khalti/` (see MountRootMiddleware)."""
    return str(request.base_url)


class BodyError(Exception):
    """The request body could not be read as data: the response to send instead."""

    def __init__(self, response: JSONResponse) -> None:
        super().__init__(response.status_code)
        self.response = response


async def read_data(request: Request) -> dict[str, Any]:
    """The body as a dict, like DRF's JSON and form parsers; an empty body is `{}`."""
    body = await request.body()
    if not body.strip():
        return {}
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            data = json.loads(body)
        except ValueError as exc:  # includes UnicodeDecodeError
            raise BodyError(
                JSONResponse({"detail": f"JSON parse error - {exc}", "error_key": "validation_error"}, 400)
            ) from None
        if not isinstance(data, dict):
            message = f"Invalid data. Expected a dictionary, but got {type(data).__name__}."
            raise BodyError(JSONResponse({"non_field_errors": [message], "error_key": "validation_error"}, 400))
        return data
    if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    raise BodyError(JSONResponse({"detail": f'Unsupported media type "{media_type}" in request.'}, 415))
