"""API keys for the merchant's systems, as admins manage them: create (shown once), list, revoke; each audited.

`create_key` makes a key (`billing.api_keys.new_key`), stores only its SHA-256 and its prefix, and writes
the audit row (kind `api_key_created`, the admin as actor) in the same transaction; the key itself is
returned once, to be shown once, and is never stored, logged or written into the audit trail.
`revoke_key` is a conditional UPDATE on `revoked_at IS NULL`: two admins revoking at once revoke it once
and leave one audit row; a key already revoked, or unknown, is refused in words with no audit row.
The words are English marked for the catalog (`N_`, or an `i18n.messages.Message` where they hold a number or a
date): the page shows them in the admin's language with `in_language`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlmodel import Session, col, select, update

from khalti_portal.billing.admin.inputs import id_of
from khalti_portal.billing.api_keys import hash_key, key_prefix, new_key
from khalti_portal.billing.audit import AuditKind, AuditSource, record_event
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.db.models import ApiKey
from khalti_portal.db.session import session_scope
from khalti_portal.i18n.catalogs import N_
from khalti_portal.i18n.messages import Message, Moment
from khalti_portal.reading_preferences import calendar_of

MAX_LABEL = 80
MAX_LISTED = 200  # the page lists at most this many keys, newest first


class CreateOutcome(NamedTuple):
    """How creating a key went: whether it was made, what to tell the admin, and the key (shown once) or ""."""

    ok: bool
    message: str
    key: str = ""


@dataclass(frozen=True)
class RevokeOutcome:
    """How a revocation went: whether the key was revoked, and what to tell the admin."""

    ok: bool
    message: str
    key_id: int | None = None


@dataclass(frozen=True)
class ApiKeyRow:
    """One key as the admin page lists it: never its value or its hash."""

    id: int
    label: str
    prefix: str
    created_at: datetime
    created_by: int | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: int | None

    @property
    def revoked(self) -> bool:
        """Whether the key no longer opens the API."""
        return self.revoked_at is not None


def _is_actor(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def label_problem(label: object) -> str | None:
    """What is wrong with a label (trimmed), or None when it will do."""
    if not isinstance(label, str) or not label.strip():
        return N_("Enter a label that says who uses the key, like “Warehouse sync”.")
    text = label.strip()
    if len(text) > MAX_LABEL:
        return Message(N_("Use at most {max} characters for the label (you have {n})."), max=MAX_LABEL, n=len(text))
    if not text.isprintable():
        return N_("Use ordinary characters in the label: no line breaks, tabs or control characters.")
    return None


def _describe(key: ApiKey) -> str:
    return f"{key.prefix} ({key.label})"


def create_key(label: object, *, actor_user_id: object, deps: BillingDeps | None = None) -> CreateOutcome:
    """Make a key labelled `label` and audit it in one transaction; the key is in the outcome, and nowhere else."""
    deps = resolve(deps)
    if problem := label_problem(label):
        return CreateOutcome(False, problem)
    if not _is_actor(actor_user_id):
        return CreateOutcome(False, N_("Only a signed-in admin can create API keys."))
    assert isinstance(label, str) and isinstance(actor_user_id, int)
    text, key, now = label.strip(), new_key(), deps.now()
    with session_scope(deps.engine) as session:
        row = ApiKey(
            label=text, prefix=key_prefix(key), key_hash=hash_key(key), created_at=now, created_by=actor_user_id
        )
        session.add(row)
        session.flush()
        record_event(
            session,
            at=now,
            source=AuditSource.ADMIN,
            kind=AuditKind.API_KEY_CREATED,
            actor_user_id=actor_user_id,
            to_status="active",
            detail=f"created API key {_describe(row)}",
        )
        described = _describe(row)
    created = Message(N_("Created API key {key}. Copy it now: it will not be shown again."), key=described)
    return CreateOutcome(True, created, key)


def list_keys(*, limit: int = MAX_LISTED, deps: BillingDeps | None = None) -> list[ApiKeyRow]:
    """The newest keys first (revoked ones included), at most `limit` of them."""
    deps = resolve(deps)
    size = max(1, min(limit, MAX_LISTED))
    with Session(deps.engine) as session:
        keys = session.exec(
            select(ApiKey).order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc()).limit(size)
        ).all()
        return [
            ApiKeyRow(
                id=int(key.id or 0),
                label=key.label,
                prefix=key.prefix,
                created_at=key.created_at,
                created_by=key.created_by,
                last_used_at=key.last_used_at,
                revoked_at=key.revoked_at,
                revoked_by=key.revoked_by,
            )
            for key in keys
        ]


def revoke_key(key_id: object, *, actor_user_id: object, deps: BillingDeps | None = None) -> RevokeOutcome:
    """Revoke a key that is not revoked yet and audit it, in one transaction; refuse anything else in words."""
    deps = resolve(deps)
    ident = id_of(key_id)
    if ident is None:
        return RevokeOutcome(False, N_("There is no such API key; reload the page and try again."))
    if not _is_actor(actor_user_id):
        return RevokeOutcome(False, N_("Only a signed-in admin can revoke API keys."), ident)
    assert isinstance(actor_user_id, int)
    now = deps.now()
    calendar = calendar_of(actor_user_id, engine=deps.engine)  # the acting admin reads the answer
    with session_scope(deps.engine) as session:
        # The conditional UPDATE comes first, so a second admin's revoke finds the key revoked and changes nothing.
        moved = session.exec(
            update(ApiKey)
            .where(col(ApiKey.id) == ident, col(ApiKey.revoked_at).is_(None))
            .values(revoked_at=now, revoked_by=actor_user_id),
            execution_options={"synchronize_session": False},
        ).rowcount
        key = session.get(ApiKey, ident, populate_existing=True)
        if key is None:
            # The id is a code, not a count: no grouping, no Devanagari digits.
            gone = Message(N_("There is no API key #{id}; reload the page and try again."), id=str(ident))
            return RevokeOutcome(False, gone)
        if not moved:
            already = (
                Message(
                    N_("The API key {key} was already revoked on {when}; nothing was changed."),
                    key=_describe(key),
                    when=Moment(key.revoked_at, calendar),
                )
                if key.revoked_at is not None
                else Message(N_("The API key {key} was already revoked; nothing was changed."), key=_describe(key))
            )
            return RevokeOutcome(False, already, ident)
        record_event(
            session,
            at=now,
            source=AuditSource.ADMIN,
            kind=AuditKind.API_KEY_REVOKED,
            actor_user_id=actor_user_id,
            from_status="active",
            to_status="revoked",
            detail=f"revoked API key {_describe(key)}",
        )
        described = _describe(key)
    return RevokeOutcome(True, Message(N_("Revoked API key {key}: it no longer opens the API."), key=described), ident)
