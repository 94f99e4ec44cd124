"""The Step Functions engine: our deployed state machine's executions and their history records.

Today's backend behaviour, moved here from ``aws/backend.py`` unchanged. ``StepFunctionsExecutions``
takes an ``AwsConnection`` and is async; it returns dataclasses and domain records (the history
table's ``ExecutionRecord``), never boto3 dicts. The contract it speaks is ``domain.contract`` /
resources/backend/CONTRACT.md.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ...domain import contract as c
from ...domain.contract import ExecutionRecord
from ...domain.errors import BadInput, ConsoleError, ProblemKind
from ...domain.execution import Engine
from ...domain.status import ACTIVE_STATUSES, ExecutionStatus
from ..backend import new_execution_id, probe_input, validate_execution_input
from ..backend_stack import BackendLocation
from ..dynamo_items import deserialize_item
from ..session import AwsConnection


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


class StepFunctionsExecutions:
    """State machine executions and history records on one connection. All methods are async."""

    def __init__(self, conn: AwsConnection, *, poll_seconds: float = 5.0):
        self.conn = conn
        self.poll_seconds = poll_seconds

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

    async def _end_record(self, history_table: str, record: ExecutionRecord, status: ExecutionStatus, *,
                          error: str, cause: str) -> None:
        """End an active record that the state machine did not end: the execution item terminal (if
        still active), its waves still open closed with it, its server leases released."""
        await self._set_status(history_table, record.execution_id, status, only_from=ACTIVE_STATUSES,
                               error=error, cause=cause, terminal=True)
        await self._close_active_waves(history_table, record, status)
        await self._release_leases_quietly(history_table, record.execution_id)

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
        from ...domain.lease import lease_key
        from ...domain.progress import parse_plan, plan_waves

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
            await self._end_record(location.history_table, record, ExecutionStatus.CANCELLED,
                                   error=c.ERROR_STOPPED,
                                   cause=cause or "The execution was stopped (StopExecution).")
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
            await self._end_record(location.history_table, record, ExecutionStatus.FAILED,
                                   error=c.ERROR_EXECUTION_MISSING,
                                   cause=f"The state machine execution {record.execution_arn} does not exist; "
                                         "the record was left active when it ended.")
            return await self.read_execution(location.history_table, execution_id)
        if info.running:
            return record
        status = {
            "ABORTED": ExecutionStatus.CANCELLED,
            "TIMED_OUT": ExecutionStatus.TIMEOUT,
        }.get(info.status, ExecutionStatus.FAILED)
        if info.status == "SUCCEEDED" and isinstance(info.output, Mapping):
            status = ExecutionStatus.parse(str(info.output.get("status"))) or ExecutionStatus.FAILED
        await self._end_record(location.history_table, record, status,
                               error=info.error or f"States.{info.status}",
                               cause=info.cause or f"The execution ended {info.status} without recording its end.")
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


class StepFunctionsEngine:
    """The Step Functions backend as a ``RecoveryEngine``: today's runs (``aws/runs.py``) and monitor
    (``aws/monitor.py``) on one connection and backend location. No steps to retry or skip."""

    engine = Engine.STEPFUNCTIONS

    def __init__(self, conn: AwsConnection, location: BackendLocation):
        from . import Capability

        self.conn = conn
        self.location = location
        self.capabilities = frozenset({Capability.PAUSE_RESUME, Capability.CANCEL, Capability.DELETE_EXECUTION,
                                       Capability.SELECTORS_AT_RUN_TIME, Capability.PER_WAVE_TIMEOUT})

    async def start(self, plan: Any, *, recovery: bool = False, confirm: str = "",
                    snapshots: Mapping[str, str] | None = None) -> Any:
        from ..runs import start_run
        from . import Capability, StartedExecution, unsupported

        if snapshots:
            raise unsupported(self.engine, Capability.RECOVERY_SNAPSHOTS, "Pinned recovery snapshots")
        run = await start_run(self.conn, self.location, plan, recovery=recovery, confirm=confirm)
        return StartedExecution(self.engine, run.execution_id, run.execution_arn, run.is_drill, run.plan_id,
                                run.plan_name, run.started_at, {"executionInput": run.execution_input})

    def monitor(self, execution_id: str, **kwargs: Any) -> Any:
        from ..monitor import ExecutionMonitor

        return ExecutionMonitor(self.conn, self.location, execution_id, **kwargs)

    async def read(self, execution_id: str) -> Any:
        return await self.monitor(execution_id).snapshot()

    async def resume(self, execution_id: str) -> None:
        from ..runs import resume_run

        await resume_run(self.conn, self.location, execution_id)

    async def retry_step(self, execution_id: str, step: int) -> Any:
        from . import Capability, unsupported

        raise unsupported(self.engine, Capability.RETRY_STEP, "Retrying a step")

    async def skip_step(self, execution_id: str, step: int) -> Any:
        from . import Capability, unsupported

        raise unsupported(self.engine, Capability.SKIP_STEP, "Skipping a step")

    async def cancel(self, execution_id: str) -> Any:
        from ..runs import cancel_run

        await cancel_run(self.conn, self.location, execution_id, wait=False)
        return await self.read(execution_id)

    async def list_executions(self, *, limit: int = 50) -> list:
        from ...domain.progress import build_view

        records = await StepFunctionsExecutions(self.conn).list_executions(self.location.history_table, limit=limit)
        return [build_view(execution_id=r.execution_id, record=r, plan=None, region=self.conn.region)
                for r in records]

    async def delete_execution(self, execution_id: str) -> None:
        """One finished execution through the history prune (its rules: never an active one)."""
        from ...domain import history as h
        from ..history import HistoryService

        service = HistoryService(self.conn, self.location.history_table)
        rows = [r for r in await service.list_all() if r.execution_id == execution_id]
        preview = await service.preview(rows, h.PruneScope.selected([execution_id]))
        if not preview.delete_count:
            raise BadInput(f"Execution {execution_id} is not a finished execution that can be deleted.",
                           "An active execution, or one with a DRS job still running, is never deleted.")
        await service.prune(preview)
