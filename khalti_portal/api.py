"""`build_api`: the Starlette app handed to `rx.App(api_transformer=...)`; Reflex mounts itself under it."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount

from khalti_portal.config import EMULATOR_MOUNT, Settings


def build_api(settings: Settings) -> Starlette:
    """The backend's own routes: the Khalti emulator at `/sandbox/khalti`, in emulator mode only.

    In sandbox and live mode nothing is mounted there, so `/sandbox/khalti/...` is a 404 and no
    test-control route can exist next to real money.
    """
    routes: list[BaseRoute] = []
    if settings.khalti_env == "emulator":
        # Imported here so sandbox/live deployments never even load the emulator.
        from khalti_portal.sandbox import create_emulator_app

        emulator = create_emulator_app(
            secret_key=settings.emulator_key,
            db_path=settings.emulator_db,
            latency_ms=settings.emulator_latency_ms,
            failure_rate=settings.emulator_failure_rate,
            link_ttl_seconds=settings.emulator_link_ttl_seconds,
        )
        routes.append(Mount(EMULATOR_MOUNT.rstrip("/"), app=emulator))
    return Starlette(routes=routes)
