"""The SQLAlchemy dialect awsathena+jwt:// against the local stack."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine.url import make_url

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena
from athena_jwt_dbapi.sqlalchemy import AthenaJwtDialect


def engine_url(stack: LocalAthena, database: str = "default") -> str:
    parameters = stack.connect_parameters()
    return f"awsathena+jwt:///{database}?" + urlencode(parameters)


def test_engine_from_a_url_runs_queries(local_athena: LocalAthena) -> None:
    engine = create_engine(engine_url(local_athena))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT 40 + 2")).scalar() == 42
        raw = connection.connection.dbapi_connection
        assert isinstance(raw, db.Connection)
    engine.dispose()


def test_connect_args_override_the_url(local_athena: LocalAthena) -> None:
    engine = create_engine(engine_url(local_athena), connect_args={"JwtRoleSessionName": "from-connect-args"})
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert local_athena.sts.requests[-1]["RoleSessionName"] == "from-connect-args"
    engine.dispose()


def test_pandas_with_an_engine_and_reflection(local_athena: LocalAthena) -> None:
    import pandas as pd

    local_athena.seed("CREATE OR REPLACE TABLE reflected AS SELECT 1 AS id, 'x' AS label")
    engine = create_engine(engine_url(local_athena))
    frame = pd.read_sql_query(text("SELECT id, label FROM reflected"), engine)
    assert frame.to_dict("records") == [{"id": 1, "label": "x"}]
    inspector = inspect(engine)
    assert "reflected" in inspector.get_table_names(schema="default")
    assert [c["name"] for c in inspector.get_columns("reflected", schema="default")] == ["id", "label"]
    engine.dispose()


def test_many_pooled_connections_share_one_sts_session(local_athena: LocalAthena) -> None:
    engine = create_engine(engine_url(local_athena), pool_size=5)
    before = local_athena.sts.call_count
    connections = [engine.connect() for _ in range(5)]
    for connection in connections:
        connection.execute(text("SELECT 1"))
        connection.close()
    assert local_athena.sts.call_count == before + 1
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("awsathena+jwt://athena.eu-west-1.amazonaws.com:443/sales", {"Region": "eu-west-1", "Database": "sales"}),
        ("awsathena+jwt://athena.internal:8443/", {"AthenaEndpoint": "https://athena.internal:8443"}),
        (
            "awsathena+jwt://AKIAEXAMPLE:secret@/?WorkGroup=wg",
            {"User": "AKIAEXAMPLE", "Password": "secret", "WorkGroup": "wg"},
        ),
    ],
)
def test_url_mapping(url: str, expected: dict[str, str]) -> None:
    assert AthenaJwtDialect().create_connect_args(make_url(url))[1] == expected


def test_repeated_query_parameter_is_refused() -> None:
    with pytest.raises(db.ParameterError, match="more than once"):
        AthenaJwtDialect().create_connect_args(make_url("awsathena+jwt:///?Region=a&Region=b"))


def test_the_compiler_sees_the_resolved_schema_and_catalog(local_athena: LocalAthena) -> None:
    """PyAthena's DDL compiler reads the schema, catalog and results location from the dialect: the resolver's
    values (aliases, connect_args and the table's defaults included), not guesses from the URL."""
    engine = create_engine(engine_url(local_athena, database=""), connect_args={"schema_name": "default"})
    assert engine.dialect._connect_options == {}  # nothing is guessed before a connection resolves them
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert engine.dialect._connect_options == {
        "schema_name": "default",
        "catalog_name": "AwsDataCatalog",
        "s3_staging_dir": local_athena.output_location,
    }
    engine.dispose()
