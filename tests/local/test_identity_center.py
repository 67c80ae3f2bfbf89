"""The local stack's trusted identity propagation, over HTTP with plain botocore clients (no driver code):
IAM Identity Center's sso-oidc and sso-admin, Athena's workgroup tags and Identity Center enabled workgroups,
and STS AssumeRole with ProvidedContexts.

The shapes are AWS's: CreateTokenWithIAM
(https://docs.aws.amazon.com/singlesignon/latest/OIDCAPIReference/API_CreateTokenWithIAM.html), sso-admin
ListTagsForResource (https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_ListTagsForResource.html),
Athena ListTagsForResource (https://docs.aws.amazon.com/athena/latest/APIReference/API_ListTagsForResource.html)
and STS AssumeRole's ProvidedContexts (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
"""

from __future__ import annotations

from typing import Any

import boto3
import botocore
import jwt
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from athena_jwt_dbapi.local import LocalAthena
from athena_jwt_dbapi.local.iam import Role
from athena_jwt_dbapi.local.identity_center import IDENTITY_CENTER_CONTEXT_PROVIDER, JWT_BEARER_GRANT
from athena_jwt_dbapi.local.tip import DRIVER_TAG, TrustedIdentityPropagation

NO_RETRIES = Config(retries={"total_max_attempts": 1})


def client(stack: LocalAthena, service: str, credentials: dict[str, str] | None = None, **config: Any) -> Any:
    endpoints = {
        "sts": stack.sts_endpoint,
        "athena": stack.athena_endpoint,
        "sso-oidc": stack.sso_oidc_endpoint,
        "sso-admin": stack.sso_admin_endpoint,
    }
    keys = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    signing = {} if credentials is not None else {"signature_version": botocore.UNSIGNED}
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoints[service],
        region_name=stack.region,
        config=NO_RETRIES.merge(Config(**signing, **config)),
        **keys,
    )


def application_role(stack: LocalAthena, tip: TrustedIdentityPropagation, token: str) -> dict[str, str]:
    response = client(stack, "sts").assume_role_with_web_identity(
        RoleArn=tip.application_role_arn, RoleSessionName="app", WebIdentityToken=token
    )
    credentials: dict[str, str] = response["Credentials"]
    return credentials


def exchange(stack: LocalAthena, tip: TrustedIdentityPropagation, token: str, app: dict[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = client(stack, "sso-oidc", app).create_token_with_iam(
        clientId=tip.application_arn, grantType=JWT_BEARER_GRANT, assertion=token
    )
    return response


def assume_access_role(
    stack: LocalAthena, tip: TrustedIdentityPropagation, app: dict[str, str], context: str, **extra: Any
) -> dict[str, str]:
    response = client(stack, "sts", app).assume_role(
        RoleArn=tip.access_role_arn,
        RoleSessionName="access",
        ProvidedContexts=[{"ProviderArn": IDENTITY_CENTER_CONTEXT_PROVIDER, "ContextAssertion": context}],
        **extra,
    )
    credentials: dict[str, str] = response["Credentials"]
    return credentials


def error_of(info: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = info.value.response
    return error["Error"]["Code"], str(error["Error"].get("Message") or error.get("error_description", ""))


@pytest.fixture
def tip(local_athena: LocalAthena) -> TrustedIdentityPropagation:
    return local_athena.trusted_identity_propagation()


def test_one_call_sets_up_tags_the_drivers_read(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    """Athena ListTagsForResource (JSON 1.1, ``ResourceARN``) and sso-admin ListTagsForResource (target prefix
    SWBExternalService, signing name ``sso``), both read with the application role's plain credentials."""
    app = application_role(local_athena, tip, local_athena.mint_token())
    workgroup_tags = client(local_athena, "athena", app).list_tags_for_resource(ResourceARN=tip.workgroup_arn)
    assert workgroup_tags["Tags"] == [{"Key": DRIVER_TAG, "Value": tip.application_arn}]
    application_tags = client(local_athena, "sso-admin", app).list_tags_for_resource(ResourceArn=tip.application_arn)
    assert application_tags["Tags"] == [{"Key": DRIVER_TAG, "Value": tip.access_role_arn}]
    assert tip.workgroup_arn == f"arn:aws:athena:{local_athena.region}:123456789012:workgroup/{tip.workgroup}"
    assert local_athena.trusted_identity_propagation() is tip  # the same setup, not a second one


def test_create_token_with_iam_issues_an_identity_context(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    token = local_athena.mint_token(sub="alice")
    app = application_role(local_athena, tip, token)
    mark = local_athena.journal.mark()
    answer = exchange(local_athena, tip, token, app)
    claims = jwt.decode(answer["idToken"], options={"verify_signature": False})
    assert claims["sts:identity_context"] == answer["awsAdditionalDetails"]["identityContext"]
    assert claims["aws:application_arn"] == tip.application_arn and claims["username"] == "alice"
    assert answer["tokenType"] == "Bearer" and answer["expiresIn"] == 3600
    (call,) = local_athena.journal.since(mark)
    assert (call.service, call.operation) == ("sso-oidc", "CreateTokenWithIAM")
    assert call.params == {"clientId": tip.application_arn, "grantType": JWT_BEARER_GRANT, "assertion": token}
    assert call.signed_by == f"arn:aws:sts::123456789012:assumed-role/local-athena-{tip.workgroup}-application/app"
    issued = local_athena.identity_center.issued[-1]
    assert (issued.user, issued.exchanged_by) == ("alice", call.signed_by)


def test_a_jti_is_exchanged_once(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    token = local_athena.mint_token()
    app = application_role(local_athena, tip, token)
    exchange(local_athena, tip, token, app)
    with pytest.raises(ClientError) as info:
        exchange(local_athena, tip, token, app)
    code, message = error_of(info)
    assert code == "InvalidGrantException" and "jti" in message
    assert info.value.response["error"] == "invalid_grant"  # OAuth's error in the body, AWS's code in the header
    assert token not in str(info.value.response)


@pytest.mark.parametrize(
    ("make_token", "why"),
    [
        (lambda s: s.issuer.mint_forged_token(), "signature"),
        (lambda s: s.mint_token(audience="someone-else"), "audience"),
        (lambda s: s.mint_token(expires_in=-5), "expired"),
        (lambda s: s.mint_token(iss="http://127.0.0.1:9/not-trusted"), "issuer"),
        (lambda s: "an-opaque-token", "not a valid JWT"),
    ],
)
def test_assertions_are_verified_against_the_trusted_issuer(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, make_token: Any, why: str
) -> None:
    app = application_role(local_athena, tip, local_athena.mint_token())
    token = make_token(local_athena)
    with pytest.raises(ClientError) as info:
        exchange(local_athena, tip, token, app)
    code, message = error_of(info)
    assert code == "InvalidGrantException" and why in message


def test_client_and_grant_checks(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    token = local_athena.mint_token()
    app = application_role(local_athena, tip, token)
    oidc = client(local_athena, "sso-oidc", app)
    unknown = tip.application_arn[:-4] + "0000"
    with pytest.raises(ClientError) as info:
        oidc.create_token_with_iam(clientId=unknown, grantType=JWT_BEARER_GRANT, assertion=token)
    assert error_of(info)[0] == "InvalidClientException"
    with pytest.raises(ClientError) as info:
        oidc.create_token_with_iam(clientId=tip.application_arn, grantType="refresh_token", refreshToken="x" * 8)
    assert error_of(info)[0] == "UnsupportedGrantTypeException"


def test_identity_center_needs_signed_requests(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    token = local_athena.mint_token()
    with pytest.raises(ClientError) as info:
        client(local_athena, "sso-oidc").create_token_with_iam(
            clientId=tip.application_arn, grantType=JWT_BEARER_GRANT, assertion=token
        )
    assert error_of(info)[0] == "MissingAuthenticationTokenException"
    with pytest.raises(ClientError) as info:
        client(local_athena, "sso-admin").list_tags_for_resource(ResourceArn=tip.application_arn)
    assert error_of(info)[0] == "MissingAuthenticationTokenException"
    app = application_role(local_athena, tip, local_athena.mint_token())
    local_athena.expire_credentials()
    with pytest.raises(ClientError) as info:
        client(local_athena, "sso-admin", app).list_tags_for_resource(ResourceArn=tip.application_arn)
    assert error_of(info)[0] == "ExpiredTokenException"


def test_tag_lookups_of_unknown_resources(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    app = application_role(local_athena, tip, local_athena.mint_token())
    with pytest.raises(ClientError) as info:
        client(local_athena, "sso-admin", app).list_tags_for_resource(ResourceArn=tip.application_arn[:-4] + "0000")
    assert error_of(info)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        client(local_athena, "sso-admin", app).list_tags_for_resource(ResourceArn="arn:aws:sso::123456789012:nothing")
    assert error_of(info)[0] == "ValidationException"
    missing = tip.workgroup_arn.replace(tip.workgroup, "no-such-workgroup")
    with pytest.raises(ClientError) as info:
        client(local_athena, "athena", app).list_tags_for_resource(ResourceARN=missing)
    assert error_of(info) == ("InvalidRequestException", "WorkGroup no-such-workgroup is not found.")


def test_assume_role_with_the_context_gives_identity_enhanced_credentials(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    token = local_athena.mint_token(sub="bob")
    app = application_role(local_athena, tip, token)
    context = exchange(local_athena, tip, token, app)["awsAdditionalDetails"]["identityContext"]
    access = assume_access_role(local_athena, tip, app, context, DurationSeconds=900)
    issued = local_athena.credentials.lookup(access["AccessKeyId"])
    assert issued is not None and issued.identity == "bob" and issued.role.arn == tip.access_role_arn
    assert local_athena.credentials.lookup(app["AccessKeyId"]).identity is None  # type: ignore[union-attr]


def test_identity_center_workgroups_refuse_plain_role_credentials(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    token = local_athena.mint_token(sub="carol")
    app = application_role(local_athena, tip, token)
    context = exchange(local_athena, tip, token, app)["awsAdditionalDetails"]["identityContext"]
    enhanced = client(local_athena, "athena", assume_access_role(local_athena, tip, app, context))
    plain = client(local_athena, "athena", app)
    started = enhanced.start_query_execution(QueryString="SELECT 1", WorkGroup=tip.workgroup)
    assert enhanced.get_work_group(WorkGroup=tip.workgroup)["WorkGroup"]["Name"] == tip.workgroup
    refused = [
        lambda: plain.start_query_execution(QueryString="SELECT 1", WorkGroup=tip.workgroup),
        lambda: plain.get_query_execution(QueryExecutionId=started["QueryExecutionId"]),
        lambda: plain.get_query_results(QueryExecutionId=started["QueryExecutionId"]),
        lambda: plain.list_query_executions(WorkGroup=tip.workgroup),
        lambda: plain.get_work_group(WorkGroup=tip.workgroup),
    ]
    for call in refused:
        with pytest.raises(ClientError) as info:
            call()
        code, message = error_of(info)
        assert code == "AccessDeniedException"
        assert f"Workgroup {tip.workgroup} is enabled for IAM Identity Center" in message
    # the same plain credentials still work in a workgroup that asks for no identity
    assert plain.start_query_execution(QueryString="SELECT 1", WorkGroup="primary")["QueryExecutionId"]


@pytest.mark.parametrize(
    ("change", "code", "words"),
    [
        ({"context": "Zm9yZ2VkLWNvbnRleHQ="}, "InvalidContextAssertion", "not valid"),
        ({"expire": True}, "InvalidContextAssertion", "expired"),
        ({"DurationSeconds": 7200}, "ValidationError", "1 hour session limit for roles assumed by role chaining"),
        ({"untrusted": True}, "AccessDenied", "is not authorized to perform: sts:AssumeRole and sts:SetContext"),
        ({"provider": "arn:aws:iam::aws:contextProvider/Elsewhere"}, "ValidationError", "not supported"),
    ],
)
def test_assume_role_refusals(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, change: dict[str, Any], code: str, words: str
) -> None:
    """Role chaining is limited to one hour (https://aws.amazon.com/premiumsupport/knowledge-center/
    iam-role-chaining-limit/); a context must be one Identity Center issued and not expired."""
    token = local_athena.mint_token()
    app = application_role(local_athena, tip, token)
    context = exchange(local_athena, tip, token, app)["awsAdditionalDetails"]["identityContext"]
    access = Role(
        f"local-athena-{tip.workgroup}-access", trusted_roles=(tip.application_role_arn,), max_session_duration=43200
    )
    if change.get("expire"):
        local_athena.identity_center.expire_contexts()
    if change.get("untrusted"):
        local_athena.sts.add_role(Role(access.name, trusted_roles=()))
    try:
        with pytest.raises(ClientError) as info:
            client(local_athena, "sts", app).assume_role(
                RoleArn=tip.access_role_arn,
                RoleSessionName="access",
                ProvidedContexts=[
                    {
                        "ProviderArn": change.get("provider", IDENTITY_CENTER_CONTEXT_PROVIDER),
                        "ContextAssertion": change.get("context", context),
                    }
                ],
                **({"DurationSeconds": change["DurationSeconds"]} if "DurationSeconds" in change else {}),
            )
    finally:
        local_athena.sts.add_role(access)
    assert error_of(info)[0] == code
    assert words in error_of(info)[1]
    assert context not in str(info.value.response)


def test_only_sso_oidc_errors_can_be_scheduled() -> None:
    from athena_jwt_dbapi.local.identity_center import IdentityCenter

    with pytest.raises(ValueError, match=r"sso-oidc has no error 'ThrottlingException'; it has \['AccessDenied"):
        IdentityCenter(region="us-east-1").fail_next(1, "ThrottlingException")
