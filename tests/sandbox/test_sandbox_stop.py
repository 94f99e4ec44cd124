"""Stopping a sandbox stops the Step Functions executions running in it. moto runs each execution on
a thread of this process; one left running went on polling after its sandbox stopped and, once the
next sandbox in the process started (the desktop app's "connect to the sandbox" again after a
profile, or the next test module), wrote into that sandbox's history table: a FAILED execution
without its ID, plan or waves (the flaky test_every_seeded_wave_agrees_with_its_drs_job)."""

from __future__ import annotations

import threading
import time

import pytest

from drs_console.aws.backend import BackendLocation, BackendService, build_execution_input, run_sync
from drs_console.aws.session import AwsConnection
from drs_console.domain import contract as c
from drs_console.sandbox import Sandbox

pytestmark = pytest.mark.e2e


def _execution_threads() -> set[threading.Thread]:
    """moto's Step Functions interpreter threads (Thread(target=ExecutionWorker._execution_logic))."""
    return {t for t in threading.enumerate() if t.name.endswith("(_execution_logic)") and t.is_alive()}


def _until(predicate, timeout: float = 60.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
    return value


def _history(sb: Sandbox) -> list[dict]:
    ddb = sb.client("dynamodb")
    return [i for page in ddb.get_paginator("scan").paginate(TableName=sb.backend_outputs["HistoryTableName"])
            for i in page["Items"]]


def test_a_drill_running_when_its_sandbox_stops_writes_nothing_into_the_next_sandbox():
    before = _execution_threads()
    first = Sandbox(servers=12, seed=7, speed=600.0, backend=True)
    first.start()
    try:
        out = first.backend_outputs
        location = BackendLocation(out["StateMachineArn"], out["HistoryTableName"])
        table = out["HistoryTableName"]
        conn = AwsConnection(first.connection_params())
        try:
            service = BackendService(conn, poll_seconds=0.05)
            server = first.drs.server_ids()[0]
            doc = build_execution_input(
                plan_id="plan-left-running", plan_name="Left running", plan_version=1, history_table=table,
                waves=[{"name": "W1", "sourceServerIds": [server], "pauseBefore": False, "timeoutSeconds": 3600}],
                initiated_by="tester", poll_interval_seconds=1)
            execution_id = doc["executionId"]
            run_sync(lambda: service.start_execution(location, doc))

            def polling():  # its wave's DRS job started: the state machine polls it every second
                rec = run_sync(lambda: service.read_execution(table, execution_id))
                return rec is not None and rec.waves and rec.waves[0].job_id

            _until(polling, what="the drill's wave to start its DRS job")
        finally:
            conn.close()
        left = _execution_threads() - before
        assert left, "the drill runs on a Step Functions interpreter thread"
    finally:
        first.stop()

    second = Sandbox(servers=12, seed=7, speed=600.0, backend=True)
    second.start()
    try:
        assert second.backend_outputs["HistoryTableName"] == table  # the same stack, the same table
        # an execution left running polls again within a second, finds no such job here and ends,
        # writing its failure into this sandbox's table; a stopped one ended with its sandbox
        _until(lambda: not (left & _execution_threads()), what="the first sandbox's execution to end")
        assert [c.PK in i and i[c.PK]["S"] for i in _history(second)] == []
    finally:
        second.stop()
