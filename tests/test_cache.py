"""The process-wide credentials cache (``credentials/cache.py``): one creation per identity, even under
concurrent connects; bounded, least recently used out first; nothing cached for a refused identity.

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
