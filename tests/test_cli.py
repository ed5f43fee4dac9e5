"""`python -m khalti_portal`: seed-plans and create-admin on a fresh database, twice in a row."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel, select

from khalti_portal.db.models import LocalUser, Plan, UserProfile
from khalti_portal.db.session import make_engine

ROOT = Path(__file__).resolve().parent.parent


def cli(db_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REFLEX_DB_URL": db_url, "KHALTI_PORTAL_DOTENV": "0"}
    return subprocess.run(
        [sys.executable, "-m", "khalti_portal", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fresh_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    SQLModel.metadata.create_all(make_engine(url))
    return url


def test_create_admin_on_a_fresh_database_and_twice_in_a_row(tmp_path: Path) -> None:
    url = fresh_db(tmp_path)
    first = cli(url, "create-admin", "root_admin", "--password-stdin", stdin="a strong password\n")
    assert first.returncode == 0, first.stderr
    assert "created admin 'root_admin'" in first.stdout
    # The name exists now: a second run says so instead of quietly "promoting" it again.
    second = cli(url, "create-admin", "root_admin", "--password-stdin", stdin="another password\n")
    assert second.returncode == 1
    assert "already exists" in second.stderr and "--promote" in second.stderr
    again = cli(url, "create-admin", "root_admin", "--promote")
    assert again.returncode == 0, again.stderr
    assert "promoted existing account" in again.stdout
    with Session(make_engine(url)) as session:
        users = session.exec(select(LocalUser).where(LocalUser.username == "root_admin")).all()
        assert len(users) == 1 and users[0].verify("a strong password")
        assert session.get(UserProfile, users[0].id).is_admin


def test_create_admin_refuses_an_existing_account_without_promote(tmp_path: Path) -> None:
    # Someone registered "admin" before the operator ran the command: they must not become an admin.
    url = fresh_db(tmp_path)
    from khalti_portal import accounts

    accounts.create_user("admin", "squatter password", engine=make_engine(url))
    out = cli(url, "create-admin", "admin", "--password-stdin", stdin="operator password\n")
    assert out.returncode == 1
    assert out.stderr.strip() == (
        "create-admin: an account named 'admin' already exists and was NOT made an admin; "
        "run again with --promote if that account is yours"
    )
    assert "Traceback" not in out.stderr
    with Session(make_engine(url)) as session:
        user = session.exec(select(LocalUser).where(LocalUser.username == "admin")).one()
        assert not session.get(UserProfile, user.id).is_admin
        assert user.verify("squatter password")  # nothing about the account changed


def test_create_admin_promotes_an_existing_subscriber_with_promote(tmp_path: Path) -> None:
    url = fresh_db(tmp_path)
    from khalti_portal import accounts

    accounts.create_user("subscriber1", "long enough pw", engine=make_engine(url))
    out = cli(url, "create-admin", "subscriber1", "--promote")
    assert out.returncode == 0, out.stderr
    assert "promoted existing account to admin 'subscriber1'" in out.stdout
    with Session(make_engine(url)) as session:
        user = session.exec(select(LocalUser).where(LocalUser.username == "subscriber1")).one()
        assert session.get(UserProfile, user.id).is_admin
        assert user.verify("long enough pw")  # promotion never touches the password


def test_make_admin_promotes_only_when_told(tmp_path: Path) -> None:
    # The rule lives in accounts too, so a name registered between the CLI's check and its write is not promoted.
    from khalti_portal import accounts

    engine = make_engine(fresh_db(tmp_path))
    user_id = accounts.create_user("early_bird", "long enough pw", engine=engine)
    try:
        accounts.make_admin("early_bird", "operator password", promote=False, engine=engine)
    except accounts.AccountError as err:
        assert "already exists" in str(err)
    else:
        raise AssertionError("an existing account was made an admin without promote=True")
    assert not accounts.is_admin(user_id, engine=engine)
    assert accounts.make_admin("early_bird", None, promote=True, engine=engine) == (user_id, False)
    assert accounts.is_admin(user_id, engine=engine)


def test_create_admin_refuses_a_short_password(tmp_path: Path) -> None:
    url = fresh_db(tmp_path)
    out = cli(url, "create-admin", "x_admin", "--password-stdin", stdin="short\n")
    assert out.returncode == 1
    assert "at least 8 characters" in out.stderr
    assert "Traceback" not in out.stderr


def test_seed_plans_only_when_the_catalog_is_empty(tmp_path: Path) -> None:
    url = fresh_db(tmp_path)
    assert "added 3 demo plan(s)" in cli(url, "seed-plans").stdout
    assert "nothing added" in cli(url, "seed-plans").stdout
    with Session(make_engine(url)) as session:
        assert sorted(p.slug for p in session.exec(select(Plan)).all()) == ["basic", "premium", "standard"]


def test_a_bad_setting_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "KHALTI_SECRET_KEY": "live_secret_key_x", "KHALTI_PORTAL_DOTENV": "0"}
    env.pop("KHALTI_ENV", None)
    out = subprocess.run(
        [sys.executable, "-m", "khalti_portal", "seed-plans"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.startswith("configuration error: KHALTI_SECRET_KEY is set but KHALTI_ENV is not")
    assert "live_secret_key_x" not in out.stderr


def test_check_port_says_a_busy_port_is_busy() -> None:
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = subprocess.run(
            [sys.executable, "-m", "khalti_portal", "check-port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 1
    assert f"Port {port} is busy" in out.stderr


def _check_port(port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "khalti_portal", "check-port", str(port)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _port_left_in_time_wait() -> int:
    """A port whose listener is gone but whose last connection lingers in TIME_WAIT (the server closed first)."""
    with socket.socket() as listener:
        # As every web server does (Granian, uvicorn): the TIME_WAIT socket keeps the flag, and Linux lets a
        # new SO_REUSEADDR socket bind over it only when both have it.
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as client:
            served, _ = listener.accept()
            served.close()  # the side that closes first keeps the port in TIME_WAIT
            client.recv(1)  # wait for the FIN, then close: the server side moves to TIME_WAIT
    return port


def test_check_port_lets_a_port_in_time_wait_pass() -> None:
    port = _port_left_in_time_wait()
    # The socket really is in TIME_WAIT: a bind without SO_REUSEADDR (the old check) is refused.
    with socket.socket() as plain, pytest.raises(OSError):
        plain.bind(("0.0.0.0", port))
    out = _check_port(port)
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""


def test_check_port_sees_a_listener_on_ipv6_only() -> None:
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(("::1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        out = _check_port(port)
    assert out.returncode == 1
    assert f"Port {port} is busy" in out.stderr
