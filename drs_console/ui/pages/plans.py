"""Plans page: the plan library as a table, and the plan editor."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from ...domain.errors import BadInput
from ...domain.plan import Plan
from ...domain.text import printable
from ...domain.validation import validate
from ...store.plans import PlanLibrary
from ...store.sandbox_plans import SANDBOX_LIBRARY_DIR
from ..connection import ConnectionController
from ..inventory_state import InventoryState
from ..models.keyed_table import ITEM_ROLE, SORT_ROLE
from ..models.plan_models import LibraryColumn, PlanLibraryModel
from ..native_plans_dialogs import ImportNativeDialog, PublishNativeDialog
from ..plan_editor import PlanEditor
from ..plan_readiness import ReadinessUpdater
from ..recovery_points_dialog import RecoveryPointsDialog
from ..table_view import ConsoleTableView
from ..tasks import TaskRunner
from ..theme import banner_css
from ..widgets.badge import BadgeDelegate
from ..widgets.confirm import destructive_box
from .base import Page

log = logging.getLogger(__name__)


class PlansPage(Page):
    key = "plans"
    title = "Plans"
    title_changed = Signal(str, bool)  # plan name ("" when none), unsaved
    run_requested = Signal(object)  # Plan: the open plan, saved, to run (the Executions page opens the run dialog)
    # (entries, autosaves or None, generation): a library read done off the GUI thread
    _library_read = Signal(object, object, int)

    def __init__(
        self,
        controller: ConnectionController,
        runner: TaskRunner,
        inventory: InventoryState,
        library: PlanLibrary,
        parent=None,
    ):
        super().__init__(parent)
        self.controller = controller
        self.runner = runner
        self.inventory = inventory
        self.library = library
        self.editor: PlanEditor | None = None
        self._dialogs: list[QWidget] = []

        self.model = PlanLibraryModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = ConsoleTableView()
        self.table.setObjectName("planLibrary")
        self.table.setModel(self.proxy)
        self.table.setSelectionMode(ConsoleTableView.SelectionMode.SingleSelection)
        self.table.sortByColumn(LibraryColumn.NAME, Qt.SortOrder.AscendingOrder)
        self.table.setColumnWidth(LibraryColumn.NAME, 190)
        self.table.setColumnWidth(LibraryColumn.TARGET, 170)
        self.table.setColumnWidth(LibraryColumn.WAVES, 50)
        self.table.setColumnWidth(LibraryColumn.SERVERS, 70)
        self.table.setColumnWidth(LibraryColumn.MODIFIED, 120)
        self.table.setColumnWidth(LibraryColumn.READINESS, 110)
        self.table.setItemDelegateForColumn(LibraryColumn.READINESS, BadgeDelegate(self.table))
        self.readiness = ReadinessUpdater(controller, runner, inventory, self)
        self.readiness.computed.connect(self.model.set_readiness)
        controller.connected.connect(lambda _i: self.readiness.forget_facts())
        self.table.activated.connect(lambda idx: self.open_entry(self.proxy.mapToSource(idx).row()))
        self.table.doubleClicked.connect(lambda idx: self.open_entry(self.proxy.mapToSource(idx).row()))

        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, label, slot in (
            ("new", "New", self.new_plan),
            ("open", "Open", self.open_selected),
            ("duplicate", "Duplicate", self.duplicate_selected),
            ("rename", "Rename…", self.rename_selected),
            ("delete", "Delete…", self.ask_delete),
            ("import", "Import…", self.choose_import),
            ("export", "Export…", self.choose_export),
            ("points", "Recovery points…", self.show_recovery_points),
        ):
            button = QPushButton(label)
            button.clicked.connect(slot)
            self.buttons[key] = button
            bar.addWidget(button)
        # the DRS native engine: publish the selected plan, import the account's native plans
        self.native_button = QPushButton("DRS native")
        self.native_button.setObjectName("nativePlansButton")
        self.native_button.setToolTip("Publish the selected plan as a DRS native recovery plan, or import native plans")
        native_menu = QMenu(self.native_button)
        self.publish_action = native_menu.addAction("Publish as DRS native plan…", self.publish_native)
        self.import_native_action = native_menu.addAction("Import DRS native plans…", self.import_native)
        self.native_button.setMenu(native_menu)
        bar.addWidget(self.native_button)
        bar.addStretch(1)
        self.save_button = QPushButton("Save")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        bar.addWidget(self.save_button)
        self.run_button = QPushButton("Run…")
        self.run_button.setObjectName("runPlanButton")
        self.run_button.setToolTip("Preflight, then start the open plan as a drill or a recovery")
        self.run_button.setEnabled(False)
        self.run_button.clicked.connect(self.run_open_plan)
        bar.addWidget(self.run_button)

        self.banner = QLabel("")
        self.banner.setTextFormat(Qt.TextFormat.PlainText)  # plan names are file content, never markup
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet(banner_css("#1a73e8"))
        self.banner.setVisible(False)
        self.banner_buttons = QHBoxLayout()
        self.status = QLabel("")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.placeholder = QLabel("Open a plan from the library, or create a new one.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.editor_stack = QStackedWidget()
        self.editor_stack.addWidget(self.placeholder)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.editor_stack)
        split.setSizes([150, 560])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.banner)
        layout.addLayout(self.banner_buttons)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)

        self._generation = 0  # of the library listing on screen; a read of an older one is dropped
        self._library_read.connect(self._library_was_read)
        self.inventory.changed.connect(lambda: self.read_library_in_background())
        controller.connected.connect(lambda _i: self.read_library_in_background())
        self.status.setText(printable(f"Reading the plan library in {_library_text(self.library.folder)}…"))
        self.read_library_in_background(first=True)

    # -- library -------------------------------------------------------------------------------
    def _validator(self):
        ident = self.controller.identity
        snap, fresh = self.inventory.snapshot, self.inventory.fresh
        return lambda plan: validate(
            plan,
            snap,
            inventory_fresh=fresh,
            connected_account=ident.account_id if ident else None,
            connected_region=ident.region if ident else None,
        )

    def read_library_in_background(self, *, first: bool = False) -> threading.Thread:
        """List the library on a daemon thread: a file that never ends or stalls costs that
        thread its read time limit (store/plan_io.py), never the window. ``first``: the start of
        the app, which also looks for autosaves to offer."""
        self._generation += 1
        generation, validator, library = self._generation, self._validator(), self.library

        def work() -> None:
            autosaves = None
            try:
                entries = library.list_entries(validator)
                if first:
                    autosaves = [a for a in library.recoverable() if a.error is None]
            except Exception:  # noqa: BLE001 - a listing that fails must not kill the thread silently
                log.exception("reading the plan library failed")
                return
            try:
                self._library_read.emit(entries, autosaves, generation)
            except RuntimeError:  # the page was closed meanwhile
                pass

        thread = threading.Thread(target=work, name="plan-library", daemon=True)
        thread.start()
        return thread

    def _library_was_read(self, entries, autosaves, generation: int) -> None:
        if autosaves is not None:
            self._show_recovery(autosaves)
        if generation == self._generation:
            self._show_entries(entries)

    def refresh_library(self) -> None:
        """List the library now (after the user's own saves and moves). Reads only the files
        that changed since the last listing (the library caches the rest)."""
        self._generation += 1
        self._show_entries(self.library.list_entries(self._validator()))

    def _show_entries(self, entries) -> None:
        self.model.set_items(entries)
        bad = sum(1 for e in entries if not e.ok)
        text = f"{len(entries)} plan{'s' if len(entries) != 1 else ''} in {_library_text(self.library.folder)}"
        if bad:
            text += f" · {bad} unreadable (left untouched; see the Validation column)"
        self.status.setText(text)
        self.status.setToolTip(str(self.library.folder))
        last = self.model.columnCount() - 1
        self.table.fit_columns({c: (60, 280) for c in range(last)})  # "3 + 1 selector" is never cut
        self.readiness.schedule([e.path for e in entries if e.ok])

    def selected_entry(self):
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        return self.proxy.mapToSource(rows[0]).data(ITEM_ROLE)

    def select_path(self, path: Path) -> None:
        row = self.model.row_of(str(path))
        if row is not None:
            self.table.selectRow(self.proxy.mapFromSource(self.model.index(row, 0)).row())

    # -- opening -------------------------------------------------------------------------------
    def open_entry(self, source_row: int) -> PlanEditor | None:
        entry = self.model.item_at(source_row)
        if not entry.ok:
            self.show_message("Cannot open this plan", f"{entry.path.name}: {entry.error}",
                              "The file was not changed. Fix it in a text editor, or delete it.")
            return None
        return self.open_path(entry.path)

    def open_selected(self) -> PlanEditor | None:
        entry = self.selected_entry()
        return self.open_path(entry.path) if entry is not None else None

    def open_path(self, path: Path) -> PlanEditor | None:
        if self.editor is not None and self.editor.dirty:
            self.ask_unsaved(lambda: self.open_path(path))
            return None
        try:
            loaded = self.library.open(path)
        except BadInput as exc:
            self.show_message("Cannot open this plan", exc.message, "The file was not changed.")
            return None
        return self._show_editor(loaded.plan, loaded.path or path, loaded.read_only, loaded.notice)

    def _show_editor(self, plan: Plan, path: Path | None, read_only: bool, notice: str) -> PlanEditor:
        self._close_editor()
        ident = self.controller.identity
        editor = PlanEditor(
            plan,
            path=path,
            library=self.library,
            inventory=self.inventory,
            identity=lambda: (
                (self.controller.identity.account_id, self.controller.identity.region)
                if self.controller.identity
                else (None, None)
            ),
            read_only=read_only,
            notice=notice,
        )
        del ident
        editor.dirty_changed.connect(self._dirty_changed)
        editor.saved.connect(lambda p: (self.refresh_library(), self.select_path(p)))
        self.editor = editor
        self.editor_stack.addWidget(editor)
        self.editor_stack.setCurrentWidget(editor)
        self.save_button.setEnabled(not read_only)
        self.run_button.setEnabled(True)
        self._dirty_changed(editor.dirty)
        return editor

    def _close_editor(self) -> None:
        if self.editor is not None:
            self.editor.close_editor()
            self.editor_stack.removeWidget(self.editor)
            self.editor.deleteLater()
            self.editor = None
            self.save_button.setEnabled(False)
            self.run_button.setEnabled(False)
            self.title_changed.emit("", False)

    def _dirty_changed(self, dirty: bool) -> None:
        if self.editor is not None:
            self.title_changed.emit(printable(self.editor.plan.name) or "(unnamed plan)", dirty)

    # -- library actions -----------------------------------------------------------------------
    def new_plan(self) -> PlanEditor | None:
        if self.editor is not None and self.editor.dirty:
            self.ask_unsaved(self.new_plan)
            return None
        ident = self.controller.identity
        plan = Plan.new(
            "New recovery plan",
            target_account_id=ident.account_id if ident else "",
            target_region=ident.region if ident else "",
            wave_names=["Wave 1"],
        )
        path = self.library.save(plan)
        self.refresh_library()
        self.select_path(path)
        return self._show_editor(plan, path, False, "")

    def duplicate_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.ok:
            return
        loaded = self.library.duplicate(entry.path)
        self.refresh_library()
        if loaded.path:
            self.select_path(loaded.path)

    def rename_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.ok:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Rename plan")
        dialog.setLabelText("New name:")
        dialog.setTextValue(entry.name)
        dialog.textValueSelected.connect(lambda name, p=entry.path: self.rename(p, name))
        self._keep(dialog)
        dialog.open()

    def rename(self, path: Path, name: str) -> None:
        if self.editor is not None and self.editor.path == path:
            self.editor.name_edit.setText(name)
            self.editor.name_edit.editingFinished.emit()
            self.editor.save()
        else:
            self.library.rename(path, name)
        self.refresh_library()

    def ask_delete(self) -> QMessageBox | None:
        """Confirm before moving the selected plan to the trash (Enter keeps it)."""
        entry = self.selected_entry()
        if entry is None:
            return None
        box, yes = destructive_box(
            self,
            title="Delete plan",
            text=f"Delete the plan {entry.name or entry.path.name!r}?",
            informative="It is moved to the library's trash folder, from where it can be imported again.",
            destructive="Delete",
            safe="Keep it",
        )
        box.buttonClicked.connect(lambda b: self.delete_selected() if b is yes else None)
        self._keep(box)
        box.open()
        return box

    def delete_selected(self) -> Path | None:
        entry = self.selected_entry()
        if entry is None:
            return None
        if self.editor is not None and self.editor.path == entry.path:
            self.editor.discard_changes()
            self._close_editor()
        trashed = self.library.delete(entry.path)
        self.refresh_library()
        self.status.setText(printable(f"Moved {entry.name or entry.path.name!r} to the trash: {trashed}"))
        return trashed

    def choose_import(self) -> None:
        dialog = QFileDialog(self, "Import plans", str(Path.home()), "Plan files (*.json)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.filesSelected.connect(lambda files: [self.import_path(Path(f)) for f in files])
        self._keep(dialog)
        dialog.open()

    def import_path(self, path: Path) -> Path | None:
        try:
            loaded = self.library.import_file(path)
        except BadInput as exc:
            self.show_message("Cannot import this plan", exc.message, "The file was not changed.")
            return None
        self.refresh_library()
        if loaded.path:
            self.select_path(loaded.path)
        self.status.setText(f"Imported {path.name}" + (f" — {loaded.notice}" if loaded.notice else ""))
        return loaded.path

    def choose_export(self) -> None:
        entry = self.selected_entry()
        if entry is None or not entry.ok:
            return
        dialog = QFileDialog(self, "Export plan", str(Path.home() / entry.path.name), "Plan files (*.json)")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.fileSelected.connect(lambda f, p=entry.path: self.export_path(p, Path(f)))
        self._keep(dialog)
        dialog.open()

    def export_path(self, source: Path, dest: Path) -> Path:
        plan = (
            self.editor.plan
            if self.editor is not None and self.editor.path == source
            else self.library.open(source).plan
        )
        out = self.library.export(plan, dest)
        self.status.setText(f"Exported to {out}")
        return out

    def save(self) -> Path | None:
        return self.editor.save() if self.editor is not None else None

    def _chosen_plan(self) -> Plan | None:
        """The selected plan (the open one when it is selected, or nothing is); None says why."""
        entry = self.selected_entry()
        plan = None
        if self.editor is not None and (entry is None or self.editor.path == entry.path):
            plan = self.editor.plan
        elif entry is not None and entry.ok:
            try:
                plan = self.library.open(entry.path).plan
            except BadInput as exc:
                self.show_message("Cannot open this plan", exc.message, "The file was not changed.")
                return None
        if plan is None:
            self.status.setText("Select a plan first.")
        return plan

    def show_recovery_points(self) -> RecoveryPointsDialog | None:
        """The recovery snapshots of the selected (or open) plan's servers over the last days."""
        plan = self._chosen_plan()
        if plan is None:
            return None
        dialog = RecoveryPointsDialog(plan, self.controller, self.runner, self.inventory, self)
        self._keep(dialog)
        dialog.open()
        dialog.start_load()
        return dialog

    def publish_native(self) -> PublishNativeDialog | None:
        """The selected plan's DRS native mapping (what does not map, and why), then Publish."""
        plan = self._chosen_plan()
        if plan is None:
            return None
        dialog = PublishNativeDialog(plan, self.controller, self.runner, self)
        self._keep(dialog)
        dialog.open()
        dialog.start_load()
        return dialog

    def import_native(self) -> ImportNativeDialog:
        """The DRS native plans of the account; the chosen ones become library plans (linked)."""
        dialog = ImportNativeDialog(self.controller, self.runner, self.library, self)
        dialog.imported.connect(self._native_imported)
        self._keep(dialog)
        dialog.open()
        dialog.start_load()
        return dialog

    def _native_imported(self, paths: list[Path]) -> None:
        self.refresh_library()
        if paths:
            self.select_path(paths[-1])
            self.status.setText(printable(f"Imported {len(paths)} DRS native plan(s) into the library."))

    def run_open_plan(self) -> None:
        """Save the open plan if it has edits (a run records the plan as saved), then ask to run it."""
        if self.editor is None:
            return
        if self.editor.dirty and not self.editor.read_only and self.editor.save() is None:
            return
        self.run_requested.emit(self.editor.plan)

    # -- crash recovery ------------------------------------------------------------------------
    def offer_recovery(self) -> None:
        self._show_recovery([a for a in self.library.recoverable() if a.error is None])

    def _show_recovery(self, autosaves) -> None:
        while self.banner_buttons.count():
            item = self.banner_buttons.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        if not autosaves:
            self.banner.setVisible(False)
            return
        first = autosaves[0]
        when = first.saved_at.astimezone().strftime("%Y-%m-%d %H:%M") if first.saved_at else "earlier"
        more = f" (and {len(autosaves) - 1} more)" if len(autosaves) > 1 else ""
        self.banner.setText(
            printable(f"Unsaved edits of {first.plan_name!r} from {when} were kept when DRS Console last closed{more}.")
        )
        self.banner.setVisible(True)
        restore = QPushButton("Restore edits")
        discard = QPushButton("Discard them")
        restore.clicked.connect(lambda: self.recover(first.plan_id))
        discard.clicked.connect(lambda: (self.library.discard_autosave(first.plan_id), self.offer_recovery()))
        self.banner_buttons.addWidget(restore)
        self.banner_buttons.addWidget(discard)
        self.banner_buttons.addStretch(1)

    def recover(self, plan_id: str) -> PlanEditor | None:
        loaded = self.library.recover(plan_id)
        editor = self._show_editor(loaded.plan, loaded.path, False, "Recovered unsaved edits: save to keep them.")
        # the recovered state differs from the file: mark it unsaved with a no-op clean index
        editor.undo_stack.resetClean()
        self._dirty_changed(True)
        self.offer_recovery()
        return editor

    # -- unsaved edits -------------------------------------------------------------------------
    def has_unsaved(self) -> bool:
        return self.editor is not None and self.editor.dirty

    def ask_unsaved(self, then) -> QMessageBox:
        """Save / Discard / Cancel, without blocking; ``then`` runs after Save or Discard."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Unsaved plan")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(printable(f"Save the changes to {self.editor.plan.name!r}?"))
        box.setStandardButtons(
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)  # never Discard
        box.setEscapeButton(QMessageBox.StandardButton.Cancel)

        def done(button) -> None:
            role = box.standardButton(button)
            if role == QMessageBox.StandardButton.Save:
                if self.editor.save() is None:
                    return
            elif role == QMessageBox.StandardButton.Discard:
                self.editor.discard_changes()
                self.editor.undo_stack.setClean()
            else:
                return
            then()

        box.buttonClicked.connect(done)
        self._keep(box)
        box.open()
        return box

    # -- misc ----------------------------------------------------------------------------------
    def show_message(self, title: str, message: str, remedy: str = "") -> QMessageBox:
        message, remedy = printable(message), printable(remedy)
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Close, self)
        box.setTextFormat(Qt.TextFormat.PlainText)
        if remedy:
            box.setInformativeText(remedy)
        self.status.setText(f"{message} {remedy}".strip())
        self._keep(box)
        box.open()
        return box

    def _keep(self, dialog: QWidget) -> None:
        self._dialogs.append(dialog)
        dialog.finished.connect(lambda *_a, d=dialog: self._dialogs.remove(d) if d in self._dialogs else None)

    async def ready(self) -> None:
        """For screenshots: the first plan open, validated against a loaded inventory."""
        for _ in range(600):
            if self.inventory.snapshot is not None or not self.controller.is_connected:
                break
            await asyncio.sleep(0.05)
        self.refresh_library()
        await self.readiness.refresh()
        if self.editor is None and self.model.rowCount():
            first = next((r for r in range(self.model.rowCount()) if self.model.item_at(r).ok), None)
            if first is not None:
                self.table.selectRow(self.proxy.mapFromSource(self.model.index(first, 0)).row())
                self.open_entry(first)
        if self.editor is not None:
            self.editor.run_validation()

    def shutdown(self) -> None:
        self.readiness.stop()
        if self.editor is not None:
            self.editor.autosave()
            self.editor.autosave_timer.stop()


def _library_text(folder: Path) -> str:
    """Where the plans live, short: the sandbox's own library by name, a home folder as ~/…
    (the whole path is the footer's tooltip)."""
    if folder.name == SANDBOX_LIBRARY_DIR:
        return "the sandbox's plan library"
    try:
        return "~/" + folder.resolve().relative_to(Path.home().resolve()).as_posix()
    except ValueError:
        return str(folder)
