"""What a subscriber is entitled to now: the domain's one answer, for the members area and the entitlement API.

Access is the dashboard's status: active, expiring or grace give access; expired and none do not; revoked
and refunded periods never count (only counting periods in this Khalti mode do, `periods.counts_in`).
The features are those of the plan whose period gives access now: the running period's plan, or during
grace the plan of the period that ended last. Upcoming (stacked) periods unlock nothing yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.nepal_time import iso_utc
from khalti_portal.billing.periods import counts_in, current_expiry
from khalti_portal.billing.subscription import SubscriptionStatus, status_at
from khalti_portal.db.models import LocalUser, Plan, SubscriptionPeriod, UserProfile

GIVES_ACCESS = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.EXPIRING, SubscriptionStatus.GRACE})


@dataclass(frozen=True)
class Entitlement:
    """One person's access now, as the API answers it."""

    user_id: int
    username: str
    status: SubscriptionStatus
    plan: str | None  # the slug
    plan_name: str | None
    expires_at: datetime | None
    features: tuple[str, ...]

    @property
    def active(self) -> bool:
        """Whether the person has access now (active, expiring, or in grace)."""
        return self.status in GIVES_ACCESS

    def as_json(self) -> dict[str, object]:
        """The API's body: `expires_at` as `YYYY-MM-DDTHH:MM:SSZ` (UTC) or null."""
        return {
            "username": self.username,
            "status": self.status.value,
            "active": self.active,
            "plan": self.plan,
            "plan_name": self.plan_name,
            "expires_at": iso_utc(self.expires_at) if self.expires_at else None,
            "features": list(self.features),
        }


def _plan_giving_access(session: Session, user_id: int, now: datetime, mode: str, expires: datetime) -> Plan | None:
    """The running period's plan; with none running (grace), the plan of the period that ended last."""
    counted = (SubscriptionPeriod.user_id == user_id, col(SubscriptionPeriod.revoked_at).is_(None), counts_in(mode))
    running = (col(SubscriptionPeriod.starts_at) <= now, col(SubscriptionPeriod.ends_at) > now)
    for where in (running, (col(SubscriptionPeriod.ends_at) == expires,)):
        plan = session.exec(
            select(Plan)
            .join(SubscriptionPeriod, col(SubscriptionPeriod.plan_id) == Plan.id)
            .where(*counted, *where)
            .order_by(col(SubscriptionPeriod.ends_at).desc(), col(SubscriptionPeriod.id).desc())
        ).first()
        if plan is not None:
            return plan
    return None


def entitlement_for(
    user_id: int, now: datetime | None = None, *, deps: BillingDeps | None = None
) -> Entitlement | None:
    """The user's access and features now; None when there is no such (enabled) user."""
    deps = resolve(deps)
    now = deps.now() if now is None else now
    mode = deps.settings.khalti_env
    with Session(deps.engine) as session:
        username = session.exec(
            select(LocalUser.username).where(LocalUser.id == user_id, col(LocalUser.enabled))
        ).first()
        if username is None:
            return None
        expires = current_expiry(session, user_id, mode)
        status = status_at(expires, now, deps.settings.grace_days)
        plan = _plan_giving_access(session, user_id, now, mode, expires) if expires is not None else None
    gives = status in GIVES_ACCESS
    return Entitlement(
        user_id=user_id,
        username=username,
        status=status,
        plan=plan.slug if plan is not None else None,
        plan_name=plan.name if plan is not None else None,
        expires_at=expires,
        features=tuple(sorted(set(plan.feature_keys or ()))) if plan is not None and gives else (),
    )


def user_id_named(username: str, *, deps: BillingDeps | None = None) -> int | None:
    """The user called `username` (any case), or None."""
    deps = resolve(deps)
    with Session(deps.engine) as session:
        return session.exec(
            select(LocalUser.id).where(func.lower(LocalUser.username) == username.strip().lower()[:255])
        ).first()


def user_id_with_email(email: str, *, deps: BillingDeps | None = None) -> int | None:
    """The user whose confirmed address is `email` (any case), or None: an unconfirmed address names nobody."""
    deps = resolve(deps)
    address = email.strip().lower()[:254]
    if not address:
        return None
    with Session(deps.engine) as session:
        return session.exec(
            select(UserProfile.user_id).where(
                func.lower(UserProfile.email) == address, col(UserProfile.email_verified_at).is_not(None)
            )
        ).first()
