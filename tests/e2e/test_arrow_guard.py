"""Guard: the PyAthena internals that _arrow.py relies on. A PyAthena upgrade that moves them fails here."""

from __future__ import annotations

import inspect
from typing import Any

from pyathena.arrow.async_cursor import AsyncArrowCursor as PyAsync
from pyathena.arrow.cursor import ArrowCursor as PyArrowCursor
from pyathena.arrow.result_set import AthenaArrowResultSet, AthenaArrowResultSetMetadataReader

from athena_jwt_dbapi import _arrow


def test_execute_copy_matches_pyathena() -> None:
    # Same signature, and upstream execute still builds AthenaArrowResultSet from the same helpers.
    def shape(f: Any) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]

    assert shape(_arrow.ArrowCursor.execute) == shape(PyArrowCursor.execute)
    names = set(PyArrowCursor.execute.__code__.co_names)
    assert names == set(_arrow.ArrowCursor.execute.__code__.co_names) - {"EndpointArrowResultSet"} | {
        "AthenaArrowResultSet"
    }, "PyAthena's ArrowCursor.execute changed: re-sync _arrow.ArrowCursor.execute"


def test_reader_hooks_exist() -> None:
    assert AthenaArrowResultSet._metadata_reader_class is AthenaArrowResultSetMetadataReader
    assert "_metadata_reader_class" in AthenaArrowResultSet.__init__.__code__.co_names
    assert "_create_s3_file_system" in AthenaArrowResultSetMetadataReader.filesystem.fget.__code__.co_names  # type: ignore[attr-defined]
    params = inspect.signature(AthenaArrowResultSetMetadataReader.__init__).parameters
    assert {"connect_timeout", "request_timeout"} <= params.keys()
    src = inspect.getsource(AthenaArrowResultSetMetadataReader._create_s3_file_system)
    assert "endpoint_override" not in src, "PyAthena now sets an endpoint itself: revisit _arrow.py"
    assert "_result_set_class" in PyAsync._collect_result_set.__code__.co_names
    assert "_result_set_class" in PyAsync._description.__code__.co_names


def test_substitution_and_filesystem(local_athena: Any) -> None:
    import athena_jwt_dbapi

    conn = athena_jwt_dbapi.connect(**local_athena.connect_parameters())
    with conn:
        cur = conn.cursor(PyArrowCursor)
        assert isinstance(cur, _arrow.ArrowCursor)
        assert isinstance(conn.cursor(PyAsync), _arrow.AsyncArrowCursor)
        assert conn.cursor(PyAsync)._result_set_class is _arrow.EndpointArrowResultSet
        assert cur.execute("SELECT 1 AS x").as_arrow().to_pylist() == [{"x": 1}]  # read through S3Endpoint
        fs = cur.result_set._metadata_reader.filesystem  # type: ignore[union-attr]
        options = fs.__reduce__()[1][0]
        assert (options["scheme"], options["endpoint_override"]) == tuple(str(conn.s3_endpoint_url).split("://"))
