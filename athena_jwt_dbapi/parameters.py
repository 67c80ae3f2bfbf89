"""The common connection parameters: Athena JDBC 3.x names, their aliases, and PyAthena's own options.

This table is the single source for validation, alias resolution, error messages and the README's
parameter table (``tests/test_readme.py`` fails when the two drift). Credentials-provider parameters are
declared by each provider (see :mod:`.credentials`).
"""

from __future__ import annotations

from botocore.config import Config
from pyathena.converter import Converter
from pyathena.formatter import Formatter
from pyathena.util import RetryConfig

from .catalogue import CALLABLE, ENDPOINT, S3_URI, Alias, Parameter, a_class, endpoint, instance_of, length, pattern

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
    ),
    Parameter(
        "Database",
        str,
        "Database (schema) for unqualified table names.",
        default="default",
        aliases=(Alias("Schema", deprecated=False), Alias("schema_name", deprecated=False)),
        applied="PyAthena schema_name (QueryExecutionContext.Database)",
    ),
    Parameter(
        "WorkGroup",
        str,
        "Athena workgroup that runs the queries.",
        default="primary",
        aliases=(Alias("work_group", deprecated=False),),
        applied="PyAthena work_group",
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
    ),
    Parameter(
        "KmsKey",
        str,
        "KMS key for SSE_KMS / CSE_KMS; refused with any other EncryptionOption.",
        aliases=(Alias("S3OutputEncKMSKey"),),
        applied="PyAthena kms_key",
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
        applied="PyAthena result_reuse_enable",
    ),
    Parameter(
        "MaxResultReuseAgeInMinutes",
        int,
        "How old a reused result may be.",
        default=60,
        minimum=1,
        maximum=10080,
        applied="PyAthena result_reuse_minutes",
    ),
    Parameter(
        "ResultFetcher",
        str,
        "How results are read: auto and GetQueryResults page through the API; S3 reads the result "
        "file; GetQueryResultsStream is not available in Python and falls back to GetQueryResults.",
        default="auto",
        choices=("auto", "S3", "GetQueryResults", "GetQueryResultsStream"),
        applied="default cursor: Cursor (auto, GetQueryResults) or S3FSCursor (S3)",
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
        "Interval between query status polls.",
        default=100,
        aliases=(Alias("MinQueryExecutionPollingInterval"),),
        minimum=1,
        maximum=3_600_000,
        applied="PyAthena poll_interval (milliseconds to seconds)",
    ),
    Parameter(
        "MaxQueryExecutionPollingIntervalMillis",
        int,
        "Upper bound of the poll interval.",
        default=5000,
        aliases=(Alias("MaxQueryExecutionPollingInterval"),),
        minimum=1,
        maximum=3_600_000,
        not_applied="PyAthena polls at a fixed interval (MinQueryExecutionPollingIntervalMillis)",
    ),
    Parameter(
        "QueryExecutionPollingIntervalMultiplier",
        int,
        "Growth factor of the poll interval.",
        default=2,
        minimum=1,
        maximum=100,
        not_applied="PyAthena polls at a fixed interval (MinQueryExecutionPollingIntervalMillis)",
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
        "STS endpoint for AssumeRoleWithWebIdentity; default: the regional endpoint of Region.",
        aliases=(Alias("StsEndpointOverride"),),
        validator=ENDPOINT,
        applied="endpoint_url of the STS client",
    ),
    Parameter(
        "SsoOidcEndpoint",
        str,
        "IAM Identity Center OIDC endpoint.",
        validator=ENDPOINT,
        not_applied="only the JWT_TIP and SSO providers use it, and they are not built in",
    ),
    Parameter(
        "SsoAdminEndpoint",
        str,
        "IAM Identity Center admin endpoint.",
        validator=ENDPOINT,
        not_applied="only the JWT_TIP and SSO providers use it, and they are not built in",
    ),
    Parameter(
        "SsoEndpoint",
        str,
        "IAM Identity Center portal endpoint.",
        validator=ENDPOINT,
        not_applied="only the JWT_TIP and SSO providers use it, and they are not built in",
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
        validator=length(1, 4096),
        applied="a redacted file log of athena_jwt_dbapi, pyathena and botocore",
    ),
    Parameter(
        "ApplicationName",
        str,
        "Application name for the User-Agent.",
        validator=length(1, 256),
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

#: PyAthena's Python-only options: passed to ``pyathena.connection.Connection`` as they are, once their
#: type is checked (a wrong type would otherwise fail deep inside PyAthena with a TypeError).
PYATHENA_OPTIONS: tuple[Parameter, ...] = tuple(
    Parameter(name, kind, description, group="pyathena", validator=check, applied="passed to PyAthena as is")
    for name, kind, description, check in (
        ("cursor_class", object, "Default cursor class (PandasCursor, ArrowCursor, DictCursor, ...).", a_class),
        ("cursor_kwargs", object, "Keyword arguments for every cursor.", instance_of(dict, meaning="a dict")),
        ("converter", object, "PyAthena type converter.", instance_of(Converter, meaning="a pyathena Converter")),
        ("formatter", object, "PyAthena parameter formatter.", instance_of(Formatter, meaning="a pyathena Formatter")),
        (
            "retry_config",
            object,
            "PyAthena's RetryConfig for its own polling retries.",
            instance_of(RetryConfig, meaning="a pyathena.util.RetryConfig"),
        ),
        (
            "config",
            object,
            "A botocore Config merged under the one built from the parameters.",
            instance_of(Config, meaning="a botocore.config.Config"),
        ),
        (
            "s3_config",
            object,
            "A botocore Config for the S3 client only.",
            instance_of(Config, meaning="a botocore.config.Config"),
        ),
        ("kill_on_interrupt", bool, "Stop the query on KeyboardInterrupt (default True).", None),
        ("on_start_query_execution", object, "Callback with each query id.", CALLABLE),
        ("on_poll", object, "Callback per poll.", CALLABLE),
        ("glue_metadata_fallback", bool, "Answer throttled metadata requests from Glue.", None),
    )
)
