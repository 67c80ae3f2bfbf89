"""Where the web identity token comes from, and the checks that need no network.

Order (first that is given wins; giving two of the first three is an error):
1. ``JwtWebIdentityToken`` — a literal token; it cannot be renewed, so it stops working when it expires.
2. ``JwtWebIdentityTokenFile`` — re-read at every refresh (Kubernetes and GitHub Actions rotate it).
3. ``JwtWebIdentityTokenCallable`` — called at every refresh.
4. The environment: ``AWS_WEB_IDENTITY_TOKEN_FILE`` (re-read like 2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime, timezone

from ..errors import ParameterError
from ..redaction import register_secret

MIN_TOKEN_LENGTH = 4
MAX_TOKEN_LENGTH = 20000
#: RFC 7519 allows "a few minutes" of clock skew; we refuse a token only when it is clearly expired.
EXPIRY_LEEWAY_SECONDS = 60


class TokenSource(ABC):
    """A source of web identity tokens; ``parameter`` names it in messages."""

    parameter: str
    renewable: bool = True

    @abstractmethod
    def _read_raw(self) -> str: ...

    def identity(self, token: str) -> str:
        """A secret-free string for the credentials cache key: the source and the token it gave now.

        The token's hash is part of it for every source: a file or callable that hands different users'
        tokens to the same role must never share one user's credentials with another.
        """
        return f"{self._kind()}:{hashlib.sha256(token.encode()).hexdigest()}"

    @abstractmethod
    def _kind(self) -> str:
        """Which source this is (never the token)."""

    def read(self, now: datetime | None = None) -> str:
        """The current token, checked: length, and a JWT's ``exp``/``iat`` claims."""
        token = self._read_raw()
        if not isinstance(token, str):
            raise ParameterError(self.parameter, f"{self.parameter} gave a {type(token).__name__}, not a str.")
        token = token.strip()
        register_secret(token)
        check_token(token, self.parameter, now)
        return token

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.parameter}>"


class LiteralTokenSource(TokenSource):
    renewable = False

    def __init__(self, token: str, parameter: str = "JwtWebIdentityToken") -> None:
        register_secret(token)
        self._token = token
        self.parameter = parameter

    def _read_raw(self) -> str:
        return self._token

    def _kind(self) -> str:
        return "literal"


class FileTokenSource(TokenSource):
    def __init__(self, path: str, parameter: str = "JwtWebIdentityTokenFile") -> None:
        self.path = os.path.abspath(os.path.expanduser(path))
        self.parameter = parameter

    def _read_raw(self) -> str:
        try:
            with open(self.path, encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            raise ParameterError(
                self.parameter,
                f"Cannot read the token file {self.path} ({self.parameter}): {error.strerror}.",
            ) from None

    def _kind(self) -> str:
        return "file:" + self.path

    def __repr__(self) -> str:
        return f"<FileTokenSource {self.parameter}={self.path}>"


class CallableTokenSource(TokenSource):
    def __init__(self, function: Callable[[], str], parameter: str = "JwtWebIdentityTokenCallable") -> None:
        self._function = function
        self.parameter = parameter

    def _read_raw(self) -> str:
        try:
            return self._function()
        except ParameterError:
            raise
        except Exception as error:
            # Not chained: the callable's own message may hold a client secret.
            raise ParameterError(
                self.parameter, f"{self.parameter} raised {type(error).__name__}; no token was obtained."
            ) from None

    def _kind(self) -> str:
        return "callable"


def _b64url_json(segment: str) -> object:
    padded = segment + "=" * (-len(segment) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))


def jwt_claims(token: str) -> dict[str, object] | None:
    """The claims of a JWT-shaped token (unverified), or None for an opaque token."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header = _b64url_json(parts[0])
        claims = _b64url_json(parts[1])
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    return claims


def check_token(token: str, parameter: str, now: datetime | None = None) -> None:
    """Refuse, before any network call, what STS would certainly refuse."""
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise ParameterError(
            parameter,
            f"Invalid value specified for connection property: {parameter}. A web identity token has "
            f"{MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH} characters; this one has {len(token)}.",
        )
    claims = jwt_claims(token)
    if claims is None:
        return  # an opaque OAuth access token: STS decides
    for claim in ("exp", "iat", "nbf"):
        value = claims.get(claim)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ParameterError(
                parameter,
                f"Invalid value specified for connection property: {parameter}. The JWT's {claim!r} claim "
                "must be an integer number of seconds (STS rejects other forms).",
            )
    expires = claims.get("exp")
    if isinstance(expires, int):
        current = now or datetime.now(timezone.utc)
        try:
            expired_at = datetime.fromtimestamp(expires, timezone.utc)
        except (OverflowError, ValueError, OSError):
            return  # far outside the calendar: STS decides
        age = (current - expired_at).total_seconds()
        if age > EXPIRY_LEEWAY_SECONDS:
            raise ParameterError(
                parameter,
                f"The web identity token ({parameter}) expired at {expired_at.isoformat()} "
                f"({int(age)} seconds ago); get a fresh token.",
            )
