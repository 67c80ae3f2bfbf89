"""Refresh windows scaled to the credentials' lifetime, tested with an injected clock (no sleeping)."""

from __future__ import annotations

import traceback
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
    [
        (900, 225, 150),
        (3600, 900, 600),
        (43200, 900, 600),
        (60, 15, 10),
        (0, 0, 0),
        (1000, 250, 1000 / 6),  # not whole quarters and sixths: the windows are not rounded down
        (0.3, 0.075, 0.05),  # the local stack's sub-second credentials
        (-60, 0, 0),  # credentials that arrive already expired (a skewed clock): no negative windows
    ],
)
def test_windows_scale_with_lifetime(lifetime: float, advisory: float, mandatory: float) -> None:
    assert refresh_windows(lifetime) == pytest.approx((advisory, mandatory), abs=1e-9)


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


def test_windows_follow_each_refresh() -> None:
    """A one-hour session refreshed into 900 s credentials (the role's maximum lowered meanwhile) gets 225/150 s
    windows for them, not the 900/600 s of the first credentials (which would refresh on every request)."""
    clock = Clock()
    fetch = Fetcher(clock, 3600)
    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)
    clock.now += timedelta(seconds=3600 - 800)  # the advisory window (900 s) of the first credentials
    fetch.lifetime = 900
    assert credentials.get_frozen_credentials().access_key == "ASIA0000000000000002"
    clock.now += timedelta(seconds=900 - 300)  # 300 s left: outside the new 225 s advisory window
    credentials.get_frozen_credentials()
    assert fetch.calls == 2
    clock.now += timedelta(seconds=100)  # 200 s left: inside it
    assert credentials.get_frozen_credentials().access_key == "ASIA0000000000000003"


def test_guard_botocore_keeps_the_windows_where_its_public_arguments_put_them() -> None:
    """The first windows go through botocore's public advisory_timeout/mandatory_timeout arguments; a refresh
    replaces them in the attributes those arguments set. Fail loudly if botocore stops storing or reading the
    windows there."""
    plain = RefreshableCredentials(
        "AKID",
        "secret",
        "token",
        Clock()() + timedelta(hours=1),
        lambda: {},
        "test",
        advisory_timeout=7,
        mandatory_timeout=3,
    )
    assert (plain._advisory_refresh_timeout, plain._mandatory_refresh_timeout) == (7, 3)
    clock = Clock()
    credentials = ScaledRefreshableCredentials(Fetcher(clock, 3600), method="test", clock=clock)
    assert (credentials._advisory_refresh_timeout, credentials._mandatory_refresh_timeout) == (900, 600)
    credentials._advisory_refresh_timeout = 100  # what a refresh does
    clock.now += timedelta(seconds=3600 - 800)
    assert credentials.refresh_needed() is False  # botocore reads the advisory window from the attribute
    clock.now += timedelta(seconds=750)
    assert credentials.refresh_needed() is True
    assert credentials.refresh_needed(credentials._mandatory_refresh_timeout) is True


@pytest.mark.parametrize(
    "expiry",
    ["2026-01-01T02:15:00+02:00", "2025-12-31T19:15:00-05:00", "2026-01-01T00:15:00Z", "2026-01-01T00:15:00"],
    ids=["east-of-utc", "west-of-utc", "zulu", "naive-is-utc"],
)
def test_an_expiry_in_any_offset_is_the_same_instant(expiry: str) -> None:
    """STS says Z, a custom fetch may give any offset (or none, meaning UTC): all four are 00:15 UTC, so the
    credentials live 900 s and refresh only in their 225 s advisory window (a misread offset would make them
    live hours, or be already expired)."""
    clock = Clock()
    calls: list[int] = []

    def fetch() -> Metadata:
        calls.append(1)
        return {"access_key": f"ASIA{len(calls)}", "secret_key": "s" * 40, "token": "t" * 40, "expiry_time": expiry}

    credentials = ScaledRefreshableCredentials(fetch, method="test", clock=clock)
    assert "lifetime=900s" in repr(credentials)
    clock.now += timedelta(seconds=900 - 226)
    credentials.get_frozen_credentials()
    assert len(calls) == 1
    assert credentials.refresh_needed() is False
    clock.now += timedelta(seconds=2)  # 224 s left
    assert credentials.refresh_needed() is True


def test_repr_of_credentials_whose_first_fetch_failed() -> None:
    """Tracebacks that show locals (pytest -l, error reporters) call the repr of the half-built credentials
    in ``__init__``'s frame: it works and claims no method and no lifetime yet."""

    def refuse() -> Metadata:
        raise RuntimeError("STS said no")

    with pytest.raises(RuntimeError, match="STS said no") as info:
        ScaledRefreshableCredentials(refuse, method="test", clock=Clock())
    shown = [
        repr(frame.f_locals["self"])
        for frame, _ in traceback.walk_tb(info.value.__traceback__)
        if isinstance(frame.f_locals.get("self"), ScaledRefreshableCredentials)
    ]
    assert shown and set(shown) == {"<ScaledRefreshableCredentials method=None lifetime=0s>"}
    never_initialised = ScaledRefreshableCredentials.__new__(ScaledRefreshableCredentials)
    assert repr(never_initialised) == "<ScaledRefreshableCredentials method=None lifetime=0s>"


def test_the_constructor_takes_its_arguments_by_name() -> None:
    """``fetch`` may be named; ``method`` and ``clock`` must be (botocore's own positional order differs)."""
    clock = Clock()
    credentials = ScaledRefreshableCredentials(fetch=Fetcher(clock, 900), method="named", clock=clock)
    assert credentials.method == "named"
    with pytest.raises(TypeError):
        ScaledRefreshableCredentials(Fetcher(clock, 900), "positional")  # type: ignore[call-arg]
