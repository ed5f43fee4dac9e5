"""The sections of `/members`: the pages the subscriber's plan unlocks, or why there are none and how to get them.

Our words go through `t`; the pages themselves (their titles and text) are the merchant's, shown as written.
"""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.actions import link_button
from khalti_portal.components.moments import moment_text
from khalti_portal.components.text import t
from khalti_portal.states.members import EXPIRED, NEVER, NO_PAGES
from khalti_portal.states.members import MembersState as S
from khalti_portal.states.views import MemberBlock

# Radix resets lists and headings; the merchant's Markdown needs them back to read as written.
MARKDOWN_STYLE = {
    "& h1, & h2, & h3": {"font_weight": "600", "margin": "1em 0 0.4em"},
    "& ul, & ol": {"padding_left": "1.5em", "margin": "0.5em 0"},
    "& ul": {"list_style": "disc"},
    "& ol": {"list_style": "decimal"},
    "& p": {"margin": "0.5em 0"},
    "& a": {"color": "var(--accent-11)", "text_decoration": "underline"},
}


def ended_at() -> rx.Component:
    """When access ended (or, in grace, when the paid period ended), machine-readable too."""
    return rx.el.time(
        moment_text(S.ended_display),
        date_time=S.ended_iso,
        id="members-ended-at",
        custom_attrs={"data-ended-at": S.ended_iso},
        font_weight="600",
    )


def locked() -> rx.Component:
    """No access now: why, in words, and the way to get it."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("lock")),
        rx.vstack(
            rx.match(
                S.access,
                (NEVER, rx.text(t("The members' area is for subscribers. Choose a plan to unlock it."))),
                (
                    EXPIRED,
                    # The date is an element of its own (`<time>`), so the sentence is said in two parts around it.
                    rx.text(
                        # TRANSLATORS: followed by the date access ended, then ". Renew to get back in."
                        t("Your {plan} subscription expired on", plan=S.plan_name),
                        " ",
                        ended_at(),
                        # TRANSLATORS: follows "Your {plan} subscription expired on" and the date, with no space.
                        t(". Renew to get back in."),
                    ),
                ),
                (
                    NO_PAGES,
                    rx.text(
                        t("Your {plan} plan includes no members' pages. Choose a plan that does.", plan=S.plan_name)
                    ),
                ),
                rx.fragment(),
            ),
            link_button(
                rx.cond(S.access == EXPIRED, t("Renew to unlock"), t("Subscribe to unlock")),
                S.unlock_href,
                id="subscribe-to-unlock",
                size="3",
            ),
            spacing="3",
        ),
        color_scheme="gray",
        id="members-locked",
        custom_attrs={"data-access": S.access},
        width="100%",
    )


def grace_note() -> rx.Component:
    """In grace access goes on for now; say so, with Renew."""
    return rx.callout.root(
        rx.callout.icon(rx.icon("clock")),
        rx.callout.text(
            # TRANSLATORS: followed by the date the subscription ended.
            t("Your subscription ended on"),
            " ",
            ended_at(),
            # TRANSLATORS: follows the date, with no space; then a link "renew now", then " to keep it."
            t(". Access continues for a few days:"),
            " ",
            rx.link(t("renew now"), href=S.unlock_href, id="members-renew"),
            # TRANSLATORS: follows the link "renew now".
            t(" to keep it."),
        ),
        color_scheme="amber",
        id="members-grace",
        width="100%",
    )


def member_block(block: MemberBlock) -> rx.Component:
    """One unlocked page: its heading and the HTML rendered on the server from the merchant's Markdown."""
    return rx.el.section(
        rx.heading(block.title, size="5", as_="h2"),
        rx.html(block.html, class_name="member-content", style=MARKDOWN_STYLE),
        custom_attrs={"data-feature": block.feature},
        class_name="member-block",
        width="100%",
    )


def unlocked() -> rx.Component:
    """Every page the plan unlocks, in the merchant's order."""
    return rx.vstack(
        rx.cond(S.status == "grace", grace_note()),
        rx.foreach(S.blocks, member_block),
        id="members-content",
        custom_attrs={"data-access": S.access},
        spacing="5",
        width="100%",
    )
