"""The local Athena endpoint spoken to by real clients: boto3's Athena client and PyAthena."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from athena_jwt_dbapi.local._server import BackgroundServer
from athena_jwt_dbapi.local.athena import AthenaService
from athena_jwt_dbapi.local.engine import QueryEngine

OUTPUT = "s3://results-bucket/athena/"


class Store:
    """An in-memory stand-in for S3 ``PutObject``."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self._lock = threading.Lock()

    def write(self, bucket: str, key: str, body: bytes) -> None:
        with self._lock:
            self.objects[(bucket, key)] = body


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


@pytest.fixture(scope="module")
def service(store: Store) -> Iterator[AthenaService]:
    engine = QueryEngine()
    engine.execute("CREATE DATABASE sales")
    engine.execute("CREATE TABLE sales.big AS SELECT CAST(i AS integer) AS n FROM UNNEST(sequence(1, 2500)) AS t(i)")
    svc = AthenaService(engine, authenticate=lambda request: None, write_object=store.write)
    yield svc
    svc.shutdown()


@pytest.fixture(scope="module")
def server(service: AthenaService) -> Iterator[BackgroundServer]:
    with BackgroundServer(service) as srv:
        yield srv


def make_client(server: BackgroundServer, **config: Any) -> Any:
    return boto3.client(
        "athena",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(**config) if config else None,
    )


@pytest.fixture(scope="module")
def client(server: BackgroundServer) -> Any:
    return make_client(server)


def wait(client: Any, qid: str, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        execution: dict[str, Any] = client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            return execution
        assert time.monotonic() < deadline, execution
        time.sleep(0.02)


def run(client: Any, sql: str, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("ResultConfiguration", {"OutputLocation": OUTPUT})
    qid = client.start_query_execution(QueryString=sql, **kwargs)["QueryExecutionId"]
    return wait(client, qid)


def test_select_paging_and_result_file(client: Any, store: Store) -> None:
    execution = run(client, "SELECT n FROM big ORDER BY n", QueryExecutionContext={"Database": "sales"})
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["StatementType"] == "DML"
    qid = execution["QueryExecutionId"]
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}{qid}.csv"
    assert execution["Status"]["CompletionDateTime"] >= execution["Status"]["SubmissionDateTime"]
    pages = list(client.get_paginator("get_query_results").paginate(QueryExecutionId=qid))
    assert [len(p["ResultSet"]["Rows"]) for p in pages] == [1000, 1000, 501]
    first = pages[0]["ResultSet"]
    assert first["Rows"][0] == {"Data": [{"VarCharValue": "n"}]}
    assert first["Rows"][1] == {"Data": [{"VarCharValue": "1"}]}
    assert pages[1]["ResultSet"]["Rows"][0] == {"Data": [{"VarCharValue": "1000"}]}
    assert pages[2]["ResultSet"]["Rows"][-1] == {"Data": [{"VarCharValue": "2500"}]}
    info = first["ResultSetMetadata"]["ColumnInfo"][0]
    assert info["Type"] == "integer" and info["Precision"] == 10 and info["Nullable"] == "UNKNOWN"
    body = store.objects[("results-bucket", f"athena/{qid}.csv")]
    assert body.startswith(b'"n"\n"1"\n"2"\n') and body.count(b"\n") == 2501


def test_max_results_over_1000_is_rejected(client: Any) -> None:
    qid = run(client, "SELECT 1")["QueryExecutionId"]
    with pytest.raises(ClientError) as info:
        client.get_query_results(QueryExecutionId=qid, MaxResults=1001)
    assert info.value.response["Error"]["Code"] == "InvalidRequestException"


def test_null_is_a_data_entry_without_value(client: Any) -> None:
    qid = run(client, "SELECT CAST(NULL AS varchar) AS a, 'x' AS b")["QueryExecutionId"]
    rows = client.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[1] == {"Data": [{}, {"VarCharValue": "x"}]}


def test_failure_reason_for_missing_table(client: Any) -> None:
    execution = run(client, "SELECT * FROM nope")
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert (
        status["StateChangeReason"] == "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.nope' does not exist"
    )
    assert status["AthenaError"]["ErrorCategory"] == 2
    assert status["AthenaError"]["Retryable"] is False
    with pytest.raises(ClientError) as info:
        client.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert info.value.response["Error"]["Code"] == "InvalidRequestException"


def test_show_tables_is_utility_text_without_header(client: Any, store: Store) -> None:
    execution = run(client, "SHOW TABLES IN sales")
    qid = execution["QueryExecutionId"]
    assert execution["StatementType"] == "UTILITY"
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{OUTPUT}{qid}.txt"
    rows = client.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[0] == {"Data": [{"VarCharValue": "big"}]}
    assert store.objects[("results-bucket", f"athena/{qid}.txt")].startswith(b"big\n")


def test_stop_slow_query_is_cancelled(client: Any, service: AthenaService) -> None:
    service.query_delay = 2.0
    try:
        qid = client.start_query_execution(
            QueryString="CREATE TABLE sales.never AS SELECT 1 AS a", ResultConfiguration={"OutputLocation": OUTPUT}
        )["QueryExecutionId"]
        deadline = time.monotonic() + 5
        while client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] != "RUNNING":
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(ClientError) as info:
            client.get_query_results(QueryExecutionId=qid)
        assert "Current state: RUNNING" in info.value.response["Error"]["Message"]
        client.stop_query_execution(QueryExecutionId=qid)
        assert wait(client, qid)["Status"]["State"] == "CANCELLED"
    finally:
        service.query_delay = 0.0
    work = service.execution(qid).work
    assert work is not None
    work.result(timeout=10)  # the worker has let go of the query: anything it would have created exists now
    assert service.engine.get_table("sales", "never") is None


def test_an_execution_parameter_cannot_rewrite_the_statement(client: Any) -> None:
    """Issue 10, item 13: each ExecutionParameters value is bound as one expression."""
    qid = client.start_query_execution(
        QueryString="SELECT ? AS v",
        ExecutionParameters=["1 AS v, 'injected' AS w --"],
        ResultConfiguration={"OutputLocation": OUTPUT},
    )["QueryExecutionId"]
    execution = wait(client, qid)
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"] == (
        "INVALID_PARAMETER_USAGE: line 1:8: Execution parameter 1 must be one expression, as in EXECUTE ... USING: "
        "mismatched input 'AS'"
    )
    assert execution["Status"]["AthenaError"]["ErrorCategory"] == 2
    assert execution["ExecutionParameters"] == ["1 AS v, 'injected' AS w --"]


def test_throttling_is_too_many_requests(server: BackgroundServer, service: AthenaService) -> None:
    no_retry = make_client(server, retries={"total_max_attempts": 1})
    service.throttle_next(1)
    with pytest.raises(ClientError) as info:
        no_retry.list_work_groups()
    error: dict[str, Any] = dict(info.value.response)
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Reason"] == "CONCURRENT_QUERY_LIMIT_EXCEEDED"
    # With botocore's default retries a short burst of throttling is absorbed.
    retrying = make_client(server, retries={"mode": "standard", "max_attempts": 3})
    before = service.calls.count("ListDataCatalogs")
    service.throttle_next(2)
    assert retrying.list_data_catalogs()["DataCatalogsSummary"][0]["CatalogName"] == "AwsDataCatalog"
    assert service.calls.count("ListDataCatalogs") - before == 3


def test_workgroup_output_location(client: Any, service: AthenaService) -> None:
    service.add_workgroup("team", output_location="s3://team-bucket/out/")
    service.add_workgroup("locked", output_location="s3://locked-bucket/", enforce=True)
    execution = run(client, "SELECT 1", WorkGroup="team", ResultConfiguration={})
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://team-bucket/out/")
    execution = run(client, "SELECT 1", WorkGroup="locked")
    assert execution["ResultConfiguration"]["OutputLocation"].startswith("s3://locked-bucket/")
    group = client.get_work_group(WorkGroup="locked")["WorkGroup"]
    assert group["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://locked-bucket/"
    assert group["Configuration"]["EnforceWorkGroupConfiguration"] is True
    names = [w["Name"] for w in client.list_work_groups()["WorkGroups"]]
    assert {"primary", "team", "locked"} <= set(names)
    with pytest.raises(ClientError) as info:
        client.start_query_execution(QueryString="SELECT 1")
    assert "No output location provided" in info.value.response["Error"]["Message"]
    listed = client.list_query_executions(WorkGroup="team")["QueryExecutionIds"]
    assert len(listed) == 1


def test_result_reuse(client: Any, store: Store, service: AthenaService) -> None:
    reuse = {"ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 5}}
    first = run(client, "SELECT 42 AS answer", ResultReuseConfiguration=reuse)
    second = run(client, "SELECT 42 AS answer", ResultReuseConfiguration=reuse)
    assert first["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is False
    assert second["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is True
    assert second["ResultConfiguration"]["OutputLocation"] == first["ResultConfiguration"]["OutputLocation"]
    rows = client.get_query_results(QueryExecutionId=second["QueryExecutionId"])["ResultSet"]["Rows"]
    assert rows[1] == {"Data": [{"VarCharValue": "42"}]}
    third = run(client, "SELECT 42 AS answer")
    assert third["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is False


def test_idempotent_client_request_token(client: Any) -> None:
    token = "t" * 32
    a = client.start_query_execution(
        QueryString="SELECT 1", ClientRequestToken=token, ResultConfiguration={"OutputLocation": OUTPUT}
    )
    b = client.start_query_execution(
        QueryString="SELECT 1", ClientRequestToken=token, ResultConfiguration={"OutputLocation": OUTPUT}
    )
    assert a["QueryExecutionId"] == b["QueryExecutionId"]


def test_execution_parameters_and_batch_get(client: Any) -> None:
    execution = run(client, "SELECT ? + 1 AS x, ? AS y", ExecutionParameters=["41", "'hi'"])
    qid = execution["QueryExecutionId"]
    assert execution["ExecutionParameters"] == ["41", "'hi'"]
    rows = client.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert rows[1] == {"Data": [{"VarCharValue": "42"}, {"VarCharValue": "hi"}]}
    batch = client.batch_get_query_execution(QueryExecutionIds=[qid, "missing-id"])
    assert [e["QueryExecutionId"] for e in batch["QueryExecutions"]] == [qid]
    assert batch["UnprocessedQueryExecutionIds"][0]["QueryExecutionId"] == "missing-id"


def test_metadata_calls(client: Any) -> None:
    catalogs = client.list_data_catalogs()["DataCatalogsSummary"]
    assert catalogs == [{"CatalogName": "AwsDataCatalog", "Type": "GLUE"}]
    assert client.get_data_catalog(Name="AwsDataCatalog")["DataCatalog"]["Type"] == "GLUE"
    names = [d["Name"] for d in client.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert names[:2] == ["default", "sales"]
    assert client.get_database(CatalogName="AwsDataCatalog", DatabaseName="sales")["Database"]["Name"] == "sales"
    run(
        client,
        "CREATE EXTERNAL TABLE sales.orders (id int, amount decimal(10,2)) PARTITIONED BY (dt string) "
        "STORED AS PARQUET LOCATION 's3://data/orders/' TBLPROPERTIES ('classification'='parquet')",
    )
    table = client.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales", TableName="orders")
    meta = table["TableMetadata"]
    assert meta["Columns"] == [{"Name": "id", "Type": "int"}, {"Name": "amount", "Type": "decimal(10,2)"}]
    assert meta["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert meta["TableType"] == "EXTERNAL_TABLE"
    assert meta["Parameters"]["location"] == "s3://data/orders/"
    assert isinstance(meta["CreateTime"], dt.datetime)
    listed = client.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales", Expression="ord.*")
    assert [t["Name"] for t in listed["TableMetadataList"]] == ["orders"]
    with pytest.raises(ClientError) as info:
        client.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales", TableName="nope")
    assert info.value.response["Error"]["Code"] == "MetadataException"


def test_unknown_operation(server: BackgroundServer) -> None:
    import urllib.request

    request = urllib.request.Request(
        server.url,
        data=b"{}",
        headers={"X-Amz-Target": "AmazonAthena.Nope", "Content-Type": "application/x-amz-json-1.1"},
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request)
    assert b"UnknownOperationException" in info.value.read()


def test_pyathena_cursor_gets_typed_rows(server: BackgroundServer) -> None:
    import pyathena

    conn = pyathena.connect(
        s3_staging_dir=OUTPUT,
        region_name="us-east-1",
        endpoint_url=server.url,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        poll_interval=0.02,
    )
    cursor = conn.cursor()
    cursor.execute(
        "SELECT 1 AS i, CAST(12.30 AS decimal(10,2)) AS d, DATE '2024-01-02' AS day, "
        "TIMESTAMP '2024-01-02 03:04:05.123' AS ts, ARRAY[1, 2] AS arr, MAP(ARRAY['a'], ARRAY[1]) AS m, "
        "CAST(NULL AS varchar) AS nothing, 1.5 AS dbl, true AS flag"
    )
    row = cursor.fetchone()
    assert row == (
        1,
        Decimal("12.30"),
        dt.date(2024, 1, 2),
        dt.datetime(2024, 1, 2, 3, 4, 5, 123000),
        [1, 2],
        {"a": "1"},  # Athena's ColumnInfo says only "map", so PyAthena keeps map values as text
        None,
        1.5,
        True,
    )
    assert cursor.description is not None
    assert [d[0] for d in cursor.description] == ["i", "d", "day", "ts", "arr", "m", "nothing", "dbl", "flag"]
    cursor.execute("SELECT * FROM sales.big WHERE n <= %(limit)d ORDER BY n", {"limit": 3})
    assert cursor.fetchall() == [(1,), (2,), (3,)]
    conn.close()
