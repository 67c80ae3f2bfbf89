"""``LocalAthena``: the whole offline stack — OIDC issuer, STS, Athena and S3 — on loopback.

The pieces are wired exactly as in AWS: the issuer signs JWTs; STS trusts that issuer for the stack's
roles and issues credentials; Athena and S3 accept only requests signed with credentials STS issued and
not yet expired; Athena writes its results into S3 where the driver's S3-reading cursors find them.

    with LocalAthena() as stack:
        conn = athena_jwt_dbapi.connect(**stack.connect_parameters())
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request

from ._server import BackgroundServer
from .athena import AthenaService
from .engine import DEFAULT_MEMORY_LIMIT, SEMANTIC_DIFFERENCES, QueryEngine, QueryOutcome
from .errors import ServiceError
from .iam import CredentialStore, IssuedCredentials, Role
from .identity_center import DEFAULT_TOKEN_LIFETIME, IDENTITY_CENTER_CONTEXT_PROVIDER, IdentityCenter
from .issuer import DEFAULT_AUDIENCE, OidcIssuer
from .journal import CallJournal
from .objects import ObjectStore
from .s3 import S3Front
from .sigv4 import verify_sigv4
from .sso_services import SsoAdminService, SsoOidcService
from .sts import StsService
from .tip import DEFAULT_WORKGROUP, TrustedIdentityPropagation
from .tip import set_up as set_up_tip
from .workgroup_identity import WorkgroupIdentity

DEFAULT_REGION = "us-east-1"
DEFAULT_ROLE_NAME = "local-athena-analyst"
DEFAULT_BUCKET = "local-athena-results"
DEFAULT_SESSION_NAME = "local-session"

# The README's "Known differences from Athena": the engine's, and the stack's own.
KNOWN_DIFFERENCES: tuple[str, ...] = (
    *SEMANTIC_DIFFERENCES,
    "moto's S3 state is process-wide: stacks in one process share buckets (query ids never collide)",
)


class _StoppableApp:
    """Wraps a WSGI app so a test can make a running service answer 503 ("a stopped server")."""

    def __init__(self, app: Any, name: str) -> None:
        self.app = app
        self.name = name
        self.down = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.down.is_set():
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [f"{self.name} is stopped".encode()]
        return self.app(environ, start_response)


class LocalAthena:
    """Start with ``with LocalAthena() as stack:`` (or :meth:`start` / :meth:`stop`).

    ``roles`` replaces the default role (``local-athena-analyst``, trusting this stack's issuer, any
    subject, audience ``sts.amazonaws.com``, MaxSessionDuration 43200). ``credential_lifetime`` makes
    every issued credential live that many seconds whatever the requested duration (a refresh knob).
    ``port`` fixes the addresses (a development server that tools are configured for): the issuer, STS,
    Athena and S3 listen on ``port`` to ``port + 3``; 0 (the default) takes any free ports.
    ``memory_limit`` (bytes) bounds the query engine: a query that needs more fails with
    ``EXCEEDED_MEMORY_LIMIT`` (see :meth:`set_memory_limit`).

    Trusted identity propagation (``CredentialsProvider=JWT_TIP``): :meth:`trusted_identity_propagation` sets
    up a workgroup, an IAM Identity Center application and the two roles, and starts Identity Center's
    sso-oidc and sso-admin endpoints (on ``port + 5`` and ``port + 6`` with a fixed ``port``);
    ``connect_parameters(provider="JWT_TIP")`` does it when needed. :attr:`journal` records every call to
    STS, Athena and Identity Center, in order.
    """

    def __init__(
        self,
        *,
        region: str = DEFAULT_REGION,
        roles: list[Role] | None = None,
        bucket: str = DEFAULT_BUCKET,
        credential_lifetime: float | None = None,
        port: int = 0,
        memory_limit: int = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.region = region
        self.port = port
        self.bucket = bucket
        self.credentials = CredentialStore()
        self._credential_lifetime = credential_lifetime
        self.credentials.lifetime_override = credential_lifetime
        self.issuer = OidcIssuer()
        self._memory_limit = memory_limit
        self.engine = QueryEngine(memory_limit=memory_limit)
        default_roles = [Role(DEFAULT_ROLE_NAME, max_session_duration=43200)]
        self.sts = StsService(self.credentials, roles if roles is not None else default_roles)
        # No reset: moto's state is process-wide, and another stack (or the user's mock_aws) may be using it.
        self.s3 = S3Front(self.credentials, region=region, reset_on_start=False, port=self._port_of(3))
        self.athena = AthenaService(
            self.engine,
            authenticate=self._authenticate_athena,
            write_object=self._write_object,
            default_output_location=None,
            region=region,
        )
        # Trusted identity propagation: Identity Center's endpoints start at the first setup.
        self.journal = CallJournal()
        self.sts.journal = self.journal
        self.identity_center = IdentityCenter(region=region, clock=self.credentials.clock, jwks=self.sts.jwks)
        self.sts.add_context_provider(IDENTITY_CENTER_CONTEXT_PROVIDER, self.identity_center.verify_context)
        self.workgroup_identity = WorkgroupIdentity(self.athena, journal=self.journal)
        self.athena.add_operation("ListTagsForResource", self.workgroup_identity.list_tags_for_resource)
        sso_oidc = SsoOidcService(self.identity_center, self.credentials, region=region)
        sso_admin = SsoAdminService(self.identity_center, self.credentials, region=region)
        sso_oidc.journal = sso_admin.journal = self.journal
        self._sso_oidc_app = _StoppableApp(sso_oidc, "sso-oidc")
        self._sso_admin_app = _StoppableApp(sso_admin, "sso-admin")
        self._identity_servers: list[BackgroundServer] = []
        self._tip: dict[str, tuple[tuple[object, ...], TrustedIdentityPropagation]] = {}
        self._issuer_app = _StoppableApp(self.issuer, "issuer")
        self._sts_app = _StoppableApp(self.sts, "sts")
        self._athena_app = _StoppableApp(self.athena, "athena")
        self._servers: list[BackgroundServer] = []
        self._started = False

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> LocalAthena:
        if self._started:
            return self
        try:
            issuer_server = BackgroundServer(self._issuer_app, port=self._port_of(0)).start()
            self._servers.append(issuer_server)
            self.issuer.base_url = issuer_server.url
            self.sts.trust_issuer(self.issuer.issuer)
            self._servers.append(BackgroundServer(self._sts_app, port=self._port_of(1)).start())
            self._servers.append(BackgroundServer(self._athena_app, port=self._port_of(2)).start())
            self.s3.start()
            # Table data (external tables, INSERT INTO, UNLOAD) lives in the same S3 the clients see; the
            # engine reaches it in-process, as the stack's own results do.
            self.engine.use_object_store(ObjectStore.for_client(self.s3.internal_client()))
            self.s3.create_bucket(self.bucket)
            self.athena.add_workgroup("primary", output_location=self.output_location)
        except BaseException:
            self.stop()
            raise
        self._started = True
        return self

    def stop(self) -> None:
        self.athena.shutdown()
        for server in reversed(self._identity_servers + self._servers):
            server.stop()
        self._servers.clear()
        self._identity_servers.clear()
        self.s3.stop()
        self._started = False

    def __enter__(self) -> LocalAthena:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _port_of(self, offset: int) -> int:
        return self.port + offset if self.port else 0

    # --- what a client needs ----------------------------------------------------------------------

    @property
    def issuer_url(self) -> str:
        return self.issuer.issuer

    @property
    def sts_endpoint(self) -> str:
        return self._servers[1].url

    @property
    def athena_endpoint(self) -> str:
        return self._servers[2].url

    @property
    def s3_endpoint(self) -> str:
        return self.s3.url

    @property
    def role_arn(self) -> str:
        return self.sts.roles()[0].arn

    @property
    def output_location(self) -> str:
        return f"s3://{self.bucket}/results/"

    @property
    def sso_oidc_endpoint(self) -> str:
        """IAM Identity Center's sso-oidc endpoint (CreateTokenWithIAM); started at the first use."""
        return self._identity_center_servers()[0].url

    @property
    def sso_admin_endpoint(self) -> str:
        """IAM Identity Center's sso-admin endpoint (ListTagsForResource); started at the first use."""
        return self._identity_center_servers()[1].url

    def _identity_center_servers(self) -> list[BackgroundServer]:
        if not self._started:
            raise RuntimeError("start the LocalAthena first")
        if not self._identity_servers:
            self._identity_servers.append(BackgroundServer(self._sso_oidc_app, port=self._port_of(5)).start())
            self._identity_servers.append(BackgroundServer(self._sso_admin_app, port=self._port_of(6)).start())
        return self._identity_servers

    def trusted_identity_propagation(
        self,
        workgroup: str = DEFAULT_WORKGROUP,
        *,
        audience: str = DEFAULT_AUDIENCE,
        tag_workgroup: bool = True,
        tag_application: bool = True,
    ) -> TrustedIdentityPropagation:
        """Set up ``JWT_TIP`` in one call: an IAM Identity Center enabled ``workgroup`` tagged with a new
        application, the application (trusting this stack's issuer for ``audience``) tagged with the access
        role, the application role and the access role. The same arguments again return the same setup.

        ``tag_workgroup`` / ``tag_application`` False leave out a tag (the driver then needs
        ``CustomerIdcApplicationArn`` / ``AccessRoleArn``).
        """
        options = (audience, tag_workgroup, tag_application)
        known = self._tip.get(workgroup)
        if known is not None and known[0] == options:
            return known[1]
        self._identity_center_servers()
        setup = set_up_tip(
            sts=self.sts,
            athena=self.athena,
            workgroups=self.workgroup_identity,
            identity_center=self.identity_center,
            issuer=self.issuer.issuer,
            output_location=self.output_location,
            workgroup=workgroup,
            audience=audience,
            tag_workgroup=tag_workgroup,
            tag_application=tag_application,
        )
        self._tip[workgroup] = (options, setup)
        return setup

    def mint_token(
        self,
        sub: str = "local-user",
        expires_in: int = 3600,
        audience: str = DEFAULT_AUDIENCE,
        **claims: Any,
    ) -> str:
        """A JWT signed by this stack's issuer, which this stack's STS accepts for its roles."""
        return self.issuer.mint_token(sub=sub, expires_in=expires_in, audience=audience, extra_claims=claims or None)

    def connect_parameters(
        self, token: str | None = None, *, provider: str = "JWT", **overrides: Any
    ) -> dict[str, Any]:
        """Keyword arguments for ``athena_jwt_dbapi.connect()`` (JDBC names) that reach this stack.

        ``provider="JWT_TIP"``: trusted identity propagation through :meth:`trusted_identity_propagation`'s
        default setup (made when needed); queries then run in its workgroup as the token's user.
        """
        if provider.upper() == "JWT_TIP":
            return self._tip_parameters(token, overrides)
        if provider.upper() != "JWT":
            raise ValueError(f"connect_parameters() knows the providers JWT and JWT_TIP, not {provider!r}")
        return self._with_stack_parameters(
            {"CredentialsProvider": "JWT", "JwtRoleArn": self.role_arn}, token, overrides
        )

    def _with_stack_parameters(
        self, provider_parameters: dict[str, Any], token: str | None, overrides: dict[str, Any]
    ) -> dict[str, Any]:
        """What every provider needs to reach this stack, the provider's own, then the caller's overrides."""
        parameters: dict[str, Any] = {
            **provider_parameters,
            "JwtWebIdentityToken": token if token is not None else self.mint_token(),
            "JwtRoleSessionName": DEFAULT_SESSION_NAME,
            "Region": self.region,
            "OutputLocation": self.output_location,
            "AthenaEndpoint": self.athena_endpoint,
            "StsEndpoint": self.sts_endpoint,
            "S3Endpoint": self.s3_endpoint,
            **overrides,
        }
        return {k: v for k, v in parameters.items() if v is not None}

    def _tip_parameters(self, token: str | None, overrides: dict[str, Any]) -> dict[str, Any]:
        tip = self.trusted_identity_propagation()
        provider_parameters = {
            "CredentialsProvider": "JWT_TIP",
            "WorkGroupArn": tip.workgroup_arn,
            "ApplicationRoleArn": tip.application_role_arn,
            "SsoOidcEndpoint": self.sso_oidc_endpoint,
            "SsoAdminEndpoint": self.sso_admin_endpoint,
        }
        return self._with_stack_parameters(provider_parameters, token, overrides)

    def jdbc_url(self, token: str | None = None, *, provider: str = "JWT", **overrides: Any) -> str:
        """The same parameters as a JDBC URL (a token file or callable cannot go in a URL)."""
        parameters = self.connect_parameters(token, provider=provider, **overrides)
        return "jdbc:athena://" + ";".join(f"{k}={v}" for k, v in parameters.items()) + ";"

    # --- data -------------------------------------------------------------------------------------

    def seed(self, sql: str, *, database: str = "default") -> QueryOutcome:
        """Run SQL directly in the engine (no authentication, no result file): create and fill tables.

        The same SQL a client could send: ``CREATE TABLE ... AS`` keeps the rows in the engine,
        ``CREATE EXTERNAL TABLE ... LOCATION 's3://...'`` reads files in the stack's S3.
        """
        return self.engine.execute(sql, database=database)

    def load_csv(self, table: str, path: str | Path, *, database: str = "default") -> int:
        return self.engine.load_csv(table, str(path), database=database)

    def load_parquet(self, table: str, path: str | Path, *, database: str = "default") -> int:
        return self.engine.load_parquet(table, str(path), database=database)

    # --- fault knobs ------------------------------------------------------------------------------

    def expire_credentials(self) -> None:
        """Every credential issued so far expires now (requests signed with them get ExpiredToken*)."""
        self.credentials.expire_all()

    def set_credential_lifetime(self, seconds: float | None, *, role_arn: str | None = None) -> None:
        """Credentials issued from now on live ``seconds`` (None: the requested duration); with ``role_arn``,
        only that role's (JWT_TIP's access role, while the application role's last)."""
        if role_arn is None:
            self.credentials.lifetime_override = seconds
        elif seconds is None:
            self.credentials.role_lifetimes.pop(role_arn, None)
        else:
            self.credentials.role_lifetimes[role_arn] = seconds

    def fail_sts(self, times: int, code: str = "IDPCommunicationError") -> None:
        self.sts.fail_next(times, code)

    def throttle_athena(self, times: int) -> None:
        self.athena.throttle_next(times)

    def set_query_delay(self, seconds: float) -> None:
        """Every query stays RUNNING this long (slow queries; cancel tests)."""
        self.athena.query_delay = seconds

    def set_api_latency(self, seconds: float) -> None:
        """Add ``seconds`` to every GetQueryResults call and every S3 object read, so that benchmarks
        show what real round trips cost (a page of results, a GET of the result file)."""
        self.athena.results_latency = seconds
        self.s3.read_latency = seconds

    def refuse_s3_reads(self, refuse: bool = True) -> None:
        """Make S3 answer AccessDenied to every object read (GET/HEAD), as a bucket policy that lets
        only Athena read (``s3:CalledVia``) does; Athena itself still writes its results."""
        self.s3.refuse_reads = refuse

    @property
    def s3_requests(self) -> list[tuple[str, str]]:
        """(method, path) of every authenticated S3 request so far (for tests that count them)."""
        return self.s3.requests
    def set_memory_limit(self, limit: int | None) -> None:
        """Bytes the query engine may use from now on (None: back to the stack's setting).

        A query needing more (DuckDB's working memory for joins, sorts and aggregations, or the rows it
        returns) fails with ``EXCEEDED_MEMORY_LIMIT`` instead of exhausting the machine.
        """
        self.engine.memory_limit = self._memory_limit if limit is None else limit

    def set_service_down(self, service: str, down: bool = True) -> None:
        """Make ``issuer``, ``sts``, ``athena``, ``sso-oidc`` or ``sso-admin`` answer 503 (a stopped server) until
        set back."""
        apps = {"issuer": self._issuer_app, "sts": self._sts_app, "athena": self._athena_app}
        apps.update({"sso-oidc": self._sso_oidc_app, "sso-admin": self._sso_admin_app})
        event = apps[service].down
        event.set() if down else event.clear()

    def reset_faults(self) -> None:
        """Undo every fault knob (credential lifetime, STS failures, throttling, delays, memory limit,
        stopped services, Identity Center's token lifetime)."""
        self.credentials.lifetime_override = self._credential_lifetime
        self.credentials.role_lifetimes.clear()
        self.sts.clear_failures()
        self.athena.throttle_next(0)
        self.athena.query_delay = 0.0
        self.athena.queued_delay = 0.0
        self.set_api_latency(0.0)
        self.refuse_s3_reads(False)
        self.engine.memory_limit = self._memory_limit
        for app in (self._issuer_app, self._sts_app, self._athena_app, self._sso_oidc_app, self._sso_admin_app):
            app.down.clear()
        self.identity_center.token_lifetime = DEFAULT_TOKEN_LIFETIME

    # --- wiring -----------------------------------------------------------------------------------

    def _authenticate_athena(self, request: Request) -> IssuedCredentials:
        creds = verify_sigv4(request, self.credentials, service="athena", protocol="json", region=self.region)
        self.workgroup_identity.check(request, creds)  # journal; Identity Center enabled workgroups
        return creds

    def _write_object(self, bucket: str, key: str, body: bytes) -> None:
        try:
            self.s3.put_object(bucket, key, body)
        except Exception as error:
            raise ServiceError(
                "InvalidRequestException", f"Unable to write query results to s3://{bucket}/{key}: {error}"
            ) from error

    def __repr__(self) -> str:
        state = "running" if self._started else "stopped"
        endpoints = ", ".join(urlsplit(s.url).netloc for s in self._servers)
        return f"<LocalAthena {state} region={self.region} servers=[{endpoints}]>"
