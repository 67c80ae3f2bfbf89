"""A local Amazon Athena endpoint: Athena's JSON 1.1 protocol in front of :class:`QueryEngine`.

Drivers (boto3, PyAthena, this package) talk to it exactly as to Athena: ``POST /`` with
``X-Amz-Target: AmazonAthena.<Operation>``.  Queries run asynchronously in a thread pool and go
through QUEUED -> RUNNING -> SUCCEEDED/FAILED/CANCELLED; results are written through the injected
``write_object`` to ``<OutputLocation>/<QueryExecutionId>.csv`` (or ``.txt`` for DDL/SHOW output)
before the query is reported SUCCEEDED, so readers of S3 see what they would see on AWS.

Authentication and S3 are injected so the stack can wire SigV4/JWT checks and its S3 stand-in
later; tests pass ``authenticate=lambda request: None`` and a dict-backed ``write_object``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

from werkzeug.wrappers import Request, Response

from athena_jwt_dbapi.local.clock import utc_now
from athena_jwt_dbapi.local.engine import (
    CATALOG,
    Cancellation,
    QueryEngine,
    QueryFailure,
    QueryOutcome,
    TableInfo,
    classify,
    output_kind,
    to_result_csv,
    to_result_text,
)
from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.objects import split_s3_url

__all__ = ["AthenaService"]

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "AmazonAthena."
DATA_CATALOG_NAME = "AwsDataCatalog"
ENGINE_VERSION = {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}
TERMINAL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")
MAX_QUERY_LENGTH = 262144

JsonDict = dict[str, Any]


def _invalid(message: str, code: str = "INVALID_INPUT") -> ServiceError:
    """Athena's InvalidRequestException (HTTP 400) carries an ``AthenaErrorCode``."""
    error = ServiceError("InvalidRequestException", message, 400)
    error.athena_error_code = code  # type: ignore[attr-defined]
    return error


def _metadata_error(message: str) -> ServiceError:
    error = ServiceError("MetadataException", message, 400)
    error.athena_error_code = "ENTITY_NOT_FOUND"  # type: ignore[attr-defined]
    return error


def _glue_not_found() -> ServiceError:
    """A missing database or table, worded as Athena relays Glue's answer.

    Athena wraps Glue's error in a MetadataException whose message carries Glue's envelope; PyAthena
    (``_get_error_code(..., unwrap_metadata=True)``) and so SQLAlchemy's ``has_table`` and pandas'
    ``to_sql`` look for ``EntityNotFoundException`` in it.
    """
    request_id = str(uuid.uuid4())
    return _metadata_error(
        "Entity Not Found (Service: AmazonDataCatalog; Status Code: 400; Error Code: EntityNotFoundException; "
        f"Request ID: {request_id}; Proxy: null)"
    )


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def _output_url(url: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``bucket``, ``a/b``); Athena writes results to ``s3://`` locations only."""
    with contextlib.suppress(ValueError):
        if url.startswith("s3://"):
            return split_s3_url(url)
    raise _invalid(f"Invalid OutputLocation: {url}")


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise _invalid("Invalid NextToken") from exc


def _page(items: Sequence[Any], body: JsonDict, default: int, maximum: int) -> tuple[list[Any], str | None]:
    """Slice ``items`` by MaxResults/NextToken as Athena's list operations do."""
    limit = body.get("MaxResults", default)
    if not isinstance(limit, int) or limit < 1 or limit > maximum:
        raise _invalid(
            f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint: "
            f"Member must have value less than or equal to {maximum}"
        )
    start = _decode_token(body.get("NextToken"))
    end = start + limit
    return list(items[start:end]), _encode_token(end) if end < len(items) else None


@dataclass
class WorkGroup:
    """A workgroup's settings; ``enforce`` makes its output location override the client's."""

    name: str
    output_location: str | None = None
    enforce: bool = False
    description: str = ""
    created: datetime = field(default_factory=utc_now)


@dataclass
class Execution:
    """One query execution and everything GetQueryExecution/GetQueryResults report about it."""

    id: str
    query: str
    database: str
    catalog: str
    workgroup: str
    parameters: list[str]
    result_configuration: JsonDict
    output_base: str
    statement_type: str
    substatement_type: str
    submitted: datetime = field(default_factory=utc_now)
    state: str = "QUEUED"
    reason: str | None = None
    failure: QueryFailure | None = None
    completed: datetime | None = None
    started: float | None = None
    engine_ms: int = 0
    data_bytes: int = 0
    outcome: QueryOutcome | None = None
    output_location: str | None = None
    manifest_location: str | None = None
    reused: bool = False
    reuse_requested: JsonDict = field(default_factory=dict)
    cancel: Cancellation = field(default_factory=Cancellation)
    #: The worker running the query (None for a reused result): done once the engine has let go of it.
    work: Future[None] | None = None

    @property
    def reuse_key(self) -> tuple[str, str, str, str, tuple[str, ...]]:
        return (self.query, self.database, self.catalog.lower(), self.workgroup, tuple(self.parameters))

    def default_location(self) -> str:
        ext = output_kind(self.statement_type, self.substatement_type)
        return f"{self.output_base.rstrip('/')}/{self.id}.{ext}"


class AthenaService:
    """A WSGI application implementing the subset of the Athena API that drivers use."""

    def __init__(
        self,
        engine: QueryEngine,
        *,
        authenticate: Callable[[Request], object],
        write_object: Callable[[str, str, bytes], None],
        default_output_location: str | None = None,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        max_workers: int = 8,
    ) -> None:
        self.engine = engine
        self.authenticate = authenticate
        self.write_object = write_object
        self.default_output_location = default_output_location
        self.region = region
        self.account_id = account_id
        self.query_delay = 0.0
        self.queued_delay = 0.0
        #: Seconds added to every GetQueryResults call (a real Athena page is a 100-300 ms round trip).
        self.results_latency = 0.0
        self.calls: list[str] = []
        self._lock = threading.RLock()
        self._throttle = 0
        self._executions: dict[str, Execution] = {}
        self._tokens: dict[str, str] = {}
        self._workgroups: dict[str, WorkGroup] = {"primary": WorkGroup("primary")}
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="local-athena")
        self._operations: dict[str, Callable[[JsonDict], JsonDict]] = {
            "StartQueryExecution": self.start_query_execution,
            "GetQueryExecution": self.get_query_execution,
            "GetQueryResults": self.get_query_results,
            "StopQueryExecution": self.stop_query_execution,
            "BatchGetQueryExecution": self.batch_get_query_execution,
            "ListQueryExecutions": self.list_query_executions,
            "ListDatabases": self.list_databases,
            "GetDatabase": self.get_database,
            "ListTableMetadata": self.list_table_metadata,
            "GetTableMetadata": self.get_table_metadata,
            "ListDataCatalogs": self.list_data_catalogs,
            "GetDataCatalog": self.get_data_catalog,
            "GetWorkGroup": self.get_work_group,
            "ListWorkGroups": self.list_work_groups,
        }

    # ---- test knobs ------------------------------------------------------------------------------

    def add_workgroup(
        self, name: str, *, output_location: str | None = None, enforce: bool = False, description: str = ""
    ) -> None:
        """Create or replace a workgroup (``primary`` always exists)."""
        with self._lock:
            self._workgroups[name] = WorkGroup(name, output_location, enforce, description)

    def add_operation(self, name: str, handler: Callable[[JsonDict], JsonDict]) -> None:
        """Serve ``AmazonAthena.<name>`` with ``handler`` (a request body in, a JSON answer out, ServiceError for a
        refusal): the Identity Center pieces add ListTagsForResource this way."""
        with self._lock:
            self._operations[name] = handler

    def throttle_next(self, n: int) -> None:
        """Make the next ``n`` requests, of any operation, fail with TooManyRequestsException."""
        with self._lock:
            self._throttle = n

    def execution(self, query_execution_id: str) -> Execution:
        """The recorded execution (for tests)."""
        with self._lock:
            return self._get_execution(query_execution_id)

    def shutdown(self) -> None:
        """Cancel running queries and stop the worker pool."""
        with self._lock:
            for ex in self._executions.values():
                ex.cancel.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- WSGI ------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        target = request.headers.get("X-Amz-Target", "")
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target
        with self._lock:
            self.calls.append(operation or "<none>")
        try:
            self._check_throttle()
            self.authenticate(request)
            if request.method != "POST":
                raise ServiceError("UnknownOperationException", "Only POST is supported", 404)
            handler = self._operations.get(operation)
            if handler is None:
                raise ServiceError("UnknownOperationException", f"Unknown operation {target!r}", 400)
            body = self._parse_body(request)
            return self._json(handler(body), 200, request_id)
        except ServiceError as err:
            return self._error(err, request_id)
        except Exception:  # never leak internals (or secrets) to the client
            return self._error(ServiceError("InternalServerException", "Internal error", 500), request_id)

    def _check_throttle(self) -> None:
        with self._lock:
            if self._throttle <= 0:
                return
            self._throttle -= 1
        error = ServiceError("TooManyRequestsException", "Rate exceeded", 400)
        error.reason = "CONCURRENT_QUERY_LIMIT_EXCEEDED"  # type: ignore[attr-defined]
        raise error

    @staticmethod
    def _parse_body(request: Request) -> JsonDict:
        raw = request.get_data()
        if not raw:
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ServiceError("SerializationException", "Malformed JSON body", 400) from exc
        if not isinstance(body, dict):
            raise ServiceError("SerializationException", "Request body must be a JSON object", 400)
        return body

    @staticmethod
    def _json(payload: JsonDict, status: int, request_id: str) -> Response:
        return Response(
            json.dumps(payload),
            status=status,
            headers={"Content-Type": JSON_CONTENT_TYPE, "x-amzn-RequestId": request_id},
        )

    def _error(self, err: ServiceError, request_id: str) -> Response:
        payload: JsonDict = {"__type": err.code, "Message": err.message}
        code = getattr(err, "athena_error_code", None)
        if code:
            payload["AthenaErrorCode"] = code
        reason = getattr(err, "reason", None)
        if reason:
            payload["Reason"] = reason
        response = self._json(payload, err.status, request_id)
        response.headers["x-amzn-ErrorType"] = err.code
        return response

    # ---- query executions ------------------------------------------------------------------------

    def start_query_execution(self, body: JsonDict) -> JsonDict:
        query = body.get("QueryString")
        if not isinstance(query, str) or not query.strip() or len(query) > MAX_QUERY_LENGTH:
            raise _invalid("QueryString must be between 1 and 262144 characters")
        token = body.get("ClientRequestToken")
        with self._lock:
            if token and token in self._tokens:
                return {"QueryExecutionId": self._tokens[token]}
            execution = self._new_execution(query, body)
            self._executions[execution.id] = execution
            if token:
                self._tokens[token] = execution.id
            previous = self._reusable(execution, body)
            if previous is not None:
                self._reuse(execution, previous)
                return {"QueryExecutionId": execution.id}
        execution.work = self._pool.submit(self._run, execution)
        return {"QueryExecutionId": execution.id}

    def _new_execution(self, query: str, body: JsonDict) -> Execution:
        context = body.get("QueryExecutionContext") or {}
        workgroup = self._workgroup(body.get("WorkGroup") or "primary")
        result_configuration = dict(body.get("ResultConfiguration") or {})
        output = self._output_location(workgroup, result_configuration)
        result_configuration["OutputLocation"] = output
        parameters = body.get("ExecutionParameters") or []
        if not all(isinstance(p, str) for p in parameters):
            raise _invalid("ExecutionParameters must be strings")
        statement_type, substatement_type = classify(query)
        reuse = (body.get("ResultReuseConfiguration") or {}).get("ResultReuseByAgeConfiguration") or {}
        return Execution(
            id=str(uuid.uuid4()),
            query=query,
            database=str(context.get("Database") or "default"),
            catalog=str(context.get("Catalog") or DATA_CATALOG_NAME),
            workgroup=workgroup.name,
            parameters=list(parameters),
            result_configuration=result_configuration,
            output_base=output,
            statement_type=statement_type,
            substatement_type=substatement_type,
            reuse_requested=dict(reuse) if isinstance(reuse, dict) else {},
        )

    def _workgroup(self, name: str) -> WorkGroup:
        workgroup = self._workgroups.get(name)
        if workgroup is None:
            raise _invalid(f"WorkGroup {name} is not found.")
        return workgroup

    def _output_location(self, workgroup: WorkGroup, result_configuration: JsonDict) -> str:
        """Client setting, unless the workgroup enforces its own; then the workgroup's, then the default."""
        client = result_configuration.get("OutputLocation")
        if workgroup.enforce and workgroup.output_location:
            return workgroup.output_location
        location = client or workgroup.output_location or self.default_output_location
        if not location:
            raise _invalid(
                "No output location provided. An output location is required either through the "
                "Workgroup result configuration setting or as an API input."
            )
        _output_url(location)
        return str(location)

    def _reusable(self, execution: Execution, body: JsonDict) -> Execution | None:
        reuse = (body.get("ResultReuseConfiguration") or {}).get("ResultReuseByAgeConfiguration") or {}
        if not reuse.get("Enabled"):
            return None
        max_age = float(reuse.get("MaxAgeInMinutes", 60)) * 60
        now = utc_now()
        candidates = [
            ex
            for ex in self._executions.values()
            if ex is not execution
            and ex.state == "SUCCEEDED"
            and ex.reuse_key == execution.reuse_key
            and ex.statement_type == "DML"
            and ex.substatement_type == "SELECT"
            and ex.completed is not None
            and (now - ex.completed).total_seconds() <= max_age
        ]
        return max(candidates, key=lambda ex: ex.submitted) if candidates else None

    @staticmethod
    def _reuse(execution: Execution, previous: Execution) -> None:
        execution.outcome = previous.outcome
        execution.output_location = previous.output_location
        execution.data_bytes = 0
        execution.reused = True
        execution.state = "SUCCEEDED"
        execution.completed = utc_now()

    def _run(self, execution: Execution) -> None:
        """Worker: wait out the configured delays, run the engine, write the result, publish state."""
        if execution.cancel.wait(self.queued_delay) or not self._transition(execution, "QUEUED", "RUNNING"):
            return
        execution.started = time.monotonic()
        if execution.cancel.wait(self.query_delay):
            return
        try:
            outcome = self.engine.execute(
                execution.query,
                database=execution.database,
                catalog=CATALOG if execution.catalog.lower() == DATA_CATALOG_NAME.lower() else execution.catalog,
                execution_parameters=execution.parameters,
                cancel=execution.cancel,
            )
        except QueryFailure as failure:
            self._finish(execution, failure=failure)
            return
        except Exception as exc:  # the engine must never kill the worker silently
            self._finish(execution, failure=QueryFailure("GENERIC_INTERNAL_ERROR", str(exc)))
            return
        self._finish(execution, outcome=outcome)

    def _transition(self, execution: Execution, expected: str, new: str) -> bool:
        with self._lock:
            if execution.state != expected:
                return False
            execution.state = new
            return True

    def _finish(
        self,
        execution: Execution,
        *,
        outcome: QueryOutcome | None = None,
        failure: QueryFailure | None = None,
    ) -> None:
        elapsed = int((time.monotonic() - (execution.started or time.monotonic())) * 1000)
        location = None
        if outcome is not None:
            location = execution.default_location()
            body = to_result_csv(outcome) if outcome.output_kind == "csv" else to_result_text(outcome)
            manifest = None
            if outcome.written_files or execution.substatement_type == "UNLOAD":
                # Athena lists the files INSERT INTO, CTAS and UNLOAD wrote in <id>-manifest.csv
                # (Statistics.DataManifestLocation), where PyAthena's unload=True cursors read them.
                manifest = f"{execution.output_base.rstrip('/')}/{execution.id}-manifest.csv"
            try:
                bucket, key = _output_url(location)
                self.write_object(bucket, key, body)
                if manifest is not None:
                    listing = "".join(f"{url}\n" for url in outcome.written_files).encode()
                    self.write_object(*_output_url(manifest), listing)
            except Exception as exc:
                outcome, failure = (
                    None,
                    QueryFailure("GENERIC_INTERNAL_ERROR", f"Failed to write results: {exc}"),
                )
            else:
                execution.data_bytes = outcome.scanned_bytes
                execution.manifest_location = manifest
        with self._lock:
            if execution.state != "RUNNING":  # cancelled meanwhile: discard the result
                return
            execution.engine_ms = elapsed
            execution.completed = utc_now()
            execution.output_location = location
            if failure is not None:
                execution.state, execution.failure, execution.reason = "FAILED", failure, failure.reason
            else:
                execution.state, execution.outcome = "SUCCEEDED", outcome

    def _get_execution(self, query_execution_id: Any) -> Execution:
        execution = self._executions.get(str(query_execution_id))
        if execution is None:
            raise _invalid(f"QueryExecution {query_execution_id} was not found")
        return execution

    def get_query_execution(self, body: JsonDict) -> JsonDict:
        with self._lock:
            return {"QueryExecution": self._describe(self._get_execution(body.get("QueryExecutionId")))}

    def _describe(self, ex: Execution) -> JsonDict:
        status: JsonDict = {"State": ex.state, "SubmissionDateTime": _epoch(ex.submitted)}
        if ex.completed is not None:
            status["CompletionDateTime"] = _epoch(ex.completed)
        if ex.reason:
            status["StateChangeReason"] = ex.reason
        if ex.failure is not None:
            status["AthenaError"] = {
                "ErrorCategory": ex.failure.error_category,
                "ErrorType": ex.failure.error_type,
                "Retryable": ex.failure.error_category == 1,
                "ErrorMessage": ex.failure.reason,
            }
        total = int(((ex.completed or utc_now()) - ex.submitted).total_seconds() * 1000)
        result_configuration = dict(ex.result_configuration)
        result_configuration["OutputLocation"] = ex.output_location or ex.default_location()
        described: JsonDict = {
            "QueryExecutionId": ex.id,
            "Query": ex.query,
            "StatementType": ex.statement_type,
            "SubstatementType": ex.substatement_type,
            "ResultConfiguration": result_configuration,
            "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": _reuse_setting(ex.reuse_requested)},
            "QueryExecutionContext": {"Database": ex.database, "Catalog": ex.catalog},
            "Status": status,
            "Statistics": {
                "EngineExecutionTimeInMillis": ex.engine_ms,
                "DataScannedInBytes": ex.data_bytes,
                "TotalExecutionTimeInMillis": total,
                "QueryQueueTimeInMillis": 0 if ex.reused else int(self.queued_delay * 1000),
                "ServiceProcessingTimeInMillis": 0,
                "ResultReuseInformation": {"ReusedPreviousResult": ex.reused},
            },
            "WorkGroup": ex.workgroup,
            "EngineVersion": dict(ENGINE_VERSION),
        }
        if ex.manifest_location:
            described["Statistics"]["DataManifestLocation"] = ex.manifest_location
        if ex.parameters:
            described["ExecutionParameters"] = list(ex.parameters)
        return described

    def get_query_results(self, body: JsonDict) -> JsonDict:
        if self.results_latency:
            time.sleep(self.results_latency)
        with self._lock:
            ex = self._get_execution(body.get("QueryExecutionId"))
            state, outcome, reason = ex.state, ex.outcome, ex.reason
        if state == "FAILED":
            raise _invalid(reason or "Query failed")
        if state != "SUCCEEDED" or outcome is None:
            raise _invalid(f"Query has not yet finished. Current state: {state}")
        rows = _ResultRows(outcome)
        page, token = _page(rows, body, 1000, 1000)
        response: JsonDict = {
            "ResultSet": {
                "Rows": page,
                "ResultSetMetadata": {"ColumnInfo": [c.to_athena() for c in outcome.columns]},
            },
            "UpdateCount": outcome.update_count or 0,
        }
        if token:
            response["NextToken"] = token
        return response

    def stop_query_execution(self, body: JsonDict) -> JsonDict:
        with self._lock:
            ex = self._get_execution(body.get("QueryExecutionId"))
            if ex.state not in TERMINAL_STATES:
                ex.state = "CANCELLED"
                ex.reason = "Query cancelled by user"
                ex.completed = utc_now()
            else:
                return {}
        ex.cancel.cancel()  # interrupts the engine's DuckDB work for this query
        return {}

    def batch_get_query_execution(self, body: JsonDict) -> JsonDict:
        ids = body.get("QueryExecutionIds") or []
        if not 1 <= len(ids) <= 50:
            raise _invalid("QueryExecutionIds must contain between 1 and 50 items")
        found, missing = [], []
        with self._lock:
            for qid in ids:
                ex = self._executions.get(str(qid))
                if ex is None:
                    missing.append(
                        {
                            "QueryExecutionId": qid,
                            "ErrorCode": "INVALID_INPUT",
                            "ErrorMessage": "Query not found",
                        }
                    )
                else:
                    found.append(self._describe(ex))
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def list_query_executions(self, body: JsonDict) -> JsonDict:
        name = body.get("WorkGroup") or "primary"
        with self._lock:
            self._workgroup(name)
            executions = sorted(
                (ex for ex in self._executions.values() if ex.workgroup == name),
                key=lambda ex: ex.submitted,
                reverse=True,
            )
            ids = [ex.id for ex in executions]
        page, token = _page(ids, body, 50, 50)
        return _with_token({"QueryExecutionIds": page}, token)

    # ---- catalogs, databases, tables -------------------------------------------------------------

    def _check_catalog(self, body: JsonDict, key: str = "CatalogName") -> None:
        name = body.get(key)
        if not isinstance(name, str) or name.lower() != DATA_CATALOG_NAME.lower():
            raise _metadata_error(f"Catalog {name} was not found")

    def list_data_catalogs(self, body: JsonDict) -> JsonDict:
        return {"DataCatalogsSummary": [{"CatalogName": DATA_CATALOG_NAME, "Type": "GLUE"}]}

    def get_data_catalog(self, body: JsonDict) -> JsonDict:
        name = body.get("Name")
        if not isinstance(name, str) or name.lower() != DATA_CATALOG_NAME.lower():
            raise _invalid(f"Catalog {name} was not found", "ENTITY_NOT_FOUND")
        return {
            "DataCatalog": {
                "Name": DATA_CATALOG_NAME,
                "Description": "AWS Glue Data Catalog (local DuckDB)",
                "Type": "GLUE",
                "Parameters": {"catalog-id": self.account_id},
            }
        }

    def list_databases(self, body: JsonDict) -> JsonDict:
        self._check_catalog(body)
        databases = [{"Name": n, "Parameters": {}} for n in self.engine.list_databases()]
        page, token = _page(databases, body, 50, 50)
        return _with_token({"DatabaseList": page}, token)

    def get_database(self, body: JsonDict) -> JsonDict:
        self._check_catalog(body)
        name = str(body.get("DatabaseName") or "")
        if not self.engine.database_exists(name):
            raise _glue_not_found()
        return {"Database": {"Name": name.lower(), "Parameters": {}}}

    def list_table_metadata(self, body: JsonDict) -> JsonDict:
        self._check_catalog(body)
        database = str(body.get("DatabaseName") or "")
        if not self.engine.database_exists(database):
            raise _glue_not_found()
        tables = self.engine.list_tables(database)
        expression = body.get("Expression")
        if expression:
            pattern = _table_filter(str(expression))
            tables = [t for t in tables if pattern.fullmatch(t.name)]
        page, token = _page(tables, body, 50, 50)
        return _with_token({"TableMetadataList": [_table_metadata(t) for t in page]}, token)

    def get_table_metadata(self, body: JsonDict) -> JsonDict:
        self._check_catalog(body)
        database = str(body.get("DatabaseName") or "")
        name = str(body.get("TableName") or "")
        if not self.engine.database_exists(database):
            raise _glue_not_found()
        table = self.engine.get_table(database, name)
        if table is None:
            raise _glue_not_found()
        return {"TableMetadata": _table_metadata(table)}

    # ---- workgroups ------------------------------------------------------------------------------

    def get_work_group(self, body: JsonDict) -> JsonDict:
        with self._lock:
            workgroup = self._workgroup(str(body.get("WorkGroup") or ""))
        configuration: JsonDict = {
            "EnforceWorkGroupConfiguration": workgroup.enforce,
            "PublishCloudWatchMetricsEnabled": False,
            "RequesterPaysEnabled": False,
            "EngineVersion": dict(ENGINE_VERSION),
            "ResultConfiguration": ({"OutputLocation": workgroup.output_location} if workgroup.output_location else {}),
        }
        return {
            "WorkGroup": {
                "Name": workgroup.name,
                "State": "ENABLED",
                "Configuration": configuration,
                "Description": workgroup.description,
                "CreationTime": _epoch(workgroup.created),
            }
        }

    def list_work_groups(self, body: JsonDict) -> JsonDict:
        with self._lock:
            groups = sorted(self._workgroups.values(), key=lambda w: w.name)
        summaries = [
            {
                "Name": w.name,
                "State": "ENABLED",
                "Description": w.description,
                "CreationTime": _epoch(w.created),
                "EngineVersion": dict(ENGINE_VERSION),
            }
            for w in groups
        ]
        page, token = _page(summaries, body, 50, 50)
        return _with_token({"WorkGroups": page}, token)


def _reuse_setting(requested: JsonDict) -> JsonDict:
    """The ResultReuseByAgeConfiguration the query was started with, as GetQueryExecution echoes it."""
    setting: JsonDict = {"Enabled": bool(requested.get("Enabled"))}
    if setting["Enabled"]:
        setting["MaxAgeInMinutes"] = int(requested.get("MaxAgeInMinutes", 60))
    return setting


def _with_token(payload: JsonDict, token: str | None) -> JsonDict:
    if token:
        payload["NextToken"] = token
    return payload


class _ResultRows(Sequence[JsonDict]):
    """GetQueryResults rows: a header row first for result sets (csv), none for ``.txt`` output.

    Built per page, not per result: materialising every row of a 200,000-row result for each
    1,000-row page made paging quadratic.
    """

    def __init__(self, outcome: QueryOutcome) -> None:
        self._outcome = outcome
        self._header = 1 if outcome.output_kind == "csv" and outcome.has_result_set else 0

    def __len__(self) -> int:
        return len(self._outcome.rows) + self._header

    @staticmethod
    def _row(values: Sequence[str | None]) -> JsonDict:
        return {"Data": [{} if v is None else {"VarCharValue": v} for v in values]}

    def _at(self, index: int) -> JsonDict:
        if self._header and index == 0:
            return self._row([c.name for c in self._outcome.columns])
        return self._row(self._outcome.rows[index - self._header])

    @overload
    def __getitem__(self, index: int) -> JsonDict: ...

    @overload
    def __getitem__(self, index: slice) -> list[JsonDict]: ...

    def __getitem__(self, index: int | slice) -> JsonDict | list[JsonDict]:
        if isinstance(index, slice):
            return [self._at(i) for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._at(index)


def _table_filter(expression: str) -> re.Pattern[str]:
    """ListTableMetadata's Expression: a regex (``*`` alone also means "any")."""
    try:
        return re.compile(".*" if expression.strip() == "*" else expression, re.IGNORECASE)
    except re.error as exc:
        raise _invalid(f"Invalid Expression: {expression}") from exc


def _table_metadata(table: TableInfo) -> JsonDict:
    return {
        "Name": table.name,
        "CreateTime": _epoch(table.create_time),
        "LastAccessTime": _epoch(table.create_time),
        "TableType": table.table_type,
        "Columns": [{"Name": n, "Type": t} for n, t in table.columns],
        "PartitionKeys": [{"Name": n, "Type": t} for n, t in table.partition_keys],
        "Parameters": dict(table.parameters),
    }
