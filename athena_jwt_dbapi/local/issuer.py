"""A local OpenID Connect issuer: the identity provider STS trusts and the driver gets JWTs from.

The real AssumeRoleWithWebIdentity flow fetches the issuer's discovery document and JWKS over HTTP,
so the issuer is a real HTTP service (not a key handed to STS in-process): that keeps the local STS
honest and lets tests break the issuer (forged keys, expired tokens) the way a real IdP can break.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Request, Response

from athena_jwt_dbapi.local._server import BackgroundServer

#: The audience AWS expects for web identity tokens unless a provider registers another client id.
DEFAULT_AUDIENCE = "sts.amazonaws.com"

DISCOVERY_PATH = "/.well-known/openid-configuration"
JWKS_PATH = "/jwks.json"


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key; 2048 bits is the minimum AWS accepts for OIDC signing keys."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OidcIssuer:
    """A WSGI OIDC provider that serves discovery + JWKS and mints RS256 ID tokens.

    The ``iss`` claim must equal the URL STS fetches the discovery document from, and that URL is
    only known once a server has bound a port: set :attr:`base_url` after starting a server, or use
    :meth:`serve`, which does both.
    """

    def __init__(self, base_url: str | None = None, *, kid: str | None = None) -> None:
        self._key = new_rsa_key()
        self.kid = kid or uuid.uuid4().hex[:16]
        self._base_url = base_url.rstrip("/") if base_url else None

    # -- identity -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("OidcIssuer.base_url is not set; start a server and assign its url")
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self._base_url = value.rstrip("/")

    @property
    def issuer(self) -> str:
        """The ``iss`` claim value (OIDC requires it to equal the discovery base URL)."""
        return self.base_url

    @property
    def private_key(self) -> rsa.RSAPrivateKey:
        return self._key

    def serve(self) -> BackgroundServer:
        """Start a loopback server for this issuer and pin :attr:`base_url` to it."""
        server = BackgroundServer(self).start()
        self.base_url = server.url
        return server

    def public_jwk(self) -> dict[str, Any]:
        jwk: dict[str, Any] = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk.update({"kid": self.kid, "use": "sig", "alg": "RS256"})
        return jwk

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}

    def discovery_document(self, base_url: str | None = None) -> dict[str, Any]:
        base = (base_url or self.base_url).rstrip("/")
        return {
            "issuer": base,
            "jwks_uri": base + JWKS_PATH,
            "authorization_endpoint": base + "/authorize",
            "token_endpoint": base + "/token",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nbf", "jti"],
        }

    # -- tokens ---------------------------------------------------------------------------------

    def mint_token(
        self,
        sub: str = "local-user",
        expires_in: int = 3600,
        audience: str | Iterable[str] = DEFAULT_AUDIENCE,
        *,
        not_before: int | None = None,
        issued_at: int | None = None,
        extra_claims: Mapping[str, Any] | None = None,
        signing_key: rsa.RSAPrivateKey | None = None,
    ) -> str:
        """An RS256 ID token; ``extra_claims`` override the standard ones (e.g. a float ``exp``), and a
        claim given as None is left out (a token without ``aud``)."""
        iat = int(time.time()) if issued_at is None else issued_at
        aud: str | list[str] = audience if isinstance(audience, str) else list(audience)
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": sub,
            "aud": aud,
            "iat": iat,
            "exp": iat + expires_in,
            "jti": uuid.uuid4().hex,
        }
        if not_before is not None:
            claims["nbf"] = not_before
        if extra_claims:
            claims.update(extra_claims)
            claims = {name: value for name, value in claims.items() if value is not None}
        key = signing_key or self._key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": self.kid, "typ": "JWT"})

    def mint_forged_token(self, sub: str = "local-user", **kwargs: Any) -> str:
        """A token that looks like ours (same ``iss``/``kid``) but is signed by a stranger's key."""
        kwargs["signing_key"] = new_rsa_key()
        return self.mint_token(sub, **kwargs)

    # -- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self._dispatch(request)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def _dispatch(self, request: Request) -> Response:
        # Before base_url is pinned, describe ourselves by the address we were reached at.
        base = self._base_url or request.host_url.rstrip("/")
        if request.method not in ("GET", "HEAD"):
            return Response("method not allowed", status=405)
        if request.path == DISCOVERY_PATH:
            return _json(self.discovery_document(base))
        if request.path == JWKS_PATH:
            return _json(self.jwks())
        return Response(NotFound.description, status=404, mimetype="text/plain")


def _json(body: Mapping[str, Any]) -> Response:
    return Response(json.dumps(body), status=200, mimetype="application/json")
