"""``connect()``: parameters → provider → credentials → boto3 session → PyAthena connection.

Everything that can be checked locally is checked before the first network call (the provider's
``load()``), so a typo never costs an STS round trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import aws, logfile
from .clients import configured_endpoint_url
from .conninfo import ResolvedParameters, resolve_parameters
from .credentials import CredentialsProvider
from .errors import CredentialsError, Error, OperationalError, ParameterError
from .parameters import Settings, rules
from .redaction import install_log_filter, redact, register_secret

if TYPE_CHECKING:
    from .connection import Connection

#: The settings that shape a shared session's clients or its event handlers (see :mod:`.aws`).
_CLIENT_SETTINGS = (
    "AthenaEndpoint",
    "S3Endpoint",
    "NumRetries",
    "NetworkTimeoutMillis",
    "ProxyHost",
    "ProxyPort",
    "ProxyUsername",
    "ProxyPassword",
    "ProxyExemptHosts",
    "ApplicationName",
    "ExpectedBucketOwner",
    "AclOption",
)


def _install_result_configuration(session: Any, settings: Settings) -> None:
    """ExpectedBucketOwner and AclOption, which PyAthena does not send, via botocore's public events."""
    owner = settings["ExpectedBucketOwner"]
    acl = settings["AclOption"]
    if not owner and not acl:
        return

    def add_result_configuration(params: dict[str, Any], **_: Any) -> None:
        result = params.setdefault("ResultConfiguration", {})
        if owner:
            result.setdefault("ExpectedBucketOwner", owner)
        if acl:
            result.setdefault("AclConfiguration", {"S3AclOption": acl})

    session.events.register("before-parameter-build.athena.StartQueryExecution", add_result_configuration)
    if owner:

        def add_owner(params: dict[str, Any], **_: Any) -> None:
            params.setdefault("ExpectedBucketOwner", owner)

        for operation in ("GetObject", "HeadObject", "ListObjectsV2", "ListObjects"):
            session.events.register(f"before-parameter-build.s3.{operation}", add_owner)


def _connection_test(connection: Connection, shared: aws.SharedSession, settings: Settings) -> None:
    """JDBC's ConnectionTest: ``SELECT 1``, so a broken configuration fails at ``connect()``.

    It runs once per process per configuration (the shared session stands for the identity, region,
    endpoints and client settings), and on an internal plain cursor: never through the user's cursor
    class, cursor options or callbacks (an ``unload=True`` option would turn it into an UNLOAD, and a
    user's ``on_start_query_execution`` would see a query they never ran).
    """
    configuration = aws.settings_digest(
        settings["WorkGroup"], settings["Catalog"], settings["Database"], settings["OutputLocation"]
    )
    if configuration in shared.tested:
        return
    try:
        with connection.internal_cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()
    except Error as error:
        connection.close()
        raise OperationalError(f"ConnectionTest (SELECT 1) failed: {redact(str(error))}") from None
    shared.tested.add(configuration)


def connect(dsn: str | None = None, /, **kwargs: Any) -> Connection:
    """Open a connection to Athena (see :func:`athena_jwt_dbapi.connect`)."""
    return open_connection(resolve_parameters(dsn, **kwargs))


def open_connection(resolved: ResolvedParameters) -> Connection:
    """Credentials → the AWS session and clients → the PyAthena connection (→ ConnectionTest)."""
    settings = resolved.settings
    _configure_log_file(settings)
    # --- from here on, the network ---
    install_log_filter()
    credentials = _load_credentials(resolved.provider)
    shared = aws.shared_session(
        credentials,
        resolved.region,
        aws.settings_digest(*(settings[name] for name in _CLIENT_SETTINGS)),
        prepare=lambda session: _install_result_configuration(session, settings),
        # A user's own botocore Config objects shape the clients in ways no key can capture.
        share=settings["config"] is None and settings["s3_config"] is None,
    )
    connection = _pyathena_connection(resolved, shared)
    install_log_filter()
    if settings["ConnectionTest"]:
        _connection_test(connection, shared, settings)
    return connection


def _configure_log_file(settings: Settings) -> None:
    try:
        logfile.configure(settings["LogPath"], settings["LogLevel"], include_botocore=settings.given("LogLevel"))
    except (OSError, ValueError) as error:
        raise ParameterError(
            f"Invalid value specified for connection property: LogPath. {type(error).__name__}: {error}",
            parameter="LogPath",
        ) from None


def _load_credentials(provider: CredentialsProvider) -> Any:
    """The provider's credentials, fetched eagerly: a refused token fails here, not at the first query."""
    from botocore.exceptions import BotoCoreError, ClientError

    credentials = provider.load()
    if credentials is None:
        raise CredentialsError(f"The {provider.name} credentials provider found no credentials.")
    try:
        frozen = credentials.get_frozen_credentials()
    except Error:
        raise
    except (BotoCoreError, ClientError) as error:  # an SDK provider's deferred assume-role, SSO, ...
        raise CredentialsError(
            f"The {provider.name} credentials provider could not get credentials: {redact(str(error))}"
        ) from None
    register_secret(frozen.secret_key)
    register_secret(frozen.token)
    return credentials


def _pyathena_connection(resolved: ResolvedParameters, shared: aws.SharedSession) -> Connection:
    from .connection import Connection

    settings = resolved.settings
    poll_interval, schedule = rules.polling(settings)
    passed = {p.passed_as: settings[name] for name, p in settings.parameters.items() if p.passed_as}
    connection = Connection(
        shared_session=shared,
        credentials_provider=resolved.provider.name,
        region_name=resolved.region,
        config=resolved.client_config("athena"),
        endpoint_url=resolved.endpoint_url("athena"),
        s3_endpoint_url=resolved.endpoint_url("s3") or configured_endpoint_url("s3"),
        s3_staging_dir=settings["OutputLocation"] or "",  # None would make PyAthena read AWS_ATHENA_S3_STAGING_DIR
        cursor_kwargs=rules.cursor_kwargs(settings),
        poll_interval=poll_interval,
        poll_schedule=schedule,
        **{argument: value for argument, value in passed.items() if value is not None},
    )
    if settings["s3_config"] is None:
        connection.s3_config = resolved.client_config("s3")
    return connection
