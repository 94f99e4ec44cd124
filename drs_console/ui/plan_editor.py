"""The plan editor: waves as an ordered list, the selected wave's servers as a table, the wave's
options, live validation, and undo/redo of every edit (one QUndoStack per open plan)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QUndoView,
    QVBoxLayout,
    QWidget,
)

from ..domain.plan import MAX_RTO_TARGET_MINUTES, ChangeKind, FailurePolicy, Plan, PlanChange, Wave
from ..domain.selector import SelectorSyntaxError, TagSelector
from ..domain.text import printable
from ..domain.validation import Problem, summarize, validate
from ..store.plans import PlanLibrary
from .inventory_picker import InventoryPicker
from .inventory_state import InventoryState
from .models.keyed_table import ITEM_ROLE, SORT_ROLE
from .models.plan_models import ProblemColumn, ProblemsModel, ServerColumn, WaveListModel, WaveServersModel
from .plan_commands import (
    AddWave,
    MoveWave,
    RemoveWave,
    SetPlanAttribute,
    SetWaveOption,
)
from .plan_editor_servers import ServerEditing
from .table_view import ConsoleTableView
from .theme import banner_css
from .widgets.badge import BadgeDelegate
from .widgets.wave_form import WaveForm

log = logging.getLogger(__name__)
AUTOSAVE_MS = 5000


class PlanEditor(ServerEditing, QWidget):
    dirty_changed = Signal(bool)
    saved = Signal(object)  # Path
    validated = Signal(list)  # list[Problem]

    def __init__(
        self,
        plan: Plan,
        *,
        path: Path | None,
        library: PlanLibrary,
        inventory: InventoryState,
        identity: Callable[[], tuple[str | None, str | None]] = lambda: (None, None),
        job_quota: Callable[[], int | None] = lambda: None,
        read_only: bool = False,
        notice: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.plan = plan
        self.path = path
        self.library = library
        self.inventory = inventory
        self._identity = identity
        self._job_quota = job_quota
        self.read_only = read_only
        self.problems: list[Problem] = []
        self.undo_stack = QUndoStack(self)
        self._pickers: list[InventoryPicker] = []
        self._autosaved_index = 0

        # -- models --------------------------------------------------------------------------
        self.wave_model = WaveListModel(plan, self.move_wave, self.move_servers, self)
        self.server_model = WaveServersModel(plan, self.move_servers, self)
        self.problem_model = ProblemsModel(self)
        self.problem_proxy = QSortFilterProxyModel(self)
        self.problem_proxy.setSourceModel(self.problem_model)
        self.problem_proxy.setSortRole(SORT_ROLE)

        # -- plan fields ---------------------------------------------------------------------
        self.notice = QLabel(notice)
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet(banner_css("#f9ab00"))
        self.notice.setVisible(bool(notice))
        self.name_edit = QLineEdit()
        self.description_edit = QLineEdit()
        self.account_edit = QLineEdit()
        self.account_edit.setPlaceholderText("12-digit account ID")
        self.region_edit = QLineEdit()
        self.region_edit.setPlaceholderText("e.g. us-east-1")
        self.use_connected = QPushButton("Use connected")
        self.use_connected.setToolTip("Target the account and region the console is connected to")
        self.policy = QComboBox()
        self.policy.addItem("Stop at the first failed wave", FailurePolicy.STOP_ON_FAILURE)
        self.policy.addItem("Continue with the next wave", FailurePolicy.CONTINUE)
        self.poll = QSpinBox()
        self.poll.setRange(1, 3600)
        self.poll.setSuffix(" s")
        self.rto_target = QSpinBox()
        self.rto_target.setObjectName("rtoTarget")
        self.rto_target.setRange(0, MAX_RTO_TARGET_MINUTES)  # 0 shows "none": no RTO target
        self.rto_target.setSpecialValueText("none")
        self.rto_target.setSuffix(" min")
        self.rto_target.setToolTip("The plan's recovery time objective: the minutes a whole recovery may take. "
                                   "Readiness compares the last drill's recovery time with it.")
        form = QFormLayout()
        form.addRow("Plan name", self.name_edit)
        form.addRow("Description", self.description_edit)
        target = QHBoxLayout()
        target.addWidget(self.account_edit)
        target.addWidget(self.region_edit)
        target.addWidget(self.use_connected)
        form.addRow("Target account / region", target)
        options = QHBoxLayout()
        options.addWidget(self.policy)
        options.addWidget(QLabel("Poll every"))
        options.addWidget(self.poll)
        options.addWidget(QLabel("RTO target"))
        options.addWidget(self.rto_target)
        options.addStretch(1)
        form.addRow("On a failed wave", options)

        # -- waves ---------------------------------------------------------------------------
        self.wave_list = QListView()
        self.wave_list.setObjectName("waves")
        self.wave_list.setModel(self.wave_model)
        self.wave_list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.wave_list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.wave_list.setDragEnabled(True)
        self.wave_list.setAcceptDrops(True)
        self.wave_list.setDropIndicatorShown(True)
        self.add_wave_button = QPushButton("Add wave")
        self.delete_wave_button = QPushButton("Delete")
        self.wave_up = QPushButton("▲")
        self.wave_up.setToolTip("Move the wave earlier (Alt+Up)")
        self.wave_down = QPushButton("▼")
        self.wave_down.setToolTip("Move the wave later (Alt+Down)")
        wave_buttons = QHBoxLayout()
        for b in (self.add_wave_button, self.delete_wave_button, self.wave_up, self.wave_down):
            wave_buttons.addWidget(b)
        waves_box = QGroupBox("Waves (in order)")
        wl = QVBoxLayout(waves_box)
        wl.addWidget(self.wave_list, 1)
        wl.addLayout(wave_buttons)

        # -- selected wave -------------------------------------------------------------------
        self.wave_form = WaveForm()
        form_ = self.wave_form
        self.wave_name, self.pause_before, self.timeout = form_.wave_name, form_.pause_before, form_.timeout
        self.wave_critical, self.delay = form_.critical, form_.delay
        self.selector, self.selector_preview = form_.selector, form_.selector_preview
        self.server_table = ConsoleTableView()
        self.server_table.setObjectName("waveServers")
        self.server_table.setSortingEnabled(False)  # the order is the plan's order
        self.server_table.setModel(self.server_model)
        self.server_table.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.server_table.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.server_table.setDragEnabled(True)
        self.server_table.setAcceptDrops(True)
        self.server_table.setDropIndicatorShown(True)
        self.server_table.setColumnWidth(ServerColumn.NAME, 140)
        self.server_table.setItemDelegateForColumn(ServerColumn.REPLICATION, BadgeDelegate(self.server_table))
        # the IDs, the account and the replication badge whole, the instance ID cut in the middle,
        # the impact (last) the rest: the table fits its pane at 1280 px
        self.server_table.fit_to_viewport(
            (ServerColumn.SOURCE_SERVER_ID, ServerColumn.SOURCE_ACCOUNT_ID, ServerColumn.REPLICATION),
            ServerColumn.SOURCE_INSTANCE_ID)
        self.add_servers_button = QPushButton("Add from inventory…")
        self.remove_servers_button = QPushButton("Remove")
        self.move_to_button = QPushButton("Move to wave")
        self.move_to_button.setMenu(QMenu(self.move_to_button))
        self.move_to_button.menu().aboutToShow.connect(self._fill_move_menu)
        self.impact_button = QPushButton("Impact")
        self.impact_button.setObjectName("serverImpact")
        self.impact_button.setToolTip("The selected servers' impact level on the DRS native engine")
        impact = QMenu(self.impact_button)
        for text, value in (("Critical", True), ("Optional", False), ("The wave's level", None)):
            impact.addAction(text, lambda v=value: self.set_selected_servers_critical(v))
        self.impact_button.setMenu(impact)
        server_buttons = QHBoxLayout()
        for b in (self.add_servers_button, self.remove_servers_button, self.move_to_button, self.impact_button):
            server_buttons.addWidget(b)
        server_buttons.addStretch(1)
        self.wave_box = QGroupBox("Wave")
        sl = QVBoxLayout(self.wave_box)
        sl.addWidget(self.wave_form)
        sl.addWidget(self.server_table, 1)
        sl.addLayout(server_buttons)

        # -- validation and history ----------------------------------------------------------
        self.problem_view = ConsoleTableView()
        self.problem_view.setObjectName("problems")
        self.problem_view.setModel(self.problem_proxy)
        # the severity whole, where the problem is as wide as its text allows (cut in the middle,
        # whole in its tooltip), the problem itself the rest
        self.problem_view.fit_to_viewport((ProblemColumn.SEVERITY,), ProblemColumn.LOCATION,
                                          elastic_min=160, rest_min=320)
        self.problem_view.sortByColumn(ProblemColumn.SEVERITY, Qt.SortOrder.AscendingOrder)
        self.problem_view.clicked.connect(self.go_to_problem)
        self.problem_view.activated.connect(self.go_to_problem)
        self.undo_view = QUndoView(self.undo_stack)
        self.undo_view.setEmptyLabel("<opened>")
        self.bottom = QTabWidget()
        self.bottom.addTab(self.problem_view, "Problems")
        self.bottom.addTab(self.undo_view, "Edit history")
        self.summary = QLabel("")

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(waves_box)
        split.addWidget(self.wave_box)
        split.setSizes([260, 740])
        vsplit = QSplitter(Qt.Orientation.Vertical)
        vsplit.addWidget(split)
        vsplit.addWidget(self.bottom)
        vsplit.setSizes([430, 170])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.notice)
        layout.addLayout(form)
        layout.addWidget(vsplit, 1)
        layout.addWidget(self.summary)

        # -- actions -------------------------------------------------------------------------
        self.undo_action = self.undo_stack.createUndoAction(self, "Undo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self, "Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence.StandardKey.Redo])
        self.save_action = QAction("Save", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save)
        for action in (self.undo_action, self.redo_action, self.save_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self._shortcut(self.wave_list, "Alt+Up", lambda: self._move_selected_wave(-1))
        self._shortcut(self.wave_list, "Alt+Down", lambda: self._move_selected_wave(+1))
        self._shortcut(self.wave_list, QKeySequence.StandardKey.Delete, self.delete_selected_wave)
        self._shortcut(self.server_table, "Alt+Up", lambda: self._reorder_selected_servers(-1))
        self._shortcut(self.server_table, "Alt+Down", lambda: self._reorder_selected_servers(+1))
        self._shortcut(self.server_table, "Alt+Left", lambda: self._move_selected_servers_to_wave(-1))
        self._shortcut(self.server_table, "Alt+Right", lambda: self._move_selected_servers_to_wave(+1))
        self._shortcut(self.server_table, QKeySequence.StandardKey.Delete, self.remove_selected_servers)

        # -- wiring --------------------------------------------------------------------------
        self.name_edit.editingFinished.connect(lambda: self._set_attr("name", self.name_edit.text(), "plan name"))
        self.description_edit.editingFinished.connect(
            lambda: self._set_attr("description", self.description_edit.text(), "description")
        )
        self.account_edit.editingFinished.connect(
            lambda: self._set_attr("target_account_id", self.account_edit.text().strip(), "target account")
        )
        self.region_edit.editingFinished.connect(
            lambda: self._set_attr("target_region", self.region_edit.text().strip(), "target region")
        )
        self.use_connected.clicked.connect(self.target_connected)
        self.policy.activated.connect(
            lambda _i: self._set_attr("failure_policy", self.policy.currentData(), "failure policy")
        )
        self.poll.editingFinished.connect(
            lambda: self._set_attr("poll_interval_seconds", self.poll.value(), "poll interval")
        )
        self.rto_target.editingFinished.connect(
            lambda: self._set_attr("rto_target_minutes", self.rto_target.value() or None, "RTO target")
        )
        self.wave_name.editingFinished.connect(lambda: self._set_wave("name", self.wave_name.text(), "name"))
        self.pause_before.clicked.connect(lambda on: self._set_wave("pause_before", bool(on), "pause"))
        self.timeout.editingFinished.connect(lambda: self._set_wave("timeout_minutes", self.timeout.value(), "timeout"))
        self.wave_critical.clicked.connect(lambda on: self._set_wave("critical", bool(on), "impact level"))
        self.delay.editingFinished.connect(lambda: self._set_wave("delay_minutes", self.delay.value(), "wait before"))
        self.selector.editingFinished.connect(
            lambda: self._set_wave("selector", self.selector.text().strip() or None, "selector")
        )
        self.selector.textChanged.connect(self._preview_selector)
        self.add_wave_button.clicked.connect(self.add_wave)
        self.delete_wave_button.clicked.connect(self.delete_selected_wave)
        self.wave_up.clicked.connect(lambda: self._move_selected_wave(-1))
        self.wave_down.clicked.connect(lambda: self._move_selected_wave(+1))
        self.add_servers_button.clicked.connect(self.open_picker)
        self.remove_servers_button.clicked.connect(self.remove_selected_servers)
        self.wave_list.selectionModel().currentChanged.connect(lambda cur, _prev: self._show_wave(cur.row()))
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._unsubscribe = plan.subscribe(self._on_plan_change)
        self.inventory.changed.connect(self.schedule_validation)

        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(80)
        self._validate_timer.timeout.connect(self.run_validation)
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()

        self._load_fields()
        if plan.waves:
            self.select_wave(0)
        else:
            self._show_wave(-1)
        self._set_read_only(read_only)
        self.run_validation()

    # -- helpers -------------------------------------------------------------------------------
    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)

    def _shortcut(self, widget: QWidget, keys, slot) -> None:
        action = QAction(widget)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        widget.addAction(action)

    def _set_read_only(self, read_only: bool) -> None:
        for w in (self.name_edit, self.description_edit, self.account_edit, self.region_edit, self.use_connected,
                  self.policy, self.poll, self.rto_target, *self.wave_form.editors(),
                  self.add_wave_button, self.delete_wave_button, self.wave_up, self.wave_down,
                  self.add_servers_button, self.remove_servers_button, self.move_to_button, self.impact_button):
            w.setEnabled(not read_only)
        self.wave_list.setDragDropMode(
            QAbstractItemView.DragDropMode.NoDragDrop if read_only else QAbstractItemView.DragDropMode.DragDrop
        )
        self.server_table.setDragDropMode(
            QAbstractItemView.DragDropMode.NoDragDrop if read_only else QAbstractItemView.DragDropMode.DragDrop
        )
        self.save_action.setEnabled(not read_only)

    def push(self, command) -> bool:
        """Run an edit through the undo stack; a refused edit (domain ValueError) is shown, not raised."""
        if self.read_only:
            return False
        try:
            self.undo_stack.push(command)
        except (ValueError, IndexError, TypeError) as exc:
            self.summary.setText(f"Not done: {exc}")
            return False
        return True

    @property
    def dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def selected_wave_index(self) -> int | None:
        idx = self.wave_list.currentIndex()
        return idx.row() if idx.isValid() else None

    def select_wave(self, index: int) -> None:
        if 0 <= index < self.wave_model.rowCount():
            self.wave_list.setCurrentIndex(self.wave_model.index(index))

    def selected_server_ids(self) -> list[str]:
        rows = sorted(i.row() for i in self.server_table.selectionModel().selectedRows())
        refs = [self.server_model.ref_at(r) for r in rows]
        return [r.source_server_id for r in refs if r is not None]

    # -- plan fields ---------------------------------------------------------------------------
    def _load_fields(self) -> None:
        p = self.plan
        for edit, value in ((self.name_edit, p.name), (self.description_edit, p.description),
                            (self.account_edit, p.target_account_id), (self.region_edit, p.target_region)):
            if edit.text() != value:
                edit.setText(value)
        self.policy.setCurrentIndex(self.policy.findData(p.failure_policy))
        self.poll.setValue(p.poll_interval_seconds)
        self.rto_target.setValue(p.rto_target_minutes or 0)

    def _set_attr(self, attribute: str, value, label: str) -> None:
        if getattr(self.plan, attribute) != value:
            self.push(SetPlanAttribute(self.plan, attribute, value, label))

    def target_connected(self) -> None:
        account, region = self._identity()
        if not account:
            self.summary.setText("Not connected: connect first, or type the target account and region.")
            return
        self.undo_stack.beginMacro("Target the connected account and region")
        self._set_attr("target_account_id", account, "target account")
        self._set_attr("target_region", region, "target region")
        self.undo_stack.endMacro()

    # -- waves ---------------------------------------------------------------------------------
    def add_wave(self) -> None:
        n = len(self.plan.waves) + 1
        current = self.selected_wave_index()
        index = current + 1 if current is not None else None
        if self.push(AddWave(self.plan, index, Wave(name=f"Wave {n}"))):
            self.select_wave(index if index is not None else len(self.plan.waves) - 1)

    def delete_selected_wave(self) -> None:
        idx = self.selected_wave_index()
        if idx is not None and self.push(RemoveWave(self.plan, idx)):
            self.select_wave(min(idx, len(self.plan.waves) - 1))

    def move_wave(self, src: int, dst: int) -> bool:
        ok = self.push(MoveWave(self.plan, src, dst))
        if ok:
            self.select_wave(dst)
        return ok

    def _move_selected_wave(self, delta: int) -> None:
        idx = self.selected_wave_index()
        if idx is None:
            return
        dst = idx + delta
        if 0 <= dst < len(self.plan.waves):
            self.move_wave(idx, dst)

    def _set_wave(self, option: str, value, label: str) -> None:
        idx = self.selected_wave_index()
        if idx is None or getattr(self.plan.wave(idx), option) == value:
            return
        self.push(SetWaveOption(self.plan, idx, option, value, label))

    def _show_wave(self, index: int) -> None:
        has = 0 <= index < len(self.plan.waves)
        self.wave_box.setEnabled(has)
        self.server_model.set_wave(self.plan.waves[index].id if has else None)
        if not has:
            self.wave_box.setTitle("Wave")
            return
        wave = self.plan.waves[index]
        self.wave_box.setTitle(f"Wave {index + 1}: {printable(wave.name)}")
        self.wave_form.show_wave(wave)
        self._preview_selector()

    def _preview_selector(self) -> None:
        text = self.selector.text().strip()
        if not text:
            self.selector_preview.setText("")
            return
        try:
            selector = TagSelector.parse(text)
        except SelectorSyntaxError as exc:
            self.selector_preview.setText(f"<span style='color:#d93025'>{exc}</span>")
            return
        snap = self.inventory.snapshot
        if snap is None:
            self.selector_preview.setText("No inventory to preview against: connect, or it resolves at run time.")
            return
        matched = selector.resolve(snap.servers)
        names = ", ".join(s.name for s in matched[:8]) + (" …" if len(matched) > 8 else "")
        age = "" if self.inventory.fresh else " (cached inventory)"
        self.selector_preview.setText(
            f"Selects {len(matched)} server{'s' if len(matched) != 1 else ''} now{age}: {names}"
            " — resolved again when the plan runs."
        )

    # -- plan changes --------------------------------------------------------------------------
    def _on_plan_change(self, change: PlanChange) -> None:
        if change.kind in (ChangeKind.PLAN_ATTRIBUTE, ChangeKind.RESET):
            self._load_fields()
        if change.kind is ChangeKind.WAVE_CHANGED and change.wave_index == self.selected_wave_index() \
                and change.field != "server_critical":  # the server table updates its own rows
            self._show_wave(change.wave_index)
        if change.kind in (ChangeKind.WAVE_REMOVED, ChangeKind.WAVE_INSERTED, ChangeKind.WAVE_MOVED):
            if self.selected_wave_index() is None and self.plan.waves:
                self.select_wave(0)
            else:
                self._show_wave(self.selected_wave_index() if self.selected_wave_index() is not None else -1)
        self.schedule_validation()

    # -- validation ----------------------------------------------------------------------------
    def schedule_validation(self) -> None:
        self._validate_timer.start()

    def run_validation(self) -> list[Problem]:
        account, region = self._identity()
        self.problems = validate(
            self.plan,
            self.inventory.snapshot,
            inventory_fresh=self.inventory.fresh,
            connected_account=account,
            connected_region=region,
            job_quota=self._job_quota(),
        )
        self.problem_model.set_items(self.problems)
        summary = summarize(self.problems)
        snap = self.inventory.snapshot
        if snap is None:
            inv = "no inventory known"
        elif self.inventory.fresh:
            inv = "live inventory"
        else:
            from ..domain.inventory import format_age

            inv = f"cached inventory from {format_age(snap.age())} ago"
        servers = self.plan.explicit_server_count()
        self.summary.setText(
            f"{len(self.plan.waves)} waves · {servers} servers · {summary.text()} · checked against {inv}"
        )
        self.bottom.setTabText(0, f"Problems ({len(self.problems)})")
        self.validated.emit(self.problems)
        return self.problems

    def go_to_problem(self, proxy_index) -> None:
        problem: Problem = self.problem_proxy.mapToSource(proxy_index).data(ITEM_ROLE) if proxy_index.isValid() else None
        if problem is None:
            return
        loc = problem.location
        if loc.wave_index is not None and 0 <= loc.wave_index < len(self.plan.waves):
            self.select_wave(loc.wave_index)
            if loc.server_id:
                self._select_servers([loc.server_id])
                row = self.server_model._ids.index(loc.server_id) if loc.server_id in self.server_model._ids else -1
                if row >= 0:
                    self.server_table.scrollTo(self.server_model.index(row, 0))
            elif loc.field == "selector":
                self.selector.setFocus()
            elif loc.field == "timeout_minutes":
                self.timeout.setFocus()
            elif loc.field == "name":
                self.wave_name.setFocus()
        else:
            widget = {
                "name": self.name_edit,
                "target_account_id": self.account_edit,
                "target_region": self.region_edit,
                "poll_interval_seconds": self.poll,
            }.get(loc.field or "")
            if widget is not None:
                widget.setFocus()

    # -- files ---------------------------------------------------------------------------------
    def save(self) -> Path | None:
        if self.read_only:
            self.summary.setText("This plan is read-only (written by a newer DRS Console); export a copy instead.")
            return None
        self.path = self.library.save(self.plan, self.path)
        self.undo_stack.setClean()
        self.library.discard_autosave(self.plan.id)
        self.saved.emit(self.path)
        return self.path

    def autosave(self) -> None:
        """Write unsaved edits to the recovery file (only when something changed since the last one)."""
        if self.read_only or not self.dirty or self.undo_stack.index() == self._autosaved_index:
            return
        try:
            self.library.autosave(self.plan, self.path)
            self._autosaved_index = self.undo_stack.index()
        except OSError as exc:
            log.warning("autosave failed: %s", exc)

    def discard_changes(self) -> None:
        self.library.discard_autosave(self.plan.id)

    def close_editor(self) -> None:
        self.autosave_timer.stop()
        self._validate_timer.stop()
        self._unsubscribe()
        self.wave_model.detach()
        self.server_model.detach()
        for picker in list(self._pickers):
            picker.close()
