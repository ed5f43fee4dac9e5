"""`/`: the plans on sale, and which one the signed-in subscriber already has."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import reflex as rx

from khalti_portal import accounts
from khalti_portal.billing import plans, subscription
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.numbers import format_days, format_rupees
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import language_for
from khalti_portal.states.views import PlanCard


class CatalogState(AuthState):
    """The catalog page."""

    cards: list[PlanCard] = []
    loaded: bool = False
    my_plan_slug: str = ""

    @rx.event
    async def load(self) -> None:
        """Read the catalog fresh on every visit (off the event loop), so admin edits show at once."""
        language = await language_for(self)
        self.cards, self.my_plan_slug = await asyncio.to_thread(_catalog, self.session_token, language)
        self.loaded = True


def _catalog(session_token: str, language: Language) -> tuple[list[PlanCard], str]:
    """The plans on sale, priced in `language`, and the caller's current plan slug ('' when none or signed out)."""
    # The plan's name is the merchant's own, shown as written; its description and features in Nepali when written.
    cards = [
        replace(
            PlanCard.of(plan, language.value),
            price=format_rupees(plan.price_paisa, language),
            duration=format_days(plan.duration_days, language),
        )
        for plan in plans.active_plans()
    ]
    user_id = accounts.session_user(session_token)
    return cards, (subscription.current_plan_slug(user_id) or "") if user_id is not None else ""
