"""The DRS native engine's calls, checked against botocore's model with a Stubber (no sandbox)."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from botocore.stub import ANY, Stubber

from drs_console.aws.engines import Capability, RecoveryEngine
from drs_console.aws.engines.native import NativeEngine
from drs_console.aws.errors import translate
from drs_console.domain.errors import BadInput
from drs_console.domain.plan import Plan, ServerRef, Wave

ACCOUNT, REGION = "123456789012", "us-east-1"
PLAN_ARN = f"arn:aws:drs:{REGION}:{ACCOUNT}:recovery-plan/rp-1"
EXEC_ARN = f"arn:aws:drs:{REGION}:{ACCOUNT}:recovery-plan-execution/rpe-1"
NOW = "2026-01-01T10:00:00Z"


class StubConn:
    """Just what the engine uses of an AwsConnection, on one stubbed DRS client."""

    region = REGION

    def __init__(self):
        self.drs = boto3.client("drs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
        self.stub = Stubber(self.drs)

    def client(self, service: str, **_kw):
        assert service == "drs"
        return self.drs

    async def call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - as AwsConnection translates
            raise translate(exc) from exc


def _plan() -> Plan:
    plan = Plan.new("Payments", target_account_id=ACCOUNT, target_region=REGION)
    plan.waves.append(Wave(name="DB", servers=[ServerRef("s-00000000000000001")]))
    return plan


def _expect_published(stub: Stubber, plan: Plan) -> None:
    stub.add_response("list_recovery_plans", {"recoveryPlans": [
        {"recoveryPlanArn": PLAN_ARN, "name": "Payments", "status": "ACTIVE", "createdAt": NOW, "updatedAt": NOW}]})
    stub.add_response("get_recovery_plan", {"recoveryPlan": {
        "recoveryPlanArn": PLAN_ARN, "name": "Payments", "status": "ACTIVE", "createdAt": NOW, "updatedAt": NOW,
        "tags": {"drs-console:plan-id": plan.id, "drs-console:plan-version": "7"}}}, {"recoveryPlanArn": PLAN_ARN})


def _execution(status: str) -> dict:
    return {"recoveryPlanExecution": {"recoveryPlanExecutionArn": EXEC_ARN, "recoveryPlanArn": PLAN_ARN,
                                      "mode": "DRILL", "status": status, "startedAt": NOW}}


def test_the_native_engine_is_a_recovery_engine_without_pause():
    engine = NativeEngine(StubConn())
    assert isinstance(engine, RecoveryEngine)
    assert Capability.PAUSE_RESUME not in engine.capabilities and Capability.RETRY_STEP in engine.capabilities
    with pytest.raises(BadInput, match="never pauses"):
        asyncio.run(engine.resume(EXEC_ARN))


def test_start_passes_the_pinned_recovery_snapshots_and_tags_the_execution():
    conn = StubConn()
    plan = _plan()
    _expect_published(conn.stub, plan)
    conn.stub.add_response("start_recovery_plan_execution", _execution("CREATED"), {
        "recoveryPlanArn": PLAN_ARN, "mode": "DRILL",
        "sourceServers": [{"sourceServerID": "s-00000000000000001", "recoverySnapshotID": "pit-0123456789abcdef0"}],
        "tags": {"drs-console:plan-id": plan.id, "drs-console:plan-name": "Payments",
                 "drs-console:plan-version": "7"},
    })
    with conn.stub:
        started = asyncio.run(NativeEngine(conn).start(
            plan, snapshots={"s-00000000000000001": "pit-0123456789abcdef0"}))
    assert started.execution_id == "rpe-1" and started.drill and started.execution_arn == EXEC_ARN


def test_a_recovery_needs_the_typed_confirmation_before_any_call():
    conn = StubConn()
    with conn.stub, pytest.raises(BadInput, match="typed exactly"):
        asyncio.run(NativeEngine(conn).start(_plan(), recovery=True, confirm="payments"))
    conn.stub.assert_no_pending_responses()


def test_an_active_execution_is_never_deleted():
    conn = StubConn()
    conn.stub.add_response("get_recovery_plan_execution", _execution("CANCELLING"),
                           {"recoveryPlanExecutionArn": EXEC_ARN})
    with conn.stub, pytest.raises(BadInput, match="never deleted"):
        asyncio.run(NativeEngine(conn).delete_execution(EXEC_ARN))


def test_a_wait_step_is_not_retried_and_a_running_step_not_skipped():
    conn = StubConn()
    steps = {"recoveryPlanExecutionSteps": [
        {"recoveryPlanExecutionStepArn": EXEC_ARN + "/step/1", "stepName": "Settle", "stepIndex": 1,
         "status": "FAILED", "configuration": {"waitStepConfiguration": {"waitDurationMinutes": 5}}},
        {"recoveryPlanExecutionStepArn": EXEC_ARN + "/step/2", "stepName": "DB", "stepIndex": 2,
         "status": "EXECUTING", "configuration": {"executionServerStepConfiguration": {"servers": [
             {"serverArn": f"arn:aws:drs:{REGION}:{ACCOUNT}:source-server/s-00000000000000001", "jobID": "drsjob-0123456789abcdef0"}]}}},
    ]}
    conn.stub.add_response("list_recovery_plan_execution_steps", steps, {"recoveryPlanExecutionArn": ANY})
    conn.stub.add_response("list_recovery_plan_execution_steps", steps, {"recoveryPlanExecutionArn": ANY})
    engine = NativeEngine(conn)
    with conn.stub:
        with pytest.raises(BadInput, match="only a FAILED or TIMED_OUT server step"):
            asyncio.run(engine.retry_step(EXEC_ARN, 1))
        with pytest.raises(BadInput, match="EXECUTING"):
            asyncio.run(engine.skip_step(EXEC_ARN, 2))
    conn.stub.assert_no_pending_responses()


def test_the_step_functions_engine_is_a_recovery_engine_without_steps():
    from drs_console.aws.backend import BackendLocation
    from drs_console.aws.engines.stepfunctions import StepFunctionsEngine

    engine = StepFunctionsEngine(StubConn(), BackendLocation("arn:aws:states:us-east-1:123456789012:x", "t"))
    assert isinstance(engine, RecoveryEngine) and Capability.PAUSE_RESUME in engine.capabilities
    with pytest.raises(BadInput, match="does not retry a wave"):
        asyncio.run(engine.retry_step("exec-1", 1))
    with pytest.raises(BadInput, match="Pinned recovery snapshots"):
        asyncio.run(engine.start(_plan(), snapshots={"s-00000000000000001": "pit-1"}))
