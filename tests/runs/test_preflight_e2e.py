"""Preflight findings against the sandbox: target, contract, servers, selectors, active jobs and
executions, the per-job quota and leftover drill instances."""

from __future__ import annotations

import pytest

from drs_console.aws.preflight import drs_job_quota, preflight
from drs_console.aws.runs import PreflightBlocked, cancel_run, follow_cleanup, start_run, terminate_leftovers
from drs_console.domain.preflight import DOCUMENTED_JOB_QUOTA, Level
from drs_console.domain.status import ExecutionStatus as S
from tests.runs.conftest import run

pytestmark = pytest.mark.e2e


def _levels(report, check):
    return [c.level for c in report.check(check)]


def test_a_clean_plan_passes_every_check(harness):
    plan = harness.plan([harness.healthy(2), harness.healthy(1)])
    report = run(preflight(harness.conn, harness.location, plan))
    assert report.level is Level.PASS, report.lines()
    assert {c.check for c in report.checks} >= {"target", "contract", "history-table", "plan", "selectors",
                                                "servers", "active-jobs", "active-executions", "quota",
                                                "leftovers"}
    assert [len(w.server_ids) for w in report.waves] == [2, 1]
    assert report.job_quota == DOCUMENTED_JOB_QUOTA and "documented default" in report.job_quota_source
    assert report.to_json()["result"] == "PASS"


def test_wrong_account_blocks_unless_overridden_for_a_drill(harness):
    plan = harness.plan([harness.healthy(1)], account="999999999999", region="eu-west-1")
    blocked = run(preflight(harness.conn, harness.location, plan))
    assert blocked.blocked and _levels(blocked, "target") == [Level.BLOCK]
    assert "999999999999" in blocked.check("target")[0].message
    drill = run(preflight(harness.conn, harness.location, plan, override_target=True))
    assert _levels(drill, "target") == [Level.WARN] and not drill.blocked
    recovery = run(preflight(harness.conn, harness.location, plan, override_target=True, drill=False))
    assert _levels(recovery, "target") == [Level.BLOCK]
    with pytest.raises(PreflightBlocked) as caught:
        run(start_run(harness.conn, harness.location, plan))
    assert caught.value.report.blocked and "target" in caught.value.message


def test_unhealthy_and_syncing_servers(harness, sim):
    ok, stalled, syncing = harness.healthy(3)
    sim.set_replication_state(stalled, "STALLED")
    sim.set_replication_state(syncing, "INITIAL_SYNC")
    try:
        report = run(preflight(harness.conn, harness.location, harness.plan([[ok, stalled], [syncing]])))
    finally:
        sim.set_replication_state(stalled, "CONTINUOUS")
        sim.set_replication_state(syncing, "CONTINUOUS")
    found = {(c.level, c.server_ids) for c in report.check("servers")}
    assert (Level.BLOCK, (stalled,)) in found and (Level.WARN, (syncing,)) in found
    assert report.blocked


def test_missing_server_blocks(harness):
    report = run(preflight(harness.conn, harness.location, harness.plan([["s-00000000000000000"]])))
    assert any(c.level is Level.BLOCK and "not in DRS" in c.message for c in report.check("servers"))


def test_selectors_resolve_to_the_servers_shown(harness):
    tagged = harness.healthy(3)
    drs = harness.sandbox.client("drs")
    for sid in tagged:
        arn = drs.describe_source_servers(filters={"sourceServerIDs": [sid]})["items"][0]["arn"]
        drs.tag_resource(resourceArn=arn, tags={"PreflightTest": "web"})
    explicit = harness.healthy(1)
    plan = harness.plan([explicit, []], selectors={1: "PreflightTest=web"})
    report = run(preflight(harness.conn, harness.location, plan))
    assert set(report.waves[1].server_ids) == set(tagged) and report.waves[0].server_ids == tuple(explicit)
    assert set(report.waves[1].from_selector) == set(tagged)
    sel = [c for c in report.check("selectors") if c.wave_index == 1]
    assert sel and sel[0].level is Level.PASS and set(sel[0].server_ids) == set(tagged)
    assert report.to_json()["waves"][1]["serverIds"] == list(report.waves[1].server_ids)
    none = run(preflight(harness.conn, harness.location, harness.plan([explicit, []], selectors={1: "Nope=x"})))
    assert any(c.level is Level.BLOCK and c.wave_index == 1 for c in none.check("selectors"))


def test_server_in_an_active_drs_job_blocks(harness, sim):
    busy, free = harness.healthy(2)
    clock = harness.sandbox.clock
    speed, clock.speed = clock.speed, 1.0  # this job takes minutes (its server is used by no other test)
    try:
        job = harness.sandbox.client("drs").start_recovery(sourceServers=[{"sourceServerID": busy}],
                                                           isDrill=True)["job"]
    finally:
        clock.speed = speed
    report = run(preflight(harness.conn, harness.location, harness.plan([[busy, free]])))
    blocks = report.check("active-jobs")
    assert blocks[0].level is Level.BLOCK and blocks[0].server_ids == (busy,) and job["jobID"] in blocks[0].message


def test_recovery_of_a_dead_source_site_warns_with_recovery_points_and_runs(harness, sim, tmp_path, monkeypatch):
    """The source site is down: DISCONNECTED and STALLED servers. A drill stays blocked; a real
    recovery WARNs, shows every server's recovery point and the plan's RPO (report, CLI, record),
    BLOCKs a server with no recovery snapshot, and runs from those recovery points."""
    import io
    import json
    from datetime import UTC, datetime, timedelta

    from drs_console.cli.context import CliContext
    from drs_console.cli.main import build_parser, run_command
    from drs_console.domain.history import parse_time
    from drs_console.store.plan_io import write_plan_file

    dead, stalled, syncing = harness.healthy(3)
    sim.set_replication_state(dead, "DISCONNECTED", lag_seconds=41 * 60)
    sim.set_replication_state(stalled, "STALLED", lag_seconds=5 * 60)
    sim.set_replication_state(syncing, "INITIAL_SYNC")
    try:
        plan = harness.plan([[dead, stalled]], name="Dead site")
        drill = run(preflight(harness.conn, harness.location, plan))
        recovery = run(preflight(harness.conn, harness.location, plan, drill=False))
        with_syncing = run(preflight(harness.conn, harness.location, harness.plan([[dead, syncing]]), drill=False))
        path = tmp_path / "plan.json"
        write_plan_file(path, plan, backup=False)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "sandbox-access-key")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "sandbox-secret")
        outputs = {}
        for fmt in ("text", "json"):
            ctx = CliContext(region=harness.sandbox.region, endpoint_url=harness.sandbox.endpoint_url,
                             out=io.StringIO(), err=io.StringIO())
            argv = ["--endpoint-url", harness.sandbox.endpoint_url, "preflight", str(path), "--recovery"]
            code = run_command(build_parser().parse_args(argv + (["--json"] if fmt == "json" else [])), ctx)
            outputs[fmt] = (code, ctx.out.getvalue())

        async def recover():
            started = await start_run(harness.conn, harness.location, plan, recovery=True, confirm=plan.name,
                                      report=recovery, poll_interval_seconds=1)
            await harness.wait_ended(started.execution_arn)
            return started, await harness.record(started.execution_id)

        started, record = run(recover())
        html_path = tmp_path / "report.html"
        ctx = CliContext(region=harness.sandbox.region, endpoint_url=harness.sandbox.endpoint_url,
                         out=io.StringIO(), err=io.StringIO())
        argv = ["--endpoint-url", harness.sandbox.endpoint_url, "report", started.execution_id, "--html",
                str(html_path)]
        assert run_command(build_parser().parse_args(argv), ctx) == 0, ctx.err.getvalue()
        instances = harness.sandbox.client("drs").describe_recovery_instances(
            filters={"sourceServerIDs": [dead, stalled]})["items"]
    finally:
        for sid in (dead, stalled, syncing):
            sim.set_replication_state(sid, "CONTINUOUS")

    # a drill keeps its rules: STALLED/DISCONNECTED BLOCK
    assert drill.blocked and {s for c in drill.check("servers") if c.level is Level.BLOCK for s in c.server_ids} == {
        dead, stalled}
    # a recovery: WARN, never BLOCK, with each server's recovery point
    assert not recovery.blocked, recovery.lines()
    assert {c.level for c in recovery.check("servers")} == {Level.WARN}
    points = {c.server_ids[0]: c for c in recovery.check("recovery-point")}
    assert set(points) == {dead, stalled} and {c.level for c in points.values()} == {Level.WARN}
    dead_point = recovery.recovery_points[dead].at
    last_seen = parse_time(sim.server(dead)["lifeCycle"]["lastSeenByServiceDateTime"])
    assert dead_point is not None and dead_point <= last_seen
    age_min = int((recovery.checked_at - dead_point).total_seconds() // 60)
    assert 41 <= age_min <= 52
    assert f"recovers to {dead_point:%Y-%m-%d %H:%M} UTC, {age_min} min ago" in points[dead].message
    assert "DISCONNECTED" in points[dead].message
    # the worst recovery point is the plan's RPO now
    assert recovery.worst_recovery_point.source_server_id == dead
    assert recovery.rpo_line().startswith(f"RPO now: {age_min} min") and dead in recovery.rpo_line()
    doc = recovery.to_json()
    assert doc["worstRecoveryPoint"]["sourceServerId"] == dead and doc["rpoSeconds"] // 60 == age_min
    assert {p["sourceServerId"] for p in doc["recoveryPoints"]} == {dead, stalled}
    # no recovery snapshot at all: BLOCK with that reason
    block = [c for c in with_syncing.check("recovery-point") if c.level is Level.BLOCK]
    assert with_syncing.blocked and [c.server_ids for c in block] == [(syncing,)]
    assert "no recovery snapshot" in block[0].message
    # the CLI shows the same
    code, text = outputs["text"]
    assert code == 0 and "RPO now:" in text and f"{dead_point:%Y-%m-%d %H:%M} UTC" in text, text
    code, js = outputs["json"]
    assert code == 0 and json.loads(js)["worstRecoveryPoint"]["sourceServerId"] == dead
    # the recovery ran from those recovery points, and its record carries the RPO at start
    assert record.status.value == "COMPLETED", record
    assert record.recovery_point_server_id == dead
    assert parse_time(record.recovery_point_at) == dead_point.replace(microsecond=0)
    assert record.rpo_seconds // 60 == age_min
    html = html_path.read_text()
    assert "Recovery point (RPO at start)" in html and f"{age_min} min" in html
    assert f"{dead_point:%Y-%m-%dT%H:%M}" in html
    # one clock: the wave's start and end are its DRS job's, to the second, and none is after now
    wave = record.waves[0]
    job = sim.job(wave.job_id)
    created, ended = parse_time(job["creationDateTime"]), parse_time(job["endDateTime"])
    assert parse_time(wave.started_at) <= created <= parse_time(wave.started_at) + timedelta(seconds=1)
    assert parse_time(wave.ended_at) == ended <= datetime.now(UTC)
    by_server = {i["sourceServerID"]: i for i in instances if i["jobID"] in {w.job_id for w in record.waves}}
    assert not by_server[dead]["isDrill"]
    assert parse_time(by_server[dead]["pointInTimeSnapshotDateTime"]) == dead_point  # launched from it


def test_server_in_an_active_execution_of_another_plan_blocks(harness, sim):
    shared, other = harness.healthy(2)
    first = harness.plan([[shared]], name="First plan", pause=frozenset({0}))

    async def scenario():
        started = await start_run(harness.conn, harness.location, first, poll_interval_seconds=1)
        await harness.wait_record(started.execution_id, lambda r: r.status is S.PAUSED, what="PAUSED")
        report = await preflight(harness.conn, harness.location, harness.plan([[shared, other]], name="Second"))
        await cancel_run(harness.conn, harness.location, started.execution_id, poll=0.2)
        return started, report

    started, report = run(scenario())
    found = report.check("active-executions")
    assert found[0].level is Level.BLOCK and found[0].server_ids == (shared,)
    assert started.execution_id in found[0].message and "First plan" in found[0].message


def test_leftover_drill_instances_warn_and_offer_cleanup(harness, sim):
    servers = harness.healthy(2)
    plan = harness.plan([servers], name="Leftovers")

    async def scenario():
        started = await start_run(harness.conn, harness.location, plan, poll_interval_seconds=1)
        await harness.wait_ended(started.execution_arn)
        report = await preflight(harness.conn, harness.location, plan)
        job = await terminate_leftovers(harness.conn, report.leftovers)
        progress = [p async for p in follow_cleanup(harness.conn, job, poll=0.2)]
        return report, job, progress, await preflight(harness.conn, harness.location, plan)

    report, job, progress, after = run(scenario())
    left = report.check("leftovers")[0]
    assert left.level is Level.WARN and left.action == "cleanup" and "clean" in left.remedy.lower()
    assert {i.source_server_id for i in report.leftovers} == set(servers)
    assert not report.blocked
    assert set(job.recovery_instance_ids) == {i.recovery_instance_id for i in report.leftovers}
    assert progress[-1].done and progress[-1].terminated == 2
    assert after.check("leftovers")[0].level is Level.PASS and after.leftovers == ()


def test_quota_from_service_quotas_blocks_a_big_wave(harness, monkeypatch):
    from moto.servicequotas.models import ServiceQuotasBackend

    original = ServiceQuotasBackend.list_aws_default_service_quotas

    def with_drs(self, service_code):
        if service_code == "drs":
            return [{"ServiceCode": "drs", "ServiceName": "AWS Elastic Disaster Recovery", "QuotaCode": "L-TEST1234",
                     "QuotaName": "Max number of source servers in a single Drill/Recovery job", "Value": 2.0,
                     "Unit": "None", "Adjustable": True, "GlobalQuota": False}]
        return original(self, service_code)

    monkeypatch.setattr(ServiceQuotasBackend, "list_aws_default_service_quotas", with_drs)
    assert run(drs_job_quota(harness.conn)) == (2, "Service Quotas, AWS default L-TEST1234")
    report = run(preflight(harness.conn, harness.location, harness.plan([harness.healthy(3), harness.healthy(2)])))
    quota = report.check("quota")
    assert [(c.level, c.wave_index) for c in quota] == [(Level.BLOCK, 0)]
    assert report.job_quota == 2 and "L-TEST1234" in quota[0].message


def test_documented_default_quota_is_labelled(harness):
    value, source = run(drs_job_quota(harness.conn))
    assert value == DOCUMENTED_JOB_QUOTA and source.startswith("documented default")
