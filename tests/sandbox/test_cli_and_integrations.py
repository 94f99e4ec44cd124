"""The sandbox as outside tools see it: the real AWS CLI, moto's Step Functions interpreter, serve()."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import threading
import time

import pytest

from drs_console.sandbox import Sandbox
from drs_console.sandbox.serve import serve

AWS = shutil.which("aws")


def _aws(sandbox: Sandbox, *args: str) -> dict:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID="x",
        AWS_SECRET_ACCESS_KEY="x",
        AWS_DEFAULT_REGION=sandbox.region,
        AWS_PAGER="",
    )
    proc = subprocess.run(
        [
            AWS,
            "drs",
            *args,
            "--endpoint-url",
            sandbox.endpoint_url,
            "--region",
            sandbox.region,
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout or "{}")


@pytest.mark.skipif(AWS is None, reason="the AWS CLI is not installed")
def test_aws_cli_describes_servers_and_runs_a_job(sandbox: Sandbox):
    servers = _aws(sandbox, "describe-source-servers")["items"]
    assert len(servers) == 60
    sid = servers[0]["sourceServerID"]
    assert servers[0]["sourceProperties"]["identificationHints"]["fqdn"].endswith(".corp.example.com")

    job = _aws(sandbox, "start-recovery", "--is-drill", "--source-servers", f"sourceServerID={sid}")["job"]
    assert job["status"] == "PENDING"
    sandbox.clock.advance(600)  # the CLI sees simulated time move between calls
    jobs = _aws(sandbox, "describe-jobs")["items"]
    assert [(j["jobID"], j["status"]) for j in jobs] == [(job["jobID"], "COMPLETED")]
    assert jobs[0]["participatingServers"][0]["launchStatus"] == "LAUNCHED"


def _run_state_machine(sandbox: Sandbox, name: str, resource: str, parameters: dict) -> dict:
    sfn = sandbox.client("stepfunctions")
    definition = {
        "StartAt": "Call",
        "States": {"Call": {"Type": "Task", "Resource": resource, "Parameters": parameters, "End": True}},
    }
    machine = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/sandbox"
    )
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution["executionArn"])
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.02)
    raise AssertionError("the execution did not finish")


def test_step_functions_interpreter_reaches_drs(sandbox: Sandbox):
    done = _run_state_machine(sandbox, "describe", "arn:aws:states:::aws-sdk:drs:describeSourceServers", {})
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    items = output.get("items") or output.get("Items")  # moto passes DRS's camelCase through
    assert len(items) == 60


def test_serve_prints_commands_and_stops_on_sigterm():
    out = io.StringIO()

    def stop_when_serving() -> None:
        deadline = time.monotonic() + 60
        while "Ctrl+C" not in out.getvalue() and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=stop_when_serving, daemon=True)
    killer.start()
    assert serve(0, 10, 3, 60.0, 0, out) == 0
    killer.join(5)
    text = out.getvalue()
    assert "http://127.0.0.1:" in text
    assert "aws drs describe-source-servers --endpoint-url http://127.0.0.1:" in text
    assert "AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x" in text
    assert "Stopping" in text
