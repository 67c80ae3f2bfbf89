"""Roles and the temporary credentials STS hands out for them.

The store is the single source of truth that STS writes and every signed service (Athena, S3, STS's
own GetCallerIdentity) reads, which is what lets tests expire or shorten credentials globally and
watch the driver refresh.
"""

from __future__ import annotations

import base64
import dataclasses
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from athena_jwt_dbapi.local.clock import Clock, utc_now
from athena_jwt_dbapi.local.issuer import DEFAULT_AUDIENCE

DEFAULT_ACCOUNT_ID = "123456789012"
#: IAM's bounds for a role's MaxSessionDuration (and its default).
MIN_MAX_SESSION_DURATION = 3600
MAX_MAX_SESSION_DURATION = 43200

_UPPER_ALNUM = string.ascii_uppercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits + "+/"


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@dataclass(frozen=True)
class Role:
    """An IAM role with the parts of a web-identity trust policy the local STS evaluates.

    ``allowed_issuers=None`` means "whichever issuer the stack trusts", mirroring a trust policy
    whose principal is the stack's one OIDC provider. ``trusted_roles`` are the roles whose sessions may
    AssumeRole into this one (and set a context on it: ``sts:AssumeRole`` and ``sts:SetContext``).
    """

    name: str
    account_id: str = DEFAULT_ACCOUNT_ID
    allowed_issuers: tuple[str, ...] | None = None
    allowed_audiences: tuple[str, ...] = (DEFAULT_AUDIENCE,)
    allowed_subjects: tuple[str, ...] = ("*",)
    max_session_duration: int = MIN_MAX_SESSION_DURATION
    trusted_roles: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not MIN_MAX_SESSION_DURATION <= self.max_session_duration <= MAX_MAX_SESSION_DURATION:
            raise ValueError(
                f"max_session_duration must be within {MIN_MAX_SESSION_DURATION}..{MAX_MAX_SESSION_DURATION}"
            )

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{self.name}"

    def trusts_issuer(self, issuer: str) -> bool:
        return self.allowed_issuers is None or issuer.rstrip("/") in {i.rstrip("/") for i in self.allowed_issuers}

    def trusts_subject(self, subject: str) -> bool:
        return any(fnmatchcase(subject, pattern) for pattern in self.allowed_subjects)


@dataclass(frozen=True)
class IssuedCredentials:
    """One AssumeRoleWithWebIdentity (or AssumeRole) result; the repr hides the secret and the session token.

    ``identity`` is the IAM Identity Center user that identity-enhanced credentials carry (AssumeRole with a
    context from CreateTokenWithIAM); None for plain role credentials.
    """

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expiration: datetime
    role: Role
    session_name: str
    subject: str
    assumed_role_id: str
    identity: str | None = None

    @property
    def assumed_role_arn(self) -> str:
        return f"arn:aws:sts::{self.role.account_id}:assumed-role/{self.role.name}/{self.session_name}"

    def is_expired(self, now: datetime | None = None) -> bool:
        return (now or utc_now()) >= self.expiration


class CredentialStore:
    """Thread-safe registry of issued temporary credentials, keyed by access key id.

    ``lifetime_override`` (seconds) makes new credentials live that long regardless of the requested
    DurationSeconds, so tests can make credentials expire within a test run; a fraction of a second is
    allowed (the expiration is then reported with milliseconds). ``role_lifetimes`` does the same for the
    credentials of one role (by ARN), and wins over ``lifetime_override``.
    """

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, IssuedCredentials] = {}
        self.clock = clock
        self.lifetime_override: float | None = None
        self.role_lifetimes: dict[str, float] = {}

    def issue(
        self,
        role: Role,
        session_name: str,
        duration_seconds: int,
        subject: str,
        *,
        now: datetime | None = None,
        identity: str | None = None,
    ) -> IssuedCredentials:
        issued_at = now or self.clock()
        lifetime = self.role_lifetimes.get(role.arn, self.lifetime_override)
        if lifetime is None:
            lifetime = duration_seconds
        expiration = issued_at + timedelta(seconds=lifetime)
        if float(lifetime).is_integer():  # STS reports whole seconds; only the sub-second test knob keeps more
            expiration = expiration.replace(microsecond=0)
        creds = IssuedCredentials(
            access_key_id="ASIA" + _random(_UPPER_ALNUM, 16),
            secret_access_key=_random(_SECRET_ALPHABET, 40),
            # Real session tokens are opaque base64 blobs of several hundred characters.
            session_token=base64.b64encode(b"local-sts\x00" + secrets.token_bytes(300)).decode("ascii"),
            expiration=expiration,
            role=role,
            session_name=session_name,
            subject=subject,
            assumed_role_id=f"AROA{_random(_UPPER_ALNUM, 17)}:{session_name}",
            identity=identity,
        )
        with self._lock:
            self._by_key[creds.access_key_id] = creds
        return creds

    def lookup(self, access_key_id: str) -> IssuedCredentials | None:
        with self._lock:
            return self._by_key.get(access_key_id)

    def is_expired(self, access_key_id: str, now: datetime | None = None) -> bool:
        """Unknown keys count as expired: they can no longer be used either way."""
        creds = self.lookup(access_key_id)
        return creds is None or creds.is_expired(now or self.clock())

    def expire_all(self, now: datetime | None = None) -> None:
        """Make every credential issued so far expired as of ``now`` (new ones are unaffected)."""
        cutoff = now or self.clock()
        with self._lock:
            for key, creds in self._by_key.items():
                if creds.expiration > cutoff:
                    self._by_key[key] = dataclasses.replace(creds, expiration=cutoff)

    def all(self) -> list[IssuedCredentials]:
        with self._lock:
            return list(self._by_key.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_key)
