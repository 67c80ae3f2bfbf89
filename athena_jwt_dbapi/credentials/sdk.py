"""Providers that hand the work to the AWS SDK: IAM keys, the default chain, a profile, instance metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .. import aws
from ..errors import CredentialsError, ParameterError
from ..parameters.spec import Alias, Parameter, length, pattern
from ..redaction import redact
from . import cache
from .base import CredentialsProvider, ProviderContext

if TYPE_CHECKING:
    from botocore.credentials import Credentials


class IAMCredentialsProvider(CredentialsProvider):
    """Static IAM keys (``User``/``Password``, as JDBC spells them), with an optional session token."""

    name = "IAMCredentials"
    selected_by = ("User",)
    parameters = (
        Parameter(
            "User",
            str,
            "IAM access key id.",
            required=True,
            aliases=(Alias("AccessKeyId", deprecated=False), Alias("aws_access_key_id", deprecated=False)),
            validator=pattern(r"[A-Z0-9]{16,128}", "an access key id such as AKIA..."),
            group="IAMCredentials",
            applied="botocore static credentials",
        ),
        Parameter(
            "Password",
            str,
            "IAM secret access key.",
            required=True,
            secret=True,
            aliases=(
                Alias("SecretAccessKey", deprecated=False),
                Alias("aws_secret_access_key", deprecated=False),
            ),
            validator=length(16, 128),
            group="IAMCredentials",
            applied="botocore static credentials",
        ),
        Parameter(
            "SessionToken",
            str,
            "Session token of temporary keys.",
            secret=True,
            aliases=(Alias("aws_session_token", deprecated=False),),
            validator=length(16, 20000),
            group="IAMCredentials",
            applied="botocore static credentials",
        ),
    )

    def load(self) -> Credentials:
        from botocore.credentials import Credentials

        user, password, token = self.settings["User"], self.settings["Password"], self.settings["SessionToken"]
        # Cached like every identity, so that connections with the same keys share one session and clients.
        key = cache.cache_key(self.name, user, hashlib.sha256(f"{password}\x00{token}".encode()).hexdigest())
        return cache.get_or_create(key, lambda: Credentials(user, password, token))


class DefaultChainProvider(CredentialsProvider):
    """The SDK's default chain: environment, web identity file, shared files, SSO, container, IMDS."""

    name = "DefaultChain"

    def load(self) -> Credentials | None:
        from botocore.exceptions import BotoCoreError

        try:
            return aws.new_botocore_session().get_credentials()
        except BotoCoreError as error:
            raise CredentialsError(f"The default credentials chain failed: {redact(str(error))}") from None


class ProfileCredentialsProvider(CredentialsProvider):
    """A named profile of the shared AWS config/credentials files."""

    name = "ProfileCredentials"
    parameters = (
        Parameter(
            "ProfileName",
            str,
            "Profile of ~/.aws/config and ~/.aws/credentials.",
            required=True,
            aliases=(Alias("profile_name", deprecated=False),),
            validator=length(1, 256),
            group="ProfileCredentials",
            applied="botocore session profile",
        ),
    )

    def __init__(self, settings: Mapping[str, Any], context: ProviderContext) -> None:
        super().__init__(settings, context)
        from botocore.exceptions import ProfileNotFound

        profile = self.settings["ProfileName"]
        try:
            self._session = aws.new_botocore_session(profile)
            self._session.get_scoped_config()
        except ProfileNotFound:
            raise _not_in_config_files(profile) from None

    @classmethod
    def configured_region(cls, settings: Mapping[str, Any]) -> str | None:
        """The profile's region (after ``AWS_REGION``, as the SDKs read it)."""
        from botocore.exceptions import ProfileNotFound

        profile = settings["ProfileName"]
        try:
            return aws.configured_region(profile)
        except ProfileNotFound:
            raise _not_in_config_files(profile) from None

    def load(self) -> Credentials | None:
        from botocore.exceptions import BotoCoreError

        try:
            return self._session.get_credentials()
        except BotoCoreError as error:
            raise CredentialsError(
                f"Profile {self.settings['ProfileName']!r} gave no credentials: {redact(str(error))}"
            ) from None


def _not_in_config_files(profile: str) -> ParameterError:
    return ParameterError(
        f"Invalid value specified for connection property: ProfileName. The profile {profile!r} is not in the "
        "AWS config files.",
        parameter="ProfileName",
    )


class InstanceProfileProvider(CredentialsProvider):
    """The EC2 instance profile, through the instance metadata service (IMDSv2)."""

    name = "InstanceProfile"

    def load(self) -> Credentials | None:
        from botocore.credentials import InstanceMetadataFetcher, InstanceMetadataProvider

        config = self.context.client_config("sts")
        fetcher = InstanceMetadataFetcher(
            timeout=getattr(config, "connect_timeout", None) or 1, num_attempts=2, user_agent="athena-jwt-dbapi"
        )
        credentials = InstanceMetadataProvider(iam_role_fetcher=fetcher).load()
        if credentials is None:
            raise CredentialsError("No instance profile credentials: the instance metadata service gave none.")
        return credentials
