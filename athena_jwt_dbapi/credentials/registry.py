"""The registry of credentials providers: built-ins, ``register_credentials_provider()`` and entry points.

A connection string can only name a provider that is registered here. Nothing is ever imported from a
dotted path found in a connection string (redshift_connector had to add an allow-list for exactly that).
Third-party packages add providers through the entry-point group ``athena_jwt_dbapi.credentials_providers``;
those are loaded on the first lookup that misses the in-process registry.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from .._warn import warn
from ..errors import InterfaceError, ParameterError
from ..parameters.table import COMMON_PARAMETERS, PYATHENA_OPTIONS
from .base import CredentialsProvider

ENTRY_POINT_GROUP = "athena_jwt_dbapi.credentials_providers"

_lock = threading.RLock()
_providers: dict[str, type[CredentialsProvider]] = {}
_entry_points_loaded = False
_RESERVED = {n.lower() for p in (*COMMON_PARAMETERS, *PYATHENA_OPTIONS) for n in p.names()}
_SELECTOR_NAMES = {n.lower() for p in COMMON_PARAMETERS if p.name == "CredentialsProvider" for n in p.names()}
#: The provider when ``CredentialsProvider`` is not given and no provider's ``selected_by`` parameter is.
DEFAULT_PROVIDER = "DefaultChain"


def register_credentials_provider(provider: type[CredentialsProvider], *, replace: bool = False) -> None:
    """Make ``provider`` selectable as ``CredentialsProvider=<provider.name>``.

    Refuses a name that is taken (unless ``replace``) and parameters whose names clash with the common
    parameters, so a provider can never shadow ``Region`` or ``OutputLocation``.
    """
    if not (isinstance(provider, type) and issubclass(provider, CredentialsProvider)):
        raise InterfaceError(f"{provider!r} is not a subclass of athena_jwt_dbapi.CredentialsProvider.")
    name = getattr(provider, "name", None)
    if not isinstance(name, str) or not name:
        raise InterfaceError(f"{provider.__name__} must set a non-empty class attribute `name`.")
    clashes = sorted(n for p in provider.parameters for n in p.names() if n.lower() in _RESERVED)
    if clashes:
        raise InterfaceError(
            f"Credentials provider {name} declares parameters that are common parameters: {', '.join(clashes)}."
        )
    with _lock:
        existing = _providers.get(name.lower())
        if existing is not None and existing is not provider and not replace:
            raise InterfaceError(
                f"A credentials provider named {name} is already registered ({existing.__module__}."
                f"{existing.__qualname__}); pass replace=True to replace it."
            )
        _providers[name.lower()] = provider


def unregister_credentials_provider(name: str) -> None:
    """Remove a provider (tests and plugins that register temporarily)."""
    with _lock:
        _providers.pop(name.lower(), None)


def _load_entry_points() -> None:
    global _entry_points_loaded
    with _lock:
        if _entry_points_loaded:
            return
        _entry_points_loaded = True
        from importlib.metadata import entry_points  # 30 ms of imports: only when a lookup needs it

        for entry in entry_points(group=ENTRY_POINT_GROUP):
            if entry.name.lower() in _providers:
                continue
            try:
                register_credentials_provider(entry.load())
            except Exception as error:  # one broken plugin must not break every connect
                warn(
                    f"Credentials provider entry point {entry.name} ({entry.value}) could not be loaded: "
                    f"{type(error).__name__}: {error}",
                    RuntimeWarning,
                )


def registered_credentials_providers() -> dict[str, type[CredentialsProvider]]:
    """Every provider by its name, entry points included."""
    _load_entry_points()
    with _lock:
        return {p.name: p for p in _providers.values()}


def get_credentials_provider(name: str) -> type[CredentialsProvider]:
    """The provider registered as ``name`` (case-insensitive), or a ParameterError that suggests one."""
    if not isinstance(name, str):
        raise ParameterError(
            "Connection property CredentialsProvider must be a string.", parameter="CredentialsProvider"
        )
    with _lock:
        found = _providers.get(name.lower())
    if found is None:
        _load_entry_points()
        with _lock:
            found = _providers.get(name.lower())
    if found is not None:
        return found
    known = sorted(registered_credentials_providers())
    close = difflib.get_close_matches(name.lower(), [k.lower() for k in known], n=1, cutoff=0.5)
    hint = next((k for k in known if close and k.lower() == close[0]), None)
    raise ParameterError(
        f"Invalid value specified for connection property: CredentialsProvider. No credentials provider "
        f"named {name!r} is registered (known: {', '.join(known)})." + (f" Did you mean {hint}?" if hint else ""),
        parameter="CredentialsProvider",
    )


def select_provider(sources: Sequence[Mapping[str, Any]]) -> type[CredentialsProvider]:
    """The provider for what the user passed (``sources`` lowest precedence first), before the parameters are
    resolved (they depend on it): ``CredentialsProvider`` if given, else the first registered provider one of
    whose ``selected_by`` parameters is given, else :data:`DEFAULT_PROVIDER`."""
    name = _last_given(sources, _SELECTOR_NAMES)
    if name is not None:
        return get_credentials_provider(name)
    for provider in registered_credentials_providers().values():
        selectors = {n.lower() for p in provider.parameters if p.name in provider.selected_by for n in p.names()}
        if selectors and _last_given(sources, selectors) is not None:
            return provider
    return get_credentials_provider(DEFAULT_PROVIDER)


def _last_given(sources: Sequence[Mapping[str, Any]], names: set[str]) -> Any:
    """The value of any of ``names`` (lower-cased) in the last source that gives one (an empty string is absent)."""
    found: Any = None
    for source in sources:
        for key, value in source.items():
            if isinstance(key, str) and key.lower() in names and value not in (None, ""):
                found = value
    return found


def foreign_parameters(provider: type[CredentialsProvider]) -> dict[str, str]:
    """Lower-cased names of other providers' parameters → the provider that owns each, so that such a name gets
    "belongs to the X credentials provider" rather than "unknown"."""
    own = {n.lower() for p in provider.parameters for n in p.names()}
    foreign: dict[str, str] = {}
    for other in registered_credentials_providers().values():
        if other is provider:
            continue
        for parameter in other.parameters:
            for spelled in parameter.names():
                if spelled.lower() not in own:
                    foreign.setdefault(spelled.lower(), other.name)
    return foreign


def secret_parameter_names() -> frozenset[str]:
    """Every spelling, lower-cased, of every secret parameter: the common ones and every registered provider's."""
    parameters = [*COMMON_PARAMETERS, *(p for c in registered_credentials_providers().values() for p in c.parameters)]
    return frozenset(name.lower() for p in parameters if p.secret for name in p.names())
