"""A `--sandbox` CLI command says nothing on stderr but what it means to say: stopping the seeded
active executions (they wait inside the state machine's Map state) used to make moto log
"Stepfunctions computation ended with exception AttributeError('str' object has no attribute
'get')" once per execution, on every command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_sandbox_history_command_prints_no_error_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path / "home"),
        DRS_CONSOLE_HOME=str(tmp_path / "app"),
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONPATH=os.pathsep.join(p for p in (str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH")) if p),
    )
    proc = subprocess.run(
        [sys.executable, "-m", "drs_console", "--sandbox", "history", "list", "--json"],
        env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "RUNNING" in proc.stdout  # the seeded active executions exist (and were stopped at exit)
    errors = [line for line in proc.stderr.splitlines() if " ERROR " in line or "Traceback" in line]
    assert errors == []
