"""The backend's HTTP routes: the entitlement API for the merchant's systems, one-click unsubscribe, the emulator."""

from khalti_portal.api.app import build_api

__all__ = ["build_api"]
