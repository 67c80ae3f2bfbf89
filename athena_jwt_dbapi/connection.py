"""The connection: a PyAthena ``Connection`` over a shared session, with our S3 endpoint and PEP 249 state.

Subclassing (rather than wrapping) keeps every PyAthena cursor class and helper working, and lets
SQLAlchemy's PyAthena dialect reflect through it, since they reach into ``Connection`` attributes.
"""

from __future__ import annotations

from typing import Any

from botocore.client import BaseClient
from pyathena.connection import Connection as PyAthenaConnection
from pyathena.cursor import Cursor as PyAthenaCursor

from . import errors
from .aws import SharedSession, settings_digest
from .cursors import driver_cursor_class
from .errors import ProgrammingError
from .polling import PollSchedule
from .redaction import install_log_filter, redact


class Connection(PyAthenaConnection):  # type: ignore[type-arg]
    """A PEP 249 connection to Athena. Use :func:`athena_jwt_dbapi.connect` to create one."""

    # PEP 249's optional extension: the exception classes as connection attributes, so code that handles
    # several drivers' connections can write ``except conn.OperationalError``.
    Warning = errors.Warning
    Error = errors.Error
    InterfaceError = errors.InterfaceError
    DatabaseError = errors.DatabaseError
    DataError = errors.DataError
    OperationalError = errors.OperationalError
    IntegrityError = errors.IntegrityError
    InternalError = errors.InternalError
    ProgrammingError = errors.ProgrammingError
    NotSupportedError = errors.NotSupportedError

    def __init__(
        self,
        *,
        shared_session: SharedSession,
        s3_endpoint_url: str | None = None,
        credentials_provider: str = "",
        result_fetcher: str = "auto",
        poll_schedule: PollSchedule | None = None,
        **kwargs: Any,
    ) -> None:
        self._closed = False
        self.poll_schedule = poll_schedule
        self._shared_session = shared_session
        self._s3_endpoint_url = s3_endpoint_url
        self._credentials_provider = credentials_provider
        self.result_fetcher = result_fetcher
        super().__init__(session=shared_session.boto3, **kwargs)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def s3_endpoint_url(self) -> str | None:
        """The endpoint every S3 read of this connection goes to: ``S3Endpoint``, else the one botocore's S3
        client resolved (``AWS_ENDPOINT_URL_S3``, the config file, or the regional default) — for readers that
        are not botocore, such as pyarrow's S3 filesystem, which reads none of those settings."""
        if self._s3_endpoint_url:
            return self._s3_endpoint_url
        resolved: str | None = self.s3_client.meta.endpoint_url
        return resolved

    @property
    def _s3_client_kwargs(self) -> dict[str, Any]:
        """PyAthena's S3 client arguments (which drop Athena's endpoint), plus ``S3Endpoint``: its hook for the
        S3 clients it makes (result reads, ``pandas.util.to_sql`` uploads)."""
        kwargs: dict[str, Any] = dict(super()._s3_client_kwargs)
        if self._s3_endpoint_url:
            kwargs["endpoint_url"] = self._s3_endpoint_url
        return kwargs

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
    def s3_client(self) -> BaseClient:
        """The S3 client of result reads (through ``S3Endpoint``); refuses once the connection is closed."""
        self._check_open()
        s3: BaseClient = super().s3_client
        return s3

    def cursor(self, cursor: Any = None, **kwargs: Any) -> Any:
        """A cursor of ``cursor`` (default: the connection's class), as one of our subclasses: every cursor
        polls with the JDBC driver's backoff (see :mod:`.polling`) unless ``poll_interval`` is given; the
        plain and dict cursors read large results from S3 (``ResultFetcher``), the Arrow cursors read
        through ``S3Endpoint`` (see :mod:`.cursors`)."""
        self._check_open()
        created = super().cursor(driver_cursor_class(cursor or self.cursor_class), **kwargs)
        if "poll_interval" not in kwargs and "poll_interval" not in self.cursor_kwargs:
            created._poll_schedule = self.poll_schedule
        install_log_filter()  # cursor modules (pandas, s3fs, ...) create their loggers on first import
        return created

    def internal_cursor(self) -> Any:
        """A plain cursor for the driver's own queries: none of the user's cursor class, options or
        callbacks apply (PyAthena's own ``_internal_cursor`` still applies ``cursor_kwargs``)."""
        self._check_open()
        created = self._cursor(
            driver_cursor_class(PyAthenaCursor),
            converter=PyAthenaCursor.get_default_converter(),
            on_start_query_execution=None,
            on_poll=None,
        )
        created._poll_schedule = self.poll_schedule
        return created

    def run_connection_test(self) -> None:
        """JDBC's ConnectionTest: ``SELECT 1``, so a broken configuration fails at ``connect()``.

        It runs once per process per configuration (the shared session stands for the identity, region,
        endpoints and client settings), and on an internal plain cursor: never through the user's cursor
        class, cursor options or callbacks (an ``unload=True`` option would turn it into an UNLOAD, and a
        user's ``on_start_query_execution`` would see a query they never ran). A failed test closes the
        connection and is not remembered.
        """
        tested = self._shared_session.tested
        configuration = settings_digest(
            self.work_group,
            self.catalog_name,
            self.schema_name,
            self.s3_staging_dir,
            self.encryption_option,
            self.kms_key,  # a KMS key the role cannot use fails SELECT 1 as it would fail every query
        )
        if configuration in tested:
            return
        try:
            with self.internal_cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchall()
        except errors.Error as error:
            self.close()
            raise errors.OperationalError(f"ConnectionTest (SELECT 1) failed: {redact(str(error))}") from None
        tested.add(configuration)

    def close(self) -> None:
        """Close the connection; further use raises ProgrammingError. Closing twice is fine.

        The clients of a shared session stay open for the other connections of the same identity and
        settings (``clear_credentials_cache()`` closes them); a session of its own is closed here.
        """
        if self._closed:
            return
        self._closed = True
        if not self._shared_session.shared:
            super().close()

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
