"""The deployed backend: its stack, its state machine executions and its history records.

``BackendService`` takes an ``AwsConnection`` and is async (every boto3 call goes through
``conn.call``); it returns dataclasses and domain records, never boto3 dicts. The contract it
speaks is ``domain.contract`` / resources/backend/CONTRACT.md.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from ..domain import contract as c
from ..domain.contract import ExecutionRecord
from ..domain.errors import BadInput, ConsoleError, ProblemKind
from ..domain.status import ACTIVE_STATUSES, ExecutionStatus
from .session import AwsConnection

RESOURCES_ENV = "DRS_CONSOLE_BACKEND_RESOURCES"
TEMPLATE_FILE = "template.yaml"
ASL_FILE = "state-machine.asl.json"
SCHEMA_FILE = "execution-input.schema.json"
PROBE_FILE = "probe-input.json"
DEFINITION_LINE = "      DefinitionS3Location: ./state-machine.asl.json\n"
TEMPLATE_BODY_LIMIT = 51_200  # CloudFormation's TemplateBody limit in bytes
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]

STACK_DONE = {
    "CREATE_COMPLETE",
    "UPDATE_COMPLETE",
    "IMPORT_COMPLETE",
}
STACK_FAILED = {
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_FAILED",
    "DELETE_COMPLETE",
    "DELETE_FAILED",
    "IMPORT_ROLLBACK_COMPLETE",
    "IMPORT_ROLLBACK_FAILED",
}


# -- resource files -------------------------------------------------------------------------------
def resources_dir() -> Path:
    """resources/backend: from $DRS_CONSOLE_BACKEND_RESOURCES, a frozen bundle, or the source tree."""
    env = os.environ.get(RESOURCES_ENV)
    candidates = [Path(env)] if env else []
    import sys

    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources" / "backend")
    candidates.append(Path(__file__).resolve().parents[2] / "resources" / "backend")
    for path in candidates:
        if (path / TEMPLATE_FILE).is_file():
            return path
    raise ConsoleError(
        ProblemKind.NOT_FOUND,
        "The backend files (resources/backend) are not installed with this console.",
        f"Reinstall DRS Console, or point ${RESOURCES_ENV} at a resources/backend folder.",
    )


def load_definition(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or resources_dir() / ASL_FILE).read_text(encoding="utf-8"))


def load_schema() -> dict[str, Any]:
    return _schema()


@cache
def _schema() -> dict[str, Any]:
    return json.loads((resources_dir() / SCHEMA_FILE).read_text(encoding="utf-8"))


def probe_input() -> dict[str, Any]:
    path = resources_dir() / PROBE_FILE
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    return dict(c.PROBE_INPUT)


def render_template(template: str | None = None, definition: Mapping[str, Any] | None = None) -> str:
    """template.yaml with the ASL file inlined as DefinitionString: deployable without a bucket."""
    folder = resources_dir() if template is None or definition is None else None
    text = template if template is not None else (folder / TEMPLATE_FILE).read_text(encoding="utf-8")
    asl = definition if definition is not None else load_definition(folder / ASL_FILE)
    if DEFINITION_LINE not in text:
        raise ConsoleError(
            ProblemKind.BAD_INPUT,
            "template.yaml has no 'DefinitionS3Location: ./state-machine.asl.json' line to inline the definition.",
            "Restore resources/backend/template.yaml.",
        )
    inline = json.dumps(json.dumps(asl, separators=(",", ":")))  # a JSON string is a YAML double-quoted scalar
    body = text.replace(DEFINITION_LINE, f"      DefinitionString: {inline}\n")
    if len(body.encode("utf-8")) > TEMPLATE_BODY_LIMIT:
        raise ConsoleError(
            ProblemKind.BAD_INPUT,
            f"The rendered backend template is {len(body)} bytes, over CloudFormation's {TEMPLATE_BODY_LIMIT}.",
            "Deploy with 'aws cloudformation package' and an S3 bucket instead.",
        )
    return body


# -- execution input ------------------------------------------------------------------------------
def execution_input_errors(document: Any) -> list[str]:
    """Every way ``document`` breaks execution-input.schema.json, one readable line each."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(_schema())
    errors = []
    for err in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        if err.validator == "oneOf" and isinstance(document, Mapping) and not document.get("probe"):
            # report what is wrong with it as an execution input, not that it is no probe either
            execution = Draft202012Validator(
                {"$ref": "#/$defs/execution", "$defs": _schema()["$defs"]}
            )
            for sub in sorted(execution.iter_errors(document), key=lambda e: list(e.absolute_path)):
                where = "/".join(str(p) for p in sub.absolute_path) or "(input)"
                errors.append(f"{where}: {sub.message}")
            continue
        where = "/".join(str(p) for p in err.absolute_path) or "(input)"
        errors.append(f"{where}: {err.message}")
    if not errors and isinstance(document, Mapping) and not document.get("probe"):
        errors.extend(_point_in_time_errors(document))
    return errors


def _point_in_time_errors(document: Mapping[str, Any]) -> list[str]:
    """What the schema cannot say about contract 1.1's point-in-time fields: a 1.0 input carries
    none of them, and a wave's ``servers`` are its ``sourceServerIds``, in the same order."""
    errors = []
    v10 = document.get("contractVersion") == "1.0"
    if v10 and "pointInTime" in document:
        errors.append("pointInTime: needs contractVersion 1.1")
    for i, wave in enumerate((document.get("plan") or {}).get("waves") or []):
        if v10 and ("servers" in wave or "pointInTime" in wave):
            errors.append(f"plan/waves/{i}: servers and pointInTime need contractVersion 1.1")
        if "servers" in wave and [s.get("sourceServerID") for s in wave["servers"]] != wave.get("sourceServerIds"):
            errors.append(f"plan/waves/{i}/servers: must list the wave's sourceServerIds, in the same order")
    return errors


def validate_execution_input(document: Any) -> None:
    """Raise BadInput unless ``document`` is a valid execution (or probe) input of this contract."""
    errors = execution_input_errors(document)
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise BadInput(
            "The execution input does not match the backend contract "
            f"{c.CONTRACT_VERSION}: " + "; ".join(errors[:3]) + more,
            "Fix the plan (server IDs, waves, timeouts) and try again.",
        )


def new_execution_id() -> str:
    import uuid

    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def build_execution_input(
    *,
    plan_id: str,
    plan_name: str,
    plan_version: int,
    waves: list[Mapping[str, Any]],
    history_table: str,
    initiated_by: str,
    drill: bool = True,
    failure_policy: str = c.FailurePolicy.STOP_ON_FAILURE,
    poll_interval_seconds: int = 30,
    execution_id: str | None = None,
    default_wave_timeout: int = 3600,
    point_in_time: str = "",
) -> dict[str, Any]:
    """An execution input from plain values. ``waves``: dicts with ``name``, ``sourceServerIds``
    and optionally ``pauseBefore``, ``timeoutSeconds`` and (a point-in-time run, contract 1.1)
    ``pointInTime`` and ``servers`` (``[{"sourceServerID", "recoverySnapshotID",
    "recoverySnapshotTime"}]``, in ``sourceServerIds``' order). ``point_in_time``: the run's
    requested time (ISO 8601 UTC). Without either, the input is what contract 1.0 defined."""
    doc = {
        "contractVersion": c.CONTRACT_VERSION,
        "executionId": execution_id or new_execution_id(),
        "plan": {
            "id": plan_id,
            "name": plan_name,
            "version": int(plan_version),
            "waves": [
                {
                    "name": str(w["name"]),
                    "sourceServerIds": list(w["sourceServerIds"]),
                    "pauseBefore": bool(w.get("pauseBefore", False)),
                    "timeoutSeconds": int(w.get("timeoutSeconds") or default_wave_timeout),
                    **{k: w[k] for k in ("pointInTime", "servers") if w.get(k)},
                }
                for w in waves
            ],
        },
        "failurePolicy": str(failure_policy),
        "executionType": c.ExecutionType.DRILL if drill else c.ExecutionType.RECOVERY,
        "initiatedBy": initiated_by,
        "pollIntervalSeconds": int(poll_interval_seconds),
        "historyTable": history_table,
    }
    if point_in_time:
        doc["pointInTime"] = point_in_time
    return doc


# -- results --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BackendLocation:
    """Where the backend is: found from a stack's outputs or given explicitly."""

    state_machine_arn: str
    history_table: str
    stack_name: str = ""
    contract_version: str = ""  # from the stack output; "" when given explicitly


@dataclass(frozen=True)
class StackInfo:
    name: str
    stack_id: str
    status: str
    status_reason: str = ""
    outputs: Mapping[str, str] = field(default_factory=dict)
    last_updated: datetime | None = None

    @property
    def is_usable(self) -> bool:
        return self.status in ("CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE")


@dataclass(frozen=True)
class StackEvent:
    timestamp: datetime | None
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    event_id: str = ""

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    def one_line(self) -> str:
        when = self.timestamp.strftime("%H:%M:%S") if self.timestamp else "--:--:--"
        reason = f" - {self.reason}" if self.reason else ""
        return f"{when} {self.logical_id} ({self.resource_type}) {self.status}{reason}"


@dataclass(frozen=True)
class DeployResult:
    stack_name: str
    status: str
    changed: bool
    outputs: Mapping[str, str] = field(default_factory=dict)
    failures: tuple[StackEvent, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status in STACK_DONE or (not self.changed and self.status not in STACK_FAILED)


@dataclass(frozen=True)
class ExecutionInfo:
    arn: str
    name: str
    status: str  # Step Functions status: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
    start_date: datetime | None = None
    stop_date: datetime | None = None
    error: str = ""
    cause: str = ""
    output: Any = None

    @property
    def running(self) -> bool:
        return self.status in ("RUNNING", "PENDING_REDRIVE")


@dataclass(frozen=True)
class ExecutionFailure:
    """Why one Step Functions execution failed: its error, cause and the state it failed in."""

    arn: str
    name: str
    status: str
    stop_date: datetime | None
    error: str
    cause: str
    state: str = ""


ProgressCallback = Callable[[StackEvent], None]


def _outputs(stack: Mapping[str, Any]) -> dict[str, str]:
    return {o["OutputKey"]: o.get("OutputValue", "") for o in stack.get("Outputs") or []}


def _stack_info(stack: Mapping[str, Any]) -> StackInfo:
    return StackInfo(
        name=stack["StackName"],
        stack_id=stack.get("StackId", ""),
        status=stack.get("StackStatus", ""),
        status_reason=stack.get("StackStatusReason", "") or "",
        outputs=_outputs(stack),
        last_updated=stack.get("LastUpdatedTime") or stack.get("CreationTime"),
    )


def _event(e: Mapping[str, Any]) -> StackEvent:
    return StackEvent(
        timestamp=e.get("Timestamp"),
        logical_id=e.get("LogicalResourceId", ""),
        resource_type=e.get("ResourceType", ""),
        status=e.get("ResourceStatus", ""),
        reason=e.get("ResourceStatusReason", "") or "",
        event_id=e.get("EventId", ""),
    )


def _dynamo_value(value: Any) -> Any:
    """DynamoDB's Decimal numbers -> int/float, sets -> sorted lists (plain Python for the domain)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(_dynamo_value(v) for v in value)
    if isinstance(value, list):
        return [_dynamo_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _dynamo_value(v) for k, v in value.items()}
    return value


def deserialize_item(item: Mapping[str, Any]) -> dict[str, Any]:
    from boto3.dynamodb.types import TypeDeserializer

    des = TypeDeserializer()
    return {k: _dynamo_value(des.deserialize(v)) for k, v in item.items()}


class BackendService:
    """Stack, state machine and history operations on one connection. All methods are async."""

    def __init__(self, conn: AwsConnection, *, poll_seconds: float = 5.0):
        self.conn = conn
        self.poll_seconds = poll_seconds

    # -- stack ---------------------------------------------------------------------------------
    async def stack(self, stack_name: str = c.DEFAULT_STACK_NAME) -> StackInfo | None:
        cfn = self.conn.client("cloudformation")
        try:
            resp = await self.conn.call(cfn.describe_stacks, StackName=stack_name)
        except ConsoleError as exc:
            if exc.kind == ProblemKind.NOT_FOUND or "does not exist" in exc.message:
                return None
            raise
        stacks = resp.get("Stacks") or []
        return _stack_info(stacks[0]) if stacks else None

    async def locate(
        self,
        stack_name: str = c.DEFAULT_STACK_NAME,
        *,
        state_machine_arn: str | None = None,
        history_table: str | None = None,
    ) -> BackendLocation:
        """The state machine and table: explicit values win, the rest come from the stack outputs."""
        if state_machine_arn and history_table:
            return BackendLocation(state_machine_arn, history_table)
        info = await self.stack(stack_name)
        if info is None:
            raise ConsoleError(
                ProblemKind.NOT_FOUND,
                f"The backend stack {stack_name!r} does not exist in {self.conn.region}.",
                "Deploy it with 'drs-console backend deploy', or pass --state-machine-arn and --history-table.",
            )
        arn = state_machine_arn or info.outputs.get(c.OUTPUT_STATE_MACHINE_ARN, "")
        table = history_table or info.outputs.get(c.OUTPUT_HISTORY_TABLE, "")
        if not arn or not table:
            raise ConsoleError(
                ProblemKind.NOT_FOUND,
                f"The stack {stack_name!r} ({info.status}) has no {c.OUTPUT_STATE_MACHINE_ARN}/"
                f"{c.OUTPUT_HISTORY_TABLE} outputs.",
                "Deploy the DRS Console backend into it with 'drs-console backend deploy'.",
            )
        return BackendLocation(arn, table, stack_name, info.outputs.get(c.OUTPUT_CONTRACT_VERSION, ""))

    async def stack_events(self, stack_id: str) -> list[StackEvent]:
        cfn = self.conn.client("cloudformation")
        resp = await self.conn.call(cfn.describe_stack_events, StackName=stack_id)
        return [_event(e) for e in resp.get("StackEvents") or []]

    async def deploy(
        self,
        stack_name: str = c.DEFAULT_STACK_NAME,
        *,
        progress: ProgressCallback | None = None,
        template_body: str | None = None,
        parameters: Mapping[str, str] | None = None,
        timeout: float = 1800.0,
    ) -> DeployResult:
        """Create or update the stack through a change set and wait until it settles.

        ``progress`` gets every new stack event (on the event loop's thread). A template without
        changes gives ``changed=False``. A failed deployment returns its failed events (the stack
        is rolled back by CloudFormation); it raises only when AWS refuses a call.
        """
        cfn = self.conn.client("cloudformation")
        body = template_body if template_body is not None else render_template()
        existing = await self.stack(stack_name)
        if existing and existing.status == "ROLLBACK_COMPLETE":
            # a stack whose creation failed can only be deleted; creating it again is the fix
            await self.conn.call(cfn.delete_stack, StackName=existing.stack_id)
            await self._wait_stack(existing.stack_id, progress, since=None, timeout=timeout)
            existing = None
        if existing and existing.status == "REVIEW_IN_PROGRESS":
            existing_type = "CREATE"
        else:
            existing_type = "UPDATE" if existing else "CREATE"
        if existing and existing.status.endswith("_IN_PROGRESS") and existing.status != "REVIEW_IN_PROGRESS":
            raise ConsoleError(
                ProblemKind.AWS_ERROR,
                f"The stack {stack_name!r} is busy ({existing.status}).",
                "Wait until its current operation ends, then deploy again.",
            )
        change_set_name = "drs-console-" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        params = [{"ParameterKey": k, "ParameterValue": v} for k, v in (parameters or {}).items()]
        created = await self.conn.call(
            cfn.create_change_set,
            StackName=stack_name,
            ChangeSetName=change_set_name,
            ChangeSetType=existing_type,
            TemplateBody=body,
            Capabilities=CAPABILITIES,
            Parameters=params,
            Description=f"DRS Console backend, contract {c.CONTRACT_VERSION}",
        )
        change_set_id = created["Id"]
        stack_id = created.get("StackId") or stack_name
        deadline = time.monotonic() + timeout
        while True:
            cs = await self.conn.call(cfn.describe_change_set, ChangeSetName=change_set_id, StackName=stack_id)
            status = cs.get("Status", "")
            if status == "CREATE_COMPLETE":
                break
            if status == "FAILED":
                reason = cs.get("StatusReason", "") or ""
                if "didn't contain changes" in reason or "No updates" in reason:
                    await self.conn.call(cfn.delete_change_set, ChangeSetName=change_set_id, StackName=stack_id)
                    info = await self.stack(stack_name)
                    return DeployResult(
                        stack_name, info.status if info else "", False, dict(info.outputs) if info else {}
                    )
                return DeployResult(
                    stack_name,
                    "CHANGE_SET_FAILED",
                    True,
                    failures=(StackEvent(None, stack_name, "AWS::CloudFormation::ChangeSet", status, reason),),
                )
            if time.monotonic() > deadline:
                raise ConsoleError(ProblemKind.AWS_ERROR, "The change set was not ready in time.", "Try again.")
            await asyncio.sleep(min(self.poll_seconds, 2.0))
        since = datetime.now(UTC)
        seen = {e.event_id for e in await self.stack_events(stack_id)} if existing else set()
        await self.conn.call(cfn.execute_change_set, ChangeSetName=change_set_id, StackName=stack_id)
        return await self._wait_stack(stack_id, progress, since=since, timeout=timeout, seen=seen,
                                      stack_name=stack_name)

    async def _wait_stack(
        self,
        stack_id: str,
        progress: ProgressCallback | None,
        *,
        since: datetime | None,
        timeout: float,
        seen: set[str] | None = None,
        stack_name: str = "",
    ) -> DeployResult:
        cfn = self.conn.client("cloudformation")
        seen = set(seen or ())
        collected: list[StackEvent] = []
        deadline = time.monotonic() + timeout
        status = ""
        stack: Mapping[str, Any] = {}
        while True:
            try:
                resp = await self.conn.call(cfn.describe_stacks, StackName=stack_id)
                stack = (resp.get("Stacks") or [{}])[0]
                status = stack.get("StackStatus", "")
            except ConsoleError as exc:
                if exc.kind == ProblemKind.NOT_FOUND:
                    status = "DELETE_COMPLETE"
                else:
                    raise
            try:
                events = await self.stack_events(stack_id)
            except ConsoleError:
                events = []
            for ev in reversed(events):  # oldest first
                if ev.event_id in seen:
                    continue
                seen.add(ev.event_id)
                collected.append(ev)
                if progress:
                    progress(ev)
            if status and not status.endswith("_IN_PROGRESS"):
                break
            if time.monotonic() > deadline:
                raise ConsoleError(
                    ProblemKind.AWS_ERROR,
                    f"The stack did not settle within {int(timeout)} s (still {status}).",
                    "Follow it in the CloudFormation console; run 'drs-console backend status' later.",
                )
            await asyncio.sleep(self.poll_seconds)
        failures = tuple(e for e in collected if e.failed)
        return DeployResult(stack_name or stack.get("StackName", stack_id), status, True, _outputs(stack), failures)

    # -- executions ----------------------------------------------------------------------------
    async def start_execution(self, location: BackendLocation, execution_input: Mapping[str, Any]) -> str:
        """Validate the input against the contract and start it; returns the execution ARN.
        The execution is named after its executionId (so a retry cannot start it twice)."""
        validate_execution_input(execution_input)
        sfn = self.conn.client("stepfunctions")
        name = str(execution_input.get("executionId") or f"probe-{new_execution_id()}")
        resp = await self.conn.call(
            sfn.start_execution,
            stateMachineArn=location.state_machine_arn,
            name=name,
            input=json.dumps(execution_input),
        )
        return resp["executionArn"]

    async def describe_execution(self, execution_arn: str) -> ExecutionInfo:
        sfn = self.conn.client("stepfunctions")
        d = await self.conn.call(sfn.describe_execution, executionArn=execution_arn)
        output = d.get("output")
        try:
            output = json.loads(output) if output else None
        except ValueError:
            pass
        return ExecutionInfo(
            arn=d["executionArn"],
            name=d.get("name", ""),
            status=d.get("status", ""),
            start_date=d.get("startDate"),
            stop_date=d.get("stopDate"),
            error=d.get("error", "") or "",
            cause=d.get("cause", "") or "",
            output=output,
        )

    async def wait_execution(self, execution_arn: str, *, timeout: float = 60.0, poll: float = 0.5) -> ExecutionInfo:
        deadline = time.monotonic() + timeout
        while True:
            info = await self.describe_execution(execution_arn)
            if not info.running or time.monotonic() > deadline:
                return info
            await asyncio.sleep(poll)

    async def execution_history(self, execution_arn: str, *, newest_first: bool = True, limit: int = 0) -> list[dict]:
        """The events of one execution (raw Step Functions events)."""
        sfn = self.conn.client("stepfunctions")
        events: list[dict] = []
        token = None
        while True:
            kw: dict[str, Any] = {"executionArn": execution_arn, "reverseOrder": newest_first, "maxResults": 1000}
            if token:
                kw["nextToken"] = token
            resp = await self.conn.call(sfn.get_execution_history, **kw)
            events.extend(resp.get("events") or [])
            token = resp.get("nextToken")
            if not token or (limit and len(events) >= limit):
                break
        return events[:limit] if limit else events

    async def execution_failure(self, execution_arn: str) -> ExecutionFailure:
        """Error, cause and the state an execution failed in (from its history)."""
        info = await self.describe_execution(execution_arn)
        events = await self.execution_history(execution_arn, newest_first=False)
        error, cause = info.error, info.cause
        for ev in reversed(events):
            for key in ("executionFailedEventDetails", "executionAbortedEventDetails", "executionTimedOutEventDetails"):
                details = ev.get(key)
                if details:
                    error = error or details.get("error", "")
                    cause = cause or details.get("cause", "")
        state = failing_state(events, error)
        return ExecutionFailure(info.arn, info.name, info.status, info.stop_date, error, cause, state)

    async def recent_executions(
        self, state_machine_arn: str, *, status: str | None = None, limit: int = 10
    ) -> list[ExecutionInfo]:
        sfn = self.conn.client("stepfunctions")
        kw: dict[str, Any] = {"stateMachineArn": state_machine_arn, "maxResults": max(1, min(limit, 1000))}
        if status:
            kw["statusFilter"] = status
        resp = await self.conn.call(sfn.list_executions, **kw)
        return [
            ExecutionInfo(
                arn=e["executionArn"],
                name=e.get("name", ""),
                status=e.get("status", ""),
                start_date=e.get("startDate"),
                stop_date=e.get("stopDate"),
            )
            for e in resp.get("executions") or []
        ][:limit]

    # -- history records -----------------------------------------------------------------------
    async def read_execution(self, history_table: str, execution_id: str) -> ExecutionRecord | None:
        """The execution item and its wave items, in one Query."""
        ddb = self.conn.client("dynamodb")
        items: list[dict] = []
        kw: dict[str, Any] = {
            "TableName": history_table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": c.execution_pk(execution_id)}},
            "ConsistentRead": True,
        }
        while True:
            resp = await self.conn.call(ddb.query, **kw)
            items.extend(deserialize_item(i) for i in resp.get("Items") or [])
            if not resp.get("LastEvaluatedKey"):
                break
            kw["ExclusiveStartKey"] = resp["LastEvaluatedKey"]
        return ExecutionRecord.from_items(items)

    async def list_executions(self, history_table: str, *, limit: int = 50) -> list[ExecutionRecord]:
        """Execution items, newest first, from the sparse ByStartTime index (waves not included)."""
        ddb = self.conn.client("dynamodb")
        resp = await self.conn.call(
            ddb.query,
            TableName=history_table,
            IndexName=c.LIST_INDEX,
            KeyConditionExpression=f"{c.LIST_PK} = :pk",
            ExpressionAttributeValues={":pk": {"S": c.LIST_PK_VALUE}},
            ScanIndexForward=False,
            Limit=limit,
        )
        records = [ExecutionRecord.from_items([deserialize_item(i)]) for i in resp.get("Items") or []]
        return [r for r in records if r is not None]

    async def _set_status(
        self,
        history_table: str,
        execution_id: str,
        status: ExecutionStatus,
        *,
        only_from: frozenset[ExecutionStatus] | set[ExecutionStatus],
        error: str = "",
        cause: str = "",
        terminal: bool = False,
    ) -> bool:
        """Conditionally move the execution item to ``status``; False when its status was not one of
        ``only_from`` (someone else moved it first)."""
        ddb = self.conn.client("dynamodb")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        values: dict[str, Any] = {":s": {"S": status.value}, ":now": {"S": now}}
        allowed = []
        for i, st in enumerate(sorted(only_from)):
            values[f":f{i}"] = {"S": st.value}
            allowed.append(f":f{i}")
        expr = "SET #s = :s, updatedAt = :now"
        names = {"#s": "status"}
        if terminal:
            expr += ", endedAt = :now, #e = :e, #c = :c REMOVE taskToken, pausedWave"
            values[":e"] = {"S": error}
            values[":c"] = {"S": cause}
            names.update({"#e": "error", "#c": "cause"})
        try:
            await self.conn.call(
                ddb.update_item,
                TableName=history_table,
                Key={"PK": {"S": c.execution_pk(execution_id)}, "SK": {"S": c.EXECUTION_SK}},
                UpdateExpression=expr,
                ConditionExpression=f"#s IN ({', '.join(allowed)})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
            return True
        except ConsoleError as exc:
            if "ConditionalCheckFailed" in exc.message:
                return False
            raise

    async def _close_active_waves(self, history_table: str, record: ExecutionRecord, status: ExecutionStatus) -> None:
        ddb = self.conn.client("dynamodb")
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        for wave in record.waves:
            if wave.status is None or not wave.status.is_active:
                continue
            try:
                await self.conn.call(
                    ddb.update_item,
                    TableName=history_table,
                    Key={"PK": {"S": c.execution_pk(record.execution_id)}, "SK": {"S": c.wave_sk(wave.index)}},
                    UpdateExpression="SET #s = :s, updatedAt = :now, endedAt = :now",
                    ConditionExpression="#s = :old",
                    ExpressionAttributeNames={"#s": "status"},
                    ExpressionAttributeValues={
                        ":s": {"S": status.value},
                        ":now": {"S": now},
                        ":old": {"S": wave.raw_status},
                    },
                )
            except ConsoleError as exc:
                if "ConditionalCheckFailed" not in exc.message:
                    raise

    async def release_leases(self, history_table: str, execution_id: str) -> int:
        """Delete the server leases ``execution_id`` still holds (those of its current wave, each
        only while it is their holder; CONTRACT.md "Server leases"). The state machine releases
        them on every way out of a wave, but not when it is stopped or dies. Returns how many."""
        from ..domain.lease import lease_key
        from ..domain.progress import parse_plan, plan_waves

        ddb = self.conn.client("dynamodb")
        head = await self.conn.call(
            ddb.get_item,
            TableName=history_table,
            Key={"PK": {"S": c.execution_pk(execution_id)}, "SK": {"S": c.EXECUTION_SK}},
            ProjectionExpression="planJson, currentWave",
            ConsistentRead=True,
        )
        item = deserialize_item(head.get("Item") or {})
        waves = plan_waves(parse_plan(item.get("planJson")))
        index = int(item.get("currentWave", -1))
        if not 0 <= index < len(waves):
            return 0
        released = 0
        for server_id in waves[index]["sourceServerIds"]:
            try:
                await self.conn.call(
                    ddb.delete_item,
                    TableName=history_table,
                    Key={k: {"S": v} for k, v in lease_key(server_id).items()},
                    ConditionExpression="holder = :me",
                    ExpressionAttributeValues={":me": {"S": execution_id}},
                )
                released += 1
            except ConsoleError as exc:
                if "ConditionalCheckFailed" not in exc.message:
                    raise
        return released

    async def _release_leases_quietly(self, history_table: str, execution_id: str) -> None:
        try:
            await self.release_leases(history_table, execution_id)
        except ConsoleError as exc:  # they expire by themselves; the record is what matters here
            import logging

            logging.getLogger(__name__).warning("could not release the server leases of %s: %s", execution_id, exc.one_line())

    async def resume(self, history_table: str, execution_id: str, *, resumed_by: str = "") -> None:
        """Resume a PAUSED execution: SendTaskSuccess with the token parked on its record."""
        record = await self._require(history_table, execution_id)
        if record.status is not ExecutionStatus.PAUSED or not record.task_token:
            raise BadInput(
                f"Execution {execution_id} is {record.raw_status or 'unknown'}, not paused.",
                "Only a paused execution can be resumed.",
            )
        sfn = self.conn.client("stepfunctions")
        await self.conn.call(
            sfn.send_task_success,
            taskToken=record.task_token,
            output=json.dumps({"action": "resume", "resumedBy": resumed_by}),
        )

    async def cancel(self, history_table: str, execution_id: str, *, cancelled_by: str = "") -> ExecutionStatus:
        """Ask an execution to stop after its current step. Sets CANCELLING (conditionally); a
        PAUSED execution is failed with error 'Cancelled' through its task token, and ends CANCELLED.
        Returns the status the record had."""
        record = await self._require(history_table, execution_id)
        if record.status is None or record.status.is_terminal:
            return record.status or ExecutionStatus.FAILED
        moved = await self._set_status(
            history_table,
            execution_id,
            ExecutionStatus.CANCELLING,
            only_from={ExecutionStatus.RUNNING, ExecutionStatus.PAUSED, ExecutionStatus.PENDING},
        )
        if record.status is ExecutionStatus.PAUSED and record.task_token:
            sfn = self.conn.client("stepfunctions")
            try:
                await self.conn.call(
                    sfn.send_task_failure,
                    taskToken=record.task_token,
                    error=c.CANCEL_ERROR,
                    cause=f"Cancelled by {cancelled_by or 'the operator'}",
                )
            except ConsoleError as exc:
                if "InvalidToken" not in exc.message and "TaskTimedOut" not in exc.message:
                    raise
        return record.status if moved else ExecutionStatus.CANCELLING

    async def stop_execution(
        self, location: BackendLocation, execution_id: str, *, execution_arn: str = "", cause: str = ""
    ) -> ExecutionRecord | None:
        """Last resort: StopExecution, then mark the record (and its active waves) CANCELLED,
        conditionally, so that no record stays active after its execution ended."""
        record = await self.read_execution(location.history_table, execution_id)
        arn = execution_arn or (record.execution_arn if record else "")
        if arn:
            sfn = self.conn.client("stepfunctions")
            try:
                await self.conn.call(
                    sfn.stop_execution,
                    executionArn=arn,
                    error=c.ERROR_STOPPED,
                    cause=cause or "Stopped from DRS Console",
                )
            except ConsoleError as exc:
                if exc.kind != ProblemKind.NOT_FOUND:
                    raise
        if record is not None:
            await self._set_status(
                location.history_table,
                execution_id,
                ExecutionStatus.CANCELLED,
                only_from=ACTIVE_STATUSES,
                error=c.ERROR_STOPPED,
                cause=cause or "The execution was stopped (StopExecution).",
                terminal=True,
            )
            await self._close_active_waves(location.history_table, record, ExecutionStatus.CANCELLED)
            await self._release_leases_quietly(location.history_table, execution_id)
        return await self.read_execution(location.history_table, execution_id)

    async def reconcile(self, location: BackendLocation, execution_id: str) -> ExecutionRecord | None:
        """If the record is active but its execution has ended (a failure the state machine could
        not record), write the record terminal: CANCELLED for ABORTED, TIMEOUT for TIMED_OUT, else FAILED."""
        record = await self.read_execution(location.history_table, execution_id)
        if record is None or record.is_terminal or not record.execution_arn:
            return record
        try:
            info = await self.describe_execution(record.execution_arn)
        except ConsoleError as exc:
            if exc.kind is not ProblemKind.NOT_FOUND:
                raise
            # An active record whose execution does not exist (deleted, or the state machine was
            # replaced): nothing will ever end it, so it ends FAILED, saying why.
            await self._set_status(
                location.history_table,
                execution_id,
                ExecutionStatus.FAILED,
                only_from=ACTIVE_STATUSES,
                error=c.ERROR_EXECUTION_MISSING,
                cause=f"The state machine execution {record.execution_arn} does not exist; "
                "the record was left active when it ended.",
                terminal=True,
            )
            await self._close_active_waves(location.history_table, record, ExecutionStatus.FAILED)
            await self._release_leases_quietly(location.history_table, execution_id)
            return await self.read_execution(location.history_table, execution_id)
        if info.running:
            return record
        status = {
            "ABORTED": ExecutionStatus.CANCELLED,
            "TIMED_OUT": ExecutionStatus.TIMEOUT,
        }.get(info.status, ExecutionStatus.FAILED)
        if info.status == "SUCCEEDED" and isinstance(info.output, Mapping):
            status = ExecutionStatus.parse(str(info.output.get("status"))) or ExecutionStatus.FAILED
        await self._set_status(
            location.history_table,
            execution_id,
            status,
            only_from=ACTIVE_STATUSES,
            error=info.error or f"States.{info.status}",
            cause=info.cause or f"The execution ended {info.status} without recording its end.",
            terminal=True,
        )
        await self._close_active_waves(location.history_table, record, status)
        await self._release_leases_quietly(location.history_table, execution_id)
        return await self.read_execution(location.history_table, execution_id)

    async def _require(self, history_table: str, execution_id: str) -> ExecutionRecord:
        record = await self.read_execution(history_table, execution_id)
        if record is None:
            raise ConsoleError(
                ProblemKind.NOT_FOUND,
                f"No execution {execution_id} in the history table {history_table}.",
                "Check the execution ID ('drs-console history').",
            )
        return record

    async def probe(
        self,
        location: BackendLocation,
        *,
        timeout: float = 60.0,
        document: Mapping[str, Any] | None = None,
        poll: float = 0.5,
    ) -> tuple[ExecutionInfo, Any]:
        """Run the contract's probe input (or ``document``) and return (execution, its output)."""
        sfn = self.conn.client("stepfunctions")
        resp = await self.conn.call(
            sfn.start_execution,
            stateMachineArn=location.state_machine_arn,
            name=f"drs-console-probe-{new_execution_id()}",
            input=json.dumps(dict(document) if document is not None else probe_input()),
        )
        info = await self.wait_execution(resp["executionArn"], timeout=timeout, poll=poll)
        return info, info.output


def failing_state(events: list[Mapping[str, Any]], error: str = "") -> str:
    """The state an execution failed in: the state whose task or Fail raised ``error`` last (a
    Catch may route the error on to states that record it), else the last state entered."""
    entered = ""
    found = ""
    for ev in events:  # oldest first
        details = ev.get("stateEnteredEventDetails")
        if details:
            entered = details.get("name", entered)
            continue
        kind = str(ev.get("type", ""))
        if kind == "ExecutionFailed" or not kind.endswith("Failed"):
            continue
        ev_error = ""
        for key, value in ev.items():
            if key.endswith("FailedEventDetails") and isinstance(value, Mapping):
                ev_error = value.get("error", "")
        if not error or ev_error == error:
            found = entered
    return found or entered


def run_sync(coro_factory: Callable[[], Any]) -> Any:
    """Run an async call to completion from synchronous code, even if the caller's thread has a
    running event loop (the work runs on a fresh loop in a helper thread)."""
    import threading

    box: dict[str, Any] = {}

    def runner() -> None:
        try:
            box["value"] = asyncio.run(coro_factory())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=runner, name="drs-console-sync", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box.get("value")
