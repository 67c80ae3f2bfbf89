"""An offline Athena: a local OIDC issuer, STS, Athena and S3 on loopback (extra ``local``), and IAM Identity
Center's sso-oidc and sso-admin for trusted identity propagation (``JWT_TIP``) once it is set up.

``LocalAthena`` starts everything; ``python -m athena_jwt_dbapi.local`` runs it in the foreground as a
development server for any AWS tool (a web identity token file and the standard environment); the
pytest fixture ``local_athena`` (plugin ``athena_jwt_dbapi.local.pytest_plugin``) hands a running stack
to your own tests.

The names below are imported lazily: pytest imports this package for the plugin in every project where
athena-jwt-dbapi is installed, and must not pay for (or need) moto, DuckDB and sqlglot unless a test
asks for the stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .iam import Role
    from .issuer import DEFAULT_AUDIENCE
    from .stack import LocalAthena

__all__ = ["DEFAULT_AUDIENCE", "LocalAthena", "Role"]


def __getattr__(name: str) -> Any:
    if name == "LocalAthena":
        from .stack import LocalAthena

        return LocalAthena
    if name == "Role":
        from .iam import Role

        return Role
    if name == "DEFAULT_AUDIENCE":
        from .issuer import DEFAULT_AUDIENCE

        return DEFAULT_AUDIENCE
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
