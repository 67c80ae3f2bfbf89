"""STS AssumeRoleWithWebIdentity for one role and one session: the whole of ``JWT``, the first step of ``JWT_TIP``.

Both providers take the token from the same sources (:mod:`.token_source`), name the session the same way and
declare the same parameters for them, so those live here rather than in either provider.

The STS client is unsigned (the call needs no AWS credentials, and must never be signed with the credentials
it is refreshing), regional, and retries IDPCommunicationError, throttling and 5xx with botocore's standard
retry mode.
"""

from __future__ import annotations

import os
import threading
import time
from abc import abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .. import aws
from ..errors import ParameterError
from ..parameters.spec import CALLABLE, Alias, Parameter, all_of, length, pattern
from ..redaction import Secret
from . import aws_errors, cache
from .base import CredentialsProvider
from .token_source import ENVIRONMENT_TOKEN_FILE, TokenSource, token_source_from

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.credentials import Credentials

    from .base import ProviderContext
    from .refreshing import Metadata

ROLE_ARN = all_of(
    length(20, 2048),
    pattern(
        r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}",
        "an IAM role ARN such as arn:aws:iam::123456789012:role/name",
    ),
)
SESSION_NAME = pattern(r"[\w+=,.@-]{2,64}", "2 to 64 characters of letters, digits and _+=,.@-")
#: botocore's default for a missing AWS_ROLE_SESSION_NAME, made once per process so that connections
#: of one process share their credentials (the name is part of the cache key).
PROCESS_SESSION_NAME = f"athena-jwt-dbapi-{int(time.time())}"
#: Errors worth one re-read of a renewable token source (a rotated file may hold a fresh token).
_TOKEN_ERRORS = frozenset({"InvalidIdentityToken", "ExpiredTokenException"})

#: The token sources (one of them, or the environment's token file), the session name and the duration, as the
#: JWT provider declares them; JWT_TIP declares the same ones (``dataclasses.replace`` for its own wording).
TOKEN_PARAMETERS = (
    Parameter(
        "JwtWebIdentityToken",
        str,
        "The JWT (or opaque OAuth token) to exchange.",
        secret=True,
        aliases=(Alias("web_identity_token"),),
        validator=length(4, 20000),
        group="JWT",
        required_note="one token source",
        applied="STS WebIdentityToken",
    ),
    Parameter(
        "JwtWebIdentityTokenFile",
        str,
        "File holding the token, re-read at every refresh (extension).",
        validator=length(1, 4096),
        group="JWT",
        extension=True,
        required_note="one token source",
        applied="STS WebIdentityToken, re-read at every refresh",
    ),
    Parameter(
        "JwtWebIdentityTokenCallable",
        object,
        "A Python callable returning the token, called at every refresh (extension).",
        validator=CALLABLE,
        group="JWT",
        extension=True,
        required_note="one token source",
        applied="STS WebIdentityToken, called at every refresh",
    ),
)
SESSION_NAME_PARAMETER = Parameter(
    "JwtRoleSessionName",
    str,
    "Name of the role session (shows in CloudTrail).",
    aliases=(Alias("role_session_name"),),
    validator=SESSION_NAME,
    group="JWT",
    required_note="yes, or AWS_ROLE_SESSION_NAME",
    applied="STS RoleSessionName",
)
DURATION_PARAMETER = Parameter(
    "RoleSessionDuration",
    int,
    "Lifetime of each set of credentials, in seconds.",
    default=3600,
    aliases=(Alias("Duration"), Alias("duration_seconds", deprecated=False)),
    minimum=900,
    maximum=43200,
    group="JWT",
    applied="STS DurationSeconds",
)


def from_environment(source: TokenSource) -> bool:
    """Whether the token comes from ``AWS_WEB_IDENTITY_TOKEN_FILE`` (then the other ``AWS_*`` variables apply)."""
    return source.parameter == ENVIRONMENT_TOKEN_FILE


def session_name_from(settings: Mapping[str, Any], source: TokenSource) -> str:
    """``JwtRoleSessionName``; with the environment's token file, ``AWS_ROLE_SESSION_NAME`` or botocore's default."""
    session_name = settings.get("JwtRoleSessionName")
    if not session_name and from_environment(source):
        session_name = os.environ.get("AWS_ROLE_SESSION_NAME") or PROCESS_SESSION_NAME
    if not session_name:
        raise ParameterError(
            "Missing required connection property: JwtRoleSessionName.", parameter="JwtRoleSessionName"
        )
    problem = SESSION_NAME(session_name)
    if problem:
        raise ParameterError(
            f"Invalid value of AWS_ROLE_SESSION_NAME (used for JwtRoleSessionName). {problem}",
            parameter="JwtRoleSessionName",
        )
    result: str = session_name
    return result


class WebIdentityExchange:
    """AssumeRoleWithWebIdentity into ``role_arn``, with one re-read of a renewable token source on a token error.

    The client is built at the first call, not before (building one costs tens of milliseconds).
    """

    def __init__(
        self,
        role_arn: str,
        session_name: str,
        duration: int,
        token_source: TokenSource,
        context: ProviderContext,
    ) -> None:
        self.role_arn = role_arn
        self.session_name = session_name
        self.duration = duration
        self.token_source = token_source
        self.region = context.region
        self.endpoint = context.endpoint_url("sts")
        self._config = context.client_config("sts")
        self._client: BaseClient | None = None
        self._client_lock = threading.Lock()

    def client(self) -> BaseClient:
        with self._client_lock:
            if self._client is None:
                self._client = aws.unsigned_client("sts", self.region, self.endpoint, self._config)
            return self._client

    def _call(self, token: Secret) -> dict[str, Any]:
        client: Any = self.client()
        response: dict[str, Any] = client.assume_role_with_web_identity(
            RoleArn=self.role_arn,
            RoleSessionName=self.session_name,
            WebIdentityToken=token.reveal(),
            DurationSeconds=self.duration,
        )
        return response

    def assume(self, token: Secret | None = None) -> tuple[Metadata, Secret]:
        """The credentials STS issued, and the token that got them (a renewable source may have been re-read).

        ``token`` is a token just read from the source; without it the source is read now.
        """
        from botocore.exceptions import ClientError

        def hint(code: str) -> str:  # only expiry needs renewal
            renewable = self.token_source.renewable
            return " " + LITERAL_TOKEN_HINT if code == "ExpiredTokenException" and not renewable else ""

        token = token if token is not None else self.token_source.read()
        with aws_errors.reported(f"STS AssumeRoleWithWebIdentity into role {self.role_arn}", self.role_arn, hint=hint):
            try:
                response = self._call(token)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in _TOKEN_ERRORS or not self.token_source.renewable:
                    raise
                fresh = self.token_source.read()
                if fresh == token:
                    raise
                token = fresh
                response = self._call(token)
        return credentials_metadata(response["Credentials"]), token

    def __repr__(self) -> str:
        return f"<WebIdentityExchange role_arn={self.role_arn!r} session_name={self.session_name!r}>"


#: Said whenever a literal token has run out: expired, or already exchanged once.
LITERAL_TOKEN_HINT = (
    "A literal JwtWebIdentityToken cannot be renewed; use JwtWebIdentityTokenFile or "
    "JwtWebIdentityTokenCallable for long-running work."
)


def credentials_metadata(credentials: Mapping[str, Any]) -> Metadata:
    """An STS ``Credentials`` structure in the shape botocore's refreshable credentials expect."""
    return {
        "access_key": credentials["AccessKeyId"],
        "secret_key": credentials["SecretAccessKey"],
        "token": credentials["SessionToken"],
        "expiry_time": credentials["Expiration"].isoformat(),
    }


__all__ = [
    "DURATION_PARAMETER",
    "LITERAL_TOKEN_HINT",
    "ROLE_ARN",
    "SESSION_NAME",
    "SESSION_NAME_PARAMETER",
    "TOKEN_PARAMETERS",
    "WebIdentityExchange",
    "credentials_metadata",
    "session_name_from",
    "token_source_from",
]


class WebIdentityProvider(CredentialsProvider):
    """What the providers that start from a web identity token share: credentials cached per identity (the
    token's hash in the key, see ``cache_key``) and refreshed by ``fetch``, which re-reads the token source."""

    token_source: TokenSource
    refresh_method: ClassVar[str]

    @abstractmethod
    def fetch(self, token: Secret | None = None) -> Metadata:
        """One run of the exchange (``token``: one just read; else the source is read now)."""

    @abstractmethod
    def cache_key(self, token: Secret) -> str:
        """The secret-free key of this identity, the token given as its hash."""

    def load(self) -> Credentials:
        from .refreshing import ScaledRefreshableCredentials

        token = self.token_source.read()
        first: list[Secret | None] = [token]

        def fetch() -> Metadata:
            # The token read for the cache key serves the first run; every refresh reads anew.
            return self.fetch(first.pop() if first else None)

        return cache.get_or_create(
            self.cache_key(token), lambda: ScaledRefreshableCredentials(fetch, method=self.refresh_method)
        )
