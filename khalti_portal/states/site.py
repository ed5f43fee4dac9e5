"""What every page shows about the server itself: the Khalti mode it runs in, for the test-mode banners."""

from __future__ import annotations

import reflex as rx

from khalti_portal.config import get_settings


class SiteState(rx.State):
    """Read-only facts about the running server; no handlers."""

    # initial_value "": the compiled bundle carries no mode, so a frontend built under one configuration
    # never shows (or hides) a banner for the server it is later served with. The value arrives on hydrate.
    @rx.var(initial_value="")
    def khalti_mode(self) -> str:
        """emulator, sandbox or live: the mode this server process was started with (a mode, never a key)."""
        return get_settings().khalti_env
