"""S3 that authenticates: moto's S3 server behind a SigV4-verifying reverse proxy.

moto's server accepts any signature, so on its own it cannot catch a driver that signs with stale
or wrong credentials. The front verifies every request against the credential store, then relays
it byte for byte, so everything S3-specific (XML, ranges, multipart, listing) is moto's.

Shared state: moto keeps its backends in process-global memory, shared by every moto server and
``mock_aws`` in the process. :meth:`S3Front.start` therefore resets moto (``/moto-api/reset``,
moto's public API) unless ``reset_on_start=False``; a stopped front leaves moto importable and
usable for the next stack.
"""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.request import ProxyHandler, build_opener
from xml.sax.saxutils import escape

import boto3
from botocore.config import Config
from werkzeug.wrappers import Request

from athena_jwt_dbapi.local._server import BackgroundServer
from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore
from athena_jwt_dbapi.local.sigv4 import install_log_redaction, verify_sigv4

# Connection-level headers describe one hop; they must not be relayed (RFC 9110, section 7.6.1).
# ``Expect: 100-continue`` was already answered by the front's own server.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# The front's own WSGI server writes these itself; relaying moto's would duplicate them.
_SERVER_OWNED = frozenset({"server", "date"})
_CHUNK = 64 * 1024
_UPSTREAM_TIMEOUT = 60.0


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
    """The authenticating S3 endpoint (:attr:`url`) plus the stack's own back door to moto."""

    def __init__(
        self,
        store: CredentialStore,
        *,
        region: str = "us-east-1",
        reset_on_start: bool = True,
    ) -> None:
        self.store = store
        self.region = region
        self.reset_on_start = reset_on_start
        self._moto: Any = None
        self._moto_port = 0
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
        from moto.server import ThreadedMotoServer

        install_log_redaction()  # presigned URLs carry the session token in the logged request line
        # Port 0 lets the OS pick a free port atomically; moto reports the one it bound.
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        moto.start()
        self._moto = moto
        self._moto_port = int(moto.get_host_and_port()[1])
        if self.reset_on_start:
            self.reset()
        self._front = BackgroundServer(self).start()
        return self

    def stop(self) -> None:
        if self._front is not None:
            self._front.stop()
            self._front = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        with self._client_lock:
            self._client = None

    def __enter__(self) -> S3Front:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Wipe moto's (process-global) state through its public reset endpoint."""
        opener = build_opener(ProxyHandler({}))
        with opener.open(self.moto_url + "/moto-api/reset", data=b"", timeout=10) as response:
            response.read()

    @property
    def url(self) -> str:
        """Point clients here: every request is SigV4-verified against the credential store."""
        if self._front is None:
            raise RuntimeError("S3Front is not started")
        return self._front.url

    @property
    def moto_url(self) -> str:
        if self._moto is None:
            raise RuntimeError("S3Front is not started")
        return f"http://127.0.0.1:{self._moto_port}"

    # -- the stack's own access -----------------------------------------------------------------

    def internal_client(self) -> Any:
        """A client that bypasses authentication, for the stack itself (buckets, query results).

        Built once per start (clients are thread-safe; building them is not, and is slow), and typed
        ``Any`` so the module does not depend on optional boto3 service stubs being installed.
        """
        with self._client_lock:
            if self._client is None:
                self._client = self._new_internal_client()
            return self._client

    def _new_internal_client(self) -> Any:
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.moto_url,
            region_name=self.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 2}),
        )

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

    # -- WSGI reverse proxy ---------------------------------------------------------------------

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
        return self._forward(request, start_response)

    def _forward(self, request: Request, start_response: Any) -> Iterable[bytes]:
        raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
        if not raw_uri:
            query = request.environ.get("QUERY_STRING", "")
            raw_uri = request.environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
        body = request.get_data(cache=True)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers.pop("Content-Length", None)
        if body or request.method in ("PUT", "POST"):
            headers["Content-Length"] = str(len(body))

        conn = http.client.HTTPConnection("127.0.0.1", self._moto_port, timeout=_UPSTREAM_TIMEOUT)
        try:
            conn.request(request.method, str(raw_uri), body=body or None, headers=headers)
            upstream = conn.getresponse()
        except Exception:
            conn.close()
            raise
        relay = [
            (name, value)
            for name, value in upstream.getheaders()
            if name.lower() not in _HOP_BY_HOP and name.lower() not in _SERVER_OWNED
        ]
        start_response(f"{upstream.status} {upstream.reason}", relay)
        return _stream(conn, upstream)


def _stream(conn: http.client.HTTPConnection, upstream: http.client.HTTPResponse) -> Iterator[bytes]:
    try:
        while chunk := upstream.read(_CHUNK):
            yield chunk
    finally:
        upstream.close()
        conn.close()
