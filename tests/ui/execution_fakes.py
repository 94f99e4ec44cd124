"""A fake engine for the Executions page: monitors fed by the test, recorded controls.

The page talks to ExecutionEngine's methods only; these fakes implement the same ones, so tests
drive the monitor stream update by update (no clock, no sleeps).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from drs_console.domain.execution import (
    ExecutionType,
    ExecutionView,
    JobLogEvent,
    MonitorUpdate,
    ServerView,
    StreamState,
    WaveView,
)
from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus, ReplicationState
from drs_console.ui.execution_engine import PreflightResult
from drs_console.ui.models.execution_models import CheckRow

T0 = datetime(2024, 6, 3, 2, 58, 0, tzinfo=UTC)


class FakeMonitor:
    def __init__(self, execution_id: str):
        self.execution_id = execution_id
        self.queue: asyncio.Queue = asyncio.Queue()
        self.started = False
        self.cancelled = False
        self.stopped = False
        self.reauth_conns: list = []
        self.pokes = 0

    def push(self, update: MonitorUpdate) -> None:
        self.queue.put_nowait(update)

    async def updates(self):
        self.started = True
        try:
            while True:
                update = await self.queue.get()
                yield update
                if update.state is StreamState.ENDED:
                    return
        except asyncio.CancelledError:
            self.cancelled = True
            raise

    def stop(self) -> None:
        self.stopped = True

    def poke(self) -> None:
        self.pokes += 1

    def resume_after_reauth(self, conn=None) -> None:
        self.reauth_conns.append(conn)


class FakeEngine:
    def __init__(self, executions: list[ExecutionView] | None = None):
        self.executions = list(executions or [])
        self.monitors: dict[str, list[FakeMonitor]] = {}
        self.resumed: list[str] = []
        self.cancelled: list[str] = []
        self.started: list[dict] = []
        self.checks: list[CheckRow] = [CheckRow("0:target", "PASS", "Target account and region", "ok")]
        self.preflights: list[dict] = []
        self.terminated: list[str] = []
        self.cleanups = 0

    # reading
    async def list_executions(self, limit: int = 50):
        return list(self.executions)

    async def monitor(self, execution_id: str, *, poll_seconds=None):
        m = FakeMonitor(execution_id)
        self.monitors.setdefault(execution_id, []).append(m)
        return m

    def monitor_of(self, execution_id: str) -> FakeMonitor:
        return self.monitors[execution_id][-1]

    def reattach(self, monitor) -> bool:
        monitor.resume_after_reauth("new-conn")
        return True

    @staticmethod
    def poke(monitor) -> None:
        monitor.poke()

    # running
    async def preflight(self, plan, *, override_target=False, drill=True):
        self.preflights.append({"override": override_target, "drill": drill})
        checks = list(self.checks)
        if override_target and drill:
            checks = [replace(c, level="WARN", overridable=False) if c.overridable else c for c in checks]
        return PreflightResult(tuple(checks))

    async def start(self, plan, *, drill, confirmation="", override_target=False, preflight=None):
        if not drill and confirmation != plan.name:
            raise AssertionError("the dialog let a recovery start without the exact plan name")
        self.started.append({"plan": plan.name, "drill": drill, "override": override_target})
        eid = f"exec-started-{len(self.started)}"
        self.executions.append(view(eid, S.PENDING, waves=()))
        return eid

    async def resume(self, execution_id):
        self.resumed.append(execution_id)

    async def cancel(self, execution_id):
        self.cancelled.append(execution_id)
        return S.RUNNING

    async def cleanup_drill_instances(self, view):
        self.terminated.append(view.execution_id)
        for line in ("TERMINATE job drsjob-term1 started", "2 of 2 terminated"):
            yield line

    async def cleanup_leftovers(self, plan, report):
        self.cleanups += 1
        yield "TERMINATE job drsjob-left1: 1 of 1 terminated"

    def report(self, view, events, fmt):
        return f"{fmt}:{view.execution_id}:{len(events)}"


def server(n: int, *, launch=None, instance="", state="", reason="") -> ServerView:
    return ServerView(
        source_server_id=f"s-{n:017x}",
        name=f"pay-srv-{n:02d}",
        source_instance_id=f"i-{n:017x}",
        source_account_id="330992064277",
        replication_state=ReplicationState.CONTINUOUS,
        launch_status=launch,
        recovery_instance_id=f"i-rec{n:014x}" if instance else "",
        ec2_instance_id=instance,
        ec2_instance_state=state,
        failure_reason=reason,
    )


def wave(index: int, status, *, job="", start=None, end=None, servers=(), pause=False, launched=0, failed=0):
    return WaveView(
        index=index,
        name=["Databases", "Application tier", "Web tier"][index % 3],
        status=status,
        job_id=job,
        started_at=start,
        ended_at=end,
        pause_before=pause,
        timeout_minutes=60,
        servers=tuple(servers),
        launched=launched,
        failed=failed,
    )


def view(eid: str, status, *, waves=None, kind=ExecutionType.DRILL, started=T0, ended=None) -> ExecutionView:
    if waves is None:
        waves = (wave(0, S.STARTED, job="drsjob-aaaa1", start=T0, servers=[server(1, launch=LaunchStatus.PENDING)]),
                 wave(1, None, servers=[server(2), server(3)]))
    return ExecutionView(
        execution_id=eid,
        plan_id="plan-1",
        plan_name="Payments regional failover",
        execution_type=kind,
        status=status,
        started_at=started,
        ended_at=ended,
        initiated_by="arn:aws:sts::123456789012:assumed-role/dr-operator/alice",
        account_id="123456789012",
        region="us-east-1",
        waves=tuple(waves),
    )


def update(v: ExecutionView, state=StreamState.LIVE, *, events=(), message="", changed=True) -> MonitorUpdate:
    if v.is_terminal and state is StreamState.LIVE:
        state = StreamState.ENDED
    return MonitorUpdate(view=v, state=state, changed=changed, events=tuple(events), message=message)


def event(seconds: int, name: str, sid_n: int | None = None, detail="") -> JobLogEvent:
    return JobLogEvent(
        time=T0 + timedelta(seconds=seconds),
        event=name,
        source_server_id=f"s-{sid_n:017x}" if sid_n is not None else "",
        detail=detail,
    )
