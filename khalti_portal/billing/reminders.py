"""Renewal reminders: staged mail around the end of a subscriber's access, each queued at most once.

Khalti cannot renew by itself, so the portal reminds. For the run of access that ends a subscriber's
access (stacked periods are one run: its end is the latest `ends_at`), the stages are REMINDER_DAYS
before the end (7, 3, 1 by default), the end itself, and the end of the grace period. A stage is *open*
from when it is due until the next one is due (the last for LAST_WINDOW). Each reconciler run
(`queue_due_reminders`) queues the open stage of every subscriber, under the outbox key
`reminder:<period id>:<stage>`, so a stage is queued once however many runs or processes see it:

- renewing makes a later period the end of the run: the old period's stages never open again;
- a stage already due when the period was bought is skipped, not sent late (a period bought two days
  before its end gets the 1-day reminder only), and so is one whose window passed while no job ran;
- nothing goes to an unconfirmed address, or to a subscriber who turned reminders off.

Dates are written in the subscriber's calendar (their profile's choice, else the site's), in the mail and
in the dashboard's banner alike; the mail in the account's language, read in the same query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, func
from sqlmodel import Session, col, select, update

from khalti_portal import account_tokens, routes
from khalti_portal.account_tokens import Purpose
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.notices import reader_calendar
from khalti_portal.billing.periods import counts_in
from khalti_portal.billing.subscription import days_left_at
from khalti_portal.clock import ensure_utc
from khalti_portal.config import Settings
from khalti_portal.db.models import LocalUser, OutboxMessage, Plan, SubscriptionPeriod, UserProfile
from khalti_portal.i18n.catalogs import N_, Language, translate
from khalti_portal.i18n.date_fallback import format_moment_or_ad
from khalti_portal.i18n.dates import Calendar
from khalti_portal.i18n.numbers import format_days
from khalti_portal.mail.outbox import queue_message
from khalti_portal.reading_preferences import language_from

LAST_WINDOW = timedelta(days=1)  # how long the last stage (grace ended) stays open
UNSUBSCRIBE_FOR = timedelta(days=365)

# TRANSLATORS: stands in for the plan's name in the reminders ("Your {plan} access ended ...") when the plan
# was deleted. Nepali: a word that reads right before सदस्यता ("तपाईंको पछिल्लो सदस्यताको म्याद ..."), not सदस्यता itself.
DELETED_PLAN_NAME = N_("subscription")


@dataclass(frozen=True)
class Stage:
    """One reminder: `d7`, `d3`, `d1` (days before the end), `ended`, or `grace_ended`; when it is due."""

    name: str
    due: datetime


def stages_for(end: datetime, reminder_days: tuple[int, ...], grace_days: int) -> list[Stage]:
    """Every stage of a run that ends at `end`, in the order they come due."""
    stages = [Stage(f"d{days}", end - timedelta(days=days)) for days in sorted(set(reminder_days), reverse=True)]
    stages.append(Stage("ended", end))
    if grace_days > 0:
        stages.append(Stage("grace_ended", end + timedelta(days=grace_days)))
    return stages


def open_stage(stages: list[Stage], now: datetime) -> Stage | None:
    """The stage whose window holds `now` (from its due time until the next one's), or None."""
    for here, after in zip(stages, [*stages[1:], None], strict=True):
        closes = after.due if after is not None else here.due + LAST_WINDOW
        if here.due <= now < closes:
            return here
    return None


def stage_to_send(end: datetime, seen_from: datetime, now: datetime, settings: Settings) -> Stage | None:
    """The open stage if it came due after `seen_from` (when this end was set), else None: never sent late."""
    stage = open_stage(stages_for(end, settings.reminder_days, settings.grace_days), now)
    return stage if stage is not None and stage.due >= seen_from else None


@dataclass(frozen=True)
class _Run:
    """A subscriber whose access ends soon (or just ended), with what a reminder needs."""

    period_id: int
    user_id: int
    seen_from: datetime
    end: datetime
    email: str
    name: str
    plan_name: str
    plan_slug: str | None
    calendar: Calendar  # the one the subscriber reads dates in
    language: Language  # the one the mail is written in


def _runs_near_their_end(session: Session, now: datetime, settings: Settings) -> list[_Run]:
    """Subscribers with a confirmed address and reminders on, whose run ends within the reminder stages of now."""
    earliest = now - timedelta(days=settings.grace_days) - LAST_WINDOW
    latest = now + timedelta(days=max(settings.reminder_days, default=0)) + timedelta(seconds=1)
    counted = (col(SubscriptionPeriod.revoked_at).is_(None), counts_in(settings.khalti_env))
    ends = (
        select(SubscriptionPeriod.user_id, func.max(SubscriptionPeriod.ends_at).label("end"))
        .where(*counted, col(SubscriptionPeriod.ends_at) >= earliest)
        .group_by(col(SubscriptionPeriod.user_id))
        .subquery()
    )
    rows = session.exec(
        select(
            SubscriptionPeriod.id,
            SubscriptionPeriod.user_id,
            SubscriptionPeriod.created_at,
            SubscriptionPeriod.ends_at,
            UserProfile.email,
            UserProfile.display_name,
            LocalUser.username,
            Plan.name,
            Plan.slug,
            Plan.is_active,
            UserProfile.calendar,
            UserProfile.language,
        )
        .join(ends, and_(ends.c.user_id == SubscriptionPeriod.user_id, ends.c.end == SubscriptionPeriod.ends_at))
        .join(UserProfile, col(UserProfile.user_id) == SubscriptionPeriod.user_id)
        .join(LocalUser, col(LocalUser.id) == SubscriptionPeriod.user_id)
        .outerjoin(Plan, col(Plan.id) == SubscriptionPeriod.plan_id)
        .where(
            *counted,
            ends.c.end <= latest,
            col(UserProfile.email) != "",
            col(UserProfile.email_verified_at).is_not(None),
            col(UserProfile.reminders_enabled),
            col(LocalUser.enabled),
        )
        .order_by(col(SubscriptionPeriod.id))
    ).all()
    runs: dict[int, _Run] = {}  # two periods ending at the same instant: the later one names the run
    for pid, uid, created, end, email, display, username, plan, slug, active, chosen, spoken in rows:
        language = language_from(spoken)
        runs[uid] = _Run(
            pid,
            uid,
            created,
            end,
            email,
            display or username,
            plan or translate(language, DELETED_PLAN_NAME),
            slug if active else None,
            reader_calendar(chosen, settings),
            language,
        )
    return list(runs.values())


def queue_due_reminders(*, deps: BillingDeps | None = None) -> int:
    """Queue every subscriber's open reminder stage that is not queued yet; how many were queued now."""
    deps = resolve(deps)
    now, settings = deps.now(), deps.settings
    queued = 0
    with Session(deps.engine) as session:
        due = [
            (run, stage)
            for run in _runs_near_their_end(session, now, settings)
            if (stage := stage_to_send(run.end, run.seen_from, now, settings)) is not None
        ]
        keys = [_key(run, stage) for run, stage in due]
        known = (
            set(session.exec(select(OutboxMessage.key).where(col(OutboxMessage.key).in_(keys))).all())
            if keys
            else set()
        )
        for run, stage in due:
            if _key(run, stage) not in known and _queue(session, settings, run, stage, now):
                queued += 1
        session.commit()
    return queued


def _key(run: _Run, stage: Stage) -> str:
    return f"reminder:{run.period_id}:{stage.name}"


def _queue(session: Session, settings: Settings, run: _Run, stage: Stage, now: datetime) -> bool:
    """Queue one reminder; its unsubscribe link is issued only by the transaction whose row went in."""
    renew = routes.checkout_path(run.plan_slug) if run.plan_slug else routes.CATALOG_ROUTE
    context: dict[str, Any] = {
        "name": run.name,
        "plan_name": run.plan_name,
        "stage": stage.name,
        "ends_at": format_moment_or_ad(run.end, run.calendar, run.language),
        "renew_url": f"{settings.app_url}{renew}",
        "language": run.language.value,
    }
    if settings.grace_days > 0:
        grace_until = run.end + timedelta(days=settings.grace_days)
        context["grace_until"] = format_moment_or_ad(grace_until, run.calendar, run.language)
    key = _key(run, stage)
    # A racing job queuing the same key waits here (PostgreSQL) and then adds nothing, issuing no token.
    if not queue_message(
        session,
        key=key,
        template="renewal_reminder",
        to_address=run.email,
        context=context,
        mail_from=settings.mail.mail_from,
        now=now,
        user_id=run.user_id,
    ):
        return False
    _, token = account_tokens.issue(
        session,
        user_id=run.user_id,
        purpose=Purpose.UNSUBSCRIBE,
        now=now,
        valid_for=UNSUBSCRIBE_FOR,
        supersede=False,
    )
    query = urlencode({"token": token})
    context["unsubscribe_url"] = f"{settings.app_url}{routes.UNSUBSCRIBE_ROUTE}?{query}"
    context["one_click_url"] = f"{settings.app_url}{routes.UNSUBSCRIBE_API_ROUTE}?{query}"
    session.exec(
        update(OutboxMessage).where(col(OutboxMessage.key) == key).values(context=context),
        execution_options={"synchronize_session": False},
    )
    return True


@dataclass(frozen=True)
class Banner:
    """What the dashboard says while a reminder stage is open."""

    stage: str
    text: str


def banner_for(
    end: datetime | None,
    plan_name: str,
    now: datetime,
    settings: Settings,
    calendar: Calendar,
    language: Language = Language.EN,
) -> Banner | None:
    """The dashboard's reminder from the first stage until the last one closes, else None.

    Written in `language`, its dates in `calendar`.
    """
    if end is None:
        return None
    stage = open_stage(stages_for(end, settings.reminder_days, settings.grace_days), now)
    if stage is None:
        return None
    when = format_moment_or_ad(end, calendar, language)
    if now < end:
        days = days_left_at(end, now)  # rounded up, as the dashboard's "days left" is
        # TRANSLATORS: {plan} is the plan's name, {days} e.g. "3 days", {when} the date and time access ends.
        text = translate(
            language,
            "Your {plan} access ends in {days}, on {when}. Renew to keep it.",
            plan=plan_name,
            days=format_days(days, language),
            when=when,
        )
    elif settings.grace_days > 0 and now < end + timedelta(days=settings.grace_days):
        grace = format_moment_or_ad(end + timedelta(days=settings.grace_days), calendar, language)
        text = translate(
            language,
            "Your {plan} access ended on {when}. You keep access until {grace} while you renew.",
            plan=plan_name,
            when=when,
            grace=grace,
        )
    else:
        text = translate(
            language, "Your {plan} access ended on {when}. Renew to get it back.", plan=plan_name, when=when
        )
    return Banner(stage.name, text)


def reminder_banner(
    user_id: int,
    now: datetime | None = None,
    *,
    calendar: Calendar | None = None,
    language: Language = Language.EN,
    deps: BillingDeps | None = None,
) -> Banner | None:
    """The dashboard's reminder for one subscriber at `now` (default: the clock), dates in `calendar`, or None.

    One indexed query: the user's counted period that ends last gives the end of the run and, as in the
    reminder mail, the plan's name ("subscription" when the plan is gone) and the subscriber's calendar.
    """
    deps = resolve(deps)
    now = ensure_utc(now) if now is not None else deps.now()
    query = (
        select(SubscriptionPeriod.ends_at, Plan.name)
        .outerjoin(Plan, col(Plan.id) == SubscriptionPeriod.plan_id)
        .where(
            col(SubscriptionPeriod.user_id) == user_id,
            col(SubscriptionPeriod.revoked_at).is_(None),
            counts_in(deps.settings.khalti_env),
        )
        .order_by(col(SubscriptionPeriod.ends_at).desc(), col(SubscriptionPeriod.id).desc())
        .limit(1)
    )
    if calendar is None:  # the subscriber's calendar rides on the same query, unless the page already read it
        query = query.add_columns(UserProfile.calendar).outerjoin(
            UserProfile, col(UserProfile.user_id) == SubscriptionPeriod.user_id
        )
    with Session(deps.engine) as session:
        last = session.exec(query).first()
    if last is None:
        return None
    end, plan_name = last[0], last[1]
    calendar = calendar or reader_calendar(last[2], deps.settings)
    name = plan_name or translate(language, DELETED_PLAN_NAME)
    return banner_for(end, name, now, deps.settings, calendar, language)
