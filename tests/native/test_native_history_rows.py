"""A DRS native execution's History row (aws/engines/native_history.py): its duration and waves
tally derived as a backend row's are, in `history list` (text and --json) and the GUI's History
table; on a manual-clock sandbox driven to each end."""

from __future__ import annotations

import asyncio
import io
import json

import pytest

from drs_console.aws.engines.native_history import native_history_rows
from drs_console.aws.session import AwsConnection
from drs_console.cli.context import CliContext
from drs_console.cli.main import build_parser, run_command
from drs_console.domain.fields import whole_second
from drs_console.domain.history import format_duration, parse_time
from drs_console.sandbox import Sandbox
from tests.sandbox.test_recovery_plan_runs import advance_until, execution, healthy, make_plan, server_step


@pytest.fixture(scope="module")
def runs():
    """A FAILED execution (its second step's server fails) and one still WAITING in its second step."""
    sandbox = Sandbox(manual_clock=True, servers=12)
    sandbox.start()
    try:
        drs = sandbox.client("drs")
        ids = healthy(sandbox)
        failing = make_plan(drs, sandbox, [("DB", server_step(sandbox, ids[:1])), ("App", server_step(sandbox, ids[1:2])),
                                           ("Web", server_step(sandbox, ids[2:3]))], name="Failing")
        sandbox.drs.fail_servers([ids[1]])
        failed = drs.start_recovery_plan_execution(recoveryPlanArn=failing, mode="DRILL")["recoveryPlanExecution"]
        failed_arn = failed["recoveryPlanExecutionArn"]
        advance_until(sandbox, lambda: execution(drs, failed_arn)["status"] == "FAILED")
        waiting = make_plan(drs, sandbox, [("DB", server_step(sandbox, ids[3:4])),
                                           ("Settle", {"waitStepConfiguration": {"waitDurationMinutes": 120}})],
                            name="Waiting")
        running = drs.start_recovery_plan_execution(recoveryPlanArn=waiting, mode="DRILL")["recoveryPlanExecution"]
        running_arn = running["recoveryPlanExecutionArn"]
        advance_until(sandbox, lambda: [s["status"] for s in drs.list_recovery_plan_execution_steps(
            recoveryPlanExecutionArn=running_arn)["recoveryPlanExecutionSteps"]][1] == "WAITING")
        yield sandbox, execution(drs, failed_arn), failed_arn.rsplit("/", 1)[1], running_arn.rsplit("/", 1)[1]
    finally:
        sandbox.stop()


def took(failed: dict):
    """Its duration as every view reads it: between its start and end in whole seconds."""
    return whole_second(parse_time(failed["completedAt"])) - whole_second(parse_time(failed["startedAt"]))


def test_history_list_and_json_show_a_native_rows_duration_and_waves(runs):
    sandbox, failed, failed_id, running_id = runs

    def cli(*argv: str) -> str:
        out, err = io.StringIO(), io.StringIO()
        conn = AwsConnection(sandbox.connection_params())
        try:
            code = run_command(build_parser().parse_args(list(argv)), CliContext(out=out, err=err, _connection=conn))
        finally:
            conn.close()
        assert code == 0, err.getvalue()
        return out.getvalue()

    lines = {line.split()[-1]: line for line in cli("history", "list", "--engine", "native").splitlines()[1:]
             if line.strip() and not line.startswith(" ")}
    assert format_duration(took(failed)) in lines[failed_id] and "1/3 completed, 1 failed" in lines[failed_id]
    assert "0/2 completed" not in lines[running_id] and "1/2 completed" in lines[running_id]
    doc = {r["executionId"]: r for r in json.loads(cli("history", "list", "--engine", "native", "--json"))["executions"]}
    assert doc[failed_id]["durationSeconds"] == took(failed).total_seconds() > 60
    assert (doc[failed_id]["wavesCompleted"], doc[failed_id]["waveCount"]) == (1, 3)
    assert doc[running_id]["durationSeconds"] is None and doc[running_id]["waveCount"] == 2


def test_the_gui_history_table_reads_the_same(runs, qapp):
    from drs_console.ui.models.history_model import HistoryColumn, HistoryModel

    sandbox, failed, failed_id, _running = runs
    conn = AwsConnection(sandbox.connection_params())
    try:
        rows = asyncio.run(native_history_rows(conn))
    finally:
        conn.close()
    model = HistoryModel()
    model.set_items(rows)
    row = model.row_of(failed_id)
    assert model.index(row, HistoryColumn.DURATION).data() == format_duration(took(failed))
    assert model.index(row, HistoryColumn.WAVES).data() == "1/3 completed, 1 failed"
    assert "1 not finished" in model.index(row, HistoryColumn.WAVES).data(0x03)  # the tooltip (ToolTipRole)
