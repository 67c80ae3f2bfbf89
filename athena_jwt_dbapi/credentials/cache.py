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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .. import aws

if TYPE_CHECKING:
    from botocore.credentials import Credentials

MAX_ENTRIES = 256

_lock = threading.Lock()
_entries: OrderedDict[str, Credentials] = OrderedDict()
_key_locks: dict[str, threading.Lock] = {}
#: key → (time.monotonic() when it expires, the result)
_results: OrderedDict[str, tuple[float, Any]] = OrderedDict()
_result_locks: dict[str, threading.Lock] = {}
T = TypeVar("T")


def cache_key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()


def get_or_create(key: str, create: Callable[[], Credentials]) -> Credentials:
    """The cached credentials for ``key``, created once even when many threads connect at once."""
    with _lock:
        found = _entries.get(key)
        if found is not None:
            _entries.move_to_end(key)
            return found
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _lock:
            found = _entries.get(key)
        if found is not None:
            return found
        try:
            created = create()  # may raise: nothing is cached for a rejected identity
            with _lock:
                _entries[key] = created
                while len(_entries) > MAX_ENTRIES:
                    _entries.popitem(last=False)
        finally:
            with _lock:
                _key_locks.pop(key, None)
        return created


def remembered(key: str, create: Callable[[], tuple[T, float]]) -> T:
    """The result ``create`` gave for ``key`` while it lasts; ``create`` returns it with its lifetime in seconds
    (0: not kept). Asked once even when threads race, so a single-use grant is never spent twice here."""
    with _lock:
        found = _results.get(key)
        if found is not None and found[0] > time.monotonic():
            _results.move_to_end(key)
            return found[1]  # type: ignore[no-any-return]
        key_lock = _result_locks.setdefault(key, threading.Lock())
    with key_lock:
        with _lock:
            found = _results.get(key)
        if found is not None and found[0] > time.monotonic():
            return found[1]  # type: ignore[no-any-return]
        try:
            result, lifetime = create()  # may raise: nothing is kept for a refused request
            with _lock:
                if lifetime > 0:
                    _results[key] = (time.monotonic() + lifetime, result)
                    while len(_results) > MAX_ENTRIES:
                        _results.popitem(last=False)
        finally:
            with _lock:
                _result_locks.pop(key, None)
        return result


def forget(key: str) -> None:
    """Drop a remembered result (the service refused it: the next :func:`remembered` asks again)."""
    with _lock:
        _results.pop(key, None)


def clear_credentials_cache() -> None:
    """Forget every cached credential and remembered exchange (the next connect of each identity calls STS
    again), and release the sessions and clients shared by connections (their network connections close;
    connections still open keep working and reconnect), so the next connect of each configuration tests it
    again."""
    with _lock:
        _entries.clear()
        _key_locks.clear()
        _results.clear()
        _result_locks.clear()
    aws.clear_shared_sessions()
