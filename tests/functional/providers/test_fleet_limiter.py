"""The fleet-wide provider budget in PostgreSQL: shared across limiters, paused for everyone,
fair across orgs. Each `FleetLimiter` here stands for another container (its own connections);
windows are shortened to fractions of a second so the tests run on the real database clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from handlers.db.database import Database
from handlers.errors import DatabaseError
from handlers.providers.fleet_limiter import FleetLimiter, account_key


def fleet(db: Database, **options: object) -> FleetLimiter:
    settings: dict[str, object] = {"account": "openai:test", "rpm": 3, "tpm": None}
    settings.update(options)
    return FleetLimiter(lambda: db.connect(autocommit=True), **settings)  # type: ignore[arg-type]


@pytest.fixture
def containers(db: Database) -> Iterator[list[FleetLimiter]]:
    made = [fleet(db, window_s=0.6, max_poll_s=0.05) for _ in range(3)]
    yield made
    for limiter in made:
        limiter.close()


def test_the_budget_is_shared_by_every_container(containers) -> None:
    a, b, c = containers
    started = time.monotonic()
    grants = [limiter.acquire(10, org="org-1") for limiter in (a, b, c)]
    assert time.monotonic() - started < 0.5  # three fit the window at once
    assert a.window_usage() == (3, 30) == c.window_usage()
    late = b.acquire(10, org="org-2")  # a fourth must wait for the first to leave the window
    assert late.granted_at - grants[0].granted_at >= 0.6 - 1e-6  # reserved as it frees


def test_retry_after_seen_by_one_container_pauses_all(containers) -> None:
    a, b, _ = containers
    paused = a.observe_headers({"Retry-After": "0.4"})
    assert 0.3 < paused <= 0.4
    started = time.monotonic()
    b.acquire(org="org-2")
    assert time.monotonic() - started >= 0.35


def test_settled_usage_frees_tokens_for_the_next_call(db: Database) -> None:
    a, b = fleet(db, rpm=None, tpm=100, window_s=5), fleet(db, rpm=None, tpm=100, window_s=5)
    first = a.acquire(80, org="org-1")
    first.settle(20)  # the answer was short: 80 estimated, 20 used
    started = time.monotonic()
    b.acquire(70, org="org-2")
    assert time.monotonic() - started < 1.0
    assert a.window_usage() == (2, 90)


def test_a_busy_org_does_not_starve_a_quiet_one(db: Database) -> None:
    busy, quiet = fleet(db, rpm=2, window_s=0.5, max_poll_s=0.02), fleet(db, rpm=2, window_s=0.5)
    busy.acquire(org="busy")
    busy.acquire(org="busy")  # the window is full, all of it spent by "busy"
    served: list[tuple[float, str]] = []
    lock = threading.Lock()

    def call(limiter: FleetLimiter, org: str) -> None:
        grant = limiter.acquire(org=org)
        with lock:
            served.append((grant.granted_at, org))

    threads = [threading.Thread(target=call, args=(busy, "busy")) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.1)  # the busy org's four callers queue first...
    quiet_thread = threading.Thread(target=call, args=(quiet, "quiet"))
    quiet_thread.start()  # ...and the quiet org's one caller arrives last
    for thread in [*threads, quiet_thread]:
        thread.join(timeout=10)
    order = [org for _, org in sorted(served)]
    assert sorted(order) == ["busy"] * 4 + ["quiet"]
    assert "quiet" in order[:2]  # served in the first refill, not after the busy backlog


def test_accounts_have_separate_budgets(db: Database) -> None:
    one = fleet(db, account=account_key("openai", "sk-one"), rpm=1, window_s=30)
    two = fleet(db, account=account_key("openai", "sk-two"), rpm=1, window_s=30)
    one.acquire()
    started = time.monotonic()
    two.acquire()  # another key is another account: not held up by the first
    assert time.monotonic() - started < 1.0
    assert one.account != two.account and "sk-one" not in one.account


def test_missing_tables_say_how_to_create_them(empty_db: Database) -> None:
    with pytest.raises(DatabaseError) as caught:
        fleet(empty_db)
    assert "senso db migrate" in (caught.value.hint or "")


def test_a_waiter_reserves_its_slot_ahead_and_sends_when_it_frees(db: Database) -> None:
    first, second = fleet(db, rpm=1, window_s=1.0), fleet(db, rpm=1, window_s=1.0)
    second._round_trip_s = 0.4  # as if each budget transaction took 0.4 s: wake 0.8 s early
    started = time.monotonic()
    held = first.acquire(org="org-1")
    reserved = second.acquire(org="org-2")
    # Reserved at the instant the first grant leaves the window, not a wake-up and two round
    # trips after it; and not sent before then.
    assert reserved.reserved_at == pytest.approx(held.granted_at + 1.0, abs=1e-6)
    assert time.monotonic() - started >= 0.95
    assert second.window_usage()[0] == 1  # the first grant has left; the reservation counts


def test_the_learned_margin_halves_for_each_window_without_a_refusal(db: Database) -> None:
    # A 2 s window: the margin a refusal can teach is capped at 5% of it (0.1 s), and the lag
    # seen here is a database round trip, which a loaded machine stretches past 5% of 0.5 s.
    limiter = fleet(db, rpm=10, window_s=2.0)

    def skew() -> float:
        with db.connect() as conn:
            row = conn.execute("SELECT skew_s FROM senso.provider_budgets").fetchone()
        assert row is not None
        return float(row["skew_s"])

    limiter.acquire().rejected(0.01)  # a refusal: the margin widens to cover the lag it showed
    learned = skew()
    assert 0 < learned <= 2.0 * 0.05
    limiter.acquire()
    assert skew() == learned  # within the window of the refusal: kept
    time.sleep(2.05)
    limiter.acquire()
    assert skew() == pytest.approx(learned / 2)  # a window without a refusal: halved
    limiter.acquire()
    assert skew() == pytest.approx(learned / 2)  # once per window, not per grant


def test_a_late_send_holds_its_slot_as_long_as_the_server_does(db: Database) -> None:
    def oversleep(seconds: float) -> None:
        time.sleep(seconds + 0.3)  # a loaded machine: every sleep wakes 0.3 s late

    first = fleet(db, rpm=1, window_s=1.0)
    late = fleet(db, rpm=1, window_s=1.0, sleep=oversleep)
    late._round_trip_s = 0.4  # wakes early enough to reserve ahead despite oversleeping
    held = first.acquire(org="org-1")
    with late.slot(org="org-2") as grant:
        assert grant.reserved_at == pytest.approx(held.granted_at + 1.0, abs=1e-6)
        # It went out about 0.3 s after the time its slot was reserved for...
        assert grant.granted_at - grant.reserved_at == pytest.approx(0.3, abs=0.1)
        sent_at = grant.granted_at
    with db.connect() as conn:
        row = conn.execute(
            "SELECT granted_at FROM senso.provider_grants WHERE grant_id = %s", (grant.grant_id,)
        ).fetchone()
    # ...so its row says so (written after the call), and the next call of the account waits
    # for a window after the late send, not after the reservation, as the server's window does.
    assert row is not None and float(row["granted_at"]) == pytest.approx(sent_at, abs=1e-6)
    after = first.acquire(org="org-1")
    assert after.granted_at >= sent_at + 1.0 - 1e-6
