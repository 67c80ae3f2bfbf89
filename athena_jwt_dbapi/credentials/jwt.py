"""``CredentialsProvider=JWT``: a web identity token exchanged with STS AssumeRoleWithWebIdentity.

The exchange itself (an unsigned, regional STS call with standard retries) is :mod:`.web_identity`'s, shared
with ``JWT_TIP``. The credentials refresh themselves with lifetime-scaled windows and are shared process-wide
by identity (see :mod:`.cache`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ParameterError
from ..parameters.spec import Alias, Parameter
from ..redaction import Secret
from . import cache
from .base import ProviderContext
from .token_source import token_source_from
from .web_identity import (
    DURATION_PARAMETER,
    ROLE_ARN,
    SESSION_NAME_PARAMETER,
    TOKEN_PARAMETERS,
    WebIdentityExchange,
    WebIdentityProvider,
    from_environment,
    session_name_from,
)

if TYPE_CHECKING:
    from botocore.client import BaseClient

    from .refreshing import Metadata


class JwtCredentialsProvider(WebIdentityProvider):
    """Exchange a JWT for temporary credentials and keep them fresh."""

    name = "JWT"
    refresh_method = "athena-jwt-dbapi-jwt"
    parameters = (
        *TOKEN_PARAMETERS,
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
        SESSION_NAME_PARAMETER,
        DURATION_PARAMETER,
    )

    def __init__(self, settings: Mapping[str, Any], context: ProviderContext) -> None:
        super().__init__(settings, context)
        self.token_source = token_source_from(settings)
        from_env = from_environment(self.token_source)
        role_arn = settings.get("JwtRoleArn") or (os.environ.get("AWS_ROLE_ARN") if from_env else None)
        if not role_arn:
            raise ParameterError(
                "Missing required connection property: JwtRoleArn"
                + (" (AWS_ROLE_ARN is not set either)." if from_env else "."),
                parameter="JwtRoleArn",
            )
        problem = ROLE_ARN(role_arn)
        if problem:
            raise ParameterError(
                f"Invalid value of AWS_ROLE_ARN (used for JwtRoleArn). {problem}", parameter="JwtRoleArn"
            )
        self.role_arn: str = role_arn
        self.session_name = session_name_from(settings, self.token_source)
        self.duration: int = settings["RoleSessionDuration"]
        self.region = context.region
        self.exchange = WebIdentityExchange(self.role_arn, self.session_name, self.duration, self.token_source, context)

    def _sts_client(self) -> BaseClient:
        return self.exchange.client()

    def fetch(self, token: Secret | None = None) -> Metadata:
        """One AssumeRoleWithWebIdentity call (with one re-read of a renewable source on a token error).

        ``token`` is a token just read from the source (the first fetch at connect); refreshes read anew.
        """
        metadata, _ = self.exchange.assume(token)
        return metadata

    def cache_key(self, token: Secret) -> str:
        return cache.cache_key(
            self.name,
            self.token_source.identity(token),
            self.role_arn,
            self.session_name,
            self.duration,
            self.region,
            self.exchange.endpoint,
        )

    def __repr__(self) -> str:
        return (
            f"<JwtCredentialsProvider role_arn={self.role_arn!r} session_name={self.session_name!r} "
            f"token_source={self.token_source!r} duration={self.duration}>"
        )
