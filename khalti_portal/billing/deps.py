"""`BillingDeps`: the engine, settings, clock and Khalti client factory every billing function uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from khalti_portal.clock import ensure_utc, utcnow
from khalti_portal.config import Settings, get_settings

if TYPE_CHECKING:
    from khalti_portal.khalti import KhaltiClient


@dataclass(frozen=True)
class BillingDeps:
    """What billing needs from the outside world; tests pass their own, production uses `default_deps()`."""

    engine: Engine
    settings: Settings
    clock: Callable[[], datetime]
    khalti_factory: Callable[[], KhaltiClient]

    def now(self) -> datetime:
        """The clock's instant, checked to be aware and converted to UTC."""
        return ensure_utc(self.clock())


def khalti_factory_for(settings: Settings) -> Callable[[], KhaltiClient]:
    """A factory making a client for the configured Khalti (real, sandbox or emulator) on the loop's shared pool."""

    def factory() -> KhaltiClient:
        # Imported late so billing's pure parts (money, time, plans) load without the client.
        from khalti_portal.khalti import KhaltiClient
        from khalti_portal.khalti.pool import shared_http
        from khalti_portal.khalti.request_checks import check_base_url, check_secret_key

        key, base_url = check_secret_key(settings.khalti_secret_key), check_base_url(settings.khalti_base_url)
        return KhaltiClient(secret_key=key, base_url=base_url, shared_http=shared_http(key, base_url))

    return factory


def default_deps() -> BillingDeps:
    """The process's dependencies: configured settings and engine, the system clock, a real client."""
    from khalti_portal.db.session import get_engine

    settings = get_settings()
    return BillingDeps(
        engine=get_engine(),
        settings=settings,
        clock=utcnow,
        khalti_factory=khalti_factory_for(settings),
    )


def resolve(deps: BillingDeps | None) -> BillingDeps:
    """`deps`, or the process defaults when None."""
    return deps if deps is not None else default_deps()
