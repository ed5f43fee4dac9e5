"""`/terms` and `/privacy`: the merchant's own text from `content/`, read again on every visit (no rebuild)."""

from __future__ import annotations

import asyncio

import reflex as rx

from khalti_portal import content


class LegalState(rx.State):
    """One legal page's heading and HTML (rendered on the server from the merchant's Markdown, raw HTML escaped)."""

    loaded: bool = False
    found: bool = False
    title: str = ""
    html: str = ""

    async def _load(self, name: str) -> None:
        document = await asyncio.to_thread(content.legal_page, name)  # a file read off the event loop
        self.found = document is not None
        self.title = document.title if document else ""
        self.html = document.html if document else ""
        self.loaded = True

    @rx.event
    async def load_terms(self) -> None:
        """on_load of `/terms`: `content/terms.md`."""
        await self._load("terms")

    @rx.event
    async def load_privacy(self) -> None:
        """on_load of `/privacy`: `content/privacy.md`."""
        await self._load("privacy")
