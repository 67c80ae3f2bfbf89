"""Connection parameters, in one home: what a parameter is (:mod:`.spec`), every common one (:mod:`.table`),
how what the user passed becomes checked settings (:mod:`.resolve`) and the rules between parameters
(:mod:`.rules`).

Credentials providers declare their own parameters with the same :class:`Parameter` type (see
:mod:`athena_jwt_dbapi.credentials`), so a provider never touches the parser. Nothing here touches the network;
:func:`athena_jwt_dbapi.resolve_parameters` puts it all together for one connection.
"""

from __future__ import annotations

from .resolve import Settings, resolve
from .spec import Alias, Parameter
from .table import COMMON_PARAMETERS, PYATHENA_OPTIONS

__all__ = ["COMMON_PARAMETERS", "PYATHENA_OPTIONS", "Alias", "Parameter", "Settings", "resolve"]
