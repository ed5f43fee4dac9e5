"""The page wrapper: the emulator banner shows exactly when no real money can move."""

from __future__ import annotations

import pytest
import reflex as rx

from khalti_portal.components import layout
from khalti_portal.config import load_settings


@pytest.mark.parametrize(
    ("env", "banner"),
    [
        ({}, True),
        ({"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "k"}, False),
        ({"KHALTI_ENV": "live", "KHALTI_SECRET_KEY": "k"}, False),
    ],
)
def test_emulator_banner_only_in_emulator_mode(monkeypatch, env: dict[str, str], banner: bool) -> None:
    monkeypatch.setattr(layout, "get_settings", lambda: load_settings(env))
    rendered = str(layout.layout(rx.text("page body")))  # the JSX the page compiles to
    assert ("emulator-banner" in rendered) is banner
    assert ("no real money moves" in rendered) is banner
    for always in ("sign-out", "nav-admin", "page body"):
        assert always in rendered
