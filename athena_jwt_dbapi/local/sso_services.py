"""The two IAM Identity Center endpoints over HTTP: sso-oidc (CreateTokenWithIAM) and sso-admin (tags).

- **sso-oidc** speaks rest-json: ``POST /token?aws_iam=t`` with a JSON body, SigV4-signed for the signing
  name ``sso-oauth``; errors carry AWS's code in ``x-amzn-ErrorType`` and OAuth's ``error`` /
  ``error_description`` in the body.
- **sso-admin** speaks JSON 1.1: ``POST /`` with ``X-Amz-Target: SWBExternalService.ListTagsForResource``,
  SigV4-signed for the signing name ``sso``.

Both accept only requests signed with credentials the local STS issued and that have not expired, and record
each call in the stack's :class:`~athena_jwt_dbapi.local.journal.CallJournal`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.wrappers import Request, Response

from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore
from athena_jwt_dbapi.local.identity_center import APPLICATION_ARN, IdentityCenter
from athena_jwt_dbapi.local.journal import CallJournal
from athena_jwt_dbapi.local.sigv4 import verify_sigv4

SSO_ADMIN_TARGET_PREFIX = "SWBExternalService."
JSON_11 = "application/x-amz-json-1.1"


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ServiceError("SerializationException", "Malformed JSON body", 400) from None
    if not isinstance(body, dict):
        raise ServiceError("SerializationException", "Request body must be a JSON object", 400)
    return body


class _JsonService:
    """A WSGI app that answers JSON, renders :class:`ServiceError` and never leaks internals."""

    content_type = "application/json"

    def __init__(self, center: IdentityCenter, store: CredentialStore, *, region: str) -> None:
        self.center = center
        self.store = store
        self.region = region
        self.journal: CallJournal | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request_id = str(uuid.uuid4())
        try:
            payload, status = self.handle(request), 200
            response = Response(json.dumps(payload), status=status, content_type=self.content_type)
        except ServiceError as error:
            response = Response(json.dumps(self.error_body(error)), status=error.status, content_type=self.content_type)
            response.headers["x-amzn-ErrorType"] = error.code
        except Exception:  # never leak internals (or secrets) to the client
            response = Response(
                json.dumps({"__type": "InternalServerException", "message": "Internal error"}),
                status=500,
                content_type=self.content_type,
            )
            response.headers["x-amzn-ErrorType"] = "InternalServerException"
        response.headers["x-amzn-RequestId"] = request_id
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def handle(self, request: Request) -> dict[str, Any]:
        raise NotImplementedError

    def error_body(self, error: ServiceError) -> dict[str, Any]:
        return {"__type": error.code, "message": error.message}

    def record(self, operation: str, body: dict[str, Any], signed_by: str) -> None:
        if self.journal is not None:
            self.journal.record(self.service, operation, body, signed_by)

    service = ""


class SsoOidcService(_JsonService):
    """sso-oidc: CreateTokenWithIAM (the JWT-bearer grant) for the applications of ``center``."""

    service = "sso-oidc"

    def handle(self, request: Request) -> dict[str, Any]:
        if request.method != "POST" or request.path.rstrip("/") != "/token" or request.args.get("aws_iam") != "t":
            raise ServiceError("UnknownOperationException", "The local sso-oidc serves POST /token?aws_iam=t", 404)
        caller = verify_sigv4(request, self.store, service="sso-oauth", protocol="json", region=self.region)
        body = _body(request)
        self.record("CreateTokenWithIAM", body, caller.assumed_role_arn)
        return self.center.create_token_with_iam(body, caller)

    def error_body(self, error: ServiceError) -> dict[str, Any]:
        oauth = getattr(error, "oauth_error", None)
        if oauth is None:
            return super().error_body(error)
        return {"error": oauth, "error_description": error.message}


class SsoAdminService(_JsonService):
    """sso-admin: ListTagsForResource on the applications of ``center``."""

    service = "sso-admin"
    content_type = JSON_11

    def handle(self, request: Request) -> dict[str, Any]:
        target = request.headers.get("X-Amz-Target", "")
        operation = target[len(SSO_ADMIN_TARGET_PREFIX) :] if target.startswith(SSO_ADMIN_TARGET_PREFIX) else ""
        if request.method != "POST":
            raise ServiceError("UnknownOperationException", "Only POST is supported", 404)
        caller = verify_sigv4(request, self.store, service="sso", protocol="json", region=self.region)
        body = _body(request)
        self.record(operation or target, body, caller.assumed_role_arn)
        if operation != "ListTagsForResource":
            raise ServiceError("UnknownOperationException", f"The local sso-admin does not serve {target!r}", 400)
        return self.list_tags_for_resource(body)

    def list_tags_for_resource(self, body: dict[str, Any]) -> dict[str, Any]:
        arn = body.get("ResourceArn")
        if not isinstance(arn, str) or not APPLICATION_ARN.fullmatch(arn):
            raise ServiceError(
                "ValidationException",
                "1 validation error detected: Value at 'resourceArn' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern of an application ARN",
                400,
            )
        instance = body.get("InstanceArn")
        tags = self.center.tags_of(arn)
        if tags is None or (instance is not None and instance != self.center.instance_arn):
            raise ServiceError("ResourceNotFoundException", f"Application {arn} not found.", 400)
        return {"Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}

    def error_body(self, error: ServiceError) -> dict[str, Any]:
        return {"__type": error.code, "Message": error.message}
