"""Readiness rules, one per reason (domain/readiness.py): what makes a plan NOT READY, AT RISK,
UNKNOWN or READY, the words that say why, and the servers behind each figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drs_console.domain.contract import ExecutionRecord
from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.preflight import RecoveryPoint
from drs_console.domain.readiness import (
    DrillRecord,
    DrillWave,
    Readiness,
    ReasonCode,
    assess,
)
from drs_console.domain.status import ExecutionStatus, ReplicationState

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACCOUNT, REGION = "123456789012", "us-east-1"
A, B, C = "s-0000000000000000a", "s-0000000000000000b", "s-0000000000000000c"
OK = ExecutionStatus.COMPLETED


def server(sid, state=ReplicationState.CONTINUOUS, lag="", **tags):
    return SourceServer(sid, hostname=f"host-{sid[-1]}", replication_state=state, lag_duration=lag,
                        tags={"Name": f"host-{sid[-1]}", **tags})


def inventory(*servers, age=timedelta(minutes=5)):
    return InventorySnapshot(ACCOUNT, REGION, NOW - age, tuple(servers))


def make_plan(*ids, selector=None, rto=None):
    plan = Plan.new("Payments", target_account_id=ACCOUNT, target_region=REGION, wave_names=["DB", "App"])
    plan.add_servers(0, [ServerRef(i) for i in ids[:1]])
    plan.add_servers(1, [ServerRef(i) for i in ids[1:]])
    if selector:
        plan.set_selector(1, selector)
    if rto is not None:
        plan.set_rto_target(rto)
    return plan


def drill(plan, *, ago=timedelta(days=3), status=OK, waves=None, minutes=(10, 20), eid="d1"):
    start = NOW - ago
    if waves is None:
        waves = [[A], [B, C]]
    ws, t = [], start
    for i, ids in enumerate(waves):
        end = t + timedelta(minutes=minutes[i % len(minutes)])
        ws.append(DrillWave(i, f"W{i + 1}", OK if status is OK or i == 0 else status, t, end, tuple(ids)))
        t = end
    return DrillRecord(eid, plan.id, status, start, t, tuple(ws))


def points(*ids, age=timedelta(minutes=5)):
    return {i: RecoveryPoint(i, f"pit-{i}", NOW - age) for i in ids}


def judge(plan, inv, *, pts="auto", drills="auto", **kw):
    if pts == "auto":
        pts = points(*(s.source_server_id for s in inv.servers)) if inv else None
    if drills == "auto":
        drills = [drill(plan)]
    return assess(plan, inv, now=NOW, inventory_live=True, points=pts, drills=drills, **kw)


def codes(r):
    return {x.code for x in r.reasons}


def reason(r, code):
    return next(x for x in r.reasons if x.code is code)


def test_a_healthy_recently_drilled_plan_is_ready():
    plan = make_plan(A, B, C)
    r = judge(plan, inventory(server(A), server(B), server(C)))
    assert r.status is Readiness.READY and r.reasons == ()
    assert r.rpo_seconds == 300
    assert r.last_drill.recovery_time_seconds == 30 * 60  # waves of 10 and 20 minutes, start to last end
    assert r.source_text() == "live inventory"


def test_a_server_no_longer_in_drs_is_not_ready():
    plan = make_plan(A, B, C)
    r = judge(plan, inventory(server(A), server(B)))
    assert r.status is Readiness.NOT_READY
    missing = reason(r, ReasonCode.MISSING_SERVER)
    assert missing.server_ids == (C,) and "no longer in DRS" in missing.text and C in missing.text
    assert r.server(C).in_drs is False


def test_a_server_without_a_recovery_snapshot_is_not_ready():
    plan = make_plan(A, B)
    pts = points(A) | {B: RecoveryPoint(B)}
    r = judge(plan, inventory(server(A), server(B)), pts=pts, drills=[drill(plan, waves=[[A], [B]])])
    assert r.status is Readiness.NOT_READY
    assert reason(r, ReasonCode.NO_SNAPSHOT).server_ids == (B,)
    assert "has no recovery snapshot" in r.rpo_text()


def test_initial_sync_offline_means_no_snapshot_yet():
    plan = make_plan(A, B)
    r = judge(plan, inventory(server(A), server(B, ReplicationState.INITIAL_SYNC)), pts=None,
              drills=[drill(plan, waves=[[A], [B]])])
    no = reason(r, ReasonCode.NO_SNAPSHOT)
    assert no.server_ids == (B,) and "INITIAL_SYNC" in no.text
    assert ReasonCode.REPLICATION not in codes(r)  # said once, as the worse reason
    assert r.status is Readiness.NOT_READY


def test_a_plan_never_drilled_is_not_ready():
    plan = make_plan(A)
    r = judge(plan, inventory(server(A)), drills=[])
    assert r.status is Readiness.NOT_READY
    assert "never been drilled" in reason(r, ReasonCode.NEVER_DRILLED).text
    assert r.drill_text() == "never drilled"


def test_a_server_never_in_a_completed_drill_wave_is_not_ready():
    plan = make_plan(A, B)
    r = judge(plan, inventory(server(A), server(B)), drills=[drill(plan, waves=[[A]], minutes=(10,))])
    assert reason(r, ReasonCode.NEVER_DRILLED).server_ids == (B,)
    assert r.status is Readiness.NOT_READY


def test_drills_of_other_plans_and_running_drills_do_not_count():
    plan = make_plan(A)
    other = Plan.new("Other")
    running = DrillRecord("d9", plan.id, ExecutionStatus.RUNNING, NOW - timedelta(minutes=5))
    r = judge(plan, inventory(server(A)), drills=[drill(other, waves=[[A]]), running])
    assert ReasonCode.NEVER_DRILLED in codes(r)


@pytest.mark.parametrize("state", [ReplicationState.STALLED, ReplicationState.DISCONNECTED,
                                   ReplicationState.PAUSED, ReplicationState.BACKLOG])
def test_replication_not_continuous_is_at_risk(state):
    plan = make_plan(A, B, C)
    r = judge(plan, inventory(server(A), server(B, state), server(C)))
    rep = reason(r, ReasonCode.REPLICATION)
    assert r.status is Readiness.AT_RISK
    assert rep.server_ids == (B,) and state.value in rep.text


def test_lag_over_the_limit_is_at_risk_and_names_the_worst():
    plan = make_plan(A, B, C)
    r = judge(plan, inventory(server(A, lag="PT45M"), server(B, lag="PT2M"), server(C)))
    lag = reason(r, ReasonCode.LAG)
    assert r.status is Readiness.AT_RISK
    assert lag.server_ids == (A,) and "worst 45 min" in lag.text
    assert r.worst_lag.source_server_id == A
    assert "worst lag 45 min (host-a" in r.rpo_text()


def test_an_old_recovery_point_is_lag_too():
    plan = make_plan(A, B, C)
    pts = points(A, B) | points(C, age=timedelta(hours=2))
    r = judge(plan, inventory(server(A), server(B), server(C)), pts=pts)
    assert reason(r, ReasonCode.LAG).server_ids == (C,)
    assert r.worst_point.source_server_id == C and r.rpo_seconds == 7200


def test_a_drill_older_than_the_limit_is_at_risk_and_the_limit_is_configurable():
    plan = make_plan(A, B, C)
    inv = inventory(server(A), server(B), server(C))
    old = [drill(plan, ago=timedelta(days=120))]
    r = judge(plan, inv, drills=old)
    assert r.status is Readiness.AT_RISK
    assert "more than 90 days" in reason(r, ReasonCode.DRILL_STALE).text
    assert judge(plan, inv, drills=old, stale_days=180).status is Readiness.READY
    assert judge(plan, inv, drills=[drill(plan, ago=timedelta(days=10))], stale_days=7).status is Readiness.AT_RISK


def test_servers_last_drilled_long_ago_are_named():
    plan = make_plan(A, B)
    recent = drill(plan, ago=timedelta(days=2), waves=[[A]], minutes=(5,), eid="new")
    old = drill(plan, ago=timedelta(days=200), waves=[[A], [B]], eid="old")
    r = judge(plan, inventory(server(A), server(B)), drills=[old, recent])
    stale = reason(r, ReasonCode.DRILL_STALE)
    assert stale.server_ids == (B,) and "not drilled in the last 90 days" in stale.text
    assert r.last_drill.execution_id == "new"
    assert r.server(B).last_drilled_at == NOW - timedelta(days=200)


def test_a_failed_last_drill_is_at_risk_with_its_waves():
    plan = make_plan(A, B, C)
    r = judge(plan, inventory(server(A), server(B), server(C)),
              drills=[drill(plan, status=ExecutionStatus.FAILED), drill(plan, ago=timedelta(days=9), eid="d0")])
    failed = reason(r, ReasonCode.DRILL_FAILED)
    assert "ended FAILED" in failed.text and "wave 2 'W2' FAILED" in failed.text
    assert set(failed.server_ids) == {B, C}
    assert r.status is Readiness.AT_RISK  # B and C were drilled successfully 9 days ago


def test_a_last_drill_slower_than_the_rto_target_is_at_risk():
    plan = make_plan(A, B, C, rto=25)
    r = judge(plan, inventory(server(A), server(B), server(C)))
    missed = reason(r, ReasonCode.RTO_MISSED)
    assert r.status is Readiness.AT_RISK
    assert "took 30 min 00 s, more than the RTO target of 25 min" in missed.text
    plan60 = make_plan(A, B, C, rto=60)
    assert ReasonCode.RTO_MISSED not in codes(judge(plan60, inventory(server(A), server(B), server(C)),
                                                    drills=[drill(plan60)]))


def test_servers_matched_by_a_selector_since_the_last_drill_are_drift():
    plan = make_plan(A, B, selector="Tier=web")
    d = DrillRecord("d1", plan.id, OK, NOW - timedelta(days=2), NOW - timedelta(days=2) + timedelta(minutes=30), (
        DrillWave(0, "DB", OK, NOW - timedelta(days=2), NOW - timedelta(days=2, minutes=-10), (A,)),
        DrillWave(1, "App", OK, NOW - timedelta(days=2, minutes=-10), NOW - timedelta(days=2, minutes=-30), (B, C)),
    ))
    inv = inventory(server(A), server(B), server(C, Tier="web"), server("s-0000000000000000d", Tier="web"))
    r = judge(plan, inv, drills=[d])
    drift = reason(r, ReasonCode.DRIFT)
    assert drift.server_ids == ("s-0000000000000000d",) and "not in its last drill" in drift.text
    assert r.server("s-0000000000000000d").from_selector
    # the new server was never drilled either: NOT READY, both reasons listed
    assert r.status is Readiness.NOT_READY and ReasonCode.NEVER_DRILLED in codes(r)


def test_history_not_read_is_at_risk_and_said():
    plan = make_plan(A)
    r = assess(plan, inventory(server(A)), now=NOW, points=None, drills=None)
    assert r.status is Readiness.AT_RISK
    assert "not read (offline)" in reason(r, ReasonCode.HISTORY_UNKNOWN).text
    assert r.source_text() == "cached inventory, 5 min old"
    assert "recovery points not read" in r.rpo_text()


def test_no_inventory_of_the_target_is_unknown():
    plan = make_plan(A)
    other = InventorySnapshot("999999999999", REGION, NOW, (server(A),))
    r = judge(plan, other, pts=None)
    assert r.status is Readiness.UNKNOWN
    assert "No inventory of account 123456789012, us-east-1" in reason(r, ReasonCode.NO_INVENTORY).text
    assert r.server(A).in_drs is None


def test_a_plan_without_servers_is_not_ready():
    r = judge(Plan.new("Empty", target_account_id=ACCOUNT, target_region=REGION, wave_names=["W"]),
              inventory(server(A)), drills=[])
    assert ReasonCode.NO_SERVERS in codes(r) and r.status is Readiness.NOT_READY


def test_reasons_are_worst_first_and_json_carries_every_figure():
    plan = make_plan(A, B, C, rto=10)
    r = judge(plan, inventory(server(A, lag="PT40M"), server(B)), pts=points(A, B))
    statuses = [x.status for x in r.reasons]
    assert statuses == sorted(statuses, key=lambda s: -s.rank)
    doc = r.to_json()
    assert doc["status"] == "NOT READY"
    assert doc["rtoTargetMinutes"] == 10 and doc["lastDrill"]["recoveryTimeSeconds"] == 1800
    assert [w["durationSeconds"] for w in doc["lastDrill"]["waves"]] == [600, 1200]
    assert doc["rpo"]["worstLagServerId"] == A and doc["rpo"]["worstLagSeconds"] == 2400
    assert {s["sourceServerId"] for s in doc["servers"]} == {A, B, C}


def test_a_drill_record_from_the_history_items():
    record = ExecutionRecord.from_items([
        {"PK": "EXEC#e1", "SK": "EXECUTION", "executionId": "e1", "planId": "p1", "status": "COMPLETED",
         "executionType": "DRILL", "startedAt": "2026-11-30T10:00:00Z", "endedAt": "2026-11-30T10:40:00Z"},
        {"PK": "EXEC#e1", "SK": "WAVE#0001", "waveIndex": 0, "waveName": "DB", "status": "COMPLETED",
         "startedAt": "2026-11-30T10:00:05Z", "endedAt": "2026-11-30T10:15:00Z"},
        {"PK": "EXEC#e1", "SK": "WAVE#0002", "waveIndex": 1, "waveName": "App", "status": "COMPLETED",
         "startedAt": "2026-11-30T10:15:01.900Z", "endedAt": "2026-11-30T10:39:00.100Z"},
    ])
    d = DrillRecord.from_record(record, {"waves": [{"name": "DB", "sourceServerIds": [A]},
                                                   {"name": "App", "sourceServerIds": [B, C]}]})
    assert d.server_ids == {A, B, C} and d.drilled_server_ids == {A, B, C}
    # whole seconds, as every view shows the times (10:15:01 to 10:39:00 reads 23 min 59 s, not 23 min 58.2 s)
    assert [w.duration_seconds for w in d.waves] == [895, 1439]
    assert d.recovery_time_seconds == 39 * 60
