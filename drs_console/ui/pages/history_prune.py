"""The prune panel of the History page: scope, preview, confirm, progress, result.

It sits beside the table (never modal): nothing is deleted before its preview is shown and the
operator presses the delete button the preview labels with the count. The work itself is the
page's plain ``async def`` methods; this widget only shows state and emits requests.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
)

from ...domain.history import PrunePreview, PruneResult, PruneScope, ScopeKind


class PrunePanel(QFrame):
    scope_changed = Signal()
    prune_requested = Signal(object)  # PrunePreview
    cancel_requested = Signal()
    close_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("prunePanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(300)
        self.preview: PrunePreview | None = None
        self.native = None  # the preview's DRS native part (aws.engines.native_history.NativePrune)
        self._selected_ids: frozenset[str] = frozenset()

        title = QLabel("<b>Prune finished executions</b>")
        note = QLabel(
            "Only COMPLETED, PARTIAL, FAILED, CANCELLED and TIMEOUT executions are deleted, with their "
            "wave records. Active executions are never deleted, nor CANCELLED ones with a DRS job still "
            "running; every delete re-checks the record at that moment. DRS native executions: the same "
            "rules (never CREATED, IN_PROGRESS or CANCELLING, nothing with a DRS job not completed), deleted "
            "with DeleteRecoveryPlanExecution."
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: palette(mid);")

        self.scope_selected = QRadioButton("Selected rows")
        self.scope_all = QRadioButton("Every finished execution")
        self.scope_older = QRadioButton("Finished, older than")
        self.days = QDoubleSpinBox()
        self.days.setRange(0, 3650)
        self.days.setDecimals(0)
        self.days.setValue(30)
        self.days.setSuffix(" days")
        self.group = QButtonGroup(self)
        for button in (self.scope_selected, self.scope_all, self.scope_older):
            self.group.addButton(button)
        self.scope_older.setChecked(True)
        older = QHBoxLayout()
        older.addWidget(self.scope_older)
        older.addWidget(self.days)
        older.addStretch(1)

        self.preview_label = QLabel("")
        self.preview_label.setObjectName("prunePreview")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.RichText)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.result_label = QLabel("")
        self.result_label.setObjectName("pruneResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.delete_button = QPushButton("Delete")
        self.delete_button.setObjectName("pruneDelete")
        self.delete_button.setEnabled(False)
        self.delete_button.setAutoDefault(False)  # Enter never deletes: only a deliberate click
        self.delete_button.setDefault(False)
        self.delete_button.setStyleSheet(
            "QPushButton:enabled { background: #d93025; color: white; font-weight: bold; padding: 4px 10px; }"
        )
        self.cancel_button = QPushButton("Stop")
        self.cancel_button.setVisible(False)
        self.close_button = QPushButton("Close")
        self.close_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.delete_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(note)
        layout.addSpacing(6)
        layout.addWidget(QLabel("Scope:"))
        layout.addWidget(self.scope_selected)
        layout.addWidget(self.scope_all)
        layout.addLayout(older)
        layout.addSpacing(6)
        layout.addWidget(self.preview_label)
        layout.addWidget(self.progress)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.group.buttonToggled.connect(lambda _b, on: on and self.scope_changed.emit())
        self.days.valueChanged.connect(lambda _v: self.scope_older.isChecked() and self.scope_changed.emit())
        self.delete_button.clicked.connect(self._delete_clicked)
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        self.close_button.clicked.connect(self.close_requested.emit)

    # -- scope ---------------------------------------------------------------------------------
    def set_selection(self, ids: frozenset[str]) -> None:
        self._selected_ids = ids
        self.scope_selected.setText(f"Selected rows ({len(ids)})")
        self.scope_selected.setEnabled(bool(ids))
        if not ids and self.scope_selected.isChecked():
            self.scope_older.setChecked(True)

    def scope(self) -> PruneScope:
        if self.scope_selected.isChecked():
            return PruneScope.selected(self._selected_ids)
        if self.scope_all.isChecked():
            return PruneScope.all_finished()
        return PruneScope.older_than(self.days.value())

    def set_scope(self, scope: PruneScope) -> None:
        if scope.kind is ScopeKind.SELECTED:
            self.scope_selected.setChecked(True)
        elif scope.kind is ScopeKind.ALL_FINISHED:
            self.scope_all.setChecked(True)
        else:
            self.days.setValue(scope.older_than_days)
            self.scope_older.setChecked(True)

    # -- states --------------------------------------------------------------------------------
    def total(self) -> int:
        """Executions the shown preview would delete, of both engines."""
        native = self.native.delete_count if self.native is not None else 0
        return (self.preview.delete_count if self.preview is not None else 0) + native

    def show_computing(self) -> None:
        self.preview = None
        self.native = None
        self.delete_button.setEnabled(False)
        self.delete_button.setText("Delete")
        self.preview_label.setText("<i>Computing the preview (checking DRS jobs)…</i>")

    def show_preview(self, preview: PrunePreview, native=None) -> None:
        """The preview; ``native``: its DRS native part (a NativePrune), counted in the total."""
        self.preview = preview
        self.native = native
        self.result_label.setText("")
        by_status = "".join(f"<li>{n} {s}</li>" for s, n in preview.by_status.items())
        live = len(preview.preserved_live_jobs)
        self.preview_label.setText(
            f"<p>Scope: {preview.scope.describe()}.</p>"
            f"<p><b>{preview.delete_count}</b> execution(s) would be deleted"
            + (f":<ul style='margin:0'>{by_status}</ul>" if by_status else ".")
            + "</p>"
            f"<p>Preserved: <b>{len(preview.preserved_active)}</b> active; "
            f"<b>{live}</b> CANCELLED with a DRS job still PENDING or STARTED"
            f" ({preview.jobs_checked} job(s) checked).</p>"
            + (self._native_html(native) if native is not None else "")
        )
        self.delete_button.setText(f"Delete {self.total()} execution(s)")
        self.delete_button.setEnabled(self.total() > 0)

    @staticmethod
    def _native_html(native) -> str:
        by_status = "".join(f"<li>{n} {s}</li>" for s, n in native.by_status().items())
        return (f"<p>DRS native: <b>{native.delete_count}</b> execution(s) would be deleted"
                + (f":<ul style='margin:0'>{by_status}</ul>" if by_status else ".")
                + f"</p><p>DRS native preserved: <b>{len(native.active)}</b> active; <b>{len(native.live)}</b> "
                "with a DRS job not completed.</p>")

    def show_running(self, total: int) -> None:
        self.delete_button.setEnabled(False)
        self.group.setExclusive(True)
        for w in (self.scope_selected, self.scope_all, self.scope_older, self.days, self.close_button):
            w.setEnabled(False)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)
        self.progress.setFormat("%v of %m executions")
        self.progress.setVisible(True)
        self.cancel_button.setVisible(True)
        self.cancel_button.setEnabled(True)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def show_result(self, result: PruneResult, native_done: dict | None = None) -> None:
        for w in (self.scope_all, self.scope_older, self.days, self.close_button):
            w.setEnabled(True)
        self.scope_selected.setEnabled(bool(self._selected_ids))
        self.cancel_button.setVisible(False)
        self.progress.setVisible(False)
        lines = result.summary_lines()
        if native_done is not None:
            refused = native_done.get("refused") or []
            lines.append(f"DRS native: deleted {len(native_done.get('deleted') or [])} execution(s)"
                         + (f"; kept {len(refused)} DRS refused or that became active: " + "; ".join(refused)
                            if refused else "") + ".")
        self.result_label.setText("\n".join(lines))
        self.preview = None
        self.native = None
        self.delete_button.setText("Delete")
        self.delete_button.setEnabled(False)

    def show_error(self, text: str) -> None:
        self.preview_label.setText(f"<span style='color:#d93025'>{text}</span>")
        self.delete_button.setEnabled(False)

    def _delete_clicked(self) -> None:
        if self.preview is not None and self.total():
            self.prune_requested.emit(self.preview)

    def stopping(self) -> None:
        self.cancel_button.setEnabled(False)
        self.progress.setFormat("stopping after this batch…")
