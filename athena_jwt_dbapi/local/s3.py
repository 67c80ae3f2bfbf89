"""S3 that authenticates: moto's S3 application, mounted in-process behind a SigV4 check.

moto's S3 accepts any signature, so on its own it cannot catch a driver that signs with stale or wrong
credentials. The front verifies every request against the credential store, then hands it to moto's
WSGI application in the same process, so everything S3-specific (XML, ranges, multipart, listing) is
moto's, and the front's port is the only one: no port of the stack serves S3 without a signature.
The stack's own access (results, buckets, table data) reaches the application without a socket
(:mod:`.in_process`).

Shared state: moto keeps its backends in process-global memory, shared by every front and ``mock_aws``
in the process. :meth:`S3Front.start` therefore resets moto (moto's ``/moto-api/reset``) unless
``reset_on_start=False``.
"""

from __future__ import annotations

import http.client
import io
import threading
import time
import uuid
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

from werkzeug.test import Client
from werkzeug.wrappers import Request

from athena_jwt_dbapi.local._server import BackgroundServer
from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore
from athena_jwt_dbapi.local.in_process import in_process_s3_client
from athena_jwt_dbapi.local.sigv4 import verify_sigv4


def _error_response(err: ServiceError, request_id: str, method: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = b""
    if method != "HEAD":  # S3 sends no body on HEAD errors; clients see only the status.
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message>"
            f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
        ).encode()
    headers = [
        ("Content-Type", "application/xml"),
        ("Content-Length", str(len(body))),
        ("x-amz-request-id", request_id),
        ("x-amz-id-2", request_id),
    ]
    return f"{err.status} {http.client.responses.get(err.status, 'Error')}", headers, body


class S3Front:
    """The authenticating S3 endpoint (:attr:`url`, on ``port``; 0: any free one) plus the stack's own
    in-process access to moto (:meth:`internal_client`)."""

    def __init__(
        self,
        store: CredentialStore,
        *,
        region: str = "us-east-1",
        reset_on_start: bool = True,
        port: int = 0,
    ) -> None:
        self.store = store
        self.region = region
        self.reset_on_start = reset_on_start
        self.port = port
        self._moto: Any = None
        self._front: BackgroundServer | None = None
        self._client_lock = threading.Lock()
        self._client: Any = None
        #: (method, path) of every request that passed the signature check, for tests to count.
        self.requests: list[tuple[str, str]] = []
        #: Knobs: seconds added to every object read (a real S3 round trip), and refusing object reads
        #: with AccessDenied (a bucket policy with ``s3:CalledVia`` that lets only Athena read).
        self.read_latency = 0.0
        self.refuse_reads = False

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> S3Front:
        if self._front is not None:
            return self
        from moto.moto_server.werkzeug_app import create_backend_app

        self._moto = create_backend_app("s3")
        if self.reset_on_start:
            self.reset()
        self._front = BackgroundServer(self, port=self.port).start()
        return self

    def stop(self) -> None:
        if self._front is not None:
            self._front.stop()
            self._front = None
        with self._client_lock:
            self._client = None

    def __enter__(self) -> S3Front:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Wipe moto's (process-global) state through its public reset API, in-process."""
        from moto.moto_server.werkzeug_app import create_backend_app

        answer = Client(create_backend_app("moto_api")).post("/moto-api/reset")
        if answer.status_code != 200:
            raise RuntimeError(f"moto's reset answered {answer.status}")

    @property
    def url(self) -> str:
        """Point clients here: every request is SigV4-verified against the credential store."""
        if self._front is None:
            raise RuntimeError("S3Front is not started")
        return self._front.url

    # -- the stack's own access -----------------------------------------------------------------

    def internal_client(self) -> Any:
        """An S3 client for the stack itself (buckets, query results, table data): answered by moto in
        this process, through no port and no signature check. Built once per start."""
        with self._client_lock:
            if self._client is None:
                if self._moto is None:
                    raise RuntimeError("S3Front is not started")
                self._client = in_process_s3_client(self._moto, region=self.region)
            return self._client

    def create_bucket(self, name: str) -> None:
        """Create ``name``; a bucket this stack (or another in the process) already made is fine."""
        client = self.internal_client()
        try:
            if self.region == "us-east-1":
                client.create_bucket(Bucket=name)
            else:
                client.create_bucket(
                    Bucket=name,
                    CreateBucketConfiguration={"LocationConstraint": self.region},
                )
        except client.exceptions.BucketAlreadyOwnedByYou:
            pass

    def put_object(self, bucket: str, key: str, body: bytes) -> None:
        self.internal_client().put_object(Bucket=bucket, Key=key, Body=body)

    # -- WSGI -----------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            verify_sigv4(request, self.store, service="s3", protocol="rest-xml")
            self.requests.append((request.method, request.path))
            if request.method in ("GET", "HEAD") and request.path.strip("/").count("/") >= 1:  # an object
                if self.refuse_reads:
                    raise ServiceError("AccessDenied", "Access Denied", 403)
                if self.read_latency:
                    time.sleep(self.read_latency)
        except ServiceError as err:
            status, headers, body = _error_response(err, uuid.uuid4().hex.upper()[:16], request.method)
            start_response(status, headers)
            return [body]
        # The signature check read the body; moto reads it again from a fresh stream.
        body = request.get_data(cache=True)
        environ.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)
        result: Iterable[bytes] = self._moto(environ, start_response)
        return result
