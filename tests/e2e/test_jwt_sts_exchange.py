"""The JWT provider's exchange with STS over HTTP (the local stack): which refusals re-read a renewable
token source and call STS once more, what a refusal says, and which token serves the first call. STS's
own call count and request log are the oracle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena


class Tokens:
    """A token callable that mints a new token (a new ``jti``) at each call, and counts the calls."""

    def __init__(self, stack: LocalAthena) -> None:
        self.stack = stack
        self.minted: list[str] = []

    def __call__(self) -> str:
        self.minted.append(self.stack.mint_token(sub="rotating"))
        return self.minted[-1]


def connect_with(stack: LocalAthena, **source: Any) -> db.Connection:
    parameters = stack.connect_parameters(JwtWebIdentityToken=None, **source)
    return db.connect(**parameters, ConnectionTest=False)


def sent_tokens(stack: LocalAthena, since: int) -> list[str]:
    return [request["WebIdentityToken"] for request in stack.sts.requests[since:]]


@pytest.mark.parametrize("code", ["InvalidIdentityToken", "ExpiredTokenException"])
def test_a_token_error_re_reads_a_renewable_source_once(local_athena: LocalAthena, code: str) -> None:
    tokens = Tokens(local_athena)
    before = len(local_athena.sts.requests)
    local_athena.fail_sts(1, code)
    connect_with(local_athena, JwtWebIdentityTokenCallable=tokens).close()
    assert sent_tokens(local_athena, before) == tokens.minted and len(tokens.minted) == 2


def test_a_token_error_is_final_when_the_source_gives_the_same_token(local_athena: LocalAthena, tmp_path: Path) -> None:
    path = tmp_path / "token"
    token = local_athena.mint_token()
    path.write_text(token)
    before = len(local_athena.sts.requests)
    local_athena.fail_sts(1, "InvalidIdentityToken")
    with pytest.raises(db.CredentialsError) as info:
        connect_with(local_athena, JwtWebIdentityTokenFile=str(path))
    assert info.value.code == "InvalidIdentityToken"
    assert sent_tokens(local_athena, before) == [token], "the file still held the refused token: no second call"


def test_a_literal_token_is_never_re_sent(local_athena: LocalAthena) -> None:
    before = len(local_athena.sts.requests)
    local_athena.fail_sts(1, "InvalidIdentityToken")
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**local_athena.connect_parameters(), ConnectionTest=False)
    assert info.value.code == "InvalidIdentityToken"
    assert len(local_athena.sts.requests) == before + 1


@pytest.mark.parametrize("code", ["AccessDenied", "IDPRejectedClaim", "RegionDisabledException"])
def test_other_refusals_do_not_re_read_the_source(local_athena: LocalAthena, code: str) -> None:
    tokens = Tokens(local_athena)
    before = len(local_athena.sts.requests)
    local_athena.fail_sts(1, code)
    with pytest.raises(db.CredentialsError) as info:
        connect_with(local_athena, JwtWebIdentityTokenCallable=tokens)
    assert info.value.code == code
    assert len(tokens.minted) == 1 and sent_tokens(local_athena, before) == tokens.minted


def test_what_a_refusal_says(local_athena: LocalAthena) -> None:
    token = local_athena.mint_token(audience="another-client")
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**local_athena.connect_parameters(token), ConnectionTest=False)
    assert str(info.value) == (
        f"STS AssumeRoleWithWebIdentity into role {local_athena.role_arn} was refused: InvalidIdentityToken: "
        "Incorrect token audience"
    )
    assert (info.value.code, info.value.role_arn) == ("InvalidIdentityToken", local_athena.role_arn)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_an_expired_token_from_a_renewable_source_gets_no_literal_hint(local_athena: LocalAthena) -> None:
    local_athena.fail_sts(2, "ExpiredTokenException")
    with pytest.raises(db.CredentialsError) as info:
        connect_with(local_athena, JwtWebIdentityTokenCallable=Tokens(local_athena))
    assert str(info.value) == (
        f"STS AssumeRoleWithWebIdentity into role {local_athena.role_arn} was refused: ExpiredTokenException: "
        "Token expired: current date/time is later than the token's exp claim"
    )


def test_a_throttled_sts_is_reported_with_its_code(local_athena: LocalAthena) -> None:
    local_athena.fail_sts(10, "Throttling")
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**local_athena.connect_parameters(), ConnectionTest=False, NumRetries=0)
    assert info.value.code == "Throttling"
    assert str(info.value).endswith(": Throttling: Rate exceeded")


def test_the_token_read_at_connect_serves_the_first_sts_call(local_athena: LocalAthena) -> None:
    """Each connect reads the source once: the cache key and the first STS call share that token (refreshes,
    which read anew, are in test_connect_jwt.py)."""
    tokens = Tokens(local_athena)
    before = len(local_athena.sts.requests)
    connect_with(local_athena, JwtWebIdentityTokenCallable=tokens).close()
    assert len(tokens.minted) == 1 and sent_tokens(local_athena, before) == tokens.minted
    connect_with(local_athena, JwtWebIdentityTokenCallable=tokens).close()
    assert len(tokens.minted) == 2 and sent_tokens(local_athena, before) == tokens.minted, "a new token: a new key"
