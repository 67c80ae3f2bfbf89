"""``resolve_parameters()``: what the user passed → checked settings and the provider that will sign, with no
network call (the role psycopg's ``conninfo_to_dict`` plays).

``connect()`` starts with it, and so does the SQLAlchemy dialect; call it yourself to check a configuration
before using it (a ``--check`` option, a settings form) or to see what a connection would use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .clients import client_config, endpoint_url
from .credentials import CredentialsProvider, ProviderContext
from .credentials.registry import foreign_parameters, secret_parameter_names, select_provider
from .dsn import parse_jdbc_url
from .errors import ParameterError
from .parameters import COMMON_PARAMETERS, PYATHENA_OPTIONS, Settings, resolve, rules

if TYPE_CHECKING:
    from botocore.config import Config


@dataclass(frozen=True)
class ResolvedParameters:
    """Everything a connection will use, decided before touching the network.

    ``settings`` holds every parameter of the connection by its canonical name, defaults included (reading a
    name that is not a parameter raises ``KeyError``; secrets are masked in its ``repr``); ``provider`` is
    the credentials provider, built but not yet asked for credentials; ``region`` the region of every client.
    """

    settings: Settings
    provider: CredentialsProvider
    region: str

    def client_config(self, service: str) -> Config:
        """The botocore Config of ``service``'s client: retries, timeouts, proxy, user agent."""
        return self.provider.context.client_config(service)

    def endpoint_url(self, service: str) -> str | None:
        """The endpoint the parameters give for ``service`` (``athena``, ``s3``, ``sts``), if any."""
        return self.provider.context.endpoint_url(service)


def resolve_parameters(dsn: str | None = None, /, **kwargs: Any) -> ResolvedParameters:
    """Resolve and check connection parameters as ``connect()`` does, without any network call.

    ``dsn`` is an optional JDBC URL (``jdbc:athena://Name=Value;...``); keyword arguments use the same names
    (any case, any alias) and override the URL. Raises :class:`ParameterError` naming the parameter for
    anything wrong that can be known locally; warns as ``connect()`` does (deprecated aliases, parameters
    that cannot apply).
    """
    sources: list[tuple[str, Mapping[str, Any]]] = []
    if dsn is not None:
        sources.append(("JDBC URL", parse_jdbc_url(dsn, secret_parameter_names())))
    sources.append(("keyword arguments", kwargs))

    provider_class = select_provider([source for _, source in sources])
    parameters = (*COMMON_PARAMETERS, *PYATHENA_OPTIONS, *provider_class.parameters)
    settings = resolve(sources, parameters, foreign_parameters(provider_class))
    settings = settings.with_defaults(provider_class.implied_settings(settings))
    if settings.given("CredentialsProviderArguments") and not provider_class.accepts_arguments:
        raise ParameterError(
            f"The {provider_class.name} credentials provider takes no CredentialsProviderArguments.",
            parameter="CredentialsProviderArguments",
        )
    rules.check(settings)
    region = rules.region(settings, lambda: provider_class.configured_region(settings))

    def config_for(service: str) -> Config:
        return client_config(settings, service, region, settings["config"])

    arguments = tuple(a.strip() for a in (settings["CredentialsProviderArguments"] or "").split(",") if a.strip())
    context = ProviderContext(
        region=region,
        endpoint_url=lambda service: endpoint_url(settings, service),
        client_config=config_for,
        arguments=arguments,
    )
    return ResolvedParameters(settings, provider_class(settings, context), region)
