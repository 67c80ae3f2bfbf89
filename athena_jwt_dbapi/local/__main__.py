"""``python -m athena_jwt_dbapi.local``: the offline stack as a development server, and its helpers.

Without a command it runs the stack in the foreground until Ctrl-C: it keeps a web identity token
file valid and prints the environment (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_REGION,
AWS_ENDPOINT_URL_STS/ATHENA/S3, ...) with which this driver, boto3 and the AWS CLI reach it, plus a
SQLAlchemy URL. From another terminal, the commands below talk to the running server.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

PROG = "python -m athena_jwt_dbapi.local"

try:
    from .admin import AdminClient, AdminError, checked_name
    from .devserver import DEFAULT_PORT, SERVICES, ServeOptions, StartError, serve
    from .exports import shell_lines
    from .server_state import NoServerError, ServerState, default_directory
    from .sql_script import ScriptError
except ModuleNotFoundError as missing:  # the package was installed without the local extra
    package = (missing.name or "a module").partition(".")[0]
    raise SystemExit(
        f"{PROG}: {package} is not installed; the local stack needs the 'local' extra: "
        "pip install 'athena-jwt-dbapi[local]' (or pip install -e '.[local]' in a checkout)"
    ) from None

DESCRIPTION = (
    "Without a command: run the offline Athena stack (OIDC issuer, STS, Athena, S3) on loopback until Ctrl-C, "
    "keep a web identity token file valid and print the environment with which this driver, boto3 and the "
    "AWS CLI reach it. With a command: use the running server from another terminal."
)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def _port(text: str) -> int:
    value = int(text)
    if value != 0 and not 1 <= value <= 65535 - (len(SERVICES) - 1):
        raise argparse.ArgumentTypeError(f"must be 0 or 1..{65535 - len(SERVICES) + 1}, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--dir",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"the server's directory: its state file and, by default, the token file (default: {default_directory()})",
    )
    parser = argparse.ArgumentParser(prog=PROG, description=DESCRIPTION, parents=[where])
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"first of {len(SERVICES)} consecutive loopback ports: {', '.join(SERVICES)} "
        f"(default {DEFAULT_PORT}; 0: any free ports)",
    )
    parser.add_argument("--token-file", type=Path, help="where to keep the web identity token (default: DIR/token)")
    parser.add_argument("--region", default="us-east-1", help="the stack's region (default us-east-1)")
    parser.add_argument(
        "--token-lifetime", type=_positive_int, default=3600, help="seconds each token is valid (default 3600)"
    )
    parser.add_argument(
        "--token-refresh",
        type=_positive_float,
        metavar="SECONDS",
        help="re-mint the token file this often (default: when 80%% of the lifetime has passed); a short "
        "interval checks that a tool re-reads the file",
    )
    parser.add_argument("--seed", action="append", default=[], metavar="SQL", help="SQL to run at start (repeatable)")

    commands = parser.add_subparsers(dest="command", metavar="[COMMAND]", title="commands for a running server")
    commands.add_parser("env", parents=[where], help="print the export lines again (for eval)")
    token = commands.add_parser("token", parents=[where], help="print a freshly minted token")
    token.add_argument("--lifetime", type=_positive_int, help="seconds it is valid (default: the server's)")
    seed = commands.add_parser("seed", parents=[where], help="run a SQL script (statements separated by ;)")
    seed.add_argument("file", help="the script; - reads standard input")
    seed.add_argument("--database", default="default")
    load = commands.add_parser("load-csv", parents=[where], help="create (or replace) a table from a CSV file")
    load.add_argument("table")
    load.add_argument("file", type=Path)
    load.add_argument("--database", default="default")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    directory: Path = getattr(args, "dir", None) or default_directory()
    try:
        if args.command is None:
            if args.token_refresh is not None and args.token_refresh >= args.token_lifetime:
                parser.error("--token-refresh must be shorter than --token-lifetime: a token must not expire first")
            options = ServeOptions(
                directory=directory,
                token_file=args.token_file,
                port=args.port,
                region=args.region,
                token_lifetime=args.token_lifetime,
                token_refresh=args.token_refresh,
                seeds=args.seed,
            )
            return serve(options)
        return _second_terminal(args, directory)
    except (StartError, NoServerError, AdminError, ScriptError, OSError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1


def _second_terminal(args: argparse.Namespace, directory: Path) -> int:
    """The commands that use a running server: checked locally first, then sent to it."""
    if args.command == "load-csv":
        table, database = checked_name("table", args.table), checked_name("database", args.database)
        if not args.file.is_file():
            raise AdminError(f"No such CSV file: {args.file}")
    elif args.command == "seed":
        database = checked_name("database", args.database)
        script = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
    state = ServerState.load(directory)
    if args.command == "env":
        print("\n".join(shell_lines(state)))
        return 0
    client = AdminClient(state, state_directory=directory)
    if args.command == "token":
        print(client.token(args.lifetime))
    elif args.command == "seed":
        count = client.seed(script, database=database)
        print(f"Ran {count} statement{'s' if count != 1 else ''} in {database}.")
    else:
        rows = client.load_csv(table, args.file, database=database)
        print(f"Loaded {rows} row{'s' if rows != 1 else ''} into {database}.{table}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
