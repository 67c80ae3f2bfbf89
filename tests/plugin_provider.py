"""A provider that the registry test loads through a (simulated) entry point."""

from __future__ import annotations

from botocore.credentials import Credentials

from athena_jwt_dbapi import CredentialsProvider


class PluginProvider(CredentialsProvider):
    name = "FromPlugin"

    def load(self) -> Credentials:
        return Credentials("AKIAPLUGINEXAMPLE12", "plugin-secret-value", None)
