"""athena-jwt-dbapi: a PEP 249 driver for Amazon Athena with JWT authentication.

``connect()`` takes the Athena JDBC 3.x parameter names (and their aliases), exchanges a web identity
token for temporary credentials with STS, keeps them fresh, and returns a PyAthena connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._connect import connect
from .catalogue import Alias, Parameter
from .credentials import (
    CredentialsProvider,
    ProviderContext,
    clear_credentials_cache,
    register_credentials_provider,
    registered_credentials_providers,
    unregister_credentials_provider,
)
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
    ProgrammingError,
    Warning,
)
from .settings import ParameterNotAppliedWarning
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

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """``Connection`` subclasses PyAthena's, which loads boto3: it is imported on first use, so that
    ``import athena_jwt_dbapi`` stays as cheap as ``import pyathena``."""
    if name == "Connection":
        from .connection import Connection

        return Connection
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: PEP 249 globals. ``threadsafety = 2``: threads may share the module and connections (PyAthena's level).
apilevel = "2.0"
threadsafety = 2
paramstyle = "pyformat"

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
    "threadsafety",
    "unregister_credentials_provider",
]
