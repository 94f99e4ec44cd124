"""`drs-console run|status|resume|cancel|cleanup|report` against the harness's sandbox as any AWS
endpoint (--endpoint-url with keys in the environment), so executions outlive one command."""

from __future__ import annotations

import json

import pytest

from drs_console.domain.status import ExecutionStatus as S
from drs_console.store.plan_io import write_plan_file
from tests.runs import time_order, views_agree
from tests.runs.conftest import cli_caller, run

pytestmark = pytest.mark.e2e


@pytest.fixture
def cli(harness, monkeypatch):
    return cli_caller(harness, monkeypatch)


def _start(harness, cli, tmp_path, waves, **kw):
    plan = harness.plan(waves, **kw)
    path = tmp_path / "plan.json"
    write_plan_file(path, plan, backup=False)
    code, out, err = cli("run", str(path), "--json", "--poll-interval", "1")
    assert code == 0, err
    started = [json.loads(line) for line in out.splitlines() if json.loads(line)["type"] == "started"][0]
    return started["executionId"], started["executionArn"]


def test_status_resume_status_follow_report_cleanup(harness, cli, tmp_path):
    servers = harness.healthy(2)
    execution_id, arn = _start(harness, cli, tmp_path, [servers[:1], servers[1:]], name="CLI pause",
                               pause=frozenset({1}))
    run(harness.wait_record(execution_id, lambda r: r.status is S.PAUSED, what="PAUSED"))

    code, out, _ = cli("status", execution_id, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["status"] == "PAUSED" and doc["waves"][1]["status"] == "PAUSED"
    assert doc["waves"][0]["jobId"].startswith("drsjob-") and doc["waves"][0]["servers"][0]["launchStatus"] == "LAUNCHED"
    code, out, _ = cli("status", execution_id)
    assert code == 0 and f"Execution {execution_id}: PAUSED" in out and 'wave 2 "W2": PAUSED' in out

    code, out, err = cli("cleanup", execution_id)
    assert code == 2 and "still PAUSED" in err

    code, out, err = cli("resume", execution_id)
    assert code == 0, err
    # the state the resume led to, read after it took effect: never the stale PAUSED
    assert f"Resumed execution {execution_id} (now " in out and "now PAUSED" not in out

    code, out, err = cli("status", execution_id, "--follow", "--json", "--refresh", "1")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0, err
    assert lines[-1]["type"] == "end" and lines[-1]["status"] == "COMPLETED"
    assert any(t["type"] == "transition" and t.get("wave") == 2 and t["status"] == "COMPLETED" for t in lines)

    html, csv = tmp_path / "r.html", tmp_path / "r.csv"
    code, out, err = cli("report", execution_id, "--html", str(html), "--csv", str(csv))
    assert code == 0, err
    assert execution_id in html.read_text() and "Recovery time achieved" in html.read_text()
    assert csv.read_text().splitlines()[1].startswith(f"execution,{execution_id},CLI pause,DRILL,,,COMPLETED,")

    code, out, err = cli("cleanup", execution_id, "--json", "--refresh", "0.5")
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[0]["type"] == "cleanup" and len(lines[0]["recoveryInstanceIds"]) == 2
    assert lines[-1]["done"] and set(lines[-1]["instanceStates"].values()) <= {"TERMINATED", "GONE"}

    code, out, err = cli("cleanup", "--leftovers-of", str(tmp_path / "plan.json"))
    assert code == 0 and "Nothing to clean up" in out, err
    code, _, err = cli("cleanup")
    assert code == 2 and "either EXECUTION_ID or --leftovers-of" in err

    code, out, _ = cli("cancel", execution_id)
    assert code == 0 and "had already ended COMPLETED" in out
    code, _, err = cli("resume", execution_id)
    assert code == 2 and "not paused" in err


def test_cancel_a_paused_run_from_the_cli(harness, cli, tmp_path):
    execution_id, arn = _start(harness, cli, tmp_path, [harness.healthy(1)], name="CLI cancel",
                               pause=frozenset({0}))
    run(harness.wait_record(execution_id, lambda r: r.status is S.PAUSED, what="PAUSED"))
    code, out, err = cli("cancel", execution_id, "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["before"] == "PAUSED" and doc["status"] == "CANCELLED" and doc["how"] == "cancelled"
    info = run(harness.service.describe_execution(arn))
    assert not info.running


def test_unknown_execution_and_missing_report_files(cli):
    code, _, err = cli("status", "no-such-execution")
    assert code == 2 and "No execution no-such-execution" in err
    code, _, err = cli("report", "no-such-execution")
    assert code == 2 and "--html" in err


def test_a_drill_and_a_recovery_read_the_same_in_every_view(harness, sim, cli, tmp_path, qtbot):
    """For each, CLI --json/text/--follow, the CSV/HTML report, the GUI models and History agree:
    a drill with a failing server and a pause, a recovery run meanwhile, and a recovery to a point in
    time two hours back (tests/runs/views_agree.py)."""
    recovery = views_agree.start_recovery(harness, cli, tmp_path)
    point_in_time = views_agree.start_point_in_time_recovery(harness, cli, tmp_path)
    views_agree.drill_reads_the_same_in_every_view(harness, sim, cli, tmp_path, qtbot)
    views_agree.recovery_reads_the_same_in_every_view(harness, cli, tmp_path, qtbot, *recovery)
    views_agree.point_in_time_reads_the_same_in_every_view(harness, cli, tmp_path, qtbot, *point_in_time)


def test_launches_seen_late_are_dated_within_their_wave_in_every_view(harness, sim, cli, tmp_path, qtbot):
    """A follow that reads DRS after a wave's job ended but before the state machine wrote its end
    dates the launches within the wave (tests/runs/time_order.py)."""
    time_order.launch_seen_late(harness, sim, cli, tmp_path, qtbot)


def test_notifications_say_what_status_says(harness, sim, cli, qtbot):
    """A drill that pauses and completes, one whose first wave has a server fail: every desktop
    notification states what `status` and --json state then (tests/runs/views_agree.py)."""
    views_agree.notifications_read_like_status(harness, sim, cli, qtbot)
