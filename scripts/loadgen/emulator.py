"""The Khalti emulator on its own, for Granian (`--factory scripts.loadgen.emulator:create`).

The benchmark serves it in a process of its own so the portal's CPU is not shared with it. Configured by
the portal's own variables: KHALTI_EMULATOR_KEY, KHALTI_EMULATOR_DB, KHALTI_EMULATOR_LATENCY_MS.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from khalti_portal.config import DEFAULT_EMULATOR_KEY
from khalti_portal.sandbox import create_emulator_app


def create() -> Starlette:
    """The emulator at the server's root: KHALTI_BASE_URL is then `http://127.0.0.1:PORT/`."""
    return create_emulator_app(
        secret_key=os.environ.get("KHALTI_EMULATOR_KEY", "").strip() or DEFAULT_EMULATOR_KEY,
        db_path=os.environ["KHALTI_EMULATOR_DB"],
        latency_ms=int(os.environ.get("KHALTI_EMULATOR_LATENCY_MS", "0") or 0),
    )
