"""A local IAM Identity Center, as much of it as trusted identity propagation uses.

- **Applications** (customer managed) that trust an OIDC issuer for the JWT-bearer grant: the issuer (a
  *trusted token issuer*), the audiences it may issue for, and the claim that names the user.
- **CreateTokenWithIAM** (sso-oidc, signed with the calling role's credentials): the assertion is verified
  like STS verifies a web identity token — discovery document and JWKS fetched over HTTP from the token's
  ``iss``, which must be the application's trusted issuer — and a ``jti`` that was exchanged once is refused
  (``InvalidGrantException``). The answer carries an ``idToken`` whose ``sts:identity_context`` claim is an
  opaque identity context (also in ``awsAdditionalDetails.identityContext``).
- **The identity context provider** STS consults for ``ProvidedContexts``
  (``arn:aws:iam::aws:contextProvider/IdentityCenter``): only contexts issued here, and not expired, are valid.
- **Tags** of applications (sso-admin ListTagsForResource).

See https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateTokenWithIAM.html. Tokens,
assertions and contexts never appear in a message.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import secrets
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt

from athena_jwt_dbapi.local.clock import Clock, utc_now
from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import DEFAULT_ACCOUNT_ID, IssuedCredentials
from athena_jwt_dbapi.local.issuer import DEFAULT_AUDIENCE, new_rsa_key
from athena_jwt_dbapi.local.sts import JwksCache

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

#: The ``ProviderArn`` of Identity Center's contexts in STS ``ProvidedContexts`` (partition ``aws``).
IDENTITY_CENTER_CONTEXT_PROVIDER = "arn:aws:iam::aws:contextProvider/IdentityCenter"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
#: The claim of the idToken that carries the identity context STS takes.
IDENTITY_CONTEXT_CLAIM = "sts:identity_context"
DEFAULT_TOKEN_LIFETIME = 3600
#: sso-admin's pattern of an application ARN (botocore's model of ListTagsForResource's ResourceArn).
APPLICATION_ARN = re.compile(
    r"arn:aws(-[a-z]{1,5}){0,3}:sso::\d{12}:application/(sso)?ins-[a-zA-Z0-9-.]{16}/apl-[a-zA-Z0-9]{16}"
)

#: sso-oidc's error codes and the OAuth ``error`` each carries in its body (RFC 6749 section 5.2).
_OAUTH_ERRORS = {
    "InvalidGrantException": ("invalid_grant", 400),
    "InvalidClientException": ("invalid_client", 401),
    "InvalidRequestException": ("invalid_request", 400),
    "UnsupportedGrantTypeException": ("unsupported_grant_type", 400),
    "AccessDeniedException": ("access_denied", 400),
}


def oauth_error(code: str, description: str) -> ServiceError:
    """An sso-oidc error: AWS's code in ``x-amzn-ErrorType``, the OAuth error and description in the body."""
    oauth, status = _OAUTH_ERRORS[code]
    error = ServiceError(code, description, status)
    error.oauth_error = oauth  # type: ignore[attr-defined]
    return error


def _invalid_grant(description: str) -> ServiceError:
    return oauth_error("InvalidGrantException", description)


@dataclass(frozen=True)
class Application:
    """A customer managed application whose JWT-bearer grant trusts ``trusted_issuer`` for ``audiences``."""

    arn: str
    name: str
    trusted_issuer: str
    audiences: tuple[str, ...] = (DEFAULT_AUDIENCE,)
    identity_claim: str = "sub"


@dataclass(frozen=True)
class IssuedContext:
    """One CreateTokenWithIAM answer: the identity context, the tokens it came with and the role session that
    asked (test introspection)."""

    assertion: str = field(repr=False)
    user: str
    application_arn: str
    expiration: datetime
    id_token: str = field(repr=False)
    access_token: str = field(repr=False)
    exchanged_by: str = ""


def _opaque(size: int) -> str:
    return base64.b64encode(secrets.token_bytes(size)).decode("ascii")


class IdentityCenter:
    """One Identity Center instance: applications, their tags, and the identity contexts it issued.

    Knobs: :attr:`token_lifetime` (seconds the tokens and contexts of the next exchanges live),
    :attr:`report_lifetime` (False: answers leave out ``expiresIn``, which AWS's API marks optional),
    :attr:`id_token_claims` (claims that replace the idToken's own, ``None`` removing one: an application
    that is not set up for trusted identity propagation), :meth:`fail_next` and :meth:`expire_contexts`.
    :attr:`issued` lists every exchange's result, in order.
    """

    def __init__(
        self,
        *,
        region: str,
        account_id: str = DEFAULT_ACCOUNT_ID,
        clock: Clock = utc_now,
        jwks: JwksCache | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock
        self.jwks = jwks or JwksCache()
        self.instance_id = "ssoins-" + secrets.token_hex(8)
        self.instance_arn = f"arn:aws:sso:::instance/{self.instance_id}"
        self.identity_store_id = "d-" + secrets.token_hex(5)
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.report_lifetime = True
        self.id_token_claims: dict[str, Any] = {}
        self._failures: list[str] = []
        self.issued: list[IssuedContext] = []
        self._lock = threading.Lock()
        self._applications: dict[str, Application] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._contexts: dict[str, IssuedContext] = {}
        self._spent: set[tuple[str, str]] = set()
        self._key: rsa.RSAPrivateKey | None = None

    @property
    def issuer_url(self) -> str:
        """The ``iss`` of the idTokens this instance signs."""
        return f"https://identitycenter.amazonaws.com/{self.instance_id}"

    # --- configuration -------------------------------------------------------------------------------

    def add_application(
        self,
        name: str,
        *,
        trusted_issuer: str,
        audiences: Iterable[str] = (DEFAULT_AUDIENCE,),
        identity_claim: str = "sub",
        tags: Mapping[str, str] | None = None,
    ) -> Application:
        """A customer managed application whose JWT-bearer grant trusts ``trusted_issuer``."""
        arn = f"arn:aws:sso::{self.account_id}:application/{self.instance_id}/apl-{secrets.token_hex(8)}"
        application = Application(arn, name, trusted_issuer.rstrip("/"), tuple(audiences), identity_claim)
        with self._lock:
            self._applications[arn] = application
            self._tags[arn] = dict(tags or {})
        return application

    def application(self, arn: str) -> Application | None:
        with self._lock:
            return self._applications.get(arn)

    def tag_resource(self, arn: str, tags: Mapping[str, str]) -> None:
        with self._lock:
            if arn not in self._tags:
                raise KeyError(arn)
            self._tags[arn].update(tags)

    def untag_resource(self, arn: str, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._tags.get(arn, {}).pop(key, None)

    def tags_of(self, arn: str) -> dict[str, str] | None:
        """The tags of an application, or None when there is no such resource."""
        with self._lock:
            found = self._tags.get(arn)
            return dict(found) if found is not None else None

    def expire_contexts(self) -> None:
        """Every identity context issued so far expires now (STS then refuses it)."""
        now = self.clock()
        with self._lock:
            for assertion, issued in self._contexts.items():
                self._contexts[assertion] = dataclasses.replace(issued, expiration=min(issued.expiration, now))

    def fail_next(self, times: int = 1, code: str = "AccessDeniedException") -> None:
        """The next ``times`` CreateTokenWithIAM calls fail with ``code`` (one of sso-oidc's OAuth errors)."""
        if code not in _OAUTH_ERRORS:
            raise ValueError(f"sso-oidc has no error {code!r}; it has {sorted(_OAUTH_ERRORS)}")
        with self._lock:
            self._failures.extend([code] * times)

    # --- CreateTokenWithIAM -------------------------------------------------------------------------

    def create_token_with_iam(self, body: Mapping[str, Any], caller: IssuedCredentials) -> dict[str, Any]:
        """The JWT-bearer grant of CreateTokenWithIAM, for a request signed by ``caller``."""
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            raise oauth_error(failure, f"Failed on request ({failure}, a fault the test asked for).")
        client_id = body.get("clientId")
        grant_type = body.get("grantType")
        if not isinstance(client_id, str) or not isinstance(grant_type, str):
            raise oauth_error("InvalidRequestException", "clientId and grantType are required.")
        application = self.application(client_id)
        if application is None:
            raise oauth_error("InvalidClientException", "Invalid client: no such application.")
        if grant_type != JWT_BEARER_GRANT:
            raise oauth_error(
                "UnsupportedGrantTypeException", f"The local Identity Center supports only {JWT_BEARER_GRANT}."
            )
        assertion = body.get("assertion")
        if not isinstance(assertion, str) or not assertion:
            raise oauth_error("InvalidRequestException", "The JWT-bearer grant needs an assertion.")
        now = self.clock()
        claims = self._verify_assertion(assertion, application, now)
        user = claims.get(application.identity_claim)
        if not isinstance(user, str) or not user:
            raise _invalid_grant(f"The assertion has no {application.identity_claim} claim to identify the user.")
        jti = claims.get("jti")
        with self._lock:
            if isinstance(jti, str):
                spent = (str(claims["iss"]), jti)
                if spent in self._spent:
                    raise _invalid_grant("The assertion was already used: its jti has been exchanged before.")
                self._spent.add(spent)
        return self._issue(application, user, caller, now)

    def _verify_assertion(self, assertion: str, application: Application, now: datetime) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(assertion)
            unverified: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise _invalid_grant("The assertion is not a valid JWT.") from None
        issuer = unverified.get("iss")
        if not isinstance(issuer, str) or issuer.rstrip("/") != application.trusted_issuer:
            raise _invalid_grant("The assertion's issuer is not a trusted token issuer of this application.")
        if header.get("alg") != "RS256":
            raise _invalid_grant("The assertion must be signed with RS256.")
        try:
            key = self.jwks.key_for(application.trusted_issuer, header.get("kid"))
            claims: dict[str, Any] = jwt.decode(
                assertion,
                key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except ServiceError:
            raise _invalid_grant("The assertion's signature could not be verified with the issuer's keys.") from None
        except jwt.PyJWTError:
            raise _invalid_grant("The assertion's signature is not valid.") from None
        expires = claims.get("exp")
        if isinstance(expires, bool) or not isinstance(expires, int):
            raise _invalid_grant("The assertion has no integer exp claim.")
        if expires <= int(now.timestamp()):
            raise _invalid_grant("The assertion has expired.")
        audiences = claims.get("aud")
        listed = [audiences] if isinstance(audiences, str) else audiences if isinstance(audiences, list) else []
        if not any(audience in application.audiences for audience in listed):
            raise _invalid_grant("The assertion's audience is not authorized for this application.")
        return claims

    def _issue(self, application: Application, user: str, caller: IssuedCredentials, now: datetime) -> dict[str, Any]:
        lifetime = self.token_lifetime
        expiration = now + timedelta(seconds=lifetime)
        assertion = _opaque(400)  # opaque, as AWS's; STS looks it up here
        access_token = "aoa" + _opaque(300)
        issued_at = int(time.time())
        store_arn = f"arn:aws:identitystore::{self.account_id}:identitystore/{self.identity_store_id}"
        claims = {
            "iss": self.issuer_url,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.identity_store_id}/{user}")),
            "aud": application.arn,
            "iat": issued_at,
            "exp": issued_at + lifetime,
            "auth_time": issued_at,
            IDENTITY_CONTEXT_CLAIM: assertion,
            "sts:audit_context": _opaque(48),
            "aws:identity_store_id": self.identity_store_id,
            "aws:identity_store_arn": store_arn,
            "aws:instance_account": self.account_id,
            "aws:instance_arn": self.instance_arn,
            "aws:application_arn": application.arn,
            "aws:credential_id": secrets.token_hex(16),
            "username": user,
        }
        for name, value in self.id_token_claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        id_token = jwt.encode(claims, self._signing_key(), algorithm="RS256", headers={"kid": self.instance_id})
        issued = IssuedContext(
            assertion, user, application.arn, expiration, id_token, access_token, caller.assumed_role_arn
        )
        with self._lock:
            self._contexts[assertion] = issued
            self.issued.append(issued)
        answer = {
            "accessToken": access_token,
            "tokenType": "Bearer",
            "expiresIn": lifetime,
            "idToken": id_token,
            "issuedTokenType": ACCESS_TOKEN_TYPE,
            "scope": ["openid", "aws", IDENTITY_CONTEXT_CLAIM],
            "awsAdditionalDetails": {"identityContext": assertion},
        }
        if not self.report_lifetime:
            del answer["expiresIn"]
        return answer

    def _signing_key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:  # made at the first exchange: generating it costs a stack's start ~0.1 s
                self._key = new_rsa_key()
            return self._key

    # --- the context provider STS asks ---------------------------------------------------------------

    def verify_context(self, assertion: str, now: datetime) -> str:
        """The user an identity context carries, for STS ``ProvidedContexts``; refuses one not issued here."""
        with self._lock:
            issued = self._contexts.get(assertion)
        if issued is None:
            raise ServiceError(
                "InvalidContextAssertion", "The context assertion provided is not valid for the context provider.", 400
            )
        if issued.expiration <= now:
            raise ServiceError("InvalidContextAssertion", "The context assertion provided has expired.", 400)
        return issued.user

    def __repr__(self) -> str:
        return f"<IdentityCenter {self.instance_arn} applications={len(self._applications)}>"
