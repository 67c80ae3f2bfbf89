"""botocore settings derived from the parameters: endpoints, retries, timeouts, proxies, user agent.

One function per concern, each reading the resolved settings, so every client of a connection (Athena,
S3, STS) gets the same retry policy and user agent and its own endpoint and proxy decision.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .redaction import register_secret

if TYPE_CHECKING:
    from botocore.config import Config

_ENDPOINT_PARAMETER = {"athena": "AthenaEndpoint", "s3": "S3Endpoint", "sts": "StsEndpoint"}
_DEFAULT_HOST = {
    "athena": "athena.{region}.amazonaws.com",
    "s3": "s3.{region}.amazonaws.com",
    "sts": "sts.{region}.amazonaws.com",
}
USER_AGENT = "athena-jwt-dbapi"


def normalize_endpoint(value: str) -> str:
    """JDBC adds ``https://`` to an endpoint given without a scheme; so do we."""
    return value if value.lower().startswith(("http://", "https://")) else f"https://{value}"


def endpoint_url(settings: Mapping[str, Any], service: str) -> str | None:
    name = _ENDPOINT_PARAMETER.get(service)
    value = settings.get(name) if name else None
    return normalize_endpoint(value) if value else None


def configured_endpoint_url(service: str) -> str | None:
    """The endpoint botocore's clients take from the environment when no parameter names one:
    ``AWS_ENDPOINT_URL_<SERVICE>``, else ``AWS_ENDPOINT_URL`` (unless ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``).

    Only needed where something other than botocore connects: pyarrow's S3 filesystem ignores these
    variables, so the connection hands it the endpoint explicitly.
    """
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return None
    return os.environ.get(f"AWS_ENDPOINT_URL_{service.upper()}") or os.environ.get("AWS_ENDPOINT_URL") or None


def endpoint_host(settings: Mapping[str, Any], service: str, region: str | None) -> str:
    url = endpoint_url(settings, service)
    if url:
        return urlsplit(url).hostname or ""
    return _DEFAULT_HOST.get(service, "{region}").format(region=region or "us-east-1")


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
            encoded = quote(password, safe="")
            register_secret(encoded)
            userinfo += ":" + encoded
        userinfo += "@"
    port = settings.get("ProxyPort") or parts.port
    netloc = f"{userinfo}{parts.hostname}" + (f":{port}" if port else "")
    return f"{parts.scheme}://{netloc}"


def is_proxy_exempt(settings: Mapping[str, Any], host: str) -> bool:
    exempt = settings.get("ProxyExemptHosts") or ""
    patterns = [p.strip().lower() for p in exempt.split("|") if p.strip()]
    return any(fnmatch.fnmatch(host.lower(), p) or host.lower().endswith("." + p) for p in patterns)


def client_config(settings: Mapping[str, Any], service: str, region: str | None, base: Config | None = None) -> Config:
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
