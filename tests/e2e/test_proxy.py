"""ProxyHost/ProxyPort/ProxyExemptHosts against a real forwarding proxy on loopback."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.local import LocalAthena


class ForwardingProxy(BaseHTTPRequestHandler):
    """A minimal HTTP forward proxy: absolute-URI requests are relayed and their target recorded."""

    seen: list[str]

    def _relay(self) -> None:
        target = urlsplit(self.path)
        self.server.seen.append(target.netloc)  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")}
        upstream.request(self.command, target.path + (f"?{target.query}" if target.query else ""), body, headers)
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status)
        for key, value in response.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _relay

    def log_message(self, format: str, *args: object) -> None:
        return None


@pytest.fixture
def proxy() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ForwardingProxy)
    server.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_every_client_goes_through_the_proxy(local_athena: LocalAthena, proxy: ThreadingHTTPServer) -> None:
    from pyathena.pandas.cursor import PandasCursor

    parameters = local_athena.connect_parameters(ProxyHost="127.0.0.1", ProxyPort=proxy.server_address[1])
    with db.connect(**parameters) as conn:
        conn.cursor(PandasCursor).execute("SELECT 1 AS x").as_pandas()
    seen = set(proxy.seen)  # type: ignore[attr-defined]
    for endpoint in (local_athena.sts_endpoint, local_athena.athena_endpoint, local_athena.s3_endpoint):
        assert urlsplit(endpoint).netloc in seen


def test_exempt_hosts_bypass_the_proxy(local_athena: LocalAthena, proxy: ThreadingHTTPServer) -> None:
    """STS is reached as ``localhost`` (not exempt), Athena and S3 as ``127.0.0.1`` (exempt): the proxy sees
    STS only, so the same run shows the proxy in use and the exemption working."""
    sts_through_localhost = local_athena.sts_endpoint.replace("127.0.0.1", "localhost")
    parameters = local_athena.connect_parameters(
        ProxyHost="127.0.0.1",
        ProxyPort=proxy.server_address[1],
        ProxyExemptHosts="127.0.0.1",
        StsEndpoint=sts_through_localhost,
    )
    with db.connect(**parameters) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]
    seen = set(proxy.seen)  # type: ignore[attr-defined]
    assert seen == {urlsplit(sts_through_localhost).netloc}
