"""Backend page: the deployed stack, its outputs and status, deploy with progress, and doctor."""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
)
from qasync import asyncSlot

from ...aws.backend import BackendService, DeployResult, StackEvent, StackInfo
from ...aws.deploy import deploy_backend
from ...aws.doctor import DoctorService, worst
from ...domain.contract import CONTRACT_VERSION, DEFAULT_STACK_NAME
from ...domain.errors import Finding
from ..connection import ConnectionController
from ..models.backend_models import EventColumn, FindingColumn, FindingsModel, OutputsModel, StackEventsModel
from ..table_view import ConsoleTableView
from ..tasks import TaskRunner
from ..widgets.badge import BadgeDelegate
from .base import Page

log = logging.getLogger(__name__)


class BackendPage(Page):
    key = "backend"
    title = "Backend"

    def __init__(self, controller: ConnectionController, runner: TaskRunner, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.stack_info: StackInfo | None = None
        self.findings: list[Finding] = []
        self._task: asyncio.Task | None = None
        self._loaded = asyncio.Event()
        self._refresh_generation = 0

        self.stack_name = QLineEdit(controller.settings.backend_stack_name or DEFAULT_STACK_NAME)
        self.stack_name.setMaximumWidth(220)
        self.refresh_button = QPushButton("Refresh")
        self.deploy_button = QPushButton("Deploy / update…")
        self.deploy_button.setToolTip("Create or update the stack from this console's reference backend (change set); "
                                      "the state machine may assume the known accounts' roles")
        self.doctor_button = QPushButton("Run doctor")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setMaximumWidth(200)
        self.progress.setVisible(False)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Stack"))
        bar.addWidget(self.stack_name)
        for w in (self.refresh_button, self.deploy_button, self.doctor_button, self.progress, self.cancel_button):
            bar.addWidget(w)
        bar.addStretch(1)

        self.stack_status = QLabel("Not connected.")
        self.stack_status.setObjectName("stackStatus")
        self.stack_status.setWordWrap(True)
        self.outputs = OutputsModel(self)
        self.outputs_view = ConsoleTableView()
        self.outputs_view.setModel(self.outputs)
        self.outputs_view.setColumnWidth(0, 170)
        stack_box = QGroupBox("Stack")
        sl = QVBoxLayout(stack_box)
        sl.addWidget(self.stack_status)
        sl.addWidget(self.outputs_view)

        self.findings_model = FindingsModel(self)
        self.findings_view = ConsoleTableView()
        self.findings_view.setSortingEnabled(False)  # doctor's order is the order of the checks
        self.findings_view.setModel(self.findings_model)
        self.findings_view.setItemDelegateForColumn(FindingColumn.LEVEL, BadgeDelegate(self.findings_view))
        self.findings_view.setColumnWidth(FindingColumn.LEVEL, 70)
        self.findings_view.setColumnWidth(FindingColumn.CHECK, 130)
        self.findings_view.setColumnWidth(FindingColumn.MESSAGE, 520)
        self.findings_view.setWordWrap(True)
        self.findings_view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.doctor_summary = QLabel("Doctor checks what is deployed against the contract this console speaks "
                                     f"(version {CONTRACT_VERSION}).")
        doctor_box = QGroupBox("Doctor")
        dl = QVBoxLayout(doctor_box)
        dl.addWidget(self.doctor_summary)
        dl.addWidget(self.findings_view)

        self.events = StackEventsModel(self)
        self.events_view = ConsoleTableView()
        self.events_view.setSortingEnabled(False)
        self.events_view.setModel(self.events)
        # the time and the status whole ("CREATE_IN_PROGRESS"), the resource what is left (cut in
        # the middle, whole in its tooltip), the reason the rest
        self.events_view.fit_to_viewport((EventColumn.TIME, EventColumn.STATUS), EventColumn.RESOURCE,
                                         elastic_min=100, rest_min=60)
        events_box = QGroupBox("Deployment events")
        el = QVBoxLayout(events_box)
        el.addWidget(self.events_view)

        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(stack_box)
        top.addWidget(events_box)
        top.setSizes([480, 520])
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(doctor_box)
        split.setSizes([230, 420])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)

        self.refresh_button.clicked.connect(self.on_refresh)
        self.deploy_button.clicked.connect(self.on_deploy)
        self.doctor_button.clicked.connect(self.on_doctor)
        self.cancel_button.clicked.connect(self.cancel)
        self.stack_name.editingFinished.connect(self._remember_stack)
        controller.connected.connect(lambda _i: self.start(self.refresh()))
        controller.disconnected.connect(self._disconnected)
        self._set_connected(False)

    # -- plumbing ------------------------------------------------------------------------------
    def _set_connected(self, on: bool) -> None:
        for b in (self.refresh_button, self.deploy_button, self.doctor_button):
            b.setEnabled(on)

    def _disconnected(self) -> None:
        self._set_connected(False)
        self.stack_status.setText("Not connected.")

    def _remember_stack(self) -> None:
        self.controller.settings.backend_stack_name = self.stack_name.text().strip() or DEFAULT_STACK_NAME

    def start(self, coro) -> asyncio.Task | None:
        if self._task is not None and not self._task.done():
            coro.close()
            return self._task
        self._task = self.runner.start(self._busy(coro), name="backend")
        return self._task

    async def _busy(self, coro):
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self._set_connected(False)
        try:
            return await coro
        finally:
            self.progress.setVisible(False)
            self.cancel_button.setVisible(False)
            self._set_connected(self.controller.is_connected)

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()

    @property
    def _name(self) -> str:
        return self.stack_name.text().strip() or DEFAULT_STACK_NAME

    # -- actions -------------------------------------------------------------------------------
    @asyncSlot()
    async def on_refresh(self) -> None:
        self.start(self.refresh())

    @asyncSlot()
    async def on_deploy(self) -> None:
        self.start(self.deploy())

    @asyncSlot()
    async def on_doctor(self) -> None:
        self.start(self.doctor())

    async def refresh(self) -> StackInfo | None:
        conn = self.controller.connection
        if conn is None:
            return None
        self._set_connected(True)
        # The newest refresh wins: one started before the stack name changed (the refresh that
        # connecting starts, say) must not paint the old stack over the new name's answer.
        self._refresh_generation += 1
        generation, name = self._refresh_generation, self._name
        info = await BackendService(conn).stack(name)
        events = await BackendService(conn).stack_events(info.stack_id) if info is not None else []
        if generation == self._refresh_generation:
            self.show_stack(info, name)
            self.events.set_items(events)
            self._loaded.set()
        return info

    def show_stack(self, info: StackInfo | None, name: str | None = None) -> None:
        self.stack_info = info
        if info is None:
            self.stack_status.setText(
                f"No stack named {(name or self._name)!r} in this account and region. "
                "Deploy the reference backend with “Deploy / update…”, or set the stack name you use."
            )
            self.outputs.set_items([])
            return
        when = info.last_updated.astimezone().strftime("%Y-%m-%d %H:%M") if info.last_updated else "?"
        ok = "ready" if info.is_usable else "NOT ready"
        reason = f" — {info.status_reason}" if info.status_reason else ""
        self.stack_status.setText(f"<b>{info.name}</b>: {info.status} ({ok}), last change {when}{reason}")
        self.outputs.set_items(sorted(info.outputs.items()))

    async def deploy(self) -> DeployResult | None:
        conn = self.controller.connection
        if conn is None:
            return None
        self._remember_stack()
        self.events.set_items([])
        self.stack_status.setText(f"Deploying {self._name}…")

        def progress(event: StackEvent) -> None:
            self.events.update_item(event)
            self.events_view.scrollToBottom()

        from ...domain.cross_account import state_machine_role

        # repairs out-of-band changes too, and grants the known accounts' roles (TargetRoleArns; none
        # taken away), as doctor's 'target-role' findings ask
        outcome = await deploy_backend(conn, self._name, progress=progress,
                                       add_target_roles=[state_machine_role(a) for a in self.controller.known_accounts])
        result = outcome.result
        if result.ok:
            await self.refresh()
            notes = [f"Repaired: {r}" for r in outcome.repairs] + [f"To do by hand: {m}" for m in outcome.manual]
            if notes:
                self.stack_status.setText(self.stack_status.text() + "<br>" + "<br>".join(notes))
        else:
            reasons = "; ".join(e.one_line() for e in result.failures) or result.status
            self.stack_status.setText(f"Deployment of {self._name} failed: {reasons}")
        return result

    async def doctor(self) -> list[Finding]:
        conn = self.controller.connection
        if conn is None:
            return []
        self.findings = []
        self.findings_model.set_items([])
        self.doctor_summary.setText("Running the checks…")

        def progress(finding: Finding) -> None:
            self.findings.append(finding)
            self.findings_model.update_item(finding)

        findings = await DoctorService(conn, probe_timeout=60.0).run(
            self._name, progress=progress, accounts=self.controller.known_accounts)
        self.findings = list(findings)
        self.findings_model.set_items(findings)
        counts = {lvl: sum(1 for f in findings if f.level == lvl) for lvl in ("PASS", "WARN", "FAIL")}
        self.doctor_summary.setText(
            f"Overall: {worst(findings)} — {counts['PASS']} passed, {counts['WARN']} warnings, {counts['FAIL']} failed."
        )
        return findings

    async def ready(self) -> None:
        if self.controller.is_connected:
            await self.refresh()
            await self.doctor()

    def shutdown(self) -> None:
        self.cancel()
