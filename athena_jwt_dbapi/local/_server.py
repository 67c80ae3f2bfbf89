"""A WSGI application served on loopback from a daemon thread.

Every local service (issuer, STS, Athena, the S3 front) is one of these, so they all start on a free
port, expose their URL the same way and stop the same way.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: a query polls many times and would flood the terminal."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


class BackgroundServer:
    """Serve ``app`` on ``127.0.0.1:<free port>`` until :meth:`stop` is called."""

    def __init__(self, app: WSGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server: BaseWSGIServer = make_server(host, port, app, threaded=True, request_handler=_QuietRequestHandler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"local-{type(app).__name__}", daemon=True
        )
        self._running = False

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BackgroundServer:
        if not self._running:
            self._thread.start()
            self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._running = False
        self._server.server_close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
