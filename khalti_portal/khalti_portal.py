"""The Reflex app: pages, API routes, lifespan tasks. Wiring only."""

from __future__ import annotations

import reflex as rx

import khalti_portal.db.models  # noqa: F401  (tables registered for migrations)
from khalti_portal.api import build_api
from khalti_portal.billing.reconcile import reconcile_in_background, run_in_process
from khalti_portal.components.brand import favicon
from khalti_portal.components.language_switch import early_language
from khalti_portal.config import get_settings
from khalti_portal.khalti.pool import closed_at_shutdown
from khalti_portal.mail.service import send_mail_in_background
from khalti_portal.pages import (  # noqa: F401  (pages register themselves)
    account,
    admin_api_keys,
    admin_mail,
    admin_payments,
    admin_plans,
    catalog,
    checkout,
    dashboard,
    legal,
    members,
    payment_return,
    profile,
    receipt,
    recovery,
    unsubscribe,
)
from khalti_portal.states.errors import on_backend_error

app = rx.App(
    api_transformer=build_api(get_settings()),
    backend_exception_handler=on_backend_error,
    head_components=[favicon(), early_language()],
)
app.register_lifespan_task(closed_at_shutdown)
if run_in_process(get_settings()):  # RECONCILE_IN_PROCESS=0 hands both to `reconcile --loop` and `mail --loop`
    app.register_lifespan_task(reconcile_in_background)
    app.register_lifespan_task(send_mail_in_background)
