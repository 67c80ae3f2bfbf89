"""The local stack as a user meets it: loading data, enforcing expiry, and the command line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena


def test_load_csv_and_parquet_as_tables(local_athena: LocalAthena, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    csv_path = tmp_path / "customers.csv"
    csv_path.write_text("id,name,joined\n1,Ada,2024-01-05\n2,Linus,2024-02-06\n")
    parquet_path = tmp_path / "visits.parquet"
    pq.write_table(pa.table({"customer_id": [1, 1, 2], "pages": [3, 4, 5]}), parquet_path)
    assert local_athena.load_csv("customers", csv_path) == 2
    assert local_athena.load_parquet("visits", parquet_path) == 3
    with db.connect(**local_athena.connect_parameters()) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.name, sum(v.pages) FROM customers c JOIN visits v ON v.customer_id = c.id "
            "GROUP BY c.name ORDER BY c.name"
        )
        assert cursor.fetchall() == [("Ada", 7), ("Linus", 5)]


def test_expired_credentials_are_refused_by_athena(local_athena: LocalAthena) -> None:
    with db.connect(**local_athena.connect_parameters(), NumRetries=0) as conn, conn.cursor() as cursor:
        local_athena.expire_credentials()  # revoked server-side before the client thinks they expire
        with pytest.raises(db.DatabaseError, match="ExpiredTokenException"):
            cursor.execute("SELECT 1")


def test_command_line_runs_the_stack_and_prints_a_working_jdbc_url() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "athena_jwt_dbapi.local", "--seed", "CREATE TABLE hello AS SELECT 'world' AS w"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("jdbc:athena://"):
                break
        text = "".join(lines)
        assert "Local Athena is running" in text
        assert re.search(r"STS\s+: http://127\.0\.0\.1:\d+", text)
        url = lines[-1].strip()
        with db.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT w FROM hello")
            assert cursor.fetchall() == [("world",)]
    finally:
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Stopped." in out
