"""`create_mailbox_app`: the emulator's mailbox, every message `MailSink` received, for people and tests.

Routes are relative to where the app is mounted (the portal mounts it at `/sandbox/mail` in emulator mode):

| route | what |
|---|---|
| `GET /` (`?to=`) | every message, newest first, its HTML part rendered (sanitised), its text part folded |
| `GET /{id}` | one message |
| `GET /{id}.eml` | the message exactly as received, `message/rfc822` |
| `GET /messages.json` (`?to=`, `?limit=`) | `[{id, received_at, from, to, subject, message_id, text, html}]` |
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from khalti_portal.sandbox.mail_pages import mail_not_found_page, mailbox_page, message_page
from khalti_portal.sandbox.mail_view import read_mail
from khalti_portal.sandbox.store import EmulatorStore

PAGE_LIMIT = 200
MAX_LIMIT = 1000
_MAX_ID = 2**63 - 1  # SQLite's largest integer; a longer number in the URL is simply no message
_NO_STORE = {"Cache-Control": "no-store"}  # a test reloads the page expecting the mail that just came


def _base(request: Request) -> str:
    """The mount's path with a slash (`/sandbox/mail/`), behind any proxy prefix: links work with or without one."""
    return request.scope.get("root_path", "").rstrip("/") + "/"


def _recipient(request: Request) -> str | None:
    return request.query_params.get("to", "").strip() or None


class Mailbox:
    """The mailbox's endpoints over one store."""

    def __init__(self, store: EmulatorStore) -> None:
        self.store = store

    async def index(self, request: Request) -> HTMLResponse:
        """Every message, newest first."""
        to = _recipient(request)
        rows = await run_in_threadpool(self.store.mails, PAGE_LIMIT, to=to)
        page = mailbox_page([read_mail(row) for row in rows], base=_base(request), limit=PAGE_LIMIT, to=to)
        return HTMLResponse(page, headers=_NO_STORE)

    async def messages_json(self, request: Request) -> JSONResponse:
        """The messages as data, newest first."""
        raw_limit = request.query_params.get("limit", str(PAGE_LIMIT))
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            detail = f"limit must be a whole number from 1 to {MAX_LIMIT}, got {raw_limit!r}"
            return JSONResponse({"detail": detail}, status_code=400)
        rows = await run_in_threadpool(self.store.mails, int(raw_limit), to=_recipient(request))
        return JSONResponse([read_mail(row).as_json() for row in rows], headers=_NO_STORE)

    async def message(self, request: Request) -> HTMLResponse:
        """One message."""
        mail_id: int = request.path_params["mail_id"]
        row = await run_in_threadpool(self.store.mail, mail_id) if mail_id <= _MAX_ID else None
        if row is None:
            return _not_found(request, f"There is no message {mail_id} in the mailbox.")
        return HTMLResponse(message_page(read_mail(row), base=_base(request)), headers=_NO_STORE)

    async def raw(self, request: Request) -> Response:
        """The message as received, to open in a mail client."""
        mail_id: int = request.path_params["mail_id"]
        row = await run_in_threadpool(self.store.mail, mail_id) if mail_id <= _MAX_ID else None
        if row is None:
            return _not_found(request, f"There is no message {mail_id} in the mailbox.")
        disposition = f'attachment; filename="mail-{mail_id}.eml"'
        return Response(row.raw, media_type="message/rfc822", headers={"Content-Disposition": disposition})


def _not_found(request: Request, what: str) -> HTMLResponse:
    return HTMLResponse(mail_not_found_page(base=_base(request), what=what), status_code=404)


async def _unknown_path(request: Request, _exc: Exception) -> Response:
    """Starlette's 404 for any other path under the mount, as a page that leads back to the mailbox."""
    return _not_found(request, "There is no such page in the mailbox.")


def create_mailbox_app(store: EmulatorStore | str) -> Starlette:
    """The mailbox over `store` (the emulator's `EmulatorStore`, or the path of its SQLite file).

    Building it opens nothing; the store is `app.state.emulator_store` (tests dispose it).
    """
    store = store if isinstance(store, EmulatorStore) else EmulatorStore(store)
    mailbox = Mailbox(store)
    routes = [
        Route("/", mailbox.index, methods=["GET"]),
        Route("/messages.json", mailbox.messages_json, methods=["GET"]),
        Route("/{mail_id:int}.eml", mailbox.raw, methods=["GET"]),
        Route("/{mail_id:int}", mailbox.message, methods=["GET"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _unknown_path})
    app.state.emulator_store = store
    return app
