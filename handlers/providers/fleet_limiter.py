"""One rate-limit budget per provider account for the whole fleet, kept in PostgreSQL.

`RateLimiter` paces the threads of one container. The daily dispatch runs many executions at
once, each with its own matrix task, and every one of them used to get the whole budget: 200
executions on one key sent 200 times the RPM. Here every task that calls an account shares one
budget through senso's own tables (migration 0010), which every task already reaches:

    senso.provider_budgets   one row per account: the row lock serialises grants; Retry-After
                             pauses (`paused_until`) and the learned skew live here
    senso.provider_grants    the sliding window: one row per granted call (time, org, tokens)
    senso.provider_waiters   who is waiting, with its queue tag
    senso.provider_org_tags  each org's last tag (start-time fair queueing, migration 0011)

A call is granted when the window has room for it *and* for every waiter ahead of it. Waiters
are served in tag order: a call's tag, given once on arrival, is one past the later of the
account's virtual time (the tag last granted) and its org's previous tag. Every org with work
therefore advances one call per round: an org with 50 threads and an org with one alternate,
instead of the busy org taking 50 slots first; and since tags never change, a waiter can sleep
until the slot that is its own. A call that is not yet granted is never failed: it waits
(re-announcing itself at most every `max_poll_s`) until its turn, so no cell fails because
another execution spent the budget. A call the server refuses anyway (429) pauses every caller of
the account for its Retry-After.

Times are the database's clock (`clock_timestamp()`), the one every container agrees on.
Waiting is a local sleep sized to when the slot will free, so the database sees a handful of
short transactions per call, not a spin.

Slots are granted ahead: a waiter wakes `lead_s` before its slot frees (the round trips and the
sleep's lateness it has measured) and reserves the slot *at the time it frees* (a grant row
stamped in the near future), then sleeps locally until that time and sends. Granting only once
the slot had freed put a wake-up and two database round trips between every freed slot and the
next request (hundreds of milliseconds on a loaded machine, per slot reuse); a reservation
counts in the window like any grant, so the budget is never exceeded by granting ahead.

A send that leaves later than its slot (a sleep that wakes late, a loaded process) holds the
server's window that much longer, so its grant is re-stamped by the lateness it measured (in
the write that settles the call's tokens, after the call). On a loaded machine that lateness
varies from call to call; without the re-stamp every late send beyond the learned margin was a
429 that widened the margin for every slot of the account, costing `skew / window` of the
budget, when only the late slot's next use had to wait.

`max_concurrency` stays per process (it protects the container's sockets and threads, not the
account).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg.rows import dict_row

from handlers.errors import DatabaseError, TransientError
from handlers.providers.ratelimit import (
    MAX_SKEW_FRACTION,
    WINDOW_S,
    exhausted_reset,
    retry_after_from_headers,
)

Connect = Callable[[], "psycopg.Connection[dict[str, Any]]"]

ANONYMOUS_ORG = "-"
"""The org of calls that name none (the name-variation call, a bench)."""

_MIN_SLEEP_S = 0.002
_MIN_LATE_S = 0.002  # later than this, a send's grant is re-stamped (one UPDATE after the call)
_BUDGET_READ = b"""SELECT extract(epoch FROM clock_timestamp())::float8 AS now,
                          paused_until, skew_s, virtual_tag
                   FROM senso.provider_budgets WHERE account = %s"""
_BUDGET_LOCKED = _BUDGET_READ + b" FOR UPDATE"


def account_key(provider: str, api_key: str | None) -> str:
    """The budget a provider account is charged to: its kind and a short digest of its key.

    Two containers with the same key share a budget; a second key of the same provider (another
    account, another quota) gets its own. The digest identifies the key without storing it.
    """
    if not api_key:
        return provider
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:12]
    return f"{provider}:{digest}"


@dataclass
class FleetGrant:
    """One granted call; `granted_at` (database time, epoch seconds) is when it went out."""

    limiter: FleetLimiter
    grant_id: int
    granted_at: float
    tokens: int
    # How much later than its stamp the call went out (a sleep that woke late, a busy
    # process), not yet written to its grant row.
    late_s: float = 0.0
    reserved_at: float = field(init=False)
    """The time the slot was reserved for; `granted_at` moves to when the call went out."""

    def __post_init__(self) -> None:
        self.reserved_at = self.granted_at

    def sent_late(self, seconds: float) -> None:
        """The call leaves `seconds` after the time its slot was reserved for: the server's
        window holds it that much longer, so its grant does too (`granted_at` moves now, the
        row with the next write)."""
        if seconds >= _MIN_LATE_S:
            self.granted_at += seconds
            self.late_s += seconds

    def settle(self, actual_tokens: int | None) -> None:
        if actual_tokens is not None and actual_tokens != self.tokens:
            self.tokens = max(0, actual_tokens)
            self._write(tokens=True)
        else:
            self.flush()

    def rejected(self, retry_after: float | None) -> None:
        # The refused call keeps its slot: OpenAI counts refused requests against the limit
        # (the in-process RateLimiter does the same; see docs/benchmarks.md).
        self.flush()
        self.limiter._learn_skew(self.granted_at, retry_after or 0.0)

    def flush(self) -> None:
        """Write a late send's stamp to the grant row, once. After the call, not before: a
        round trip ahead of every request would cost more than it saves, and the slot is not
        reused before a window has passed."""
        if self.late_s:
            self._write(tokens=False)

    def _write(self, *, tokens: bool) -> None:
        late, self.late_s = self.late_s, 0.0
        self.limiter._execute(
            """UPDATE senso.provider_grants SET granted_at = granted_at + %(late)s,
                   tokens = CASE WHEN %(set_tokens)s THEN %(tokens)s ELSE tokens END
               WHERE grant_id = %(id)s""",
            {"late": late, "set_tokens": tokens, "tokens": self.tokens, "id": self.grant_id},
        )


@dataclass(frozen=True)
class _Decision:
    grant: FleetGrant | None
    wait_s: float
    tag: float
    ready: bool = False
    send_in_s: float = 0.0
    """For a reservation: how long after the transaction's end its slot frees."""


class FleetLimiter:
    """The `Limiter` protocol over senso's budget tables; safe across threads and processes."""

    def __init__(
        self,
        connect: Connect,
        *,
        account: str,
        rpm: int | None,
        tpm: int | None,
        max_concurrency: int | None = None,
        org_id: str | None = None,
        window_s: float = WINDOW_S,
        max_poll_s: float = 1.0,
        stale_s: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.account = account
        self.rpm = rpm
        self.tpm = tpm
        self.window_s = window_s
        self.org_id = org_id
        self._connect = connect
        self._max_poll_s = max_poll_s
        self._stale_s = max(stale_s, 2 * max_poll_s)
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._local = threading.local()
        self._opened: list[psycopg.Connection[dict[str, Any]]] = []
        self._opened_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max_concurrency) if max_concurrency else None
        self.waited_s = 0.0
        # Running means (per limiter, all threads) of one budget transaction and of how late a
        # sleep wakes; their sum ahead of a slot is when a waiter must wake to catch it.
        self._round_trip_s = 0.0
        self._late_s = 0.0
        self._measure_lock = threading.Lock()
        self._execute(
            """INSERT INTO senso.provider_budgets (account, rpm, tpm, window_s)
               VALUES (%s, %s, %s, %s)
               ON CONFLICT (account) DO UPDATE
               SET rpm = EXCLUDED.rpm, tpm = EXCLUDED.tpm, window_s = EXCLUDED.window_s,
                   updated_at = now()""",
            (account, rpm, tpm, window_s),
        )

    # -- the Limiter protocol ----------------------------------------------------------------
    @contextmanager
    def slot(self, estimated_tokens: int = 0, *, org: str | None = None) -> Iterator[FleetGrant]:
        if self._slots is not None:
            self._slots.acquire()
        try:
            grant = self.acquire(estimated_tokens, org=org)
            try:
                yield grant
            finally:
                # A call that neither settled nor was refused (an error, a timeout) still
                # went out late; its row says so.
                with contextlib.suppress(TransientError, DatabaseError, psycopg.Error):
                    grant.flush()
        finally:
            if self._slots is not None:
                self._slots.release()

    def acquire(self, estimated_tokens: int = 0, *, org: str | None = None) -> FleetGrant:
        """Block until the fleet's window has room for this call and it is this call's turn."""
        tokens = max(0, estimated_tokens)
        org_id = org or self.org_id or ANONYMOUS_ORG
        waiter = uuid.uuid4().hex
        tag: float | None = None
        try:
            while True:
                lead = self.lead_s
                decision = self._timed_attempt(waiter, org_id, tokens, tag, False, lead)
                if decision.ready:
                    decision = self._timed_attempt(waiter, org_id, tokens, decision.tag, True, lead)
                tag = decision.tag
                if decision.grant is not None:
                    # When the slot frees, on this process's clock; the grant transaction's
                    # commit is already behind us, so lateness is measured, never guessed.
                    due = time.monotonic() + decision.send_in_s
                    if decision.send_in_s > 0:
                        self._sleep_measured(decision.send_in_s)
                    decision.grant.sent_late(time.monotonic() - due)
                    return decision.grant
                # Wake `lead` early: the look and the grant that follow take about that long.
                wait = min(max(decision.wait_s - lead, _MIN_SLEEP_S), self._max_poll_s)
                self._sleep_measured(wait)
        except BaseException:
            # Interrupted (Ctrl-C, a dead database): leave no waiter blocking the others.
            self._forget_waiter(waiter)
            raise

    def observe_headers(
        self,
        headers: Mapping[str, str],
        *,
        request_tokens: int = 0,
        sent_at: float | None = None,
    ) -> float:
        retry = retry_after_from_headers(headers, now=self._wall_clock()) or 0.0
        reset = exhausted_reset(headers, request_tokens=request_tokens)
        if retry <= 0 and reset is None:
            return 0.0  # the common case costs no round trip
        row = self._fetch_one(
            """UPDATE senso.provider_budgets
               SET paused_until = greatest(
                   paused_until,
                   extract(epoch FROM clock_timestamp()) + %(retry)s,
                   coalesce(%(sent_at)s + skew_s + %(reset)s, 0))
               WHERE account = %(account)s
               RETURNING paused_until - extract(epoch FROM clock_timestamp()) AS pause""",
            {
                "retry": retry,
                "sent_at": sent_at if reset is not None else None,
                "reset": reset or 0.0,
                "account": self.account,
            },
        )
        return max(0.0, float(row["pause"])) if row else 0.0

    def pause(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._execute(
            """UPDATE senso.provider_budgets
               SET paused_until = greatest(paused_until,
                                           extract(epoch FROM clock_timestamp()) + %s)
               WHERE account = %s""",
            (seconds, self.account),
        )

    # -- metrics -------------------------------------------------------------------------------
    def window_usage(self) -> tuple[int, int]:
        """(requests, tokens) the whole fleet has in the current window."""
        row = self._fetch_one(
            """SELECT count(*) AS n, coalesce(sum(g.tokens), 0) AS t
               FROM senso.provider_grants g JOIN senso.provider_budgets b USING (account)
               WHERE account = %s AND g.granted_at
                     > extract(epoch FROM clock_timestamp()) - b.window_s - b.skew_s""",
            (self.account,),
        )
        return (int(row["n"]), int(row["t"])) if row else (0, 0)

    # -- granting ahead ------------------------------------------------------------------------
    @property
    def lead_s(self) -> float:
        """How far ahead of its slot a waiter wakes and reserves it: two budget transactions
        (the look and the grant) and a sleep's lateness, as measured; never more than a poll."""
        return min(self._max_poll_s, 2 * self._round_trip_s + self._late_s)

    def _timed_attempt(
        self, waiter: str, org_id: str, tokens: int, tag: float | None, locked: bool, lead: float
    ) -> _Decision:
        started = time.monotonic()
        decision = self._attempt(waiter, org_id, tokens, tag, locked=locked, horizon_s=lead)
        self._measure("_round_trip_s", time.monotonic() - started)
        return decision

    def _sleep_measured(self, seconds: float) -> None:
        started = time.monotonic()
        self.waited_s += seconds
        self._sleep(seconds)
        self._measure("_late_s", max(0.0, time.monotonic() - started - seconds))

    def _measure(self, name: str, sample: float) -> None:
        # An exponential mean that rises fast and falls slowly: waking a little early costs a
        # short local sleep, waking late costs the slot.
        with self._measure_lock:
            current: float = getattr(self, name)
            weight = 0.3 if sample > current else 0.05
            setattr(self, name, current + weight * (sample - current))

    # -- one attempt ---------------------------------------------------------------------------
    def _attempt(
        self,
        waiter: str,
        org_id: str,
        tokens: int,
        tag: float | None,
        *,
        locked: bool,
        horizon_s: float = 0.0,
    ) -> _Decision:
        """One look at the budget. Unlocked, it only registers the waiter and says how long to
        wait (`ready` when the call's slot frees within `horizon_s`); locked (the budget row
        held), it grants, stamped at the time its slot frees if that is not now.

        Most looks find it is not yet this call's turn; taking the row lock for those made
        dozens of waiters queue on the lock in front of the one whose slot had come.
        """
        with self._transaction() as conn:
            budget = conn.execute(
                _BUDGET_LOCKED if locked else _BUDGET_READ, (self.account,)
            ).fetchone()
            if budget is None:
                raise DatabaseError(f"no provider budget row for {self.account!r}")
            now = float(budget["now"])
            lifetime = self.window_s + float(budget["skew_s"])
            if locked:
                conn.execute(
                    "DELETE FROM senso.provider_grants WHERE account = %s AND granted_at <= %s",
                    (self.account, now - lifetime),
                )
            if tag is None:
                # Start-time fair queueing: one past the later of the account's virtual time
                # and this org's last tag, so an org's calls take turns with every other org's.
                row = conn.execute(
                    """INSERT INTO senso.provider_org_tags AS t (account, org_id, last_tag)
                       VALUES (%(a)s, %(o)s, %(v)s + 1)
                       ON CONFLICT (account, org_id)
                       DO UPDATE SET last_tag = greatest(t.last_tag, %(v)s) + 1
                       RETURNING last_tag""",
                    {"a": self.account, "o": org_id, "v": float(budget["virtual_tag"])},
                ).fetchone()
                assert row is not None
                tag = float(row["last_tag"])
            conn.execute(
                """INSERT INTO senso.provider_waiters
                       (account, waiter_id, org_id, tokens, since, seen_at, tag)
                   VALUES (%(a)s, %(w)s, %(o)s, %(t)s, %(now)s, %(now)s, %(tag)s)
                   ON CONFLICT (account, waiter_id) DO UPDATE SET seen_at = EXCLUDED.seen_at""",
                {"a": self.account, "w": waiter, "o": org_id, "t": tokens, "now": now, "tag": tag},
            )
            paused = float(budget["paused_until"]) - now
            used = conn.execute(
                """SELECT count(*) AS n, coalesce(sum(tokens), 0) AS t
                   FROM senso.provider_grants WHERE account = %s AND granted_at > %s""",
                (self.account, now - lifetime),
            ).fetchone()
            used_requests = int(used["n"]) if used else 0
            used_tokens = int(used["t"]) if used else 0
            waiters = conn.execute(
                """SELECT waiter_id, tokens FROM senso.provider_waiters
                   WHERE account = %s AND seen_at > %s ORDER BY tag, since, waiter_id""",
                (self.account, now - self._stale_s),
            ).fetchall()
            ahead, tokens_ahead = _queue_position(waiters, waiter)
            requests_needed = ahead + 1
            tokens_needed = tokens_ahead + tokens
            fits_requests = self.rpm is None or used_requests + requests_needed <= self.rpm
            # A call bigger than the whole token budget goes alone into an empty window.
            fits_tokens = (
                self.tpm is None
                or used_tokens + tokens_needed <= self.tpm
                or (used_tokens == 0 and ahead == 0)
            )
            # When this call's slot frees: the end of a pause, and the expiry of enough grants
            # (reservations included) to make room for it and every waiter ahead of it. Each
            # waiter sleeps until its own slot: waking every waiter when a pause ends would
            # queue them all on the budget row while the first slot idles.
            waits = [paused, 0.0]
            # Blocked: this call's slot is one a waiter ahead has yet to take and free, so no
            # expiry in the window says when it comes; it polls and is never granted ahead.
            blocked = False
            if not fits_requests and self.rpm is not None:
                excess = used_requests + requests_needed - self.rpm
                oldest = conn.execute(
                    """SELECT granted_at FROM senso.provider_grants
                       WHERE account = %s AND granted_at > %s
                       ORDER BY granted_at OFFSET %s LIMIT 1""",
                    (self.account, now - lifetime, max(0, excess - 1)),
                ).fetchone()
                if oldest is None:
                    blocked = True
                else:
                    waits.append(float(oldest["granted_at"]) + lifetime - now)
            if not fits_tokens and self.tpm is not None:
                token_wait = self._token_wait(conn, used_tokens, tokens_needed, now, lifetime)
                if token_wait is None:
                    blocked = True
                else:
                    waits.append(token_wait)
            free_in = max(waits)
            if blocked:
                return _Decision(None, max(free_in, self._max_poll_s), tag)
            if free_in > horizon_s:
                return _Decision(None, free_in, tag)
            if not locked:
                return _Decision(None, free_in, tag, ready=True)
            row = conn.execute(
                """INSERT INTO senso.provider_grants (account, org_id, granted_at, tokens)
                   VALUES (%(a)s, %(o)s, %(at)s, %(t)s)
                   RETURNING grant_id,
                             %(at)s::float8
                                 - extract(epoch FROM clock_timestamp())::float8 AS send_in""",
                {"a": self.account, "o": org_id, "at": now + free_in, "t": tokens},
            ).fetchone()
            conn.execute(
                "DELETE FROM senso.provider_waiters WHERE account = %s AND waiter_id = %s",
                (self.account, waiter),
            )
            # The safety margin a refusal taught is halved for each window without one
            # (migration 0012): a margin kept at its peak costs `skew / window` of every window
            # for the rest of the night, long after the lag that caused it has passed.
            conn.execute(
                """UPDATE senso.provider_budgets
                   SET virtual_tag = greatest(virtual_tag, %(tag)s),
                       skew_s = CASE WHEN %(now)s - skew_checked_at >= window_s
                                     THEN skew_s / 2 ELSE skew_s END,
                       skew_checked_at = CASE WHEN %(now)s - skew_checked_at >= window_s
                                              THEN %(now)s ELSE skew_checked_at END
                   WHERE account = %(a)s""",
                {"tag": tag, "now": now, "a": self.account},
            )
            # Now and then, sweep waiters of processes that died mid-wait.
            conn.execute(
                "DELETE FROM senso.provider_waiters WHERE account = %s AND seen_at < %s",
                (self.account, now - 10 * self._stale_s),
            )
            assert row is not None
            grant = FleetGrant(self, int(row["grant_id"]), now + free_in, tokens)
            return _Decision(grant, 0.0, tag, send_in_s=max(0.0, float(row["send_in"])))

    def _token_wait(
        self,
        conn: psycopg.Connection[dict[str, Any]],
        used: int,
        needed: int,
        now: float,
        lifetime: float,
    ) -> float | None:
        """When enough tokens leave the window for `needed`; None if expiries alone never
        make room (the waiters ahead must be granted first)."""
        assert self.tpm is not None
        budget = self.tpm - min(needed, self.tpm)
        for row in conn.execute(
            """SELECT granted_at, tokens FROM senso.provider_grants
               WHERE account = %s AND granted_at > %s ORDER BY granted_at""",
            (self.account, now - lifetime),
        ):
            used -= int(row["tokens"])
            if used <= budget:
                return float(row["granted_at"]) + lifetime - now
        return None

    def _learn_skew(self, granted_at: float, retry_after: float) -> None:
        """Widen the budget's skew to cover the lag a 429 revealed (see `RateLimiter`).

        A refusal that lag cannot explain (a long Retry-After) is not skew; its pause is the
        answer to it. Each window without a refusal halves the skew again (see `_attempt`).
        """
        self._execute(
            """WITH seen AS (
                   SELECT extract(epoch FROM clock_timestamp()) - %(granted_at)s + %(retry)s AS lag)
               UPDATE senso.provider_budgets
               SET skew_s = least(%(cap)s, greatest(skew_s, 2 * seen.lag)),
                   skew_checked_at = extract(epoch FROM clock_timestamp())
               FROM seen
               WHERE account = %(account)s AND seen.lag <= %(cap)s""",
            {
                "cap": self.window_s * MAX_SKEW_FRACTION,
                "account": self.account,
                "granted_at": granted_at,
                "retry": retry_after,
            },
        )

    def _forget_waiter(self, waiter: str) -> None:
        # If the database is gone too, the sweep removes the row once it is stale.
        with contextlib.suppress(TransientError, DatabaseError, psycopg.Error):
            self._execute(
                "DELETE FROM senso.provider_waiters WHERE account = %s AND waiter_id = %s",
                (self.account, waiter),
            )

    # -- connections ---------------------------------------------------------------------------
    def _connection(self) -> psycopg.Connection[dict[str, Any]]:
        conn: psycopg.Connection[dict[str, Any]] | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._connect()
            conn.autocommit = True
            conn.row_factory = dict_row
            self._local.conn = conn
            with self._opened_lock:
                self._opened.append(conn)
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[dict[str, Any]]]:
        conn = self._connection()
        try:
            with conn.transaction():
                yield conn
        except psycopg.OperationalError as exc:
            conn.close()
            raise TransientError(f"provider budget unavailable: {exc}".splitlines()[0]) from exc
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName) as exc:
            raise DatabaseError(
                "senso's provider budget tables are missing",
                hint="run `senso db migrate` (migration 0010 creates them)",
            ) from exc

    def _execute(self, query: str, params: Any) -> None:
        with self._transaction() as conn:
            conn.execute(query.encode(), params)

    def _fetch_one(self, query: str, params: Any) -> dict[str, Any] | None:
        with self._transaction() as conn:
            return conn.execute(query.encode(), params).fetchone()

    def close(self) -> None:
        """Close the connection of every thread that used this limiter."""
        with self._opened_lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            conn.close()


def _queue_position(waiters: list[dict[str, Any]], me: str) -> tuple[int, int]:
    """(waiters ahead of `me`, their tokens) in the queue's order (tag, then arrival)."""
    ahead = 0
    tokens = 0
    for row in waiters:
        if row["waiter_id"] == me:
            return ahead, tokens
        ahead += 1
        tokens += int(row["tokens"])
    return ahead, tokens
