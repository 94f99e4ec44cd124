"""The DRS native engine: a wave plan run as a DRS recovery plan (StartRecoveryPlanExecution ...).

No stack to deploy: DRS runs the steps itself. The plan must be published first
(``native_plans.publish``: the mapping in ``domain/native_mapping.py``); an execution is read as
the same ``ExecutionView`` the Step Functions backend gives (``domain/native_view.py``), watched by
the same ``ExecutionMonitor`` with a ``NativeSource``. Executions are named by their ARN or by its
last part (``short_id``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from ...domain.errors import BadInput, ConsoleError, ProblemKind
from ...domain.execution import Engine, ExecutionView
from ...domain.native_mapping import TAG_PLAN_ID, TAG_PLAN_NAME, TAG_PLAN_VERSION
from ...domain.native_point_in_time import PlanPoints
from ...domain.native_view import (
    ACTIVE_NATIVE,
    RETRYABLE_STEP,
    SKIPPABLE_STEP,
    build_native_view,
    native_record,
    ordered_steps,
    short_id,
    step_job_ids,
    summary_view,
)
from ...domain.plan import Plan
from ..backend_stack import BackendLocation
from ..drs_batch import Reader
from ..session import AwsConnection
from . import Capability, StartedExecution, unsupported

CAPABILITIES = frozenset({Capability.RETRY_STEP, Capability.SKIP_STEP, Capability.CANCEL,
                          Capability.DELETE_EXECUTION, Capability.RECOVERY_SNAPSHOTS})
EXECUTION_TAG_PLAN_ID = TAG_PLAN_ID
EXECUTION_ARN_MARK = ":recovery-plan-execution/"


def is_native_ref(ref: str) -> bool:
    """Whether an execution reference names a native execution (its ARN)."""
    return EXECUTION_ARN_MARK in (ref or "")



class NativeSource:
    """The record source of one native execution for ``ExecutionMonitor``."""

    def __init__(self, execution_arn: str, plan_tags: Mapping[str, str] | None = None):
        self.execution_arn = execution_arn
        self.plan_tags = dict(plan_tags or {})
        self.execution: dict[str, Any] = {}
        self.steps: list[dict[str, Any]] = []
        self.details: dict[int, dict[str, Any]] = {}

    async def read(self, reader: Reader) -> tuple[Any, dict[str, Any]]:
        resp = await reader.call("drs", "get_recovery_plan_execution", recoveryPlanExecutionArn=self.execution_arn)
        self.execution = dict(resp["recoveryPlanExecution"])
        if not self.plan_tags and self.execution.get("recoveryPlanArn"):
            try:
                plan = await reader.call("drs", "get_recovery_plan", recoveryPlanArn=self.execution["recoveryPlanArn"])
                self.plan_tags = dict(plan["recoveryPlan"].get("tags") or {})
                self.plan_tags.setdefault(TAG_PLAN_NAME, str(plan["recoveryPlan"].get("name") or ""))
            except ConsoleError as exc:
                if exc.kind is not ProblemKind.NOT_FOUND:
                    raise
                self.plan_tags = {TAG_PLAN_NAME: "(deleted plan)"}
        self.steps = ordered_steps(await reader.paged("list_recovery_plan_execution_steps",
                                                     key="recoveryPlanExecutionSteps",
                                                     recoveryPlanExecutionArn=self.execution_arn))
        for i, step in enumerate(self.steps):  # attempt and times: only for steps that ran or run
            if step.get("status") != "NOT_STARTED" and (i not in self.details or step.get("status") !=
                                                        self.details[i].get("status")):
                got = await reader.call("drs", "get_recovery_plan_execution_step",
                                        recoveryPlanExecutionStepArn=step["recoveryPlanExecutionStepArn"])
                self.details[i] = dict(got["recoveryPlanExecutionStep"])
        return native_record(self.execution, self.steps, plan_tags=self.plan_tags)

    def wave_jobs(self, record: Any) -> dict[str, int]:
        return {job: i for i, step in enumerate(self.steps) for job in step_job_ids(step)}

    def build(self, *, record: Any, jobs: dict, servers: dict, instances: dict, reasons: dict,
              account_id: str, region: str) -> ExecutionView:
        return build_native_view(execution=self.execution, steps=self.steps, plan_tags=self.plan_tags, jobs=jobs,
                                 servers=servers, instances=instances, reasons=reasons, account_id=account_id,
                                 region=region, step_details=self.details)


class NativeEngine:
    """The DRS native engine on one connection (``RecoveryEngine``)."""

    engine = Engine.NATIVE
    capabilities = CAPABILITIES

    def __init__(self, conn: AwsConnection):
        self.conn = conn
        self.reader = Reader(conn)

    async def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        return await self.reader.call("drs", operation, **kwargs)

    # -- finding ---------------------------------------------------------------------------------
    async def resolve(self, ref: str) -> str:
        """The execution ARN of ``ref`` (an ARN, or its last part)."""
        if is_native_ref(ref):
            return ref
        for item in await self.reader.paged("list_recovery_plan_executions", key="recoveryPlanExecutions"):
            arn = str(item.get("recoveryPlanExecutionArn") or "")
            if short_id(arn) == ref:
                return arn
        raise BadInput(f"No DRS native execution {ref} in {self.conn.region}.",
                       "Check the ID with 'drs-console history list --engine native'.")

    async def plan_for(self, plan: Plan) -> dict[str, Any] | None:
        """The published native plan of a library plan (tagged with its ID), or None."""
        from .native_plans import find_native_plan, linked_arn

        return await find_native_plan(self.reader, plan.id, linked_arn(plan))

    # -- start -----------------------------------------------------------------------------------
    async def start(self, plan: Plan, *, recovery: bool = False, confirm: str = "",
                    snapshots: Mapping[str, str] | None = None, client_token: str = "",
                    points: PlanPoints | None = None) -> StartedExecution:
        """StartRecoveryPlanExecution of the plan's published native plan, DRILL (default) or, with
        ``recovery`` and the plan's name typed as ``confirm``, RECOVERY. ``snapshots``: an optional
        {source server ID: recovery snapshot ID} mapping pinning what each server recovers from;
        ``points``: a point-in-time resolution (``native_points.resolve_plan_points``, refused when
        it BLOCKs): its mapping, and its requested time and snapshots kept as the execution's tags."""
        from ..runs import check_confirmation

        check_confirmation(plan, recovery=recovery, confirm=confirm)
        if points is not None and points.blocking():
            first = points.blocking()[0]
            raise BadInput(f"The point in time cannot be recovered to: {first.message}", first.remedy)
        native = await self.plan_for(plan)
        if native is None:
            raise BadInput(f"The plan {plan.name!r} is not published as a DRS native plan in {self.conn.region}.",
                           "Publish it first: 'drs-console plan publish FILE' (or run it with --engine stepfunctions).")
        kw: dict[str, Any] = {
            "recoveryPlanArn": native["recoveryPlanArn"],
            "mode": "RECOVERY" if recovery else "DRILL",
            "tags": {TAG_PLAN_ID: plan.id, TAG_PLAN_NAME: plan.name[:256],
                     TAG_PLAN_VERSION: str((native.get("tags") or {}).get(TAG_PLAN_VERSION, ""))},
        }
        if points is not None:
            snapshots = {**points.snapshots(), **dict(snapshots or {})}
            kw["tags"].update(points.tags())
        if snapshots:
            kw["sourceServers"] = [{"sourceServerID": sid, "recoverySnapshotID": snap}
                                   for sid, snap in sorted(snapshots.items())]
        if client_token:
            kw["clientToken"] = client_token[:64]
        resp = await self._call("start_recovery_plan_execution", **kw)
        ex = resp["recoveryPlanExecution"]
        arn = str(ex["recoveryPlanExecutionArn"])
        return StartedExecution(Engine.NATIVE, short_id(arn), arn, not recovery, plan.id, plan.name,
                                detail={"recoveryPlanArn": native["recoveryPlanArn"], "status": ex.get("status")})

    # -- reading ---------------------------------------------------------------------------------
    def monitor(self, execution_arn: str, **kwargs: Any):
        from ..monitor import ExecutionMonitor

        return ExecutionMonitor(self.conn, BackendLocation("", ""), short_id(execution_arn),
                                execution_arn=execution_arn, source=NativeSource(execution_arn), **kwargs)

    async def read(self, execution_id: str) -> ExecutionView:
        arn = await self.resolve(execution_id)
        return await self.monitor(arn).snapshot()

    async def _step(self, execution_id: str, step: int) -> tuple[str, dict[str, Any]]:
        arn = await self.resolve(execution_id)
        steps = ordered_steps(await self.reader.paged("list_recovery_plan_execution_steps",
                                                      key="recoveryPlanExecutionSteps", recoveryPlanExecutionArn=arn))
        if not 1 <= step <= len(steps):
            raise BadInput(f"Execution {short_id(arn)} has {len(steps)} steps; there is no step {step}.",
                           f"Give a step number from 1 to {len(steps)} ('drs-console status {short_id(arn)}').")
        return arn, steps[step - 1]

    # -- controls --------------------------------------------------------------------------------
    async def resume(self, execution_id: str) -> None:
        raise unsupported(Engine.NATIVE, Capability.PAUSE_RESUME, "Resume")

    async def retry_step(self, execution_id: str, step: int) -> ExecutionView:
        arn, item = await self._step(execution_id, step)
        status = str(item.get("status") or "")
        if status not in RETRYABLE_STEP or "waitStepConfiguration" in (item.get("configuration") or {}):
            raise BadInput(f"Step {step} ({item.get('stepName')}) is {status}: only a FAILED or TIMED_OUT server "
                           "step can be retried.", "Wait for it to end, or skip it ('drs-console skip-step').")
        await self._call("retry_recovery_plan_execution_step",
                         recoveryPlanExecutionStepArn=item["recoveryPlanExecutionStepArn"])
        return await self.monitor(arn).snapshot()

    async def skip_step(self, execution_id: str, step: int) -> ExecutionView:
        arn, item = await self._step(execution_id, step)
        status = str(item.get("status") or "")
        if status not in SKIPPABLE_STEP:
            raise BadInput(f"Step {step} ({item.get('stepName')}) is {status}: only a NOT_STARTED, FAILED or "
                           "TIMED_OUT step can be skipped.", "A running step cannot be skipped; cancel the execution "
                           "instead ('drs-console cancel').")
        await self._call("update_recovery_plan_execution_step",
                         recoveryPlanExecutionStepArn=item["recoveryPlanExecutionStepArn"], status="SKIPPED")
        return await self.monitor(arn).snapshot()

    async def cancel(self, execution_id: str) -> ExecutionView:
        arn = await self.resolve(execution_id)
        current = (await self._call("get_recovery_plan_execution", recoveryPlanExecutionArn=arn))["recoveryPlanExecution"]
        if current.get("status") in ACTIVE_NATIVE - {"CANCELLING"}:
            await self._call("cancel_recovery_plan_execution", recoveryPlanExecutionArn=arn)
        return await self.monitor(arn).snapshot()

    # -- listing and deleting --------------------------------------------------------------------
    async def list_executions(self, *, limit: int = 50, details: bool = True) -> list[ExecutionView]:
        """Every native execution of this account and region (the newest ``limit``; 0: all), newest
        first, as views without steps. ``details``: each one's GetRecoveryPlanExecution (its end)
        and steps (its waves' tally) read too, as History and the Executions list show them."""
        from .native_plans import list_native_plans

        plans = {p["recoveryPlanArn"]: p for p in await list_native_plans(self.reader, tags=True)}
        items = await self.reader.paged("list_recovery_plan_executions", key="recoveryPlanExecutions")
        items.sort(key=lambda i: str(i.get("startedAt") or ""), reverse=True)
        items = items[:limit] if limit else items

        async def view(item: Mapping[str, Any]) -> ExecutionView:
            plan = plans.get(str(item.get("recoveryPlanArn") or "")) or {}
            tags = plan.get("tags") or {}
            execution, steps = (await self._details(item)) if details else (item, None)
            return summary_view(execution, steps=steps, plan_name=str(tags.get(TAG_PLAN_NAME) or plan.get("name") or ""),
                                plan_id=str(tags.get(TAG_PLAN_ID) or ""), region=self.conn.region)

        views = list(await asyncio.gather(*(view(i) for i in items)))
        views.sort(key=lambda v: v.started_at.timestamp() if v.started_at else 0.0, reverse=True)
        return views

    async def _details(self, item: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[dict[str, Any]] | None]:
        """The execution as GetRecoveryPlanExecution has it (its ``completedAt``) and its steps;
        the listed item and no steps when it was deleted meanwhile."""
        arn = str(item.get("recoveryPlanExecutionArn") or "")
        try:
            got = await self._call("get_recovery_plan_execution", recoveryPlanExecutionArn=arn)
            steps = await self.reader.paged("list_recovery_plan_execution_steps", key="recoveryPlanExecutionSteps",
                                            recoveryPlanExecutionArn=arn)
        except ConsoleError as exc:
            if exc.kind is not ProblemKind.NOT_FOUND:
                raise
            return item, None
        return got["recoveryPlanExecution"], steps

    async def live_jobs(self, execution_arn: str) -> list[str]:
        """The DRS jobs of the execution that have not completed."""
        steps = await self.reader.paged("list_recovery_plan_execution_steps", key="recoveryPlanExecutionSteps",
                             recoveryPlanExecutionArn=execution_arn)
        ids = [j for s in steps for j in step_job_ids(s)]
        jobs = await self.reader.jobs(ids) if ids else {}
        return [j for j in ids if str((jobs.get(j) or {}).get("status") or "").upper() != "COMPLETED"]

    async def delete_execution(self, execution_id: str) -> None:
        """DeleteRecoveryPlanExecution, never of an active execution nor one with live DRS jobs."""
        arn = await self.resolve(execution_id)
        current = (await self._call("get_recovery_plan_execution", recoveryPlanExecutionArn=arn))["recoveryPlanExecution"]
        if current.get("status") in ACTIVE_NATIVE:
            raise BadInput(f"Execution {short_id(arn)} is {current.get('status')}: an active execution is never deleted.",
                           "Wait for it to end, or cancel it first.")
        live = await self.live_jobs(arn)
        if live:
            raise BadInput(f"Execution {short_id(arn)} still has DRS jobs running ({', '.join(live)}).",
                           "Wait for them to complete.")
        await self._call("delete_recovery_plan_execution", recoveryPlanExecutionArn=arn)

    async def drill_instances(self, execution_id: str) -> tuple[ExecutionView, list[dict[str, Any]]]:
        """The view and the recovery instances its steps' jobs launched, still up (for cleanup)."""
        from ..preflight import TERMINATED_STATES

        view = await self.read(execution_id)
        jobs = {j for w in view.waves for j in w.job_ids}
        sids = [s.source_server_id for w in view.waves for s in w.servers]
        items = await self.reader.recovery_instances(sids) if jobs else []
        alive = [i for i in items if i.get("jobID") in jobs
                 and str(i.get("ec2InstanceState") or "").upper() not in TERMINATED_STATES]
        return view, alive

    async def start_cleanup(self, execution_id: str):
        """Terminate a finished native drill's recovery instances (TerminateRecoveryInstances, 200 a
        call): the ``aws.runs.CleanupJob`` to follow with ``aws.runs.follow_cleanup``, as for a
        backend drill. Refused for a RECOVERY and for an execution still active."""
        from ..drs_batch import TERMINATE_PER_CALL, chunks
        from ..runs import CleanupJob

        view, alive = await self.drill_instances(execution_id)
        if not view.is_drill:
            raise BadInput(f"Execution {view.execution_id} is a RECOVERY: its recovery instances are the recovered "
                           "production, and cleanup is only for drills.",
                           "Terminate recovery instances of a real recovery in the DRS console, deliberately.")
        if not view.is_terminal:
            raise BadInput(f"Execution {view.execution_id} is still {view.native_status or view.status}.",
                           f"Wait for it to end, or cancel it first ('drs-console cancel {view.execution_id}').")
        ids = [str(i["recoveryInstanceID"]) for i in alive]
        jobs = []
        for batch in chunks(ids, TERMINATE_PER_CALL):
            resp = await self._call("terminate_recovery_instances", recoveryInstanceIDs=batch)
            jobs.append(str(resp["job"]["jobID"]))
        return CleanupJob(view.execution_id, tuple(jobs), tuple(ids),
                          tuple(sorted({str(i.get("sourceServerID")) for i in alive})))
