"""DRS native recovery plan executions in the simulator, through boto3 (manual clock): steps run in
order as real simulator jobs, fail, retry, skip and cancel as DRS documents."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from drs_console.domain.history import parse_time
from drs_console.sandbox import Sandbox


def healthy(sandbox: Sandbox) -> list[str]:
    sim = sandbox.drs
    return [s for s in sim.server_ids() if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"]


def server_step(sandbox: Sandbox, ids, impact=None) -> dict:
    servers = []
    for sid in ids:
        entry = {"serverArn": sandbox.drs.server(sid)["arn"]}
        if impact:
            entry["impactLevel"] = impact.get(sid, "CRITICAL") if isinstance(impact, dict) else impact
        servers.append(entry)
    return {"serverStepConfiguration": {"servers": servers}}


def make_plan(drs, sandbox: Sandbox, steps: list[tuple[str, dict]], name: str = "ERP") -> str:
    arn = drs.create_recovery_plan(name=name)["recoveryPlan"]["recoveryPlanArn"]
    for step_name, cfg in steps:
        drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName=step_name, configuration=cfg)
    return arn


def execution(drs, arn: str) -> dict:
    return drs.get_recovery_plan_execution(recoveryPlanExecutionArn=arn)["recoveryPlanExecution"]


def steps(drs, arn: str) -> list[dict]:
    return drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=arn)["recoveryPlanExecutionSteps"]


def steps_full(drs, arn: str) -> list[dict]:
    return [drs.get_recovery_plan_execution_step(recoveryPlanExecutionStepArn=s["recoveryPlanExecutionStepArn"])
            ["recoveryPlanExecutionStep"] for s in steps(drs, arn)]


def statuses(drs, arn: str) -> list[str]:
    return [s["status"] for s in steps(drs, arn)]


def job_ids(step: dict) -> list[str]:
    return [s.get("jobID") for s in step["configuration"]["executionServerStepConfiguration"]["servers"]]


def advance_until(sandbox: Sandbox, condition, *, step: float = 5, limit: float = 3 * 3600) -> float:
    """Move the manual clock ``step`` seconds at a time until ``condition()``; the seconds moved."""
    moved = 0.0
    while not condition():
        assert moved < limit, "the condition never came true"
        sandbox.clock.advance(step)
        moved += step
    return moved


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


def test_three_step_drill_runs_to_completed_with_real_jobs(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = make_plan(drs, sandbox, [
        ("Databases", server_step(sandbox, ids[:2], {ids[1]: "OPTIONAL"})),
        ("Settle", {"waitStepConfiguration": {"waitDurationMinutes": 5}}),
        ("Apps", server_step(sandbox, ids[2:4])),
    ])
    ex = drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="DRILL", tags={"PlanId": "p-1"})
    ex = ex["recoveryPlanExecution"]
    arn = ex["recoveryPlanExecutionArn"]
    assert ex["status"] == "CREATED" and ex["mode"] == "DRILL" and ex["tags"] == {"PlanId": "p-1"}
    assert drs.list_tags_for_resource(resourceArn=arn)["tags"] == {"PlanId": "p-1"}
    assert statuses(drs, arn) == ["NOT_STARTED"] * 3
    with pytest.raises(ClientError) as caught:  # one execution of a plan at a time
        drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="DRILL")
    assert error_code(caught) == "ConflictException"

    sandbox.clock.advance(5)
    assert execution(drs, arn)["status"] == "IN_PROGRESS"
    first = steps(drs, arn)[0]
    assert first["status"] == "EXECUTING"
    (job_id,) = set(job_ids(first))
    job = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]
    assert job["initiatedBy"] == "START_DRILL" and job["tags"]["RecoveryPlanExecutionArn"] == arn
    assert {p["sourceServerID"] for p in job["participatingServers"]} == set(ids[:2])

    # the step ends when its job ends, and the wait starts then
    advance_until(sandbox, lambda: drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]["status"] == "COMPLETED")
    assert statuses(drs, arn) == ["COMPLETED", "WAITING", "NOT_STARTED"]
    job_end = parse_time(drs.describe_jobs(filters={"jobIDs": [job_id]})["items"][0]["endDateTime"])
    assert parse_time(steps_full(drs, arn)[0]["updatedAt"]) == job_end
    waited = advance_until(sandbox, lambda: statuses(drs, arn)[1] == "COMPLETED", step=10)
    assert 4 * 60 < waited <= 5 * 60 + 10  # five simulated minutes
    assert statuses(drs, arn) == ["COMPLETED", "COMPLETED", "EXECUTING"]
    second_job = job_ids(steps(drs, arn)[2])[0]
    assert second_job != job_id
    advance_until(sandbox, lambda: execution(drs, arn)["status"] != "IN_PROGRESS")
    done = execution(drs, arn)
    assert done["status"] == "COMPLETED" and statuses(drs, arn) == ["COMPLETED"] * 3
    assert parse_time(done["startedAt"]) <= parse_time(done["completedAt"]) <= sandbox.clock.now()
    instances = drs.describe_recovery_instances(filters={"sourceServerIDs": ids[:4]})["items"]
    assert {i["jobID"] for i in instances} == {job_id, second_job} and all(i["isDrill"] for i in instances)
    listed = drs.list_recovery_plan_executions(recoveryPlanArn=plan)["recoveryPlanExecutions"]
    assert [e["recoveryPlanExecutionArn"] for e in listed] == [arn] and listed[0]["status"] == "COMPLETED"


def start(drs, plan: str, **kwargs) -> str:
    return drs.start_recovery_plan_execution(recoveryPlanArn=plan, mode="DRILL", **kwargs)[
        "recoveryPlanExecution"]["recoveryPlanExecutionArn"]


def test_a_critical_failure_fails_the_step_and_a_retry_completes_it(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = make_plan(drs, sandbox, [("Databases", server_step(sandbox, ids[:2])),
                                    ("Apps", server_step(sandbox, ids[2:3]))])
    sandbox.drs.fail_next_launch(ids[1])  # fails once, launches on the retry
    arn = start(drs, plan)
    advance_until(sandbox, lambda: execution(drs, arn)["status"] != "IN_PROGRESS" and statuses(drs, arn)[0] != "NOT_STARTED")
    failed = execution(drs, arn)
    assert failed["status"] == "FAILED" and failed["errorDetail"]["code"] == "STEP_FAILED"
    assert statuses(drs, arn) == ["FAILED", "NOT_STARTED"]  # the next step does not start
    step = steps_full(drs, arn)[0]
    assert step["attempt"] == 1 and ids[1] in step["errorDetail"]["message"]
    (first_job,) = set(job_ids(step))
    log = drs.describe_job_log_items(jobID=first_job)["items"]
    assert [e["eventData"]["sourceServerID"] for e in log if e["event"] == "LAUNCH_FAILED"] == [ids[1]]
    with pytest.raises(ClientError) as caught:  # a step that did not fail cannot be retried
        drs.retry_recovery_plan_execution_step(
            recoveryPlanExecutionStepArn=steps(drs, arn)[1]["recoveryPlanExecutionStepArn"])
    assert error_code(caught) == "ConflictException"

    retried = drs.retry_recovery_plan_execution_step(
        recoveryPlanExecutionStepArn=step["recoveryPlanExecutionStepArn"])["recoveryPlanExecutionStep"]
    assert retried["status"] == "EXECUTING" and retried["attempt"] == 2 and "errorDetail" not in retried
    servers = {s["serverArn"].rsplit("/", 1)[1]: s["jobID"] for s in
               retried["configuration"]["executionServerStepConfiguration"]["servers"]}
    assert servers[ids[0]] == first_job and servers[ids[1]] != first_job  # only the failed server relaunches
    retry_job = drs.describe_jobs(filters={"jobIDs": [servers[ids[1]]]})["items"][0]
    assert [p["sourceServerID"] for p in retry_job["participatingServers"]] == [ids[1]]
    assert execution(drs, arn)["status"] == "IN_PROGRESS" and "completedAt" not in execution(drs, arn)
    advance_until(sandbox, lambda: execution(drs, arn)["status"] != "IN_PROGRESS")
    assert execution(drs, arn)["status"] == "COMPLETED" and statuses(drs, arn) == ["COMPLETED", "COMPLETED"]
    assert {i["sourceServerID"] for i in drs.describe_recovery_instances()["items"]} == set(ids[:3])


def test_an_optional_server_failing_does_not_fail_the_step(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = make_plan(drs, sandbox, [("Web", server_step(sandbox, ids[:2], {ids[1]: "OPTIONAL"}))])
    sandbox.drs.fail_servers([ids[1]])
    arn = start(drs, plan)
    advance_until(sandbox, lambda: execution(drs, arn)["status"] not in ("CREATED", "IN_PROGRESS"))
    assert execution(drs, arn)["status"] == "COMPLETED" and statuses(drs, arn) == ["COMPLETED"]
    job = drs.describe_jobs(filters={"jobIDs": [job_ids(steps(drs, arn)[0])[0]]})["items"][0]
    assert {p["sourceServerID"]: p["launchStatus"] for p in job["participatingServers"]} == {
        ids[0]: "LAUNCHED", ids[1]: "FAILED"}


def test_skip_a_failed_step_and_a_step_ahead(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = make_plan(drs, sandbox, [("A", server_step(sandbox, ids[:1])),
                                    ("Wait", {"waitStepConfiguration": {"waitDurationMinutes": 30}}),
                                    ("B", server_step(sandbox, ids[1:2]))])
    sandbox.drs.fail_servers([ids[0]])
    arn = start(drs, plan)
    wait_arn = steps(drs, arn)[1]["recoveryPlanExecutionStepArn"]
    skipped = drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=wait_arn, status="SKIPPED")
    assert skipped["recoveryPlanExecutionStep"]["status"] == "SKIPPED"  # recorded at once, stepped over later
    advance_until(sandbox, lambda: execution(drs, arn)["status"] == "FAILED")
    assert statuses(drs, arn) == ["FAILED", "SKIPPED", "NOT_STARTED"]
    with pytest.raises(ClientError) as caught:  # only SKIPPED is accepted as a status
        drs.update_recovery_plan_execution_step(
            recoveryPlanExecutionStepArn=steps(drs, arn)[0]["recoveryPlanExecutionStepArn"], status="COMPLETED")
    assert error_code(caught) == "ValidationException"
    drs.update_recovery_plan_execution_step(
        recoveryPlanExecutionStepArn=steps(drs, arn)[0]["recoveryPlanExecutionStepArn"], status="SKIPPED")
    assert execution(drs, arn)["status"] == "IN_PROGRESS"  # resumed at the following step
    assert statuses(drs, arn) == ["SKIPPED", "SKIPPED", "EXECUTING"]
    advance_until(sandbox, lambda: execution(drs, arn)["status"] != "IN_PROGRESS")
    assert execution(drs, arn)["status"] == "COMPLETED"  # an execution with skipped steps completes
    with pytest.raises(ClientError) as caught:  # a COMPLETED step cannot be skipped
        drs.update_recovery_plan_execution_step(
            recoveryPlanExecutionStepArn=steps(drs, arn)[2]["recoveryPlanExecutionStepArn"], status="SKIPPED")
    assert error_code(caught) == "ConflictException"


def test_cancel_runs_the_job_in_flight_to_its_end_and_skips_the_rest(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = make_plan(drs, sandbox, [("A", server_step(sandbox, ids[:1])),
                                    ("Wait", {"waitStepConfiguration": {"waitDurationMinutes": 5}}),
                                    ("B", server_step(sandbox, ids[1:2]))])
    arn = start(drs, plan)
    sandbox.clock.advance(10)
    assert statuses(drs, arn)[0] == "EXECUTING"
    with pytest.raises(ClientError) as caught:  # DRS refuses to delete an active execution
        drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=arn)
    assert error_code(caught) == "ConflictException"
    cancelling = drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=arn)["recoveryPlanExecution"]
    assert cancelling["status"] == "CANCELLING"
    with pytest.raises(ClientError) as caught:
        drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=arn)
    assert error_code(caught) == "ConflictException"
    advance_until(sandbox, lambda: execution(drs, arn)["status"] != "CANCELLING")
    done = execution(drs, arn)
    assert done["status"] == "CANCELLED" and statuses(drs, arn) == ["COMPLETED", "SKIPPED", "SKIPPED"]
    assert len(drs.describe_jobs()["items"]) == 1  # no further step launched
    with pytest.raises(ClientError) as caught:
        drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=arn)
    assert error_code(caught) == "ConflictException"
    # a new execution of the plan may start now; the old one can be deleted
    second = start(drs, plan)
    sandbox.clock.advance(5 + 1)
    drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=second)
    assert drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=arn)["recoveryPlanExecutionArn"] == arn
    with pytest.raises(ClientError) as caught:
        execution(drs, arn)
    assert error_code(caught) == "ResourceNotFoundException"
    assert [e["recoveryPlanExecutionArn"] for e in drs.list_recovery_plan_executions()["recoveryPlanExecutions"]] == [second]


def test_cancel_during_a_wait_and_pinned_snapshots(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = make_plan(drs, sandbox, [("Wait", {"waitStepConfiguration": {"waitDurationMinutes": 60}}),
                                    ("A", server_step(sandbox, ids[:2]))])
    arn = start(drs, plan)
    sandbox.clock.advance(10)
    assert statuses(drs, arn) == ["WAITING", "NOT_STARTED"]
    assert drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=arn)["recoveryPlanExecution"]["status"] == "CANCELLING"
    sandbox.clock.advance(5)
    assert execution(drs, arn)["status"] == "CANCELLED" and statuses(drs, arn) == ["SKIPPED", "SKIPPED"]
    assert drs.describe_jobs()["items"] == []

    # a recovery snapshot pinned per server reaches the launch
    old = drs.describe_recovery_snapshots(sourceServerID=ids[0], order="DESC", maxResults=5)["items"][-1]
    with pytest.raises(ClientError) as caught:
        start(drs, plan, sourceServers=[{"sourceServerID": ids[5], "recoverySnapshotID": old["snapshotID"]}])
    assert error_code(caught) == "ValidationException"  # not a server of the plan
    with pytest.raises(ClientError) as caught:
        start(drs, plan, sourceServers=[{"sourceServerID": ids[0], "recoverySnapshotID": "pit-00000000000000000"}])
    assert error_code(caught) == "ResourceNotFoundException"
    arn = start(drs, plan, sourceServers=[{"sourceServerID": ids[0], "recoverySnapshotID": old["snapshotID"]}])
    skip = steps(drs, arn)[0]["recoveryPlanExecutionStepArn"]
    drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=skip, status="SKIPPED")
    advance_until(sandbox, lambda: execution(drs, arn)["status"] not in ("CREATED", "IN_PROGRESS"))
    assert execution(drs, arn)["status"] == "COMPLETED"
    job_id = job_ids(steps(drs, arn)[1])[0]
    events = [(e["event"], e["eventData"]["sourceServerID"]) for e in drs.describe_job_log_items(jobID=job_id)["items"]
              if "eventData" in e]
    assert ("USING_PREVIOUS_SNAPSHOT", ids[0]) in events and ("SNAPSHOT_START", ids[1]) in events
    assert ("SNAPSHOT_START", ids[0]) not in events
    pit = {i["sourceServerID"]: i["pointInTimeSnapshotDateTime"] for i in drs.describe_recovery_instances()["items"]}
    assert parse_time(pit[ids[0]]) == parse_time(old["timestamp"])


def test_a_step_not_started_can_change_its_servers_or_its_wait(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = make_plan(drs, sandbox, [("A", server_step(sandbox, ids[:1])),
                                    ("Wait", {"waitStepConfiguration": {"waitDurationMinutes": 60}}),
                                    ("B", server_step(sandbox, ids[1:2]))])
    arn = start(drs, plan)
    a, wait, b = (s["recoveryPlanExecutionStepArn"] for s in steps(drs, arn))
    new = server_step(sandbox, ids[2:4], "OPTIONAL")["serverStepConfiguration"]["servers"]
    changed = drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=b, servers=new)
    assert changed["recoveryPlanExecutionStep"]["configuration"]["executionServerStepConfiguration"]["servers"] == new
    drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=wait, waitDurationMinutes=1)
    for bad in ({"recoveryPlanExecutionStepArn": wait, "servers": new},  # servers: SERVER steps only
                {"recoveryPlanExecutionStepArn": b, "waitDurationMinutes": 3},
                {"recoveryPlanExecutionStepArn": b,  # a server already in another step
                 "servers": server_step(sandbox, ids[:1])["serverStepConfiguration"]["servers"]}):
        with pytest.raises(ClientError) as caught:
            drs.update_recovery_plan_execution_step(**bad)
        assert error_code(caught) == "ValidationException", bad
    sandbox.clock.advance(10)
    with pytest.raises(ClientError) as caught:  # A runs: too late to change it
        drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=a, servers=new[:1])
    assert error_code(caught) == "ConflictException"
    moved = advance_until(sandbox, lambda: execution(drs, arn)["status"] != "IN_PROGRESS")
    assert moved < 60 * 60  # the wait took its new minute, not the plan's hour
    job = drs.describe_jobs(filters={"jobIDs": [job_ids(steps(drs, arn)[2])[0]]})["items"][0]
    assert sorted(p["sourceServerID"] for p in job["participatingServers"]) == sorted(ids[2:4])
    # the plan itself is unchanged: an execution works on its own copy
    plan_steps = drs.list_recovery_plan_steps(recoveryPlanArn=plan)["recoveryPlanSteps"]
    assert plan_steps[1]["configuration"] == {"waitStepConfiguration": {"waitDurationMinutes": 60}}
