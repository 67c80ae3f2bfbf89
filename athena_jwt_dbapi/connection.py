"""The connection: a PyAthena ``Connection`` with our session, S3 endpoint and PEP 249 closed state.

Subclassing (rather than wrapping) keeps every PyAthena cursor class and helper working, and lets
SQLAlchemy's PyAthena dialect reflect through it, since they reach into ``Connection`` attributes.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.client import BaseClient
from pyathena.connection import Connection as PyAthenaConnection

from ._arrow import substitute_cursor_class
from .errors import ProgrammingError
from .redaction import install_log_filter


class Connection(PyAthenaConnection):  # type: ignore[type-arg]
    """A PEP 249 connection to Athena. Use :func:`athena_jwt_dbapi.connect` to create one."""

    def __init__(
        self,
        *,
        s3_endpoint_url: str | None = None,
        credentials_provider: str = "",
        **kwargs: Any,
    ) -> None:
        self._closed = False
        self._s3_endpoint_url = s3_endpoint_url
        self._credentials_provider = credentials_provider
        self._s3_lock = threading.Lock()
        self._s3: BaseClient | None = None
        super().__init__(**kwargs)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def s3_endpoint_url(self) -> str | None:
        """The ``S3Endpoint`` every S3 read of this connection goes to (None = the regional default)."""
        return self._s3_endpoint_url

    def _check_open(self) -> None:
        if self._closed:
            raise ProgrammingError("The connection is closed.")

    @property
    def client(self) -> BaseClient:
        """The Athena client; refuses once the connection is closed, so open cursors stop too."""
        self._check_open()
        athena: BaseClient = self._client
        return athena

    @property
    def _s3_client_kwargs(self) -> dict[str, Any]:
        """PyAthena's hook for the S3 clients it makes itself (``pandas.util.to_sql`` uploads): with S3Endpoint."""
        kwargs: dict[str, Any] = dict(super()._s3_client_kwargs)
        if self._s3_endpoint_url:
            kwargs["endpoint_url"] = self._s3_endpoint_url
        return kwargs

    @property
    def s3_client(self) -> BaseClient:
        """The S3 client of result reads; PyAthena's own drops endpoints, this one honours S3Endpoint."""
        self._check_open()
        with self._s3_lock:
            if self._s3 is None:
                self._s3 = self.session.client(
                    "s3",
                    region_name=self.region_name,
                    config=self.s3_config,
                    endpoint_url=self._s3_endpoint_url,
                )
            return self._s3

    def cursor(self, cursor: Any = None, **kwargs: Any) -> Any:
        """A cursor of ``cursor`` (default: the connection's class); PyAthena's Arrow cursors are swapped
        for subclasses that read results through ``S3Endpoint`` (see :mod:`._arrow`)."""
        self._check_open()
        created = super().cursor(substitute_cursor_class(cursor or self.cursor_class), **kwargs)
        install_log_filter()  # cursor modules (pandas, s3fs, ...) create their loggers on first import
        return created

    def close(self) -> None:
        """Close the network connections; further use raises ProgrammingError. Closing twice is fine."""
        if self._closed:
            return
        try:
            super().close()
            with self._s3_lock:
                if self._s3 is not None:
                    self._s3.close()
        finally:
            self._closed = True

    def commit(self) -> None:
        """Athena autocommits every statement: nothing to do."""
        self._check_open()

    def rollback(self) -> None:
        """Athena autocommits every statement, so there is never anything to roll back.

        A no-op rather than PyAthena's NotSupportedError: pandas calls ``rollback()`` after a failed
        query, and raising there would hide the query's own error.
        """
        self._check_open()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (
            f"<athena_jwt_dbapi.Connection {state} provider={self._credentials_provider!r} "
            f"region={self.region_name!r} work_group={self.work_group!r} schema={self.schema_name!r}>"
        )
