"""The edges where small bugs hide (issue 8): the refresh path, the credentials cache key, the
alias/canonical conflict, redaction after a refresh, and the local stack's own checks (SigV4 region,
the token's ``aud``). Each test fails for a realistic one-line bug named in its docstring."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena
from athena_jwt_dbapi.local.iam import Role

# --- refresh windows follow the lifetime granted at each refresh -----------------------------------------


def test_refresh_windows_follow_each_refresh_not_the_first() -> None:
    """Bug: the lifetime measured at the first fetch only. A 3600 s session refreshed into 900 s credentials
    would keep 900/600 s windows and refresh on every request; the 900 s credentials get 225/150 s."""
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    now = [start]
    lifetimes = iter([3600, 900, 900, 900])
    fetched: list[int] = []

    def fetch() -> dict[str, Any]:
        lifetime = next(lifetimes)
        fetched.append(lifetime)
        expiry = now[0] + timedelta(seconds=lifetime)
        return {
            "access_key": f"AKIA{len(fetched)}",
            "secret_key": "s" * 40,
            "token": "t" * 40,
            "expiry_time": expiry.isoformat(),
        }

    credentials = db.ScaledRefreshableCredentials(fetch, method="test", clock=lambda: now[0])
    now[0] = start + timedelta(seconds=3600 - 899)  # inside the 3600 s credentials' 15-minute advisory window
    assert credentials.get_frozen_credentials().access_key == "AKIA2"
    for _ in range(5):  # a request a minute: 840, 780, ... s left of 900, outside 225/150 s windows
        now[0] += timedelta(seconds=60)
        credentials.get_frozen_credentials()
    assert fetched == [3600, 900]
    now[0] += timedelta(seconds=900 - 300 - 224)  # 224 s left: inside the 900 s credentials' advisory window
    credentials.get_frozen_credentials()
    assert fetched == [3600, 900, 900]


# --- the credentials cache key ----------------------------------------------------------------------------


@pytest.fixture
def two_roles(local_athena: LocalAthena) -> tuple[str, str]:
    first = local_athena.role_arn
    second = local_athena.sts.add_role(Role("local-athena-second", max_session_duration=43200)).arn
    return first, second


def _role_of(stack: LocalAthena, connection: Any) -> str:
    access_key = connection.session.get_credentials().get_frozen_credentials().access_key
    issued = stack.credentials.lookup(access_key)
    assert issued is not None
    return str(issued.role.arn)


def test_two_roles_with_one_token_make_two_sts_calls(local_athena: LocalAthena, two_roles: tuple[str, str]) -> None:
    """Bug: the role ARN left out of the cache key: the second connection silently used the first role."""
    token = local_athena.mint_token()
    before = local_athena.sts.call_count
    roles = []
    for role in two_roles:
        with db.connect(**local_athena.connect_parameters(token, JwtRoleArn=role), ConnectionTest=False) as conn:
            roles.append(_role_of(local_athena, conn))
    assert local_athena.sts.call_count == before + 2
    assert roles == list(two_roles)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"RoleSessionDuration": 900}, {"RoleSessionDuration": 1800}),
        ({"JwtRoleSessionName": "one"}, {"JwtRoleSessionName": "two"}),
        ({"Region": "us-east-1"}, {"Region": "us-west-2"}),
    ],
    ids=["duration", "session-name", "region"],
)
def test_each_part_of_the_identity_is_in_the_cache_key(
    local_athena: LocalAthena, first: dict[str, Any], second: dict[str, Any]
) -> None:
    """Bug: a part of the identity left out of the key: two connections share credentials they should not."""
    token = local_athena.mint_token()
    before = local_athena.sts.call_count
    for overrides in (first, second, first):
        db.connect(**local_athena.connect_parameters(token, **overrides), ConnectionTest=False).close()
    assert local_athena.sts.call_count == before + 2, "the third connection shares the first one's credentials"
    assert local_athena.sts.requests[-1]["DurationSeconds"] == str(second.get("RoleSessionDuration", 3600)), (
        "the STS request carries the second connection's own settings"
    )


def test_the_sts_endpoint_is_in_the_cache_key(local_athena: LocalAthena) -> None:
    """Bug: the endpoint left out of the key: credentials from one STS served to a connection naming another."""
    token = local_athena.mint_token()
    endpoint = local_athena.sts_endpoint
    other = endpoint.replace("127.0.0.1", "localhost")
    before = local_athena.sts.call_count
    for sts in (endpoint, other, endpoint):
        db.connect(**local_athena.connect_parameters(token, StsEndpoint=sts), ConnectionTest=False).close()
    assert local_athena.sts.call_count == before + 2


def test_the_token_source_is_in_the_cache_key(local_athena: LocalAthena, tmp_path: Path) -> None:
    """Bug: the source left out of the key: a literal token and a file holding the same token would share
    credentials, and the file's refreshes (which re-read it) would serve the literal's connection."""
    token = local_athena.mint_token()
    path = tmp_path / "token"
    path.write_text(token)
    before = local_athena.sts.call_count
    db.connect(**local_athena.connect_parameters(token), ConnectionTest=False).close()
    db.connect(
        **local_athena.connect_parameters(JwtWebIdentityToken=None, JwtWebIdentityTokenFile=str(path)),
        ConnectionTest=False,
    ).close()
    assert local_athena.sts.call_count == before + 2


# --- alias and canonical name ----------------------------------------------------------------------------


def test_alias_and_canonical_values_are_compared_exactly(local_athena: LocalAthena) -> None:
    """Bug: values compared case-insensitively: S3 keys are case-sensitive, so s3://reports/Q/ and
    s3://reports/q/ are two places, and giving both is a conflict."""
    with pytest.warns(DeprecationWarning), pytest.raises(db.ParameterError, match="different values") as info:
        db.connect(
            **local_athena.connect_parameters(OutputLocation=None),
            S3OutputLocation="s3://reports/Q/",
            OutputLocation="s3://reports/q/",
        )
    assert info.value.parameter == "OutputLocation"


# --- redaction after a refresh ------------------------------------------------------------------------------


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def test_refreshed_secrets_are_redacted_everywhere(local_athena: LocalAthena, debug_log: io.StringIO) -> None:
    """Bug: the session token of a *refreshed* credential not registered as secret: botocore's DEBUG lines
    of the requests after the refresh would carry it."""
    local_athena.set_credential_lifetime(0.3)
    conn = db.connect(**local_athena.connect_parameters(), ConnectionTest=False)
    first = conn.session.get_credentials().get_frozen_credentials()
    time.sleep(0.35)  # the knob's whole lifetime: the next request refreshes
    cursor = conn.cursor()
    cursor.execute("SELECT 1")
    cursor.fetchall()
    refreshed = conn.session.get_credentials().get_frozen_credentials()
    assert refreshed.access_key != first.access_key, "the query must have run on refreshed credentials"
    cursor.execute("SELECT 2")  # requests signed with the refreshed credentials, logged at DEBUG
    # Any text a library logs, not only fields named like secrets: the README promises every secret value
    # the process has seen is masked in these loggers.
    logging.getLogger("botocore.credentials").debug("refreshed: %s / %s", refreshed.token, refreshed.secret_key)
    logged = debug_log.getvalue()
    assert "SELECT 2" in logged, "DEBUG logging must have seen the request"
    for secret in (refreshed.secret_key, refreshed.token, first.secret_key, first.token):
        assert secret not in logged
        assert secret not in repr(conn) and secret not in repr(conn.session.get_credentials())
    # Long-lived credentials next, then revoked by the server (the client still thinks them valid): the
    # refused request's error must not carry them either.
    local_athena.set_credential_lifetime(None)
    time.sleep(0.35)
    cursor.execute("SELECT 3")  # refreshes into one-hour credentials
    held = conn.session.get_credentials().get_frozen_credentials()
    local_athena.expire_credentials()
    with pytest.raises(db.Error) as info:
        cursor.execute("SELECT 4")
    for secret in (held.token, held.secret_key, refreshed.token, refreshed.secret_key):
        assert secret not in str(info.value)
    conn.close()


# --- the local stack's own checks ----------------------------------------------------------------------------


def _athena_client(stack: LocalAthena, region: str, credentials: Any) -> Any:
    return boto3.client(
        "athena",
        region_name=region,
        endpoint_url=stack.athena_endpoint,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        aws_session_token=credentials.token,
        config=Config(retries={"max_attempts": 1}),
    )


def test_local_athena_refuses_a_request_signed_for_another_region(local_athena: LocalAthena) -> None:
    """Bug: the SigV4 region not checked: a request signed for eu-west-1 accepted by a us-east-1 stack."""
    with db.connect(**local_athena.connect_parameters(), ConnectionTest=False) as conn:
        keys = conn.session.get_credentials().get_frozen_credentials()
    assert _athena_client(local_athena, local_athena.region, keys).list_work_groups()["WorkGroups"]
    with pytest.raises(ClientError) as info:
        _athena_client(local_athena, "eu-west-1", keys).list_work_groups()
    assert info.value.response["Error"]["Code"] in ("InvalidSignatureException", "IncompleteSignature")


def test_local_sts_refuses_a_token_without_aud(local_athena: LocalAthena) -> None:
    """Bug: a token with no ``aud`` claim accepted by the local STS."""
    token = local_athena.mint_token(aud=None)
    before = local_athena.sts.call_count
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**local_athena.connect_parameters(token), ConnectionTest=False)
    assert info.value.code == "InvalidIdentityToken"
    assert local_athena.sts.call_count == before + 1, "STS itself refused it"
