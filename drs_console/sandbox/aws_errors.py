"""What the sandbox answers when moto cannot: AWS's own error shapes, never an HTML 500.

moto raises ``NotImplementedError`` for an operation it does not implement (ListServiceQuotas,
SimulatePrincipalPolicy, ...) and fails with a KeyError for a region it does not know; werkzeug then
logs a traceback and answers an HTML 500 that the SDKs cannot parse (and retry). ``AwsErrorShield``
wraps the WSGI app and answers as AWS does instead, in the protocol of the request, logging one line:

* an unknown operation: ``UnknownOperationException`` (JSON protocols) or ``InvalidAction`` (query
  protocol), HTTP 400;
* a request signed for a region that does not exist: ``InvalidSignatureException`` /
  ``SignatureDoesNotMatch`` "Credential should be scoped to a valid region", HTTP 400 (what AWS
  answers);
* anything else that breaks: ``InternalFailure``, HTTP 500.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

log = logging.getLogger(__name__)

MAX_BUFFERED_BODY = 8 * 1024 * 1024  # bodies up to this size are kept to read the query Action
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/,\s]+)/(?P<service>[^/,\s]+)/aws4_request")

StartResponse = Callable[..., Any]


@functools.cache
def known_regions() -> frozenset[str]:
    """Every region of every AWS partition (botocore's endpoint data)."""
    import boto3

    session = boto3.session.Session()
    regions: set[str] = set()
    for partition in session.get_available_partitions():
        for service in ("ec2", "sts"):
            regions.update(session.get_available_regions(service, partition_name=partition))
    return frozenset(regions)


class _Request:
    """What the error answer needs to know about a request: service, region, protocol, operation."""

    def __init__(self, environ: dict[str, Any], body: bytes | None):
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        self.region = scope["region"] if scope else ""
        self.service = scope["service"] if scope else ""
        self.target = environ.get("HTTP_X_AMZ_TARGET", "")
        content_type = environ.get("CONTENT_TYPE", "")
        form: dict[str, list[str]] = {}
        if body and "x-www-form-urlencoded" in content_type:
            form = parse_qs(body.decode("utf-8", "replace"))
        if not form and environ.get("QUERY_STRING") and not self.target:
            form = parse_qs(environ["QUERY_STRING"])
        self.action = (form.get("Action") or [""])[0]
        self.method = environ.get("REQUEST_METHOD", "")
        self.path = environ.get("PATH_INFO", "")

    @property
    def protocol(self) -> str:
        if self.target:
            return "json"
        if self.action:
            return "query"
        return "rest-json"

    @property
    def operation(self) -> str:
        if self.target:
            return self.target.rpartition(".")[2]
        if self.action:
            return self.action
        return f"{self.method} {self.path}"


def _answer(
    req: _Request, start_response: StartResponse, status: int, code: str, message: str, *, sender: bool = True
) -> Iterable[bytes]:
    request_id = str(uuid.uuid4())
    reason = {400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}[status]
    headers = [("x-amzn-RequestId", request_id)]
    if req.protocol == "query":
        body = (
            "<ErrorResponse><Error>"
            f"<Type>{'Sender' if sender else 'Receiver'}</Type><Code>{escape(code)}</Code>"
            f"<Message>{escape(message)}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers.append(("Content-Type", "text/xml"))
    else:
        body = json.dumps({"__type": code, "message": message}).encode()
        headers.append(("Content-Type", "application/x-amz-json-1.1" if req.protocol == "json" else "application/json"))
        headers.append(("x-amzn-ErrorType", code))
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {reason}", headers)
    return [body]


class AwsErrorShield:
    """WSGI middleware: AWS-shaped errors for what moto cannot answer (see the module doc)."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = _buffer_body(environ)
        req = _Request(environ, body)
        if req.region and req.region not in known_regions():
            log.warning("sandbox: %s %s refused: %r is not an AWS region", req.service, req.operation, req.region)
            code = "SignatureDoesNotMatch" if req.protocol == "query" else "InvalidSignatureException"
            return _answer(req, start_response, 400, code,
                           f"Credential should be scoped to a valid region, not '{req.region}'.")
        try:
            return self.app(environ, start_response)
        except NotImplementedError:
            log.warning("sandbox: %s %s is not implemented by the sandbox; answered as an unknown operation",
                        req.service or "?", req.operation)
            if req.protocol == "query":
                return _answer(req, start_response, 400, "InvalidAction",
                               f"The action {req.operation} is not valid for this web service (not in the sandbox).")
            return _answer(req, start_response, 400, "UnknownOperationException",
                           f"The sandbox does not implement {req.service or 'this service'} {req.operation}.")
        except Exception as exc:  # noqa: BLE001 - one line in the log, an AWS-shaped 500 to the caller
            log.error("sandbox: %s %s failed: %s: %s", req.service or "?", req.operation, type(exc).__name__,
                      str(exc)[:300])
            log.debug("sandbox: traceback of the failure above", exc_info=True)
            return _answer(req, start_response, 500, "InternalFailure",
                           "The request processing has failed because of an unknown error, exception or failure.",
                           sender=False)


def _buffer_body(environ: dict[str, Any]) -> bytes | None:
    """Read a request body of a known, moderate size and put it back for the app."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0 or length > MAX_BUFFERED_BODY:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body
