"""The process-wide credentials cache (``credentials/cache.py``): one creation per identity, even under
concurrent connects; bounded, least recently used out first; nothing cached for a refused identity. And its
remembered results (JWT_TIP's single-use exchanges): kept while they last, asked once, forgotten on demand.

The cache is the unit here (its ``get_or_create`` is what every provider calls); the connections that
share credentials through it are tested over HTTP in ``tests/e2e/test_identity_and_refresh_edges.py``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from botocore.credentials import Credentials

from athena_jwt_dbapi import clear_credentials_cache
from athena_jwt_dbapi.credentials import cache

#: The documented bound (README, "Sharing"): the cache holds this many identities.
BOUND = 256


class Creator:
    """Creates numbered credentials per key and counts the creations."""

    def __init__(self) -> None:
        self.created: list[str] = []

    def __call__(self, key: str) -> Callable[[], Credentials]:
        def create() -> Credentials:
            self.created.append(key)
            return Credentials(f"ASIA{len(self.created):016d}", "secret", "token")

        return create


def test_an_identity_is_created_once_and_then_served_from_the_cache() -> None:
    creator = Creator()
    first = cache.get_or_create("alice", creator("alice"))
    assert cache.get_or_create("alice", creator("alice")) is first
    other = cache.get_or_create("bob", creator("bob"))
    assert other is not first and other.access_key != first.access_key
    assert creator.created == ["alice", "bob"]


def test_a_refused_identity_is_not_cached() -> None:
    def refuse() -> Credentials:
        raise RuntimeError("STS said no")

    with pytest.raises(RuntimeError, match="STS said no"):
        cache.get_or_create("alice", refuse)
    creator = Creator()
    cache.get_or_create("alice", creator("alice"))
    assert creator.created == ["alice"], "the next connect of the identity calls STS again"


def test_clear_credentials_cache_forgets_every_identity() -> None:
    creator = Creator()
    first = cache.get_or_create("alice", creator("alice"))
    clear_credentials_cache()
    assert cache.get_or_create("alice", creator("alice")) is not first
    assert creator.created == ["alice", "alice"]


def test_the_cache_holds_the_most_recently_used_identities_up_to_its_bound() -> None:
    creator = Creator()
    keys = [f"identity-{n}" for n in range(BOUND)]
    for key in keys:
        cache.get_or_create(key, creator(key))
    for key in keys:  # all of them are still there: none created again
        cache.get_or_create(key, creator(key))
    assert len(creator.created) == BOUND
    cache.get_or_create(keys[0], creator(keys[0]))  # the oldest, used again: now the most recent
    cache.get_or_create("one-more", creator("one-more"))  # over the bound: the least recently used goes
    assert len(creator.created) == BOUND + 1
    cache.get_or_create(keys[0], creator(keys[0]))
    cache.get_or_create("one-more", creator("one-more"))
    assert len(creator.created) == BOUND + 1, "the recently used identity and the newest one stay"
    cache.get_or_create(keys[1], creator(keys[1]))
    assert creator.created[-1] == keys[1], "the least recently used identity was evicted"


def test_concurrent_first_connects_of_one_identity_create_it_once() -> None:
    creations: list[int] = []
    start = threading.Barrier(8)

    def slow_create() -> Credentials:
        creations.append(1)
        time.sleep(0.05)  # an STS round trip, during which the other threads ask for the same identity
        return Credentials("ASIA0000000000000001", "secret", "token")

    results: list[Credentials] = []

    def connect() -> None:
        start.wait()
        results.append(cache.get_or_create("alice", slow_create))

    threads = [threading.Thread(target=connect) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(creations) == 1
    assert len(results) == 8 and all(result is results[0] for result in results)


# --- remembered results (JWT_TIP's single-use exchanges) -------------------------------------------------


class Exchange:
    """A single-use grant: each call returns a new result, kept ``lifetime`` seconds."""

    def __init__(self, lifetime: float) -> None:
        self.lifetime = lifetime
        self.calls = 0

    def __call__(self) -> tuple[str, float]:
        self.calls += 1
        return f"grant-{self.calls}", self.lifetime


def test_a_result_is_remembered_while_it_lasts() -> None:
    exchange = Exchange(lifetime=60)
    assert cache.remembered("jti-1", exchange) == "grant-1"
    assert cache.remembered("jti-1", exchange) == "grant-1"
    assert cache.remembered("jti-2", exchange) == "grant-2", "another key is asked for itself"
    assert exchange.calls == 2


def test_a_result_is_given_up_when_it_expires() -> None:
    exchange = Exchange(lifetime=0.05)
    assert cache.remembered("jti", exchange) == "grant-1"
    time.sleep(0.06)
    assert cache.remembered("jti", exchange) == "grant-2"


def test_a_result_with_no_lifetime_is_not_kept() -> None:
    exchange = Exchange(lifetime=0)
    assert cache.remembered("jti", exchange) == "grant-1"
    assert cache.remembered("jti", exchange) == "grant-2"


def test_a_refused_exchange_is_not_remembered_and_can_be_asked_again() -> None:
    def refuse() -> tuple[str, float]:
        raise RuntimeError("Identity Center said no")

    with pytest.raises(RuntimeError, match="Identity Center said no"):
        cache.remembered("jti", refuse)
    exchange = Exchange(lifetime=60)
    assert cache.remembered("jti", exchange) == "grant-1"


def test_forget_and_clear_drop_remembered_results() -> None:
    exchange = Exchange(lifetime=60)
    cache.remembered("jti", exchange)
    cache.forget("jti")
    assert cache.remembered("jti", exchange) == "grant-2"
    cache.forget("never-remembered")  # nothing to forget is fine
    clear_credentials_cache()
    assert cache.remembered("jti", exchange) == "grant-3"


def test_remembered_results_are_bounded_least_recently_used_first() -> None:
    exchanges = {f"jti-{n}": Exchange(lifetime=60) for n in range(BOUND)}
    for key, exchange in exchanges.items():
        cache.remembered(key, exchange)
    for key, exchange in exchanges.items():
        assert cache.remembered(key, exchange) == "grant-1", key
    cache.remembered("jti-0", exchanges["jti-0"])  # used again: now the most recent
    newest = Exchange(lifetime=60)
    cache.remembered("newest", newest)
    assert cache.remembered("jti-0", exchanges["jti-0"]) == "grant-1"
    assert cache.remembered("newest", newest) == "grant-1"
    assert cache.remembered("jti-1", exchanges["jti-1"]) == "grant-2", "the least recently used was dropped"


def test_racing_threads_spend_a_single_use_grant_once() -> None:
    start = threading.Barrier(8)
    calls: list[int] = []

    def slow_exchange() -> tuple[str, float]:
        calls.append(1)
        time.sleep(0.05)
        return "grant", 60

    results: list[str] = []

    def ask() -> None:
        start.wait()
        results.append(cache.remembered("jti", slow_exchange))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == ["grant"] * 8


class MonotonicClock:
    """``time.monotonic`` for one test: the cache reads it for remembered results' deadlines."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(time, "monotonic", lambda: self.now)


def test_a_result_lasts_exactly_its_lifetime(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = MonotonicClock(monkeypatch)
    exchange = Exchange(lifetime=60)
    cache.remembered("jti", exchange)
    clock.now += 59.999
    assert cache.remembered("jti", exchange) == "grant-1"
    clock.now = 1060.0  # its lifetime is over at 60 s, not a moment later
    assert cache.remembered("jti", exchange) == "grant-2"
    half = Exchange(lifetime=0.5)
    cache.remembered("short", half)
    clock.now += 0.25
    assert cache.remembered("short", half) == "grant-1", "a fraction of a second is a lifetime too"


@pytest.mark.parametrize("lifetime", [0, -5], ids=["no-lifetime", "already-expired"])
def test_a_result_not_kept_takes_no_room(lifetime: float) -> None:
    """A result with no lifetime left is not stored at all: it never pushes a live one out of the bound."""
    exchanges = {f"jti-{n}": Exchange(lifetime=60) for n in range(BOUND)}
    for key, exchange in exchanges.items():
        cache.remembered(key, exchange)
    assert cache.remembered("spent", Exchange(lifetime=lifetime)) == "grant-1"
    assert cache.remembered("jti-0", exchanges["jti-0"]) == "grant-1", "the oldest live result is still there"
