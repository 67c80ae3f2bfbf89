"""How a failed credentials step reads (``credentials.aws_errors.reported``), with botocore's own exceptions.

The end-to-end tests see these messages over HTTP from the local STS and Identity Center; here each shape
botocore can raise is checked once, including the OAuth shape of sso-oidc (``error_description``).
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ParamValidationError
from botocore.parsers import ResponseParserError

from athena_jwt_dbapi import CredentialsError
from athena_jwt_dbapi.credentials.aws_errors import reported
from athena_jwt_dbapi.redaction import REDACTED, register_secret

ROLE = "arn:aws:iam::123456789012:role/analytics"
STEP = f"STS AssumeRoleWithWebIdentity into role {ROLE}"


def refusal(response: dict[str, object]) -> ClientError:
    return ClientError(response, "AssumeRoleWithWebIdentity")  # type: ignore[arg-type]


def failure_of(error: Exception, **options: object) -> CredentialsError:
    with pytest.raises(CredentialsError) as info, reported(STEP, ROLE, **options):  # type: ignore[arg-type]
        raise error
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert info.value.role_arn == ROLE
    return info.value


def test_an_aws_refusal_names_the_step_the_code_and_aws_message() -> None:
    error = failure_of(refusal({"Error": {"Code": "InvalidIdentityToken", "Message": "Incorrect token audience"}}))
    assert str(error) == f"{STEP} was refused: InvalidIdentityToken: Incorrect token audience"
    assert error.code == "InvalidIdentityToken"


def test_an_oauth_refusal_quotes_its_error_description() -> None:
    """sso-oidc answers like an OAuth server: no Message, the text in error_description."""
    response = {"Error": {"Code": "InvalidGrantException"}, "error_description": "The assertion was used before"}
    error = failure_of(refusal(response))
    assert str(error) == f"{STEP} was refused: InvalidGrantException: The assertion was used before"


def test_a_refusal_with_neither_code_nor_message() -> None:
    error = failure_of(refusal({"Error": {}}))
    assert str(error) == f"{STEP} was refused: Unknown: " and error.code == "Unknown"


def test_the_hint_is_asked_with_the_code_and_appended() -> None:
    asked: list[str] = []

    def hint(code: str) -> str:
        asked.append(code)
        return " Renew the token." if code == "ExpiredTokenException" else ""

    expired = failure_of(refusal({"Error": {"Code": "ExpiredTokenException", "Message": "expired"}}), hint=hint)
    assert str(expired).endswith("was refused: ExpiredTokenException: expired Renew the token.")
    other = failure_of(refusal({"Error": {"Code": "AccessDenied", "Message": "no"}}), hint=hint)
    assert str(other).endswith("was refused: AccessDenied: no")
    assert asked == ["ExpiredTokenException", "AccessDenied"]


def test_the_hint_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        reported(STEP, ROLE, lambda code: "")  # type: ignore[misc]


def test_a_request_botocore_refused_to_send() -> None:
    error = failure_of(ParamValidationError(report="Invalid length for parameter RoleSessionName"))
    assert str(error).startswith(f"{STEP} was not sent: Parameter validation failed:")
    assert error.code == "ParamValidationError"


@pytest.mark.parametrize(
    "failure",
    [EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), ResponseParserError("Unable to parse response")],
)
def test_a_network_or_protocol_failure(failure: Exception) -> None:
    error = failure_of(failure)
    assert str(error).startswith(f"{STEP} failed: ") and str(failure) in str(error)
    assert error.code == type(failure).__name__


def test_aws_text_that_holds_a_secret_is_masked() -> None:
    register_secret("the-session-token-value")
    error = failure_of(refusal({"Error": {"Code": "AccessDenied", "Message": "bad the-session-token-value"}}))
    assert str(error).endswith(f"AccessDenied: bad {REDACTED}")


def test_other_exceptions_pass_through_untouched() -> None:
    with pytest.raises(KeyError), reported(STEP, ROLE):
        raise KeyError("Credentials")
