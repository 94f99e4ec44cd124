"""The shape validator (tests/sandbox/shapes.py) itself, and every operation the DRS simulator serves
answered in exactly botocore's output shape (raw HTTP bodies, captured before botocore parses them)."""

from __future__ import annotations

from datetime import UTC, datetime

from drs_console.sandbox import Sandbox
from drs_console.sandbox.drs_api import OPERATIONS

from .shapes import RawCapture, error_violations, future_stamps, violations

JOB = {
    "jobID": "drsjob-0123456789abcdef0",
    "arn": "arn:aws:drs:us-east-1:123456789012:job/drsjob-0123456789abcdef0",
    "type": "LAUNCH",
    "initiatedBy": "START_DRILL",
    "creationDateTime": "2026-01-01T12:00:00.000000Z",
    "status": "PENDING",
    "participatingServers": [{"sourceServerID": "s-0123456789abcdef0", "launchStatus": "PENDING"}],
    "tags": {},
}


def test_validator_accepts_a_valid_body_and_names_every_kind_of_violation():
    assert violations("DescribeJobs", {"items": [JOB]}) == []
    bad = dict(JOB, status="DONE", extra=1, creationDateTime="2026-01-01T12:00:00+00:00",
               participatingServers={"not": "a list"}, tags={"k": 5})
    del bad["jobID"]
    found = violations("DescribeJobs", {"items": [bad], "nextToken": 7})
    text = "\n".join(found)
    assert "items[0].jobID: required member missing" in text
    assert "items[0].extra: unknown member of Job" in text
    assert "'DONE' is not one of JobStatus's values" in text
    assert "items[0].creationDateTime: '2026-01-01T12:00:00+00:00' does not match" in text
    assert "items[0].participatingServers: expected a list" in text
    assert "items[0].tags['k']: expected a string" in text
    assert "nextToken: expected a string" in text
    assert len(found) == 7
    # integers (a bool is not one), ranges, lists' minimum size, unions
    step = {"recoveryPlanExecutionStepArn": "arn:aws:drs:us-east-1:123456789012:x/y", "stepIndex": True,
            "status": "COMPLETED", "stepName": "a", "attempt": 0, "createdAt": "2026-01-01T00:00:00Z",
            "updatedAt": "2026-01-01T00:00:00Z",
            "configuration": {"executionServerStepConfiguration": {"servers": []},
                              "waitStepConfiguration": {"waitDurationMinutes": 121}}}
    text = "\n".join(violations("GetRecoveryPlanExecutionStep", {"recoveryPlanExecutionStep": step}))
    assert "stepIndex: expected an integer" in text and "attempt: 0 is below the model's minimum 1" in text
    assert "servers: 0 items, fewer than the model's minimum 1" in text
    assert "waitDurationMinutes: 121 is above the model's maximum 120" in text
    assert "must set exactly one member" in text
    # an error body: DRS's ValidationException, and a member that belongs in a header
    assert error_violations("ValidationException", {"message": "m", "code": "ValidationException",
                                                    "reason": "other"}) == []
    assert error_violations("ValidationException", {"message": "m", "reason": "why"}) != []
    assert "belongs in a header" in "".join(error_violations("ThrottlingException",
                                                              {"message": "m", "retryAfterSeconds": "1"}))


def test_a_timestamp_after_now_is_named_but_an_eta_is_not():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    body = {"items": [{"creationDateTime": "2026-01-01T12:00:00.000001Z", "endDateTime": "2026-01-01T11:00:00Z",
                       "dataReplicationInfo": {"etaDateTime": "2026-01-02T00:00:00Z"}}]}
    assert future_stamps(body, now) == [
        "items[0].creationDateTime: 2026-01-01T12:00:00.000001Z is after now (2026-01-01T12:00:00+00:00)"]


def test_every_simulator_operation_answers_in_the_model_shape(sandbox: Sandbox, drs, raw_drs: RawCapture):
    """One call of every operation the simulator serves (the raw_drs fixture checks each body)."""
    sim = sandbox.drs
    ids = [s for s in sim.server_ids() if sim.server(s)["dataReplicationInfo"]["dataReplicationState"] == "CONTINUOUS"]
    drs.initialize_service()
    drs.describe_source_servers(maxResults=5)
    snap = drs.describe_recovery_snapshots(sourceServerID=ids[0], order="DESC", maxResults=2)["items"][0]
    job = drs.start_recovery(sourceServers=[{"sourceServerID": ids[0], "recoverySnapshotID": snap["snapshotID"]},
                                            {"sourceServerID": ids[1]}], isDrill=True, tags={"k": "v"})["job"]
    sandbox.clock.advance(900)
    drs.describe_jobs(filters={"jobIDs": [job["jobID"]]})
    drs.describe_job_log_items(jobID=job["jobID"])
    instances = drs.describe_recovery_instances()["items"]
    drs.list_tags_for_resource(resourceArn=job["arn"])
    drs.tag_resource(resourceArn=job["arn"], tags={"a": "b"})
    drs.untag_resource(resourceArn=job["arn"], tagKeys=["a"])
    end = drs.terminate_recovery_instances(recoveryInstanceIDs=[i["recoveryInstanceID"] for i in instances])["job"]
    sandbox.clock.advance(900)
    drs.delete_job(jobID=end["jobID"])

    plan = drs.create_recovery_plan(name="Shapes", description="d", tags={"PlanId": "p"})["recoveryPlan"]
    p_arn = plan["recoveryPlanArn"]
    arn = sim.server(ids[2])["arn"]
    s1 = drs.create_recovery_plan_step(recoveryPlanArn=p_arn, stepName="one", configuration={
        "serverStepConfiguration": {"servers": [{"serverArn": arn, "impactLevel": "OPTIONAL"}]}})["recoveryPlanStep"]
    s2 = drs.create_recovery_plan_step(recoveryPlanArn=p_arn, stepName="two", stepOrder=1,
                                       configuration={"waitStepConfiguration": {"waitDurationMinutes": 1}})
    s2 = s2["recoveryPlanStep"]
    drs.update_recovery_plan(recoveryPlanArn=p_arn, description="e")
    drs.update_recovery_plan_step(recoveryPlanStepArn=s2["recoveryPlanStepArn"], stepName="wait")
    drs.get_recovery_plan(recoveryPlanArn=p_arn)
    drs.get_recovery_plan_step(recoveryPlanStepArn=s1["recoveryPlanStepArn"])
    drs.list_recovery_plans()
    drs.list_recovery_plan_steps(recoveryPlanArn=p_arn)
    drs.reorder_recovery_plan_steps(recoveryPlanArn=p_arn,
                                    orderedStepArns=[s1["recoveryPlanStepArn"], s2["recoveryPlanStepArn"]])
    ex = drs.start_recovery_plan_execution(recoveryPlanArn=p_arn, mode="DRILL")["recoveryPlanExecution"]
    e_arn = ex["recoveryPlanExecutionArn"]
    sandbox.clock.advance(5)
    steps = drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=e_arn)["recoveryPlanExecutionSteps"]
    drs.update_recovery_plan_execution_step(recoveryPlanExecutionStepArn=steps[1]["recoveryPlanExecutionStepArn"],
                                            waitDurationMinutes=2)
    drs.get_recovery_plan_execution_step(recoveryPlanExecutionStepArn=steps[0]["recoveryPlanExecutionStepArn"])
    drs.list_recovery_plan_executions()
    drs.cancel_recovery_plan_execution(recoveryPlanExecutionArn=e_arn)
    sandbox.clock.advance(900)
    drs.get_recovery_plan_execution(recoveryPlanExecutionArn=e_arn)
    drs.delete_recovery_plan_execution(recoveryPlanExecutionArn=e_arn)
    drs.delete_recovery_plan_step(recoveryPlanStepArn=s2["recoveryPlanStepArn"])
    drs.delete_recovery_plan(recoveryPlanArn=p_arn)

    # retry needs a failed step: the recovery-plan run tests cover its body
    assert set(OPERATIONS) - raw_drs.operations() == {"RetryRecoveryPlanExecutionStep"}
    assert raw_drs.problems() == []
