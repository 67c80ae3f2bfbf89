"""The contract between ``connect()`` and a credentials provider.

A provider declares its own parameters (resolved by the same rules as the common ones, so
``User`` can mean one thing for one provider and another elsewhere) and turns them into botocore
credentials. It is constructed after every parameter has been checked and before any network call;
``load()`` is the first place it may touch the network, and ``connect()`` calls it eagerly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from .. import aws
from ..errors import CredentialsError, Error
from ..parameters.spec import Parameter
from ..redaction import redact, register_secret

if TYPE_CHECKING:  # botocore loads when the first connection is made, not at import
    from botocore.config import Config
    from botocore.credentials import Credentials


@dataclass(frozen=True)
class ProviderContext:
    """What a provider may need from the connection besides its own parameters.

    ``endpoint_url(service)`` is the user's endpoint override for a service (or None) and
    ``client_config(service)`` the botocore Config (retries, timeouts, proxies, user agent) a client of
    that service should use; ``arguments`` are the ``CredentialsProviderArguments`` strings.
    """

    region: str
    endpoint_url: Callable[[str], str | None]
    client_config: Callable[[str], Config]
    arguments: tuple[str, ...] = field(default=())


class CredentialsProvider(ABC):
    """Base class of every credentials provider (built-in or registered by a third party).

    Subclasses set ``name`` (the ``CredentialsProvider`` value, matched case-insensitively),
    ``parameters`` (their own connection parameters) and, if they take
    ``CredentialsProviderArguments``, ``accepts_arguments = True``; everything else connect() must know
    about a provider is asked of it here (``selected_by``, ``configured_region``, ``implied_settings``), so
    adding a provider touches its own module only. ``__init__`` may raise
    :class:`athena_jwt_dbapi.errors.ParameterError` for inconsistent values; ``load()`` returns
    credentials (a :class:`botocore.credentials.RefreshableCredentials` keeps itself fresh) or raises
    :class:`athena_jwt_dbapi.errors.CredentialsError`.
    """

    name: ClassVar[str]
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    accepts_arguments: ClassVar[bool] = False
    #: Its own parameters whose presence (under any alias) selects it when ``CredentialsProvider`` is not given.
    selected_by: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def configured_region(cls, settings: Mapping[str, Any]) -> str | None:
        """The region when ``Region`` is not given (called before the provider is built): the AWS SDKs' chain.

        A provider whose configuration names a region (a profile) overrides this; no network call.
        """
        return aws.configured_region()

    @classmethod
    def implied_settings(cls, settings: Mapping[str, Any]) -> Mapping[str, Any]:
        """Values of common parameters that follow from the provider's own when the user did not give them
        (``JWT_TIP``: the workgroup its ``WorkGroupArn`` names); given values always win. No network call."""
        return {}

    def __init__(self, settings: Mapping[str, Any], context: ProviderContext) -> None:
        self.settings = settings
        self.context = context

    @abstractmethod
    def load(self) -> Credentials | None:
        """The credentials to sign requests with; None means "none found" and fails the connect."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def load_credentials(provider: CredentialsProvider) -> Credentials:
    """The provider's credentials, fetched eagerly: a refused token fails here, not at the first query."""
    from botocore.exceptions import BotoCoreError, ClientError

    credentials = provider.load()
    if credentials is None:
        raise CredentialsError(f"The {provider.name} credentials provider found no credentials.")
    try:
        frozen = credentials.get_frozen_credentials()
    except Error:
        raise
    except (BotoCoreError, ClientError) as error:  # an SDK provider's deferred assume-role, SSO, ...
        raise CredentialsError(
            f"The {provider.name} credentials provider could not get credentials: {redact(str(error))}"
        ) from None
    register_secret(frozen.secret_key)  # a provider's later refreshes register their own (see .refreshing)
    register_secret(frozen.token)
    return credentials
