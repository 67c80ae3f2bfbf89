"""PEP 249 exceptions: PyAthena's own classes, so one ``except`` catches both our errors and query errors.

The two subclasses carry the facts a caller needs to act on (which parameter; which STS error code and
role) as attributes, so code never has to parse a message.
"""

from __future__ import annotations

from pyathena.error import (
    DatabaseError,
    DataError,
    Error,
    IntegrityError,
    InterfaceError,
    InternalError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    Warning,
)

__all__ = [
    "CredentialsError",
    "DataError",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "NotSupportedError",
    "OperationalError",
    "ParameterError",
    "ParameterNotAppliedWarning",
    "ProgrammingError",
    "Warning",
]


class ParameterError(InterfaceError):
    """A connection parameter is unknown, missing, malformed or in conflict; found before any network call.

    ``raise ParameterError("Missing required connection property: VaultRole.", parameter="VaultRole")``
    — the message is for people, ``parameter`` (optional) for code. Never put a secret value in either.
    """

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class CredentialsError(OperationalError):
    """AWS refused to issue credentials (or could not be reached): ``code`` is AWS's error code, ``role_arn``
    the role involved, when known.

    ``raise CredentialsError("Vault refused the lease for role analytics.", code="PermissionDenied")``
    """

    def __init__(self, message: str, *, code: str | None = None, role_arn: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.role_arn = role_arn


class ParameterNotAppliedWarning(UserWarning):
    """A JDBC parameter was given that has no effect in Python; the message says why."""
