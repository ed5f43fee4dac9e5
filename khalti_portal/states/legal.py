"""`/terms` and `/privacy`: the merchant's own text from `content/`, read again on every visit (no rebuild).

A Nepali reader gets the merchant's Nepali file (`content/terms.ne.md`) when there is one, else the English;
a change of language runs the page's on_load again, so the file follows the switch.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from khalti_portal import content
from khalti_portal.states.language import language_for


class LegalState(rx.State):
    """One legal page's heading and HTML (rendered on the server from the merchant's Markdown, raw HTML escaped)."""

    loaded: bool = False
    found: bool = False
    title: str = ""
    html: str = ""

    async def _load(self, name: str) -> None:
        language = await language_for(self)
        document = await asyncio.to_thread(
            content.legal_page, name, language=language
        )  # a file read off the event loop
        self.found = document is not None
        self.title = document.title if document else ""
        self.html = document.html if document else ""
        self.loaded = True

    @rx.event
    async def load_terms(self) -> None:
        """on_load of `/terms`: `content/terms.md` (or the reader's language's `terms.<lang>.md`)."""
        await self._load("terms")

    @rx.event
    async def load_privacy(self) -> None:
        """on_load of `/privacy`: `content/privacy.md` (or the reader's language's `privacy.<lang>.md`)."""
        await self._load("privacy")
