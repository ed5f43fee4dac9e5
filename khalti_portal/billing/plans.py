"""The plan catalogue: the seeded demo plans and reading plans that are on sale (or archived)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.db.models import Plan


@dataclass(frozen=True)
class PlanSpec:
    """A plan to seed: what the catalogue shows and what it costs, in paisa."""

    slug: str
    name: str
    description: str
    features: tuple[str, ...]
    price_paisa: int
    duration_days: int
    sort_order: int
    feature_keys: tuple[str, ...] = ()  # what the plan unlocks in the members area (content/members/*.md)
    description_ne: str = ""  # the card's words for readers of Nepali
    features_ne: tuple[str, ...] = ()


DEMO_PLANS: tuple[PlanSpec, ...] = (
    PlanSpec(
        slug="basic",
        name="Basic",
        description="Everything you need to get started, month by month.",
        features=("Full access for 30 days", "Email support", "Renew any time: unused days carry over"),
        price_paisa=49_900,
        duration_days=30,
        sort_order=10,
        feature_keys=("members",),
        description_ne="सुरु गर्न चाहिने सबै कुरा, महिनैपिच्छे।",
        features_ne=("३० दिनसम्म पूरा पहुँच", "इमेलबाट सहयोग", "जुनसुकै बेला नवीकरण गर्नुहोस्: बाँकी दिन थपिन्छन्"),
    ),
    PlanSpec(
        slug="standard",
        name="Standard",
        description="A quarter of access at a better monthly price.",
        features=("Full access for 90 days", "Priority email support", "Renew any time: unused days carry over"),
        price_paisa=129_950,
        duration_days=90,
        sort_order=20,
        feature_keys=("members", "downloads"),
        description_ne="राम्रो मासिक दरमा तीन महिनाको पहुँच।",
        features_ne=("९० दिनसम्म पूरा पहुँच", "इमेलबाट पहिले सहयोग", "जुनसुकै बेला नवीकरण गर्नुहोस्: बाँकी दिन थपिन्छन्"),
    ),
    PlanSpec(
        slug="premium",
        name="Premium",
        description="A whole year, paid once, at the best price.",
        features=("Full access for 365 days", "Phone and email support", "Renew any time: unused days carry over"),
        price_paisa=499_900,
        duration_days=365,
        sort_order=30,
        feature_keys=("members", "downloads", "priority-support"),
        description_ne="एक पटक तिरेर पूरा एक वर्ष, सबैभन्दा राम्रो दरमा।",
        features_ne=("३६५ दिनसम्म पूरा पहुँच", "फोन र इमेलबाट सहयोग", "जुनसुकै बेला नवीकरण गर्नुहोस्: बाँकी दिन थपिन्छन्"),
    ),
)


def seed_demo_plans(deps: BillingDeps | None = None) -> int:
    """Insert the demo plans if there are no plans at all; return how many were added."""
    deps = resolve(deps)
    now = deps.now()
    try:
        with Session(deps.engine) as session:
            if session.exec(select(func.count()).select_from(Plan)).one():
                return 0
            for spec in DEMO_PLANS:
                session.add(
                    Plan(
                        slug=spec.slug,
                        name=spec.name,
                        description=spec.description,
                        features="\n".join(spec.features),
                        description_ne=spec.description_ne,
                        features_ne="\n".join(spec.features_ne),
                        feature_keys=list(spec.feature_keys),
                        price_paisa=spec.price_paisa,
                        duration_days=spec.duration_days,
                        sort_order=spec.sort_order,
                        is_active=True,
                        created_at=now,
                        updated_at=now,
                    )
                )
            session.commit()
    except IntegrityError:
        # Another process seeded between our count and our insert: its plans stand.
        return 0
    return len(DEMO_PLANS)


def active_plans(deps: BillingDeps | None = None) -> list[Plan]:
    """The plans on sale, in catalogue order."""
    deps = resolve(deps)
    with Session(deps.engine, expire_on_commit=False) as session:
        query = select(Plan).where(Plan.is_active).order_by(Plan.sort_order, Plan.price_paisa, Plan.id)
        return list(session.exec(query).all())


def get_plan(slug: str, include_archived: bool = False, *, deps: BillingDeps | None = None) -> Plan | None:
    """The plan with `slug`, or None; archived plans only when asked for."""
    deps = resolve(deps)
    with Session(deps.engine, expire_on_commit=False) as session:
        return find_plan(session, slug, include_archived=include_archived)


def find_plan(session: Session, slug: str, *, include_archived: bool = False) -> Plan | None:
    """`get_plan` inside the caller's session."""
    query = select(Plan).where(Plan.slug == slug)
    if not include_archived:
        query = query.where(Plan.is_active)
    return session.exec(query).first()
