"""A faithful Khalti Web Checkout emulator (API + hosted page), mounted only when KHALTI_ENV=emulator."""

from khalti_portal.sandbox.app import create_emulator_app

__all__ = ["create_emulator_app"]
