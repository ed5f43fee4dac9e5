"""Admins manage plans: a typed form checked field by field, create/edit/archive/restore/delete, each audited.

Everything arrives as the text a person typed (`PlanForm`); `validate` turns it into `PlanValues` or a
`PlanErrors` whose `fields` maps a form field to what is wrong with it. The price is parsed exactly
(`parse_rupees`, Decimal → integer paisa): no float anywhere. Each change writes one `PaymentEvent`
(payment_id None, source "admin", kind "plan") naming the admin and what changed.

Editing a plan never touches its payments or subscription periods: they hold their own snapshots of
the amount, name and duration that were bought.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select, update

from khalti_portal.billing.admin.inputs import MAX_DAYS, MIN_DAYS, days_of, id_of
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.money import MoneyError, format_rupees, parse_rupees
from khalti_portal.billing.subscription import current_plan_query
from khalti_portal.clock import ensure_utc
from khalti_portal.db.models import MIN_PRICE_PAISA, Payment, Plan, SubscriptionPeriod
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.messages import Message, Number, Rupees

SLUG_RE = re.compile(r"[a-z0-9-]{2,64}", re.ASCII)
FEATURE_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}", re.ASCII)
FEATURE_KEY_SPLIT_RE = re.compile(r"[,\s]+")
MAX_FEATURE_KEYS = 20
MAX_FEATURE_KEYS_TEXT = 2000  # 20 keys of 40 characters and their separators, with room to spare
_SHOWN_KEY = 40  # a bad key is quoted back this far, no further
WHOLE_RE = re.compile(r"[+-]?\d{1,9}", re.ASCII)
MAX_NAME = 120
MAX_DESCRIPTION = 1000
MAX_FEATURES = 20
MAX_FEATURE_CHARS = 200
MAX_SORT_ORDER = 1_000_000
MAX_PRICE_TEXT = 32

# Said above the form when only fields are wrong (the state shows it translated).
FIX_FIELDS = N_("Please correct the highlighted fields.")

FIELDS = ("slug", "name", "price", "duration", "features", "feature_keys", "description", "sort_order")


# -- the form -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanForm:
    """What an admin typed, as text: nothing here is trusted or converted yet."""

    slug: str = ""
    name: str = ""
    price: str = ""
    duration: str = ""
    features: str = ""
    feature_keys: str = ""  # slugs, separated by commas or spaces
    description: str = ""
    sort_order: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PlanForm:
        """A form from browser form data; anything that is not text (a number, a list) counts as empty."""
        return cls(**{name: value if isinstance(value := data.get(name, ""), str) else "" for name in FIELDS})


@dataclass(frozen=True)
class PlanValues:
    """A checked form: what a Plan row will hold."""

    slug: str
    name: str
    price_paisa: int
    duration_days: int
    features: tuple[str, ...]
    description: str
    sort_order: int
    feature_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanErrors:
    """Why a change was refused: messages per form field, and/or one message about the whole change."""

    fields: dict[str, str] = field(default_factory=dict)
    message: str = ""

    @property
    def summary(self) -> str:
        """One line for a banner: the general message, or a pointer to the fields."""
        return self.message or FIX_FIELDS


def rupees_text(paisa: int) -> str:
    """Paisa as an editable rupee amount without grouping: 129950 → `1299.50`, 49900 → `499`."""
    whole, rest = divmod(paisa, 100)
    return f"{whole}.{rest:02d}" if rest else str(whole)


def form_of(plan: Plan) -> PlanForm:
    """The edit form prefilled from a plan (round-trips through `validate`)."""
    return PlanForm(
        slug=plan.slug,
        name=plan.name,
        price=rupees_text(plan.price_paisa),
        duration=str(plan.duration_days),
        features="\n".join(plan.feature_list()),
        feature_keys=", ".join(plan.feature_keys or ()),
        description=plan.description,
        sort_order=str(plan.sort_order),
    )


def _slug_problem(slug: str) -> str | None:
    if not slug:
        return N_("Enter a slug: the plan's name in its web address, like basic or gold-yearly.")
    if not 2 <= len(slug) <= 64:
        return Message(N_("Use {low} to {high} characters for the slug."), low=2, high=64)
    if not SLUG_RE.fullmatch(slug):
        return N_("Use only lowercase letters, digits and hyphens in the slug (for example gold-yearly).")
    return None


def _name_problem(name: str) -> str | None:
    if not name:
        return N_("Enter a name.")
    if len(name) > MAX_NAME:
        return Message(N_("Use at most {max} characters for the name."), max=MAX_NAME)
    return None


def _price(text: str) -> int | str:
    """Paisa, or the message for the price field."""
    if len(text) > MAX_PRICE_TEXT:
        return N_("That price is too long; write it like 499 or 1,299.50.")
    try:
        paisa = parse_rupees(text)
    except MoneyError as err:
        return err.args[0]  # the Message itself (str(err) would keep only its English)
    if paisa < MIN_PRICE_PAISA:
        return Message(
            N_("The lowest price is {price}: Khalti refuses smaller payments."), price=Rupees(MIN_PRICE_PAISA)
        )
    return paisa


def _whole(text: str) -> int | None:
    """An integer in ASCII digits (optional sign), else None: `int()` alone accepts `1_0` and other scripts' digits."""
    text = text.strip()
    return int(text) if WHOLE_RE.fullmatch(text) else None


def _duration(text: str) -> int | str:
    days = days_of(text)
    if days is None:
        return Message(N_("Enter a whole number of days from {low} to {high}."), low=MIN_DAYS, high=MAX_DAYS)
    return days


def _features(text: str) -> tuple[str, ...] | str:
    lines = tuple(line.strip() for line in text.splitlines() if line.strip())
    if len(lines) > MAX_FEATURES:
        return Message(N_("List at most {max} features, one per line (you have {n})."), max=MAX_FEATURES, n=len(lines))
    for number, line in enumerate(lines, 1):
        if len(line) > MAX_FEATURE_CHARS:
            return Message(
                N_("Feature {number} is too long: use at most {max} characters per line."),
                number=number,
                max=MAX_FEATURE_CHARS,
            )
    return lines


def feature_keys_of(text: str) -> tuple[str, ...] | str:
    """Feature keys from text (commas or spaces between them), duplicates dropped in order; or what is wrong."""
    if len(text) > MAX_FEATURE_KEYS_TEXT:
        return Message(
            N_("That is too much text for feature keys: list at most {max} short keys."), max=MAX_FEATURE_KEYS
        )
    keys = tuple(dict.fromkeys(word for word in FEATURE_KEY_SPLIT_RE.split(text) if word))
    for key in keys:
        if not FEATURE_KEY_RE.fullmatch(key):
            return Message(
                N_(
                    "{key} is not a feature key: use {low} to {high} lowercase letters, digits and hyphens, "
                    "starting with a letter or digit (for example downloads or priority-support)."
                ),
                key=repr(key[:_SHOWN_KEY]),
                low=1,
                high=40,
            )
    if len(keys) > MAX_FEATURE_KEYS:
        return Message(N_("List at most {max} feature keys (you have {n})."), max=MAX_FEATURE_KEYS, n=len(keys))
    return keys


def _sort_order(text: str) -> int | str:
    if not text.strip():
        return 0
    number = _whole(text)
    if number is None or abs(number) > MAX_SORT_ORDER:
        return Message(
            N_("Enter a whole number between {low} and {high} (lower shows first)."),
            low=Number(-MAX_SORT_ORDER),
            high=Number(MAX_SORT_ORDER),
        )
    return number


def validate(form: PlanForm) -> PlanValues | PlanErrors:
    """Check every field (all at once, so the admin sees every problem); slug uniqueness is checked on save."""
    errors: dict[str, str] = {}
    slug, name, description = form.slug.strip(), form.name.strip(), form.description.strip()
    if problem := _slug_problem(slug):
        errors["slug"] = problem
    if problem := _name_problem(name):
        errors["name"] = problem
    price, duration, features, sort_order = (
        _price(form.price),
        _duration(form.duration),
        _features(form.features),
        _sort_order(form.sort_order),
    )
    feature_keys = feature_keys_of(form.feature_keys)
    checked = (
        ("price", price),
        ("duration", duration),
        ("features", features),
        ("feature_keys", feature_keys),
        ("sort_order", sort_order),
    )
    for name_, value in checked:
        if isinstance(value, str):
            errors[name_] = value
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = Message(N_("Use at most {max} characters for the description."), max=MAX_DESCRIPTION)
    if errors:
        return PlanErrors(fields=errors)
    assert isinstance(price, int) and isinstance(duration, int) and isinstance(sort_order, int)
    assert isinstance(features, tuple) and isinstance(feature_keys, tuple)
    return PlanValues(
        slug=slug,
        name=name,
        price_paisa=price,
        duration_days=duration,
        features=features,
        description=description,
        sort_order=sort_order,
        feature_keys=feature_keys,
    )


# -- changes ---------------------------------------------------------------------------------------------


def _slug_taken(slug: str) -> PlanErrors:
    taken = N_("The slug {slug} is already used by another plan; choose another.")
    return PlanErrors(fields={"slug": Message(taken, slug=repr(slug))})


def _unknown(plan_id: object) -> PlanErrors:
    # The id as the browser sent it, cut short: it is not a number to format.
    shown = f"{plan_id!s:.20}"
    return PlanErrors(message=Message(N_("There is no plan with id {id}; reload the page and try again."), id=shown))


def _label(plan: Plan) -> str:
    return f"plan {plan.slug!r} (#{plan.id})"


def _audit(
    session: Session,
    deps: BillingDeps,
    actor: int | None,
    detail: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    record_event(
        session,
        at=deps.now(),
        source=AuditSource.ADMIN,
        kind=AuditKind.PLAN,
        actor_user_id=actor,
        from_status=from_status,
        to_status=to_status,
        detail=detail,
    )


def _status(active: bool) -> str:
    return "active" if active else "archived"


def _describe(values: PlanValues) -> str:
    return (
        f"slug={values.slug!r} name={values.name!r} price={format_rupees(values.price_paisa)} "
        f"duration={values.duration_days}d sort_order={values.sort_order} features={len(values.features)} "
        f"feature_keys={list(values.feature_keys)}"
    )


def _changes(plan: Plan, values: PlanValues) -> list[str]:
    """What an edit changes, in words; empty when nothing does."""
    changes = []
    pairs: tuple[tuple[str, Any, Any], ...] = (
        ("slug", plan.slug, values.slug),
        ("name", plan.name, values.name),
        ("price", plan.price_paisa, values.price_paisa),
        ("duration", plan.duration_days, values.duration_days),
        ("sort_order", plan.sort_order, values.sort_order),
    )
    for name, old, new in pairs:
        if old != new:
            if name == "price":
                old, new = format_rupees(old), format_rupees(new)
            elif name != "duration" and name != "sort_order":
                old, new = repr(old), repr(new)
            changes.append(f"{name} {old} -> {new}")
    if plan.feature_list() != list(values.features):
        changes.append("features changed")
    if list(plan.feature_keys or ()) != list(values.feature_keys):
        changes.append(f"feature_keys {list(plan.feature_keys or ())} -> {list(values.feature_keys)}")
    if plan.description != values.description:
        changes.append("description changed")
    return changes


def _slug_exists(session: Session, slug: str, *, besides: int | None = None) -> bool:
    query = select(Plan.id).where(Plan.slug == slug)
    if besides is not None:
        query = query.where(Plan.id != besides)
    return session.exec(query).first() is not None


def _apply(plan: Plan, values: PlanValues, now: datetime) -> None:
    plan.slug, plan.name, plan.description = values.slug, values.name, values.description
    plan.features = "\n".join(values.features)
    plan.feature_keys = list(values.feature_keys)  # a new list: the JSON column notices assignment, not mutation
    plan.price_paisa, plan.duration_days, plan.sort_order = values.price_paisa, values.duration_days, values.sort_order
    plan.updated_at = now


def _slug_in_use(deps: BillingDeps, slug: str, besides: int | None = None) -> bool:
    with Session(deps.engine) as session:
        return _slug_exists(session, slug, besides=besides)


def _and_slug_taken(errors: PlanErrors, form: PlanForm, deps: BillingDeps, *, besides: int | None = None) -> PlanErrors:
    """Other fields are wrong: say in the same breath if a well-formed slug is taken too."""
    slug = form.slug.strip()
    if "slug" in errors.fields or not _slug_in_use(deps, slug, besides):
        return errors
    return PlanErrors(fields={**errors.fields, **_slug_taken(slug).fields}, message=errors.message)


def create_plan(
    form: PlanForm, *, actor_user_id: int | None = None, deps: BillingDeps | None = None
) -> Plan | PlanErrors:
    """Add an active plan from the form; field errors (a taken slug included) instead when it is refused."""
    deps = resolve(deps)
    values = validate(form)
    if isinstance(values, PlanErrors):
        return _and_slug_taken(values, form, deps)
    now = deps.now()
    try:
        with session_scope(deps.engine) as session:
            if _slug_exists(session, values.slug):
                return _slug_taken(values.slug)
            plan = Plan(
                slug=values.slug,
                name=values.name,
                description=values.description,
                features="\n".join(values.features),
                feature_keys=list(values.feature_keys),
                price_paisa=values.price_paisa,
                duration_days=values.duration_days,
                sort_order=values.sort_order,
                is_active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(plan)
            session.flush()
            _audit(session, deps, actor_user_id, f"created {_label(plan)}: {_describe(values)}", to_status="active")
            return plan
    except IntegrityError:
        # Another admin took the slug between our check and our insert.
        if _slug_in_use(deps, values.slug):
            return _slug_taken(values.slug)
        raise


def update_plan(
    plan_id: int, form: PlanForm, *, actor_user_id: int | None = None, deps: BillingDeps | None = None
) -> Plan | PlanErrors:
    """Change a plan's details; its payments and periods keep the snapshots they were bought with."""
    deps = resolve(deps)
    ident = id_of(plan_id)
    if ident is None:
        return _unknown(plan_id)
    values = validate(form)
    if isinstance(values, PlanErrors):
        return _and_slug_taken(values, form, deps, besides=ident)
    now = deps.now()
    try:
        with session_scope(deps.engine) as session:
            plan = session.get(Plan, ident)
            if plan is None:
                return _unknown(ident)
            if _slug_exists(session, values.slug, besides=ident):
                return _slug_taken(values.slug)
            changes = _changes(plan, values)
            if not changes:
                return plan
            _apply(plan, values, now)
            session.add(plan)
            session.flush()
            _audit(session, deps, actor_user_id, f"updated {_label(plan)}: {'; '.join(changes)}")
            return plan
    except IntegrityError:
        if _slug_in_use(deps, values.slug, besides=ident):
            return _slug_taken(values.slug)
        raise


def _set_active(plan_id: int, active: bool, actor_user_id: int | None, deps: BillingDeps | None) -> Plan | PlanErrors:
    deps = resolve(deps)
    ident = id_of(plan_id)
    if ident is None:
        return _unknown(plan_id)
    now = deps.now()
    with session_scope(deps.engine) as session:
        # Conditional UPDATE: two admins clicking at once write one audit row, not two.
        moved = session.exec(
            update(Plan)
            .where(col(Plan.id) == ident, col(Plan.is_active) == (not active))
            .values(is_active=active, updated_at=now),
            execution_options={"synchronize_session": False},
        ).rowcount
        plan = session.get(Plan, ident, populate_existing=True)
        if plan is None:
            return _unknown(ident)
        if moved:
            verb = "restored" if active else "archived"
            _audit(
                session,
                deps,
                actor_user_id,
                f"{verb} {_label(plan)}",
                from_status=_status(not active),
                to_status=_status(active),
            )
        return plan


def archive_plan(
    plan_id: int, *, actor_user_id: int | None = None, deps: BillingDeps | None = None
) -> Plan | PlanErrors:
    """Take a plan off sale (it stays for its payments and the admin list); archiving twice is harmless."""
    return _set_active(plan_id, False, actor_user_id, deps)


def restore_plan(
    plan_id: int, *, actor_user_id: int | None = None, deps: BillingDeps | None = None
) -> Plan | PlanErrors:
    """Put an archived plan back on sale; restoring an active plan is harmless."""
    return _set_active(plan_id, True, actor_user_id, deps)


def _in_use_message(plan: Plan, payments: int, periods: int) -> Message:
    if payments:
        what = Message(N_("{n} payment") if payments == 1 else N_("{n} payments"), n=payments)
    else:
        what = Message(N_("{n} subscription period") if periods == 1 else N_("{n} subscription periods"), n=periods)
    return Message(
        N_(
            "{plan} cannot be deleted: it has {what}, and those records must keep their plan. "
            "Archive it instead to take it off sale."
        ),
        plan=plan.name,
        what=what,
    )


def delete_plan(
    plan_id: int, *, actor_user_id: int | None = None, deps: BillingDeps | None = None
) -> Plan | PlanErrors:
    """Delete a plan that nobody ever paid for (no payments, no periods); returns the deleted row."""
    deps = resolve(deps)
    ident = id_of(plan_id)
    if ident is None:
        return _unknown(plan_id)
    try:
        with session_scope(deps.engine) as session:
            plan = session.get(Plan, ident)
            if plan is None:
                return _unknown(ident)
            payments, periods = _usage(session, ident)
            if payments or periods:
                return PlanErrors(message=_in_use_message(plan, payments, periods))
            detail = (
                f"deleted {_label(plan)}: name={plan.name!r} price={format_rupees(plan.price_paisa)} "
                f"duration={plan.duration_days}d"
            )
            status = _status(plan.is_active)
            session.delete(plan)
            session.flush()
            _audit(session, deps, actor_user_id, detail, from_status=status, to_status="deleted")
            return plan
    except IntegrityError:
        # A checkout wrote a payment for this plan after our count: the foreign key refused the delete.
        with Session(deps.engine) as session:
            plan = session.get(Plan, ident)
            if plan is None:
                raise
            return PlanErrors(message=_in_use_message(plan, *_usage(session, ident)))


def _usage(session: Session, plan_id: int) -> tuple[int, int]:
    """(payments, subscription periods) that name this plan."""
    payments = session.exec(select(func.count()).select_from(Payment).where(Payment.plan_id == plan_id)).one()
    periods = session.exec(
        select(func.count()).select_from(SubscriptionPeriod).where(SubscriptionPeriod.plan_id == plan_id)
    ).one()
    return int(payments), int(periods)


# -- reading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdminPlanRow:
    """One plan as the admin list shows it, with its figures."""

    id: int
    slug: str
    name: str
    description: str
    features: tuple[str, ...]
    price_paisa: int
    duration_days: int
    is_active: bool
    sort_order: int
    active_subscribers: int
    payments: int
    feature_keys: tuple[str, ...] = ()

    @property
    def deletable(self) -> bool:
        """Only a plan nobody ever paid for may be deleted."""
        return self.payments == 0


def active_subscribers_by_plan(session: Session, now: datetime, grace_days: int, mode: str) -> dict[int, int]:
    """Map plan id → how many users have access on it now (grace included) in Khalti mode `mode`."""
    current = current_plan_query(now, grace_days, mode).subquery("current_plan")
    query = (
        select(current.c.plan_id, func.count(func.distinct(current.c.user_id)))
        .where(current.c.plan_id.is_not(None))
        .group_by(current.c.plan_id)
    )
    return {int(plan_id): int(count) for plan_id, count in session.exec(query).all()}


def list_plans_for_admin(now: datetime | None = None, *, deps: BillingDeps | None = None) -> list[AdminPlanRow]:
    """Every plan, on sale first then archived, each in catalogue order, with subscriber and payment counts."""
    deps = resolve(deps)
    now = ensure_utc(now) if now is not None else deps.now()
    with Session(deps.engine) as session:
        subscribers = active_subscribers_by_plan(session, now, deps.settings.grace_days, deps.settings.khalti_env)
        paid = dict(session.exec(select(Payment.plan_id, func.count()).group_by(Payment.plan_id)).all())
        plans = session.exec(
            select(Plan).order_by(col(Plan.is_active).desc(), col(Plan.sort_order), col(Plan.price_paisa), col(Plan.id))
        ).all()
        return [
            AdminPlanRow(
                id=int(plan.id or 0),
                slug=plan.slug,
                name=plan.name,
                description=plan.description,
                features=tuple(plan.feature_list()),
                price_paisa=plan.price_paisa,
                duration_days=plan.duration_days,
                is_active=plan.is_active,
                sort_order=plan.sort_order,
                active_subscribers=subscribers.get(int(plan.id or 0), 0),
                payments=int(paid.get(plan.id, 0)),
                feature_keys=tuple(plan.feature_keys or ()),
            )
            for plan in plans
        ]


def get_plan_by_id(plan_id: object, *, deps: BillingDeps | None = None) -> Plan | None:
    """The plan with this id (active or archived), or None for anything that is not a known id."""
    ident = id_of(plan_id)
    if ident is None:
        return None
    with Session(resolve(deps).engine, expire_on_commit=False) as session:
        return session.get(Plan, ident)
