"""Connect with JWT and the Athena JDBC parameter names, run a few queries, build a pandas frame.

By default this starts the offline stack (``athena_jwt_dbapi.local``: an OIDC issuer, STS, Athena and
S3 on loopback) and runs against it, so it works on a machine with no AWS account. Point it at real
AWS with the usual web-identity environment, as on EKS or GitHub Actions:

    AWS_WEB_IDENTITY_TOKEN_FILE=/path/to/token AWS_ROLE_ARN=arn:aws:iam::123456789012:role/analyst \\
    AWS_REGION=us-east-1 ATHENA_OUTPUT_LOCATION=s3://my-bucket/athena/ python examples/quickstart.py

or with a JDBC URL: ``python examples/quickstart.py 'jdbc:athena://CredentialsProvider=JWT;...'``.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import athena_jwt_dbapi

# Table-free SQL, so the same queries run on real Athena and on the local stack.
SALES = """
SELECT region, count(*) AS orders, sum(amount) AS total
FROM (VALUES ('eu', DECIMAL '10.50'), ('us', DECIMAL '20.25'), ('eu', DECIMAL '4.00'), ('apac', DECIMAL '7.10'))
     AS sales(region, amount)
GROUP BY region
ORDER BY total DESC
"""
TYPES = (
    "SELECT DATE '2024-03-01' AS day, ARRAY[1, 2, 3] AS numbers, 7 / 2 AS integer_division, "
    "CAST(NULL AS varchar) AS nothing"
)


@contextlib.contextmanager
def connection_parameters() -> Iterator[tuple[str, dict[str, Any] | str]]:
    """Real AWS when configured, else a local stack for the duration of the example."""
    if len(sys.argv) > 1:
        yield "AWS (JDBC URL from the command line)", sys.argv[1]
    elif os.environ.get("AWS_WEB_IDENTITY_TOKEN_FILE") and os.environ.get("AWS_ROLE_ARN"):
        yield (
            "AWS (web identity from the environment)",
            {
                "CredentialsProvider": "JWT",  # token file, role and session name come from AWS_* variables
                "Region": os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
                "OutputLocation": os.environ.get("ATHENA_OUTPUT_LOCATION"),
                "WorkGroup": os.environ.get("ATHENA_WORK_GROUP", "primary"),
            },
        )
    else:
        from athena_jwt_dbapi.local import LocalAthena

        with LocalAthena() as stack:
            token = stack.mint_token(sub="quickstart-user")  # your IdP would issue this JWT
            yield (
                "the local stack (athena_jwt_dbapi.local)",
                {
                    "CredentialsProvider": "JWT",
                    "JwtWebIdentityToken": token,
                    "JwtRoleArn": stack.role_arn,
                    "JwtRoleSessionName": "quickstart",
                    "Region": stack.region,
                    "OutputLocation": stack.output_location,
                    "AthenaEndpoint": stack.athena_endpoint,
                    "StsEndpoint": stack.sts_endpoint,
                    "S3Endpoint": stack.s3_endpoint,
                },
            )


def main() -> None:
    with connection_parameters() as (target, parameters):
        print(f"Connecting to {target} ...")
        if isinstance(parameters, str):
            conn = athena_jwt_dbapi.connect(parameters)
        else:
            conn = athena_jwt_dbapi.connect(**{k: v for k, v in parameters.items() if v is not None})
        with conn:
            with conn.cursor() as cursor:
                cursor.execute(SALES)
                print("\nSales by region (plain cursor, GetQueryResults):")
                print("  " + " | ".join(d[0] for d in cursor.description))
                for row in cursor.fetchall():
                    print("  " + " | ".join(str(v) for v in row))

                cursor.execute(TYPES)
                print("\nTyped values:", cursor.fetchone())

            import pandas as pd

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # pandas prefers SQLAlchemy; DB-API works
                frame = pd.read_sql_query(SALES, conn)
            print("\npandas.read_sql_query:")
            print(frame.to_string(index=False))

            credentials = conn.session.get_credentials()
            print(f"\nSigned with temporary STS credentials ({credentials.method}), refreshed automatically.")


if __name__ == "__main__":
    main()
