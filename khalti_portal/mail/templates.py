"""The messages the portal sends: each template turns a stored context into a subject, a plain-text and an HTML part.

A context holds only what a person reads (names, formatted amounts, dates already written in the recipient's
calendar, links): templates format nothing themselves, so mail never needs billing. Every value goes through
`html.escape` in the HTML part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from typing import Any


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


_LABEL_STYLE = "padding:4px 12px 4px 0;color:#5b5270;white-space:nowrap"


def _details_table(rows: list[tuple[str, str]]) -> str:
    """Label/value pairs as a small two-column table, every value escaped."""
    cells = "".join(
        f'<tr><td style="{_LABEL_STYLE}">{escape(label)}</td><td>{escape(value)}</td></tr>' for label, value in rows
    )
    return f'<table role="presentation" style="border-collapse:collapse;margin:12px 0">{cells}</table>'


def _payment_completed(context: Mapping[str, Any], site_name: str) -> _Filled:
    name, plan = _value(context, "name"), _value(context, "plan_name")
    amount, starts, ends = _value(context, "amount"), _value(context, "starts_at"), _value(context, "ends_at")
    order, url, ends_on = _value(context, "order"), _value(context, "dashboard_url"), _value(context, "ends_on")
    return _Filled(
        subject=f"Payment received: {plan} until {ends_on}",
        lines=[
            f"Namaste {name},",
            f"Thank you: your payment of {amount} for {plan} has gone through.",
            f"Your access runs from {starts} to {ends}.",
            f"Order reference: {order}",
        ],
        html=(
            f"<p>Namaste {escape(name)},</p>"
            f"<p>Thank you: your payment of <strong>{escape(amount)}</strong> for <strong>{escape(plan)}</strong> "
            "has gone through.</p>"
            f"{_details_table([('Plan', plan), ('From', starts), ('Until', ends), ('Order', order)])}"
        ),
        link_text="See your subscription",
        link_url=url,
    )


def _verify_email(context: Mapping[str, Any], site_name: str) -> _Filled:
    name, link, address = _value(context, "name"), _value(context, "link"), _value(context, "email")
    return _Filled(
        subject="Confirm your email address",
        lines=[
            f"Namaste {name},",
            f"Please confirm that {address} is your email address: open the link below. Until you do, "
            "we send nothing else to it.",
            "If you did not give this address to us, ignore this message.",
        ],
        html=(
            f"<p>Namaste {escape(name)},</p>"
            f"<p>Please confirm that <strong>{escape(address)}</strong> is your email address. Until you do, "
            "we send nothing else to it.</p>"
            "<p>If you did not give this address to us, ignore this message.</p>"
        ),
        link_text="Confirm my email address",
        link_url=link,
    )


def _password_reset(context: Mapping[str, Any], site_name: str) -> _Filled:
    name, link, valid_for = _value(context, "name"), _value(context, "link"), _value(context, "valid_for")
    return _Filled(
        subject="Reset your password",
        lines=[
            f"Namaste {name},",
            f"Someone (we hope you) asked to reset the password of your account. The link below works once, "
            f"for {valid_for}.",
            "If it was not you, ignore this message: your password stays as it is.",
        ],
        html=(
            f"<p>Namaste {escape(name)},</p>"
            "<p>Someone (we hope you) asked to reset the password of your account. The link below works "
            f"once, for {escape(valid_for)}.</p>"
            "<p>If it was not you, ignore this message: your password stays as it is.</p>"
        ),
        link_text="Choose a new password",
        link_url=link,
    )


_REMINDER_SUBJECTS = {
    "ended": "Your {plan} access has ended today",
    "grace_ended": "Your {plan} access has now stopped",
}


def _renewal_reminder(context: Mapping[str, Any], site_name: str) -> _Filled:
    name, plan, ends = _value(context, "name"), _value(context, "plan_name"), _value(context, "ends_at")
    stage, url, unsubscribe = _value(context, "stage"), _value(context, "renew_url"), _value(context, "unsubscribe_url")
    if stage.startswith("d"):
        days = int(stage[1:])
        subject = f"Your {plan} access ends in {days} day{'s' if days != 1 else ''}"
        news = f"Your {plan} access ends on {ends}. Renew now and the new period starts when this one ends."
    elif stage == "ended":
        subject = _REMINDER_SUBJECTS["ended"].format(plan=plan)
        grace = context.get("grace_until")
        news = f"Your {plan} access ended on {ends}." + (
            f" You keep access until {grace} while you renew." if grace else " Renew to get it back."
        )
    else:
        subject = _REMINDER_SUBJECTS["grace_ended"].format(plan=plan)
        news = f"Your {plan} access ended on {ends} and the days of grace are over. Renew to get it back."
    why = "You get renewal reminders for your subscription; one click on the unsubscribe link stops them."
    return _Filled(
        subject=subject,
        lines=[f"Namaste {name},", news, why, f"Unsubscribe from reminders: {unsubscribe}"],
        html=(
            f"<p>Namaste {escape(name)},</p><p>{escape(news)}</p>"
            f'<p style="font-size:13px;color:#5b5270">{escape(why)} '
            f'<a href="{escape(unsubscribe, quote=True)}">Unsubscribe from reminders</a></p>'
        ),
        link_text=f"Renew {plan}",
        link_url=url,
    )


TEMPLATES: dict[str, Callable[[Mapping[str, Any], str], _Filled]] = {
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
    filled = fill(context, site_name)
    footer = f"You get this message because of your account at {site_name}."
    text = "\n\n".join([*filled.lines, f"{filled.link_text}: {filled.link_url}", f"— {site_name}", footer]) + "\n"
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
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
