"""``connect()``: parameters → provider → credentials → boto3 session → PyAthena connection.

Everything that can be checked locally is checked before the first network call (the provider's
``load()``), so a typo never costs an STS round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import aws, logfile
from ._warn import warn
from .clients import client_config, configured_endpoint_url, endpoint_url
from .credentials import (
    CredentialsProvider,
    ProviderContext,
    get_credentials_provider,
    registered_credentials_providers,
)
from .dsn import parse_jdbc_url
from .errors import CredentialsError, Error, OperationalError, ParameterError, ParameterNotAppliedWarning
from .parameters import COMMON_PARAMETERS, PYATHENA_OPTIONS, Parameter
from .parameters.resolve import Settings, find_provider_name, resolve
from .polling import PollSchedule
from .redaction import install_log_filter, redact, register_secret

if TYPE_CHECKING:
    from botocore.config import Config

    from .connection import Connection

_PLAIN_CURSOR_MAX_ARRAYSIZE = 1000
_KMS_OPTIONS = ("SSE_KMS", "CSE_KMS")
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
_POLLING = (
    "MinQueryExecutionPollingIntervalMillis",
    "MaxQueryExecutionPollingIntervalMillis",
    "QueryExecutionPollingIntervalMultiplier",
)
#: PyAthena's Python-object options that ``connect()`` hands to PyAthena's Connection unchanged.
_PASSED_THROUGH = (
    "converter",
    "formatter",
    "retry_config",
    "kill_on_interrupt",
    "on_start_query_execution",
    "on_poll",
    "glue_metadata_fallback",
    "s3_config",
)


def _secret_names() -> frozenset[str]:
    """Every spelling of every secret parameter, of the common ones and every registered provider's."""
    parameters = [*COMMON_PARAMETERS, *(p for c in registered_credentials_providers().values() for p in c.parameters)]
    return frozenset(name.lower() for p in parameters if p.secret for name in p.names())


def _provider_class(sources: list[tuple[str, Mapping[str, Any]]]) -> type[CredentialsProvider]:
    provider_names = next(p for p in COMMON_PARAMETERS if p.name == "CredentialsProvider").names()
    name = find_provider_name([s for _, s in sources], provider_names)
    if name is None:
        user_names = {"user", "accesskeyid", "aws_access_key_id"}
        has_keys = any(k.lower() in user_names and v not in (None, "") for _, s in sources for k, v in s.items())
        name = "IAMCredentials" if has_keys else "DefaultChain"
    return get_credentials_provider(name)


def _foreign_parameters(provider: type[CredentialsProvider]) -> dict[str, str]:
    own = {n.lower() for p in provider.parameters for n in p.names()}
    foreign: dict[str, str] = {}
    for other in registered_credentials_providers().values():
        if other is provider:
            continue
        for parameter in other.parameters:
            for spelled in parameter.names():
                if spelled.lower() not in own:
                    foreign.setdefault(spelled.lower(), other.name)
    return foreign


def _check_combinations(settings: Settings, provider: type[CredentialsProvider]) -> None:
    """Rules that involve more than one parameter."""
    option, key = settings.get("EncryptionOption"), settings.get("KmsKey")
    if option in _KMS_OPTIONS and not key:
        raise ParameterError(
            f"Missing required connection property: KmsKey (EncryptionOption={option}).", parameter="KmsKey"
        )
    if key and option not in _KMS_OPTIONS:
        raise ParameterError(
            f"Connection property KmsKey is only allowed with EncryptionOption SSE_KMS or CSE_KMS, not {option}.",
            parameter="KmsKey",
        )
    proxy_host = settings.get("ProxyHost")
    if proxy_host and settings.get("ProxyPort") is None and not _has_port(proxy_host):
        raise ParameterError(
            "Connection property ProxyHost needs ProxyPort (or a port in ProxyHost, as in http://proxy:3128).",
            parameter="ProxyPort",
        )
    if settings.get("ProxyPort") is not None and not settings.get("ProxyHost"):
        raise ParameterError("Connection property ProxyPort needs ProxyHost.", parameter="ProxyPort")
    if (settings.get("ProxyUsername") or settings.get("ProxyPassword")) and not settings.get("ProxyHost"):
        raise ParameterError("Proxy credentials need ProxyHost.", parameter="ProxyUsername")
    if settings.get("ProxyPassword") and not settings.get("ProxyUsername"):
        raise ParameterError("Connection property ProxyPassword needs ProxyUsername.", parameter="ProxyPassword")
    if settings.given("CredentialsProviderArguments") and not provider.accepts_arguments:
        raise ParameterError(
            f"The {provider.name} credentials provider takes no CredentialsProviderArguments.",
            parameter="CredentialsProviderArguments",
        )
    polling = [name for name in _POLLING if settings.given(name)]
    if settings.given("poll_interval") and polling:
        warn(
            f"poll_interval (a fixed interval) wins over {', '.join(polling)}; give one or the other.",
            ParameterNotAppliedWarning,
        )
    low = settings["MinQueryExecutionPollingIntervalMillis"]
    high = settings["MaxQueryExecutionPollingIntervalMillis"]
    if low > high:
        raise ParameterError(
            f"MinQueryExecutionPollingIntervalMillis ({low}) exceeds MaxQueryExecutionPollingIntervalMillis ({high}).",
            parameter="MinQueryExecutionPollingIntervalMillis",
        )


def _has_port(host: str) -> bool:
    from urllib.parse import urlsplit

    return urlsplit(host if "://" in host else f"http://{host}").port is not None


def _region(settings: Settings) -> str | None:
    """``Region``, else the SDKs' region chain (of ``ProfileName``'s profile when one is named)."""
    from botocore.exceptions import ProfileNotFound

    region: str | None = settings.get("Region")
    if region:
        return region
    profile = settings.get("ProfileName")
    try:
        return aws.configured_region(profile)
    except ProfileNotFound:
        raise ParameterError(
            f"Invalid value specified for connection property: ProfileName. The profile {profile!r} is not in "
            "the AWS config files.",
            parameter="ProfileName",
        ) from None


def _cursor_options(settings: Settings) -> dict[str, Any]:
    """cursor_class / cursor_kwargs from FetchSize (user-given objects win)."""
    options: dict[str, Any] = {}
    if settings["ResultFetcher"] == "GetQueryResultsStream":
        warn(
            "ResultFetcher=GetQueryResultsStream has no Python client; results are fetched with GetQueryResults.",
            ParameterNotAppliedWarning,
        )
    if settings.get("cursor_class") is not None:
        options["cursor_class"] = settings["cursor_class"]
    cursor_kwargs = dict(settings.get("cursor_kwargs") or {})
    fetch_size = settings["FetchSize"]
    if fetch_size and "arraysize" not in cursor_kwargs:
        if fetch_size > _PLAIN_CURSOR_MAX_ARRAYSIZE:
            warn(
                f"FetchSize={fetch_size} exceeds the 1,000 rows of a GetQueryResults page; using 1000.",
                ParameterNotAppliedWarning,
            )
            fetch_size = _PLAIN_CURSOR_MAX_ARRAYSIZE
        cursor_kwargs["arraysize"] = fetch_size
    if cursor_kwargs:
        options["cursor_kwargs"] = cursor_kwargs
    return options


def _install_result_configuration(session: Any, settings: Settings) -> None:
    """ExpectedBucketOwner and AclOption, which PyAthena does not send, via botocore's public events."""
    owner = settings.get("ExpectedBucketOwner")
    acl = settings.get("AclOption")
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
        settings["WorkGroup"], settings["Catalog"], settings["Database"], settings.get("OutputLocation")
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


@dataclass(frozen=True)
class Plan:
    """Everything ``connect()`` decided before touching the network."""

    settings: Settings
    provider: CredentialsProvider
    region: str | None
    cursor_options: dict[str, Any]
    config_for: Callable[[str], Config]


def plan(dsn: str | None = None, /, **kwargs: Any) -> Plan:
    """Resolve and check every parameter and build the provider, without any network call."""
    sources: list[tuple[str, Mapping[str, Any]]] = []
    if dsn is not None:
        sources.append(("JDBC URL", parse_jdbc_url(dsn, _secret_names())))
    sources.append(("keyword arguments", kwargs))

    provider_class = _provider_class(sources)
    parameters: tuple[Parameter, ...] = (*COMMON_PARAMETERS, *PYATHENA_OPTIONS, *provider_class.parameters)
    settings, notices = resolve(sources, parameters, _foreign_parameters(provider_class))
    for notice in notices:
        warn(notice, ParameterNotAppliedWarning)
    _check_combinations(settings, provider_class)
    cursor_options = _cursor_options(settings)

    region = _region(settings)
    if region is None:
        raise ParameterError(
            "Missing required connection property: Region (it is not given, and neither AWS_REGION, "
            "AWS_DEFAULT_REGION nor the AWS config profile names one). Every Athena, S3 and STS request is "
            "signed for a region, even with explicit endpoints.",
            parameter="Region",
        )
    user_config: Config | None = settings.get("config")

    def config_for(service: str) -> Config:
        return client_config(settings, service, region, user_config)

    arguments = tuple(a.strip() for a in (settings.get("CredentialsProviderArguments") or "").split(",") if a.strip())
    context = ProviderContext(
        region=region,
        endpoint_url=lambda service: endpoint_url(settings, service),
        client_config=config_for,
        arguments=arguments,
    )
    provider = provider_class(settings, context)
    return Plan(settings, provider, region, cursor_options, config_for)


def connect(dsn: str | None = None, /, **kwargs: Any) -> Connection:
    """Open a connection to Athena.

    ``dsn`` is an optional JDBC URL (``jdbc:athena://Name=Value;...``); keyword arguments use the
    same names (any case, any alias) and override the URL. See the README's parameter table.
    """
    decided = plan(dsn, **kwargs)
    settings = decided.settings
    _configure_log_file(settings)
    # --- from here on, the network ---
    install_log_filter()
    credentials = _load_credentials(decided.provider)
    shared = aws.shared_session(
        credentials,
        decided.region,
        aws.settings_digest(*(settings.get(name) for name in _CLIENT_SETTINGS)),
        prepare=lambda session: _install_result_configuration(session, settings),
        # A user's own botocore Config objects shape the clients in ways no key can capture.
        share=settings.get("config") is None and settings.get("s3_config") is None,
    )
    connection = _pyathena_connection(decided, shared)
    install_log_filter()
    if settings["ConnectionTest"]:
        _connection_test(connection, shared, settings)
    return connection


def _configure_log_file(settings: Settings) -> None:
    try:
        logfile.configure(settings.get("LogPath"), settings["LogLevel"], include_botocore=settings.given("LogLevel"))
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


def _polling(settings: Settings) -> tuple[float, PollSchedule | None]:
    """PyAthena's ``poll_interval`` (a fixed interval) if given, else JDBC's backoff schedule."""
    schedule = PollSchedule(
        settings["MinQueryExecutionPollingIntervalMillis"] / 1000,
        settings["MaxQueryExecutionPollingIntervalMillis"] / 1000,
        settings["QueryExecutionPollingIntervalMultiplier"],
    )
    fixed: float | None = settings.get("poll_interval")
    if fixed is None:
        return schedule.minimum, schedule
    return fixed, None


def _pyathena_connection(decided: Plan, shared: aws.SharedSession) -> Connection:
    from .connection import Connection

    settings = decided.settings
    poll_interval, schedule = _polling(settings)
    connection = Connection(
        s3_endpoint_url=endpoint_url(settings, "s3") or configured_endpoint_url("s3"),
        credentials_provider=decided.provider.name,
        shared_session=shared,
        result_fetcher=settings["ResultFetcher"],
        region_name=decided.region,
        s3_staging_dir=settings.get("OutputLocation") or "",
        schema_name=settings["Database"],
        catalog_name=settings["Catalog"],
        work_group=settings["WorkGroup"],
        poll_interval=poll_interval,
        poll_schedule=schedule,
        encryption_option=settings.get("EncryptionOption"),
        kms_key=settings.get("KmsKey"),
        result_reuse_enable=settings["EnableResultReuseByAge"],
        result_reuse_minutes=settings["MaxResultReuseAgeInMinutes"],
        config=decided.config_for("athena"),
        endpoint_url=endpoint_url(settings, "athena"),
        **decided.cursor_options,
        **{name: settings[name] for name in _PASSED_THROUGH if settings.get(name) is not None},
    )
    if settings.get("s3_config") is None:
        connection.s3_config = decided.config_for("s3")
    return connection
