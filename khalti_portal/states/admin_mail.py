"""`/admin/mail`: the mail outbox (filter by status, pages) and an audited retry of a failed message.

Thin, like the payments page: every public handler is `admin_only` (who is calling is re-read from the
database; anyone but an admin changes nothing and is refused). Ids, statuses and page numbers arrive from
the browser as anything at all and are checked by `billing.admin.mail`. Database work runs in a worker
thread, so other tabs are not held up while the outbox is read. What it writes (billing's answers, dates,
counts, the pager's line) is in the tab's language, read on every refresh.
"""

from __future__ import annotations

import asyncio

import reflex as rx

from khalti_portal.billing.admin import mail as admin_mail
from khalti_portal.billing.admin.mail import OutboxPage
from khalti_portal.i18n.catalogs import N_, Language, translate, translate_plural
from khalti_portal.i18n.messages import shown
from khalti_portal.i18n.numbers import format_number
from khalti_portal.states.admin_base import AdminState, admin_only
from khalti_portal.states.admin_mail_views import MailCountsView, MailRowView
from khalti_portal.states.language import language_for

ALL = "all"  # the status filter's "every status" (Radix selects cannot hold an empty value)
STATUS_CHOICES: list[str] = [ALL, *admin_mail.STATUSES]
STATUS_QUERY = "status"  # `/admin/mail?status=failed` opens the page on one status
# What the list says when the filter holds nothing.
EMPTY = {
    "": N_("The outbox is empty: no mail yet."),
    "queued": N_("No queued messages."),
    "sent": N_("No sent messages."),
    "failed": N_("No failed messages."),
}


def pager_text(found: OutboxPage, language: Language) -> str:
    """`Page 1 of 2 · 60 messages` in `language`."""
    where = translate(
        language,
        "Page {page} of {pages}",
        page=format_number(found.page, language),
        pages=format_number(found.pages, language),
    )
    how_many = translate_plural(
        language, "{n} message", "{n} messages", found.total, n=format_number(found.total, language)
    )
    return f"{where} · {how_many}"


class AdminMailState(AdminState):
    """The admin mail page."""

    loaded: bool = False
    rows: list[MailRowView] = []
    counts: MailCountsView = MailCountsView()
    total: int = 0
    page: int = 1
    pages: int = 1
    status_filter: str = ALL
    mail_waits: bool = False  # no SMTP server and not the emulator: nothing is sent
    empty_text: str = ""
    page_text: str = ""  # the pager's line, written on the server in the tab's language
    notice: str = ""
    error_message: str = ""

    # -- helpers (not callable from the browser) ------------------------------------------------------

    def _clear_messages(self) -> None:
        self.notice = self.error_message = ""

    async def _refresh(self, status: object = None, page: object = None) -> None:
        """The counts and one page of the outbox, read again (same filter and page unless told otherwise)."""
        wanted = self.status_filter if status is None else status
        found = await asyncio.to_thread(admin_mail.outbox_page, wanted, self.page if page is None else page)
        language = await language_for(self)
        if found.problem:
            self.error_message = shown(found.problem, language)
        calendar = await asyncio.to_thread(self._calendar)
        self.rows = [MailRowView.of(row, calendar, language) for row in found.rows]
        self.counts = MailCountsView.of(found, language)
        self.status_filter = found.status or ALL
        self.total, self.page, self.pages = found.total, found.page, found.pages
        self.page_text = pager_text(found, language)
        self.mail_waits = found.mail_waits
        self.empty_text = translate(language, EMPTY.get(found.status, EMPTY[""]))
        self.loaded = True

    # -- page and list --------------------------------------------------------------------------------

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """on_load: admins see the outbox (the status in the URL, if any); anyone else is sent away."""
        if not self.is_hydrated:
            return AdminMailState.load  # on_load runs before hydration finishes; look again once it has
        return await self._open_page()

    @admin_only
    async def _open_page(self) -> None:
        self._clear_messages()
        await self._refresh(self.router.url.query_parameters.get(STATUS_QUERY, ALL), 1)

    @rx.event
    @admin_only
    async def refresh(self) -> None:
        """Read the counts and the list again."""
        self._clear_messages()
        await self._refresh()

    @rx.event
    @admin_only
    async def filter_status(self, status: str) -> None:
        """Show one status (or all), from the first page."""
        self._clear_messages()
        await self._refresh(status, 1)

    @rx.event
    @admin_only
    async def go_to_page(self, page: int) -> None:
        """Show another page of the list (a page past either end shows that end)."""
        self._clear_messages()
        await self._refresh(page=page)

    # -- one message ----------------------------------------------------------------------------------

    @rx.event
    @admin_only
    async def retry(self, message_id: int) -> None:
        """Queue a failed message again (audited with the admin's name) and say how it went."""
        self._clear_messages()
        outcome = await asyncio.to_thread(admin_mail.retry_message, message_id, actor_user_id=self._actor())
        await self._refresh()
        message = shown(outcome.message, await language_for(self))
        if outcome.ok:
            self.notice = message
        else:
            self.error_message = message
