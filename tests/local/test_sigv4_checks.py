"""Every check of the local SigV4 verification, each at its edge: requests really signed by botocore's
signers (header and presigned, generic and S3), then tampered with, and verified by ``verify_sigv4`` at
an explicit time — so a check that is removed or loosened lets a request through that AWS refuses, and
a test fails. The HTTP round trips through botocore clients are in ``test_sigv4_s3.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore, IssuedCredentials, Role
from athena_jwt_dbapi.local.sigv4 import (
    SIGV4_TIMESTAMP,
    Protocol,
    canonical_path,
    canonical_query_string,
    default_protocol,
    parse_authorization,
    verify_sigv4,
)

HOST = "127.0.0.1:4566"
ROLE = Role("athena-reader")
JSON_SIG = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
S3_SIG = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)


@pytest.fixture
def store() -> CredentialStore:
    return CredentialStore()


@pytest.fixture
def creds(store: CredentialStore) -> IssuedCredentials:
    return store.issue(ROLE, "tester", 3600, "local-user")


def sign(
    creds: IssuedCredentials,
    method: str = "POST",
    path: str = "/",
    query: str = "",
    *,
    service: str = "athena",
    region: str = "us-east-1",
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    signer: Callable[..., Any] = SigV4Auth,
    token: bool = True,
    context: dict[str, Any] | None = None,
    scheme: str = "http",
) -> AWSRequest:
    """A request exactly as botocore signs it for ``service`` in ``region``."""
    url = f"{scheme}://{HOST}{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    request.context.update(context or {})
    credentials = Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token if token else None)
    signer(credentials, service, region).add_auth(request)
    return request


def signed_at(request: AWSRequest) -> datetime:
    return datetime.strptime(request.context["timestamp"], SIGV4_TIMESTAMP).replace(tzinfo=timezone.utc)


def wire(
    request: AWSRequest, *, raw_uri: tuple[str, ...] = ("RAW_URI", "REQUEST_URI"), drop: tuple[str, ...] = ()
) -> Request:
    """What the server receives: the werkzeug request of the dev server, which passes the request URI as
    sent in RAW_URI and REQUEST_URI (other WSGI servers set one of them, or neither)."""
    parts = urlsplit(str(request.url))
    body = request.body if isinstance(request.body, bytes) else (request.body or "").encode()
    headers = [(name, value) for name, value in request.headers.items() if name.lower() not in drop]
    builder = EnvironBuilder(
        method=str(request.method),
        base_url=f"http://{HOST}",
        path=parts.path,
        query_string=parts.query,
        headers=headers,
        data=body,
    )
    environ = builder.get_environ()
    for name in raw_uri:
        environ[name] = parts.path + (f"?{parts.query}" if parts.query else "")
    return Request(environ)


def verify(request: AWSRequest | Request, store: CredentialStore, **kwargs: Any) -> IssuedCredentials:
    if isinstance(request, AWSRequest):
        kwargs.setdefault("now", signed_at(request))
        request = wire(request)
    kwargs.setdefault("service", "athena")
    return verify_sigv4(request, store, **kwargs)


def refused(
    request: AWSRequest | Request,
    store: CredentialStore,
    code: str,
    status: int,
    message: str | None = None,
    **kwargs: Any,
) -> ServiceError:
    with pytest.raises(ServiceError) as info:
        verify(request, store, **kwargs)
    assert (info.value.code, info.value.status) == (code, status), info.value.message
    if message is not None:
        assert info.value.message == message
    return info.value


def replace_header(request: AWSRequest, name: str, old: str, new: str) -> AWSRequest:
    value = request.headers[name]
    assert old in value
    del request.headers[name]
    request.headers[name] = value.replace(old, new)
    return request


# -- what botocore signs is accepted ------------------------------------------------------------------


def test_each_protocol_accepts_what_botocore_signs(store: CredentialStore, creds: IssuedCredentials) -> None:
    target = {"X-Amz-Target": "AmazonAthena.ListWorkGroups", "Content-Type": "application/x-amz-json-1.1"}
    assert verify(sign(creds, body=b"{}", headers=target), store) == creds
    form = b"Action=GetCallerIdentity&Version=2011-06-15"
    assert verify(sign(creds, body=form, service="sts"), store, service="sts") == creds
    s3 = sign(creds, "PUT", "/bucket/key.csv", body=b"a,b\n", service="s3", signer=S3SigV4Auth)
    assert verify(s3, store, service="s3") == creds
    listing = sign(creds, "GET", "/bucket", "list-type=2&prefix=a%2Fb", service="s3", signer=S3SigV4Auth)
    assert verify(listing, store, service="s3") == creds


def test_the_path_as_each_service_signs_it(store: CredentialStore, creds: IssuedCredentials) -> None:
    """S3 signs the path as sent; other services sign it normalised — both verify, with or without a server
    that passes the raw request URI."""
    odd = sign(creds, "GET", "/a//b/./c/../d%20e", service="athena")
    assert verify(odd, store) == creds
    key = sign(creds, "GET", "/bucket/x//y/./z%20w~", service="s3", signer=S3SigV4Auth)
    assert verify(key, store, service="s3") == creds
    plain = sign(creds, "GET", "/bucket/with%20space~tilde", service="s3", signer=S3SigV4Auth)
    assert verify_sigv4(wire(plain, raw_uri=()), store, service="s3", now=signed_at(plain)) == creds
    assert canonical_path("/a//b/./c/../d", "athena") == "/a/b/d"
    assert canonical_path("/a//b/./c/../d", "s3") == "/a//b/./c/../d"


def test_a_date_header_instead_of_x_amz_date(store: CredentialStore, creds: IssuedCredentials) -> None:
    request = sign(creds, headers={"Date": "placeholder"})  # botocore signs with the Date header then
    assert "X-Amz-Date" not in request.headers and "date" in request.headers["Authorization"]
    assert verify(request, store) == creds
    s3 = sign(creds, "GET", "/bucket/k", headers={"Date": "x"}, service="s3", signer=S3SigV4Auth)
    assert verify(s3, store, service="s3") == creds


# -- the signature covers the method, path, query, signed headers, body and secret ------------------------


@pytest.mark.parametrize(
    "tamper",
    ["method", "path", "query", "extra-query", "signed-header", "body", "secret", "signature"],
)
def test_any_change_to_what_was_signed_breaks_the_signature(
    store: CredentialStore, creds: IssuedCredentials, tamper: str
) -> None:
    headers = {"X-Amz-Target": "AmazonAthena.ListWorkGroups"}
    request = sign(creds, "POST", "/path", "a=1", body=b"{}", headers=dict(headers))
    if tamper == "method":
        request.method = "PUT"
    elif tamper == "path":
        request.url = str(request.url).replace("/path", "/other")
    elif tamper == "query":
        request.url = str(request.url).replace("a=1", "a=2")
    elif tamper == "extra-query":
        request.url = f"{request.url}&b=2"
    elif tamper == "signed-header":
        replace_header(request, "X-Amz-Target", "ListWorkGroups", "DeleteWorkGroup")
    elif tamper == "body":
        request.data = b'{"x": 1}'
    elif tamper == "secret":
        forged = IssuedCredentials(**{**creds.__dict__, "secret_access_key": "w" * 40})
        request = sign(forged, "POST", "/path", "a=1", body=b"{}", headers=dict(headers))
    elif tamper == "signature":
        signature = request.headers["Authorization"].rsplit("=", 1)[1]
        replace_header(request, "Authorization", signature, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    refused(request, store, "InvalidSignatureException", 400, JSON_SIG)


def test_a_removed_signed_header_breaks_the_signature(store: CredentialStore, creds: IssuedCredentials) -> None:
    request = sign(creds, headers={"X-Amz-Target": "AmazonAthena.ListWorkGroups"})
    refused(wire(request, drop=("x-amz-target",)), store, "InvalidSignatureException", 400, now=signed_at(request))


def test_the_signature_may_be_in_upper_case(store: CredentialStore, creds: IssuedCredentials) -> None:
    request = sign(creds)
    signature = request.headers["Authorization"].rsplit("=", 1)[1]
    replace_header(request, "Authorization", signature, signature.upper())
    assert verify(request, store) == creds


class _HostlessSigner(SigV4Auth):
    """botocore's signer, minus the host header (botocore always signs it)."""

    def headers_to_sign(self, request: AWSRequest) -> Any:
        headers = super().headers_to_sign(request)
        del headers["host"]
        return headers


def test_the_host_must_be_signed(store: CredentialStore, creds: IssuedCredentials) -> None:
    """A signature that does not cover the host could be replayed against another endpoint."""
    request = sign(creds, signer=_HostlessSigner)
    assert "host" not in request.headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    refused(request, store, "InvalidSignatureException", 400, JSON_SIG)


# -- the credential scope: date, region, service ----------------------------------------------------------


def test_the_region_must_be_the_endpoints(store: CredentialStore, creds: IssuedCredentials) -> None:
    elsewhere = sign(creds, region="eu-west-1")
    refused(
        elsewhere,
        store,
        "InvalidSignatureException",
        400,
        "Credential should be scoped to a valid region. ",
        region="us-east-1",
    )
    assert verify(sign(creds), store, region="us-east-1") == creds
    assert verify(elsewhere, store) == creds, "region=None: the stack answers for every region"
    s3 = sign(creds, "GET", "/bucket/k", service="s3", region="eu-west-1", signer=S3SigV4Auth)
    refused(
        s3,
        store,
        "AuthorizationHeaderMalformed",
        400,
        "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'",
        service="s3",
        region="us-east-1",
    )
    sts = sign(creds, service="sts", region="eu-west-1")
    refused(
        sts,
        store,
        "SignatureDoesNotMatch",
        403,
        "Credential should be scoped to a valid region. ",
        service="sts",
        region="us-east-1",
    )


def test_the_service_must_be_the_endpoints(store: CredentialStore, creds: IssuedCredentials) -> None:
    glue = sign(creds, service="glue")
    refused(glue, store, "InvalidSignatureException", 400, "Credential should be scoped to correct service: 'athena'. ")
    athena = sign(creds, "GET", "/bucket/k", service="athena")
    refused(
        athena,
        store,
        "AuthorizationHeaderMalformed",
        400,
        "The authorization header is malformed; incorrect service 'athena'. This endpoint belongs to 's3'.",
        service="s3",
    )


def test_the_scope_date_must_be_the_request_date(store: CredentialStore, creds: IssuedCredentials) -> None:
    request = sign(creds)
    stamp = request.context["timestamp"]
    day = stamp[:8]
    other = (signed_at(request) - timedelta(days=1)).strftime("%Y%m%d")
    replace_header(request, "Authorization", f"/{day}/", f"/{other}/")
    refused(
        request,
        store,
        "InvalidSignatureException",
        400,
        f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        f"'{other}' != '{day}', from '{stamp}'.",
    )


# -- time: fifteen minutes of skew either way; presigned URLs live X-Amz-Expires --------------------------


def test_a_signature_lives_fifteen_minutes_either_way(store: CredentialStore, creds: IssuedCredentials) -> None:
    request = sign(creds)
    at = signed_at(request)
    stamp = request.context["timestamp"]
    for offset in (timedelta(minutes=-15), timedelta(0), timedelta(minutes=15)):
        assert verify(request, store, now=at + offset) == creds
    late = at + timedelta(minutes=15, seconds=1)
    refused(
        request,
        store,
        "InvalidSignatureException",
        400,
        f"Signature expired: {stamp} is now earlier than {(late - timedelta(minutes=15)).strftime(SIGV4_TIMESTAMP)} "
        f"({late.strftime(SIGV4_TIMESTAMP)} - 15 min.)",
        now=late,
    )
    early = at - timedelta(minutes=15, seconds=1)
    refused(
        request,
        store,
        "InvalidSignatureException",
        400,
        f"Signature not yet current: {stamp} is still later than "
        f"{(early + timedelta(minutes=15)).strftime(SIGV4_TIMESTAMP)} ({early.strftime(SIGV4_TIMESTAMP)} + 15 min.)",
        now=early,
    )
    s3 = sign(creds, "GET", "/bucket/k", service="s3", signer=S3SigV4Auth)
    for now in (signed_at(s3) + timedelta(minutes=16), signed_at(s3) - timedelta(minutes=16)):
        refused(s3, store, "RequestTimeTooSkewed", 403, service="s3", now=now)


def test_without_an_explicit_time_the_store_clock_judges(creds: IssuedCredentials) -> None:
    request = sign(creds)
    at = signed_at(request)
    clocked = CredentialStore(clock=lambda: at + timedelta(minutes=20))
    issued = clocked.issue(ROLE, "tester", 3600, "local-user", now=at - timedelta(minutes=1))
    request = sign(issued)
    with pytest.raises(ServiceError) as info:
        verify_sigv4(wire(request), clocked, service="athena")
    assert info.value.message.startswith("Signature expired: ")
    in_time = CredentialStore(clock=lambda: signed_at(request) + timedelta(minutes=1))
    fresh = in_time.issue(ROLE, "tester", 3600, "local-user", now=at - timedelta(minutes=1))
    request = sign(fresh)
    assert verify_sigv4(wire(request), in_time, service="athena") == fresh


def test_credentials_expire_at_their_expiration(store: CredentialStore) -> None:
    soon = store.issue(ROLE, "tester", 3600, "local-user", now=datetime.now(timezone.utc) - timedelta(seconds=3590))
    request = sign(soon)
    assert verify(request, store, now=soon.expiration - timedelta(microseconds=1)) == soon
    refused(
        request,
        store,
        "ExpiredTokenException",
        400,
        "The security token included in the request is expired",
        now=soon.expiration,
    )
    s3 = sign(soon, "GET", "/bucket/k", service="s3", signer=S3SigV4Auth)
    refused(s3, store, "ExpiredToken", 400, "The provided token has expired.", service="s3", now=soon.expiration)
    sts = sign(soon, service="sts")
    refused(sts, store, "ExpiredToken", 403, service="sts", now=soon.expiration)


def _presign(creds: IssuedCredentials, expires: int, *, service: str = "s3", path: str = "/bucket/k") -> AWSRequest:
    signer = S3SigV4QueryAuth if service == "s3" else SigV4QueryAuth
    return sign(creds, "GET", path, service=service, signer=lambda c, s, r: signer(c, s, r, expires=expires), body=b"")


def test_a_presigned_url_lives_its_x_amz_expires(store: CredentialStore, creds: IssuedCredentials) -> None:
    url = _presign(creds, 60)
    at = signed_at(url)
    assert verify(url, store, service="s3", now=at + timedelta(seconds=60)) == creds
    refused(url, store, "AccessDenied", 403, "Request has expired", service="s3", now=at + timedelta(seconds=61))
    refused(url, store, "RequestTimeTooSkewed", 403, service="s3", now=at - timedelta(minutes=15, seconds=1))
    athena = _presign(creds, 60, service="athena", path="/")
    at = signed_at(athena)
    assert verify(athena, store, now=at + timedelta(seconds=60)) == creds
    refused(
        athena,
        store,
        "InvalidSignatureException",
        400,
        f"Signature expired: {athena.context['timestamp']} is now earlier than "
        f"{(at + timedelta(seconds=60)).strftime(SIGV4_TIMESTAMP)}",
        now=at + timedelta(seconds=61),
    )


def test_a_presigned_url_may_live_a_week_and_no_more(store: CredentialStore, creds: IssuedCredentials) -> None:
    week = _presign(creds, 604800)
    assert verify(week, store, service="s3", now=signed_at(week) + timedelta(minutes=30)) == creds
    message = "X-Amz-Expires must be less than a week (in seconds) that is 604800"
    for expires in ("604801", "0", "-1"):
        url = _presign(creds, 60)
        url.url = str(url.url).replace("X-Amz-Expires=60", f"X-Amz-Expires={expires}")
        refused(url, store, "AuthorizationQueryParametersError", 400, message, service="s3")
        refused(url, store, "IncompleteSignatureException", 400, message)


def test_a_presigned_url_must_carry_every_parameter(store: CredentialStore, creds: IssuedCredentials) -> None:
    for name in ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"):
        url = _presign(creds, 60)
        parts = urlsplit(str(url.url))
        kept = "&".join(p for p in parts.query.split("&") if not p.startswith(name + "="))
        url.url = f"{parts.scheme}://{parts.netloc}{parts.path}?{kept}"
        error = refused(url, store, "AuthorizationQueryParametersError", 400, service="s3")
        assert error.message.startswith("Query-string authentication version 4 requires the X-Amz-Algorithm")


def test_a_presigned_url_with_a_malformed_date_or_expiry(store: CredentialStore, creds: IssuedCredentials) -> None:
    url = _presign(creds, 60)
    url.url = str(url.url).replace("X-Amz-Expires=60", "X-Amz-Expires=sixty")
    refused(url, store, "AuthorizationHeaderMalformed", 400, "X-Amz-Date or X-Amz-Expires is malformed.", service="s3")


def test_a_presigned_url_signature_covers_its_query(store: CredentialStore, creds: IssuedCredentials) -> None:
    url = _presign(creds, 60, path="/bucket/k")
    url.url = str(url.url).replace("/bucket/k", "/bucket/other")
    refused(url, store, "SignatureDoesNotMatch", 403, S3_SIG, service="s3")
    url = _presign(creds, 60)
    url.url = str(url.url) + "&response-content-type=text%2Fhtml"
    refused(url, store, "SignatureDoesNotMatch", 403, S3_SIG, service="s3")


# -- the key, the session token ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("protocol", "service", "unknown", "bad_token", "no_token"),
    [
        (
            "json",
            "athena",
            ("UnrecognizedClientException", 400),
            ("UnrecognizedClientException", 400),
            ("UnrecognizedClientException", 400),
        ),
        ("query", "sts", ("InvalidClientTokenId", 403), ("InvalidClientTokenId", 403), ("InvalidClientTokenId", 403)),
        ("rest-xml", "s3", ("InvalidAccessKeyId", 403), ("InvalidToken", 400), ("InvalidAccessKeyId", 403)),
    ],
)
def test_the_key_and_its_session_token(
    store: CredentialStore,
    creds: IssuedCredentials,
    protocol: Protocol,
    service: str,
    unknown: tuple[str, int],
    bad_token: tuple[str, int],
    no_token: tuple[str, int],
) -> None:
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    stranger = IssuedCredentials(**{**creds.__dict__, "access_key_id": "ASIAUNKNOWNUNKNOWN00"})
    refused(sign(stranger, service=service, signer=signer), store, *unknown, service=service)
    wrong = IssuedCredentials(**{**creds.__dict__, "session_token": creds.session_token[:-4] + "AAAA"})
    refused(sign(wrong, service=service, signer=signer), store, *bad_token, service=service)
    refused(sign(creds, service=service, signer=signer, token=False), store, *no_token, service=service)
    assert default_protocol(service) == protocol


def test_iam_speaks_the_query_protocol(store: CredentialStore) -> None:
    refused(
        wire(AWSRequest(method="GET", url=f"http://{HOST}/")), store, "MissingAuthenticationToken", 403, service="iam"
    )


@pytest.mark.parametrize(
    ("service", "code", "status", "message"),
    [
        ("athena", "MissingAuthenticationTokenException", 400, "Missing Authentication Token"),
        ("sts", "MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
        ("s3", "AccessDenied", 403, "Access Denied"),
    ],
)
def test_an_unsigned_request(store: CredentialStore, service: str, code: str, status: int, message: str) -> None:
    unsigned = AWSRequest(method="GET", url=f"http://{HOST}/bucket/k?X-Amz-Date=20300101T000000Z")
    refused(wire(unsigned), store, code, status, message, service=service)


# -- the payload --------------------------------------------------------------------------------------------


def test_a_declared_payload_hash_must_match_the_body(store: CredentialStore, creds: IssuedCredentials) -> None:
    s3 = sign(creds, "PUT", "/bucket/k", body=b"original", service="s3", signer=S3SigV4Auth)
    s3.data = b"tampered"
    refused(
        s3,
        store,
        "XAmzContentSHA256Mismatch",
        400,
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        service="s3",
    )
    declared = sign(creds, body=b"original", headers={"X-Amz-Content-SHA256": "0" * 64})
    refused(declared, store, "InvalidSignatureException", 400, JSON_SIG)


def test_s3_needs_a_declared_payload_and_accepts_its_special_values(
    store: CredentialStore, creds: IssuedCredentials
) -> None:
    generic = sign(creds, "GET", "/bucket/k", service="s3")  # the generic signer declares no payload hash
    refused(
        generic,
        store,
        "InvalidRequest",
        400,
        "Missing required header for this request: x-amz-content-sha256",
        service="s3",
    )
    unsigned = sign(
        creds,
        "PUT",
        "/bucket/k",
        body=b"streamed",
        service="s3",
        signer=S3SigV4Auth,
        scheme="https",
        context={"client_config": Config(s3={"payload_signing_enabled": False})},
    )
    assert unsigned.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    unsigned.data = b"any body at all"
    assert verify(unsigned, store, service="s3") == creds
    odd = sign(creds, "PUT", "/bucket/k", body=b"x", service="s3", headers={"X-Amz-Content-SHA256": "MD5-PAYLOAD"})
    refused(odd, store, "InvalidArgument", 400, service="s3")
    generic_special = sign(creds, body=b"x", headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    refused(generic_special, store, "InvalidSignatureException", 400, JSON_SIG)


def test_only_s3_accepts_an_unsigned_payload(store: CredentialStore, creds: IssuedCredentials) -> None:
    """botocore signs UNSIGNED-PAYLOAD for any service when payload signing is off over https; only S3 takes it
    (every other AWS service signs its body)."""
    unsigned = sign(creds, body=b"{}", scheme="https", context={"payload_signing_enabled": False})
    assert unsigned.headers["X-Amz-Content-SHA256"] == "UNSIGNED-PAYLOAD"
    refused(unsigned, store, "InvalidSignatureException", 400, JSON_SIG)
    s3 = sign(
        creds, "PUT", "/bucket/k", body=b"{}", service="s3", scheme="https", context={"payload_signing_enabled": False}
    )
    assert verify(s3, store, service="s3") == creds


def test_s3_refuses_unsigned_amz_headers(store: CredentialStore, creds: IssuedCredentials) -> None:
    request = sign(creds, "PUT", "/bucket/k", body=b"v", service="s3", signer=S3SigV4Auth)
    request.headers["x-amz-meta-sneaky"] = "1"
    refused(
        request,
        store,
        "AccessDenied",
        403,
        "There were headers present in the request which were not signed",
        service="s3",
    )
    signed_meta = sign(
        creds, "PUT", "/bucket/k", body=b"v", service="s3", signer=S3SigV4Auth, headers={"x-amz-meta-ok": "1"}
    )
    assert verify(signed_meta, store, service="s3") == creds
    other = sign(creds, body=b"{}")
    other.headers["x-amz-meta-ignored"] = "1"  # only S3 insists; Athena's signature just does not cover it
    assert verify(other, store) == creds


# -- the Authorization header ----------------------------------------------------------------------------


def _with_authorization(request: AWSRequest, value: str) -> AWSRequest:
    del request.headers["Authorization"]
    request.headers["Authorization"] = value
    return request


@pytest.mark.parametrize(
    ("protocol", "code", "status", "message"),
    [
        ("json", "IncompleteSignatureException", 400, "Unsupported authorization algorithm: 'AWS4-HMAC-SHA1'"),
        ("query", "IncompleteSignature", 400, "Unsupported authorization algorithm: 'AWS4-HMAC-SHA1'"),
        ("rest-xml", "InvalidArgument", 400, "Unsupported Authorization Type"),
    ],
)
def test_only_aws4_hmac_sha256(
    store: CredentialStore, creds: IssuedCredentials, protocol: Protocol, code: str, status: int, message: str
) -> None:
    request = sign(creds)
    header = request.headers["Authorization"]
    _with_authorization(request, header.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1"))
    refused(request, store, code, status, message, protocol=protocol)


def test_each_part_of_the_authorization_header_is_required(store: CredentialStore, creds: IssuedCredentials) -> None:
    header = sign(creds).headers["Authorization"]
    algorithm, rest = header.split(" ", 1)
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    for missing in ("Credential", "SignedHeaders", "Signature"):
        kept = ", ".join(f"{k}={v}" for k, v in parts.items() if k != missing)
        request = _with_authorization(sign(creds), f"{algorithm} {kept}")
        refused(
            request,
            store,
            "IncompleteSignatureException",
            400,
            f"Authorization header requires '{missing}' parameter. Authorization=AWS4-HMAC-SHA256 ...",
        )
        refused(
            request,
            store,
            "AuthorizationHeaderMalformed",
            400,
            f"The authorization header is malformed; missing {missing}",
            protocol="rest-xml",
        )
    empty = _with_authorization(sign(creds), f"{algorithm} Credential=, SignedHeaders=host, Signature=00")
    refused(
        empty,
        store,
        "IncompleteSignatureException",
        400,
        "Authorization header requires 'Credential' parameter. Authorization=AWS4-HMAC-SHA256 ...",
    )


@pytest.mark.parametrize(
    "credential",
    [
        "{key}/{day}/us-east-1/athena",
        "{key}/{day}/us-east-1/athena/aws4_request/extra",
        "{key}/{day}/us-east-1/athena/aws5_request",
        "{key}//us-east-1/athena/aws4_request",
    ],
    ids=["four-parts", "six-parts", "not-aws4-request", "empty-part"],
)
def test_a_malformed_credential_scope(store: CredentialStore, creds: IssuedCredentials, credential: str) -> None:
    request = sign(creds)
    header = request.headers["Authorization"]
    scope = header.split("Credential=")[1].split(",")[0]
    wanted = credential.format(key=creds.access_key_id, day=request.context["timestamp"][:8])
    _with_authorization(request, header.replace(scope, wanted))
    error = refused(request, store, "IncompleteSignatureException", 400)
    assert error.message.startswith("The authorization header is malformed; the Credential is mal-formed; ")


def test_parse_authorization_tolerates_spacing() -> None:
    parsed = parse_authorization(
        "  AWS4-HMAC-SHA256 Credential = AKID/20300101/eu-west-1/athena/aws4_request ,SignedHeaders=host;x-amz-date,"
        "  Signature=ABCDEF, Junk  ",
        "json",
    )
    assert (parsed.access_key_id, parsed.date, parsed.region, parsed.service) == (
        "AKID",
        "20300101",
        "eu-west-1",
        "athena",
    )
    assert parsed.signed_headers == ("host", "x-amz-date") and parsed.signature == "abcdef"


@pytest.mark.parametrize(
    ("protocol", "code", "status", "message"),
    [
        (
            "json",
            "IncompleteSignatureException",
            400,
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ),
        ("rest-xml", "AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header"),
    ],
)
def test_a_request_needs_a_valid_date(
    store: CredentialStore, creds: IssuedCredentials, protocol: Protocol, code: str, status: int, message: str
) -> None:
    request = sign(creds)
    refused(
        wire(request, drop=("x-amz-date",)), store, code, status, message, protocol=protocol, now=signed_at(request)
    )
    replace_header(request, "X-Amz-Date", request.context["timestamp"], "yesterday")
    refused(request, store, code, status, message, protocol=protocol)
    dated = sign(creds, headers={"Date": "x"})
    replace_header(dated, "Date", dated.headers["Date"], "not a date")
    refused(dated, store, code, status, message, protocol=protocol)


# -- the request URI as sent -------------------------------------------------------------------------------


@pytest.mark.parametrize("passed", [("RAW_URI",), ("REQUEST_URI",), ("RAW_URI", "REQUEST_URI")])
def test_the_path_is_taken_as_sent_from_either_request_uri_variable(
    store: CredentialStore, creds: IssuedCredentials, passed: tuple[str, ...]
) -> None:
    """A key with an encoded slash: S3 signs the path as sent, which the decoded PATH_INFO no longer shows."""
    request = sign(creds, "GET", "/bucket/a%2Fb", service="s3", signer=S3SigV4Auth)
    assert verify_sigv4(wire(request, raw_uri=passed), store, service="s3", now=signed_at(request)) == creds


def test_the_signature_parameter_may_be_anywhere_in_a_presigned_query(
    store: CredentialStore, creds: IssuedCredentials
) -> None:
    url = _presign(creds, 60)
    parts = urlsplit(str(url.url))
    params = parts.query.split("&")
    signature = next(p for p in params if p.startswith("X-Amz-Signature="))
    reordered = [signature] + [p for p in params if p != signature]
    url.url = f"{parts.scheme}://{parts.netloc}{parts.path}?{'&'.join(reordered)}"
    assert verify(url, store, service="s3") == creds


def test_the_canonical_query_skips_empty_items_and_excluded_names() -> None:
    assert canonical_query_string("b=2&&a=1&") == "a=1&b=2"
    assert canonical_query_string("X-Amz-Signature=s&b=2", exclude=frozenset({"X-Amz-Signature"})) == "b=2"


def test_a_presigned_url_for_a_json_service(store: CredentialStore, creds: IssuedCredentials) -> None:
    url = _presign(creds, 60, service="athena", path="/")
    url.url = str(url.url).replace("X-Amz-SignedHeaders=", "X-Amz-Ignored=")
    error = refused(url, store, "IncompleteSignatureException", 400)
    assert error.message.startswith("Query-string authentication version 4 requires the X-Amz-Algorithm")
    url = _presign(creds, 60, service="athena", path="/")
    url.url = str(url.url).replace("X-Amz-Date=", "X-Amz-Date=19")
    refused(url, store, "IncompleteSignatureException", 400, "X-Amz-Date or X-Amz-Expires is malformed.")


def test_the_verifier_is_called_by_parameter_names(store: CredentialStore, creds: IssuedCredentials) -> None:
    request = sign(creds)
    verified = verify_sigv4(
        request=wire(request),
        store=store,
        service="athena",
        now=signed_at(request),
        protocol="json",
        region="us-east-1",
    )
    assert verified == creds
    assert canonical_query_string(query="b=2&a=1", exclude=frozenset({"b"})) == "a=1"
