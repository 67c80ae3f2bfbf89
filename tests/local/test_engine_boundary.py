"""A query sees no filesystem, as on Athena (issue 10, item 11): DuckDB's file functions fail with Athena's
errors and nothing of the host's files comes back, while the engine still reads and writes its S3 and
loads the files an operator hands it."""

from __future__ import annotations

from pathlib import Path

import pytest

from athena_jwt_dbapi.local.engine import QueryEngine, QueryFailure

SECRET = "hunter2-on-the-host"


@pytest.fixture
def host_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"user,password\nroot,{SECRET}\n")
    return path


@pytest.mark.parametrize("function", ["read_csv", "read_csv_auto", "read_text", "read_blob", "read_json_objects"])
def test_file_functions_are_unknown_functions(host_file: Path, function: str) -> None:
    engine = QueryEngine()
    for sql in (
        f"SELECT * FROM {function}('{host_file}')",
        f"SELECT * FROM {function}(['{host_file}'])",
        f"WITH t AS (SELECT * FROM {function}('{host_file}')) SELECT * FROM t",
        f"CREATE TABLE stolen AS SELECT * FROM {function}('{host_file}')",
    ):
        with pytest.raises(QueryFailure) as info:
            engine.execute(sql)
        column = sql.index(function) + 1
        assert info.value.reason == f"FUNCTION_NOT_FOUND: line 1:{column}: Function '{function}' not registered"
    assert engine.get_table("default", "stolen") is None


def test_glob_and_paths_as_table_names_reveal_nothing(host_file: Path) -> None:
    engine = QueryEngine()
    failures = []
    for sql in (
        f"SELECT * FROM glob('{host_file.parent}/*')",
        f'SELECT * FROM "{host_file}"',  # DuckDB would read a quoted path as a table
        f"SELECT * FROM '{host_file}'",
        f"SELECT * FROM sniff_csv('{host_file}')",
        f"EXPLAIN SELECT * FROM read_text('{host_file}')",
    ):
        with pytest.raises(QueryFailure) as info:
            engine.execute(sql)
        failures.append(info.value)
    assert [f.error_name for f in failures] == [
        "SYNTAX_ERROR",
        "TABLE_NOT_FOUND",
        "PERMISSION_DENIED",
        "PERMISSION_DENIED",
        "FUNCTION_NOT_FOUND",
    ]
    assert failures[1].message == f"Table 'awsdatacatalog.default.{host_file}' does not exist"
    assert not any(SECRET in f.reason for f in failures)


def test_the_engine_still_reads_its_s3_and_loads_files(host_file: Path) -> None:
    engine = QueryEngine()
    engine.objects.write("s3://lake/users/part-0.csv", f"root,{SECRET}\n".encode())
    engine.execute(
        "CREATE EXTERNAL TABLE users (name string, password string) "
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://lake/users/'"
    )
    engine.execute("INSERT INTO users VALUES ('ada', 'x')")
    assert sorted(engine.execute("SELECT name FROM users").rows) == [("ada",), ("root",)]
    assert engine.load_csv("loaded", str(host_file)) == 1  # the operator's file, handed over by the engine
    assert engine.execute("SELECT password FROM loaded").rows == [(SECRET,)]
