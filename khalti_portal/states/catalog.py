"""`/`: the plans on sale, and which one the signed-in subscriber already has."""

from __future__ import annotations

import reflex as rx

from khalti_portal.billing import plans, subscription
from khalti_portal.states.auth import AuthState
from khalti_portal.states.views import PlanCard


class CatalogState(AuthState):
    """The catalog page."""

    cards: list[PlanCard] = []
    loaded: bool = False
    my_plan_slug: str = ""

    @rx.event
    def load(self) -> None:
        """Read the catalog fresh on every visit, so admin edits show at once."""
        self.cards = [PlanCard.of(plan) for plan in plans.active_plans()]
        user_id = self._user_id()
        self.my_plan_slug = (subscription.current_plan_slug(user_id) or "") if user_id is not None else ""
        self.loaded = True
