"""The SDK-backed providers against the local stack: their secrets stay out of logs, their failures are PEP 249."""

from __future__ import annotations

import logging
import os
import socket
from pathlib import Path

import botocore
import pytest
from botocore.config import Config

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena

LOGGERS = ("botocore", "boto3", "urllib3", "pyathena", "athena_jwt_dbapi")


def issued_keys(stack: LocalAthena) -> dict[str, str]:
    import boto3

    sts = boto3.client(
        "sts",
        endpoint_url=stack.sts_endpoint,
        region_name=stack.region,
        config=Config(signature_version=botocore.UNSIGNED),
    )
    credentials = sts.assume_role_with_web_identity(
        RoleArn=stack.role_arn, RoleSessionName="sdk-chain", WebIdentityToken=stack.mint_token()
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
        "AWS_SESSION_TOKEN": credentials["SessionToken"],
    }


def test_default_chain_secrets_stay_out_of_debug_logs(
    local_athena: LocalAthena, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    keys = issued_keys(local_athena)
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        parameters = {
            k: v
            for k, v in local_athena.connect_parameters().items()
            if not k.startswith("Jwt") and k not in ("CredentialsProvider", "StsEndpoint")
        }
        with db.connect(**parameters, CredentialsProvider="DefaultChain") as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchall() == [(1,)]
    finally:
        for name in LOGGERS:
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert "X-Amz-Security-Token" in caplog.text  # botocore did log the signed headers
    assert keys["AWS_SESSION_TOKEN"] not in caplog.text
    assert keys["AWS_SECRET_ACCESS_KEY"] not in caplog.text


def test_profile_whose_assume_role_fails_is_a_credentials_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text(
        "[profile base]\naws_access_key_id = AKIABASEEXAMPLE1234\naws_secret_access_key = base-secret-example\n"
        "[profile analyst]\nrole_arn = arn:aws:iam::123456789012:role/analyst\nsource_profile = base\n"
        "region = us-east-1\n"
    )
    # STS is a bound socket that never listens: refused, and the port stays ours for the whole test.
    with socket.socket() as refusing:
        refusing.bind(("127.0.0.1", 0))
        monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{refusing.getsockname()[1]}")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        with pytest.raises(
            db.CredentialsError, match="ProfileCredentials credentials provider could not get credentials"
        ):
            db.connect(
                CredentialsProvider="ProfileCredentials",
                ProfileName="analyst",
                Region="us-east-1",
                OutputLocation="s3://bucket/x/",
            )


def _default_chain_parameters(stack: LocalAthena) -> dict[str, str]:
    return {
        k: v
        for k, v in stack.connect_parameters().items()
        if not k.startswith("Jwt") and k not in ("CredentialsProvider", "StsEndpoint")
    } | {"CredentialsProvider": "DefaultChain"}


def test_default_chain_connections_share_a_session_and_one_connection_test(
    local_athena: LocalAthena, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain's credentials are kept per configuration like every identity's: three connections, one
    ConnectionTest; a changed AWS environment (other keys) resolves anew."""
    for name, value in issued_keys(local_athena).items():
        monkeypatch.setenv(name, value)
    parameters = _default_chain_parameters(local_athena)
    started = lambda: local_athena.athena.calls.count("StartQueryExecution")  # noqa: E731
    before = started()
    sessions = set()
    for _ in range(3):
        with db.connect(**parameters) as conn:
            sessions.add(id(conn.session))
    assert started() == before + 1 and len(sessions) == 1
    for name, value in issued_keys(local_athena).items():
        monkeypatch.setenv(name, value)
    with db.connect(**parameters) as conn:
        keys = conn.session.get_credentials().get_frozen_credentials()
    assert keys.access_key == os.environ["AWS_ACCESS_KEY_ID"] and started() == before + 2


def test_a_missing_aws_profile_is_a_parameter_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(db.ParameterError, match=r"AWS_PROFILE .*no-such-profile") as info:
        db.resolve_parameters(
            CredentialsProvider="IAMCredentials",
            User="AKIAEXAMPLEEXAMPLE12",
            Password="x" * 40,
            OutputLocation="s3://bucket/",
        )
    assert info.value.parameter == "Region"
