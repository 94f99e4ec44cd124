"""The plan editor and the Plans page, as an operator uses them (offline: no AWS at all)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMessageBox

from drs_console.domain.inventory import InventorySnapshot, SourceServer
from drs_console.domain.plan import Plan, ServerRef
from drs_console.domain.status import ReplicationState
from drs_console.store.plans import PlanLibrary
from drs_console.store.settings import Settings
from drs_console.ui.connection import ConnectionController
from drs_console.ui.errors import ErrorReporter
from drs_console.ui.inventory_state import InventoryState
from drs_console.ui.main_window import MainWindow
from drs_console.ui.models.plan_models import LibraryColumn, ProblemColumn
from drs_console.ui.pages.plans import PlansPage
from drs_console.ui.tasks import TaskRunner

ACCOUNT = "123456789012"


def make_servers(n=12):
    states = [ReplicationState.CONTINUOUS] * (n - 1) + [ReplicationState.STALLED]
    return tuple(
        SourceServer(
            source_server_id=f"s-{i:017x}",
            hostname=f"app-{i:02d}",
            instance_id=f"i-{i:017x}",
            account_id="111122223333",
            origin_region="us-east-2",
            replication_state=states[i],
            tags={"Name": f"app-{i:02d}", "Application": "payments" if i < 6 else "crm", "Tier": "web" if i % 2 else "db"},
        )
        for i in range(n)
    )


@pytest.fixture
def inventory():
    state = InventoryState()
    state.set(InventorySnapshot(ACCOUNT, "us-east-1", datetime.now(UTC), make_servers()), fresh=True)
    return state


@pytest.fixture
def library(tmp_path):
    lib = PlanLibrary(tmp_path / "plans")
    lib.folder.mkdir(parents=True)
    return lib


@pytest.fixture
def page(qtbot, inventory, library):
    reporter = ErrorReporter()
    reporter.interactive = False
    controller = ConnectionController(Settings(), persist=False)
    p = PlansPage(controller, TaskRunner(reporter.report), inventory, library)
    qtbot.addWidget(p)
    p.show()
    p.activateWindow()
    qtbot.waitExposed(p)
    return p


def two_wave_plan(library):
    servers = make_servers()
    plan = Plan.new("Payments", target_account_id=ACCOUNT, target_region="us-east-1", wave_names=["DB", "Web"])
    plan.add_servers(0, [ServerRef.from_server(s) for s in servers[:3]])
    plan.add_servers(1, [ServerRef.from_server(s) for s in servers[3:5]])
    path = library.save(plan)
    return plan, path


def test_adding_servers_from_the_inventory_picker(page, library, qtbot):
    editor = page.new_plan()
    picker = editor.open_picker()
    assert picker.model.rowCount() == 12
    qtbot.keyClicks(picker.search, "crm")
    assert picker.proxy.rowCount() == 6
    picker.table.selectAll()
    picker.accept()
    wave = editor.plan.waves[0]
    assert len(wave.servers) == 6 and all(s.name.startswith("app-") for s in wave.servers)
    assert editor.server_model.rowCount() == 6
    assert editor.dirty
    # a second picker no longer offers what the plan already has
    assert editor.open_picker().model.rowCount() == 6
    editor.undo_action.trigger()
    assert editor.plan.waves[0].servers == [] and editor.server_model.rowCount() == 0


def test_drag_servers_between_waves_and_undo(page, library):
    plan, path = two_wave_plan(library)
    editor = page.open_path(path)
    editor.select_wave(0)
    editor.server_table.selectRow(0)
    moving = [editor.plan.waves[0].servers[0].source_server_id]
    mime = editor.server_model.mimeData([editor.server_model.index(0, 0)])
    # drop onto wave 2 in the wave list (what a drag and drop does)
    editor.wave_model.dropMimeData(mime, Qt.DropAction.MoveAction, -1, -1, editor.wave_model.index(1))
    assert editor.plan.waves[1].server_ids()[-1] == moving[0]
    assert moving[0] not in editor.plan.waves[0].server_ids()
    assert editor.server_model.rowCount() == 2  # the wave on screen lost the row in place
    editor.undo_action.trigger()
    assert editor.plan.waves[0].server_ids()[0] == moving[0] and len(editor.plan.waves[1].servers) == 2
    assert not editor.dirty


def test_reorder_waves_by_drag_and_keyboard(page, library, qtbot):
    plan, path = two_wave_plan(library)
    editor = page.open_path(path)
    mime = editor.wave_model.mimeData([editor.wave_model.index(1)])
    editor.wave_model.dropMimeData(mime, Qt.DropAction.MoveAction, 0, 0, editor.wave_model.index(-1))
    assert [w.name for w in editor.plan.waves] == ["Web", "DB"]
    assert editor.wave_model.index(0).data().startswith("1. Web")
    editor.select_wave(0)
    editor.wave_list.setFocus()
    qtbot.keyClick(editor.wave_list, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert [w.name for w in editor.plan.waves] == ["DB", "Web"]
    assert editor.selected_wave_index() == 1  # the moved wave stays selected


def test_keyboard_moves_servers_within_and_across_waves(page, library, qtbot):
    plan, path = two_wave_plan(library)
    editor = page.open_path(path)
    editor.select_wave(0)
    first, second = editor.plan.waves[0].server_ids()[:2]
    editor.server_table.setFocus()
    editor.server_table.selectRow(0)
    qtbot.keyClick(editor.server_table, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert editor.plan.waves[0].server_ids()[:2] == [second, first]
    qtbot.keyClick(editor.server_table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert first in editor.plan.waves[1].server_ids()


def test_undo_redo_back_to_the_saved_state_clears_the_unsaved_marker(page, library, qtbot):
    plan, path = two_wave_plan(library)
    window_titles = []
    page.title_changed.connect(lambda name, dirty: window_titles.append((name, dirty)))
    editor = page.open_path(path)
    editor.add_wave()
    editor.wave_name.setText("Checks")
    editor.wave_name.editingFinished.emit()
    editor.pause_before.click()
    assert editor.dirty and window_titles[-1] == ("Payments", True)
    assert editor.undo_stack.count() == 3
    for _ in range(3):
        editor.undo_action.trigger()
    assert not editor.dirty and window_titles[-1] == ("Payments", False)
    assert [w.name for w in editor.plan.waves] == ["DB", "Web"]
    for _ in range(3):
        editor.redo_action.trigger()
    assert editor.plan.waves[1].name == "Checks" and editor.plan.waves[1].pause_before
    assert editor.dirty
    # the Edit history view lists the edits (after its "<opened>" row), newest last
    history = editor.undo_view.model()
    assert history.rowCount() == 1 + editor.undo_stack.count() == 4
    assert history.index(0, 0).data() == "<opened>"
    assert [history.index(r, 0).data() for r in range(1, 4)] == [
        editor.undo_stack.text(i) for i in range(3)
    ] and all(history.index(r, 0).data() for r in range(1, 4))
    editor.save()
    assert not editor.dirty
    saved = json.loads(path.read_text())
    assert [w["name"] for w in saved["waves"]] == ["DB", "Checks", "Web"]
    assert path.with_name(path.name + ".bak").exists()  # the previous version is kept


def test_closing_with_unsaved_edits_prompts(qtbot, page, library):
    plan, path = two_wave_plan(library)
    window = MainWindow(page.controller, page.runner, ErrorReporter(), restore_geometry=False)
    qtbot.addWidget(window)
    window.add_page(page)
    editor = page.open_path(path)
    editor.add_wave()
    event = QCloseEvent()
    window.closeEvent(event)
    assert not event.isAccepted()
    box = next(d for d in page._dialogs if isinstance(d, QMessageBox))
    assert "Payments" in box.text()
    box.button(QMessageBox.StandardButton.Discard).click()
    assert window._close_confirmed and not editor.dirty
    assert library.recoverable() == []  # discarding also drops the autosave


def test_validation_panel_navigates_to_the_problem(page, library):
    plan, path = two_wave_plan(library)
    stalled = make_servers()[-1]
    plan.add_servers(1, [ServerRef.from_server(stalled)])
    library.save(plan, path)
    editor = page.open_path(path)
    editor.select_wave(0)
    rows = [
        r for r in range(editor.problem_proxy.rowCount())
        if stalled.source_server_id in (editor.problem_proxy.index(r, ProblemColumn.LOCATION).data() or "")
    ]
    assert rows, "the stalled server is reported"
    editor.go_to_problem(editor.problem_proxy.index(rows[0], 0))
    assert editor.selected_wave_index() == 1
    assert editor.selected_server_ids() == [stalled.source_server_id]


def test_validation_updates_as_you_edit(page, library, qtbot):
    editor = page.new_plan()
    codes = {p.code for p in editor.run_validation()}
    assert any("EMPTY" in c.upper() for c in codes)  # the new plan's wave is empty
    editor.add_servers(0, make_servers()[:1])
    qtbot.waitUntil(lambda: not any("EMPTY" in p.code.upper() for p in editor.problems), timeout=30000)
    assert editor.summary.text().startswith("1 waves · 1 servers · ")


def test_selector_preview_is_live(page, library, qtbot):
    editor = page.new_plan()
    qtbot.keyClicks(editor.selector, "Application=payments AND Tier=web")
    assert "Selects 3 servers now" in editor.selector_preview.text()
    editor.selector.clear()
    qtbot.keyClicks(editor.selector, "Application=")
    assert "column" in editor.selector_preview.text().lower()


def test_crash_recovery_offers_the_autosaved_edits(qtbot, page, library, inventory):
    plan, path = two_wave_plan(library)
    editor = page.open_path(path)
    editor.add_wave()
    editor.autosave()
    original = path.read_bytes()
    # "crash": a new page over the same library, as on the next start
    again = PlansPage(page.controller, page.runner, inventory, library)
    qtbot.addWidget(again)
    again.show()
    qtbot.waitUntil(again.banner.isVisible, timeout=30000)  # the library is read off the GUI thread
    assert "Payments" in again.banner.text()
    recovered = again.recover(plan.id)
    assert len(recovered.plan.waves) == 3 and recovered.dirty
    assert path.read_bytes() == original  # the saved file was never touched


def test_unreadable_and_newer_files(page, library):
    bad = library.folder / "broken.json"
    bad.write_bytes(b'{"schemaVersion": 2, "name": "x", ')
    newer = library.folder / "future.json"
    plan, _ = Plan.new("Future", target_account_id=ACCOUNT, target_region="us-east-1"), None
    doc = plan.to_dict()
    doc["schemaVersion"] = 99
    newer.write_text(json.dumps(doc))
    before = (bad.read_bytes(), newer.read_bytes())
    page.refresh_library()
    row = page.model.row_of(str(bad))
    assert "unreadable" in page.model.index(row, LibraryColumn.VALIDATION).data()
    assert page.open_entry(row) is None
    assert "line 1" in page.status.text()
    editor = page.open_path(newer)
    assert editor.read_only and not editor.name_edit.isEnabled()
    assert "newer" in editor.notice.text()
    assert editor.save() is None
    assert (bad.read_bytes(), newer.read_bytes()) == before


def test_offline_editing_says_the_inventory_is_cached(page, library, inventory):
    snap = inventory.snapshot
    inventory.set(InventorySnapshot(snap.account_id, snap.region, snap.fetched_at - timedelta(hours=5), snap.servers), fresh=False)
    editor = page.new_plan()
    editor.run_validation()
    assert "cached inventory from 5 h" in editor.summary.text()
    picker = editor.open_picker()
    assert "cached 5 h" in picker.note.text()


def test_library_actions(page, library):
    plan, path = two_wave_plan(library)
    page.refresh_library()
    page.select_path(path)
    page.duplicate_selected()
    assert page.model.rowCount() == 2
    page.select_path(path)
    page.rename(path, "Payments v2")
    assert library.open(path).plan.name == "Payments v2"
    out = page.export_path(path, library.folder.parent / "exported.json")
    assert json.loads(out.read_text())["name"] == "Payments v2"
    page.select_path(path)
    trashed = page.delete_selected()
    assert trashed.exists() and not path.exists()
    assert page.model.rowCount() == 1
    imported = page.import_path(out)
    assert imported is not None and page.model.rowCount() == 2


def test_shortcuts_are_the_standard_ones(page):
    editor = page.new_plan()
    assert editor.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    assert QKeySequence("Ctrl+Shift+Z") in editor.redo_action.shortcuts()


def test_a_fifo_or_a_never_ending_file_never_blocks_the_window(qtbot, inventory, library, monkeypatch):
    import os
    import threading

    from drs_console.store import plan_io

    release = threading.Event()
    real = plan_io._read_regular
    monkeypatch.setattr(plan_io, "READ_TIME_LIMIT", 1.0)
    monkeypatch.setattr(
        plan_io, "_read_regular", lambda path, source: release.wait(30) if "never" in path.name else real(path, source)
    )
    two_wave_plan(library)
    os.mkfifo(library.folder / "fifo.json")
    (library.folder / "never-ends.json").write_bytes(b"{}")
    reporter = ErrorReporter()
    reporter.interactive = False
    page = PlansPage(ConnectionController(Settings(), persist=False), TaskRunner(reporter.report), inventory, library)
    qtbot.addWidget(page)
    page.show()
    # the page (and so the window) is up at once: nothing was listed yet (the listing runs off the GUI
    # thread and lists every file only once the never-ending one's read gave up, a second from now)
    assert page.model.rowCount() == 0
    try:
        qtbot.waitUntil(lambda: page.model.rowCount() == 3, timeout=30000)
        rows = {page.model.item_at(r).path.name: page.model.item_at(r) for r in range(3)}
        assert rows["fifo.json"].error and "FIFO" in rows["fifo.json"].error
        assert "did not finish within 1 s" in rows["never-ends.json"].error
        assert "2 unreadable" in page.status.text()
    finally:
        release.set()


def test_plan_and_wave_names_are_shown_without_control_characters(page, library):
    plan, path = two_wave_plan(library)
    plan.rename("Pay\x1b[2Jments")
    plan.waves[0].name = "DB\u202e"
    library.save(plan, path)
    page.refresh_library()
    row = page.model.row_of(str(path))
    shown = page.model.index(row, 0).data()
    assert "\x1b" not in shown and "\\x1b" in shown
    editor = page.open_path(path)
    assert "\u202e" not in editor.wave_model.index(0, 0).data()
    editor.select_wave(0)
    assert "\u202e" not in editor.wave_box.title() and "\\u202e" in editor.wave_box.title()


def test_impact_level_and_wait_before_a_wave_are_undoable_edits_saved_to_the_file(page, library, qtbot):
    from drs_console.ui.models.plan_models import ServerColumn

    plan, path = two_wave_plan(library)
    titles = []
    page.title_changed.connect(lambda name, dirty: titles.append((name, dirty)))
    editor = page.open_path(path)
    editor.select_wave(1)
    assert editor.wave_critical.isChecked() and editor.delay.text() == "none"
    editor.wave_critical.click()  # the wave's servers OPTIONAL by default
    editor.delay.setValue(25)
    editor.delay.editingFinished.emit()
    assert editor.plan.waves[1].critical is False and editor.plan.waves[1].delay_minutes == 25
    assert "waits 25 min" in editor.wave_model.index(1).data() and "optional" in editor.wave_model.index(1).data()
    assert editor.server_model.index(0, ServerColumn.IMPACT).data() == "wave: optional"

    editor.server_table.selectRow(1)
    second = editor.plan.waves[1].servers[1].source_server_id
    assert editor.set_selected_servers_critical(True)
    assert editor.server_model.index(1, ServerColumn.IMPACT).data() == "critical"
    assert editor.selected_server_ids() == [second]  # the selection stays on the edited server
    assert editor.dirty and titles[-1] == ("Payments", True) and editor.undo_stack.count() == 3

    editor.save()
    saved = json.loads(path.read_text())["waves"][1]
    assert saved["critical"] is False and saved["delayMinutes"] == 25
    assert [s.get("critical") for s in saved["servers"]] == [None, True]
    assert not editor.dirty and titles[-1] == ("Payments", False)

    for _ in range(3):
        editor.undo_action.trigger()
    wave = editor.plan.waves[1]
    assert wave.critical is True and wave.delay_minutes == 0 and [s.critical for s in wave.servers] == [None, None]
    assert editor.wave_critical.isChecked() and editor.delay.value() == 0  # the form follows the plan
    assert editor.dirty and titles[-1] == ("Payments", True)  # unsaved again: the file has the edits
    for _ in range(3):
        editor.redo_action.trigger()
    assert not editor.dirty and titles[-1] == ("Payments", False)  # back to what was saved
    assert editor.plan.waves[1].servers[1].critical is True and not editor.delay.value() == 0


def test_read_only_plans_cannot_change_impact_or_wait(page, library):
    plan, path = two_wave_plan(library)
    editor = page.open_path(path)
    editor._set_read_only(True)
    assert not editor.wave_critical.isEnabled() and not editor.delay.isEnabled()
    assert not editor.impact_button.isEnabled()
