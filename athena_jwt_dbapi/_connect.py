"""``connect()``: resolve → credentials → AWS session and clients → PyAthena connection (→ ConnectionTest).

Everything that can be checked locally is checked by :func:`.conninfo.resolve_parameters` before the first
network call (the provider's ``load()``), so a typo never costs an STS round trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import aws, clients, logfile
from .conninfo import ResolvedParameters, resolve_parameters
from .credentials.base import load_credentials
from .parameters import rules
from .redaction import install_log_filter

if TYPE_CHECKING:
    from .connection import Connection


def connect(dsn: str | None = None, /, **kwargs: Any) -> Connection:
    """Open a connection to Athena (see :func:`athena_jwt_dbapi.connect`)."""
    return open_connection(resolve_parameters(dsn, **kwargs))


def open_connection(resolved: ResolvedParameters) -> Connection:
    """A connection for parameters already resolved (``connect()`` and the SQLAlchemy dialect)."""
    settings = resolved.settings
    logfile.configure_from(settings)
    install_log_filter()  # before the first network call; :mod:`.aws` adds the loggers of clients it makes
    credentials = load_credentials(resolved.provider)
    shared = aws.shared_session(
        credentials,
        resolved.region,
        clients.session_key(settings),
        prepare=lambda session: clients.add_result_configuration(session, settings),
        # A user's own botocore Config objects shape the clients in ways no key can capture.
        share=settings["config"] is None and settings["s3_config"] is None,
    )
    connection = _pyathena_connection(resolved, shared)
    if settings["ConnectionTest"]:
        connection.run_connection_test()
    return connection


def _pyathena_connection(resolved: ResolvedParameters, shared: aws.SharedSession) -> Connection:
    from .connection import Connection

    settings = resolved.settings
    poll_interval, schedule = rules.polling(settings)
    # Every parameter whose row names the connection argument that takes it as it is (``passed_as``).
    passed = {p.passed_as: settings[p.name] for p in settings.parameters.values() if p.passed_as}
    connection = Connection(
        shared_session=shared,
        credentials_provider=resolved.provider.name,
        region_name=resolved.region,
        config=resolved.client_config("athena"),
        endpoint_url=resolved.endpoint_url("athena"),
        s3_endpoint_url=resolved.endpoint_url("s3"),
        s3_staging_dir=settings["OutputLocation"] or "",  # None would make PyAthena read AWS_ATHENA_S3_STAGING_DIR
        cursor_kwargs=rules.cursor_kwargs(settings),
        poll_interval=poll_interval,
        poll_schedule=schedule,
        **{argument: value for argument, value in passed.items() if value is not None},
    )
    # S3's own settings (its proxy decision, for one), with the user's s3_config merged over them; PyAthena
    # would merge s3_config over Athena's.
    s3_config = resolved.client_config("s3")
    connection.s3_config = s3_config.merge(settings["s3_config"]) if settings["s3_config"] is not None else s3_config
    return connection
