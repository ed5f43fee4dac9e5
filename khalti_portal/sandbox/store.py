"""The emulator's state (payments, counters, the mailbox): one SQLite file, its own MetaData, safe for many workers.

Every state change is one short `BEGIN IMMEDIATE` transaction whose UPDATE is conditional on the
state it expects (`WHERE status = 'Initiated' AND expires_at_us > now ...`) and checked by rowcount,
so two processes racing to pay, cancel or refund one pidx produce exactly one winner. Times are
integer microseconds since the Unix epoch (UTC): SQLite compares them exactly and hands them back
unchanged, with no naive-datetime surprises.
"""

from __future__ import annotations

import json
import secrets
import string
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine

INITIATED = "Initiated"
PENDING = "Pending"
COMPLETED = "Completed"
USER_CANCELED = "User canceled"  # one "l", as Khalti spells it
EXPIRED = "Expired"
REFUNDED = "Refunded"
PARTIALLY_REFUNDED = "Partially Refunded"
FAILED = "Failed"
STATUSES: tuple[str, ...] = (
    INITIATED,
    PENDING,
    COMPLETED,
    USER_CANCELED,
    EXPIRED,
    REFUNDED,
    PARTIALLY_REFUNDED,
    FAILED,
)
# Khalti answers these lookups with HTTP 400 and a normal lookup body. `Failed` is never seen from
# real Khalti; the emulator treats it like its terminal siblings so clients must read the body.
HTTP_400_STATUSES = frozenset({EXPIRED, USER_CANCELED, FAILED})
# Statuses in which money moved, so a transaction id exists.
PAID_STATUSES = frozenset({COMPLETED, REFUNDED, PARTIALLY_REFUNDED})
REFUNDABLE_STATUSES = frozenset({COMPLETED, PARTIALLY_REFUNDED})

FEE_PERCENT = 3
ID_LENGTH = 22
_ID_ALPHABET = string.ascii_letters + string.digits
_BUSY_TIMEOUT_MS = 10_000

metadata = sa.MetaData()  # deliberately not SQLModel's: the app's migrations never see these tables

payments = sa.Table(
    "emulator_payments",
    metadata,
    sa.Column("pidx", sa.String(ID_LENGTH), primary_key=True),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),  # what the merchant asked for
    sa.Column("total_amount", sa.BigInteger, nullable=False),  # what lookup reports (a test may override)
    sa.Column("return_url", sa.Text, nullable=False),
    sa.Column("website_url", sa.Text, nullable=False),
    sa.Column("purchase_order_id", sa.Text, nullable=False),
    sa.Column("purchase_order_name", sa.Text, nullable=False),
    sa.Column("request_json", sa.Text, nullable=False),  # the initiate body as received, for debugging
    sa.Column("created_at_us", sa.BigInteger, nullable=False),
    sa.Column("expires_at_us", sa.BigInteger, nullable=False),
    sa.Column("transaction_id", sa.String(ID_LENGTH), unique=True),
    sa.Column("fee", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("refunded_amount", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("mobile", sa.String(16)),
    sa.Column("paid_at_us", sa.BigInteger),
    # The hosted page's second step: who passed Khalti ID + MPIN, and the token their OTP form carries.
    sa.Column("step_token", sa.String(64)),
    sa.Column("step_token_expires_us", sa.BigInteger),
    sa.Column("step_mobile", sa.String(16)),
)

lookup_counts = sa.Table(
    "emulator_lookup_counts",
    metadata,
    sa.Column("pidx", sa.String(64), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
)

counters = sa.Table(
    "emulator_counters",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)

# The mailbox: every message the app handed to the emulator's SMTP sink, exactly as received.
mail = sa.Table(
    "emulator_mail",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at_us", sa.BigInteger, nullable=False),
    sa.Column("mail_from", sa.Text, nullable=False),  # the envelope's MAIL FROM
    sa.Column("rcpt_tos", sa.Text, nullable=False),  # the envelope's RCPT TOs, a JSON list
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("raw", sa.LargeBinary, nullable=False),  # the DATA bytes, so the page can show what really came
    sqlite_autoincrement=True,  # ids never come back, so a link to a message never shows another one
)


def new_id() -> str:
    """A 22-character alphanumeric id, like Khalti's pidx and transaction ids."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))


def fee_for(total_amount: int) -> int:
    """Khalti's service fee for a payment, in whole paisa (rounded down)."""
    return total_amount * FEE_PERCENT // 100


def mask_mobile(mobile: str | None) -> str:
    """`9800000904` → `98XXXXX904`, as Khalti shows it in the return redirect."""
    if not mobile:
        return ""
    return f"{mobile[:2]}XXXXX{mobile[-3:]}"


@dataclass(frozen=True)
class PaymentRow:
    """One pidx as stored."""

    pidx: str
    status: str
    amount: int
    total_amount: int
    return_url: str
    website_url: str
    purchase_order_id: str
    purchase_order_name: str
    created_at_us: int
    expires_at_us: int
    transaction_id: str | None
    fee: int
    refunded_amount: int
    mobile: str | None

    def status_at(self, now_us: int) -> str:
        """The status Khalti would report now: an unpaid link past its expiry is `Expired`."""
        if self.status == INITIATED and now_us >= self.expires_at_us:
            return EXPIRED
        return self.status

    def lookup_body(self, now_us: int) -> dict[str, Any]:
        """The body of `epayment/lookup/` for this pidx."""
        status = self.status_at(now_us)
        return {
            "pidx": self.pidx,
            "total_amount": self.total_amount,
            "status": status,
            "transaction_id": self.transaction_id,
            "fee": self.fee,
            "refunded": status in (REFUNDED, PARTIALLY_REFUNDED),
        }


@dataclass(frozen=True)
class MailRow:
    """One message the SMTP sink received, as stored."""

    id: int
    received_at_us: int
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    message_id: str
    raw: bytes


def _mail_row(mapping: Any) -> MailRow:
    return MailRow(
        id=mapping["id"],
        received_at_us=mapping["received_at_us"],
        mail_from=mapping["mail_from"],
        rcpt_tos=tuple(json.loads(mapping["rcpt_tos"])),
        subject=mapping["subject"],
        message_id=mapping["message_id"],
        raw=bytes(mapping["raw"]),
    )


class RefundOutcome(Enum):
    """What `EmulatorStore.refund` did."""

    OK = "ok"
    NOT_FOUND = "not_found"
    NOT_REFUNDABLE = "not_refundable"
    TOO_MUCH = "too_much"


_ROW_COLUMNS = [payments.c[name] for name in PaymentRow.__dataclass_fields__]


def _row(mapping: Any) -> PaymentRow:
    return PaymentRow(**{name: mapping[name] for name in PaymentRow.__dataclass_fields__})


class EmulatorStore:
    """The emulator's tables in one SQLite file; every method is one short transaction.

    The engine is created on first use, so building the app (e.g. while Reflex compiles) creates
    no file. Methods are synchronous: call them from a thread (Starlette's threadpool) since a
    writer may wait up to the busy timeout for another process's lock.
    """

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self._engine: Engine | None = None
        self._writer: Engine | None = None
        self._lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------

    def _engines(self) -> tuple[Engine, Engine]:
        with self._lock:
            if self._engine is None or self._writer is None:
                Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
                engine = sa.create_engine(
                    f"sqlite:///{self.db_path}",
                    connect_args={"check_same_thread": False, "timeout": _BUSY_TIMEOUT_MS / 1000},
                )
                event.listen(engine, "connect", _on_connect)
                event.listen(engine, "begin", _on_begin)
                writer = engine.execution_options(immediate=True)
                # Under the write lock, so two processes starting at once don't both CREATE.
                with writer.begin() as conn:
                    metadata.create_all(conn)
                self._engine, self._writer = engine, writer
            return self._engine, self._writer

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engines()[0].begin() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._engines()[1].begin() as conn:
            yield conn

    def dispose(self) -> None:
        """Close pooled connections (tests call this; a server simply exits)."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
            self._engine = self._writer = None

    # -- API ---------------------------------------------------------------------------------------

    def create_payment(
        self,
        *,
        pidx: str,
        amount: int,
        return_url: str,
        website_url: str,
        purchase_order_id: str,
        purchase_order_name: str,
        request: dict[str, Any],
        now_us: int,
        expires_at_us: int,
    ) -> PaymentRow:
        """Store a freshly initiated pidx and count the initiate."""
        values = {
            "pidx": pidx,
            "status": INITIATED,
            "amount": amount,
            "total_amount": amount,
            "return_url": return_url,
            "website_url": website_url,
            "purchase_order_id": purchase_order_id,
            "purchase_order_name": purchase_order_name,
            "request_json": json.dumps(request, default=str),
            "created_at_us": now_us,
            "expires_at_us": expires_at_us,
            "fee": 0,
            "refunded_amount": 0,
        }
        with self._write() as conn:
            conn.execute(payments.insert().values(**values))
            _bump(conn, counters, counters.c.name, "initiates", counters.c.value)
            return _row(conn.execute(sa.select(*_ROW_COLUMNS).where(payments.c.pidx == pidx)).one()._mapping)

    def get(self, pidx: str) -> PaymentRow | None:
        """The stored pidx, or None."""
        with self._read() as conn:
            found = conn.execute(sa.select(*_ROW_COLUMNS).where(payments.c.pidx == pidx)).first()
        return _row(found._mapping) if found else None

    def lookup(self, pidx: str) -> PaymentRow | None:
        """Like `get`, and count one lookup of `pidx` (known or not) for the stats."""
        with self._write() as conn:
            _bump(conn, lookup_counts, lookup_counts.c.pidx, pidx, lookup_counts.c.count)
            found = conn.execute(sa.select(*_ROW_COLUMNS).where(payments.c.pidx == pidx)).first()
        return _row(found._mapping) if found else None

    def _payable(self, pidx: str, now_us: int) -> sa.ColumnElement[bool]:
        return sa.and_(payments.c.pidx == pidx, payments.c.status == INITIATED, payments.c.expires_at_us > now_us)

    def start_otp(self, pidx: str, *, mobile: str, token: str, token_expires_us: int, now_us: int) -> bool:
        """Khalti ID and MPIN were right: remember who, and the token the OTP form must bring back."""
        with self._write() as conn:
            result = conn.execute(
                payments.update()
                .where(self._payable(pidx, now_us))
                .values(step_token=token, step_token_expires_us=token_expires_us, step_mobile=mobile)
            )
        return result.rowcount == 1

    def step_mobile(self, pidx: str, token: str, now_us: int) -> str | None:
        """The Khalti ID that opened the OTP step, while `token` is its current, unexpired token."""
        with self._read() as conn:
            found = conn.execute(
                sa.select(payments.c.step_token, payments.c.step_token_expires_us, payments.c.step_mobile).where(
                    payments.c.pidx == pidx
                )
            ).first()
        if not found or not token or found.step_token is None:
            return None
        if (found.step_token_expires_us or 0) <= now_us:
            return None
        if not secrets.compare_digest(found.step_token.encode(), token.encode()):
            return None
        return found.step_mobile

    def complete(self, pidx: str, *, token: str, transaction_id: str, now_us: int) -> bool:
        """Pay: Initiated → Completed, only with the current OTP-step token and before expiry."""
        with self._write() as conn:
            result = conn.execute(
                payments.update()
                .where(
                    self._payable(pidx, now_us),
                    payments.c.step_token == token,
                    payments.c.step_token_expires_us > now_us,
                )
                .values(
                    status=COMPLETED,
                    transaction_id=transaction_id,
                    fee=payments.c.total_amount * FEE_PERCENT // 100,  # integer division in SQL, as fee_for does
                    mobile=payments.c.step_mobile,
                    paid_at_us=now_us,
                    step_token=None,
                    step_token_expires_us=None,
                )
            )
        return result.rowcount == 1

    def cancel(self, pidx: str, *, now_us: int) -> bool:
        """The user pressed cancel: Initiated → User canceled, only before expiry."""
        with self._write() as conn:
            result = conn.execute(
                payments.update()
                .where(self._payable(pidx, now_us))
                .values(status=USER_CANCELED, step_token=None, step_token_expires_us=None)
            )
        return result.rowcount == 1

    def refund(self, transaction_id: str, amount: int | None) -> tuple[RefundOutcome, PaymentRow | None]:
        """Refund `amount` paisa (None: whatever is left) of a paid transaction."""
        with self._write() as conn:
            found = conn.execute(sa.select(*_ROW_COLUMNS).where(payments.c.transaction_id == transaction_id)).first()
            if found is None:
                return RefundOutcome.NOT_FOUND, None
            row = _row(found._mapping)
            if row.status not in REFUNDABLE_STATUSES:
                return RefundOutcome.NOT_REFUNDABLE, row
            remaining = row.total_amount - row.refunded_amount
            amount = remaining if amount is None else amount
            if amount > remaining or remaining <= 0:
                return RefundOutcome.TOO_MUCH, row
            refunded = row.refunded_amount + amount
            status = REFUNDED if refunded >= row.total_amount else PARTIALLY_REFUNDED
            result = conn.execute(
                payments.update()
                .where(
                    payments.c.pidx == row.pidx,
                    payments.c.status == row.status,
                    payments.c.refunded_amount == row.refunded_amount,
                )
                .values(status=status, refunded_amount=refunded)
            )
            if result.rowcount != 1:  # cannot happen under BEGIN IMMEDIATE; kept as the honest check
                return RefundOutcome.NOT_REFUNDABLE, row
            return RefundOutcome.OK, _row(
                conn.execute(sa.select(*_ROW_COLUMNS).where(payments.c.pidx == row.pidx)).one()._mapping
            )

    def force_status(
        self, pidx: str, *, status: str | None, total_amount: int | None, now_us: int, ttl_us: int
    ) -> PaymentRow | None:
        """Test control: put a pidx into `status` (and/or report `total_amount`), whatever it was."""
        with self._write() as conn:
            found = conn.execute(sa.select(*_ROW_COLUMNS).where(payments.c.pidx == pidx)).first()
            if found is None:
                return None
            row = _row(found._mapping)
            values: dict[str, Any] = {}
            if total_amount is not None:
                values["total_amount"] = total_amount
            total = row.total_amount if total_amount is None else total_amount
            if status is not None:
                values["status"] = status
                values.update(_control_values(row, status, total, now_us, ttl_us))
            if values:
                conn.execute(payments.update().where(payments.c.pidx == pidx).values(**values))
            return _row(conn.execute(sa.select(*_ROW_COLUMNS).where(payments.c.pidx == pidx)).one()._mapping)

    def stats(self) -> dict[str, Any]:
        """`{"lookups": {pidx: count}, "initiates": n}` since the last reset."""
        with self._read() as conn:
            lookups = {r.pidx: r.count for r in conn.execute(sa.select(lookup_counts).order_by(lookup_counts.c.pidx))}
            initiates = conn.execute(sa.select(counters.c.value).where(counters.c.name == "initiates")).scalar()
        return {"lookups": lookups, "initiates": initiates or 0}

    def reset_stats(self) -> None:
        """Forget the lookup and initiate counts (payments stay)."""
        with self._write() as conn:
            conn.execute(lookup_counts.delete())
            conn.execute(counters.delete())

    # -- mailbox -----------------------------------------------------------------------------------

    def add_mail(
        self,
        *,
        received_at_us: int,
        mail_from: str,
        rcpt_tos: Sequence[str],
        subject: str,
        message_id: str,
        raw: bytes,
    ) -> int:
        """Store one received message; its id."""
        values = {
            "received_at_us": received_at_us,
            "mail_from": mail_from,
            "rcpt_tos": json.dumps(list(rcpt_tos)),
            "subject": subject,
            "message_id": message_id,
            "raw": raw,
        }
        with self._write() as conn:
            return int(conn.execute(mail.insert().values(**values)).inserted_primary_key[0])

    def mails(self, limit: int = 200, *, to: str | None = None) -> list[MailRow]:
        """The newest `limit` messages, newest first; with `to`, only those sent to that address (any case)."""
        query = sa.select(mail).order_by(mail.c.id.desc()).limit(limit)
        if to is not None:
            recipient = sa.func.json_each(mail.c.rcpt_tos).table_valued("value")
            query = query.where(
                sa.exists().where(sa.func.lower(recipient.c.value) == to.strip().lower()).select_from(recipient)
            )
        with self._read() as conn:
            return [_mail_row(r._mapping) for r in conn.execute(query)]

    def mail(self, mail_id: int) -> MailRow | None:
        """One message by id, or None."""
        with self._read() as conn:
            found = conn.execute(sa.select(mail).where(mail.c.id == mail_id)).first()
        return _mail_row(found._mapping) if found else None


def _control_values(row: PaymentRow, status: str, total: int, now_us: int, ttl_us: int) -> dict[str, Any]:
    """The columns that make `row` look like a genuine pidx in `status`."""
    values: dict[str, Any] = {"step_token": None, "step_token_expires_us": None}
    if status in PAID_STATUSES:
        if row.transaction_id is None:
            values.update(transaction_id=new_id(), fee=fee_for(total), mobile=row.mobile or "9800000000")
            values["paid_at_us"] = now_us
        if status == COMPLETED:
            values["refunded_amount"] = 0
        elif status == REFUNDED:
            values["refunded_amount"] = total
        elif not 0 < row.refunded_amount < total:
            values["refunded_amount"] = max(1, total // 2)
    elif status in (INITIATED, USER_CANCELED, EXPIRED):
        # Nothing was paid in these states: Khalti reports a null transaction id.
        values.update(transaction_id=None, fee=0, refunded_amount=0, mobile=None, paid_at_us=None)
        if status == INITIATED and row.expires_at_us <= now_us:
            values["expires_at_us"] = now_us + ttl_us  # otherwise it would read as Expired at once
    return values


def _bump(conn: Connection, table: sa.Table, key_col: sa.Column[Any], key: str, value_col: sa.Column[Any]) -> None:
    """Add one to a counter row, creating it at 1 (SQLite upsert)."""
    stmt = sqlite_insert(table).values({key_col.name: key, value_col.name: 1})
    conn.execute(stmt.on_conflict_do_update(index_elements=[key_col], set_={value_col.name: value_col + 1}))


def _on_connect(dbapi_conn: Any, _record: Any) -> None:
    # We issue BEGIN ourselves: pysqlite's implicit BEGIN is DEFERRED, and a deferred reader that
    # later writes gets SQLITE_BUSY at once instead of waiting for the busy timeout.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, across processes
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _on_begin(conn: Connection) -> None:
    # Writers take the lock up front so their read-then-update is atomic across processes.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")
