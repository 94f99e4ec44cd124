"""What the Executions page and the Run dialog ask of the engine, in one small facade.

``ExecutionEngine`` binds the engine modules (aws/monitor.py, aws/preflight.py, aws/runs.py,
domain/report.py, aws/backend.py) to the GUI's current connection, so that pages never hold a
boto3-level object and tests can hand the page a fake engine with fake monitors.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol

from ..aws.backend import BackendLocation, BackendService
from ..aws.engines import WHY_NOT, Capability
from ..domain import contract as c
from ..domain.contract import ExecutionRecord
from ..domain.errors import ConsoleError, ProblemKind
from ..domain.execution import (
    Engine,
    ExecutionType,
    ExecutionView,
    MonitorUpdate,
    ServerTally,
    WaveTally,
    WaveView,
)
from ..domain.history import parse_time
from ..domain.plan import Plan
from .connection import ConnectionController
from .models.execution_models import CheckRow
from .tasks import off_thread
from .threaded_monitor import ThreadedMonitor

log = logging.getLogger(__name__)


class Monitor(Protocol):
    def updates(self) -> AsyncIterator[MonitorUpdate]: ...


@dataclass(frozen=True)
class PreflightResult:
    checks: tuple[CheckRow, ...]
    raw: Any = None  # the engine's report, handed back to start()

    @property
    def blocked(self) -> bool:
        return any(ch.level == "BLOCK" for ch in self.checks)

    def blocks(self) -> list[CheckRow]:
        return [ch for ch in self.checks if ch.level == "BLOCK"]


def view_from_record(record: ExecutionRecord, *, account_id: str = "", region: str = "") -> ExecutionView:
    """An ExecutionView of a history record alone (no DRS details): for the list of executions."""
    waves = tuple(
        WaveView(
            index=w.index,
            name=w.name,
            status=w.status,
            job_id=w.job_id,
            started_at=parse_time(w.started_at),
            ended_at=parse_time(w.ended_at),
            launched=w.servers_launched,
            failed=w.servers_failed,
            error=w.error,
            cause=w.cause,
        )
        for w in record.waves
    )
    try:
        kind = ExecutionType(record.execution_type or "DRILL")
    except ValueError:
        kind = ExecutionType.DRILL
    return ExecutionView(
        execution_id=record.execution_id,
        plan_id=record.plan_id,
        plan_name=record.plan_name,
        execution_type=kind,
        status=record.status,
        started_at=parse_time(record.started_at),
        ended_at=parse_time(record.ended_at),
        initiated_by=record.initiated_by,
        execution_arn=record.execution_arn,
        account_id=account_id,
        region=region,
        waves=waves,
        error=record.error,
        cause=record.cause,
        recorded_waves=WaveTally.of_counts(record.wave_counts, record.wave_count),  # as History counts them
        recorded_servers=ServerTally(0, record.servers_launched, record.servers_failed),
    )


async def imported(name: str) -> ModuleType:
    """``drs_console.<name>``, imported on a worker thread the first time: the first start of a run
    imported aws.runs and what it pulls in (preflight, doctor) on the GUI thread, a 90 ms stall.
    (Not read from sys.modules: a module another task is still importing is there half-made;
    import_module waits for it on the worker thread.)"""
    module = _IMPORTED.get(name)
    if module is None:
        module = await off_thread(importlib.import_module, f"{__package__.rpartition('.')[0]}.{name}")
        _IMPORTED[name] = module
    return module


_IMPORTED: dict[str, ModuleType] = {}


async def off_gui_thread(make: Any) -> Any:
    """Run the coroutine ``make()`` makes on its own event loop in a worker thread and await its
    result: a preflight or a start reads and checks every server of the plan (1,000 of them), work
    that must not stall the GUI. (Cancelling the caller does not stop it: both finish quickly.)"""
    return await off_thread(lambda: asyncio.run(make()))


CHECK_TITLES = {
    "target": "Target account and region",
    "contract": "Backend contract",
    "plan": "Plan validation",
    "selectors": "Tag selectors",
    "servers": "Source servers and replication",
    "active-jobs": "Active DRS jobs",
    "active-executions": "Active executions",
    "leases": "Server leases",
    "quota": "Per-job quota",
    "leftovers": "Leftover drill instances",
}


def check_row(check: Any, n: int) -> CheckRow:
    """A CheckRow from a domain.preflight.Check."""
    name = str(getattr(check, "check", "") or f"check-{n}")
    level = getattr(check, "level", "WARN")
    level = str(getattr(level, "value", level)).upper()
    wave = getattr(check, "wave_index", None)
    title = CHECK_TITLES.get(name, name)
    if wave is not None:
        title += f" (wave {wave + 1})"
    return CheckRow(
        key=f"{n}:{name}",
        level=level,
        title=title,
        message=str(getattr(check, "message", "")),
        remedy=str(getattr(check, "remedy", "")) if level != "PASS" else "",
        overridable=name == "target" and level == "BLOCK",
        action=str(getattr(check, "action", "") or ""),
    )


class ExecutionEngine:
    """The engine bound to the GUI's connection. Every method is a plain coroutine."""

    def __init__(self, controller: ConnectionController):
        self.controller = controller
        self._location: BackendLocation | None = None
        self._location_for: object = None
        self._arns: dict[str, str] = {}  # executions started here: their ARN (the monitor needs it early)
        self._native: dict[str, str] = {}  # DRS native executions seen: ID -> execution ARN
        self.cleanup_poll = 2.0

    # -- plumbing ------------------------------------------------------------------------------
    def _conn(self):
        conn = self.controller.connection
        if conn is None:
            raise ConsoleError(ProblemKind.CANCELLED, "Not connected.", "Connect first.")
        return conn

    def _accounts(self) -> list:
        """The known accounts (a plan's servers of other accounts are checked and run there)."""
        known = getattr(self.controller, "known_accounts", None)
        return list(known()) if callable(known) else []

    def _connector(self) -> Any:
        """The connection's shared connector to the known accounts (None: one made for the call)."""
        shared = getattr(self.controller, "accounts_connector", None)
        return shared() if callable(shared) else None

    def _ident(self) -> tuple[str, str]:
        ident = self.controller.identity
        return (ident.account_id, ident.region) if ident else ("", "")

    async def location(self) -> BackendLocation:
        conn = self._conn()
        if self._location is not None and self._location_for is conn:
            return self._location
        settings = self.controller.settings
        service = BackendService(conn)
        explicit_table = getattr(settings, "history_table", None) or None
        explicit_arn = getattr(settings, "state_machine_arn", None) or None
        try:
            location = await service.locate(
                settings.backend_stack_name or c.DEFAULT_STACK_NAME,
                state_machine_arn=explicit_arn,
                history_table=explicit_table,
            )
        except ConsoleError as exc:
            sandbox = self.controller.sandbox
            if exc.kind is not ProblemKind.NOT_FOUND or sandbox is None:
                raise
            # the sandbox starts without the backend: deploy the reference one, as `backend deploy` would
            from ..sandbox.backend import deploy_reference_backend

            outputs = getattr(sandbox, "backend_outputs", None) or await asyncio.get_running_loop().run_in_executor(
                None, deploy_reference_backend, sandbox
            )
            if hasattr(sandbox, "backend_outputs"):
                sandbox.backend_outputs = outputs
            location = BackendLocation(
                outputs[c.OUTPUT_STATE_MACHINE_ARN], outputs[c.OUTPUT_HISTORY_TABLE], c.DEFAULT_STACK_NAME,
                outputs.get(c.OUTPUT_CONTRACT_VERSION, ""),
            )
        self._location, self._location_for = location, conn
        return location

    # -- reading -------------------------------------------------------------------------------
    async def list_executions(self, limit: int = 50) -> list[ExecutionView]:
        """The backend's executions (newest ``limit``) and the DRS native ones (newest ``limit``).
        No backend deployed: the native ones alone (the backend's error when there are none)."""
        account, region = self._ident()
        views: list[ExecutionView] = []
        missing: ConsoleError | None = None
        try:
            loc = await self.location()
            records = await BackendService(self._conn()).list_executions(loc.history_table, limit=limit)
            views = [view_from_record(r, account_id=account, region=region) for r in records]
        except ConsoleError as exc:
            if exc.kind is not ProblemKind.NOT_FOUND:
                raise
            missing = exc
        try:
            native = await self.list_native(limit)
        except ConsoleError as exc:
            log.warning("DRS native executions not listed: %s", exc.one_line())
            native = []
        if missing is not None and not native:
            raise missing
        return views + [replace(v, account_id=account) for v in native]

    async def list_native(self, limit: int = 50) -> list[ExecutionView]:
        """The DRS native executions of the region, newest first (views without steps)."""
        native = await imported("aws.engines.native")
        views = await native.NativeEngine(self._conn()).list_executions(limit=limit)
        for v in views:
            self._native[v.execution_id] = v.execution_arn
        return views

    # -- the engine of an execution --------------------------------------------------------------
    def is_native(self, execution_id: str) -> bool:
        return execution_id in self._native

    def native_arn(self, execution_id: str) -> str:
        return self._native.get(execution_id, "")

    def note_native(self, execution_id: str, arn: str) -> None:
        """A DRS native execution known by its ARN (History's row, the Run dialog's start)."""
        if arn:
            self._native[execution_id] = arn

    @staticmethod
    def capabilities(engine: Engine) -> frozenset[Capability]:
        """What the engine can do (aws.engines: the native engine's CAPABILITIES, the backend's)."""
        if engine is Engine.NATIVE:  # imported already (on a worker thread) when a native view exists
            return importlib.import_module(f"{__package__.rpartition('.')[0]}.aws.engines.native").CAPABILITIES
        # StepFunctionsEngine's (set per instance there)
        return frozenset({Capability.PAUSE_RESUME, Capability.CANCEL, Capability.DELETE_EXECUTION,
                          Capability.SELECTORS_AT_RUN_TIME, Capability.PER_WAVE_TIMEOUT})

    def step_refusal(self, view: ExecutionView, index: int | None, action: str) -> str:
        """Why ``action`` ("retry" or "skip") of step ``index`` does not apply now ("" when it
        does): the engine's capabilities first, then the step's state."""
        from ..domain.native_view import step_refusal

        capability = Capability.RETRY_STEP if action == "retry" else Capability.SKIP_STEP
        if capability not in self.capabilities(view.engine):
            why = WHY_NOT.get((view.engine, capability), f"the {view.engine.label} engine cannot {capability.value}")
            return f"{capability.value.capitalize()} does not apply to a {view.engine.label} execution: {why}."
        if index is None:
            return f"Select a step first: {capability.value} applies to one step."
        return step_refusal(view, index, action)

    @staticmethod
    def cannot(engine: Engine) -> list[str]:
        """What an engine cannot do, in words (the header says it)."""
        return [f"no {cap.value}: {WHY_NOT[(engine, cap)]}" for cap in (Capability.PAUSE_RESUME,)
                if (engine, cap) in WHY_NOT]

    async def read_execution(self, execution_id: str) -> ExecutionView | None:
        loc = await self.location()
        record = await BackendService(self._conn()).read_execution(loc.history_table, execution_id)
        account, region = self._ident()
        return view_from_record(record, account_id=account, region=region) if record else None

    async def monitor(self, execution_id: str, *, poll_seconds: float | None = None) -> Monitor:
        ExecutionMonitor = (await imported("aws.monitor")).ExecutionMonitor  # noqa: N806 - a class

        loc = await self.location() if not self.is_native(execution_id) else None
        kwargs: dict[str, Any] = {}
        if poll_seconds is not None:  # a fixed interval (tests, benchmarks); else the monitor's adaptive one
            kwargs["poll_interval"] = kwargs["min_interval"] = kwargs["max_interval"] = poll_seconds
        account, _region = self._ident()
        if self.is_native(execution_id):
            native = await imported("aws.engines.native")
            return ThreadedMonitor(native.NativeEngine(self._conn()).monitor(
                self._native[execution_id], account_id=account, **kwargs))
        return ThreadedMonitor(ExecutionMonitor(self._conn(), loc, execution_id, account_id=account,
                                                execution_arn=self._arns.get(execution_id, ""),
                                                accounts=self._accounts(), **kwargs))

    def reattach(self, monitor: Any) -> bool:
        """After a re-authentication: hand the new connection to the monitor's resume hook. False
        when the monitor has none (the page then starts a new monitor)."""
        hook = getattr(monitor, "resume_after_reauth", None)
        if not callable(hook):
            return False
        hook(self.controller.connection)
        return True

    @staticmethod
    def poke(monitor: Any) -> None:
        """Poll now (after a resume or cancel, so the operator sees it without waiting)."""
        poke = getattr(monitor, "poke", None)
        if callable(poke):
            poke()

    # -- running -------------------------------------------------------------------------------
    async def preflight(self, plan: Plan, *, override_target: bool = False, drill: bool = True,
                        point_in_time: datetime | None = None) -> PreflightResult:
        """The preflight, off the GUI thread; ``point_in_time``: resolve every server's recovery
        snapshot for that time (the report's ``resolutions``, its checks one row per server)."""
        preflight = (await imported("aws.preflight")).preflight

        loc = await self.location()
        conn = self._conn()
        accounts = self._accounts()
        report = await off_gui_thread(
            lambda: preflight(conn, loc, plan, override_target=override_target, drill=drill,
                              point_in_time=point_in_time, accounts=accounts)
        )
        return PreflightResult(tuple(check_row(ch, n) for n, ch in enumerate(report.checks)), report)

    async def start(
        self, plan: Plan, *, drill: bool, confirmation: str = "", override_target: bool = False,
        preflight: PreflightResult | None = None,
    ) -> str:
        """Start ``plan`` (aws.runs.start_run: confirmation, preflight, input validation, StartExecution).
        A preflight report of the same plan and type is reused; otherwise it runs again."""
        runs = await imported("aws.runs")

        loc = await self.location()
        ident = self.controller.identity
        report = preflight.raw if preflight is not None else None
        point_in_time = getattr(report, "point_in_time", None)  # a point-in-time run stays one
        if report is not None and (getattr(report, "drill", drill) != drill or getattr(report, "plan_id", "") != plan.id):
            report = None
        conn = self._conn()
        started = await off_gui_thread(lambda: runs.start_run(
            conn, loc, plan,
            recovery=not drill,
            confirm=confirmation,
            override_target=override_target and drill,
            report=report,
            initiated_by=ident.arn if ident else "",
            point_in_time=point_in_time,
            accounts=self._accounts(),
        ))
        self._arns[started.execution_id] = started.execution_arn
        return started.execution_id

    # -- the DRS native engine (the Run dialog's engine choice) ---------------------------------
    async def native_check(self, plan: Plan, *, point_in_time: datetime | None = None) -> Any:
        """The plan's DRS native mapping, its published native plan and its drift (a NativeCheck);
        with ``point_in_time``, each server's snapshot for it (the backend preflight's resolution
        and checks: ``aws/engines/native_points.py``)."""
        from ..aws.engines.native_plans import find_native_plan, linked_arn, mapping_for, native_steps
        from ..aws.engines.native_points import resolve_plan_points
        from ..aws.runs import plan_version
        from ..domain.native_mapping import drift, steps_from_api
        from .widgets.engine_choice import NativeCheck

        conn = self._conn()

        async def check() -> NativeCheck:
            from ..aws.drs_batch import Reader

            reader = Reader(conn)
            mapping = await mapping_for(conn, plan, plan_version=plan_version(plan), drop_pauses=True, reader=reader)
            points = await resolve_plan_points(conn, plan, point_in_time=point_in_time, reader=reader) \
                if point_in_time is not None else None
            native = await find_native_plan(reader, plan.id, linked_arn(plan))
            if native is None:
                return NativeCheck(mapping, points=points)
            steps = steps_from_api(await native_steps(reader, native["recoveryPlanArn"]))
            return NativeCheck(mapping, str(native["recoveryPlanArn"]), tuple(drift(mapping.steps, steps)),
                               points=points)

        return await off_gui_thread(check)

    async def recovery_snapshots(self, server_ids, since: datetime, *,
                                 account_of: dict[str, str] | None = None) -> dict[str, list]:
        """Server ID -> its recovery snapshots since ``since`` (newest first; aws/snapshots.py,
        on the connection's executor): the Run dialog's point-in-time timeline. ``account_of``: the
        plan's servers other accounts hold (their ``accountId``), read in those accounts."""
        from ..aws.snapshots import SnapshotService, of_plan_servers

        if not account_of:
            return await SnapshotService(self._conn()).of_servers(server_ids, since=since)
        return await of_plan_servers(self._conn(), server_ids, since=since, account_of=account_of,
                                     accounts=self._accounts(), hub_account=self._ident()[0],
                                     connector=self._connector())

    async def start_native(self, plan: Plan, *, drill: bool, confirmation: str = "",
                           snapshots: dict[str, str] | None = None, points: Any = None) -> str:
        """StartRecoveryPlanExecution of the plan's published native plan; its execution ID.
        ``points``: the point-in-time resolution the native check showed (its mapping is passed)."""
        from ..aws.engines.native import NativeEngine

        conn = self._conn()
        started = await off_gui_thread(lambda: NativeEngine(conn).start(
            plan, recovery=not drill, confirm=confirmation, snapshots=snapshots, points=points))
        self._arns[started.execution_id] = started.execution_arn
        self._native[started.execution_id] = started.execution_arn
        return started.execution_id

    async def start_sample_native(self, plan: Plan) -> str:
        """The sandbox's screenshot: publish ``plan`` as a DRS native plan (its pauses dropped) and
        start a native drill of it, as 'plan publish --drop-pauses' and 'run --engine native' do."""
        native_plans = await imported("aws.engines.native_plans")
        runs = await imported("aws.runs")
        native = await imported("aws.engines.native")
        conn = self._conn()

        async def go() -> Any:
            await native_plans.publish(conn, plan, plan_version=runs.plan_version(plan), drop_pauses=True)
            return await native.NativeEngine(conn).start(plan, recovery=False)

        started = await off_gui_thread(go)
        self._arns[started.execution_id] = started.execution_arn
        self._native[started.execution_id] = started.execution_arn
        return started.execution_id

    async def _native_engine(self) -> Any:
        return (await imported("aws.engines.native")).NativeEngine(self._conn())

    async def retry_step(self, execution_id: str, step: int) -> ExecutionView:
        """RetryRecoveryPlanExecutionStep of step ``step`` (1-based) of a native execution (the
        engine refuses a step that is not FAILED or TIMED_OUT, saying why)."""
        return await self._step_call(execution_id, step, "retry")

    async def skip_step(self, execution_id: str, step: int) -> ExecutionView:
        """UpdateRecoveryPlanExecutionStep SKIPPED of step ``step`` (1-based) of a native execution."""
        return await self._step_call(execution_id, step, "skip")

    async def _step_call(self, execution_id: str, step: int, verb: str) -> ExecutionView:
        from ..domain.errors import BadInput

        engine = await self._native_engine()
        arn = self._native.get(execution_id, execution_id)
        try:
            return await (engine.retry_step(arn, step) if verb == "retry" else engine.skip_step(arn, step))
        except ConsoleError as exc:  # DRS's own refusal (a ConflictException): say it as the CLI does
            if exc.kind is ProblemKind.AWS_ERROR and "Conflict" in exc.message:
                raise BadInput(f"DRS refused to {verb} step {step}: {exc.message}",
                               "The step's state changed meanwhile: look at it again.") from exc
            raise

    async def resume(self, execution_id: str) -> None:
        if self.is_native(execution_id):  # a native plan never pauses: say why, as the CLI does
            from ..aws.engines import unsupported

            raise unsupported(Engine.NATIVE, Capability.PAUSE_RESUME, "Resume")
        runs = await imported("aws.runs")

        loc = await self.location()
        ident = self.controller.identity
        await runs.resume_run(self._conn(), loc, execution_id, resumed_by=ident.arn if ident else "")

    async def cancel(self, execution_id: str) -> Any:
        """Cancel, polling or paused, until the execution has stopped (StopExecution as a last
        resort: aws.runs.cancel_run). Returns the CancelResult."""
        if self.is_native(execution_id):  # CancelRecoveryPlanExecution: no further step starts
            return await (await self._native_engine()).cancel(self._native[execution_id])
        runs = await imported("aws.runs")

        loc = await self.location()
        ident = self.controller.identity
        return await runs.cancel_run(self._conn(), loc, execution_id, cancelled_by=ident.arn if ident else "")

    async def cleanup_drill_instances(self, view: ExecutionView) -> AsyncIterator[str]:
        """Terminate the recovery instances of a finished drill; yields the TERMINATE jobs' progress."""
        runs = await imported("aws.runs")

        if self.is_native(view.execution_id):
            job = await (await self._native_engine()).start_cleanup(self._native[view.execution_id])
        else:
            loc = await self.location()
            job = await runs.start_cleanup(self._conn(), loc, view.execution_id, accounts=self._accounts())
        if job.nothing_to_do:
            yield "no recovery instance of this drill is running"
            return
        yield f"TERMINATE job {', '.join(job.job_ids)} started for {len(job.recovery_instance_ids)} instances"
        async for progress in runs.follow_cleanup(self._conn(), job, poll=self.cleanup_poll):
            yield progress.one_line()

    async def cleanup_leftovers(self, plan: Plan, preflight: PreflightResult | None) -> AsyncIterator[str]:
        """Terminate the drill instances the preflight found left from earlier drills."""
        runs = await imported("aws.runs")

        leftovers = list(getattr(preflight.raw, "leftovers", ()) if preflight is not None else ())
        if not leftovers:
            yield "nothing to clean up"
            return
        job = await runs.terminate_leftovers(self._conn(), leftovers)
        yield f"TERMINATE job {', '.join(job.job_ids)} started for {len(job.recovery_instance_ids)} leftover instances"
        async for progress in runs.follow_cleanup(self._conn(), job, poll=self.cleanup_poll):
            yield progress.one_line()

    # -- report --------------------------------------------------------------------------------
    def report(self, view: ExecutionView, events, fmt: str) -> str:
        from ..domain import report

        return report.report_csv(view, events) if fmt == "csv" else report.report_html(view, events)
