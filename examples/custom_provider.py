"""A custom credentials provider: credentials that another tool keeps in a JSON file.

The contract (see the README, "Custom credentials providers"):
- subclass ``athena_jwt_dbapi.CredentialsProvider``; ``name`` is the ``CredentialsProvider`` value;
- declare your own parameters with ``athena_jwt_dbapi.Parameter`` (they get the same rules as the
  built-in ones: case-insensitive names, aliases, coercion, validation, secrecy);
- ``load()`` returns botocore credentials; ``RefreshableCredentials`` keep themselves fresh;
- register with ``register_credentials_provider()`` (or the entry-point group
  ``athena_jwt_dbapi.credentials_providers`` in your package's metadata).

Run it: ``python examples/custom_provider.py`` (uses the offline stack; no AWS needed).
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import botocore
from botocore.config import Config
from botocore.credentials import Credentials, RefreshableCredentials

import athena_jwt_dbapi
from athena_jwt_dbapi import CredentialsError, CredentialsProvider, Parameter


class JsonFileCredentialsProvider(CredentialsProvider):
    """Reads ``{"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}`` from a file, re-reading
    it whenever the credentials near expiry (the shape of ``aws sts assume-role`` output)."""

    name = "JsonFile"
    parameters = (
        Parameter(
            "CredentialsFile",
            str,
            "Path of the JSON credentials file.",
            required=True,
            group="JsonFile",
            applied="read at connect and at every refresh",
        ),
    )

    def _read(self) -> dict[str, Any]:
        path = Path(self.settings["CredentialsFile"])
        try:
            data = json.loads(path.read_text())["Credentials"]
        except (OSError, ValueError, KeyError) as error:
            raise CredentialsError(f"Cannot read credentials from {path}: {type(error).__name__}") from None
        return {
            "access_key": data["AccessKeyId"],
            "secret_key": data["SecretAccessKey"],
            "token": data.get("SessionToken"),
            "expiry_time": data["Expiration"],
        }

    def load(self) -> Credentials:
        return RefreshableCredentials.create_from_metadata(self._read(), refresh_using=self._read, method="json-file")


def main() -> None:
    from athena_jwt_dbapi.local import LocalAthena

    athena_jwt_dbapi.register_credentials_provider(JsonFileCredentialsProvider)
    with LocalAthena() as stack, tempfile.TemporaryDirectory() as folder:
        # Another tool would write this file; here we ask the local STS ourselves.
        sts = boto3.client(
            "sts",
            endpoint_url=stack.sts_endpoint,
            region_name=stack.region,
            config=Config(signature_version=botocore.UNSIGNED),
        )
        response = sts.assume_role_with_web_identity(
            RoleArn=stack.role_arn, RoleSessionName="file-writer", WebIdentityToken=stack.mint_token()
        )
        credentials = response["Credentials"]
        credentials["Expiration"] = credentials["Expiration"].astimezone(timezone.utc).isoformat()
        path = Path(folder) / "credentials.json"
        path.write_text(json.dumps({"Credentials": credentials}))

        url = (
            f"jdbc:athena://CredentialsProvider=JsonFile;CredentialsFile={path};Region={stack.region};"
            f"OutputLocation={stack.output_location};AthenaEndpoint={stack.athena_endpoint};"
            f"S3Endpoint={stack.s3_endpoint}"
        )
        with athena_jwt_dbapi.connect(url) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT 'signed by the JsonFile provider' AS message, current_date AS today")
            message, today = cursor.fetchone()
            print(message, "on", today, f"({datetime.now(timezone.utc):%H:%M} UTC)")


if __name__ == "__main__":
    main()
