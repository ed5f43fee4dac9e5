"""One browser tab, speaking Reflex's Socket.IO protocol as the compiled frontend's `utils/state.js` does.

What a browser sends (checked against Reflex 0.10.1's state.js and `EventNamespace.on_connect/on_event`):
- The socket opens at `/_event` (websocket transport, the Reflex version as subprotocol) with the tab's
  token (kept in sessionStorage, so it survives full page loads in the same tab) in the query string.
- A full page load sends its first event, `hydrate_and_load`, inside the CONNECT packet's auth, beside the
  bundle's state schema: `{"event": {...}, "state_schema": ...}`. Its payload holds the client-storage vars
  the browser has (`vars`) and, on a page's first connect, the hashes of the bundle's initial state
  (`hashes`), so the server sends only what differs from the compiled defaults.
- Every event carries `router_data` = `{pathname, asPath, query}` of the page it is sent from; a dynamic
  route's segments are in `query` too. A client-side navigation sends `update_vars_internal` (when
  browser storage holds vars) and `on_load_internal` instead of reconnecting.
- The server answers with `event` messages `{delta, events}`: deltas are merged into the page's state,
  and a delta that sets a localStorage-backed var (once hydrated) is written to localStorage.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin

import aiohttp
import socketio
from reflex_base.constants.state import FIELD_MARKER

NAMESPACE = "/_event"
USER_AGENT = "khalti_portal bench_load"


class TabError(Exception):
    """A tab could not do what was asked; `kind` is how the report counts it."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


@dataclass(frozen=True)
class Frontend:
    """What the compiled frontend sends, beside the event names the page states give."""

    hydrate: str  # `State.hydrate_and_load`
    on_load: str  # `OnLoadInternalState.on_load_internal`
    update_vars: str  # `UpdateVarsInternalState.update_vars_internal`
    is_hydrated: tuple[str, str]  # (root state, var key) of `is_hydrated`
    local_storage: dict[str, str]  # state var key ("state.var_rx_state_") → localStorage name
    version: str  # Reflex's version: the websocket subprotocol
    hashes: list[str] | None = None  # initialStateHashes of the served bundle
    schema: str | None = None  # stateSchema of the served bundle


# A list literal as compiled, or, minified, one string of the hashes joined by dots and split again.
INITIAL_HASHES_RE = re.compile(r"initialStateHashes\s*=\s*(?:\[([^\]]*)\]|`([0-9a-f.]+)`\.split\(`\.`\))")
STATE_SCHEMA_RE = re.compile(r"stateSchema\s*=\s*[`\"']([0-9a-f]+)[`\"']")
ASSET_RE = re.compile(r"""<(?:link|script)\b[^>]*?\b(?:href|src)="(/[^"]+\.(?:js|css|woff2?|ttf))"[^>]*>""")


def page_assets(html: str) -> list[str]:
    """The scripts, styles and fonts a page's HTML makes the browser fetch at once (modulepreload included)."""
    return list(dict.fromkeys(ASSET_RE.findall(html)))


def bundle_facts(sources: list[str]) -> tuple[list[str] | None, str | None]:
    """The initial-state hashes and the state schema compiled into the bundle, or None where absent."""
    hashes = schema = None
    for text in sources:
        if hashes is None and (m := INITIAL_HASHES_RE.search(text)):
            hashes = re.findall(r"[0-9a-f]{16}", m.group(1) or m.group(2))
        if schema is None and (m := STATE_SCHEMA_RE.search(text)):
            schema = m.group(1)
    return hashes, schema


@dataclass
class Page:
    """Where the tab is: the path the router shows, the URL's query, and a dynamic route's segments."""

    path: str
    query: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)

    def router_data(self) -> dict[str, Any]:
        """`withRouterData` in state.js: pathname, asPath, and the query (URL search plus route params)."""
        search = f"?{urlencode(self.query)}" if self.query else ""
        data: dict[str, Any] = {"pathname": self.path, "asPath": self.path + search}
        if self.query or self.params:
            data["query"] = {**self.query, **self.params}
        return data


class Tab:
    """A browser tab: its token, its localStorage, and the state the server sent to the page it shows."""

    def __init__(self, server_url: str, frontend: Frontend, http: aiohttp.ClientSession, *, patience: float) -> None:
        self.server_url = server_url.rstrip("/")
        self.patience = patience  # seconds any one connect or wait may take
        self.frontend = frontend
        self.http = http
        self.token = str(uuid.uuid4())  # sessionStorage: one per tab, kept across page loads
        self.local_storage: dict[str, str] = {}
        self.page = Page("/")
        self.state: dict[str, dict[str, Any]] = {}
        self.updates: list[dict[str, Any]] = []  # every {delta, events} since the tab opened
        self.closed_reason = ""
        self.server_error = ""  # an error toast the server sent (its handler failed)
        self.mismatch = False
        self._client: socketio.AsyncClient | None = None
        self._changed = asyncio.Condition()

    # -- page loads and events -------------------------------------------------------------------------

    async def load(self, page: Page) -> None:
        """A full page load's socket: a new connection whose CONNECT carries the hydrate event."""
        await self.close()
        self.page, self.state, self.closed_reason, self.server_error = page, {}, "", ""
        payload: dict[str, Any] = {}
        if storage := self._storage_vars():
            payload["vars"] = storage
        if self.frontend.hashes:
            payload["hashes"] = self.frontend.hashes
        boot = self._event(self.frontend.hydrate, payload)
        auth: dict[str, Any] = {"event": boot}
        if self.frontend.schema:
            auth["state_schema"] = self.frontend.schema
        client = socketio.AsyncClient(
            reconnection=False,
            handle_sigint=False,  # Ctrl-C stays a KeyboardInterrupt, so the servers started here are stopped
            http_session=self.http,
            request_timeout=self.patience,
            websocket_extra_options={"protocols": (self.frontend.version,)},
        )
        client.on("event", self._on_update, namespace=NAMESPACE)
        client.on("state_mismatch", self._on_mismatch, namespace=NAMESPACE)
        client.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self._client = client
        try:
            await client.connect(
                f"{self.server_url}?{urlencode({'token': self.token})}",
                auth=auth,
                transports=["websocket"],
                namespaces=[NAMESPACE],
                socketio_path="_event",
                headers={"Origin": self.server_url, "User-Agent": USER_AGENT},
                wait_timeout=self.patience,
            )
        except (socketio.exceptions.ConnectionError, aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._client = None
            raise TabError("connect", str(exc) or type(exc).__name__) from exc

    async def navigate(self, page: Page) -> None:
        """A client-side navigation (after a `_redirect`): no new socket, the new page's on_load events."""
        self.page = page
        if storage := self._storage_vars():
            await self.send(self.frontend.update_vars, {"vars": storage})
        await self.send(self.frontend.on_load)

    async def send(self, name: str, payload: dict[str, Any] | None = None) -> None:
        """Emit one event from the current page."""
        if self._client is None or not self._client.connected:
            raise TabError("disconnected", self.closed_reason or "the socket is closed")
        await self._client.emit("event", self._event(name, payload or {}), namespace=NAMESPACE)

    async def close(self) -> None:
        """Leave the page (the socket closes, as on a full navigation away)."""
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.disconnect()

    # -- what the server sent ---------------------------------------------------------------------------

    def mark(self) -> int:
        """A point in the stream of updates: `wait` can look only at what came after it."""
        return len(self.updates)

    def value(self, state: str, var: str, default: Any = None) -> Any:
        """A var's value as the page has it now."""
        return self.state.get(state, {}).get(var + FIELD_MARKER, default)

    def sent_since(self, mark: int, state: str, var: str) -> list[Any]:
        """The values the server sent for one var after `mark`, in order."""
        key = var + FIELD_MARKER
        return [u["delta"][state][key] for u in self.updates[mark:] if key in (u.get("delta") or {}).get(state, {})]

    def events_since(self, mark: int, name: str) -> list[dict[str, Any]]:
        """The client-side events (`_redirect`, `_call_script`…) the server queued after `mark`."""
        return [e for u in self.updates[mark:] for e in u.get("events") or () if e.get("name") == name]

    async def wait(self, found: Callable[[], Any], *, what: str) -> Any:
        """Wait until `found()` returns something truthy (checked after each update), and return it."""
        try:
            async with asyncio.timeout(self.patience), self._changed:
                while not (result := found()):
                    if self.server_error:
                        raise TabError("server_error", f"while waiting for {what}: {self.server_error[:160]}")
                    if self.closed_reason:
                        raise TabError("disconnected", f"{self.closed_reason} while waiting for {what}")
                    await self._changed.wait()
                return result
        except TimeoutError:
            raise TabError("timeout", f"no {what} within {self.patience:.0f} s") from None

    # -- internals ---------------------------------------------------------------------------------------

    def _event(self, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        event: dict[str, Any] = {"name": name}
        if payload:  # ReflexEvent leaves an empty payload out
            event["payload"] = payload
        event["router_data"] = self.page.router_data()
        return event

    def _storage_vars(self) -> dict[str, str]:
        """`hydrateClientStorage`: every localStorage-backed var the browser holds a value for."""
        return {
            key: self.local_storage[name]
            for key, name in self.frontend.local_storage.items()
            if name in self.local_storage
        }

    async def _on_update(self, update: dict[str, Any]) -> None:
        delta = update.get("delta") or {}
        root, hydrated_key = self.frontend.is_hydrated
        # `applyClientStorageDelta` skips a delta that says the page is not hydrated yet.
        writes_storage = delta.get(root, {}).get(hydrated_key, True) is not False
        async with self._changed:
            for state, values in delta.items():
                self.state.setdefault(state, {}).update(values)
                if writes_storage:
                    for var, value in values.items():
                        if (name := self.frontend.local_storage.get(f"{state}.{var}")) is not None:
                            self.local_storage[name] = value
            for event in update.get("events") or ():
                # `rx.toast.error(...)`: what the app's backend_exception_handler shows when a handler fails.
                function = str((event.get("payload") or {}).get("function", ""))
                if event.get("name") == "_call_function" and "__toast" in function and '"error"' in function:
                    self.server_error = self.server_error or function
            self.updates.append(update)
            self._changed.notify_all()

    async def _on_mismatch(self, _info: Any = None) -> None:
        self.mismatch = True

    async def _on_disconnect(self, reason: Any = None) -> None:
        async with self._changed:
            self.closed_reason = f"disconnected ({reason})" if reason else "disconnected"
            self._changed.notify_all()


async def fetch(http: aiohttp.ClientSession, url: str, *, patience: float) -> tuple[int, int, bytes]:
    """GET as a browser does: (status, body bytes as sent, compressed; body). `http` must not decompress.

    The server has precompressed gzip files only, which it also sends a browser that accepts br.
    """
    headers = {"Accept-Encoding": "gzip, deflate", "User-Agent": USER_AGENT}
    async with http.get(url, headers=headers, timeout=aiohttp.ClientTimeout(total=patience)) as response:
        raw = await response.read()
        body = gzip.decompress(raw) if response.headers.get("Content-Encoding", "") == "gzip" else raw
        return response.status, len(raw), body


def absolute(server_url: str, path: str) -> str:
    """An asset path on the server."""
    return urljoin(server_url.rstrip("/") + "/", path.lstrip("/"))
