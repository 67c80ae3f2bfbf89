"""SigV4 verification (JSON protocol via a tiny Athena endpoint) and the authenticating S3 front."""

from __future__ import annotations

import http.client
import io
import json
import socket
import uuid
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from athena_jwt_dbapi.local._server import BackgroundServer
from athena_jwt_dbapi.local.errors import ServiceError
from athena_jwt_dbapi.local.iam import CredentialStore, IssuedCredentials, Role
from athena_jwt_dbapi.local.s3 import S3Front
from athena_jwt_dbapi.local.sigv4 import canonical_query_string, verify_sigv4

REGION = "us-east-1"
# moto's state is process-global and other suites may share the session: never reset it, use a unique bucket.
BUCKET = f"results-{uuid.uuid4().hex[:12]}"
ROLE = Role("athena-reader")


@pytest.fixture(scope="module")
def store() -> CredentialStore:
    return CredentialStore()


@pytest.fixture
def creds(store: CredentialStore) -> IssuedCredentials:
    return store.issue(ROLE, "tester", 3600, "local-user")


def _code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    err = exc.value.response
    return err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]


# -- verify_sigv4 with the JSON protocol (what the Athena service uses) -------------------------


class _AthenaProbe:
    """Just enough of Athena's JSON protocol to see how botocore reacts to each auth error."""

    def __init__(self, store: CredentialStore) -> None:
        self.store = store
        self.now: datetime | None = None
        self.region: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            creds = verify_sigv4(request, self.store, service="athena", now=self.now, region=self.region)
            body: dict[str, Any] = {"WorkGroups": [{"Name": creds.session_name}]}
            status = 200
        except ServiceError as err:
            body, status = {"__type": err.code, "message": err.message}, err.status
        response = Response(json.dumps(body), status=status, content_type="application/x-amz-json-1.1")
        result: Iterable[bytes] = response(environ, start_response)
        return result


@pytest.fixture(scope="module")
def athena(store: CredentialStore) -> Iterator[tuple[_AthenaProbe, str]]:
    probe = _AthenaProbe(store)
    with BackgroundServer(probe) as server:
        yield probe, server.url


def _athena_client(url: str, key: str, secret: str, token: str | None) -> Any:
    return boto3.client(
        "athena",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_json_protocol_accepts_valid_signature(athena: tuple[_AthenaProbe, str], creds: IssuedCredentials) -> None:
    _, url = athena
    client = _athena_client(url, creds.access_key_id, creds.secret_access_key, creds.session_token)
    assert client.list_work_groups()["WorkGroups"][0]["Name"] == "tester"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: ("ASIAAAAAAAAAAAAAAAAA", c.secret_access_key, c.session_token), "UnrecognizedClientException"),
        (lambda c: (c.access_key_id, c.secret_access_key, "wrong-token"), "UnrecognizedClientException"),
        (lambda c: (c.access_key_id, c.secret_access_key, None), "UnrecognizedClientException"),
        (lambda c: (c.access_key_id, "w" * 40, c.session_token), "InvalidSignatureException"),
    ],
    ids=["unknown-key", "bad-token", "no-token", "bad-secret"],
)
def test_json_protocol_errors(
    athena: tuple[_AthenaProbe, str], creds: IssuedCredentials, mutate: Any, expected: str
) -> None:
    _, url = athena
    client = _athena_client(url, *mutate(creds))
    with pytest.raises(ClientError) as exc:
        client.list_work_groups()
    assert _code(exc) == (expected, 400)
    assert creds.secret_access_key not in str(exc.value) and creds.session_token not in str(exc.value)


def test_json_protocol_missing_and_expired(athena: tuple[_AthenaProbe, str]) -> None:
    _, url = athena
    unsigned = boto3.client(
        "athena", endpoint_url=url, region_name=REGION, config=Config(signature_version=botocore.UNSIGNED)
    )
    with pytest.raises(ClientError) as exc:
        unsigned.list_work_groups()
    assert _code(exc) == ("MissingAuthenticationTokenException", 400)

    private = CredentialStore()
    probe = _AthenaProbe(private)
    with BackgroundServer(probe) as server:
        old = private.issue(ROLE, "old", 3600, "local-user")
        private.expire_all()
        client = _athena_client(server.url, old.access_key_id, old.secret_access_key, old.session_token)
        with pytest.raises(ClientError) as exc:
            client.list_work_groups()
        assert _code(exc) == ("ExpiredTokenException", 400)
        assert exc.value.response["Error"]["Message"] == "The security token included in the request is expired"
        assert private.is_expired(old.access_key_id)


def test_json_protocol_clock_skew_and_injected_clock(
    athena: tuple[_AthenaProbe, str], creds: IssuedCredentials
) -> None:
    probe, url = athena
    client = _athena_client(url, creds.access_key_id, creds.secret_access_key, creds.session_token)
    try:
        probe.now = datetime.now(timezone.utc) + timedelta(minutes=20)
        with pytest.raises(ClientError) as exc:
            client.list_work_groups()
        assert _code(exc) == ("InvalidSignatureException", 400)
        assert exc.value.response["Error"]["Message"].startswith("Signature expired: ")
        probe.now = creds.expiration + timedelta(seconds=1)
        with pytest.raises(ClientError) as exc:
            client.list_work_groups()
        assert _code(exc) == ("ExpiredTokenException", 400)
    finally:
        probe.now = None


def test_json_protocol_wrong_service_and_region(athena: tuple[_AthenaProbe, str], creds: IssuedCredentials) -> None:
    probe, url = athena
    glue = boto3.client(
        "glue",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
        config=Config(retries={"total_max_attempts": 1}),
    )
    with pytest.raises(ClientError) as exc:
        glue.get_databases()
    assert _code(exc) == ("InvalidSignatureException", 400)
    assert "Credential should be scoped to correct service: 'athena'" in exc.value.response["Error"]["Message"]
    try:
        probe.region = "eu-west-1"
        client = _athena_client(url, creds.access_key_id, creds.secret_access_key, creds.session_token)
        with pytest.raises(ClientError) as exc:
            client.list_work_groups()
        assert _code(exc) == ("InvalidSignatureException", 400)
    finally:
        probe.region = None


def test_canonical_query_string_matches_aws_rules() -> None:
    assert canonical_query_string("b=2&a=1&uploads") == "a=1&b=2&uploads="
    assert canonical_query_string("prefix=a%2Fb%20c&list-type=2") == "list-type=2&prefix=a%2Fb%20c"
    assert canonical_query_string("k=a/b~c") == "k=a%2Fb~c"


# -- the S3 front -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def s3(store: CredentialStore) -> Iterator[S3Front]:
    front = S3Front(store, region=REGION, reset_on_start=False).start()
    try:
        front.create_bucket(BUCKET)
        yield front
    finally:
        front.stop()


def _s3_client(front: S3Front, key: str, secret: str, token: str | None, **config: Any) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=front.url,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def _client_for(front: S3Front, creds: IssuedCredentials) -> Any:
    return _s3_client(front, creds.access_key_id, creds.secret_access_key, creds.session_token)


def test_s3_round_trip_uses_path_style(s3: S3Front, creds: IssuedCredentials) -> None:
    client = _client_for(s3, creds)
    sent: list[str] = []
    client.meta.events.register("before-send.s3", lambda request, **_: sent.append(request.url))
    body = b"0123456789" * 100
    client.put_object(Bucket=BUCKET, Key="dir/data.csv", Body=body)
    assert sent[-1] == f"{s3.url}/{BUCKET}/dir/data.csv"
    assert client.get_object(Bucket=BUCKET, Key="dir/data.csv")["Body"].read() == body
    head = client.head_object(Bucket=BUCKET, Key="dir/data.csv")
    assert head["ContentLength"] == len(body)
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix="dir/", Delimiter="/")
    assert [o["Key"] for o in listing["Contents"]] == ["dir/data.csv"]


def test_s3_ranged_get(s3: S3Front, creds: IssuedCredentials) -> None:
    s3.put_object(BUCKET, "ranged.bin", bytes(range(256)))
    response = _client_for(s3, creds).get_object(Bucket=BUCKET, Key="ranged.bin", Range="bytes=10-19")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert response["ContentRange"] == "bytes 10-19/256"
    assert response["Body"].read() == bytes(range(10, 20))


@pytest.mark.parametrize("key", ["odd/a b+c=d&e%f~g.txt", "unicodé/ключ.csv", "x//y/./z"])
def test_s3_keys_needing_quoting(s3: S3Front, creds: IssuedCredentials, key: str) -> None:
    client = _client_for(s3, creds)
    client.put_object(Bucket=BUCKET, Key=key, Body=b"quoted")
    assert client.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"quoted"
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=key[:8])
    assert key in [o["Key"] for o in listing["Contents"]]


def test_s3_multipart_upload_through_front(s3: S3Front, creds: IssuedCredentials) -> None:
    client = _client_for(s3, creds)
    payload = b"z" * (6 * 1024 * 1024)
    config = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    client.upload_fileobj(io.BytesIO(payload), BUCKET, "big/object.bin", Config=config)
    assert client.head_object(Bucket=BUCKET, Key="big/object.bin")["ContentLength"] == len(payload)


def test_s3_unsigned_is_access_denied(s3: S3Front) -> None:
    client = boto3.client(
        "s3", endpoint_url=s3.url, region_name=REGION, config=Config(signature_version=botocore.UNSIGNED)
    )
    with pytest.raises(ClientError) as exc:
        client.get_object(Bucket=BUCKET, Key="dir/data.csv")
    assert _code(exc) == ("AccessDenied", 403)
    assert exc.value.response["Error"]["Message"] == "Access Denied"


def test_s3_wrong_signature_unknown_key_bad_token(s3: S3Front, creds: IssuedCredentials) -> None:
    cases = [
        ((creds.access_key_id, "w" * 40, creds.session_token), ("SignatureDoesNotMatch", 403)),
        (("ASIAAAAAAAAAAAAAAAAA", creds.secret_access_key, creds.session_token), ("InvalidAccessKeyId", 403)),
        ((creds.access_key_id, creds.secret_access_key, "bogus"), ("InvalidToken", 400)),
    ]
    for args, expected in cases:
        with pytest.raises(ClientError) as exc:
            _s3_client(s3, *args).list_objects_v2(Bucket=BUCKET)
        assert _code(exc) == expected
        assert creds.secret_access_key not in str(exc.value)


def test_s3_expired_credentials(s3: S3Front) -> None:
    private = CredentialStore()
    front = S3Front(private, region=REGION, reset_on_start=False).start()
    try:
        old = private.issue(ROLE, "old", 3600, "local-user")
        private.expire_all()
        client = _client_for(front, old)
        with pytest.raises(ClientError) as exc:
            client.list_objects_v2(Bucket=BUCKET)
        assert _code(exc) == ("ExpiredToken", 400)
        assert exc.value.response["Error"]["Message"] == "The provided token has expired."
        with pytest.raises(ClientError) as exc:
            client.head_object(Bucket=BUCKET, Key="dir/data.csv")
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        fresh = private.issue(ROLE, "fresh", 3600, "local-user")
        # moto state is process-global: the second front sees the first front's bucket.
        assert _client_for(front, fresh).head_bucket(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200
    finally:
        front.stop()


def test_s3_lifetime_override(s3: S3Front, store: CredentialStore) -> None:
    store.lifetime_override = 0
    try:
        instant = store.issue(ROLE, "instant", 3600, "local-user")
    finally:
        store.lifetime_override = None
    with pytest.raises(ClientError) as exc:
        _client_for(s3, instant).list_objects_v2(Bucket=BUCKET)
    assert _code(exc) == ("ExpiredToken", 400)


def test_internal_client_bypasses_auth(s3: S3Front) -> None:
    s3.put_object(BUCKET, "internal.txt", b"internal")
    body = s3.internal_client().get_object(Bucket=BUCKET, Key="internal.txt")["Body"].read()
    assert body == b"internal"


def _raw_s3(front: S3Front, creds: IssuedCredentials, method: str, path: str, body: bytes) -> AWSRequest:
    """A request signed by botocore's own S3 signer, to be tampered with before sending."""
    request = AWSRequest(method=method, url=front.url + path, data=body)
    credentials = Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
    S3SigV4Auth(credentials, "s3", REGION).add_auth(request)
    return request


def _send(front: S3Front, request: AWSRequest, body: bytes | None = None) -> tuple[int, str]:
    parts = urlsplit(str(request.url))
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        payload = request.body if body is None else body
        conn.request(str(request.method), path, body=payload, headers=dict(request.headers))
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def test_s3_signed_raw_request_and_tampering(s3: S3Front, creds: IssuedCredentials) -> None:
    signed = _raw_s3(s3, creds, "PUT", f"/{BUCKET}/raw.txt", b"original")
    assert _send(s3, signed)[0] == 200

    status, text = _send(s3, _raw_s3(s3, creds, "PUT", f"/{BUCKET}/raw.txt", b"original"), b"tampered")
    assert status == 400 and "<Code>XAmzContentSHA256Mismatch</Code>" in text

    extra = _raw_s3(s3, creds, "PUT", f"/{BUCKET}/raw.txt", b"original")
    extra.headers["x-amz-meta-sneaky"] = "1"
    status, text = _send(s3, extra)
    assert status == 403 and "<Code>AccessDenied</Code>" in text

    moved = _raw_s3(s3, creds, "GET", f"/{BUCKET}/raw.txt", b"")
    moved.url = s3.url + f"/{BUCKET}/other.txt"
    status, text = _send(s3, moved)
    assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>')
    assert "<RequestId>" in text and creds.session_token not in text


def test_s3_missing_content_sha256(s3: S3Front, creds: IssuedCredentials) -> None:
    request = AWSRequest(method="GET", url=s3.url + f"/{BUCKET}/raw.txt")
    credentials = Credentials(creds.access_key_id, creds.secret_access_key, creds.session_token)
    SigV4Auth(credentials, "s3", REGION).add_auth(request)  # the generic signer omits the header
    status, text = _send(s3, request)
    assert status == 400 and "<Code>InvalidRequest</Code>" in text


def _get(url: str) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=10)
    try:
        conn.request("GET", parts.path + "?" + parts.query)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_s3_presigned_url(s3: S3Front, creds: IssuedCredentials, caplog: pytest.LogCaptureFixture) -> None:
    s3.put_object(BUCKET, "presigned/file.txt", b"presigned body")
    client = _s3_client(s3, creds.access_key_id, creds.secret_access_key, creds.session_token, signature_version="s3v4")
    url = client.generate_presigned_url(
        "get_object", Params={"Bucket": BUCKET, "Key": "presigned/file.txt"}, ExpiresIn=60
    )
    with caplog.at_level("INFO", logger="werkzeug"):
        assert _get(url) == (200, b"presigned body")
        # The servers log no line per request, but a request line they cannot parse is quoted in full.
        parts = urlsplit(url)
        with socket.create_connection(("127.0.0.1", parts.port or 80), timeout=10) as raw:
            raw.sendall(f"GET {parts.path}?{parts.query} extra HTTP/1.1\r\n\r\n".encode())
            assert raw.recv(1024).startswith(b"HTTP/1.1 400")
    assert "Bad request syntax" in caplog.text and "X-Amz-Security-Token=REDACTED" in caplog.text
    assert creds.session_token.split("+")[0][:40] not in caplog.text

    status, body = _get(url.replace("presigned/file.txt", "presigned/other.txt"))
    assert status == 403 and b"<Code>SignatureDoesNotMatch</Code>" in body

    with pytest.raises(ServiceError) as exc:
        parts = urlsplit(url)
        environ = EnvironBuilder(path=parts.path, query_string=parts.query, headers=[("Host", parts.netloc)])
        later = datetime.now(timezone.utc) + timedelta(minutes=5)
        verify_sigv4(Request(environ.get_environ()), s3.store, service="s3", now=later)
    assert (exc.value.code, exc.value.status) == ("AccessDenied", 403)
    assert exc.value.message == "Request has expired"
