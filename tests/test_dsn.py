"""The JDBC URL parser."""

from __future__ import annotations

import pytest

from athena_jwt_dbapi import InterfaceError
from athena_jwt_dbapi.dsn import parse_jdbc_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("jdbc:athena://Region=us-east-1;WorkGroup=wg", {"Region": "us-east-1", "WorkGroup": "wg"}),
        ("JDBC:ATHENA://Region=us-east-1;", {"Region": "us-east-1"}),
        ("jdbc:athena://;;Region=us-east-1;;", {"Region": "us-east-1"}),
        ("jdbc:athena:// Region = us-east-1 ; Database=db", {"Region": "us-east-1", "Database": "db"}),
        ("jdbc:athena://JwtWebIdentityToken=a.b=c==", {"JwtWebIdentityToken": "a.b=c=="}),
        ("jdbc:athena://OutputLocation=", {"OutputLocation": ""}),
        (
            "jdbc:athena://athena.us-west-2.amazonaws.com:443;Region=us-west-2",
            {"AthenaEndpoint": "athena.us-west-2.amazonaws.com:443", "Region": "us-west-2"},
        ),
        ("jdbc:athena://", {}),
    ],
)
def test_parses(url: str, expected: dict[str, str]) -> None:
    assert parse_jdbc_url(url) == expected


def test_legacy_prefix_warns() -> None:
    with pytest.warns(DeprecationWarning, match="jdbc:awsathena"):
        assert parse_jdbc_url("jdbc:awsathena://Region=us-east-1") == {"Region": "us-east-1"}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgres://x", "must be a JDBC URL starting with jdbc:athena://"),
        ("jdbc:athena://Region=a;region=b", "given twice"),
        ("jdbc:athena://Region=a;=b", "no name"),
        ("jdbc:athena://Region=a;eyJsecret", "Segment 2 of the JDBC URL has no '='"),
    ],
)
def test_refuses(url: str, message: str) -> None:
    with pytest.raises(InterfaceError, match=message) as info:
        parse_jdbc_url(url)
    assert "eyJsecret" not in str(info.value)


def test_refuses_non_string() -> None:
    with pytest.raises(InterfaceError, match="must be a str"):
        parse_jdbc_url(42)  # type: ignore[arg-type]
