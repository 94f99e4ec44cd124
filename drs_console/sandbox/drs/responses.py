"""HTTP face of the DRS simulator: routing by botocore's model, validation, DRS's JSON errors."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote

from moto.core.responses import BaseResponse
from moto.utilities.aws_headers import gen_amzn_requestid_long

from ..simulator import DrsError
from ..validation import validate

log = logging.getLogger(__name__)


class DrsResponse(BaseResponse):
    def __init__(self) -> None:
        super().__init__(service_name="drs")

    def _dispatch(self, request: Any, full_url: str | None = None, headers: Any = None):
        self.setup_class(request, full_url, headers)
        request_id = gen_amzn_requestid_long()
        try:
            status, body = self._serve(request)
            out_headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
            text = "" if status == 204 else json.dumps(body)
            return status, out_headers, text
        except DrsError as err:
            out_headers = {
                "Content-Type": "application/json",
                "x-amzn-RequestId": request_id,
                "x-amzn-ErrorType": err.code,
                **err.headers,
            }
            return err.status, out_headers, json.dumps(err.body())

    def _serve(self, request: Any) -> tuple[int, dict]:
        from .models import drs_backends

        operation = self._get_action_from_method_and_request_uri(request)
        simulator = drs_backends[self.current_account][self.region].simulator
        if not operation:
            raise DrsError(
                "UnknownOperationException",
                f"No DRS operation matches {self.method} {self.path}.",
                404,
            )
        params = self._params(operation)
        # DRS throttles before it looks at the request
        with simulator.lock:
            simulator.maybe_throttle(operation)
            validate(operation, params)
            return simulator.handle(operation, params, throttle=False)

    def _params(self, operation: str) -> dict[str, Any]:
        params: dict[str, Any] = {}
        body = self.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        if body and body.strip():
            try:
                params = json.loads(body)
            except ValueError as exc:
                raise DrsError(
                    "ValidationException",
                    "The request body is not valid JSON.",
                    400,
                    fields={"reason": "cannotParse"},
                ) from exc
            if not isinstance(params, dict):
                raise DrsError(
                    "ValidationException",
                    "The request body must be a JSON object.",
                    400,
                    fields={"reason": "cannotParse"},
                )
        for key, value in (self.uri_match or {}).items():
            params[key] = unquote(value)
        if operation == "UntagResource":
            keys = self.querystring.get("tagKeys")
            if keys is not None:
                params["tagKeys"] = list(keys)
        return params
