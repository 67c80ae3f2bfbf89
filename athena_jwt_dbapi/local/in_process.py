"""S3 clients answered by a WSGI application in this process: no socket, no port, no signature check.

The stack itself (writing query results, creating buckets, the engine reading and writing table data)
talks to moto's S3 application directly. botocore lets a ``before-send`` handler answer a request
instead of the network (moto's own ``mock_aws`` works that way); the handler here hands each request,
as sent, to the application and returns its answer. Only the client it is registered on is affected:
every other client in the process (the driver's, the user's) still goes over HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders
from botocore.config import Config
from urllib3.response import HTTPResponse
from werkzeug.test import Client

__all__ = ["in_process_s3_client"]

WSGIApp = Callable[..., Any]
#: What the clients' URLs name; never dialled (a before-send answer skips the network). moto's S3 reads
#: ``localhost`` as path-style addressing.
_HOST = "localhost"


def _answer(app: WSGIApp) -> Callable[..., AWSResponse]:
    def send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        body: Any = request.body
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        url = urlsplit(request.url)
        answer = Client(app).open(
            method=request.method,
            path=url.path or "/",
            query_string=url.query,
            base_url=f"{url.scheme}://{url.netloc}",
            headers=[(k, v if isinstance(v, str) else v.decode()) for k, v in request.headers.items()],
            data=body or b"",
        )
        headers = HTTPHeaders()
        for name, value in answer.headers.items():
            headers[name] = value
        raw = HTTPResponse(BytesIO(answer.get_data()), preload_content=False)  # what botocore reads from urllib3
        return AWSResponse(request.url, answer.status_code, headers, raw)

    return send


def in_process_s3_client(app: WSGIApp, *, region: str) -> Any:
    """An S3 client whose every request ``app`` answers in this process.

    Typed ``Any`` so that the module does not depend on optional boto3 service stubs being installed.
    """
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=f"http://{_HOST}",
        region_name=region,
        aws_access_key_id="in-process",
        aws_secret_access_key="in-process",
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )
    client.meta.events.register("before-send.s3", _answer(app))
    return client
