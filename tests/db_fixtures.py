"""Database fixtures: a SQLite file per test and a PostgreSQL engine in a fresh schema; billing test helpers.

tests/conftest.py registers this module as a plugin (a test module may list it in ``pytest_plugins`` too).
Fixtures: ``sqlite_engine``, ``pg_engine`` (``pg_empty_engine`` without tables), ``db_engine`` (both, parametrized),
``world`` / ``sqlite_world`` / ``make_world`` (a BillingWorld: engine + FrozenClock + BillingDeps + row builders) and
``khalti`` (respx). PostgreSQL comes from TEST_DATABASE_URL; when it cannot be reached the PostgreSQL tests fail under
CI=true and skip otherwise.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import respx
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, create_engine, select

from khalti_portal.billing.deps import BillingDeps
from khalti_portal.config import Settings, load_settings
from khalti_portal.db.models import LocalUser, Payment, PaymentStatus, Plan
from khalti_portal.db.session import make_engine
from khalti_portal.khalti import KhaltiClient
from tests.clocks import FrozenClock

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
KHALTI_BASE = "https://khalti.test/"
KHALTI_KEY = "test_live_secret_key_0123456789abcdef"
APP_URL = "https://portal.test"
T0 = datetime(2026, 1, 15, 6, 30, tzinfo=UTC)


# -- engines ----------------------------------------------------------------------------------------


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    """A fresh SQLite file (WAL, busy timeout: the app's own settings) with every table."""
    engine = make_engine(f"sqlite:///{tmp_path / 'billing.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _postgres_unreachable(reason: str) -> None:
    message = f"PostgreSQL at TEST_DATABASE_URL is unreachable: {reason}"
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def pg_empty_engine() -> Iterator[Engine]:
    """An engine whose search_path is an empty schema made for this test alone (dropped afterwards)."""
    admin = create_engine(TEST_DATABASE_URL, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        admin.dispose()
        _postgres_unreachable(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc))
    schema = f"t_{secrets.token_hex(6)}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(
        TEST_DATABASE_URL,
        connect_args={"options": f"-csearch_path={schema}"},
        pool_size=25,
        max_overflow=10,
        pool_pre_ping=True,
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def pg_engine(pg_empty_engine) -> Engine:
    """`pg_empty_engine` with every table created."""
    SQLModel.metadata.create_all(pg_empty_engine)
    return pg_empty_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_engine(request) -> Engine:
    """Each test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_engine" if request.param == "sqlite" else "pg_engine")


# -- billing helpers ---------------------------------------------------------------------------------


def make_settings(**env: str) -> Settings:
    """Settings for a sandbox Khalti at KHALTI_BASE; keyword arguments override environment names."""
    values = {
        "KHALTI_ENV": "sandbox",
        "KHALTI_SECRET_KEY": KHALTI_KEY,
        "KHALTI_BASE_URL": KHALTI_BASE,
        "APP_URL": APP_URL,
        "ALLOW_TEST_PAYMENTS": "1",  # sandbox mode on a non-loopback APP_URL: a staging site, on purpose
        "GRACE_DAYS": "3",
        "RECONCILE_SETTLE_SECONDS": "30",
    }
    values.update(env)
    return load_settings(values)


def lookup_body(
    pidx: str, status: str, total_amount: int, *, transaction_id: str | None = None, refunded: bool = False
) -> dict[str, Any]:
    """A lookup answer as Khalti sends it."""
    paid = status in ("Completed", "Refunded", "Partially Refunded")
    return {
        "pidx": pidx,
        "total_amount": total_amount,
        "status": status,
        "transaction_id": transaction_id or (f"txn_{pidx}" if paid else None),
        "fee": 0,
        "refunded": refunded,
    }


class BillingWorld:
    """One database, a frozen clock and BillingDeps on them, with builders for users, plans and payments."""

    t0 = T0
    khalti_base = KHALTI_BASE
    khalti_key = KHALTI_KEY
    app_url = APP_URL
    lookup_body = staticmethod(lookup_body)

    def __init__(self, engine: Engine, clock: FrozenClock | None = None, **env: str) -> None:
        self.engine = engine
        self.clock = clock or FrozenClock(T0)
        self.settings = make_settings(**env)
        settings = self.settings
        self.deps = BillingDeps(
            engine=engine,
            settings=settings,
            clock=self.clock,
            khalti_factory=lambda: KhaltiClient(
                secret_key=settings.khalti_secret_key, base_url=settings.khalti_base_url
            ),
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def now(self) -> datetime:
        """The frozen clock's instant."""
        return self.clock()

    def user(self, username: str | None = None) -> int:
        """Insert a reflex-local-auth user and return its id."""
        with Session(self.engine) as session:
            user = LocalUser(username=username or f"user_{secrets.token_hex(4)}", password_hash=b"x", enabled=True)
            session.add(user)
            session.commit()
            session.refresh(user)
            assert user.id is not None
            return user.id

    def plan(self, slug: str = "basic", *, price_paisa: int = 49_900, duration_days: int = 30) -> Plan:
        """Insert an active plan and return it."""
        with Session(self.engine, expire_on_commit=False) as session:
            plan = Plan(
                slug=slug, name=slug.title(), price_paisa=price_paisa, duration_days=duration_days, is_active=True
            )
            session.add(plan)
            session.commit()
            return plan

    def payment(
        self,
        *,
        user_id: int,
        plan: Plan,
        status: PaymentStatus = PaymentStatus.PENDING,
        pidx: str | None = None,
        khalti_mode: str | None = None,
    ) -> Payment:
        """Insert a payment as checkout leaves it: pending, a pidx, a link valid for an hour, in the world's mode."""
        assert plan.id is not None
        now = self.now()
        pidx = pidx or f"pidx_{secrets.token_hex(8)}"
        with Session(self.engine, expire_on_commit=False) as session:
            payment = Payment(
                purchase_order_id=f"KP-{secrets.token_urlsafe(8)}",
                user_id=user_id,
                plan_id=plan.id,
                amount_paisa=plan.price_paisa,
                plan_name=plan.name,
                duration_days=plan.duration_days,
                khalti_mode=khalti_mode or self.settings.khalti_env,
                status=status.value,
                pidx=pidx,
                payment_url=f"https://pay.khalti.test/?pidx={pidx}",
                payment_url_expires_at=now + timedelta(hours=1),
                created_at=now,
                updated_at=now,
            )
            session.add(payment)
            session.commit()
            return payment

    def get(self, model: type[Any], ident: int) -> Any:
        """One row by primary key, as stored now."""
        with Session(self.engine, expire_on_commit=False) as session:
            row = session.get(model, ident)
            assert row is not None
            return row

    def rows(self, model: type[Any], *where: Any) -> list[Any]:
        """Every row of `model` matching `where`, ordered by id."""
        with Session(self.engine, expire_on_commit=False) as session:
            return list(session.exec(select(model).where(*where).order_by(model.id)).all())


@pytest.fixture
def world(db_engine) -> BillingWorld:
    """A BillingWorld on each database in turn."""
    return BillingWorld(db_engine)


@pytest.fixture
def sqlite_world(sqlite_engine) -> BillingWorld:
    """A BillingWorld on SQLite only, for tests about rules rather than databases."""
    return BillingWorld(sqlite_engine)


@pytest.fixture
def make_world():
    """Build a BillingWorld on a given engine (with a given clock or settings)."""
    return BillingWorld


@pytest.fixture
def khalti() -> Iterator[respx.MockRouter]:
    """Khalti at KHALTI_BASE, mocked with respx: routes `initiate`, `lookup`, `refund` (unanswered until mocked)."""
    with respx.mock(base_url=KHALTI_BASE, assert_all_called=False, assert_all_mocked=True) as router:
        router.post("api/v2/epayment/initiate/", name="initiate")
        router.post("api/v2/epayment/lookup/", name="lookup")
        router.post(url__regex=r"api/merchant-transaction/[^/]+/refund/$", name="refund")
        yield router
