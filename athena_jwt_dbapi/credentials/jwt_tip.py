"""``CredentialsProvider=JWT_TIP``: trusted identity propagation — the end user's own identity, from a JWT,
carried through IAM Identity Center into Athena (and Lake Formation and S3 Access Grants behind it).

The chain, run at connect and again from a fresh token at every refresh (the JDBC 3.6 and ODBC 2.0.5 drivers'
``JWT_TIP``; AWS's "Use trusted identity propagation with Amazon Athena drivers" pages describe the setup):

1. STS AssumeRoleWithWebIdentity into ``ApplicationRoleArn`` with the JWT — unsigned, :mod:`.web_identity`'s.
2. Unless given, ``CustomerIdcApplicationArn`` is the tag ``AthenaDriverOidcAppArn`` of the workgroup (Athena
   ListTagsForResource on ``WorkGroupArn``) and ``AccessRoleArn`` the same tag of that application (sso-admin
   ListTagsForResource), both signed with step 1's credentials.
3. sso-oidc CreateTokenWithIAM — the JWT-bearer grant, the JWT as assertion, signed with step 1's credentials:
   its idToken's ``sts:identity_context`` claim is the user's identity context.
4. STS AssumeRole into the access role with ``ProvidedContexts=[IdentityCenter: the context]``, signed with
   step 1's credentials: *identity-enhanced* credentials, which sign every Athena, S3 and Glue call.

A JWT with a ``jti`` claim can be exchanged once. Step 3's result is remembered process-wide until it expires
(:func:`.cache.remembered`, keyed by a hash of the token, never the token), so other connections and refreshes
with the same token skip it; if STS refuses a remembered context (it expired early), it is forgotten and the
token is exchanged again. Step 4 is role chaining, which AWS limits to one hour: ``RoleSessionDuration`` is at
most 3600 here.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .. import aws
from ..errors import CredentialsError, ParameterError
from ..parameters.spec import Parameter, all_of, length, pattern
from ..redaction import Secret, register_secret
from . import aws_errors, cache
from .base import ProviderContext
from .token_source import jwt_claims, token_source_from
from .web_identity import (
    DURATION_PARAMETER,
    LITERAL_TOKEN_HINT,
    ROLE_ARN,
    SESSION_NAME_PARAMETER,
    TOKEN_PARAMETERS,
    WebIdentityExchange,
    WebIdentityProvider,
    credentials_metadata,
    session_name_from,
)

if TYPE_CHECKING:
    from botocore.credentials import Credentials

    from .refreshing import Metadata

#: The tag the drivers read: on the workgroup it names the Identity Center application, on the application
#: the access role.
DRIVER_TAG = "AthenaDriverOidcAppArn"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
IDENTITY_CONTEXT_CLAIM = "sts:identity_context"
#: STS allows a role session to assume another role for one hour at most (role chaining).
CHAINED_SESSION_LIMIT = 3600
#: How much sooner than IAM Identity Center says a remembered identity context is given up (at most 60 s).
_EARLY = 60

_WORKGROUP_ARN = re.compile(r"arn:(aws[a-z-]*):athena:([a-z0-9-]+):(\d{12}):workgroup/([A-Za-z0-9._-]{1,128})")
WORKGROUP_ARN = all_of(
    length(20, 2048),
    pattern(
        _WORKGROUP_ARN.pattern,
        "an Athena workgroup ARN such as arn:aws:athena:us-east-1:123456789012:workgroup/name",
    ),
)
APPLICATION_ARN = pattern(
    r"arn:aws(-[a-z]{1,5}){0,3}:sso::\d{12}:application/(sso)?ins-[a-zA-Z0-9-.]{16}/apl-[a-zA-Z0-9]{16}",
    "an IAM Identity Center application ARN such as "
    "arn:aws:sso::123456789012:application/ssoins-0123456789abcdef/apl-0123456789abcdef",
)
T = TypeVar("T")


def _chained_duration(value: Any) -> str | None:
    if isinstance(value, int) and value > CHAINED_SESSION_LIMIT:
        return (
            f"It must be at most {CHAINED_SESSION_LIMIT}: the access role is assumed with the application role's "
            "credentials (role chaining), which AWS limits to one hour."
        )
    return None


def _tip(parameter: Parameter, **changes: Any) -> Parameter:
    return dataclasses.replace(parameter, group="JWT_TIP", **changes)


def context_provider_arn(role_arn: str) -> str:
    """The ``ProviderArn`` of IAM Identity Center contexts, in the partition of ``role_arn`` (``aws-us-gov``, ...)."""
    return f"arn:{role_arn.split(':')[1]}:iam::aws:contextProvider/IdentityCenter"


class JwtTipCredentialsProvider(WebIdentityProvider):
    """Trusted identity propagation: identity-enhanced credentials for the user a JWT names."""

    name = "JWT_TIP"
    refresh_method = "athena-jwt-dbapi-jwt-tip"
    parameters = (
        _tip(TOKEN_PARAMETERS[0], applied="STS WebIdentityToken and the CreateTokenWithIAM assertion"),
        _tip(TOKEN_PARAMETERS[1], applied="as JwtWebIdentityToken, re-read at every refresh"),
        _tip(TOKEN_PARAMETERS[2], applied="as JwtWebIdentityToken, called at every refresh"),
        Parameter(
            "WorkGroupArn",
            str,
            "The IAM Identity Center enabled workgroup; its region and name are Region's and WorkGroup's defaults.",
            required=True,
            validator=WORKGROUP_ARN,
            group="JWT_TIP",
            applied=f"Athena ListTagsForResource (tag {DRIVER_TAG}); the default of WorkGroup and Region",
        ),
        Parameter(
            "ApplicationRoleArn",
            str,
            "The role the JWT is exchanged for; it reads the tags and calls CreateTokenWithIAM and AssumeRole.",
            required=True,
            validator=ROLE_ARN,
            group="JWT_TIP",
            applied="STS AssumeRoleWithWebIdentity RoleArn",
        ),
        _tip(SESSION_NAME_PARAMETER, applied="RoleSessionName of both STS calls"),
        _tip(
            DURATION_PARAMETER,
            maximum=None,
            validator=_chained_duration,
            applied="DurationSeconds of both STS calls (AWS limits role chaining to 3600)",
        ),
        Parameter(
            "AccessRoleArn",
            str,
            "The role of the identity-enhanced credentials; default: the tag of the Identity Center application.",
            validator=ROLE_ARN,
            group="JWT_TIP",
            required_note=f"no: tag {DRIVER_TAG} of the application",
            applied="STS AssumeRole RoleArn",
        ),
        Parameter(
            "CustomerIdcApplicationArn",
            str,
            "The IAM Identity Center customer managed application; default: the tag of the workgroup.",
            validator=APPLICATION_ARN,
            group="JWT_TIP",
            required_note=f"no: tag {DRIVER_TAG} of the workgroup",
            applied="CreateTokenWithIAM clientId; sso-admin ListTagsForResource",
        ),
    )

    @classmethod
    def configured_region(cls, settings: Mapping[str, Any]) -> str | None:
        """The workgroup's region: Athena must be called there."""
        match = _WORKGROUP_ARN.fullmatch(settings["WorkGroupArn"] or "")
        return match.group(2) if match else super().configured_region(settings)

    @classmethod
    def implied_settings(cls, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        """Queries run in the workgroup ``WorkGroupArn`` names unless ``WorkGroup`` says otherwise (it may not)."""
        match = _WORKGROUP_ARN.fullmatch(settings["WorkGroupArn"] or "")
        return {"WorkGroup": match.group(4)} if match else {}

    def __init__(self, settings: Mapping[str, Any], context: ProviderContext) -> None:
        super().__init__(settings, context)
        self.workgroup_arn: str = settings["WorkGroupArn"]
        match = _WORKGROUP_ARN.fullmatch(self.workgroup_arn)
        assert match is not None  # the parameter's check
        partition, workgroup_region, _, workgroup = match.groups()
        if settings["WorkGroup"] != workgroup:
            raise ParameterError(
                f"Connection property WorkGroup ({settings['WorkGroup']}) is not the workgroup WorkGroupArn names "
                f"({workgroup}); JWT_TIP queries run in the workgroup of WorkGroupArn: leave WorkGroup out.",
                parameter="WorkGroup",
            )
        if context.region != workgroup_region:
            raise ParameterError(
                f"Connection property Region ({context.region}) is not the region of WorkGroupArn "
                f"({workgroup_region}); the workgroup is called in its own region: leave Region out.",
                parameter="Region",
            )
        self.application_role_arn: str = settings["ApplicationRoleArn"]
        self.access_role_arn: str | None = settings["AccessRoleArn"]
        self.application_arn: str | None = settings["CustomerIdcApplicationArn"]
        for name in ("ApplicationRoleArn", "AccessRoleArn", "CustomerIdcApplicationArn"):
            value = settings[name]
            if value and value.split(":")[1] != partition:
                raise ParameterError(
                    f"Connection property {name} is in partition {value.split(':')[1]}, WorkGroupArn in {partition}; "
                    "every ARN of a JWT_TIP connection is in the workgroup's partition.",
                    parameter=name,
                )
        self.token_source = token_source_from(settings)
        self.session_name = session_name_from(settings, self.token_source)
        self.duration: int = settings["RoleSessionDuration"]
        self.region = context.region
        self.exchange = WebIdentityExchange(
            self.application_role_arn, self.session_name, self.duration, self.token_source, context
        )

    # --- the chain -----------------------------------------------------------------------------------

    def fetch(self, token: Secret | None = None) -> Metadata:
        """The whole chain once: identity-enhanced credentials (``token``: one just read; else read now)."""
        signer, token = self._application_credentials(token)
        clients = _SignedClients(self.context, self.region, signer)
        try:
            application_arn = self.application_arn or self._application_from_workgroup(clients)
            access_role_arn = self.access_role_arn or self._access_role_from_application(application_arn, clients)
            key = cache.cache_key(
                "JWT_TIP CreateTokenWithIAM", token.digest(), application_arn, self.region, clients.endpoint("sso-oidc")
            )
            exchanged: list[bool] = []

            def exchange() -> tuple[Secret, float]:
                exchanged.append(True)
                return self._create_token(token, application_arn, clients)

            context = cache.remembered(key, exchange)
            try:
                return self._assume_access_role(access_role_arn, context, clients, retry=not exchanged)
            except _ContextRefused:
                # A remembered context expired (or was revoked) sooner than said: exchange the token again. One
                # just issued is not retried: a jti token cannot be exchanged twice, and the refusal is final.
                cache.forget(key)
                context = cache.remembered(key, exchange)
                return self._assume_access_role(access_role_arn, context, clients, retry=False)
        finally:
            clients.close()

    def _application_credentials(self, token: Secret | None) -> tuple[Credentials, Secret]:
        """Step 1's credentials, as botocore credentials: no frame of the chain holds their keys in the clear."""
        from botocore.credentials import Credentials

        application, read = self.exchange.assume(token)
        return Credentials(application["access_key"], application["secret_key"], application["token"]), read

    def _application_from_workgroup(self, clients: _SignedClients) -> str:
        step = (
            f"The tag lookup on workgroup {self.workgroup_arn} (Athena ListTagsForResource, signed as application "
            f"role {self.application_role_arn})"
        )
        tags = self._call(
            step, self.application_role_arn, lambda: _all_tags(clients("athena"), "ResourceARN", self.workgroup_arn)
        )
        return self._tag_value(
            tags,
            f"Workgroup {self.workgroup_arn}",
            "its IAM Identity Center application",
            "CustomerIdcApplicationArn",
            APPLICATION_ARN,
        )

    def _access_role_from_application(self, application_arn: str, clients: _SignedClients) -> str:
        step = (
            f"The tag lookup on IAM Identity Center application {application_arn} (sso-admin ListTagsForResource, "
            f"signed as application role {self.application_role_arn})"
        )
        tags = self._call(
            step, self.application_role_arn, lambda: _all_tags(clients("sso-admin"), "ResourceArn", application_arn)
        )
        return self._tag_value(
            tags, f"IAM Identity Center application {application_arn}", "the access role", "AccessRoleArn", ROLE_ARN
        )

    def _tag_value(
        self, tags: dict[str, str], resource: str, meaning: str, parameter: str, check: Callable[[Any], str | None]
    ) -> str:
        value = tags.get(DRIVER_TAG)
        if value is None:
            raise CredentialsError(
                f"{resource} has no tag {DRIVER_TAG} naming {meaning}; tag it, or give {parameter}.",
                role_arn=self.application_role_arn,
            )
        problem = check(value)
        if problem:
            raise CredentialsError(
                f"The tag {DRIVER_TAG} of {resource} ({value[:200]!r}) does not name {meaning}: {problem} "
                f"Fix the tag, or give {parameter}.",
                role_arn=self.application_role_arn,
            )
        return value

    def _create_token(self, token: Secret, application_arn: str, clients: _SignedClients) -> tuple[Secret, float]:
        hint = (
            " The JWT may come from an issuer or for an audience the application does not trust, or may have "
            "expired; and a JWT with a jti claim can be exchanged only once, by any process (this one remembers "
            "its exchanges while they last)." + ("" if self.token_source.renewable else " " + LITERAL_TOKEN_HINT)
        )
        step = (
            f"CreateTokenWithIAM for IAM Identity Center application {application_arn} (signed as application "
            f"role {self.application_role_arn})"
        )

        def create() -> dict[str, Any]:
            response: dict[str, Any] = clients("sso-oidc").create_token_with_iam(
                clientId=application_arn, grantType=JWT_BEARER_GRANT, assertion=token.reveal()
            )
            return response

        context, lifetime = _identity_context(
            self._call(step, self.application_role_arn, create, invalid_grant_hint=hint)
        )
        if context is None:
            raise CredentialsError(
                f"{step} answered without an identity context (no {IDENTITY_CONTEXT_CLAIM} claim in its idToken).",
                role_arn=self.application_role_arn,
            )
        seconds = float(lifetime) if isinstance(lifetime, int) and lifetime > 0 else 0.0
        return context, max(seconds - min(_EARLY, seconds / 4), 0.0)

    def _assume_access_role(
        self, access_role_arn: str, context: Secret, clients: _SignedClients, *, retry: bool
    ) -> Metadata:
        from botocore.exceptions import ClientError

        step = (
            f"AssumeRole into access role {access_role_arn} with the IAM Identity Center identity context "
            f"(signed as application role {self.application_role_arn})"
        )

        def assume() -> dict[str, Any]:
            try:
                response: dict[str, Any] = clients("sts").assume_role(
                    RoleArn=access_role_arn,
                    RoleSessionName=self.session_name,
                    DurationSeconds=self.duration,
                    ProvidedContexts=[
                        {"ProviderArn": context_provider_arn(access_role_arn), "ContextAssertion": context.reveal()}
                    ],
                )
            except ClientError as error:
                if retry and error.response.get("Error", {}).get("Code") == "InvalidContextAssertion":
                    raise _ContextRefused from None
                raise
            return response

        response = self._call(step, access_role_arn, assume)
        return credentials_metadata(response["Credentials"])

    @staticmethod
    def _call(step: str, role_arn: str, call: Callable[[], T], *, invalid_grant_hint: str = "") -> T:
        """``call()``, with AWS's refusals and network failures as a CredentialsError naming ``step``."""

        def hint(code: str) -> str:
            return invalid_grant_hint if code == "InvalidGrantException" else ""

        with aws_errors.reported(step, role_arn, hint=hint):
            return call()

    # --- the provider contract -----------------------------------------------------------------------

    def cache_key(self, token: Secret) -> str:
        return cache.cache_key(
            self.name,
            self.token_source.identity(token),
            self.workgroup_arn,
            self.application_role_arn,
            self.access_role_arn,
            self.application_arn,
            self.session_name,
            self.duration,
            self.region,
            *(self.context.endpoint_url(service) for service in ("sts", "athena", "sso-oidc", "sso-admin")),
        )

    def __repr__(self) -> str:
        return (
            f"<JwtTipCredentialsProvider workgroup_arn={self.workgroup_arn!r} "
            f"application_role_arn={self.application_role_arn!r} access_role_arn={self.access_role_arn!r} "
            f"application_arn={self.application_arn!r} session_name={self.session_name!r} "
            f"token_source={self.token_source!r} duration={self.duration}>"
        )


def _identity_context(response: dict[str, Any]) -> tuple[Secret | None, Any]:
    """The identity context in CreateTokenWithIAM's idToken, and the answer's lifetime. The answer's tokens are
    registered as secrets and dropped here, so no frame that may raise afterwards holds them."""
    for name in ("accessToken", "refreshToken", "idToken"):
        register_secret(response.get(name))
    claims = jwt_claims(response.get("idToken") or "") or {}
    context = claims.get(IDENTITY_CONTEXT_CLAIM)
    return (Secret(context) if isinstance(context, str) and context else None), response.get("expiresIn")


class _ContextRefused(Exception):
    """STS refused a remembered identity context: it is exchanged again, once."""


class _SignedClients:
    """The clients of one run of the chain, signed with its application-role credentials, made when first used."""

    def __init__(self, context: ProviderContext, region: str, credentials: Credentials) -> None:
        self._context = context
        self._region = region
        self._credentials = credentials
        self._clients: dict[str, Any] = {}

    def endpoint(self, service: str) -> str | None:
        return self._context.endpoint_url(service)

    def close(self) -> None:
        """Release the clients' network connections (a chain runs at every refresh)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = aws.signed_client(
                service,
                self._region,
                self._context.endpoint_url(service),
                self._context.client_config(service),
                self._credentials,
            )
        return self._clients[service]

    def __repr__(self) -> str:
        return f"<_SignedClients {sorted(self._clients)}>"


def _all_tags(client: Any, name: str, arn: str) -> dict[str, str]:
    """Every tag of a resource, following NextToken."""
    tags: dict[str, str] = {}
    arguments: dict[str, Any] = {name: arn}
    while True:
        response = client.list_tags_for_resource(**arguments)
        tags.update({tag["Key"]: tag["Value"] for tag in response.get("Tags", [])})
        if not response.get("NextToken"):
            return tags
        arguments["NextToken"] = response["NextToken"]
