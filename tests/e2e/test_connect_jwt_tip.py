"""connect() with CredentialsProvider=JWT_TIP against the local stack, over HTTP: STS, Athena, IAM Identity
Center's sso-oidc and sso-admin are the stack's real services, and the journal shows every call in order.

The flow is AWS's "Use trusted identity propagation with Amazon Athena drivers"
(https://docs.aws.amazon.com/athena/latest/ug/using-trusted-identity-propagation.html) and the JDBC driver's
JWT_TIP (https://docs.aws.amazon.com/athena/latest/ug/jdbc-v3-driver-jwt-tip-credentials.html).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

import athena_jwt_dbapi as db
from athena_jwt_dbapi.credentials.jwt_tip import context_provider_arn
from athena_jwt_dbapi.local import LocalAthena, Role
from athena_jwt_dbapi.local.identity_center import JWT_BEARER_GRANT
from athena_jwt_dbapi.local.journal import Call
from athena_jwt_dbapi.local.tip import DRIVER_TAG, TrustedIdentityPropagation

ARWWI = ("sts", "AssumeRoleWithWebIdentity")
WORKGROUP_TAGS = ("athena", "ListTagsForResource")
APPLICATION_TAGS = ("sso-admin", "ListTagsForResource")
EXCHANGE = ("sso-oidc", "CreateTokenWithIAM")
ASSUME = ("sts", "AssumeRole")
CONTEXT_PROVIDER = "arn:aws:iam::aws:contextProvider/IdentityCenter"


@pytest.fixture
def tip(local_athena: LocalAthena) -> TrustedIdentityPropagation:
    return local_athena.trusted_identity_propagation()


def tip_parameters(stack: LocalAthena, token: str | None = None, **overrides: Any) -> dict[str, Any]:
    return stack.connect_parameters(token, provider="JWT_TIP", **overrides)


def chain(stack: LocalAthena, mark: int) -> list[Call]:
    """The credential calls since ``mark`` (not the queries)."""
    steps = {ARWWI, WORKGROUP_TAGS, APPLICATION_TAGS, EXCHANGE, ASSUME}
    return [call for call in stack.journal.since(mark) if (call.service, call.operation) in steps]


def session_of(role_arn: str, session: str = "local-session") -> str:
    account, name = role_arn.split(":")[4], role_arn.split("/")[-1]
    return f"arn:aws:sts::{account}:assumed-role/{name}/{session}"


# --- the chain --------------------------------------------------------------------------------------------------


def test_the_chain_in_order_with_both_arns_from_the_tags(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    token = local_athena.mint_token(sub="alice")
    mark = local_athena.journal.mark()
    with db.connect(**tip_parameters(local_athena, token), ConnectionTest=False):
        pass
    calls = chain(local_athena, mark)
    assert [(c.service, c.operation) for c in calls] == [ARWWI, WORKGROUP_TAGS, APPLICATION_TAGS, EXCHANGE, ASSUME]
    application = session_of(tip.application_role_arn)
    assert calls[0].params == {
        "Action": "AssumeRoleWithWebIdentity",
        "Version": "2011-06-15",
        "RoleArn": tip.application_role_arn,
        "RoleSessionName": "local-session",
        "WebIdentityToken": token,
        "DurationSeconds": "3600",
    }
    assert calls[0].signed_by is None  # unsigned, as AssumeRoleWithWebIdentity needs no credentials
    assert (calls[1].params, calls[1].signed_by) == ({"ResourceARN": tip.workgroup_arn}, application)
    assert (calls[2].params, calls[2].signed_by) == ({"ResourceArn": tip.application_arn}, application)
    assert calls[3].params == {"clientId": tip.application_arn, "grantType": JWT_BEARER_GRANT, "assertion": token}
    assert calls[3].signed_by == application
    issued = local_athena.identity_center.issued[-1]
    assert issued.user == "alice"
    assert calls[4].params == {
        "Action": "AssumeRole",
        "Version": "2011-06-15",
        "RoleArn": tip.access_role_arn,
        "RoleSessionName": "local-session",
        "DurationSeconds": "3600",
        "ProvidedContexts.member.1.ProviderArn": CONTEXT_PROVIDER,
        "ProvidedContexts.member.1.ContextAssertion": issued.assertion,
    }
    assert calls[4].signed_by == application


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"application": True, "access": True}, [ARWWI, EXCHANGE, ASSUME]),
        ({"application": True}, [ARWWI, APPLICATION_TAGS, EXCHANGE, ASSUME]),
        ({"access": True}, [ARWWI, WORKGROUP_TAGS, EXCHANGE, ASSUME]),
    ],
)
def test_given_arns_replace_their_tag_lookups(
    local_athena: LocalAthena, given: dict[str, bool], expected: list[tuple[str, str]]
) -> None:
    """The setup leaves out exactly the tags whose ARN is given: a lookup that still ran would fail."""
    name = "given-" + "-".join(sorted(given))
    setup = local_athena.trusted_identity_propagation(
        name, tag_workgroup="application" not in given, tag_application="access" not in given
    )
    overrides = {"WorkGroupArn": setup.workgroup_arn, "ApplicationRoleArn": setup.application_role_arn}
    if "application" in given:
        overrides["CustomerIdcApplicationArn"] = setup.application_arn
    if "access" in given:
        overrides["AccessRoleArn"] = setup.access_role_arn
    mark = local_athena.journal.mark()
    with db.connect(**tip_parameters(local_athena, **overrides)) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 'as given'")
        assert cursor.fetchall() == [("as given",)]
    calls = chain(local_athena, mark)
    assert [(c.service, c.operation) for c in calls] == expected
    assert calls[-2].params["clientId"] == setup.application_arn
    assert calls[-1].params["RoleArn"] == setup.access_role_arn


def test_queries_are_signed_with_identity_enhanced_credentials(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    from pyathena.pandas.cursor import PandasCursor

    mark = local_athena.journal.mark()
    with db.connect(**tip_parameters(local_athena, local_athena.mint_token(sub="dora"))) as conn:
        assert conn.work_group == tip.workgroup  # WorkGroupArn's workgroup, not "primary"
        frozen = conn.session.get_credentials().get_frozen_credentials()
        issued = local_athena.credentials.lookup(frozen.access_key)
        assert issued is not None
        assert (issued.identity, issued.role.arn) == ("dora", tip.access_role_arn)
        with conn.cursor() as cursor:
            cursor.execute("SELECT 40 + 2 AS answer")
            assert cursor.fetchall() == [(42,)]
            assert local_athena.athena.execution(cursor.query_id).workgroup == tip.workgroup
        frame = conn.cursor(PandasCursor).execute("SELECT 'x' AS label").as_pandas()  # the result file, from S3
        assert frame.to_dict("records") == [{"label": "x"}]
    queries = [
        c for c in local_athena.journal.since(mark) if c.service == "athena" and c.operation != "ListTagsForResource"
    ]
    assert queries and {c.signed_by for c in queries} == {session_of(tip.access_role_arn)}


def test_the_workgroup_refuses_a_plain_jwt_connection(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    """What JWT_TIP is for: the same user's plain role credentials cannot use an Identity Center workgroup."""
    with pytest.raises(db.OperationalError, match=f"Workgroup {tip.workgroup} is enabled for IAM Identity Center"):
        db.connect(**local_athena.connect_parameters(WorkGroup=tip.workgroup, NumRetries=0))


# --- a JWT is exchanged once -----------------------------------------------------------------------------------


def exchanges(stack: LocalAthena, mark: int) -> int:
    return sum(1 for call in stack.journal.since(mark) if (call.service, call.operation) == EXCHANGE)


def test_one_exchange_per_token_across_connections(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    """The JDBC driver's token cache: a second connect() with the same JWT does not call CreateTokenWithIAM."""
    token = local_athena.mint_token(sub="erin")
    mark = local_athena.journal.mark()
    keys = set()
    for _ in range(2):
        with db.connect(**tip_parameters(local_athena, token), ConnectionTest=False) as conn:
            keys.add(conn.session.get_credentials().get_frozen_credentials().access_key)
    assert exchanges(local_athena, mark) == 1 and len(keys) == 1  # the same credentials, one chain
    # Another configuration of the same token (other credentials, a new AssumeRole): still no second exchange.
    with db.connect(**tip_parameters(local_athena, token, RoleSessionDuration=900), ConnectionTest=False) as conn:
        other = conn.session.get_credentials().get_frozen_credentials().access_key
    assert other not in keys
    assert exchanges(local_athena, mark) == 1
    assert [op for op in local_athena.journal.operations(mark) if op == ASSUME] == [ASSUME, ASSUME]


def test_a_spent_jti_is_refused_with_a_message_that_says_so(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    token = local_athena.mint_token()
    with db.connect(**tip_parameters(local_athena, token), ConnectionTest=False):
        pass
    db.clear_credentials_cache()  # forgets the exchange too: the token would have to be exchanged again
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**tip_parameters(local_athena, token), ConnectionTest=False)
    error = info.value
    assert error.code == "InvalidGrantException" and error.role_arn == tip.application_role_arn
    message = str(error)
    assert message.startswith(f"CreateTokenWithIAM for IAM Identity Center application {tip.application_arn}")
    assert "jti" in message and "A literal JwtWebIdentityToken cannot be renewed" in message
    assert token not in message


# --- refresh ---------------------------------------------------------------------------------------------------


def test_refresh_reruns_the_whole_chain_from_a_fresh_token(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, tmp_path: Path
) -> None:
    """Only the access role's credentials are short (the stack's per-role lifetime knob): the refresh is the
    driver's, re-reading the rotated token file and running all five steps again."""
    path = tmp_path / "token"
    path.write_text(local_athena.mint_token(sub="fay"))
    local_athena.set_credential_lifetime(0.3, role_arn=tip.access_role_arn)
    parameters = tip_parameters(local_athena, JwtWebIdentityToken=None, JwtWebIdentityTokenFile=str(path))
    with db.connect(**parameters, ConnectionTest=False) as conn, conn.cursor() as cursor:
        first = conn.session.get_credentials().get_frozen_credentials().access_key
        fresh = local_athena.mint_token(sub="fay")
        path.write_text(fresh)
        mark = local_athena.journal.mark()
        time.sleep(0.35)  # the access role's whole lifetime: the next request refreshes
        cursor.execute("SELECT 'after refresh'")
        assert cursor.fetchall() == [("after refresh",)]
        refreshed = conn.session.get_credentials().get_frozen_credentials().access_key
    assert refreshed != first
    calls = chain(local_athena, mark)
    assert [(c.service, c.operation) for c in calls][:5] == [ARWWI, WORKGROUP_TAGS, APPLICATION_TAGS, EXCHANGE, ASSUME]
    assert calls[0].params["WebIdentityToken"] == fresh and calls[3].params["assertion"] == fresh
    issued = local_athena.credentials.lookup(refreshed)
    assert issued is not None and issued.identity == "fay"
    start = next(c for c in local_athena.journal.since(mark) if c.operation == "StartQueryExecution")
    assert start.signed_by == session_of(tip.access_role_arn)


def test_a_literal_token_refreshes_without_a_second_exchange(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    local_athena.set_credential_lifetime(0.3, role_arn=tip.access_role_arn)
    with db.connect(**tip_parameters(local_athena), ConnectionTest=False) as conn, conn.cursor() as cursor:
        mark = local_athena.journal.mark()
        time.sleep(0.35)
        cursor.execute("SELECT 1")
        assert cursor.fetchall() == [(1,)]
    assert [(c.service, c.operation) for c in chain(local_athena, mark)][:4] == [
        ARWWI,
        WORKGROUP_TAGS,
        APPLICATION_TAGS,
        ASSUME,  # the remembered identity context: the token's jti is not spent again
    ]


def test_a_context_sts_refuses_is_exchanged_again(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    """A remembered identity context that expired sooner than Identity Center said is forgotten, and the token
    exchanged again (a token without jti can be)."""
    local_athena.set_credential_lifetime(0.3, role_arn=tip.access_role_arn)
    token = local_athena.mint_token(sub="gus", jti=None)
    with db.connect(**tip_parameters(local_athena, token), ConnectionTest=False) as conn, conn.cursor() as cursor:
        local_athena.identity_center.expire_contexts()
        mark = local_athena.journal.mark()
        time.sleep(0.35)
        cursor.execute("SELECT 2")
        assert cursor.fetchall() == [(2,)]
    operations = [(c.service, c.operation) for c in chain(local_athena, mark)]
    assert operations[:6] == [ARWWI, WORKGROUP_TAGS, APPLICATION_TAGS, ASSUME, EXCHANGE, ASSUME]


def test_a_refused_context_of_a_spent_jti_fails_the_refresh(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    local_athena.set_credential_lifetime(0.3, role_arn=tip.access_role_arn)
    with db.connect(**tip_parameters(local_athena), ConnectionTest=False) as conn:
        local_athena.identity_center.expire_contexts()
        time.sleep(0.35)
        with pytest.raises(db.CredentialsError, match=r"CreateTokenWithIAM .* was refused: InvalidGrantException"):
            conn.session.get_credentials().get_frozen_credentials()


# --- each failure, with its message ----------------------------------------------------------------------------


def test_a_refused_web_identity(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**tip_parameters(local_athena, local_athena.issuer.mint_forged_token()))
    assert info.value.code == "InvalidIdentityToken" and info.value.role_arn == tip.application_role_arn
    assert str(info.value).startswith(f"STS AssumeRoleWithWebIdentity into role {tip.application_role_arn} was refused")


def test_a_workgroup_without_the_tag(local_athena: LocalAthena) -> None:
    setup = local_athena.trusted_identity_propagation("untagged-workgroup", tag_workgroup=False)
    mark = local_athena.journal.mark()
    with pytest.raises(db.CredentialsError) as info:
        db.connect(
            **tip_parameters(
                local_athena, WorkGroupArn=setup.workgroup_arn, ApplicationRoleArn=setup.application_role_arn
            )
        )
    assert str(info.value) == (
        f"Workgroup {setup.workgroup_arn} has no tag {DRIVER_TAG} naming its IAM Identity Center application; "
        "tag it, or give CustomerIdcApplicationArn."
    )
    assert info.value.role_arn == setup.application_role_arn
    assert [(c.service, c.operation) for c in chain(local_athena, mark)] == [ARWWI, WORKGROUP_TAGS]


def test_an_application_without_the_tag(local_athena: LocalAthena) -> None:
    setup = local_athena.trusted_identity_propagation("untagged-application", tag_application=False)
    with pytest.raises(db.CredentialsError) as info:
        db.connect(
            **tip_parameters(
                local_athena, WorkGroupArn=setup.workgroup_arn, ApplicationRoleArn=setup.application_role_arn
            )
        )
    assert str(info.value) == (
        f"IAM Identity Center application {setup.application_arn} has no tag {DRIVER_TAG} naming the access role; "
        "tag it, or give AccessRoleArn."
    )


def test_a_tag_that_names_no_application(local_athena: LocalAthena) -> None:
    setup = local_athena.trusted_identity_propagation("mistagged")
    local_athena.workgroup_identity.tag_workgroup(setup.workgroup, {DRIVER_TAG: "apl-0123456789abcdef"})
    try:
        with pytest.raises(db.CredentialsError) as info:
            db.connect(
                **tip_parameters(
                    local_athena, WorkGroupArn=setup.workgroup_arn, ApplicationRoleArn=setup.application_role_arn
                )
            )
    finally:
        local_athena.workgroup_identity.tag_workgroup(setup.workgroup, {DRIVER_TAG: setup.application_arn})
    message = str(info.value)
    assert message.startswith(f"The tag {DRIVER_TAG} of Workgroup {setup.workgroup_arn} ('apl-0123456789abcdef')")
    assert message.endswith("Fix the tag, or give CustomerIdcApplicationArn.")


def test_a_refused_tag_lookup_on_the_workgroup(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    ghost = tip.workgroup_arn.replace(f"workgroup/{tip.workgroup}", "workgroup/ghost")
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**tip_parameters(local_athena, WorkGroupArn=ghost, NumRetries=0))
    assert info.value.code == "InvalidRequestException" and info.value.role_arn == tip.application_role_arn
    assert str(info.value) == (
        f"The tag lookup on workgroup {ghost} (Athena ListTagsForResource, signed as application role "
        f"{tip.application_role_arn}) was refused: InvalidRequestException: WorkGroup ghost is not found."
    )


def test_a_refused_tag_lookup_on_the_application(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    unknown = tip.application_arn[:-4] + "0000"
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**tip_parameters(local_athena, CustomerIdcApplicationArn=unknown, NumRetries=0))
    assert info.value.code == "ResourceNotFoundException"
    assert str(info.value).startswith(
        f"The tag lookup on IAM Identity Center application {unknown} (sso-admin ListTagsForResource, signed as "
        f"application role {tip.application_role_arn}) was refused: ResourceNotFoundException: "
    )


def test_identity_center_unreachable(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    local_athena.set_service_down("sso-oidc")
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**tip_parameters(local_athena, NumRetries=0))
    assert str(info.value).startswith(f"CreateTokenWithIAM for IAM Identity Center application {tip.application_arn}")
    assert info.value.role_arn == tip.application_role_arn


def test_an_access_role_that_does_not_trust_the_application_role(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    trusting = next(role for role in local_athena.sts.roles() if role.arn == tip.access_role_arn)
    local_athena.sts.add_role(Role(trusting.name, max_session_duration=43200))  # trusts nobody
    try:
        with pytest.raises(db.CredentialsError) as info:
            db.connect(**tip_parameters(local_athena))
    finally:
        local_athena.sts.add_role(trusting)
    assert info.value.code == "AccessDenied" and info.value.role_arn == tip.access_role_arn
    assert str(info.value).startswith(
        f"AssumeRole into access role {tip.access_role_arn} with the IAM Identity Center identity context (signed "
        f"as application role {tip.application_role_arn}) was refused: AccessDenied: "
    )


def test_the_context_provider_is_in_the_access_roles_partition() -> None:
    assert context_provider_arn("arn:aws-us-gov:iam::123456789012:role/access") == (
        "arn:aws-us-gov:iam::aws:contextProvider/IdentityCenter"
    )
    assert context_provider_arn("arn:aws:iam::123456789012:role/access") == CONTEXT_PROVIDER


WORKGROUP_ARN = "arn:aws:athena:us-east-1:123456789012:workgroup/identity-center"


@pytest.mark.parametrize(
    ("change", "parameter", "words"),
    [
        ({"WorkGroupArn": None}, "WorkGroupArn", "Missing required connection property: WorkGroupArn."),
        (
            {"ApplicationRoleArn": None},
            "ApplicationRoleArn",
            "Missing required connection property: ApplicationRoleArn",
        ),
        (
            {"JwtRoleSessionName": None},
            "JwtRoleSessionName",
            "Missing required connection property: JwtRoleSessionName",
        ),
        (
            {"JwtWebIdentityToken": None},
            "JwtWebIdentityToken",
            "Missing required connection property: JwtWebIdentityToken",
        ),
        ({"WorkGroupArn": "arn:aws:athena:us-east-1:123456789012:wg/x"}, "WorkGroupArn", "an Athena workgroup ARN"),
        ({"AccessRoleArn": "arn:aws:iam::123456789012:user/access"}, "AccessRoleArn", "an IAM role ARN"),
        ({"CustomerIdcApplicationArn": "apl-1"}, "CustomerIdcApplicationArn", "an IAM Identity Center application ARN"),
        ({"RoleSessionDuration": 7200}, "RoleSessionDuration", "It must be at most 3600: the access role is assumed"),
        ({"WorkGroup": "primary"}, "WorkGroup", "is not the workgroup WorkGroupArn names (identity-center)"),
        ({"WorkGroup": "analytics"}, "WorkGroup", "is not the workgroup WorkGroupArn names (identity-center)"),
        ({"Region": "eu-west-1"}, "Region", "is not the region of WorkGroupArn (us-east-1)"),
        ({"Region": "us-west-2"}, "Region", "is not the region of WorkGroupArn (us-east-1)"),
        (
            {"AccessRoleArn": "arn:aws-cn:iam::123456789012:role/access"},
            "AccessRoleArn",
            "is in partition aws-cn, WorkGroupArn in aws",
        ),
        (
            {"WorkGroupArn": "arn:aws-cn:athena:cn-north-1:123456789012:workgroup/identity-center", "Region": None},
            "ApplicationRoleArn",
            "is in partition aws, WorkGroupArn in aws-cn",
        ),
    ],
)
def test_missing_or_malformed_parameters_fail_before_any_call(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, change: dict[str, Any], parameter: str, words: str
) -> None:
    parameters = {**tip_parameters(local_athena, WorkGroupArn=WORKGROUP_ARN), **change}
    mark = local_athena.journal.mark()
    with pytest.raises(db.ParameterError) as info:
        db.connect(**{k: v for k, v in parameters.items() if v is not None})
    assert info.value.parameter == parameter and words in str(info.value)
    assert local_athena.journal.since(mark) == []


def test_region_follows_the_workgroup_arn(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    parameters = tip_parameters(local_athena, Region=None)
    resolved = db.resolve_parameters(**parameters)
    assert (resolved.region, resolved.settings["WorkGroup"]) == ("us-east-1", tip.workgroup)
    assert resolved.endpoint_url("sso-oidc") == local_athena.sso_oidc_endpoint
    assert resolved.endpoint_url("sso-admin") == local_athena.sso_admin_endpoint


# --- remembered identity contexts, at their edges ------------------------------------------------------------


class MonotonicClock:
    """``time.monotonic`` pinned for one test: remembered contexts' deadlines are read from it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1000.0
        monkeypatch.setattr(time, "monotonic", lambda: self.now)


@pytest.mark.parametrize(
    ("lifetime", "remembered"),
    [(3600, 3540.0), (200, 150.0), (1, 0.75)],
    ids=["a-minute-early", "a-quarter-early", "one-second"],
)
def test_an_identity_context_is_remembered_a_little_less_than_it_lives(
    local_athena: LocalAthena,
    tip: TrustedIdentityPropagation,
    monkeypatch: pytest.MonkeyPatch,
    lifetime: int,
    remembered: float,
) -> None:
    """Identity Center's expiresIn, less a minute or a quarter of it (whichever is less): the next chain within
    that time reuses the context, the first one after it exchanges the token again."""
    clock = MonotonicClock(monkeypatch)
    local_athena.identity_center.token_lifetime = lifetime
    provider = db.resolve_parameters(**tip_parameters(local_athena, local_athena.mint_token(jti=None))).provider
    mark = local_athena.journal.mark()
    provider.fetch()
    clock.now += remembered - 0.001
    provider.fetch()
    assert exchanges(local_athena, mark) == 1
    clock.now = 1000.0 + remembered
    provider.fetch()
    assert exchanges(local_athena, mark) == 2


def test_an_identity_context_without_a_lifetime_is_not_remembered(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, monkeypatch: pytest.MonkeyPatch
) -> None:
    """expiresIn is optional in AWS's API: an answer without it gives no lifetime to trust, so nothing is kept."""
    MonotonicClock(monkeypatch)
    local_athena.identity_center.report_lifetime = False
    try:
        provider = db.resolve_parameters(**tip_parameters(local_athena, local_athena.mint_token(jti=None))).provider
        mark = local_athena.journal.mark()
        provider.fetch()
        provider.fetch()
    finally:
        local_athena.identity_center.report_lifetime = True
    assert exchanges(local_athena, mark) == 2


def refused_second_chain(stack: LocalAthena, code: str, message: str) -> tuple[db.CredentialsError, int]:
    """A provider's first chain succeeds and remembers its identity context; then STS's Identity Center
    context provider refuses every assertion with ``code`` and the second chain runs. Its error, and the mark
    before it in the journal."""
    from athena_jwt_dbapi.local.errors import ServiceError
    from athena_jwt_dbapi.local.identity_center import IDENTITY_CENTER_CONTEXT_PROVIDER

    def refuse(assertion: str, now: Any) -> str:
        raise ServiceError(code, message, 400)

    provider = db.resolve_parameters(**tip_parameters(stack, stack.mint_token(jti=None))).provider
    provider.fetch()
    mark = stack.journal.mark()
    stack.sts.add_context_provider(IDENTITY_CENTER_CONTEXT_PROVIDER, refuse)
    try:
        with pytest.raises(db.CredentialsError) as info:
            provider.fetch()
    finally:
        stack.sts.add_context_provider(IDENTITY_CENTER_CONTEXT_PROVIDER, stack.identity_center.verify_context)
    return info.value, mark


def test_a_context_refused_again_after_a_fresh_exchange_fails_the_chain(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    """A remembered context STS refuses is exchanged again once; when STS refuses the new one too, that is the
    answer (a CredentialsError), not another round."""
    error, mark = refused_second_chain(
        local_athena, "InvalidContextAssertion", "The context assertion provided has expired."
    )
    assert error.code == "InvalidContextAssertion"
    assert exchanges(local_athena, mark) == 1
    assert [op for op in local_athena.journal.operations(mark) if op == ASSUME] == [ASSUME, ASSUME]


def test_only_a_refused_context_is_exchanged_again(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    """A remembered context that STS refuses for another reason fails the chain as it is: exchanging the token
    again could not help, and would spend a single-use token."""
    error, mark = refused_second_chain(local_athena, "ValidationError", "The context provider is unavailable.")
    assert error.code == "ValidationError"
    assert exchanges(local_athena, mark) == 0
    assert [op for op in local_athena.journal.operations(mark) if op == ASSUME] == [ASSUME]


def test_a_remembered_context_the_access_role_refuses_is_not_exchanged_again(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    provider = db.resolve_parameters(**tip_parameters(local_athena, local_athena.mint_token(jti=None))).provider
    provider.fetch()
    trusting = next(role for role in local_athena.sts.roles() if role.arn == tip.access_role_arn)
    local_athena.sts.add_role(Role(trusting.name, max_session_duration=43200))  # trusts nobody now
    mark = local_athena.journal.mark()
    try:
        with pytest.raises(db.CredentialsError) as info:
            provider.fetch()
    finally:
        local_athena.sts.add_role(trusting)
    assert info.value.code == "AccessDenied" and exchanges(local_athena, mark) == 0


@pytest.mark.parametrize("code", ["AccessDeniedException", "UnsupportedGrantTypeException"])
def test_an_exchange_refused_for_another_reason_gets_no_jwt_hint(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, code: str
) -> None:
    """The hint about issuers, audiences and spent jti belongs to InvalidGrantException only."""
    local_athena.identity_center.fail_next(1, code)
    with pytest.raises(db.CredentialsError) as info:
        db.connect(**tip_parameters(local_athena), ConnectionTest=False)
    assert info.value.code == code
    assert str(info.value).endswith(f"was refused: {code}: Failed on request ({code}, a fault the test asked for).")


def test_an_unknown_application_is_refused_without_the_jwt_hint(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    unknown = tip.application_arn.rsplit("/", 1)[0] + "/apl-0000000000000000"
    with pytest.raises(db.CredentialsError) as info:
        db.connect(
            **tip_parameters(local_athena, CustomerIdcApplicationArn=unknown, AccessRoleArn=tip.access_role_arn),
            ConnectionTest=False,
        )
    assert info.value.code == "InvalidClientException"
    assert str(info.value).endswith("was refused: InvalidClientException: Invalid client: no such application.")


@pytest.mark.parametrize("claim", [None, "", 42], ids=["missing", "empty", "not-a-string"])
def test_an_answer_without_an_identity_context(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, claim: Any
) -> None:
    """An idToken without a usable sts:identity_context (an application not set up for trusted identity
    propagation) stops the chain there, saying so; STS is not asked with an empty or odd assertion."""
    local_athena.identity_center.id_token_claims = {"sts:identity_context": claim}
    mark = local_athena.journal.mark()
    try:
        with pytest.raises(db.CredentialsError) as info:
            db.connect(**tip_parameters(local_athena), ConnectionTest=False)
    finally:
        local_athena.identity_center.id_token_claims = {}
    assert str(info.value) == (
        f"CreateTokenWithIAM for IAM Identity Center application {tip.application_arn} (signed as application role "
        f"{tip.application_role_arn}) answered without an identity context (no sts:identity_context claim in its "
        "idToken)."
    )
    assert info.value.role_arn == tip.application_role_arn
    assert ASSUME not in local_athena.journal.operations(mark)


def test_a_long_bad_tag_is_quoted_cut_at_200_characters(local_athena: LocalAthena) -> None:
    setup = local_athena.trusted_identity_propagation("long-tag")
    value = "x" * 300
    local_athena.workgroup_identity.tag_workgroup(setup.workgroup, {DRIVER_TAG: value})
    parameters = tip_parameters(
        local_athena, WorkGroupArn=setup.workgroup_arn, ApplicationRoleArn=setup.application_role_arn
    )
    try:
        with pytest.raises(db.CredentialsError) as info:
            db.connect(**parameters)
    finally:
        local_athena.workgroup_identity.tag_workgroup(setup.workgroup, {DRIVER_TAG: setup.application_arn})
    assert f"({value[:200]!r}) does not name" in str(info.value)


# --- SQLAlchemy ------------------------------------------------------------------------------------------------


def test_sqlalchemy_url_with_jwt_tip(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    from sqlalchemy import create_engine, text

    url = "awsathena+jwt:///default?" + urlencode(tip_parameters(local_athena, local_athena.mint_token(sub="hal")))
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 40 + 2")).scalar() == 42
            raw = connection.connection.dbapi_connection
            assert isinstance(raw, db.Connection) and raw.work_group == tip.workgroup
            access_key = raw.session.get_credentials().get_frozen_credentials().access_key
        issued = local_athena.credentials.lookup(access_key)
        assert issued is not None and issued.identity == "hal"
    finally:
        engine.dispose()


# --- secrets ---------------------------------------------------------------------------------------------------


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    names = ("botocore", "boto3", "urllib3", "pyathena", "athena_jwt_dbapi", "s3fs", "fsspec")
    caplog.set_level(logging.DEBUG)
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog
    for name in names:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_no_secret_in_any_log_at_debug(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation, everything_at_debug: pytest.LogCaptureFixture
) -> None:
    from pyathena.pandas.cursor import PandasCursor

    token = local_athena.mint_token(sub="logged")
    with db.connect(**tip_parameters(local_athena, token)) as conn:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchall()
        conn.cursor(PandasCursor).execute("SELECT 2 AS x").as_pandas()
    db.clear_credentials_cache()
    with pytest.raises(db.CredentialsError, match="InvalidGrantException"):  # the spent jti: an error logged too
        db.connect(**tip_parameters(local_athena, token), NumRetries=0)
    records = everything_at_debug.records
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in records) + everything_at_debug.text
    assert len(records) > 50
    for operation in ("AssumeRoleWithWebIdentity", "ListTagsForResource", "CreateTokenWithIAM", "AssumeRole"):
        assert operation in text  # botocore really logged each step
    exchanged = [i for i in local_athena.identity_center.issued if i.user == "logged"]
    assert exchanged
    secrets = [token]
    secrets += [value for i in exchanged for value in (i.assertion, i.id_token, i.access_token)]
    secrets += [c.secret_access_key for c in local_athena.credentials.all()]
    secrets += [c.session_token for c in local_athena.credentials.all()]
    leaked = [secret[:12] + "..." for secret in secrets if secret in text]
    assert not leaked


def test_connections_racing_with_one_token_exchange_it_once(
    local_athena: LocalAthena, tip: TrustedIdentityPropagation
) -> None:
    """Threads that connect at once with the same JWT but different settings (so different credentials) share
    one CreateTokenWithIAM: the remembered exchange is made under a lock of its own key."""
    import threading

    token = local_athena.mint_token(sub="ida")
    barrier = threading.Barrier(3)
    errors: list[BaseException] = []

    def connect(duration: int) -> None:
        barrier.wait()
        try:
            db.connect(**tip_parameters(local_athena, token, RoleSessionDuration=duration), ConnectionTest=False)
        except BaseException as error:  # reported below
            errors.append(error)

    mark = local_athena.journal.mark()
    threads = [threading.Thread(target=connect, args=(duration,)) for duration in (900, 1800, 3600)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert exchanges(local_athena, mark) == 1
    assert [op for op in local_athena.journal.operations(mark) if op == ASSUME] == [ASSUME] * 3


def test_a_jdbc_url_with_jwt_tip(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    url = local_athena.jdbc_url(provider="JWT_TIP", JwtWebIdentityToken=None)
    assert url.startswith("jdbc:athena://CredentialsProvider=JWT_TIP;") and f"WorkGroupArn={tip.workgroup_arn};" in url
    with db.connect(url, JwtWebIdentityToken=local_athena.mint_token(sub="jo")) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT 'from a url'")
        assert cursor.fetchone() == ("from a url",)
        access_key = conn.session.get_credentials().get_frozen_credentials().access_key
    issued = local_athena.credentials.lookup(access_key)
    assert issued is not None and issued.identity == "jo"


def test_workgroup_arn_length_bounds(local_athena: LocalAthena, tip: TrustedIdentityPropagation) -> None:
    """WorkGroupArn takes Athena's 2048 characters at most; the length is checked before the ARN's pattern."""

    def arn_of_length(length: int) -> str:
        shell = "arn:aws:athena::123456789012:workgroup/wg"
        return f"arn:aws:athena:{'a' * (length - len(shell))}:123456789012:workgroup/wg"

    parameters = tip_parameters(local_athena, Region=None)
    with pytest.raises(db.ParameterError) as info:
        db.resolve_parameters(**{**parameters, "WorkGroupArn": arn_of_length(2049)})
    assert info.value.parameter == "WorkGroupArn" and "2048" in str(info.value)
    try:
        db.resolve_parameters(**{**parameters, "WorkGroupArn": arn_of_length(2048)})
    except db.ParameterError as error:
        assert error.parameter != "WorkGroupArn", str(error)
