"""Rules that involve more than one parameter, and the options derived from several of them.

They run on resolved settings, before any network call. A rule that needs a credentials provider asks it
(``configured_region`` for :func:`region`); the provider's own rules live with the provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .._warn import warn
from ..errors import ParameterError, ParameterNotAppliedWarning
from ..polling import PollSchedule
from .resolve import Settings

#: Rows per GetQueryResults page, the most a plain cursor's FetchSize can mean.
PAGE_ROWS = 1000
_KMS_OPTIONS = ("SSE_KMS", "CSE_KMS")
_POLLING = (
    "MinQueryExecutionPollingIntervalMillis",
    "MaxQueryExecutionPollingIntervalMillis",
    "QueryExecutionPollingIntervalMultiplier",
)


def check(settings: Settings) -> None:
    """Refuse combinations that cannot work; warn about values that cannot apply as given."""
    option, key = settings["EncryptionOption"], settings["KmsKey"]
    if option in _KMS_OPTIONS and not key:
        raise ParameterError(
            f"Missing required connection property: KmsKey (EncryptionOption={option}).", parameter="KmsKey"
        )
    if key and option not in _KMS_OPTIONS:
        raise ParameterError(
            f"Connection property KmsKey is only allowed with EncryptionOption SSE_KMS or CSE_KMS, not {option}.",
            parameter="KmsKey",
        )
    proxy_host = settings["ProxyHost"]
    if proxy_host and settings["ProxyPort"] is None and not _has_port(proxy_host):
        raise ParameterError(
            "Connection property ProxyHost needs ProxyPort (or a port in ProxyHost, as in http://proxy:3128).",
            parameter="ProxyPort",
        )
    if settings["ProxyPort"] is not None and not settings["ProxyHost"]:
        raise ParameterError("Connection property ProxyPort needs ProxyHost.", parameter="ProxyPort")
    if (settings["ProxyUsername"] or settings["ProxyPassword"]) and not settings["ProxyHost"]:
        raise ParameterError("Proxy credentials need ProxyHost.", parameter="ProxyUsername")
    if settings["ProxyPassword"] and not settings["ProxyUsername"]:
        raise ParameterError("Connection property ProxyPassword needs ProxyUsername.", parameter="ProxyPassword")
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
    if settings["ResultFetcher"] == "GetQueryResultsStream":
        warn(
            "ResultFetcher=GetQueryResultsStream has no Python client; results are fetched with GetQueryResults.",
            ParameterNotAppliedWarning,
        )
    fetch_size = settings["FetchSize"]
    if fetch_size > PAGE_ROWS and "arraysize" not in (settings["cursor_kwargs"] or {}):
        warn(
            f"FetchSize={fetch_size} exceeds the 1,000 rows of a GetQueryResults page; using 1000.",
            ParameterNotAppliedWarning,
        )


def _has_port(host: str) -> bool:
    return urlsplit(host if "://" in host else f"http://{host}").port is not None


def region(settings: Settings, configured: Callable[[], str | None]) -> str:
    """``Region``, else ``configured()`` (the provider's: the SDKs' region chain, or its profile's region)."""
    chosen: str | None = settings["Region"] or configured()
    if not chosen:
        raise ParameterError(
            "Missing required connection property: Region (it is not given, and neither AWS_REGION, "
            "AWS_DEFAULT_REGION nor the AWS config profile names one). Every Athena, S3 and STS request is "
            "signed for a region, even with explicit endpoints.",
            parameter="Region",
        )
    return chosen


def cursor_kwargs(settings: Settings) -> dict[str, Any] | None:
    """``cursor_kwargs`` with FetchSize as the ``arraysize`` (capped at a page; the user's own arraysize wins)."""
    kwargs = dict(settings["cursor_kwargs"] or {})
    fetch_size = settings["FetchSize"]
    if fetch_size and "arraysize" not in kwargs:
        kwargs["arraysize"] = min(fetch_size, PAGE_ROWS)
    return kwargs or None


def polling(settings: Settings) -> tuple[float, PollSchedule | None]:
    """PyAthena's ``poll_interval`` (a fixed interval) if given, else JDBC's backoff schedule."""
    schedule = PollSchedule(
        settings["MinQueryExecutionPollingIntervalMillis"] / 1000,
        settings["MaxQueryExecutionPollingIntervalMillis"] / 1000,
        settings["QueryExecutionPollingIntervalMultiplier"],
    )
    fixed: float | None = settings["poll_interval"]
    if fixed is None:
        return schedule.minimum, schedule
    return fixed, None
