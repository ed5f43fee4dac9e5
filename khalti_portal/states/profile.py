"""`/profile`: name, email (and whether it is confirmed), phone, the reminders switch, the calendar, a new password."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from khalti_portal import account_email, accounts, mail_preferences, password_reset, reading_preferences
from khalti_portal.clock import utcnow
from khalti_portal.i18n.catalogs import N_, Language, translate, translate_plural
from khalti_portal.i18n.date_fallback import format_day_or_ad
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.messages import shown
from khalti_portal.i18n.numbers import format_number
from khalti_portal.states.account import login_url, off_the_loop
from khalti_portal.states.auth import AuthState
from khalti_portal.states.form_data import form_text, switch_position
from khalti_portal.states.language import language_for

PASSWORD_READ_CHARS = 256  # above the 72-byte limit, so a long password is refused in words, not cut
PASSWORD_FIELDS = ("current_password", "new_password", "confirm_new_password")
# The backend names the field a refusal is about; the form names its inputs.
CHANGE_FIELDS = {"current": "current_password", "new": "new_password"}
SWITCH_REFUSED = N_("The reminders switch is either on or off; nothing was changed. Reload the page and try again.")
CALENDAR_NAMES = {Calendar.AD: N_("AD"), Calendar.BS: N_("Bikram Sambat (BS)"), Calendar.BOTH: N_("BS and AD")}


def today_in(calendar: Calendar, language: Language = Language.EN) -> str:
    """Today as the profile's calendar choice shows it, e.g. `12 Mangsir 2083 (28 Nov 2026)`."""
    return format_day_or_ad(utcnow(), calendar, language)


def sessions_signed_out(ended: int, language: Language) -> str:
    """What a password change says about the other devices it signed out."""
    return translate_plural(
        language,
        "Password changed; {n} other session signed out.",
        "Password changed; {n} other sessions signed out.",
        ended,
        n=format_number(ended, language),
    )


class ProfileState(AuthState):
    """The signed-in user's own profile."""

    display_name: str = ""
    email: str = ""
    phone: str = ""
    pan: str = ""
    errors: dict[str, str] = {}
    saved: bool = False
    # The address as stored (the form's `email` may hold an unsaved or refused edit) and whether it is confirmed.
    stored_email: str = ""
    email_verified: bool = False
    resend_message: str = ""
    # The renewal reminders switch (`#reminders-enabled`): as stored, and what the last flip of it said.
    reminders_enabled: bool = False
    reminders_message: str = ""
    reminders_error: str = ""
    # The calendar dates are shown in (`#calendar`): the one in force (the site's while none is chosen),
    # whether the subscriber chose it, today in it, and what the last change said.
    calendar: str = ""
    calendar_chosen: bool = False
    calendar_example: str = ""
    calendar_message: str = ""
    calendar_error: str = ""

    def _show_calendar(self, calendar: Calendar, language: Language, *, chosen: bool) -> None:
        self.calendar, self.calendar_chosen = calendar.value, chosen
        self.calendar_example = today_in(calendar, language)

    async def _read_email_status(self, user_id: int) -> None:
        status = await asyncio.to_thread(account_email.email_status, user_id)
        self.stored_email, self.email_verified = status.email, status.verified

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
        self.pan = profile.pan
        self.errors, self.saved, self.resend_message = {}, False, ""
        await self._read_email_status(user_id)
        self.reminders_enabled = await asyncio.to_thread(mail_preferences.reminders_enabled, user_id)
        self.reminders_message, self.reminders_error = "", ""
        chosen = await asyncio.to_thread(reading_preferences.chosen_calendar, user_id)
        language = await language_for(self)
        self._show_calendar(chosen or reading_preferences.site_calendar(), language, chosen=chosen is not None)
        self.calendar_message, self.calendar_error = "", ""
        return None

    @rx.event
    async def set_calendar(self, value: Any) -> rx.event.EventSpec | None:
        """Store the calendar dates are shown in (AD, BS, both or the site's default); anything else is refused."""
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        self.calendar_message, self.calendar_error = "", ""
        language = await language_for(self)
        if value == reading_preferences.FOLLOW_SITE:
            await asyncio.to_thread(reading_preferences.set_calendar, user_id, value)
            site = reading_preferences.site_calendar()
            self._show_calendar(site, language, chosen=False)
            self.calendar_message = translate(
                language,
                "Saved: dates follow the site's default, now {calendar}, e.g. {today}.",
                calendar=translate(language, CALENDAR_NAMES[site]),
                today=self.calendar_example,
            )
            return None
        calendar = reading_preferences.parse_calendar(value)
        problem = reading_preferences.CALENDAR_PROBLEM if calendar is None else None
        if calendar is not None:
            problem = await asyncio.to_thread(reading_preferences.set_calendar, user_id, calendar.value)
        if calendar is None or problem:
            self.calendar_error = translate(
                language, "{problem} Nothing was changed.", problem=shown(problem or "", language)
            )
            return None
        self._show_calendar(calendar, language, chosen=True)
        self.calendar_message = translate(
            language,
            "Saved: dates now show in {calendar}, e.g. {today}.",
            calendar=translate(language, CALENDAR_NAMES[calendar]),
            today=self.calendar_example,
        )
        return None

    @rx.event
    async def set_reminders_enabled(self, value: Any) -> rx.event.EventSpec | None:
        """Turn renewal reminders on or off (checked = on); anything but on or off is refused in words."""
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        self.reminders_message, self.reminders_error = "", ""
        wanted = switch_position(value)
        if wanted is None:
            self.reminders_error = translate(await language_for(self), SWITCH_REFUSED)
            return None
        done = await asyncio.to_thread(mail_preferences.set_reminders, user_id, wanted)
        self.reminders_enabled = done.reminders_enabled
        self.reminders_message = shown(done.message, await language_for(self))
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
            pan=form_text(form_data, "pan", 20, strip=True).replace(
                " ", ""
            ),  # read past 9: a longer one is refused, not cut
        )
        self.display_name, self.email, self.phone = profile.display_name, profile.email, profile.phone
        self.pan = profile.pan
        problems = await asyncio.to_thread(accounts.save_profile, user_id, profile)
        language = await language_for(self)
        self.errors = {name: shown(problem, language) for name, problem in problems.items()}
        self.saved, self.resend_message = not self.errors, ""
        await self._read_email_status(user_id)  # a new address is unconfirmed until its link is opened
        return None

    @rx.event
    async def resend_verification(self) -> rx.event.EventSpec | None:
        """Mail a fresh confirmation link to the stored address (the backend limits how often)."""
        user_id = await self._user_id_async()
        if user_id is None:
            return rx.redirect(login_url(self.router.url.path))
        answer = await asyncio.to_thread(account_email.resend_verification, user_id)
        self.resend_message = shown(answer, await language_for(self))
        await self._read_email_status(user_id)
        return None


class ChangePasswordState(AuthState):
    """The change-password form on `/profile`: the passwords are read from the form only, never kept in a var."""

    errors: dict[str, str] = {}
    changed_message: str = ""

    @rx.event
    async def change_password(self, form_data: dict[str, Any]) -> list[rx.event.EventSpec]:
        """Replace the password when the current one is right; this tab stays signed in, every other session ends."""
        self.errors, self.changed_message = {}, ""
        user_id = await self._user_id_async()
        if user_id is None:
            return [rx.redirect(login_url(self.router.url.path))]
        language = await language_for(self)
        current = form_text(form_data, "current_password", PASSWORD_READ_CHARS)
        new = form_text(form_data, "new_password", PASSWORD_READ_CHARS)
        confirm = form_text(form_data, "confirm_new_password", PASSWORD_READ_CHARS)
        clear = [rx.set_value(name, "") for name in PASSWORD_FIELDS]
        if not current:
            self.errors = {"current_password": translate(language, "Enter your current password.")}
            return clear
        if problem := accounts.password_problem(new):
            self.errors = {"new_password": shown(problem, language)}
            return clear
        if new != confirm:
            self.errors = {"confirm_new_password": translate(language, "The two new passwords differ.")}
            return clear
        try:
            changed = await off_the_loop(
                password_reset.change_password, user_id, current, new, keep_session=self.session_token
            )
        except accounts.AccountError as err:
            self.errors = {CHANGE_FIELDS.get(err.field, "current_password"): err.text(language)}
            return clear
        self.changed_message = sessions_signed_out(changed.sessions_ended, language)
        return clear
