"""A WSGI application served on loopback from a daemon thread.

Every local service (issuer, STS, Athena, the S3 front, the dev server's admin endpoint) is one of
these, so they all start on a free port, expose their URL the same way, stop the same way and log the
same way: no line per request, and no signing secret in the lines they do log.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A request line can carry credentials in its query string (presigned S3 URLs, STS by GET).
_SIGNING_SECRETS = re.compile(
    r"([?&](?:X-Amz-Security-Token|X-Amz-Signature|X-Amz-Credential|Signature|WebIdentityToken)=)[^&\s\"']+", re.I
)


class _QuietRequestHandler(WSGIRequestHandler):
    """No access log line per request: a query polls many times and would flood the terminal. The lines
    that remain (a malformed request quotes its request line) have their signing secrets masked: this
    is the stack's own rule for its own servers, not the driver's redaction, which it does not import."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None

    def log(self, type: str, message: str, *args: Any) -> None:
        text = message % args if args else message
        super().log(type, "%s", _SIGNING_SECRETS.sub(r"\1REDACTED", text))


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
