"""What the operator does to the open execution: Resume, Cancel, Terminate drill instances,
Export report, re-authenticate or retry live updates, and running a plan (the Run dialog); for a
DRS native execution, Retry step and Skip step (of the selected step, else the first failed one).

A mixin of ExecutionsPage (it uses the page's ``detail``, ``engine``, ``runner``, ``controller``,
``status``, ``open_id``, ``watch`` and ``open_execution``): one place for the controls, apart from
the list and the watching."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow, QMessageBox
from qasync import asyncSlot

from ....domain.execution import Engine, ExecutionView, StreamState
from ....domain.native_view import RETRYABLE_STEP, raw_step_status, status_with_native
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
        self.show_action(f"Resumed {execution_id}.")

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
        self.show_action(f"Cancelling {execution_id}: it stops after its current step…")
        cancelling = asyncio.get_running_loop().call_later(0.5, self._poke, execution_id)
        try:
            result = await self.engine.cancel(execution_id)
        finally:
            cancelling.cancel()
        self._poke(execution_id)
        if isinstance(result, ExecutionView):  # a DRS native execution: CancelRecoveryPlanExecution
            self.show_action(f"Cancel of {execution_id} requested (now "
                                f"{status_with_native(result.status, result.native_status)}): DRS starts no further "
                                "step; a step's job in flight runs to its end.")
            return
        how = getattr(result, "how", "") or getattr(result, "value", "") or "requested"
        record = getattr(result, "record", None)  # read after the cancel took effect
        now = f" (now {record.raw_status})" if record is not None and record.raw_status else ""
        self.show_action(f"Cancel of {execution_id}: {how}{now}.")

    # -- a DRS native execution's steps ---------------------------------------------------------
    def step_target(self) -> int | None:
        """The step Retry and Skip act on (0-based): the one selected, else the first failed one."""
        view = self.detail.view
        if view is None:
            return None
        chosen = self.detail.server_proxy.wave_index
        if chosen is not None:
            return chosen
        return next((w.index for w in view.waves if raw_step_status(w) in RETRYABLE_STEP), None)

    def update_step_buttons(self) -> None:
        """Retry step / Skip step enabled only when the engine and the step's state allow it; the
        tooltip says why not."""
        view = self.detail.view
        if view is None or view.engine is not Engine.NATIVE:
            return
        index = self.step_target()
        busy = self._action_task is not None and not self._action_task.done()
        for action, label in (("retry", "Retry step"), ("skip", "Skip step")):
            button = self.detail.buttons[action]
            why = self.engine.step_refusal(view, index, action)
            button.setText(f"{label} {index + 1}" + ("…" if action == "skip" else "") if index is not None
                           else label + ("…" if action == "skip" else ""))
            button.setEnabled(not why and not busy)
            wave = view.wave(index) if index is not None else None
            button.setToolTip(why or (f"{'Retry' if action == 'retry' else 'Skip'} step {index + 1} "
                                      f"({wave.name if wave else ''})" + (
                                          ": a new attempt for its servers that did not launch" if action == "retry"
                                          else ": its servers are not recovered; the execution goes on")))

    @asyncSlot()
    async def on_retry_clicked(self) -> None:
        index = self.step_target()
        if self.open_id and index is not None:
            self._action(self.retry_step(self.open_id, index + 1), "retry-step")

    async def retry_step(self, execution_id: str, step: int) -> ExecutionView:
        """RetryRecoveryPlanExecutionStep (step 1-based); the monitor then shows the new attempt."""
        return await self._step_action(execution_id, step, "retry")

    def ask_skip(self) -> QMessageBox | None:
        view, index = self.detail.view, self.step_target()
        if view is None or index is None or self.engine.step_refusal(view, index, "skip"):
            return None
        wave = view.wave(index)
        box, yes = destructive_box(
            self,
            title="Skip step",
            text=f"Skip step {index + 1} ({printable(wave.name if wave else '')}) of {printable(view.plan_name)!r}?",
            informative="Its servers are not recovered; skipping a failed step resumes the execution at the next "
            "one.",
            destructive="Skip step",
            safe="Keep it",
        )
        box.buttonClicked.connect(lambda b, eid=view.execution_id, n=index + 1:
                                  self._action(self.skip_step(eid, n), "skip-step") if b is yes else None)
        self._keep(box)
        box.open()
        return box

    async def skip_step(self, execution_id: str, step: int) -> ExecutionView:
        """UpdateRecoveryPlanExecutionStep SKIPPED (step 1-based)."""
        return await self._step_action(execution_id, step, "skip")

    async def _step_action(self, execution_id: str, step: int, verb: str) -> ExecutionView:
        for key in ("retry", "skip"):
            self.detail.buttons[key].setEnabled(False)
        try:
            view = await (self.engine.retry_step(execution_id, step) if verb == "retry"
                          else self.engine.skip_step(execution_id, step))
        finally:
            self._action_task = None
            self.update_step_buttons()
        session = self.sessions.get(execution_id)
        if session is not None and session.running:
            self._poke(execution_id)
        else:  # the monitor ended with the failed execution: the retried or skipped step runs again
            self.watch(execution_id, restart=True)
        wave = view.wave(step - 1)
        now = status_with_native(wave.status, wave.native_status) if wave else "?"
        self.show_action(f"{'Retrying' if verb == 'retry' else 'Skipped'} step {step} "
                            f"{wave.name if wave else ''!r} of {execution_id} (step now {now}).")
        return view

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
        self.show_action(f"Drill instances of {view.execution_id}: {last or 'terminated'}")
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
        self.show_action(f"Report written to {path}")
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
        dialog.started_native.connect(self._run_started)  # a DRS native execution: the same live monitor
        if on_started is not None:
            dialog.started.connect(on_started)
            dialog.started_native.connect(on_started)
        self._keep(dialog)
        dialog.open()
        dialog.start_preflight()
        return dialog

    def _run_started(self, execution_id: str) -> None:
        self.started_here.add(execution_id)
        window = self.window()
        if isinstance(window, QMainWindow) and hasattr(window, "show_page"):
            window.show_page(self.key)
        self.open_execution(execution_id)
        self.start_refresh()
