"""The DRS native engine in the GUI, against the sandbox's DRS simulator: the Executions page
watches a native execution (its steps as waves, their native status, kind, attempt and DRS jobs),
retries, skips and cancels from the page; History lists native executions with an Engine column
and filter and prunes them with the CLI's rules. What the GUI shows is cross-checked with plain
boto3 calls and with ``drs-console status EXEC --json``."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox

from drs_console.domain.status import ExecutionStatus as S
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.models.execution_models import (
    SERVER_COLUMN_FIELDS,
    ExecutionColumn,
    ServerColumn,
    WaveColumn,
)
from drs_console.ui.models.history_model import HistoryColumn
from drs_console.ui.models.keyed_table import ITEM_ROLE
from drs_console.ui.pages.executions import ExecutionsPage
from drs_console.ui.pages.history import HistoryPage
from drs_console.ui.tasks import TaskRunner
from tests.history.conftest import SharedSandbox
from tests.native.conftest import json_lines
from tests.native.test_native_e2e import _plan_file, _publish

pytestmark = pytest.mark.e2e


def until(aloop, predicate, timeout: float = 40.0, what: str = "") -> None:
    """Run the event loop until ``predicate()`` holds (fails after ``timeout`` s)."""

    async def wait():
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            await asyncio.sleep(0.02)

    asyncio.set_event_loop(aloop)  # a CLI call ran its own loop (asyncio.run) meanwhile
    aloop.run_until_complete(wait())


class Gui:
    """The Executions and History pages wired as the app wires them, on the module's sandbox."""

    def __init__(self, qtbot, aloop, harness):
        self.aloop = aloop
        self.reporter = ErrorReporter()
        self.reporter.interactive = False
        self.errors: list[tuple[str, str]] = []
        self.reporter.shown.connect(lambda t, x: self.errors.append((t, x)))
        self.runner = TaskRunner(self.reporter.report)
        self.controller = ConnectionController(Settings(), sandbox_factory=lambda: SharedSandbox(harness.sandbox),
                                               persist=False)
        self.window = QMainWindow()
        self.page = ExecutionsPage(self.controller, self.runner, poll_seconds=0.2)
        self.window.setCentralWidget(self.page)
        # every status line the page shows (the counters replace a message at the next update)
        self.status_lines: list[str] = []
        show = self.page.status.setText
        self.page.status.setText = lambda text: (self.status_lines.append(text), show(text))[1]
        self.window.resize(1280, 760)
        qtbot.addWidget(self.window)
        self.history = HistoryPage(self.controller, self.runner)
        qtbot.addWidget(self.history)
        aloop.run_until_complete(self.controller.connect(sandbox=True))
        until(aloop, lambda: self.page._loaded.is_set(), what="the executions list")

    @property
    def detail(self):
        return self.page.detail

    def start(self, plan) -> str:
        """Start a native drill as the Run dialog does; its started_native opens the monitor."""
        asyncio.set_event_loop(self.aloop)  # a CLI call ran its own loop (asyncio.run) meanwhile
        execution_id = self.aloop.run_until_complete(self.page.engine.start_native(plan, drill=True))
        dialog = self.page.open_run_dialog(plan)
        dialog.started_native.emit(execution_id)  # what the dialog emits after StartRecoveryPlanExecution
        dialog.reject()
        assert self.page.open_id == execution_id
        return execution_id

    def waves(self, column) -> list[str]:
        m = self.detail.wave_model
        return [m.index(r, column).data() for r in range(m.rowCount())]

    def wait_waves(self, column, predicate, what: str, timeout: float = 40.0) -> list[str]:
        until(self.aloop, lambda: self.detail.view is not None and predicate(self.waves(column)), timeout, what)
        return self.waves(column)

    def click_destructive(self, box: QMessageBox) -> None:
        assert box is not None and box.isVisible()
        next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()

    def close(self):
        self.page.shutdown()
        self.history.shutdown()
        self.runner.cancel_all()
        self.controller.close()


@pytest.fixture
def gui(qtbot, aloop, harness):
    g = Gui(qtbot, aloop, harness)
    yield g
    g.close()
    harness.sim.clear_failures()


def _steps(drs, execution_arn: str) -> list[dict]:
    items = drs.list_recovery_plan_execution_steps(recoveryPlanExecutionArn=execution_arn)["recoveryPlanExecutionSteps"]
    return sorted(items, key=lambda s: s["stepIndex"])


def _job_ids(step: dict) -> list[str]:
    servers = (step.get("configuration") or {}).get("executionServerStepConfiguration", {}).get("servers") or []
    return list(dict.fromkeys(s["jobID"] for s in servers if s.get("jobID")))


def test_the_monitor_shows_the_native_steps_their_jobs_and_wait_then_cancel_agrees_with_status_json(
        gui, harness, cli, tmp_path, drs):
    a, b = harness.healthy(2)
    plan, path = _plan_file(harness, tmp_path, [[a], [b]], name="GUI wait plan", delays={1: 120})
    _publish(cli, path)
    eid = gui.start(plan)
    statuses = gui.wait_waves(WaveColumn.STATUS, lambda s: len(s) == 3 and s[1] == "IN_PROGRESS (native WAITING)",
                              "the WAIT step")
    assert statuses == ["COMPLETED", "IN_PROGRESS (native WAITING)", "PENDING (native NOT_STARTED)"]
    assert gui.waves(WaveColumn.KIND) == ["SERVER", "WAIT 120 min", "SERVER"]
    assert gui.waves(WaveColumn.ATTEMPT)[0] == "1"
    assert not gui.detail.wave_table.isColumnHidden(WaveColumn.KIND)

    # the step's DRS job: the one the execution's step lists, and DescribeJobs says it launched a
    view = gui.detail.view
    steps = _steps(drs, view.execution_arn)
    jobs = _job_ids(steps[0])
    assert gui.waves(WaveColumn.JOB_ID) == [", ".join(jobs), "", ""] and len(jobs) == 1
    (job,) = drs.describe_jobs(filters={"jobIDs": jobs})["items"]
    assert job["status"] == "COMPLETED"
    assert [(p["sourceServerID"], p["launchStatus"]) for p in job["participatingServers"]] == [(a, "LAUNCHED")]
    servers = gui.detail.server_model
    row = servers.row_of(f"0/{a}")
    assert servers.index(row, ServerColumn.LAUNCH).data() == "LAUNCHED"
    assert servers.index(row, ServerColumn.RECOVERY_INSTANCE_ID).data() == job["participatingServers"][0][
        "recoveryInstanceID"]

    # the header: the engine, and what it cannot do; Resume is not offered, Retry/Skip are
    header = gui.detail.header
    assert "DRS native plan" in header.engine_label.text() and "GUI wait plan" in header.engine_label.text()
    assert "no pause/resume" in header.engine_label.text() and "never pauses" in header.engine_label.toolTip()
    assert header.buttons["resume"].isHidden() and not header.buttons["retry"].isHidden()
    assert not header.buttons["retry"].isEnabled()  # nothing failed
    listed = gui.page.model.row_of(eid)
    assert gui.page.model.index(listed, ExecutionColumn.ENGINE).data() == "DRS native"

    # the WAIT step is running: neither retried nor skipped (the tooltip says why)
    gui.detail.select_wave(1)
    assert not header.buttons["skip"].isEnabled() and "WAITING" in header.buttons["skip"].toolTip()
    assert "WAIT step" in header.buttons["retry"].toolTip()

    # cancel: the typed/confirm box, opened (not exec()ed); then CANCELLED
    gui.click_destructive(gui.page.ask_cancel())
    until(gui.aloop, lambda: gui.detail.view.status is S.CANCELLED, what="CANCELLED")
    assert drs.get_recovery_plan_execution(recoveryPlanExecutionArn=view.execution_arn)[
        "recoveryPlanExecution"]["status"] == "CANCELLED"
    until(gui.aloop, lambda: gui.detail.header.live_label.text().find("final") >= 0, what="the final update")

    # the GUI's view of the ended execution agrees with 'drs-console status EXEC --json'
    code, out, err = cli("status", eid, "--json")
    assert code == 0, err
    doc = json.loads(out)
    shown = gui.detail.view
    assert doc["engine"] == "native" and doc["status"] == gui.detail.status_badge.text() == "CANCELLED"
    assert doc["recoveryPlanArn"] == shown.recovery_plan_arn
    assert len(doc["waves"]) == gui.detail.wave_model.rowCount() == 3
    for w, status, kind, job_cell, attempt in zip(doc["waves"], gui.waves(WaveColumn.STATUS),
                                                   gui.waves(WaveColumn.KIND), gui.waves(WaveColumn.JOB_ID),
                                                   gui.waves(WaveColumn.ATTEMPT), strict=True):
        native = w.get("nativeStatus") or w["status"]
        assert status == (w["status"] if native == w["status"] else f"{w['status']} (native {native})")
        assert kind == (f"WAIT {w['waitMinutes']} min" if w["stepKind"] == "WAIT" else w["stepKind"])
        assert job_cell == ", ".join(w["jobIds"])
        assert attempt == (str(w["attempt"]) if w["attempt"] else "")
        assert (w["startedAt"] or "")[11:19] == gui.detail.wave_model.index(w["wave"] - 1, WaveColumn.STARTED).data()
        for s in w["servers"]:
            r = servers.row_of(f"{w['wave'] - 1}/{s['sourceServerId']}")
            item = servers.item_at(r)
            for col in (ServerColumn.SOURCE_INSTANCE_ID, ServerColumn.SOURCE_ACCOUNT_ID, ServerColumn.REPLICATION,
                        ServerColumn.LAUNCH, ServerColumn.RECOVERY_INSTANCE_ID):
                assert servers.index(r, col).data() == SERVER_COLUMN_FIELDS[col].text(item.server)
            assert item.server.source_instance_id == (s["sourceInstanceId"] or "")
            assert item.server.source_account_id == (s["sourceAccountId"] or "")
            assert item.server.replication_state.value == s["replicationState"]
            assert (item.server.launch_status.value if item.server.launch_status else None) == s["launchStatus"]
            assert item.server.recovery_instance_id == (s["recoveryInstanceId"] or "")
    assert gui.errors == []


def test_a_failed_step_is_retried_from_the_gui_to_completed(gui, harness, cli, tmp_path, drs):
    a, b = harness.healthy(2)
    plan, path = _plan_file(harness, tmp_path, [[a], [b]], name="GUI retry plan")
    _publish(cli, path)
    harness.sim.fail_next_launch(a)
    eid = gui.start(plan)
    until(gui.aloop, lambda: gui.detail.view is not None and gui.detail.view.status is S.FAILED, what="FAILED")
    first_jobs = gui.detail.view.waves[0].job_ids
    header = gui.detail.header
    gui.page.update_step_buttons()
    assert header.buttons["retry"].isEnabled() and header.buttons["retry"].text() == "Retry step 1"
    assert header.buttons["skip"].isEnabled()
    # step 2 has not started: it cannot be retried, and the button says why
    gui.detail.select_wave(1)
    assert not header.buttons["retry"].isEnabled() and "NOT_STARTED" in header.buttons["retry"].toolTip()
    gui.detail.select_wave(None)
    assert header.buttons["retry"].isEnabled()
    header.buttons["retry"].click()
    until(gui.aloop, lambda: any("Retrying step 1" in line for line in gui.status_lines), what="the retry")
    until(gui.aloop, lambda: gui.detail.view.status is S.COMPLETED, what="the retried execution to complete")
    assert gui.waves(WaveColumn.STATUS) == ["COMPLETED", "COMPLETED"]
    assert gui.waves(WaveColumn.ATTEMPT)[0] == "2"
    new_jobs = gui.detail.view.waves[0].job_ids
    assert new_jobs and new_jobs != first_jobs
    assert _job_ids(_steps(drs, gui.detail.view.execution_arn)[0]) == list(new_jobs)
    assert not header.buttons["retry"].isEnabled()
    assert eid and gui.errors == []


def test_a_step_that_keeps_failing_is_skipped_from_the_gui(gui, harness, cli, tmp_path):
    c, b = harness.healthy(2)
    plan, path = _plan_file(harness, tmp_path, [[c], [b]], name="GUI skip plan")
    _publish(cli, path)
    harness.sim.fail_servers([c])
    gui.start(plan)
    until(gui.aloop, lambda: gui.detail.view is not None and gui.detail.view.status is S.FAILED, what="FAILED")
    gui.page.update_step_buttons()
    box = gui.page.ask_skip()
    assert "Skip step 1" in box.text()
    gui.click_destructive(box)
    until(gui.aloop, lambda: any("Skipped step 1" in line for line in gui.status_lines), what="the skip")
    until(gui.aloop, lambda: gui.detail.view.status is S.COMPLETED, what="the execution to complete")
    assert gui.waves(WaveColumn.STATUS) == ["CANCELLED (native SKIPPED)", "COMPLETED"]
    assert gui.errors == []


def test_history_lists_native_executions_filters_by_engine_and_prunes_only_the_finished_one(
        gui, harness, cli, tmp_path, drs):
    a, b, c, d = harness.healthy(4)
    _, backend_path = _plan_file(harness, tmp_path, [[d]], name="GUI backend plan")
    code, out, err = cli("run", str(backend_path), "--engine", "stepfunctions", "--json")
    assert code == 0, err
    (backend,) = [j["executionId"] for j in json_lines(out) if j.get("type") == "started"]
    plan, path = _plan_file(harness, tmp_path, [[a]], name="GUI finished plan")
    _publish(cli, path)
    done = gui.start(plan)
    until(gui.aloop, lambda: gui.detail.view is not None and gui.detail.view.status is S.COMPLETED, what="COMPLETED")
    plan2, path2 = _plan_file(harness, tmp_path, [[c], [b]], name="GUI active plan", delays={1: 120})
    _publish(cli, path2)
    active = gui.start(plan2)
    gui.wait_waves(WaveColumn.STATUS, lambda s: len(s) == 3 and "WAITING" in s[1], "the WAIT step")

    page = gui.history
    task = page.start_refresh()
    gui.aloop.run_until_complete(asyncio.wait_for(asyncio.shield(task), 30))
    rows = {page.model.item_at(r).execution_id: r for r in range(page.model.rowCount())}
    assert {done, active} <= set(rows)
    engine_of = {eid: page.model.index(r, HistoryColumn.ENGINE).data() for eid, r in rows.items()}
    assert engine_of[done] == engine_of[active] == "DRS native"
    assert engine_of[backend] == "Step Functions"  # beside the backend's executions
    status = page.model.index(rows[active], HistoryColumn.STATUS)
    assert status.data() == "RUNNING" and status.data(Qt.ItemDataRole.ToolTipRole) == "RUNNING (native IN_PROGRESS)"
    assert "DRS native plans" in page.status.text()

    page.engine_filter.setCurrentText("DRS native")
    shown = {page.proxy.index(r, 0).data(ITEM_ROLE).execution_id for r in range(page.proxy.rowCount())}
    native_ids = {r["recoveryPlanExecutionArn"].rsplit("/", 1)[-1]
                  for r in drs.list_recovery_plan_executions()["recoveryPlanExecutions"]}
    assert shown == native_ids
    page.engine_filter.setCurrentText("Step Functions")
    assert not {page.proxy.index(r, HistoryColumn.EXECUTION_ID).data() for r in range(page.proxy.rowCount())} & native_ids
    page.engine_filter.setCurrentText("Both engines")

    # Open in monitor: the native row's ARN, which the Executions page watches on the native engine
    opened = []
    page.open_execution.connect(opened.append)
    page._select_ids([done])
    page.open_selected()
    assert opened and ":recovery-plan-execution/" in opened[0]
    gui.page.open_execution(opened[0])
    assert gui.page.open_id == done

    # prune the two selected: the active one is kept, the finished one deleted (and counted first)
    page.open_prune()  # the preview of the one selected row starts
    page.prune_panel.set_selection(frozenset({done, active}))
    page.prune_panel.scope_selected.setChecked(True)
    from drs_console.domain.history import PruneScope

    # the selection changed: a new preview, which stops the one open_prune started (previewing beside
    # it, the earlier one could end last and leave its native part, without the active execution)
    task = page.start_preview()
    preview = gui.aloop.run_until_complete(asyncio.wait_for(asyncio.shield(task), 30))
    assert preview.scope == PruneScope.selected({done, active})
    native = page._native_prune
    assert [r.execution_id for r in native.to_delete] == [done] and native.active == [active]
    assert page.prune_panel.delete_button.text() == f"Delete {preview.delete_count + 1} execution(s)"
    assert "DRS native: <b>1</b>" in page.prune_panel.preview_label.text()
    gui.aloop.run_until_complete(page.prune(preview))
    left = {r["recoveryPlanExecutionArn"].rsplit("/", 1)[-1]
            for r in drs.list_recovery_plan_executions()["recoveryPlanExecutions"]}
    assert active in left and done not in left
    assert page.model.row_of(done) is None and page.model.row_of(active) is not None
    assert "DRS native: deleted 1 execution(s)" in page.prune_panel.result_label.text()
    cli("cancel", active)
    assert gui.errors == []
