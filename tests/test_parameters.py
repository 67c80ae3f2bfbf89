"""The parameter catalogue and the rules that resolve names and values (no network)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.credentials import Credentials

from athena_jwt_dbapi import (
    CredentialsProvider,
    InterfaceError,
    ParameterError,
    ParameterNotAppliedWarning,
    register_credentials_provider,
    resolve_parameters,
    unregister_credentials_provider,
)
from athena_jwt_dbapi.credentials import BUILT_IN_PROVIDERS, JwtCredentialsProvider
from athena_jwt_dbapi.parameters import COMMON_PARAMETERS, Parameter
from athena_jwt_dbapi.parameters.rules import cursor_kwargs

from .helpers import ROLE_ARN, unsigned_jwt

TOKEN = unsigned_jwt()
JWT = {
    "CredentialsProvider": "JWT",
    "JwtWebIdentityToken": TOKEN,
    "JwtRoleArn": ROLE_ARN,
    "JwtRoleSessionName": "tests",
    "Region": "us-east-1",
}

# A valid value for each common parameter (as a user would write it in a JDBC URL).
VALID: dict[str, str] = {
    "CredentialsProvider": "JWT",
    "CredentialsProviderArguments": "a,b",
    "Region": "eu-west-1",
    "Catalog": "other",
    "Database": "sales",
    "WorkGroup": "analysts",
    "OutputLocation": "s3://bucket/prefix/",
    "EncryptionOption": "SSE_S3",
    "KmsKey": "arn:aws:kms:us-east-1:123456789012:key/1",
    "ExpectedBucketOwner": "123456789012",
    "AclOption": "BUCKET_OWNER_FULL_CONTROL",
    "EnableResultReuseByAge": "true",
    "MaxResultReuseAgeInMinutes": "30",
    "ResultFetcher": "S3",
    "FetchSize": "500",
    "MinQueryExecutionPollingIntervalMillis": "50",
    "MaxQueryExecutionPollingIntervalMillis": "2000",
    "QueryExecutionPollingIntervalMultiplier": "3",
    "AthenaEndpoint": "athena.example.com",
    "AthenaStreamingEndpoint": "streaming.example.com",
    "LakeFormationEndpoint": "lf.example.com",
    "S3Endpoint": "http://127.0.0.1:9000",
    "StsEndpoint": "https://sts.example.com",
    "SsoOidcEndpoint": "oidc.example.com",
    "SsoAdminEndpoint": "admin.example.com",
    "SsoEndpoint": "sso.example.com",
    "ProxyHost": "proxy.example.com:3128",
    "ProxyPort": "3128",
    "ProxyUsername": "me",
    "ProxyPassword": "proxy-secret",
    "ProxyExemptHosts": "*.internal|localhost",
    "ProxyEnabledForIdP": "false",
    "LogLevel": "INFO",
    "LogPath": "/tmp/athena-jwt-dbapi-test-logs",
    "ApplicationName": "tests",
    "ConnectionTest": "false",
    "NumRetries": "5",
    "NetworkTimeoutMillis": "3000",
}
EXPECTED: dict[str, Any] = {
    "EnableResultReuseByAge": True,
    "MaxResultReuseAgeInMinutes": 30,
    "FetchSize": 500,
    "MinQueryExecutionPollingIntervalMillis": 50,
    "MaxQueryExecutionPollingIntervalMillis": 2000,
    "QueryExecutionPollingIntervalMultiplier": 3,
    "ProxyPort": 3128,
    "ProxyEnabledForIdP": False,
    "ConnectionTest": False,
    "NumRetries": 5,
    "NetworkTimeoutMillis": 3000,
}
REQUIRES: dict[str, dict[str, str]] = {
    name: {"ProxyHost": "proxy.example.com:3128"} for name in ("ProxyPort", "ProxyUsername", "ProxyPassword")
}
REQUIRES["ProxyPassword"]["ProxyUsername"] = "me"
SPECIAL = {"CredentialsProvider", "CredentialsProviderArguments", "KmsKey", "EncryptionOption", "ResultFetcher"}


def settings_for(**kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return resolve_parameters(**{**JWT, **kwargs}).settings


class ArgumentsProvider(CredentialsProvider):
    """A provider that takes CredentialsProviderArguments (to test that parameter)."""

    name = "TestArguments"
    accepts_arguments = True

    def load(self) -> Credentials:
        return Credentials("AKIDEXAMPLE", "secret", None)


@pytest.fixture(autouse=True)
def arguments_provider() -> Iterator[None]:
    register_credentials_provider(ArgumentsProvider, replace=True)
    yield
    unregister_credentials_provider("TestArguments")


def every_alias() -> list[tuple[Parameter, str, bool]]:
    rows = []
    for parameter in (*COMMON_PARAMETERS, *JwtCredentialsProvider.parameters):
        for alias in parameter.aliases:
            rows.append((parameter, alias.name, alias.deprecated))
    return rows


def test_every_common_parameter_has_a_test_value() -> None:
    assert set(VALID) == {p.name for p in COMMON_PARAMETERS}


@pytest.mark.parametrize("name", sorted(set(VALID) - SPECIAL))
def test_each_common_parameter_is_accepted_and_coerced(name: str) -> None:
    settings = settings_for(**REQUIRES.get(name, {}), **{name: VALID[name]})
    assert settings[name] == EXPECTED.get(name, VALID[name])
    assert settings.given(name)


@pytest.mark.parametrize(("parameter", "alias", "deprecated"), every_alias(), ids=lambda v: getattr(v, "name", v))
def test_every_alias_resolves_to_its_canonical_name(parameter: Parameter, alias: str, deprecated: bool) -> None:
    base = {k: v for k, v in JWT.items() if k != parameter.name}
    base.update(REQUIRES.get(parameter.name, {}))
    value = JWT.get(parameter.name, VALID.get(parameter.name, "3600"))
    if parameter.name == "EncryptionOption":
        base["KmsKey"] = "key"
        value = "SSE_KMS"
    if parameter.name == "KmsKey":
        base["EncryptionOption"] = "SSE_KMS"
    if parameter.name == "ResultFetcher":
        value = "S3"
    if parameter.name == "CredentialsProviderArguments":
        base = {"CredentialsProvider": "TestArguments", "Region": "us-east-1"}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        settings = resolve_parameters(**base, **{alias: value}).settings
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    if deprecated:
        assert len(deprecations) == 1
        assert f"{alias} is deprecated; use {parameter.name}" in str(deprecations[0].message)
    else:
        assert deprecations == []
    assert settings.given(parameter.name)


@pytest.mark.parametrize("spelling", ["jwtrolearn", "JWTROLEARN", "JwtRoleArn", "jWtRoLeArN"])
def test_names_match_case_insensitively(spelling: str) -> None:
    base = {k: v for k, v in JWT.items() if k != "JwtRoleArn"}
    assert resolve_parameters(**base, **{spelling: ROLE_ARN}).settings["JwtRoleArn"] == ROLE_ARN


@pytest.mark.parametrize("value", ["jwt", "Jwt", "JWT"])
def test_provider_values_match_case_insensitively(value: str) -> None:
    assert resolve_parameters(**{**JWT, "CredentialsProvider": value}).provider.name == "JWT"


def test_alias_and_name_with_different_values_is_an_error_naming_both() -> None:
    with pytest.raises(ParameterError, match="S3OutputLocation and OutputLocation") as info:
        settings_for(S3OutputLocation="s3://a/", OutputLocation="s3://b/")
    assert info.value.parameter == "OutputLocation"


def test_alias_and_name_with_the_same_value_is_fine() -> None:
    with pytest.warns(DeprecationWarning):
        settings = resolve_parameters(**JWT, S3OutputLocation="s3://aaa/", OutputLocation="s3://aaa/").settings
    assert settings["OutputLocation"] == "s3://aaa/"


def test_conflicting_secret_values_are_not_shown() -> None:
    with pytest.raises(ParameterError) as info:
        settings_for(web_identity_token=unsigned_jwt(sub="other"))
    assert TOKEN not in str(info.value)


def test_empty_string_counts_as_absent() -> None:
    settings = settings_for(Database="", WorkGroup="")
    assert settings["Database"] == "default"
    assert settings["WorkGroup"] == "primary"
    assert not settings.given("Database")


def test_keyword_arguments_override_the_url() -> None:
    url = "jdbc:athena://Database=from_url;WorkGroup=url_wg;Region=us-west-2"
    decided = resolve_parameters(url, **{**JWT, "Region": "eu-west-1", "database": "from_kwargs"})
    assert decided.settings["Database"] == "from_kwargs"
    assert decided.settings["WorkGroup"] == "url_wg"
    assert decided.region == "eu-west-1"


def test_url_alone_is_enough() -> None:
    url = (
        f"jdbc:athena://CredentialsProvider=JWT;JwtWebIdentityToken={TOKEN};JwtRoleArn={ROLE_ARN};"
        "JwtRoleSessionName=sess;Region=us-east-1;RoleSessionDuration=1800"
    )
    decided = resolve_parameters(url)
    assert decided.settings["RoleSessionDuration"] == 1800
    assert decided.provider.name == "JWT"


@pytest.mark.parametrize(
    ("kwargs", "suggestion"),
    [
        ({"JwtRoleArm": ROLE_ARN}, "Did you mean JwtRoleArn?"),
        ({"OutputLocaton": "s3://a/"}, "Did you mean OutputLocation?"),
        ({"Regoin": "us-east-1"}, "Did you mean Region?"),
        ({"workgroupp": "x"}, "Did you mean WorkGroup?"),
    ],
)
def test_unknown_names_are_refused_with_a_suggestion(kwargs: dict[str, str], suggestion: str) -> None:
    with pytest.raises(InterfaceError, match=suggestion):
        resolve_parameters(**JWT, **kwargs)


def test_unknown_name_without_a_close_match() -> None:
    with pytest.raises(InterfaceError, match=r"Unknown connection property: zzzzzz\.$"):
        resolve_parameters(**JWT, zzzzzz="1")


def test_another_providers_parameter_names_that_provider() -> None:
    with pytest.raises(ParameterError, match="belongs to the ProfileCredentials credentials provider"):
        resolve_parameters(**JWT, ProfileName="dev")


def test_jwt_parameter_without_the_jwt_provider() -> None:
    with pytest.raises(ParameterError, match="set CredentialsProvider=JWT"):
        resolve_parameters(JwtRoleArn=ROLE_ARN, Region="us-east-1")


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"RoleSessionDuration": "abc"}, "RoleSessionDuration", "Expected an integer"),
        ({"RoleSessionDuration": "899"}, "RoleSessionDuration", "at least 900"),
        ({"RoleSessionDuration": 43201}, "RoleSessionDuration", "at most 43200"),
        ({"RoleSessionDuration": 1.5}, "RoleSessionDuration", "Expected an integer"),
        ({"RoleSessionDuration": True}, "RoleSessionDuration", "Expected an integer"),
        ({"JwtRoleArn": "arn:aws:iam::123:role/x"}, "JwtRoleArn", "IAM role ARN"),
        ({"JwtRoleArn": "arn:aws:iam::123456789012:user/x"}, "JwtRoleArn", "IAM role ARN"),
        ({"JwtRoleArn": "a" * 10}, "JwtRoleArn", "between 20 and 2048"),
        ({"JwtRoleSessionName": "a"}, "JwtRoleSessionName", "2 to 64 characters"),
        ({"JwtRoleSessionName": "a" * 65}, "JwtRoleSessionName", "2 to 64 characters"),
        ({"JwtRoleSessionName": "has space"}, "JwtRoleSessionName", "2 to 64 characters"),
        ({"JwtWebIdentityToken": "abc"}, "JwtWebIdentityToken", "between 4 and 20000"),
        ({"JwtWebIdentityToken": "x" * 20001}, "JwtWebIdentityToken", "between 4 and 20000"),
        ({"Region": "Mars"}, "Region", "AWS Region code"),
        ({"OutputLocation": "/tmp/results"}, "OutputLocation", "S3 URI"),
        ({"EncryptionOption": "AES"}, "EncryptionOption", "one of SSE_S3, SSE_KMS, CSE_KMS"),
        ({"ResultFetcher": "ftp"}, "ResultFetcher", "one of auto, S3"),
        ({"LogLevel": "LOUD"}, "LogLevel", "one of OFF"),
        ({"ConnectionTest": "maybe"}, "ConnectionTest", "Expected a boolean"),
        ({"FetchSize": "-1"}, "FetchSize", "at least 0"),
        ({"FetchSize": "1000001"}, "FetchSize", "at most 1000000"),
        ({"ProxyPort": "70000"}, "ProxyPort", "at most 65535"),
        ({"ExpectedBucketOwner": "12"}, "ExpectedBucketOwner", "12-digit"),
        ({"AthenaEndpoint": "not a host"}, "AthenaEndpoint", "host name or an http"),
        ({"MaxResultReuseAgeInMinutes": "0"}, "MaxResultReuseAgeInMinutes", "at least 1"),
        ({"NumRetries": "-1"}, "NumRetries", "at least 0"),
        ({"Database": 5}, "Database", "Expected a string"),
        (
            {"JwtWebIdentityToken": None, "JwtWebIdentityTokenCallable": "not callable"},
            "JwtWebIdentityTokenCallable",
            "callable",
        ),
    ],
)
def test_invalid_values_name_the_parameter_and_the_problem(
    kwargs: dict[str, Any], parameter: str, message: str
) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        resolve_parameters(**{**JWT, **kwargs})
    assert info.value.parameter == parameter
    assert parameter in str(info.value)


def test_invalid_secret_values_are_not_echoed() -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters(**{**JWT, "JwtWebIdentityToken": "s3cr"[:3]})
    assert "(value hidden)" in str(info.value)
    assert "'s3c'" not in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "parameter", "message"),
    [
        ({"EncryptionOption": "SSE_KMS"}, "KmsKey", "Missing required connection property: KmsKey"),
        ({"EncryptionOption": "SSE_S3", "KmsKey": "k"}, "KmsKey", "only allowed with EncryptionOption"),
        ({"KmsKey": "k"}, "KmsKey", "only allowed with EncryptionOption"),
        ({"ProxyPort": "8080"}, "ProxyPort", "needs ProxyHost"),
        ({"ProxyPassword": "pw"}, "ProxyUsername", "need ProxyHost"),
        ({"ProxyPassword": "pw", "ProxyHost": "proxy:3128"}, "ProxyPassword", "needs ProxyUsername"),
        ({"ProxyHost": "proxy.corp"}, "ProxyPort", "ProxyHost needs ProxyPort"),
        ({"CredentialsProviderArguments": "a"}, "CredentialsProviderArguments", "takes no"),
        (
            {"MinQueryExecutionPollingIntervalMillis": "9000"},
            "MinQueryExecutionPollingIntervalMillis",
            "exceeds MaxQueryExecutionPollingIntervalMillis",
        ),
    ],
)
def test_combinations(kwargs: dict[str, Any], parameter: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        resolve_parameters(**{**JWT, **kwargs})
    assert info.value.parameter == parameter


@pytest.mark.parametrize(
    "name",
    [p.name for p in COMMON_PARAMETERS if p.not_applied],
)
def test_parameters_that_cannot_apply_warn(name: str) -> None:
    with pytest.warns(ParameterNotAppliedWarning, match=f"{name} has no effect here"):
        resolve_parameters(**JWT, **REQUIRES.get(name, {}), **{name: VALID[name]})


def test_no_warning_for_defaults() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resolve_parameters(**JWT)


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("JwtRoleArn", "Missing required connection property: JwtRoleArn"),
        ("JwtRoleSessionName", "Missing required connection property: JwtRoleSessionName"),
        ("JwtWebIdentityToken", "Missing required connection property: JwtWebIdentityToken"),
        ("Region", "Missing required connection property: Region"),
    ],
)
def test_required_jwt_parameters(missing: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        resolve_parameters(**{k: v for k, v in JWT.items() if k != missing})


def test_two_token_sources_are_refused(tmp_path: Any) -> None:
    path = tmp_path / "token"
    path.write_text(TOKEN)
    with pytest.raises(ParameterError, match="Give only one token source"):
        resolve_parameters(**JWT, JwtWebIdentityTokenFile=str(path))


def test_fetch_size_sets_the_cursor_arraysize() -> None:
    decided = resolve_parameters(**JWT, ResultFetcher="s3", FetchSize="200")
    assert decided.settings["ResultFetcher"] == "S3"
    assert cursor_kwargs(decided.settings) == {"arraysize": 200}
    with pytest.warns(ParameterNotAppliedWarning, match="1,000 rows"):
        capped = resolve_parameters(**JWT, FetchSize=5000)
    assert cursor_kwargs(capped.settings) == {"arraysize": 1000}
    with pytest.warns(ParameterNotAppliedWarning, match="GetQueryResultsStream"):
        resolve_parameters(**JWT, ResultFetcher="GetQueryResultsStream")


def test_every_provider_parameter_is_documented() -> None:
    for provider in BUILT_IN_PROVIDERS:
        for parameter in provider.parameters:
            assert parameter.description and parameter.applied, parameter.name
    for parameter in COMMON_PARAMETERS:
        assert parameter.description and (parameter.applied or parameter.not_applied), parameter.name


def test_settings_repr_hides_secrets() -> None:
    settings = settings_for(ProxyHost="proxy:3128", ProxyUsername="me", ProxyPassword="hunter2-proxy")
    assert TOKEN not in repr(settings)
    assert "hunter2-proxy" not in repr(settings)
    assert "***" in repr(settings)


def test_warnings_point_at_the_callers_line() -> None:
    with pytest.warns(DeprecationWarning) as record:
        resolve_parameters(**{k: v for k, v in JWT.items() if k != "JwtRoleArn"}, role_arn=ROLE_ARN)
    assert record[0].filename == __file__
    with pytest.warns(ParameterNotAppliedWarning) as record:
        resolve_parameters(**JWT, LakeFormationEndpoint="lf.example.com")
    assert record[0].filename == __file__


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"cursor_kwargs": [1, 2]}, "cursor_kwargs"),
        ({"cursor_kwargs": "abc"}, "cursor_kwargs"),
        ({"cursor_class": "x"}, "cursor_class"),
        ({"config": "x"}, "config"),
        ({"s3_config": {"a": 1}}, "s3_config"),
        ({"converter": object()}, "converter"),
        ({"formatter": 1}, "formatter"),
        ({"retry_config": {}}, "retry_config"),
        ({"on_poll": 3}, "on_poll"),
        ({"kill_on_interrupt": "perhaps"}, "kill_on_interrupt"),
        ({"ProxyHost": "host:99999"}, "ProxyHost"),
        ({"ProxyHost": "host:abc"}, "ProxyHost"),
        ({"ProxyHost": "[::1"}, "ProxyHost"),
        ({"AthenaEndpoint": "http://[::1"}, "AthenaEndpoint"),
        ({"StsEndpoint": "ftp://sts.example.com"}, "StsEndpoint"),
        ({"S3Endpoint": "http://127.0.0.1:9000/path"}, "S3Endpoint"),
        ({"NetworkTimeoutMillis": 10**400}, "NetworkTimeoutMillis"),
        ({"MinQueryExecutionPollingIntervalMillis": 10**400}, "MinQueryExecutionPollingIntervalMillis"),
        ({"JwtRoleSessionName": "séssion"}, "JwtRoleSessionName"),
    ],
)
def test_odd_inputs_get_parameter_errors(kwargs: dict[str, Any], parameter: str) -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters(**{**JWT, **kwargs})
    assert info.value.parameter == parameter


def test_a_password_pasted_into_a_url_is_not_echoed() -> None:
    with pytest.raises(ParameterError) as info:
        resolve_parameters(**JWT, ProxyHost="http://user:S3cretPass@proxy:99999")
    assert "S3cretPass" not in str(info.value)


def test_comparing_unusual_objects_does_not_crash() -> None:
    class Odd:
        def __eq__(self, other: object) -> bool:
            raise TypeError("no comparison")

        __hash__ = object.__hash__

    with pytest.raises(ParameterError, match="different values"):
        resolve_parameters(**JWT, cursor_class=dict, **{"CURSOR_CLASS": Odd})


@pytest.mark.parametrize("exp", [10**20, int(3e14)])
def test_absurd_jwt_expiry_is_left_to_sts(exp: int) -> None:
    from athena_jwt_dbapi.credentials.token_source import check_token

    check_token(unsigned_jwt(exp=exp), "JwtWebIdentityToken")


def test_log_path_that_cannot_be_created(tmp_path: Any) -> None:
    from athena_jwt_dbapi import connect

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ParameterError, match="LogPath"):
        connect(**JWT, LogPath=str(blocker / "logs"))


def test_reading_a_setting_that_is_not_a_parameter_is_an_error() -> None:
    settings = settings_for()
    assert settings["ProxyHost"] is None  # a parameter not given reads as None...
    for read in (lambda: settings["Misspelt"], lambda: settings.get("Misspelt"), lambda: settings.given("Misspelt")):
        with pytest.raises(KeyError, match="'Misspelt' is not a parameter of this connection"):
            read()  # ...a name that is none is an error, not None
    with pytest.raises(KeyError, match="ProfileName"):
        settings.get("ProfileName")  # another provider's parameter is not one of this connection's
    assert "Misspelt" not in settings and "JwtRoleArn" in settings


def test_resolve_parameters_is_public_and_makes_no_network_call() -> None:
    """JWT parameters resolve to a built provider whose STS client does not exist yet."""
    import athena_jwt_dbapi

    resolved = athena_jwt_dbapi.resolve_parameters(
        "jdbc:athena://WorkGroup=etl;Catalog=lake", **JWT, StsEndpoint="sts.example.com"
    )
    assert isinstance(resolved, athena_jwt_dbapi.ResolvedParameters)
    assert (resolved.region, resolved.settings["WorkGroup"], resolved.settings["Catalog"]) == (
        "us-east-1",
        "etl",
        "lake",
    )
    assert resolved.endpoint_url("sts") == "https://sts.example.com"
    assert resolved.client_config("athena").retries == {"mode": "standard"}
    assert isinstance(resolved.provider, JwtCredentialsProvider) and resolved.provider.exchange._client is None
    assert TOKEN not in repr(resolved)
