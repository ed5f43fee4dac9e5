"""The profile form (name, email and whether it is confirmed, phone), the reminders switch, the calendar, password."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.forms import (
    Text,
    described_by,
    error_callout,
    field,
    field_error,
    labelled,
    notice_callout,
)
from khalti_portal.components.text import per_language, t
from khalti_portal.i18n.catalogs import N_, translate
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_number
from khalti_portal.reading_preferences import FOLLOW_SITE
from khalti_portal.states.profile import ChangePasswordState as C
from khalti_portal.states.profile import ProfileState as S
from khalti_portal.views.account import PASSWORD_HINT

# The example number stays in Latin digits in every language: it is what people type into the field.
PHONE_HINT = per_language(
    lambda language: translate(
        language, "{n} digits, e.g. {example}", n=format_number(10, language), example="9800000001"
    )
)
PAN_HINT = per_language(
    lambda language: translate(
        language,
        "Optional: {n} digits, printed on your invoices. Leave empty when buying as a person.",
        n=format_number(9, language),
    )
)


def contact_field(label: Text, name: str, value: rx.Var[str], **props: object) -> rx.Component:
    """One labelled input filled from the saved profile (remounted when the saved value changes)."""
    error = field_error(S.errors, name, f"{name}-error")
    return field(label, name, default_value=value, key=value, error=error, invalid=S.errors.contains(name), **props)


def email_status() -> rx.Component:
    """Whether the stored address is confirmed; while it is not, a button to mail the link again."""
    return rx.cond(
        S.stored_email != "",
        rx.vstack(
            rx.text(
                rx.cond(
                    S.email_verified,
                    rx.fragment(rx.icon("check", size=14), " ", t("Confirmed")),
                    t("Not confirmed yet: we sent a link to {email}.", email=S.stored_email),
                ),
                id="email-status",
                custom_attrs={"data-verified": rx.cond(S.email_verified, "true", "false")},
                size="2",
                color_scheme=rx.cond(S.email_verified, "green", "amber"),
            ),
            rx.cond(
                ~S.email_verified,
                rx.button(
                    t("Send the link again"),
                    type="button",  # inside the profile form: not a submit
                    id="resend-verification",
                    on_click=S.resend_verification,
                    variant="soft",
                    size="2",
                ),
            ),
            rx.cond(S.resend_message != "", rx.text(S.resend_message, id="resend-result", size="2", role="status")),
            spacing="2",
            width="100%",
        ),
        rx.text(
            t("No email address: add one so you can reset your password if you forget it."),
            id="email-missing",
            size="2",
            color_scheme="amber",
        ),
    )


def profile_form() -> rx.Component:
    """Name, email (and its confirmation) and mobile number, then Save."""
    return rx.form(
        rx.vstack(
            contact_field(t("Name"), "display_name", S.display_name, autocomplete="name"),
            contact_field(
                t("Email"),
                "email",
                S.email,
                type_="email",
                autocomplete="email",
                hint=t("Payment confirmations and password reset links are sent here, once it is confirmed."),
            ),
            email_status(),
            contact_field(t("Mobile number"), "phone", S.phone, type_="tel", autocomplete="tel", hint=PHONE_HINT),
            contact_field(t("PAN (for a business)"), "pan", S.pan, input_mode="numeric", hint=PAN_HINT),
            rx.cond(S.saved, rx.callout(t("Saved."), icon="check", color_scheme="green", id="profile-saved")),
            rx.button(t("Save"), type="submit", id="profile-save", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=S.save,
        reset_on_submit=False,
        width="100%",
    )


def reminders_switch() -> rx.Component:
    """The renewal reminders switch (checked = on), labelled, with what the last flip did under it."""
    return rx.vstack(
        rx.hstack(
            rx.switch(
                id="reminders-enabled",
                checked=S.reminders_enabled,
                on_change=S.set_reminders_enabled,
                custom_attrs={"aria-describedby": "reminders-enabled-hint"},
                size="3",
            ),
            rx.el.label(t("Renewal reminders"), html_for="reminders-enabled", font_weight="500", font_size="0.95rem"),
            spacing="3",
            align="center",
        ),
        rx.text(
            t(
                "A few mails to your confirmed address as the end of your access comes near, and when it ends. "
                "Receipts, payment confirmations and account mail always come."
            ),
            id="reminders-enabled-hint",
            size="1",
            color_scheme="gray",
        ),
        notice_callout(S.reminders_message, "reminders-result"),
        error_callout(S.reminders_error, "reminders-error"),
        spacing="2",
        width="100%",
    )


# BS first: the calendar people here live by; the value is what `reading_preferences` stores.
CALENDAR_CHOICES = (
    (Calendar.BS, N_("Bikram Sambat (BS)")),
    (Calendar.AD, N_("AD (Gregorian)")),
    (Calendar.BOTH, N_("Both: BS, with AD in brackets")),
)


def calendar_choice() -> rx.Component:
    """`#calendar`: AD, BS or both, saved as soon as it changes; today in the calendar in force under it.

    A native select: labelled, reached and changed by keyboard with no script of ours. While the subscriber has
    not chosen, "The site's default" is selected, and choosing it again later undoes a choice.
    """
    control = rx.el.select(
        *(rx.el.option(t(label), value=calendar.value) for calendar, label in CALENDAR_CHOICES),
        rx.el.option(t("The site's default"), value=FOLLOW_SITE),
        id="calendar",
        name="calendar",
        value=rx.cond(S.calendar_chosen, S.calendar, FOLLOW_SITE),
        on_change=S.set_calendar,
        custom_attrs={"data-chosen": rx.cond(S.calendar_chosen, "true", "false"), **described_by("calendar-hint")},
        width="100%",
        height="var(--space-7)",
        padding_x="var(--space-2)",
        font_size="var(--font-size-3)",
        color="var(--gray-12)",
        background_color="var(--color-surface)",
        border="1px solid var(--gray-a7)",
        border_radius="var(--radius-2)",
    )
    hint = rx.text(
        t("Today reads: {today}.", today=S.calendar_example),
        rx.cond(S.calendar_chosen, "", rx.fragment(" ", t("You have not chosen yet: this is the site's default."))),
        id="calendar-hint",
        size="1",
        color_scheme="gray",
    )
    return rx.vstack(
        labelled(t("Show dates in"), control, for_id="calendar"),
        hint,
        notice_callout(S.calendar_message, "calendar-result"),
        error_callout(S.calendar_error, "calendar-error"),
        spacing="2",
        width="100%",
    )


def password_field(label: Text, name: str, autocomplete: str, hint: Text = "") -> rx.Component:
    """A password input with its error under it; never filled from state."""
    return field(
        label,
        name,
        type_="password",
        autocomplete=autocomplete,
        required=True,
        hint=hint,
        error=field_error(C.errors, name, f"{name}-error"),
        invalid=C.errors.contains(name),
    )


def change_password_form() -> rx.Component:
    """Current password, the new one twice, then Change password; other sessions end, this one stays."""
    return rx.form(
        rx.vstack(
            password_field(t("Current password"), "current_password", "current-password"),
            password_field(t("New password"), "new_password", "new-password", PASSWORD_HINT),
            password_field(t("Confirm new password"), "confirm_new_password", "new-password"),
            notice_callout(C.changed_message, "password-changed"),
            rx.button(t("Change password"), type="submit", id="change-password", size="3", width="100%"),
            spacing="3",
            width="100%",
        ),
        on_submit=C.change_password,
        reset_on_submit=False,
        width="100%",
    )
