"""A web identity token file kept valid, the way EKS and GitHub Actions present an identity to tools.

On EKS the kubelet rewrites a pod's projected token once 80% of its lifetime has passed, and every AWS
SDK re-reads ``AWS_WEB_IDENTITY_TOKEN_FILE`` when it refreshes credentials. :class:`TokenFileKeeper` does
the kubelet's part for the local stack. The clock is injected so the schedule is tested without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from .private_files import remove_file, write_private_file

#: Share of a token's lifetime after which it is replaced (the kubelet's rule for projected tokens).
REFRESH_SHARE = 0.8
#: After a failed write (a full disk, a deleted directory), try again this soon.
RETRY_SECONDS = 5.0


class TokenFileKeeper:
    """Writes ``mint(lifetime)`` to ``path`` and writes a fresh one every ``refresh_every`` seconds.

    ``refresh_every`` defaults to 80% of ``lifetime``, so the file never holds an expired token while
    the keeper runs. ``on_error`` hears about failed writes (the keeper keeps trying).
    """

    def __init__(
        self,
        path: Path,
        mint: Callable[[int], str],
        *,
        lifetime: int,
        refresh_every: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_error: Callable[[Exception], None] | None = None,
    ) -> None:
        if lifetime < 1:
            raise ValueError(f"token lifetime must be at least 1 second, got {lifetime}")
        interval = lifetime * REFRESH_SHARE if refresh_every is None else refresh_every
        if not 0 < interval < lifetime:
            raise ValueError(f"tokens must be replaced before they expire: 0 < {interval} < {lifetime} (lifetime)")
        self.path = path
        self.lifetime = lifetime
        self.refresh_every = interval
        self._mint = mint
        self._clock = clock
        self._on_error = on_error
        self._written_at: float | None = None
        self._failed_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def write(self) -> None:
        """Mint a token and replace the file with it now."""
        write_private_file(self.path, self._mint(self.lifetime))
        self._written_at = self._clock()
        self._failed_at = None

    def seconds_until_due(self) -> float:
        now = self._clock()
        if self._failed_at is not None:
            return max(0.0, self._failed_at + min(RETRY_SECONDS, self.refresh_every) - now)
        if self._written_at is None:
            return 0.0
        return max(0.0, self._written_at + self.refresh_every - now)

    def tick(self) -> float:
        """Rewrite the file if it is due; return the seconds until the next rewrite."""
        if self.seconds_until_due() <= 0:
            try:
                self.write()
            except Exception as error:
                self._failed_at = self._clock()
                if self._on_error is not None:
                    self._on_error(error)
        return self.seconds_until_due()

    # --- background thread ----------------------------------------------------------------------

    def start(self) -> TokenFileKeeper:
        """Write the file now (errors propagate) and keep it fresh from a daemon thread."""
        self.write()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="token-file-keeper", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.tick()):
            pass

    def stop(self, *, remove: bool = True) -> None:
        """Stop rewriting; by default delete the file too (its tokens die with the issuer's key)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if remove:
            remove_file(self.path)
