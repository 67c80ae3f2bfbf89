"""pandas ``to_sql`` and SQLAlchemy reflection on the local stack, as pandas and PyAthena users run them.

PyAthena's ``to_sql`` uploads Parquet with its own S3 clients and then declares an external table;
pandas' ``DataFrame.to_sql`` through the ``awsathena+jwt`` engine asks ``has_table`` (GetTableMetadata),
compiles ``CREATE EXTERNAL TABLE`` with PyAthena's dialect options and INSERTs. Both must work against
the offline stack exactly as against Athena.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import pytest
from botocore.exceptions import ClientError
from pyathena.error import OperationalError
from pyathena.pandas.util import to_sql
from pyathena.util import _get_error_code
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine.url import make_url

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena
from athena_jwt_dbapi.sqlalchemy import AthenaJwtDialect


@pytest.fixture
def conn(local_athena: LocalAthena) -> Iterator[db.Connection]:
    with db.connect(**local_athena.connect_parameters()) as connection:
        yield connection


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def keys_under(stack: LocalAthena, location: str) -> list[str]:
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    listed = stack.s3.internal_client().list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def engine_url(stack: LocalAthena, **options: str) -> str:
    return "awsathena+jwt:///default?" + urlencode({**stack.connect_parameters(), **options})


def test_pyathena_to_sql_uploads_through_s3_endpoint_and_reads_back(
    conn: db.Connection, local_athena: LocalAthena
) -> None:
    """PyAthena's ``to_sql`` (fail, replace, append), as in PyAthena's own test of it: the uploads go to
    S3Endpoint (PyAthena would send them to s3.amazonaws.com), the types come back as Athena's."""
    frame = pd.DataFrame(
        {
            "col_int": np.int32([1]),
            "col_bigint": np.int64([12345]),
            "col_float": np.float32([1.0]),
            "col_double": np.float64([1.2345]),
            "col_string": ["a"],
            "col_boolean": np.bool_([True]),
            "col_timestamp": [datetime.datetime(2020, 1, 1)],
            "col_date": [datetime.date(2020, 12, 31)],
        }
    )
    name = unique("to_sql")
    location = f"s3://{local_athena.bucket}/to_sql/{name}/"
    assert conn._s3_client_kwargs["endpoint_url"] == local_athena.s3_endpoint
    to_sql(frame, name, conn, location, schema="default", if_exists="fail", compression="snappy")
    assert keys_under(local_athena, location)
    with pytest.raises(OperationalError, match="already exists"):
        to_sql(frame, name, conn, location, schema="default", if_exists="fail", compression="snappy")
    to_sql(frame, name, conn, location, schema="default", if_exists="replace", compression="snappy")
    expected = (1, 12345, 1.0, 1.2345, "a", True, datetime.datetime(2020, 1, 1), datetime.date(2020, 12, 31))
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {name}")
        assert cursor.fetchall() == [expected]
        assert [(d[0], d[1]) for d in cursor.description] == [
            ("col_int", "integer"),
            ("col_bigint", "bigint"),
            ("col_float", "float"),
            ("col_double", "double"),
            ("col_string", "varchar"),
            ("col_boolean", "boolean"),
            ("col_timestamp", "timestamp"),
            ("col_date", "date"),
        ]
    to_sql(frame, name, conn, location, schema="default", if_exists="append", compression="snappy")
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {name}")
        assert cursor.fetchall() == [expected, expected]


def test_pyathena_to_sql_with_partitions(conn: db.Connection, local_athena: LocalAthena) -> None:
    """Partitions are uploaded to ``key=value/`` folders and registered with ALTER TABLE ADD PARTITION;
    a filter on a partition key reads only that partition."""
    frame = pd.DataFrame(
        {"col_int": np.int32(range(10)), "col_bigint": np.int64([12345] * 10), "col_string": ["a"] * 5 + ["b"] * 5}
    )
    name = unique("to_sql_parts")
    location = f"s3://{local_athena.bucket}/to_sql/{name}/"
    to_sql(frame, name, conn, location, schema="default", partitions=["col_int", "col_string"], compression="snappy")
    with conn.cursor() as cursor:
        cursor.execute(f"SHOW PARTITIONS {name}")
        assert sorted(cursor.fetchall()) == [(f"col_int={i}/col_string={'a' if i < 5 else 'b'}",) for i in range(10)]
        cursor.execute(f"SELECT COUNT(*) FROM {name}")
        assert cursor.fetchall() == [(10,)]
        everything = cursor.data_scanned_in_bytes
        cursor.execute(f"SELECT col_bigint, col_int, col_string FROM {name} WHERE col_int = 7")
        assert cursor.fetchall() == [(12345, 7, "b")]
        assert 0 < cursor.data_scanned_in_bytes < everything


def test_dataframe_to_sql_through_the_engine_creates_a_new_table(local_athena: LocalAthena) -> None:
    """``DataFrame.to_sql(name, engine)``: has_table is False for the new table (GetTableMetadata's
    MetadataException carries Glue's EntityNotFoundException), the dialect creates an external table
    under OutputLocation, INSERTs write its files, and the frame reads back."""
    engine = create_engine(engine_url(local_athena))
    name = unique("frame")
    try:
        inspector = inspect(engine)
        assert inspector.has_table(name, schema="default") is False
        frame = pd.DataFrame({"id": [1, 2, 3], "label": ["x", "y", None], "score": [0.5, None, 2.0]})
        assert frame.to_sql(name, engine, index=False) == 3
        back = pd.read_sql_query(text(f"SELECT * FROM {name} ORDER BY id"), engine)
        assert back["id"].tolist() == [1, 2, 3]
        assert back["label"].tolist()[:2] == ["x", "y"] and pd.isna(back["label"][2])
        assert back["score"].tolist()[0] == 0.5 and pd.isna(back["score"][1])
        assert inspect(engine).has_table(name, schema="default") is True
        assert keys_under(local_athena, f"{local_athena.output_location}default/{name}/")
        with pytest.raises(ValueError, match="already exists"):
            frame.to_sql(name, engine, index=False)
        frame.to_sql(name, engine, index=False, if_exists="append")
        assert pd.read_sql_query(text(f"SELECT count(*) AS n FROM {name}"), engine)["n"].tolist() == [6]
    finally:
        engine.dispose()


def test_url_table_options_shape_the_created_table(local_athena: LocalAthena) -> None:
    """PyAthena's dialect options in the URL, as ``awsathena+rest`` takes them: here Parquet files with
    SNAPPY under an explicit location."""
    location = f"s3://{local_athena.bucket}/url-options/"
    engine = create_engine(engine_url(local_athena, file_format="PARQUET", compression="SNAPPY", location=location))
    name = unique("parquet_frame")
    try:
        pd.DataFrame({"n": [1, 2]}).to_sql(name, engine, index=False)
        keys = keys_under(local_athena, f"{location}default/{name}/")
        assert keys
        body = local_athena.s3.internal_client().get_object(Bucket=local_athena.bucket, Key=keys[0])["Body"].read()
        assert body[:4] == b"PAR1"
        with engine.connect() as connection:
            assert connection.execute(text(f"SELECT sum(n) FROM {name}")).scalar() == 3
            columns = inspect(connection).get_columns(name, schema="default")
        assert [(c["name"], str(c["type"])) for c in columns] == [("n", "BIGINT")]
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("query", "table_options", "connect_options"),
    [
        (
            "location=s3://b/t/&compression=SNAPPY&file_format=PARQUET&WorkGroup=wg",
            {"location": "s3://b/t/", "compression": "SNAPPY", "file_format": "PARQUET"},
            {"WorkGroup": "wg"},
        ),
        ("s3_dir=s3://b/old/", {"location": "s3://b/old/"}, {}),
        ("s3_dir=s3://b/old/&location=s3://b/new/", {"location": "s3://b/new/"}, {}),
        (
            "row_format=SERDE 'x'&tblproperties='a'='b'&serdeproperties='c'='d'&bucket_count=4",
            {"row_format": "SERDE 'x'", "tblproperties": "'a'='b'", "serdeproperties": "'c'='d'", "bucket_count": "4"},
            {},
        ),
    ],
)
def test_dialect_table_options_are_not_connection_parameters(
    query: str, table_options: dict[str, str], connect_options: dict[str, str]
) -> None:
    dialect = AthenaJwtDialect()
    _, options = dialect.create_connect_args(make_url(f"awsathena+jwt:///?{query}"))
    assert options == connect_options
    assert {k: v for k, v in dialect._connect_options.items() if k in table_options} == table_options


def test_dialect_engine_options_in_the_url() -> None:
    dialect = AthenaJwtDialect()
    dialect.create_connect_args(make_url("awsathena+jwt:///?insertmanyvalues_page_size=7&use_insertmanyvalues=false"))
    assert (dialect.insertmanyvalues_page_size, dialect.use_insertmanyvalues) == (7, False)
    with pytest.raises(db.ParameterError, match="bucket_count"):
        AthenaJwtDialect().create_connect_args(make_url("awsathena+jwt:///?bucket_count=many"))


def test_missing_table_is_glues_entity_not_found(conn: db.Connection) -> None:
    """Athena relays Glue's answer inside its MetadataException; PyAthena unwraps the Glue code from it."""
    for database, table in (("default", unique("missing")), (unique("nodb"), "t")):
        with pytest.raises(ClientError) as info:
            conn.client.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName=database, TableName=table)
        assert info.value.response["Error"]["Code"] == "MetadataException"
        assert "Error Code: EntityNotFoundException" in info.value.response["Error"]["Message"]
        assert _get_error_code(info.value, unwrap_metadata=True) == "EntityNotFoundException"


def test_sqlalchemy_create_all_hive_partitioned_and_iceberg_tables(local_athena: LocalAthena) -> None:
    """``MetaData.create_all`` with PyAthena's table options: a partitioned Parquet table (INSERTs create
    its partitions) and an Iceberg table (UPDATE works); ``drop_all`` removes them."""
    import sqlalchemy as sa

    engine = create_engine(engine_url(local_athena))
    metadata = sa.MetaData()
    hive = sa.Table(
        unique("events"),
        metadata,
        sa.Column("id", sa.Integer),
        sa.Column("name", sa.String),
        sa.Column("day", sa.String, awsathena_partition=True),
        awsathena_file_format="PARQUET",
        awsathena_compression="SNAPPY",
    )
    iceberg = sa.Table(
        unique("balances"),
        metadata,
        sa.Column("id", sa.Integer),
        sa.Column("amount", sa.Float),
        awsathena_tblproperties={"table_type": "ICEBERG"},
    )
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                hive.insert(), [{"id": 1, "name": "a", "day": "d1"}, {"id": 2, "name": "b", "day": "d2"}]
            )
            connection.execute(iceberg.insert(), [{"id": 1, "amount": 1.5}])
            connection.execute(text(f"UPDATE {iceberg.name} SET amount = 2.5 WHERE id = 1"))
        with engine.connect() as connection:
            assert connection.execute(sa.select(hive).order_by(hive.c.id)).fetchall() == [
                (1, "a", "d1"),
                (2, "b", "d2"),
            ]
            assert connection.execute(text(f"SHOW PARTITIONS {hive.name}")).fetchall() == [("day=d1",), ("day=d2",)]
            assert connection.execute(sa.select(iceberg)).fetchall() == [(1, 2.5)]
        metadata.drop_all(engine)
        assert not {hive.name, iceberg.name} & set(inspect(engine).get_table_names(schema="default"))
    finally:
        engine.dispose()
