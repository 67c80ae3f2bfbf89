"""Files only the user can read, replaced atomically: the token file and the dev server's state file.

Tools re-read a web identity token file whenever they refresh credentials, at moments we do not
choose; replacing the file in one ``rename`` means a reader sees the old token or the new one, never a
half-written one. Both files hold secrets, so they are created 0600 (in a 0700 directory when we make it).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def ensure_private_directory(path: Path) -> Path:
    """Create ``path`` (and its parents) if missing; a directory we create is readable by the user only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_private_file(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; the file is 0600 (``mkstemp`` creates it so)."""
    ensure_private_directory(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def remove_file(path: Path) -> None:
    """Delete ``path`` if it is there."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
