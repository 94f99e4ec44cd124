"""The backend's CloudFormation stack: where it is, its events, and its deployment by change set.

``BackendStack`` takes an ``AwsConnection`` and is async (every boto3 call goes through
``conn.call``); it returns dataclasses, never boto3 dicts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain import contract as c
from ..domain.errors import ConsoleError, ProblemKind
from .backend import render_template
from .session import AwsConnection

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


class BackendStack:
    """The backend stack on one connection. All methods are async."""

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
