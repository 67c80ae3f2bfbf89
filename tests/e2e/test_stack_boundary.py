"""The offline stack as a security boundary (issue 10, items 11-13): a query cannot reach the host's files,
no port of the stack serves data without a signature, and an execution parameter is one value.

Each test names the item it holds to.
"""

from __future__ import annotations

import http.client
import uuid
from pathlib import Path

import psutil
import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena

# --- 11. no filesystem ------------------------------------------------------------------------------------------


def test_a_query_cannot_read_a_file_of_the_host(local_athena: LocalAthena, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("hunter2-on-the-host")
    with db.connect(**local_athena.connect_parameters()) as conn, conn.cursor() as cursor:
        for function in ("read_text", "read_blob", "read_csv_auto"):
            sql = f"SELECT * FROM {function}('{secret}')"
            with pytest.raises(db.DatabaseError) as info:
                cursor.execute(sql)
            assert f"FUNCTION_NOT_FOUND: line 1:15: Function '{function}' not registered" in str(info.value)
            assert "hunter2" not in str(info.value)
        cursor.execute("SELECT 1")  # the engine still answers
        assert cursor.fetchall() == [(1,)]


# --- 13. an execution parameter is one value ----------------------------------------------------------------------


def test_a_qmark_parameter_cannot_rewrite_the_statement(local_athena: LocalAthena) -> None:
    with db.connect(**local_athena.connect_parameters()) as conn, conn.cursor() as cursor:
        with pytest.raises(db.DatabaseError) as info:
            cursor.execute("SELECT ? AS v", ["1 AS v, 'injected' AS w --"], paramstyle="qmark")
        assert "INVALID_PARAMETER_USAGE: line 1:8: Execution parameter 1 must be one expression" in str(info.value)
        cursor.execute("SELECT ? * 2 AS v, ? AS w", ["1 + 1", "'it''s -- not a comment'"], paramstyle="qmark")
        assert cursor.fetchall() == [(4, "it's -- not a comment")]
        assert [d[0] for d in cursor.description] == ["v", "w"]


# --- 12. every port authenticates -----------------------------------------------------------------------------


def _listening_ports() -> set[int]:
    """The TCP ports this process listens on, as the operating system sees them."""
    return {c.laddr.port for c in psutil.Process().net_connections(kind="tcp") if c.status == psutil.CONN_LISTEN}


def _unsigned_get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{port}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_no_port_of_the_stack_serves_s3_data_without_a_signature() -> None:
    before = _listening_ports()
    with LocalAthena() as stack:
        opened = _listening_ports() - before
        bucket = f"boundary-{uuid.uuid4().hex[:12]}"
        stack.s3.create_bucket(bucket)
        stack.s3.put_object(bucket, "secret.csv", b"id,password\n1,hunter2\n")
        endpoints = (stack.issuer_url, stack.sts_endpoint, stack.athena_endpoint, stack.s3_endpoint)
        assert {int(url.rsplit(":", 1)[1]) for url in endpoints} <= opened  # the discovery sees the stack
        for port in sorted(opened):
            for path in (f"/{bucket}?list-type=2", f"/{bucket}/secret.csv", f"/{bucket}"):
                status, body = _unsigned_get(port, path)
                assert status >= 400, (port, path, status)
                assert b"secret.csv" not in body and b"hunter2" not in body, (port, path)
