"""athena-jwt-dbapi: a PEP 249 driver for Amazon Athena with JWT authentication.

``connect()`` takes the Athena JDBC 3.x parameter names (and their aliases), exchanges a web identity
token for temporary credentials with STS, keeps them fresh, and returns a PyAthena connection.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import (
    CredentialsError,
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ParameterError,
    ParameterNotAppliedWarning,
    ProgrammingError,
    Warning,
)
from .types import (
    BINARY,
    BOOLEAN,
    DATE,
    DATETIME,
    JSON,
    NUMBER,
    ROWID,
    STRING,
    TIME,
    Binary,
    Date,
    DateFromTicks,
    Time,
    TimeFromTicks,
    Timestamp,
    TimestampFromTicks,
)

if TYPE_CHECKING:
    from .connection import Connection
    from .conninfo import ResolvedParameters, resolve_parameters
    from .credentials import (
        CredentialsProvider,
        ProviderContext,
        clear_credentials_cache,
        register_credentials_provider,
        registered_credentials_providers,
        unregister_credentials_provider,
    )
    from .credentials.refreshing import ScaledRefreshableCredentials
    from .parameters import Alias, Parameter

__version__ = "0.1.0"

#: PEP 249 globals. ``threadsafety = 2``: threads may share the module and connections (PyAthena's level).
apilevel = "2.0"
threadsafety = 2
paramstyle = "pyformat"

#: Names loaded on first use, so that ``import athena_jwt_dbapi`` costs no more than ``import pyathena``:
#: the connection subclasses PyAthena's (which loads boto3), and the parameter machinery is only needed
#: once something connects.
_LAZY = {
    "Alias": ".parameters",
    "Parameter": ".parameters",
    "Connection": ".connection",
    "ResolvedParameters": ".conninfo",
    "resolve_parameters": ".conninfo",
    "CredentialsProvider": ".credentials",
    "ProviderContext": ".credentials",
    "ScaledRefreshableCredentials": ".credentials.refreshing",
    "clear_credentials_cache": ".credentials",
    "register_credentials_provider": ".credentials",
    "registered_credentials_providers": ".credentials",
    "unregister_credentials_provider": ".credentials",
}


def connect(dsn: str | None = None, /, **kwargs: Any) -> Connection:
    """Open a connection to Athena.

    ``dsn`` is an optional JDBC URL (``jdbc:athena://Name=Value;...``); keyword arguments use the
    same names (any case, any alias) and override the URL. See the README's parameter table.
    Everything that can be checked without the network is checked first, by :func:`resolve_parameters`.
    """
    from ._connect import connect as _connect

    return _connect(dsn, **kwargs)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "BINARY",
    "BOOLEAN",
    "DATE",
    "DATETIME",
    "JSON",
    "NUMBER",
    "ROWID",
    "STRING",
    "TIME",
    "Alias",
    "Binary",
    "Connection",
    "CredentialsError",
    "CredentialsProvider",
    "DataError",
    "DatabaseError",
    "Date",
    "DateFromTicks",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "Parameter",
    "ParameterError",
    "ParameterNotAppliedWarning",
    "ProgrammingError",
    "ProviderContext",
    "ResolvedParameters",
    "ScaledRefreshableCredentials",
    "Time",
    "TimeFromTicks",
    "Timestamp",
    "TimestampFromTicks",
    "Warning",
    "__version__",
    "apilevel",
    "clear_credentials_cache",
    "connect",
    "paramstyle",
    "register_credentials_provider",
    "registered_credentials_providers",
    "resolve_parameters",
    "threadsafety",
    "unregister_credentials_provider",
]
