"""Run a plan: preflight checks, drill or recovery, typed confirmation, start.

Non-modal (``open()``), never ``exec()``: every AWS call runs as a task through the TaskRunner,
and the dialog only reacts to their results. Drill is the default. A real recovery shows the
account and region in red and enables Start only once the plan's name is typed exactly.
A BLOCK disables Start; the one exception is the target account/region block, which the operator
may override explicitly for a drill (never for a recovery). "Recover to": the latest data, or a
point in time picked in local time (its UTC equivalent shown); the preflight then resolves each
server's recovery snapshot (off the GUI thread) and lists it before Start is enabled.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from qasync import asyncSlot

from ..domain.errors import BadInput, ConsoleError
from ..domain.plan import Plan
from ..domain.point_in_time import resolution_lines
from ..domain.preflight import PreflightReport
from ..domain.text import printable
from .connection import ConnectionController
from .execution_engine import ExecutionEngine, PreflightResult
from .models.execution_models import CheckColumn, CheckModel
from .table_view import ConsoleTableView
from .tasks import TaskRunner
from .theme import BLUE, RED
from .widgets.confirm import destructive_box
from .widgets.engine_choice import EngineChoice
from .widgets.point_timeline import PointTimeline

log = logging.getLogger(__name__)


class RunDialog(QDialog):
    started = Signal(str)  # execution ID
    started_native = Signal(str)  # a DRS native execution's ID (the page shows it after the merge)

    def __init__(
        self,
        plan: Plan,
        engine: ExecutionEngine,
        controller: ConnectionController,
        runner: TaskRunner,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.plan = plan
        self.engine = engine
        self.controller = controller
        self.runner = runner
        self.result_: PreflightResult | None = None
        self.preflight_task: asyncio.Task | None = None
        self.start_task: asyncio.Task | None = None
        self.execution_id = ""
        self._boxes: list[QMessageBox] = []
        self.setWindowTitle(f"Run plan — {printable(plan.name)}")
        self.setModal(False)
        self.resize(860, 560)

        ident = controller.identity
        account, region = (ident.account_id, ident.region) if ident else ("(not connected)", "")
        servers = sum(len(w.servers) for w in plan.waves)
        selectors = sum(1 for w in plan.waves if w.selector)
        title = QLabel(f"<b style='font-size:14pt'>{_esc(printable(plan.name))}</b>")
        summary = QLabel(
            f"{len(plan.waves)} waves · {servers} listed servers"
            + (f" + {selectors} tag selectors" if selectors else "")
            + f" · failure policy {plan.failure_policy.value}"
            + f" · plan target {plan.target_account_id or '?'} / {plan.target_region or '?'}"
        )

        self.drill_radio = QRadioButton("Drill — launch test instances; production is untouched")
        self.drill_radio.setObjectName("drillRadio")
        self.recovery_radio = QRadioButton("Recovery — a REAL failover")
        self.recovery_radio.setObjectName("recoveryRadio")
        self.drill_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.drill_radio)
        group.addButton(self.recovery_radio)
        self.where_label = QLabel("")
        self.where_label.setObjectName("whereLabel")
        self.engine_choice = EngineChoice()
        self.native_task: asyncio.Task | None = None
        self.engine_choice.changed.connect(self._engine_changed)
        self._account, self._region = account, region

        # recovery confirmation
        self.recovery_frame = QFrame()
        self.recovery_frame.setObjectName("recoveryFrame")
        self.recovery_frame.setStyleSheet(
            f"QFrame#recoveryFrame {{ border: 2px solid {RED.name()}; background: #fce8e6; }}"
        )
        self.recovery_label = QLabel(
            f"<span style='color:{RED.name()}; font-size:13pt'><b>REAL RECOVERY in account {account} · {region}"
            "</b></span><br>This launches recovery instances for production use. Type the plan name exactly "
            "to confirm."
        )
        self.recovery_label.setWordWrap(True)
        self.confirm_edit = QLineEdit()
        self.confirm_edit.setObjectName("confirmEdit")
        self.confirm_edit.setPlaceholderText(plan.name)
        rl = QVBoxLayout(self.recovery_frame)
        rl.addWidget(self.recovery_label)
        rl.addWidget(self.confirm_edit)
        self.recovery_frame.setVisible(False)

        # what to recover to: the latest data, or a point in time (local time, its UTC shown)
        self.latest_radio = QRadioButton("Latest data")
        self.latest_radio.setObjectName("latestRadio")
        self.pit_radio = QRadioButton("Point in time:")
        self.pit_radio.setObjectName("pitRadio")
        self.latest_radio.setChecked(True)
        when = QButtonGroup(self)
        when.addButton(self.latest_radio)
        when.addButton(self.pit_radio)
        self.pit_edit = QDateTimeEdit(QDateTime.currentDateTime().addSecs(-3600))
        self.pit_edit.setObjectName("pitEdit")
        self.pit_edit.setCalendarPopup(True)
        self.pit_edit.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.pit_edit.setMaximumDateTime(QDateTime.currentDateTime())
        self.pit_edit.setEnabled(False)
        self.pit_utc_label = QLabel("")
        self.pit_utc_label.setObjectName("pitUtcLabel")
        # every server's recovery snapshots with the chosen point as a line (read off the GUI thread)
        self.point_timeline = PointTimeline(timeline_fetch(engine, plan))
        self.point_timeline.setVisible(False)
        self.timeline_task: asyncio.Task | None = None
        self.pit_label = QLabel("")  # the resolution: every server's snapshot, or why not
        self.pit_label.setObjectName("pitLabel")
        self.pit_label.setWordWrap(True)
        self.pit_label.setVisible(False)

        # preflight
        self.check_model = CheckModel(self)
        self.check_table = ConsoleTableView()
        self.check_table.setObjectName("preflightTable")
        self.check_table.setModel(self.check_model)
        self.check_table.setSortingEnabled(False)
        self.check_table.setWordWrap(True)
        self.check_table.setColumnWidth(CheckColumn.LEVEL, 60)
        self.check_table.setColumnWidth(CheckColumn.CHECK, 230)
        self.preflight_label = QLabel("Preflight: not run yet.")
        self.preflight_label.setObjectName("preflightLabel")
        # the plan's worst recovery point (its RPO now), from the preflight's recovery snapshots
        self.rpo_label = QLabel("")
        self.rpo_label.setObjectName("rpoLabel")
        self.rpo_label.setWordWrap(True)
        self.rpo_label.setVisible(False)
        self.rerun_button = QPushButton("Run preflight again")
        self.rerun_button.clicked.connect(self.start_preflight)
        self.override_check = QCheckBox(
            "Drill here anyway: override the target account/region block (drills only)"
        )
        self.override_check.setObjectName("overrideCheck")
        self.override_check.setVisible(False)
        self.override_check.toggled.connect(lambda _on: self.start_preflight())
        self.cleanup_button = QPushButton("Clean up leftover drill instances…")
        self.cleanup_button.setObjectName("cleanupButton")
        self.cleanup_button.setVisible(False)
        self.cleanup_button.clicked.connect(self.ask_cleanup)

        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton("Start drill", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("startButton")
        self.start_button.setEnabled(False)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.on_start_clicked)
        self.error_label = QLabel("")
        self.error_label.setObjectName("runError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {RED.name()};")

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(summary)
        layout.addWidget(self.where_label)
        modes = QHBoxLayout()
        modes.addWidget(self.drill_radio)
        modes.addWidget(self.recovery_radio)
        modes.addStretch(1)
        layout.addLayout(modes)
        layout.addWidget(self.engine_choice)
        point = QHBoxLayout()
        point.addWidget(QLabel("Recover to:"))
        point.addWidget(self.latest_radio)
        point.addWidget(self.pit_radio)
        point.addWidget(self.pit_edit)
        point.addWidget(self.pit_utc_label)
        point.addStretch(1)
        layout.addLayout(point)
        layout.addWidget(self.point_timeline)
        layout.addWidget(self.recovery_frame)
        pre = QHBoxLayout()
        pre.addWidget(self.preflight_label, 1)
        pre.addWidget(self.cleanup_button)
        pre.addWidget(self.rerun_button)
        layout.addLayout(pre)
        layout.addWidget(self.rpo_label)
        layout.addWidget(self.pit_label)
        layout.addWidget(self.check_table, 1)
        layout.addWidget(self.override_check)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

        self.drill_radio.toggled.connect(self._mode_changed)
        self.confirm_edit.textChanged.connect(lambda _t: self.update_start())
        self.pit_radio.toggled.connect(self._point_changed)
        self.pit_edit.dateTimeChanged.connect(lambda _d: self._point_changed())
        self._show_utc()
        self._mode_changed()

    # -- state ---------------------------------------------------------------------------------
    @property
    def drill(self) -> bool:
        return self.drill_radio.isChecked()

    def _mode_changed(self) -> None:
        drill = self.drill
        self.recovery_frame.setVisible(not drill)
        self.start_button.setText("Start drill" if drill else "Start RECOVERY")
        self.start_button.setStyleSheet(
            "" if drill else f"QPushButton {{ background: {RED.name()}; color: white; font-weight: bold; }}"
            "QPushButton:disabled { background: #f1aea9; }"
        )
        color = BLUE if drill else RED
        kind = "DRILL" if drill else "RECOVERY"
        self.where_label.setText(
            f"<span style='background:{color.name()}; color:white; font-weight:bold'>&nbsp;{kind}&nbsp;</span>"
            f"&nbsp; connected to account <b style='color:{color.name()}'>{self._account}</b> · region "
            f"<b style='color:{color.name()}'>{self._region}</b>"
        )
        if not drill and self.override_check.isChecked():
            self.override_check.blockSignals(True)
            self.override_check.setChecked(False)  # never for a recovery
            self.override_check.blockSignals(False)
        if self.result_ is not None or self.preflight_task is not None:
            self.start_preflight()  # the target rule depends on the mode
        self.update_start()

    @property
    def point_in_time(self) -> datetime | None:
        """The chosen point in time (aware, UTC, whole seconds), or None for the latest data."""
        if not self.pit_radio.isChecked():
            return None
        local = self.pit_edit.dateTime().toPython()  # naive, this machine's local time
        return local.astimezone().astimezone(UTC).replace(microsecond=0)

    def _show_utc(self) -> None:
        at = self.pit_edit.dateTime().toPython().astimezone()
        self.pit_utc_label.setText(f"local time = {at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC")

    def _point_changed(self) -> None:
        self.pit_edit.setEnabled(self.pit_radio.isChecked())
        self._show_utc()
        self._show_timeline()
        self.result_ = None  # a preflight of another point in time is not this one's
        self.pit_label.setVisible(False)
        self.start_preflight()
        if self.engine_choice.native:
            self._engine_changed()  # the native engine resolves the new time as well

    def _show_timeline(self) -> asyncio.Task | None:
        """With "Point in time": the plan's servers' snapshots and the chosen point as a line
        (read again when the preflight resolved servers a selector added)."""
        at = self.point_in_time
        self.point_timeline.setVisible(at is not None)
        if at is None:
            return None
        names = {r.source_server_id: r.name for w in self.plan.waves for r in w.servers if r.name}
        ids = [r.source_server_id for w in self.plan.waves for r in w.servers]
        report = self.result_.raw if self.result_ is not None else None
        if isinstance(report, PreflightReport):  # selectors resolved by the preflight
            ids += [s for w in report.waves for s in w.server_ids]
            names.update({sid: s.name for sid, s in report.servers.items() if s.name})
        loading = self.timeline_task is not None and not self.timeline_task.done()
        if self.preflight_task is not None and not self.preflight_task.done():
            loading = True  # its end shows the timeline, with the servers it resolved
        if loading or not self.point_timeline.needs_load(at, ids):
            self.point_timeline.set_point(at)
            return None
        if not self.controller.is_connected:
            self.point_timeline.fetch = None
        self.timeline_task = self.runner.start(self.point_timeline.load(ids, names, at), name="point-timeline",
                                               on_error=self._timeline_failed)
        return self.timeline_task

    def _timeline_failed(self, exc: BaseException) -> bool:
        self.point_timeline.status.setText(exc.one_line() if isinstance(exc, ConsoleError) else str(exc))
        return False  # shown under the timeline

    def confirmation_ok(self) -> bool:
        return self.drill or self.confirm_edit.text() == self.plan.name

    def blocking(self) -> list:
        if self.result_ is None:
            return []
        return [c for c in self.result_.checks if c.level == "BLOCK"]

    def update_start(self) -> None:
        running = self.preflight_task is not None and not self.preflight_task.done()
        starting = self.start_task is not None and not self.start_task.done()
        ok = (
            self.result_ is not None
            and not running
            and not starting
            and not self.blocking()
            and self.confirmation_ok()
            and self.controller.is_connected
        )
        if self.engine_choice.native:  # the native engine's own checks decide (the mapping, publish, drift)
            ok = self.engine_choice.ready and not starting and self.confirmation_ok() and self.controller.is_connected
        self.start_button.setEnabled(ok)
        if self.result_ is not None and not running:
            blocks = self.blocking()
            target_block = any(c.overridable for c in blocks)
            self.override_check.setVisible(self.drill and (target_block or self.override_check.isChecked()))
            if blocks:
                self.preflight_label.setText(
                    f"<b style='color:{RED.name()}'>Preflight: {len(blocks)} blocking</b> — fix them, then run it again."
                )
            elif not self.confirmation_ok():
                self.preflight_label.setText("Preflight passed. Type the plan name to enable Start.")

    def _show_pit_label(self) -> None:
        """The backend preflight's per-server table; the native engine shows its own (engine choice)."""
        self.pit_label.setVisible(bool(self.pit_label.text()) and self.point_in_time is not None
                                  and not self.engine_choice.native)

    # -- engine --------------------------------------------------------------------------------
    def _engine_changed(self) -> asyncio.Task | None:
        """The DRS native engine chosen: check its mapping, publication and drift (Start waits)."""
        if self.native_task is not None and not self.native_task.done():
            self.native_task.cancel()
        self.native_task = None
        self._show_pit_label()
        if self.engine_choice.native and self.controller.is_connected:
            self.error_label.setText("")  # a backend error (no stack, say) is not the native engine's
            self.engine_choice.set_checking()

            at = self.point_in_time  # the native check resolves it too (Start waits for its BLOCKs)
            timed = {"point_in_time": at} if at is not None else {}

            async def check() -> None:
                try:
                    found = await self.engine.native_check(self.plan, **timed)
                    if at != self.point_in_time:  # changed meanwhile: its own check follows
                        return
                    self.engine_choice.set_check(found)
                except ConsoleError as exc:
                    self.engine_choice.set_check(None, exc.one_line())
                self.update_start()

            self.native_task = self.runner.start(check(), name="native-check", on_error=self._failed)
        self.update_start()
        return self.native_task

    # -- preflight -------------------------------------------------------------------------------
    @asyncSlot()
    async def on_rerun_clicked(self) -> None:
        self.start_preflight()

    def start_preflight(self) -> asyncio.Task | None:
        if self.preflight_task is not None and not self.preflight_task.done():
            self.preflight_task.cancel()
        if not self.controller.is_connected:
            self.preflight_label.setText("Not connected: connect first, then run the preflight.")
            return None
        self.preflight_label.setText("Preflight: checking the plan against DRS…")
        self.preflight_task = self.runner.start(self.run_preflight(), name="preflight", on_error=self._failed)
        self.update_start()
        return self.preflight_task

    async def run_preflight(self) -> PreflightResult:
        override = self.drill and self.override_check.isChecked()
        at = self.point_in_time
        if at is not None and at > datetime.now(UTC):
            raise BadInput("The point in time is in the future.", "Choose a time before now.")
        timed = {"point_in_time": at} if at is not None else {}
        result = await self.engine.preflight(self.plan, override_target=override, drill=self.drill, **timed)
        if at != self.point_in_time:  # changed meanwhile: its own preflight follows
            return result
        self.result_ = result
        self.check_model.set_items(result.checks)
        self.check_table.resizeRowsToContents()
        levels = [c.level for c in result.checks]
        self.cleanup_button.setVisible(any(c.action == "cleanup" for c in result.checks))
        summary = ", ".join(f"{levels.count(x)} {x.lower()}" for x in ("PASS", "WARN", "BLOCK") if levels.count(x))
        self.preflight_label.setText(f"Preflight: {summary}.")
        report = result.raw
        rpo = report.rpo_line() if isinstance(report, PreflightReport) and report.recovery_points else ""
        if at is not None:
            rpo = ""  # what a point-in-time run recovers to is each server's snapshot, below
        self.rpo_label.setText(f"<b>{_esc(rpo)}</b>" if rpo else "")
        self.rpo_label.setVisible(bool(rpo))
        pit_lines = resolution_lines(report.resolutions) if isinstance(report, PreflightReport) and at else []
        self.pit_label.setText("<br>".join(_esc(line.strip()) for line in pit_lines))
        self._show_pit_label()
        self.preflight_task = None
        self._show_timeline()  # the servers a selector resolved to get their strips too
        self.update_start()
        return result

    def _failed(self, exc: BaseException) -> bool:
        self.preflight_task = None
        self.start_task = None
        self._show_timeline()
        text = exc.one_line() if isinstance(exc, ConsoleError) else str(exc)
        self.error_label.setText(text)
        self.update_start()
        return self.isVisible()  # shown here; once the dialog is gone, the error reporter says it

    # -- cleanup ---------------------------------------------------------------------------------
    def ask_cleanup(self) -> QMessageBox:
        box, yes = destructive_box(
            self,
            title="Clean up drill instances",
            text="Terminate the recovery instances left from earlier drills of this plan's servers?",
            informative="DRS runs a TERMINATE job for them. Source servers are not affected.",
            destructive="Terminate them",
        )
        box.buttonClicked.connect(lambda b: self.start_cleanup() if b is yes else None)
        self._boxes.append(box)
        box.finished.connect(lambda *_a, b=box: self._boxes.remove(b) if b in self._boxes else None)
        box.open()
        return box

    def start_cleanup(self) -> asyncio.Task:
        return self.runner.start(self.cleanup(), name="cleanup-leftovers", on_error=self._failed)

    async def cleanup(self) -> None:
        self.cleanup_button.setEnabled(False)
        try:
            async for line in self.engine.cleanup_leftovers(self.plan, self.result_):
                self.preflight_label.setText(f"Cleanup: {line}")
        finally:
            self.cleanup_button.setEnabled(True)
        self.start_preflight()

    # -- start -----------------------------------------------------------------------------------
    @asyncSlot()
    async def on_start_clicked(self) -> None:
        self.start_run()

    def start_run(self) -> asyncio.Task | None:
        if not self.start_button.isEnabled():
            return None
        self.error_label.setText("")
        self.start_task = self.runner.start(self.start(), name="start-run", on_error=self._failed)
        self.update_start()
        return self.start_task

    async def start(self) -> str:
        """Start the execution (the engine validates the input); then hand it to the page."""
        if not self.confirmation_ok():
            raise BadInput("The typed name does not match the plan's name.",
                           "Type the plan name exactly to start a recovery.")
        self.preflight_label.setText("Starting…")
        if self.engine_choice.native:
            check = self.engine_choice.check
            points = check.points if check is not None else None
            if (points.point_in_time if points is not None else None) != self.point_in_time:
                raise BadInput("The point in time changed since it was checked.", "Wait for the check, then Start.")
            extra = {"points": points} if points is not None else {}
            execution_id = await self.engine.start_native(self.plan, drill=self.drill,
                                                          confirmation=self.confirm_edit.text(), **extra)
            self.execution_id = execution_id
            self.start_task = None
            self.started_native.emit(execution_id)
            self.accept()
            return execution_id
        execution_id = await self.engine.start(
            self.plan,
            drill=self.drill,
            confirmation=self.confirm_edit.text(),
            override_target=self.drill and self.override_check.isChecked(),
            preflight=self.result_,
        )
        self.execution_id = execution_id
        self.start_task = None
        self.started.emit(execution_id)
        self.accept()
        return execution_id

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        for task in (self.preflight_task, self.start_task, self.native_task, self.timeline_task):
            if task is not None and not task.done() and result != QDialog.DialogCode.Accepted:
                task.cancel()
        super().done(result)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")



def timeline_fetch(engine: Any, plan: Plan) -> Any:
    """The engine's recovery-snapshot read for the timeline; a plan with servers other accounts hold
    (their ``accountId``) has them read in those accounts."""
    fetch = getattr(engine, "recovery_snapshots", None)
    remote = {r.source_server_id: r.account_id for w in plan.waves for r in w.servers if r.account_id}
    return functools.partial(fetch, account_of=remote) if fetch is not None and remote else fetch
