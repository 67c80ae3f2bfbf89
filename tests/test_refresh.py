"""Refresh windows scaled to the credentials' lifetime, tested with an injected clock (no sleeping)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from botocore.credentials import RefreshableCredentials

from athena_jwt_dbapi.credentials.refreshing import (
    Metadata,
    ScaledRefreshableCredentials,
    refresh_windows,
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


class Fetcher:
    """Issues numbered credentials that live ``lifetime`` seconds from the clock's now."""

    def __init__(self, clock: Clock, lifetime: float) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.calls = 0

    def __call__(self) -> Metadata:
        self.calls += 1
        return {
            "access_key": f"ASIA{self.calls:016d}",
            "secret_key": f"secret-{self.calls}",
            "token": f"token-{self.calls}",
            "expiry_time": (self.clock.now + timedelta(seconds=self.lifetime)).isoformat(),
        }


@pytest.mark.parametrize(
    ("lifetime", "advisory", "mandatory"),
    [(900, 225, 150), (3600, 900, 600), (43200, 900, 600), (60, 15, 10), (0, 0, 0)],
)
def test_windows_scale_with_lifetime(lifetime: float, advisory: float, mandatory: float) -> None:
    assert refresh_windows(lifetime) == (advisory, mandatory)


def test_a_900_second_session_is_not_refreshed_on_every_request() -> None:
    clock = Clock()
    fetch = Fetcher(clock, 900)
    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)
    assert fetch.calls == 1
    for _ in range(100):  # many requests within the first 600 seconds
        clock.now += timedelta(seconds=6)
        assert credentials.get_frozen_credentials().access_key == "ASIA0000000000000001"
    assert fetch.calls == 1


def test_refreshes_in_the_advisory_window_and_gets_new_keys() -> None:
    clock = Clock()
    fetch = Fetcher(clock, 900)
    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)
    clock.now += timedelta(seconds=900 - 200)  # inside the 225 s advisory window
    frozen = credentials.get_frozen_credentials()
    assert fetch.calls == 2
    assert frozen.access_key == "ASIA0000000000000002"
    assert frozen.token == "token-2"


def test_mandatory_refresh_failure_raises() -> None:
    clock = Clock()
    fetch = Fetcher(clock, 900)
    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)

    def refuse() -> Metadata:
        raise RuntimeError("STS said no")

    credentials._fetch = refuse
    clock.now += timedelta(seconds=900 - 100)  # inside the 150 s mandatory window
    with pytest.raises(RuntimeError, match="STS said no"):
        credentials.get_frozen_credentials()


def test_advisory_refresh_failure_keeps_the_current_keys() -> None:
    clock = Clock()
    fetch = Fetcher(clock, 900)
    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)

    def refuse() -> Metadata:
        raise RuntimeError("STS hiccup")

    credentials._fetch = refuse
    clock.now += timedelta(seconds=900 - 200)  # advisory only
    assert credentials.get_frozen_credentials().access_key == "ASIA0000000000000001"


def test_windows_follow_the_lifetime_actually_granted() -> None:
    """Credentials shortened by the issuer (e.g. to 60 s) get 15/10 s windows, not 225/150 s."""
    clock = Clock()
    fetch = Fetcher(clock, 60)
    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)
    clock.now += timedelta(seconds=40)
    credentials.get_frozen_credentials()
    assert fetch.calls == 1
    clock.now += timedelta(seconds=10)  # 10 s left: mandatory
    credentials.get_frozen_credentials()
    assert fetch.calls == 2


def test_guard_botocore_still_reads_the_window_attributes() -> None:
    """We override botocore's private window attributes; fail loudly if botocore renames them."""
    assert hasattr(RefreshableCredentials, "_advisory_refresh_timeout")
    assert hasattr(RefreshableCredentials, "_mandatory_refresh_timeout")
    clock = Clock()
    fetch = Fetcher(clock, 3600)
    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)
    assert credentials.refresh_needed() is False
    credentials._lifetime = 10_000_000  # windows capped at 900/600 s
    clock.now += timedelta(seconds=3600 - 800)
    assert credentials.refresh_needed() is True  # advisory (900 s) reached
    assert credentials.refresh_needed(credentials._mandatory_refresh_timeout) is False
