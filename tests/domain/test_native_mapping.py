"""The wave plan -> DRS native recovery plan mapping (domain/native_mapping.py), each rule, and back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drs_console.domain.inventory import SourceServer
from drs_console.domain.native_mapping import (
    MAX_SERVERS,
    MAX_STEPS,
    Impact,
    NativeServer,
    NativeStep,
    StepKind,
    drift,
    map_plan,
    native_name,
    parse_server_arn,
    plan_from_native,
    source_server_arn,
    steps_from_api,
)
from drs_console.domain.native_view import (
    ACTIVE_NATIVE,
    EXECUTION_STATUS,
    STEP_STATUS,
    build_native_view,
    history_row,
)
from drs_console.domain.plan import FailurePolicy, Plan, PlanFormatError, ServerRef, Wave
from drs_console.domain.progress import wave_line
from drs_console.domain.status import ExecutionStatus, LaunchStatus

ACCOUNT, REGION = "123456789012", "us-east-1"
SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "plans" / "sample-payments.json"


def sid(n: int) -> str:
    return f"s-{n:017d}"


def inventory(n: int = 10, **tags_of) -> list[SourceServer]:
    return [SourceServer(sid(i), tags=tags_of.get(sid(i), {})) for i in range(n)]


def plan_with(*waves: Wave, **kw) -> Plan:
    p = Plan.new("Payments", target_account_id=ACCOUNT, target_region=REGION)
    p.waves = list(waves)
    for k, v in kw.items():
        setattr(p, k, v)
    return p


def wave(name: str, *ids: str, **kw) -> Wave:
    return Wave(name=name, servers=[ServerRef(i) for i in ids], **kw)


def mapped(plan: Plan, inv=None, **kw):
    return map_plan(plan, account_id=ACCOUNT, region=REGION, inventory=inventory() if inv is None else inv, **kw)


def refused(m) -> list[str]:
    return [p.what for p in m.refused]


def test_each_wave_is_a_server_step_with_source_server_arns_in_order():
    m = mapped(plan_with(wave("DB", sid(1)), wave("App", sid(2), sid(3))))
    assert m.ok and [s.kind for s in m.steps] == [StepKind.SERVER, StepKind.SERVER]
    assert [s.name for s in m.steps] == ["DB", "App"]
    assert m.steps[1].servers == (
        NativeServer(f"arn:aws:drs:{REGION}:{ACCOUNT}:source-server/{sid(2)}", Impact.CRITICAL),
        NativeServer(f"arn:aws:drs:{REGION}:{ACCOUNT}:source-server/{sid(3)}", Impact.CRITICAL),
    )
    assert m.steps[1].configuration() == {"serverStepConfiguration": {"servers": [
        {"serverArn": source_server_arn(REGION, ACCOUNT, sid(2)), "impactLevel": "CRITICAL"},
        {"serverArn": source_server_arn(REGION, ACCOUNT, sid(3)), "impactLevel": "CRITICAL"}]}}


def test_impact_is_critical_by_default_optional_from_the_wave_or_the_server():
    w1 = wave("DB", sid(1), sid(2), critical=False)
    w1.servers[1] = ServerRef(sid(2), critical=True)  # the server's own flag wins
    w2 = Wave(name="App", servers=[ServerRef(sid(3)), ServerRef(sid(4), critical=False)])
    m = mapped(plan_with(w1, w2))
    assert [s.impact for s in m.steps[0].servers] == [Impact.OPTIONAL, Impact.CRITICAL]
    assert [s.impact for s in m.steps[1].servers] == [Impact.CRITICAL, Impact.OPTIONAL]


def test_a_delay_before_a_wave_is_a_wait_step_split_at_120_minutes():
    m = mapped(plan_with(wave("DB", sid(1)), wave("App", sid(2), delay_minutes=150)))
    assert [(s.kind, s.wait_minutes) for s in m.steps] == [
        (StepKind.SERVER, 0), (StepKind.WAIT, 120), (StepKind.WAIT, 30), (StepKind.SERVER, 0)]
    assert m.steps[1].configuration() == {"waitStepConfiguration": {"waitDurationMinutes": 120}}
    assert m.ok


def test_pause_before_is_refused_saying_where_to_split_unless_dropped():
    plan = plan_with(wave("DB", sid(1)), wave("App", sid(2)), wave("Web", sid(3), pause_before=True))
    m = mapped(plan)
    (p,) = m.refused
    assert p.what == "pause-before" and p.wave_index == 2
    assert "timed, not an approval" in p.message and "Split the run at wave 3" in p.remedy
    dropped = mapped(plan, drop_pauses=True)
    assert dropped.ok and [w.what for w in dropped.warnings] == ["pause-before", "timeout"]


def test_selectors_are_resolved_now_with_a_warning():
    inv = inventory(6, **{sid(4): {"Tier": "web"}, sid(5): {"Tier": "web"}})
    m = mapped(plan_with(wave("Web", sid(1), selector="Tier=web")), inv)
    assert m.ok
    assert [s.source_server_id for s in m.steps[0].servers] == [sid(1), sid(4), sid(5)]
    (w,) = [p for p in m.warnings if p.what == "selector"]
    assert "resolved now to 2 servers" in w.message and "will not follow tag changes" in w.message
    assert refused(mapped(plan_with(wave("Web", selector="Tier=web")), inv=[])) == ["empty"]
    no_inventory = map_plan(plan_with(wave("Web", selector="Tier=web")), account_id=ACCOUNT, region=REGION,
                            inventory=None)
    assert "selector" in refused(no_inventory)


def test_more_than_20_steps_or_100_servers_is_refused():
    many_waves = plan_with(*[wave(f"W{i}", sid(i)) for i in range(MAX_STEPS + 1)])
    m = mapped(many_waves, inventory(MAX_STEPS + 1))
    assert refused(m) == ["limit"] and "21 steps" in m.refused[0].message
    assert mapped(plan_with(*[wave(f"W{i}", sid(i)) for i in range(MAX_STEPS)]), inventory(MAX_STEPS)).ok
    big = plan_with(wave("A", *[sid(i) for i in range(60)]), wave("B", *[sid(i) for i in range(60, 101)]))
    m = mapped(big, inventory(101))
    assert refused(m) == ["limit"] and f"over DRS's {MAX_SERVERS}" in m.refused[0].message


def test_servers_of_another_account_or_region_are_refused():
    other = plan_with(wave("DB", sid(1)))
    other.target_account_id = "999999999999"
    assert refused(mapped(other)) == ["account"]
    other = plan_with(wave("DB", sid(1)))
    other.target_region = "eu-west-1"
    assert refused(mapped(other)) == ["region"]
    m = mapped(plan_with(wave("DB", sid(1), sid(42))))  # not in this account's inventory
    assert refused(m) == ["server"] and sid(42) in m.refused[0].message


def test_a_server_in_two_waves_is_refused():
    assert refused(mapped(plan_with(wave("A", sid(1)), wave("B", sid(1))))) == ["server"]


def test_per_wave_timeouts_and_continue_policy_are_warned_not_carried():
    plan = plan_with(wave("DB", sid(1), timeout_minutes=90), failure_policy=FailurePolicy.CONTINUE)
    m = mapped(plan)
    assert m.ok
    whats = {p.what: p.message for p in m.warnings}
    assert "1 (90 min)" in whats["timeout"] and "stops at a failed step" in whats["failure-policy"]


def test_names_are_made_valid_native_names():
    assert native_name("Payments – EU/failover!", "x") == "Payments EU failover"
    assert native_name("***", "Wave 3") == "Wave 3"
    assert native_name("_db", "x") == "db"


def test_the_sample_plan_maps_once_its_pause_is_dropped():
    from drs_console.store.plan_io import read_plan_file

    plan = read_plan_file(SAMPLE).plan
    inv = [SourceServer(s.source_server_id) for w in plan.waves for s in w.servers] + [
        SourceServer("s-505cb68b927a80fd4", tags={"Application": "Payments", "Tier": "web"})]
    m = map_plan(plan, account_id=ACCOUNT, region=REGION, inventory=inv)
    assert refused(m) == ["pause-before"]
    assert map_plan(plan, account_id=ACCOUNT, region=REGION, inventory=inv, drop_pauses=True).ok


def test_plan_files_keep_critical_and_delay_and_old_files_stay_valid():
    old = json.loads(SAMPLE.read_text())
    plan = Plan.from_dict(old)
    assert all(w.critical and w.delay_minutes == 0 for w in plan.waves)
    assert plan.to_dict()["waves"] == old["waves"]  # nothing new is written for defaults
    plan.waves[1].delay_minutes = 5
    plan.waves[1].critical = False
    plan.waves[0].servers[0] = ServerRef("s-079dcdb51b3fd80be", critical=False)
    again = Plan.from_dict(plan.to_dict())
    assert again.waves[1].delay_minutes == 5 and again.waves[1].critical is False
    assert again.waves[0].servers[0].critical is False and again.waves[2].servers == []
    bad = plan.to_dict()
    bad["waves"][1]["delayMinutes"] = -1
    with pytest.raises(PlanFormatError, match="delayMinutes"):
        Plan.from_dict(bad)


def test_set_wave_option_edits_critical_and_delay():
    plan = plan_with(wave("DB", sid(1)))
    assert plan.set_wave_option(0, "delay_minutes", 10) == 0
    assert plan.set_wave_option(0, "critical", False) is True
    with pytest.raises(TypeError):
        plan.set_wave_option(0, "critical", "no")


def test_import_makes_waves_of_server_steps_and_delays_of_waits():
    items = [
        {"stepOrder": 1, "stepName": "DB", "configuration": {"serverStepConfiguration": {"servers": [
            {"serverArn": source_server_arn(REGION, ACCOUNT, sid(1)), "impactLevel": "CRITICAL"}]}}},
        {"stepOrder": 2, "stepName": "Settle", "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 5}}},
        {"stepOrder": 3, "stepName": "App", "configuration": {"serverStepConfiguration": {"servers": [
            {"serverArn": source_server_arn(REGION, ACCOUNT, sid(2)), "impactLevel": "OPTIONAL"}]}}},
        {"stepOrder": 4, "stepName": "Tail", "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 9}}},
    ]
    imported = plan_from_native("ERP", "", steps_from_api(reversed(items)), region=REGION, account_id=ACCOUNT,
                                recovery_plan_arn="arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-1")
    plan = imported.plan
    assert [(w.name, w.server_ids(), w.delay_minutes) for w in plan.waves] == [("DB", [sid(1)], 0),
                                                                              ("App", [sid(2)], 5)]
    assert plan.waves[1].servers[0].critical is False and plan.waves[0].servers[0].critical is None
    assert imported.notes and "9 min" in imported.notes[0]
    assert plan.tags["drs-console:native-plan-arn"].endswith("rp-1")
    # and it maps back to the same steps (but the trailing wait)
    back = map_plan(plan, account_id=ACCOUNT, region=REGION, inventory=inventory(3))
    assert drift(back.steps, steps_from_api(items[:3])) == []


def test_drift_names_servers_order_and_waits():
    a = NativeServer(source_server_arn(REGION, ACCOUNT, sid(1)))
    b = NativeServer(source_server_arn(REGION, ACCOUNT, sid(2)))
    expected = [NativeStep(StepKind.SERVER, "DB", (a,)), NativeStep(StepKind.WAIT, "w", wait_minutes=5),
                NativeStep(StepKind.SERVER, "App", (b,))]
    assert drift(expected, expected) == []
    moved = [expected[2], expected[1], expected[0]]
    assert any("other servers" in d for d in drift(expected, moved))
    waits = [expected[0], NativeStep(StepKind.WAIT, "w", wait_minutes=7), expected[2]]
    assert drift(expected, waits) == ["step 2 waits 7 min, the plan 5 min"]
    missing = [expected[0], expected[1]]
    assert any(f"{sid(2)} is missing" in d for d in drift(expected, missing))


def test_arns_parse_back():
    arn = source_server_arn("cn-north-1", ACCOUNT, sid(7))
    assert arn.startswith("arn:aws-cn:") and parse_server_arn(arn) == ("cn-north-1", ACCOUNT, sid(7))
    assert parse_server_arn("nonsense") is None


# -- the native views ---------------------------------------------------------------------------------
def test_every_native_status_of_the_model_maps_in_one_place():
    import botocore.session

    model = botocore.session.get_session().get_service_model("drs")
    step_enum = model.shape_for("RecoveryPlanExecutionStepStatus").enum
    exec_enum = model.shape_for("RecoveryPlanExecutionStatus").enum
    assert set(STEP_STATUS) == set(step_enum) and set(EXECUTION_STATUS) == set(exec_enum)
    assert ACTIVE_NATIVE == {s for s in exec_enum if not EXECUTION_STATUS[s].is_terminal}


def _execution(status="IN_PROGRESS", **kw):
    return {"recoveryPlanExecutionArn": "arn:aws:drs:us-east-1:123456789012:recovery-plan-execution/rpe-1",
            "recoveryPlanArn": "arn:aws:drs:us-east-1:123456789012:recovery-plan/rp-1", "mode": "DRILL",
            "status": status, "startedAt": "2026-01-01T10:00:00Z", **kw}


def _server_step(index, status, servers, name="DB"):
    return {"recoveryPlanExecutionStepArn": f"arn:aws:drs:us-east-1:123456789012:step/{index}", "stepIndex": index,
            "stepName": name, "status": status,
            "configuration": {"executionServerStepConfiguration": {"servers": servers}}}


def test_a_native_execution_reads_as_the_monitors_views_with_the_native_status_where_it_differs():
    s1 = {"serverArn": source_server_arn(REGION, ACCOUNT, sid(1)), "impactLevel": "CRITICAL", "jobID": "drsjob-a"}
    s2 = {"serverArn": source_server_arn(REGION, ACCOUNT, sid(2)), "impactLevel": "OPTIONAL", "jobID": "drsjob-b"}
    steps = [
        _server_step(1, "FAILED", [s1, s2]),
        {"recoveryPlanExecutionStepArn": "x/2", "stepIndex": 2, "stepName": "Settle", "status": "SKIPPED",
         "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 5}}},
    ]
    jobs = {"drsjob-a": {"jobID": "drsjob-a", "status": "COMPLETED", "creationDateTime": "2026-01-01T10:00:05Z",
                         "endDateTime": "2026-01-01T10:03:00Z",
                         "participatingServers": [{"sourceServerID": sid(1), "launchStatus": "FAILED"}]},
            "drsjob-b": {"jobID": "drsjob-b", "status": "COMPLETED", "creationDateTime": "2026-01-01T10:01:00Z",
                         "endDateTime": "2026-01-01T10:04:00Z",
                         "participatingServers": [{"sourceServerID": sid(2), "launchStatus": "LAUNCHED",
                                                   "recoveryInstanceID": "i-1"}]}}
    view = build_native_view(execution=_execution("FAILED", tags={"drs-console:plan-name": "Payments"}), steps=steps,
                             jobs=jobs, servers={sid(1): SourceServer(sid(1), instance_id="i-src")})
    assert view.status is ExecutionStatus.FAILED and view.native_status == "" and view.plan_name == "Payments"
    db, settle = view.waves
    assert db.status is ExecutionStatus.FAILED and db.job_ids == ("drsjob-a", "drsjob-b")
    assert [s.launch_status for s in db.servers] == [LaunchStatus.FAILED, LaunchStatus.LAUNCHED]
    assert db.servers[0].source_instance_id == "i-src" and db.servers[1].recovery_instance_id == "i-1"
    assert db.launched == 1 and db.failed == 1 and db.servers[0].failure_reason
    assert db.started_at.minute == 0 and db.ended_at.minute == 4
    assert settle.status is ExecutionStatus.CANCELLED and settle.native_status == "SKIPPED"
    assert settle.step_kind == "WAIT" and settle.wait_minutes == 5
    assert "(native SKIPPED)" in wave_line(settle) and "jobs drsjob-a, drsjob-b" in wave_line(db)
    created = build_native_view(execution=_execution("CREATED"), steps=[])
    assert created.status is ExecutionStatus.PENDING and created.native_status == "CREATED"
    row = history_row(created)
    assert row.engine == "native" and row.native_status == "CREATED" and not row.is_terminal


def test_a_pause_before_the_first_wave_says_to_start_once_approved():
    (p,) = mapped(plan_with(wave("DB", sid(1), pause_before=True), wave("App", sid(2)))).refused
    assert "start the native plan once approved" in p.remedy and "Split" not in p.remedy
    (p,) = mapped(plan_with(wave("DB", sid(1)), wave("App", sid(2), pause_before=True))).refused
    assert "publish wave 1 and wave 2 as two plans" in p.remedy


def test_a_native_history_row_has_the_duration_and_waves_tally_a_backend_row_with_the_same_outcome_has():
    from drs_console.domain.execution import WaveTally
    from drs_console.domain.history import HistoryRow, format_duration
    from drs_console.domain.native_view import summary_view

    s1 = {"serverArn": source_server_arn(REGION, ACCOUNT, sid(1)), "jobID": "drsjob-a"}
    steps = [_server_step(1, "COMPLETED", [s1]), _server_step(2, "TIMED_OUT", [s1], name="App"),
             _server_step(3, "NOT_STARTED", [s1], name="Web")]
    done = _execution("FAILED", completedAt="2026-01-01T10:12:34Z")
    row = history_row(summary_view(done, steps=steps, plan_name="Payments"))
    backend = HistoryRow.from_item({"PK": "EXEC#e-1", "SK": "EXECUTION", "executionId": "e-1", "status": "FAILED",
                                    "startedAt": "2026-01-01T10:00:00Z", "endedAt": "2026-01-01T10:12:34Z",
                                    "waveCount": 3, "waveCounts": {"COMPLETED": 1, "TIMEOUT": 1}})
    assert format_duration(row.duration) == format_duration(backend.duration) == "12 min 34 s"
    tally = WaveTally.of_counts(row.wave_counts, row.wave_count)
    assert tally.text() == WaveTally.of_counts(backend.wave_counts, backend.wave_count).text() == \
        "1/3 completed, 1 timed out"
    assert tally.detail() == "3 waves: 1 COMPLETED, 1 TIMEOUT, 1 not finished"
    assert row.to_json()["durationSeconds"] == 754 and row.to_json()["waveCount"] == 3
    assert row.to_json()["wavesCompleted"] == 1 and row.plan_name == "Payments"
    running = history_row(summary_view(_execution("IN_PROGRESS"), steps=steps[:1]))
    assert running.duration is None and WaveTally.of_counts(running.wave_counts, running.wave_count).text() == \
        "1/1 completed"
    listed = history_row(summary_view(done))  # steps not read: no tally is made up
    assert not listed.wave_count_known and WaveTally.of_counts(listed.wave_counts, listed.wave_count).text() == ""


def test_a_timed_out_step_reads_timeout_with_its_native_status_in_the_monitor():
    s1 = {"serverArn": source_server_arn(REGION, ACCOUNT, sid(1)), "jobID": "drsjob-a"}
    view = build_native_view(execution=_execution("FAILED", completedAt="2026-01-01T11:00:00Z"),
                             steps=[_server_step(1, "TIMED_OUT", [s1])])
    (step,) = view.waves
    assert step.status is ExecutionStatus.TIMEOUT and step.native_status == "TIMED_OUT"
    assert "TIMEOUT" in wave_line(step) and "(native TIMED_OUT)" in wave_line(step)


def test_servers_another_account_recovers_are_refused_naming_that_account():
    """A cross-account wave (contract 1.2) cannot be a native plan: DRS's recovery plans are one
    account's. The refusal names the account and what to do, even when the inventory is unknown."""
    plan = plan_with(wave("App", sid(1)))
    plan.waves[0].servers += [ServerRef(sid(2), account_id="210987654321"), ServerRef(sid(3), account_id="210987654321")]
    for inv in (inventory(), None):
        m = map_plan(plan, account_id=ACCOUNT, region=REGION, inventory=inv)
        assert refused(m) == ["account"]
        message = m.refused[0].message
        assert "210987654321" in message and sid(2) in message and sid(3) in message and ACCOUNT in message
        assert "--engine stepfunctions" in m.refused[0].remedy
        assert [s.server_arn for s in m.steps[0].servers] == [source_server_arn(REGION, ACCOUNT, sid(1))]
    own = plan_with(wave("App", sid(1)))
    own.waves[0].servers[0] = ServerRef(sid(1), account_id=ACCOUNT)  # its own account, recorded: fine
    assert mapped(own).ok
