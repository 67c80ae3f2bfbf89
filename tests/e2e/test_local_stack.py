"""The local stack as a user meets it: loading data and enforcing expiry (the command line: test_dev_server)."""

from __future__ import annotations

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
