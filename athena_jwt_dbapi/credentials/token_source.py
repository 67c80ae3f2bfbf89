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
import contextvars
import json
import os
import stat
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from ..errors import CredentialsError, ParameterError
from ..redaction import Secret

MIN_TOKEN_LENGTH = 4
MAX_TOKEN_LENGTH = 20000
#: The most a token file is read: the longest token in UTF-8 (4 bytes a character) and some whitespace.
_MAX_FILE_BYTES = 4 * MAX_TOKEN_LENGTH + 64
#: How long a JwtWebIdentityTokenCallable may take when NetworkTimeoutMillis is not given (botocore's
#: default read timeout).
CALLABLE_TIMEOUT_SECONDS = 60.0
#: The standard environment variable of a web identity token file (EKS, GitHub Actions' OIDC actions).
ENVIRONMENT_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE"
#: RFC 7519 allows "a few minutes" of clock skew; we refuse a token only when it is clearly expired.
EXPIRY_LEEWAY_SECONDS = 60


class TokenSource(ABC):
    """A source of web identity tokens; ``parameter`` names it in messages."""

    parameter: str
    renewable: bool = True

    @abstractmethod
    def _read_raw(self) -> str: ...

    def identity(self, token: Secret) -> str:
        """A secret-free string for the credentials cache key: the source and the token it gave now.

        The token's hash is part of it for every source: a file or callable that hands different users'
        tokens to the same role must never share one user's credentials with another.
        """
        return f"{self._kind()}:{token.digest()}"

    @abstractmethod
    def _kind(self) -> str:
        """Which source this is (never the token)."""

    def read(self, now: datetime | None = None) -> Secret:
        """The current token, checked (length, and a JWT's ``exp``/``iat`` claims), in a masking holder."""
        raw: object = self._read_raw()
        if not isinstance(raw, str):
            raise ParameterError(f"{self.parameter} gave a {type(raw).__name__}, not a str.", parameter=self.parameter)
        secret = Secret(raw.strip())
        del raw
        check_token(secret.reveal(), self.parameter, now)
        return secret

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.parameter}>"


class LiteralTokenSource(TokenSource):
    renewable = False

    def __init__(self, token: str, parameter: str = "JwtWebIdentityToken") -> None:
        self._token = token  # a secret parameter: registered when it was resolved
        self.parameter = parameter

    def _read_raw(self) -> str:
        return self._token

    def _kind(self) -> str:
        return "literal"


class FileTokenSource(TokenSource):
    """A token file, re-read at every refresh. Only a regular file (or a link to one) is read, and at most
    one character more than the longest token STS takes: a path to ``/dev/zero`` or a FIFO must fail
    clearly, not fill the memory or wait forever."""

    def __init__(self, path: str, parameter: str = "JwtWebIdentityTokenFile") -> None:
        if "\x00" in path:
            raise ParameterError(
                f"Invalid value specified for connection property: {parameter}. A path cannot contain a NUL character.",
                parameter=parameter,
            )
        self.path = os.path.abspath(os.path.expanduser(path))
        self.parameter = parameter

    def _read_raw(self) -> str:
        try:
            # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
            descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except OSError as error:
            raise self._unreadable(error.strerror or type(error).__name__) from None
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            os.close(descriptor)
            raise self._unreadable("it is not a regular file")
        with os.fdopen(descriptor, "rb") as handle:
            try:
                raw = handle.read(_MAX_FILE_BYTES + 1)
            except OSError as error:
                raise self._unreadable(error.strerror or type(error).__name__) from None
        if len(raw) > _MAX_FILE_BYTES:
            raise self._unreadable(f"it is longer than any token ({MAX_TOKEN_LENGTH} characters at most)")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise self._unreadable("it is not UTF-8 text") from None

    def _unreadable(self, why: str) -> ParameterError:
        message = f"Cannot read the token file {self.path} ({self.parameter}): {why}."
        return ParameterError(message, parameter=self.parameter)

    def _kind(self) -> str:
        return "file:" + self.path

    def __repr__(self) -> str:
        return f"<FileTokenSource {self.parameter}={self.path}>"


class CallableTokenSource(TokenSource):
    """A callable, called at every refresh. It runs in a worker thread (with the caller's context
    variables) so that one that never returns cannot hang ``connect()`` or a refresh: after ``timeout``
    seconds (``NetworkTimeoutMillis``, else :data:`CALLABLE_TIMEOUT_SECONDS`) it is given up on."""

    def __init__(
        self,
        function: Callable[[], str],
        parameter: str = "JwtWebIdentityTokenCallable",
        *,
        timeout: float | None = None,
    ) -> None:
        self._function = function
        self.parameter = parameter
        self.timeout = timeout if timeout is not None else CALLABLE_TIMEOUT_SECONDS

    def _read_raw(self) -> str:
        outcome: list[Any] = []
        done = threading.Event()
        context = contextvars.copy_context()

        def call() -> None:
            try:
                outcome.append(context.run(self._function))
            except BaseException as error:  # handed to the caller's thread below
                outcome.append(_Raised(error))
            finally:
                done.set()

        threading.Thread(target=call, name=f"athena-jwt-dbapi {self.parameter}", daemon=True).start()
        if not done.wait(self.timeout):
            raise CredentialsError(
                f"{self.parameter} did not return a token within {self.timeout:g} s (NetworkTimeoutMillis bounds "
                "it); no token was obtained."
            )
        result = outcome[0]
        if isinstance(result, _Raised):
            if isinstance(result.error, ParameterError):
                raise result.error
            # Not chained: the callable's own message may hold a client secret.
            raise ParameterError(
                f"{self.parameter} raised {type(result.error).__name__}; no token was obtained.",
                parameter=self.parameter,
            ) from None
        return result  # type: ignore[no-any-return]

    def _kind(self) -> str:
        return "callable"


_EXPLICIT = ("JwtWebIdentityToken", "JwtWebIdentityTokenFile", "JwtWebIdentityTokenCallable")


def token_source_from(settings: Mapping[str, Any]) -> TokenSource:
    """The source the parameters name (giving two is an error), else the environment's token file."""
    given = [name for name in _EXPLICIT if settings.get(name) is not None]
    if len(given) > 1:
        raise ParameterError(f"Give only one token source; got {' and '.join(given)}.", parameter=given[1])
    if given == ["JwtWebIdentityToken"]:
        return LiteralTokenSource(settings["JwtWebIdentityToken"])
    if given == ["JwtWebIdentityTokenFile"]:
        return FileTokenSource(settings["JwtWebIdentityTokenFile"])
    if given == ["JwtWebIdentityTokenCallable"]:
        timeout = settings.get("NetworkTimeoutMillis")
        return CallableTokenSource(settings["JwtWebIdentityTokenCallable"], timeout=timeout / 1000 if timeout else None)
    path = os.environ.get(ENVIRONMENT_TOKEN_FILE)
    if not path:
        raise ParameterError(
            "Missing required connection property: JwtWebIdentityToken (or JwtWebIdentityTokenFile, "
            "JwtWebIdentityTokenCallable, or the AWS_WEB_IDENTITY_TOKEN_FILE environment variable).",
            parameter="JwtWebIdentityToken",
        )
    return FileTokenSource(path, parameter=ENVIRONMENT_TOKEN_FILE)


class _Raised:
    """What a callable raised in its worker thread (kept apart from a value it could have returned)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


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
            f"Invalid value specified for connection property: {parameter}. A web identity token has "
            f"{MIN_TOKEN_LENGTH} to {MAX_TOKEN_LENGTH} characters; this one has {len(token)}.",
            parameter=parameter,
        )
    claims = jwt_claims(token)
    if claims is None:
        return  # an opaque OAuth access token: STS decides
    for claim in ("exp", "iat", "nbf"):
        value = claims.get(claim)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ParameterError(
                f"Invalid value specified for connection property: {parameter}. The JWT's {claim!r} claim "
                "must be an integer number of seconds (STS rejects other forms).",
                parameter=parameter,
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
                f"The web identity token ({parameter}) expired at {expired_at.isoformat()} "
                f"({int(age)} seconds ago); get a fresh token.",
                parameter=parameter,
            )
