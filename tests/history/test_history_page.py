"""The History page against the sandbox's seeded history: what an operator sees and can do."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from PySide6.QtCore import QDateTime, Qt, QTimeZone

from drs_console.domain import history as h
from drs_console.domain.wording import plural
from drs_console.ui.models.history_model import HistoryColumn
from drs_console.ui.pages import history as history_page
from tests.history.conftest import HistoryConsole


@pytest.fixture
def console(qtbot, aloop, history_sandbox):
    history_sandbox.reseed(60)
    hc = HistoryConsole(qtbot, history_sandbox)
    yield hc
    hc.close()


def connect_and_load(console, aloop):
    aloop.run_until_complete(console.controller.connect(sandbox=True))
    aloop.run_until_complete(asyncio.wait_for(console.page.ready(), 30))


def column(page, col):
    return [page.proxy.index(r, col).data() for r in range(page.proxy.rowCount())]


def test_loads_every_page_incrementally_with_progress(console, aloop, monkeypatch):
    monkeypatch.setattr(history_page, "PAGE_SIZE", 7)  # 60 executions: 9 pages
    formats, sizes = [], []
    page = console.page
    page.progress.setFormat = lambda text, f=page.progress.setFormat: (formats.append(text), f(text))
    page.model.rowsInserted.connect(lambda *_a: sizes.append(page.model.rowCount()))
    connect_and_load(console, aloop)
    assert page.model.rowCount() == 60 and console.errors == []
    assert set(column(page, HistoryColumn.EXECUTION_ID)) == set(console.hs.seed.execution_ids)
    assert sizes[:3] == [7, 14, 21] and sizes[-1] == 60  # rows appear page by page
    assert "7 executions…" in formats and "60 executions…" in formats
    assert "60 executions" in page.status.text() and "drs-console-history" in page.status.text()
    started = [page.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1).started_at for r in range(60)]
    assert started == sorted(started, reverse=True)  # newest first
    assert page.proxy.index(0, HistoryColumn.WAVES).data().count("/") == 1


def test_filters_status_groups_single_status_type_dates_and_search(console, aloop, qtbot):
    connect_and_load(console, aloop)
    page, seed = console.page, console.hs.seed
    page.status_filter.setCurrentText("Active")
    assert set(column(page, HistoryColumn.EXECUTION_ID)) == set(seed.ids_with("RUNNING", "PAUSED", "PENDING", "CANCELLING"))
    page.status_filter.setCurrentText("Finished")
    assert set(column(page, HistoryColumn.STATUS)) == {"COMPLETED", "PARTIAL", "FAILED", "CANCELLED", "TIMEOUT"}
    page.status_filter.setCurrentText("FAILED")
    assert set(column(page, HistoryColumn.STATUS)) == {"FAILED"}
    assert f"{len(seed.ids_with('FAILED'))} of 60 executions" in page.status.text()
    page.status_filter.setCurrentText("All statuses")
    page.type_filter.setCurrentText("Recoveries")
    assert set(column(page, HistoryColumn.TYPE)) == {"RECOVERY"}
    page.type_filter.setCurrentText("Drills and recoveries")
    now = console.hs.sandbox.clock.now()
    rows = page.model.items()
    for label, span in (("Last 24 h", timedelta(hours=24)), ("Last 7 days", timedelta(days=7)),
                        ("Last 30 days", timedelta(days=30)), ("Last hour", timedelta(hours=1))):
        page.date_filter.setCurrentText(label)
        assert page.proxy.rowCount() == sum(1 for r in rows if r.started_at >= now - span), label
    page.date_filter.setCurrentText("Custom range…")
    assert page.date_from.isVisibleTo(page) and page.date_to.isVisibleTo(page)
    lo, hi = now - timedelta(days=20), now - timedelta(days=2)
    page.date_from.setDateTime(QDateTime.fromSecsSinceEpoch(int(lo.timestamp()), QTimeZone.utc()))
    page.date_to.setDateTime(QDateTime.fromSecsSinceEpoch(int(hi.timestamp()), QTimeZone.utc()))
    expected = sum(1 for r in rows if lo - timedelta(minutes=1) <= r.started_at <= hi)
    assert abs(page.proxy.rowCount() - expected) <= 1 and page.proxy.rowCount() > 0
    page.date_filter.setCurrentText("Any time")
    target = rows[17]
    qtbot.keyClicks(page.search, target.execution_id[-8:].upper())
    assert column(page, HistoryColumn.EXECUTION_ID) == [target.execution_id]


def test_sorting_is_by_value_and_keeps_the_selection(console, aloop):
    connect_and_load(console, aloop)
    page = console.page
    page.table.selectRow(4)
    chosen = page.selected_ids()
    page.table.sortByColumn(HistoryColumn.DURATION, Qt.SortOrder.DescendingOrder)
    durations = [r.duration.total_seconds() if r.duration else -1 for r in page.visible_rows()]
    assert durations == sorted(durations, reverse=True)
    page.table.sortByColumn(HistoryColumn.PLAN, Qt.SortOrder.AscendingOrder)
    plans = [r.plan_name.casefold() for r in page.visible_rows()]
    assert plans == sorted(plans)
    assert page.selected_ids() == chosen


def test_multi_select_and_open_in_monitor(console, aloop, qtbot):
    connect_and_load(console, aloop)
    page = console.page
    page.table.selectRow(2)
    assert page.open_button.isEnabled()
    with qtbot.waitSignal(page.open_execution, timeout=30000) as blocker:
        page.open_button.click()
    assert blocker.args == [page.visible_rows()[2].execution_id]
    sel = page.table.selectionModel()
    for r in (5, 9):
        sel.select(page.proxy.index(r, 0), sel.SelectionFlag.Select | sel.SelectionFlag.Rows)
    assert len(page.selected_ids()) == 3 and not page.open_button.isEnabled()


def test_refresh_updates_rows_in_place_and_keeps_the_selection(console, aloop):
    connect_and_load(console, aloop)
    page, hs = console.page, console.hs
    running = hs.seed.ids_with("RUNNING")[0]
    gone = page.model.item_at(30).execution_id
    page.table.selectRow(page.proxy.mapFromSource(page.model.index(page.model.row_of(running), 0)).row())
    resets, changed = [], []
    page.model.modelReset.connect(lambda: resets.append(1))
    page.model.dataChanged.connect(
        lambda a, b: changed.extend(page.model.item_at(r).execution_id for r in range(a.row(), b.row() + 1))
    )
    hs.update(running, status="COMPLETED", endedAt="2030-01-01T00:00:00Z", updatedAt="x")
    hs.sandbox.client("dynamodb").delete_item(
        TableName=hs.table, Key={"PK": {"S": f"EXEC#{gone}"}, "SK": {"S": "EXECUTION"}}
    )
    aloop.run_until_complete(page.refresh())
    assert resets == [] and changed == [running]
    assert page.model.rowCount() == 59 and page.model.row_of(gone) is None
    assert page.selected_ids() == [running]
    assert page.model.item_at(page.model.row_of(running)).raw_status == "COMPLETED"


def test_export_csv_writes_the_visible_rows_atomically(console, aloop, tmp_path):
    connect_and_load(console, aloop)
    page = console.page
    page.status_filter.setCurrentText("Finished")
    path = tmp_path / "out" / "history.csv"
    assert page.export_csv(path) == page.proxy.rowCount()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("Plan,Type,Status") and len(lines) == page.proxy.rowCount() + 1
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert "exported" in page.status.text()


def test_prune_preview_counts_for_every_scope(console, aloop):
    connect_and_load(console, aloop)
    page, seed = console.page, console.hs.seed
    page.prune_button.click()
    panel = page.prune_panel
    assert panel.isVisibleTo(page) and not panel.delete_button.isEnabled()
    panel.scope_all.setChecked(True)
    preview = aloop.run_until_complete(page._preview_task)
    rows = page.model.items()
    assert set(preview.preserved_live_jobs) == set(seed.cancelled_with_live_jobs)
    assert len(preview.preserved_active) == sum(1 for r in rows if not r.is_terminal)
    assert preview.delete_count == sum(1 for r in rows if r.is_terminal) - len(seed.cancelled_with_live_jobs)
    text = panel.preview_label.text()
    assert f"<b>{preview.delete_count}</b> execution(s) would be deleted" in text
    assert f"<b>{len(seed.cancelled_with_live_jobs)}</b> CANCELLED with a DRS job" in text
    assert panel.delete_button.isEnabled() and str(preview.delete_count) in panel.delete_button.text()
    # older than N days
    panel.days.setValue(10)
    panel.scope_older.setChecked(True)
    older = aloop.run_until_complete(page._preview_task)
    assert older.delete_count < preview.delete_count and older.scope.older_than_days == 10
    # selected rows: one active, two finished
    active = seed.ids_with("RUNNING")[0]
    done = [r.execution_id for r in rows if r.raw_status == "COMPLETED"][:2]
    sel = page.table.selectionModel()
    sel.clearSelection()
    for eid in [active, *done]:
        idx = page.proxy.mapFromSource(page.model.index(page.model.row_of(eid), 0))
        sel.select(idx, sel.SelectionFlag.Select | sel.SelectionFlag.Rows)
    page._selection_settled()
    panel.scope_selected.setChecked(True)
    chosen = aloop.run_until_complete(page._preview_task)
    assert {cd.execution_id for cd in chosen.to_delete} == set(done) and chosen.preserved_active == (active,)


def test_prune_runs_with_progress_and_removes_rows_in_place(console, aloop):
    connect_and_load(console, aloop)
    page, hs = console.page, console.hs
    page.prune_button.click()
    page.prune_panel.scope_all.setChecked(True)
    preview = aloop.run_until_complete(page._preview_task)
    resets, progress = [], []
    page.model.modelReset.connect(lambda: resets.append(1))
    page.prune_panel.progress.valueChanged.connect(progress.append)
    victim = preview.to_delete[-1].execution_id

    def hook(index, _tx):  # an execution becomes active again while the prune runs
        if index == 0:
            hs.update(victim, status="RUNNING", updatedAt="again")

    result = aloop.run_until_complete(page.prune(preview, before_batch=hook))
    assert result.outcomes[victim] is h.Outcome.SKIPPED_ACTIVE
    assert result.count(h.Outcome.DELETED) == preview.delete_count - 1
    assert resets == [] and page.model.rowCount() == 60 - (preview.delete_count - 1)
    assert progress and progress[-1] == preview.delete_count
    text = page.prune_panel.result_label.text()
    assert f"Deleted {plural(preview.delete_count - 1, 'execution')}." in text and "1 that became active" in text
    assert not page.prune_panel.delete_button.isEnabled() and console.errors == []


def test_prune_can_be_stopped_between_batches(console, aloop):
    connect_and_load(console, aloop)
    page = console.page
    page.prune_button.click()
    page.prune_panel.scope_all.setChecked(True)
    preview = aloop.run_until_complete(page._preview_task)
    assert len(h.plan_transactions(preview.to_delete)) > 1

    def hook(index, _tx):
        if index == 0:
            page.prune_panel.cancel_button.click()  # the operator presses Stop during the first batch

    result = aloop.run_until_complete(page.prune(preview, before_batch=hook))
    assert result.cancelled and result.count(h.Outcome.NOT_ATTEMPTED) > 0
    assert result.count(h.Outcome.DELETED) + result.count(h.Outcome.NOT_ATTEMPTED) == preview.delete_count
    assert "not attempted" in page.prune_panel.result_label.text()
    assert page.model.rowCount() == 60 - result.count(h.Outcome.DELETED)


def test_no_backend_is_a_message_not_an_error(qtbot, aloop, history_sandbox):
    hc = HistoryConsole(qtbot, history_sandbox)
    hc.controller.settings.backend_stack_name = "no-such-stack"
    try:
        connect_and_load(hc, aloop)
        assert "does not exist" in hc.page.status.text() and hc.errors == []
    finally:
        hc.close()


def test_history_reloads_when_an_execution_changes_and_when_opened_stale(console, aloop, monkeypatch):
    page, hs = console.page, console.hs
    now = [page.clock()]
    page.clock = lambda: now[0]
    page._change_timer.setInterval(0)
    connect_and_load(console, aloop)
    loads = []
    real_refresh = page.refresh
    page.refresh = lambda: (loads.append(now[0]), real_refresh())[1]
    running = hs.seed.ids_with("RUNNING")[0]

    def status_of(eid):
        return page.model.item_at(page.model.row_of(eid)).raw_status

    def settle():
        """Until no reload is pending: the coalescing timer fired (or never started) and the
        reload it started, if any, ended."""
        deadline = time.monotonic() + 30
        while page._change_timer.isActive() or (page._task is not None and not page._task.done()):
            assert time.monotonic() < deadline, "the history page never settled"
            if page._task is not None and not page._task.done():
                aloop.run_until_complete(asyncio.wait_for(asyncio.gather(page._task, return_exceptions=True), 30))
            else:
                aloop.run_until_complete(asyncio.sleep(0.005))  # let the 0 ms timer fire

    # opened while fresh: no reload
    page.show()
    settle()
    assert loads == []
    # the Executions page says an execution ended: History, shown, reloads and shows it
    hs.update(running, status="COMPLETED", endedAt="2030-01-01T00:00:00Z", updatedAt="y")
    page.execution_changed(running)
    settle()
    assert len(loads) == 1 and status_of(running) == "COMPLETED"
    # a change while History is hidden reloads it when it is next opened, not before
    page.hide()
    hs.update(running, status="FAILED", updatedAt="z")
    page.execution_changed(running)
    settle()
    assert len(loads) == 1 and status_of(running) == "COMPLETED"
    page.show()
    settle()
    assert len(loads) == 2 and status_of(running) == "FAILED"
    # opened again more than a minute after the last load: reloads
    page.hide()
    now[0] += timedelta(seconds=30)
    page.show()
    settle()
    assert len(loads) == 2
    page.hide()
    now[0] += timedelta(seconds=31)
    page.show()
    settle()
    assert len(loads) == 3


def test_ended_is_hidden_by_default_and_comes_back_from_the_column_menu(console, aloop):
    """At 1280 px the history fits but for the execution ID: Ended (Started + Duration) starts hidden;
    the header's column menu shows it again, with its times."""
    connect_and_load(console, aloop)
    table = console.page.table
    assert table.isColumnHidden(HistoryColumn.ENDED)
    assert not table.isColumnHidden(HistoryColumn.DURATION)
    table.set_column_shown(HistoryColumn.ENDED, True)
    assert not table.isColumnHidden(HistoryColumn.ENDED)
    assert any(column(console.page, HistoryColumn.ENDED))


def test_at_1280_px_every_shown_column_is_whole_and_the_execution_id_readable(qtbot, aloop, history_sandbox):
    """The History page of the desktop at 1280x760: no sideways scrolling; each shown column's header
    and rows whole; the execution ID cut in the middle (its plan slug and its unique end), wide enough
    to read, the whole ID in its tooltip and 'Copy cell'. Initiated by starts hidden (column menu)."""
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QStyleOptionViewItem

    from drs_console.store.settings import Settings
    from drs_console.ui.app import ConsoleApp
    from tests.history.conftest import SharedSandbox
    from tests.ui.test_laptop_layout import inside

    history_sandbox.reseed(40)
    console = ConsoleApp(Settings(), persist_settings=False, restore_geometry=False,
                         sandbox_factory=lambda: SharedSandbox(history_sandbox.sandbox))
    qtbot.addWidget(console.window)
    try:
        console.window.resize(1280, 760)
        console.window.show()
        qtbot.waitExposed(console.window)
        aloop.run_until_complete(console.controller.connect(sandbox=True))
        page = console.window.show_page("history")
        aloop.run_until_complete(asyncio.wait_for(page.ready(), 30))
        table = page.table
        qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0)
        assert table.isColumnHidden(HistoryColumn.INITIATED_BY) and table.isColumnHidden(HistoryColumn.ENDED)
        rows = min(page.proxy.rowCount(), table.rowAt(table.viewport().height() - 1) + 1 or page.proxy.rowCount())
        assert rows >= 10
        option = QStyleOptionViewItem()
        table.initViewItemOption(option)
        header = table.horizontalHeader()
        for col in HistoryColumn:
            if table.isColumnHidden(col) or col is HistoryColumn.EXECUTION_ID:
                continue
            title = table.model().headerData(col, Qt.Orientation.Horizontal)
            width = table.columnWidth(col)
            assert header.fontMetrics().horizontalAdvance(title) + 8 <= width, f"header {title!r} is cut"
            delegate = table.itemDelegateForColumn(col) or table.itemDelegate()
            cut = [page.proxy.index(r, col).data() for r in range(rows)  # as Qt sizes the cell to draw it whole
                   if delegate.sizeHint(option, page.proxy.index(r, col)).width() > width
                   or not inside(table, col, r)]
            assert cut == [], f"{title}: {cut}"
        ids = [page.proxy.index(r, HistoryColumn.EXECUTION_ID) for r in range(rows)]
        assert all(inside(table, HistoryColumn.EXECUTION_ID, r) for r in range(rows))
        assert table.columnWidth(HistoryColumn.EXECUTION_ID) >= 150  # ~22 characters: slug ... unique end
        cut = next(i for i in ids if table.is_elided(i))
        assert cut.data(Qt.ItemDataRole.ToolTipRole) == cut.data() and cut.data() in history_sandbox.seed.execution_ids
        assert table.copy_cell(cut) == cut.data() and QGuiApplication.clipboard().text() == cut.data()
        table.set_column_shown(HistoryColumn.INITIATED_BY, True)  # the operator's choice: it comes back
        assert any(page.proxy.index(r, HistoryColumn.INITIATED_BY).data() for r in range(rows))
    finally:
        console.shutdown()
