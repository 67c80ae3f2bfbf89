"""Athena's side of trusted identity propagation: workgroup tags, and workgroups that require identities.

- ``AmazonAthena.ListTagsForResource`` (``ResourceARN`` of a workgroup): the tags the drivers read
  (``AthenaDriverOidcAppArn``, the Identity Center application the workgroup trusts). Any valid signature may
  read them — the application role, whose credentials are not identity-enhanced, is the one that does.
- A workgroup *enabled for IAM Identity Center* refuses every other call whose credentials carry no
  Identity Center user (AssumeRole with an IdentityCenter context gives such *identity-enhanced*
  credentials): starting a query in it, reading one of its queries' state or results, describing it.

The stack calls :meth:`WorkgroupIdentity.check` from Athena's authentication hook with the credentials that
signed each request, which is also where every Athena call is written to the stack's journal.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Request

from athena_jwt_dbapi.local.athena import TARGET_PREFIX, AthenaService
from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import IssuedCredentials
from athena_jwt_dbapi.local.journal import CallJournal

WORKGROUP_ARN = re.compile(r"arn:aws[a-z-]*:athena:([a-z0-9-]+):(\d{12}):workgroup/([A-Za-z0-9._-]{1,128})")


def _invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message, 400)


class WorkgroupIdentity:
    """Tags of ``athena``'s workgroups and the set of workgroups enabled for IAM Identity Center."""

    def __init__(self, athena: AthenaService, *, journal: CallJournal | None = None) -> None:
        self.athena = athena
        self.journal = journal
        self._lock = threading.Lock()
        self._tags: dict[str, dict[str, str]] = {}
        self._enabled: dict[str, str] = {}

    def workgroup_arn(self, name: str) -> str:
        return f"arn:aws:athena:{self.athena.region}:{self.athena.account_id}:workgroup/{name}"

    def tag_workgroup(self, name: str, tags: Mapping[str, str]) -> None:
        with self._lock:
            self._tags.setdefault(name, {}).update(tags)

    def untag_workgroup(self, name: str, keys: Iterable[str]) -> None:
        with self._lock:
            for key in keys:
                self._tags.get(name, {}).pop(key, None)

    def enable_identity_center(self, name: str, application_arn: str) -> None:
        """Make ``name`` an IAM Identity Center enabled workgroup (of that application): identities required."""
        with self._lock:
            self._enabled[name] = application_arn

    def disable_identity_center(self, name: str) -> None:
        with self._lock:
            self._enabled.pop(name, None)

    # --- AmazonAthena.ListTagsForResource ------------------------------------------------------------

    def list_tags_for_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = body.get("ResourceARN")
        if not isinstance(arn, str) or not arn:
            raise _invalid_request("ResourceARN is required.")
        match = WORKGROUP_ARN.fullmatch(arn)
        if match is None:
            raise _invalid_request(f"{arn[:200]} is not the ARN of an Athena workgroup.")
        region, account, name = match.groups()
        if region != self.athena.region or account != self.athena.account_id:
            raise _invalid_request(f"WorkGroup {name} is not found.")
        self.athena.get_work_group({"WorkGroup": name})  # InvalidRequestException for a missing workgroup
        with self._lock:
            tags = dict(self._tags.get(name, {}))
        return {"Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}

    # --- every Athena request ------------------------------------------------------------------------

    def check(self, request: Request, creds: IssuedCredentials) -> None:
        """Record the call; refuse it if it touches an Identity Center enabled workgroup without an identity."""
        target = request.headers.get("X-Amz-Target", "")
        operation = target[len(TARGET_PREFIX) :] if target.startswith(TARGET_PREFIX) else target
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except ValueError:
            return  # Athena answers SerializationException
        if not isinstance(body, dict):
            return
        if self.journal is not None:
            self.journal.record("athena", operation, body, creds.assumed_role_arn)
        if operation == "ListTagsForResource" or creds.identity is not None:
            return
        for name in self._workgroups_of(operation, body):
            with self._lock:
                enabled = name in self._enabled
            if enabled:
                raise ServiceError(
                    "AccessDeniedException",
                    f"Workgroup {name} is enabled for IAM Identity Center and requires identity-enhanced "
                    f"credentials; {creds.assumed_role_arn} carries no IAM Identity Center identity.",
                    400,
                )

    def _workgroups_of(self, operation: str, body: dict[str, Any]) -> set[str]:
        names: set[str] = set()
        if operation == "StartQueryExecution":
            names.add(str(body.get("WorkGroup") or "primary"))
        elif isinstance(body.get("WorkGroup"), str):
            names.add(body["WorkGroup"])
        ids = [body.get("QueryExecutionId"), *(body.get("QueryExecutionIds") or [])]
        for query_execution_id in ids:
            if isinstance(query_execution_id, str):
                with contextlib.suppress(ServiceError):  # Athena answers that it does not exist
                    names.add(self.athena.execution(query_execution_id).workgroup)
        return names
