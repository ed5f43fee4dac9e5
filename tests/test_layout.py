"""The page wrapper: a test-mode banner shows exactly when no real money can move, in the mode the server runs in.

Page functions are compiled into the JavaScript bundle, so the banner must not be decided there: the
compiled layout is the same whatever the configuration, and the mode comes from `SiteState` at run time.
"""

from __future__ import annotations

import pytest
import reflex as rx

from khalti_portal.components import layout
from khalti_portal.config import load_settings
from khalti_portal.states import site
from khalti_portal.states.site import SiteState

MODES = {
    "emulator": {},
    "sandbox": {"KHALTI_ENV": "sandbox", "KHALTI_SECRET_KEY": "k"},
    "live": {"KHALTI_ENV": "live", "KHALTI_SECRET_KEY": "k", "APP_URL": "https://shop.example"},
}


def rendered_under(monkeypatch, env: dict[str, str]) -> str:
    monkeypatch.setattr(site, "get_settings", lambda: load_settings(env))
    return str(layout.layout(rx.text("page body")))  # the JSX the page compiles to


def test_the_compiled_layout_is_the_same_whatever_the_configuration(monkeypatch) -> None:
    compiled = {mode: rendered_under(monkeypatch, env) for mode, env in MODES.items()}
    assert compiled["emulator"] == compiled["sandbox"] == compiled["live"]
    jsx = compiled["live"]
    # Both banners are in the bundle, chosen by the state var, never by a constant baked in at build time.
    for present in ("emulator-banner", "sandbox-banner", "no real money moves", "khalti_mode", "page body"):
        assert present in jsx
    for always in ("sign-out", "nav-admin"):
        assert always in jsx


def test_the_bundle_starts_with_no_mode_so_no_banner_is_decided_at_build_time(monkeypatch) -> None:
    # What the compiler writes as the initial state: empty, whichever mode the build ran in.
    for env in MODES.values():
        monkeypatch.setattr(site, "get_settings", lambda env=env: load_settings(env))
        initial = rx.State(_reflex_internal_init=True).dict(initial=True)
        [values] = [v for name, v in initial.items() if name.endswith("site_state")]
        assert values["khalti_mode_rx_state_"] == ""


@pytest.mark.parametrize("mode", sorted(MODES))
def test_the_state_says_the_mode_the_server_runs_with(monkeypatch, mode: str) -> None:
    monkeypatch.setattr(site, "get_settings", lambda: load_settings(MODES[mode]))
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(SiteState.get_full_name().split("."))
    assert state.khalti_mode == mode
    # ...and that is what hydration sends to the browser.
    [values] = state.dict().values()
    assert values["khalti_mode_rx_state_"] == mode


def test_the_state_sends_the_mode_and_nothing_else() -> None:
    assert set(SiteState.vars) - set(rx.State.vars) == {"khalti_mode"}
    assert set(SiteState.event_handlers) <= set(rx.State.event_handlers)  # no handler of its own
