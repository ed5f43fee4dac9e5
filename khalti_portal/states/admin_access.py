"""Access by hand on `/admin/payments`: grant, extend or revoke a user's access, always with a reason.

A substate of the payments page's state (Reflex makes a subclass a substate): it is loaded with the page,
so a change redraws the page's figures, and a refused caller empties the whole page, not just this form.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from khalti_portal.billing.admin import access
from khalti_portal.billing.admin.access import DecisionOutcome
from khalti_portal.i18n.catalogs import Language, translate
from khalti_portal.states.admin_base import admin_only
from khalti_portal.states.admin_payments import AdminPaymentsState
from khalti_portal.states.form_data import form_text

MANUAL_ACTIONS = ("grant", "extend", "revoke")


class AdminAccessState(AdminPaymentsState):
    """The payments page's form for access by hand."""

    manual_notice: str = ""
    manual_error: str = ""
    manual_key: int = 0  # bumped to empty the form after a success

    def _page(self) -> AdminPaymentsState:
        """The payments page's state, this form's parent."""
        page = self.parent_state
        assert isinstance(page, AdminPaymentsState)
        return page

    def _refuse(self) -> rx.event.EventSpec:
        """Empty the whole payments page (this form with it), then send the caller to the catalog."""
        return self._page()._refuse()

    @rx.event
    @admin_only
    async def manual_action(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Grant, extend or revoke a user's access by hand: username or #id, days, and a reason."""
        page = self._page()
        await page._read_language()  # the page's figures are written again below, in the same language
        outcome = _decide(form_data, self._actor(), page._lang())
        self.manual_notice, self.manual_error = (outcome.message, "") if outcome.ok else ("", outcome.message)
        if outcome.ok:
            self.manual_key += 1
            self._page()._refresh()  # the figures count the change
        return None


def _decide(form_data: object, admin_id: int, language: Language = Language.EN) -> DecisionOutcome:
    """The form's action for `admin_id` (billing checks the user, the days and the reason), said in `language`."""
    action = form_text(form_data, "action")
    user, reason = form_text(form_data, "user"), form_text(form_data, "reason")
    if action not in MANUAL_ACTIONS:
        return DecisionOutcome(False, translate(language, "Choose grant, extend or revoke."))
    if action == "revoke":
        return access.revoke_access(user, actor_user_id=admin_id, reason=reason, language=language)
    change = access.grant_access if action == "grant" else access.extend_access
    return change(user, form_text(form_data, "days"), actor_user_id=admin_id, reason=reason, language=language)
