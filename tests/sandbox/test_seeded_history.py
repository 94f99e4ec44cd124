"""The sandbox's seeded history behaves like real history: terminal executions agree with the DRS
jobs behind them, and the active ones are real executions of the deployed state machine, so resume,
cancel, the monitor and the prune work on them."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest

from drs_console.aws.backend import deserialize_item
from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.domain import contract as c
from drs_console.domain.history import parse_time
from drs_console.domain.lease import is_lease_item
from drs_console.sandbox import Sandbox

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded():
    sb = Sandbox(servers=60, seed=7, speed=600.0, history=48)
    sb.start()
    try:
        yield sb
    finally:
        sb.stop()


class _PartialItem(AssertionError):
    """A history item without its executionId: half made (moto writes an UpdateItem's new item
    attribute by attribute; the sandbox runs each request whole, so a scan never sees one, as on
    AWS), or written by an execution of an earlier sandbox (Sandbox.stop() stops them)."""


def _items(sb: Sandbox) -> dict[str, list[dict]]:
    ddb = sb.client("dynamodb")
    out: dict[str, list[dict]] = {}
    for page in ddb.get_paginator("scan").paginate(TableName=sb.backend_outputs["HistoryTableName"]):
        for raw in page["Items"]:
            item = deserialize_item(raw)
            if is_lease_item(item):  # the seeded active executions hold their servers' leases
                continue
            if "executionId" not in item:
                raise _PartialItem(f"a history item without executionId: {item}")
            out.setdefault(item["executionId"], []).append(item)
    return out


def _record(sb: Sandbox, execution_id: str) -> c.ExecutionRecord:
    return c.ExecutionRecord.from_items(_items(sb)[execution_id])


def _wave_servers(items: dict[str, list[dict]]) -> dict[tuple[str, int], set[str]]:
    return {(eid, int(i["waveIndex"])): set(i["sourceServerIds"]) for eid, its in items.items() for i in its
            if str(i["SK"]).startswith(c.WAVE_SK_PREFIX)}


def _until(predicate, timeout: float = 60.0, what: str = ""):
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _cli(sb: Sandbox, monkeypatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox-access-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
    ctx = CliContext(region=sb.region, endpoint_url=sb.endpoint_url, out=io.StringIO(), err=io.StringIO())
    code = run_command(build_parser().parse_args(["--endpoint-url", sb.endpoint_url, *argv]), ctx)
    return code, ctx.out.getvalue(), ctx.err.getvalue()


def test_every_seeded_wave_agrees_with_its_drs_job(seeded):
    sim = seeded.drs
    now = datetime.now(UTC)
    items = _items(seeded)
    records = {eid: c.ExecutionRecord.from_items(its) for eid, its in items.items()}
    wave_servers = _wave_servers(items)
    assert len(records) == 48
    statuses = {r.raw_status for r in records.values()}
    assert {"COMPLETED", "PARTIAL", "FAILED", "TIMEOUT", "CANCELLED", "RUNNING", "PAUSED", "CANCELLING"} <= statuses
    checked = 0
    for rec in records.values():
        assert parse_time(rec.started_at) <= now and (not rec.ended_at or parse_time(rec.ended_at) <= now)
        for w in rec.waves:
            assert parse_time(w.updated_at) <= now
            if not w.job_id:
                continue
            job = sim.job(w.job_id)  # every seeded job ID is a simulator job...
            servers = {p["sourceServerID"] for p in job["participatingServers"]}
            assert servers == wave_servers[rec.execution_id, w.index], (rec.execution_id, w.index)  # ...of the wave's servers
            assert job["tags"]["drs-console:execution-id"] == rec.execution_id
            created = parse_time(job["creationDateTime"])
            assert parse_time(w.started_at) <= created <= parse_time(w.started_at) + timedelta(seconds=2)
            if w.status.value in ("COMPLETED", "PARTIAL", "FAILED"):
                # the wave ended when its job did, and counts the job's servers
                assert parse_time(w.ended_at) == parse_time(job["endDateTime"])
                launched = [p for p in job["participatingServers"] if p["launchStatus"] == "LAUNCHED"]
                assert (w.servers_launched, w.servers_failed) == (len(launched), len(servers) - len(launched))
                checked += 1
            if w.status.value == "PARTIAL":
                failed = {p["sourceServerID"] for p in job["participatingServers"] if p["launchStatus"] == "FAILED"}
                assert failed and w.servers_failed == len(failed)
                log = sim.describe_job_log_items(jobID=w.job_id)["items"]
                assert {i["eventData"]["sourceServerID"] for i in log if i["event"] == "LAUNCH_FAILED"} == failed
        if rec.is_terminal and rec.raw_status != "CANCELLED":
            done = [w for w in rec.waves if w.status.is_terminal]
            assert rec.servers_launched == sum(w.servers_launched for w in done)
            assert rec.servers_failed == sum(w.servers_failed for w in done)
        if rec.raw_status == "PARTIAL":
            assert rec.failure_policy == "CONTINUE" and rec.servers_failed > 0 and rec.servers_launched > 0
    assert checked > 40


def test_seeded_active_executions_are_real_and_can_be_resumed_cancelled_and_pruned(seeded, monkeypatch):
    from drs_console.aws.backend import BackendLocation, BackendService
    from drs_console.aws.history import HistoryService
    from drs_console.aws.session import AwsConnection
    from drs_console.domain import history as h

    items = _items(seeded)
    records = {eid: c.ExecutionRecord.from_items(its) for eid, its in items.items()}
    wave_servers = _wave_servers(items)
    sfn = seeded.client("stepfunctions")
    active = [r for r in records.values() if not r.is_terminal]
    assert len(active) == 4
    for rec in active:  # a Step Functions execution is behind every one
        assert sfn.describe_execution(executionArn=rec.execution_arn)["status"] == "RUNNING"
    running = next(r for r in active if r.raw_status == "RUNNING")
    job = _until(lambda: _record(seeded, running.execution_id).waves[0].job_id, what="the RUNNING one's job")
    assert seeded.drs.job(job)["participatingServers"][0]["sourceServerID"] in wave_servers[running.execution_id, 0]
    paused = sorted((r for r in active if r.raw_status == "PAUSED"), key=lambda r: r.execution_id)
    assert len(paused) == 2

    # the prune preserves them all; the monitor's reconcile (after two quiet minutes) leaves them be
    conn = AwsConnection(seeded.connection_params())
    try:
        svc = HistoryService(conn, seeded.backend_outputs["HistoryTableName"], backoff_base=0.0)
        rows = asyncio.run(svc.list_all())
        preview = asyncio.run(svc.preview(rows, h.PruneScope.all_finished()))
        backend = BackendService(conn, poll_seconds=0.05)
        location = BackendLocation(seeded.backend_outputs["StateMachineArn"], seeded.backend_outputs["HistoryTableName"])
        reconciled = {r.execution_id: asyncio.run(backend.reconcile(location, r.execution_id)) for r in active}
    finally:
        conn.close()
    assert {r.execution_id for r in active} <= set(preview.preserved_active)
    assert all(rec is not None and not rec.is_terminal for rec in reconciled.values()), reconciled

    # resume one PAUSED execution through the CLI: it runs its first wave on a real DRS job
    first, second = paused
    code, out, err = _cli(seeded, monkeypatch, "resume", first.execution_id)
    assert code == 0, err
    assert f"Resumed execution {first.execution_id}" in out and "is PAUSED, not paused" not in out + err
    resumed = _until(lambda: (lambda r: r if r.raw_status == "RUNNING" and r.waves[0].job_id else None)(
        _record(seeded, first.execution_id)), what="the resumed execution to launch its wave")
    wave_job = seeded.drs.job(resumed.waves[0].job_id)
    assert {p["sourceServerID"] for p in wave_job["participatingServers"]} == wave_servers[first.execution_id, 0]

    # cancel the other through the CLI: it ends CANCELLED, not CANCELLING forever
    code, out, err = _cli(seeded, monkeypatch, "cancel", second.execution_id)
    assert code == 0, err
    ended = _until(lambda: (lambda r: r if r.raw_status == "CANCELLED" else None)(_record(seeded, second.execution_id)),
                   what="CANCELLED")
    assert ended.error == c.ERROR_CANCELLED
    _until(lambda: sfn.describe_execution(executionArn=second.execution_arn)["status"] != "RUNNING",
           what="its Step Functions execution to end")
