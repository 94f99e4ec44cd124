"""`drs-console sandbox serve` as a script that waits for its port sees it: the port answers only
once the sandbox is ready, a port in use or out of range exits 2 at once, SIGTERM stops it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from drs_console.sandbox.process import SandboxProcess, free_port

ROOT = Path(__file__).resolve().parents[2]


def _serve(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "drs_console", "sandbox", "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


def _client(service: str, port: int):
    return boto3.client(
        service, region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="x", aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=10),
    )


def test_the_port_answers_only_when_the_stack_exists_and_sigterm_stops_it():
    port = free_port()
    proc = _serve("--port", str(port), "--servers", "5", "--history", "2")
    try:
        deadline = time.monotonic() + 60
        while True:  # what a script waiting for the port does: connect until it answers
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sandbox never listened"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.01)
        # the moment it answers: the stack exists, its table has the seeded history, DRS answers
        stacks = _client("cloudformation", port).describe_stacks(StackName="drs-console")["Stacks"]
        assert stacks[0]["StackStatus"] == "CREATE_COMPLETE"
        table = {o["OutputKey"]: o["OutputValue"] for o in stacks[0]["Outputs"]}["HistoryTableName"]
        assert _client("dynamodb", port).scan(TableName=table, Select="COUNT")["Count"] > 0
        assert len(_client("drs", port).describe_source_servers()["items"]) == 5
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_sandbox/health", timeout=5) as resp:
            health = json.loads(resp.read())
        assert health["ready"] is True and health["backend"]["HistoryTableName"] == table
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        # promptly: a healthy stop takes well under a second; the bound is for a loaded machine
        # (6 s seen with other test runs beside it), and still catches a stop that hangs
        assert time.monotonic() - started < 15
    finally:
        if proc.poll() is None:
            proc.kill()
        out, _err = proc.communicate()
    assert "Stopping the sandbox." in out


def test_a_port_in_use_exits_2_at_once_with_that_message():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        proc = _serve("--port", str(port))
        try:
            code = proc.wait(20)
        finally:
            if proc.poll() is None:
                proc.kill()
        _out, err = proc.communicate()
    assert code == 2
    assert time.monotonic() - started < 10
    assert f"Port {port} on 127.0.0.1 is in use" in err and "Traceback" not in err


@pytest.mark.parametrize("port", ["65536", "-1", "http"])
def test_a_port_out_of_range_is_refused_with_exit_2(port, capsys):
    from drs_console.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["sandbox", "serve", "--port", port])
    assert exc.value.code == 2
    assert "use 1-65535, or 0 for a free one" in capsys.readouterr().err


def test_the_desktop_apps_child_sandbox_is_ready_when_started_and_gone_when_stopped(tmp_path):
    child = SandboxProcess(servers=4, history=1, log_file=tmp_path / "logs" / "sandbox.log")
    child.start()
    try:
        pid = child._proc.pid
        assert child.backend_outputs["HistoryTableName"]
        drs = boto3.client("drs", **_params(child))
        assert len(drs.describe_source_servers()["items"]) == 4
    finally:
        child.stop()
    with pytest.raises(ProcessLookupError):
        for _ in range(100):  # reaped by stop(); the pid is gone
            os.kill(pid, 0)
            time.sleep(0.05)
    assert "DRS sandbox running at" in (tmp_path / "logs" / "sandbox.log").read_text()


def _params(child: SandboxProcess) -> dict:
    p = child.connection_params()
    key, secret = p.static_credentials
    return {"region_name": p.region, "endpoint_url": p.endpoint_url,
            "aws_access_key_id": key, "aws_secret_access_key": secret}
