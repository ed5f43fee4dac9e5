"""Small display objects: the only shapes of our data that reach the browser (never a table row)."""

from __future__ import annotations

from dataclasses import dataclass, field

from khalti_portal.billing.money import format_rupees
from khalti_portal.db.models import Plan


@dataclass
class PlanCard:
    """A plan as the catalog and checkout show it."""

    slug: str = ""
    name: str = ""
    description: str = ""
    features: list[str] = field(default_factory=list)
    price: str = ""
    duration: str = ""

    @classmethod
    def of(cls, plan: Plan, language: str = "en") -> PlanCard:
        """Shape a Plan row for the page; description and features in `language` when the merchant wrote them."""
        return cls(
            slug=plan.slug,
            name=plan.name,
            description=plan.description_in(language),
            features=plan.features_in(language),
            price=format_rupees(plan.price_paisa),
            duration=days_label(plan.duration_days),
        )


def days_label(days: int) -> str:
    """`1 day`, `30 days`."""
    return f"{days} day{'s' if days != 1 else ''}"


@dataclass
class PeriodRow:
    """An already-paid period that starts later."""

    plan_name: str = ""
    starts: str = ""
    ends: str = ""


@dataclass
class PaymentRow:
    """One line of a payment history."""

    date: str = ""
    plan_name: str = ""
    amount: str = ""
    status: str = ""
    transaction_id: str = ""
    reference: str = ""
    receipt_href: str = ""  # `/receipts/<slug>` when the payment has an invoice, "" otherwise


@dataclass
class MemberBlock:
    """One members' page as `/members` shows it: sent only to a subscriber whose features unlock it."""

    title: str = ""
    feature: str = ""
    html: str = ""  # rendered on the server from the merchant's Markdown, raw HTML escaped
