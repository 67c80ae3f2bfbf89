"""Refreshable credentials whose refresh windows scale with the credentials' real lifetime.

botocore refreshes 15 minutes (advisory, one thread, failures tolerated) and 10 minutes (mandatory,
every thread waits, failures raise) before expiry. With 15-minute credentials — the STS minimum — that
means a refresh on every request (botocore #2189). Here the windows are a quarter and a sixth of the
lifetime the last refresh actually got, capped at botocore's values: a 900 s session is used for 675 s
before the first advisory refresh, a one-hour session behaves exactly like botocore's default.

botocore's public ``advisory_timeout`` / ``mandatory_timeout`` arguments set the windows once, at
construction; a refresh may grant another lifetime (a role's maximum session lowered, an issuer that
shortens tokens), so each refresh sets the attributes those arguments set, ``_advisory_refresh_timeout``
and ``_mandatory_refresh_timeout``. ``tests/test_refresh.py`` fails loudly if botocore stops storing or
reading them there (the first windows would still be right, through the public arguments).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from botocore.credentials import RefreshableCredentials

from ..redaction import register_secret

ADVISORY_CAP_SECONDS = 15 * 60
MANDATORY_CAP_SECONDS = 10 * 60

#: The shape botocore expects from a refresh: access_key, secret_key, token, expiry_time (ISO 8601).
Metadata = dict[str, Any]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _parse_expiry(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def refresh_windows(lifetime_seconds: float) -> tuple[float, float]:
    """(advisory, mandatory) seconds before expiry for credentials that live ``lifetime_seconds``."""
    lifetime = max(lifetime_seconds, 0.0)
    return min(ADVISORY_CAP_SECONDS, lifetime / 4), min(MANDATORY_CAP_SECONDS, lifetime / 6)


class ScaledRefreshableCredentials(RefreshableCredentials):
    """Credentials fetched eagerly by ``fetch`` and refreshed by it with lifetime-scaled windows."""

    def __init__(
        self,
        fetch: Callable[[], Metadata],
        *,
        method: str,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._lifetime = 0.0
        metadata = self._fetch_and_measure()
        advisory, mandatory = refresh_windows(self._lifetime)
        super().__init__(
            access_key=metadata["access_key"],
            secret_key=metadata["secret_key"],
            token=metadata["token"],
            expiry_time=_parse_expiry(metadata["expiry_time"]),
            refresh_using=self._refetch,
            method=method,
            time_fetcher=clock,
            # Seconds as floats (a credential of the local stack may live 0.3 s); botocore only compares them,
            # its stubs say int.
            advisory_timeout=advisory,  # type: ignore[arg-type]
            mandatory_timeout=mandatory,  # type: ignore[arg-type]
        )

    def _fetch_and_measure(self) -> Metadata:
        metadata = self._fetch()
        register_secret(metadata["secret_key"])  # every set of credentials, the first and each refresh
        register_secret(metadata["token"])
        expiry = _parse_expiry(metadata["expiry_time"])
        self._lifetime = (expiry - self._clock()).total_seconds()
        return metadata

    def _refetch(self) -> Metadata:
        """A refresh: new credentials, and windows for the lifetime they were granted."""
        metadata = self._fetch_and_measure()
        self._advisory_refresh_timeout, self._mandatory_refresh_timeout = refresh_windows(self._lifetime)
        return metadata

    def __repr__(self) -> str:
        # Never raises, even half-built (a failed first fetch): tracebacks that show locals call it.
        method = getattr(self, "method", None)
        lifetime = getattr(self, "_lifetime", 0.0)
        return f"<ScaledRefreshableCredentials method={method!r} lifetime={lifetime:.0f}s>"
