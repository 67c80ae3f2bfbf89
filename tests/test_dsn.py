"""The JDBC URL parser."""

from __future__ import annotations

import pytest

from athena_jwt_dbapi import InterfaceError, ParameterError, resolve_parameters
from athena_jwt_dbapi.dsn import parse_jdbc_url

from .helpers import ROLE_ARN


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


def test_a_segment_without_equals_is_counted_from_one() -> None:
    with pytest.raises(InterfaceError, match=r"^Segment 3 of the JDBC URL has no '='"):
        parse_jdbc_url("jdbc:athena://Region=a;Database=b;eyJsecret")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("jdbc:athena://Region=a;region=b", "Connection property region is given twice in the JDBC URL."),
        ("jdbc:athena://AclOption=a;ACLOPTION=b", "Connection property ACLOPTION is given twice in the JDBC URL."),
        (
            "jdbc:athena://athena.us-east-1.amazonaws.com:443;AthenaEndpoint=https://other",
            "Connection property AthenaEndpoint is given twice in the JDBC URL (the host before the first ';' "
            "counts as AthenaEndpoint).",
        ),
    ],
)
def test_a_name_given_twice_is_named(url: str, message: str) -> None:
    """Only the host form (a first segment without '=') gets the hint about AthenaEndpoint."""
    with pytest.raises(ParameterError) as info:
        parse_jdbc_url(url)
    assert str(info.value) == message
    assert info.value.parameter == message.split()[2]


SECRETS = frozenset({"jwtwebidentitytoken"})


def test_a_name_given_twice_after_a_secret_is_not_shown() -> None:
    """A secret cut at a ';' leaves its pieces as later "names": a message must not show them."""
    with pytest.raises(ParameterError, match="follows a secret parameter") as info:
        parse_jdbc_url("jdbc:athena://Region=a;JwtWebIdentityToken=abcd;pieceZq=1;pieceZq=2", SECRETS)
    assert "pieceZq" not in str(info.value)
    assert info.value.parameter == "dsn"


def test_a_name_given_twice_before_a_secret_is_named() -> None:
    with pytest.raises(ParameterError) as info:
        parse_jdbc_url("jdbc:athena://Region=a;Region=b;JwtWebIdentityToken=abcd;Database=d", SECRETS)
    assert str(info.value) == "Connection property Region is given twice in the JDBC URL."


def test_the_segments_after_a_secret_are_marked() -> None:
    parsed = parse_jdbc_url("jdbc:athena://Region=a;JwtWebIdentityToken=ab;cd=ef;Database=d", SECRETS)
    assert dict(parsed) == {"Region": "a", "JwtWebIdentityToken": "ab", "cd": "ef", "Database": "d"}
    assert parsed.after_secret == {"cd", "Database"}
    assert parse_jdbc_url("jdbc:athena://Region=a;Database=d", SECRETS).after_secret == set()


JWT = {
    "CredentialsProvider": "JWT",
    "JwtRoleArn": ROLE_ARN,
    "JwtRoleSessionName": "tests",
    "Region": "us-east-1",
}


def test_an_unknown_name_after_a_secret_in_the_url_is_not_shown() -> None:
    url = "jdbc:athena://JwtWebIdentityToken=abcd;tail-of-the-token-Zq9=rest"
    with pytest.raises(ParameterError, match="right after a secret parameter") as info:
        resolve_parameters(url, **JWT)
    assert "tail-of-the-token-Zq9" not in str(info.value)
    assert info.value.parameter == "dsn"


def test_an_unknown_name_elsewhere_in_the_url_is_named_with_a_suggestion() -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters("jdbc:athena://Regoin=us-east-1;JwtWebIdentityToken=abcd", **JWT)
    assert str(info.value) == "Unknown connection property: Regoin. Did you mean Region?"
    assert info.value.parameter == "Regoin"
