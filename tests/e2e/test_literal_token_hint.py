"""The "cannot be renewed" hint of a refused literal token belongs to expiry alone.

A literal ``JwtWebIdentityToken`` that STS refuses as invalid (not a JWT, forged, wrong audience) would
be refused just the same from a file or a callable, so telling the user to switch sources misleads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena

HINT = "cannot be renewed"


def _refusal(stack: LocalAthena, **parameters: Any) -> db.CredentialsError:
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**stack.connect_parameters(**parameters))
    return info.value


@pytest.mark.parametrize(
    "make_token",
    [
        lambda s: "opaque-token-that-is-no-jwt",
        lambda s: s.issuer.mint_forged_token(),
        lambda s: s.mint_token(audience="someone-else"),
    ],
    ids=["not-a-jwt", "forged", "wrong-audience"],
)
def test_an_invalid_literal_token_gets_no_renewal_hint(
    local_athena: LocalAthena, make_token: Callable[[LocalAthena], str]
) -> None:
    error = _refusal(local_athena, token=make_token(local_athena))
    assert error.code == "InvalidIdentityToken"
    assert HINT not in str(error)


def test_an_expired_literal_token_gets_the_renewal_hint(local_athena: LocalAthena) -> None:
    error = _refusal(local_athena, token=local_athena.mint_token(expires_in=-30))  # within the local 60 s leeway
    assert error.code == "ExpiredTokenException"
    assert HINT in str(error)
    assert "JwtWebIdentityTokenFile" in str(error)


def test_an_expired_token_from_a_file_gets_no_renewal_hint(local_athena: LocalAthena, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(local_athena.mint_token(expires_in=-30))
    error = _refusal(local_athena, JwtWebIdentityToken=None, JwtWebIdentityTokenFile=str(token_file))
    assert error.code == "ExpiredTokenException"
    assert HINT not in str(error)


@pytest.mark.parametrize("code", ["AccessDenied", "RegionDisabledException"])
def test_other_refusals_of_a_literal_token_get_no_renewal_hint(local_athena: LocalAthena, code: str) -> None:
    """Codes on either side of ExpiredTokenException: only that one code is about renewal."""
    local_athena.fail_sts(1, code)
    error = _refusal(local_athena)
    assert error.code == code
    assert HINT not in str(error)
