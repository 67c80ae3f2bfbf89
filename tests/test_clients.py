"""botocore settings derived from the parameters (retries, timeouts, proxies, user agent, endpoints)."""

from __future__ import annotations

from typing import Any

import pyathena
import pytest
from botocore.config import Config

from athena_jwt_dbapi.clients import client_config, endpoint_url, is_proxy_exempt
from athena_jwt_dbapi.redaction import redact, register_secret


def config(service: str = "athena", **settings: Any) -> Config:
    return client_config(settings, service, "eu-west-1")


def test_standard_retries_by_default() -> None:
    assert config().retries == {"mode": "standard"}


def test_num_retries() -> None:
    assert config(NumRetries=4).retries == {"mode": "standard", "total_max_attempts": 5}


def test_network_timeout() -> None:
    chosen = config(NetworkTimeoutMillis=2500)
    assert (chosen.connect_timeout, chosen.read_timeout) == (2.5, 2.5)


def test_application_name_in_user_agent() -> None:
    assert config(ApplicationName="etl-job").user_agent_extra == f"{pyathena.user_agent_extra} athena-jwt-dbapi etl-job"


def test_user_config_is_kept_under_ours() -> None:
    merged = client_config(
        {"NumRetries": 1}, "athena", "eu-west-1", Config(max_pool_connections=50, user_agent_extra="mine")
    )
    assert merged.max_pool_connections == 50
    assert merged.retries == {"mode": "standard", "total_max_attempts": 2}
    assert merged.user_agent_extra == f"mine {pyathena.user_agent_extra} athena-jwt-dbapi"


def test_proxy_url_with_credentials_is_encoded_and_registered_secret() -> None:
    register_secret("p@ss:word")  # as resolving ProxyPassword, a secret parameter, does
    chosen = config(ProxyHost="proxy.corp", ProxyPort=3128, ProxyUsername="me@corp", ProxyPassword="p@ss:word")
    assert chosen.proxies == {"http": "http://me%40corp:p%40ss%3Aword@proxy.corp:3128"} | {
        "https": "http://me%40corp:p%40ss%3Aword@proxy.corp:3128"
    }
    assert "p%40ss%3Aword" not in redact(str(chosen.proxies))


@pytest.mark.parametrize(
    ("exempt", "service", "expected"),
    [
        ("athena.eu-west-1.amazonaws.com", "athena", True),
        ("*.amazonaws.com", "s3", True),
        ("amazonaws.com", "sts", True),
        ("*.internal", "athena", False),
        ("", "athena", False),
    ],
)
def test_proxy_exemption_per_service_host(exempt: str, service: str, expected: bool) -> None:
    chosen = config(service, ProxyHost="proxy", ProxyPort=8080, ProxyExemptHosts=exempt)
    assert (chosen.proxies is None) == expected


def test_exemption_of_an_endpoint_override() -> None:
    settings = {"AthenaEndpoint": "http://127.0.0.1:9999", "ProxyExemptHosts": "localhost|127.0.0.1"}
    assert is_proxy_exempt(settings, "127.0.0.1")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("athena.example.com", "https://athena.example.com"), ("http://127.0.0.1:1", "http://127.0.0.1:1")],
)
def test_endpoints_get_https_when_no_scheme(value: str, expected: str) -> None:
    assert endpoint_url({"AthenaEndpoint": value}, "athena") == expected
    assert endpoint_url({}, "athena") is None


class Recording(dict[str, Any]):
    """Settings that remember which names were read."""

    def __init__(self, values: dict[str, Any]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        self.read.add(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        self.read.add(name)
        return super().get(name, default)


def test_every_setting_that_shapes_the_shared_clients_is_in_the_session_key() -> None:
    """Connections share a session and its clients when their SESSION_SETTINGS are equal: a setting the
    Athena or S3 client (or the session's event handlers) is built from, but missing there, would let two
    connections with different values share clients."""
    import boto3

    from athena_jwt_dbapi.aws import new_botocore_session
    from athena_jwt_dbapi.clients import SESSION_SETTINGS, add_result_configuration

    settings = Recording(
        {
            "AthenaEndpoint": "athena.example.com",
            "S3Endpoint": "http://127.0.0.1:9000",
            "NumRetries": 2,
            "NetworkTimeoutMillis": 1000,
            "ProxyHost": "proxy.corp",
            "ProxyPort": 3128,
            "ProxyUsername": "me",
            "ProxyPassword": "proxy-pass",
            "ProxyExemptHosts": "*.internal",
            "ApplicationName": "etl",
            "ExpectedBucketOwner": "123456789012",
            "AclOption": "BUCKET_OWNER_FULL_CONTROL",
        }
    )
    for service in ("athena", "s3"):
        client_config(settings, service, "eu-west-1")
        endpoint_url(settings, service)
    add_result_configuration(boto3.Session(botocore_session=new_botocore_session()), settings)
    assert settings.read == set(SESSION_SETTINGS)


def test_identity_center_endpoints_and_their_proxy_exemption() -> None:
    """JWT_TIP's sso-oidc and sso-admin clients take SsoOidcEndpoint / SsoAdminEndpoint; without them their
    regional hosts (oidc.<region>, sso.<region>) decide the proxy exemption."""
    settings = {"SsoOidcEndpoint": "oidc.internal.example", "SsoAdminEndpoint": "http://127.0.0.1:9999"}
    assert endpoint_url(settings, "sso-oidc") == "https://oidc.internal.example"
    assert endpoint_url(settings, "sso-admin") == "http://127.0.0.1:9999"
    proxied = {"ProxyHost": "proxy.example.com", "ProxyPort": 3128, "ProxyExemptHosts": "oidc.eu-west-1.amazonaws.com"}
    assert config("sso-oidc", **proxied).proxies is None
    proxy = "http://proxy.example.com:3128"
    assert config("sso-admin", **proxied).proxies == {"http": proxy, "https": proxy}
