"""STS AssumeRole for the local STS: a role session assuming another role, optionally with ``ProvidedContexts``.

This is the last step of trusted identity propagation: the application role's session assumes the access role
with the identity context IAM Identity Center issued (``sts:identity_context`` of CreateTokenWithIAM's
idToken), and STS hands out *identity-enhanced* credentials that carry the user. As on AWS:

- the caller must be a role session the target role trusts (``Role.trusted_roles``; on AWS a trust policy
  allowing ``sts:AssumeRole`` and, with contexts, ``sts:SetContext``);
- a role session assuming a role is *role chaining*, limited to one hour: a longer ``DurationSeconds`` is a
  ValidationError ("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role
  chaining." — https://aws.amazon.com/premiumsupport/knowledge-center/iam-role-chaining-limit/);
- each context is checked by the provider its ``ProviderArn`` names (``arn:aws:iam::aws:contextProvider/
  IdentityCenter``); an assertion that provider did not issue, or one that expired, is
  ``InvalidContextAssertion``. Messages never repeat an assertion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from xml.sax.saxutils import escape

from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore, IssuedCredentials, Role
from athena_jwt_dbapi.local.sts import (
    DEFAULT_DURATION,
    MAX_DURATION,
    MIN_DURATION,
    SESSION_NAME_PATTERN,
    STS_NAMESPACE,
    credentials_xml,
)

#: What a context provider does with an assertion: the identity it carries, or a ServiceError.
ContextVerifier = Callable[[str, datetime], str]

#: Role chaining (a role session assuming a role) is limited to one hour.
CHAINED_MAX_DURATION = 3600
#: STS's limits on ProvidedContexts (botocore's model: at most 5; assertions of 4 to 3072 characters, which
#: older documentation gave as 2048).
MAX_PROVIDED_CONTEXTS = 5
MIN_CONTEXT_ASSERTION, MAX_CONTEXT_ASSERTION = 4, 3072
_MEMBER = re.compile(r"ProvidedContexts\.member\.(\d+)\.(ProviderArn|ContextAssertion)")
_SESSION_NAME = re.compile(SESSION_NAME_PATTERN)


def _validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def _constraint(value: str | None, member: str, constraint: str) -> ServiceError:
    shown = "null" if value is None else f"'{value}'"
    return _validation(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy constraint: "
        f"Member must {constraint}"
    )


def provided_contexts(params: Mapping[str, str]) -> list[tuple[str, str]]:
    """``ProvidedContexts.member.N.*`` of a query-protocol request, in order: (ProviderArn, ContextAssertion)."""
    members: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        match = _MEMBER.fullmatch(key)
        if match:
            members.setdefault(int(match.group(1)), {})[match.group(2)] = value
    contexts = []
    for index in sorted(members):
        member = members[index]
        if "ProviderArn" not in member or "ContextAssertion" not in member:
            raise _validation("Each ProvidedContext needs a ProviderArn and a ContextAssertion.")
        contexts.append((member["ProviderArn"], member["ContextAssertion"]))
    return contexts


def _duration(raw: str | None, role: Role) -> int:
    if raw is None:
        return DEFAULT_DURATION
    try:
        duration = int(raw)
    except ValueError:
        raise ServiceError("MalformedInput", f"Invalid value for DurationSeconds: {raw[:32]}", 400) from None
    if duration < MIN_DURATION:
        raise _constraint(raw, "durationSeconds", f"have value greater than or equal to {MIN_DURATION}")
    if duration > MAX_DURATION:
        raise _constraint(raw, "durationSeconds", f"have value less than or equal to {MAX_DURATION}")
    if duration > CHAINED_MAX_DURATION:  # the caller is always a role session here
        raise _validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
        )
    if duration > role.max_session_duration:
        raise _validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
    return duration


def assume_role(
    store: CredentialStore,
    roles: Mapping[str, Role],
    verifiers: Mapping[str, ContextVerifier],
    caller: IssuedCredentials,
    params: Mapping[str, str],
    now: datetime,
) -> IssuedCredentials:
    """Check an AssumeRole request signed by ``caller`` and issue the credentials (identity-enhanced with a context)."""
    role_arn = params.get("RoleArn")
    session_name = params.get("RoleSessionName")
    if role_arn is None:
        raise _constraint(None, "roleArn", "not be null")
    if not 20 <= len(role_arn) <= 2048:
        raise _constraint(role_arn, "roleArn", "have length between 20 and 2048")
    if session_name is None:
        raise _constraint(None, "roleSessionName", "not be null")
    if not 2 <= len(session_name) <= 64 or not _SESSION_NAME.fullmatch(session_name):
        rule = f"satisfy regular expression pattern: {SESSION_NAME_PATTERN}"
        raise _constraint(session_name, "roleSessionName", rule)
    contexts = provided_contexts(params)
    if len(contexts) > MAX_PROVIDED_CONTEXTS:
        rule = f"have length less than or equal to {MAX_PROVIDED_CONTEXTS}"
        raise _constraint(str(len(contexts)), "providedContexts", rule)
    for _, assertion in contexts:
        if not MIN_CONTEXT_ASSERTION <= len(assertion) <= MAX_CONTEXT_ASSERTION:
            raise _validation(
                f"1 validation error detected: Value at 'providedContexts.member.contextAssertion' failed to satisfy "
                f"constraint: Member must have length between {MIN_CONTEXT_ASSERTION} and {MAX_CONTEXT_ASSERTION}"
            )

    role = roles.get(role_arn)
    actions = "sts:AssumeRole" + (" and sts:SetContext" if contexts else "")
    if role is None or caller.role.arn not in role.trusted_roles:
        raise ServiceError(
            "AccessDenied",
            f"User: {caller.assumed_role_arn} is not authorized to perform: {actions} on resource: {role_arn}",
            403,
        )
    duration = _duration(params.get("DurationSeconds"), role)
    identity = caller.identity
    for provider_arn, assertion in contexts:
        verify = verifiers.get(provider_arn)
        if verify is None:
            raise _validation(f"The context provider {provider_arn} is not supported.")
        identity = verify(assertion, now)
    return store.issue(role, session_name, duration, caller.subject, now=now, identity=identity)


def assume_role_xml(creds: IssuedCredentials, request_id: str) -> str:
    e = escape
    return (
        f'<AssumeRoleResponse xmlns="{STS_NAMESPACE}">\n'
        "  <AssumeRoleResult>\n"
        "    <AssumedRoleUser>\n"
        f"      <AssumedRoleId>{e(creds.assumed_role_id)}</AssumedRoleId>\n"
        f"      <Arn>{e(creds.assumed_role_arn)}</Arn>\n"
        "    </AssumedRoleUser>\n"
        f"{credentials_xml(creds)}"
        "  </AssumeRoleResult>\n"
        "  <ResponseMetadata>\n"
        f"    <RequestId>{request_id}</RequestId>\n"
        "  </ResponseMetadata>\n"
        "</AssumeRoleResponse>\n"
    )
