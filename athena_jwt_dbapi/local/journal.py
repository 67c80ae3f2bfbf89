"""The order in which the local services were called, across services: what a multi-step client did.

STS, Athena and the IAM Identity Center services each record the requests they receive here (after checking
the signature, so ``signed_by`` is the role session that signed, or None for an unsigned call), so a test can
assert a whole sequence — AssumeRoleWithWebIdentity, the tag lookups, CreateTokenWithIAM, AssumeRole, the
queries — and who made each call. Entries hold request parameters as sent, secrets included: a test
knob of a local stack, never logged.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request: the service (``sts``, ``athena``, ``sso-oidc``, ``sso-admin``), the operation, its
    parameters and the assumed-role ARN of the credentials that signed it."""

    service: str
    operation: str
    params: dict[str, Any] = field(repr=False)
    signed_by: str | None = None


class CallJournal:
    """A thread-safe, append-only list of :class:`Call`; :meth:`mark` and :meth:`since` slice one test's calls."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def record(self, service: str, operation: str, params: dict[str, Any], signed_by: str | None = None) -> None:
        with self._lock:
            self._calls.append(Call(service, operation, dict(params), signed_by))

    def mark(self) -> int:
        with self._lock:
            return len(self._calls)

    def since(self, mark: int) -> list[Call]:
        with self._lock:
            return list(self._calls[mark:])

    def operations(self, mark: int = 0) -> list[tuple[str, str]]:
        """(service, operation) of every call since ``mark``, in order."""
        return [(call.service, call.operation) for call in self.since(mark)]
