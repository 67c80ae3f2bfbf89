"""The dev server's admin endpoint: how a second terminal mints tokens and loads data into a running stack.

Minting needs the issuer's private key and loading needs the engine, both of which live in the server
process, so the server answers a few POSTs on loopback: ``/token``, ``/seed``, ``/load-csv`` and
``/ping``. Every request must carry ``Authorization: Bearer <key>``, a random key the server writes
only into its 0600 state file; without it the answer is 401 and nothing happens. (Anyone who can
read that file can also read the token file, so the key grants nothing the token does not.)
"""

from __future__ import annotations

import hmac
import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import ProxyHandler, Request, build_opener

from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response

from .server_state import NoServerError, ServerState
from .sql_script import ScriptError, split_statements

if TYPE_CHECKING:
    from .stack import LocalAthena

#: Athena's rule for database and table names: letters, digits and underscores (stored in lower case).
_NAME = re.compile(r"[A-Za-z0-9_]{1,255}", re.ASCII)
_CHUNK = 1024 * 1024
_MAX_TOKEN_LIFETIME = 7 * 24 * 3600


class AdminError(RuntimeError):
    """The running stack refused a request (a failing statement, an unreadable CSV, a bad name)."""


def checked_name(kind: str, value: str) -> str:
    """``value`` in lower case if it is a valid Athena ``kind`` name; else :class:`AdminError` naming it."""
    if not _NAME.fullmatch(value):
        raise AdminError(
            f"Invalid {kind} name {value!r}: use 1 to 255 letters, digits and underscores (Athena's rule)."
        )
    return value.lower()


# --- server ------------------------------------------------------------------------------------------


class AdminApp:
    """WSGI application of the admin endpoint, for one running :class:`LocalAthena`."""

    def __init__(self, stack: LocalAthena, key: str, *, token_lifetime: int) -> None:
        self._stack = stack
        self._key = key.encode()
        self._token_lifetime = token_lifetime

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._dispatch(WsgiRequest(environ))(environ, start_response)

    def _dispatch(self, request: WsgiRequest) -> Response:
        if not self._authorized(request):
            return _json({"error": "Missing or wrong admin key (see the server's state file)."}, 401)
        if request.method != "POST":
            return _json({"error": "Use POST."}, 405)
        routes = {"/ping": self._ping, "/token": self._token, "/seed": self._seed, "/load-csv": self._load_csv}
        route = routes.get(request.path)
        if route is None:
            return _json({"error": f"Unknown admin operation {request.path}."}, 404)
        try:
            return route(request)
        except AdminError as error:
            return _json({"error": str(error)}, 400)

    def _authorized(self, request: WsgiRequest) -> bool:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme == "Bearer" and hmac.compare_digest(given.strip().encode(), self._key)

    def _ping(self, request: WsgiRequest) -> Response:
        return _json({"ok": True})

    def _token(self, request: WsgiRequest) -> Response:
        raw = request.args.get("lifetime") or str(self._token_lifetime)
        if not raw.isdigit() or not 1 <= int(raw) <= _MAX_TOKEN_LIFETIME:
            raise AdminError(f"Invalid token lifetime {raw!r}: give 1 to {_MAX_TOKEN_LIFETIME} seconds.")
        return Response(self._stack.mint_token(expires_in=int(raw)), mimetype="text/plain")

    def _seed(self, request: WsgiRequest) -> Response:
        database = checked_name("database", request.args.get("database", "default"))
        try:
            statements = split_statements(request.get_data(as_text=True))
        except ScriptError as error:
            raise AdminError(str(error)) from None
        for number, statement in enumerate(statements, start=1):
            try:
                self._stack.seed(statement, database=database)
            except Exception as error:
                first_line = statement.strip().splitlines()[0][:120]
                raise AdminError(
                    f"Statement {number} of {len(statements)} failed ({number - 1} ran): {error}\n  {first_line}"
                ) from None
        return _json({"statements": len(statements)})

    def _load_csv(self, request: WsgiRequest) -> Response:
        table = checked_name("table", request.args.get("table", ""))
        database = checked_name("database", request.args.get("database", "default"))
        with tempfile.TemporaryDirectory(prefix="athena-jwt-dbapi-csv-") as directory:
            path = Path(directory) / f"{table}.csv"
            with path.open("wb") as handle:
                while chunk := request.stream.read(_CHUNK):
                    handle.write(chunk)
            try:
                rows = self._stack.load_csv(table, path, database=database)
            except Exception as error:
                raise AdminError(f"Cannot load the CSV into {database}.{table}: {error}") from None
        return _json({"rows": rows, "table": f"{database}.{table}"})


def _json(body: Mapping[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


# --- client ------------------------------------------------------------------------------------------


class AdminClient:
    """Calls the admin endpoint of the server described by ``state`` (never through a proxy)."""

    def __init__(self, state: ServerState, *, state_directory: Path | None = None) -> None:
        self._state = state
        self._where = state_directory
        self._opener = build_opener(ProxyHandler({}))

    def ping(self) -> bool:
        """Whether the server answers (and accepts our key)."""
        try:
            self._post("/ping", timeout=5)
        except (NoServerError, AdminError):
            return False
        return True

    def token(self, lifetime: int | None = None) -> str:
        query = {"lifetime": str(lifetime)} if lifetime is not None else {}
        return self._post("/token", query, timeout=30).decode()

    def seed(self, script: str, *, database: str = "default") -> int:
        body = script.encode()
        answer = self._post("/seed", {"database": database}, body, len(body), content_type="text/plain")
        return int(json.loads(answer)["statements"])

    def load_csv(self, table: str, path: Path, *, database: str = "default") -> int:
        with path.open("rb") as handle:
            answer = self._post(
                "/load-csv",
                {"table": table, "database": database},
                handle,
                path.stat().st_size,
                content_type="text/csv",
            )
        return int(json.loads(answer)["rows"])

    def _post(
        self,
        path: str,
        query: Mapping[str, str] | None = None,
        body: bytes | IO[bytes] | None = None,
        length: int = 0,
        *,
        content_type: str = "application/octet-stream",
        timeout: float | None = None,
    ) -> bytes:
        url = self._state.admin_url + path + (f"?{urlencode(query)}" if query else "")
        headers = {
            "Authorization": f"Bearer {self._state.admin_key}",
            "Content-Type": content_type,
            "Content-Length": str(length),
        }
        request = Request(url, data=body if body is not None else b"", headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=timeout) as response:
                answer: bytes = response.read()
                return answer
        except HTTPError as error:
            raise AdminError(_error_message(error)) from None
        except (URLError, ConnectionError, TimeoutError) as error:
            reason = getattr(error, "reason", error)
            where = f" (state file in {self._where})" if self._where else ""
            raise NoServerError(
                f"The local stack does not answer at {self._state.admin_url}{where}: {reason}. "
                "Is python -m athena_jwt_dbapi.local still running?"
            ) from None


def _error_message(error: HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"])
    except (ValueError, KeyError, TypeError, OSError):
        return f"HTTP {error.code} {error.reason}"
