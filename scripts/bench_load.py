"""Benchmark: what a person waits on, measured from outside through the production server's socket.

    .venv/bin/python scripts/bench_load.py --start [--subscribers 50] [--payments-each 3] [--scenario all]
    .venv/bin/python scripts/bench_load.py --url http://localhost:3000 [--emulator-url URL] [...]
    .venv/bin/python scripts/bench_load.py emulator [--port 3001] [--latency-ms 300]

`--start` builds and serves the portal itself (as the browser tests do: production build, free loopback
port; `--workers 2 --database postgresql+psycopg://... --redis redis://...` for the production shape) with
Khalti as the emulator in a process of its own (`--latency-ms`, 300 by default); both stop at the end.
`--url` drives a server that is already running (`make run`); its Khalti is the emulator at
`--emulator-url` (default: the one mounted in the server, `URL/sandbox/khalti/`). To keep the server's CPU
its own, serve the emulator apart (`bench_load.py emulator`) and start the server with
`KHALTI_BASE_URL=http://127.0.0.1:3001/ RECONCILE_IN_PROCESS=0 make run`.

Scenarios (`--scenario subscribers|catalog|idle|all`):
- subscribers: each simulated subscriber is a tab with its own token and its own loopback address. Not
  timed: it registers, checks out through the checkout page's events (`--payments-each` times), and
  the emulator's control route marks each pidx paid. Timed: every subscriber at once opens the return
  page for its paid payments one after another (socket, hydrate and on_load as the browser sends them)
  until the final status arrives. Reports verified payments/s, latency percentiles (first event → final
  status), errors by kind, the server's CPU and RSS, and this process's CPU.
- catalog: `--visitors` anonymous visitors at once load `/` as a browser with an empty cache does (HTML,
  its scripts and styles, the socket's hydrate) until the first plan card's data arrives.
- idle: `--idle-tabs` tabs open the catalog and stay connected for `--idle-seconds`; the server's RSS
  (and Redis's memory with `--redis-url`) before and after tells what each open tab costs.

`--py-spy FILE` records the server with py-spy (`pip install py-spy`) while the return pages are timed, and
prints where its busy samples went.

Event names come from the app's state classes (`get_full_name()` via Reflex's own formatter); the
initial-state hashes and state schema the browser sends are read from the served bundle. Everything stays
on loopback; every wait has a timeout and the whole run a deadline (`--deadline`). Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import math
import os
import random
import re
import signal
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

os.environ.setdefault("KHALTI_PORTAL_DOTENV", "0")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from scripts.loadgen.profile import account, recording  # noqa: E402
from scripts.loadgen.tab import Frontend, Page, Tab, TabError, absolute, bundle_facts, fetch, page_assets  # noqa: E402
from scripts.loadgen.watch import Reading, SelfWatch, TreeWatch, server_root_pid  # noqa: E402

PASSWORD = "bench password 1"
FINAL = {"completed", "failed", "canceled", "expired", "flagged", "refunded", "not_found", "created"}
LEAVE_FOR_RE = re.compile(r"window\.location\.assign\((\".*\")\)")  # CheckoutState's leave_for
LOG_DIR = ROOT / "test-artifacts" / "bench"


# -- the app's names ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Names:
    """Event and state names, from the app's state classes (found by class name, so modules may move)."""

    register: str
    pay: str
    root: str
    register_form: str
    catalog: str
    checkout: str
    payment_return: str
    empty_event: str  # Reflex's own `State.set_is_hydrated`: one assignment, the nearest thing to no handler

    @classmethod
    def of_app(cls) -> tuple[Names, Frontend]:
        """Import the app (which registers every page's state) and read the names off its classes."""
        import reflex as rx
        from reflex.compiler.utils import compile_client_storage
        from reflex.state import OnLoadInternalState, State, UpdateVarsInternalState
        from reflex_base.constants import Reflex
        from reflex_base.constants.state import FIELD_MARKER
        from reflex_base.utils.format import format_event_handler

        import khalti_portal.khalti_portal  # noqa: F401  (the app: every page and its state)

        states: dict[str, type[rx.State]] = {}
        waiting: list[type[rx.State]] = [State]
        while waiting:
            state = waiting.pop()
            if state.__module__.startswith("khalti_portal."):
                states.setdefault(state.__name__, state)
            waiting += state.get_substates()

        def state(name: str) -> type[rx.State]:
            if name not in states:
                raise SystemExit(f"bench_load: the app has no state class {name} (renamed?): update this script")
            return states[name]

        names = cls(
            register=format_event_handler(state("RegisterState").submit),  # type: ignore[attr-defined]
            pay=format_event_handler(state("CheckoutState").pay),  # type: ignore[attr-defined]
            root=State.get_full_name(),
            register_form=state("RegisterState").get_full_name(),
            catalog=state("CatalogState").get_full_name(),
            checkout=state("CheckoutState").get_full_name(),
            payment_return=state("PaymentReturnState").get_full_name(),
            empty_event=format_event_handler(State.set_is_hydrated),  # type: ignore[arg-type]
        )
        storage = compile_client_storage(State).get("local_storage", {})
        frontend = Frontend(
            hydrate=format_event_handler(State.hydrate_and_load),  # type: ignore[arg-type]
            on_load=format_event_handler(OnLoadInternalState.on_load_internal),  # type: ignore[arg-type]
            update_vars=format_event_handler(UpdateVarsInternalState.update_vars_internal),  # type: ignore[arg-type]
            is_hydrated=(State.get_full_name(), "is_hydrated" + FIELD_MARKER),
            local_storage={key: options.get("name") or key for key, options in storage.items()},
            version=Reflex.VERSION,
        )
        return names, frontend


# -- a run's shared pieces ------------------------------------------------------------------------------------


@dataclass
class Run:
    """The server under test and what every scenario needs of it."""

    url: str
    emulator_url: str
    names: Names
    frontend: Frontend
    server: TreeWatch
    me: SelfWatch
    emulator: TreeWatch | None  # Khalti's process, when it is a process apart (its CPU is not the server's)
    timeout: float
    plans: list[str] = field(default_factory=list)  # slugs on sale, in catalog order
    rng: random.Random = field(default_factory=random.Random)
    used_addresses: set[str] = field(default_factory=set)
    gil: bool = False  # --py-spy-gil: profile only the thread holding the GIL
    updates_per_visit: list[int] = field(default_factory=list)  # socket messages each return visit received

    def address(self) -> str:
        """A loopback address of its own for one simulated person (sign-up limits count per address)."""
        while True:
            address = f"127.{self.rng.randint(16, 254)}.{self.rng.randint(0, 255)}.{self.rng.randint(1, 254)}"
            if address not in self.used_addresses:
                self.used_addresses.add(address)
                return address

    def session(self, address: str | None = None, *, per_host: int = 6) -> aiohttp.ClientSession:
        """A browser's HTTP connections: up to 6 per host, from `address`; bodies left compressed as sent."""
        connector = aiohttp.TCPConnector(
            limit=0, limit_per_host=per_host, local_addr=(address, 0) if address else None, force_close=False
        )
        return aiohttp.ClientSession(connector=connector, auto_decompress=False)


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered), math.ceil(pct / 100 * len(ordered))) - 1)]


def ms(values: list[float]) -> str:
    """p50/p95/p99/max of seconds, in milliseconds."""
    return "  ".join(f"{label} {1000 * percentile(values, p):7.0f}" for label, p in _PCTS) + (
        f"  max {1000 * max(values):7.0f}" if values else ""
    )


_PCTS = (("p50", 50), ("p95", 95), ("p99", 99))


class Errors:
    """Failures counted by kind, keeping the first message of each kind as an example."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.examples: dict[str, str] = {}

    def add(self, exc: BaseException, prefix: str = "") -> None:
        """Count one failure."""
        kind = prefix + (exc.kind if isinstance(exc, TabError) else type(exc).__name__)
        self.counts[kind] += 1
        self.examples.setdefault(kind, str(exc) or repr(exc))

    def lines(self) -> list[str]:
        """`errors  none`, or each kind with its count (most frequent first) and an example."""
        if not self.counts:
            return ["  errors                     none"]
        counts = ", ".join(f"{kind}: {n}" for kind, n in self.counts.most_common())
        return [f"  errors                  {counts}"] + [
            f"    e.g. {kind:<18} {self.examples[kind][:200]}" for kind, _ in self.counts.most_common()
        ]


def resources(run: Run, before: Reading, after: Reading, my_cpu: float, per: int, per_label: str) -> list[str]:
    """The server's CPU and RSS, and this process's CPU, between two readings."""
    wall = max(after.at - before.at, 1e-9)
    server_cpu = after.cpu - before.cpu
    each = f", {1000 * server_cpu / per:.0f} ms per {per_label}" if per else ""
    return [
        f"  server CPU              {server_cpu:7.1f} s  ({100 * server_cpu / wall:.0f} % of one core{each})",
        f"  server RSS              {before.rss / 2**20:7.0f} MB → {after.rss / 2**20:.0f} MB"
        f" (peak {run.server.peak_rss / 2**20:.0f} MB)",
        f"  load generator CPU      {my_cpu:7.1f} s  ({100 * my_cpu / wall:.0f} % of one core)",
    ]


async def bounded(limit: int, jobs: list[Callable[[], Awaitable[Any]]]) -> list[Any]:
    """Run the jobs, at most `limit` at a time; results (or exceptions) in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs), return_exceptions=True)


# -- discovering the frontend ---------------------------------------------------------------------------------


async def discover(run: Run) -> None:
    """Read the bundle's initial-state hashes and schema, and the first plan on sale, as a first visitor."""
    async with run.session() as http:
        status, _, html = await fetch(http, run.url + "/", patience=run.timeout)
        if status != 200:
            raise SystemExit(f"bench_load: {run.url}/ answered {status}")
        sources = []
        for asset in page_assets(html.decode()):
            if asset.endswith(".js"):
                sources.append((await fetch(http, absolute(run.url, asset), patience=run.timeout))[2].decode())
        hashes, schema = bundle_facts(sources)
        if hashes is None or schema is None:
            print("  (the bundle's initial-state hashes or schema were not found: hydrating in full)")
        run.frontend = dataclasses.replace(run.frontend, hashes=hashes, schema=schema)
        tab = Tab(run.url, run.frontend, http, patience=run.timeout)
        try:
            await tab.load(Page("/"))
            cards = await tab.wait(lambda: tab.value(run.names.catalog, "cards"), what="plans")
        finally:
            await tab.close()
        if tab.mismatch:
            raise SystemExit("bench_load: the server says the bundle was built for another state tree")
        run.plans = [card["slug"] for card in cards]


# -- subscribers: the return page under load -----------------------------------------------------------------


@dataclass
class Subscriber:
    """One person: a tab (token, localStorage), connections from a loopback address of its own, what they paid."""

    tab: Tab
    http: aiohttp.ClientSession
    paid: list[dict[str, str]] = field(default_factory=list)  # the return URL's query of each payment


async def prepare(run: Run, sub: Subscriber, username: str, payments: int, control: aiohttp.ClientSession) -> None:
    """Register, buy `payments` plans (each a different one), and have Khalti mark each paid. Not timed.

    Each payment is for another plan: a second checkout of one plan within a minute reuses the first's link.
    """
    names, tab = run.names, sub.tab
    await tab.load(Page("/register", {"next": f"/checkout/{run.plans[0]}"}))
    await tab.wait(lambda: tab.value(names.root, "is_hydrated"), what="hydrate")
    mark = tab.mark()
    form = {
        "username": username,
        "email": f"{username}@example.com",
        "password": PASSWORD,
        "confirm_password": PASSWORD,
    }
    await tab.send(names.register, {"form_data": form})

    def registered() -> Any:
        if errors := [e for e in tab.sent_since(mark, names.register_form, "error_message") if e]:
            raise TabError("register", errors[-1])
        return tab.events_since(mark, "_redirect")

    await tab.wait(registered, what="sign-up")
    for plan in run.plans[:payments]:
        mark = tab.mark()
        await tab.navigate(Page(f"/checkout/{plan}", params={"plan": plan}))
        await tab.wait(lambda m=mark: _loaded(tab, names, m), what="checkout page")
        mark = tab.mark()
        await tab.send(names.pay)
        url = await tab.wait(lambda m=mark: _left_for_khalti(tab, names, m), what="Khalti")
        pidx = parse_qs(urlsplit(url).query)["pidx"][0]
        async with control.post(f"{run.emulator_url}_control/{pidx}", json={"status": "Completed"}) as response:
            if response.status != 200:
                raise TabError(f"control:{response.status}", await response.text())
            body = await response.json()
        sub.paid.append(
            {
                "pidx": pidx,
                "status": "Completed",
                "transaction_id": body["transaction_id"],
                "tidx": body["transaction_id"],
                "amount": str(body["total_amount"]),
                "total_amount": str(body["total_amount"]),
                "mobile": "98XXXXX000",
            }
        )
    await tab.close()  # the tab left for Khalti's page


def _loaded(tab: Tab, names: Names, mark: int) -> bool:
    if tab.events_since(mark, "_redirect"):
        raise TabError("checkout", "sent to sign in")
    return True in tab.sent_since(mark, names.checkout, "loaded")


def _left_for_khalti(tab: Tab, names: Names, mark: int) -> str:
    if errors := [e for e in tab.sent_since(mark, names.checkout, "error_message") if e]:
        raise TabError("checkout", errors[-1])
    for event in tab.events_since(mark, "_call_script"):
        if m := LEAVE_FOR_RE.search(str((event.get("payload") or {}).get("javascript_code", ""))):
            return json.loads(m.group(1))
    return ""


async def visit_return_page(run: Run, sub: Subscriber, query: dict[str, str]) -> float:
    """The browser back from Khalti: HTML, then the socket; seconds from its first event to the final status."""
    tab, names = sub.tab, run.names
    page = Page("/payment/return", query)
    status, _, _ = await fetch(sub.http, run.url + page.router_data()["asPath"], patience=run.timeout)
    if status != 200:
        raise TabError(f"html:{status}")
    started = time.perf_counter()
    mark = tab.mark()
    await tab.load(page)

    def final() -> str:
        # The status this visit shows: after the page's own "verifying", never a previous visit's outcome.
        sent = tab.sent_since(mark, names.payment_return, "status")
        after = sent[sent.index("verifying") + 1 :] if "verifying" in sent else []
        return next((s for s in after if s in FINAL), "")

    try:
        outcome = await tab.wait(final, what="final status")
        run.updates_per_visit.append(tab.mark() - mark)
    finally:
        await tab.close()
    if tab.mismatch:
        raise TabError("state_mismatch")
    if outcome != "completed":
        raise TabError(f"status:{outcome}")
    return time.perf_counter() - started


async def subscribers(run: Run, count: int, payments_each: int, prepare_at_once: int, py_spy: Path | None) -> None:
    """The return page under `count` concurrent subscribers; prints the figures."""
    print(f"\nsubscribers: {count} at once, {payments_each} paid payment(s) each, Khalti at {run.emulator_url}")
    stamp = f"{int(time.time()) % 10**6:06d}{run.rng.randint(0, 999):03d}"
    sessions = [run.session(run.address()) for _ in range(count)]
    subs = [Subscriber(Tab(run.url, run.frontend, http, patience=run.timeout), http) for http in sessions]
    errors = Errors()
    latencies: list[float] = []

    async def walk(sub: Subscriber) -> None:
        for query in sub.paid:
            try:
                latencies.append(await visit_return_page(run, sub, query))
            except Exception as exc:  # counted by kind; the subscriber goes on to its next payment
                errors.add(exc)

    try:
        async with run.session() as control:
            started = time.perf_counter()
            jobs = [
                lambda s=s, i=i: prepare(run, s, f"b{stamp}-{i}", payments_each, control) for i, s in enumerate(subs)
            ]
            for result in await bounded(prepare_at_once, jobs):
                if isinstance(result, BaseException):
                    errors.add(result, "preparing: ")
            payments = sum(len(s.paid) for s in subs)
            print(f"  prepared                {payments:7d} paid payments in {time.perf_counter() - started:.1f} s")
            async with control.post(f"{run.emulator_url}_control/reset-stats", json={}) as response:
                response.raise_for_status()
            run.server.reset_peak()
            with recording(run.server.pid, py_spy, gil=run.gil) if py_spy else contextlib.nullcontext():
                before, my_before = run.server.read(), run.me.cpu()
                khalti_before = run.emulator.read() if run.emulator else None
                await asyncio.gather(*(walk(s) for s in subs))
                after, my_cpu = run.server.read(), run.me.cpu() - my_before
                khalti_after = run.emulator.read() if run.emulator else None
            async with control.get(f"{run.emulator_url}_control/stats") as response:
                lookups = sum((await response.json())["lookups"].values())
    finally:
        for sub in subs:
            await sub.http.close()
    wall = after.at - before.at
    verified = len(latencies)
    print(f"  return page, first event → final status ({wall:.1f} s):")
    print(f"  verified payments       {verified:7d}  ({verified / wall if wall else 0:.1f}/s)")
    print(f"  latency ms              {ms(latencies)}")
    print("\n".join(errors.lines()))
    print(f"  Khalti lookups          {lookups:7d}  (for {payments} payments)")
    if run.updates_per_visit:
        each = sum(run.updates_per_visit) / len(run.updates_per_visit)
        print(f"  state updates per visit {each:7.1f}  (socket messages, hydrate to final status)")
    print("\n".join(resources(run, before, after, my_cpu, verified, "verified payment")))
    if khalti_before and khalti_after:
        khalti_cpu = khalti_after.cpu - khalti_before.cpu
        print(f"  emulator CPU            {khalti_cpu:7.1f} s  ({100 * khalti_cpu / wall:.0f} % of one core)")
    if py_spy:
        print(f"  profile of the timed part: {py_spy}")
        print("\n".join(account(py_spy, gil=run.gil)))


# -- catalog: anonymous first visits --------------------------------------------------------------------------


async def first_visit(run: Run, http: aiohttp.ClientSession) -> tuple[float, int, int]:
    """A browser with an empty cache opening `/`: (seconds to the first plan card's data, bytes, requests)."""
    started = time.perf_counter()
    status, wire, html = await fetch(http, run.url + "/", patience=run.timeout)
    if status != 200:
        raise TabError(f"html:{status}")
    assets = page_assets(html.decode())
    results = await asyncio.gather(*(fetch(http, absolute(run.url, a), patience=run.timeout) for a in assets))
    if bad := [code for code, _, _ in results if code != 200]:
        raise TabError(f"asset:{bad[0]}")
    wire += sum(size for _, size, _ in results)
    tab = Tab(run.url, run.frontend, http, patience=run.timeout)
    try:
        await tab.load(Page("/"))
        await tab.wait(lambda: tab.value(run.names.catalog, "cards"), what="plan cards")
    finally:
        await tab.close()
    return time.perf_counter() - started, wire, 1 + len(assets)


async def catalog(run: Run, visitors: int) -> None:
    """`visitors` anonymous first visits at once; prints the figures."""
    print(f"\ncatalog: {visitors} anonymous visitors at once (HTML, scripts and styles, hydrate)")
    sessions = [run.session(run.address()) for _ in range(visitors)]
    run.server.reset_peak()
    before, my_before = run.server.read(), run.me.cpu()
    try:
        results = await asyncio.gather(*(first_visit(run, http) for http in sessions), return_exceptions=True)
    finally:
        for http in sessions:
            await http.close()
    after, my_cpu = run.server.read(), run.me.cpu() - my_before
    done = [r for r in results if not isinstance(r, BaseException)]
    errors = Errors()
    for result in results:
        if isinstance(result, BaseException):
            errors.add(result)
    print(f"  first plan card ms      {ms([seconds for seconds, _, _ in done])}")
    if done:
        print(f"  per visitor             {done[0][1] / 1000:7.1f} KB compressed in {done[0][2]} requests")
    print("\n".join(errors.lines()))
    print("\n".join(resources(run, before, after, my_cpu, len(done), "visitor")))


# -- the floor: Reflex's own cost per connection and per event ---------------------------------------------------

FLOOR_PAGE = "/register"  # a page without on_load: its hydrate is Reflex's and the state tree's, nothing of ours


async def floor(run: Run, tabs: int, events_each: int) -> None:
    """What any visit costs before our code runs; prints the figures.

    `tabs` sockets at once, each hydrating a page with no on_load, then sending `events_each` events to an
    (all but) empty handler, one after another.
    """
    print(f"\nfloor: {tabs} tabs at once, a hydrate each (no on_load), then {events_each} empty events each")
    errors = Errors()
    connects: list[float] = []
    events: list[float] = []
    root, hydrated = run.frontend.is_hydrated
    async with run.session(per_host=tabs + 10) as http:
        open_tabs = [Tab(run.url, run.frontend, http, patience=run.timeout) for _ in range(tabs)]

        async def connect(tab: Tab) -> None:
            started = time.perf_counter()
            await tab.load(Page(FLOOR_PAGE))
            await tab.wait(lambda: tab.state.get(root, {}).get(hydrated) is True, what="the hydrate")
            connects.append(time.perf_counter() - started)

        async def send_events(tab: Tab) -> None:
            for _ in range(events_each):
                mark, started = tab.mark(), time.perf_counter()
                await tab.send(run.names.empty_event, {"value": True})
                await tab.wait(lambda mark=mark: len(tab.updates) > mark, what="the empty event's update")
                events.append(time.perf_counter() - started)

        async def timed(jobs: list[Awaitable[None]]) -> tuple[Reading, Reading, float]:
            before, my_before = run.server.read(), run.me.cpu()
            for result in await asyncio.gather(*jobs, return_exceptions=True):
                if isinstance(result, BaseException):
                    errors.add(result)
            return before, run.server.read(), run.me.cpu() - my_before

        try:
            c_before, c_after, c_mine = await timed([connect(t) for t in open_tabs])
            e_before, e_after, e_mine = await timed([send_events(t) for t in open_tabs if not t.closed_reason])
        finally:
            for tab in open_tabs:
                await tab.close()
    for label, values, before, after, mine, per in (
        ("connect + hydrate", connects, c_before, c_after, c_mine, "connection"),
        ("empty event", events, e_before, e_after, e_mine, "event"),
    ):
        wall = after.at - before.at
        print(f"  {label} ({wall:.1f} s): {len(values)} done, {len(values) / wall if wall else 0:.1f}/s")
        print(f"  latency ms              {ms(values)}")
        print("\n".join(resources(run, before, after, mine, len(values), per)))
    print("\n".join(errors.lines()))


# -- idle tabs ----------------------------------------------------------------------------------------------------


async def idle(run: Run, tabs: int, hold_seconds: float, redis_url: str | None) -> None:
    """`tabs` tabs open on the catalog, held for `hold_seconds`: the memory each costs the server."""
    print(f"\nidle tabs: {tabs} open on the catalog, held {hold_seconds:.0f} s")
    redis = _redis(redis_url)
    redis_before = redis.info("memory")["used_memory"] if redis else 0
    before = run.server.read()
    open_tabs: list[Tab] = []
    errors = Errors()
    async with run.session(per_host=tabs + 10) as http:

        async def open_one() -> None:
            tab = Tab(run.url, run.frontend, http, patience=run.timeout)
            open_tabs.append(tab)
            await tab.load(Page("/"))
            await tab.wait(lambda: tab.value(run.names.catalog, "cards"), what="plan cards")

        started = time.perf_counter()
        results = await bounded(50, [open_one for _ in range(tabs)])
        for result in results:
            if isinstance(result, BaseException):
                errors.add(result)
        opened = time.perf_counter() - started
        connected = sum(1 for t in open_tabs if not t.closed_reason)
        held_from, my_before = run.server.read(), run.me.cpu()
        await asyncio.sleep(hold_seconds)  # the scenario itself: tabs left open, doing nothing
        held = run.server.read()
        my_cpu = run.me.cpu() - my_before
        dropped = sum(1 for t in open_tabs if t.closed_reason)
        redis_held = redis.info("memory")["used_memory"] if redis else 0
        for tab in open_tabs:
            await tab.close()
    closed = run.server.read()
    per_tab = (held.rss - before.rss) / max(connected, 1)
    print(f"  opened                  {connected:7d} in {opened:.1f} s; dropped while held: {dropped}")
    print("\n".join(errors.lines()))
    print(
        f"  server RSS              {before.rss / 2**20:7.0f} MB → {held.rss / 2**20:.0f} MB held"
        f" → {closed.rss / 2**20:.0f} MB closed: {per_tab / 1024:.1f} KB per open tab"
    )
    if redis:
        grown = redis_held - redis_before
        print(f"  Redis used_memory       {grown / 2**20:+7.1f} MB: {grown / max(connected, 1) / 1024:.1f} KB per tab")
    hold_wall, held_cpu = held.at - held_from.at, held.cpu - held_from.cpu

    def share(cpu: float) -> str:  # a share of a few milliseconds says nothing
        return f"{100 * cpu / hold_wall:.0f} % of one core" if hold_wall >= 1 else "held too briefly for a share"

    print(f"  server CPU while held   {held_cpu:7.1f} s  ({share(held_cpu)})")
    print(f"  load generator CPU      {my_cpu:7.1f} s  ({share(my_cpu)}) while held")


def _redis(url: str | None) -> Any:
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=3)


# -- putting it together --------------------------------------------------------------------------------------


@contextmanager
def server_under_test(args: argparse.Namespace) -> Iterator[tuple[str, str, int]]:
    """(portal URL, emulator base URL, the server's root pid): started here with --start, else found."""
    if not args.start:
        url = args.url.rstrip("/")
        port = urlsplit(url).port or 80
        yield url, args.emulator_url or f"{url}/sandbox/khalti/", args.server_pid or server_root_pid(port)
        return
    from scripts.loadgen.servers import emulator_process, portal_server
    from tests.e2e.server import EMULATOR_KEY

    print(f"starting: the emulator ({args.latency_ms} ms per call) and the production build (a minute or more)…")
    with (
        emulator_process(key=EMULATOR_KEY, latency_ms=args.latency_ms, log_path=LOG_DIR / "emulator.log") as emulator,
        portal_server(
            emulator_url=emulator,
            workers=args.workers,
            database_url=args.database,
            redis_url=args.redis,
            log_path=LOG_DIR / "server.log",
        ) as (url, pid),
    ):
        yield url, emulator, pid


async def main(args: argparse.Namespace, url: str, emulator_url: str, pid: int) -> None:
    """Discover the frontend, run the chosen scenarios, print their figures."""
    names, frontend = Names.of_app()
    server = TreeWatch(pid)
    emulator_port = urlsplit(emulator_url).port
    emulator = None
    if emulator_port and emulator_port != urlsplit(url).port:  # not the one mounted in the server
        with contextlib.suppress(RuntimeError):
            emulator = TreeWatch(server_root_pid(emulator_port))
    run = Run(
        url, emulator_url, names, frontend, server, SelfWatch(), emulator, timeout=args.timeout, gil=args.py_spy_gil
    )
    print(f"bench_load: {url}; server processes: {server.describe()}")
    server.start()
    try:
        async with asyncio.timeout(args.deadline):
            await discover(run)
            print(f"  plans on sale: {', '.join(run.plans)}; bundle state schema: {run.frontend.schema or 'not found'}")
            if args.payments_each > len(run.plans):
                raise SystemExit(f"bench_load: --payments-each is at most the {len(run.plans)} plans on sale")
            if args.scenario in ("subscribers", "all"):
                await subscribers(run, args.subscribers, args.payments_each, args.prepare_at_once, args.py_spy)
            if args.scenario in ("catalog", "all"):
                await catalog(run, args.visitors)
            if args.scenario == "floor":
                await floor(run, args.subscribers, args.events_each)
            if args.scenario in ("idle", "all"):
                await idle(run, args.idle_tabs, args.idle_seconds, args.redis_url or args.redis)
    except TimeoutError:
        raise SystemExit(f"bench_load: stopped at the {args.deadline:.0f} s deadline") from None
    finally:
        server.stop()


def serve_emulator(argv: list[str]) -> int:
    """`bench_load.py emulator`: the emulator alone in the foreground, for a server started with `make run`."""
    parser = argparse.ArgumentParser(prog="bench_load.py emulator", description=serve_emulator.__doc__)
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--latency-ms", type=int, default=300)
    args = parser.parse_args(argv)
    from khalti_portal.config import DEFAULT_EMULATOR_KEY
    from scripts.loadgen.servers import emulator_process

    key = os.environ.get("KHALTI_EMULATOR_KEY", "").strip() or DEFAULT_EMULATOR_KEY
    log = LOG_DIR / "emulator.log"
    with emulator_process(key=key, latency_ms=args.latency_ms, log_path=log, port=args.port) as url:
        print(f"emulator at {url} ({args.latency_ms} ms per API call); log {log}; Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(prog="bench_load.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--scenario", choices=("subscribers", "catalog", "idle", "floor", "all"), default="subscribers")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--url", default="http://localhost:3000", help="a running production server")
    where.add_argument("--start", action="store_true", help="build and serve the portal and the emulator here")
    p.add_argument("--emulator-url", help="Khalti for --url (default URL/sandbox/khalti/)")
    p.add_argument("--server-pid", type=int, help="the server's root process for --url (default: found by port)")
    p.add_argument("--latency-ms", type=int, default=300, help="the emulator's latency per API call (--start)")
    p.add_argument("--workers", type=int, default=1, help="Granian workers (--start; more need the two below)")
    p.add_argument("--database", help="PostgreSQL URL for --start (a schema of its own); default SQLite")
    p.add_argument("--redis", help="Redis URL for --start's state manager")
    p.add_argument("--redis-url", help="Redis to measure in the idle scenario (default: --redis)")
    p.add_argument("--subscribers", type=int, default=50, help="subscribers at once (default 50)")
    p.add_argument(
        "--payments-each", type=int, default=3, help="paid payments per subscriber, one per plan (default 3)"
    )
    p.add_argument("--prepare-at-once", type=int, default=8, help="subscribers preparing at once (default 8)")
    p.add_argument("--visitors", type=int, default=50, help="catalog visitors at once (default 50)")
    p.add_argument("--idle-tabs", type=int, default=1000, help="idle tabs (default 1000)")
    p.add_argument("--idle-seconds", type=float, default=30, help="how long the idle tabs stay open (default 30)")
    p.add_argument("--events-each", type=int, default=10, help="empty events per tab in the floor scenario")
    p.add_argument("--py-spy", type=Path, help="record the server with py-spy while the return pages are timed")
    p.add_argument("--py-spy-gil", action="store_true", help="with --py-spy: sample only the thread holding the GIL")
    p.add_argument("--timeout", type=float, default=60, help="seconds any one wait may take (default 60)")
    p.add_argument("--deadline", type=float, default=1200, help="seconds the whole run may take (default 1200)")
    args = p.parse_args(argv)
    if not 1 <= args.payments_each <= 5:
        p.error("--payments-each must be 1-5 (the portal allows 5 checkouts per person in 10 minutes)")
    if args.workers > 1 and not (args.redis and args.database):
        p.error("--workers > 1 needs --redis and --database (PostgreSQL), as the portal does")
    for name in ("subscribers", "visitors", "idle_tabs", "prepare_at_once"):
        if getattr(args, name) < 1 or getattr(args, name) > 5000:
            p.error(f"--{name.replace('_', '-')} must be 1-5000")
    return args


def cli(argv: list[str]) -> int:
    """Run the benchmark (or serve the emulator alone)."""
    # A plain `kill` must still stop the servers this run started (their `finally` blocks run on SystemExit).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if argv[:1] == ["emulator"]:
        return serve_emulator(argv[1:])
    args = parse(argv)
    with server_under_test(args) as (url, emulator_url, pid):
        asyncio.run(main(args, url, emulator_url, pid))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(cli(sys.argv[1:]))
    except KeyboardInterrupt:  # the servers started here were stopped on the way out
        sys.exit("bench_load: interrupted")
