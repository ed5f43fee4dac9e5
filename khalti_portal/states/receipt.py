"""`/receipts/[number]`: one invoice or credit note for its owner (or an admin), and its PDF made on the server."""

from __future__ import annotations

import asyncio

import reflex as rx

from khalti_portal import accounts
from khalti_portal.documents.pdf import receipt_pdf
from khalti_portal.documents.receipt import ReceiptView, find_for, receipt_view
from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, Language
from khalti_portal.reading_preferences import calendar_of
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import language_for

MAX_SLUG_CHARS = 64  # longer than any number; what is longer is not one, and is never looked up


def _document_for(slug: str, user_id: int, language: Language = SOURCE_LANGUAGE) -> ReceiptView | None:
    """The document under `slug` as the caller may see it (their own, or any for an admin), in the caller's calendar.

    Its words are the reader's (`language`, the tab's): an admin reading Nepali reads any receipt in Nepali.
    """
    invoice = find_for(slug, user_id=user_id, is_admin=accounts.is_admin(user_id))
    return receipt_view(invoice, calendar_of(user_id), language) if invoice is not None else None


def _pdf_for(slug: str, user_id: int, language: Language = SOURCE_LANGUAGE) -> bytes | None:
    """The PDF of the document, checked against the caller again (a tab may have been signed in as someone else)."""
    view = _document_for(slug, user_id, language)
    return receipt_pdf(view) if view is not None else None


class ReceiptState(AuthState):
    """The document in the address, shown only to whom it belongs (or to an admin)."""

    loaded: bool = False
    found: bool = False
    receipt: ReceiptView = ReceiptView()
    pdf_error: str = ""

    def _slug(self) -> str:
        # The number as it stands in the URL, read on the server; never taken from an event's arguments.
        return self.router.url.path.rstrip("/").rsplit("/", 1)[-1][:MAX_SLUG_CHARS]

    def _show(self, view: ReceiptView | None) -> None:
        self.found = view is not None
        self.receipt = view if view is not None else ReceiptView()
        self.loaded = True

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Read the document (its owner or an admin); anyone else sees "not found", as for a number never issued."""
        if not self.is_hydrated:
            return ReceiptState.load
        self.loaded, self.pdf_error = False, ""
        user_id = await self._user_id_async()
        if user_id is None:
            self._show(None)
            return rx.redirect(login_url(self.router.url.path))
        language = await language_for(self)
        self._show(await asyncio.to_thread(_document_for, self._slug(), user_id, language))
        return None

    @rx.event
    async def download_pdf(self) -> rx.event.EventSpec | None:
        """The PDF of the document in the address, made off the event loop for a caller checked just now."""
        self.pdf_error = ""
        user_id = await self._user_id_async()
        if user_id is None:
            self._show(None)
            return rx.redirect(login_url(self.router.url.path))
        slug, language = self._slug(), await language_for(self)
        pdf = await asyncio.to_thread(_pdf_for, slug, user_id, language)  # in the words the page is read in
        if pdf is None:
            self._show(None)  # signed in as someone else meanwhile, or the address was never a document
            return None
        return rx.download(data=pdf, filename=f"{slug}.pdf", mime_type="application/pdf")
