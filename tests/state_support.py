"""Driving Reflex states without a browser: a fresh app database, and states built with a router and a user.

Use with ``pytest_plugins = ["tests.state_support"]``: the `app_db` fixture points the whole app (our
engine and Reflex's `rx.session()`) at a fresh SQLite file; `StateDriver` makes page states as a
browser tab would have them (URL, client IP, signed in or not) and runs their handlers, background ones
included, following the events they return.
"""

from __future__ import annotations

import inspect
import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
import reflex as rx
from reflex.istate.data import RouterData
from reflex_base.config import get_config
from sqlmodel import Session, SQLModel

from khalti_portal import accounts
from khalti_portal.config import get_settings
from khalti_portal.db import session as db_session
from khalti_portal.db.models import LocalAuthSession, Plan, UserProfile

S = TypeVar("S", bound=rx.State)


@pytest.fixture
def app_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The app's database, for this test only: every table on a fresh SQLite file."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    monkeypatch.setenv("REFLEX_DB_URL", url)
    monkeypatch.setenv("KHALTI_EMULATOR_DB", str(tmp_path / "emulator.db"))
    get_settings.cache_clear()
    db_session.get_engine.cache_clear()
    config = get_config()
    monkeypatch.setattr(config, "db_url", url)  # reflex-local-auth reads the session through rx.session()
    engine = db_session.get_engine()
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()
    get_settings.cache_clear()
    db_session.get_engine.cache_clear()


def add_plan(slug: str = "basic", price: int = 49_900, days: int = 30) -> Plan:
    """An active plan in the app database."""
    with Session(db_session.get_engine(), expire_on_commit=False) as s:
        plan = Plan(slug=slug, name=slug.title(), price_paisa=price, duration_days=days)
        s.add(plan)
        s.commit()
        return plan


def make_admin() -> int:
    """A fresh account holding the admin role."""
    name = f"admin_{secrets.token_hex(3)}"
    user_id = new_user(name)
    accounts.make_admin(name, None, promote=True)
    return user_id


def signed_out() -> int | None:
    """Nobody: a tab with no session."""
    return None


def plain_user() -> int | None:
    """A subscriber, no admin role."""
    return new_user()


def demoted_admin() -> int | None:
    """An admin whose role was taken away after signing in."""
    user_id = make_admin()
    with Session(db_session.get_engine()) as session:
        session.get(UserProfile, user_id).is_admin = False
        session.commit()
    return user_id


def own_handlers(*classes: type[rx.State]) -> set[str]:
    """The event handlers these classes define themselves (not those inherited from Reflex or the auth base)."""
    names = {cls.__name__ for cls in classes}
    return {
        name
        for cls in classes
        for name, handler in cls.event_handlers.items()
        if handler.fn.__qualname__.split(".")[0] in names
    }


def sign_in_token(user_id: int) -> str:
    """A live reflex-local-auth session for `user_id`, as signing in would leave it."""
    token = secrets.token_hex(16)
    with Session(db_session.get_engine()) as session:
        session.add(
            LocalAuthSession(user_id=user_id, session_id=token, expiration=datetime.now(UTC) + timedelta(days=7))
        )
        session.commit()
    return token


def new_user(username: str = "", password: str = "correct horse battery") -> int:
    """A fresh account; returns its id."""
    return accounts.create_user(username or f"user_{secrets.token_hex(4)}", password)


class StateDriver:
    """One browser tab's worth of state: make page states, call handlers, follow returned events."""

    def __init__(self, *, user_id: int | None = None, client_ip: str = "203.0.113.7") -> None:
        self.root = rx.State(_reflex_internal_init=True)
        self.client_ip = client_ip
        self.token = sign_in_token(user_id) if user_id is not None else ""
        self.events: list[Any] = []

    def state(self, cls: type[S], url: str = "/", route: str | None = None) -> S:
        """The substate `cls` as seen on `url` (path and query), signed in as the driver's user."""
        path, _, query = url.partition("?")
        router = RouterData.from_router_data(
            {
                "pathname": route or path,
                "asPath": url,
                "query": dict(p.split("=", 1) for p in query.split("&") if "=" in p),
                "headers": {"origin": "http://localhost:3000"},
                "token": "client-token-" + (self.token or "anon"),
                "ip": self.client_ip,
            }
        )
        substate = self.root.get_substate(cls.get_full_name().split("."))
        self.root.router = router
        substate.router = router
        substate.is_hydrated = True
        if self.token:
            substate.session_token = self.token
        return substate  # type: ignore[return-value]

    async def run(self, state: rx.State, handler: str, *args: Any) -> list[Any]:
        """Call a handler by name as the browser would, then any handlers of this state it returns."""
        fn = getattr(type(state), handler)
        fn = getattr(fn, "fn", fn)
        result = fn(state, *args)
        if inspect.isawaitable(result):
            result = await result
        return await self._follow(state, result)

    async def _follow(self, state: rx.State, result: Any) -> list[Any]:
        followed: list[Any] = []
        for event in result if isinstance(result, list | tuple) else [result]:
            if event is None:
                continue
            # `return MyState.handler` gives an EventHandler; `rx.redirect(...)` an EventSpec with its own handler.
            handler = event if hasattr(event, "state_full_name") else getattr(event, "handler", None)
            owner = getattr(handler, "state_full_name", "")
            if handler is not None and owner == type(state).get_full_name():
                followed += await self.run(state, handler.fn.__name__)
            else:
                self.events.append(event)
                followed.append(event)
        return followed


def redirect_target(event: Any) -> str | None:
    """The URL of an `rx.redirect(...)` event, or None."""
    for name, value in getattr(event, "args", ()) or ():
        if getattr(name, "_js_expr", name) == "path":
            return getattr(value, "_var_value", None)
    return None


def navigation_target(event: Any) -> str | None:
    """Where an event sends the tab: an `rx.redirect` path, or the URL of a `window.location.assign(...)` script."""
    if (path := redirect_target(event)) is not None:
        return path
    for name, value in getattr(event, "args", ()) or ():
        code = getattr(value, "_var_value", None)
        if getattr(name, "_js_expr", name) == "javascript_code" and isinstance(code, str):
            match = re.fullmatch(r"window\.location\.assign\((.*)\)", code)
            return json.loads(match.group(1)) if match else None
    return None
