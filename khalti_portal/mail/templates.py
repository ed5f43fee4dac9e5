"""The messages the portal sends: each template turns a stored context into a subject, a plain-text and an HTML part.

A context holds only what a person reads (names, formatted amounts, dates already written in the recipient's
calendar and language, links): templates format nothing themselves, so mail never needs billing. Every value
goes through `html.escape` in the HTML part.

A message is written in the language queued with it (`context["language"]`, the account's language when it
was queued): subject, both parts, the link and the footer; the site's name stays as it is. A message queued
before languages were stored has none and is written in English.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

from khalti_portal.i18n.catalogs import N_, SOURCE_LANGUAGE, Language, parse_language, translate, translate_plural
from khalti_portal.i18n.numbers import format_number


class TemplateError(ValueError):
    """A stored message cannot be rendered: an unknown template, or a context missing a value it needs."""


@dataclass(frozen=True)
class RenderedMail:
    """What a message says: its subject and the same words as plain text and as HTML."""

    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class _Filled:
    """One template's output before the shared header and footer are added."""

    subject: str
    lines: list[str]  # paragraphs of the plain-text part
    html: str  # the HTML part's body, every value escaped
    link_text: str
    link_url: str


def _value(context: Mapping[str, Any], name: str) -> str:
    value = context.get(name)
    if value is None or str(value).strip() == "":
        raise TemplateError(f"the message has no {name!r} to show")
    return str(value)


def language_of(context: Mapping[str, Any]) -> Language:
    """The language the message is written in: the one queued with it, English for messages queued before."""
    return parse_language(context.get("language")) or SOURCE_LANGUAGE


def _html(message: str, *, strong: tuple[str, ...] = (), **values: str) -> str:
    """A translated `message` (placeholders still open) as escaped HTML; the values named in `strong` in bold.

    The message is escaped before it is filled, so neither a translation nor a value can write markup.
    """
    escaped = {name: escape(value) for name, value in values.items()}
    for name in strong:
        escaped[name] = f"<strong>{escaped[name]}</strong>"
    return escape(message).format(**escaped)


_LABEL_STYLE = "padding:4px 12px 4px 0;color:#5b5270;white-space:nowrap"


def _details_table(rows: list[tuple[str, str]]) -> str:
    """Label/value pairs as a small two-column table, every value escaped."""
    cells = "".join(
        f'<tr><td style="{_LABEL_STYLE}">{escape(label)}</td><td>{escape(value)}</td></tr>' for label, value in rows
    )
    return f'<table role="presentation" style="border-collapse:collapse;margin:12px 0">{cells}</table>'


def _greeting(language: Language, name: str) -> str:
    # TRANSLATORS: the first line of every mail; {name} is the person's display name or username.
    return translate(language, "Namaste {name},", name=name)


def _payment_completed(context: Mapping[str, Any], site_name: str, language: Language) -> _Filled:
    name, plan = _value(context, "name"), _value(context, "plan_name")
    amount, starts, ends = _value(context, "amount"), _value(context, "starts_at"), _value(context, "ends_at")
    order, url, ends_on = _value(context, "order"), _value(context, "dashboard_url"), _value(context, "ends_on")
    # TRANSLATORS: {amount} is e.g. "Rs 1,299.50", {plan} the plan's name.
    thanks = translate(language, "Thank you: your payment of {amount} for {plan} has gone through.")
    details = [
        (translate(language, "Plan"), plan),
        # TRANSLATORS: a label in the payment mail: the date and time access starts.
        (translate(language, "From"), starts),
        # TRANSLATORS: a label in the payment mail: the date and time access ends.
        (translate(language, "Until"), ends),
        # TRANSLATORS: a label in the payment mail: the order's reference (a code such as KP-…).
        (translate(language, "Order"), order),
    ]
    return _Filled(
        # TRANSLATORS: a mail's subject; {ends_on} is the day access ends.
        subject=translate(language, "Payment received: {plan} until {ends_on}", plan=plan, ends_on=ends_on),
        lines=[
            _greeting(language, name),
            thanks.format(amount=amount, plan=plan),
            translate(language, "Your access runs from {starts} to {ends}.", starts=starts, ends=ends),
            translate(language, "Order reference: {order}", order=order),
        ],
        html=(
            f"<p>{escape(_greeting(language, name))}</p>"
            f"<p>{_html(thanks, strong=('amount', 'plan'), amount=amount, plan=plan)}</p>"
            f"{_details_table(details)}"
        ),
        link_text=translate(language, "See your subscription"),
        link_url=url,
    )


def _verify_email(context: Mapping[str, Any], site_name: str, language: Language) -> _Filled:
    name, link, address = _value(context, "name"), _value(context, "link"), _value(context, "email")
    ignore = translate(language, "If you did not give this address to us, ignore this message.")
    # The HTML part says the same without "open the link below": its link is a button.
    confirm_html = translate(
        language, "Please confirm that {address} is your email address. Until you do, we send nothing else to it."
    )
    return _Filled(
        subject=translate(language, "Confirm your email address"),
        lines=[
            _greeting(language, name),
            translate(
                language,
                "Please confirm that {address} is your email address: open the link below. Until you do, "
                "we send nothing else to it.",
                address=address,
            ),
            ignore,
        ],
        html=(
            f"<p>{escape(_greeting(language, name))}</p>"
            f"<p>{_html(confirm_html, strong=('address',), address=address)}</p>"
            f"<p>{escape(ignore)}</p>"
        ),
        link_text=translate(language, "Confirm my email address"),
        link_url=link,
    )


def _password_reset(context: Mapping[str, Any], site_name: str, language: Language) -> _Filled:
    name, link, valid_for = _value(context, "name"), _value(context, "link"), _value(context, "valid_for")
    # TRANSLATORS: {valid_for} is how long the link works, e.g. "30 minutes".
    asked = translate(
        language,
        "Someone (we hope you) asked to reset the password of your account. The link below works once, "
        "for {valid_for}.",
    )
    not_you = translate(language, "If it was not you, ignore this message: your password stays as it is.")
    return _Filled(
        subject=translate(language, "Reset your password"),
        lines=[_greeting(language, name), asked.format(valid_for=valid_for), not_you],
        html=(
            f"<p>{escape(_greeting(language, name))}</p>"
            f"<p>{_html(asked, valid_for=valid_for)}</p>"
            f"<p>{escape(not_you)}</p>"
        ),
        link_text=translate(language, "Choose a new password"),
        link_url=link,
    )


_REMINDER_SUBJECTS = {
    "ended": N_("Your {plan} access has ended today"),
    "grace_ended": N_("Your {plan} access has now stopped"),
}


def _reminder_news(context: Mapping[str, Any], language: Language, stage: str, plan: str, ends: str) -> str:
    """What a reminder stage tells: when access ends or ended, and what renewing does now."""
    if stage.startswith("d"):
        return translate(
            language,
            "Your {plan} access ends on {when}. Renew now and the new period starts when this one ends.",
            plan=plan,
            when=ends,
        )
    if stage == "ended":
        if grace := context.get("grace_until"):
            # The same words as the dashboard's banner, so the catalog holds them once.
            return translate(
                language,
                "Your {plan} access ended on {when}. You keep access until {grace} while you renew.",
                plan=plan,
                when=ends,
                grace=str(grace),
            )
        return translate(language, "Your {plan} access ended on {when}. Renew to get it back.", plan=plan, when=ends)
    return translate(
        language,
        "Your {plan} access ended on {when} and the days of grace are over. Renew to get it back.",
        plan=plan,
        when=ends,
    )


def _renewal_reminder(context: Mapping[str, Any], site_name: str, language: Language) -> _Filled:
    name, plan, ends = _value(context, "name"), _value(context, "plan_name"), _value(context, "ends_at")
    stage, url, unsubscribe = _value(context, "stage"), _value(context, "renew_url"), _value(context, "unsubscribe_url")
    if stage.startswith("d"):
        days = int(stage[1:])
        subject = translate_plural(
            language,
            "Your {plan} access ends in {n} day",
            "Your {plan} access ends in {n} days",
            days,
            plan=plan,
            n=format_number(days, language),
        )
    else:
        marked = _REMINDER_SUBJECTS["ended"] if stage == "ended" else _REMINDER_SUBJECTS["grace_ended"]
        subject = translate(language, marked, plan=plan)
    news = _reminder_news(context, language, stage, plan, ends)
    why = translate(
        language, "You get renewal reminders for your subscription; one click on the unsubscribe link stops them."
    )
    unsubscribe_text = translate(language, "Unsubscribe from reminders")
    return _Filled(
        subject=subject,
        lines=[_greeting(language, name), news, why, f"{unsubscribe_text}: {unsubscribe}"],
        html=(
            f"<p>{escape(_greeting(language, name))}</p><p>{escape(news)}</p>"
            f'<p style="font-size:13px;color:#5b5270">{escape(why)} '
            f'<a href="{escape(unsubscribe, quote=True)}">{escape(unsubscribe_text)}</a></p>'
        ),
        link_text=translate(language, "Renew {plan}", plan=plan),
        link_url=url,
    )


TEMPLATES: dict[str, Callable[[Mapping[str, Any], str, Language], _Filled]] = {
    "renewal_reminder": _renewal_reminder,
    "payment_completed": _payment_completed,
    "verify_email": _verify_email,
    "password_reset": _password_reset,
}
# Context values that open an account (a one-time link): erased from the outbox once the message is sent
# or has failed, so the database keeps them no longer than it must (the token itself is stored only hashed).
SECRET_FIELDS: dict[str, tuple[str, ...]] = {
    "verify_email": ("link",),
    "password_reset": ("link",),
    "renewal_reminder": ("unsubscribe_url", "one_click_url"),
}


def render(template: str, context: Mapping[str, Any], *, site_name: str) -> RenderedMail:
    """The message `template` says with `context`, signed by `site_name`; TemplateError when it cannot."""
    fill = TEMPLATES.get(template)
    if fill is None:
        raise TemplateError(f"no mail template named {template!r}")
    language = language_of(context)
    filled = fill(context, site_name, language)
    footer = translate(language, "You get this message because of your account at {site_name}.", site_name=site_name)
    text = "\n\n".join([*filled.lines, f"{filled.link_text}: {filled.link_url}", f"— {site_name}", footer]) + "\n"
    html = (
        f'<!doctype html><html lang="{language.value}"><head><meta charset="utf-8">'
        f"<title>{escape(filled.subject)}</title></head>"
        '<body style="margin:0;padding:24px;background-color:#f3f0f7;font-family:system-ui,sans-serif;color:#1f1235">'
        '<div style="max-width:560px;margin:0 auto;background-color:#fff;border-radius:12px;padding:24px">'
        f'<p style="font-weight:700;font-size:18px;margin:0 0 16px">{escape(site_name)}</p>'
        f"{filled.html}"
        f'<p style="margin:20px 0"><a href="{escape(filled.link_url, quote=True)}" '
        # background-color, not the `background` shorthand: some clients (and the emulator's mailbox) keep only
        # the long form, and white text without its background is invisible.
        'style="display:inline-block;background-color:#6e56cf;color:#fff;padding:10px 16px;'
        'border-radius:8px;text-decoration:none">'
        f"{escape(filled.link_text)}</a></p>"
        f'<p style="font-size:13px;color:#5b5270">{escape(footer)}</p>'
        "</div></body></html>"
    )
    return RenderedMail(subject=f"{filled.subject} · {site_name}", text=text, html=html)
