"""The History page's prune flow: the panel opened on the selection, the preview computed over every
loaded row (both engines, deleting nothing), the prune run in cancellable batches, and the deleted
rows leaving the table. A mixin of HistoryPage, which owns the widgets and tasks it uses."""

from __future__ import annotations

import asyncio

from qasync import asyncSlot

from ...aws.history import PruneControl
from ...domain import history as h
from ...domain.errors import ConsoleError, ProblemKind


class HistoryPruning:
    """Prune actions of HistoryPage (prune_panel, splitter, model, runner and the page's tasks)."""

    def open_prune(self) -> None:
        ids = frozenset(self.selected_ids())
        self.prune_panel.set_selection(ids)
        self.prune_panel.result_label.setText("")
        if ids:
            self.prune_panel.set_scope(h.PruneScope.selected(ids))
        if not self.prune_panel.isVisible():
            self.prune_panel.setVisible(True)
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([max(total - 340, 200), 340])
        self.start_preview()

    @property
    def pruning(self) -> bool:
        return self._prune_task is not None and not self._prune_task.done()

    def close_prune(self) -> None:
        if self.pruning:
            return
        if self._preview_task is not None:
            self._preview_task.cancel()
        self.prune_panel.setVisible(False)

    def start_preview(self) -> asyncio.Task | None:
        if self.pruning:
            return None
        if self._preview_task is not None and not self._preview_task.done():
            self._preview_task.cancel()
        self.prune_panel.show_computing()
        self._preview_task = self.runner.start(
            self.compute_preview(self.prune_panel.scope()), name="history-preview", on_error=self._preview_failed
        )
        return self._preview_task

    def _preview_failed(self, exc: BaseException) -> bool:
        if isinstance(exc, ConsoleError):
            self.prune_panel.show_error(exc.one_line())
        return False

    async def compute_preview(self, scope: h.PruneScope) -> h.PrunePreview:
        """Preview over every loaded row (the whole table once loaded); reads DRS jobs, deletes nothing."""
        if self._task is not None and not self._task.done():
            await asyncio.gather(asyncio.shield(self._task), return_exceptions=True)
        from ..execution_engine import imported

        items = self.model.items()
        backend = [r for r in items if r.engine != "native"]
        native_rows = [r for r in items if r.engine == "native"]
        if self.table_name is not None or not self._no_backend:
            preview = await (await self._service()).preview(backend, scope, now=self.clock())
        else:  # no backend: nothing of its own to delete
            preview = h.PrunePreview(scope, (), (), {})
        self._native_prune = None
        if native_rows:  # the same rules as 'history prune' (never active, nothing with live DRS jobs)
            module = await imported("aws.engines.native_history")
            self._native_prune = await module.native_prune_preview(self.controller.connection, native_rows, scope,
                                                                   now=self.clock())
        self.prune_panel.show_preview(preview, self._native_prune)
        return preview

    @asyncSlot(object)
    async def _prune_requested(self, preview: h.PrunePreview) -> None:
        self.start_prune(preview)

    def start_prune(self, preview: h.PrunePreview) -> asyncio.Task:
        self._prune_task = self.runner.start(self.prune(preview), name="history-prune")
        return self._prune_task

    def cancel_prune(self) -> None:
        if self._control is not None:
            self._control.cancel()
            self.prune_panel.stopping()

    async def prune(self, preview: h.PrunePreview, *, before_batch=None) -> h.PruneResult:
        """Run the prune of ``preview`` (cancellable between batches); deleted rows leave the table."""
        native, self._native_prune = self._native_prune, None
        native_count = native.delete_count if native is not None else 0
        self._control = PruneControl()
        self.prune_panel.show_running(preview.delete_count + native_count)
        self.prune_button.setEnabled(False)
        result = h.PruneResult()
        native_done: dict | None = None
        try:
            if preview.delete_count:
                service = await self._service()
                result = await service.prune(
                    preview, progress=self._prune_progress, control=self._control, before_batch=before_batch
                )
            if native_count and not result.cancelled and not result.error:
                # DeleteRecoveryPlanExecution, each re-checked (still finished, no live DRS job)
                native_done = await native.run(self.controller.connection)
        finally:
            self._control = None
            self.prune_button.setEnabled(True)
            self.model.remove_keys(result.deleted + list((native_done or {}).get("deleted", ())))
            self.prune_panel.show_result(result, native_done)
            self._update_status()
        if result.error:
            raise ConsoleError(
                ProblemKind.AWS_ERROR, f"The prune stopped: {result.error}",
                "Rows that were deleted are gone from the table; run the prune again to finish.",
            )
        return result

    def _prune_progress(self, done: int, total: int) -> None:
        self.prune_panel.show_progress(done, total)
