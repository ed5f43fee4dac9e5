"""The sections of `/admin/mail`: whether mail can go out, the counts and filter, the outbox table, the pager."""

from __future__ import annotations

import reflex as rx

from khalti_portal.components.data_table import data_table
from khalti_portal.components.data_table import pager as data_pager
from khalti_portal.components.dialogs import confirm_dialog
from khalti_portal.components.forms import labelled
from khalti_portal.components.placeholders import empty_state
from khalti_portal.components.status import MAIL_COLOURS, STATUS_WORDS, status_badge
from khalti_portal.components.text import t
from khalti_portal.i18n.catalogs import N_
from khalti_portal.states.admin_mail import ALL, STATUS_CHOICES
from khalti_portal.states.admin_mail import AdminMailState as S
from khalti_portal.states.admin_mail_views import MailRowView

HEADERS = (
    t("Queued at"),
    t("To"),
    t("Subject"),
    t("Status"),
    t("Tries"),
    t("Last error"),
    t("Sent at"),
    t("Actions"),
)
# The filter's choices as the reader reads them: "all", then each status's badge word.
# TRANSLATORS: the mail filter's choice that shows messages of every status.
CHOICE_WORDS = {ALL: N_("all"), **STATUS_WORDS}


def no_smtp_callout() -> rx.Component:
    """Said while no SMTP server is configured (outside the emulator): nothing leaves the outbox."""
    return rx.cond(
        S.mail_waits,
        rx.callout(
            t(
                "SMTP_HOST is not set: mail waits in the outbox. Set SMTP_HOST, SMTP_PORT, SMTP_SECURITY and "
                "MAIL_FROM, and the waiting messages go out."
            ),
            icon="mail_warning",
            color_scheme="amber",
            id="mail-no-smtp",
            width="100%",
        ),
    )


def count(label: rx.Var | str, value: rx.Var, id_: str) -> rx.Component:
    """One status and how many messages it holds."""
    return rx.text(label, " ", rx.text.strong(value, class_name="mail-count-value"), size="2", id=id_)


def counts() -> rx.Component:
    """How many messages each status holds."""
    c = S.counts
    return rx.hstack(
        count(t("All"), c.all_text, "mail-count-all"),
        count(t("Queued"), c.queued_text, "mail-count-queued"),
        count(t("Sent"), c.sent_text, "mail-count-sent"),
        count(t("Failed"), c.failed_text, "mail-count-failed"),
        spacing="4",
        wrap="wrap",
        id="mail-counts",
    )


def filter_bar() -> rx.Component:
    """The status filter and the counts on the left, Refresh on the right."""
    control = rx.select.root(
        rx.select.trigger(id="mail-status-filter"),
        rx.select.content(
            *[rx.select.item(t(CHOICE_WORDS.get(choice, choice)), value=choice) for choice in STATUS_CHOICES]
        ),
        value=S.status_filter,
        on_change=S.filter_status,
    )
    return rx.hstack(
        labelled(t("Status"), control, for_id="mail-status-filter", width=None),
        counts(),
        rx.spacer(),
        rx.button(t("Refresh"), variant="soft", on_click=S.refresh, id="mail-refresh"),
        align="end",
        spacing="4",
        wrap="wrap",
        width="100%",
    )


def retry_button(row: MailRowView) -> rx.Component:
    """Retry, confirmed first: the message gets a fresh set of tries, and the audit trail names the admin."""
    return confirm_dialog(
        rx.button(
            t("Retry…"),
            size="1",
            variant="soft",
            class_name="retry-mail",
            custom_attrs={"aria-label": t("Retry the message to {address}", address=row.to_address)},
        ),
        t("Send this message again?"),
        t(
            "The message to {address} is queued again with a fresh set of tries. Your name is kept in the audit trail.",
            address=row.to_address,
        ),
        rx.button(t("Retry"), class_name="retry-mail-confirm", on_click=S.retry(row.id)),
    )


def mail_row(row: MailRowView) -> rx.Component:
    """One message; a failed one has its Retry button."""
    return rx.table.row(
        rx.table.cell(row.queued, white_space="nowrap"),
        # Long addresses wrap at their @ and dots (overflow-wrap), not after any letter.
        rx.table.cell(row.to_address, min_width="10rem", overflow_wrap="anywhere"),
        rx.table.cell(row.subject, min_width="14rem"),
        rx.table.cell(status_badge(row.status, MAIL_COLOURS), class_name="mail-status"),
        rx.table.cell(row.tries_text, class_name="mail-tries"),
        rx.table.cell(
            rx.text(row.last_error, size="1", color_scheme="red", white_space="pre-wrap"),
            class_name="mail-error",
            min_width="12rem",
        ),
        rx.table.cell(
            rx.cond(
                row.sent != "",
                row.sent,
                rx.text(rx.cond(row.next_try != "", t("next try {when}", when=row.next_try), "")),
            ),
            white_space="nowrap",
        ),
        rx.table.cell(rx.cond(row.failed, retry_button(row))),
        custom_attrs={"data-message-id": row.id, "data-mail-status": row.status},
        class_name="admin-mail-row",
    )


def outbox_table() -> rx.Component:
    """The messages on the current page, or a line saying there are none."""
    return rx.cond(
        S.rows.length() == 0,
        empty_state(S.empty_text, id_="admin-mail-empty", icon="mail"),
        data_table(HEADERS, S.rows, mail_row, id_="admin-mail", label=t("Outbox"), size="1"),
    )


def pager() -> rx.Component:
    """Previous, where we are, Next."""
    return data_pager(id_prefix="mail", page=S.page, pages=S.pages, go_to_page=S.go_to_page, summary=S.page_text)
