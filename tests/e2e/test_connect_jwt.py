"""connect() with the JWT provider against the local stack, over HTTP: the whole JWT path is real."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena, Role


def test_sts_request_carries_exactly_the_configured_values(local_athena: LocalAthena) -> None:
    token = local_athena.mint_token(sub="alice")
    before = local_athena.sts.call_count
    with db.connect(
        **local_athena.connect_parameters(token, JwtRoleSessionName="exact-values", RoleSessionDuration="1800"),
        ConnectionTest=False,
    ):
        pass
    assert local_athena.sts.call_count == before + 1
    assert local_athena.sts.requests[-1] == {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": local_athena.role_arn,
        "RoleSessionName": "exact-values",
        "WebIdentityToken": token,
        "DurationSeconds": "1800",
    }


def test_queries_are_signed_with_the_credentials_sts_issued(local_athena: LocalAthena) -> None:
    with db.connect(**local_athena.connect_parameters()) as conn:
        frozen = conn.session.get_credentials().get_frozen_credentials()
        issued = local_athena.credentials.lookup(frozen.access_key)
        assert issued is not None
        assert issued.subject == "local-user"
        assert issued.session_name == "local-session"
        with conn.cursor() as cursor:
            cursor.execute("SELECT 40 + 2 AS answer")
            assert cursor.fetchall() == [(42,)]


def test_credentials_sts_did_not_issue_are_refused(local_athena: LocalAthena) -> None:
    with pytest.raises(db.OperationalError, match="UnrecognizedClientException"):
        db.connect(
            User="AKIAIOSFODNN7EXAMPLE",
            Password="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            Region=local_athena.region,
            AthenaEndpoint=local_athena.athena_endpoint,
            OutputLocation=local_athena.output_location,
            NumRetries=0,
        )


def test_jdbc_url(local_athena: LocalAthena) -> None:
    with db.connect(local_athena.jdbc_url()) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 'from a url'")
        assert cursor.fetchone() == ("from a url",)


def test_keyword_arguments_override_the_url(local_athena: LocalAthena) -> None:
    url = local_athena.jdbc_url(JwtRoleSessionName="from-url")
    with db.connect(url, JwtRoleSessionName="from-kwargs", ConnectionTest=False):
        pass
    assert local_athena.sts.requests[-1]["RoleSessionName"] == "from-kwargs"


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda s: s.issuer.mint_forged_token(), "InvalidIdentityToken"),
        (lambda s: s.mint_token(audience="someone-else"), "InvalidIdentityToken"),
        (lambda s: s.mint_token(expires_in=-30), "ExpiredTokenException"),  # within our 60 s leeway: STS decides
        (lambda s: "opaque-token-that-is-no-jwt", "InvalidIdentityToken"),
    ],
    ids=["forged", "wrong-audience", "just-expired", "opaque"],
)
def test_rejected_token_fails_at_connect(local_athena: LocalAthena, make_token: Any, code: str) -> None:
    token = make_token(local_athena)
    with pytest.raises(db.OperationalError) as info:
        db.connect(**local_athena.connect_parameters(token))
    error = info.value
    assert isinstance(error, db.CredentialsError)
    assert error.code == code
    assert error.role_arn == local_athena.role_arn
    assert code in str(error)
    assert local_athena.role_arn in str(error)
    assert token not in str(error)
    assert token not in repr(error.args)


def test_untrusted_subject_is_access_denied(local_athena: LocalAthena) -> None:
    role = local_athena.sts.add_role(Role("only-bob", allowed_subjects=("bob",)))
    with pytest.raises(db.CredentialsError, match="AccessDenied") as info:
        db.connect(**local_athena.connect_parameters(local_athena.mint_token(sub="mallory"), JwtRoleArn=role.arn))
    assert info.value.code == "AccessDenied"
    with db.connect(**local_athena.connect_parameters(local_athena.mint_token(sub="bob"), JwtRoleArn=role.arn)):
        pass


def test_duration_over_the_roles_maximum(local_athena: LocalAthena) -> None:
    role = local_athena.sts.add_role(Role("one-hour", max_session_duration=3600))
    with pytest.raises(db.CredentialsError, match=r"ValidationError.*MaxSessionDuration"):
        db.connect(**local_athena.connect_parameters(JwtRoleArn=role.arn, RoleSessionDuration=7200))


def test_clearly_expired_jwt_is_refused_before_any_network_call(local_athena: LocalAthena) -> None:
    token = local_athena.mint_token(expires_in=-3600)
    before = local_athena.sts.call_count
    with pytest.raises(db.ParameterError, match="expired at"):
        db.connect(**local_athena.connect_parameters(token))
    assert local_athena.sts.call_count == before


@pytest.mark.parametrize(
    "bad",
    [
        {"JwtRoleArn": "arn:aws:iam::12:role/x"},
        {"JwtRoleSessionName": "no spaces allowed"},
        {"RoleSessionDuration": "600"},
        {"OutputLocation": "bucket/prefix"},
        {"JwtRoleArnn": "typo"},
    ],
)
def test_bad_parameters_fail_before_any_network_call(local_athena: LocalAthena, bad: dict[str, str]) -> None:
    before = local_athena.sts.call_count
    with pytest.raises(db.InterfaceError):
        db.connect(**local_athena.connect_parameters(**bad))
    assert local_athena.sts.call_count == before


def test_ten_connections_make_one_sts_call(local_athena: LocalAthena) -> None:
    parameters = local_athena.connect_parameters()
    before = local_athena.sts.call_count
    connections = [db.connect(**parameters, ConnectionTest=False) for _ in range(10)]
    assert local_athena.sts.call_count == before + 1
    for conn in connections:
        conn.close()


def test_concurrent_connections_of_one_identity_make_one_sts_call(local_athena: LocalAthena) -> None:
    parameters = local_athena.connect_parameters()
    before = local_athena.sts.call_count
    results: list[Any] = []

    def work() -> None:
        with db.connect(**parameters) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            results.append(cursor.fetchall())

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [[(1,)]] * 8
    assert local_athena.sts.call_count == before + 1


def test_different_identities_do_not_share_credentials(local_athena: LocalAthena) -> None:
    before = local_athena.sts.call_count
    token = local_athena.mint_token()
    with db.connect(**local_athena.connect_parameters(token, JwtRoleSessionName="one"), ConnectionTest=False):
        pass
    with db.connect(**local_athena.connect_parameters(token, JwtRoleSessionName="two"), ConnectionTest=False):
        pass
    assert local_athena.sts.call_count == before + 2


def test_credentials_that_expire_during_a_running_query_are_renewed(local_athena: LocalAthena) -> None:
    local_athena.set_credential_lifetime(0.4)  # the stack's knob: no test waits for real credentials to age
    conn = db.connect(**local_athena.connect_parameters(), MinQueryExecutionPollingIntervalMillis=50)
    first = conn.session.get_credentials().get_frozen_credentials().access_key
    first_expiry = local_athena.credentials.lookup(first).expiration  # type: ignore[union-attr]
    before = local_athena.sts.call_count
    local_athena.set_query_delay(0.8)  # the query outlives the credentials it started with
    with conn.cursor() as cursor:
        cursor.execute("SELECT 'still here'")
        assert cursor.fetchall() == [("still here",)]
        finished = local_athena.athena.execution(cursor.query_id).completed
    assert finished is not None and finished > first_expiry
    assert local_athena.sts.call_count >= before + 1
    assert conn.session.get_credentials().get_frozen_credentials().access_key != first
    conn.close()


def test_renewal_rereads_a_token_file(local_athena: LocalAthena, tmp_path: Path) -> None:
    path = tmp_path / "token"
    first = local_athena.mint_token(sub="rotating")
    path.write_text(first)
    local_athena.set_credential_lifetime(0.3)
    parameters = local_athena.connect_parameters(JwtWebIdentityToken=None, JwtWebIdentityTokenFile=str(path))
    with db.connect(**parameters, ConnectionTest=False) as conn, conn.cursor() as cursor:
        second = local_athena.mint_token(sub="rotating")
        path.write_text(second)  # the kubelet rotated the file
        time.sleep(0.35)  # the credentials' whole (knob-shortened) lifetime: the next request must renew them
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]
    assert local_athena.sts.requests[-1]["WebIdentityToken"] == second
    assert any(r["WebIdentityToken"] == first for r in local_athena.sts.requests)


def test_token_callable_is_called_at_every_refresh(local_athena: LocalAthena) -> None:
    calls: list[str] = []

    def token() -> str:
        calls.append("called")
        return local_athena.mint_token(sub="callable")

    local_athena.set_credential_lifetime(0.3)
    parameters = local_athena.connect_parameters(JwtWebIdentityToken=None, JwtWebIdentityTokenCallable=token)
    with db.connect(**parameters, ConnectionTest=False) as conn, conn.cursor() as cursor:
        time.sleep(0.35)
        cursor.execute("SELECT 1")
        cursor.fetchall()
    assert len(calls) >= 2


def test_environment_token_file(local_athena: LocalAthena, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "web-identity-token"
    path.write_text(local_athena.mint_token(sub="pod"))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(path))
    monkeypatch.setenv("AWS_ROLE_ARN", local_athena.role_arn)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "from-env")
    parameters = local_athena.connect_parameters(JwtWebIdentityToken=None, JwtRoleArn=None, JwtRoleSessionName=None)
    with db.connect(**parameters) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1")
    assert local_athena.sts.requests[-1]["RoleSessionName"] == "from-env"


def test_sts_communication_errors_are_retried(local_athena: LocalAthena) -> None:
    local_athena.fail_sts(2)
    before = local_athena.sts.call_count
    with db.connect(**local_athena.connect_parameters(), ConnectionTest=False):
        pass
    assert local_athena.sts.call_count == before + 3, "two IDPCommunicationError answers, then the credentials"


def test_sts_failures_beyond_the_retries_fail_at_connect(local_athena: LocalAthena) -> None:
    local_athena.fail_sts(10)
    with pytest.raises(db.CredentialsError, match="IDPCommunicationError") as info:
        db.connect(**local_athena.connect_parameters(), NumRetries=1)
    assert info.value.code == "IDPCommunicationError"


def test_stopped_sts_fails_at_connect(local_athena: LocalAthena) -> None:
    local_athena.set_service_down("sts")
    with pytest.raises(db.CredentialsError, match="local-athena-analyst"):
        db.connect(**local_athena.connect_parameters(), NumRetries=0)


def test_unreachable_sts_fails_at_connect(local_athena: LocalAthena) -> None:
    import socket

    # A bound socket that never listens: connections to it are refused, and no other process can take the
    # port while the test runs (closing it first would leave a window for one).
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        port = refusing.getsockname()[1]
        failed = r"^STS AssumeRoleWithWebIdentity into role \S+ failed: Could not connect"
        with pytest.raises(db.CredentialsError, match=failed) as info:
            db.connect(**local_athena.connect_parameters(StsEndpoint=f"http://127.0.0.1:{port}"), NumRetries=0)
    assert info.value.code == "EndpointConnectionError"


def test_no_secret_in_any_log_at_debug(local_athena: LocalAthena, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("botocore", "boto3", "urllib3", "pyathena", "athena_jwt_dbapi", "s3fs", "fsspec"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    token = local_athena.mint_token(sub="logged")
    try:
        with db.connect(**local_athena.connect_parameters(token)) as conn:
            from pyathena.pandas.cursor import PandasCursor

            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchall()
            conn.cursor(PandasCursor).execute("SELECT 2 AS x").as_pandas()
            frozen = conn.session.get_credentials().get_frozen_credentials()
        with pytest.raises(db.CredentialsError):
            db.connect(**local_athena.connect_parameters(local_athena.issuer.mint_forged_token()))
    finally:
        for name in ("botocore", "boto3", "urllib3", "pyathena", "athena_jwt_dbapi", "s3fs", "fsspec"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    text = "\n".join(record.getMessage() + (record.exc_text or "") for record in caplog.records) + caplog.text
    assert len(caplog.records) > 50  # botocore really logged the requests
    assert "AssumeRoleWithWebIdentity" in text
    secrets = [token, frozen.secret_key, frozen.token]
    secrets += [c.secret_access_key for c in local_athena.credentials.all()]
    secrets += [c.session_token for c in local_athena.credentials.all()]
    for secret in secrets:
        assert secret not in text


def test_a_callable_serving_several_users_never_shares_their_credentials(local_athena: LocalAthena) -> None:
    import contextvars

    user: contextvars.ContextVar[str] = contextvars.ContextVar("user")
    tokens = {name: local_athena.mint_token(sub=name) for name in ("alice", "bob")}

    def token_for_current_user() -> str:
        return tokens[user.get()]

    parameters = local_athena.connect_parameters(
        JwtWebIdentityToken=None, JwtWebIdentityTokenCallable=token_for_current_user, ConnectionTest=False
    )
    keys = {}
    for name in ("alice", "bob"):
        user.set(name)
        with db.connect(**parameters) as conn:
            access_key = conn.session.get_credentials().get_frozen_credentials().access_key
            keys[name] = local_athena.credentials.lookup(access_key).subject  # type: ignore[union-attr]
    assert keys == {"alice": "alice", "bob": "bob"}


def test_environment_without_session_name_still_shares_credentials(
    local_athena: LocalAthena, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "token"
    path.write_text(local_athena.mint_token(sub="pod"))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(path))
    monkeypatch.setenv("AWS_ROLE_ARN", local_athena.role_arn)
    parameters = local_athena.connect_parameters(
        JwtWebIdentityToken=None, JwtRoleArn=None, JwtRoleSessionName=None, ConnectionTest=False
    )
    before = local_athena.sts.call_count
    with db.connect(**parameters):
        pass
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 120)  # two minutes later, by the clock
    with db.connect(**parameters):
        pass
    assert local_athena.sts.call_count == before + 1
    assert local_athena.sts.requests[-1]["RoleSessionName"].startswith("athena-jwt-dbapi-")
