"""The sandbox's Step Functions honours a Task's ``Credentials``: the call runs as that role, in its
account (as AWS's cross-account access does), and a role that cannot be assumed fails the Task
with States.TaskFailed, its cause naming the role and AccessDenied."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from drs_console.sandbox import Sandbox, stepfunctions_compat

DEFINITION = {
    "StartAt": "Start",
    "States": {
        "Start": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:drs:startRecovery",
            "Credentials": {"RoleArn.$": "$.roleArn"},
            "Parameters": {"SourceServers": [{"SourceServerID.$": "$.server"}], "IsDrill": True},
            "ResultSelector": {"jobId.$": "$.Job.JobID"},
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Denied"}],
            "End": True,
        },
        "Denied": {"Type": "Pass", "End": True},
    },
}


@pytest.fixture(scope="module")
def sb():
    sandbox = Sandbox(manual_clock=True, servers=4, accounts=3)
    sandbox.start()
    stepfunctions_compat.apply()  # what deploying the backend does
    try:
        yield sandbox
    finally:
        sandbox.stop()


def as_role(sb: Sandbox, role_arn: str, service: str = "drs"):
    creds = sb.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="test")["Credentials"]
    return boto3.client(service, region_name=sb.region, endpoint_url=sb.endpoint_url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def run(sb: Sandbox, doc: dict) -> dict:
    sfn = sb.client("stepfunctions")
    iam = sb.client("iam")
    try:
        role = iam.get_role(RoleName="sm-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="sm-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    arn = sfn.create_state_machine(name=f"creds-{time.monotonic_ns()}", definition=json.dumps(DEFINITION),
                                   roleArn=role)["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=arn, input=json.dumps(doc))["executionArn"]
    deadline = time.monotonic() + 60
    while True:  # the interpreter runs the execution on its own thread
        out = sfn.describe_execution(executionArn=ex)
        if out["status"] != "RUNNING" or time.monotonic() > deadline:
            return out
        time.sleep(0.05)


def test_a_task_with_credentials_starts_the_job_in_the_roles_account(sb):
    target = sb.targets[0]
    drs = as_role(sb, target.role_arn)
    server = drs.describe_source_servers()["items"][0]["sourceServerID"]
    out = run(sb, {"roleArn": target.role_arn, "server": server})
    assert out["status"] == "SUCCEEDED", out
    job_id = json.loads(out["output"])["jobId"]
    jobs = drs.describe_jobs(filters={"jobIDs": [job_id]})["items"]
    assert [j["jobID"] for j in jobs] == [job_id] and jobs[0]["arn"].split(":")[4] == target.account_id
    assert sb.client("drs").describe_jobs(filters={"jobIDs": [job_id]})["items"] == []  # not in the hub
    assert sb.client("drs").describe_jobs()["items"] == []


def test_a_role_that_cannot_be_assumed_fails_the_task(sb):
    target = sb.targets[1]
    missing = f"arn:aws:iam::{target.account_id}:role/no-such-role"
    out = run(sb, {"roleArn": missing, "server": "s-00000000000000001"})
    assert out["status"] == "SUCCEEDED"  # caught
    error = json.loads(out["output"])
    assert error["Error"] == "States.TaskFailed"
    assert missing in error["Cause"] and "AccessDenied" in error["Cause"]
