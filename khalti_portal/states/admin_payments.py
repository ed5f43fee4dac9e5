"""`/admin/payments`: figures by period, payments (filter, search, dates, pages, CSV, detail), refunds, decisions.

Thin, like the plans page: every public handler is `admin_only` (who is calling is re-read from the
database; anyone but an admin changes nothing and is refused). Ids, the grouping of the figures and typed
dates arrive from the browser and are checked on the server; amounts never arrive at all (a refund is
always of the stored amount). Dates are shown in the admin's calendar and typed in it (BS for a BS reader).
Handlers that talk to Khalti (Check now, Refund) are background tasks: they read what they need under the
state lock, call Khalti outside it, and write the outcome under it again.

Everything written here for the admin to read is in their language: each handler reads it first
(`_read_language`), and a change of language re-runs `load`. The CSV downloads stay English.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import reflex as rx

from khalti_portal.billing.admin import access, reports
from khalti_portal.billing.admin import payments as admin_payments
from khalti_portal.billing.admin.inputs import MAX_REASON, id_of, reason_problem
from khalti_portal.billing.admin.payments import PaymentFilter
from khalti_portal.billing.admin.refunds import RefundOutcome, refund_payment
from khalti_portal.billing.nepal_time import to_nepal
from khalti_portal.billing.report_periods import (
    GROUPING_NAMES,
    GROUPING_PROBLEM,
    SHOWN,
    Grouping,
    default_grouping,
    nepal_midnight,
    parse_grouping,
)
from khalti_portal.billing.verification import verify_payment
from khalti_portal.clock import utcnow
from khalti_portal.i18n.catalogs import N_, SOURCE_LANGUAGE, Language, parse_language, translate, translate_plural
from khalti_portal.i18n.date_fallback import format_day_or_ad
from khalti_portal.i18n.date_input import MARKERS, input_calendar, input_hint
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.messages import shown
from khalti_portal.i18n.numbers import format_number
from khalti_portal.states.admin_base import AdminState, admin_only
from khalti_portal.states.admin_payment_views import (
    DetailView,
    FiguresView,
    PaymentRowView,
    PeriodView,
    check_message,
)
from khalti_portal.states.form_data import form_text
from khalti_portal.states.language import language_for

T = TypeVar("T")
RefundCall = Callable[..., Awaitable[RefundOutcome]]  # refund_payment, or access.refund_flagged

ALL = "all"  # the status filter's "every status" (Radix selects cannot hold an empty value)
STATUS_CHOICES: list[str] = [ALL, *admin_payments.STATUSES]
# (value, English name): the page shows each name through t().
GROUPING_CHOICES: list[tuple[str, str]] = [(grouping.value, GROUPING_NAMES[grouping]) for grouping in Grouping]
# The section's heading per grouping, `{n}` its SHOWN count.
HEADINGS = {
    Grouping.AD_MONTH: N_("The last {n} months (AD)"),
    Grouping.BS_MONTH: N_("The last {n} months (BS)"),
    Grouping.FISCAL_YEAR: N_("The last {n} fiscal years"),
}
# What a chart's title groups by ("Revenue by AD month"): the grouping's name, a fiscal year in lower case.
PERIOD_NOUNS = {**GROUPING_NAMES, Grouping.FISCAL_YEAR: N_("fiscal year")}
NO_SUCH_PAYMENT = N_("That payment does not exist; the list has been reloaded.")
REASON_HINT = N_("Required, at most {most} characters. Kept in the audit trail with your name.")


def reason_hint(language: Language = SOURCE_LANGUAGE) -> str:
    """The Reason box's hint in `language`."""
    return translate(language, REASON_HINT, most=format_number(MAX_REASON, language))


def pager_words(page: int, pages: int, total: int, language: Language = SOURCE_LANGUAGE) -> str:
    """`Page 2 of 5 · 230 payments` in `language`."""
    return translate_plural(
        language,
        "Page {page} of {pages} · {n} payment",
        "Page {page} of {pages} · {n} payments",
        total,
        page=format_number(page, language),
        pages=format_number(pages, language),
        n=format_number(total, language),
    )


def heading(grouping: Grouping, language: Language = SOURCE_LANGUAGE) -> str:
    """`The last 12 months (BS)` in `language`."""
    return translate(language, HEADINGS[grouping], n=format_number(SHOWN[grouping], language))


class AdminPaymentsState(AdminState):
    """The admin payments page."""

    loaded: bool = False
    figures: FiguresView = FiguresView()
    periods: list[PeriodView] = []  # the last months or fiscal years, oldest first: the charts and their table
    grouping: str = Grouping.AD_MONTH.value  # how `periods` is grouped now
    periods_heading: str = heading(Grouping.AD_MONTH)
    period_noun: str = "AD month"  # "AD month", "BS month" or "fiscal year" (in the admin's language)
    revenue_heading: str = "Revenue by AD month"  # the revenue chart's title
    # The admin's pick in this tab; "" follows their calendar (BS months for BS or both readers).
    _chosen_grouping: str = ""
    rows: list[PaymentRowView] = []
    total: int = 0
    page: int = 1
    pages: int = 1
    pager_words: str = pager_words(1, 1, 0)  # where the pager is, in words and the admin's digits
    reason_hint: str = reason_hint()
    status_filter: str = ALL
    search_text: str = ""
    search_key: int = 0  # bumped to remount the search box (after Clear)
    created_from_text: str = ""  # the dates as typed, shown again in their boxes
    created_to_text: str = ""
    date_calendar: str = "AD"  # which calendar the date boxes read: "BS" or "AD"
    date_hint: str = ""
    dates_in_words: str = ""  # the days the list is limited to, in the admin's calendar; "" for none
    _created_from: str = ""  # ISO AD day (Nepal) the list starts at, "" for none
    _created_to: str = ""
    detail: DetailView = DetailView()
    detail_open: bool = False
    busy: bool = False  # a Khalti call for this tab is running
    notice: str = ""
    error_message: str = ""
    detail_notice: str = ""
    detail_error: str = ""
    dialog_error: str = ""  # shown inside a confirmation dialog (a missing reason): the dialog stays open
    dialog_key: int = 0  # bumped once a confirmed action ran: remounts the confirmation dialogs closed
    _language: str = SOURCE_LANGUAGE.value  # the admin's language, read at the start of each handler

    # -- helpers (not callable from the browser) ------------------------------------------------------

    async def _read_language(self) -> None:
        """Remember the language this tab reads, for the text the next steps write (handlers are async for it)."""
        self._language = (await language_for(self)).value

    def _lang(self) -> Language:
        return parse_language(self._language) or SOURCE_LANGUAGE

    def _filter(self) -> PaymentFilter:
        made = admin_payments.make_filter(self._status(), self.search_text)
        if not isinstance(made, PaymentFilter):
            return PaymentFilter()
        days = [date.fromisoformat(text) if text else None for text in (self._created_from, self._created_to)]
        return PaymentFilter(made.status, made.query, *days)

    def _grouping(self, calendar: Calendar) -> Grouping:
        """The admin's pick in this tab, else the one their calendar suggests."""
        return parse_grouping(self._chosen_grouping) or default_grouping(calendar)

    def _status(self) -> str:
        """The status filter as billing reads it ("" for every status)."""
        return "" if self.status_filter == ALL else self.status_filter

    def _refresh(self, page: int | None = None) -> None:
        """Figures and the list, read again (on the same page unless told otherwise), dates in the admin's calendar."""
        calendar, language = self._calendar(), self._lang()
        grouping = self._grouping(calendar)
        self.grouping, self.periods_heading = grouping.value, heading(grouping, language)
        self.period_noun = translate(language, PERIOD_NOUNS[grouping])
        self.revenue_heading = translate(language, "Revenue by {period}", period=self.period_noun)
        self.figures = FiguresView.of(reports.figures(grouping=grouping), language)
        self.periods = [PeriodView.of(period, calendar, language) for period in reports.by_period(grouping=grouping)]
        flt = self._filter()
        self._describe_dates(flt, calendar)
        found = admin_payments.list_payments(flt, page if page is not None else self.page)
        self.rows = [PaymentRowView.of(row, calendar, language) for row in found.rows]
        self.total, self.page, self.pages = found.total, found.page, found.pages
        self.pager_words = pager_words(found.page, found.pages, found.total, language)
        self.reason_hint = reason_hint(language)
        self.loaded = True

    def _describe_dates(self, flt: PaymentFilter, calendar: Calendar) -> None:
        """The date boxes' calendar and hint, and the days the list is limited to, in words, for this admin."""
        language = self._lang()
        self.date_calendar = translate(language, MARKERS[input_calendar(calendar)])
        self.date_hint = input_hint(calendar, language)
        first, last = flt.created_from, flt.created_to
        # format_day writes the day it is in Nepal at an instant: the day's first instant names it.
        words = [
            format_day_or_ad(nepal_midnight(day), calendar, language) if day is not None else ""
            for day in (first, last)
        ]
        if first is not None and last is not None:
            self.dates_in_words = translate(language, "Created {first} to {last}", first=words[0], last=words[1])
        elif first is not None:
            self.dates_in_words = translate(language, "Created on or after {first}", first=words[0])
        elif last is not None:
            self.dates_in_words = translate(language, "Created on or before {last}", last=words[1])
        else:
            self.dates_in_words = ""

    def _list(self, status: object, query: object, created_from: object = None, created_to: object = None) -> None:
        """The list for a new filter, from its first page; a filter that is not allowed is refused in words.

        Dates left as None keep the ones in force; "" removes one.
        """
        keep = (self.created_from_text, self.created_to_text)
        typed = [kept if new is None else new for new, kept in zip((created_from, created_to), keep, strict=True)]
        made = admin_payments.make_filter(status, query, *typed, calendar=self._calendar(), language=self._lang())
        if isinstance(made, str):
            self.error_message = made
            return
        self.status_filter, self.search_text = made.status or ALL, made.query
        self.created_from_text, self.created_to_text = (text.strip() if isinstance(text, str) else "" for text in typed)
        self._created_from, self._created_to = (
            day.isoformat() if day is not None else "" for day in (made.created_from, made.created_to)
        )
        self._refresh(1)

    def _show(self, payment_id: int) -> bool:
        """Open (or redraw) one payment's detail; False when it does not exist."""
        detail = admin_payments.payment_detail(payment_id)
        if detail is None:
            self.detail, self.detail_open = DetailView(), False
            return False
        self.detail, self.detail_open = DetailView.of(detail, self._calendar(), self._lang()), True
        return True

    def _open(self, payment_id: object) -> int | None:
        """Open the detail of the payment an id from the browser names; None (the list reloaded) when none is."""
        ident = id_of(payment_id)
        if ident is None or not self._show(ident):
            self.error_message = translate(self._lang(), NO_SUCH_PAYMENT)
            self._refresh()
            return None
        return ident

    def _report(self, payment_id: int, ok: bool, message: str) -> None:
        """Say how an action on a payment went, then redraw the figures, the list and the payment's detail."""
        if ok:
            self.detail_notice = message
        else:
            self.detail_error = message
        self._refresh()
        self._show(payment_id)

    def _clear_messages(self) -> None:
        self.notice = self.error_message = self.detail_notice = self.detail_error = self.dialog_error = ""

    def _confirmed(self, form_data: object) -> int | None:
        """The payment id and reason of a confirmation dialog; None (and the dialog says why) when unusable."""
        ident = id_of(form_text(form_data, "payment_id"))
        if ident is None:
            self.dialog_error = translate(self._lang(), "That payment does not exist; reload the page and try again.")
            return None
        if problem := reason_problem(form_text(form_data, "reason")):
            self.dialog_error = shown(problem, self._lang())
            return None
        return ident

    # -- Khalti calls (background tasks: each _begin_ runs under the state lock, the call outside it) ----

    def _khalti_free(self) -> bool:
        """False (and the detail panel says to wait) while this tab's last Khalti call is still running."""
        if self.busy:
            self.detail_error = translate(
                self._lang(), "Khalti is still being asked about a payment; wait for that answer first."
            )
            return False
        return True

    def _begin_check(self, payment_id: object) -> tuple[int, str] | None:
        """Check now's payment (id, pidx), its detail open and `busy` set; None when it cannot start."""
        if not self._khalti_free():
            return None
        self._clear_messages()
        ident = self._open(payment_id)
        if ident is None:
            return None
        self.busy = True
        return ident, self.detail.pidx  # read from the database just now, never taken from the browser

    def _begin_refund(self, form_data: object) -> int | None:
        """The payment a confirmed refund dialog names, with `busy` set; None when it cannot start."""
        if not self._khalti_free():
            return None
        self._clear_messages()
        ident = self._confirmed(form_data)
        if ident is not None:
            self.busy = True
        return ident

    async def _call_khalti(self, call: Awaitable[T]) -> T:
        """Await a Khalti call outside the state lock; `busy` is cleared afterwards, however it ended."""
        try:
            return await call
        finally:
            async with self:
                self.busy = False

    # -- page and list --------------------------------------------------------------------------------

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """on_load: admins see the figures and the newest payments; anyone else is sent away."""
        if not self.is_hydrated:
            return AdminPaymentsState.load  # on_load runs before hydration finishes; look again once it has
        await self._read_language()
        return self._open_page()

    @admin_only
    def _open_page(self) -> None:
        self._clear_messages()
        for section in self.substates.values():  # access by hand (AdminAccessState): no message from before
            section.reset()
        self.detail, self.detail_open, self.busy = DetailView(), False, False
        self._refresh(1)

    @rx.event
    @admin_only
    async def refresh(self) -> None:
        """Read the figures and the list again."""
        await self._read_language()
        self._clear_messages()
        self._refresh()

    @rx.event
    @admin_only
    async def filter_status(self, status: str) -> None:
        """Show one status (or all), from the first page."""
        await self._read_language()
        self._clear_messages()
        self._list("" if status == ALL else status, self.search_text)

    @rx.event
    @admin_only
    async def search(self, form_data: dict[str, Any]) -> None:
        """Search usernames, purchase order ids and pidx for the typed text, between the typed dates, from page 1."""
        await self._read_language()
        self._clear_messages()
        self._list(
            self._status(),
            form_text(form_data, "q"),
            form_text(form_data, "created_from"),
            form_text(form_data, "created_to"),
        )

    @rx.event
    @admin_only
    async def clear_search(self) -> None:
        """Forget the search text and the dates (the status filter stays)."""
        await self._read_language()
        self._clear_messages()
        self.search_text = self.created_from_text = self.created_to_text = ""
        self._created_from = self._created_to = ""
        self.search_key += 1
        self._refresh(1)

    @rx.event
    @admin_only
    async def group_by(self, choice: str) -> None:
        """Group the figures, charts, table and CSV by AD month, BS month or fiscal year; anything else is refused."""
        await self._read_language()
        self._clear_messages()
        grouping = parse_grouping(choice)
        if grouping is None:
            self.error_message = translate(self._lang(), GROUPING_PROBLEM)
            return
        self._chosen_grouping = grouping.value
        self._refresh()

    @rx.event
    @admin_only
    async def go_to_page(self, page: int) -> None:
        """Show another page of the list (a page past either end shows that end)."""
        await self._read_language()
        self._clear_messages()
        self._refresh(admin_payments.page_of(page))

    @rx.event
    @admin_only
    async def download_csv(self) -> rx.event.EventSpec:
        """Download every payment of the current filter as CSV, built here on the server."""
        await self._read_language()
        self._clear_messages()
        flt = self._filter()
        export = admin_payments.export_csv(flt)
        if export.truncated:
            self.notice = translate(
                self._lang(),
                "The file holds the newest {n} payments of this filter; narrow the filter to export the rest.",
                n=format_number(export.rows, self._lang()),
            )
        filename = admin_payments.csv_filename(flt, utcnow())
        return rx.download(data=export.text, filename=filename, mime_type="text/csv")

    @rx.event
    @admin_only
    def download_monthly_csv(self) -> rx.event.EventSpec:
        """Download the last periods' revenue and active subscribers (what the charts draw), both calendars, as CSV."""
        self._clear_messages()
        grouping = self._grouping(self._calendar())
        now = utcnow()
        text = reports.periods_csv(reports.by_period(now, grouping))
        filename = f"figures-by-{grouping.value.replace('_', '-')}-{to_nepal(now).date().isoformat()}.csv"
        return rx.download(data=text, filename=filename, mime_type="text/csv")

    # -- one payment ----------------------------------------------------------------------------------

    @rx.event
    @admin_only
    async def open_detail(self, payment_id: int) -> rx.event.EventSpec | None:
        """Show one payment with its audit trail and raw lookups."""
        await self._read_language()
        self._clear_messages()
        return rx.scroll_to("payment-detail") if self._open(payment_id) is not None else None

    @rx.event
    @admin_only
    def close_detail(self) -> None:
        """Close the detail panel."""
        self.detail, self.detail_open = DetailView(), False
        self.detail_notice = self.detail_error = ""

    @rx.event(background=True)
    @admin_only
    async def check_now(self, payment_id: int) -> rx.event.EventSpec | None:
        """Look the payment up with Khalti now (verify_payment, source "admin") and show what changed."""
        async with self:
            await self._read_language()
            started = self._begin_check(payment_id)
        if started is None:
            return None
        ident, pidx = started
        outcome = await self._call_khalti(verify_payment(pidx, source="admin"))
        async with self:
            if (refusal := self._refusal()) is not None:  # signed out or demoted while Khalti answered
                return refusal
            self._report(ident, True, check_message(outcome, self._lang()))
        return None

    @rx.event(background=True)
    @admin_only
    async def refund(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Refund a completed payment in full (the page asks for confirmation and a reason first)."""
        return await self._refund_with(refund_payment, form_data)

    @rx.event(background=True)
    @admin_only
    async def resolve_refund(self, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        """Resolve a flagged payment by refunding it (with a reason)."""
        return await self._refund_with(access.refund_flagged, form_data)

    async def _refund_with(self, refund: RefundCall, form_data: dict[str, Any]) -> rx.event.EventSpec | None:
        async with self:
            await self._read_language()
            ident = self._begin_refund(form_data)
            language = self._lang()
        if ident is None:
            return None
        reason = form_text(form_data, "reason")
        outcome = await self._call_khalti(refund(ident, actor_user_id=self._actor(), reason=reason, language=language))
        async with self:
            if (refusal := self._refusal()) is not None:  # signed out or demoted while Khalti answered
                return refusal
            self.dialog_key += 1
            self._report(ident, outcome.ok, outcome.message)
        return None

    @rx.event
    @admin_only
    async def resolve_grant(self, form_data: dict[str, Any]) -> None:
        """Resolve a flagged payment by accepting it: completed, and its period granted (with a reason)."""
        await self._read_language()
        self._clear_messages()
        ident = self._confirmed(form_data)
        if ident is None:
            return
        self.dialog_key += 1
        outcome = access.grant_flagged(
            ident, actor_user_id=self._actor(), reason=form_text(form_data, "reason"), language=self._lang()
        )
        self._report(ident, outcome.ok, outcome.message)
