"""Table data in S3, as the engine reads and writes it: an fsspec filesystem that DuckDB reads through.

Athena reads a table's files from S3 at query time and writes INSERT, CTAS and UNLOAD output back to
S3. The engine does the same through an fsspec filesystem registered with DuckDB under its own
protocol (:data:`PROTOCOL`), so DuckDB's CSV, JSON and Parquet readers and its ``COPY ... TO`` see the
local S3: for the stack, moto's S3 reached in-process by PyAthena's boto3-based fsspec filesystem; for
an engine on its own, fsspec's in-memory filesystem. ``s3://bucket/key`` becomes ``<PROTOCOL>://bucket/key``;
DuckDB's own ``s3://`` support (httpfs) is never involved, so nothing leaves the process; and since
the engine turns DuckDB's external access off, these protocols are all that DuckDB can open.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

__all__ = ["LOAD_PROTOCOL", "PROTOCOL", "ObjectStore", "S3File", "split_s3_url"]

PROTOCOL = "athenalocals3"
#: A private in-memory area where the engine hands DuckDB the local files an operator loads.
LOAD_PROTOCOL = "athenalocalload"
_S3_URL = re.compile(r"s3a?://([^/]+)/?(.*)", re.IGNORECASE)


def split_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/a/b`` -> (``bucket``, ``a/b``); ValueError for anything else."""
    match = _S3_URL.fullmatch(url.strip())
    if not match:
        raise ValueError(f"not an S3 location: {url}")
    return match.group(1), match.group(2)


@dataclass(frozen=True)
class S3File:
    """One data file of a table: its ``s3://`` URL and size in bytes."""

    url: str
    size: int


def _hidden(relative: str) -> bool:
    """Hive and Athena skip files and folders whose names start with ``_`` or ``.``, and folder markers."""
    parts = [p for p in relative.split("/") if p]
    return any(p.startswith(("_", ".")) for p in parts) or relative.endswith(("/", "_$folder$"))


class ObjectStore:
    """The engine's S3: list a location's data files, read and write objects, hand DuckDB the filesystem."""

    def __init__(self, filesystem: Any, *, has_buckets: bool = True) -> None:
        self.filesystem = filesystem
        self.protocol: str = filesystem.protocol if isinstance(filesystem.protocol, str) else filesystem.protocol[0]
        self._has_buckets = has_buckets

    @classmethod
    def for_client(cls, client: Any) -> ObjectStore:
        """S3 through the boto3 ``client`` (the stack's in-process client of moto)."""
        from pyathena.filesystem.s3 import S3FileSystem
        from pyathena.util import RetryConfig

        filesystem_class = type("LocalS3FileSystem", (S3FileSystem,), {"protocol": (PROTOCOL,)})
        # PyAthena's filesystem takes its client from a connection, of which it reads these two attributes.
        connection = SimpleNamespace(s3_client=client, retry_config=RetryConfig(attempt=1))
        return cls(filesystem_class(connection=connection, skip_instance_cache=True))

    @classmethod
    def in_memory(cls, protocol: str = PROTOCOL) -> ObjectStore:
        """A private in-memory S3 (fsspec's memory filesystem), for an engine without a stack."""
        from fsspec.implementations.memory import MemoryFileSystem

        def strip_protocol(klass: Any, path: str) -> str:
            path = re.sub(rf"^(?:{protocol}|s3a?|memory)://", "", str(path))
            path = path.strip("/")
            return "/" + path if path else ""

        filesystem_class = type(
            "LocalMemoryS3",
            (MemoryFileSystem,),
            {
                "protocol": (protocol,),
                "store": {},
                "pseudo_dirs": [""],
                "_strip_protocol": classmethod(strip_protocol),
            },
        )
        return cls(filesystem_class(skip_instance_cache=True), has_buckets=False)

    # ---- paths -----------------------------------------------------------------------------------

    def duck_path(self, url: str) -> str:
        """The path DuckDB opens for ``s3://bucket/key``."""
        bucket, key = split_s3_url(url)
        return f"{self.protocol}://{bucket}/{key}"

    def _fs_path(self, url: str) -> str:
        return self.duck_path(url).rstrip("/")

    def register(self, connection: Any) -> None:
        """Let a DuckDB connection (and its cursors) open ``<PROTOCOL>://`` paths."""
        connection.register_filesystem(self.filesystem)

    # ---- reading ---------------------------------------------------------------------------------

    def list_files(self, location: str) -> list[S3File]:
        """The data files under ``location`` (recursively), sorted, without hidden files.

        A location that does not exist (or is empty) has no files, as in Athena.
        """
        bucket, key = split_s3_url(location)
        prefix = key if not key or key.endswith("/") else key + "/"
        self._invalidate()
        try:
            found: Mapping[str, Any] = self.filesystem.find(
                f"{self.protocol}://{bucket}/{prefix}", detail=True, withdirs=False
            )
        except FileNotFoundError:
            return []
        files = []
        for name, info in found.items():
            path = str(name).split("://", 1)[-1].lstrip("/")
            object_bucket, _, object_key = path.partition("/")
            if object_bucket != bucket or not object_key.startswith(prefix):
                continue
            if _hidden(object_key[len(prefix) :]) or _info(info, "type") == "directory":
                continue
            files.append(S3File(f"s3://{bucket}/{object_key}", int(_info(info, "size") or 0)))
        return sorted(files, key=lambda f: f.url)

    def bucket_exists(self, location: str) -> bool:
        """Whether the bucket of ``location`` exists (an in-memory store has every bucket)."""
        if not self._has_buckets:
            return True
        bucket, _ = split_s3_url(location)
        self._invalidate()
        return bool(self.filesystem.exists(f"{self.protocol}://{bucket}"))

    def is_empty(self, location: str) -> bool:
        return not self.list_files(location)

    def read(self, url: str) -> bytes:
        with self.filesystem.open(self._fs_path(url), "rb") as handle:
            data: bytes = handle.read()
        return data

    def size(self, url: str) -> int:
        self._invalidate()
        return int(_info(self.filesystem.info(self._fs_path(url)), "size") or 0)

    # ---- writing ---------------------------------------------------------------------------------

    def write(self, url: str, body: bytes) -> None:
        self.filesystem.pipe_file(self._fs_path(url), body)
        self._invalidate()

    def remove(self, url: str) -> None:
        self.filesystem.rm_file(self._fs_path(url))
        self._invalidate()

    def _invalidate(self) -> None:
        invalidate = getattr(self.filesystem, "invalidate_cache", None)
        if invalidate is not None:
            invalidate()


def _info(info: Any, key: str) -> Any:
    if isinstance(info, Mapping):
        return info.get(key)
    return getattr(info, key, None)
