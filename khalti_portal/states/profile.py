"""`/profile`: name, email and phone, which Khalti shows on its page as the customer's."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from khalti_portal import accounts
from khalti_portal.states.account import login_url
from khalti_portal.states.auth import AuthState
from khalti_portal.states.form_data import form_text


class ProfileState(AuthState):
    """The signed-in user's own profile."""

    display_name: str = ""
    email: str = ""
    phone: str = ""
    errors: dict[str, str] = {}
    saved: bool = False

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Fill the form with what is stored."""
        if not self.is_hydrated:
            return ProfileState.load
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        profile = await asyncio.to_thread(accounts.get_profile, user_id)
        self.display_name, self.email, self.phone = profile.display_name, profile.email, profile.phone
        self.errors, self.saved = {}, False
        return None

    @rx.event
    async def save(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Check each field on the server and store them together, or none of them."""
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        profile = accounts.Profile(
            display_name=form_text(form_data, "display_name", 121, strip=True),
            email=form_text(form_data, "email", 255, strip=True),
            phone=form_text(form_data, "phone", 21, strip=True).replace(" ", "").replace("-", ""),
        )
        self.display_name, self.email, self.phone = profile.display_name, profile.email, profile.phone
        self.errors = await asyncio.to_thread(accounts.save_profile, user_id, profile)
        self.saved = not self.errors
        return None
