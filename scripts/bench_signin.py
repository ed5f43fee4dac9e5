"""Benchmark: how many page events one worker answers while 20 sign-ins run at once.

    .venv/bin/python scripts/bench_signin.py [--signins 20] [--tabs 4]

One event loop stands for one worker. `--tabs` tabs keep sending a page event (the catalog's `load`,
which reads the database) while `--signins` sign-ins (`LoginState.submit`, bcrypt at its real cost) run
at once. It runs twice: with bcrypt and the database on the event loop (as sign-in did before) and as
the handlers do now (in worker threads). Prints figures; asserts nothing. Everything is in-process on
a throw-away SQLite file: no network, nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ["KHALTI_PORTAL_DOTENV"] = "0"
_FOLDER = Path(tempfile.mkdtemp(prefix="kp-bench-signin-"))
os.environ["REFLEX_DB_URL"] = f"sqlite:///{_FOLDER / 'app.db'}"
os.environ.pop("REFLEX_REDIS_URL", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402
from reflex_base.config import get_config  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from khalti_portal import accounts  # noqa: E402
from khalti_portal.billing.plans import seed_demo_plans  # noqa: E402
from khalti_portal.db.session import get_engine  # noqa: E402
from khalti_portal.states.account import LoginState  # noqa: E402
from khalti_portal.states.catalog import CatalogState  # noqa: E402

PASSWORD = "bench password 1"


def tab_state(cls: type[rx.State], path: str, ip: str) -> rx.State:
    """A page state as one browser tab at `ip` has it."""
    root = rx.State(_reflex_internal_init=True)
    router = RouterData.from_router_data(
        {"pathname": path, "asPath": path, "query": {}, "headers": {}, "token": f"bench-{ip}", "ip": ip}
    )
    state = root.get_substate(cls.get_full_name().split("."))
    root.router = state.router = router
    state.is_hydrated = True
    return state


async def sign_in_on_the_loop(state: LoginState, username: str) -> None:
    """Sign-in as it was: bcrypt and the session writes straight on the event loop."""
    user_id = accounts.authenticate(username, PASSWORD, client_key=state.router.session.client_ip)
    accounts.end_session(state.session_token)
    state.session_token = accounts.start_session(user_id)


async def sign_in_now(state: LoginState, username: str) -> None:
    """Sign-in as the handler does it now."""
    await LoginState.submit.fn(state, {"username": username, "password": PASSWORD})
    assert state.error_message == "", state.error_message


async def round_(usernames: list[str], tabs: int, sign_in) -> dict[str, float]:
    """Run the sign-ins at once while the tabs send page events; return the figures."""
    done = asyncio.Event()
    latencies: list[float] = []

    async def tab(i: int) -> None:
        state = tab_state(CatalogState, "/", f"198.51.100.{i}")
        while not done.is_set():
            started = time.perf_counter()
            await CatalogState.load.fn(state)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0)  # the next event arrives from the socket: let others run

    async def sign_ins() -> float:
        started = time.perf_counter()
        states = [tab_state(LoginState, "/login", f"203.0.113.{i}") for i in range(len(usernames))]
        await asyncio.gather(*(sign_in(s, name) for s, name in zip(states, usernames, strict=True)))
        done.set()
        return time.perf_counter() - started

    tab_tasks = [asyncio.create_task(tab(i)) for i in range(tabs)]
    await asyncio.sleep(0)
    seconds = await sign_ins()
    await asyncio.gather(*tab_tasks)
    return {
        "seconds": seconds,
        "answered": len(latencies),
        "per_second": len(latencies) / seconds,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "max_ms": 1000 * max(latencies) if latencies else float("nan"),
    }


async def main(signins: int, tabs: int) -> None:
    """Prepare accounts, run both rounds, print one line each."""
    get_config().db_url = os.environ["REFLEX_DB_URL"]
    SQLModel.metadata.create_all(get_engine())
    seed_demo_plans()
    names = [f"bench{i:02d}" for i in range(signins)]
    await asyncio.gather(*(asyncio.to_thread(accounts.create_user, n, PASSWORD) for n in names))
    print(f"{signins} sign-ins at once (bcrypt cost 12) while {tabs} tabs send page events, one event loop:")
    for label, sign_in in (("on the event loop (before)", sign_in_on_the_loop), ("off the loop (now)", sign_in_now)):
        r = await round_(names, tabs, sign_in)
        print(
            f"  {label:<28} sign-ins took {r['seconds']:5.2f} s; page events answered meanwhile: "
            f"{r['answered']:5d} ({r['per_second']:6.1f}/s), p50 {r['p50_ms']:7.1f} ms, max {r['max_ms']:7.1f} ms"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--signins", type=int, default=20, choices=range(1, 201), metavar="N (1-200)")
    parser.add_argument("--tabs", type=int, default=4, choices=range(1, 51), metavar="N (1-50)")
    args = parser.parse_args()
    asyncio.run(main(args.signins, args.tabs))
