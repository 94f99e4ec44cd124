"""Doctor against the deployed reference backend and against broken deployments seeded in moto."""

from __future__ import annotations

import json
import uuid

import pytest
from conftest import wait_for

from drs_console.aws.doctor import DoctorService
from drs_console.domain import contract as c

pytestmark = pytest.mark.e2e

PLACEHOLDER = {
    "Comment": f"placeholder backend. {c.CONTRACT_MARKER}",
    "StartAt": "Route",
    "States": {
        "Route": {"Type": "Pass", "Next": "PlaceholderFunction"},
        "PlaceholderFunction": {"Type": "Fail", "Error": "Unknown action: initialize", "Cause": "placeholder"},
    },
}
NO_VERSION = {"Comment": "some other state machine", "StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}


def by_check(findings):
    return {f.check: f for f in findings}


def run_doctor(backend, **kw):
    service = DoctorService(backend.conn, probe_timeout=20)
    return by_check(backend.run(service.run(**kw)))


def make_state_machine(backend, definition) -> str:
    sfn = backend.sandbox.client("stepfunctions")
    return sfn.create_state_machine(
        name=f"broken-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/x",
    )["stateMachineArn"]


def test_healthy_backend(backend):
    f = run_doctor(backend)
    for check in ("identity", "drs", "stack", "contract", "definition", "tasks", "probe", "history-table"):
        assert f[check].level == "PASS", f[check]
    assert "contract 1.2" in f["probe"].message
    assert f["permissions"].level in ("PASS", "WARN")


def test_placeholder_state_machine_is_not_probed(backend):
    arn = make_state_machine(backend, PLACEHOLDER)
    f = run_doctor(backend, state_machine_arn=arn, history_table=backend.location.history_table)
    assert f["contract"].level == "PASS"  # it claims the contract...
    assert f["definition"].level == "FAIL"  # ...but is not the definition this console ships
    assert "state removed: StartRecovery" in f["definition"].details
    assert f["probe"].level == "FAIL" and f["probe"].remedy


def test_definition_without_contract_version(backend):
    arn = make_state_machine(backend, NO_VERSION)
    f = run_doctor(backend, state_machine_arn=arn, history_table=backend.location.history_table)
    assert f["contract"].level == "FAIL"
    assert "contract version" in f["contract"].message
    assert "backend deploy" in f["contract"].remedy
    assert "not run" in f["probe"].message


def test_missing_table(backend):
    f = run_doctor(backend, state_machine_arn=backend.location.state_machine_arn, history_table="no-such-table")
    assert f["history-table"].level == "FAIL" and "no-such-table" in f["history-table"].message


def test_missing_stack(backend):
    f = run_doctor(backend, stack_name="no-such-stack")
    assert f["stack"].level == "FAIL" and "backend deploy" in f["stack"].remedy


def test_recent_executions_failing_with_the_same_error(backend):
    arn = make_state_machine(backend, PLACEHOLDER)
    sfn = backend.sandbox.client("stepfunctions")
    arns = [
        sfn.start_execution(stateMachineArn=arn, name=f"run-{i}", input="{}")["executionArn"] for i in range(3)
    ]
    wait_for(
        lambda: all(sfn.describe_execution(executionArn=a)["status"] == "FAILED" for a in arns),
        timeout=20,
        what="the runs to fail",
    )
    f = run_doctor(backend, state_machine_arn=arn, history_table=backend.location.history_table)
    fe = f["executions"]
    assert fe.level == "FAIL"
    assert "All 3 of the newest 3" in fe.message
    assert "Unknown action: initialize" in fe.message and "PlaceholderFunction" in fe.message


def _zip(source: str) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", source)
    return buf.getvalue()


def test_lambda_tasks_show_the_function_behind_them(backend):
    """The original failure: a state machine invoking a placeholder function. Doctor shows which
    function each Lambda task calls, with its handler, runtime, code size, SHA and last change,
    and fails a task whose function does not exist."""
    iam = backend.sandbox.client("iam")
    role = iam.create_role(
        RoleName=f"fn-{uuid.uuid4().hex[:6]}",
        AssumeRolePolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        ),
    )["Role"]["Arn"]
    lam = backend.sandbox.client("lambda")
    fn = lam.create_function(
        FunctionName="drs-orchestrator-placeholder",
        Runtime="python3.12",
        Role=role,
        Handler="handler.placeholder",
        Code={"ZipFile": _zip("def placeholder(event, context):\n    raise Exception('Unknown action: initialize')\n")},
    )
    definition = {
        "Comment": f"lambda-based backend. {c.CONTRACT_MARKER}",
        "StartAt": "Orchestrate",
        "States": {
            "Orchestrate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": fn["FunctionArn"], "Payload.$": "$"},
                "Next": "Notify",
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:lambda:us-east-1:123456789012:function:drs-notify-missing",
                "End": True,
            },
        },
    }
    arn = make_state_machine(backend, definition)
    f = run_doctor(backend, state_machine_arn=arn, history_table=backend.location.history_table)
    used = f["lambda:Orchestrate"]
    assert used.level == "FAIL" and "drs-orchestrator-placeholder" in used.message
    assert "handler.placeholder" in used.message and "python3.12" in used.message
    assert fn["CodeSha256"] in used.message and str(fn["CodeSize"]) in used.message
    missing = f["lambda:Notify"]
    assert missing.level == "FAIL" and "drs-notify-missing" in missing.message and missing.remedy
