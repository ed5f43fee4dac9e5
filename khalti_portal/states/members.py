"""`/members`: the merchant's members' pages a subscriber's plan unlocks, or why there are none and how to get them.

What a page unlocks is decided here, on the server, in the same handler that puts its HTML into the state:
`entitlement_for` is asked again on every load, and a person without access is sent an empty list, so the
state their browser receives never holds a locked page's text. The end of access is written in the tab's
language (read in `load`, which a change of language runs again); the pages are the merchant's words.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import reflex as rx

from khalti_portal import content
from khalti_portal.billing.entitlements import entitlement_for
from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.billing.plans import get_plan
from khalti_portal.billing.subscription import SubscriptionStatus
from khalti_portal.i18n.catalogs import SOURCE_LANGUAGE, Language
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.reading_preferences import calendar_of
from khalti_portal.routes import CATALOG_ROUTE, checkout_path
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.language import language_for
from khalti_portal.states.views import MemberBlock

# Why the page shows what it shows (`data-access` on the page).
OPEN = "open"  # access now, and pages for it
NEVER = "never"  # never subscribed
EXPIRED = "expired"  # access ended (grace over too)
NO_PAGES = "no-pages"  # access now, but the plan's features unlock no page


@dataclass(frozen=True)
class MembersView:
    """What `/members` shows one person now, read in one go (in a worker thread)."""

    access: str
    status: str
    plan_name: str = ""
    ended_display: str = ""
    ended_iso: str = ""
    unlock_href: str = CATALOG_ROUTE
    blocks: list[MemberBlock] = field(default_factory=list)


def _renew_href(plan_slug: str | None) -> str:
    """The checkout of the person's plan while it is on sale; the catalog otherwise."""
    if plan_slug and get_plan(plan_slug) is not None:
        return checkout_path(plan_slug)
    return CATALOG_ROUTE


def members_view(user_id: int, language: Language = SOURCE_LANGUAGE) -> MembersView | None:
    """The person's entitlement now and the pages it unlocks; None when there is no such (enabled) person.

    The end of access, when there is one to show, is in the person's calendar (one look-up, only then) and `language`.
    """
    entitlement = entitlement_for(user_id)
    if entitlement is None:
        return None
    status = entitlement.status.value
    if not entitlement.active:
        if entitlement.status is SubscriptionStatus.NONE or entitlement.expires_at is None:
            return MembersView(access=NEVER, status=status)
        return MembersView(
            access=EXPIRED,
            status=status,
            plan_name=entitlement.plan_name or "",
            ended_display=format_moment_or_ad(entitlement.expires_at, calendar_of(user_id), language),
            ended_iso=iso_utc(entitlement.expires_at),
            unlock_href=_renew_href(entitlement.plan),
        )
    blocks = [
        MemberBlock(title=b.title, feature=b.feature, html=b.html) for b in content.pages_for(entitlement.features)
    ]
    in_grace = entitlement.status is SubscriptionStatus.GRACE
    return MembersView(
        access=OPEN if blocks else NO_PAGES,
        status=status,
        plan_name=entitlement.plan_name or "",
        ended_display=(
            format_moment_or_ad(entitlement.expires_at, calendar_of(user_id), language)
            if in_grace and entitlement.expires_at
            else ""
        ),
        ended_iso=iso_utc(entitlement.expires_at) if in_grace and entitlement.expires_at else "",
        unlock_href=_renew_href(entitlement.plan) if in_grace else CATALOG_ROUTE,
        blocks=blocks,
    )


class MembersState(AuthState):
    """The signed-in person's own members' pages, checked against their entitlement on every load."""

    loaded: bool = False
    access: str = ""
    status: str = "none"
    plan_name: str = ""
    ended_display: str = ""
    ended_iso: str = ""
    unlock_href: str = CATALOG_ROUTE
    blocks: list[MemberBlock] = []

    def _show(self, view: MembersView) -> None:
        self.access, self.status, self.plan_name = view.access, view.status, view.plan_name
        self.ended_display, self.ended_iso, self.unlock_href = view.ended_display, view.ended_iso, view.unlock_href
        self.blocks = view.blocks
        self.loaded = True

    def _clear(self) -> None:
        # Nothing unlocked earlier stays in the tab while access is checked again (it may have ended).
        self.blocks, self.access, self.loaded = [], "", False

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Check the caller's entitlement now, and only then put the pages it unlocks into the state."""
        self._clear()
        if not self.is_hydrated:
            return MembersState.load
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        language = await language_for(self)
        view = await asyncio.to_thread(members_view, user_id, language)  # database and file reads off the event loop
        if view is None:  # the account was disabled between the session check and now
            return rx.redirect(login_url(self.router.url.path))
        self._show(view)
        return None
