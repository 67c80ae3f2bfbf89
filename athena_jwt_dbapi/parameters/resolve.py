"""Turn what the user passed (a JDBC URL and keyword arguments) into checked, typed settings.

Rules (the README's "Parameter rules"): names and provider values match case-insensitively; an empty
string is absent; a deprecated alias warns; an alias and its canonical name with different values are
an error naming both; keyword arguments beat the URL; strings are coerced to the declared type; an
unknown name is an error that suggests the closest known one. Nothing here touches the network.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .._warn import warn
from ..errors import ParameterError, ParameterNotAppliedWarning
from ..redaction import REDACTED, redact, register_secret
from .spec import Parameter

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


@dataclass(frozen=True)
class Given:
    """One value as the user spelled it, and where it came from."""

    spelled: str
    value: Any
    source: str  # "keyword argument" or "JDBC URL"


class Settings(Mapping[str, Any]):
    """The resolved parameters by canonical name, every one of the connection's table present (``None`` or its
    default when not given); secrets are masked in ``repr``.

    Reading a name that is not one of the connection's parameters raises ``KeyError``, ``get()`` included:
    a misspelt name in our code (or a provider's) must fail, not read as "not given".
    """

    def __init__(self, values: Mapping[str, Any], parameters: Mapping[str, Parameter], given: set[str]):
        self._values = dict(values)
        self.parameters: Mapping[str, Parameter] = dict(parameters)
        self._given = frozenset(given)

    def __getitem__(self, name: str) -> Any:
        self._known(name)
        return self._values[name]

    def get(self, name: str, default: Any = None) -> Any:
        value = self[name]
        return default if value is None else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def given(self, name: str) -> bool:
        """Whether the user set ``name`` (rather than it holding its default)."""
        self._known(name)
        return name in self._given

    def with_defaults(self, values: Mapping[str, Any]) -> Settings:
        """These settings, with ``values`` for the parameters the user did not give (already typed and checked)."""
        for name in values:
            self._known(name)
        chosen = {name: value for name, value in values.items() if name not in self._given}
        return Settings({**self._values, **chosen}, self.parameters, set(self._given)) if chosen else self

    def _known(self, name: str) -> None:
        if name not in self._values:
            raise KeyError(f"{name!r} is not a parameter of this connection")

    def __repr__(self) -> str:
        shown = {
            name: (REDACTED if self.parameters[name].secret and value is not None else value)
            for name, value in self._values.items()
        }
        return f"Settings({shown!r})"

    __str__ = __repr__


class _Names:
    """The parameters of one connection by every accepted name, lower-cased."""

    def __init__(self, parameters: tuple[Parameter, ...]) -> None:
        self.parameters = parameters
        self.by_name: dict[str, Parameter] = {p.name: p for p in parameters}
        self.index: dict[str, tuple[Parameter, str]] = {}
        for parameter in parameters:
            for spelled in parameter.names():
                self.index[spelled.lower()] = (parameter, spelled)

    def lookup(self, spelled: str) -> tuple[Parameter, str] | None:
        return self.index.get(spelled.lower())

    def suggest(self, spelled: str) -> str | None:
        names = {n.lower(): n for p in self.parameters for n in p.names()}
        close = difflib.get_close_matches(spelled.lower(), list(names), n=1, cutoff=0.6)
        if close:
            parameter, _ = self.index[close[0]]
            return parameter.name
        return None


def _canonicalize(
    source: Mapping[str, Any], source_name: str, names: _Names, foreign: Mapping[str, str]
) -> dict[str, Given]:
    """Map one source's names to canonical names, warning on deprecated aliases and refusing conflicts."""
    result: dict[str, Given] = {}
    for spelled, value in source.items():
        if not isinstance(spelled, str):
            raise ParameterError(f"Parameter names must be strings, got {spelled!r}.", parameter=repr(spelled))
        found = names.lookup(spelled)
        if found is None:
            owner = foreign.get(spelled.lower())
            if owner:
                raise ParameterError(
                    f"Connection property {spelled} belongs to the {owner} credentials provider, "
                    f"which is not the one in use (set CredentialsProvider={owner} to use it).",
                    parameter=spelled,
                )
            if spelled in getattr(source, "after_secret", ()):
                raise ParameterError(
                    f"The {source_name} has an unknown connection property right after a secret parameter (its "
                    "name is not shown: it may be the rest of that secret, since a value cannot contain ';' in a "
                    "URL). Pass secret values as keyword arguments.",
                    parameter="dsn",
                )
            hint = names.suggest(spelled)
            shown = redact(spelled)
            raise ParameterError(
                f"Unknown connection property: {shown}." + (f" Did you mean {hint}?" if hint else ""),
                parameter=shown,
            )
        parameter, alias = found
        if isinstance(value, str) and value == "":
            continue  # JDBC 3.3.0: an empty value counts as absent
        if value is None:
            continue
        for known in parameter.aliases:
            if known.name == alias and known.deprecated:
                warn(f"Connection property {alias} is deprecated; use {parameter.name}.", DeprecationWarning)
        previous = result.get(parameter.name)
        if previous is not None and _differs(previous.value, value):
            raise ParameterError(
                f"Connection properties {previous.spelled} and {spelled} are the same setting "
                f"({parameter.name}) but have different values in the {source_name}; give only one.",
                parameter=parameter.name,
            )
        result[parameter.name] = Given(spelled, value, source_name)
    return result


_USERINFO = re.compile(r"(//)[^/@\s]*@")


def _describe(given: Given, parameter: Parameter) -> str:
    """The value as shown in an error: never a secret, never a password pasted into a URL."""
    if parameter.secret:
        return "(value hidden)"
    text = _USERINFO.sub(r"\1***@", redact(repr(given.value)))
    return text if len(text) <= 80 else text[:77] + "..."


def _differs(first: Any, second: Any) -> bool:
    try:
        return bool(first != second)
    except Exception:  # objects whose comparison is not a bool (arrays, ...)
        return first is not second


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def coerce(parameter: Parameter, given: Given) -> Any:
    """The value converted to the parameter's declared type, or a ParameterError saying why not."""
    value = given.value
    label = parameter.name if given.spelled == parameter.name else f"{parameter.name} (given as {given.spelled})"

    def invalid(why: str) -> ParameterError:
        return ParameterError(
            f"Invalid value specified for connection property: {label}. {why} Got {_describe(given, parameter)}.",
            parameter=parameter.name,
        )

    kind = parameter.kind
    if kind is object:
        result: Any = value
    elif kind is bool:
        if isinstance(value, bool):
            result = value
        elif isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            result = value.strip().lower() in _TRUE
        elif isinstance(value, int) and value in (0, 1):
            result = bool(value)
        else:
            raise invalid("Expected a boolean (true or false).")
    elif kind is int:
        if isinstance(value, bool):
            raise invalid("Expected an integer.")
        if isinstance(value, int):
            result = value
        elif isinstance(value, str):
            try:
                result = int(value.strip())
            except ValueError:
                raise invalid("Expected an integer.") from None
        elif isinstance(value, float) and value.is_integer():
            result = int(value)
        else:
            raise invalid("Expected an integer.")
    elif kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise invalid("Expected a number.")
        try:
            result = float(value)
        except ValueError:
            raise invalid("Expected a number.") from None
        if not math.isfinite(result):
            raise invalid("Expected a finite number.")
    else:  # str
        if not isinstance(value, str):
            raise invalid("Expected a string.")
        result = value
    if parameter.choices:
        matches = [c for c in parameter.choices if c.lower() == str(result).lower()]
        if not matches:
            raise invalid(f"Expected one of {', '.join(parameter.choices)}.")
        result = matches[0]
    if parameter.minimum is not None and result < parameter.minimum:
        raise invalid(f"It must be at least {_number(parameter.minimum)}.")
    if parameter.maximum is not None and result > parameter.maximum:
        raise invalid(f"It must be at most {_number(parameter.maximum)}.")
    if parameter.validator is not None:
        problem = parameter.validator(result)
        if problem:
            raise invalid(problem)
    if parameter.secret and isinstance(result, str):
        register_secret(result)
    return result


def resolve(
    sources: list[tuple[str, Mapping[str, Any]]],
    parameters: tuple[Parameter, ...],
    foreign: Mapping[str, str],
) -> Settings:
    """Resolve ``sources`` (lowest precedence first) against ``parameters``.

    ``foreign`` maps lower-cased names of other providers' parameters to the provider that owns them,
    so that such a name gets a precise message instead of "unknown". Giving a parameter that cannot apply
    warns (once everything is resolved).
    """
    names = _Names(parameters)
    merged: dict[str, Given] = {}
    for source_name, source in sources:
        merged.update(_canonicalize(source, source_name, names, foreign))
    values: dict[str, Any] = {p.name: p.default for p in parameters}
    notices: list[str] = []
    for name, given in merged.items():
        parameter = names.by_name[name]
        values[name] = coerce(parameter, given)
        if parameter.not_applied:
            notices.append(f"Connection property {name} has no effect here: {parameter.not_applied}.")
    settings = Settings(values, names.by_name, set(merged))
    for parameter in parameters:
        if parameter.required and values.get(parameter.name) is None:
            raise ParameterError(f"Missing required connection property: {parameter.name}.", parameter=parameter.name)
    for notice in notices:
        warn(notice, ParameterNotAppliedWarning)
    return settings
