"""Point-in-time recovery end to end in the sandbox, through the real state machine: a server with
no snapshot before the time BLOCKs, a wave recovered from inconsistent points WARNs, a per-wave
override launches that wave from its own time (and the others from the latest data), and a
contract 1.0 input still validates and runs. (The recovery to two hours back, typed confirmation
and every view agreeing: tests/runs/views_agree.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drs_console.aws.backend import build_execution_input, execution_input_errors, validate_execution_input
from drs_console.aws.preflight import preflight
from drs_console.aws.runs import PreflightBlocked, start_run
from drs_console.domain.errors import BadInput
from drs_console.domain.preflight import Level
from drs_console.domain.progress import parse_time
from drs_console.domain.status import ExecutionStatus as S
from tests.runs.conftest import run

pytestmark = pytest.mark.e2e


def _pit(report, level):
    return [c for c in report.check("point-in-time") if c.level is level]


def test_a_server_with_no_snapshot_before_the_time_blocks(harness, sim):
    ok, syncing, later = harness.healthy(3)
    sim.set_replication_state(syncing, "INITIAL_SYNC")
    now = datetime.now(UTC)
    try:
        plan = harness.plan([[ok, syncing], [later]])
        report = run(preflight(harness.conn, harness.location, plan, drill=False, point_in_time=now - timedelta(days=8)))
        with pytest.raises(PreflightBlocked) as caught:
            run(start_run(harness.conn, harness.location, plan, recovery=True, confirm=plan.name, report=report))
    finally:
        sim.set_replication_state(syncing, "CONTINUOUS")
    blocks = {c.server_ids: c for c in _pit(report, Level.BLOCK)}
    assert set(blocks) == {(ok,), (syncing,), (later,)}
    oldest = sim.describe_recovery_snapshots(sourceServerID=ok, order="ASC", maxResults=1)["items"][0]
    assert f"its oldest is {oldest['snapshotID']}" in blocks[(ok,)].message  # the server's real oldest one
    assert "no recovery snapshot at all" in blocks[(syncing,)].message
    assert "point-in-time" in caught.value.message
    doc = report.to_json()
    first = doc["pointInTimeWaves"][0]["servers"][0]
    assert first["recoverySnapshotId"] is None and first["oldestSnapshotId"] == oldest["snapshotID"]


def test_a_wave_recovered_from_inconsistent_points_warns(harness, sim):
    a, b = harness.healthy(2)
    sim.set_replication_state(b, "DISCONNECTED", lag_seconds=3 * 3600)  # no data after three hours ago
    try:
        plan = harness.plan([[a, b]])
        at = datetime.now(UTC) - timedelta(minutes=30)  # inside the last hour: a snapshot every 10 min
        report = run(preflight(harness.conn, harness.location, plan, drill=False, point_in_time=at))
        wide = run(preflight(harness.conn, harness.location, plan, drill=False, point_in_time=at,
                             max_spread=timedelta(hours=3)))
    finally:
        sim.set_replication_state(b, "CONTINUOUS")
    warns = _pit(report, Level.WARN)
    assert len(warns) == 1 and "inconsistent points" in warns[0].message and not report.blocked
    resolved = {r.source_server_id: r for r in report.resolutions[0].servers}
    assert resolved[a].before_seconds < 15 * 60 and resolved[b].before_seconds > 2 * 3600
    assert not _pit(wide, Level.WARN)
    assert any("inconsistent points" in line for line in report.lines())


def test_a_wave_override_launches_that_wave_from_its_own_time(harness):
    first, second = harness.healthy(1), harness.healthy(1)
    plan = harness.plan([first, second])
    at = datetime.now(UTC) - timedelta(hours=3)
    report = run(preflight(harness.conn, harness.location, plan, wave_points={0: at}))
    assert not report.blocked, report.lines()
    assert [r.index for r in report.resolutions] == [0]  # wave 2: the latest data
    started = run(start_run(harness.conn, harness.location, plan, report=report, poll_interval_seconds=1))
    waves = started.execution_input["plan"]["waves"]
    assert "servers" in waves[0] and "servers" not in waves[1] and started.execution_input["contractVersion"] == "1.2"
    record = run(harness.wait_record(started.execution_id, lambda r: r.is_terminal, what="the drill to end"))
    assert record.status is S.COMPLETED
    view = run(harness.monitor(started).snapshot())
    one, two = view.waves[0].servers[0], view.waves[1].servers[0]
    snap = report.resolutions[0].servers[0].snapshot
    assert one.recovery_snapshot_id == snap.snapshot_id and one.recovery_point == snap.at.replace(microsecond=0)
    assert view.waves[0].point_in_time == at.replace(microsecond=0) and view.waves[1].point_in_time is None
    assert two.recovery_snapshot_id == "" and two.recovery_point > at + timedelta(hours=2)  # launched from now


def test_a_contract_1_0_input_still_validates_and_runs(harness):
    sid = harness.healthy(1)[0]
    doc = build_execution_input(plan_id="p-10", plan_name="One oh", plan_version=1,
                                waves=[{"name": "W1", "sourceServerIds": [sid]}],
                                history_table=harness.location.history_table, initiated_by="tester",
                                poll_interval_seconds=1)
    doc["contractVersion"] = "1.0"
    validate_execution_input(doc)
    arn = run(harness.service.start_execution(harness.location, doc))
    info = run(harness.wait_ended(arn, timeout=60))
    assert info.status == "SUCCEEDED"
    record = run(harness.record(doc["executionId"]))
    assert record.status is S.COMPLETED and record.contract_version == "1.0"
    # what 1.0 never had is refused in a 1.0 input; in 1.1 a wave's servers are its sourceServerIds
    with_pit = {**doc, "pointInTime": "2026-12-01T08:00:00Z"}
    with pytest.raises(BadInput):
        validate_execution_input(with_pit)
    mismatch = {**doc, "contractVersion": "1.1", "plan": {**doc["plan"], "waves": [
        {**doc["plan"]["waves"][0], "servers": [{"sourceServerID": "s-" + "0" * 17,
                                                 "recoverySnapshotID": "pit-" + "0" * 17}]}]}}
    assert any("same order" in e for e in execution_input_errors(mismatch))
    assert parse_time(record.started_at) is not None
