"""`/admin/plans`: every plan with its figures, a create/edit form, archive/restore/delete per row.

Thin: each handler is `admin_only` (the caller re-read from the database), hands the typed text to
`billing.admin.plans`, and maps the outcome to small view objects. Prices arrive only as text and are
parsed on the server; plan ids are checked on the server. Every word it writes (billing's answers, the
prices and lengths in the table) is written in the language of the tab, read in each handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx

from khalti_portal.billing.admin import plans as plan_admin
from khalti_portal.billing.admin.inputs import MAX_DAYS, MIN_DAYS
from khalti_portal.billing.admin.plans import PlanErrors, PlanForm
from khalti_portal.db.models import MIN_PRICE_PAISA, Plan
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.messages import shown
from khalti_portal.states.admin_base import AdminState, admin_only
from khalti_portal.states.admin_plan_views import AdminPlanView, PlanDraft
from khalti_portal.states.language import language_for


@dataclass(frozen=True)
class PlanLimits:
    """What billing accepts in each field, for the form's hints (views never import billing)."""

    min_price_paisa: int = MIN_PRICE_PAISA
    min_days: int = MIN_DAYS
    max_days: int = MAX_DAYS
    max_name: int = plan_admin.MAX_NAME
    max_feature_keys: int = plan_admin.MAX_FEATURE_KEYS
    max_features: int = plan_admin.MAX_FEATURES
    max_feature_chars: int = plan_admin.MAX_FEATURE_CHARS
    max_description: int = plan_admin.MAX_DESCRIPTION


PLAN_LIMITS = PlanLimits()
GONE = N_("That plan does not exist any more; the list has been reloaded.")
SAVED = N_("Saved {name}.")
CREATED = N_("Created {name}.")
ARCHIVED = N_("Archived {name}: it is off sale.")
RESTORED = N_("Restored {name}: it is on sale.")
DELETED = N_("Deleted {name}.")


class AdminPlansState(AdminState):
    """The admin plans page."""

    rows: list[AdminPlanView] = []
    loaded: bool = False
    editing_id: int = 0  # 0: the form creates a new plan
    editing_name: str = ""
    draft: PlanDraft = PlanDraft()
    form_key: int = 0  # bumped to remount the form's inputs with a new draft
    form_errors: dict[str, str] = {}
    form_message: str = ""
    notice: str = ""
    error_message: str = ""

    # -- helpers (not callable from the browser) ------------------------------------------------------

    def _refresh(self, language: Language) -> None:
        self.rows = [AdminPlanView.of(row, language) for row in plan_admin.list_plans_for_admin()]
        self.loaded = True

    def _open_form(self, plan: Plan | None = None) -> None:
        self.editing_id = int(plan.id or 0) if plan is not None else 0
        self.editing_name = plan.name if plan is not None else ""
        self.draft = PlanDraft.of(plan_admin.form_of(plan)) if plan is not None else PlanDraft()
        self.form_errors, self.form_message = {}, ""
        self.form_key += 1

    def _clear_messages(self) -> None:
        self.notice, self.error_message = "", ""

    def _edit(self, plan_id: object, language: Language) -> bool:
        """Fill the form with a plan's current values; False (the list reloaded) when there is no such plan."""
        plan = plan_admin.get_plan_by_id(plan_id)
        if plan is None:
            self.error_message = translate(language, GONE)
            self._refresh(language)
            return False
        self._open_form(plan)
        return True

    def _store(self, form: PlanForm) -> Plan | PlanErrors:
        """The form saved: the plan being edited updated, or a new plan created."""
        if self.editing_id:
            return plan_admin.update_plan(self.editing_id, form, actor_user_id=self._actor())
        return plan_admin.create_plan(form, actor_user_id=self._actor())

    def _saved(self, result: Plan | PlanErrors, done: str, language: Language) -> None:
        """After a save: field errors stay next to their fields; a saved plan empties the form and redraws."""
        if isinstance(result, PlanErrors):
            self.form_errors = {name: shown(text, language) for name, text in result.fields.items()}
            self.form_message = shown(result.summary, language)
            return
        self.notice = translate(language, done, name=result.name)
        self._open_form()
        self._refresh(language)

    def _outcome(self, result: Plan | PlanErrors, done: str, language: Language, *, gone: bool = False) -> None:
        """After a row action: say what happened, redraw the table (and drop the edit of a deleted plan)."""
        if isinstance(result, PlanErrors):
            self.error_message = shown(result.summary, language)
        else:
            self.notice = translate(language, done, name=result.name)
            if gone and self.editing_id == result.id:
                self._open_form()
        self._refresh(language)

    # -- handlers ---------------------------------------------------------------------------------------

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """on_load (and after a change of language): admins see every plan, fresh; anyone else is sent away."""
        if not self.is_hydrated:
            return AdminPlansState.load  # on_load runs before hydration finishes; look again once it has
        return await self._open_page()

    @admin_only
    async def _open_page(self) -> None:
        self._clear_messages()
        self._open_form()
        self._refresh(await language_for(self))

    @rx.event
    @admin_only
    async def cancel_edit(self) -> None:
        """Leave the edit without saving; the form creates a new plan again."""
        self._clear_messages()
        self._open_form()

    @rx.event
    @admin_only
    async def start_edit(self, plan_id: int) -> rx.event.EventSpec | None:
        """Fill the form with one plan's current values."""
        self._clear_messages()
        return rx.scroll_to("plan-form") if self._edit(plan_id, await language_for(self)) else None

    @rx.event
    @admin_only
    async def save(self, form_data: dict[str, Any]) -> None:
        """Create or update from the typed text; field errors stay next to their fields."""
        self._clear_messages()
        form = PlanForm.from_mapping(form_data if isinstance(form_data, dict) else {})
        self._saved(self._store(form), SAVED if self.editing_id else CREATED, await language_for(self))

    @rx.event
    @admin_only
    async def archive(self, plan_id: int) -> None:
        """Take a plan off sale; subscribers keep what they paid for."""
        self._clear_messages()
        result = plan_admin.archive_plan(plan_id, actor_user_id=self._actor())
        self._outcome(result, ARCHIVED, await language_for(self))

    @rx.event
    @admin_only
    async def restore(self, plan_id: int) -> None:
        """Put an archived plan back on sale."""
        self._clear_messages()
        result = plan_admin.restore_plan(plan_id, actor_user_id=self._actor())
        self._outcome(result, RESTORED, await language_for(self))

    @rx.event
    @admin_only
    async def delete(self, plan_id: int) -> None:
        """Delete a plan nobody ever paid for (the page asks for confirmation first)."""
        self._clear_messages()
        result = plan_admin.delete_plan(plan_id, actor_user_id=self._actor())
        self._outcome(result, DELETED, await language_for(self), gone=True)
