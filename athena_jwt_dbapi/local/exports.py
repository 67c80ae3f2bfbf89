"""What the dev server prints: the web-identity environment any AWS tool reads, and URLs for this driver.

The variables are the ones EKS and GitHub Actions set, plus the standard per-service endpoint
variables, so this driver (``connect(CredentialsProvider="JWT")``), boto3 and the AWS CLI reach the
local stack with no code change. ``AWS_DEFAULT_REGION`` repeats ``AWS_REGION`` because boto3 and the
AWS CLI v1 read only the former. Every line is valid shell, so the whole printout can be pasted.
"""

from __future__ import annotations

import shlex
from urllib.parse import quote, urlsplit

from .server_state import ServerState

#: Credentials in the environment win over a web identity in the SDKs' default chain (and a profile
#: may name a role to assume first), so the printout clears them for the shell it is pasted into.
OVERRIDING_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
#: The URLs' session name. Unlike the environment's, it stays the same across restarts (this driver
#: caches credentials in memory only), so a URL saved in a tool keeps working.
URL_SESSION_NAME = "local-session"


def environment(state: ServerState) -> dict[str, str]:
    """The environment variables, in the order they are printed."""
    return {
        "AWS_WEB_IDENTITY_TOKEN_FILE": state.token_file,
        "AWS_ROLE_ARN": state.role_arn,
        "AWS_ROLE_SESSION_NAME": state.session_name,
        "AWS_REGION": state.region,
        "AWS_DEFAULT_REGION": state.region,
        "AWS_ENDPOINT_URL_STS": state.sts_endpoint,
        "AWS_ENDPOINT_URL_ATHENA": state.athena_endpoint,
        "AWS_ENDPOINT_URL_S3": state.s3_endpoint,
    }


def shell_lines(state: ServerState) -> list[str]:
    """``export`` lines for :func:`environment`, then one ``unset`` of :data:`OVERRIDING_VARIABLES`."""
    lines = [f"export {name}={shlex.quote(value)}" for name, value in environment(state).items()]
    lines.append("unset " + " ".join(OVERRIDING_VARIABLES))
    return lines


def connect_parameters(state: ServerState) -> dict[str, str]:
    """``connect()`` parameters that need no environment: for URLs pasted into other programs."""
    return {
        "CredentialsProvider": "JWT",
        "JwtWebIdentityTokenFile": state.token_file,
        "JwtRoleArn": state.role_arn,
        "JwtRoleSessionName": URL_SESSION_NAME,
        "Region": state.region,
        "AthenaEndpoint": state.athena_endpoint,
        "StsEndpoint": state.sts_endpoint,
        "S3Endpoint": state.s3_endpoint,
        "OutputLocation": state.output_location,
    }


def sqlalchemy_url(state: ServerState, database: str = "default") -> str:
    """An ``awsathena+jwt://`` URL for this stack; ``AthenaEndpoint`` says ``http`` (the host alone means https)."""
    query = "&".join(f"{name}={quote(value, safe=':/@')}" for name, value in connect_parameters(state).items())
    return f"awsathena+jwt://{urlsplit(state.athena_endpoint).netloc}/{database}?{query}"


def jdbc_url(state: ServerState) -> str | None:
    """A ``jdbc:athena://`` URL for ``athena_jwt_dbapi.connect()``; None if a value holds ``;``, which
    such a URL cannot carry. (``JwtWebIdentityTokenFile`` is this driver's extension, not JDBC's.)"""
    parameters = connect_parameters(state)
    if any(";" in value for value in parameters.values()):
        return None
    return "jdbc:athena://" + ";".join(f"{name}={value}" for name, value in parameters.items()) + ";"
