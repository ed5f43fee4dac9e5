"""HTML of the hosted checkout page: plain server-rendered markup, one small inline stylesheet.

Every value that came from a merchant or a browser goes through `html.escape`.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote, urlsplit

from babel.numbers import format_decimal

from khalti_portal.sandbox.store import (
    COMPLETED,
    EXPIRED,
    FAILED,
    PARTIALLY_REFUNDED,
    PENDING,
    REFUNDED,
    USER_CANCELED,
    PaymentRow,
)

TEST_IDS = tuple(f"980000000{n}" for n in range(6))
TEST_MPIN = "1111"
TEST_OTP = "987654"

_CSS = """
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f0f7;color:#1f1235;
line-height:1.45;-webkit-text-size-adjust:100%}
.banner{background:#5c2d91;color:#fff;text-align:center;font-size:.8rem;padding:.45rem 1rem;letter-spacing:.02em}
main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:14px;
box-shadow:0 4px 18px rgba(31,18,53,.09)}
main.wide{max-width:52rem}
@media (max-width:480px){main{margin:0;border-radius:0;box-shadow:none;padding:1.25rem 1rem}}
.brand{font-weight:800;color:#5c2d91;font-size:1.3rem;margin:0 0 1rem}
.merchant{color:#5b5270;font-size:.9rem;margin:0;overflow-wrap:anywhere}
.merchant a{color:inherit}
.amount{font-size:2rem;font-weight:700;margin:.2rem 0 .1rem}
.order{margin:0 0 1rem;color:#3b2f52;overflow-wrap:anywhere}
h2{font-size:1.05rem;margin:1.25rem 0 .25rem}
label{display:block;font-weight:600;font-size:.9rem;margin:.9rem 0 .3rem}
input{width:100%;padding:.75rem .8rem;font-size:1rem;border:1px solid #cfc6dc;border-radius:8px;background:#fff}
input:focus{outline:2px solid #5c2d91;outline-offset:1px;border-color:#5c2d91}
.actions{display:flex;flex-direction:column;gap:.6rem;margin-top:1.25rem}
button,.button{display:block;width:100%;padding:.8rem;font-size:1rem;font-weight:600;border-radius:8px;
cursor:pointer;text-align:center;text-decoration:none;font-family:inherit}
.primary{background:#5c2d91;color:#fff;border:1px solid #5c2d91}
.secondary{background:#fff;color:#5c2d91;border:1px solid #5c2d91}
.error{background:#fdecec;color:#9b1c1c;border:1px solid #f5c2c2;border-radius:8px;padding:.6rem .8rem;margin:1rem 0 0}
.state{border-radius:8px;padding:.8rem;margin:1rem 0;background:#f7f5fa}
.hint{margin-top:1.5rem;font-size:.85rem;background:#f7f5fa;border-radius:8px;padding:.75rem .9rem;color:#3b2f52}
.hint ul{margin:.3rem 0 0;padding-left:1.1rem}
.muted{color:#5b5270;font-size:.9rem}
"""


def rupees(paisa: int) -> str:
    """`129950` → `Rs 1,299.50`, `10000000` → `Rs 1,00,000`: integer arithmetic, Indian digit grouping."""
    sign = "-" if paisa < 0 else ""
    whole, cents = divmod(abs(paisa), 100)
    text = format_decimal(whole, locale="en_IN")
    return f"Rs {sign}{text}.{cents:02d}" if cents else f"Rs {sign}{text}"


def document(title: str, body: str, *, brand: str = "khalti", wide: bool = False, extra_css: str = "") -> str:
    """A whole page around `body`; `wide` for pages of long content (the mailbox), `extra_css` their own rules."""
    main = '<main class="wide">' if wide else "<main>"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)} · Khalti emulator</title><style>{_CSS}{extra_css}</style></head>\n<body>"
        '<div class="banner" id="emulator-notice">Khalti emulator · test payments only, no money moves</div>\n'
        f'{main}\n<p class="brand">{escape(brand)}</p>\n{body}\n</main>\n</body></html>\n'
    )


def _summary(row: PaymentRow) -> str:
    site = escape(row.website_url)
    host = escape(urlsplit(row.website_url).netloc or row.website_url)
    return (
        f'<p class="merchant">Pay to <a id="merchant" href="{site}" rel="noopener">{host}</a></p>\n'
        f'<p class="amount" id="amount" data-paisa="{row.total_amount}">{rupees(row.total_amount)}</p>\n'
        f'<p class="order" id="order-name">{escape(row.purchase_order_name)}</p>\n'
    )


def _error(message: str | None) -> str:
    return f'<p class="error" id="error" role="alert">{escape(message)}</p>\n' if message else ""


def _hint() -> str:
    ids = f"{TEST_IDS[0]} &ndash; {TEST_IDS[-1]}"
    return (
        '<aside class="hint" id="test-credentials"><strong>Test credentials</strong><ul>'
        f"<li>Khalti ID: <code>{ids}</code></li><li>MPIN: <code>{TEST_MPIN}</code></li>"
        f"<li>OTP: <code>{TEST_OTP}</code></li></ul></aside>"
    )


def _action(pidx: str) -> str:
    return escape(f"?pidx={quote(pidx, safe='')}")


def credentials_page(row: PaymentRow, *, khalti_id: str = "", error: str | None = None) -> str:
    """Step 1: Khalti ID and MPIN."""
    pidx = escape(row.pidx)
    body = (
        _summary(row)
        + '<h2 id="step-credentials">Sign in to Khalti</h2>\n'
        + _error(error)
        + f'<form method="post" action="{_action(row.pidx)}" novalidate>\n'
        f'<input type="hidden" name="pidx" value="{pidx}">\n'
        '<label for="khalti-id">Khalti ID (mobile number)</label>\n'
        f'<input id="khalti-id" name="khalti_id" type="tel" inputmode="numeric" autocomplete="username" '
        f'value="{escape(khalti_id)}" required>\n'
        '<label for="mpin">Khalti MPIN</label>\n'
        '<input id="mpin" name="mpin" type="password" inputmode="numeric" autocomplete="current-password" required>\n'
        '<div class="actions">\n'
        '<button id="login" class="primary" type="submit" name="action" value="login">Continue</button>\n'
        '<button id="cancel" class="secondary" type="submit" name="action" value="cancel">Cancel payment</button>\n'
        "</div>\n</form>\n" + _hint()
    )
    return document("Pay with Khalti", body)


def otp_page(row: PaymentRow, *, token: str, masked_mobile: str, error: str | None = None) -> str:
    """Step 2: the OTP, then pay."""
    body = (
        _summary(row)
        + '<h2 id="step-otp">Confirm with OTP</h2>\n'
        + f'<p class="muted">We sent a 6-digit code to <span id="masked-mobile">{escape(masked_mobile)}</span>.</p>\n'
        + _error(error)
        + f'<form method="post" action="{_action(row.pidx)}" novalidate>\n'
        f'<input type="hidden" name="pidx" value="{escape(row.pidx)}">\n'
        f'<input type="hidden" name="token" value="{escape(token)}">\n'
        '<label for="otp">OTP code</label>\n'
        '<input id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" required>\n'
        '<div class="actions">\n'
        f'<button id="pay" class="primary" type="submit" name="action" value="pay">Pay {rupees(row.total_amount)}'
        "</button>\n"
        '<button id="cancel" class="secondary" type="submit" name="action" value="cancel">Cancel payment</button>\n'
        "</div>\n</form>\n" + _hint()
    )
    return document("Confirm payment", body)


_STATE_TEXT = {
    COMPLETED: "This payment has already been completed.",
    REFUNDED: "This payment was completed and has been refunded.",
    PARTIALLY_REFUNDED: "This payment was completed and has been partly refunded.",
    USER_CANCELED: "This payment was canceled.",
    EXPIRED: "This payment link has expired. Start a new payment from the merchant's site.",
    PENDING: "This payment is being processed.",
    FAILED: "This payment failed.",
}


def state_page(row: PaymentRow, status: str, *, back_url: str) -> str:
    """A pidx that can no longer be paid: say why, offer the way back, show no form."""
    text = _STATE_TEXT.get(status, f"This payment cannot be paid ({status}).")
    body = (
        _summary(row)
        + f'<div class="state" id="payment-state" data-status="{escape(status)}">{escape(text)}</div>\n'
        + f'<a class="button secondary" id="back-to-merchant" href="{escape(back_url)}">Return to merchant</a>\n'
    )
    return document("Payment " + status.lower(), body)


def not_found_page() -> str:
    """Unknown or missing pidx."""
    body = (
        '<div class="state" id="not-found">This payment link is not valid.</div>\n'
        '<p class="muted">Check the link, or start the payment again from the merchant\'s site.</p>\n'
    )
    return document("Payment not found", body)
