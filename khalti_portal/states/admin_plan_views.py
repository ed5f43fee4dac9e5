"""What the admin plans page shows: each plan with its figures, and the text its edit form starts from."""

from __future__ import annotations

from dataclasses import dataclass

from khalti_portal.billing.admin import plans as plan_admin
from khalti_portal.billing.admin.plans import AdminPlanRow, PlanForm
from khalti_portal.i18n.catalogs import Language
from khalti_portal.i18n.numbers import format_days, format_number, format_rupees


@dataclass
class AdminPlanView:
    """One row of the admin plans table."""

    id: int = 0
    slug: str = ""
    name: str = ""
    price: str = ""
    duration: str = ""
    is_active: bool = True
    status: str = "active"
    subscribers: int = 0
    subscribers_text: str = "0"  # the count as the reader writes it (Devanagari digits in Nepali)
    payments: int = 0
    deletable: bool = False
    feature_keys: str = ""  # "downloads, priority-support", or "" for none

    @classmethod
    def of(cls, row: AdminPlanRow, language: Language = Language.EN) -> AdminPlanView:
        """Shape an admin row for the page, its price, length and count written in `language`."""
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            price=format_rupees(row.price_paisa, language),
            duration=format_days(row.duration_days, language),
            is_active=row.is_active,
            status="active" if row.is_active else "archived",
            subscribers=row.active_subscribers,
            subscribers_text=format_number(row.active_subscribers, language),
            payments=row.payments,
            deletable=row.deletable,
            feature_keys=", ".join(row.feature_keys),
        )


@dataclass
class PlanDraft:
    """The text the form starts from: empty for a new plan, the plan's values when editing."""

    slug: str = ""
    name: str = ""
    price: str = ""
    duration: str = ""
    features: str = ""
    feature_keys: str = ""
    description: str = ""
    sort_order: str = "0"

    @classmethod
    def of(cls, form: PlanForm) -> PlanDraft:
        """The draft for a billing form."""
        return cls(**{name: getattr(form, name) for name in plan_admin.FIELDS})
