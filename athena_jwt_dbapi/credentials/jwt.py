"""``CredentialsProvider=JWT``: a web identity token exchanged with STS AssumeRoleWithWebIdentity.

The STS client is unsigned (the call needs no AWS credentials, and must never be signed with the
credentials it is refreshing), regional, and retries IDPCommunicationError, throttling and 5xx with
botocore's standard retry mode. The credentials refresh themselves with lifetime-scaled windows and are
shared process-wide by identity (see :mod:`.cache`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import aws
from ..errors import CredentialsError, ParameterError
from ..parameters.spec import CALLABLE, Alias, Parameter, all_of, length, pattern
from ..redaction import Secret, redact
from . import cache
from .base import CredentialsProvider, ProviderContext
from .token_source import (
    CallableTokenSource,
    FileTokenSource,
    LiteralTokenSource,
    TokenSource,
)

ROLE_ARN = all_of(
    length(20, 2048),
    pattern(
        r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}",
        "an IAM role ARN such as arn:aws:iam::123456789012:role/name",
    ),
)
SESSION_NAME = pattern(r"[\w+=,.@-]{2,64}", "2 to 64 characters of letters, digits and _+=,.@-")
_ENV_TOKEN_FILE = "AWS_WEB_IDENTITY_TOKEN_FILE"

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.credentials import Credentials

    from .refreshing import Metadata
#: botocore's default for a missing AWS_ROLE_SESSION_NAME, made once per process so that connections
#: of one process share their credentials (the name is part of the cache key).
_PROCESS_SESSION_NAME = f"athena-jwt-dbapi-{int(time.time())}"
#: Errors worth one re-read of a renewable token source (a rotated file may hold a fresh token).
_TOKEN_ERRORS = frozenset({"InvalidIdentityToken", "ExpiredTokenException"})


class JwtCredentialsProvider(CredentialsProvider):
    """Exchange a JWT for temporary credentials and keep them fresh."""

    name = "JWT"
    parameters = (
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
        Parameter(
            "JwtRoleArn",
            str,
            "The role to assume.",
            aliases=(Alias("role_arn"),),
            validator=ROLE_ARN,
            group="JWT",
            required_note="yes, or AWS_ROLE_ARN",
            applied="STS RoleArn",
        ),
        Parameter(
            "JwtRoleSessionName",
            str,
            "Name of the role session (shows in CloudTrail).",
            aliases=(Alias("role_session_name"),),
            validator=SESSION_NAME,
            group="JWT",
            required_note="yes, or AWS_ROLE_SESSION_NAME",
            applied="STS RoleSessionName",
        ),
        Parameter(
            "RoleSessionDuration",
            int,
            "Lifetime of each set of credentials, in seconds.",
            default=3600,
            aliases=(Alias("Duration"), Alias("duration_seconds", deprecated=False)),
            minimum=900,
            maximum=43200,
            group="JWT",
            applied="STS DurationSeconds",
        ),
    )

    def __init__(self, settings: Mapping[str, Any], context: ProviderContext) -> None:
        super().__init__(settings, context)
        self.token_source = self._token_source(settings)
        from_env = self.token_source.parameter == _ENV_TOKEN_FILE
        self.role_arn = settings.get("JwtRoleArn") or (os.environ.get("AWS_ROLE_ARN") if from_env else None)
        if not self.role_arn:
            raise ParameterError(
                "Missing required connection property: JwtRoleArn"
                + (" (AWS_ROLE_ARN is not set either)." if from_env else "."),
                parameter="JwtRoleArn",
            )
        problem = ROLE_ARN(self.role_arn)
        if problem:
            raise ParameterError(
                f"Invalid value of AWS_ROLE_ARN (used for JwtRoleArn). {problem}", parameter="JwtRoleArn"
            )
        session_name = settings.get("JwtRoleSessionName")
        if not session_name and from_env:
            session_name = os.environ.get("AWS_ROLE_SESSION_NAME") or _PROCESS_SESSION_NAME
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
        self.session_name: str = session_name
        self.duration: int = settings["RoleSessionDuration"]
        self.region = context.region
        self.endpoint = context.endpoint_url("sts")
        self._client: BaseClient | None = None
        self._client_lock = threading.Lock()

    def _token_source(self, settings: Mapping[str, Any]) -> TokenSource:
        given = [
            name
            for name in ("JwtWebIdentityToken", "JwtWebIdentityTokenFile", "JwtWebIdentityTokenCallable")
            if settings.get(name) is not None
        ]
        if len(given) > 1:
            raise ParameterError(f"Give only one token source; got {' and '.join(given)}.", parameter=given[1])
        if given == ["JwtWebIdentityToken"]:
            return LiteralTokenSource(settings["JwtWebIdentityToken"])
        if given == ["JwtWebIdentityTokenFile"]:
            return FileTokenSource(settings["JwtWebIdentityTokenFile"])
        if given == ["JwtWebIdentityTokenCallable"]:
            timeout = settings.get("NetworkTimeoutMillis")
            return CallableTokenSource(
                settings["JwtWebIdentityTokenCallable"], timeout=timeout / 1000 if timeout else None
            )
        path = os.environ.get(_ENV_TOKEN_FILE)
        if not path:
            raise ParameterError(
                "Missing required connection property: JwtWebIdentityToken (or JwtWebIdentityTokenFile, "
                "JwtWebIdentityTokenCallable, or the AWS_WEB_IDENTITY_TOKEN_FILE environment variable).",
                parameter="JwtWebIdentityToken",
            )
        return FileTokenSource(path, parameter=_ENV_TOKEN_FILE)

    # --- network ----------------------------------------------------------------------------------

    def _sts_client(self) -> BaseClient:
        with self._client_lock:
            if self._client is None:
                self._client = aws.unsigned_client(
                    "sts", self.region or "us-east-1", self.endpoint, self.context.client_config("sts")
                )
            return self._client

    def _assume(self, token: Secret) -> dict[str, Any]:
        client: Any = self._sts_client()
        response: dict[str, Any] = client.assume_role_with_web_identity(
            RoleArn=self.role_arn,
            RoleSessionName=self.session_name,
            WebIdentityToken=token.reveal(),
            DurationSeconds=self.duration,
        )
        return response

    def fetch(self, token: Secret | None = None) -> Metadata:
        """One AssumeRoleWithWebIdentity call (with one re-read of a renewable source on a token error).

        ``token`` is a token just read from the source (the first fetch at connect); refreshes read anew.
        """
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
        from botocore.parsers import ResponseParserError

        token = token if token is not None else self.token_source.read()
        try:
            try:
                response = self._assume(token)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code not in _TOKEN_ERRORS or not self.token_source.renewable:
                    raise
                fresh = self.token_source.read()
                if fresh == token:
                    raise
                response = self._assume(fresh)
        except ClientError as error:
            details = error.response.get("Error", {})
            code = details.get("Code", "Unknown")
            hint = ""
            if code == "ExpiredTokenException" and not self.token_source.renewable:  # only expiry needs renewal
                hint = (
                    " A literal JwtWebIdentityToken cannot be renewed; use JwtWebIdentityTokenFile or "
                    "JwtWebIdentityTokenCallable for long-running work."
                )
            raise CredentialsError(
                f"STS refused AssumeRoleWithWebIdentity for role {self.role_arn}: {code}: "
                f"{redact(str(details.get('Message', '')))}{hint}",
                code=code,
                role_arn=self.role_arn,
            ) from None
        except ParamValidationError as error:
            raise CredentialsError(
                f"AssumeRoleWithWebIdentity for role {self.role_arn} was not sent: {redact(str(error))}",
                code="ParamValidationError",
                role_arn=self.role_arn,
            ) from None
        except (BotoCoreError, ResponseParserError) as error:
            raise CredentialsError(
                f"Could not call STS for role {self.role_arn}: {redact(str(error))}",
                code=type(error).__name__,
                role_arn=self.role_arn,
            ) from None
        credentials = response["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }

    def cache_key(self, token: Secret) -> str:
        return cache.cache_key(
            self.name,
            self.token_source.identity(token),
            self.role_arn,
            self.session_name,
            self.duration,
            self.region,
            self.endpoint,
        )

    def load(self) -> Credentials:
        from .refreshing import ScaledRefreshableCredentials

        token = self.token_source.read()
        first: list[Secret | None] = [token]

        def fetch() -> Metadata:
            # The token read for the cache key serves the first STS call; every refresh reads anew.
            return self.fetch(first.pop() if first else None)

        return cache.get_or_create(
            self.cache_key(token),
            lambda: ScaledRefreshableCredentials(fetch, method="athena-jwt-dbapi-jwt"),
        )

    def __repr__(self) -> str:
        return (
            f"<JwtCredentialsProvider role_arn={self.role_arn!r} session_name={self.session_name!r} "
            f"token_source={self.token_source!r} duration={self.duration}>"
        )
