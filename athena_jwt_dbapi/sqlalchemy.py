"""The SQLAlchemy dialect ``awsathena+jwt://``: PyAthena's dialect on top of this driver.

    engine = create_engine(
        "awsathena+jwt://athena.eu-west-1.amazonaws.com:443/analytics"
        "?CredentialsProvider=JWT&JwtRoleArn=arn:aws:iam::123456789012:role/analyst"
        "&JwtRoleSessionName=bi&JwtWebIdentityTokenFile=/var/run/secrets/token"
        "&OutputLocation=s3://my-athena-results/"
    )

The URL's query parameters are connection parameters with the same names, aliases and rules as
``connect()`` (they arrive as strings and are coerced by the parameter rules); ``connect_args`` override them,
as SQLAlchemy does for every dialect. The host ``athena.<region>.amazonaws.com`` sets ``Region``; any
other host becomes ``AthenaEndpoint``; the database part is ``Database``; a user and password are IAM
keys (``User``/``Password``). Reflection and compilation are PyAthena's, which is why connections are
``pyathena.connection.Connection`` subclasses.

PyAthena's table options are accepted in the URL as ``awsathena+rest`` accepts them (``location``,
``s3_dir``, ``compression``, ``file_format``, ``row_format``, ``serdeproperties``, ``tblproperties``,
``bucket_count``, and the engine options ``insertmanyvalues_page_size`` / ``use_insertmanyvalues``):
they shape the ``CREATE EXTERNAL TABLE`` the dialect compiles (pandas ``to_sql``) and are not
connection parameters. Without ``location``, tables go under the connection's OutputLocation.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from types import ModuleType
from typing import Any, cast

from pyathena.sqlalchemy.rest import AthenaRestDialect
from pyathena.util import strtobool
from sqlalchemy.engine.url import URL

from .errors import ParameterError

_AWS_HOST = re.compile(r"athena\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?", re.ASCII)

# PyAthena's DDL compiler reads these from the dialect's connect options (``awsathena_*`` table
# options override them); ``s3_dir`` is PyAthena's older name of ``location``.
_TABLE_OPTIONS = ("location", "compression", "file_format", "row_format", "serdeproperties", "tblproperties")
_TABLE_OPTION_ALIASES = {"s3_dir": "location"}


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
        table_options: dict[str, Any] = {}
        for name, value in url.query.items():
            if not isinstance(value, str):
                raise ParameterError(f"Connection property {name} is given more than once in the URL.", parameter=name)
            option = name.lower()
            if option in _TABLE_OPTIONS:
                table_options[option] = value
            elif option in _TABLE_OPTION_ALIASES:
                table_options.setdefault(_TABLE_OPTION_ALIASES[option], value)
            elif option == "bucket_count":
                table_options[option] = _bucket_count(value)
            elif option in self._URL_ENGINE_OPTIONS:
                self._apply_engine_option(option, value)
            else:
                options[name] = value
        # PyAthena's compiler reads the table options of CREATE TABLE from here; connect() adds the rest.
        self._connect_options = table_options
        return cast(tuple[str], ()), options

    def connect(self, *cargs: Any, **cparams: Any) -> Any:
        """Connect with the URL's parameters and ``connect_args`` (SQLAlchemy merges them only after
        :meth:`create_connect_args`), resolved once.

        PyAthena's compiler also reads the catalog (to recognise S3 Tables catalogs), the schema and the
        results location (tables go under it when the URL gives no ``location``) from ``_connect_options``:
        they are the values the connection uses, aliases, ``connect_args`` and defaults included, which
        only the resolver knows.
        """
        from ._connect import open_connection
        from .conninfo import resolve_parameters

        resolved = resolve_parameters(*cargs, **cparams)
        settings = resolved.settings
        staging = settings["OutputLocation"]
        self._connect_options.update(
            schema_name=settings["Database"],
            catalog_name=settings["Catalog"],
            s3_staging_dir=staging if not staging or staging.endswith("/") else staging + "/",
        )
        return open_connection(resolved)

    def _apply_engine_option(self, name: str, value: str) -> None:
        """``insertmanyvalues_page_size`` / ``use_insertmanyvalues`` from the URL, unless create_engine set them."""
        if name in self._explicit_engine_options:
            return
        try:
            if name == "insertmanyvalues_page_size":
                self.insertmanyvalues_page_size = int(value)
            else:
                self.use_insertmanyvalues = bool(strtobool(value))
        except ValueError:
            raise ParameterError(f"Invalid value specified for URL option {name}: {value!r}.", parameter=name) from None


def _bucket_count(value: str) -> str:
    if not value.strip().isdigit():
        raise ParameterError(
            f"Invalid value specified for URL option bucket_count: {value!r}.", parameter="bucket_count"
        )
    return value.strip()
