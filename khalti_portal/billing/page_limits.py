"""What pages may ask of Khalti: any visitor can fire page events at will, so every way in is bounded.

- `verify_from_page`: one lookup in flight per pidx in this process (the others wait for its answer),
  and a payment is looked up from pages at most once per 10 s (a settled one: once a minute), across
  workers (the payment's own `page_lookup_at`); in between, the stored state is the answer. The
  reconciler and admins call `verify_payment` directly and keep their own schedule.
- `claim_recheck_loop`: one return-page re-check loop per payment at a time, across workers; its
  bounded schedule (2 s doubling to 30 s, for 5 minutes) replaces the 10 s limit for its own lookups.
- `checkout_allowed`: at most 5 checkouts per user in 10 minutes (each one is an initiate at Khalti).

The other cross-worker limits live in `khalti_portal.throttle` (Redis when configured, the database otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from khalti_portal import throttle
from khalti_portal.billing.deps import BillingDeps, resolve
from khalti_portal.billing.verification import VerifyOutcome, VerifySource, verify_claimed, verify_payment

PAGE_LOOKUP_EVERY = timedelta(seconds=10)
SETTLED_LOOKUP_EVERY = timedelta(minutes=1)
CHECKOUTS_PER_USER = 5
CHECKOUT_WINDOW = timedelta(minutes=10)

# pidx → the lookup running for it in this process; later callers await the same answer.
_in_flight: dict[str, asyncio.Future[VerifyOutcome]] = {}


async def verify_from_page(
    pidx: str, *, source: VerifySource, deps: BillingDeps | None = None, rate_limited: bool = True
) -> VerifyOutcome:
    """`verify_payment` for page handlers: coalesced in this process, rate-limited per payment everywhere.

    `rate_limited=False` is for the one re-check loop per payment (`claim_recheck_loop`), whose own
    schedule is the bound (about a dozen lookups in five minutes); it is still coalesced.
    """
    loop = asyncio.get_running_loop()
    running = _in_flight.get(pidx)
    if running is not None and running.get_loop() is loop:
        await asyncio.wait([running])  # a cancelled caller stops waiting; the lookup goes on for the others
        if not running.cancelled():
            return running.result()
        return await verify_from_page(pidx, source=source, deps=deps, rate_limited=rate_limited)
    future: asyncio.Future[VerifyOutcome] = loop.create_future()
    # An exception nobody waited for must not be reported as "never retrieved".
    future.add_done_callback(lambda f: f.cancelled() or f.exception())
    _in_flight[pidx] = future
    try:
        outcome = await _verify_if_due(pidx, source, resolve(deps), rate_limited)
    except asyncio.CancelledError:
        future.cancel()  # the callers waiting on it look again themselves
        raise
    except Exception as exc:
        future.set_exception(exc)
        raise
    finally:
        if _in_flight.get(pidx) is future:
            del _in_flight[pidx]
    future.set_result(outcome)
    return outcome


async def _verify_if_due(pidx: str, source: VerifySource, deps: BillingDeps, rate_limited: bool) -> VerifyOutcome:
    if not rate_limited:
        return await verify_payment(pidx, source=source, deps=deps)
    # The limit is a column of the payment, claimed by the statement that reads it: one round trip.
    # Not due (asked moments ago, by this worker or another), unknown or settled for good: the stored state.
    return await verify_claimed(
        pidx, source=source, every=PAGE_LOOKUP_EVERY, settled_every=SETTLED_LOOKUP_EVERY, deps=deps
    )


@contextlib.asynccontextmanager
async def claim_recheck_loop(pidx: str, lasts: timedelta, *, deps: BillingDeps | None = None) -> AsyncIterator[bool]:
    """Yields True to the one caller that may run the re-check loop for `pidx` (held until it exits)."""
    deps = resolve(deps)
    key, marks = f"recheck:{pidx}", throttle.store(deps.engine, settings=deps.settings)
    slot = await asyncio.to_thread(throttle.take, key, 1, lasts, now=deps.now(), marks=marks)
    try:
        yield slot is not None
    finally:
        if slot is not None:
            await asyncio.to_thread(throttle.release, key, slot, marks=marks)


def checkout_allowed(user_id: int, *, deps: BillingDeps | None = None) -> bool:
    """Count one checkout for `user_id`; False past 5 in 10 minutes."""
    deps = resolve(deps)
    key, marks = f"checkout:user:{user_id}", throttle.store(deps.engine, settings=deps.settings)
    return throttle.take(key, CHECKOUTS_PER_USER, CHECKOUT_WINDOW, now=deps.now(), marks=marks) is not None
