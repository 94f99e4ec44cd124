"""The DRS API surface the simulator speaks: DRS's errors (code, HTTP status, body fields), the
operations it serves with their success status (from the service model), and nextToken paging."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

DEFAULT_PAGE_SIZE = 1000


class DrsError(Exception):
    """An error as DRS returns it: code (x-amzn-ErrorType), HTTP status, message, extra body fields."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.code != "ThrottlingException":
            out["code"] = self.code
        out.update(self.fields)
        return out


def validation_error(message: str, *, reason: str = "fieldValidationFailed", field: str | None = None):
    fields: dict[str, Any] = {"reason": reason}
    if field:
        fields["fieldList"] = [{"name": field, "message": message}]
    return DrsError("ValidationException", message, 400, fields=fields)


def not_found(message: str, resource_id: str, resource_type: str) -> DrsError:
    return DrsError(
        "ResourceNotFoundException",
        message,
        404,
        fields={"resourceId": resource_id, "resourceType": resource_type},
    )


def conflict(message: str, resource_id: str, resource_type: str) -> DrsError:
    return DrsError(
        "ConflictException", message, 409, fields={"resourceId": resource_id, "resourceType": resource_type}
    )


# operation name -> HTTP status of a successful answer (from the DRS service model)
OPERATIONS: dict[str, int] = {
    "DescribeSourceServers": 200,
    "StartRecovery": 202,
    "DescribeJobs": 200,
    "DescribeJobLogItems": 200,
    "DescribeRecoveryInstances": 200,
    "DescribeRecoverySnapshots": 200,
    "TerminateRecoveryInstances": 200,
    "ListTagsForResource": 200,
    "TagResource": 200,
    "UntagResource": 200,
    "DeleteJob": 204,
    "InitializeService": 204,
    # native recovery plans (recovery_plans.py, recovery_plan_runs.py)
    "CreateRecoveryPlan": 201,
    "GetRecoveryPlan": 200,
    "UpdateRecoveryPlan": 200,
    "DeleteRecoveryPlan": 200,
    "ListRecoveryPlans": 200,
    "CreateRecoveryPlanStep": 201,
    "GetRecoveryPlanStep": 200,
    "UpdateRecoveryPlanStep": 200,
    "DeleteRecoveryPlanStep": 200,
    "ListRecoveryPlanSteps": 200,
    "ReorderRecoveryPlanSteps": 200,
    "StartRecoveryPlanExecution": 201,
    "GetRecoveryPlanExecution": 200,
    "ListRecoveryPlanExecutions": 200,
    "GetRecoveryPlanExecutionStep": 200,
    "ListRecoveryPlanExecutionSteps": 200,
    "RetryRecoveryPlanExecutionStep": 200,
    "UpdateRecoveryPlanExecutionStep": 200,
    "CancelRecoveryPlanExecution": 200,
    "DeleteRecoveryPlanExecution": 200,
}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _page(items: list, max_results: int | None, token: str | None, scope: str) -> tuple[list, str | None]:
    offset = 0
    if token:
        try:
            data = json.loads(base64.urlsafe_b64decode(token.encode()).decode())
            offset = int(data["o"])
            if data["s"] != scope or offset < 0:
                raise ValueError(scope)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise validation_error("Invalid nextToken.", field="nextToken") from exc
    size = min(max_results or DEFAULT_PAGE_SIZE, DEFAULT_PAGE_SIZE)
    page = items[offset : offset + size]
    nxt = offset + size
    if nxt < len(items):
        raw = json.dumps({"o": nxt, "s": scope}, separators=(",", ":")).encode()
        return page, base64.urlsafe_b64encode(raw).decode()
    return page, None
