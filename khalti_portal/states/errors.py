"""What a person sees when a handler fails unexpectedly: a plain sentence, never a trace."""

from __future__ import annotations

import json
import logging

import reflex as rx
from reflex.vars.base import Var
from reflex_base.event import EventSpec

from khalti_portal.i18n.catalogs import N_, SOURCE_LANGUAGE, Language, translate

logger = logging.getLogger("khalti_portal.errors")

MESSAGE = N_(
    "Something went wrong on our side. Please try again in a moment. "
    "If you already paid, your payment is safe: we confirm it with Khalti and apply it to your account."
)


def _in_the_pages_language() -> Var:
    # The handler has no state to ask, but the browser knows: `<html lang>` follows the header's switch.
    shown = json.dumps(MESSAGE)
    for language in Language:
        if language is not SOURCE_LANGUAGE:
            here, text = json.dumps(language.value), json.dumps(translate(language, MESSAGE), ensure_ascii=False)
            shown = f"(document.documentElement.lang === {here} ? {text} : {shown})"
    return Var(shown)


def on_backend_error(exception: Exception) -> EventSpec:  # Reflex eval()s this name in its own module
    """Log the whole story for us; show the visitor one calm sentence."""
    logger.error("unhandled error in an event handler", exc_info=exception)
    return rx.toast.error(_in_the_pages_language(), id="backend-error", position="top-center", duration=10_000)
