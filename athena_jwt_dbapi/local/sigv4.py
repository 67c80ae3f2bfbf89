"""Server-side AWS Signature Version 4 verification against the local credential store.

The driver under test signs with botocore, so the verifier recomputes the signature with botocore's
own SigV4 primitives (canonical headers, string to sign, key derivation) and only supplies what a
server must take from the wire: the path exactly as sent, the query string and the signed headers.
Errors use each protocol's real codes, because drivers branch on them (e.g. refresh on expiry).
Nothing here ever puts a secret key or a session token into a message or a log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Literal, NamedTuple
from urllib.parse import quote, unquote, urlsplit

from botocore.auth import EMPTY_SHA256_HASH, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.utils import normalize_url_path
from werkzeug.wrappers import Request

from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore, IssuedCredentials

Protocol = Literal["json", "query", "rest-xml"]

ALGORITHM = "AWS4-HMAC-SHA256"
SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
#: How far x-amz-date may be from the server clock, as AWS enforces.
MAX_CLOCK_SKEW = timedelta(minutes=15)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_S3_SPECIAL_PAYLOADS = frozenset(
    {
        "UNSIGNED-PAYLOAD",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD",
        "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER",
    }
)

_JSON_SIG_MSG = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_S3_SIG_MSG = (
    "The request signature we calculated does not match the signature you provided. Check your key and signing method."
)
_INVALID_TOKEN_MSG = "The security token included in the request is invalid."
_EXPIRED_TOKEN_MSG = "The security token included in the request is expired"


class _Err(NamedTuple):
    code: str
    status: int
    message: str | None  # None: the caller supplies a situation-specific message


# Failure kind -> how each protocol reports it.
_ERRORS: dict[Protocol, dict[str, _Err]] = {
    "json": {
        "missing": _Err("MissingAuthenticationTokenException", 400, "Missing Authentication Token"),
        "malformed": _Err("IncompleteSignatureException", 400, None),
        "scope": _Err("InvalidSignatureException", 400, None),
        "unknown_key": _Err("UnrecognizedClientException", 400, _INVALID_TOKEN_MSG),
        "bad_token": _Err("UnrecognizedClientException", 400, _INVALID_TOKEN_MSG),
        "expired": _Err("ExpiredTokenException", 400, _EXPIRED_TOKEN_MSG),
        "signature": _Err("InvalidSignatureException", 400, _JSON_SIG_MSG),
        "skew": _Err("InvalidSignatureException", 400, None),
        "payload": _Err("InvalidSignatureException", 400, _JSON_SIG_MSG),
    },
    # STS and the other query-protocol services drop the "Exception" suffix and answer 403.
    "query": {
        "missing": _Err("MissingAuthenticationToken", 403, "Request is missing Authentication Token"),
        "malformed": _Err("IncompleteSignature", 400, None),
        "scope": _Err("SignatureDoesNotMatch", 403, None),
        "unknown_key": _Err("InvalidClientTokenId", 403, _INVALID_TOKEN_MSG),
        "bad_token": _Err("InvalidClientTokenId", 403, _INVALID_TOKEN_MSG),
        "expired": _Err("ExpiredToken", 403, _EXPIRED_TOKEN_MSG),
        "signature": _Err("SignatureDoesNotMatch", 403, _JSON_SIG_MSG),
        "skew": _Err("SignatureDoesNotMatch", 403, None),
        "payload": _Err("SignatureDoesNotMatch", 403, _JSON_SIG_MSG),
    },
    "rest-xml": {
        "missing": _Err("AccessDenied", 403, "Access Denied"),
        "malformed": _Err("AuthorizationHeaderMalformed", 400, None),
        "scope": _Err("AuthorizationHeaderMalformed", 400, None),
        "unknown_key": _Err(
            "InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."
        ),
        "bad_token": _Err("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
        "expired": _Err("ExpiredToken", 400, "The provided token has expired."),
        "signature": _Err("SignatureDoesNotMatch", 403, _S3_SIG_MSG),
        "skew": _Err(
            "RequestTimeTooSkewed",
            403,
            "The difference between the request time and the current time is too large.",
        ),
        "payload": _Err(
            "XAmzContentSHA256Mismatch",
            400,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        ),
    },
}


def default_protocol(service: str) -> Protocol:
    if service == "s3":
        return "rest-xml"
    if service in ("sts", "iam"):
        return "query"
    return "json"


def _fail(protocol: Protocol, kind: str, message: str | None = None) -> ServiceError:
    err = _ERRORS[protocol][kind]
    return ServiceError(err.code, err.message or message or err.code, err.status)


@dataclass(frozen=True)
class ParsedAuthorization:
    access_key_id: str
    date: str
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(header: str, protocol: Protocol) -> ParsedAuthorization:
    """Split ``AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``."""
    algorithm, _, rest = header.strip().partition(" ")
    if algorithm != ALGORITHM:
        if protocol == "rest-xml":
            raise ServiceError("InvalidArgument", "Unsupported Authorization Type", 400)
        raise _fail(protocol, "malformed", f"Unsupported authorization algorithm: {algorithm[:32]!r}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key.strip()] = value.strip()
    missing = [name for name in ("Credential", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        if protocol == "rest-xml":
            detail = "The authorization header is malformed; missing " + ", ".join(missing)
            raise _fail(protocol, "malformed", detail)
        raise _fail(
            protocol,
            "malformed",
            " ".join(f"Authorization header requires '{name}' parameter." for name in missing)
            + f" Authorization={ALGORITHM} ...",
        )
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request" or not all(scope):
        raise _fail(
            protocol,
            "malformed",
            "The authorization header is malformed; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        )
    return ParsedAuthorization(
        access_key_id=scope[0],
        date=scope[1],
        region=scope[2],
        service=scope[3],
        signed_headers=tuple(fields["SignedHeaders"].split(";")),
        signature=fields["Signature"].lower(),
    )


def _raw_path_and_query(request: Request) -> tuple[str, str]:
    """The path and query exactly as the client sent them (WSGI's PATH_INFO is already decoded)."""
    query = str(request.environ.get("QUERY_STRING", ""))  # WSGI passes the query undecoded
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw:
        return urlsplit(raw).path or "/", query
    return quote(request.path, safe="/~"), query


def _query_pairs(query: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if item:
            key, _, value = item.partition("=")
            pairs.append((unquote(key), unquote(value)))
    return pairs


def canonical_query_string(query: str, *, exclude: frozenset[str] = frozenset()) -> str:
    """AWS decodes each name/value and re-encodes it RFC 3986-style before sorting."""
    encoded: list[str] = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        if unquote(key) in exclude:
            continue
        encoded.append(f"{quote(unquote(key), safe='-_.~')}={quote(unquote(value), safe='-_.~')}")
    # With no params, botocore canonicalizes (sorts) the already-encoded query of the URL.
    holder = AWSRequest(method="GET", url="http://localhost/?" + "&".join(encoded))
    result: str = SigV4Auth(Credentials("", ""), "", "").canonical_query_string(holder)
    return result


def canonical_path(raw_path: str, service: str) -> str:
    """S3 signs the path as sent; every other service normalizes it and encodes it once more."""
    if service == "s3":
        return raw_path
    return quote(normalize_url_path(raw_path), safe="/~")


def _request_timestamp(request: Request, protocol: Protocol) -> tuple[str, datetime]:
    amz_date = request.headers.get("X-Amz-Date")
    try:
        if amz_date:
            when = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=timezone.utc)
            return amz_date, when
        http_date = request.headers.get("Date")
        if http_date:
            when = parsedate_to_datetime(http_date).astimezone(timezone.utc)
            return when.strftime(SIGV4_TIMESTAMP), when
    except (ValueError, TypeError):
        pass
    if protocol == "rest-xml":
        raise ServiceError("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header", 403)
    raise _fail(
        protocol,
        "malformed",
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    )


def _payload_hash(request: Request, service: str, protocol: Protocol, *, presigned: bool) -> str:
    declared = request.headers.get("X-Amz-Content-SHA256")
    body = request.get_data(cache=True)
    actual = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256_HASH
    if declared is None and presigned and service == "s3":
        return "UNSIGNED-PAYLOAD"  # S3 presigned URLs never sign the body
    if declared is None:
        if service == "s3":
            raise ServiceError("InvalidRequest", "Missing required header for this request: x-amz-content-sha256", 400)
        return actual
    if _HEX64.match(declared):
        if not hmac.compare_digest(declared, actual):
            raise _fail(protocol, "payload")
        return declared
    if service == "s3" and declared in _S3_SPECIAL_PAYLOADS:
        return declared
    if service == "s3":
        raise ServiceError(
            "InvalidArgument",
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, "
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD, or a valid sha256 value.",
            400,
        )
    raise _fail(protocol, "signature")


_PRESIGN_PARAMS = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
#: AWS caps presigned URL validity at seven days.
MAX_PRESIGN_EXPIRES = 604800


@dataclass(frozen=True)
class SignedRequest:
    """What a request claims about its signing, from the Authorization header or a presigned query."""

    auth: ParsedAuthorization
    timestamp: str
    signed_at: datetime
    token: str | None
    presign_expires: int | None = None

    @property
    def presigned(self) -> bool:
        return self.presign_expires is not None


def _from_header(request: Request, header: str, protocol: Protocol) -> SignedRequest:
    auth = parse_authorization(header, protocol)
    timestamp, signed_at = _request_timestamp(request, protocol)
    return SignedRequest(auth, timestamp, signed_at, request.headers.get("X-Amz-Security-Token"))


def _from_query(request: Request, protocol: Protocol) -> SignedRequest:
    params = dict(_query_pairs(_raw_path_and_query(request)[1]))
    if any(not params.get(name) for name in _PRESIGN_PARAMS):
        message = (
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
            "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
        )
        if protocol == "rest-xml":
            raise ServiceError("AuthorizationQueryParametersError", message, 400)
        raise _fail(protocol, "malformed", message)
    header = (
        f"{params['X-Amz-Algorithm']} Credential={params['X-Amz-Credential']}, "
        f"SignedHeaders={params['X-Amz-SignedHeaders']}, Signature={params['X-Amz-Signature']}"
    )
    auth = parse_authorization(header, protocol)
    try:
        when = datetime.strptime(params["X-Amz-Date"], SIGV4_TIMESTAMP).replace(tzinfo=timezone.utc)
        expires = int(params["X-Amz-Expires"])
    except ValueError:
        raise _fail(protocol, "malformed", "X-Amz-Date or X-Amz-Expires is malformed.") from None
    if not 0 < expires <= MAX_PRESIGN_EXPIRES:
        message = f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_PRESIGN_EXPIRES}"
        if protocol == "rest-xml":
            raise ServiceError("AuthorizationQueryParametersError", message, 400)
        raise _fail(protocol, "malformed", message)
    return SignedRequest(auth, params["X-Amz-Date"], when, params.get("X-Amz-Security-Token"), expires)


def expected_signature(request: Request, signed: SignedRequest, creds: IssuedCredentials, payload_hash: str) -> str:
    """Recompute the signature with botocore's SigV4 building blocks over the wire request."""
    auth = signed.auth
    raw_path, raw_query = _raw_path_and_query(request)
    signer = SigV4Auth(
        Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token),
        auth.service,
        auth.region,
    )
    headers = HTTPHeaders()
    for name in auth.signed_headers:
        values = request.headers.getlist(name)
        for value in values or [""]:
            headers[name] = value
    exclude = frozenset({"X-Amz-Signature"}) if signed.presigned else frozenset()
    canonical_request = "\n".join(
        [
            request.method.upper(),
            canonical_path(raw_path, auth.service),
            canonical_query_string(raw_query, exclude=exclude),
            signer.canonical_headers(headers) + "\n",
            ";".join(auth.signed_headers),
            payload_hash,
        ]
    )
    holder = AWSRequest(method=request.method, url=request.url)
    holder.context["timestamp"] = signed.timestamp
    string_to_sign = signer.string_to_sign(holder, canonical_request)
    result: str = signer.signature(string_to_sign, holder)
    return result


def _check_scope(signed: SignedRequest, service: str, region: str | None, proto: Protocol) -> None:
    auth, timestamp = signed.auth, signed.timestamp
    if auth.date != timestamp[:8]:
        raise _fail(
            proto,
            "scope",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{auth.date}' != '{timestamp[:8]}', from '{timestamp}'.",
        )
    if auth.service != service:
        if proto == "rest-xml":
            msg = (
                f"The authorization header is malformed; incorrect service '{auth.service}'. "
                f"This endpoint belongs to '{service}'."
            )
        else:
            msg = f"Credential should be scoped to correct service: '{service}'. "
        raise _fail(proto, "scope", msg)
    if region is not None and auth.region != region:
        if proto == "rest-xml":
            msg = f"The authorization header is malformed; the region '{auth.region}' is wrong; expecting '{region}'"
        else:
            msg = "Credential should be scoped to a valid region. "
        raise _fail(proto, "scope", msg)


def _check_time(signed: SignedRequest, current: datetime, proto: Protocol) -> None:
    """Header signatures live 15 minutes; presigned URLs live X-Amz-Expires seconds."""
    stamp = current.strftime(SIGV4_TIMESTAMP)
    if signed.signed_at > current + MAX_CLOCK_SKEW:
        bound = (current + MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        msg = f"Signature not yet current: {signed.timestamp} is still later than {bound} ({stamp} + 15 min.)"
        raise _fail(proto, "skew", msg)
    if signed.presign_expires is not None:
        deadline = signed.signed_at + timedelta(seconds=signed.presign_expires)
        if current <= deadline:
            return
        if proto == "rest-xml":
            raise ServiceError("AccessDenied", "Request has expired", 403)
        msg = f"Signature expired: {signed.timestamp} is now earlier than {deadline.strftime(SIGV4_TIMESTAMP)}"
        raise _fail(proto, "skew", msg)
    if signed.signed_at < current - MAX_CLOCK_SKEW:
        bound = (current - MAX_CLOCK_SKEW).strftime(SIGV4_TIMESTAMP)
        msg = f"Signature expired: {signed.timestamp} is now earlier than {bound} ({stamp} - 15 min.)"
        raise _fail(proto, "skew", msg)


def verify_sigv4(
    request: Request,
    store: CredentialStore,
    *,
    service: str,
    now: datetime | None = None,
    protocol: Protocol | None = None,
    region: str | None = None,
) -> IssuedCredentials:
    """Authenticate ``request`` like AWS would and return the credentials that signed it.

    Accepts the Authorization header and presigned (query-string) URLs. ``protocol`` picks the error
    vocabulary (defaults from ``service``); ``region=None`` accepts any region in the credential
    scope, since the local stack answers for every region.
    """
    proto = protocol or default_protocol(service)
    header = request.headers.get("Authorization")
    if header:
        signed = _from_header(request, header, proto)
    elif "X-Amz-Algorithm" in dict(_query_pairs(_raw_path_and_query(request)[1])):
        signed = _from_query(request, proto)
    else:
        raise _fail(proto, "missing")
    _check_scope(signed, service, region, proto)

    creds = store.lookup(signed.auth.access_key_id)
    token = signed.token
    if creds is None or (token is None and proto == "rest-xml"):
        raise _fail(proto, "unknown_key")
    if token is None or not hmac.compare_digest(token.encode(), creds.session_token.encode()):
        raise _fail(proto, "bad_token")
    current = now or store.clock()
    if creds.is_expired(current):
        raise _fail(proto, "expired")
    if "host" not in signed.auth.signed_headers:
        raise _fail(proto, "signature")
    if service == "s3":
        unsigned = sorted(
            name.lower()
            for name, _ in request.headers.items()
            if name.lower().startswith("x-amz-") and name.lower() not in signed.auth.signed_headers
        )
        if unsigned:
            raise ServiceError("AccessDenied", "There were headers present in the request which were not signed", 403)

    payload_hash = _payload_hash(request, service, proto, presigned=signed.presigned)
    expected = expected_signature(request, signed, creds, payload_hash)
    if not hmac.compare_digest(expected, signed.auth.signature):
        raise _fail(proto, "signature")
    _check_time(signed, current, proto)
    return creds
