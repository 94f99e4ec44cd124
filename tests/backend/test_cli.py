"""`drs-console backend deploy|status` and `doctor` against the shared sandbox."""

from __future__ import annotations

import io
import json

import pytest

from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.domain import contract as c

pytestmark = pytest.mark.e2e


def cli(backend, *argv):
    out, err = io.StringIO(), io.StringIO()
    ctx = CliContext(out=out, err=err)
    ctx._connection = backend.conn.__class__(backend.sandbox.connection_params())
    ctx._closers.append(ctx._connection.close)
    args = build_parser().parse_args(list(argv))
    code = run_command(args, ctx)
    return code, out.getvalue(), err.getvalue()


def test_backend_deploy_is_idempotent_and_prints_outputs(backend):
    code, out, err = cli(backend, "backend", "deploy", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["ok"] and doc["outputs"]["StateMachineArn"] == backend.location.state_machine_arn
    assert doc["outputs"]["ContractVersion"] == c.CONTRACT_VERSION == "1.2"


def test_backend_deploy_new_stack_shows_progress(backend):
    code, out, err = cli(backend, "backend", "deploy", "--stack-name", "drs-console-second")
    assert code == 0, err
    assert "StateMachineArn: arn:aws:states:" in out and "CREATE_COMPLETE" in out


def test_backend_status(backend):
    code, out, err = cli(backend, "backend", "status", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["contractVersion"] == "1.2" and doc["historyTable"] == backend.location.history_table


def test_backend_status_missing_stack_exit_3(backend):
    code, out, err = cli(backend, "backend", "status", "--stack-name", "nope")
    assert code == 3 and "backend deploy" in err


def test_doctor_json(backend):
    code, out, err = cli(backend, "doctor", "--json", "--probe-timeout", "20")
    doc = json.loads(out)
    assert code == 0, doc
    assert doc["result"] in ("PASS", "WARN")
    assert {f["check"] for f in doc["findings"]} >= {"identity", "drs", "stack", "contract", "definition", "probe", "history-table"}
