"""Start, watch, pause/resume, cancel and clean up runs end to end: the real state machine in the
sandbox, the monitor polling the history record and DRS."""

from __future__ import annotations

import asyncio

import pytest

from drs_console.aws.runs import (
    cancel_run,
    cleanup_progress,
    follow_cleanup,
    resume_run,
    start_cleanup,
    start_run,
)
from drs_console.domain.errors import BadInput, ProblemKind
from drs_console.domain.execution import StreamState
from drs_console.domain.plan import FailurePolicy
from drs_console.domain.report import build_report, report_csv, report_html
from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus
from tests.runs.conftest import FaultyConnection, run, wait_until

pytestmark = pytest.mark.e2e


async def _watch(monitor, on_update=None):
    updates = []
    async for u in monitor.updates():
        updates.append(u)
        if on_update is not None:
            await on_update(u)
    return updates


@pytest.fixture(scope="module")
def drill(harness):
    """One 3-wave drill run to the end and watched by the monitor (shared by several tests)."""
    servers = harness.healthy(6)
    plan = harness.plan([servers[0:2], servers[2:4], servers[4:6]], name="Three wave drill")

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        monitor = harness.monitor(started)
        updates = await _watch(monitor)
        snapshot = await harness.monitor(started).snapshot()
        return started, monitor, updates, snapshot

    started, monitor, updates, snapshot = run(scenario())
    return {"plan": plan, "servers": servers, "started": started, "monitor": monitor, "updates": updates,
            "snapshot": snapshot}


def test_three_wave_drill_completes_with_drs_job_ids(harness, drill):
    started, updates, monitor = drill["started"], drill["updates"], drill["monitor"]
    assert started.is_drill and started.execution_input["executionType"] == "DRILL"
    assert started.execution_id.startswith("three-wave-drill-") and len(started.execution_id) <= 64
    assert started.execution_arn.endswith(":" + started.execution_id)
    last = updates[-1]
    assert last.state is StreamState.ENDED and last.view.status is S.COMPLETED
    assert all(u.state is StreamState.LIVE for u in updates[:-1])
    view = last.view
    assert [w.status for w in view.waves] == [S.COMPLETED] * 3
    # every job ID shown is DRS's job for exactly that wave's servers
    plan_waves = started.execution_input["plan"]["waves"]
    drs = harness.sandbox.client("drs")
    jobs = {j["jobID"]: j for j in drs.describe_jobs(filters={"jobIDs": [w.job_id for w in view.waves]})["items"]}
    assert len(jobs) == 3
    for w, spec in zip(view.waves, plan_waves, strict=True):
        job = jobs[w.job_id]
        assert sorted(p["sourceServerID"] for p in job["participatingServers"]) == sorted(spec["sourceServerIds"])
        assert job["status"] == "COMPLETED" and job["initiatedBy"] == "START_DRILL"
        assert w.launched == 2 and w.failed == 0
        assert all(s.launch_status is LaunchStatus.LAUNCHED and s.recovery_instance_id for s in w.servers)
        assert all(s.name for s in w.servers)
    # transitions name every wave's job as it happened; only changed updates carry them
    lines = [t for u in updates for t in u.transitions]
    for w in view.waves:
        assert any(line.startswith(f'wave {w.index + 1} "W{w.index + 1}": STARTED job {w.job_id}') for line in lines)
        assert monitor.wave_history[w.index][-1] == (S.COMPLETED, w.job_id)
    assert lines[-1].endswith(": COMPLETED")
    assert all(u.transitions == () for u in updates if not u.changed)
    assert all(u.api_calls >= 1 for u in updates)
    assert any(e.event == "LAUNCH_END" or e.event == "JOB_END" for e in last.events)


def test_snapshot_and_report_of_the_drill(drill):
    snap = drill["snapshot"]
    last = drill["updates"][-1].view
    # a fresh snapshot shows the same finished execution as the monitor's last update
    assert snap.execution_id == last.execution_id and snap.status is S.COMPLETED
    assert [(w.status, w.job_id) for w in snap.waves] == [(w.status, w.job_id) for w in last.waves]
    events = drill["monitor"].events
    rep = build_report(snap, events)
    assert rep.recovery_time_seconds is not None and rep.recovery_time_seconds > 0
    assert rep.failed == ()
    assert [t.status for t in rep.waves] == ["COMPLETED"] * 3
    page = report_html(snap, events)
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and snap.waves[2].job_id in page
    text = report_csv(snap, events)
    assert text.splitlines()[0].startswith("record,execution_id,plan_name,execution_type,wave,wave_name,status,job_id")
    assert sum(1 for line in text.splitlines() if line.startswith("server,")) == 6


def test_partial_launch_failure_reports_drs_reason(harness, sim):
    servers = harness.healthy(3)
    sim.fail_servers(servers[:1])
    plan = harness.plan([servers[:2], servers[2:]], name="Partial", policy=FailurePolicy.CONTINUE)

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        return await _watch(harness.monitor(started))

    updates = run(scenario())
    view = updates[-1].view
    assert view.status is S.PARTIAL and updates[-1].state is StreamState.ENDED
    assert view.waves[0].status is S.PARTIAL and view.waves[1].status is S.COMPLETED
    failed = next(s for s in view.waves[0].servers if s.source_server_id == servers[0])
    assert failed.launch_status is LaunchStatus.FAILED
    assert failed.failure_reason and failed.failure_reason.split(":")[0] in (
        "InsufficientInstanceCapacity", "VcpuLimitExceeded", "InvalidGroup.NotFound", "InvalidSubnetID.NotFound")
    rep = build_report(view, updates[-1].events)
    assert [(f.source_server_id, f.reason) for f in rep.failed] == [(servers[0], failed.failure_reason)]
    assert failed.failure_reason.replace("'", "&#x27;") in report_html(view, updates[-1].events)


def test_pause_then_resume(harness, sim):
    servers = harness.healthy(2)
    plan = harness.plan([servers[:1], servers[1:]], name="Pause", pause=frozenset({1}))
    resumed = []

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        monitor = harness.monitor(started)

        async def on_update(u):
            if u.view.status is S.PAUSED and not resumed:
                assert u.view.waves[1].status is S.PAUSED and u.view.waves[0].status is S.COMPLETED
                with pytest.raises(BadInput):
                    await start_cleanup(harness.conn, harness.location, started.execution_id)
                rec = await resume_run(harness.conn, harness.location, started.execution_id, resumed_by="tests")
                resumed.append(rec)
                monitor.poke()

        return await _watch(monitor, on_update)

    updates = run(scenario())
    assert resumed, "the monitor never showed the execution PAUSED"
    assert updates[-1].view.status is S.COMPLETED
    statuses = [u.view.status for u in updates if u.changed]
    assert S.PAUSED in statuses and statuses[-1] is S.COMPLETED


def test_resume_refused_when_not_paused(harness, drill):
    with pytest.raises(BadInput, match="not paused"):
        run(resume_run(harness.conn, harness.location, drill["started"].execution_id))


def test_cancel_while_polling(harness, sim):
    servers = harness.healthy(2)
    plan = harness.plan([servers[:1], servers[1:]], name="Cancel polling")
    harness.sandbox.clock.set_manual(True)  # the DRS job never finishes on its own

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        await harness.wait_record(started.execution_id,
                                  lambda r: r.waves and r.waves[0].status is S.IN_PROGRESS, what="wave polling")
        result = await cancel_run(harness.conn, harness.location, started.execution_id, cancelled_by="tests",
                                  poll=0.2)
        info = await harness.service.describe_execution(started.execution_arn)
        view = await harness.monitor(started).snapshot()
        return result, info, view

    result, info, view = run(scenario())
    assert result.status_before is S.RUNNING and result.how == "cancelled"
    assert result.record.status is S.CANCELLED and [w.status for w in result.record.waves] == [S.CANCELLED]
    assert not info.running and info.output["status"] == "CANCELLED"
    assert view.status is S.CANCELLED and view.waves[0].job_id and view.waves[1].status is None


def test_cancel_while_paused(harness, sim):
    servers = harness.healthy(1)
    plan = harness.plan([servers], name="Cancel paused", pause=frozenset({0}))

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        monitor = harness.monitor(started)
        results = []

        async def on_update(u):
            if u.view.status is S.PAUSED and not results:
                results.append(await cancel_run(harness.conn, harness.location, started.execution_id, poll=0.2))
                monitor.poke()

        updates = await _watch(monitor, on_update)
        info = await harness.service.describe_execution(started.execution_arn)
        return results, updates, info

    results, updates, info = run(scenario())
    assert results and results[0].status_before is S.PAUSED and results[0].record.status is S.CANCELLED
    assert updates[-1].view.status is S.CANCELLED and updates[-1].state is StreamState.ENDED
    assert not info.running
    assert not updates[-1].view.waves[0].job_id  # nothing was launched


def test_cleanup_terminates_the_drill_instances(harness, sim):
    servers = harness.healthy(3)
    plan = harness.plan([servers[:2], servers[2:]], name="Cleanup")

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        await harness.wait_record(started.execution_id, lambda r: r.status is S.RUNNING, what="RUNNING")
        with pytest.raises(BadInput, match="still"):
            await start_cleanup(harness.conn, harness.location, started.execution_id)
        await harness.wait_ended(started.execution_arn)
        job = await start_cleanup(harness.conn, harness.location, started.execution_id)
        progress = [p async for p in follow_cleanup(harness.conn, job, poll=0.2)]
        again = await start_cleanup(harness.conn, harness.location, started.execution_id)
        return job, progress, again

    job, progress, again = run(scenario())
    assert len(job.job_ids) == 1 and len(job.recovery_instance_ids) == 3
    assert set(job.source_server_ids) == set(servers)
    last = progress[-1]
    assert last.done and last.statuses == ("COMPLETED",) and last.terminated == 3
    assert set(last.instance_states) == set(job.recovery_instance_ids)
    assert all(state in ("TERMINATED", "GONE") for state in last.instance_states.values())
    terminate = harness.sim.job(job.job_ids[0])
    assert terminate["type"] == "TERMINATE"
    assert all(p["launchStatus"] == "TERMINATED" for p in terminate["participatingServers"])
    assert again.nothing_to_do


def test_real_recovery_needs_the_exact_plan_name_and_cleanup_refuses_it(harness, sim):
    servers = harness.healthy(1)
    plan = harness.plan([servers], name="Payments EU")

    async def count():
        return len(await harness.service.recent_executions(harness.location.state_machine_arn, limit=1000))

    async def scenario():
        before = await count()
        for wrong in ("", "payments eu", "Payments EU ", "Payments"):
            with pytest.raises(BadInput, match="typed exactly"):
                await start_run(harness.conn, harness.location, plan, recovery=True, confirm=wrong)
        assert await count() == before  # nothing was started
        started = await start_run(harness.conn, harness.location, plan, recovery=True, confirm="Payments EU",
                                  poll_interval_seconds=1)
        await harness.wait_ended(started.execution_arn)
        with pytest.raises(BadInput, match="only for drills"):
            await start_cleanup(harness.conn, harness.location, started.execution_id)
        return started

    started = run(scenario())
    assert not started.is_drill and started.execution_input["executionType"] == "RECOVERY"
    job = harness.sim.job(run(harness.record(started.execution_id)).waves[0].job_id)
    assert job["initiatedBy"] == "START_RECOVERY"


def test_throttling_backs_off_and_recovers(harness, sim):
    servers = harness.healthy(1)
    plan = harness.plan([servers], name="Throttled")

    # The job must still be running when the monitor first sees its ID, or the execution ends
    # before any throttled poll: slow the clock for the job this run creates (a speed change applies
    # to jobs created from then on).
    clock = harness.sandbox.clock

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        monitor = harness.monitor(started, max_attempts=1)
        seen = []

        async def on_update(u):
            if u.view.waves and u.view.waves[0].job_id and not seen:
                seen.append("throttling")
                sim.set_throttle_rate(1.0)
            elif u.state is StreamState.RECONNECTING and len(seen) == 1:
                seen.append(u)
                sim.set_throttle_rate(0.0)

        updates = await _watch(monitor, on_update)
        return seen, updates

    speed, clock.speed = clock.speed, min(clock.speed, 300.0)  # the job takes seconds, not a poll
    try:
        seen, updates = run(scenario())
    finally:
        clock.speed = speed
    assert len(seen) == 2, "the monitor never reported RECONNECTING"
    reconnecting = seen[1]
    assert "throttl" in reconnecting.message.lower() and not reconnecting.changed
    assert reconnecting.view.waves[0].job_id  # the last view is kept
    assert updates[-1].view.status is S.COMPLETED


def test_outage_of_30_seconds_misses_no_transition(harness, sim):
    """DRS, DynamoDB and Step Functions unreachable for the monitor from wave 1's job start until
    the record shows wave 2 ended, and at least 30 simulated seconds: the waves' status histories
    seen by the monitor still include every wave's terminal status and DRS job ID. (The sandbox's
    timestamps are real time and its speed factor shortens durations: 30 simulated seconds are
    ``clock.duration(30)`` of real time, what DRS does in 30 s on AWS; the outage lasts longer
    anyway, until two DRS jobs ran.)"""
    servers = harness.healthy(3)
    plan = harness.plan([servers[0:1], servers[1:2], servers[2:3]], name="Outage")
    clock = harness.sandbox.clock
    faulty = FaultyConnection(harness.conn)
    window = {}

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        monitor = harness.monitor(started, conn=faulty)

        async def on_update(u):
            if not window and u.view.waves and u.view.waves[0].job_id:
                window["from"] = clock.now()
                faulty.fault = ProblemKind.UNREACHABLE

                async def heal():
                    await harness.wait_record(
                        started.execution_id,
                        lambda r: len(r.waves) >= 2 and r.waves[1].status is not None and r.waves[1].status.is_terminal,
                        what="wave 2 to end during the outage")
                    await wait_until(lambda: _async(clock.now() - window["from"] >= clock.duration(30)),
                                     what="30 simulated seconds")
                    window["to"] = clock.now()
                    faulty.fault = None

                window["task"] = asyncio.ensure_future(heal())

        updates = await _watch(monitor, on_update)
        await window["task"]
        record = await harness.record(started.execution_id)
        return monitor, updates, record

    monitor, updates, record = run(scenario())
    assert window["to"] - window["from"] >= harness.sandbox.clock.duration(30)
    assert faulty.failed_calls > 0
    states = [u.state for u in updates]
    assert StreamState.RECONNECTING in states and states[-1] is StreamState.ENDED
    during = [u for u in updates if u.state is StreamState.RECONNECTING]
    assert all(not u.changed and u.view.waves[0].job_id for u in during)
    assert record.status is S.COMPLETED
    for w in record.waves:
        assert (S.COMPLETED, w.job_id) in monitor.wave_history[w.index], monitor.wave_history
    lines = [t for u in updates for t in u.transitions]
    assert any(line.startswith('wave 2 "W2": COMPLETED job ' + record.waves[1].job_id) for line in lines)


async def _async(value):
    return value


def test_credentials_expiring_pause_the_monitor_until_reauth(harness, sim):
    servers = harness.healthy(2)
    plan = harness.plan([servers[:1], servers[1:]], name="Expiring")
    faulty = FaultyConnection(harness.conn)
    paused = []

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        monitor = harness.monitor(started, conn=faulty)

        async def on_update(u):
            if u.state is StreamState.AUTH_PAUSED and not paused:
                paused.append(u)

                async def reauth():
                    # the run goes on while the operator logs in again
                    await harness.wait_record(started.execution_id,
                                              lambda r: len(r.waves) == 2 and r.waves[1].job_id,
                                              what="wave 2 to start while paused")
                    monitor.resume_after_reauth(harness.conn)

                paused.append(asyncio.ensure_future(reauth()))
            elif not paused and u.view.waves and u.view.waves[0].job_id:
                faulty.fault = ProblemKind.SSO_EXPIRED

        updates = await _watch(monitor, on_update)
        return monitor, updates, await harness.record(started.execution_id)

    monitor, updates, record = run(scenario())
    assert paused and paused[0].state is StreamState.AUTH_PAUSED and "injected" in paused[0].message
    assert [u.state for u in updates].count(StreamState.AUTH_PAUSED) == 1  # it waited, not polled
    assert monitor.conn is harness.conn and updates[-1].view.status is S.COMPLETED
    for w in record.waves:
        assert (S.COMPLETED, w.job_id) in monitor.wave_history[w.index]


def test_cleanup_progress_of_nothing(harness):
    from drs_console.aws.runs import CleanupJob

    progress = run(cleanup_progress(harness.conn, CleanupJob("x", (), ())))
    assert progress.done and progress.total == 0


def test_monitor_of_an_unknown_execution_raises_not_found(harness):
    from drs_console.domain.errors import ConsoleError

    async def scenario():
        monitor = harness.monitor("no-such-execution", poll_interval=0.05)
        async for _ in monitor.updates():
            pass

    with pytest.raises(ConsoleError) as caught:
        run(scenario())
    assert caught.value.kind is ProblemKind.NOT_FOUND
    with pytest.raises(ConsoleError):
        run(harness.monitor("no-such-execution").snapshot())
