"""Route constants shared by pages, states and billing (Khalti's return_url is built from RETURN_ROUTE)."""

from __future__ import annotations

CATALOG_ROUTE = "/"
LOGIN_ROUTE = "/login"
REGISTER_ROUTE = "/register"
CHECKOUT_ROUTE = "/checkout/[plan]"
RETURN_ROUTE = "/payment/return"
DASHBOARD_ROUTE = "/dashboard"
PROFILE_ROUTE = "/profile"
ADMIN_PLANS_ROUTE = "/admin/plans"
ADMIN_PAYMENTS_ROUTE = "/admin/payments"
ADMIN_MAIL_ROUTE = "/admin/mail"
ADMIN_API_KEYS_ROUTE = "/admin/api-keys"
VERIFY_EMAIL_ROUTE = "/verify-email"
FORGOT_PASSWORD_ROUTE = "/forgot-password"
RESET_PASSWORD_ROUTE = "/reset-password"
UNSUBSCRIBE_ROUTE = "/unsubscribe"
RECEIPT_ROUTE = "/receipts/[number]"
MEMBERS_ROUTE = "/members"
TERMS_ROUTE = "/terms"
PRIVACY_ROUTE = "/privacy"
UNSUBSCRIBE_API_ROUTE = "/api/unsubscribe"  # RFC 8058 one-click: mail clients POST here (a backend route)


def checkout_path(slug: str) -> str:
    """The checkout page of one plan."""
    return f"/checkout/{slug}"


def receipt_path(slug: str) -> str:
    """The page of one invoice or credit note, by the URL form of its number (`2083-84-000123`)."""
    return f"/receipts/{slug}"
