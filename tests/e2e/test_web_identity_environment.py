"""The standard web-identity environment alone configures a connection, as on EKS or GitHub Actions.

``AWS_REGION`` is what those platforms (and the JDBC driver's SDK) read, though botocore reads only
``AWS_DEFAULT_REGION``; ``AWS_ENDPOINT_URL_<SERVICE>`` reach every botocore client, but pyarrow's S3
filesystem ignores them, so the connection passes the S3 one on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi import resolve_parameters
from athena_jwt_dbapi.local import LocalAthena
from tests.helpers import ROLE_ARN, unsigned_jwt


def _planned_region(**parameters: str) -> str | None:
    return resolve_parameters(
        CredentialsProvider="JWT",
        JwtWebIdentityToken=unsigned_jwt(),
        JwtRoleArn=ROLE_ARN,
        JwtRoleSessionName="region-test",
        **parameters,
    ).region


def test_aws_region_sets_the_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert _planned_region() == "eu-west-3"


def test_aws_region_comes_after_the_parameter_and_before_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert _planned_region() == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "eu-west-3")
    assert _planned_region() == "eu-west-3"
    assert _planned_region(Region="us-west-2") == "us-west-2"


def _s3_endpoint_seen_by_pyarrow(**parameters: Any) -> str | None:
    keys = {"CredentialsProvider": "IAMCredentials", "User": "AKIAEXAMPLEEXAMPLE12", "Password": "x" * 40}
    with db.connect(
        **keys, Region="us-east-1", OutputLocation="s3://bucket/x/", ConnectionTest=False, **parameters
    ) as c:
        endpoint: str | None = c.s3_endpoint_url
    return endpoint


def _botocore_s3_endpoint() -> str:
    import boto3

    endpoint: str = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    ).meta.endpoint_url
    return endpoint


def test_the_s3_endpoint_for_pyarrow_is_botocores(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """pyarrow reads no AWS settings: it gets the endpoint botocore's own S3 client resolved, in botocore's
    order — S3Endpoint, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the config file, the regional default."""
    regional = _botocore_s3_endpoint()
    assert regional.startswith("https://s3.") and regional.endswith("amazonaws.com")
    assert _s3_endpoint_seen_by_pyarrow() == regional
    config = tmp_path / "config"
    config.write_text("[default]\nservices = local\n\n[services local]\ns3 =\n  endpoint_url = http://127.0.0.1:3\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    assert _s3_endpoint_seen_by_pyarrow() == "http://127.0.0.1:3"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert _s3_endpoint_seen_by_pyarrow() == "http://127.0.0.1:1"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:2")
    assert _s3_endpoint_seen_by_pyarrow() == "http://127.0.0.1:2"
    assert _s3_endpoint_seen_by_pyarrow(S3Endpoint="http://127.0.0.1:4") == "http://127.0.0.1:4"
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert _s3_endpoint_seen_by_pyarrow() == regional


def test_a_query_with_nothing_but_the_environment(
    local_athena: LocalAthena, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyathena.arrow.cursor import ArrowCursor

    token_file = tmp_path / "token"
    token_file.write_text(local_athena.mint_token(sub="env-only"))
    for name, value in {
        "AWS_WEB_IDENTITY_TOKEN_FILE": str(token_file),
        "AWS_ROLE_ARN": local_athena.role_arn,
        "AWS_ROLE_SESSION_NAME": "env-only",
        "AWS_REGION": local_athena.region,
        "AWS_ENDPOINT_URL_STS": local_athena.sts_endpoint,
        "AWS_ENDPOINT_URL_ATHENA": local_athena.athena_endpoint,
        "AWS_ENDPOINT_URL_S3": local_athena.s3_endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    local_athena.seed("CREATE TABLE env_only AS SELECT * FROM (VALUES (1, 'a'), (2, 'b')) AS t(n, s)")
    before = local_athena.sts.call_count
    with db.connect(CredentialsProvider="JWT", OutputLocation=local_athena.output_location) as conn:
        assert local_athena.sts.requests[before]["RoleSessionName"] == "env-only"
        with conn.cursor() as cursor:
            cursor.execute("SELECT n, s FROM env_only ORDER BY n")
            assert cursor.fetchall() == [(1, "a"), (2, "b")]
        # pyarrow reads the result file itself: it must go to AWS_ENDPOINT_URL_S3, not to AWS.
        with conn.cursor(ArrowCursor) as cursor:
            cursor.execute("SELECT n, s FROM env_only ORDER BY n")
            assert cursor.as_arrow().to_pylist() == [{"n": 1, "s": "a"}, {"n": 2, "s": "b"}]
