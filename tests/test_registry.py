"""The credentials-provider registry and the provider contract."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from typing import Any

import pytest
from botocore.credentials import Credentials

import athena_jwt_dbapi
from athena_jwt_dbapi import (
    CredentialsProvider,
    InterfaceError,
    Parameter,
    ParameterError,
    register_credentials_provider,
    registered_credentials_providers,
    resolve_parameters,
    unregister_credentials_provider,
)
from athena_jwt_dbapi.credentials import registry
from athena_jwt_dbapi.parameters import Alias


class VaultProvider(CredentialsProvider):
    name = "Vault"
    accepts_arguments = True
    parameters = (
        Parameter("VaultPath", str, "Path of the secret.", required=True, aliases=(Alias("vault_path", False),)),
        Parameter("VaultTtl", int, "TTL.", default=60, minimum=1),
    )

    def load(self) -> Credentials:
        return Credentials("AKIAVAULTEXAMPLE123", "vault-secret-key-value", None)


@pytest.fixture
def vault() -> Iterator[type[VaultProvider]]:
    register_credentials_provider(VaultProvider)
    yield VaultProvider
    unregister_credentials_provider("Vault")


def test_built_ins_are_registered() -> None:
    assert {"JWT", "DefaultChain", "ProfileCredentials", "InstanceProfile", "IAMCredentials"} <= set(
        registered_credentials_providers()
    )


def test_custom_provider_gets_its_parameters_resolved(vault: type[VaultProvider]) -> None:
    decided = resolve_parameters(
        CredentialsProvider="vault",
        VAULT_PATH="kv/athena",
        VaultTtl="30",
        Region="us-east-1",
        CredentialsProviderArguments="a, b ,c",
    )
    assert isinstance(decided.provider, VaultProvider)
    assert decided.provider.settings["VaultPath"] == "kv/athena"
    assert decided.provider.settings["VaultTtl"] == 30
    assert decided.provider.context.arguments == ("a", "b", "c")


def test_custom_provider_required_parameter(vault: type[VaultProvider]) -> None:
    with pytest.raises(ParameterError, match="Missing required connection property: VaultPath"):
        resolve_parameters(CredentialsProvider="Vault", Region="us-east-1")


def test_unknown_provider_suggests_a_close_one() -> None:
    with pytest.raises(ParameterError, match="Did you mean JWT") as info:
        resolve_parameters(CredentialsProvider="JWTT", Region="us-east-1")
    assert "known: " in str(info.value)


def test_no_dotted_path_import_from_a_connection_string() -> None:
    before = set(sys.modules)
    with pytest.raises(ParameterError, match="No credentials provider named"):
        resolve_parameters(CredentialsProvider="os.system", Region="us-east-1")
    with pytest.raises(ParameterError, match="No credentials provider named"):
        resolve_parameters("jdbc:athena://CredentialsProvider=json.decoder.JSONDecoder;Region=us-east-1")
    assert set(sys.modules) == before


def test_duplicate_name_is_refused_unless_replaced(vault: type[VaultProvider]) -> None:
    class Other(VaultProvider):
        pass

    with pytest.raises(InterfaceError, match="already registered"):
        register_credentials_provider(Other)
    register_credentials_provider(Other, replace=True)
    assert registered_credentials_providers()["Vault"] is Other


@pytest.mark.parametrize(
    ("provider", "message"),
    [
        (object, "not a subclass"),
        (type("NoName", (CredentialsProvider,), {"load": lambda self: None}), "must set a non-empty"),
        (
            type(
                "Clash",
                (CredentialsProvider,),
                {"name": "Clash", "parameters": (Parameter("Region", str, "x"),), "load": lambda self: None},
            ),
            "common parameters: Region",
        ),
    ],
)
def test_bad_registrations(provider: Any, message: str) -> None:
    with pytest.raises(InterfaceError, match=message):
        register_credentials_provider(provider)


def test_entry_points_are_loaded_on_a_miss(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = EntryPoint(
        name="FromPlugin", value="tests.plugin_provider:PluginProvider", group=registry.ENTRY_POINT_GROUP
    )
    monkeypatch.setattr(
        "importlib.metadata.entry_points", lambda group: [entry] if group == registry.ENTRY_POINT_GROUP else []
    )
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    try:
        decided = resolve_parameters(CredentialsProvider="fromplugin", Region="us-east-1")
        assert type(decided.provider).__name__ == "PluginProvider"
    finally:
        unregister_credentials_provider("FromPlugin")


def test_other_providers_parameters_name_their_owner(vault: type[VaultProvider]) -> None:
    with pytest.raises(ParameterError, match="belongs to the Vault credentials provider"):
        resolve_parameters(CredentialsProvider="JWT", VaultPath="x", Region="us-east-1")


def test_iam_keys_are_the_default_when_user_is_given() -> None:
    decided = resolve_parameters(
        User="AKIAIOSFODNN7EXAMPLE", Password="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", Region="us-east-1"
    )
    assert decided.provider.name == "IAMCredentials"
    credentials = decided.provider.load()
    assert credentials is not None
    assert credentials.access_key == "AKIAIOSFODNN7EXAMPLE"
    assert "wJalr" not in repr(decided.settings)


def test_default_chain_is_the_default() -> None:
    assert resolve_parameters(Region="us-east-1").provider.name == "DefaultChain"


def use_profile(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, name: str, region: str) -> None:
    """An AWS config file with one profile holding static keys, used for the rest of the test."""
    config = tmp_path / "config"
    config.write_text(
        f"[profile {name}]\nregion = {region}\naws_access_key_id = AKIAPROFILEEXAMPLE1\n"
        "aws_secret_access_key = profile-secret-key-example\n"
    )
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))


def test_profile_must_exist(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_profile(tmp_path, monkeypatch, "dev", "eu-west-1")
    with pytest.raises(ParameterError, match="profile 'missing' is not in the AWS config files"):
        resolve_parameters(CredentialsProvider="ProfileCredentials", ProfileName="missing", Region="us-east-1")
    credentials = resolve_parameters(
        CredentialsProvider="ProfileCredentials", ProfileName="dev", Region="us-east-1"
    ).provider.load()
    assert credentials is not None
    assert credentials.access_key == "AKIAPROFILEEXAMPLE1"


def test_instance_profile_without_metadata_service_fails_clearly() -> None:
    # AWS_EC2_METADATA_DISABLED=true (conftest): no request leaves the machine.
    with pytest.raises(athena_jwt_dbapi.CredentialsError, match="No instance profile credentials"):
        resolve_parameters(CredentialsProvider="InstanceProfile", Region="us-east-1").provider.load()


def test_a_broken_entry_point_warns_and_the_others_still_load(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = EntryPoint(name="Broken", value="no_such_module_xyz:Provider", group=registry.ENTRY_POINT_GROUP)
    good = EntryPoint(name="FromPlugin", value="tests.plugin_provider:PluginProvider", group=registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [broken, good])
    monkeypatch.setattr(registry, "_entry_points_loaded", False)
    try:
        with pytest.warns(RuntimeWarning, match="Broken .*could not be loaded"):
            decided = resolve_parameters(CredentialsProvider="FromPlugin", Region="us-east-1")
        assert type(decided.provider).__name__ == "PluginProvider"
    finally:
        unregister_credentials_provider("FromPlugin")


def test_profile_region_is_used_when_region_is_not_given(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    use_profile(tmp_path, monkeypatch, "eu", "eu-central-1")
    assert resolve_parameters(CredentialsProvider="ProfileCredentials", ProfileName="eu").region == "eu-central-1"
    assert (
        resolve_parameters(CredentialsProvider="ProfileCredentials", ProfileName="eu", Region="us-west-2").region
        == "us-west-2"
    )


class HintedProvider(CredentialsProvider):
    """A provider that is chosen by its own parameter and names a region: connect() asks it, nobody else."""

    name = "Hinted"
    selected_by = ("HintedKey",)
    parameters = (Parameter("HintedKey", str, "Its key.", aliases=(Alias("hinted_key", False),)),)

    @classmethod
    def configured_region(cls, settings: Any) -> str | None:
        return "ap-southeast-2" if settings["HintedKey"] == "sydney" else None

    def load(self) -> Credentials:
        return Credentials("AKIAHINTEDEXAMPLE12", "hinted-secret-key-value", None)


def test_a_provider_owns_its_selection_and_region_hints() -> None:
    register_credentials_provider(HintedProvider)
    try:
        resolved = resolve_parameters(hinted_key="sydney")
        assert (resolved.provider.name, resolved.region) == ("Hinted", "ap-southeast-2")
        with pytest.raises(ParameterError, match="Missing required connection property: Region") as error:
            resolve_parameters(HintedKey="elsewhere")
        assert error.value.parameter == "Region"
    finally:
        unregister_credentials_provider("Hinted")


class ImplyingProvider(CredentialsProvider):
    """A provider whose own parameter implies a common one (as JWT_TIP's WorkGroupArn implies WorkGroup)."""

    name = "Implying"
    parameters = (Parameter("ImplyingTeam", str, "Its team."),)

    @classmethod
    def implied_settings(cls, settings: Any) -> dict[str, Any]:
        return {"WorkGroup": f"team-{settings['ImplyingTeam']}"} if settings["ImplyingTeam"] else {}

    def load(self) -> Credentials:
        return Credentials("AKIAIMPLYINGEXAMPLE", "implying-secret-key-value", None)


def test_a_provider_implies_common_settings_the_user_did_not_give() -> None:
    register_credentials_provider(ImplyingProvider)
    try:
        implied = resolve_parameters(CredentialsProvider="Implying", ImplyingTeam="red", Region="us-east-1")
        assert implied.settings["WorkGroup"] == "team-red"
        assert not implied.settings.given("WorkGroup")
        given = resolve_parameters(
            CredentialsProvider="Implying", ImplyingTeam="red", WorkGroup="mine", Region="us-east-1"
        )
        assert given.settings["WorkGroup"] == "mine"
        assert resolve_parameters(CredentialsProvider="Implying", Region="us-east-1").settings["WorkGroup"] == "primary"
    finally:
        unregister_credentials_provider("Implying")
