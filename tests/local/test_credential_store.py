"""The local stack's credential store (``local/iam.py``): what STS issues and every signed service reads.

The store is the unit (Athena, S3 and STS call ``lookup``/``is_expired``); time is an injected clock, so
expiry is tested at the exact instant, without sleeping.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

import pytest

from athena_jwt_dbapi.local.iam import CredentialStore, Role

START = datetime(2030, 6, 1, 12, 0, 0, 700000, tzinfo=timezone.utc)  # years ahead of the real clock, mid-second
ROLE = Role("athena-reader")


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> CredentialStore:
    return CredentialStore(clock=clock)


def test_issued_credentials_have_the_shape_of_aws_ones(store: CredentialStore) -> None:
    creds = store.issue(ROLE, "tester", 3600, "local-user")
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", creds.access_key_id)
    assert re.fullmatch(r"[A-Za-z0-9+/]{40}", creds.secret_access_key)
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:tester", creds.assumed_role_id)
    assert creds.assumed_role_arn == "arn:aws:sts::123456789012:assumed-role/athena-reader/tester"
    assert (creds.role, creds.session_name, creds.subject) == (ROLE, "tester", "local-user")
    again = store.issue(ROLE, "tester", 3600, "local-user")
    assert len({creds.access_key_id, again.access_key_id}) == 2
    assert len({creds.secret_access_key, again.secret_access_key}) == 2
    assert len({creds.session_token, again.session_token}) == 2
    assert store.lookup(creds.access_key_id) == creds and store.lookup(again.access_key_id) == again
    assert len(store) == 2 and store.all() == [creds, again]


def test_credentials_live_the_requested_whole_seconds_from_the_store_clock(
    store: CredentialStore, clock: Clock
) -> None:
    creds = store.issue(ROLE, "tester", 900, "local-user")
    # STS reports whole seconds: the expiration is the issue time plus the duration, truncated to the second.
    assert creds.expiration == datetime(2030, 6, 1, 12, 15, 0, tzinfo=timezone.utc)
    assert not store.is_expired(creds.access_key_id)
    clock.now = creds.expiration - timedelta(microseconds=1)
    assert not store.is_expired(creds.access_key_id)
    assert not creds.is_expired(clock.now)
    clock.now = creds.expiration  # expired at the instant of the expiration, not a moment later
    assert store.is_expired(creds.access_key_id)
    assert creds.is_expired(clock.now)


def test_an_explicit_issue_time_wins_over_the_clock(store: CredentialStore) -> None:
    at = datetime(2031, 1, 1, tzinfo=timezone.utc)
    creds = store.issue(ROLE, "tester", 3600, "local-user", now=at)
    assert creds.expiration == at + timedelta(hours=1)


def test_is_expired_without_a_time_uses_the_real_clock(store: CredentialStore) -> None:
    """``IssuedCredentials.is_expired()`` with no time reads the real UTC clock: credentials that expire in
    2030 are not expired today, ones that expired in 2020 are."""
    future = store.issue(ROLE, "tester", 3600, "local-user")
    past = store.issue(ROLE, "tester", 3600, "local-user", now=datetime(2020, 1, 1, tzinfo=timezone.utc))
    assert future.is_expired() is False
    assert past.is_expired() is True


def test_is_expired_with_a_time_judges_at_that_time(store: CredentialStore, clock: Clock) -> None:
    creds = store.issue(ROLE, "tester", 3600, "local-user")
    assert store.is_expired(creds.access_key_id, now=START + timedelta(hours=2))
    assert not store.is_expired(creds.access_key_id, now=START)
    clock.now = START + timedelta(hours=2)  # the explicit time wins over the store's clock
    assert not store.is_expired(creds.access_key_id, now=START)


def test_unknown_keys_count_as_expired(store: CredentialStore) -> None:
    assert store.lookup("ASIAUNKNOWNUNKNOWN00") is None
    assert store.is_expired("ASIAUNKNOWNUNKNOWN00")


def test_lifetime_override_beats_the_requested_duration(store: CredentialStore) -> None:
    store.lifetime_override = 60
    creds = store.issue(ROLE, "tester", 3600, "local-user")
    assert creds.expiration == datetime(2030, 6, 1, 12, 1, 0, tzinfo=timezone.utc)
    store.lifetime_override = 0.25  # a sub-second knob keeps its fraction
    short = store.issue(ROLE, "tester", 3600, "local-user")
    assert short.expiration == START + timedelta(seconds=0.25)
    store.lifetime_override = 0  # zero is a lifetime, not "no override": expired at once
    instant = store.issue(ROLE, "tester", 3600, "local-user")
    assert instant.expiration == START.replace(microsecond=0)
    assert store.is_expired(instant.access_key_id)
    store.lifetime_override = None
    assert store.issue(ROLE, "tester", 3600, "local-user").expiration == datetime(
        2030, 6, 1, 13, 0, 0, tzinfo=timezone.utc
    )


def test_expire_all_expires_what_was_issued_so_far_and_nothing_later(store: CredentialStore, clock: Clock) -> None:
    old = store.issue(ROLE, "tester", 3600, "local-user", now=START - timedelta(hours=2))  # expired an hour ago
    live = store.issue(ROLE, "tester", 3600, "local-user")
    store.expire_all()
    assert store.is_expired(live.access_key_id)
    expired = store.lookup(live.access_key_id)
    assert expired is not None and expired.expiration == START
    assert (expired.access_key_id, expired.secret_access_key, expired.session_token) == (
        live.access_key_id,
        live.secret_access_key,
        live.session_token,
    )
    still = store.lookup(old.access_key_id)
    assert still is not None and still.expiration == old.expiration, "an expired credential is not moved later"
    fresh = store.issue(ROLE, "tester", 3600, "local-user")
    assert not store.is_expired(fresh.access_key_id)


def test_expire_all_at_a_given_time(store: CredentialStore) -> None:
    creds = store.issue(ROLE, "tester", 3600, "local-user")
    cutoff = START + timedelta(minutes=10)
    store.expire_all(now=cutoff)
    assert not store.is_expired(creds.access_key_id, now=cutoff - timedelta(seconds=1))
    assert store.is_expired(creds.access_key_id, now=cutoff)


@pytest.mark.parametrize("seconds", [3600, 43200])
def test_a_role_accepts_iams_max_session_duration_bounds(seconds: int) -> None:
    assert Role("r", max_session_duration=seconds).max_session_duration == seconds


@pytest.mark.parametrize("seconds", [3599, 43201])
def test_a_role_refuses_a_max_session_duration_outside_iams_bounds(seconds: int) -> None:
    with pytest.raises(ValueError, match=r"max_session_duration must be within 3600\.\.43200"):
        Role("r", max_session_duration=seconds)


def test_a_role_trusts_its_issuers_and_subjects() -> None:
    anyone = Role("r")
    assert anyone.trusts_issuer("http://127.0.0.1:1") and anyone.trusts_subject("whoever")
    role = Role("r", allowed_issuers=("http://127.0.0.1:9000/",), allowed_subjects=("svc:*", "alice"))
    assert role.trusts_issuer("http://127.0.0.1:9000") and role.trusts_issuer("http://127.0.0.1:9000/")
    assert not role.trusts_issuer("http://127.0.0.1:9001")
    assert role.trusts_subject("svc:etl") and role.trusts_subject("alice")
    assert not role.trusts_subject("alice2") and not role.trusts_subject("SVC:etl")


def test_roles_and_issued_credentials_are_immutable(store: CredentialStore) -> None:
    """STS keys its roles by ARN and the store hands the same credentials to every reader: neither can be
    changed in place (a renamed role would no longer match its key; a reader could not extend a lifetime)."""
    role = Role("athena-reader")
    with pytest.raises(dataclasses.FrozenInstanceError):
        role.name = "admin"  # type: ignore[misc]
    creds = store.issue(role, "tester", 3600, "local-user")
    with pytest.raises(dataclasses.FrozenInstanceError):
        creds.expiration = START + timedelta(days=1)  # type: ignore[misc]
    assert {role: "hashable"}[Role("athena-reader")] == "hashable"


def test_the_store_is_called_by_parameter_names(clock: Clock) -> None:
    """The clock is keyword-only (a positional argument is refused rather than taken for something else);
    ``issue`` takes its parts by name, and its issue time only by name."""
    with pytest.raises(TypeError):
        CredentialStore(clock)  # type: ignore[call-arg]
    store = CredentialStore(clock=clock)
    creds = store.issue(role=ROLE, session_name="named", duration_seconds=900, subject="local-user")
    assert (creds.session_name, creds.expiration) == ("named", datetime(2030, 6, 1, 12, 15, tzinfo=timezone.utc))
    with pytest.raises(TypeError):
        store.issue(ROLE, "named", 900, "local-user", START)  # type: ignore[call-arg]


def test_a_role_lifetime_beats_the_store_wide_override(store: CredentialStore) -> None:
    """``role_lifetimes`` (by role ARN) shortens one role's credentials, over ``lifetime_override`` too."""
    other = Role("other")
    store.role_lifetimes[ROLE.arn] = 60
    assert store.issue(ROLE, "tester", 3600, "local-user").expiration == datetime(
        2030, 6, 1, 12, 1, tzinfo=timezone.utc
    )
    assert store.issue(other, "tester", 900, "local-user").expiration == datetime(
        2030, 6, 1, 12, 15, tzinfo=timezone.utc
    )
    store.lifetime_override = 300
    assert store.issue(ROLE, "tester", 3600, "local-user").expiration == datetime(
        2030, 6, 1, 12, 1, tzinfo=timezone.utc
    )
    assert store.issue(other, "tester", 900, "local-user").expiration == datetime(
        2030, 6, 1, 12, 5, tzinfo=timezone.utc
    )
    store.role_lifetimes[ROLE.arn] = 0  # zero is a lifetime: expired at once
    assert store.is_expired(store.issue(ROLE, "tester", 3600, "local-user").access_key_id)


def test_identity_enhanced_credentials_carry_their_user(store: CredentialStore) -> None:
    plain = store.issue(ROLE, "tester", 3600, "local-user")
    enhanced = store.issue(ROLE, "tester", 3600, "local-user", identity="user-1234")
    assert (plain.identity, enhanced.identity) == (None, "user-1234")
    assert store.lookup(enhanced.access_key_id) == enhanced
