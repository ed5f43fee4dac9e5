"""API keys for the entitlement API, admin side: a key is returned once and only its SHA-256 is stored; labels
are checked; a revoke happens once and is audited with its admin; the page's state refuses everyone but admins
and never holds a key after a reload or another create.

Billing first (`billing.admin.api_keys` on a SQLite file), then the page's state called as a browser would.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from khalti_portal.billing.admin.api_keys import create_key, list_keys, revoke_key
from khalti_portal.billing.api_keys import hash_key, key_prefix
from khalti_portal.db.models import ApiKey, PaymentEvent
from khalti_portal.db.session import get_engine
from khalti_portal.i18n.dates import Calendar, format_moment
from khalti_portal.pages.admin_api_keys import admin_api_keys as keys_page_function
from khalti_portal.reading_preferences import set_calendar, site_calendar
from khalti_portal.states.admin_api_key_views import ApiKeyRowView
from khalti_portal.states.admin_api_keys import AdminApiKeysState
from khalti_portal.states.admin_base import AdminState
from tests.db_fixtures import BillingWorld
from tests.state_support import (
    StateDriver,
    demoted_admin,
    make_admin,
    own_handlers,
    plain_user,
    redirect_target,
    signed_out,
)


def key_events(engine: Any) -> list[PaymentEvent]:
    with Session(engine, expire_on_commit=False) as session:
        query = select(PaymentEvent).where(PaymentEvent.kind.in_(["api_key_created", "api_key_revoked"]))  # type: ignore[attr-defined]
        return list(session.exec(query.order_by(PaymentEvent.id)).all())


def stored_keys(engine: Any) -> list[ApiKey]:
    with Session(engine, expire_on_commit=False) as session:
        return list(session.exec(select(ApiKey).order_by(ApiKey.id)).all())


def database_text(path: str) -> str:
    """Every value in every table of a SQLite file, as one string (the file itself, read back through SQL)."""
    connection = sqlite3.connect(path)
    try:
        tables = [name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return "\n".join(repr(row) for table in tables for row in connection.execute(f'SELECT * FROM "{table}"'))
    finally:
        connection.close()


# -- the core --------------------------------------------------------------------------------------------


def test_hash_key_is_the_sha256_hex_and_the_prefix_its_first_eleven_characters():
    key = "kp_" + "A" * 43
    assert hash_key(key) == hashlib.sha256(key.encode()).hexdigest() and len(hash_key(key)) == 64
    assert key_prefix(key) == "kp_AAAAAAAA"


# -- create ------------------------------------------------------------------------------------------------


def test_create_returns_a_key_whose_hash_is_stored_and_whose_value_is_nowhere_in_the_database(sqlite_world):
    w: BillingWorld = sqlite_world
    admin = w.user("admin_np")

    outcome = create_key("  Warehouse sync  ", actor_user_id=admin, deps=w.deps)

    assert outcome.ok and outcome.key.startswith("kp_") and len(outcome.key) == 3 + 43
    assert "Copy it now: it will not be shown again" in outcome.message
    [row] = stored_keys(w.engine)
    assert (row.label, row.prefix, row.key_hash) == ("Warehouse sync", outcome.key[:11], hash_key(outcome.key))
    assert (row.created_at, row.created_by, row.revoked_at, row.last_used_at) == (w.now(), admin, None, None)
    path = str(w.engine.url.database)
    text = database_text(path)
    assert hash_key(outcome.key) in text  # the reader sees the database's values ...
    assert outcome.key not in text and outcome.key[11:] not in text  # ... and the key is not among them
    [audit] = key_events(w.engine)
    assert (audit.source, audit.kind, audit.actor_user_id, audit.to_status) == (
        "admin",
        "api_key_created",
        admin,
        "active",
    )
    assert audit.detail == f"created API key {outcome.key[:11]} (Warehouse sync)"


def test_each_key_is_different(sqlite_world):
    w = sqlite_world
    admin = w.user()
    keys = {create_key(f"system {i}", actor_user_id=admin, deps=w.deps).key for i in range(5)}
    assert len(keys) == 5 and len({hash_key(k) for k in keys}) == 5


@pytest.mark.parametrize(
    ("label", "says"),
    [
        ("", "Enter a label"),
        ("   ", "Enter a label"),
        (None, "Enter a label"),
        (42, "Enter a label"),
        ("x" * 81, "Use at most 80 characters for the label (you have 81)."),
        ("two\nlines", "no line breaks, tabs or control characters"),
    ],
)
def test_a_bad_label_is_refused_in_words_and_nothing_is_stored(sqlite_world, label: Any, says: str):
    w = sqlite_world
    outcome = create_key(label, actor_user_id=w.user(), deps=w.deps)
    assert not outcome.ok and says in outcome.message and outcome.key == ""
    assert stored_keys(w.engine) == [] and key_events(w.engine) == []


def test_labels_of_one_and_eighty_characters_after_trimming_are_accepted(sqlite_world):
    w = sqlite_world
    admin = w.user()
    assert create_key(" a ", actor_user_id=admin, deps=w.deps).ok
    assert create_key("  " + "é" * 80 + "  ", actor_user_id=admin, deps=w.deps).ok
    assert [k.label for k in stored_keys(w.engine)] == ["a", "é" * 80]


@pytest.mark.parametrize("actor", [None, "1", True])
def test_create_and_revoke_name_a_real_admin_or_are_refused(sqlite_world, actor: Any):
    w = sqlite_world
    made = create_key("CRM", actor_user_id=w.user(), deps=w.deps)
    [row] = stored_keys(w.engine)

    refused_create = create_key("Other", actor_user_id=actor, deps=w.deps)
    refused_revoke = revoke_key(row.id, actor_user_id=actor, deps=w.deps)

    assert (
        made.ok and not refused_create.ok and refused_create.key == "" and "signed-in admin" in refused_create.message
    )
    assert not refused_revoke.ok and "signed-in admin" in refused_revoke.message
    assert [k.revoked_at for k in stored_keys(w.engine)] == [None] and len(key_events(w.engine)) == 1


# -- list and revoke ---------------------------------------------------------------------------------------


def test_the_list_is_newest_first_bounded_and_never_carries_the_key_or_its_hash(sqlite_world):
    w = sqlite_world
    admin = w.user()
    outcomes = []
    for i in range(3):
        outcomes.append(create_key(f"system {i}", actor_user_id=admin, deps=w.deps))
        w.clock.advance(timedelta(minutes=1))

    rows = list_keys(deps=w.deps)
    assert [r.label for r in rows] == ["system 2", "system 1", "system 0"]
    assert [r.label for r in list_keys(limit=2, deps=w.deps)] == ["system 2", "system 1"]
    shown = repr(rows)
    for outcome in outcomes:
        assert outcome.key not in shown and hash_key(outcome.key) not in shown
        assert outcome.key[:11] in shown


def test_revoke_happens_once_and_is_audited_with_its_admin(sqlite_world):
    w = sqlite_world
    creator, revoker = w.user("creator"), w.user("revoker")
    set_calendar(creator, "bs", engine=w.engine)
    made = create_key("Warehouse", actor_user_id=creator, deps=w.deps)
    [row] = stored_keys(w.engine)
    w.clock.advance(timedelta(hours=1))

    first = revoke_key(str(row.id), actor_user_id=revoker, deps=w.deps)
    second = revoke_key(row.id, actor_user_id=creator, deps=w.deps)

    assert first.ok and first.message == f"Revoked API key {made.key[:11]} (Warehouse): it no longer opens the API."
    # The second admin reads BS: the answer says when in BS.
    assert second.message == (
        f"The API key {made.key[:11]} (Warehouse) was already revoked on "
        f"{format_moment(w.now(), Calendar.BS)}; nothing was changed."
    )
    [after] = stored_keys(w.engine)
    assert (after.revoked_at, after.revoked_by) == (w.now(), revoker)
    created, revoked = key_events(w.engine)
    assert (created.kind, created.actor_user_id) == ("api_key_created", creator)
    assert (revoked.kind, revoked.actor_user_id, revoked.from_status, revoked.to_status) == (
        "api_key_revoked",
        revoker,
        "active",
        "revoked",
    )
    assert revoked.detail == f"revoked API key {made.key[:11]} (Warehouse)" and revoked.created_at == w.now()
    assert list_keys(deps=w.deps)[0].revoked


@pytest.mark.parametrize(
    ("key_id", "says"),
    [
        ("abc", "There is no such API key"),
        (-1, "There is no such API key"),
        (None, "There is no such API key"),
        (True, "There is no such API key"),
        (987_654, "There is no API key #987654"),
    ],
)
def test_an_unknown_or_garbage_id_is_refused_and_nothing_is_audited(sqlite_world, key_id: Any, says: str):
    w = sqlite_world
    create_key("CRM", actor_user_id=w.user(), deps=w.deps)
    outcome = revoke_key(key_id, actor_user_id=w.user(), deps=w.deps)
    assert not outcome.ok and outcome.message.startswith(says) and "reload the page" in outcome.message
    assert [k.revoked_at for k in stored_keys(w.engine)] == [None] and len(key_events(w.engine)) == 1


# -- the page's state ---------------------------------------------------------------------------------------

URL = "/admin/api-keys"
HANDLERS: dict[str, tuple[Any, ...]] = {
    "guard": (),
    "load": (),
    "refresh": (),
    "create": ({"label": "Sneaky"},),
    "revoke": ("KEY",),
    "forget_key": (),
}
PUBLIC_VARS = ("loaded", "rows", "new_key_value", "new_key_label", "label_error", "notice", "error_message")


def public_vars(state: AdminApiKeysState) -> dict[str, Any]:
    return {name: getattr(state, name) for name in PUBLIC_VARS}


def every_var_text(tab: StateDriver) -> str:
    """Every var of the tab's whole state tree (the keys page's included), as the browser could be sent it."""
    return repr(tab.root.dict())


def snapshot() -> dict[str, Any]:
    with Session(get_engine()) as session:
        return {
            "keys": [k.model_dump() for k in session.exec(select(ApiKey).order_by(ApiKey.id)).all()],
            "events": [e.model_dump() for e in session.exec(select(PaymentEvent).order_by(PaymentEvent.id)).all()],
        }


async def keys_page(user_id: int) -> tuple[StateDriver, AdminApiKeysState]:
    tab = StateDriver(user_id=user_id)
    state = tab.state(AdminApiKeysState, URL)
    await tab.run(state, "load")
    return tab, state


def test_the_refusal_tests_cover_every_handler_of_the_keys_state():
    assert own_handlers(AdminState, AdminApiKeysState) == set(HANDLERS)


@pytest.mark.parametrize("who", [signed_out, plain_user, demoted_admin], ids=["signed-out", "user", "demoted"])
@pytest.mark.parametrize("handler", sorted(HANDLERS))
async def test_non_admins_are_refused_by_every_handler_and_nothing_changes(app_db, who, handler: str):
    made = create_key("CRM", actor_user_id=make_admin())
    [row] = stored_keys(app_db)
    tab = StateDriver(user_id=who())
    state = tab.state(AdminApiKeysState, URL)
    # As if an admin had had the page open in this tab, with a key just made.
    state.rows, state.loaded = [ApiKeyRowView(id=row.id, label="CRM", prefix=row.prefix)], True
    state.new_key_value, state.new_key_label = made.key, "CRM"
    args = tuple(row.id if a == "KEY" else a for a in HANDLERS[handler])
    before = snapshot()

    events = await tab.run(state, handler, *args)

    assert [redirect_target(e) for e in events] == ["/"]
    assert snapshot() == before
    assert public_vars(state) == public_vars(StateDriver().state(AdminApiKeysState, URL))  # emptied, not kept
    assert made.key not in every_var_text(tab)


async def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(app_db):
    admin = make_admin()
    tab, state = await keys_page(admin)
    assert state.loaded and state.rows == []

    await tab.run(state, "create", {"label": ""})
    assert state.label_error.startswith("Enter a label") and state.new_key_value == "" and stored_keys(app_db) == []

    await tab.run(state, "create", {"label": " Warehouse sync "})
    key = state.new_key_value
    [row] = stored_keys(app_db)
    assert key.startswith("kp_") and row.key_hash == hash_key(key) and state.new_key_label == "Warehouse sync"
    assert state.label_error == "" and "Copy it now" in state.notice
    [view] = state.rows
    assert (view.label, view.prefix, view.last_used, view.revoked, view.is_revoked) == (
        "Warehouse sync",
        key[:11],
        "never",
        "",
        False,
    )
    calendar = site_calendar()  # the admin chose none
    assert view.created == format_moment(row.created_at, calendar) and key not in repr(asdict(view))

    await tab.run(state, "revoke", row.id)
    assert state.notice.startswith("Revoked API key") and state.rows[0].is_revoked
    assert state.rows[0].revoked == format_moment(stored_keys(app_db)[0].revoked_at, calendar)
    await tab.run(state, "revoke", row.id)  # a second press, or a forged one
    assert state.notice == "" and "already revoked" in state.error_message
    assert [e.actor_user_id for e in key_events(app_db)] == [admin, admin]


async def test_the_key_is_in_no_state_var_after_a_reload(app_db):
    tab, state = await keys_page(make_admin())
    await tab.run(state, "create", {"label": "CRM"})
    key = state.new_key_value
    assert key and key in every_var_text(tab)  # shown once: the check below can see it when it is there

    await tab.run(state, "load")  # the admin reloads the page

    assert state.new_key_value == "" and key not in every_var_text(tab) and len(state.rows) == 1


async def test_the_key_is_in_no_state_var_after_another_is_created(app_db):
    tab, state = await keys_page(make_admin())
    await tab.run(state, "create", {"label": "first"})
    first = state.new_key_value
    await tab.run(state, "create", {"label": "second"})
    second = state.new_key_value

    assert second and second != first and state.new_key_label == "second"
    text = every_var_text(tab)
    assert first not in text and second in text

    await tab.run(state, "create", {"label": ""})  # a refused create forgets the last key too
    assert second not in every_var_text(tab) and state.label_error


async def test_leaving_the_page_forgets_the_key(app_db):
    tab, state = await keys_page(make_admin())
    await tab.run(state, "create", {"label": "CRM"})
    key = state.new_key_value
    await tab.run(state, "forget_key")  # the key box unmounts (the admin left) or "I have copied it"
    assert key not in every_var_text(tab) and state.new_key_label == ""


@pytest.mark.parametrize("key_id", ["abc", -5, None, {"id": 1}, 987_654])
async def test_a_revoke_of_garbage_is_refused_in_words(app_db, key_id: Any):
    create_key("CRM", actor_user_id=make_admin())
    tab, state = await keys_page(make_admin())
    before = snapshot()
    await tab.run(state, "revoke", key_id)
    assert state.error_message.startswith("There is no") and "reload the page" in state.error_message
    assert snapshot() == before


# -- what the page is built from --------------------------------------------------------------------------


def test_the_compiled_page_carries_the_hooks_outside_tests_rely_on():
    jsx = str(keys_page_function())
    for hook in (
        'id:"new-key-label"',
        'id:"create-key"',
        'id:"new-key-value"',
        'id:"admin-nav-api-keys"',
        'className:"revoke-key"',
        'className:"revoke-key-confirm"',
        '"data-key-prefix"',
        "it will not be shown again",
    ):
        assert hook in jsx, hook
