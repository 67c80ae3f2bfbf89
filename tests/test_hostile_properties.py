"""Property tests of hostile input (issue 10): whatever a user passes — keyword parameters, JDBC URLs,
SQLAlchemy URLs, token values, token files, query parameters — only the module's error classes come out,
no secret appears in any message or warning, and nothing touches the network before local validation.

The network is a tripwire here: the first socket connection raises :class:`NetworkTouched` (a
``BaseException``, which no library code catches), so a run either fails with the module's error before
any connection, or reaches the network; in the second case the same input must pass the local checks.
"""

from __future__ import annotations

import socket
import string
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import athena_jwt_dbapi as db
from athena_jwt_dbapi import resolve_parameters
from athena_jwt_dbapi.credentials import BUILT_IN_PROVIDERS
from athena_jwt_dbapi.parameters import COMMON_PARAMETERS

from .helpers import ROLE_ARN, unsigned_jwt

#: A value that is secret wherever it is put; it must never come back in a message or a warning.
SECRET = "s3cr3t-" + "Q" * 24
SECRET_NAMES = sorted(
    {n for p in COMMON_PARAMETERS if p.secret for n in p.names()}
    | {n for provider in BUILT_IN_PROVIDERS for p in provider.parameters if p.secret for n in p.names()}
)
KNOWN_NAMES = sorted(
    {n for p in COMMON_PARAMETERS for n in p.names()}
    | {n for provider in BUILT_IN_PROVIDERS for p in provider.parameters for n in p.names()}
)
BASE = {
    "CredentialsProvider": "JWT",
    "JwtRoleArn": ROLE_ARN,
    "JwtRoleSessionName": "props",
    "Region": "us-east-1",
    "OutputLocation": "s3://bucket/results/",
    "NumRetries": 0,
}
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.sampled_from(["", "true", "0", "900", "s3://bucket/x/", "127.0.0.1:1", "http://[::1]:80", "a;b", "x\r\ny"]),
)
FORBIDDEN_OUTCOMES = (KeyError, ValueError, TypeError, AttributeError, UnicodeError, OSError, RecursionError)


class NetworkTouched(BaseException):
    """Raised by the tripwire at the first socket connection."""


@pytest.fixture(autouse=True)
def tripwire(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*_: Any, **__: Any) -> Any:
        raise NetworkTouched

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    yield


def outcome(call: Any) -> tuple[BaseException | None, list[str]]:
    """What ``call`` raised (None: it returned) and the text of every warning it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            call()
        except (db.Error, NetworkTouched) as error:
            return error, [str(w.message) for w in caught]
    return None, [str(w.message) for w in caught]


def locally_accepted(**kwargs: Any) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            resolve_parameters(**kwargs)
        except db.ParameterError:
            return False
    return True


def check(call: Any, secret: str = SECRET, **kwargs: Any) -> BaseException | None:
    error, texts = outcome(call)
    assert not isinstance(error, FORBIDDEN_OUTCOMES)
    for text in [str(error or ""), *texts]:
        assert secret not in text, f"a secret in a message: {text!r}"
    if isinstance(error, NetworkTouched) and kwargs:
        assert locally_accepted(**kwargs), "the network was touched before local validation refused the input"
    return error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(KNOWN_NAMES), values, max_size=6),
    st.sampled_from(SECRET_NAMES),
)
def test_keyword_parameters(extra: dict[str, Any], secret_name: str) -> None:
    kwargs = {**BASE, "JwtWebIdentityToken": unsigned_jwt(), **extra, secret_name: SECRET}
    kwargs = {k: v for k, v in kwargs.items() if k.lower() not in {"numretries", "maxerrorretry"}} | {"NumRetries": 0}
    check(lambda: db.connect(**kwargs), **kwargs)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=120), st.sampled_from(SECRET_NAMES))
def test_jdbc_urls_with_a_secret_in_them(tail: str, secret_name: str) -> None:
    """A secret with a ';' in it is cut there by the URL form: no piece of it may reach a message."""
    piece = "PieceOfTheSecret"
    url = f"jdbc:athena://CredentialsProvider=JWT;Region=us-east-1;{secret_name}={SECRET};{piece}{tail}"
    error = check(lambda: db.connect(url, NumRetries=0), secret=piece)
    assert error is not None
    check(lambda: db.connect(url, NumRetries=0))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_token_values(token: str) -> None:
    kwargs = {**BASE, "JwtWebIdentityToken": token}
    error = check(lambda: db.connect(**kwargs), secret=token if len(token) >= 8 else SECRET, **kwargs)
    assert error is not None


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_token_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "token"
    path.write_bytes(content)
    kwargs = {**BASE, "JwtWebIdentityTokenFile": str(path)}
    text = content.decode("utf-8", "replace").strip()
    error = check(lambda: db.connect(**kwargs), secret=text if len(text) >= 8 else SECRET, **kwargs)
    assert error is not None


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["awsathena+jwt", "awsathena+jwt"]),
    st.text(alphabet=string.ascii_letters + string.digits + ".-:[]_%@/", max_size=40),
    st.dictionaries(st.sampled_from(KNOWN_NAMES), st.text(alphabet=string.printable, max_size=20), max_size=4),
)
def test_sqlalchemy_urls(scheme: str, host: str, query: dict[str, str]) -> None:
    from sqlalchemy import create_engine, exc
    from sqlalchemy.engine.url import URL

    url = URL.create(scheme, host=host or None, query={**query, "JwtWebIdentityToken": SECRET, "NumRetries": "0"})

    def connect() -> None:
        engine = create_engine(url, pool_pre_ping=False)
        try:
            engine.connect().close()
        except exc.DBAPIError as error:  # SQLAlchemy wraps the driver's error; it must be the module's
            assert isinstance(error.orig, db.Error), repr(error.orig)
            raise error.orig from None
        finally:
            engine.dispose()

    check(connect)
