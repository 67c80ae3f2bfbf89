"""Credentials providers: the contract, the registry and the built-in providers."""

from __future__ import annotations

from .base import CredentialsProvider, ProviderContext
from .cache import clear_credentials_cache
from .jwt import JwtCredentialsProvider
from .jwt_tip import JwtTipCredentialsProvider
from .registry import (
    ENTRY_POINT_GROUP,
    get_credentials_provider,
    register_credentials_provider,
    registered_credentials_providers,
    unregister_credentials_provider,
)
from .sdk import (
    DefaultChainProvider,
    IAMCredentialsProvider,
    InstanceProfileProvider,
    ProfileCredentialsProvider,
)

BUILT_IN_PROVIDERS: tuple[type[CredentialsProvider], ...] = (
    JwtCredentialsProvider,
    JwtTipCredentialsProvider,
    DefaultChainProvider,
    ProfileCredentialsProvider,
    InstanceProfileProvider,
    IAMCredentialsProvider,
)
for _provider in BUILT_IN_PROVIDERS:
    register_credentials_provider(_provider)

__all__ = [
    "BUILT_IN_PROVIDERS",
    "ENTRY_POINT_GROUP",
    "CredentialsProvider",
    "DefaultChainProvider",
    "IAMCredentialsProvider",
    "InstanceProfileProvider",
    "JwtCredentialsProvider",
    "JwtTipCredentialsProvider",
    "ProfileCredentialsProvider",
    "ProviderContext",
    "clear_credentials_cache",
    "get_credentials_provider",
    "register_credentials_provider",
    "registered_credentials_providers",
    "unregister_credentials_provider",
]
