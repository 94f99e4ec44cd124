"""End to end through the REAL resources/backend/state-machine.asl.json, deployed by the template
into the sandbox (moto + DRS simulator). Short poll intervals, fast simulated clock, and every
wait is on a condition."""

from __future__ import annotations

import pytest

from drs_console.domain.status import ExecutionStatus as S

pytestmark = pytest.mark.e2e


def wave(servers, name="W", pause=False, timeout=300):
    return {"name": name, "sourceServerIds": servers, "pauseBefore": pause, "timeoutSeconds": timeout}


def test_probe_answers_contract_version(backend):
    info, output = backend.run(backend.service.probe(backend.location, timeout=20))
    assert info.status == "SUCCEEDED" and output["contractVersion"] == "1.2"


def test_three_wave_drill_completes_with_drs_job_ids(backend, sim):
    inp = backend.execution_input([wave(backend.servers(2), f"W{i}") for i in range(3)])
    arn = backend.start(inp)
    info = backend.wait_done(arn)
    assert info.status == "SUCCEEDED" and info.output["status"] == "COMPLETED"
    rec = backend.record(inp["executionId"])
    assert rec.status is S.COMPLETED and rec.execution_arn == arn and rec.is_drill
    assert [w.status for w in rec.waves] == [S.COMPLETED] * 3
    assert rec.wave_counts["COMPLETED"] == 3 and rec.servers_launched == 6 and rec.servers_failed == 0
    job_ids = [w.job_id for w in rec.waves]
    assert all(j.startswith("drsjob-") for j in job_ids) and len(set(job_ids)) == 3
    for w, servers in zip(rec.waves, [inp["plan"]["waves"][i]["sourceServerIds"] for i in range(3)], strict=True):
        job = sim.job(w.job_id)
        assert sorted(p["sourceServerID"] for p in job["participatingServers"]) == sorted(servers)
        assert job["tags"]["drs-console:execution-id"] == inp["executionId"]
    assert rec.ended_at and rec.started_at


def test_failed_launches_make_a_partial_wave_and_execution(backend, sim):
    servers = backend.servers(3)
    sim.fail_servers(servers[:1])
    inp = backend.execution_input([wave(servers, "W1"), wave(backend.servers(1), "W2")])
    info = backend.wait_done(backend.start(inp))
    assert info.output["status"] == "PARTIAL"
    rec = backend.record(inp["executionId"])
    assert rec.status is S.PARTIAL
    assert rec.waves[0].status is S.PARTIAL and rec.waves[0].servers_launched == 2 and rec.waves[0].servers_failed == 1
    assert rec.waves[1].status is S.COMPLETED


def test_stop_on_failure_ends_failed_and_skips_later_waves(backend, sim):
    servers = backend.servers(2)
    sim.fail_servers(servers[:1])
    inp = backend.execution_input(
        [wave(servers, "W1"), wave(backend.servers(1), "W2")], failure_policy="STOP_ON_FAILURE"
    )
    backend.wait_done(backend.start(inp))
    rec = backend.record(inp["executionId"])
    assert rec.status is S.FAILED and rec.error == "DrsConsole.WaveFailed"
    assert [w.status for w in rec.waves] == [S.PARTIAL]  # wave 2 never started


def test_all_launches_failing_is_a_failed_wave(backend, sim):
    servers = backend.servers(2)
    sim.fail_servers(servers)
    inp = backend.execution_input([wave(servers)])
    backend.wait_done(backend.start(inp))
    rec = backend.record(inp["executionId"])
    assert rec.waves[0].status is S.FAILED and rec.status is S.FAILED


def test_pause_then_resume(backend, sim):
    inp = backend.execution_input([wave(backend.servers(1), "W1"), wave(backend.servers(1), "W2", pause=True)])
    arn = backend.start(inp)
    rec = backend.wait_record(inp["executionId"], lambda r: r.status is S.PAUSED, what="PAUSED")
    assert rec.task_token and rec.waves[0].status is S.COMPLETED and rec.waves[1].status is S.PAUSED
    backend.run(backend.service.resume(backend.location.history_table, inp["executionId"], resumed_by="tests"))
    info = backend.wait_done(arn)
    assert info.output["status"] == "COMPLETED"
    rec = backend.record(inp["executionId"])
    assert rec.status is S.COMPLETED and not rec.task_token
    assert [w.status for w in rec.waves] == [S.COMPLETED, S.COMPLETED]


def test_pause_then_cancel(backend, sim):
    inp = backend.execution_input(
        [wave(backend.servers(1), "W1", pause=True), wave(backend.servers(1), "W2")]
    )
    arn = backend.start(inp)
    backend.wait_record(inp["executionId"], lambda r: r.status is S.PAUSED, what="PAUSED")
    before = backend.run(backend.service.cancel(backend.location.history_table, inp["executionId"], cancelled_by="tests"))
    assert before is S.PAUSED
    info = backend.wait_done(arn)
    assert info.status == "SUCCEEDED" and info.output["status"] == "CANCELLED"
    rec = backend.record(inp["executionId"])
    assert rec.status is S.CANCELLED and rec.error == "DrsConsole.Cancelled"
    assert [w.status for w in rec.waves] == [S.CANCELLED]
    assert not rec.waves[0].job_id  # nothing was launched


def test_cancel_while_polling(backend, sim):
    backend.sandbox.clock.set_manual(True)  # the job never finishes on its own
    inp = backend.execution_input([wave(backend.servers(2), "W1"), wave(backend.servers(1), "W2")])
    arn = backend.start(inp)
    backend.wait_record(
        inp["executionId"], lambda r: r.waves and r.waves[0].status is S.IN_PROGRESS, what="wave polling"
    )
    backend.run(backend.service.cancel(backend.location.history_table, inp["executionId"]))
    info = backend.wait_done(arn)
    assert info.output["status"] == "CANCELLED"
    rec = backend.record(inp["executionId"])
    assert rec.status is S.CANCELLED and [w.status for w in rec.waves] == [S.CANCELLED]
    assert rec.waves[0].job_id


def test_wave_timeout(backend, sim):
    backend.sandbox.clock.set_manual(True)
    inp = backend.execution_input(
        [wave(backend.servers(1), "W1", timeout=2), wave(backend.servers(1), "W2")],
        failure_policy="STOP_ON_FAILURE",
    )
    backend.wait_done(backend.start(inp))
    rec = backend.record(inp["executionId"])
    assert rec.waves[0].status is S.TIMEOUT and rec.status is S.TIMEOUT
    assert len(rec.waves) == 1


def test_throttling_is_retried(backend, sim):
    sim.set_throttle_rate(1.0)
    inp = backend.execution_input([wave(backend.servers(1))])
    arn = backend.start(inp)

    def throttled():
        return any(
            (e.get("taskFailedEventDetails") or {}).get("error") == "Drs.ThrottlingException"
            for e in backend.history(arn)
        )

    from conftest import wait_for

    wait_for(throttled, timeout=60, what="a throttled DRS call")
    sim.set_throttle_rate(0.0)
    info = backend.wait_done(arn)
    assert info.output["status"] == "COMPLETED"
    assert backend.record(inp["executionId"]).status is S.COMPLETED


def test_unexpected_drs_error_is_recorded_failed_with_cause(backend, sim):
    inp = backend.execution_input([wave(["s-00000000000000000"], "Ghost")])
    arn = backend.start(inp)
    info = backend.wait_done(arn)
    assert info.status == "FAILED" and info.error.startswith("Drs.")
    rec = backend.record(inp["executionId"])
    assert rec.status is S.FAILED and rec.error == info.error and rec.cause
    assert rec.waves[0].status is S.FAILED and rec.waves[0].error == info.error
    failure = backend.run(backend.service.execution_failure(arn))
    assert failure.state == "StartRecovery" and failure.error == info.error


def test_stop_execution_while_paused_leaves_record_cancelled(backend, sim):
    inp = backend.execution_input([wave(backend.servers(1), "W1", pause=True)])
    arn = backend.start(inp)
    backend.wait_record(inp["executionId"], lambda r: r.status is S.PAUSED, what="PAUSED")
    rec = backend.run(backend.service.stop_execution(backend.location, inp["executionId"], cause="tests"))
    assert rec.status is S.CANCELLED and all(w.status is S.CANCELLED for w in rec.waves)
    info = backend.wait_done(arn)
    assert info.status == "ABORTED"


def test_the_shipped_sample_plan_passes_a_drill_preflight_in_the_default_sandbox(backend):
    """The first thing a new user runs: the sample plan's servers replicate continuously in the
    default sandbox (seed 7, 60 servers), so a drill of it has nothing to warn about."""
    from drs_console.aws.preflight import preflight
    from drs_console.domain.preflight import Level
    from drs_console.resources import resource_path
    from drs_console.store.plan_io import read_plan_file

    plan = read_plan_file(resource_path("plans", "sample-payments.json")).plan
    sim = backend.sandbox.drs
    refs = [ref for w in plan.waves for ref in w.servers]
    assert len(refs) == 3
    for ref in refs:
        live = sim.server(ref.source_server_id)
        assert live["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS" == ref.replication_state.value
        assert sim.describe_recovery_snapshots(ref.source_server_id)["items"], ref.source_server_id
    report = backend.run(preflight(backend.conn, backend.location, plan))
    assert not [c for c in report.check("servers") if c.level is not Level.PASS], report.lines()
    assert [c.one_line() for c in report.checks if c.level is not Level.PASS] == [], report.lines()
    assert [len(w.server_ids) for w in report.waves] == [1, 2, 2]  # the web tier's selector finds pay-web-01/02
