"""The common connection parameters: Athena JDBC 3.x names, their aliases, and PyAthena's own options.

This table is the single source for validation, alias resolution, error messages and the README's
parameter table (``tests/test_readme.py`` fails when the two drift). Credentials-provider parameters are
declared by each provider (see :mod:`.credentials`).
"""

from __future__ import annotations

from .spec import (
    CALLABLE,
    ENDPOINT,
    S3_URI,
    Alias,
    Parameter,
    Validator,
    a_class,
    all_of,
    endpoint,
    instance_of,
    length,
    pattern,
    printable,
)

_NO_STREAMING = "Athena's streaming result API (GetQueryResultsStream) has no Python SDK client"

COMMON_PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "CredentialsProvider",
        str,
        "Which credentials provider signs requests: JWT, DefaultChain, ProfileCredentials, "
        "InstanceProfile, IAMCredentials or a registered custom one.",
        aliases=(Alias("AWSCredentialsProviderClass"),),
        applied="chooses the provider; default IAMCredentials when User is given, else DefaultChain",
    ),
    Parameter(
        "CredentialsProviderArguments",
        str,
        "Comma-separated strings handed to a custom provider that accepts arguments.",
        aliases=(Alias("AwsCredentialsProviderArguments"),),
        applied="passed to the provider as a list of strings",
    ),
    Parameter(
        "Region",
        str,
        "AWS Region of Athena, S3 and STS.",
        aliases=(Alias("AwsRegion"), Alias("region_name", deprecated=False)),
        validator=pattern(r"[a-z]{2,4}(-[a-z]+)+-\d+", "an AWS Region code such as us-east-1"),
        applied="region of every client; default: the SDK's region chain",
    ),
    Parameter(
        "Catalog",
        str,
        "Data catalog for unqualified table names.",
        default="AwsDataCatalog",
        aliases=(Alias("catalog_name", deprecated=False),),
        applied="PyAthena catalog_name (QueryExecutionContext.Catalog)",
        passed_as="catalog_name",
    ),
    Parameter(
        "Database",
        str,
        "Database (schema) for unqualified table names.",
        default="default",
        aliases=(Alias("Schema", deprecated=False), Alias("schema_name", deprecated=False)),
        applied="PyAthena schema_name (QueryExecutionContext.Database)",
        passed_as="schema_name",
    ),
    Parameter(
        "WorkGroup",
        str,
        "Athena workgroup that runs the queries.",
        default="primary",
        aliases=(Alias("work_group", deprecated=False),),
        applied="PyAthena work_group",
        passed_as="work_group",
    ),
    Parameter(
        "OutputLocation",
        str,
        "S3 location of query results; required unless the workgroup sets one.",
        aliases=(Alias("S3OutputLocation"), Alias("s3_staging_dir", deprecated=False)),
        validator=S3_URI,
        applied="PyAthena s3_staging_dir (ResultConfiguration.OutputLocation)",
    ),
    Parameter(
        "EncryptionOption",
        str,
        "Encryption of query results.",
        aliases=(Alias("S3OutputEncOption"),),
        choices=("SSE_S3", "SSE_KMS", "CSE_KMS"),
        applied="PyAthena encryption_option",
        passed_as="encryption_option",
    ),
    Parameter(
        "KmsKey",
        str,
        "KMS key for SSE_KMS / CSE_KMS; refused with any other EncryptionOption.",
        aliases=(Alias("S3OutputEncKMSKey"),),
        applied="PyAthena kms_key",
        passed_as="kms_key",
    ),
    Parameter(
        "ExpectedBucketOwner",
        str,
        "AWS account that must own the output bucket.",
        validator=pattern(r"\d{12}", "a 12-digit AWS account id"),
        applied="ResultConfiguration.ExpectedBucketOwner and every S3 read of results",
    ),
    Parameter(
        "AclOption",
        str,
        "Canned ACL for query results.",
        choices=("BUCKET_OWNER_FULL_CONTROL",),
        applied="ResultConfiguration.AclConfiguration.S3AclOption",
    ),
    Parameter(
        "EnableResultReuseByAge",
        bool,
        "Reuse the results of an identical recent query.",
        default=False,
        aliases=(Alias("result_reuse_enable", deprecated=False),),
        applied="PyAthena result_reuse_enable",
        passed_as="result_reuse_enable",
    ),
    Parameter(
        "MaxResultReuseAgeInMinutes",
        int,
        "How old a reused result may be.",
        default=60,
        minimum=1,
        maximum=10080,
        aliases=(Alias("result_reuse_minutes", deprecated=False),),
        applied="PyAthena result_reuse_minutes",
        passed_as="result_reuse_minutes",
    ),
    Parameter(
        "ResultFetcher",
        str,
        "How the plain and dict cursors read results: auto takes the first page from GetQueryResults and "
        "streams the rest from the S3 result file (falling back to the API when S3 cannot be read); S3 "
        "reads every row from the file; GetQueryResults pages through the API; GetQueryResultsStream is "
        "not available in Python and falls back to GetQueryResults.",
        default="auto",
        choices=("auto", "S3", "GetQueryResults", "GetQueryResultsStream"),
        applied="rows after the first page of Cursor and DictCursor: S3 result file (auto, S3) or API pages",
        passed_as="result_fetcher",
    ),
    Parameter(
        "FetchSize",
        int,
        "Rows per fetch; 0 = the driver default. GetQueryResults pages hold at most 1,000 rows.",
        default=0,
        aliases=(Alias("RowsToFetchPerBlock"),),
        minimum=0,
        maximum=1_000_000,
        applied="cursor arraysize (capped at 1,000 with a warning)",
    ),
    Parameter(
        "MinQueryExecutionPollingIntervalMillis",
        int,
        "First wait between query status polls; each later wait is the previous one times the multiplier.",
        default=100,
        aliases=(Alias("MinQueryExecutionPollingInterval"),),
        minimum=1,
        maximum=3_600_000,
        applied="first wait between GetQueryExecution polls of every cursor (unless poll_interval is given)",
    ),
    Parameter(
        "MaxQueryExecutionPollingIntervalMillis",
        int,
        "Upper bound of the wait between query status polls.",
        default=5000,
        aliases=(Alias("MaxQueryExecutionPollingInterval"),),
        minimum=1,
        maximum=3_600_000,
        applied="longest wait between GetQueryExecution polls (unless poll_interval is given)",
    ),
    Parameter(
        "QueryExecutionPollingIntervalMultiplier",
        float,
        "Growth factor of the wait between query status polls (1 = a fixed interval).",
        default=2,
        minimum=1,
        maximum=100,
        applied="each wait is the previous one times this, up to the maximum (unless poll_interval is given)",
    ),
    Parameter(
        "AthenaEndpoint",
        str,
        "Athena endpoint; https:// is added when no scheme is given.",
        aliases=(Alias("EndpointOverride"),),
        validator=ENDPOINT,
        applied="endpoint_url of the Athena client",
    ),
    Parameter(
        "AthenaStreamingEndpoint",
        str,
        "Athena streaming endpoint.",
        aliases=(Alias("StreamingEndpointOverride"),),
        validator=ENDPOINT,
        not_applied=_NO_STREAMING,
    ),
    Parameter(
        "LakeFormationEndpoint",
        str,
        "Lake Formation endpoint.",
        aliases=(Alias("LfEndpointOverride"),),
        validator=ENDPOINT,
        not_applied="no built-in provider calls Lake Formation",
    ),
    Parameter(
        "S3Endpoint",
        str,
        "S3 endpoint for reading results (scheme, host and port; no path).",
        validator=endpoint(allow_path=False),
        applied="PyAthena's S3 client, its S3 filesystem and pyarrow's S3FileSystem",
    ),
    Parameter(
        "StsEndpoint",
        str,
        "STS endpoint (AssumeRoleWithWebIdentity, JWT_TIP's AssumeRole); default: the regional endpoint of Region.",
        aliases=(Alias("StsEndpointOverride"),),
        validator=ENDPOINT,
        applied="endpoint_url of the STS client",
    ),
    Parameter(
        "SsoOidcEndpoint",
        str,
        "IAM Identity Center OIDC endpoint (JWT_TIP's CreateTokenWithIAM); default: the regional endpoint.",
        validator=ENDPOINT,
        applied="endpoint_url of the sso-oidc client (JWT_TIP)",
    ),
    Parameter(
        "SsoAdminEndpoint",
        str,
        "IAM Identity Center admin endpoint (JWT_TIP's tag lookup); default: the regional endpoint.",
        validator=ENDPOINT,
        applied="endpoint_url of the sso-admin client (JWT_TIP)",
    ),
    Parameter(
        "SsoEndpoint",
        str,
        "IAM Identity Center portal endpoint.",
        validator=ENDPOINT,
        not_applied="only the browser SSO providers use it, and they are not built in",
    ),
    Parameter(
        "ProxyHost",
        str,
        "HTTP(S) proxy host.",
        validator=endpoint(allow_path=False),
        applied="botocore proxies of every client (not of hosts in ProxyExemptHosts)",
    ),
    Parameter(
        "ProxyPort",
        int,
        "Proxy port.",
        minimum=1,
        maximum=65535,
        applied="botocore proxies",
    ),
    Parameter(
        "ProxyUsername",
        str,
        "Proxy user name.",
        aliases=(Alias("ProxyUID"),),
        applied="botocore proxies (URL user info)",
    ),
    Parameter(
        "ProxyPassword",
        str,
        "Proxy password.",
        secret=True,
        aliases=(Alias("ProxyPWD"),),
        applied="botocore proxies (URL user info)",
    ),
    Parameter(
        "ProxyExemptHosts",
        str,
        "'|'-separated hosts reached without the proxy; '*' is a wildcard.",
        aliases=(Alias("NonProxyHosts", deprecated=False),),
        applied="clients whose endpoint host matches get no proxy",
    ),
    Parameter(
        "ProxyEnabledForIdP",
        bool,
        "Use the proxy for identity-provider calls.",
        default=False,
        aliases=(Alias("UseProxyForIdP", deprecated=False),),
        not_applied="the built-in providers call no identity provider; STS is an AWS endpoint and "
        "always uses the proxy",
    ),
    Parameter(
        "LogLevel",
        str,
        "Level of the driver's log file.",
        default="TRACE",
        choices=("OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"),
        applied="level of the LogPath file handler (TRACE = DEBUG)",
    ),
    Parameter(
        "LogPath",
        str,
        "Directory of the driver's log file; nothing is logged to a file without it.",
        validator=all_of(length(1, 4096), printable(ascii_only=False, meaning="a directory path")),
        applied="a redacted file log of athena_jwt_dbapi, pyathena and botocore",
    ),
    Parameter(
        "ApplicationName",
        str,
        "Application name for the User-Agent.",
        validator=all_of(length(1, 256), printable(ascii_only=True, meaning="an application name")),
        applied="appended to every client's User-Agent",
    ),
    Parameter(
        "ConnectionTest",
        bool,
        "Run SELECT 1 at connect.",
        default=True,
        applied="connect() runs SELECT 1 and raises OperationalError if it fails",
    ),
    Parameter(
        "NumRetries",
        int,
        "Retries of a failed AWS request.",
        aliases=(Alias("MaxErrorRetry"),),
        minimum=0,
        maximum=100,
        applied="botocore standard retry mode, total_max_attempts = NumRetries + 1 (default: 3 attempts)",
    ),
    Parameter(
        "NetworkTimeoutMillis",
        int,
        "Socket connect and read timeout.",
        minimum=1,
        maximum=86_400_000,
        applied="botocore connect_timeout and read_timeout",
    ),
)


def _option(name: str, kind: type, description: str, check: Validator | None, *, as_is: bool = True) -> Parameter:
    """A PyAthena option: handed to PyAthena's Connection under its own name, unless ``as_is`` is False (the
    driver merges it with what the parameters say)."""
    applied = "passed to PyAthena as is" if as_is else "merged with what the parameters say"
    return Parameter(
        name, kind, description, group="pyathena", validator=check, applied=applied, passed_as=name if as_is else ""
    )


#: PyAthena's Python-only options, once their type is checked (a wrong type would otherwise fail deep inside
#: PyAthena with a TypeError).
PYATHENA_OPTIONS: tuple[Parameter, ...] = (
    _option("cursor_class", object, "Default cursor class (PandasCursor, ArrowCursor, DictCursor, ...).", a_class),
    _option(
        "cursor_kwargs", object, "Keyword arguments for every cursor.", instance_of(dict, meaning="a dict"), as_is=False
    ),
    _option(
        "converter",
        object,
        "PyAthena type converter.",
        instance_of("pyathena.converter:Converter", meaning="a pyathena Converter"),
    ),
    _option(
        "formatter",
        object,
        "PyAthena parameter formatter.",
        instance_of("pyathena.formatter:Formatter", meaning="a pyathena Formatter"),
    ),
    _option(
        "retry_config",
        object,
        "PyAthena's RetryConfig for its own polling retries.",
        instance_of("pyathena.util:RetryConfig", meaning="a pyathena.util.RetryConfig"),
    ),
    _option(
        "config",
        object,
        "A botocore Config merged under the one built from the parameters.",
        instance_of("botocore.config:Config", meaning="a botocore.config.Config"),
        as_is=False,
    ),
    _option(
        "s3_config",
        object,
        "A botocore Config for the S3 client only.",
        instance_of("botocore.config:Config", meaning="a botocore.config.Config"),
    ),
    _option(
        "poll_interval",
        float,
        "PyAthena's fixed wait between status polls, in seconds; wins over the three polling parameters.",
        lambda value: None if value > 0 else "It must be more than 0 seconds.",
        as_is=False,
    ),
    _option("kill_on_interrupt", bool, "Stop the query on KeyboardInterrupt (default True).", None),
    _option("on_start_query_execution", object, "Callback with each query id.", CALLABLE),
    _option("on_poll", object, "Callback per poll.", CALLABLE),
    _option("glue_metadata_fallback", bool, "Answer throttled metadata requests from Glue.", None),
)
