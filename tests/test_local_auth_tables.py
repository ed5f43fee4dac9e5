"""reflex-local-auth gives us its tables and hashing, and none of its states: they would be public endpoints."""

from __future__ import annotations

import subprocess
import sys

import reflex as rx

import khalti_portal.khalti_portal  # noqa: F401  (the whole app: every state it registers)
from khalti_portal.db.models import LocalUser


def _tree(state: type[rx.State]) -> list[str]:
    names = [f"{state.__module__}.{state.__name__}"]
    for sub in state.get_substates():
        names += _tree(sub)
    return names


def test_no_state_of_reflex_local_auth_is_in_the_app():
    root = rx.State.get_root_state()
    names = _tree(root)
    assert any(name.startswith("khalti_portal.states.auth.") for name in names)  # the walk reaches our states
    assert [name for name in names if "reflex_local_auth" in name] == []


def test_importing_the_package_anywhere_later_brings_no_state_in():
    import reflex_local_auth

    assert not hasattr(reflex_local_auth, "LocalAuthState")
    assert not hasattr(reflex_local_auth, "LoginState") and not hasattr(reflex_local_auth, "RegistrationState")


def test_its_password_hashing_is_the_library_own():
    hashed = LocalUser.hash_password("correct horse battery")
    assert hashed.startswith(b"$2b$")
    user = LocalUser(username="sita", password_hash=hashed, enabled=True)
    assert user.verify("correct horse battery") and not user.verify("wrong horse battery")


def test_a_full_import_before_ours_is_refused_in_words():
    code = "import reflex_local_auth; import khalti_portal.db.models"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "reflex_local_auth was imported in full before khalti_portal.db" in done.stderr
