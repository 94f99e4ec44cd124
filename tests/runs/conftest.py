"""A sandbox with the reference backend deployed, per test module (moto's state is process-global:
one Sandbox at a time, so the fixture is module-scoped and stops before the next module starts).

Runs go through the REAL state machine (resources/backend/state-machine.asl.json) in moto, against
the DRS simulator on a fast clock (SPEED simulated seconds per real second); the state machine polls
DRS every second. Nothing sleeps waiting for state: tests wait on conditions (``wait_until``) or
drive the simulator clock.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from typing import Any

import pytest

from drs_console.aws.backend import BackendLocation, BackendService
from drs_console.aws.monitor import ExecutionMonitor
from drs_console.aws.session import AwsConnection
from drs_console.domain.contract import ExecutionRecord
from drs_console.domain.errors import ConsoleError, ProblemKind
from drs_console.domain.plan import FailurePolicy, Plan, ServerRef, Wave

SPEED = 600.0
SERVERS = 120


async def wait_until(predicate: Callable[[], Awaitable[Any]], *, timeout: float = 30.0, interval: float = 0.1,
                     what: str = "") -> Any:
    """Await ``predicate()`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = await predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        await asyncio.sleep(interval)


class FaultyConnection:
    """An AwsConnection whose calls fail with ``fault`` (a ProblemKind) while it is set."""

    def __init__(self, conn: AwsConnection):
        self._conn = conn
        self.fault: ProblemKind | None = None
        self.failed_calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def call(self, fn, *args, **kwargs):
        if self.fault is not None:
            self.failed_calls += 1
            raise ConsoleError(self.fault, f"injected {self.fault.value}", "wait")
        return await self._conn.call(fn, *args, **kwargs)

    async def identity(self):
        if self.fault is not None:
            raise ConsoleError(self.fault, f"injected {self.fault.value}", "wait")
        return await self._conn.identity()


class Harness:
    def __init__(self, sandbox, outputs: dict[str, str]):
        self.sandbox = sandbox
        self.location = BackendLocation(outputs["StateMachineArn"], outputs["HistoryTableName"], "drs-console",
                                        outputs["ContractVersion"])
        self.conn = AwsConnection(sandbox.connection_params())
        self.service = BackendService(self.conn, poll_seconds=0.05)
        drs = sandbox.drs
        self._healthy = [s for s in drs.server_ids()
                         if drs.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"]
        self._unhealthy = [s for s in drs.server_ids() if s not in self._healthy]
        self._used: set[str] = set()

    @property
    def sim(self):
        return self.sandbox.drs

    def healthy(self, n: int) -> list[str]:
        """``n`` servers with continuous replication no test used before."""
        out = [s for s in self._healthy if s not in self._used][:n]
        assert len(out) == n, "the sandbox ran out of unused healthy servers"
        self._used.update(out)
        return out

    def unhealthy(self) -> list[str]:
        return list(self._unhealthy)

    def plan(self, waves: list[list[str]], *, name: str = "E2E plan", pause: frozenset[int] = frozenset(),
             policy: FailurePolicy = FailurePolicy.CONTINUE, account: str | None = None,
             region: str | None = None, selectors: dict[int, str] | None = None) -> Plan:
        plan = Plan.new(name, target_account_id=account or self.sandbox.account_id,
                        target_region=region or self.sandbox.region)
        plan.poll_interval_seconds = 5
        plan.failure_policy = policy
        for i, ids in enumerate(waves):
            plan.waves.append(Wave(name=f"W{i + 1}", servers=[ServerRef(s) for s in ids],
                                   selector=(selectors or {}).get(i), pause_before=i in pause,
                                   timeout_minutes=10))
        return plan

    def monitor(self, run_or_id, conn=None, **kw) -> ExecutionMonitor:
        execution_id = getattr(run_or_id, "execution_id", run_or_id)
        arn = getattr(run_or_id, "execution_arn", "")
        kw.setdefault("poll_interval", 0.2)
        kw.setdefault("min_interval", 0.05)
        kw.setdefault("max_interval", 1.0)
        return ExecutionMonitor(conn or self.conn, self.location, execution_id, execution_arn=arn,
                                account_id=self.sandbox.account_id, **kw)

    async def record(self, execution_id: str) -> ExecutionRecord | None:
        return await self.service.read_execution(self.location.history_table, execution_id)

    async def wait_record(self, execution_id: str, predicate, *, timeout: float = 40.0, what: str = ""):
        async def check():
            rec = await self.record(execution_id)
            return rec if rec is not None and predicate(rec) else None

        return await wait_until(check, timeout=timeout, what=what or f"record {execution_id}")

    async def wait_ended(self, arn: str, timeout: float = 40.0):
        async def check():
            info = await self.service.describe_execution(arn)
            return info if not info.running else None

        return await wait_until(check, timeout=timeout, interval=0.2, what=f"{arn} to end")


def run(coro, timeout: float = 90.0):
    """Run a test scenario on a fresh event loop, with an overall timeout."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@contextmanager
def deployed_sandbox(harness_class, **sandbox_args):
    """A started sandbox with the reference backend deployed, as ``harness_class(sandbox,
    location)``; stopped afterwards."""
    from drs_console.sandbox import Sandbox
    from drs_console.sandbox.backend import deploy_reference_backend

    sandbox = Sandbox(**sandbox_args)
    sandbox.start()
    try:
        h = harness_class(sandbox, deploy_reference_backend(sandbox))
        yield h
        h.conn.close()
    finally:
        sandbox.stop()


def cli_caller(harness, monkeypatch):
    """``call(*argv) -> (exit code, stdout, stderr)``: the CLI against the harness's sandbox as any
    AWS endpoint (--endpoint-url, keys in the environment)."""
    import io

    from drs_console.cli.context import CliContext
    from drs_console.cli.main import build_parser, run_command

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-secret")

    def call(*argv):
        ctx = CliContext(region=harness.sandbox.region, endpoint_url=harness.sandbox.endpoint_url,
                         out=io.StringIO(), err=io.StringIO())
        args = build_parser().parse_args(["--endpoint-url", harness.sandbox.endpoint_url, *argv])
        code = run_command(args, ctx)
        return code, ctx.out.getvalue(), ctx.err.getvalue()

    return call


@pytest.fixture(scope="module")
def harness():
    with deployed_sandbox(Harness, servers=SERVERS, seed=7, speed=SPEED) as h:
        yield h


@pytest.fixture
def sim(harness):
    """The DRS simulator; its fault knobs and clock are reset after the test."""
    drs = harness.sim
    yield drs
    drs.clear_failures()
    drs.set_throttle_rate(0.0)
    harness.sandbox.clock.set_manual(False)
