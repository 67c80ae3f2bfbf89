"""Trusted identity propagation (``CredentialsProvider=JWT_TIP``): each user's own identity carried into Athena.

With ``JWT``, everyone whose token is accepted for a role queries *as that role*. With ``JWT_TIP`` the user's
JWT is exchanged through IAM Identity Center, and Athena (and Lake Formation, S3 Access Grants) sees the user.

By default this starts the offline stack, sets up what an administrator would (an Identity Center enabled
workgroup tagged with an Identity Center application, the application tagged with the access role, the
application role trusting the identity provider) with ``trusted_identity_propagation()``, and connects as two
users. Against real AWS, pass a JDBC URL and provide the JWT in ``AWS_WEB_IDENTITY_TOKEN_FILE``:

    AWS_WEB_IDENTITY_TOKEN_FILE=/path/to/user-jwt python examples/jwt_tip.py \\
      'jdbc:athena://CredentialsProvider=JWT_TIP;WorkGroupArn=arn:aws:athena:us-east-1:123456789012:workgroup/tip;ApplicationRoleArn=arn:aws:iam::123456789012:role/athena-tip-application;JwtRoleSessionName=report'
"""

from __future__ import annotations

import sys
from typing import Any

import athena_jwt_dbapi

QUERY = (
    "SELECT region, sum(amount) AS total "
    "FROM (VALUES ('eu', 10), ('us', 20), ('eu', 5)) AS t(region, amount) GROUP BY 1 ORDER BY 1"
)


def run(parameters: dict[str, Any] | str) -> list[tuple[Any, ...]]:
    if isinstance(parameters, str):
        conn = athena_jwt_dbapi.connect(parameters)
    else:
        conn = athena_jwt_dbapi.connect(**parameters)
    with conn, conn.cursor() as cursor:
        cursor.execute(QUERY)
        return cursor.fetchall()


def on_aws(url: str) -> None:
    print("Connecting to AWS with", url.split(";")[0] + ";...")
    print("Rows:", run(url))


def on_the_local_stack() -> None:
    from athena_jwt_dbapi.local import LocalAthena

    with LocalAthena() as stack:
        setup = stack.trusted_identity_propagation()  # what an administrator sets up once
        print(f"Workgroup {setup.workgroup_arn}")
        print(f"  tagged AthenaDriverOidcAppArn = {setup.application_arn}")
        print(f"  whose tag AthenaDriverOidcAppArn = {setup.access_role_arn}")
        where = {  # the local stack's endpoints; on AWS the defaults of Region are right
            name: value
            for name, value in stack.connect_parameters(provider="JWT_TIP").items()
            if name.endswith("Endpoint") or name in ("Region", "OutputLocation")
        }
        for user in ("alice", "bob"):
            token = stack.mint_token(sub=user)  # the JWT each user's identity provider issued
            parameters = {
                "CredentialsProvider": "JWT_TIP",
                "JwtWebIdentityToken": token,
                "WorkGroupArn": setup.workgroup_arn,  # queries run in this workgroup
                "ApplicationRoleArn": setup.application_role_arn,
                "JwtRoleSessionName": f"report-{user}",
                # CustomerIdcApplicationArn and AccessRoleArn: read from the AthenaDriverOidcAppArn tags
                **where,
            }
            mark = stack.journal.mark()
            rows = run(parameters)
            start = next(c for c in stack.journal.since(mark) if c.operation == "StartQueryExecution")
            issued = [c for c in stack.credentials.all() if c.assumed_role_arn == start.signed_by]
            print(f"\n{user}: {rows}")
            print(f"  the query was signed by {start.signed_by}")
            print(f"  with identity-enhanced credentials of Identity Center user {issued[-1].identity!r}")

        try:  # the same user with plain JWT role credentials: the workgroup wants an identity
            run(stack.connect_parameters(stack.mint_token(sub="alice"), WorkGroup=setup.workgroup, NumRetries=0))
        except athena_jwt_dbapi.OperationalError as error:
            print(f"\nCredentialsProvider=JWT in the same workgroup is refused:\n  {error}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        on_aws(sys.argv[1])
    else:
        on_the_local_stack()
