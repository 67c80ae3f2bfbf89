"""Trusted identity propagation on the local stack in one call: what an administrator sets up on AWS.

AWS's "Use trusted identity propagation with Amazon Athena drivers" pages describe the pieces; here they are
made at once, wired to the stack's own OIDC issuer:

- an **application role** that trusts the issuer for web identities (the drivers' AssumeRoleWithWebIdentity);
- an IAM Identity Center **customer managed application** whose JWT-bearer grant trusts that issuer, tagged
  ``AthenaDriverOidcAppArn`` = the access role's ARN;
- an **access role** that trusts the application role (AssumeRole with an identity context);
- a **workgroup** enabled for IAM Identity Center, tagged ``AthenaDriverOidcAppArn`` = the application's ARN,
  writing its results to the stack's bucket.
"""

from __future__ import annotations

from dataclasses import dataclass

from athena_jwt_dbapi.local.athena import AthenaService
from athena_jwt_dbapi.local.iam import Role
from athena_jwt_dbapi.local.identity_center import IdentityCenter
from athena_jwt_dbapi.local.sts import StsService
from athena_jwt_dbapi.local.workgroup_identity import WorkgroupIdentity

#: The tag the drivers read: on the workgroup it names the application, on the application the access role.
DRIVER_TAG = "AthenaDriverOidcAppArn"
DEFAULT_WORKGROUP = "identity-center"


@dataclass(frozen=True)
class TrustedIdentityPropagation:
    """What :meth:`LocalAthena.trusted_identity_propagation` set up (the ARNs a ``JWT_TIP`` connection names)."""

    workgroup: str
    workgroup_arn: str
    application_arn: str
    application_role_arn: str
    access_role_arn: str
    instance_arn: str


def set_up(
    *,
    sts: StsService,
    athena: AthenaService,
    workgroups: WorkgroupIdentity,
    identity_center: IdentityCenter,
    issuer: str,
    output_location: str,
    workgroup: str = DEFAULT_WORKGROUP,
    audience: str,
    tag_workgroup: bool = True,
    tag_application: bool = True,
) -> TrustedIdentityPropagation:
    """Create (or replace) the roles, the application and the workgroup of one trusted identity propagation."""
    application_role = sts.add_role(
        Role(f"local-athena-{workgroup}-application", allowed_audiences=(audience,), max_session_duration=43200)
    )
    access_role = sts.add_role(
        Role(f"local-athena-{workgroup}-access", trusted_roles=(application_role.arn,), max_session_duration=43200)
    )
    athena.add_workgroup(workgroup, output_location=output_location, description="IAM Identity Center enabled")
    application = identity_center.add_application(
        f"athena-drivers-{workgroup}",
        trusted_issuer=issuer,
        audiences=(audience,),
        tags={DRIVER_TAG: access_role.arn} if tag_application else None,
    )
    workgroups.untag_workgroup(workgroup, [DRIVER_TAG])
    if tag_workgroup:
        workgroups.tag_workgroup(workgroup, {DRIVER_TAG: application.arn})
    workgroups.enable_identity_center(workgroup, application.arn)
    return TrustedIdentityPropagation(
        workgroup=workgroup,
        workgroup_arn=workgroups.workgroup_arn(workgroup),
        application_arn=application.arn,
        application_role_arn=application_role.arn,
        access_role_arn=access_role.arn,
        instance_arn=identity_center.instance_arn,
    )
