"""The monitor at scale: a 1,000-server, 10-wave drill through the real state machine in the
sandbox, watched with 1 s polls.

Run with: QT_QPA_PLATFORM=offscreen python3 -m pytest tests/perf/test_monitor_perf.py -m perf -s

Prints the API calls over the drill (by operation) beside the batched minimum for this drill – a
record read per poll cycle, the first full read of the servers, per wave its job and its job log
twice (seen running, seen done) and its recovery instances once, each ceil(n / limit) calls with the service model's limits (DescribeJobs
1,000 job IDs, DescribeSourceServers and DescribeRecoveryInstances 200 server IDs per call) – and
the monitor's CPU use (process time /
wall time). The monitor runs in a child process so that its CPU is not mixed with the sandbox's
(moto and the state machine interpreter run in this process). It asserts correctness and the
batching, never timings. (The GUI event-loop stall is measured by the GUI's own benchmark.)
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import textwrap
import time

import pytest

from drs_console.aws.drs_batch import (
    JOB_IDS_PER_CALL,
    RECOVERY_INSTANCE_FILTER_PER_CALL,
    SOURCE_SERVER_IDS_PER_CALL,
    minimum_calls,
)
from drs_console.aws.runs import start_run
from drs_console.aws.session import AwsConnection
from drs_console.domain.plan import FailurePolicy, Plan, ServerRef, Wave

pytestmark = pytest.mark.perf

SERVERS = 1000
WAVES = 10
SPEED = 120.0

CHILD = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from drs_console.aws.backend import BackendLocation
    from drs_console.aws.monitor import ExecutionMonitor
    from drs_console.aws.session import AwsConnection, ConnectionParams

    endpoint, region, machine, table, execution_id, arn = sys.argv[1:7]

    async def main():
        conn = AwsConnection(ConnectionParams(region=region, endpoint_url=endpoint,
                                              static_credentials=("sandbox-access-key", "sandbox-secret")))
        monitor = ExecutionMonitor(conn, BackendLocation(machine, table), execution_id, execution_arn=arn,
                                   poll_interval=1.0, max_interval=15.0)
        cycles = []
        before = {}
        wall0, cpu0 = time.monotonic(), time.process_time()
        async for u in monitor.updates():
            ops = dict(monitor.reader.by_operation)
            cycles.append({"calls": u.api_calls, "changed": u.changed, "state": u.state.value,
                           "ops": {k: v - before.get(k, 0) for k, v in ops.items() if v != before.get(k, 0)},
                           "active": sum(1 for w in u.view.waves if w.status is not None
                                         and not w.status.is_terminal and w.job_id),
                           "transitions": list(u.transitions)})
            before = ops
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
        view = monitor.last_view
        print(json.dumps({"cycles": cycles, "wall": wall, "cpu": cpu, "status": view.status.value,
                          "jobs": [w.job_id for w in view.waves],
                          "launched": sum(w.launched for w in view.waves)}))
        conn.close()

    asyncio.run(main())
    """
)


def test_monitor_api_calls_and_cpu_for_1000_servers_in_10_waves():
    from drs_console.sandbox import Sandbox
    from drs_console.sandbox.backend import deploy_reference_backend

    sandbox = Sandbox(servers=SERVERS, seed=7, speed=SPEED)
    sandbox.start()
    try:
        outputs = deploy_reference_backend(sandbox)
        drs = sandbox.drs
        ids = drs.server_ids()
        for sid in ids:
            drs.set_replication_state(sid, "CONTINUOUS")
        per_wave = SERVERS // WAVES
        plan = Plan.new("Perf drill", target_account_id=sandbox.account_id, target_region=sandbox.region)
        plan.failure_policy = FailurePolicy.CONTINUE
        for i in range(WAVES):
            plan.waves.append(Wave(name=f"Wave {i + 1}", timeout_minutes=60,
                                   servers=[ServerRef(s) for s in ids[i * per_wave:(i + 1) * per_wave]]))
        conn = AwsConnection(sandbox.connection_params())
        from drs_console.aws.backend import BackendService

        location = asyncio.run(BackendService(conn).locate())
        t0 = time.monotonic()
        started = asyncio.run(start_run(conn, location, plan, poll_interval_seconds=1))
        print(f"\npreflight + start of {SERVERS} servers in {WAVES} waves: {time.monotonic() - t0:.1f} s")
        wall0, cpu0 = time.monotonic(), time.process_time()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, sandbox.endpoint_url, sandbox.region, outputs["StateMachineArn"],
             outputs["HistoryTableName"], started.execution_id, started.execution_arn],
            capture_output=True, text=True, timeout=900,
        )
        whole_wall, whole_cpu = time.monotonic() - wall0, time.process_time() - cpu0
        conn.close()
    finally:
        sandbox.stop()
    assert child.returncode == 0, child.stderr[-3000:]
    result = json.loads(child.stdout.strip().splitlines()[-1])
    cycles = result["cycles"]
    assert result["status"] == "COMPLETED" and result["launched"] == SERVERS
    assert all(j and j.startswith("drsjob-") for j in result["jobs"])

    calls = [c["calls"] for c in cycles]
    steady = [c["calls"] for c in cycles[1:] if c["state"] == "live"]
    print(f"monitor: {len(cycles)} poll cycles in {result['wall']:.1f} s, status {result['status']}")
    print(f"calls per cycle: first {calls[0]}, then mean {statistics.mean(steady):.2f}, "
          f"median {statistics.median(steady):.0f}, max {max(steady)}; total {sum(calls)}")
    print("first cycle by operation:", cycles[0]["ops"])
    worst = max(cycles[1:], key=lambda c: c["calls"])
    print("busiest later cycle by operation:", worst["ops"])
    # The batched minimum for this drill: one record read per poll cycle (how any monitor learns
    # that something moved), the first full read of the servers, and per wave its job and its job
    # log read twice (to show it running, then done) and its recovery instances once, each in as
    # few calls as the service model's limits allow.
    per_wave = SERVERS // WAVES
    drill_min = {
        "dynamodb.query": len(cycles),
        "drs.describe_source_servers": minimum_calls(SERVERS, SOURCE_SERVER_IDS_PER_CALL),
        "drs.describe_jobs": WAVES * 2 * minimum_calls(1, JOB_IDS_PER_CALL),
        "drs.describe_job_log_items": WAVES * 2,
        "drs.describe_recovery_instances": WAVES * minimum_calls(per_wave, RECOVERY_INSTANCE_FILTER_PER_CALL),
    }
    totals: dict[str, int] = {}
    for c in cycles:
        for op, n in c["ops"].items():
            totals[op] = totals.get(op, 0) + n
    print("calls over the drill by operation (ours / batched minimum): " + ", ".join(
        f"{op} {totals.get(op, 0)}/{drill_min.get(op, 0)}" for op in sorted(set(totals) | set(drill_min))))
    print(f"total: {sum(calls)} calls against a batched minimum of {sum(drill_min.values())} for this drill "
          f"({sum(calls) / sum(drill_min.values()):.2f}x)")
    print(f"monitor CPU: {result['cpu']:.2f} s process time / {result['wall']:.1f} s wall = "
          f"{100 * result['cpu'] / result['wall']:.1f} %")
    print(f"whole test process (sandbox, moto, state machine): {whole_cpu:.1f} s CPU / {whole_wall:.1f} s wall")
    # batching: the first full read is exactly the minimum; no operation is called more often over
    # the drill than its minimum plus one call per wave (a job seen again as it ends), beyond what
    # the connection check adds at the start
    assert cycles[0]["ops"].get("drs.describe_source_servers", 0) == drill_min["drs.describe_source_servers"]
    for op, n in drill_min.items():
        assert totals.get(op, 0) <= n + WAVES, (op, totals.get(op, 0), n)
