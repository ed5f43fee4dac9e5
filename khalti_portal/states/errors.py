"""What a person sees when a handler fails unexpectedly: a plain sentence, never a trace."""

from __future__ import annotations

import logging

import reflex as rx
from reflex_base.event import EventSpec

logger = logging.getLogger("khalti_portal.errors")

MESSAGE = (
    "Something went wrong on our side. Please try again in a moment. "
    "If you already paid, your payment is safe: we confirm it with Khalti and apply it to your account."
)


def on_backend_error(exception: Exception) -> EventSpec:  # Reflex eval()s this name in its own module
    """Log the whole story for us; show the visitor one calm sentence."""
    logger.error("unhandled error in an event handler", exc_info=exception)
    return rx.toast.error(MESSAGE, id="backend-error", position="top-center", duration=10_000)
