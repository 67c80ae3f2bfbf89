"""The SQLAlchemy dialect ``awsathena+jwt://``: PyAthena's dialect on top of this driver.

    engine = create_engine(
        "awsathena+jwt://athena.eu-west-1.amazonaws.com:443/analytics"
        "?CredentialsProvider=JWT&JwtRoleArn=arn:aws:iam::123456789012:role/analyst"
        "&JwtRoleSessionName=bi&JwtWebIdentityTokenFile=/var/run/secrets/token"
        "&OutputLocation=s3://my-athena-results/"
    )

The URL's query parameters are connection parameters with the same names, aliases and rules as
``connect()`` (they arrive as strings and are coerced by the catalogue); ``connect_args`` override them,
as SQLAlchemy does for every dialect. The host ``athena.<region>.amazonaws.com`` sets ``Region``; any
other host becomes ``AthenaEndpoint``; the database part is ``Database``; a user and password are IAM
keys (``User``/``Password``). Reflection and compilation are PyAthena's, which is why connections are
``pyathena.connection.Connection`` subclasses.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from types import ModuleType
from typing import Any, cast

from pyathena.sqlalchemy.rest import AthenaRestDialect
from sqlalchemy.engine.url import URL

from .errors import ParameterError

_AWS_HOST = re.compile(r"athena\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?", re.ASCII)


class AthenaJwtDialect(AthenaRestDialect):
    """``awsathena+jwt://``: Athena through ``athena_jwt_dbapi.connect()``."""

    driver = "jwt"
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> ModuleType:
        import athena_jwt_dbapi

        return athena_jwt_dbapi

    @classmethod
    def dbapi(cls) -> ModuleType:  # type: ignore[override]
        return cls.import_dbapi()

    def create_connect_args(self, url: URL) -> tuple[tuple[str], MutableMapping[str, Any]]:
        options: dict[str, Any] = {}
        if url.host:
            match = _AWS_HOST.fullmatch(url.host)
            if match:
                options["Region"] = match.group(1)
            else:
                port = f":{url.port}" if url.port else ""
                options["AthenaEndpoint"] = f"https://{url.host}{port}"
        if url.username:
            options["User"] = url.username
        if url.password:
            options["Password"] = url.password
        if url.database:
            options["Database"] = url.database
        for name, value in url.query.items():
            if not isinstance(value, str):
                raise ParameterError(f"Connection property {name} is given more than once in the URL.", parameter=name)
            options[name] = value
        # PyAthena's compiler reads these (e.g. to recognise S3 Tables catalogs).
        self._connect_options = {
            "schema_name": options.get("Database", "default"),
            "catalog_name": options.get("Catalog", "awsdatacatalog"),
        }
        return cast(tuple[str], ()), options
