"""The one place botocore sessions and clients are made, and shared.

A new botocore session re-reads and re-parses the endpoint and service models (over 100 ms of JSON per
connection), and a new client re-builds its operation methods. So the process keeps one model loader for
every session, and connections that have the same credentials and the same client settings share one
session and its clients (botocore clients are thread-safe). Keys are SHA-256 digests: no setting that
may be secret (a proxy password) is kept in the clear. :func:`clear_shared_sessions` releases them all.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import ParameterError
from .redaction import install_log_filter

if TYPE_CHECKING:
    import boto3
    import botocore.session
    from botocore.client import BaseClient
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.loaders import Loader

#: How many (credentials, settings) sessions are kept; the least recently used one is dropped first.
MAX_SESSIONS = 64

_lock = threading.Lock()
_loader: Loader | None = None
_sessions: OrderedDict[str, SharedSession] = OrderedDict()


def _shared_loader() -> Loader:
    global _loader
    with _lock:
        if _loader is None:
            from botocore.loaders import create_loader

            _loader = create_loader()
        return _loader


def new_botocore_session(profile: str | None = None) -> botocore.session.Session:
    """A botocore session that reads the service models through the process's one loader."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    session.register_component("data_loader", _shared_loader())
    return session


def configured_region(profile: str | None = None) -> str | None:
    """The region the AWS SDKs would use: ``AWS_REGION`` (newer SDKs; GitHub Actions and EKS set it),
    then ``AWS_DEFAULT_REGION`` and the profile's ``region`` (botocore's own chain)."""
    from botocore.exceptions import ProfileNotFound

    region = os.environ.get("AWS_REGION")
    if region:
        return region
    try:
        configured: str | None = new_botocore_session(profile).get_config_variable("region")
    except ProfileNotFound:
        if profile is not None:
            raise  # the caller names its own parameter (ProfileName)
        raise ParameterError(
            f"The AWS_PROFILE environment variable names the profile {os.environ.get('AWS_PROFILE', '')!r}, "
            "which is not in the AWS config files; give Region, or fix AWS_PROFILE.",
            parameter="Region",
        ) from None
    return configured


def unsigned_client(service: str, region: str, endpoint_url: str | None, config: Config) -> BaseClient:
    """A client that signs nothing (STS AssumeRoleWithWebIdentity needs no credentials, and must never be
    signed with the credentials it refreshes), talking to the regional endpoint."""
    import botocore
    from botocore.config import Config

    return _regional_client(service, region, endpoint_url, config.merge(Config(signature_version=botocore.UNSIGNED)))


def signed_client(
    service: str, region: str, endpoint_url: str | None, config: Config, credentials: Credentials
) -> BaseClient:
    """A client signing with ``credentials`` (JWT_TIP's steps after the first, signed with the application
    role's credentials), regional like :func:`unsigned_client`. Not shared: the credentials are those of one
    run of a provider's chain. They reach botocore as a credentials object, never as keys in a local."""
    return _regional_client(service, region, endpoint_url, config, credentials)


def _regional_client(
    service: str, region: str, endpoint_url: str | None, config: Config, credentials: Credentials | None = None
) -> BaseClient:
    session = new_botocore_session()
    session.set_config_variable("sts_regional_endpoints", "regional")
    if credentials is not None:
        session.register_component("credential_provider", _fixed_resolver(credentials))
    client = session.create_client(service, region_name=region, endpoint_url=endpoint_url, config=config)
    install_log_filter()  # the loggers of the modules botocore loaded for it log its first request
    return client


def _fixed_resolver(credentials: Credentials) -> Any:
    """botocore's public way to hand a session credentials made elsewhere: a resolver of one provider."""
    from botocore.credentials import CredentialProvider, CredentialResolver

    class _Fixed(CredentialProvider):
        METHOD = CANONICAL_NAME = "athena-jwt-dbapi"

        def load(self) -> Credentials:
            return credentials

    return CredentialResolver([_Fixed()])


class SharedSession:
    """One boto3 session over fixed credentials, with its clients built once per service and endpoint.

    ``tested`` holds the configurations whose connection test passed with this session, so the test
    runs once per process per configuration and is forgotten with the session.
    """

    def __init__(self, key: str, credentials: Credentials, region: str | None, *, shared: bool = True) -> None:
        self.key = key
        self.shared = shared
        self.credentials = credentials  # kept alive: the key holds its id()
        self.tested: set[str] = set()
        botocore_session = new_botocore_session()
        botocore_session.register_component("credential_provider", _fixed_resolver(credentials))
        self.boto3: Any = _client_sharing_session_class()(botocore_session=botocore_session, region_name=region)


@functools.cache
def _client_sharing_session_class() -> type[boto3.Session]:
    import boto3

    class ClientSharingSession(boto3.Session):
        """A boto3 session whose ``client()`` returns one client per (service, region, endpoint).

        PyAthena asks its session for the Athena, S3 and Glue clients of every connection; with the
        session shared by connections of one identity and one set of settings, they are built once.
        The client settings are part of the session's key, so one service's Config never varies here.
        """

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._clients: dict[tuple[str, str | None, str], BaseClient] = {}
            self._clients_lock = threading.Lock()

        def client(self, service_name: Any, region_name: str | None = None, **kwargs: Any) -> Any:  # type: ignore[override]
            # PyAthena passes one Config per service; anyone else's arguments (another Config, verify=False,
            # keys) get a client of their own.
            key = (service_name, region_name, _arguments_key(kwargs))
            with self._clients_lock:
                found = self._clients.get(key)
                if found is None:
                    found = super().client(service_name, region_name=region_name, **kwargs)
                    self._clients[key] = found
                    install_log_filter()  # the loggers of the modules botocore loaded for it
                return found

        def close_clients(self) -> None:
            with self._clients_lock:
                clients, self._clients = list(self._clients.values()), {}
            for client in clients:
                client.close()

    return ClientSharingSession


def _arguments_key(arguments: dict[str, Any]) -> str:
    """A secret-free key of a client's arguments: a Config by the options given to it."""
    shown = {
        name: repr(sorted(getattr(value, "_user_provided_options", {}).items())) if name == "config" else repr(value)
        for name, value in arguments.items()
    }
    return _digest(*(f"{name}={shown[name]}" for name in sorted(shown)))


def shared_session(
    credentials: Credentials,
    region: str | None,
    settings_key: str,
    prepare: Callable[[Any], None] | None = None,
    *,
    share: bool = True,
) -> SharedSession:
    """The session for these credentials and these client settings.

    ``settings_key`` must change whenever a client built from the session would differ (endpoints,
    retries, timeouts, proxies, user agent, events such as ExpectedBucketOwner): see
    :func:`settings_digest`. ``prepare`` runs once on a new boto3 session, before anyone uses it (to
    register event handlers). With ``share=False`` the session is new and the caller's alone
    (``SharedSession.shared`` is False).
    """
    key = _digest(str(id(credentials)), region or "", settings_key)
    if share:
        with _lock:
            entry = _sessions.get(key)
            if entry is not None and entry.credentials is credentials:
                _sessions.move_to_end(key)
                return entry
    created = SharedSession(key, credentials, region, shared=share)
    if prepare is not None:
        prepare(created.boto3)
    if not share:
        return created
    with _lock:
        entry = _sessions.get(key)
        if entry is not None and entry.credentials is credentials:
            return entry  # another thread won the race; ours is dropped unused
        _sessions[key] = created
        while len(_sessions) > MAX_SESSIONS:
            _sessions.popitem(last=False)
    return created


def clear_shared_sessions() -> None:
    """Forget every shared session and close its clients' network connections."""
    with _lock:
        entries = list(_sessions.values())
        _sessions.clear()
    for entry in entries:
        entry.boto3.close_clients()


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def settings_digest(*parts: object) -> str:
    """A secret-free key of the settings that shape a session's clients (``repr`` of each part, hashed)."""
    return _digest(*(repr(p) for p in parts))
