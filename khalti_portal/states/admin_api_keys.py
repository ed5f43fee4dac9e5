"""`/admin/api-keys`: the keys the merchant's systems use on the entitlement API; create (shown once) and revoke.

Thin, like the mail page: every public handler is `admin_only`. A new key is held in `new_key_value` only
so the page can show it once: it is dropped when the page is loaded again, when another key is created,
when the admin leaves the page (`forget_key`, on unmount), and by any refusal (`_refuse` empties the state).
The key is never logged and never written anywhere else. Billing's answers and the table's dates are written
in the tab's language.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from khalti_portal.billing.admin import api_keys as admin_keys
from khalti_portal.i18n.messages import shown
from khalti_portal.states.admin_api_key_views import ApiKeyRowView
from khalti_portal.states.admin_base import AdminState, admin_only
from khalti_portal.states.language import language_for

MAX_LABEL = admin_keys.MAX_LABEL  # for the page's input (views never import billing)


class AdminApiKeysState(AdminState):
    """The admin API keys page."""

    loaded: bool = False
    rows: list[ApiKeyRowView] = []
    new_key_value: str = ""  # the key just created, shown once
    new_key_label: str = ""
    label_error: str = ""
    form_key: int = 0  # bumped to remount (empty) the label input after a key is created
    notice: str = ""
    error_message: str = ""

    # -- helpers (not callable from the browser) ------------------------------------------------------

    def _clear_messages(self) -> None:
        self.notice = self.error_message = self.label_error = ""

    def _forget_key(self) -> None:
        self.new_key_value = self.new_key_label = ""

    async def _refresh(self) -> None:
        rows = await asyncio.to_thread(admin_keys.list_keys)
        calendar = await asyncio.to_thread(self._calendar)
        language = await language_for(self)
        self.rows = [ApiKeyRowView.of(row, calendar, language) for row in rows]
        self.loaded = True

    # -- handlers ---------------------------------------------------------------------------------------

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """on_load: admins see the keys (a key shown before is gone); anyone else is sent away."""
        self._forget_key()  # a reload never shows a key again, whoever is asking
        if not self.is_hydrated:
            return AdminApiKeysState.load  # on_load runs before hydration finishes; look again once it has
        return await self._open_page()

    @admin_only
    async def _open_page(self) -> None:
        self._clear_messages()
        await self._refresh()

    @rx.event
    @admin_only
    async def refresh(self) -> None:
        """Read the list again."""
        self._clear_messages()
        await self._refresh()

    @rx.event
    @admin_only
    async def create(self, form_data: dict[str, Any]) -> None:
        """Make a key with the typed label and show it once; a bad label is answered under the field."""
        self._clear_messages()
        self._forget_key()
        label = form_data.get("label") if isinstance(form_data, dict) else None
        outcome = await asyncio.to_thread(admin_keys.create_key, label, actor_user_id=self._actor())
        language = await language_for(self)
        if not outcome.ok:
            self.label_error = shown(outcome.message, language)
            return
        self.new_key_value, self.new_key_label = outcome.key, str(label).strip()
        self.notice = shown(outcome.message, language)
        self.form_key += 1
        await self._refresh()

    @rx.event
    @admin_only
    async def revoke(self, key_id: int) -> None:
        """Revoke a key (the page asks first); audited with the admin's name."""
        self._clear_messages()
        outcome = await asyncio.to_thread(admin_keys.revoke_key, key_id, actor_user_id=self._actor())
        await self._refresh()
        message = shown(outcome.message, await language_for(self))
        if outcome.ok:
            self.notice = message
        else:
            self.error_message = message

    @rx.event
    @admin_only
    async def forget_key(self) -> None:
        """Drop the key shown once (the admin copied it, or left the page)."""
        self._forget_key()
