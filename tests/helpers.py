"""Small helpers shared by the tests (no fixtures here)."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

ROLE_ARN = "arn:aws:iam::123456789012:role/analytics"


def _segment(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def unsigned_jwt(**claims: Any) -> str:
    """A JWT-shaped token with the given claims (moto's STS does not check signatures)."""
    body = {"iss": "https://issuer.example", "sub": "tester", "aud": "sts.amazonaws.com"}
    body.setdefault("exp", int(time.time()) + 3600)
    body.update(claims)
    return f"{_segment({'alg': 'RS256', 'typ': 'JWT'})}.{_segment(body)}.c2lnbmF0dXJlLXZhbHVl"


#: The smallest valid JWT-provider configuration (resolving it makes no network call).
JWT_PARAMETERS: dict[str, Any] = {
    "CredentialsProvider": "JWT",
    "JwtWebIdentityToken": unsigned_jwt(),
    "JwtRoleArn": ROLE_ARN,
    "JwtRoleSessionName": "tests",
    "Region": "us-east-1",
}
