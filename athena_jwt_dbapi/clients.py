"""botocore settings derived from the parameters: endpoints, retries, timeouts, proxies, user agent, and the
event handlers that add what PyAthena does not send (ExpectedBucketOwner, AclOption).

One function per concern, each reading the resolved settings, so every client of a connection (Athena,
S3, STS) gets the same retry policy and user agent and its own endpoint and proxy decision. A parameter
that shapes the clients is applied here, and named in :data:`SESSION_SETTINGS`.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from . import aws

if TYPE_CHECKING:
    from botocore.config import Config

_ENDPOINT_PARAMETER = {
    "athena": "AthenaEndpoint",
    "s3": "S3Endpoint",
    "sts": "StsEndpoint",
    "sso-oidc": "SsoOidcEndpoint",
    "sso-admin": "SsoAdminEndpoint",
}
_DEFAULT_HOST = {
    "athena": "athena.{region}.amazonaws.com",
    "s3": "s3.{region}.amazonaws.com",
    "sts": "sts.{region}.amazonaws.com",
    "sso-oidc": "oidc.{region}.amazonaws.com",
    "sso-admin": "sso.{region}.amazonaws.com",
}
USER_AGENT = "athena-jwt-dbapi"


def normalize_endpoint(value: str) -> str:
    """JDBC adds ``https://`` to an endpoint given without a scheme; so do we."""
    return value if value.lower().startswith(("http://", "https://")) else f"https://{value}"


def endpoint_url(settings: Mapping[str, Any], service: str) -> str | None:
    name = _ENDPOINT_PARAMETER.get(service)
    value = settings.get(name) if name else None
    return normalize_endpoint(value) if value else None


def endpoint_host(settings: Mapping[str, Any], service: str, region: str) -> str:
    url = endpoint_url(settings, service)
    if url:
        return urlsplit(url).hostname or ""
    return _DEFAULT_HOST.get(service, "{region}").format(region=region)


def _proxy_url(settings: Mapping[str, Any]) -> str | None:
    host = settings.get("ProxyHost")
    if not host:
        return None
    if "://" not in host:
        host = f"http://{host}"
    parts = urlsplit(host)
    user = settings.get("ProxyUsername")
    password = settings.get("ProxyPassword")
    userinfo = ""
    if user:
        userinfo = quote(user, safe="")
        if password:
            userinfo += ":" + quote(password, safe="")  # masked too: redaction knows URL-encoded secrets
        userinfo += "@"
    port = settings.get("ProxyPort") or parts.port
    netloc = f"{userinfo}{parts.hostname}" + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}"


def is_proxy_exempt(settings: Mapping[str, Any], host: str) -> bool:
    exempt = settings.get("ProxyExemptHosts") or ""
    patterns = [p.strip().lower() for p in exempt.split("|") if p.strip()]
    return any(fnmatch.fnmatch(host.lower(), p) or host.lower().endswith("." + p) for p in patterns)


def client_config(settings: Mapping[str, Any], service: str, region: str, base: Config | None = None) -> Config:
    """The botocore Config for one service's client, merged over the user's own ``config`` if any.

    The user agent names PyAthena too, as PyAthena's own clients do (so it need not add itself).
    """
    import pyathena
    from botocore.config import Config

    attempts = settings.get("NumRetries")
    retries: dict[str, Any] = {"mode": "standard"}
    if attempts is not None:
        retries["total_max_attempts"] = attempts + 1
    options: dict[str, Any] = {"retries": retries}
    agent = f"{pyathena.user_agent_extra} {USER_AGENT}"
    if settings.get("ApplicationName"):
        agent += f" {settings['ApplicationName']}"
    options["user_agent_extra"] = agent
    timeout = settings.get("NetworkTimeoutMillis")
    if timeout:
        options["connect_timeout"] = options["read_timeout"] = timeout / 1000
    proxy = _proxy_url(settings)
    if proxy and not is_proxy_exempt(settings, endpoint_host(settings, service, region)):
        options["proxies"] = {"http": proxy, "https": proxy}
    ours = Config(**options)
    if base is None:
        return ours
    merged = base.merge(ours)
    base_agent = getattr(base, "user_agent_extra", None)
    if base_agent:
        merged.user_agent_extra = f"{base_agent} {agent}"  # type: ignore[attr-defined]
    return merged


#: Every setting this module reads for the Athena and S3 clients and their session's event handlers:
#: connections share a session and its clients only when all of these are equal (see :mod:`.aws`).
SESSION_SETTINGS = (
    "AthenaEndpoint",
    "S3Endpoint",
    "NumRetries",
    "NetworkTimeoutMillis",
    "ProxyHost",
    "ProxyPort",
    "ProxyUsername",
    "ProxyPassword",
    "ProxyExemptHosts",
    "ApplicationName",
    "ExpectedBucketOwner",
    "AclOption",
)


def session_key(settings: Mapping[str, Any]) -> str:
    """A secret-free key of the settings that shape a session's clients (see :func:`.aws.shared_session`),
    and of the ``AWS_*`` environment botocore also reads when it builds them (endpoints, the config file):
    a changed environment gets clients of its own, as a new boto3 session would."""
    environment = sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_"))
    return aws.settings_digest(*(settings[name] for name in SESSION_SETTINGS), environment)


def add_result_configuration(session: Any, settings: Mapping[str, Any]) -> None:
    """ExpectedBucketOwner and AclOption, which PyAthena does not send, via botocore's public events."""
    owner = settings["ExpectedBucketOwner"]
    acl = settings["AclOption"]
    if not owner and not acl:
        return

    def add_configuration(params: dict[str, Any], **_: Any) -> None:
        result = params.setdefault("ResultConfiguration", {})
        if owner:
            result.setdefault("ExpectedBucketOwner", owner)
        if acl:
            result.setdefault("AclConfiguration", {"S3AclOption": acl})

    session.events.register("before-parameter-build.athena.StartQueryExecution", add_configuration)
    if owner:

        def add_owner(params: dict[str, Any], **_: Any) -> None:
            params.setdefault("ExpectedBucketOwner", owner)

        for operation in ("GetObject", "HeadObject", "ListObjectsV2", "ListObjects"):
            session.events.register(f"before-parameter-build.s3.{operation}", add_owner)
