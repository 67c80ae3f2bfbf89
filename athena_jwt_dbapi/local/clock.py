"""The stack's one notion of "now": an aware datetime in UTC.

AWS reports every time in UTC (credential expirations, query submission and completion, table creation),
so every local service reads the time here; the credential store takes it as an injectable ``Clock`` so
that tests move time instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

__all__ = ["Clock", "utc_now"]

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
