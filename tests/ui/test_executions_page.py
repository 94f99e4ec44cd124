"""The Executions page and the Run dialog: what an operator sees while a plan runs, and what the
controls do. The engine is faked (tests/ui/execution_fakes.py): each test feeds the monitor
stream update by update and waits on conditions, never on time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMainWindow, QMessageBox

from drs_console.aws.session import Identity
from drs_console.domain.execution import ExecutionType, StreamState
from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.status import ExecutionStatus as S
from drs_console.domain.status import LaunchStatus
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.models.execution_models import CheckRow, ExecutionColumn, ServerColumn, WaveColumn
from drs_console.ui.models.keyed_table import ITEM_ROLE
from drs_console.ui.notifications import Kind, Notifier
from drs_console.ui.pages.executions import ExecutionsPage
from drs_console.ui.run_dialog import RunDialog
from drs_console.ui.tasks import TaskRunner
from tests.ui.execution_fakes import T0, FakeEngine, event, server, update, view, wave

IDENT = Identity("123456789012", "arn:aws:sts::123456789012:assumed-role/dr-operator/alice", "us-east-1")


def until(aloop, predicate, timeout: float = 30.0, what: str = "") -> None:
    """Run the event loop until ``predicate()`` holds (fails after ``timeout`` s)."""

    async def wait():
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or predicate}")
            await asyncio.sleep(0.005)

    aloop.run_until_complete(wait())


class Harness:
    def __init__(self, qtbot, aloop, executions=None):
        self.aloop = aloop
        self.reporter = ErrorReporter()
        self.reporter.interactive = False
        self.errors: list[tuple[str, str]] = []
        self.reporter.shown.connect(lambda t, x: self.errors.append((t, x)))
        self.runner = TaskRunner(self.reporter.report)
        self.controller = ConnectionController(Settings(), persist=False)
        self.engine = FakeEngine(executions)
        self.window = QMainWindow()
        self.notifier = Notifier(lambda: self.window.statusBar(), use_tray=False)
        self.page = ExecutionsPage(self.controller, self.runner, engine=self.engine, notifier=self.notifier)
        self.window.setCentralWidget(self.page)
        self.window.resize(1280, 760)
        qtbot.addWidget(self.window)

    def connect(self, ident=IDENT):
        self.controller.connection = object()
        self.controller.identity = ident
        self.controller.connected.emit(ident)
        until(self.aloop, lambda: self.page._loaded.is_set(), what="the list")

    def monitor(self, eid):
        until(self.aloop, lambda: eid in self.engine.monitors and self.engine.monitor_of(eid).started,
              what=f"a monitor of {eid}")
        return self.engine.monitor_of(eid)

    def push(self, eid, upd):
        session = self.page.sessions[eid]
        seen = session.updates_seen
        self.monitor(eid).push(upd)
        until(self.aloop, lambda: session.updates_seen > seen, what="the update to be applied")

    def close(self):
        self.page.shutdown()
        self.runner.cancel_all()


@pytest.fixture
def h(qtbot, aloop):
    harness = Harness(qtbot, aloop, [
        view("exec-done-new", S.COMPLETED, started=T0.replace(hour=4), ended=T0.replace(hour=5)),
        view("exec-active", S.RUNNING),
        view("exec-failed-old", S.FAILED, started=T0.replace(hour=1), ended=T0.replace(hour=2)),
    ])
    yield harness
    harness.close()


def status_lines(page) -> list[str]:
    """Every text the page's status line shows from now on (the monitor's next update replaces an
    action's message, so waiting for it as the current text would race that update)."""
    shown: list[str] = []
    original = page.status.setText
    page.status.setText = lambda text: (shown.append(text), original(text))
    return shown


def list_ids(page):
    return [page.proxy.index(r, 0).data(ITEM_ROLE).execution_id for r in range(page.proxy.rowCount())]


def wave_cells(page, column):
    m = page.detail.wave_model
    return [m.index(r, column).data() for r in range(m.rowCount())]


# ------------------------------------------------------------------------------------------------
def test_connect_lists_active_first_and_reattaches_to_running_executions(h):
    h.connect()
    assert list_ids(h.page) == ["exec-active", "exec-done-new", "exec-failed-old"]
    # re-attach: the running execution is watched and opened; finished ones are not polled
    assert set(h.engine.monitors) == {"exec-active"}
    assert h.page.open_id == "exec-active"
    assert h.page.sessions["exec-active"].running
    assert "1 active" in h.page.status.text()


def test_monitor_updates_change_rows_and_badges_in_place(h):
    h.connect()
    page, detail = h.page, h.page.detail
    resets = []  # models that were reset while they held rows (a first load into an empty model is one reset)
    for model in (page.model, detail.wave_model, detail.server_model, detail.event_model):
        model.modelAboutToBeReset.connect(lambda m=model: resets.append(m) if m.rowCount() else None)
    changed_rows = []
    detail.wave_model.dataChanged.connect(lambda a, b, roles=(): changed_rows.extend(range(a.row(), b.row() + 1)))
    h.push("exec-active", update(view("exec-active", S.RUNNING), events=[event(1, "JOB_START")]))
    detail.wave_table.selectRow(1)

    w0 = wave(0, S.COMPLETED, job="drsjob-aaaa1", start=T0, end=T0.replace(minute=59),
              servers=[server(1, launch=LaunchStatus.LAUNCHED, instance="i-0ec2000000000001", state="RUNNING")],
              launched=1)
    w1 = wave(1, S.STARTED, job="drsjob-bbbb2", start=T0.replace(minute=59),
              servers=[server(2, launch=LaunchStatus.IN_PROGRESS), server(3, launch=LaunchStatus.FAILED,
                                                                         reason="LAUNCH_FAILED: quota")], failed=1)
    changed_rows.clear()
    h.push("exec-active", update(view("exec-active", S.RUNNING, waves=(w0, w1)), events=[
        event(1, "JOB_START"), event(30, "LAUNCH_START", 2), event(40, "LAUNCH_FAILED", 3, "quota")]))

    assert resets == []
    assert set(changed_rows) == {0, 1}
    assert wave_cells(page, WaveColumn.STATUS) == ["COMPLETED", "STARTED"]
    assert wave_cells(page, WaveColumn.JOB_ID) == ["drsjob-aaaa1", "drsjob-bbbb2"]
    assert wave_cells(page, WaveColumn.ENDED)[0] == "02:59:00"
    # selection survived the update
    assert [i.row() for i in detail.wave_table.selectionModel().selectedRows()] == [1]
    # the selected wave's servers, every column the issue names
    assert detail.server_proxy.wave_index == 1 and detail.server_proxy.rowCount() == 2
    detail.select_wave(None)
    sm = detail.server_model
    row0 = {c: sm.index(sm.row_of("0/" + server(1).source_server_id), c).data() for c in ServerColumn}
    assert row0[ServerColumn.NAME] == "pay-srv-01" and row0[ServerColumn.SOURCE_INSTANCE_ID].startswith("i-")
    assert row0[ServerColumn.SOURCE_ACCOUNT_ID] == "330992064277" and row0[ServerColumn.REPLICATION] == "CONTINUOUS"
    assert row0[ServerColumn.LAUNCH] == "LAUNCHED" and row0[ServerColumn.EC2_INSTANCE_ID] == "i-0ec2000000000001"
    assert row0[ServerColumn.RECOVERY_INSTANCE_ID].startswith("i-rec") and row0[ServerColumn.EC2_STATE] == "RUNNING"
    # the job log: newest first, server names resolved from the waves
    ep = detail.event_proxy
    assert [ep.index(r, 2).data() for r in range(ep.rowCount())] == ["LAUNCH_FAILED", "LAUNCH_START", "JOB_START"]
    assert ep.index(0, 3).data() == "pay-srv-03"
    # header badges
    assert detail.status_badge.text() == "RUNNING" and detail.type_badge.text() == "DRILL"
    assert "#1a73e8" in detail.type_badge.styleSheet()
    assert "1/2 servers launched" not in detail.progress_label.text()  # 1 of 3 servers
    assert "1/3 servers launched" in detail.progress_label.text() and "1 failed" in detail.progress_label.text()
    # the list row follows the monitor
    row = page.model.row_of("exec-active")
    assert page.model.index(row, ExecutionColumn.WAVES).data() == "1/2 completed"
    # the Gantt draws one bar per started wave, the running one up to now
    rects = detail.timeline.bar_rects()
    assert set(rects) == {0, 1} and rects[1].left() >= rects[0].left()
    assert not detail.timeline.grab().isNull()


def test_recovery_is_red_and_elapsed_ticks_from_a_timer(h):
    h.connect()
    detail = h.page.detail
    h.push("exec-active", update(view("exec-active", S.RUNNING, kind=ExecutionType.RECOVERY)))
    assert detail.type_badge.text() == "RECOVERY" and "#d93025" in detail.type_badge.styleSheet()
    assert "123456789012" in detail.target_label.text() and "#d93025" in detail.target_label.styleSheet()
    assert h.page.ticker.isActive() and h.page.ticker.interval() == 1000
    detail.elapsed_label.setText("")
    h.page.tick()  # what the timer calls every second: no AWS call
    assert detail.elapsed_label.text().startswith("elapsed ")
    assert len(h.engine.monitors["exec-active"]) == 1


def test_closing_the_detail_and_the_page_cancel_their_monitor_tasks(h):
    h.connect()
    monitor = h.monitor("exec-active")
    task = h.page.sessions["exec-active"].task
    h.page.detail.buttons["close"].click()
    h.aloop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    assert task.cancelled() and monitor.cancelled and monitor.stopped
    assert "exec-active" not in h.page.sessions and h.page.open_id == ""
    # open a finished one, then shut the page down
    h.page.open_execution("exec-done-new")
    other = h.monitor("exec-done-new")
    task = h.page.sessions["exec-done-new"].task
    h.page.shutdown()
    h.aloop.run_until_complete(asyncio.gather(task, return_exceptions=True))
    assert task.cancelled() and other.cancelled and not h.page.sessions


def test_notifications_on_pause_wave_failure_and_end(h):
    h.connect()
    eid = "exec-active"
    h.push(eid, update(view(eid, S.PAUSED, waves=(wave(0, S.PAUSED, pause=True),))))
    assert h.notifier.sent == []  # the state found on attaching is not news
    h.push(eid, update(view(eid, S.RUNNING)))
    h.push(eid, update(view(eid, S.PAUSED, waves=(wave(0, S.COMPLETED, job="j1", start=T0, end=T0),
                                                  wave(1, S.PAUSED, pause=True)))))
    assert [n.kind for n in h.notifier.sent] == [Kind.PAUSED]
    assert "wave 2" in h.notifier.sent[0].title
    h.push(eid, update(view(eid, S.RUNNING, waves=(wave(0, S.COMPLETED, job="j1", start=T0, end=T0),
                                                   wave(1, S.PARTIAL, job="j2", start=T0, end=T0, failed=1)))))
    h.push(eid, update(view(eid, S.PARTIAL, ended=T0.replace(hour=3),
                            waves=(wave(0, S.COMPLETED, job="j1", start=T0, end=T0),
                                   wave(1, S.PARTIAL, job="j2", start=T0, end=T0, failed=1)))))
    assert [n.kind for n in h.notifier.sent] == [Kind.PAUSED, Kind.WAVE_FAILED, Kind.ENDED]
    assert h.notifier.sent[1].critical and "PARTIAL" in h.notifier.sent[2].title
    # no tray offscreen: the status bar says it
    assert "PARTIAL" in h.window.statusBar().currentMessage()
    # the ENDED update stops the monitor by itself
    until(h.aloop, lambda: not h.page.sessions[eid].running, what="the monitor to end")
    assert h.page.detail.status_badge.text() == "PARTIAL"


def test_reconnecting_and_credentials_expired_banners(h, monkeypatch):
    h.connect()
    eid = "exec-active"
    detail = h.page.detail
    h.push(eid, update(view(eid, S.RUNNING)))
    assert not detail.banner.isVisibleTo(detail)
    h.push(eid, update(view(eid, S.RUNNING), StreamState.RECONNECTING, message="AWS unreachable", changed=False))
    assert detail.banner.isVisibleTo(detail) and "Reconnecting" in detail.banner_label.text()
    assert not detail.banner_button.isVisibleTo(detail)
    assert "stale" in detail.live_label.text()
    h.push(eid, update(view(eid, S.RUNNING), StreamState.AUTH_PAUSED, message="SSO session expired", changed=False))
    assert "Credentials expired" in detail.banner_label.text()
    assert detail.banner_button.isVisibleTo(detail) and detail.banner_button.text() == "Re-authenticate"

    connects = []

    async def fake_connect(**kw):
        connects.append(kw)
        h.controller.connection = object()
        h.controller.identity = IDENT
        h.controller.connected.emit(IDENT)
        return IDENT

    monkeypatch.setattr(h.controller, "connect", fake_connect)
    monitor = h.engine.monitor_of(eid)
    h.aloop.run_until_complete(h.page.reauthenticate())
    assert connects and monitor.reauth_conns == ["new-conn"]  # the monitor's resume hook
    assert len(h.engine.monitors[eid]) == 1  # the same monitor goes on
    h.push(eid, update(view(eid, S.RUNNING)))
    assert not detail.banner.isVisibleTo(detail) and "live" in detail.live_label.text()


def test_resume_and_cancel_with_non_blocking_confirmation(h):
    h.connect()
    eid = "exec-active"
    detail = h.page.detail
    h.push(eid, update(view(eid, S.PAUSED, waves=(wave(0, S.PAUSED, pause=True),))))
    assert detail.buttons["resume"].isEnabled() and detail.buttons["cancel"].isEnabled()
    h.aloop.run_until_complete(h.page.resume_open())
    assert h.engine.resumed == [eid] and h.engine.monitor_of(eid).pokes == 1
    box = h.page.ask_cancel()
    # opened window-modal with open(), not exec()ed: the call returned with the box still up
    assert box.isVisible() and box.windowModality() == Qt.WindowModality.WindowModal
    destructive = next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    shown = status_lines(h.page)
    destructive.click()
    until(h.aloop, lambda: any("Cancel of" in t for t in shown), what="the cancel")
    assert h.engine.cancelled == [eid] and h.engine.monitor_of(eid).pokes >= 2


def test_terminate_the_instances_of_a_finished_drill_shows_progress(h):
    h.connect()
    eid = "exec-active"
    detail = h.page.detail
    done = view(eid, S.COMPLETED, ended=T0.replace(hour=3), waves=(
        wave(0, S.COMPLETED, job="j1", start=T0, end=T0, launched=1,
             servers=[server(1, launch=LaunchStatus.LAUNCHED, instance="i-0ec2000000000001", state="RUNNING")]),))
    h.push(eid, update(done))
    assert detail.buttons["terminate"].isEnabled() and not detail.buttons["cancel"].isEnabled()
    progress = []
    original = detail.set_progress
    detail.set_progress = lambda text: (progress.append(text), original(text))
    box = h.page.ask_terminate()
    assert "1 recovery instances" in box.text()
    shown = status_lines(h.page)
    next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()
    until(h.aloop, lambda: any("terminated" in t for t in shown), what="the terminate job")
    assert h.engine.terminated == [eid]
    assert any("TERMINATE job drsjob-term1" in p for p in progress) and progress[-1] == ""


def test_export_report_html_and_csv_atomically(h, tmp_path):
    h.connect()
    h.push("exec-active", update(view("exec-active", S.RUNNING), events=[event(1, "JOB_START")]))
    out = tmp_path / "reports"
    html = h.page.export_report(out / "r.html")
    csv = h.page.export_report(out / "r.csv")
    assert html.read_text() == "html:exec-active:1" and csv.read_text() == "csv:exec-active:1"
    assert sorted(p.name for p in out.iterdir()) == ["r.csv", "r.html"]  # no temp files left
    dialog = h.page.choose_export()
    assert dialog.isVisible()
    dialog.close()


# -- the run dialog --------------------------------------------------------------------------------
def sample_plan() -> Plan:
    plan = Plan.new("Payments regional failover", target_account_id="123456789012", target_region="us-east-1",
                    wave_names=["Databases"])
    plan.waves[0].servers.append(ServerRef("s-079dcdb51b3fd80be", "pay-db-01"))
    return plan


def open_dialog(h) -> RunDialog:
    h.connect()
    dialog = h.page.open_run_dialog(sample_plan())
    until(h.aloop, lambda: dialog.result_ is not None and dialog.preflight_task is None, what="the preflight")
    return dialog


def test_drill_is_the_default_and_starts_then_opens_the_execution(h):
    dialog = open_dialog(h)
    assert dialog.isVisible() and dialog.drill and dialog.start_button.isEnabled()
    assert dialog.start_button.text() == "Start drill"
    dialog.start_button.click()
    until(h.aloop, lambda: h.page.open_id == "exec-started-1", what="the started execution to open")
    assert h.engine.started == [{"plan": "Payments regional failover", "drill": True, "override": False}]
    assert not dialog.isVisible()
    assert h.page.sessions["exec-started-1"].running


def test_recovery_requires_typing_the_exact_plan_name(h):
    dialog = open_dialog(h)
    dialog.recovery_radio.setChecked(True)
    until(h.aloop, lambda: dialog.preflight_task is None, what="the preflight of the recovery")
    assert h.engine.preflights[-1]["drill"] is False
    assert dialog.recovery_frame.isVisible()
    assert "123456789012" in dialog.recovery_label.text() and "us-east-1" in dialog.recovery_label.text()
    assert "#d93025" in dialog.recovery_label.text()
    assert not dialog.start_button.isEnabled()
    for wrong in ("payments regional failover", "Payments regional failover ", "Payments"):
        dialog.confirm_edit.setText(wrong)
        assert not dialog.start_button.isEnabled(), wrong
    assert dialog.start_run() is None
    dialog.confirm_edit.setText("Payments regional failover")
    assert dialog.start_button.isEnabled() and dialog.start_button.text() == "Start RECOVERY"
    dialog.start_button.click()
    until(h.aloop, lambda: h.engine.started, what="the recovery to start")
    assert h.engine.started[0]["drill"] is False


def test_a_block_disables_start_and_only_the_target_block_can_be_overridden_for_a_drill(h):
    h.engine.checks = [
        CheckRow("0:target", "BLOCK", "Target account and region", "Connected to account 999", "Connect to …",
                 overridable=True),
        CheckRow("1:servers", "PASS", "Source servers", "ok"),
    ]
    dialog = open_dialog(h)
    assert not dialog.start_button.isEnabled()
    assert dialog.override_check.isVisible()
    dialog.override_check.setChecked(True)
    until(h.aloop, lambda: h.engine.preflights[-1]["override"] and dialog.preflight_task is None)
    assert dialog.start_button.isEnabled()
    # never for a recovery
    dialog.recovery_radio.setChecked(True)
    until(h.aloop, lambda: dialog.preflight_task is None and not h.engine.preflights[-1]["drill"])
    dialog.confirm_edit.setText(dialog.plan.name)
    assert not dialog.override_check.isChecked() and not dialog.override_check.isVisible()
    assert not dialog.start_button.isEnabled()
    # any other block cannot be overridden
    h.engine.checks = [CheckRow("0:target", "BLOCK", "Target", overridable=True),
                       CheckRow("1:servers", "BLOCK", "Source servers", "STALLED")]
    dialog.drill_radio.setChecked(True)
    until(h.aloop, lambda: dialog.preflight_task is None and h.engine.preflights[-1]["drill"])
    dialog.override_check.setChecked(True)
    until(h.aloop, lambda: dialog.preflight_task is None and h.engine.preflights[-1]["override"])
    assert not dialog.start_button.isEnabled() and "1 blocking" in dialog.preflight_label.text()


def test_leftover_drill_instances_can_be_cleaned_up_from_the_dialog(h):
    h.engine.checks = [CheckRow("0:leftovers", "WARN", "Leftover drill instances", "2 instances", action="cleanup")]
    dialog = open_dialog(h)
    assert dialog.cleanup_button.isVisible() and dialog.start_button.isEnabled()
    before = len(h.engine.preflights)
    box = dialog.ask_cleanup()
    next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole).click()
    until(h.aloop, lambda: h.engine.cleanups == 1 and len(h.engine.preflights) > before and
          dialog.preflight_task is None, what="cleanup then preflight again")


# -- against the real engine in the sandbox ----------------------------------------------------------
@pytest.mark.e2e
def test_a_short_sandbox_drill_is_shown_live_to_completed_with_drs_job_ids(qtbot, aloop):
    """The real engine: the run dialog's preflight and start, the ExecutionMonitor, the reference
    state machine in the sandbox, the DRS simulator. The page ends showing what DRS did."""
    from drs_console.sandbox import Sandbox

    boxes = {}

    def factory():
        boxes["sandbox"] = Sandbox(backend=True, servers=12, seed=7, speed=600.0)
        return boxes["sandbox"]

    reporter = ErrorReporter()
    reporter.interactive = False
    errors = []
    reporter.shown.connect(lambda t, x: errors.append((t, x)))
    runner = TaskRunner(reporter.report)
    controller = ConnectionController(Settings(), sandbox_factory=factory, persist=False)
    window = QMainWindow()
    notifier = Notifier(lambda: window.statusBar(), use_tray=False)
    page = ExecutionsPage(controller, runner, notifier=notifier, poll_seconds=0.2)
    window.setCentralWidget(page)
    qtbot.addWidget(window)
    try:
        aloop.run_until_complete(controller.connect(sandbox=True))
        until(aloop, lambda: page._loaded.is_set(), timeout=60, what="the executions list")
        sandbox = boxes["sandbox"]
        ids = sandbox.drs.server_ids()[:3]
        for sid in ids:
            sandbox.drs.set_replication_state(sid, "CONTINUOUS")
        plan = Plan.new("E2E drill", target_account_id=IDENT.account_id, target_region="us-east-1",
                        wave_names=["DB", "App"])
        plan.poll_interval_seconds = 5  # the plan format's minimum
        plan.waves[0].servers.append(ServerRef(ids[0]))
        plan.waves[1].servers.extend([ServerRef(ids[1]), ServerRef(ids[2])])

        dialog = page.open_run_dialog(plan)
        until(aloop, lambda: dialog.result_ is not None and dialog.preflight_task is None, timeout=30,
              what="the preflight")
        assert not dialog.blocking(), dialog.result_.checks
        assert dialog.start_button.isEnabled()
        dialog.start_button.click()
        until(aloop, lambda: page.open_id.startswith("e2e-drill"), timeout=30, what="the drill to open")
        eid = page.open_id
        until(aloop, lambda: page.detail.view is not None and page.detail.view.status is S.COMPLETED,
              timeout=120, what="the drill to complete")

        detail = page.detail
        view = detail.view
        assert detail.status_badge.text() == "COMPLETED" and detail.type_badge.text() == "DRILL"
        assert wave_cells(page, WaveColumn.STATUS) == ["COMPLETED", "COMPLETED"]
        drs = sandbox.client("drs")
        jobs = {}
        for job in drs.describe_jobs()["items"]:
            if job.get("tags", {}).get("drs-console:execution-id") == eid:
                jobs[job["jobID"]] = sorted(p["sourceServerID"] for p in job["participatingServers"])
        shown = wave_cells(page, WaveColumn.JOB_ID)
        assert sorted(shown) == sorted(jobs) and len(shown) == 2
        assert jobs[shown[0]] == [ids[0]] and jobs[shown[1]] == sorted(ids[1:])
        sm = detail.server_model
        launched = [sm.index(r, ServerColumn.LAUNCH).data() for r in range(sm.rowCount())]
        assert launched == ["LAUNCHED"] * 3
        assert all(sm.index(r, ServerColumn.EC2_INSTANCE_ID).data().startswith("i-") for r in range(3))
        assert detail.event_model.rowCount() > 0
        assert [n.kind for n in notifier.sent][-1] == Kind.ENDED
        assert detail.buttons["terminate"].isEnabled()
        assert view.is_drill and errors == []
    finally:
        page.shutdown()
        runner.cancel_all()
        controller.close()


def test_a_failed_execution_says_why_in_the_header_and_the_counters_follow_every_change(h):
    h.connect()
    page, detail = h.page, h.page.detail
    changed = []
    page.execution_changed.connect(changed.append)
    assert page.status.text().startswith("1 active · 3 executions")
    # an execution started elsewhere appears through its monitor: counted at once, History told
    page.watch("exec-new")
    h.push("exec-new", update(view("exec-new", S.RUNNING)))
    assert page.status.text().startswith("2 active · 4 executions") and changed == ["exec-new"]
    h.push("exec-new", update(view("exec-new", S.RUNNING)))  # nothing changed: History is not told again
    assert changed == ["exec-new"]
    # the open one fails: the header shows the error and the cause (not only a tooltip)
    eid = "exec-active"
    h.push(eid, update(view(eid, S.RUNNING)))
    failed = view(eid, S.FAILED, ended=T0.replace(hour=4), waves=(
        wave(0, S.FAILED, job="drsjob-aaaa1", start=T0, end=T0.replace(minute=59), failed=1,
             servers=[server(1, launch=LaunchStatus.FAILED, reason="InsufficientInstanceCapacity: none")]),
        wave(1, None, servers=[server(2)])))
    failed = replace(failed, error="DrsConsole.WaveFailed", cause="wave 1 FAILED: STOP_ON_FAILURE")
    h.push(eid, update(failed))
    assert not detail.error_label.isHidden()  # (the window is not shown: isHidden says it would be)
    assert detail.error_label.text() == "FAILED: DrsConsole.WaveFailed: wave 1 FAILED: STOP_ON_FAILURE"
    assert page.status.text().startswith("1 active · 4 executions") and changed[-1] == eid
    # the same wave counts in the header and the list (and History: the same WaveTally)
    row = page.model.row_of(eid)
    assert page.model.index(row, ExecutionColumn.WAVES).data() == "0/2 completed, 1 failed"
    assert "waves 0/2 completed, 1 failed" in detail.progress_label.text()
    assert "0/2 servers launched" in detail.progress_label.text()
    # the servers that did not launch say why, in the Failure column
    sm = detail.server_model
    reasons = {sm.index(r, ServerColumn.NAME).data(): sm.index(r, ServerColumn.FAILURE).data()
               for r in range(sm.rowCount())}
    assert reasons["pay-srv-01"] == "InsufficientInstanceCapacity: none"
    # the Gantt names what happened to a wave with no bar
    assert detail.timeline.bar_rects().keys() == {0}
    # the notification says what happened in words that match the numbers
    wave_note = next(n for n in h.notifier.sent if n.kind == Kind.WAVE_FAILED)
    assert wave_note.title.endswith('wave 1 "Databases" FAILED: 1 of 1 server failed to launch')
    assert wave_note.message.startswith("1 of 1 server failed to launch: pay-srv-01 (s-")
    ended = next(n for n in h.notifier.sent if n.kind == Kind.ENDED)
    assert "waves 0/2 completed, 1 failed" in ended.message and "DrsConsole.WaveFailed" in ended.message
    # back to a healthy execution: the error line goes
    detail.show_view(view("exec-done-new", S.COMPLETED, started=T0, ended=T0.replace(hour=5)))
    assert detail.error_label.isHidden() and detail.error_label.text() == ""


def test_a_run_started_here_that_pauses_before_the_monitor_first_reads_it_notifies(h):
    """The state found on attaching to a running execution is not news; a run the operator started
    from this window that already waits for approval before wave 1 (or has failed a wave) when the
    monitor first reads it is: it must not sit silently PAUSED."""
    h.connect()
    dialog = open_dialog(h)
    dialog.start_button.click()
    eid = "exec-started-1"
    until(h.aloop, lambda: h.page.open_id == eid, what="the started execution to open")
    h.push(eid, update(view(eid, S.PAUSED, waves=(wave(0, S.PAUSED, pause=True),))))
    assert [n.kind for n in h.notifier.sent] == [Kind.PAUSED]
    assert "PAUSED before wave 1" in h.notifier.sent[0].title
    h.push(eid, update(view(eid, S.PAUSED, waves=(wave(0, S.PAUSED, pause=True),))))
    assert len(h.notifier.sent) == 1  # the same pause, read again, is not sent twice


def test_an_actions_message_is_not_wiped_by_the_next_monitor_update(h):
    """'Resumed …' stays on the status line while monitor updates arrive (one a second on a live
    execution), then the counters come back by themselves."""
    h.connect()
    eid = "exec-active"
    h.push(eid, update(view(eid, S.PAUSED, waves=(wave(0, S.PAUSED, pause=True),))))
    h.aloop.run_until_complete(h.page.resume_open())
    assert h.page.status.text() == f"Resumed {eid}."
    h.push(eid, update(view(eid, S.RUNNING)))
    h.push(eid, update(view(eid, S.RUNNING, waves=(wave(0, S.STARTED, job="j1", start=T0),))))
    assert h.page.status.text() == f"Resumed {eid}."  # two updates later, still readable
    h.aloop.run_until_complete(h.page.refresh())  # a reload of the list (as after a start) keeps it too
    assert h.page.status.text() == f"Resumed {eid}."
    h.page._note_timer.setInterval(20)  # what ACTION_NOTE_MS (10 s) does, without waiting 10 s
    h.page._note_timer.start()
    until(h.aloop, lambda: h.page.status.text().startswith("1 active · 3 executions"), what="the counters")
