"""A process-wide cache of refreshing credentials, so connections of one identity share one STS session.

Keys are SHA-256 digests of the identity's description (token source identity, role, session name,
duration, region, endpoint) — never raw secrets, so a heap dump of the cache shows no token.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from .. import aws

if TYPE_CHECKING:
    from botocore.credentials import Credentials

MAX_ENTRIES = 256

_lock = threading.Lock()
_entries: OrderedDict[str, Credentials] = OrderedDict()
_key_locks: dict[str, threading.Lock] = {}


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
        created = create()  # may raise: nothing is cached for a rejected identity
        with _lock:
            _entries[key] = created
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
            _key_locks.pop(key, None)
        return created


def clear_credentials_cache() -> None:
    """Forget every cached credential (the next connect of each identity calls STS again), and release
    the sessions and clients shared by connections (their network connections close; connections still
    open keep working and reconnect), so the next connect of each configuration tests it again."""
    with _lock:
        _entries.clear()
        _key_locks.clear()
    aws.clear_shared_sessions()
