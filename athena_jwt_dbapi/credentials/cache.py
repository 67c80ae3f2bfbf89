"""A process-wide cache of refreshing credentials, so connections of one identity share one STS session.

Keys are SHA-256 digests of the identity's description (token source identity, role, session name,
duration, region, endpoint) — never raw secrets, so a heap dump of the cache shows no token.

Beside it, :func:`remembered` keeps results that must not be asked for twice until they expire: a JWT with a
``jti`` can be exchanged with IAM Identity Center only once, so ``JWT_TIP`` remembers the exchange's result for
every connection and refresh of the process that presents the same token.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .. import aws

if TYPE_CHECKING:
    from botocore.credentials import Credentials

MAX_ENTRIES = 256

_lock = threading.Lock()
T = TypeVar("T")


class _Store(Generic[T]):
    """Values by key, each made once even when threads race for it, kept while it lasts; the
    :data:`MAX_ENTRIES` most recently used at most (the least recently used is dropped first)."""

    def __init__(self) -> None:
        #: key → (time.monotonic() when it expires, the value)
        self._items: OrderedDict[str, tuple[float, T]] = OrderedDict()
        self._key_locks: dict[str, threading.Lock] = {}

    def get(self, key: str, create: Callable[[], tuple[T, float]]) -> T:
        """The live value for ``key``; else ``create()``'s value, kept for its lifetime in seconds (0: not kept)."""
        with _lock:
            found = self._items.get(key)
            if found is not None and found[0] > time.monotonic():
                self._items.move_to_end(key)
                return found[1]
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with _lock:
                found = self._items.get(key)
            if found is not None and found[0] > time.monotonic():
                return found[1]
            try:
                value, lifetime = create()  # may raise: nothing is kept for a refused request
                with _lock:
                    if lifetime > 0:
                        self._items[key] = (time.monotonic() + lifetime, value)
                        while len(self._items) > MAX_ENTRIES:
                            self._items.popitem(last=False)
            finally:
                with _lock:
                    self._key_locks.pop(key, None)
            return value

    def forget(self, key: str) -> None:
        with _lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with _lock:
            self._items.clear()
            self._key_locks.clear()


_credentials: _Store[Credentials] = _Store()
_results: _Store[Any] = _Store()


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


def get_or_create(key: str, create: Callable[[], Credentials]) -> Credentials:
    """The cached credentials for ``key``, created once even when many threads connect at once (they refresh
    themselves, so they are kept until the bound drops them or the cache is cleared)."""
    return _credentials.get(key, lambda: (create(), math.inf))


def remembered(key: str, create: Callable[[], tuple[T, float]]) -> T:
    """The result ``create`` gave for ``key`` while it lasts; ``create`` returns it with its lifetime in seconds
    (0: not kept). Asked once even when threads race, so a single-use grant is never spent twice here."""
    result: T = _results.get(key, create)
    return result


def forget(key: str) -> None:
    """Drop a remembered result (the service refused it: the next :func:`remembered` asks again)."""
    _results.forget(key)


def clear_credentials_cache() -> None:
    """Forget every cached credential and remembered exchange (the next connect of each identity calls STS
    again), and release the sessions and clients shared by connections (their network connections close;
    connections still open keep working and reconnect), so the next connect of each configuration tests it
    again."""
    _credentials.clear()
    _results.clear()
    aws.clear_shared_sessions()
