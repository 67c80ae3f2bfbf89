"""Where a running dev server (``python -m athena_jwt_dbapi.local``) tells other terminals how to reach it.

The server writes ``server.json`` (0600) into its directory; ``token``, ``seed``, ``load-csv`` and ``env``
read it to find the endpoints and the admin endpoint's key. The directory defaults to the user's cache
(``$XDG_CACHE_HOME/athena-jwt-dbapi/local``, else ``~/.cache/...``), not a shared temporary directory
where another user could plant files.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .private_files import remove_file, write_private_file

STATE_FILE = "server.json"
TOKEN_FILE = "token"


def default_directory() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "athena-jwt-dbapi" / "local"


class NoServerError(RuntimeError):
    """No dev server has left its state in the directory (or the file is unreadable)."""


@dataclass(frozen=True)
class ServerState:
    """Everything another process needs to use the running stack; ``admin_key`` is a secret."""

    pid: int
    region: str
    role_arn: str
    session_name: str
    token_file: str
    token_lifetime: int
    sts_endpoint: str
    athena_endpoint: str
    s3_endpoint: str
    output_location: str
    admin_url: str
    admin_key: str = field(repr=False)

    def save(self, directory: Path) -> Path:
        path = directory / STATE_FILE
        write_private_file(path, json.dumps(asdict(self), indent=2) + "\n")
        return path

    @classmethod
    def load(cls, directory: Path) -> ServerState:
        path = directory / STATE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise NoServerError(
                f"No local stack is running for {directory} (no {STATE_FILE} there). "
                "Start one with: python -m athena_jwt_dbapi.local"
            ) from None
        except (OSError, ValueError, TypeError) as error:
            raise NoServerError(f"Cannot read {path}: {type(error).__name__}: {error}") from None

    @staticmethod
    def remove(directory: Path) -> None:
        remove_file(directory / STATE_FILE)
