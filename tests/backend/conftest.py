"""One sandbox with the reference backend deployed, shared by the backend tests (moto's state is
process-global, so one Sandbox runs at a time)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest

from drs_console.aws.backend import BackendLocation, BackendService, build_execution_input
from drs_console.aws.session import AwsConnection


def wait_for(predicate: Callable[[], Any], *, timeout: float = 30.0, interval: float = 0.1, what: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")
        time.sleep(interval)


class BackendHarness:
    def __init__(self, sandbox, outputs: dict[str, str]):
        self.sandbox = sandbox
        self.outputs = outputs
        self.location = BackendLocation(outputs["StateMachineArn"], outputs["HistoryTableName"], "drs-console", outputs["ContractVersion"])
        self.conn = AwsConnection(sandbox.connection_params())
        self.service = BackendService(self.conn, poll_seconds=0.05)
        drs = sandbox.drs
        # servers DRS can launch (continuous replication), never the Payments ones: the shipped
        # sample plan's, which a test preflights as a new user finds them (no leftover instances)
        self._ids = iter([s for s in drs.server_ids()
                          if drs.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"
                          and drs.server(s)["tags"].get("Application") != "Payments"])
        self._n = itertools.count(1)

    def run(self, coro):
        return asyncio.run(coro)

    def servers(self, n: int) -> list[str]:
        return [next(self._ids) for _ in range(n)]

    def execution_input(self, waves: list[dict], **kw) -> dict:
        kw.setdefault("poll_interval_seconds", 1)
        kw.setdefault("failure_policy", "CONTINUE")
        return build_execution_input(
            plan_id="plan-e2e",
            plan_name="E2E plan",
            plan_version=next(self._n),
            waves=waves,
            history_table=self.location.history_table,
            initiated_by="tests",
            **kw,
        )

    def start(self, execution_input: dict) -> str:
        return self.run(self.service.start_execution(self.location, execution_input))

    def record(self, execution_id: str):
        return self.run(self.service.read_execution(self.location.history_table, execution_id))

    def describe(self, arn: str):
        return self.run(self.service.describe_execution(arn))

    def wait_done(self, arn: str, timeout: float = 60.0):
        return wait_for(
            lambda: (lambda i: i if not i.running else None)(self.describe(arn)),
            timeout=timeout,
            interval=0.2,
            what=f"execution {arn} to end",
        )

    def wait_record(self, execution_id: str, predicate, timeout: float = 30.0, what: str = ""):
        return wait_for(
            lambda: (lambda r: r if r is not None and predicate(r) else None)(self.record(execution_id)),
            timeout=timeout,
            interval=0.1,
            what=what or f"record {execution_id}",
        )

    def history(self, arn: str) -> list[dict]:
        return self.run(self.service.execution_history(arn, newest_first=False))


@pytest.fixture(scope="module")
def backend():
    """One deployed sandbox per test module (moto's state is process-global, so it must be
    stopped before another module starts its own sandbox)."""
    from drs_console.sandbox import Sandbox
    from drs_console.sandbox.backend import deploy_reference_backend

    sandbox = Sandbox(servers=60, seed=7, speed=300.0)
    sandbox.start()
    try:
        outputs = deploy_reference_backend(sandbox)
        harness = BackendHarness(sandbox, outputs)
        yield harness
        harness.conn.close()
    finally:
        sandbox.stop()


@pytest.fixture
def sim(backend):
    """The DRS simulator, with its fault knobs and clock reset after the test."""
    drs = backend.sandbox.drs
    yield drs
    drs.clear_failures()
    drs.set_throttle_rate(0.0)
    backend.sandbox.clock.set_manual(False)
