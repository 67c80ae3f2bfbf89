"""The local stack as a development server for any AWS tool, until Ctrl-C.

It presents a web identity the way EKS and GitHub Actions do — a token file kept valid, a role ARN and
per-service endpoints in the environment — so this driver, boto3 and the AWS CLI use it unchanged. The
ports are fixed (``--port``, the first of five) so the printed environment stays true across restarts;
a second terminal finds the server through its state file (see :mod:`.server_state`).
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ._server import BackgroundServer
from .admin import AdminApp, AdminClient
from .exports import jdbc_url, shell_lines, sqlalchemy_url
from .server_state import TOKEN_FILE, NoServerError, ServerState, default_directory
from .token_file import TokenFileKeeper

if TYPE_CHECKING:
    from .stack import LocalAthena

DEFAULT_PORT = 2846
#: What listens on ``--port`` and the ports after it, in order.
SERVICES = ("OIDC issuer", "STS", "Athena", "S3", "admin endpoint")
HOST = "127.0.0.1"


class StartError(RuntimeError):
    """The server cannot start (a port in use, another server on the same directory, a failing seed)."""


@dataclass
class ServeOptions:
    directory: Path = field(default_factory=default_directory)
    token_file: Path | None = None
    port: int = DEFAULT_PORT
    region: str = "us-east-1"
    token_lifetime: int = 3600
    token_refresh: float | None = None
    seeds: list[str] = field(default_factory=list)

    @property
    def token_path(self) -> Path:
        return self.token_file if self.token_file is not None else self.directory / TOKEN_FILE


def busy_ports(port: int) -> list[str]:
    """The services whose port (``port`` + offset) another program holds on loopback, as "PORT (NAME)"."""
    busy = []
    for offset, name in enumerate(SERVICES):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
            try:
                probe.bind((HOST, port + offset))
            except OSError:
                busy.append(f"{port + offset} ({name})")
    return busy


def _refuse_a_second_server(directory: Path) -> None:
    try:
        state = ServerState.load(directory)
    except NoServerError:
        return
    if AdminClient(state).ping():
        raise StartError(
            f"A local stack is already running for {directory} (pid {state.pid}, Athena at "
            f"{state.athena_endpoint}). Use it (python -m athena_jwt_dbapi.local env), stop it, or start "
            "another with its own --dir and --port."
        )


def _check_ports(port: int) -> None:
    if port == 0:
        return
    busy = busy_ports(port)
    if busy:
        raise StartError(
            f"{'Port' if len(busy) == 1 else 'Ports'} {', '.join(busy)} {'is' if len(busy) == 1 else 'are'} in use "
            f"on {HOST}: another program (perhaps another local stack) holds {'it' if len(busy) == 1 else 'them'}. "
            "Stop it, or choose other ports with --port (the first of {len(SERVICES)} consecutive "
            f"ports, {port}-{port + len(SERVICES) - 1} now; --port 0 takes any free ones)."
        )


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT (Ctrl-C) and SIGTERM ask for a clean stop; a second Ctrl-C interrupts the stopping."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def serve(options: ServeOptions, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    """Run the stack until SIGINT/SIGTERM; 0 after a clean stop. Raises :class:`StartError`."""
    _refuse_a_second_server(options.directory)
    _check_ports(options.port)
    from .stack import LocalAthena

    stack = LocalAthena(region=options.region, port=options.port)
    keeper = TokenFileKeeper(
        options.token_path,
        lambda lifetime: stack.mint_token(expires_in=lifetime),
        lifetime=options.token_lifetime,
        refresh_every=options.token_refresh,
        on_error=lambda error: print(f"Cannot rewrite the token file {options.token_path}: {error}", file=err),
    )
    stop = threading.Event()
    admin: BackgroundServer | None = None
    with _stop_on_signals(stop):
        try:
            stack.start()
            for sql in options.seeds:
                try:
                    stack.seed(sql)
                except Exception as error:
                    raise StartError(f"--seed failed: {error}") from None
            keeper.start()
            key = secrets.token_urlsafe(32)
            app = AdminApp(stack, key, token_lifetime=options.token_lifetime)
            admin = BackgroundServer(app, host=HOST, port=options.port + 4 if options.port else 0).start()
            state = _state(stack, options, admin.url, key)
            state.save(options.directory)
            _print_banner(state, options, keeper, out)
            while not stop.wait(0.5):
                pass
        finally:
            ServerState.remove(options.directory)
            keeper.stop()
            if admin is not None:
                admin.stop()
            stack.stop()
    print("Stopped.", file=out, flush=True)
    return 0


def _state(stack: LocalAthena, options: ServeOptions, admin_url: str, key: str) -> ServerState:
    return ServerState(
        pid=os.getpid(),
        region=stack.region,
        role_arn=stack.role_arn,
        # New at every start: the AWS CLI caches web-identity credentials on disk by role and session
        # name, and would otherwise send a restarted stack the credentials of the one before.
        session_name=f"local-{secrets.token_hex(4)}",
        token_file=str(options.token_path.resolve()),
        token_lifetime=options.token_lifetime,
        sts_endpoint=stack.sts_endpoint,
        athena_endpoint=stack.athena_endpoint,
        s3_endpoint=stack.s3_endpoint,
        output_location=stack.output_location,
        admin_url=admin_url,
        admin_key=key,
    )


def _print_banner(state: ServerState, options: ServeOptions, keeper: TokenFileKeeper, out: TextIO) -> None:
    """Every line is a shell comment or an export, so the whole block can be pasted into a shell."""
    url = jdbc_url(state)
    lines = [
        f"# Local Athena is running on {HOST} (Ctrl-C stops it).",
        "# For this driver, boto3 and the AWS CLI, in this shell or any other:",
        *shell_lines(state),
        "#",
        f"# Results:    {state.output_location} (the workgroup's default output location)",
        f'# Python:     athena_jwt_dbapi.connect(CredentialsProvider="JWT", OutputLocation="{state.output_location}")',
        f"# SQLAlchemy: {sqlalchemy_url(state)}",
        *([f"# JDBC URL:   {url}"] if url else []),
        "#",
        f"# The token file is re-minted every {keeper.refresh_every:g} s; each token lives {keeper.lifetime} s.",
        *_second_terminal(options.directory),
    ]
    print("\n".join(lines), file=out, flush=True)


def _second_terminal(directory: Path) -> list[str]:
    where = "" if directory == default_directory() else f" --dir {shlex.quote(str(directory))}"
    command = "python -m athena_jwt_dbapi.local"
    return [
        "# In another terminal:",
        f'#   eval "$({command} env{where})"   # these variables',
        f"#   {command} token{where}           # a fresh token",
        f"#   {command} seed{where} FILE.sql",
        f"#   {command} load-csv{where} TABLE FILE.csv",
    ]
