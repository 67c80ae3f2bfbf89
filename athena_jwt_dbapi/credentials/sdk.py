"""Providers that hand the work to the AWS SDK: IAM keys, the default chain, a profile, instance metadata."""

from __future__ import annotations

import hashlib
import os
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

    def load(self) -> Credentials:
        from botocore.exceptions import BotoCoreError

        def resolve() -> Credentials:
            try:
                found = aws.new_botocore_session().get_credentials()
            except BotoCoreError as error:
                raise CredentialsError(f"The default credentials chain failed: {redact(str(error))}") from None
            return _found(found, "The DefaultChain credentials provider found no credentials.")

        return cache.get_or_create(_sdk_key(self.name), resolve)


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

    def load(self) -> Credentials:
        from botocore.exceptions import BotoCoreError

        profile = self.settings["ProfileName"]

        def resolve() -> Credentials:
            try:
                found = self._session.get_credentials()
            except BotoCoreError as error:
                raise CredentialsError(f"Profile {profile!r} gave no credentials: {redact(str(error))}") from None
            return _found(found, f"The ProfileCredentials credentials provider found no credentials for {profile!r}.")

        return cache.get_or_create(_sdk_key(self.name, profile), resolve)


def _sdk_key(*parts: str) -> str:
    """The cache key of credentials the AWS SDK resolves: the provider, its own settings, and the ``AWS_*``
    environment it reads (hashed: it may hold keys), so connections of one configuration share one set of
    credentials (and so one session and one connection test), while a changed environment resolves anew.
    botocore's own credentials refresh themselves; ``clear_credentials_cache()`` forgets them."""
    environment = sorted((name, value) for name, value in os.environ.items() if name.startswith("AWS_"))
    return cache.cache_key(*parts, hashlib.sha256(repr(environment).encode()).hexdigest())


def _found(credentials: Credentials | None, message: str) -> Credentials:
    if credentials is None:
        raise CredentialsError(message)
    return credentials


def _not_in_config_files(profile: str) -> ParameterError:
    return ParameterError(
        f"Invalid value specified for connection property: ProfileName. The profile {profile!r} is not in the "
        "AWS config files.",
        parameter="ProfileName",
    )


class InstanceProfileProvider(CredentialsProvider):
    """The EC2 instance profile, through the instance metadata service (IMDSv2)."""

    name = "InstanceProfile"

    def load(self) -> Credentials:
        from botocore.credentials import InstanceMetadataFetcher, InstanceMetadataProvider

        config = self.context.client_config("sts")
        fetcher = InstanceMetadataFetcher(
            timeout=getattr(config, "connect_timeout", None) or 1, num_attempts=2, user_agent="athena-jwt-dbapi"
        )

        def resolve() -> Credentials:
            found = InstanceMetadataProvider(iam_role_fetcher=fetcher).load()
            return _found(found, "No instance profile credentials: the instance metadata service gave none.")

        return cache.get_or_create(_sdk_key(self.name), resolve)
