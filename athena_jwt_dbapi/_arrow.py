"""Arrow cursors that read result files through the connection's S3 endpoint (``S3Endpoint``).

PyAthena's Arrow result set opens its result files with a ``pyarrow.fs.S3FileSystem`` that has no
endpoint (and pyarrow ignores ``AWS_ENDPOINT_URL*``), so it would read from AWS whatever ``S3Endpoint``
says. These subclasses add the endpoint. They touch PyAthena private names, pinned by
``tests/e2e/test_arrow_guard.py``: ``AthenaArrowResultSetMetadataReader._create_s3_file_system`` /
``._connection`` / ``._connect_timeout`` / ``._request_timeout``, ``AthenaArrowResultSet._metadata_reader_class``,
``AsyncArrowCursor._result_set_class``, and the cursor helpers ``ArrowCursor.execute`` is made of.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

from pyathena.arrow.async_cursor import AsyncArrowCursor as PyAthenaAsyncArrowCursor
from pyathena.arrow.cursor import ArrowCursor as PyAthenaArrowCursor
from pyathena.arrow.result_set import AthenaArrowResultSet, AthenaArrowResultSetMetadataReader
from pyathena.error import OperationalError
from pyathena.model import AthenaQueryExecution
from pyathena.options import ExecuteOptions


def s3_filesystem_endpoint_options(endpoint_url: str | None) -> dict[str, str]:
    """``S3FileSystem`` keywords for an endpoint URL: ``endpoint_override`` (host[:port]) and ``scheme``."""
    if not endpoint_url:
        return {}
    parts = urlsplit(endpoint_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"S3 endpoint must be http(s)://host[:port], got {endpoint_url!r}")
    return {"endpoint_override": parts.netloc, "scheme": parts.scheme}


class EndpointArrowMetadataReader(AthenaArrowResultSetMetadataReader):
    """PyAthena's Arrow metadata reader whose filesystem goes to ``connection.s3_endpoint_url``."""

    def _create_s3_file_system(self) -> Any:
        from pyarrow import fs

        connection = self._connection
        kwargs: dict[str, Any] = {"region": connection.region_name}
        kwargs.update(s3_filesystem_endpoint_options(getattr(connection, "s3_endpoint_url", None)))
        if self._connect_timeout is not None:
            kwargs["connect_timeout"] = self._connect_timeout
        if self._request_timeout is not None:
            kwargs["request_timeout"] = self._request_timeout
        credentials = connection.session.get_credentials()
        if credentials:
            frozen = credentials.get_frozen_credentials()
            kwargs.update(access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token)
        return fs.S3FileSystem(**kwargs)


class EndpointArrowResultSet(AthenaArrowResultSet):
    """``AthenaArrowResultSet`` with :class:`EndpointArrowMetadataReader`."""

    _metadata_reader_class: ClassVar[type[AthenaArrowResultSetMetadataReader]] = EndpointArrowMetadataReader


class ArrowCursor(PyAthenaArrowCursor):
    """``pyathena.arrow.cursor.ArrowCursor`` reading through the S3 endpoint; ``Connection.cursor()``
    substitutes it. ``execute`` is PyAthena 4.2's, with only the result set class changed."""

    def execute(
        self,
        operation: str,
        parameters: dict[str, Any] | list[str] | None = None,
        *,
        work_group: str | None = None,
        s3_staging_dir: str | None = None,
        cache_size: int | None = None,
        cache_expiration_time: int | None = None,
        result_reuse_enable: bool | None = None,
        result_reuse_minutes: int | None = None,
        paramstyle: str | None = None,
        on_start_query_execution: Callable[[str], None] | None = None,
        result_set_type_hints: dict[str | int, str] | None = None,
        options: ExecuteOptions | None = None,
        **kwargs: Any,
    ) -> ArrowCursor:
        self._ensure_open()
        self._validate_execute_kwargs(kwargs, ("block_size", "connect_timeout", "request_timeout"))
        self._reset_state()
        options = ExecuteOptions.resolve(
            options,
            work_group=work_group,
            s3_staging_dir=s3_staging_dir,
            cache_size=cache_size,
            cache_expiration_time=cache_expiration_time,
            result_reuse_enable=result_reuse_enable,
            result_reuse_minutes=result_reuse_minutes,
            paramstyle=paramstyle,
            on_start_query_execution=on_start_query_execution,
            result_set_type_hints=result_set_type_hints,
        )
        operation, unload_location = self._prepare_unload(operation, options.s3_staging_dir)
        self.query_id = self._execute(operation, parameters=parameters, options=options)
        query_execution = cast(AthenaQueryExecution, self._poll(self.query_id, options))
        if query_execution.state != AthenaQueryExecution.STATE_SUCCEEDED:
            raise OperationalError(query_execution.state_change_reason)
        self.result_set = EndpointArrowResultSet(
            connection=self._connection,
            converter=self._converter,
            query_execution=query_execution,
            arraysize=self.arraysize,
            retry_config=self._retry_config,
            unload=self._unload,
            unload_location=unload_location,
            connect_timeout=kwargs.pop("connect_timeout", self._connect_timeout),
            request_timeout=kwargs.pop("request_timeout", self._request_timeout),
            result_set_type_hints=options.result_set_type_hints,
            **kwargs,
        )
        return self


class AsyncArrowCursor(PyAthenaAsyncArrowCursor):
    """``pyathena.arrow.async_cursor.AsyncArrowCursor`` reading through the S3 endpoint."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._result_set_class = EndpointArrowResultSet
