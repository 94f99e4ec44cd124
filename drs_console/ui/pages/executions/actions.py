"""What the operator does to the open execution: Resume, Cancel, Terminate drill instances,
Export report, re-authenticate or retry live updates, and running a plan (the Run dialog).

A mixin of ExecutionsPage (it uses the page's ``detail``, ``engine``, ``runner``, ``controller``,
``status``, ``open_id``, ``watch`` and ``open_execution``): one place for the controls, apart from
the list and the watching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox
from qasync import asyncSlot

from ....domain.execution import ExecutionView, StreamState
from ....domain.plan import Plan
from ....domain.text import printable
from ....store.atomic import atomic_write_text
from ...widgets.confirm import destructive_box


class ExecutionActions:
    @asyncSlot()
    async def on_resume_clicked(self) -> None:
        self._action(self.resume_open(), "resume")

    def _action(self, coro, name: str) -> asyncio.Task:
        self._action_task = self.runner.start(coro, name=f"execution-{name}")
        return self._action_task

    async def resume_open(self) -> None:
        execution_id = self.open_id
        if not execution_id:
            return
        self.detail.buttons["resume"].setEnabled(False)
        await self.engine.resume(execution_id)
        self._poke(execution_id)
        self.status.setText(f"Resumed {execution_id}.")

    def _poke(self, execution_id: str) -> None:
        session = self.sessions.get(execution_id)
        if session is not None and session.monitor is not None:
            self.engine.poke(session.monitor)

    def ask_cancel(self) -> QMessageBox | None:
        view = self.detail.view
        if view is None or view.is_terminal:
            return None
        kind = "drill" if view.is_drill else "RECOVERY"
        box, yes = destructive_box(
            self,
            title="Cancel execution",
            text=f"Cancel the {kind} of {printable(view.plan_name)!r}?",
            informative="The execution stops after its current step: no further wave starts. Instances "
            "already launched keep running (terminate a drill's instances afterwards).",
            destructive="Cancel execution",
            safe="Keep running",
        )
        box.buttonClicked.connect(
            lambda b, eid=view.execution_id: self._action(self.cancel(eid), "cancel") if b is yes else None
        )
        self._keep(box)
        box.open()
        return box

    async def cancel(self, execution_id: str) -> None:
        """Cancel, polling or paused; returns once the execution has stopped (the monitor shows
        CANCELLING, then CANCELLED)."""
        self.detail.buttons["cancel"].setEnabled(False)
        self.status.setText(f"Cancelling {execution_id}: it stops after its current step…")
        cancelling = asyncio.get_running_loop().call_later(0.5, self._poke, execution_id)
        try:
            result = await self.engine.cancel(execution_id)
        finally:
            cancelling.cancel()
        self._poke(execution_id)
        how = getattr(result, "how", "") or getattr(result, "value", "") or "requested"
        record = getattr(result, "record", None)  # read after the cancel took effect
        now = f" (now {record.raw_status})" if record is not None and record.raw_status else ""
        self.status.setText(f"Cancel of {execution_id}: {how}{now}.")

    def ask_terminate(self) -> QMessageBox | None:
        view = self.detail.view
        if view is None or not view.is_drill:
            return None
        instances = [s for w in view.waves for s in w.servers
                     if s.recovery_instance_id and s.ec2_instance_state not in ("TERMINATED",)]
        box, yes = destructive_box(
            self,
            title="Terminate drill instances",
            text=f"Terminate the {len(instances)} recovery instances of this drill of {printable(view.plan_name)!r}?",
            informative="DRS runs a TERMINATE job; their EC2 instances are deleted. Source servers "
            "and replication are not affected.",
            destructive="Terminate",
            safe="Keep them",
        )
        box.buttonClicked.connect(lambda b, v=view: self._action(self.terminate(v), "terminate") if b is yes else None)
        self._keep(box)
        box.open()
        return box

    async def terminate(self, view: ExecutionView) -> None:
        self.detail.buttons["terminate"].setEnabled(False)
        self.detail.set_progress("Terminating drill instances: starting the TERMINATE job…")
        last = ""
        try:
            async for line in self.engine.cleanup_drill_instances(view):
                last = str(line)
                if view.execution_id == self.open_id:
                    self.detail.set_progress(f"Terminating drill instances: {last}")
        finally:
            if view.execution_id == self.open_id:
                self.detail.set_progress("")
        self.status.setText(f"Drill instances of {view.execution_id}: {last or 'terminated'}")
        # the monitor ended with the execution: read the instances' state once more
        self.watch(view.execution_id, restart=True)

    def choose_export(self) -> QFileDialog | None:
        view = self.detail.view
        if view is None:
            return None
        stem = f"{(view.plan_name or 'execution').replace(' ', '-')}-{view.execution_id}"
        dialog = QFileDialog(self, "Export report", str(Path.home() / f"{stem}.html"),
                             "HTML report (*.html);;CSV, one row per server (*.csv)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda f: self.export_report(Path(f)))
        self._keep(dialog)
        dialog.open()
        return dialog

    def export_report(self, path: Path, view: ExecutionView | None = None) -> Path:
        """Write the open execution's report (HTML or CSV, from the file's extension), atomically."""
        view = view or self.detail.view
        if view is None:
            raise ValueError("no execution is open")
        fmt = "csv" if path.suffix.lower() == ".csv" else "html"
        if path.suffix.lower() not in (".csv", ".html", ".htm"):
            path = path.with_suffix(".html")
        text = self.engine.report(view, self.detail.events, fmt)
        atomic_write_text(path, text)
        self.status.setText(f"Report written to {path}")
        return path

    # -- re-authentication ------------------------------------------------------------------------
    @asyncSlot()
    async def on_reauthenticate_clicked(self) -> None:
        if self.detail.banner_button.text() == "Retry":
            if self.open_id:
                self.detail.set_state(StreamState.LIVE, "")
                self.watch(self.open_id, restart=True)
            return
        self._action(self.reauthenticate(), "reauthenticate")

    async def reauthenticate(self) -> None:
        """Connect again with the same profile/region; the connected signal then hands the new
        connection to each monitor's resume hook (or restarts the monitor)."""
        s = self.controller.settings
        self.detail.banner_button.setEnabled(False)
        try:
            await self.controller.connect(
                profile=s.profile, region=s.region, endpoint_url=s.endpoint_url, sandbox=bool(s.sandbox)
            )
        finally:
            self.detail.banner_button.setEnabled(True)

    # -- running a plan ------------------------------------------------------------------------
    def open_run_dialog(self, plan: Plan, *, on_started: Callable[[str], None] | None = None):
        from ...run_dialog import RunDialog

        dialog = RunDialog(plan, self.engine, self.controller, self.runner, parent=self)
        dialog.started.connect(self._run_started)
        if on_started is not None:
            dialog.started.connect(on_started)
        self._keep(dialog)
        dialog.open()
        dialog.start_preflight()
        return dialog

    def _run_started(self, execution_id: str) -> None:
        window = self.window()
        if isinstance(window, QMainWindow) and hasattr(window, "show_page"):
            window.show_page(self.key)
        self.open_execution(execution_id)
        self.start_refresh()
