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
