"""DRS native recovery plans (definitions) in the simulator, through boto3: create, update, reorder,
delete plans and steps, DRS's limits and errors, pagination, tags."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from drs_console.domain.history import parse_time
from drs_console.sandbox import Sandbox
from drs_console.sandbox.seed import seed_servers

from .test_recovery_plan_runs import advance_until, healthy, server_step


def wait_step(minutes: int = 1) -> dict:
    return {"waitStepConfiguration": {"waitDurationMinutes": minutes}}


def error(exc_info) -> tuple[str, int, dict]:
    r = exc_info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r


def steps_of(drs, plan: str) -> list[dict]:
    return drs.list_recovery_plan_steps(recoveryPlanArn=plan)["recoveryPlanSteps"]


def test_plan_and_steps_lifecycle(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    plan = drs.create_recovery_plan(name="ERP prod", description="nightly", clientToken="t-1",
                                    tags={"drs-console:plan-id": "plan-1", "drs-console:plan-version": "3"})
    plan = plan["recoveryPlan"]
    arn = plan["recoveryPlanArn"]
    assert plan["status"] == "INVALID"  # no SERVER step yet: it cannot be executed
    assert plan["createdAt"] == plan["updatedAt"] and parse_time(plan["createdAt"]) <= sandbox.clock.now()
    assert drs.list_tags_for_resource(resourceArn=arn)["tags"] == {
        "drs-console:plan-id": "plan-1", "drs-console:plan-version": "3"}
    drs.tag_resource(resourceArn=arn, tags={"drs-console:plan-version": "4", "team": "erp"})
    drs.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert drs.get_recovery_plan(recoveryPlanArn=arn)["recoveryPlan"]["tags"] == {
        "drs-console:plan-id": "plan-1", "drs-console:plan-version": "4"}
    # the same client token answers the same plan, not a second one
    again = drs.create_recovery_plan(name="ERP prod", clientToken="t-1")["recoveryPlan"]
    assert again["recoveryPlanArn"] == arn and len(drs.list_recovery_plans()["recoveryPlans"]) == 1
    with pytest.raises(ClientError) as caught:
        drs.create_recovery_plan(name="ERP prod")
    assert error(caught)[:2] == ("ConflictException", 409)

    sandbox.clock.advance(60)
    db = drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName="Databases",
                                       configuration=server_step(sandbox, ids[:2], "OPTIONAL"))["recoveryPlanStep"]
    app = drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName="Apps",
                                        configuration=server_step(sandbox, ids[2:3]))["recoveryPlanStep"]
    pause = drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName="Pause", stepOrder=2,
                                          configuration=wait_step(10))["recoveryPlanStep"]
    assert pause["stepOrder"] == 2
    assert [(s["stepName"], s["stepOrder"]) for s in steps_of(drs, arn)] == [
        ("Databases", 1), ("Pause", 2), ("Apps", 3)]
    got = drs.get_recovery_plan(recoveryPlanArn=arn)["recoveryPlan"]
    assert got["status"] == "ACTIVE" and got["updatedAt"] > got["createdAt"]
    assert [s["impactLevel"] for s in db["configuration"]["serverStepConfiguration"]["servers"]] == ["OPTIONAL"] * 2

    sandbox.clock.advance(60)
    updated = drs.update_recovery_plan_step(recoveryPlanStepArn=pause["recoveryPlanStepArn"], stepName="Settle",
                                            configuration=wait_step(3))["recoveryPlanStep"]
    assert updated["stepName"] == "Settle" and updated["configuration"] == wait_step(3)
    assert updated["updatedAt"] > updated["createdAt"]
    with pytest.raises(ClientError) as caught:  # the step type is immutable
        drs.update_recovery_plan_step(recoveryPlanStepArn=pause["recoveryPlanStepArn"],
                                      configuration=server_step(sandbox, ids[5:6]))
    assert error(caught)[0] == "ValidationException"
    renamed = drs.update_recovery_plan(recoveryPlanArn=arn, name="ERP", description="weekly")["recoveryPlan"]
    assert (renamed["name"], renamed["description"]) == ("ERP", "weekly")

    order = [app["recoveryPlanStepArn"], db["recoveryPlanStepArn"], pause["recoveryPlanStepArn"]]
    reordered = drs.reorder_recovery_plan_steps(recoveryPlanArn=arn, orderedStepArns=order)["recoveryPlanSteps"]
    assert [s["recoveryPlanStepArn"] for s in reordered] == order and [s["stepOrder"] for s in reordered] == [1, 2, 3]
    for bad in (order[:2], order + [order[0]], [order[0], order[0], order[1]]):
        with pytest.raises(ClientError) as caught:
            drs.reorder_recovery_plan_steps(recoveryPlanArn=arn, orderedStepArns=bad)
        assert error(caught)[0] == "ValidationException"

    deleted = drs.delete_recovery_plan_step(recoveryPlanStepArn=app["recoveryPlanStepArn"])
    assert deleted["recoveryPlanStepArn"] == app["recoveryPlanStepArn"]
    assert [s["stepOrder"] for s in steps_of(drs, arn)] == [1, 2]
    with pytest.raises(ClientError) as caught:
        drs.get_recovery_plan_step(recoveryPlanStepArn=app["recoveryPlanStepArn"])
    assert error(caught)[:2] == ("ResourceNotFoundException", 404)
    assert drs.delete_recovery_plan(recoveryPlanArn=arn)["recoveryPlanArn"] == arn
    for call in (lambda: drs.get_recovery_plan(recoveryPlanArn=arn),
                 lambda: drs.list_tags_for_resource(resourceArn=arn)):
        with pytest.raises(ClientError) as caught:
            call()
        assert error(caught)[0] == "ResourceNotFoundException"
    assert drs.list_recovery_plans()["recoveryPlans"] == []


def test_limits_and_bad_references(sandbox: Sandbox, drs, drs_unvalidated):
    ids = sandbox.drs.server_ids()
    arn = drs.create_recovery_plan(name="Big")["recoveryPlan"]["recoveryPlanArn"]
    for i in range(20):
        drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName=f"w{i}", configuration=wait_step())
    with pytest.raises(ClientError) as caught:  # the 21st step
        drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName="w20", configuration=wait_step())
    code, status, body = error(caught)
    assert (code, status) == ("ServiceQuotaExceededException", 402) and body["resourceType"] == "RECOVERY_PLAN"
    assert len(steps_of(drs, arn)) == 20

    plan = drs.create_recovery_plan(name="Wide")["recoveryPlan"]["recoveryPlanArn"]
    with pytest.raises(ClientError) as caught:  # 101 servers in one step: beyond the model's list maximum
        drs_unvalidated.create_recovery_plan_step(recoveryPlanArn=plan, stepName="all",
                                                  configuration=server_step(sandbox, ids[:60] + ids[:41]))
    code, status, body = error(caught)
    assert (code, status, body["reason"]) == ("ValidationException", 400, "fieldValidationFailed")
    drs.create_recovery_plan_step(recoveryPlanArn=plan, stepName="a", configuration=server_step(sandbox, ids[:60]))
    with pytest.raises(ClientError) as caught:  # a server can be in one step of a plan only
        drs.create_recovery_plan_step(recoveryPlanArn=plan, stepName="b", configuration=server_step(sandbox, ids[:1]))
    assert error(caught)[0] == "ValidationException" and "already in another step" in error(caught)[2]["message"]
    sandbox.drs.add_servers(seed_servers(seed=99, count=41, region=sandbox.region, account_id=sandbox.account_id,
                                         start=sandbox.clock.now()))
    more = [s for s in sandbox.drs.server_ids() if s not in ids]
    assert len(more) == 41
    drs.create_recovery_plan_step(recoveryPlanArn=plan, stepName="b", configuration=server_step(sandbox, more[:40]))
    with pytest.raises(ClientError) as caught:  # the 101st server of the plan
        drs.create_recovery_plan_step(recoveryPlanArn=plan, stepName="c", configuration=server_step(sandbox, more[40:]))
    code, status, body = error(caught)
    assert (code, status, body["resourceType"]) == ("ServiceQuotaExceededException", 402, "RECOVERY_PLAN")

    unknown = f"arn:aws:drs:{sandbox.region}:{sandbox.account_id}:source-server/s-00000000000000000"
    with pytest.raises(ClientError) as caught:
        drs.create_recovery_plan_step(recoveryPlanArn=plan, stepName="x", configuration={
            "serverStepConfiguration": {"servers": [{"serverArn": unknown}]}})
    code, status, body = error(caught)
    assert (code, status, body["resourceType"]) == ("ResourceNotFoundException", 404, "SOURCE_SERVER")
    with pytest.raises(ClientError) as caught:  # a union sets exactly one member
        drs_unvalidated.create_recovery_plan_step(recoveryPlanArn=plan, stepName="x", configuration={
            "serverStepConfiguration": {"servers": [{"serverArn": sandbox.drs.server(ids[0])["arn"]}]},
            "waitStepConfiguration": {"waitDurationMinutes": 1}})
    assert error(caught)[0] == "ValidationException"
    for bad in ({"stepOrder": 21}, {"stepOrder": 4}, {"stepName": "-bad"}):  # the plan has 2 steps
        kwargs = {"recoveryPlanArn": plan, "stepName": "ok", "configuration": wait_step(), **bad}
        with pytest.raises(ClientError) as caught:
            drs_unvalidated.create_recovery_plan_step(**kwargs)
        assert error(caught)[0] == "ValidationException", bad
    with pytest.raises(ClientError) as caught:
        drs_unvalidated.create_recovery_plan_step(recoveryPlanArn=plan, stepName="w",
                                                  configuration=wait_step(121))
    assert error(caught)[0] == "ValidationException"
    missing = arn.replace(arn.rsplit("/", 1)[1], "rp-00000000000000000")
    with pytest.raises(ClientError) as caught:
        drs.create_recovery_plan_step(recoveryPlanArn=missing, stepName="x", configuration=wait_step())
    assert error(caught)[:2] == ("ResourceNotFoundException", 404)


def test_pagination_of_plans_and_steps(sandbox: Sandbox, drs):
    arns = [drs.create_recovery_plan(name=f"Plan {i:02d}")["recoveryPlan"]["recoveryPlanArn"] for i in range(7)]
    first = drs.list_recovery_plans(maxResults=3)
    assert len(first["recoveryPlans"]) == 3 and first["nextToken"]
    pages = list(drs.get_paginator("list_recovery_plans").paginate(PaginationConfig={"PageSize": 3}))
    assert [len(p["recoveryPlans"]) for p in pages] == [3, 3, 1] and "nextToken" not in pages[-1]
    assert [p["recoveryPlanArn"] for page in pages for p in page["recoveryPlans"]] == arns
    for i in range(5):
        drs.create_recovery_plan_step(recoveryPlanArn=arns[0], stepName=f"s{i}", configuration=wait_step(i + 1))
    pages = list(drs.get_paginator("list_recovery_plan_steps").paginate(recoveryPlanArn=arns[0],
                                                                        PaginationConfig={"PageSize": 2}))
    assert [s["stepOrder"] for p in pages for s in p["recoveryPlanSteps"]] == [1, 2, 3, 4, 5]
    with pytest.raises(ClientError) as caught:  # a token of another listing
        drs.list_recovery_plan_steps(recoveryPlanArn=arns[0], nextToken=first["nextToken"])
    assert error(caught)[0] == "ValidationException"


def test_a_running_plan_cannot_be_changed_or_deleted(sandbox: Sandbox, drs):
    ids = healthy(sandbox)
    arn = drs.create_recovery_plan(name="Busy")["recoveryPlan"]["recoveryPlanArn"]
    step = drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName="a",
                                         configuration=server_step(sandbox, ids[:1]))["recoveryPlanStep"]
    ex = drs.start_recovery_plan_execution(recoveryPlanArn=arn, mode="DRILL")["recoveryPlanExecution"]
    calls = {
        "delete plan": lambda: drs.delete_recovery_plan(recoveryPlanArn=arn),
        "add step": lambda: drs.create_recovery_plan_step(recoveryPlanArn=arn, stepName="b", configuration=wait_step()),
        "change step": lambda: drs.update_recovery_plan_step(recoveryPlanStepArn=step["recoveryPlanStepArn"],
                                                             stepName="c"),
        "delete step": lambda: drs.delete_recovery_plan_step(recoveryPlanStepArn=step["recoveryPlanStepArn"]),
        "reorder": lambda: drs.reorder_recovery_plan_steps(recoveryPlanArn=arn,
                                                           orderedStepArns=[step["recoveryPlanStepArn"]]),
    }
    for what, call in calls.items():
        with pytest.raises(ClientError) as caught:
            call()
        assert error(caught)[:2] == ("ConflictException", 409), what
    get = lambda: drs.get_recovery_plan_execution(  # noqa: E731
        recoveryPlanExecutionArn=ex["recoveryPlanExecutionArn"])["recoveryPlanExecution"]["status"]
    advance_until(sandbox, lambda: get() == "COMPLETED")
    drs.update_recovery_plan_step(recoveryPlanStepArn=step["recoveryPlanStepArn"], stepName="c")
    assert drs.delete_recovery_plan(recoveryPlanArn=arn)["recoveryPlanArn"] == arn
